/* The detection engine over synthetic record streams: one alert with a life per attack, none
 * for benign traffic, bounded memory under a spoofed flood, rules files and their swap. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect-test.h"

static struct nvg_detect *engine(const char *conf)
{
    struct nvg_detect_rules r;
    char err[NVG_ERRBUF_SIZE] = "";
    int rc = nvg_detect_rules_parse(conf ? conf : "", "test.conf", &r, err);
    if (rc != 0)
        fail_msg("rules: %s", err);
    struct nvg_detect *d = nvg_detect_new(NULL, &r);
    assert_non_null(d);
    return d;
}

/* Ticks once a second from `from` to `to` (record time). */
static void run_ticks(struct nvg_detect *d, struct seen *s, int64_t from, int64_t to)
{
    for (int64_t t = from; t <= to; t += SEC)
        tick(d, s, t);
}

static unsigned count_det(const struct seen *s, enum nvg_detector det, enum nvg_alert_event ev)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->n; i++)
        n += s->a[i].detector == det && s->a[i].event == ev;
    return n;
}

static void expect_one_life(const struct seen *s, enum nvg_detector det)
{
    assert_int_equal(s->starts, 1);
    assert_int_equal(s->ends, 1);
    assert_int_equal(count_det(s, det, NVG_ALERT_START), 1);
    assert_int_equal(count_det(s, det, NVG_ALERT_END), 1);
    for (unsigned i = 1; i < s->n; i++)
        assert_int_equal(s->a[i].id, s->a[0].id);
    assert_int_equal(s->a[0].event, NVG_ALERT_START);
    assert_int_equal(s->a[s->n - 1].event, NVG_ALERT_END);
}

/* 1000 ports over 4.2 s; all closed (RST) but 80, 443 and 22. */
static int64_t syn_scan(struct nvg_detect *d, struct seen *s, int64_t t, int64_t *crossing)
{
    uint8_t a[16], v[16];
    ip4(a, "10.0.0.5");
    ip4(v, "10.0.0.7");
    struct nvg_pkt p;
    unsigned closed = 0;
    int64_t next_tick = t + SEC;
    for (unsigned port = 1; port <= 1000; port++) {
        int64_t ts = t + (int64_t)port * 4200 * MS / 1000;
        while (s && ts >= next_tick) {
            tick(d, s, next_tick);
            next_tick += SEC;
        }
        mk_tcp(&p, ts, a, v, 40000, port, NVG_TCP_SYN, 58);
        nvg_detect_record(d, 0, &p);
        if (port == 22 || port == 80 || port == 443) {
            mk_tcp(&p, ts + MS / 2, v, a, port, 40000, NVG_TCP_SYN | NVG_TCP_ACK, 58);
            nvg_detect_record(d, 0, &p);
            mk_tcp(&p, ts + MS, a, v, 40000, port, NVG_TCP_RST, 54);
            nvg_detect_record(d, 0, &p);
        } else {
            mk_tcp(&p, ts + MS / 2, v, a, port, 40000, NVG_TCP_RST | NVG_TCP_ACK, 54);
            nvg_detect_record(d, 0, &p);
            if (++closed == 15 && crossing)
                *crossing = ts + MS / 2;
        }
    }
    return t + 4200 * MS + MS;
}

static void test_syn_scan(void **state)
{
    struct nvg_detect *d = engine("[alerts]\nupdate = 1s\n");
    struct seen s = {0};
    int64_t crossing = 0;
    int64_t end = syn_scan(d, &s, T0, &crossing);
    run_ticks(d, &s, (end / SEC + 1) * SEC, end + 40 * SEC);
    expect_one_life(&s, NVG_DET_PORTSCAN);
    assert_true(s.updates >= 1);
    assert_true(s.first_start_ns - crossing <= 2 * SEC);
    const struct nvg_alert *a = &s.a[s.n - 1];
    assert_true(a->count >= 950 && a->count <= 1050);
    assert_true(a->closed >= 950 && a->closed <= 1050);
    assert_int_equal(a->n_targets, 1);
    assert_int_equal(a->severity, NVG_SEV_MEDIUM);
    assert_true(a->last_ns - a->first_ns < 5 * SEC);
    printf("  %s\n", a->summary);
    assert_non_null(strstr(a->summary, "10.0.0.5 scanned"));
    assert_non_null(strstr(a->summary, "TCP ports of 10.0.0.7"));
    assert_non_null(strstr(a->summary, "SYN scan"));
    nvg_detect_free(d);
}

static void test_other_scans(void **state)
{
    uint8_t a[16], v[16];
    ip4(a, "10.0.0.5");
    ip4(v, "10.0.0.7");
    struct nvg_pkt p;
    /* FIN scan: closed ports answer RST. */
    struct nvg_detect *d = engine(NULL);
    struct seen s = {0};
    for (unsigned port = 1; port <= 100; port++) {
        mk_tcp(&p, T0 + port * MS, a, v, 50000, port, NVG_TCP_FIN, 54);
        nvg_detect_record(d, 0, &p);
        mk_tcp(&p, T0 + port * MS + 1, v, a, port, 50000, NVG_TCP_RST | NVG_TCP_ACK, 54);
        nvg_detect_record(d, 0, &p);
    }
    run_ticks(d, &s, T0 + SEC, T0 + 40 * SEC);
    expect_one_life(&s, NVG_DET_PORTSCAN);
    assert_non_null(strstr(s.a[0].summary, "FIN scan"));
    nvg_detect_free(d);

    /* UDP scan: ICMP port unreachable. */
    d = engine(NULL);
    memset(&s, 0, sizeof(s));
    for (unsigned port = 1; port <= 100; port++) {
        mk_udp(&p, T0 + port * MS, a, v, 50000, port, 42);
        nvg_detect_record(d, 0, &p);
        mk_icmp(&p, T0 + port * MS + 1, v, a, 3, 3);
        nvg_detect_record(d, 0, &p);
    }
    run_ticks(d, &s, T0 + SEC, T0 + 40 * SEC);
    expect_one_life(&s, NVG_DET_PORTSCAN);
    assert_non_null(strstr(s.a[0].summary, "UDP"));
    nvg_detect_free(d);
}

static void test_unanswered_scans(void **state)
{
    uint8_t a[16], v[16];
    ip4(a, "10.0.0.5");
    ip4(v, "10.0.0.7");
    struct nvg_pkt p;
    /* Unanswered SYNs (filtered ports). */
    struct nvg_detect *d = engine(NULL);
    struct seen s = {0};
    for (unsigned port = 1; port <= 100; port++) {
        mk_tcp(&p, T0 + port * MS, a, v, 50000, port, NVG_TCP_SYN, 58);
        nvg_detect_record(d, 0, &p);
    }
    run_ticks(d, &s, T0 + SEC, T0 + 40 * SEC);
    expect_one_life(&s, NVG_DET_PORTSCAN);
    nvg_detect_free(d);

    /* ICMP echo sweep of a /24, 3 hosts answer. */
    d = engine(NULL);
    memset(&s, 0, sizeof(s));
    for (unsigned h = 1; h < 255; h++) {
        uint8_t t[16];
        ip4n(t, 0x0a000100u + h);
        mk_icmp(&p, T0 + h * MS, a, t, 8, 0);
        nvg_detect_record(d, 0, &p);
        if (h < 4) {
            mk_icmp(&p, T0 + h * MS + 1, t, a, 0, 0);
            nvg_detect_record(d, 0, &p);
        }
    }
    run_ticks(d, &s, T0 + SEC, T0 + 40 * SEC);
    expect_one_life(&s, NVG_DET_SWEEP);
    printf("  %s\n", s.a[0].summary);
    assert_true(s.a[0].n_targets >= 240);
    nvg_detect_free(d);
}

static void test_benign(void **state)
{
    struct nvg_detect *d = engine(NULL);
    struct seen s = {0};
    uint8_t srv[16], dns[16], gw[16], c[16];
    ip4(srv, "10.0.0.1");
    ip4(dns, "10.0.0.53");
    ip4(gw, "10.0.0.254");
    int64_t t = T0;
    struct nvg_pkt p;
    for (unsigned i = 0; i < 60; i++) {
        ip4n(c, 0xc0a80100u + (i % 20) + 1);
        /* Web: 4 connections to 443, one to 80; ssh once per client. */
        for (unsigned k = 0; k < 4; k++)
            tcp_conn(d, &t, c, srv, 40000 + i * 8 + k, 443, 10);
        tcp_conn(d, &t, c, srv, 41000 + i, 80, 3);
        if (i < 20)
            tcp_conn(d, &t, c, srv, 42000 + i, 22, 30);
        /* A client that aborts with RST from its ephemeral port. */
        mk_tcp(&p, t++, c, srv, 43000 + i, 443, NVG_TCP_RST | NVG_TCP_ACK, 54);
        nvg_detect_record(d, 0, &p);
        /* DNS and ping. */
        mk_udp(&p, t++, c, dns, 50000 + i, 53, 80);
        nvg_detect_record(d, 0, &p);
        mk_udp(&p, t++, dns, c, 53, 50000 + i, 200);
        nvg_detect_record(d, 0, &p);
        mk_icmp(&p, t++, c, gw, 8, 0);
        nvg_detect_record(d, 0, &p);
        mk_icmp(&p, t++, gw, c, 0, 0);
        nvg_detect_record(d, 0, &p);
        /* A passive-FTP-like client: many ports of one host, all answered. */
        for (unsigned k = 0; k < 5; k++)
            tcp_conn(d, &t, c, srv, 44000 + i * 5 + k, 30000 + i * 5 + k, 2);
        t += SEC / 2;
        tick(d, &s, t);
    }
    run_ticks(d, &s, t, t + 60 * SEC);
    for (unsigned i = 0; i < s.n; i++)
        printf("  unexpected: %s\n", s.a[i].summary);
    assert_int_equal(s.n, 0);
    nvg_detect_free(d);
}

static void test_syn_flood(void **state)
{
    struct nvg_detect_config cfg = {.pairs = 4096, .sweeps = 4096, .targets = 1024};
    struct nvg_detect *d = nvg_detect_new(&cfg, NULL);
    assert_non_null(d);
    struct nvg_detect_stats st0, st;
    nvg_detect_stats(d, &st0);
    struct seen s = {0};
    uint8_t v[16], src[16];
    ip4(v, "10.0.0.7");
    struct nvg_pkt p;
    uint32_t x = 12345;
    int64_t next = T0 + SEC;
    for (unsigned i = 0; i < 1000000; i++) {
        x = x * 1103515245u + 12345u;
        ip4n(src, x | 0x01000000u);
        int64_t ts = T0 + (int64_t)i * 5000; /* 200,000 SYN/s for 5 s */
        if (ts >= next) {
            tick(d, &s, next);
            next += SEC;
        }
        mk_tcp(&p, ts, src, v, 1024 + (x >> 20), 80, NVG_TCP_SYN, 60);
        nvg_detect_record(d, 0, &p);
    }
    run_ticks(d, &s, next, next + 40 * SEC);
    nvg_detect_stats(d, &st);
    printf("  %s\n  memory %zu bytes, evictions pairs %llu sweeps %llu\n", s.a[0].summary,
           st.memory_bytes, (unsigned long long)st.pair_evictions,
           (unsigned long long)st.sweep_evictions);
    expect_one_life(&s, NVG_DET_SYNFLOOD);
    assert_int_equal(st.memory_bytes, st0.memory_bytes);
    assert_true(st.memory_bytes < 8u << 20);
    assert_true(st.pair_evictions > 900000);
    assert_int_equal(st.records, 1000000);
    assert_non_null(strstr(s.a[0].summary, "SYN flood on 10.0.0.7 port 80"));
    assert_non_null(strstr(s.a[0].summary, "many sources"));
    nvg_detect_free(d);
}

static void test_arp(void **state)
{
    static const uint8_t ma[6] = {2, 0, 0, 0, 0, 0xa}, mb[6] = {2, 0, 0, 0, 0, 0xb};
    static const uint8_t mc[6] = {2, 0, 0, 0, 0, 0xc};
    uint8_t gw[16], h[16];
    ip4(gw, "10.0.0.1");
    ip4(h, "10.0.0.20");
    struct nvg_detect *d = engine(NULL);
    struct seen s = {0};
    struct nvg_pkt p;
    int64_t t = T0;
    for (int i = 0; i < 5; i++) { /* who-has / is-at, the real gateway */
        mk_arp(&p, t, h, mc, gw, NULL);
        nvg_detect_record(d, 0, &p);
        mk_arp(&p, t + MS, gw, ma, h, mc);
        nvg_detect_record(d, 0, &p);
        t += SEC;
        tick(d, &s, t);
    }
    assert_int_equal(s.n, 0);
    for (int i = 0; i < 5; i++) { /* the spoofer claims the gateway's address */
        mk_arp(&p, t, gw, mb, h, mc);
        nvg_detect_record(d, 1, &p);
        t += SEC;
        tick(d, &s, t);
    }
    run_ticks(d, &s, t, t + 40 * SEC);
    expect_one_life(&s, NVG_DET_ARPSPOOF);
    const struct nvg_alert *a = &s.a[0];
    assert_memory_equal(a->mac_old, ma, 6);
    assert_memory_equal(a->mac_new, mb, 6);
    assert_true(a->sensors == 2);
    printf("  %s\n", a->summary);
    assert_non_null(strstr(a->summary, "10.0.0.1 claimed by 02:00:00:00:00:0b"));
    nvg_detect_free(d);

    /* Gratuitous-ARP storm: 100 per second for 3 s. */
    d = engine(NULL);
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < 300; i++) {
        mk_arp(&p, T0 + i * 10 * MS, gw, ma, gw, NULL);
        nvg_detect_record(d, 0, &p);
    }
    run_ticks(d, &s, T0 + SEC, T0 + 40 * SEC);
    expect_one_life(&s, NVG_DET_ARPSTORM);
    nvg_detect_free(d);
}

static void test_brute_force(void **state)
{
    uint8_t a[16], v[16];
    ip4(a, "10.0.0.5");
    ip4(v, "10.0.0.7");
    struct nvg_detect *d = engine(NULL);
    struct seen s = {0};
    struct nvg_pkt p;
    int64_t t = T0;
    for (unsigned i = 0; i < 30; i++) { /* refused */
        mk_tcp(&p, t, a, v, 40000 + i, 22, NVG_TCP_SYN, 60);
        nvg_detect_record(d, 0, &p);
        mk_tcp(&p, t + MS, v, a, 22, 40000 + i, NVG_TCP_RST | NVG_TCP_ACK, 54);
        nvg_detect_record(d, 0, &p);
        t += 300 * MS;
        if (i % 3 == 0)
            tick(d, &s, t);
    }
    for (unsigned i = 0; i < 10; i++) /* and short */
        tcp_conn(d, &t, a, v, 41000 + i, 22, 2);
    run_ticks(d, &s, t, t + 40 * SEC);
    expect_one_life(&s, NVG_DET_BRUTEFORCE);
    printf("  %s\n", s.a[0].summary);
    assert_int_equal(s.a[0].port, 22);
    assert_true(s.a[s.n - 1].count >= 30);
    nvg_detect_free(d);
}

static void test_policy(void **state)
{
    uint8_t a[16], v[16], in[16], web[16];
    ip4(a, "192.168.1.5");
    ip4(in, "10.1.1.1");
    ip4(v, "10.0.0.7");
    ip4(web, "93.184.216.34");
    struct nvg_detect *d = engine("[policy]\n"
                                  "no-telnet = proto tcp dport 23 severity high\n"
                                  "ssh-from-inside = proto tcp dport 22 src !10.0.0.0/8\n"
                                  "db-offline = src 10.0.0.9 dst !private\n");
    struct seen s = {0};
    int64_t t = T0;
    tcp_conn(d, &t, in, v, 40000, 22, 5); /* allowed */
    tcp_conn(d, &t, in, web, 40001, 443, 5);
    tick(d, &s, T0 + SEC);
    assert_int_equal(s.n, 0);
    tcp_conn(d, &t, a, v, 40002, 23, 5);
    run_ticks(d, &s, T0 + 2 * SEC, T0 + 40 * SEC);
    expect_one_life(&s, NVG_DET_POLICY);
    assert_string_equal(s.a[0].rule, "no-telnet");
    assert_int_equal(s.a[0].severity, NVG_SEV_HIGH);
    printf("  %s\n", s.a[0].summary);

    memset(&s, 0, sizeof(s));
    t = T0 + 100 * SEC;
    tcp_conn(d, &t, a, v, 40003, 22, 5);
    run_ticks(d, &s, t + SEC, t + 40 * SEC);
    expect_one_life(&s, NVG_DET_POLICY);
    assert_string_equal(s.a[0].rule, "ssh-from-inside");

    memset(&s, 0, sizeof(s));
    uint8_t db[16];
    ip4(db, "10.0.0.9");
    t = T0 + 200 * SEC;
    tcp_conn(d, &t, db, v, 40004, 5432, 5); /* inside: fine */
    tcp_conn(d, &t, db, web, 40005, 443, 5);
    run_ticks(d, &s, t + SEC, t + 40 * SEC);
    expect_one_life(&s, NVG_DET_POLICY);
    assert_string_equal(s.a[0].rule, "db-offline");
    nvg_detect_free(d);
}

static void udp_burst(struct nvg_detect *d, struct seen *s, int64_t t, unsigned pps, int secs)
{
    uint8_t a[16], v[16];
    ip4(a, "10.0.0.5");
    ip4(v, "10.0.0.9");
    struct nvg_pkt p;
    for (int sec = 0; sec < secs; sec++) {
        for (unsigned i = 0; i < pps; i++) {
            mk_udp(&p, t + sec * SEC + (int64_t)i * (SEC / pps), a, v, 5000, 9999, 1000);
            nvg_detect_record(d, 0, &p);
        }
        tick(d, s, t + (sec + 1) * SEC);
    }
}

static void test_threshold(void **state)
{
    const char *conf = "[threshold]\nudp-cap = proto udp dst 10.0.0.9 pps 400\n";
    struct nvg_detect *d = engine(conf);
    struct seen s = {0};
    udp_burst(d, &s, T0, 300, 3); /* under the limit */
    assert_int_equal(s.n, 0);
    udp_burst(d, &s, T0 + 10 * SEC, 500, 3);
    run_ticks(d, &s, T0 + 14 * SEC, T0 + 60 * SEC);
    expect_one_life(&s, NVG_DET_THRESHOLD);
    printf("  %s\n", s.a[0].summary);
    assert_true(s.a[s.n - 1].count >= 400);

    /* Lowered by a swap (SIGHUP): 300/s now crosses it. */
    struct nvg_detect_rules r;
    char err[NVG_ERRBUF_SIZE];
    assert_int_equal(
        nvg_detect_rules_parse("[threshold]\nudp-cap = proto udp pps 200\n", "b", &r, err), 0);
    nvg_detect_set_rules(d, &r);
    memset(&s, 0, sizeof(s));
    udp_burst(d, &s, T0 + 100 * SEC, 300, 3);
    run_ticks(d, &s, T0 + 104 * SEC, T0 + 150 * SEC);
    expect_one_life(&s, NVG_DET_THRESHOLD);
    nvg_detect_free(d);
}

static void test_swap_keeps_state(void **state)
{
    uint8_t a[16], v[16];
    ip4(a, "10.0.0.5");
    ip4(v, "10.0.0.7");
    struct nvg_detect *d = engine(NULL);
    struct seen s = {0};
    struct nvg_pkt p;
    for (unsigned port = 1; port <= 10; port++) {
        mk_tcp(&p, T0 + port * MS, a, v, 50000, port, NVG_TCP_SYN, 58);
        nvg_detect_record(d, 0, &p);
        mk_tcp(&p, T0 + port * MS + 1, v, a, port, 50000, NVG_TCP_RST | NVG_TCP_ACK, 54);
        nvg_detect_record(d, 0, &p);
    }
    tick(d, &s, T0 + SEC);
    assert_int_equal(s.n, 0);
    struct nvg_detect_rules r;
    char err[NVG_ERRBUF_SIZE];
    assert_int_equal(
        nvg_detect_rules_parse("[alerts]\nquiet = 20s\n[sweep]\nenabled = no\n", "b", &r, err), 0);
    nvg_detect_set_rules(d, &r);
    for (unsigned port = 11; port <= 20; port++) {
        mk_tcp(&p, T0 + SEC + port * MS, a, v, 50000, port, NVG_TCP_SYN, 58);
        nvg_detect_record(d, 0, &p);
        mk_tcp(&p, T0 + SEC + port * MS + 1, v, a, port, 50000, NVG_TCP_RST | NVG_TCP_ACK, 54);
        nvg_detect_record(d, 0, &p);
    }
    run_ticks(d, &s, T0 + 2 * SEC, T0 + 40 * SEC);
    expect_one_life(&s, NVG_DET_PORTSCAN); /* 10 before + 10 after the swap >= 15 */
    assert_true(s.a[s.n - 1].count >= 18); /* 20 ports, a linear-counting estimate */
    nvg_detect_free(d);
}

static void test_allow_list(void **state)
{
    struct nvg_detect *d = engine("[allow]\nnessus = 10.0.0.5, 2001:db8::/32\n");
    struct seen s = {0};
    int64_t end = syn_scan(d, &s, T0, NULL);
    run_ticks(d, &s, end, end + 40 * SEC);
    assert_int_equal(s.n, 0);
    struct nvg_detect_stats st;
    nvg_detect_stats(d, &st);
    assert_true(st.suppressed > 0);
    nvg_detect_free(d);
}

static void expect_error(const char *text, const char *want)
{
    struct nvg_detect_rules r;
    nvg_detect_rules_default(&r);
    r.scan_ports = 12345;
    char err[NVG_ERRBUF_SIZE] = "";
    assert_int_not_equal(nvg_detect_rules_parse(text, "alerts.conf", &r, err), 0);
    printf("  %s\n", err);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    assert_int_equal(r.scan_ports, 12345); /* untouched */
}

static void test_rule_errors(void **state)
{
    expect_error("[portscan]\nports = 20\nports = many\n", "alerts.conf:3: bad number \"many\"");
    expect_error("[portscan]\nwindow = 5 minutes\n", "alerts.conf:2: bad duration");
    expect_error("\n[nosuch]\nx = 1\n", "alerts.conf:3: unknown section [nosuch]");
    expect_error("[sweep]\ncolour = red\n", "alerts.conf:2: unknown setting \"colour\"");
    expect_error("[policy]\nno-telnet = proto tcp dport 99999\n", "alerts.conf:2: bad port");
    expect_error("[policy]\nx = src 10.0.0.300\n", "alerts.conf:2: bad address");
    expect_error("[policy]\nx = proto tcp\nx = proto udp\n", "alerts.conf:3: rule \"x\" defined");
    expect_error("[threshold]\nt = proto udp\n", "alerts.conf:2: threshold rule \"t\" needs pps");
    expect_error("[allow]\nx = !10.0.0.0/8\n", "alerts.conf:2: allow-list entries cannot");
    expect_error("[portscan\n", "alerts.conf:1: syntax error");
    expect_error("[arpspoof]\nenabled = maybe\n", "alerts.conf:2: bad boolean");

    struct nvg_detect_rules r;
    char err[NVG_ERRBUF_SIZE] = "";
    assert_int_equal(nvg_detect_rules_load("/nonexistent/alerts.conf", &r, err), NVG_EIO);
    assert_non_null(strstr(err, "/nonexistent/alerts.conf: "));

    char path[] = "/tmp/nvg-detect-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "; comment\n[portscan]\nports = 30\n[bruteforce]\nports = 22, 2222\n"
                       "attempts = 5\n[icmpflood]\nenabled = no\n[sweep]\nhosts = x\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_not_equal(nvg_detect_rules_load(path, &r, err), 0);
    char want[128];
    snprintf(want, sizeof(want), "%s:10: bad number \"x\" for hosts", path);
    printf("  %s\n", err);
    assert_non_null(strstr(err, want));

    /* The good part of the file on its own loads. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    size_t good = strlen(text) - strlen("[sweep]\nhosts = x\n");
    assert_int_equal(write(fd, text, good), (ssize_t)good);
    close(fd);
    assert_int_equal(nvg_detect_rules_load(path, &r, err), 0);
    unlink(path);
    assert_int_equal(r.scan_ports, 30);
    assert_int_equal(r.bf_attempts, 5);
    assert_false(r.enabled[NVG_DET_ICMPFLOOD]);
    assert_true(r.bf_ports[2222 >> 3] & (1u << (2222 & 7)));
    assert_false(r.bf_ports[3389 >> 3] & (1u << (3389 & 7)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn_scan),         cmocka_unit_test(test_other_scans),
        cmocka_unit_test(test_unanswered_scans), cmocka_unit_test(test_benign),
        cmocka_unit_test(test_syn_flood),        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_brute_force),      cmocka_unit_test(test_policy),
        cmocka_unit_test(test_threshold),        cmocka_unit_test(test_swap_keeps_state),
        cmocka_unit_test(test_allow_list),       cmocka_unit_test(test_rule_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
