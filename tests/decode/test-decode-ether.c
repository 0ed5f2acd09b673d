/* Ethernet, VLAN / QinQ tags, PPPoE session and MPLS. */
#include "decode-test.h"

static void test_ether_ipv4_tcp(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth_ipv4_tcp(&f, NVG_TCP_PSH | NVG_TCP_ACK, 10);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_TCP);
    assert_int_equal(pkt.ip_proto, 6);
    expect_ipv4(&pkt, 64);
    expect_ports(&pkt, 40000, 443);
    assert_int_equal(pkt.tcp_flags, NVG_TCP_PSH | NVG_TCP_ACK);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
    assert_int_equal(pkt.payload_len, 0);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_VLAN, 0);
}

static void test_ether_ipv6_udp(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 8 + 4, 17, 33);
    udp(&f, 5353, 53, 12);
    put32(&f, 0xdeadbeef);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_UDP);
    expect_ipv6(&pkt, 33);
    expect_ports(&pkt, 5353, 53);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
}

/* A 60-byte minimum frame: TCP without data, then Ethernet padding. */
static void test_ether_padding(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth_ipv4_tcp(&f, NVG_TCP_ACK, 0);
    putfill(&f, 0, 6);
    assert_int_equal(f.n, 60);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_PADDING);
    decode_n(NVG_LINKTYPE_ETHERNET, &f, 54, 60, 0,
             &pkt); /* padding not captured, still on the wire */
    expect_clean(&pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_PADDING);
    decode_n(NVG_LINKTYPE_ETHERNET, &f, 54, 0, 0, &pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);
}

static void test_ether_payload_copy(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth_ipv4_tcp(&f, NVG_TCP_ACK, 100);
    putfill(&f, 0x77, 4); /* trailer: must not be copied */
    decode_n(NVG_LINKTYPE_ETHERNET, &f, f.n, 0, 16, &pkt);
    assert_int_equal(pkt.payload_len, 16);
    for (int i = 0; i < 16; i++)
        assert_int_equal(pkt.payload[i], 0xab);
    decode_n(NVG_LINKTYPE_ETHERNET, &f, f.n, 0, 1000, &pkt);
    assert_int_equal(pkt.payload_len, NVG_PAYLOAD_MAX);
    /* Only 3 payload bytes captured: copy 3, zero the rest of the configured room. */
    decode_n(NVG_LINKTYPE_ETHERNET, &f, 57, f.n, 8, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.payload_len, 3);
    assert_int_equal(pkt.payload[2], 0xab);
    assert_int_equal(pkt.payload[3], 0);
    assert_int_equal(pkt.payload[7], 0);
}

static void vlan_frame(struct frame *f, const unsigned *tpids, int ntags)
{
    macs(f);
    for (int i = 0; i < ntags; i++) {
        put16(f, tpids[i]);
        put16(f, 0x2000 | (100 + i)); /* PCP 1, VLAN 100 + i */
    }
    put16(f, 0x0800);
    ipv4(f, 5, 28, 0, 9, 17);
    udp(f, 1, 2, 8);
}

static void test_vlan_tags(void **state)
{
    static const unsigned q[] = {0x8100};
    static const unsigned qinq[] = {0x88a8, 0x8100};
    static const unsigned qinq_old[] = {0x9100, 0x8100};
    static const unsigned triple[] = {0x9100, 0x88a8, 0x8100};
    const struct {
        const unsigned *tpids;
        int n;
    } cases[] = {{q, 1}, {qinq, 2}, {qinq_old, 2}, {triple, 3}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct frame f = {0};
        struct nvg_pkt pkt;
        vlan_frame(&f, cases[i].tpids, cases[i].n);
        decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
        expect_clean(&pkt);
        assert_true(pkt.flags & NVG_PKT_HAS_VLAN);
        assert_int_equal(pkt.vlan_id, 100); /* outermost */
        assert_int_equal(pkt.proto, NVG_PROTO_UDP);
        expect_ipv4(&pkt, 9);
        expect_ports(&pkt, 1, 2);
    }
}

/* Malformed case: VLAN tag cut short. */
static void test_vlan_cut_short(void **state)
{
    static const unsigned q[] = {0x8100};
    struct frame f = {0};
    struct nvg_pkt pkt;
    vlan_frame(&f, q, 1);
    for (size_t len = 14; len < 18; len++) {
        int rc = decode_n(NVG_LINKTYPE_ETHERNET, &f, len, 0, 0, &pkt);
        assert_int_equal(rc, NVG_ETRUNC);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
        assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);
    }
}

/* Malformed case: zero-length frame (and every length below an Ethernet header). */
static void test_zero_length(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth_ipv4_tcp(&f, 0, 0);
    for (size_t len = 0; len < 14; len++) {
        assert_int_equal(decode_n(NVG_LINKTYPE_ETHERNET, &f, len, 1514, 0, &pkt), NVG_ETRUNC);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
        assert_int_equal(pkt.ip_version, 0);
        assert_int_equal(pkt.ip_proto, 255);
        assert_int_equal(pkt.flags & ~(NVG_PKT_TRUNCATED), 0);
    }
    /* A NULL frame pointer with caplen 0 is accepted too. */
    struct nvg_decoder dec;
    nvg_decoder_init(&dec, NVG_LINKTYPE_ETHERNET, 0);
    assert_int_equal(nvg_decode(&dec, NULL, 0, 0, 0, &pkt), NVG_ETRUNC);
    assert_int_equal(dec.events[NVG_EV_LINK_TRUNC], 1);
}

static void test_other_ethertypes(void **state)
{
    const unsigned types[] = {0x88cc /* LLDP */, 0x0026 /* 802.3 length */, 0x9000};
    for (size_t i = 0; i < 3; i++) {
        struct frame f = {0};
        struct nvg_pkt pkt;
        eth(&f, types[i]);
        putfill(&f, 0x42, 46);
        decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
        expect_clean(&pkt);
        assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
        assert_int_equal(pkt.ip_version, 0);
        assert_int_equal(pkt.flags, 0);
        assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
    }
}

static void pppoe_frame(struct frame *f, unsigned ppp_proto, size_t ip_len)
{
    eth(f, 0x8864);
    put8(f, 0x11);
    put8(f, 0);
    put16(f, 0x0042);
    put16(f, (unsigned)(2 + ip_len));
    put16(f, ppp_proto);
}

static void test_pppoe(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    pppoe_frame(&f, 0x0021, 28);
    ipv4(&f, 5, 28, 0, 61, 17);
    udp(&f, 67, 68, 8);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_UDP);
    expect_ipv4(&pkt, 61);
    expect_ports(&pkt, 67, 68);

    struct frame g = {0};
    pppoe_frame(&g, 0x0057, 40 + 4);
    ipv6(&g, 4, 58, 255);
    icmp(&g, 128, 0);
    g.n -= 4; /* ICMPv6 echo header is 8, keep 4 */
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ICMPV6);
    expect_ipv6(&pkt, 255);

    struct frame h = {0}; /* LCP echo: Other */
    pppoe_frame(&h, 0xc021, 8);
    putfill(&h, 9, 8);
    decode(NVG_LINKTYPE_ETHERNET, &h, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_OTHER);

    for (size_t len = 14; len < 22; len++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, len, 0, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    }
}

static void test_mpls(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x8847);
    put32(&f, (16u << 12) | 64);         /* label 16, S=0 */
    put32(&f, (17u << 12) | 0x100 | 64); /* label 17, S=1 */
    ipv4(&f, 5, 40, 0, 7, 6);
    tcp(&f, 179, 50000, 5, NVG_TCP_SYN);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_TCP);
    expect_ipv4(&pkt, 7);
    expect_ports(&pkt, 179, 50000);

    struct frame g = {0};
    eth(&g, 0x8848);
    put32(&g, (3u << 12) | 0x100 | 1);
    ipv6(&g, 0, 59, 2);
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_IPV6);
    expect_ipv6(&pkt, 2);

    struct frame h = {0}; /* label stack that never ends: bounded */
    eth(&h, 0x8847);
    for (int i = 0; i < 40; i++)
        put32(&h, (unsigned)i << 12);
    decode(NVG_LINKTYPE_ETHERNET, &h, &pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
    decode_n(NVG_LINKTYPE_ETHERNET, &h, 14 + 4 * 5 + 2, 0, 0, &pkt); /* stack cut short */
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);

    struct frame k = {0}; /* pseudowire control word after the stack: Other */
    eth(&k, 0x8847);
    put32(&k, (5u << 12) | 0x100);
    put32(&k, 0);
    decode(NVG_LINKTYPE_ETHERNET, &k, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ether_ipv4_tcp), cmocka_unit_test(test_ether_ipv6_udp),
        cmocka_unit_test(test_ether_padding),  cmocka_unit_test(test_ether_payload_copy),
        cmocka_unit_test(test_vlan_tags),      cmocka_unit_test(test_vlan_cut_short),
        cmocka_unit_test(test_zero_length),    cmocka_unit_test(test_other_ethertypes),
        cmocka_unit_test(test_pppoe),          cmocka_unit_test(test_mpls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
