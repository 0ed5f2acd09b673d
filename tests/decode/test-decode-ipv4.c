/* IPv4: options, fragments, lengths, versions, tunnels reported by the outer header. */
#include "decode-test.h"

static void test_ipv4_options(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 6, 24 + 8, 0, 1, 2); /* Router Alert-sized option, IGMP */
    putfill(&f, 0x11, 8);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_IPV4);
    assert_int_equal(pkt.ip_proto, 2);
    expect_ipv4(&pkt, 1);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);

    struct frame g = {0}; /* 60-byte header (IHL 15) with TCP behind it */
    eth(&g, 0x0800);
    ipv4(&g, 15, 60 + 20, 0, 64, 6);
    tcp(&g, 22, 2222, 5, NVG_TCP_ACK);
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_clean(&pkt);
    expect_ports(&pkt, 22, 2222);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);

    /* Options cut by the capture: addresses kept, flagged. */
    decode_n(NVG_LINKTYPE_ETHERNET, &g, 14 + 40, 0, 0, &pkt);
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_IPV4_TRUNC);
    expect_ipv4(&pkt, 64);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
}

static void frag_frame(struct frame *f, unsigned frag, unsigned proto)
{
    eth(f, 0x0800);
    ipv4(f, 5, 20 + 24, frag, 64, proto);
    udp(f, 7001, 7000, 1000);
    putfill(f, 0x33, 16);
}

static void test_ipv4_fragments(void **state)
{
    struct nvg_pkt pkt;
    struct frame first = {0}, middle = {0}, last = {0}, df = {0};
    frag_frame(&first, 0x2000, 17); /* MF, offset 0 */
    decode(NVG_LINKTYPE_ETHERNET, &first, &pkt);
    expect_clean(&pkt);
    assert_true(pkt.flags & NVG_PKT_FRAGMENT);
    assert_int_equal(pkt.proto, NVG_PROTO_UDP);
    expect_ports(&pkt, 7001, 7000);

    /* Malformed case list: non-first fragment, no ports even if the bytes look like UDP. */
    frag_frame(&middle, 0x2000 | 185, 17);
    decode(NVG_LINKTYPE_ETHERNET, &middle, &pkt);
    expect_clean(&pkt);
    assert_true(pkt.flags & NVG_PKT_FRAGMENT);
    assert_int_equal(pkt.proto, NVG_PROTO_UDP);
    assert_int_equal(pkt.ip_proto, 17);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
    expect_ipv4(&pkt, 64);

    frag_frame(&last, 370, 6); /* last fragment of TCP */
    decode(NVG_LINKTYPE_ETHERNET, &last, &pkt);
    assert_true(pkt.flags & NVG_PKT_FRAGMENT);
    assert_int_equal(pkt.proto, NVG_PROTO_TCP);
    assert_int_equal(pkt.flags & (NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS), 0);

    frag_frame(&df, 0x4000, 17); /* DF only: not a fragment */
    decode(NVG_LINKTYPE_ETHERNET, &df, &pkt);
    assert_int_equal(pkt.flags & NVG_PKT_FRAGMENT, 0);
    expect_ports(&pkt, 7001, 7000);
}

/* Malformed case: bad IHL (< 5). */
static void test_ipv4_bad_ihl(void **state)
{
    for (unsigned ihl = 0; ihl < 5; ihl++) {
        struct frame f = {0};
        struct nvg_pkt pkt;
        eth(&f, 0x0800);
        ipv4(&f, 5, 40, 0, 64, 6);
        tcp(&f, 1, 2, 5, 0);
        f.b[14] = (uint8_t)(0x40 | ihl);
        assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_EMALFORMED);
        expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV4_IHL);
        assert_int_equal(pkt.proto, NVG_PROTO_IPV4);
        assert_int_equal(pkt.ip_version, 0);
        assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
    }
}

/* Malformed case: total length beyond the capture. */
static void test_ipv4_totlen_beyond_capture(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 8 + 50, 0, 64, 17);
    udp(&f, 53, 53, 58);
    putfill(&f, 1, 49); /* one byte short of the total length */
    assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_ETRUNC);
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_IPV4_TRUNC);
    expect_ipv4(&pkt, 64);
    expect_ports(&pkt, 53, 53); /* decoding went on with what is there */

    /* The same bytes cut by the snap length (wire length covers the datagram): no flag. */
    decode_n(NVG_LINKTYPE_ETHERNET, &f, f.n, (uint32_t)f.n + 1, 0, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
}

static void test_ipv4_totlen_too_small(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 6, 20, 0, 64, 17); /* total 20 < header 24 */
    udp(&f, 1, 2, 8);
    assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_EMALFORMED);
    expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV4_TOTLEN);
    expect_ipv4(&pkt, 64);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
}

/* Total length 0, as captured on hosts using TCP segmentation offload. */
static void test_ipv4_tso_zero_length(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 0, 0x4000, 64, 6);
    tcp(&f, 5000, 80, 5, NVG_TCP_ACK | NVG_TCP_PSH);
    putfill(&f, 0x61, 3000);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_TCP);
    expect_ports(&pkt, 5000, 80);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
}

static void test_ipv4_version(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 28, 0, 64, 17);
    udp(&f, 1, 2, 8);
    f.b[14] = 0x05; /* version 0 */
    assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_EMALFORMED);
    expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV4_VERSION);
    assert_int_equal(pkt.proto, NVG_PROTO_IPV4);
    assert_int_equal(pkt.ip_version, 0);

    struct frame g = {0}; /* IPv6 behind ethertype 0x0800 */
    eth(&g, 0x0800);
    ipv6(&g, 8, 17, 5);
    udp(&g, 9, 10, 8);
    assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &g, &pkt), NVG_EMALFORMED);
    expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV4_VERSION);
    assert_int_equal(pkt.proto, NVG_PROTO_UDP);
    expect_ipv6(&pkt, 5);
    expect_ports(&pkt, 9, 10);
}

/* A header shorter than 20 bytes keeps TTL and protocol; addresses go as a pair. */
static void test_ipv4_short_header(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 28, 0, 99, 17);
    for (size_t n = 0; n < 20; n++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, 14 + n, 0, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_IPV4_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_IPV4);
        assert_int_equal(pkt.ip_version, 0);
        assert_int_equal(!!(pkt.flags & NVG_PKT_HAS_TTL), n >= 9);
        if (n >= 9)
            assert_int_equal(pkt.ttl, 99);
        assert_int_equal(pkt.ip_proto, n >= 10 ? 17 : 255);
        assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);
    }
}

/* Tunnels are reported by their outer header. */
static void test_ipv4_tunnels(void **state)
{
    const unsigned protos[] = {4 /* IPIP */, 41 /* 6in4 */, 47 /* GRE */};
    for (size_t i = 0; i < 3; i++) {
        struct frame f = {0};
        struct nvg_pkt pkt;
        eth(&f, 0x0800);
        if (protos[i] == 47) {
            ipv4(&f, 5, 20 + 4 + 40, 0, 250, 47);
            put16(&f, 0);
            put16(&f, 0x0800);
        } else if (protos[i] == 4) {
            ipv4(&f, 5, 20 + 40, 0, 250, 4);
        } else {
            ipv4(&f, 5, 20 + 40 + 20, 0, 250, 41);
            ipv6(&f, 20, 6, 3);
        }
        if (protos[i] != 41) {
            ipv4(&f, 5, 40, 0, 3, 6);
        }
        tcp(&f, 11, 12, 5, NVG_TCP_SYN);
        decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
        expect_clean(&pkt);
        assert_int_equal(pkt.proto, NVG_PROTO_IPV4);
        assert_int_equal(pkt.ip_proto, protos[i]);
        expect_ipv4(&pkt, 250);
        assert_int_equal(pkt.flags & (NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS), 0);
        assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
    }
}

/* VXLAN (UDP 4789) carrying Ethernet/IPv4/ICMP: the outer UDP is the record. */
static void test_ipv4_vxlan(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 8 + 8 + 14 + 28, 0, 64, 17);
    udp(&f, 45149, 4789, 8 + 8 + 14 + 28);
    put32(&f, 0x08000000);
    put32(&f, 0x00007b00);
    eth(&f, 0x0800);
    ipv4(&f, 5, 28, 0, 1, 1);
    icmp(&f, 8, 0);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_UDP);
    expect_ipv4(&pkt, 64);
    expect_ports(&pkt, 45149, 4789);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_ICMP, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv4_bad_ihl),
        cmocka_unit_test(test_ipv4_totlen_beyond_capture),
        cmocka_unit_test(test_ipv4_totlen_too_small),
        cmocka_unit_test(test_ipv4_tso_zero_length),
        cmocka_unit_test(test_ipv4_version),
        cmocka_unit_test(test_ipv4_short_header),
        cmocka_unit_test(test_ipv4_tunnels),
        cmocka_unit_test(test_ipv4_vxlan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
