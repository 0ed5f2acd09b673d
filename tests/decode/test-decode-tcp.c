/* TCP: all nine flags, data offset, truncated header, options, payload kind. */
#include "decode-test.h"

static void test_tcp_flags(void **state)
{
    for (unsigned bit = 0; bit < 9; bit++) {
        struct frame f = {0};
        struct nvg_pkt pkt;
        eth_ipv4_tcp(&f, 1u << bit, 0);
        decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
        expect_clean(&pkt);
        assert_true(pkt.flags & NVG_PKT_HAS_TCPFLAGS);
        assert_int_equal(pkt.tcp_flags, 1u << bit);
    }
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth_ipv4_tcp(&f, 0x1ff, 0);
    f.b[14 + 20 + 12] |= 0x0e; /* reserved bits: not flags */
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    assert_int_equal(pkt.tcp_flags, NVG_TCP_FIN | NVG_TCP_SYN | NVG_TCP_RST | NVG_TCP_PSH |
                                        NVG_TCP_ACK | NVG_TCP_URG | NVG_TCP_ECE | NVG_TCP_CWR |
                                        NVG_TCP_NS);
}

/* Malformed case: truncated TCP header. Ports kept from 4 bytes on, flags from 14. */
static void test_tcp_truncated_header(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth_ipv4_tcp(&f, NVG_TCP_SYN, 0);
    for (size_t n = 0; n < 20; n++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, 34 + n, (uint32_t)f.n, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_TCP_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_TCP);
        expect_ipv4(&pkt, 64); /* the IPv4 header was whole */
        assert_int_equal(!!(pkt.flags & NVG_PKT_HAS_PORTS), n >= 4);
        assert_int_equal(!!(pkt.flags & NVG_PKT_HAS_TCPFLAGS), n >= 14);
        if (n >= 4)
            expect_ports(&pkt, 40000, 443);
        if (n >= 14)
            assert_int_equal(pkt.tcp_flags, NVG_TCP_SYN);
        assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);
    }
    /* The datagram itself too short for a TCP header (not a capture cut). */
    struct frame g = {0};
    eth(&g, 0x0800);
    ipv4(&g, 5, 20 + 12, 0, 64, 6);
    tcp(&g, 1, 2, 5, 0);
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_TCP_TRUNC);
    expect_ports(&pkt, 1, 2);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_PADDING);
}

static void test_tcp_bad_doff(void **state)
{
    for (unsigned doff = 0; doff < 5; doff++) {
        struct frame f = {0};
        struct nvg_pkt pkt;
        eth_ipv4_tcp(&f, NVG_TCP_ACK, 10);
        f.b[14 + 20 + 12] = (uint8_t)(doff << 4);
        assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_EMALFORMED);
        expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_TCP_DOFF);
        expect_ports(&pkt, 40000, 443);
    }
}

static void test_tcp_options(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 40 + 5, 0, 64, 6);
    tcp(&f, 80, 1024, 10, NVG_TCP_ACK);
    putfill(&f, 0x70, 5);
    decode_n(NVG_LINKTYPE_ETHERNET, &f, f.n, 0, 64, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
    assert_int_equal(pkt.payload_len, 5);
    assert_int_equal(pkt.payload[0], 0x70);

    /* Options cut by the snap length: header fields kept, flagged. */
    decode_n(NVG_LINKTYPE_ETHERNET, &f, 14 + 20 + 30, (uint32_t)f.n, 0, &pkt);
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_TCP_TRUNC);
    expect_ports(&pkt, 80, 1024);

    /* Data offset beyond the datagram. */
    struct frame g = {0};
    eth(&g, 0x0800);
    ipv4(&g, 5, 20 + 24, 0, 64, 6);
    tcp(&g, 80, 1024, 5, NVG_TCP_ACK);
    putfill(&g, 1, 4);
    g.b[14 + 20 + 12] = 0x80; /* 32-byte header in a 24-byte segment */
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_TCP_TRUNC);
}

static void test_tcp_over_ipv6(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 20 + 100, 6, 64);
    tcp(&f, 22, 60000, 5, NVG_TCP_ECE | NVG_TCP_CWR | NVG_TCP_SYN);
    putfill(&f, 0, 100);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_TCP);
    expect_ports(&pkt, 22, 60000);
    assert_int_equal(pkt.tcp_flags, NVG_TCP_ECE | NVG_TCP_CWR | NVG_TCP_SYN);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_flags),     cmocka_unit_test(test_tcp_truncated_header),
        cmocka_unit_test(test_tcp_bad_doff),  cmocka_unit_test(test_tcp_options),
        cmocka_unit_test(test_tcp_over_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
