/* nvg-gen-pcap's traffic model: ~1000 hosts, a table of concurrent TCP, UDP, DNS and ICMP
 * flows stepped at random, and the one-off packets sprinkled in (ARP, neighbour discovery,
 * fragment trains, unknown protocols). */
#include <string.h>

#include "gen-pcap.h"

static const uint16_t tcp_ports[] = {80, 443, 443, 443, 22, 25, 993, 3306, 5432, 8080, 6379};
/* No tunnel ports (VXLAN, GTP, L2TP, Geneve, Teredo, IPsec NAT-T, OpenVPN): tshark would
 * report the inner packet's addresses. */
static const uint16_t udp_ports[] = {443, 443, 123, 514, 161, 5004, 27015, 9999};
static const char *const dns_names[] = {"www", "mail", "api", "cdn",   "login", "static",
                                        "db",  "ntp",  "git", "files", "img",   "auth"};
static const char *const dns_zones[] = {"example", "example-corp", "test-site",
                                        "acme",    "cloud-svc",    "intranet"};

static void init_hosts(struct gen *g)
{
    struct rng *r = &g->r;
    uint8_t net = (uint8_t)range(r, 1, 200);
    for (int i = 0; i < NHOSTS; i++) {
        struct host *h = &g->hosts[i];
        memset(h, 0, sizeof(*h));
        if (i < NINTERNAL) {
            int sub = i / 200, n = i % 200 + 10;
            h->v4[0] = 10, h->v4[1] = net, h->v4[2] = (uint8_t)sub, h->v4[3] = (uint8_t)n;
            static const uint8_t pfx[8] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x01};
            memcpy(h->v6, pfx, 8);
            h->mac[0] = 0x02; /* locally administered, unicast */
            for (int k = 1; k < 6; k++)
                h->mac[k] = (uint8_t)rnd(r);
            h->ttl = chance(r, 300) ? 128 : 64;
            uint32_t t = below(r, 100);
            if (t < 20) {
                h->ntags = 1;
                h->vlan[0] = (uint16_t)(10 + sub * 10);
            } else if (t < 24) {
                h->ntags = 2;
                h->tpid = t < 23 ? 0x88a8 : 0x9100;
                h->vlan[0] = (uint16_t)range(r, 100, 4000);
                h->vlan[1] = (uint16_t)(10 + sub * 10);
            }
        } else {
            h->v4[0] = 198, h->v4[1] = (uint8_t)(18 + below(r, 2));
            h->v4[2] = (uint8_t)below(r, 256), h->v4[3] = (uint8_t)range(r, 1, 254);
            h->v6[0] = 0x20, h->v6[1] = 0x01, h->v6[2] = 0x0d, h->v6[3] = 0xb8;
            for (int k = 4; k < 8; k++)
                h->v6[k] = (uint8_t)rnd(r);
            h->v6[4] |= 0x10; /* keep clear of the internal 2001:db8:1::/48 */
            static const uint8_t hops[] = {64, 128, 255};
            h->ttl = (uint8_t)(hops[below(r, 3)] - range(r, 3, 20));
        }
        for (int k = 8; k < 16; k++)
            h->v6[k] = (uint8_t)rnd(r);
        h->ll6[0] = 0xfe, h->ll6[1] = 0x80;
        memcpy(h->ll6 + 8, h->v6 + 8, 8);
    }
    g->router_mac[0] = 0x00, g->router_mac[1] = 0x1b, g->router_mac[2] = 0x21;
    g->router_mac[3] = 0x3a, g->router_mac[4] = 0x4b, g->router_mac[5] = 0x5c;
    for (int i = NINTERNAL; i < NHOSTS; i++)
        memcpy(g->hosts[i].mac, g->router_mac, 6);
}

static void spawn_flow(struct gen *g, struct flow *f)
{
    struct rng *r = &g->r;
    memset(f, 0, sizeof(*f));
    f->cli = (uint16_t)(chance(r, 900) ? below(r, NINTERNAL) : below(r, NHOSTS));
    do {
        f->srv = (uint16_t)(chance(r, 700) ? range(r, NINTERNAL, NHOSTS - 1) : below(r, NHOSTS));
    } while (f->srv == f->cli);
    f->v6 = chance(r, 300);
    f->sport = (uint16_t)range(r, 32768, 60999);
    uint32_t k = below(r, 1000);
    if (k < 660) {
        f->kind = FLOW_TCP;
        f->dport = tcp_ports[below(r, sizeof(tcp_ports) / sizeof(tcp_ports[0]))];
        f->steps = (uint16_t)range(r, 4, 100);
        f->ecn = chance(r, 100);
        f->tsopt = chance(r, 700);
    } else if (k < 690) {
        f->kind = FLOW_SCAN;
        f->dport = (uint16_t)range(r, 1, 1024);
    } else if (k < 800) {
        f->kind = FLOW_UDP;
        f->dport = udp_ports[below(r, sizeof(udp_ports) / sizeof(udp_ports[0]))];
        f->steps = (uint16_t)range(r, 1, 30);
    } else if (k < 940) {
        f->kind = FLOW_DNS;
        f->dport = 53;
    } else {
        f->kind = FLOW_ICMP;
        f->sport = (uint16_t)below(r, 65536); /* echo identifier */
        f->dport = 0;
        f->steps = (uint16_t)range(r, 1, 8);
    }
    if (f->v6) {
        if (chance(r, 30))
            f->hbh |= EXT_HBH;
        if (chance(r, 20))
            f->hbh |= EXT_DST;
        if (chance(r, 10))
            f->hbh |= EXT_RH;
        if (chance(r, 10))
            f->hbh |= EXT_AH;
    } else {
        f->v4opt = chance(r, 20);
    }
    f->seq[0] = (uint32_t)rnd(r);
    f->seq[1] = (uint32_t)rnd(r);
    f->ipid[0] = (uint16_t)rnd(r);
    f->ipid[1] = (uint16_t)rnd(r);
}

/* ---- transport ------------------------------------------------------------------------ */

static void tcp_segment(struct gen *g, struct flow *f, int dir, uint16_t flags, size_t paylen)
{
    uint8_t *t = g->l4;
    size_t hl = 20;
    bool syn = flags & 0x002;
    put16(t, dir ? f->dport : f->sport);
    put16(t + 2, dir ? f->sport : f->dport);
    put32(t + 4, f->seq[dir]);
    put32(t + 8, (flags & 0x010) ? f->seq[!dir] : 0);
    put16(t + 14, (uint16_t)(syn ? 64240 : range(&g->r, 500, 4000)));
    put16(t + 18, 0);
    if (syn) { /* MSS, SACK permitted, timestamps, window scale */
        static const uint8_t o[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                      0, 0, 0,    0,    0, 0, 1, 3,  3, 7};
        memcpy(t + 20, o, 20);
        put32(t + 28, (uint32_t)rnd(&g->r));
        hl = 40;
    } else if (f->tsopt) {
        memcpy(t + 20, (const uint8_t[]){1, 1, 8, 10}, 4);
        put32(t + 24, (uint32_t)rnd(&g->r));
        put32(t + 28, (uint32_t)rnd(&g->r));
        hl = 32;
    }
    size_t room = gen_l4_room(g, f, dir) - hl;
    if (paylen > room)
        paylen = room;
    t[12] = (uint8_t)(hl / 4 << 4 | (flags >> 8 & 1));
    t[13] = (uint8_t)flags;
    memcpy(t + hl, gen_payload(g), paylen);
    f->seq[dir] += (uint32_t)paylen + (syn || (flags & 0x001) ? 1 : 0);
    g->stats[ST_TCP]++;
    gen_emit_ip(g, f, dir, 6, hl + paylen, false);
}

static size_t tcp_data_len(struct gen *g, struct flow *f, int dir)
{
    uint32_t k = below(&g->r, 100);
    if (dir == 1) /* server to client: downloads, mostly full segments */
        return k < 70 ? 65535 : range(&g->r, 1, 1400);
    return k < 10 ? range(&g->r, 200, 1400) : range(&g->r, 1, 500);
}

static void step_tcp(struct gen *g, struct flow *f)
{
    struct rng *r = &g->r;
    uint16_t s = f->step++;
    uint16_t ece_cwr = f->ecn ? 0x0c0 : 0;
    if (s == 0) {
        tcp_segment(g, f, 0, 0x002 | ece_cwr, 0); /* S (ECN setup: S E C) */
    } else if (s == 1) {
        tcp_segment(g, f, 1, 0x012 | (f->ecn ? 0x040 : 0), 0); /* SA (SA E) */
    } else if (s == 2) {
        tcp_segment(g, f, 0, 0x010, 0); /* A */
    } else if (s < 3 + f->steps) {
        int dir = chance(r, 700);
        if (chance(r, 250)) { /* a pure ACK from the receiving side */
            uint16_t fl = 0x010 | (f->ecn && chance(r, 40) ? 0x040 : 0);
            if (chance(r, 2))
                fl |= 0x100; /* the AE (former NS) bit, rarely */
            tcp_segment(g, f, !dir, fl, 0);
        } else {
            uint16_t fl = chance(r, 700) ? 0x018 : 0x010;
            if (f->ecn && chance(r, 30))
                fl |= 0x080;
            if (chance(r, 3))
                fl |= 0x020; /* URG */
            tcp_segment(g, f, dir, fl, tcp_data_len(g, f, dir));
        }
    } else {
        uint16_t e = (uint16_t)(s - 3 - f->steps);
        if (e == 0 && chance(r, 80)) {
            tcp_segment(g, f, chance(r, 500), 0x014, 0); /* RA: abort */
            f->step = 0xffff;
        } else if (e == 0) {
            tcp_segment(g, f, 0, 0x011, 0); /* FA */
        } else if (e == 1) {
            tcp_segment(g, f, 1, 0x011, 0); /* FA */
        } else {
            tcp_segment(g, f, 0, 0x010, 0); /* A */
            f->step = 0xffff;
        }
    }
}

static void step_scan(struct gen *g, struct flow *f)
{
    if (f->step++ == 0) {
        tcp_segment(g, f, 0, 0x002, 0);
    } else {
        tcp_segment(g, f, 1, chance(&g->r, 850) ? 0x014 : 0x012, 0);
        f->step = 0xffff;
    }
}

static void udp_datagram(struct gen *g, struct flow *f, int dir, size_t paylen, bool keep)
{
    uint8_t *u = g->l4;
    put16(u, dir ? f->dport : f->sport);
    put16(u + 2, dir ? f->sport : f->dport);
    put16(u + 4, (uint16_t)(8 + paylen));
    put16(u + 6, 0);
    if (!keep)
        memcpy(u + 8, gen_payload(g), paylen);
    g->stats[ST_UDP]++;
    gen_emit_ip(g, f, dir, 17, 8 + paylen, false);
}

static size_t dns_message(struct gen *g, struct flow *f, uint8_t *p, bool answer)
{
    struct rng *r = &g->r;
    uint32_t seed = f->seq[0];
    struct rng nr = {seed}; /* the same name in query and answer */
    bool aaaa = (seed & 3) == 0;
    put16(p, (uint16_t)seed);
    put16(p + 2, answer ? 0x8180 : 0x0100);
    put16(p + 4, 1);
    put16(p + 6, answer ? 1 : 0);
    put32(p + 8, 0);
    size_t n = 12;
    const char *lab[3] = {dns_names[below(&nr, 12)], dns_zones[below(&nr, 6)],
                          below(&nr, 2) ? "com" : "net"};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(lab[i]);
        p[n++] = (uint8_t)l;
        memcpy(p + n, lab[i], l);
        n += l;
    }
    p[n++] = 0;
    put16(p + n, aaaa ? 28 : 1);
    put16(p + n + 2, 1);
    n += 4;
    if (answer) {
        put16(p + n, 0xc00c);
        put16(p + n + 2, aaaa ? 28 : 1);
        put16(p + n + 4, 1);
        put32(p + n + 6, range(r, 30, 86400));
        put16(p + n + 10, aaaa ? 16 : 4);
        n += 12;
        memcpy(p + n, aaaa ? g->hosts[f->srv].v6 : g->hosts[f->srv].v4, aaaa ? 16 : 4);
        n += aaaa ? 16 : 4;
    }
    return n;
}

static void step_dns(struct gen *g, struct flow *f)
{
    int dir = f->step++ != 0;
    size_t n = dns_message(g, f, g->l4 + 8, dir);
    udp_datagram(g, f, dir, n, true);
    if (dir)
        f->step = 0xffff;
}

static void step_udp(struct gen *g, struct flow *f)
{
    struct rng *r = &g->r;
    int dir = chance(r, 500);
    size_t room = gen_l4_room(g, f, dir) - 8;
    size_t n = chance(r, 300) ? room : range(r, 16, 1200);
    udp_datagram(g, f, dir, n < room ? n : room, false);
    if (++f->step >= f->steps)
        f->step = 0xffff;
}

static void step_icmp(struct gen *g, struct flow *f)
{
    int dir = f->step & 1;
    uint8_t *p = g->l4;
    p[0] = f->v6 ? (dir ? 129 : 128) : (dir ? 0 : 8);
    p[1] = 0;
    put16(p + 4, f->sport);
    put16(p + 6, (uint16_t)(f->step / 2 + 1));
    memcpy(p + 8, g->pool + (f->sport & 0xfff), 56); /* reply echoes the request */
    g->stats[ST_ICMP]++;
    gen_emit_ip(g, f, dir, f->v6 ? 58 : 1, 64, false);
    if (++f->step >= 2 * f->steps)
        f->step = 0xffff;
}

/* ---- one-off packets ------------------------------------------------------------------ */

static void gen_arp(struct gen *g)
{
    struct rng *r = &g->r;
    const struct host *a = &g->hosts[below(r, NINTERNAL)];
    const struct host *b = &g->hosts[below(r, NINTERNAL)];
    bool reply = chance(r, 400);
    struct item *it = gen_push_item(g, a, b, ET_ARP);
    if (!reply)
        memset(it->dmac, 0xff, 6);
    uint8_t *p = it->data;
    put16(p, 1);
    put16(p + 2, ET_IPV4);
    p[4] = 6, p[5] = 4;
    put16(p + 6, reply ? 2 : 1);
    memcpy(p + 8, a->mac, 6);
    memcpy(p + 14, a->v4, 4);
    memset(p + 18, 0, 6);
    if (reply)
        memcpy(p + 18, b->mac, 6);
    memcpy(p + 24, b->v4, 4);
    it->len = 28;
    g->stats[ST_ARP]++;
}

static void gen_nd(struct gen *g)
{
    struct rng *r = &g->r;
    struct flow f = {0};
    f.cli = (uint16_t)below(r, NINTERNAL);
    f.srv = (uint16_t)below(r, NINTERNAL);
    f.v6 = 1;
    bool adv = chance(r, 450);
    const struct host *s = &g->hosts[f.cli], *t = &g->hosts[f.srv];
    uint8_t dst[16] = {0xff, 0x02, [11] = 1, [12] = 0xff};
    memcpy(dst + 13, t->v6 + 13, 3);
    const uint8_t *dip = dst;
    if (adv)
        dip = t->ll6;
    uint8_t *p = g->l4;
    p[0] = adv ? 136 : 135, p[1] = 0;
    put32(p + 4, adv ? 0x60000000u : 0); /* solicited + override */
    memcpy(p + 8, adv ? s->v6 : t->v6, 16);
    p[24] = adv ? 2 : 1, p[25] = 1; /* source / target link-layer address option */
    memcpy(p + 26, s->mac, 6);
    gen_l4_checksum(p, 32, 2, true, s->ll6, dip, 58, true);
    struct item *it = gen_push_item(g, s, t, ET_IPV6);
    if (!adv) {
        static const uint8_t mc[6] = {0x33, 0x33, 0xff};
        memcpy(it->dmac, mc, 3);
        memcpy(it->dmac + 3, dst + 13, 3);
    }
    size_t hl = gen_ip6_header(it->data, s->ll6, dip, 58, 32, 255, 0);
    memcpy(it->data + hl, p, 32);
    it->len = (uint16_t)(hl + 32);
    g->stats[ST_ND]++;
}

/* A large UDP datagram sent as 2 or 3 fragments. */
static void gen_fragments(struct gen *g, bool v6)
{
    struct rng *r = &g->r;
    struct flow f;
    spawn_flow(g, &f);
    f.v6 = v6;
    f.hbh = 0;
    f.v4opt = 0;
    f.kind = FLOW_UDP;
    f.dport = chance(r, 500) ? 53 : 5004;
    size_t n = range(r, 1600, 4000);
    uint8_t *u = g->l4;
    put16(u, f.sport);
    put16(u + 2, f.dport);
    put16(u + 4, (uint16_t)(8 + n));
    memcpy(u + 8, gen_payload(g), n);
    g->stats[v6 ? ST_FRAG6 : ST_FRAG4]++;
    gen_emit_ip(g, &f, 0, 17, 8 + n, true);
}

/* An IP packet whose protocol nobody here decodes (IPv4 proto 253, IPv6 no-next-header). */
static void gen_other(struct gen *g)
{
    struct flow f;
    spawn_flow(g, &f);
    f.hbh = 0;
    size_t n = range(&g->r, 20, 400);
    memcpy(g->l4, gen_payload(g), n);
    const struct host *s = &g->hosts[f.cli], *d = &g->hosts[f.srv];
    struct item *it = gen_push_item(g, s, d, f.v6 ? ET_IPV6 : ET_IPV4);
    size_t hl = f.v6 ? gen_ip6_header(it->data, s->v6, d->v6, 59, n, s->ttl, 0)
                     : gen_ip4_header(it->data, s, d, 253, n, f.ipid[0], 0, f.v4opt);
    memcpy(it->data + hl, g->l4, n);
    it->len = (uint16_t)(hl + n);
    g->stats[ST_OTHER]++;
}

/* Queues the next packet(s). */
static void generate(struct gen *g)
{
    struct rng *r = &g->r;
    bool arp_ok = g->link != LINKTYPE_RAW && g->link != LINKTYPE_NULL;
    uint32_t k = below(r, 1000);
    if (k < 8 && arp_ok)
        return gen_arp(g);
    if (k < 18)
        return gen_nd(g);
    if (k < 22)
        return gen_fragments(g, false);
    if (k < 24)
        return gen_fragments(g, true);
    if (k < 27)
        return gen_other(g);
    struct flow *f = &g->flows[below(r, NFLOWS)];
    switch (f->kind) {
    case FLOW_TCP:
        step_tcp(g, f);
        break;
    case FLOW_SCAN:
        step_scan(g, f);
        break;
    case FLOW_UDP:
        step_udp(g, f);
        break;
    case FLOW_DNS:
        step_dns(g, f);
        break;
    default:
        step_icmp(g, f);
        break;
    }
    if (f->step == 0xffff)
        spawn_flow(g, f);
}

void gen_init(struct gen *g, uint64_t seed, int link)
{
    g->r.s = seed ^ 0x6e65747669676c31ull; /* "netvigl1" */
    g->link = link;
    for (size_t i = 0; i < sizeof(g->pool); i += 8) {
        uint64_t v = rnd(&g->r);
        memcpy(g->pool + i, &v, 8);
    }
    init_hosts(g);
    for (int i = 0; i < NFLOWS; i++) {
        spawn_flow(g, &g->flows[i]);
        if (g->flows[i].kind == FLOW_TCP) /* start some flows mid-stream */
            g->flows[i].step = (uint16_t)(chance(&g->r, 600) ? 3 : 0);
    }
}

const struct item *gen_peek(struct gen *g)
{
    while (g->qlen == 0)
        generate(g);
    return &g->q[g->qhead];
}

void gen_pop(struct gen *g)
{
    g->qhead = (g->qhead + 1) % QUEUE_MAX;
    g->qlen--;
}
