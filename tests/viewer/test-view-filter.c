/* The display filter: parsing the field texts and the app.apply-filter spec, and matching
 * (addresses, CIDR v4/v6, ports, protocol, sensor); invalid input is rejected and reported per
 * field, never half-applied. */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-view-filter.h"

static struct nvg_pkt pkt4(const char *src, const char *dst, int proto, int sport, int dport)
{
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    p.ip_version = 4;
    assert_int_equal(inet_pton(AF_INET, src, p.src), 1);
    assert_int_equal(inet_pton(AF_INET, dst, p.dst), 1);
    p.proto = (uint8_t)proto;
    if (sport >= 0) {
        p.flags |= NVG_PKT_HAS_PORTS;
        p.sport = (uint16_t)sport;
        p.dport = (uint16_t)dport;
    }
    return p;
}

static struct nvg_pkt pkt6(const char *src, const char *dst, int proto, int sport, int dport)
{
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    p.ip_version = 6;
    assert_int_equal(inet_pton(AF_INET6, src, p.src), 1);
    assert_int_equal(inet_pton(AF_INET6, dst, p.dst), 1);
    p.proto = (uint8_t)proto;
    p.flags |= NVG_PKT_HAS_PORTS;
    p.sport = (uint16_t)sport;
    p.dport = (uint16_t)dport;
    return p;
}

static struct nvg_filter compile_ok(const char *spec)
{
    struct nvg_view_fields fields;
    struct nvg_filter f;
    assert_int_equal(nvg_view_fields_parse(spec, &fields), 0);
    assert_int_equal(nvg_view_filter_compile(&fields, &f), 0);
    return f;
}

static unsigned compile_bad(const char *spec)
{
    struct nvg_view_fields fields;
    struct nvg_filter f;
    memset(&f, 0xab, sizeof(f));
    struct nvg_filter before = f;
    unsigned bad = nvg_view_fields_parse(spec, &fields);
    if (!bad)
        bad = nvg_view_filter_compile(&fields, &f);
    assert_memory_equal(&f, &before, sizeof(f)); /* untouched */
    return bad;
}

static void test_parse_spec(void **state)
{
    (void)state;
    struct nvg_view_fields f;
    assert_int_equal(nvg_view_fields_parse(" proto = UDP ; src=10.0.0.0/8,dst=::1;port=53;"
                                           "sensor=web-1 ",
                                           &f),
                     0);
    assert_string_equal(f.proto, "UDP");
    assert_string_equal(f.src, "10.0.0.0/8");
    assert_string_equal(f.dst, "::1");
    assert_string_equal(f.port, "53");
    assert_string_equal(f.sensor, "web-1");
    char *spec = nvg_view_fields_to_spec(&f);
    assert_string_equal(spec, "proto=UDP;src=10.0.0.0/8;dst=::1;port=53;sensor=web-1");
    g_free(spec);
    assert_int_equal(nvg_view_fields_parse("", &f), 0);
    assert_string_equal(f.proto, "");
    assert_int_equal(nvg_view_fields_parse(NULL, &f), 0);
    assert_int_equal(nvg_view_fields_parse("colour=red", &f), NVG_VIEW_FIELD_SPEC);
    assert_int_equal(nvg_view_fields_parse("udp", &f), NVG_VIEW_FIELD_SPEC);
    char longv[200];
    memset(longv, '1', sizeof(longv));
    memcpy(longv, "src=", 4);
    longv[sizeof(longv) - 1] = '\0';
    assert_int_equal(nvg_view_fields_parse(longv, &f), NVG_VIEW_FIELD_SRC);
}

static void test_invalid(void **state)
{
    (void)state;
    assert_int_equal(compile_bad("proto=smtp"), NVG_VIEW_FIELD_PROTO);
    assert_int_equal(compile_bad("src=10.0.0.256"), NVG_VIEW_FIELD_SRC);
    assert_int_equal(compile_bad("src=10.0.0.0/33"), NVG_VIEW_FIELD_SRC);
    assert_int_equal(compile_bad("src=10.0.0.0/"), NVG_VIEW_FIELD_SRC);
    assert_int_equal(compile_bad("src=10.0.0.0/-1"), NVG_VIEW_FIELD_SRC);
    assert_int_equal(compile_bad("dst=2001:db8::/129"), NVG_VIEW_FIELD_DST);
    assert_int_equal(compile_bad("dst=host.example"), NVG_VIEW_FIELD_DST);
    assert_int_equal(compile_bad("port=65536"), NVG_VIEW_FIELD_PORT);
    assert_int_equal(compile_bad("port=-1"), NVG_VIEW_FIELD_PORT);
    assert_int_equal(compile_bad("port=5x"), NVG_VIEW_FIELD_PORT);
    /* every bad field is reported at once */
    assert_int_equal(compile_bad("proto=x;src=y;dst=z;port=w"),
                     NVG_VIEW_FIELD_PROTO | NVG_VIEW_FIELD_SRC | NVG_VIEW_FIELD_DST |
                         NVG_VIEW_FIELD_PORT);
    /* one bad field: the good ones are not applied either */
    assert_int_equal(compile_bad("proto=udp;port=99999"), NVG_VIEW_FIELD_PORT);
    assert_int_equal(compile_bad("time=yesterday"), NVG_VIEW_FIELD_TIME);
    assert_int_equal(compile_bad("src=10.0.0.5;time=2024-07-28T18:58:41Z"), NVG_VIEW_FIELD_TIME);
    assert_int_equal(compile_bad("src=10.0.0.5;dir=sideways"), NVG_VIEW_FIELD_DIR);
}

/* A conversation's activation: both directions, and back to the same spec. */
static void test_dir_both(void **state)
{
    (void)state;
    struct nvg_view_fields fields;
    const char *spec = "src=10.0.0.1;dst=10.0.0.2;dir=both";
    assert_int_equal(nvg_view_fields_parse(spec, &fields), 0);
    char *back = nvg_view_fields_to_spec(&fields);
    assert_string_equal(back, spec);
    g_free(back);
    struct nvg_filter f;
    assert_int_equal(nvg_view_filter_compile(&fields, &f), 0);
    assert_true(f.both_ways);
    assert_int_equal(nvg_view_fields_parse("src=10.0.0.1", &fields), 0);
    assert_int_equal(nvg_view_filter_compile(&fields, &f), 0);
    assert_false(f.both_ways);
}

/* An alert's activation: its source over its evidence's seconds, open at the end. */
static void test_time_span(void **state)
{
    (void)state;
    struct nvg_view_fields fields;
    const char *spec = "src=10.0.0.5;time=2024-07-28T18:58:41Z..";
    assert_int_equal(nvg_view_fields_parse(spec, &fields), 0);
    assert_string_equal(fields.time, "2024-07-28T18:58:41Z..");
    char *back = nvg_view_fields_to_spec(&fields);
    assert_string_equal(back, spec);
    g_free(back);
    struct nvg_filter f;
    assert_int_equal(nvg_view_filter_compile(&fields, &f), 0);
    assert_true(f.from_ns == 1722193121LL * 1000000000 && f.to_ns == INT64_MAX);
}

static void test_match_v4(void **state)
{
    (void)state;
    struct nvg_pkt dns = pkt4("10.1.2.3", "192.168.1.1", NVG_PROTO_UDP, 33000, 53);
    struct nvg_pkt web = pkt4("172.16.0.9", "10.1.2.3", NVG_PROTO_TCP, 443, 51000);
    struct nvg_pkt ping = pkt4("10.1.2.3", "8.8.8.8", NVG_PROTO_ICMP, -1, -1);

    struct nvg_filter f = compile_ok("");
    assert_true(nvg_filter_match(&f, "s", &dns));
    f = compile_ok("proto=any");
    assert_true(nvg_filter_match(&f, "s", &ping));

    f = compile_ok("proto=udp;port=53");
    assert_true(nvg_filter_match(&f, "s", &dns));
    assert_false(nvg_filter_match(&f, "s", &web));
    assert_false(nvg_filter_match(&f, "s", &ping));

    f = compile_ok("port=443"); /* source or destination port */
    assert_true(nvg_filter_match(&f, "s", &web));
    assert_false(nvg_filter_match(&f, "s", &ping)); /* no ports at all */
    f = compile_ok("port=0");
    assert_false(nvg_filter_match(&f, "s", &ping));

    f = compile_ok("src=10.0.0.0/8");
    assert_true(nvg_filter_match(&f, "s", &dns));
    assert_false(nvg_filter_match(&f, "s", &web));
    f = compile_ok("src=10.1.2.0/23"); /* prefix not on a byte boundary */
    assert_true(nvg_filter_match(&f, "s", &dns));
    f = compile_ok("src=10.1.4.0/23");
    assert_false(nvg_filter_match(&f, "s", &dns));
    f = compile_ok("dst=10.1.2.3");
    assert_true(nvg_filter_match(&f, "s", &web));
    assert_false(nvg_filter_match(&f, "s", &dns));
    f = compile_ok("src=0.0.0.0/0");
    assert_true(nvg_filter_match(&f, "s", &web));
    f = compile_ok("src=10.1.2.3;dst=8.8.8.8;proto=icmp");
    assert_true(nvg_filter_match(&f, "s", &ping));

    f = compile_ok("sensor=web-1");
    assert_true(nvg_filter_match(&f, "web-1", &dns));
    assert_false(nvg_filter_match(&f, "web-10", &dns));
}

static void test_match_v6(void **state)
{
    (void)state;
    struct nvg_pkt p = pkt6("2001:db8:1::5", "fe80::1", NVG_PROTO_TCP, 51000, 80);
    struct nvg_filter f = compile_ok("src=2001:db8::/32");
    assert_true(nvg_filter_match(&f, "s", &p));
    f = compile_ok("src=2001:db8:2::/48");
    assert_false(nvg_filter_match(&f, "s", &p));
    f = compile_ok("src=2001:db8:1::/47");
    assert_true(nvg_filter_match(&f, "s", &p));
    f = compile_ok("dst=fe80::1;port=80;proto=tcp");
    assert_true(nvg_filter_match(&f, "s", &p));
    f = compile_ok("src=10.0.0.0/8"); /* a v4 network never matches a v6 address */
    assert_false(nvg_filter_match(&f, "s", &p));
    struct nvg_pkt v4 = pkt4("0.0.0.0", "0.0.0.0", NVG_PROTO_UDP, 1, 2);
    f = compile_ok("src=::/0");
    assert_false(nvg_filter_match(&f, "s", &v4));
    assert_true(nvg_filter_match(&f, "s", &p));
}

int main(void)
{
    /* As under g_test_init(): a GLib warning or critical from the code under test fails. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_spec), cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_time_span),  cmocka_unit_test(test_dir_both),
        cmocka_unit_test(test_match_v4),   cmocka_unit_test(test_match_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
