/* Policy and threshold rules from alerts.conf, matched against every record: a policy rule
 * alerts on any match, a threshold rule on more packets or bytes in one second than its limit
 * (per rule, so a rule's state follows its name across a reload). */
#include <string.h>

#include "detect-internal.h"

#define NS 1000000000LL

bool nvg__cidr_match(const struct nvg_cidr *c, const uint8_t *addr, uint8_t ver)
{
    if (c->version != ver)
        return false;
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (c->addr[full] & m) == (addr[full] & m);
}

static bool set_match(const struct nvg_cidr_set *s, const uint8_t *addr, uint8_t ver)
{
    if (s->n == 0)
        return true;
    bool in = false;
    for (unsigned i = 0; i < s->n && !in; i++)
        in = nvg__cidr_match(&s->c[i], addr, ver);
    return in != s->negate;
}

static bool rule_match(const struct nvg_match *m, const struct nvg_pkt *pkt)
{
    if (m->proto >= 0 && pkt->proto != m->proto)
        return false;
    bool ports = pkt->flags & NVG_PKT_HAS_PORTS;
    if (m->sport >= 0 && (!ports || pkt->sport != m->sport))
        return false;
    if (m->dport >= 0 && (!ports || pkt->dport != m->dport))
        return false;
    return set_match(&m->src, pkt->src, pkt->ip_version) &&
           set_match(&m->dst, pkt->dst, pkt->ip_version);
}

static uint64_t name_hash(const char *name)
{
    return nvg__hash_bytes(name, strlen(name), 5);
}

static void rule_hit(struct nvg_detect *d, enum nvg_detector det, const struct nvg_rule *rule,
                     unsigned sensor, const struct nvg_pkt *pkt, uint64_t count)
{
    struct nvg__alert *al =
        nvg__alert_hit(d, det, pkt->src, pkt->dst, pkt->ip_version, name_hash(rule->name), sensor,
                       pkt->ts_ns, pkt->wire_len);
    if (!al)
        return;
    struct nvg_alert *a = &al->a;
    if (!a->rule[0]) {
        memcpy(a->rule, rule->name, sizeof(a->rule));
        a->severity = rule->severity;
        a->proto = pkt->proto;
        a->port = (pkt->flags & NVG_PKT_HAS_PORTS) ? pkt->dport : 0;
    }
    if (count > a->count)
        a->count = count;
}

void nvg__rules_record(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt)
{
    const struct nvg_detect_rules *r = &d->rules;
    if (r->enabled[NVG_DET_POLICY])
        for (unsigned i = 0; i < r->n_policy; i++)
            if (rule_match(&r->policy[i].m, pkt))
                rule_hit(d, NVG_DET_POLICY, &r->policy[i], sensor, pkt, 0);
    if (!r->enabled[NVG_DET_THRESHOLD])
        return;
    int64_t sec = pkt->ts_ns / NS;
    for (unsigned i = 0; i < r->n_threshold; i++) {
        const struct nvg_rule *t = &r->threshold[i];
        if (!rule_match(&t->m, pkt))
            continue;
        struct nvg__thr *s = &d->thr[i];
        if (s->sec != sec) {
            s->sec = sec;
            s->pkts = s->bytes = 0;
        }
        s->pkts++;
        s->bytes += pkt->wire_len;
        if (t->pps && s->pkts > t->pps)
            rule_hit(d, NVG_DET_THRESHOLD, t, sensor, pkt, s->pkts);
        else if (t->bps && s->bytes > t->bps)
            rule_hit(d, NVG_DET_THRESHOLD, t, sensor, pkt, s->bytes);
    }
}
