/* The detectors: one pass per record over fixed tables; see nvg-detect.h for the model and
 * README "Alerts" for what each detector counts. */
#include <math.h>
#include <stdlib.h>

#include "detect-internal.h"

#define NS 1000000000LL

static uint16_t lc_table[NVG__LC_BITS + 1];
const uint16_t *nvg__lc_estimate = lc_table;

void nvg__lc_init(void)
{
    /* n = -m ln(zeros / m); all bits set saturates at m ln m. */
    for (unsigned ones = 0; ones <= NVG__LC_BITS; ones++) {
        double zeros = (double)(NVG__LC_BITS - ones);
        double m = NVG__LC_BITS;
        double n = zeros > 0 ? -m * log(zeros / m) : m * log(m);
        lc_table[ones] = (uint16_t)(n + 0.5);
    }
}

void *nvg__table_get(struct nvg__table *t, const void *key, uint64_t hash, int64_t now, bool insert,
                     bool *fresh)
{
    struct nvg__slot *victim = NULL;
    bool victim_live = false;
    for (unsigned i = 0; i < NVG__PROBES; i++) {
        struct nvg__slot *s = &t->slots[(hash + i) & t->mask];
        bool unused = s->last_ns == 0;
        bool live = !unused && now - s->last_ns < t->idle_ns;
        uint8_t *e = t->mem + (size_t)(s - t->slots) * t->esz;
        if (live && s->hash == hash && memcmp(e + t->keyoff, key, t->keylen) == 0) {
            s->last_ns = now;
            if (fresh)
                *fresh = false;
            return e;
        }
        if (!live) {
            if (!victim || victim_live) {
                victim = s;
                victim_live = false;
            }
            /* A never-used slot ends the search: inserts take the first slot not live, and a
             * slot is never unused again, so the key cannot lie past it. */
            if (unused)
                break;
        } else if (!victim || (victim_live && s->last_ns < victim->last_ns)) {
            victim = s;
            victim_live = true;
        }
    }
    if (!insert)
        return NULL;
    if (victim_live)
        (*t->evictions)++;
    uint8_t *e = t->mem + (size_t)(victim - t->slots) * t->esz;
    memset(e, 0, t->esz);
    struct nvg__hdr *h = (struct nvg__hdr *)e;
    h->hash = victim->hash = hash;
    h->last_ns = victim->last_ns = now;
    memcpy(e + t->keyoff, key, t->keylen);
    if (fresh)
        *fresh = true;
    return e;
}

/* ---- entries ---- */

enum { KIND_SYN = 1, KIND_FIN = 2, KIND_NULL = 4, KIND_XMAS = 8, KIND_UDP = 16 };

struct pair_key {
    uint8_t s[16], t[16];
    uint8_t ver, pad[3];
};

struct pair {
    struct nvg__hdr h;
    struct pair_key k;
    int64_t win_ns;
    uint32_t probes_n, opens_n, failed_n, snap_n, snap_open;
    uint32_t unreach, rst;
    uint32_t unans_hit; /* unanswered probes the alert was last told of (the pass) */
    uint8_t kinds;
    int64_t bf_win_ns;
    uint32_t bf_count;
    uint16_t
        bf_port; /* attempts count to one service: a scan crossing auth ports is no brute force */
    struct nvg__lc probes, opens, failed;
};

struct sweep_key {
    uint8_t s[16];
    uint8_t ver, proto;
    uint16_t port;
};

struct sweep {
    struct nvg__hdr h;
    struct sweep_key k;
    int64_t win_ns;
    uint32_t probed_n, answered_n, snap_n, snap_ans;
    uint32_t unans_hit;
    uint8_t recent[NVG_ALERT_TARGETS][16];
    uint8_t n_recent;
    unsigned sensor;
    struct nvg__lc probed, answered;
};

struct target_key {
    uint8_t t[16];
    uint8_t ver, pad[3];
};

struct target {
    struct nvg__hdr h;
    struct target_key k;
    int64_t sec;
    uint32_t pkts, syn, ack, udp, icmp, over_s;
    /* The port most of this second's SYNs go to, and its majority-vote count (Boyer-Moore):
     * a flood hammers one service, a port scan spreads over many and never builds one up. */
    uint32_t syn_port_n;
    uint16_t syn_port;
    uint64_t bytes;
    double avg_pps;
    uint32_t hist_s;
};

struct arp_key {
    uint8_t ip[4];
};

struct arp_bind {
    struct nvg__hdr h;
    struct arp_key k;
    uint8_t mac[6];
    int64_t seen_ns; /* last time the bound MAC claimed the IP */
};

/* ---- helpers ---- */

static bool multicast(const uint8_t *a, uint8_t ver)
{
    if (ver == 4)
        return a[0] >= 224 || (a[0] == 0);
    return a[0] == 0xff;
}

static inline unsigned port_bit(uint16_t port)
{
    return nvg__lc_bit(nvg__mix64(port + 0x51ed27ULL));
}

static inline unsigned addr_bit(const uint8_t *a)
{
    return nvg__lc_bit(nvg__hash_bytes(a, 16, 7));
}

static struct pair *pair_get(struct nvg_detect *d, const uint8_t *s, const uint8_t *t, uint8_t ver,
                             int64_t now, bool insert)
{
    struct pair_key k;
    memset(&k, 0, sizeof(k));
    memcpy(k.s, s, 16);
    memcpy(k.t, t, 16);
    k.ver = ver;
    struct pair *p =
        nvg__table_get(&d->pairs, &k, nvg__hash_bytes(&k, sizeof(k), 1), now, insert, NULL);
    if (!p)
        return NULL;
    if (now - p->win_ns > d->rules.scan_window_ns) {
        /* A new window; evidence older than it no longer counts. */
        memset(&p->probes_n, 0, offsetof(struct pair, bf_win_ns) - offsetof(struct pair, probes_n));
        memset(&p->probes, 0, 3 * sizeof(struct nvg__lc));
        p->win_ns = now;
    }
    p->h.last_ns = now;
    return p;
}

static struct sweep *sweep_get(struct nvg_detect *d, const uint8_t *s, uint8_t ver, uint8_t proto,
                               uint16_t port, int64_t now, bool insert)
{
    struct sweep_key k;
    memset(&k, 0, sizeof(k));
    memcpy(k.s, s, 16);
    k.ver = ver;
    k.proto = proto;
    k.port = port;
    struct sweep *w =
        nvg__table_get(&d->sweeps, &k, nvg__hash_bytes(&k, sizeof(k), 2), now, insert, NULL);
    if (!w)
        return NULL;
    if (now - w->win_ns > d->rules.sweep_window_ns) {
        memset(&w->probed_n, 0, offsetof(struct sweep, sensor) - offsetof(struct sweep, probed_n));
        memset(&w->probed, 0, 2 * sizeof(struct nvg__lc));
        w->win_ns = now;
    }
    w->h.last_ns = now;
    return w;
}

static void sweep_probe(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt,
                        uint8_t proto, uint16_t port)
{
    if (multicast(pkt->dst, pkt->ip_version))
        return;
    struct sweep *w = sweep_get(d, pkt->src, pkt->ip_version, proto, port, pkt->ts_ns, true);
    if (nvg__lc_add(&w->probed, &w->probed_n, addr_bit(pkt->dst)) &&
        w->n_recent < NVG_ALERT_TARGETS)
        memcpy(w->recent[w->n_recent++], pkt->dst, 16);
    w->sensor = sensor;
}

/* A reply from pkt->src to the prober pkt->dst. */
static void sweep_answer(struct nvg_detect *d, const struct nvg_pkt *pkt, uint8_t proto,
                         uint16_t port)
{
    struct sweep *w = sweep_get(d, pkt->dst, pkt->ip_version, proto, port, pkt->ts_ns, false);
    if (w && nvg__lc_has(&w->probed, addr_bit(pkt->src)))
        (void)nvg__lc_add(&w->answered, &w->answered_n, addr_bit(pkt->src));
}

static void scan_hit(struct nvg_detect *d, struct pair *p, unsigned sensor, int64_t ts,
                     uint32_t bytes, uint32_t count)
{
    struct nvg__alert *al =
        nvg__alert_hit(d, NVG_DET_PORTSCAN, p->k.s, p->k.t, p->k.ver, 0, sensor, ts, bytes);
    if (!al)
        return;
    struct nvg_alert *a = &al->a;
    if (count > a->count)
        a->count = count;
    a->closed = nvg__lc_estimate[p->failed_n] + p->unreach;
    a->proto = (p->kinds & KIND_UDP) && !(p->kinds & ~KIND_UDP) ? NVG_PROTO_UDP : NVG_PROTO_TCP;
    a->probe_kinds = p->kinds; /* for the summary (detect-alert.c) */
}

static void scan_eval(struct nvg_detect *d, struct pair *p, unsigned sensor,
                      const struct nvg_pkt *pkt)
{
    uint32_t failed = nvg__lc_estimate[p->failed_n];
    if (failed >= d->rules.scan_ports)
        scan_hit(d, p, sensor, pkt->ts_ns, pkt->wire_len, nvg__lc_estimate[p->probes_n]);
    else if (p->unreach >= d->rules.scan_ports &&
             nvg__lc_estimate[p->probes_n] >= d->rules.scan_ports)
        /* Port unreachables count only with as many distinct ports probed: a client that
         * keeps retrying one closed service is not scanning (AFS's 7000-7009, say). */
        scan_hit(d, p, sensor, pkt->ts_ns, pkt->wire_len, p->unreach);
}

/* ---- TCP ---- */

static void brute_force(struct nvg_detect *d, struct pair *p, unsigned sensor,
                        const struct nvg_pkt *pkt)
{
    if (!d->rules.enabled[NVG_DET_BRUTEFORCE] ||
        !(d->rules.bf_ports[pkt->dport >> 3] & (1u << (pkt->dport & 7))))
        return;
    if (pkt->ts_ns - p->bf_win_ns > d->rules.bf_window_ns || p->bf_port != pkt->dport) {
        p->bf_win_ns = pkt->ts_ns;
        p->bf_count = 0;
        p->bf_port = pkt->dport;
    }
    if (++p->bf_count < d->rules.bf_attempts)
        return;
    struct nvg__alert *al = nvg__alert_hit(d, NVG_DET_BRUTEFORCE, p->k.s, p->k.t, p->k.ver,
                                           pkt->dport, sensor, pkt->ts_ns, pkt->wire_len);
    if (al) {
        al->a.port = pkt->dport;
        al->a.proto = NVG_PROTO_TCP;
        al->a.count++;
        if (al->a.count < p->bf_count)
            al->a.count = p->bf_count;
    }
}

static void tcp(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt)
{
    unsigned f = pkt->tcp_flags & (NVG_TCP_FIN | NVG_TCP_SYN | NVG_TCP_RST | NVG_TCP_PSH |
                                   NVG_TCP_ACK | NVG_TCP_URG);
    bool scan = d->rules.enabled[NVG_DET_PORTSCAN];
    uint8_t kind = 0;
    if (f == NVG_TCP_SYN)
        kind = KIND_SYN;
    else if (f == NVG_TCP_FIN)
        kind = KIND_FIN;
    else if (f == 0)
        kind = KIND_NULL;
    else if (f == (NVG_TCP_FIN | NVG_TCP_PSH | NVG_TCP_URG))
        kind = KIND_XMAS;

    if (kind) {
        if (multicast(pkt->dst, pkt->ip_version))
            return;
        struct pair *p = pair_get(d, pkt->src, pkt->dst, pkt->ip_version, pkt->ts_ns, true);
        (void)nvg__lc_add(&p->probes, &p->probes_n, port_bit(pkt->dport));
        p->kinds |= kind;
        if (kind == KIND_SYN) {
            brute_force(d, p, sensor, pkt);
            if (d->rules.enabled[NVG_DET_SWEEP])
                sweep_probe(d, sensor, pkt, NVG_PROTO_TCP, pkt->dport);
        }
        return;
    }
    if ((f & (NVG_TCP_SYN | NVG_TCP_ACK)) == (NVG_TCP_SYN | NVG_TCP_ACK)) {
        struct pair *p = pair_get(d, pkt->dst, pkt->src, pkt->ip_version, pkt->ts_ns, false);
        unsigned b = port_bit(pkt->sport);
        if (p && nvg__lc_has(&p->probes, b))
            (void)nvg__lc_add(&p->opens, &p->opens_n, b);
        if (d->rules.enabled[NVG_DET_SWEEP])
            sweep_answer(d, pkt, NVG_PROTO_TCP, pkt->sport);
        return;
    }
    if ((f & NVG_TCP_RST) && scan) {
        /* Only a RST from a port that was probed is a refusal: a client's abortive close from
         * an ephemeral port is not. */
        struct pair *p = pair_get(d, pkt->dst, pkt->src, pkt->ip_version, pkt->ts_ns, false);
        unsigned b = port_bit(pkt->sport);
        if (p && nvg__lc_has(&p->probes, b) && !nvg__lc_has(&p->opens, b)) {
            p->rst++;
            if (nvg__lc_add(&p->failed, &p->failed_n, b))
                scan_eval(d, p, sensor, pkt);
            else if (nvg__lc_estimate[p->failed_n] >= d->rules.scan_ports)
                scan_eval(d, p, sensor, pkt);
        }
    }
}

/* ---- UDP, ICMP ---- */

static void udp(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt)
{
    /* The lower port answers: replies come from the service port. */
    if (pkt->sport < pkt->dport && pkt->sport < 1024) {
        if (d->rules.enabled[NVG_DET_SWEEP])
            sweep_answer(d, pkt, NVG_PROTO_UDP, pkt->sport);
        return;
    }
    if (d->rules.enabled[NVG_DET_PORTSCAN] && !multicast(pkt->dst, pkt->ip_version)) {
        /* The distinct ports probed, which the port unreachables are judged against. */
        struct pair *p = pair_get(d, pkt->src, pkt->dst, pkt->ip_version, pkt->ts_ns, true);
        (void)nvg__lc_add(&p->probes, &p->probes_n, port_bit(pkt->dport));
    }
    if (d->rules.enabled[NVG_DET_SWEEP])
        sweep_probe(d, sensor, pkt, NVG_PROTO_UDP, pkt->dport);
}

static void icmp(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt)
{
    bool v6 = pkt->ip_version == 6;
    uint8_t type = pkt->icmp_type;
    bool echo = v6 ? type == 128 : type == 8;
    bool reply = v6 ? type == 129 : type == 0;
    bool unreach = v6 ? (type == 1 && pkt->icmp_code == 4) : (type == 3 && pkt->icmp_code == 3);
    if (echo && d->rules.enabled[NVG_DET_SWEEP])
        sweep_probe(d, sensor, pkt, NVG_PROTO_ICMP, 0);
    else if (reply && d->rules.enabled[NVG_DET_SWEEP])
        sweep_answer(d, pkt, NVG_PROTO_ICMP, 0);
    else if (unreach && d->rules.enabled[NVG_DET_PORTSCAN]) {
        /* Port unreachable from the target: a refused UDP probe (the quoted port is not in
         * the record, so these are counted as packets). */
        struct pair *p = pair_get(d, pkt->dst, pkt->src, pkt->ip_version, pkt->ts_ns, true);
        p->unreach++;
        p->kinds |= KIND_UDP;
        scan_eval(d, p, sensor, pkt);
    }
}

/* ---- per-target rates: floods and baselines ---- */

static void flood_hit(struct nvg_detect *d, enum nvg_detector det, const struct nvg_pkt *pkt,
                      unsigned sensor, uint32_t rate, uint16_t port)
{
    struct nvg__alert *al = nvg__alert_hit(d, det, pkt->src, pkt->dst, pkt->ip_version, 0, sensor,
                                           pkt->ts_ns, pkt->wire_len);
    if (!al)
        return;
    if (rate > al->a.count)
        al->a.count = rate;
    if (port && !al->a.port)
        al->a.port = port;
    al->a.proto = pkt->proto;
}

static void target_roll(struct target *e, int64_t sec)
{
    if (e->sec != 0 && sec > e->sec) {
        int64_t gap = sec - e->sec;
        /* A one-minute exponential average of packets per second. */
        e->avg_pps += ((double)e->pkts - e->avg_pps) / 64.0;
        for (int64_t i = 1; i < gap && i < 256; i++)
            e->avg_pps -= e->avg_pps / 64.0;
        if (gap > 1)
            e->over_s = 0;
        e->hist_s += (uint32_t)(gap > 1000 ? 1000 : gap);
    }
    e->sec = sec;
    e->pkts = e->syn = e->ack = e->udp = e->icmp = e->syn_port_n = 0;
    e->bytes = 0;
}

static void target_rates(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt)
{
    const struct nvg_detect_rules *r = &d->rules;
    struct target_key k;
    memset(&k, 0, sizeof(k));
    memcpy(k.t, pkt->dst, 16);
    k.ver = pkt->ip_version;
    struct target *e =
        nvg__table_get(&d->targets, &k, nvg__hash_bytes(&k, sizeof(k), 3), pkt->ts_ns, true, NULL);
    e->h.last_ns = pkt->ts_ns;
    int64_t sec = pkt->ts_ns / NS;
    if (sec != e->sec) {
        if (e->sec && e->pkts > 0 && r->rate_factor > 0 && e->pkts >= r->rate_factor * e->avg_pps &&
            e->pkts >= r->rate_min_pps)
            e->over_s++;
        else if (e->sec)
            e->over_s = 0;
        target_roll(e, sec);
    }
    e->pkts++;
    e->bytes += pkt->wire_len;

    switch (pkt->proto) {
    case NVG_PROTO_TCP: {
        unsigned f = pkt->tcp_flags & (NVG_TCP_SYN | NVG_TCP_ACK);
        if (f == NVG_TCP_SYN) {
            if (e->syn_port_n == 0 || e->syn_port == pkt->dport) {
                e->syn_port = pkt->dport;
                e->syn_port_n++;
            } else {
                e->syn_port_n--;
            }
            if (++e->syn >= r->syn_rate && r->enabled[NVG_DET_SYNFLOOD] &&
                e->syn_port_n >= e->syn / 2 && e->ack < (double)e->syn * r->syn_ack_ratio)
                flood_hit(d, NVG_DET_SYNFLOOD, pkt, sensor, e->syn, pkt->dport);
        } else if (f == NVG_TCP_ACK) {
            e->ack++;
        }
        break;
    }
    case NVG_PROTO_UDP:
        if (++e->udp >= r->udp_rate && r->enabled[NVG_DET_UDPFLOOD])
            flood_hit(d, NVG_DET_UDPFLOOD, pkt, sensor, e->udp, pkt->dport);
        break;
    case NVG_PROTO_ICMP:
    case NVG_PROTO_ICMPV6:
        if (++e->icmp >= r->icmp_rate && r->enabled[NVG_DET_ICMPFLOOD])
            flood_hit(d, NVG_DET_ICMPFLOOD, pkt, sensor, e->icmp, 0);
        break;
    default:
        break;
    }
    /* Far above its own average, for at least two seconds in a row (this one included). */
    if (r->enabled[NVG_DET_RATE] && e->hist_s >= r->rate_warmup_s && e->over_s >= 1 &&
        e->pkts >= r->rate_min_pps && e->pkts >= r->rate_factor * e->avg_pps &&
        (r->rate_min_bps == 0 || e->bytes >= r->rate_min_bps))
        flood_hit(d, NVG_DET_RATE, pkt, sensor, e->pkts, 0);
}

/* ---- ARP ---- */

static bool mac_zero_or_bcast(const uint8_t *m)
{
    static const uint8_t z[6], f[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return memcmp(m, z, 6) == 0 || memcmp(m, f, 6) == 0;
}

static void arp(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt)
{
    const struct nvg_detect_rules *r = &d->rules;
    if (pkt->ip_version != 4)
        return;
    static const uint8_t any[4];
    bool probe = memcmp(pkt->src, any, 4) == 0; /* RFC 5227 probe: no sender address */
    bool macs = pkt->flags & NVG_PKT_HAS_MAC;
    bool request = !macs || mac_zero_or_bcast(pkt->dst_mac);
    if (r->enabled[NVG_DET_SWEEP] && !probe) {
        if (memcmp(pkt->src, pkt->dst, 4) != 0 && request)
            sweep_probe(d, sensor, pkt, NVG_PROTO_ARP, 0);
        if (!request || !macs)
            sweep_answer(d, pkt, NVG_PROTO_ARP, 0);
    }
    if (!macs || probe)
        return;
    int64_t now = pkt->ts_ns;
    if (memcmp(pkt->src, pkt->dst, 4) == 0 && r->enabled[NVG_DET_ARPSTORM]) {
        int64_t sec = now / NS;
        if (sec != d->garp_sec) {
            d->garp_sec = sec;
            d->garp_count = 0;
        }
        if (++d->garp_count >= r->garp_rate) {
            struct nvg__alert *al = nvg__alert_hit(d, NVG_DET_ARPSTORM, pkt->src, pkt->dst, 4, 0,
                                                   sensor, now, pkt->wire_len);
            if (al) {
                if (d->garp_count > al->a.count)
                    al->a.count = d->garp_count;
                al->a.proto = NVG_PROTO_ARP;
                memcpy(al->a.mac_new, pkt->src_mac, 6);
            }
        }
    }
    if (!r->enabled[NVG_DET_ARPSPOOF])
        return;
    struct arp_key k;
    memcpy(k.ip, pkt->src, 4);
    bool fresh;
    struct arp_bind *b = nvg__table_get(&d->arp, &k, nvg__hash_bytes(&k, 4, 4), now, true, &fresh);
    if (fresh || now - b->seen_ns > r->arp_hold_ns) {
        /* New, or the old binding went quiet: the new MAC takes the address over. */
        memcpy(b->mac, pkt->src_mac, 6);
        b->seen_ns = now;
    } else if (memcmp(b->mac, pkt->src_mac, 6) == 0) {
        b->seen_ns = now;
    } else {
        static const uint8_t none[16];
        struct nvg__alert *al =
            /* One alert per address claimed, whoever the claimants: mac_new is the latest. */
            nvg__alert_hit(d, NVG_DET_ARPSPOOF, pkt->src, none, 4, 0, sensor, now, pkt->wire_len);
        if (al) {
            memcpy(al->a.mac_old, b->mac, 6);
            memcpy(al->a.mac_new, pkt->src_mac, 6);
            al->a.proto = NVG_PROTO_ARP;
            al->a.count++;
        }
    }
    b->h.last_ns = now;
}

void nvg_detect_record(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt)
{
    d->st.records++;
    if (pkt->ts_ns <= 0)
        return;
    if (pkt->proto == NVG_PROTO_ARP) {
        arp(d, sensor, pkt);
        return;
    }
    if (pkt->ip_version != 4 && pkt->ip_version != 6)
        return;
    if (d->rules.n_policy || d->rules.n_threshold)
        nvg__rules_record(d, sensor, pkt);
    target_rates(d, sensor, pkt);
    switch (pkt->proto) {
    case NVG_PROTO_TCP:
        if ((pkt->flags & (NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS)) ==
            (NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS))
            tcp(d, sensor, pkt);
        break;
    case NVG_PROTO_UDP:
        if (pkt->flags & NVG_PKT_HAS_PORTS)
            udp(d, sensor, pkt);
        break;
    case NVG_PROTO_ICMP:
    case NVG_PROTO_ICMPV6:
        if (pkt->flags & NVG_PKT_HAS_ICMP)
            icmp(d, sensor, pkt);
        break;
    default:
        break;
    }
}

/* ---- the once-a-second pass: probes that stayed unanswered ---- */

/* Probes counted at the previous pass and still unanswered now had at least a second to be
 * answered; a source that got most of its probes answered is a client, not a scanner. */
static uint32_t unanswered(uint32_t snap_n, uint32_t snap_ans, uint32_t ans_n)
{
    uint32_t probed = nvg__lc_estimate[snap_n];
    uint32_t ans = nvg__lc_estimate[ans_n];
    (void)snap_ans;
    if (ans * 2 >= probed || probed <= ans)
        return 0;
    return probed - ans;
}

static void unanswered_pass(struct nvg_detect *d, int64_t now)
{
    const struct nvg_detect_rules *r = &d->rules;
    for (unsigned i = 0; i <= d->pairs.mask; i++) {
        struct pair *p = (struct pair *)(d->pairs.mem + (size_t)i * d->pairs.esz);
        if (p->h.last_ns == 0 || now - p->h.last_ns >= d->pairs.idle_ns)
            continue;
        /* Only new evidence feeds the alert: one that ended stays ended. */
        uint32_t n = unanswered(p->snap_n, p->snap_open, p->opens_n);
        if (n >= r->scan_ports && n > p->unans_hit && r->enabled[NVG_DET_PORTSCAN]) {
            p->unans_hit = n;
            scan_hit(d, p, 0, p->h.last_ns, 0, nvg__lc_estimate[p->probes_n]);
        }
        p->snap_n = p->probes_n;
        p->snap_open = p->opens_n;
    }
    for (unsigned i = 0; i <= d->sweeps.mask; i++) {
        struct sweep *w = (struct sweep *)(d->sweeps.mem + (size_t)i * d->sweeps.esz);
        if (w->h.last_ns == 0 || now - w->h.last_ns >= d->sweeps.idle_ns)
            continue;
        uint32_t n = unanswered(w->snap_n, w->snap_ans, w->answered_n);
        if (n >= r->sweep_hosts && n > w->unans_hit && r->enabled[NVG_DET_SWEEP]) {
            w->unans_hit = n;
            struct nvg__alert *al =
                nvg__alert_hit(d, NVG_DET_SWEEP, w->k.s, w->recent[0], w->k.ver,
                               (uint64_t)w->k.proto << 16 | w->k.port, w->sensor, w->h.last_ns, 0);
            if (al) {
                for (unsigned j = 1; j < w->n_recent; j++)
                    nvg__alert_add_target(&al->a, w->recent[j]);
                al->a.n_targets = nvg__lc_estimate[w->probed_n];
                al->a.count = n > al->a.count ? n : al->a.count;
                al->a.proto = w->k.proto;
                al->a.port = w->k.port;
            }
        }
        w->snap_n = w->probed_n;
        w->snap_ans = w->answered_n;
    }
}

void nvg_detect_tick(struct nvg_detect *d, int64_t now_ns, nvg_alert_fn fn, void *ud)
{
    int64_t sec = now_ns / NS;
    if (sec != d->scan_sec) {
        d->scan_sec = sec;
        unanswered_pass(d, now_ns);
    }
    nvg__alert_tick(d, now_ns, fn, ud);
}

void nvg_detect_flush(struct nvg_detect *d, nvg_alert_fn fn, void *ud)
{
    unanswered_pass(d, d->scan_sec * NS + 2 * NS);
    unanswered_pass(d, d->scan_sec * NS + 2 * NS);
    nvg__alert_flush(d, fn, ud);
}

/* ---- life ---- */

static unsigned pow2(unsigned n, unsigned def)
{
    if (n == 0)
        n = def;
    if (n < NVG__PROBES)
        n = NVG__PROBES;
    if (n > (1u << 24))
        n = 1u << 24;
    unsigned p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static bool table_init(struct nvg__table *t, unsigned n, size_t esz, size_t keyoff, size_t keylen,
                       int64_t idle, uint64_t *ev)
{
    t->mask = n - 1;
    t->esz = esz;
    t->keyoff = keyoff;
    t->keylen = keylen;
    t->idle_ns = idle;
    t->evictions = ev;
    t->mem = calloc(n, esz);
    t->slots = calloc(n, sizeof(*t->slots));
    if (!t->mem || !t->slots)
        return false;
    /* Touched now: the engine's memory is fixed at start-up, resident from the start too, so a
     * flood does not show as growth (and a process that cannot hold it finds out at once). */
    /* explicit_bzero: a memset of calloc's memory is optimised away. */
    explicit_bzero(t->mem, (size_t)n * esz);
    explicit_bzero(t->slots, (size_t)n * sizeof(*t->slots));
    return true;
}

static void set_idle(struct nvg_detect *d)
{
    const struct nvg_detect_rules *r = &d->rules;
    int64_t pw = r->scan_window_ns > r->bf_window_ns ? r->scan_window_ns : r->bf_window_ns;
    d->pairs.idle_ns = pw;
    d->sweeps.idle_ns = r->sweep_window_ns;
    d->targets.idle_ns = 600 * NS;
    d->arp.idle_ns = r->arp_hold_ns;
}

struct nvg_detect *nvg_detect_new(const struct nvg_detect_config *cfg,
                                  const struct nvg_detect_rules *rules)
{
    static const struct nvg_detect_config none;
    if (!cfg)
        cfg = &none;
    nvg__lc_init();
    struct nvg_detect *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    if (rules)
        d->rules = *rules;
    else
        nvg_detect_rules_default(&d->rules);
    unsigned np = pow2(cfg->pairs, 16384), ns = pow2(cfg->sweeps, 8192);
    unsigned nt = pow2(cfg->targets, 8192), na = pow2(cfg->arp, 4096);
    unsigned nal = pow2(cfg->alerts, 1024);
    bool ok = table_init(&d->pairs, np, sizeof(struct pair), offsetof(struct pair, k),
                         sizeof(struct pair_key), 1, &d->st.pair_evictions) &&
              table_init(&d->sweeps, ns, sizeof(struct sweep), offsetof(struct sweep, k),
                         sizeof(struct sweep_key), 1, &d->st.sweep_evictions) &&
              table_init(&d->targets, nt, sizeof(struct target), offsetof(struct target, k),
                         sizeof(struct target_key), 1, &d->st.target_evictions) &&
              table_init(&d->arp, na, sizeof(struct arp_bind), offsetof(struct arp_bind, k),
                         sizeof(struct arp_key), 1, &d->st.arp_evictions);
    d->alerts = ok ? calloc(nal, sizeof(*d->alerts)) : NULL;
    if (!d->alerts) {
        nvg_detect_free(d);
        return NULL;
    }
    d->alert_mask = nal - 1;
    set_idle(d);
    d->next_id = 1;
    for (unsigned i = 0; i < d->rules.n_threshold; i++)
        memcpy(d->thr[i].name, d->rules.threshold[i].name, NVG_RULE_NAME);
    d->st.memory_bytes = sizeof(*d) + (size_t)np * sizeof(struct pair) +
                         (size_t)ns * sizeof(struct sweep) + (size_t)nt * sizeof(struct target) +
                         (size_t)na * sizeof(struct arp_bind) + (size_t)nal * sizeof(*d->alerts) +
                         (size_t)(np + ns + nt + na) * sizeof(struct nvg__slot);
    return d;
}

void nvg_detect_free(struct nvg_detect *d)
{
    if (!d)
        return;
    struct nvg__table *tables[] = {&d->pairs, &d->sweeps, &d->targets, &d->arp};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        free(tables[i]->mem);
        free(tables[i]->slots);
    }
    free(d->alerts);
    free(d);
}

void nvg_detect_set_rules(struct nvg_detect *d, const struct nvg_detect_rules *rules)
{
    struct nvg__thr old[NVG_DETECT_MAX_RULES];
    memcpy(old, d->thr, sizeof(old));
    d->rules = *rules;
    memset(d->thr, 0, sizeof(d->thr));
    for (unsigned i = 0; i < rules->n_threshold; i++) {
        memcpy(d->thr[i].name, rules->threshold[i].name, NVG_RULE_NAME);
        for (unsigned j = 0; j < NVG_DETECT_MAX_RULES; j++)
            if (old[j].name[0] && strcmp(old[j].name, d->thr[i].name) == 0) {
                d->thr[i] = old[j];
                break;
            }
    }
    set_idle(d);
}

void nvg_detect_stats(const struct nvg_detect *d, struct nvg_detect_stats *st)
{
    *st = d->st;
}
