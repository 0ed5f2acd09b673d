/* The life of an alert: evidence (nvg__alert_hit) on the record path, start / update / end
 * emitted by the once-a-second tick, and the one-line summaries. */
#include <arpa/inet.h>
#include <stdio.h>

#include "detect-internal.h"

/* A summary is one display line: cut at NVG_ALERT_SUMMARY bytes is what we want. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define NS 1000000000LL

enum { ALERT_FREE = 0, ALERT_PENDING, ALERT_ACTIVE };

static const char *const det_names[] = {
#define NVG__DET_NAME(name, text, sev) text,
    NVG_DETECTORS(NVG__DET_NAME)
#undef NVG__DET_NAME
};
static const uint8_t det_sev[] = {
#define NVG__DET_SEV(name, text, sev) sev,
    NVG_DETECTORS(NVG__DET_SEV)
#undef NVG__DET_SEV
};

const char *nvg_detector_name(enum nvg_detector det)
{
    return (unsigned)det < NVG_DET_COUNT ? det_names[det] : "unknown";
}

int nvg_detector_from_name(const char *name)
{
    for (int i = 0; i < NVG_DET_COUNT; i++)
        if (strcmp(det_names[i], name) == 0)
            return i;
    return -1;
}

const char *nvg_severity_name(enum nvg_severity sev)
{
    switch (sev) {
    case NVG_SEV_LOW:
        return "low";
    case NVG_SEV_MEDIUM:
        return "medium";
    case NVG_SEV_HIGH:
        return "high";
    case NVG_SEV_CRITICAL:
        return "critical";
    }
    return "unknown";
}

const char *nvg_alert_event_name(enum nvg_alert_event ev)
{
    switch (ev) {
    case NVG_ALERT_START:
        return "start";
    case NVG_ALERT_UPDATE:
        return "update";
    case NVG_ALERT_END:
        return "end";
    }
    return "unknown";
}

void nvg__alert_add_target(struct nvg_alert *a, const uint8_t *t)
{
    for (unsigned i = 0; i < a->n_listed; i++)
        if (memcmp(a->targets[i], t, 16) == 0)
            return;
    if (a->n_listed < NVG_ALERT_TARGETS)
        memcpy(a->targets[a->n_listed++], t, 16);
    a->n_targets++;
}

static void add_sensor(struct nvg_alert *a, unsigned sensor)
{
    if (sensor < 64) {
        if (a->sensors & (1ULL << sensor))
            return;
        a->sensors |= 1ULL << sensor;
    } else {
        for (unsigned i = 0; i < a->n_sensors; i++)
            if (a->sensor_list[i] == sensor)
                return;
    }
    if (a->n_sensors < NVG_ALERT_SENSORS)
        a->sensor_list[a->n_sensors++] = (uint16_t)sensor;
}

static bool allowed(const struct nvg_detect_rules *r, const uint8_t *src, uint8_t ver)
{
    for (unsigned i = 0; i < r->n_allow; i++)
        if (nvg__cidr_match(&r->allow[i], src, ver))
            return true;
    return false;
}

/* Floods from many sources are keyed by target only; everything else by source too. */
static bool keyed_by_src(enum nvg_detector det)
{
    return !(det == NVG_DET_SYNFLOOD || det == NVG_DET_UDPFLOOD || det == NVG_DET_ICMPFLOOD ||
             det == NVG_DET_RATE || det == NVG_DET_THRESHOLD || det == NVG_DET_ARPSTORM);
}

static bool keyed_by_target(enum nvg_detector det)
{
    return det == NVG_DET_PORTSCAN || det == NVG_DET_BRUTEFORCE || det == NVG_DET_SYNFLOOD ||
           det == NVG_DET_UDPFLOOD || det == NVG_DET_ICMPFLOOD || det == NVG_DET_RATE;
}

struct nvg__alert *nvg__alert_hit(struct nvg_detect *d, enum nvg_detector det, const uint8_t *src,
                                  const uint8_t *target, uint8_t ver, uint64_t key_extra,
                                  unsigned sensor, int64_t ts, uint32_t bytes)
{
    if (allowed(&d->rules, src, ver)) {
        d->st.suppressed++;
        return NULL;
    }
    static const uint8_t zero[16];
    uint8_t key[16 + 16 + 8 + 2];
    memcpy(key, keyed_by_src(det) ? src : zero, 16);
    memcpy(key + 16, keyed_by_target(det) ? target : zero, 16);
    memcpy(key + 32, &key_extra, 8);
    key[40] = (uint8_t)det;
    key[41] = ver;
    uint64_t h = nvg__hash_bytes(key, sizeof(key), 9) | 1;

    struct nvg__alert *al = NULL, *free_slot = NULL;
    for (unsigned i = 0; i < 16; i++) {
        struct nvg__alert *s = &d->alerts[(h + i) & d->alert_mask];
        if (s->state == ALERT_FREE) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->hash == h) {
            al = s;
            break;
        }
    }
    if (!al) {
        if (!free_slot) {
            d->st.alerts_shed++;
            return NULL;
        }
        al = free_slot;
        memset(al, 0, sizeof(*al));
        al->hash = h;
        al->state = ALERT_PENDING;
        struct nvg_alert *a = &al->a;
        a->id = d->next_id++;
        a->detector = (uint8_t)det;
        a->severity = det_sev[det];
        a->ip_version = ver;
        memcpy(a->src, src, 16);
        a->first_ns = ts;
        d->st.active++;
    } else if (!al->src_varies && memcmp(al->a.src, src, 16) != 0 && !keyed_by_src(det)) {
        al->src_varies = true;
        memset(al->a.src, 0, 16);
    }
    struct nvg_alert *a = &al->a;
    if (ts > a->last_ns)
        a->last_ns = ts;
    a->packets++;
    a->bytes += bytes;
    if (det != NVG_DET_ARPSPOOF && det != NVG_DET_ARPSTORM)
        nvg__alert_add_target(a, target);
    add_sensor(a, sensor);
    al->dirty = true;
    return al;
}

/* 1234567 -> "1,234,567" */
static const char *num(char *buf, uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
    char *p = buf;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            *p++ = ',';
        *p++ = tmp[i];
    }
    *p = 0;
    return buf;
}

static const char *addr(char *buf, const uint8_t *a, uint8_t ver)
{
    if (!inet_ntop(ver == 6 ? AF_INET6 : AF_INET, a, buf, 64))
        snprintf(buf, 64, "?");
    return buf;
}

static const char *mac(char *buf, const uint8_t *m)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

static const char *proto_name(uint8_t p)
{
    return p == NVG_PROTO_UDP    ? "UDP"
           : p == NVG_PROTO_ICMP ? "ICMP"
           : p == NVG_PROTO_ARP  ? "ARP"
                                 : "TCP";
}

static const char *scan_kind(unsigned kinds)
{
    if (kinds == 16)
        return "UDP scan";
    if (kinds & 1)
        return "SYN scan";
    if (kinds & 8)
        return "Xmas scan";
    if (kinds & 2)
        return "FIN scan";
    if (kinds & 4)
        return "NULL scan";
    return "scan";
}

static const char *flood_name(uint8_t det)
{
    return det == NVG_DET_SYNFLOOD ? "SYN" : det == NVG_DET_UDPFLOOD ? "UDP" : "ICMP";
}

static void summarize(struct nvg__alert *al)
{
    struct nvg_alert *a = &al->a;
    char s[64], t[64], n1[32], n2[32], m1[18], m2[18];
    double secs = (double)(a->last_ns - a->first_ns) / 1e9;
    addr(s, a->src, a->ip_version);
    if (al->src_varies || !memcmp(a->src, (uint8_t[16]){0}, 16))
        snprintf(s, sizeof(s), "many sources");
    addr(t, a->targets[0], a->ip_version);
    char *o = a->summary;
    size_t z = sizeof(a->summary);
    switch (a->detector) {
    case NVG_DET_PORTSCAN:
        snprintf(o, z, "%s scanned %s %s ports of %s in %.1f s (%s, %s closed)", s,
                 num(n1, a->count), proto_name(a->proto), t, secs, scan_kind(a->probe_kinds),
                 num(n2, a->closed));
        break;
    case NVG_DET_SWEEP:
        if (a->proto == NVG_PROTO_ARP || a->proto == NVG_PROTO_ICMP)
            snprintf(o, z, "%s swept %s hosts with %s in %.1f s (%s unanswered)", s,
                     num(n1, a->n_targets), a->proto == NVG_PROTO_ARP ? "ARP" : "ICMP echo", secs,
                     num(n2, a->count));
        else
            snprintf(o, z, "%s swept %s hosts on %s port %u in %.1f s (%s unanswered)", s,
                     num(n1, a->n_targets), proto_name(a->proto), a->port, secs, num(n2, a->count));
        break;
    case NVG_DET_SYNFLOOD:
    case NVG_DET_UDPFLOOD:
    case NVG_DET_ICMPFLOOD:
        snprintf(o, z, "%s flood on %s%s%.0u: %s packets/s peak from %s (%s packets in %.1f s)",
                 flood_name(a->detector), t, a->port ? " port " : "", a->port, num(n1, a->count), s,
                 num(n2, a->packets), secs);
        break;
    case NVG_DET_RATE:
        snprintf(o, z, "%s receives %s packets/s, far above its own average (from %s)", t,
                 num(n1, a->count), s);
        break;
    case NVG_DET_BRUTEFORCE:
        snprintf(o, z, "%s made %s connection attempts to %s port %u in %.1f s", s,
                 num(n1, a->count), t, a->port, secs);
        break;
    case NVG_DET_POLICY:
        snprintf(o, z, "policy %s: %s to %s%s (%s packets)", a->rule, s, t,
                 a->n_targets > 1 ? " and others" : "", num(n1, a->packets));
        break;
    case NVG_DET_THRESHOLD:
        snprintf(o, z, "threshold %s: %s per second peak, %s to %s", a->rule, num(n1, a->count), s,
                 t);
        break;
    case NVG_DET_ARPSPOOF:
        snprintf(o, z, "%s claimed by %s, bound to %s (%s replies)", s, mac(m2, a->mac_new),
                 mac(m1, a->mac_old), num(n1, a->count));
        break;
    case NVG_DET_ARPSTORM:
        snprintf(o, z, "gratuitous ARP storm: %s per second peak, first from %s (%s)",
                 num(n1, a->count), addr(t, a->src, 4), mac(m1, a->mac_new));
        break;
    default:
        snprintf(o, z, "%s", nvg_detector_name(a->detector));
    }
}

static void emit(struct nvg__alert *al, enum nvg_alert_event ev, int64_t now, nvg_alert_fn fn,
                 void *ud)
{
    al->a.event = (uint8_t)ev;
    summarize(al);
    al->last_emit_ns = now;
    al->dirty = false;
    if (fn)
        fn(&al->a, ud);
}

void nvg__alert_tick(struct nvg_detect *d, int64_t now, nvg_alert_fn fn, void *ud)
{
    const struct nvg_detect_rules *r = &d->rules;
    for (unsigned i = 0; i <= d->alert_mask; i++) {
        struct nvg__alert *al = &d->alerts[i];
        if (al->state == ALERT_PENDING) {
            al->state = ALERT_ACTIVE;
            d->st.started++;
            emit(al, NVG_ALERT_START, now, fn, ud);
        } else if (al->state == ALERT_ACTIVE) {
            if (now - al->a.last_ns >= r->quiet_ns) {
                d->st.ended++;
                d->st.active--;
                emit(al, NVG_ALERT_END, now, fn, ud);
                al->state = ALERT_FREE;
            } else if (al->dirty && now - al->last_emit_ns >= r->update_ns) {
                d->st.updated++;
                emit(al, NVG_ALERT_UPDATE, now, fn, ud);
            }
        }
    }
}

void nvg__alert_flush(struct nvg_detect *d, nvg_alert_fn fn, void *ud)
{
    for (unsigned i = 0; i <= d->alert_mask; i++) {
        struct nvg__alert *al = &d->alerts[i];
        if (al->state == ALERT_FREE)
            continue;
        if (al->state == ALERT_PENDING) {
            d->st.started++;
            emit(al, NVG_ALERT_START, al->a.last_ns, fn, ud);
        }
        d->st.ended++;
        d->st.active--;
        emit(al, NVG_ALERT_END, al->a.last_ns, fn, ud);
        al->state = ALERT_FREE;
    }
}
