/* nvg-gen-pcap: writes a deterministic synthetic capture with a realistic traffic mix.
 *
 *   nvg-gen-pcap -o FILE -n COUNT [--seed N] [--link ether|sll|sll2|raw|null] [--nano]
 *                [--pps N] [-v]
 *
 * The same arguments always give a byte-identical file: every choice comes from one
 * splitmix64 stream seeded by --seed, and timestamps start at a fixed instant
 * (2024-07-28T18:58:41Z) and advance by a jittered 1/pps.
 *
 * Traffic model: ~1000 dual-stack hosts (600 internal in 10.x / 2001:db8:1:1::/64 behind one
 * router, 400 external in 198.18.0.0/15 / 2001:db8::/32, both documentation / benchmarking
 * ranges) and a table of concurrent flows. TCP flows run a handshake (some with ECN
 * setup), data and ACKs in both directions, then FIN or RST; a few are SYN scans answered by
 * RST-ACK. UDP flows carry DNS (port 53, real queries and answers) or other datagrams; ICMP
 * and ICMPv6 flows are echo request/reply. Sprinkled in: ARP request/reply, ICMPv6 neighbour
 * solicitation/advertisement, IPv4 and IPv6 fragment trains (first and later fragments),
 * IPv4 options, IPv6 extension headers (hop-by-hop, destination options, routing (SRH,
 * segments left 0), AH, fragment) and a few packets of an unknown IP protocol. Internal hosts
 * may sit on an 802.1Q VLAN (a few on QinQ 0x88a8 or 0x9100 + 0x8100). IP, TCP, UDP and ICMP
 * lengths and checksums are correct. Frames are 60..1514 bytes on Ethernet (short ones
 * padded with zeros, as a NIC does); other link types carry the same IP packets behind
 * their own header (Linux SLL / SLL2, raw IP, BSD loopback with AF_INET6 as 24, 28 or 30),
 * where ARP is kept only for SLL / SLL2 and VLAN tags only for Ethernet.
 *
 * The file is written in this host's byte order (classic pcap, version 2.4, snaplen 65535,
 * microsecond magic or nanosecond magic with --nano); every frame is captured whole. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINKTYPE_NULL 0
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_LINUX_SLL2 276

#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_IPV6 0x86dd

#define NHOSTS 1000
#define NINTERNAL 600
#define NFLOWS 1024
#define MAXFRAME 1514
#define POOL_SIZE 65536
#define QUEUE_MAX 4

/* ---- random numbers ------------------------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t range(struct rng *r, uint32_t lo, uint32_t hi)
{
    return lo + below(r, hi - lo + 1);
}

static bool chance(struct rng *r, uint32_t per_mille)
{
    return below(r, 1000) < per_mille;
}

/* ---- byte helpers --------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Ones' complement sum of big-endian 16-bit words, not yet folded. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
    while (len >= 2) {
        sum += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)(p[0] << 8);
    return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* ---- the world: hosts and flows ------------------------------------------------------- */

struct host {
    uint8_t v4[4];
    uint8_t v6[16];
    uint8_t ll6[16]; /* link-local, for neighbour discovery */
    uint8_t mac[6];  /* external hosts carry the router's MAC */
    uint8_t ttl;     /* initial TTL / hop limit as seen on this link */
    uint8_t ntags;   /* VLAN tags on this host's frames (0..2) */
    uint16_t tpid;   /* outer tag type when ntags == 2 */
    uint16_t vlan[2];
};

enum flow_kind { FLOW_TCP, FLOW_SCAN, FLOW_UDP, FLOW_DNS, FLOW_ICMP };

struct flow {
    uint16_t cli, srv; /* host indexes */
    uint16_t sport, dport;
    uint8_t kind; /* enum flow_kind */
    uint8_t v6;
    uint8_t ecn;   /* TCP: ECN negotiated */
    uint8_t tsopt; /* TCP: timestamps option on every segment */
    uint8_t hbh;   /* IPv6 extension headers on this flow's packets (bitmask EXT_*) */
    uint8_t v4opt; /* IPv4 header with options */
    uint16_t step;
    uint16_t steps; /* data steps before closing */
    uint32_t seq[2];
    uint16_t ipid[2];
};

/* One frame's worth of network-layer bytes plus what the link header needs. */
struct item {
    uint16_t ethertype;
    uint8_t smac[6], dmac[6];
    const struct host *tagged; /* host whose VLAN tags apply, or NULL */
    uint8_t outgoing;          /* SLL packet type: sent by an internal host */
    uint16_t len;
    uint8_t data[MAXFRAME];
};

enum { EXT_HBH = 1, EXT_DST = 2, EXT_RH = 4, EXT_AH = 8 };

struct gen {
    struct rng r;
    int link;
    struct host hosts[NHOSTS];
    struct flow flows[NFLOWS];
    uint8_t pool[POOL_SIZE + 4096]; /* any payload() read of up to 4096 bytes stays inside */
    uint8_t router_mac[6];
    struct item q[QUEUE_MAX];
    int qhead, qlen;
    uint32_t frag_id;
    uint8_t l4[4096]; /* scratch: one transport segment before it is cut into frames */
    uint64_t stats[16];
};

enum { ST_ARP, ST_ND, ST_FRAG4, ST_FRAG6, ST_OTHER, ST_TCP, ST_UDP, ST_ICMP, ST_V6, ST_VLAN };

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

/* ---- building network-layer packets --------------------------------------------------- */

static struct item *push_item(struct gen *g, const struct host *from, const struct host *to,
                              uint16_t ethertype)
{
    struct item *it = &g->q[(g->qhead + g->qlen) % QUEUE_MAX];
    g->qlen++;
    it->ethertype = ethertype;
    memcpy(it->smac, from->mac, 6);
    memcpy(it->dmac, to->mac, 6);
    bool from_int = from - g->hosts < NINTERNAL, to_int = to - g->hosts < NINTERNAL;
    it->tagged = from_int ? from : (to_int ? to : NULL);
    it->outgoing = from_int;
    it->len = 0;
    return it;
}

/* Fills a transport checksum at l4[off] over the pseudo-header and the whole segment. */
static void l4_checksum(uint8_t *l4, size_t len, size_t off, bool v6, const uint8_t *src,
                        const uint8_t *dst, uint8_t proto, bool pseudo)
{
    uint64_t sum = 0;
    put16(l4 + off, 0);
    if (pseudo) {
        sum = csum_add(sum, src, v6 ? 16 : 4);
        sum = csum_add(sum, dst, v6 ? 16 : 4);
        sum += proto;
        sum += (uint32_t)len;
    }
    sum = csum_add(sum, l4, len);
    uint16_t c = csum_fold(sum);
    if (c == 0 && proto == 17)
        c = 0xffff;
    put16(l4 + off, c);
}

static size_t ip4_header(uint8_t *p, const struct host *s, const struct host *d, uint8_t proto,
                         size_t paylen, uint16_t id, uint16_t frag, bool opts)
{
    size_t hl = opts ? 24 : 20;
    p[0] = (uint8_t)(0x40 | hl / 4);
    p[1] = 0;
    put16(p + 2, (uint16_t)(hl + paylen));
    put16(p + 4, id);
    put16(p + 6, frag);
    p[8] = s->ttl;
    p[9] = proto;
    put16(p + 10, 0);
    memcpy(p + 12, s->v4, 4);
    memcpy(p + 16, d->v4, 4);
    if (opts) { /* router alert (RFC 2113) */
        p[20] = 0x94, p[21] = 4, p[22] = 0, p[23] = 0;
    }
    put16(p + 10, csum_fold(csum_add(0, p, hl)));
    return hl;
}

static size_t ip6_header(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t nh,
                         size_t paylen, uint8_t hlim, uint32_t label)
{
    put32(p, 0x60000000u | (label & 0xfffff));
    put16(p + 4, (uint16_t)paylen);
    p[6] = nh;
    p[7] = hlim;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    return 40;
}

/* Writes the extension headers chosen by mask (in RFC 8200 order) ending in `last`; returns
 * their length and sets *first to the next-header value for the IPv6 header. */
static size_t ip6_exts(struct gen *g, uint8_t *p, unsigned mask, uint8_t last, uint8_t *first,
                       const uint8_t *dst)
{
    static const uint8_t order[] = {EXT_HBH, EXT_DST, EXT_RH, EXT_AH};
    static const uint8_t nhval[] = {0, 60, 43, 51};
    size_t n = 0;
    uint8_t *prev_nh = first;
    for (int i = 0; i < 4; i++) {
        if (!(mask & order[i]))
            continue;
        *prev_nh = nhval[i];
        uint8_t *h = p + n;
        prev_nh = h;
        switch (order[i]) {
        case EXT_HBH: /* router alert + PadN */
            memcpy(h, (const uint8_t[]){0, 0, 5, 2, 0, 0, 1, 0}, 8);
            n += 8;
            break;
        case EXT_DST: /* PadN only */
            memcpy(h, (const uint8_t[]){0, 0, 1, 4, 0, 0, 0, 0}, 8);
            n += 8;
            break;
        case EXT_RH: /* segment routing header, segments left 0, one segment = dst */
            memcpy(h, (const uint8_t[]){0, 2, 4, 0, 0, 0, 0, 0}, 8);
            memcpy(h + 8, dst, 16);
            n += 24;
            break;
        case EXT_AH: /* AH with a 96-bit ICV: 24 bytes, length field 24/4 - 2 */
            h[1] = 4, h[2] = 0, h[3] = 0;
            put32(h + 4, 0x1000 + below(&g->r, 16));
            put32(h + 8, (uint32_t)rnd(&g->r) & 0xffffff);
            memcpy(h + 12, g->pool + below(&g->r, POOL_SIZE), 12);
            n += 24;
            break;
        }
    }
    *prev_nh = last;
    return n;
}

/* Turns the transport segment in g->l4 into one IP packet (or a train of fragments). */
static void emit_ip(struct gen *g, const struct flow *f, int dir, uint8_t proto, size_t l4len,
                    bool fragment)
{
    const struct host *s = &g->hosts[dir ? f->srv : f->cli];
    const struct host *d = &g->hosts[dir ? f->cli : f->srv];
    bool v6 = f->v6;
    size_t csum_off = proto == 6 ? 16 : proto == 17 ? 6 : 2;
    l4_checksum(g->l4, l4len, csum_off, v6, v6 ? s->v6 : s->v4, v6 ? d->v6 : d->v4, proto,
                proto != 1);
    uint16_t id = (uint16_t)(f->ipid[dir] + f->step);

    if (!fragment) {
        struct item *it = push_item(g, s, d, v6 ? ET_IPV6 : ET_IPV4);
        size_t hl;
        if (v6) {
            uint8_t ext[64], first;
            size_t el = ip6_exts(g, ext, f->hbh, proto, &first, d->v6);
            hl = ip6_header(it->data, s->v6, d->v6, first, el + l4len, s->ttl, f->sport);
            memcpy(it->data + hl, ext, el);
            hl += el;
        } else {
            hl = ip4_header(it->data, s, d, proto, l4len, id, 0x4000, f->v4opt);
        }
        memcpy(it->data + hl, g->l4, l4len);
        it->len = (uint16_t)(hl + l4len);
        return;
    }

    /* A fragment train: every fragment but the last carries a multiple of 8 bytes. */
    size_t hl = v6 ? 48 : 20;
    size_t chunk = ((MAXFRAME - 14 - 8 - hl) / 8) * 8; /* room for two VLAN tags */
    uint32_t fid = ++g->frag_id;
    for (size_t off = 0; off < l4len; off += chunk) {
        size_t n = l4len - off < chunk ? l4len - off : chunk;
        bool more = off + n < l4len;
        struct item *it = push_item(g, s, d, v6 ? ET_IPV6 : ET_IPV4);
        if (v6) {
            ip6_header(it->data, s->v6, d->v6, 44, 8 + n, s->ttl, 0);
            uint8_t *fh = it->data + 40;
            fh[0] = proto, fh[1] = 0;
            put16(fh + 2, (uint16_t)((off / 8) << 3 | more));
            put32(fh + 4, fid);
        } else {
            ip4_header(it->data, s, d, proto, n, (uint16_t)fid,
                       (uint16_t)((more ? 0x2000 : 0) | off / 8), false);
        }
        memcpy(it->data + hl, g->l4 + off, n);
        it->len = (uint16_t)(hl + n);
    }
}

/* Largest transport segment that still fits a 1514-byte Ethernet frame for this flow. */
static size_t l4_room(const struct gen *g, const struct flow *f, int dir)
{
    const struct host *s = &g->hosts[dir ? f->srv : f->cli];
    const struct host *d = &g->hosts[dir ? f->cli : f->srv];
    const struct host *t = s - g->hosts < NINTERNAL ? s : d;
    size_t room = MAXFRAME - 14 - 4u * (t - g->hosts < NINTERNAL ? t->ntags : 0);
    if (f->v6) {
        room -= 40;
        room -= (f->hbh & EXT_HBH ? 8 : 0) + (f->hbh & EXT_DST ? 8 : 0);
        room -= (f->hbh & EXT_RH ? 24 : 0) + (f->hbh & EXT_AH ? 24 : 0);
    } else {
        room -= f->v4opt ? 24 : 20;
    }
    return room;
}

static const uint8_t *payload(struct gen *g)
{
    return g->pool + below(&g->r, POOL_SIZE);
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
    size_t room = l4_room(g, f, dir) - hl;
    if (paylen > room)
        paylen = room;
    t[12] = (uint8_t)(hl / 4 << 4 | (flags >> 8 & 1));
    t[13] = (uint8_t)flags;
    memcpy(t + hl, payload(g), paylen);
    f->seq[dir] += (uint32_t)paylen + (syn || (flags & 0x001) ? 1 : 0);
    g->stats[ST_TCP]++;
    emit_ip(g, f, dir, 6, hl + paylen, false);
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
        memcpy(u + 8, payload(g), paylen);
    g->stats[ST_UDP]++;
    emit_ip(g, f, dir, 17, 8 + paylen, false);
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
    size_t room = l4_room(g, f, dir) - 8;
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
    emit_ip(g, f, dir, f->v6 ? 58 : 1, 64, false);
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
    struct item *it = push_item(g, a, b, ET_ARP);
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
    l4_checksum(p, 32, 2, true, s->ll6, dip, 58, true);
    struct item *it = push_item(g, s, t, ET_IPV6);
    if (!adv) {
        static const uint8_t mc[6] = {0x33, 0x33, 0xff};
        memcpy(it->dmac, mc, 3);
        memcpy(it->dmac + 3, dst + 13, 3);
    }
    size_t hl = ip6_header(it->data, s->ll6, dip, 58, 32, 255, 0);
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
    memcpy(u + 8, payload(g), n);
    g->stats[v6 ? ST_FRAG6 : ST_FRAG4]++;
    emit_ip(g, &f, 0, 17, 8 + n, true);
}

/* An IP packet whose protocol nobody here decodes (IPv4 proto 253, IPv6 no-next-header). */
static void gen_other(struct gen *g)
{
    struct flow f;
    spawn_flow(g, &f);
    f.hbh = 0;
    size_t n = range(&g->r, 20, 400);
    memcpy(g->l4, payload(g), n);
    const struct host *s = &g->hosts[f.cli], *d = &g->hosts[f.srv];
    struct item *it = push_item(g, s, d, f.v6 ? ET_IPV6 : ET_IPV4);
    size_t hl = f.v6 ? ip6_header(it->data, s->v6, d->v6, 59, n, s->ttl, 0)
                     : ip4_header(it->data, s, d, 253, n, f.ipid[0], 0, f.v4opt);
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

/* ---- link layer and file -------------------------------------------------------------- */

/* Writes the frame for one queued item into out; returns its length. */
static size_t frame(struct gen *g, const struct item *it, uint8_t *out)
{
    size_t n = 0;
    switch (g->link) {
    case LINKTYPE_ETHERNET: {
        memcpy(out, it->dmac, 6);
        memcpy(out + 6, it->smac, 6);
        n = 12;
        const struct host *t = it->tagged;
        if (t && t->ntags) {
            g->stats[ST_VLAN]++;
            if (t->ntags == 2) {
                put16(out + n, t->tpid);
                put16(out + n + 2, t->vlan[0]);
                n += 4;
            }
            put16(out + n, 0x8100);
            put16(out + n + 2, t->vlan[t->ntags - 1]);
            n += 4;
        }
        put16(out + n, it->ethertype);
        n += 2;
        break;
    }
    case LINKTYPE_LINUX_SLL:
        put16(out, it->outgoing ? 4 : 0);
        put16(out + 2, 1);
        put16(out + 4, 6);
        memcpy(out + 6, it->smac, 6);
        out[12] = out[13] = 0;
        put16(out + 14, it->ethertype);
        n = 16;
        break;
    case LINKTYPE_LINUX_SLL2:
        put16(out, it->ethertype);
        put16(out + 2, 0);
        put32(out + 4, 2); /* interface index */
        put16(out + 8, 1); /* ARPHRD_ETHER */
        out[10] = it->outgoing ? 4 : 0;
        out[11] = 6;
        memcpy(out + 12, it->smac, 6);
        out[18] = out[19] = 0;
        n = 20;
        break;
    case LINKTYPE_NULL: {
        static const uint32_t af6[] = {24, 28, 30};
        uint32_t af = it->ethertype == ET_IPV6 ? af6[it->data[39] % 3] : 2; /* AF_INET */
        memcpy(out, &af, 4); /* host byte order, like the file */
        n = 4;
        break;
    }
    default: /* LINKTYPE_RAW */
        break;
    }
    memcpy(out + n, it->data, it->len);
    n += it->len;
    if (g->link == LINKTYPE_ETHERNET && n < 60) {
        memset(out + n, 0, 60 - n);
        n = 60;
    }
    return n;
}

struct writer {
    FILE *fp;
    uint8_t *buf;
    size_t used, cap;
};

static int wflush(struct writer *w)
{
    if (w->used && fwrite(w->buf, 1, w->used, w->fp) != w->used)
        return -1;
    w->used = 0;
    return 0;
}

static uint8_t *wreserve(struct writer *w, size_t n)
{
    if (w->used + n > w->cap && wflush(w) < 0)
        return NULL;
    return w->buf + w->used;
}

static int parse_link(const char *s)
{
    static const struct {
        const char *name;
        int dlt;
    } names[] = {{"ether", LINKTYPE_ETHERNET}, {"en10mb", LINKTYPE_ETHERNET},
                 {"sll", LINKTYPE_LINUX_SLL},  {"sll2", LINKTYPE_LINUX_SLL2},
                 {"raw", LINKTYPE_RAW},        {"null", LINKTYPE_NULL}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].dlt;
    return -1;
}

static void usage(FILE *fp)
{
    fputs("usage: nvg-gen-pcap -o FILE -n COUNT [--seed N] [--link ether|sll|sll2|raw|null]\n"
          "                    [--nano] [--pps N] [-v]\n"
          "Writes a deterministic synthetic pcap (same arguments, same bytes). FILE may be -.\n"
          "  --pps N   mean packets per second of the timestamps (default 100000)\n"
          "  --nano    nanosecond-resolution pcap (default microseconds)\n"
          "  -v        print a summary of the mix to stderr\n",
          fp);
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        return false;
    *v = x;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"count", required_argument, NULL, 'n'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"link", required_argument, NULL, 'l'},
                                             {"nano", no_argument, NULL, 'N'},
                                             {"pps", required_argument, NULL, 'p'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *out = NULL;
    uint64_t count = 0, seed = 1, pps = 100000;
    bool have_count = false, nano = false, verbose = false;
    int link = LINKTYPE_ETHERNET, c;
    while ((c = getopt_long(argc, argv, "o:n:s:l:p:vh", longopts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'n':
            ok = have_count = parse_u64(optarg, &count);
            break;
        case 's':
            ok = parse_u64(optarg, &seed);
            break;
        case 'p':
            ok = parse_u64(optarg, &pps) && pps > 0 && pps <= 1000000000;
            break;
        case 'l':
            ok = (link = parse_link(optarg)) >= 0;
            break;
        case 'N':
            nano = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "nvg-gen-pcap: bad value for --%s: %s\n",
                    c == 'n'   ? "count"
                    : c == 's' ? "seed"
                    : c == 'p' ? "pps"
                               : "link",
                    optarg);
            return 2;
        }
    }
    if (!out || !have_count || optind != argc) {
        usage(stderr);
        return 2;
    }

    struct gen *g = calloc(1, sizeof(*g));
    struct writer w = {.cap = 4u << 20};
    w.buf = malloc(w.cap);
    if (!g || !w.buf) {
        fprintf(stderr, "nvg-gen-pcap: out of memory\n");
        return 1;
    }
    w.fp = strcmp(out, "-") == 0 ? stdout : fopen(out, "wb");
    if (!w.fp) {
        fprintf(stderr, "nvg-gen-pcap: %s: %s\n", out, strerror(errno));
        return 1;
    }
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

    /* File header, host byte order: magic, version 2.4, thiszone, sigfigs, snaplen, link. */
    uint32_t magic = nano ? 0xa1b23c4du : 0xa1b2c3d4u, rest[4] = {0, 0, 65535, (uint32_t)link};
    uint16_t ver[2] = {2, 4};
    memcpy(w.buf, &magic, 4);
    memcpy(w.buf + 4, ver, 4);
    memcpy(w.buf + 8, rest, 16);
    w.used = 24;

    const uint64_t t0 = 1722193121ull * 1000000000ull; /* 2024-07-28T18:58:41Z */
    const uint64_t step = 1000000000ull / pps;
    uint64_t t = t0, bytes = 0, minlen = UINT64_MAX, maxlen = 0;
    for (uint64_t i = 0; i < count; i++) {
        while (g->qlen == 0)
            generate(g);
        const struct item *it = &g->q[g->qhead];
        uint8_t *rec = wreserve(&w, 16 + MAXFRAME + 64);
        if (!rec)
            break;
        uint32_t n = (uint32_t)frame(g, it, rec + 16);
        g->qhead = (g->qhead + 1) % QUEUE_MAX;
        g->qlen--;
        if (i)
            t += step / 2 + (step ? rnd(&g->r) % (step + 1) : 0) + (step < 2);
        uint32_t rh[4] = {(uint32_t)(t / 1000000000u),
                          (uint32_t)(t % 1000000000u / (nano ? 1 : 1000)), n, n};
        memcpy(rec, rh, 16);
        w.used += 16 + n;
        bytes += n;
        minlen = n < minlen ? n : minlen;
        maxlen = n > maxlen ? n : maxlen;
        if (it->ethertype == ET_IPV6)
            g->stats[ST_V6]++;
    }
    int rc = 0;
    if (wflush(&w) < 0 || fflush(w.fp) != 0 || ferror(w.fp)) {
        fprintf(stderr, "nvg-gen-pcap: %s: write failed: %s\n", out, strerror(errno));
        rc = 1;
    }
    if (w.fp != stdout && fclose(w.fp) != 0 && rc == 0) {
        fprintf(stderr, "nvg-gen-pcap: %s: %s\n", out, strerror(errno));
        rc = 1;
    }
    if (verbose && count) {
        fprintf(stderr,
                "nvg-gen-pcap: %" PRIu64 " packets, %" PRIu64 " bytes, mean %.1f, min %" PRIu64
                ", max %" PRIu64 ", span %.3f s\n"
                "  generated: tcp %" PRIu64 " udp %" PRIu64 " icmp-echo %" PRIu64 " arp %" PRIu64
                " nd %" PRIu64 " frag4-trains %" PRIu64 " frag6-trains %" PRIu64 " other %" PRIu64
                "\n  written: ipv6 %" PRIu64 " vlan-tagged %" PRIu64 "\n",
                count, bytes, (double)bytes / (double)count, minlen, maxlen, (double)(t - t0) / 1e9,
                g->stats[ST_TCP], g->stats[ST_UDP], g->stats[ST_ICMP], g->stats[ST_ARP],
                g->stats[ST_ND], g->stats[ST_FRAG4], g->stats[ST_FRAG6], g->stats[ST_OTHER],
                g->stats[ST_V6], g->stats[ST_VLAN]);
    }
    free(w.buf);
    free(g);
    return rc;
}
