/* ICMP and ICMPv6: type/code, errors quoting a packet (reported by the outer header),
 * truncation. */
#include "decode-test.h"

static void test_icmp_echo(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 8 + 56, 0, 64, 1);
    icmp(&f, 8, 0);
    putfill(&f, 0x10, 56);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ICMP);
    assert_int_equal(pkt.ip_proto, 1);
    assert_true(pkt.flags & NVG_PKT_HAS_ICMP);
    assert_int_equal(pkt.icmp_type, 8);
    assert_int_equal(pkt.icmp_code, 0);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
    expect_ipv4(&pkt, 64);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
}

static void test_icmp_error_quoting(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 8 + 28, 0, 255, 1);
    icmp(&f, 3, 3); /* port unreachable */
    ipv4(&f, 5, 28, 0, 1, 17);
    udp(&f, 42315, 33435, 8);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ICMP);
    assert_int_equal(pkt.icmp_type, 3);
    assert_int_equal(pkt.icmp_code, 3);
    expect_ipv4(&pkt, 255); /* outer TTL */
    assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
}

static void test_icmp_truncated(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 8, 0, 64, 1);
    icmp(&f, 11, 1);
    for (size_t n = 0; n < 8; n++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, 34 + n, (uint32_t)f.n, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_ICMP_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_ICMP);
        assert_int_equal(!!(pkt.flags & NVG_PKT_HAS_ICMP), n >= 2);
    }
}

static void test_icmpv6(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 8 + 24, 0, 255);
    put8(&f, 58); /* hop-by-hop with Router Alert, as MLD sends it */
    put8(&f, 0);
    put8(&f, 5);
    put8(&f, 2);
    put16(&f, 0);
    put16(&f, 0x0100);
    icmp(&f, 143, 0); /* MLDv2 report */
    putfill(&f, 0, 16);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ICMPV6);
    assert_int_equal(pkt.ip_proto, 58);
    assert_int_equal(pkt.icmp_type, 143);
    expect_ipv6(&pkt, 255);

    for (size_t n = 0; n < 4; n++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, 14 + 40 + 8 + n, (uint32_t)f.n, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_ICMPV6_TRUNC);
        assert_int_equal(!!(pkt.flags & NVG_PKT_HAS_ICMP), n >= 2);
    }
}

/* ICMPv6 error quoting an IPv6 packet with a fragment header: outer reported. */
static void test_icmpv6_error_quoting(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 8 + 40 + 8 + 8, 58, 64);
    icmp(&f, 4, 3);
    ipv6(&f, 16, 44, 60);
    put8(&f, 17);
    put8(&f, 0);
    put16(&f, 1);
    put32(&f, 7);
    udp(&f, 1, 2, 8);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ICMPV6);
    assert_int_equal(pkt.icmp_type, 4);
    assert_int_equal(pkt.icmp_code, 3);
    assert_int_equal(pkt.flags & (NVG_PKT_HAS_PORTS | NVG_PKT_FRAGMENT), 0);
    expect_ipv6(&pkt, 64);
}

/* The echo identifier the flow table keys ICMP echo conversations by: in requests and
 * replies only, and only when its two bytes were captured. */
static void test_icmp_echo_id(void **state)
{
    (void)state;
    for (unsigned type = 0; type < 12; type++) {
        struct frame f = {0};
        eth(&f, 0x0800);
        ipv4(&f, 5, 20 + 8, 0, 64, 1);
        icmp(&f, type, 0); /* identifier 1, sequence 2 */
        for (size_t cut = 34; cut <= f.n; cut++) {
            struct nvg_decoder dec;
            struct nvg_pkt pkt;
            nvg_decoder_init(&dec, NVG_LINKTYPE_ETHERNET, 0);
            uint8_t *copy = malloc(cut);
            memcpy(copy, f.b, cut);
            nvg_decode(&dec, copy, (uint32_t)cut, (uint32_t)f.n, 0, &pkt);
            free(copy);
            bool want = (type == 0 || type == 8) && cut >= 34 + 6;
            assert_int_equal(dec.l4.icmp_echo, want);
            if (want)
                assert_int_equal(dec.l4.icmp_id, 1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icmp_echo),
        cmocka_unit_test(test_icmp_echo_id),
        cmocka_unit_test(test_icmp_error_quoting),
        cmocka_unit_test(test_icmp_truncated),
        cmocka_unit_test(test_icmpv6),
        cmocka_unit_test(test_icmpv6_error_quoting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
