/* alerts.conf: INI (libinih) with one section per detector, [alerts], [allow], [policy] and
 * [threshold]. The format and the defaults are documented in README "Alerts". A bad line
 * fails the whole load with "file:line: reason" and leaves the caller's rules as they were. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "detect-internal.h"

#define NS 1000000000LL

/* Ports of authentication services: ftp, ssh, telnet, smtp, pop3, imap, ldap, smtps,
 * submission, ldaps, imaps, pop3s, mssql, mysql, rdp, postgresql, vnc, redis. */
static const uint16_t auth_ports[] = {21,  22,  23,  25,   110,  143,  389,  465,  587,
                                      636, 993, 995, 1433, 3306, 3389, 5432, 5900, 6379};

void nvg_detect_rules_default(struct nvg_detect_rules *r)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < NVG_DET_COUNT; i++)
        r->enabled[i] = true;
    r->scan_ports = 15; /* Zeek Scan::port_scan_threshold */
    r->scan_window_ns = 300 * NS;
    r->sweep_hosts = 25; /* Zeek Scan::addr_scan_threshold */
    r->sweep_window_ns = 300 * NS;
    r->syn_rate = 1000; /* Junos syn-flood alarm 512/s .. destination 4000/s */
    r->syn_ack_ratio = 0.1;
    r->udp_rate = 5000;  /* Junos udp flood 1000/s, raised: QUIC/RTP servers pass it */
    r->icmp_rate = 1000; /* Junos icmp flood 1000/s */
    r->rate_factor = 10;
    r->rate_min_pps = 100000;
    r->rate_warmup_s = 60;
    r->bf_attempts = 10; /* ET SCAN SSH 5 per 60-120 s; fail2ban 5 per 10 min (failures) */
    r->bf_window_ns = 60 * NS;
    for (size_t i = 0; i < sizeof(auth_ports) / sizeof(auth_ports[0]); i++)
        r->bf_ports[auth_ports[i] >> 3] |= (uint8_t)(1u << (auth_ports[i] & 7));
    r->arp_hold_ns = 300 * NS;
    r->garp_rate = 20;
    r->update_ns = 10 * NS;
    r->quiet_ns = 30 * NS;
}

struct parse {
    struct nvg_detect_rules r;
    char why[200];
};

__attribute__((format(printf, 2, 3))) static bool fail(struct parse *p, const char *fmt, ...)
{
    /* inih goes on after an error and reports the first line: keep the first reason. */
    if (!p->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why, sizeof(p->why), fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool parse_u64(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*v))
        return false;
    unsigned long long n = strtoull(v, &end, 10);
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1000, end++;
    else if (*end == 'M')
        mul = 1000000, end++;
    else if (*end == 'G')
        mul = 1000000000, end++;
    if (errno || *end || n > UINT64_MAX / mul)
        return false;
    *out = n * mul;
    return true;
}

static bool parse_uint(const char *v, unsigned *out)
{
    uint64_t n;
    if (!parse_u64(v, &n) || n == 0 || n > 100000000)
        return false;
    *out = (unsigned)n;
    return true;
}

/* "90", "90s", "500ms", "5m", "1h" */
static bool parse_dur(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*v))
        return false;
    double n = strtod(v, &end);
    double mul = NS;
    if (strcmp(end, "ms") == 0)
        mul = NS / 1000;
    else if (strcmp(end, "m") == 0)
        mul = 60.0 * NS;
    else if (strcmp(end, "h") == 0)
        mul = 3600.0 * NS;
    else if (*end && strcmp(end, "s") != 0)
        return false;
    if (errno || n <= 0 || n > 86400.0 * 7)
        return false;
    *out = (int64_t)(n * mul);
    return true;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
        *out = true;
    else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
             !strcmp(v, "0"))
        *out = false;
    else
        return false;
    return true;
}

static bool parse_cidr(const char *v, struct nvg_cidr *c)
{
    char buf[64];
    const char *slash = strchr(v, '/');
    size_t n = slash ? (size_t)(slash - v) : strlen(v);
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, v, n);
    buf[n] = 0;
    memset(c, 0, sizeof(*c));
    unsigned max;
    if (inet_pton(AF_INET, buf, c->addr) == 1)
        c->version = 4, max = 32;
    else if (inet_pton(AF_INET6, buf, c->addr) == 1)
        c->version = 6, max = 128;
    else
        return false;
    c->bits = (uint8_t)max;
    if (slash) {
        char *end;
        if (!isdigit((unsigned char)slash[1]))
            return false;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (*end || b > max)
            return false;
        c->bits = (uint8_t)b;
    }
    return true;
}

static const char *const private_nets[] = {"10.0.0.0/8",      "172.16.0.0/12",  "192.168.0.0/16",
                                           "127.0.0.0/8",     "169.254.0.0/16", "224.0.0.0/4",
                                           "255.255.255.255", "fc00::/7",       "fe80::/10",
                                           "::1/128",         "ff00::/8"};

/* "a,b,c" or "!a,b"; "private" stands for the private, loopback, link-local and multicast
 * ranges ("dst !private": the internet). */
static bool parse_set(struct parse *p, const char *v, struct nvg_cidr_set *s)
{
    memset(s, 0, sizeof(*s));
    if (*v == '!') {
        s->negate = true;
        v++;
    }
    char buf[200];
    snprintf(buf, sizeof(buf), "%s", v);
    for (char *save, *tok = strtok_r(buf, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (strcmp(tok, "private") == 0) {
            for (size_t i = 0; i < sizeof(private_nets) / sizeof(private_nets[0]); i++) {
                if (s->n == NVG_DETECT_MAX_CIDRS)
                    return fail(p, "too many addresses in \"%s\"%s", v, "");
                (void)parse_cidr(private_nets[i], &s->c[s->n++]);
            }
            continue;
        }
        if (s->n == NVG_DETECT_MAX_CIDRS)
            return fail(p, "too many addresses in \"%s\" (at most 12)%s", v, "");
        if (!parse_cidr(tok, &s->c[s->n++]))
            return fail(p, "bad address or CIDR \"%s\"%s", tok, "");
    }
    if (s->n == 0)
        return fail(p, "empty address list%s%s", "", "");
    return true;
}

static bool parse_port(struct parse *p, const char *v, int *out)
{
    uint64_t n;
    if (!parse_u64(v, &n) || n > 65535)
        return fail(p, "bad port \"%s\"%s", v, "");
    *out = (int)n;
    return true;
}

/* "proto tcp dport 23 src !10.0.0.0/8 severity high pps 1000" */
static bool parse_rule(struct parse *p, const char *name, const char *value, struct nvg_rule *rule,
                       bool threshold)
{
    memset(rule, 0, sizeof(*rule));
    if (strlen(name) >= NVG_RULE_NAME)
        return fail(p, "rule name \"%s\" longer than 31 characters%s", name, "");
    snprintf(rule->name, sizeof(rule->name), "%s", name);
    rule->m.proto = rule->m.sport = rule->m.dport = -1;
    rule->severity = threshold ? NVG_SEV_MEDIUM : NVG_SEV_MEDIUM;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", value);
    char *save, *w = strtok_r(buf, " \t", &save);
    if (!w)
        return fail(p, "rule \"%s\" is empty%s", name, "");
    for (; w; w = strtok_r(NULL, " \t", &save)) {
        char *arg = strtok_r(NULL, " \t", &save);
        if (!arg)
            return fail(p, "\"%s\" needs a value%s", w, "");
        if (strcmp(w, "proto") == 0) {
            rule->m.proto = nvg_proto_from_name(arg);
            if (rule->m.proto < 0)
                return fail(p, "unknown protocol \"%s\"%s", arg, "");
        } else if (strcmp(w, "sport") == 0) {
            if (!parse_port(p, arg, &rule->m.sport))
                return false;
        } else if (strcmp(w, "dport") == 0 || strcmp(w, "port") == 0) {
            if (!parse_port(p, arg, &rule->m.dport))
                return false;
        } else if (strcmp(w, "src") == 0) {
            if (!parse_set(p, arg, &rule->m.src))
                return false;
        } else if (strcmp(w, "dst") == 0) {
            if (!parse_set(p, arg, &rule->m.dst))
                return false;
        } else if (strcmp(w, "severity") == 0) {
            if (!strcmp(arg, "low"))
                rule->severity = NVG_SEV_LOW;
            else if (!strcmp(arg, "medium"))
                rule->severity = NVG_SEV_MEDIUM;
            else if (!strcmp(arg, "high"))
                rule->severity = NVG_SEV_HIGH;
            else
                return fail(p, "bad severity \"%s\" (low, medium, high)%s", arg, "");
        } else if (threshold && (strcmp(w, "pps") == 0 || strcmp(w, "bps") == 0)) {
            uint64_t n;
            if (!parse_u64(arg, &n) || n == 0)
                return fail(p, "bad rate \"%s\"%s", arg, "");
            if (w[0] == 'p')
                rule->pps = n;
            else
                rule->bps = n;
        } else {
            return fail(p, "unknown term \"%s\"%s", w, "");
        }
    }
    if (threshold && !rule->pps && !rule->bps)
        return fail(p, "threshold rule \"%s\" needs pps N or bps N%s", name, "");
    return true;
}

static bool parse_ports(struct parse *p, const char *v, uint8_t *bits)
{
    memset(bits, 0, 65536 / 8);
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", v);
    for (char *save, *tok = strtok_r(buf, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        int port = 0;
        if (!parse_port(p, tok, &port))
            return false;
        bits[port >> 3] |= (uint8_t)(1u << (port & 7));
    }
    return true;
}

struct knob {
    const char *section, *name;
    char type; /* u unsigned, d duration, f double, U u64 */
    size_t off;
};

#define K(s, n, t, f)                                                                              \
    {                                                                                              \
        s, n, t, offsetof(struct nvg_detect_rules, f)                                              \
    }
static const struct knob knobs[] = {
    K("portscan", "ports", 'u', scan_ports),       K("portscan", "window", 'd', scan_window_ns),
    K("sweep", "hosts", 'u', sweep_hosts),         K("sweep", "window", 'd', sweep_window_ns),
    K("synflood", "rate", 'u', syn_rate),          K("synflood", "ack_ratio", 'f', syn_ack_ratio),
    K("udpflood", "rate", 'u', udp_rate),          K("icmpflood", "rate", 'u', icmp_rate),
    K("rate", "factor", 'f', rate_factor),         K("rate", "min_pps", 'u', rate_min_pps),
    K("rate", "min_bps", 'U', rate_min_bps),       K("rate", "warmup", 'd', rate_warmup_s),
    K("bruteforce", "attempts", 'u', bf_attempts), K("bruteforce", "window", 'd', bf_window_ns),
    K("arpspoof", "hold", 'd', arp_hold_ns),       K("arpstorm", "rate", 'u', garp_rate),
    K("alerts", "update", 'd', update_ns),         K("alerts", "quiet", 'd', quiet_ns),
};

static bool set_knob(struct parse *p, const struct knob *k, const char *v)
{
    uint8_t *base = (uint8_t *)&p->r + k->off;
    switch (k->type) {
    case 'u':
        if (!parse_uint(v, (unsigned *)(void *)base))
            return fail(p, "bad number \"%s\" for %s", v, k->name);
        return true;
    case 'U':
        if (!parse_u64(v, (uint64_t *)(void *)base))
            return fail(p, "bad number \"%s\" for %s", v, k->name);
        return true;
    case 'f': {
        char *end;
        double x = strtod(v, &end);
        if (*end || end == v || !(x > 0) || x > 1e9)
            return fail(p, "bad number \"%s\" for %s", v, k->name);
        *(double *)(void *)base = x;
        return true;
    }
    default: {
        int64_t ns;
        if (!parse_dur(v, &ns))
            return fail(p, "bad duration \"%s\" for %s (e.g. 90s, 5m)", v, k->name);
        if (k->off == offsetof(struct nvg_detect_rules, rate_warmup_s))
            p->r.rate_warmup_s = (unsigned)(ns / NS);
        else
            *(int64_t *)(void *)base = ns;
        return true;
    }
    }
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse *p = user;
    if (strcmp(section, "allow") == 0) {
        struct nvg_cidr_set s;
        if (!parse_set(p, value, &s))
            return 0;
        if (s.negate)
            return fail(p, "allow-list entries cannot be negated%s%s", "", "");
        for (unsigned i = 0; i < s.n; i++) {
            if (p->r.n_allow == NVG_DETECT_MAX_RULES)
                return fail(p, "too many allow-list entries (at most 64)%s%s", "", "");
            p->r.allow[p->r.n_allow++] = s.c[i];
        }
        return 1;
    }
    if (strcmp(section, "policy") == 0 || strcmp(section, "threshold") == 0) {
        bool thr = section[0] == 't';
        unsigned *n = thr ? &p->r.n_threshold : &p->r.n_policy;
        struct nvg_rule *list = thr ? p->r.threshold : p->r.policy;
        if (*n == NVG_DETECT_MAX_RULES)
            return fail(p, "too many %s rules (at most 64)%s", section, "");
        for (unsigned i = 0; i < *n; i++)
            if (strcmp(list[i].name, name) == 0)
                return fail(p, "rule \"%s\" defined twice%s", name, "");
        if (!parse_rule(p, name, value, &list[*n], thr))
            return 0;
        (*n)++;
        return 1;
    }
    int det = nvg_detector_from_name(section);
    if (strcmp(name, "enabled") == 0 && det >= 0)
        return parse_bool(value, &p->r.enabled[det]) ? 1
                                                     : fail(p, "bad boolean \"%s\"%s", value, "");
    if (det == NVG_DET_BRUTEFORCE && strcmp(name, "ports") == 0)
        return parse_ports(p, value, p->r.bf_ports);
    for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
        if (strcmp(knobs[i].section, section) == 0 && strcmp(knobs[i].name, name) == 0)
            return set_knob(p, &knobs[i], value);
    if (det < 0 && strcmp(section, "alerts") != 0)
        return fail(p, "unknown section [%s]%s", section, "");
    return fail(p, "unknown setting \"%s\" in [%s]", name, section);
}

static int finish(struct parse *p, int rc, const char *name, struct nvg_detect_rules *rules,
                  char err[NVG_ERRBUF_SIZE])
{
    if (rc == -1) {
        snprintf(err, NVG_ERRBUF_SIZE, "%s: %s", name, strerror(errno ? errno : ENOENT));
        return NVG_EIO;
    }
    if (rc != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "%s:%d: %s", name, rc,
                 p->why[0] ? p->why : "syntax error (expected [section] or name = value)");
        return NVG_EINVAL;
    }
    *rules = p->r;
    return 0;
}

int nvg_detect_rules_load(const char *path, struct nvg_detect_rules *rules,
                          char err[NVG_ERRBUF_SIZE])
{
    struct parse *p = calloc(1, sizeof(*p));
    if (!p)
        return NVG_ENOMEM;
    nvg_detect_rules_default(&p->r);
    errno = 0;
    int rc = finish(p, ini_parse(path, handler, p), path, rules, err);
    free(p);
    return rc;
}

int nvg_detect_rules_parse(const char *text, const char *name, struct nvg_detect_rules *rules,
                           char err[NVG_ERRBUF_SIZE])
{
    struct parse *p = calloc(1, sizeof(*p));
    if (!p)
        return NVG_ENOMEM;
    nvg_detect_rules_default(&p->r);
    int rc = finish(p, ini_parse_string(text, handler, p), name, rules, err);
    free(p);
    return rc;
}
