/* UDP: ports, lengths, truncated header. */
#include "decode-test.h"

static void test_udp(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 8 + 30, 0, 128, 17);
    udp(&f, 43966, 53, 8 + 30);
    putfill(&f, 0x44, 30);
    decode_n(NVG_LINKTYPE_ETHERNET, &f, f.n, 0, 4, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_UDP);
    assert_int_equal(pkt.ip_proto, 17);
    expect_ipv4(&pkt, 128);
    expect_ports(&pkt, 43966, 53);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
    assert_int_equal(pkt.payload_len, 4);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_TCPFLAGS, 0);
}

static void test_udp_empty_and_short_length(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 28, 0, 64, 17);
    udp(&f, 1, 2, 8);
    putfill(&f, 0, 18);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_PADDING);

    /* The UDP length (8) is shorter than the IP payload (20): the UDP length wins. */
    struct frame g = {0};
    eth(&g, 0x0800);
    ipv4(&g, 5, 40, 0, 64, 17);
    udp(&g, 1, 2, 8);
    putfill(&g, 0, 12);
    decode_n(NVG_LINKTYPE_ETHERNET, &g, g.n, 0, 64, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);
    assert_int_equal(pkt.payload_len, 0);
}

static void test_udp_truncated(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 8 + 4, 0, 64, 17);
    udp(&f, 12336, 12336, 12);
    put32(&f, 0);
    for (size_t n = 0; n < 8; n++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, 34 + n, (uint32_t)f.n, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_UDP_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_UDP);
        assert_int_equal(!!(pkt.flags & NVG_PKT_HAS_PORTS), n >= 4);
    }
}

static void test_udp_ipv6(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 8 + 3, 17, 1);
    udp(&f, 6697, 6697, 11);
    putfill(&f, 9, 3);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    expect_ipv6(&pkt, 1);
    expect_ports(&pkt, 6697, 6697);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_udp_empty_and_short_length),
        cmocka_unit_test(test_udp_truncated),
        cmocka_unit_test(test_udp_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
