/* Unit tests for common/nvg-format.c: time, addresses (against inet_ntop), flags, quoting,
 * whole CSV rows and text lines. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nvg-format.h"
#include "nvg-time.h"

#define NS 1000000000LL

/* Deterministic pseudo-random numbers (splitmix64). */
static uint64_t rng_state = 0x6e7667u;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void check_time(int64_t ts_ns, const char *want)
{
    char buf[64];
    size_t n = nvg_format_time_iso(buf, ts_ns);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_time_fixed(void **state)
{
    (void)state;
    check_time(0, "1970-01-01T00:00:00.000000Z");
    check_time(1722193121123456789LL, "2024-07-28T18:58:41.123456Z");
    check_time(999999999, "1970-01-01T00:00:00.999999Z"); /* truncated, not rounded */
    check_time(1999, "1970-01-01T00:00:00.000001Z");
    check_time(951825600LL * NS, "2000-02-29T12:00:00.000000Z"); /* century leap year */
    check_time(1709164800LL * NS, "2024-02-29T00:00:00.000000Z");
    check_time(4107542400LL * NS, "2100-03-01T00:00:00.000000Z"); /* 2100 is no leap year */
    check_time(4107542399LL * NS + 999999999, "2100-02-28T23:59:59.999999Z");
    check_time(4323283200LL * NS, "2107-01-01T00:00:00.000000Z");
    check_time(1735689599LL * NS + 500000, "2024-12-31T23:59:59.000500Z");
    check_time(-1, "1969-12-31T23:59:59.999999Z");
    check_time(-NS, "1969-12-31T23:59:59.000000Z");
    check_time(INT64_MAX, "2262-04-11T23:47:16.854775Z");
}

/* Against gmtime_r over many random instants, 1678..2262. */
static void test_time_vs_gmtime(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        int64_t ts = (int64_t)(rnd() >> 1);
        if (i & 1)
            ts = -ts / 2; /* keeps within the span gmtime and the formatter share */
        int64_t sec = ts / NS, ns = ts % NS;
        if (ns < 0) {
            ns += NS;
            sec--;
        }
        time_t t = (time_t)sec;
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        char want[64], got[64];
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns / 1000));
        nvg_format_time_iso(got, ts);
        assert_string_equal(got, want);
    }
}

static void test_time_from_pcap(void **state)
{
    (void)state;
    bool c = false;
    assert_int_equal(nvg_time_from_pcap(10, 5, false, &c), 10 * NS + 5000);
    assert_int_equal(nvg_time_from_pcap(10, 5, true, &c), 10 * NS + 5);
    /* A fraction of a second or more carries into the seconds. */
    assert_int_equal(nvg_time_from_pcap(10, 1500000, false, &c), 11 * NS + 500000000);
    assert_int_equal(nvg_time_from_pcap(10, 2000000001, true, &c), 12 * NS + 1);
    assert_false(c);
    char buf[64];
    nvg_format_time_iso(buf, nvg_time_from_pcap(1722193121, 1000001, false, &c));
    assert_string_equal(buf, "2024-07-28T18:58:42.000001Z");
    assert_false(c);
}

/* Issue 10: stamps past what int64 ns holds saturate and say so, never overflow (UBSan runs
 * this); classic pcap's unsigned seconds read as such. */
static void test_time_from_pcap_extremes(void **state)
{
    (void)state;
    bool c = false;
    int64_t last_sec = INT64_MAX / NS; /* 2262-04-11 */
    assert_int_equal(nvg_time_from_pcap(last_sec, 0, true, &c), last_sec * NS);
    assert_false(c);
    /* Year 3000 from a pcapng stamp. */
    assert_int_equal(nvg_time_from_pcap(32503680000LL, 0, true, &c), INT64_MAX);
    assert_true(c);
    c = false;
    assert_int_equal(nvg_time_from_pcap(last_sec, 999999999, true, &c), INT64_MAX);
    assert_true(c);
    c = false;
    assert_int_equal(nvg_time_from_pcap(INT64_MIN / 2, 0, true, &c), INT64_MIN);
    assert_true(c);
    c = false;
    assert_int_equal(nvg_time_from_pcap(INT64_MAX, INT64_MAX, false, &c), INT64_MAX);
    assert_true(c);
    /* A negative fraction (libpcap's signed view of 0xFFFFFFFF) is not -1 ns. */
    c = false;
    assert_int_equal(nvg_time_from_pcap(100, -1, true, &c), 100 * NS);
    assert_true(c);
    /* 2074-01-01 written as unsigned 32-bit seconds, handed over sign-extended. */
    int64_t s2074 = 3281990400LL;
    int64_t handed = (int64_t)(int32_t)(uint32_t)s2074;
    assert_true(handed < 0);
    assert_int_equal(nvg_pcap_file_seconds(handed), s2074);
    assert_int_equal(nvg_pcap_file_seconds(1700000000), 1700000000);
    assert_int_equal(nvg_pcap_file_seconds(INT64_MIN), INT64_MIN);
    char buf_for_test[64];
    c = false;
    nvg_format_time_iso(buf_for_test,
                        nvg_time_from_pcap(nvg_pcap_file_seconds(handed), 0, true, &c));
    assert_string_equal(buf_for_test, "2074-01-01T00:00:00.000000Z");
}

/* Two caches and the thread's own, interleaved: each row shows its own time. */
static void test_time_cache(void **state)
{
    (void)state;
    struct nvg_time_cache a, b;
    nvg_time_cache_init(&a);
    nvg_time_cache_init(&b);
    struct nvg_pkt pkt;
    memset(&pkt, 0, sizeof(pkt));
    char buf[NVG_FORMAT_LINE_MAX], want[64];
    for (int i = 0; i < 10; i++) {
        pkt.ts_ns = (1722193121LL + i / 2) * NS + i;
        nvg_format_csv_row_r(&a, buf, &pkt, "s", 1);
        snprintf(want, sizeof(want), "2024-07-28T18:58:%02d.000000Z,s,", 41 + i / 2);
        assert_memory_equal(buf, want, 30);
        pkt.ts_ns = i;
        nvg_format_csv_row_r(&b, buf, &pkt, "s", 1);
        assert_memory_equal(buf, "1970-01-01T00:00:00.000000Z,s,", 30);
    }
    /* a against a fresh formatting of the same instants */
    for (int i = 0; i < 10; i++) {
        pkt.ts_ns = (1722193121LL + i) * NS + 999999999;
        nvg_format_csv_row_r(&a, buf, &pkt, "s", 1);
        snprintf(want, sizeof(want), "2024-07-28T18:58:%02d.999999Z", 41 + i);
        assert_memory_equal(buf, want, 27);
        nvg_format_time_iso(want, (1722193121LL + i) * NS - 86400 * NS);
        assert_memory_equal(want, "2024-07-27", 10);
    }
}

static void check_addr6(const uint8_t a[16])
{
    char want[INET6_ADDRSTRLEN], got[64];
    assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
    size_t n = nvg_format_addr(got, a, 6);
    assert_string_equal(got, want);
    assert_int_equal(n, strlen(want));
}

static void random_words(uint8_t a[16], unsigned zero_mask)
{
    for (int w = 0; w < 8; w++) {
        uint64_t r = rnd();
        unsigned v = (unsigned)r & 0xffff;
        switch ((r >> 16) & 7) { /* short words too, to test leading-zero suppression */
        case 0:
            v &= 0xf;
            break;
        case 1:
            v &= 0xff;
            break;
        case 2:
            v &= 0xfff;
            break;
        case 3:
            v = 0xffff;
            break;
        default:
            break;
        }
        if (zero_mask & (1u << w))
            v = 0;
        a[2 * w] = (uint8_t)(v >> 8);
        a[2 * w + 1] = (uint8_t)v;
    }
}

static void test_ipv6_vs_inet_ntop(void **state)
{
    (void)state;
    uint8_t a[16];
    /* Every pattern of zero words, several values each. */
    for (unsigned mask = 0; mask < 256; mask++) {
        for (int k = 0; k < 50; k++) {
            random_words(a, mask);
            check_addr6(a);
            /* IPv4-mapped and -compatible shapes and their near misses */
            random_words(a, mask | 0x1f);
            a[10] = a[11] = 0xff;
            check_addr6(a);
            a[11] = 0xfe;
            check_addr6(a);
            random_words(a, mask | 0x3f);
            check_addr6(a);
        }
    }
    for (int k = 0; k < 200000; k++) {
        random_words(a, (unsigned)rnd());
        check_addr6(a);
    }
}

static void test_ipv6_edges(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "::",
        "::1",
        "::2",
        "1::",
        "::ffff:0.0.0.0",
        "::ffff:1.2.3.4",
        "::1.2.3.4",
        "::0.1.0.0",
        "::ffff:0:1.2.3.4",
        "2001:db8::1",
        "2001:db8:0:0:1:0:0:1",
        "2001:0:0:1::1",
        "fe80::1:2:3:4",
        "1:0:0:2:0:0:0:3",
        "ff02::1:ff00:1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "1:2:3:4:5:6:7:8",
        "0:1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:0",
        "::fffe:1.2.3.4",
        "64:ff9b::1.2.3.4",
        "::1:0:0:0",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        uint8_t a[16];
        assert_int_equal(inet_pton(AF_INET6, texts[i], a), 1);
        check_addr6(a);
    }
}

static void test_ipv4(void **state)
{
    (void)state;
    uint8_t a[16] = {0};
    char want[INET_ADDRSTRLEN], got[64];
    for (int k = 0; k < 100000; k++) {
        uint64_t r = rnd();
        for (int i = 0; i < 4; i++) {
            a[i] = (uint8_t)(r >> (8 * i));
            if ((r >> (32 + 2 * i) & 3) == 0)
                a[i] = (uint8_t)(a[i] % 10);
            else if ((r >> (32 + 2 * i) & 3) == 1)
                a[i] = (uint8_t)(a[i] % 100);
        }
        inet_ntop(AF_INET, a, want, sizeof(want));
        nvg_format_addr(got, a, 4);
        assert_string_equal(got, want);
    }
    memset(a, 255, 4);
    nvg_format_addr(got, a, 4);
    assert_string_equal(got, "255.255.255.255");
    memset(a, 0, 4);
    nvg_format_addr(got, a, 4);
    assert_string_equal(got, "0.0.0.0");
    assert_int_equal(nvg_format_addr(got, a, 0), 0);
    assert_string_equal(got, "");
}

static void test_tcp_flags(void **state)
{
    (void)state;
    static const char *const one[9] = {"F", "S", "R", "P", "A", "U", "E", "C", "N"};
    char buf[16];
    for (int i = 0; i < 9; i++) {
        nvg_format_tcp_flags(buf, (uint16_t)(1u << i));
        assert_string_equal(buf, one[i]);
    }
    nvg_format_tcp_flags(buf, NVG_TCP_PSH | NVG_TCP_ACK);
    assert_string_equal(buf, "PA");
    nvg_format_tcp_flags(buf, NVG_TCP_SYN | NVG_TCP_ACK);
    assert_string_equal(buf, "SA");
    assert_int_equal(nvg_format_tcp_flags(buf, 0x1ff), 9);
    assert_string_equal(buf, "FSRPAUECN");
    assert_int_equal(nvg_format_tcp_flags(buf, 0), 0);
    assert_string_equal(buf, "");
}

static void check_quote(const char *in, const char *want)
{
    char out[2 * NVG_SENSOR_NAME_MAX + 3];
    size_t n = nvg_csv_quote(out, in, strlen(in));
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_csv_quote(void **state)
{
    (void)state;
    check_quote("sensor-1", "sensor-1");
    check_quote("", "");
    check_quote("a,b", "\"a,b\"");
    check_quote("say \"hi\"", "\"say \"\"hi\"\"\"");
    check_quote("two\nlines", "\"two\nlines\"");
    check_quote("cr\r", "\"cr\r\"");
    check_quote("\"", "\"\"\"\"");
    check_quote("semi;colon tab\t", "semi;colon tab\t");
}

/* OWASP CSV injection: a cell that starts with a formula trigger is quoted with a leading
 * single quote, so no spreadsheet evaluates a peer's text. Elsewhere the characters are kept. */
static void test_csv_neutralise(void **state)
{
    (void)state;
    check_quote("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    check_quote("+1", "\"'+1\"");
    check_quote("-x", "\"'-x\"");
    check_quote("@SUM(A1)", "\"'@SUM(A1)\"");
    check_quote("\tx", "\"'\tx\"");
    check_quote("\rx", "\"'\rx\"");
    check_quote("=", "\"'=\"");
    check_quote("a=b+c-d@e", "a=b+c-d@e");
    check_quote("=a,b", "\"'=a,b\"");
    /* Worst case still fits 2*len+3: a neutralised field never starts with a quote. */
    char in[NVG_SENSOR_NAME_MAX + 1], out[2 * NVG_SENSOR_NAME_MAX + 3];
    in[0] = '=';
    memset(in + 1, '"', NVG_SENSOR_NAME_MAX - 1);
    in[NVG_SENSOR_NAME_MAX] = '\0';
    size_t n = nvg_csv_quote(out, in, NVG_SENSOR_NAME_MAX);
    assert_int_equal(n, 2 * NVG_SENSOR_NAME_MAX + 2);
    assert_int_equal(out[1], '\'');
}

static struct nvg_pkt tcp_example(void)
{
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    p.ts_ns = 1722193121123456789LL;
    p.ip_version = 4;
    p.proto = NVG_PROTO_TCP;
    memcpy(p.src, (uint8_t[]){172, 16, 211, 96}, 4);
    memcpy(p.dst, (uint8_t[]){162, 255, 45, 55}, 4);
    p.sport = 65042;
    p.dport = 443;
    p.tcp_flags = NVG_TCP_PSH | NVG_TCP_ACK;
    p.ttl = 128;
    p.wire_len = 66;
    p.cap_len = 66;
    p.payload_kind = NVG_PAYLOAD_RAW;
    p.flags = NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TTL | NVG_PKT_HAS_TCPFLAGS;
    return p;
}

static void check_row(const struct nvg_pkt *p, const char *sensor, const char *want)
{
    char q[2 * NVG_SENSOR_NAME_MAX + 3];
    size_t qn = nvg_csv_quote(q, sensor, strlen(sensor));
    char buf[NVG_FORMAT_LINE_MAX];
    size_t n = nvg_format_csv_row(buf, p, q, qn);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_csv_rows(void **state)
{
    (void)state;
    assert_string_equal(
        NVG_CSV_HEADER,
        "time,sensor,proto,src,dst,sport,dport,flags,ttl,len,payload,src_mac,dst_mac\n");
    struct nvg_pkt p = tcp_example();
    check_row(&p, "s1",
              "2024-07-28T18:58:41.123456Z,s1,TCP,172.16.211.96,162.255.45.55,65042,443,PA,128,"
              "66,raw,,\n");
    check_row(&p, "a,\"b\"\nc",
              "2024-07-28T18:58:41.123456Z,\"a,\"\"b\"\"\nc\",TCP,172.16.211.96,162.255.45.55,"
              "65042,443,PA,128,66,raw,,\n");
    p.tcp_flags = 0; /* flags field present but empty */
    p.sport = 0;
    check_row(&p, "s",
              "2024-07-28T18:58:41.123456Z,s,TCP,172.16.211.96,162.255.45.55,0,443,,"
              "128,66,raw,,\n");

    /* A non-first fragment: no ports, no flags. */
    p = tcp_example();
    p.flags = NVG_PKT_HAS_TTL | NVG_PKT_FRAGMENT;
    p.proto = NVG_PROTO_IPV4;
    p.payload_kind = NVG_PAYLOAD_NONE;
    check_row(&p, "s",
              "2024-07-28T18:58:41.123456Z,s,IPv4,172.16.211.96,162.255.45.55,,,,128,"
              "66,,,\n");

    /* UDP over IPv6 with padding. */
    memset(&p, 0, sizeof(p));
    p.ts_ns = 0;
    p.ip_version = 6;
    p.proto = NVG_PROTO_UDP;
    inet_pton(AF_INET6, "2001:db8::1", p.src);
    inet_pton(AF_INET6, "ff02::fb", p.dst);
    p.sport = 5353;
    p.dport = 5353;
    p.ttl = 255;
    p.wire_len = 1514;
    p.payload_kind = NVG_PAYLOAD_PADDING;
    p.flags = NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TTL;
    check_row(&p, "s",
              "1970-01-01T00:00:00.000000Z,s,UDP,2001:db8::1,ff02::fb,5353,5353,,255,"
              "1514,padding,,\n");

    /* Nothing decoded: Other with time and length only. */
    memset(&p, 0, sizeof(p));
    p.ts_ns = 1;
    p.wire_len = 4294967295u;
    check_row(&p, "s", "1970-01-01T00:00:00.000000Z,s,Other,,,,,,,4294967295,,,\n");

    /* ARP: protocol addresses, no ttl. */
    memset(&p, 0, sizeof(p));
    p.ip_version = 4;
    p.proto = NVG_PROTO_ARP;
    memcpy(p.src, (uint8_t[]){10, 0, 0, 1}, 4);
    memcpy(p.dst, (uint8_t[]){10, 0, 0, 2}, 4);
    p.wire_len = 60;
    check_row(&p, "s", "1970-01-01T00:00:00.000000Z,s,ARP,10.0.0.1,10.0.0.2,,,,,60,,,\n");
}

/* MACs in the last two columns, lower-case hex. */
static void test_csv_macs(void **state)
{
    (void)state;
    struct nvg_pkt p = tcp_example();
    memcpy(p.src_mac, (uint8_t[]){0x02, 0x00, 0x5e, 0xab, 0xcd, 0xef}, 6);
    memcpy(p.dst_mac, (uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 6);
    p.flags |= NVG_PKT_HAS_MAC;
    check_row(&p, "s",
              "2024-07-28T18:58:41.123456Z,s,TCP,172.16.211.96,162.255.45.55,65042,443,PA,128,"
              "66,raw,02:00:5e:ab:cd:ef,ff:ff:ff:ff:ff:ff\n");
}

static void check_line(const struct nvg_pkt *p, const char *sensor, const char *want)
{
    char buf[NVG_FORMAT_LINE_MAX];
    size_t n = nvg_format_text_line(buf, p, sensor);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_text_lines(void **state)
{
    (void)state;
    struct nvg_pkt p = tcp_example();
    check_line(&p, NULL,
               "[2024-07-28 18:58:41.123456] TCP 172.16.211.96:65042 -> "
               "162.255.45.55:443 flags=PA ttl=128 len=66 payload=raw\n");
    check_line(&p, "edge\n1",
               "[2024-07-28 18:58:41.123456] edge?1 TCP 172.16.211.96:65042 -> "
               "162.255.45.55:443 flags=PA ttl=128 len=66 payload=raw\n");

    memset(&p, 0, sizeof(p));
    p.ip_version = 4;
    p.proto = NVG_PROTO_ICMP;
    memcpy(p.src, (uint8_t[]){10, 0, 0, 1}, 4);
    memcpy(p.dst, (uint8_t[]){10, 0, 0, 2}, 4);
    p.icmp_type = 8;
    p.ttl = 64;
    p.wire_len = 98;
    p.vlan_id = 100;
    p.payload_kind = NVG_PAYLOAD_RAW;
    p.flags = NVG_PKT_HAS_ICMP | NVG_PKT_HAS_TTL | NVG_PKT_HAS_VLAN;
    check_line(&p, NULL,
               "[1970-01-01 00:00:00.000000] ICMP 10.0.0.1 -> 10.0.0.2 vlan=100 "
               "icmp=8/0 ttl=64 len=98 payload=raw\n");

    memset(&p, 0, sizeof(p));
    p.ip_version = 6;
    p.proto = NVG_PROTO_TCP;
    inet_pton(AF_INET6, "2001:db8::1", p.src);
    inet_pton(AF_INET6, "::ffff:1.2.3.4", p.dst);
    p.sport = 1;
    p.dport = 2;
    p.tcp_flags = 0;
    p.wire_len = 74;
    p.flags = NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS | NVG_PKT_TRUNCATED;
    p.event = NVG_EV_TCP_TRUNC;
    p.payload_len = 2;
    p.payload[0] = 0xab;
    p.payload[1] = 0x01;
    check_line(&p, NULL,
               "[1970-01-01 00:00:00.000000] TCP [2001:db8::1]:1 -> "
               "[::ffff:1.2.3.4]:2 flags=none len=74 truncated=tcp-truncated "
               "data=ab01\n");

    memset(&p, 0, sizeof(p));
    p.wire_len = 42;
    check_line(&p, NULL, "[1970-01-01 00:00:00.000000] Other len=42\n");
}

/* The longest row and line either formatter can write fits NVG_FORMAT_LINE_MAX. */
static void test_worst_case_length(void **state)
{
    (void)state;
    struct nvg_pkt p;
    memset(&p, 0xff, sizeof(p));
    p.ts_ns = INT64_MAX;
    p.ip_version = 6;
    p.proto = NVG_PROTO_ICMPV6;
    p.payload_kind = NVG_PAYLOAD_PADDING;
    p.payload_len = NVG_PAYLOAD_MAX;
    p.event = NVG_EV_IPV6_EXT_TRUNC;
    inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", p.src);
    char name[NVG_SENSOR_NAME_MAX + 1];
    memset(name, '"', NVG_SENSOR_NAME_MAX);
    name[NVG_SENSOR_NAME_MAX] = '\0';
    char q[2 * NVG_SENSOR_NAME_MAX + 3];
    size_t qn = nvg_csv_quote(q, name, NVG_SENSOR_NAME_MAX);
    char buf[NVG_FORMAT_LINE_MAX + 64];
    size_t n = nvg_format_csv_row(buf, &p, q, qn);
    assert_true(n < NVG_FORMAT_LINE_MAX);
    n = nvg_format_text_line(buf, &p, name);
    assert_true(n < NVG_FORMAT_LINE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_fixed),        cmocka_unit_test(test_time_vs_gmtime),
        cmocka_unit_test(test_time_from_pcap),    cmocka_unit_test(test_time_from_pcap_extremes),
        cmocka_unit_test(test_time_cache),        cmocka_unit_test(test_ipv6_vs_inet_ntop),
        cmocka_unit_test(test_ipv6_edges),        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_tcp_flags),         cmocka_unit_test(test_csv_quote),
        cmocka_unit_test(test_csv_neutralise),    cmocka_unit_test(test_csv_rows),
        cmocka_unit_test(test_csv_macs),          cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_worst_case_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
