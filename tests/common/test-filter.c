/* Unit tests of the display filter both clients apply (common/nvg-filter.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nvg-error.h"
#include "nvg-filter.h"

static struct nvg_pkt udp(const char *src4, uint16_t sport, uint16_t dport)
{
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    p.ip_version = 4;
    p.proto = NVG_PROTO_UDP;
    p.flags = NVG_PKT_HAS_PORTS;
    p.sport = sport;
    p.dport = dport;
    struct nvg_filter_net n;
    assert_int_equal(nvg_filter_parse_net(src4, &n), 0);
    memcpy(p.src, n.addr, 4);
    p.dst[0] = 192, p.dst[1] = 168, p.dst[3] = 1;
    return p;
}

static void test_parse_net(void **state)
{
    (void)state;
    struct nvg_filter_net n;
    assert_int_equal(nvg_filter_parse_net("10.1.2.3/8", &n), 0);
    assert_int_equal(n.ip_version, 4);
    assert_int_equal(n.prefix, 8);
    assert_int_equal(n.addr[0], 10);
    assert_int_equal(n.addr[1], 0); /* masked */
    assert_int_equal(nvg_filter_parse_net("2001:db8::1", &n), 0);
    assert_int_equal(n.ip_version, 6);
    assert_int_equal(n.prefix, 128);
    assert_int_equal(nvg_filter_parse_net("2001:db8::/33", &n), 0);
    assert_int_equal(n.prefix, 33);
    assert_int_equal(nvg_filter_parse_net("10.0.0.0/33", &n), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_net("10.0.0.0/", &n), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_net("10.0.0.0/x", &n), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_net("10.0.0", &n), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_net("example.com", &n), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_net("", &n), NVG_EINVAL);
}

static void test_parse_port_proto(void **state)
{
    (void)state;
    int v;
    assert_int_equal(nvg_filter_parse_port("53", &v), 0);
    assert_int_equal(v, 53);
    assert_int_equal(nvg_filter_parse_port("65536", &v), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_port("-1", &v), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_port("5x", &v), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_port("", &v), NVG_EINVAL);
    assert_int_equal(nvg_filter_parse_proto("udp", &v), 0);
    assert_int_equal(v, NVG_PROTO_UDP);
    assert_int_equal(nvg_filter_parse_proto("ICMPv6", &v), 0);
    assert_int_equal(v, NVG_PROTO_ICMPV6);
    assert_int_equal(nvg_filter_parse_proto("sctp", &v), NVG_EINVAL);
}

static void test_match(void **state)
{
    (void)state;
    struct nvg_filter f;
    nvg_filter_init(&f);
    struct nvg_pkt dns = udp("10.1.2.3", 40000, 53), ntp = udp("172.16.0.1", 123, 123);
    assert_true(nvg_filter_match(&f, "a", &dns));
    assert_int_equal(nvg_filter_parse_port("53", &f.port), 0);
    assert_true(nvg_filter_match(&f, "a", &dns));
    assert_false(nvg_filter_match(&f, "a", &ntp));
    dns.flags = 0; /* ports not valid (a later fragment): no port match */
    assert_false(nvg_filter_match(&f, "a", &dns));
    dns.flags = NVG_PKT_HAS_PORTS;
    assert_int_equal(nvg_filter_parse_net("10.0.0.0/8", &f.src), 0);
    assert_true(nvg_filter_match(&f, "a", &dns));
    assert_int_equal(nvg_filter_parse_net("10.2.0.0/16", &f.src), 0);
    assert_false(nvg_filter_match(&f, "a", &dns));
    nvg_filter_init(&f);
    assert_int_equal(nvg_filter_parse_proto("tcp", &f.proto), 0);
    assert_false(nvg_filter_match(&f, "a", &dns));
    nvg_filter_init(&f);
    strcpy(f.sensor, "ab");
    assert_false(nvg_filter_match(&f, "abc", &dns)); /* topic prefix is not enough */
    assert_true(nvg_filter_match(&f, "ab", &dns));
    nvg_filter_init(&f);
    assert_int_equal(nvg_filter_parse_net("2001:db8::/32", &f.dst), 0);
    assert_false(nvg_filter_match(&f, "a", &dns)); /* v6 filter, v4 packet */
}

/* Both ways round: a conversation's two directions, and only those. */
static void test_both_ways(void **state)
{
    (void)state;
    struct nvg_filter f;
    nvg_filter_init(&f);
    assert_int_equal(nvg_filter_parse_net("10.1.2.3", &f.src), 0);
    assert_int_equal(nvg_filter_parse_net("10.9.9.9", &f.dst), 0);
    struct nvg_pkt there = udp("10.1.2.3", 40000, 53), back = udp("10.9.9.9", 53, 40000),
                   other = udp("10.9.9.9", 53, 40000);
    memcpy(there.dst, (uint8_t[]){10, 9, 9, 9}, 4);
    memcpy(back.dst, (uint8_t[]){10, 1, 2, 3}, 4);
    memcpy(other.dst, (uint8_t[]){10, 1, 2, 4}, 4);
    assert_true(nvg_filter_match(&f, "a", &there));
    assert_false(nvg_filter_match(&f, "a", &back)); /* one way by default */
    f.both_ways = true;
    assert_true(nvg_filter_match(&f, "a", &there));
    assert_true(nvg_filter_match(&f, "a", &back));
    assert_false(nvg_filter_match(&f, "a", &other));
}

/* A time span: whole seconds, TO's second included, open sides, refusals. */
static void test_span(void **state)
{
    (void)state;
    const int64_t t0 = 1722193121LL * 1000000000; /* 2024-07-28T18:58:41Z */
    struct nvg_filter f;
    nvg_filter_init(&f);
    struct nvg_pkt p = udp("10.0.0.5", 1000, 53);
    p.ts_ns = t0 - 1;
    assert_true(nvg_filter_match(&f, "s", &p)); /* no span: any time */
    assert_int_equal(
        nvg_filter_parse_span("2024-07-28T18:58:41Z..2024-07-28T18:58:42.5Z", &f.from_ns, &f.to_ns),
        0);
    assert_true(f.from_ns == t0 && f.to_ns == t0 + 2000000000);
    assert_false(nvg_filter_match(&f, "s", &p));
    p.ts_ns = t0;
    assert_true(nvg_filter_match(&f, "s", &p));
    p.ts_ns = t0 + 1999999999;
    assert_true(nvg_filter_match(&f, "s", &p));
    p.ts_ns = t0 + 2000000000;
    assert_false(nvg_filter_match(&f, "s", &p));
    assert_int_equal(nvg_filter_parse_span("2024-07-28T18:58:41Z..", &f.from_ns, &f.to_ns), 0);
    p.ts_ns = INT64_MAX; /* a clamped time still matches an open end */
    assert_true(nvg_filter_match(&f, "s", &p));
    assert_int_equal(nvg_filter_parse_span("..2024-07-28T18:58:41", &f.from_ns, &f.to_ns), 0);
    assert_true(f.from_ns == INT64_MIN && f.to_ns == t0 + 1000000000);
    assert_int_equal(nvg_filter_parse_span("..", &f.from_ns, &f.to_ns), 0);
    assert_true(f.from_ns == INT64_MIN && f.to_ns == INT64_MAX);
    /* far years saturate to what a record can hold, never overflow */
    assert_int_equal(nvg_filter_parse_span("9999-12-31T23:59:59Z..", &f.from_ns, &f.to_ns), 0);
    assert_true(f.from_ns == INT64_MAX);
    int64_t a = 7, b = 9;
    const char *bad[] = {"",
                         "2024-07-28T18:58:41Z",
                         "x..",
                         "..2024-13-01T00:00:00Z",
                         "2024-07-28T18:58:42Z..2024-07-28T18:58:40Z",
                         "2024-07-28T18:58:41Z...",
                         "2024-07-28T18:58:41Z ..",
                         "1..2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(nvg_filter_parse_span(bad[i], &a, &b), NVG_EINVAL);
        assert_true(a == 7 && b == 9);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_net), cmocka_unit_test(test_parse_port_proto),
        cmocka_unit_test(test_match),     cmocka_unit_test(test_span),
        cmocka_unit_test(test_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
