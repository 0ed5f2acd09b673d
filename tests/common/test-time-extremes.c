/* Times at the edges (issue 10): every int64 nanosecond and every int64 second has a correct
 * text, the text reads back to the same second, and a clamped time shows in the CSV flags
 * column, the text line and on the wire. Runs under UBSan in the sanitizer build: any signed
 * overflow is a failure there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nvg-error.h"
#include "nvg-format.h"
#include "nvg-time.h"
#include "nvg-wire.h"

static void test_ns_ends(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(nvg_format_time_iso(buf, INT64_MIN), 27);
    assert_string_equal(buf, "1677-09-21T00:12:43.145224Z");
    assert_int_equal(nvg_format_time_iso(buf, INT64_MAX), 27);
    assert_string_equal(buf, "2262-04-11T23:47:16.854775Z");
    nvg_format_time_iso(buf, -1);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
    nvg_format_time_iso(buf, INT64_MIN + 1);
    assert_string_equal(buf, "1677-09-21T00:12:43.145224Z");
}

struct sec_case {
    int64_t sec;
    const char *text;
};

static const struct sec_case sec_cases[] = {
    {0, "1970-01-01T00:00:00Z"},
    {-1, "1969-12-31T23:59:59Z"},
    {1722193121, "2024-07-28T18:58:41Z"},
    {3281990400LL, "2074-01-01T00:00:00Z"},
    {253402300799LL, "9999-12-31T23:59:59Z"},
    {253402300800LL, "+10000-01-01T00:00:00Z"},
    {-62135596800LL, "0001-01-01T00:00:00Z"},
    {-62135596801LL, "0000-12-31T23:59:59Z"},
    {-62167219201LL, "-0001-12-31T23:59:59Z"},
    {-9223372037LL, "1677-09-21T00:12:43Z"}, /* the second of INT64_MIN ns */
    {9223372036LL, "2262-04-11T23:47:16Z"},  /* the second of INT64_MAX ns */
    {INT64_MAX, "+292277026596-12-04T15:30:07Z"},
    {INT64_MIN, "-292277022657-01-27T08:29:52Z"},
};

static void test_sec_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(sec_cases) / sizeof(sec_cases[0]); i++) {
        char buf[NVG_TIME_ISO_SEC_MAX];
        size_t n = nvg_format_time_iso_sec(buf, sec_cases[i].sec);
        assert_string_equal(buf, sec_cases[i].text);
        assert_int_equal(n, strlen(sec_cases[i].text));
        assert_true(n < NVG_TIME_ISO_SEC_MAX);
        int64_t back = 0;
        assert_int_equal(nvg_parse_time_iso_sec(buf, n, &back), 0);
        assert_int_equal(back, sec_cases[i].sec);
    }
}

/* Both forms read back; a sweep of seconds over many eras, and the nanosecond form's second. */
static void test_parse_round_trip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t sec = (int64_t)x >> (i % 40);
        char buf[NVG_TIME_ISO_SEC_MAX];
        size_t n = nvg_format_time_iso_sec(buf, sec);
        int64_t back;
        assert_int_equal(nvg_parse_time_iso_sec(buf, n, &back), 0);
        assert_int_equal(back, sec);
        int64_t ns = (int64_t)x;
        char iso[32];
        n = nvg_format_time_iso(iso, ns);
        assert_int_equal(nvg_parse_time_iso_sec(iso, n, &back), 0);
        int64_t want = ns / 1000000000LL - (ns % 1000000000LL < 0);
        assert_int_equal(back, want);
    }
}

static void test_parse_refuses(void **state)
{
    (void)state;
    static const char *bad[] = {"",
                                "2024",
                                "2024-13-01T00:00:00Z",
                                "2024-01-01T24:00:00Z",
                                "2024-01-01 00:00:00Z",
                                "24-01-01T00:00:00Z",
                                "2024-01-01T00:00:00X",
                                "+2924000000000-01-01T00:00:00Z",
                                "+292277026597-01-01T00:00:00Z",
                                "-292277022658-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t sec;
        assert_int_equal(nvg_parse_time_iso_sec(bad[i], strlen(bad[i]), &sec), NVG_EINVAL);
    }
}

static struct nvg_pkt clamped_udp(int64_t ts)
{
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    p.ts_ns = ts;
    p.proto = NVG_PROTO_UDP;
    p.wire_len = 60;
    p.flags = NVG_PKT_TIME_CLAMPED;
    return p;
}

static void test_clamped_shown(void **state)
{
    (void)state;
    char buf[NVG_FORMAT_LINE_MAX];
    struct nvg_pkt p = clamped_udp(INT64_MAX);
    nvg_format_csv_row(buf, &p, "s", 1);
    assert_string_equal(buf, "2262-04-11T23:47:16.854775Z,s,UDP,,,,,~,,60,,,\n");
    p.flags |= NVG_PKT_HAS_TCPFLAGS;
    p.proto = NVG_PROTO_TCP;
    p.tcp_flags = NVG_TCP_SYN | NVG_TCP_ACK;
    p.ts_ns = INT64_MIN;
    nvg_format_csv_row(buf, &p, "s", 1);
    assert_string_equal(buf, "1677-09-21T00:12:43.145224Z,s,TCP,,,,,SA~,,60,,,\n");
    nvg_format_text_line(buf, &p, NULL);
    assert_non_null(strstr(buf, " time=clamped"));
    assert_string_equal(buf, "[1677-09-21 00:12:43.145224] TCP flags=SA len=60 time=clamped\n");
    p.flags &= (uint16_t)~NVG_PKT_TIME_CLAMPED;
    nvg_format_csv_row(buf, &p, "s", 1);
    assert_null(strchr(buf, '~'));
}

/* sfixed64 carries any int64; the ends are where saturation lands, so they come flagged. */
static void test_wire_ends(void **state)
{
    (void)state;
    int64_t times[] = {INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX - 1, INT64_MAX};
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        struct nvg_pkt p = clamped_udp(times[i]), q;
        p.flags = 0;
        Netvigil__PacketRecord pb;
        netvigil__packet_record__init(&pb);
        nvg_wire_record_to_pb(&p, &pb);
        assert_int_equal(nvg_wire_record_from_pb(&pb, &q), 0);
        assert_int_equal(q.ts_ns, times[i]);
        bool at_end = times[i] == INT64_MIN || times[i] == INT64_MAX;
        assert_int_equal((q.flags & NVG_PKT_TIME_CLAMPED) != 0, at_end);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ns_ends),          cmocka_unit_test(test_sec_text),
        cmocka_unit_test(test_parse_round_trip), cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_clamped_shown),    cmocka_unit_test(test_wire_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
