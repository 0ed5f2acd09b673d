/* Link types other than Ethernet: Linux SLL / SLL2, raw IP (101, 12, 14, 228, 229), BSD
 * NULL / LOOP, PPP (9), PPP in HDLC framing and Cisco HDLC (50), and unknown link types. */
#include <pcap/dlt.h>

#include "decode-test.h"

/* IPv4/UDP 1.2 -> 3.4 datagram (28 bytes). */
static void ip4_udp(struct frame *f)
{
    ipv4(f, 5, 28, 0, 64, 17);
    udp(f, 1111, 2222, 8);
}

/* IPv6/TCP SYN (60 bytes). */
static void ip6_tcp(struct frame *f)
{
    ipv6(f, 20, 6, 128);
    tcp(f, 3333, 80, 5, NVG_TCP_SYN);
}

static void expect_ip4_udp(const struct nvg_pkt *pkt)
{
    expect_clean(pkt);
    assert_int_equal(pkt->proto, NVG_PROTO_UDP);
    expect_ipv4(pkt, 64);
    expect_ports(pkt, 1111, 2222);
}

static void expect_ip6_tcp(const struct nvg_pkt *pkt)
{
    expect_clean(pkt);
    assert_int_equal(pkt->proto, NVG_PROTO_TCP);
    expect_ipv6(pkt, 128);
    expect_ports(pkt, 3333, 80);
    assert_int_equal(pkt->tcp_flags, NVG_TCP_SYN);
}

/* Every length shorter than the link header is a truncated link header. */
static void expect_link_trunc_below(int dlt, const struct frame *f, size_t hdr)
{
    struct nvg_pkt pkt;
    for (size_t len = 0; len < hdr; len++) {
        decode_n(dlt, f, len, 0, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
    }
}

static void sll(struct frame *f, unsigned proto)
{
    put16(f, 0);      /* packet type: to us */
    put16(f, 1);      /* ARPHRD_ETHER */
    put16(f, 6);      /* address length */
    putfill(f, 2, 8); /* address */
    put16(f, proto);
}

static void sll2(struct frame *f, unsigned proto)
{
    put16(f, proto);
    put16(f, 0);
    put32(f, 3); /* ifindex */
    put16(f, 1);
    put8(f, 4); /* outgoing */
    put8(f, 6);
    putfill(f, 2, 8);
}

static void test_sll(void **state)
{
    struct frame f = {0}, g = {0}, h = {0}, k = {0};
    struct nvg_pkt pkt;
    sll(&f, 0x0800);
    ip4_udp(&f);
    decode(NVG_LINKTYPE_LINUX_SLL, &f, &pkt);
    expect_ip4_udp(&pkt);
    expect_link_trunc_below(NVG_LINKTYPE_LINUX_SLL, &f, 16);

    sll(&g, 0x86dd);
    ip6_tcp(&g);
    decode(NVG_LINKTYPE_LINUX_SLL, &g, &pkt);
    expect_ip6_tcp(&pkt);

    sll(&h, 0x8100); /* VLAN tag left in the data */
    put16(&h, 42);
    put16(&h, 0x0800);
    ip4_udp(&h);
    decode(NVG_LINKTYPE_LINUX_SLL, &h, &pkt);
    expect_ip4_udp(&pkt);
    assert_true(pkt.flags & NVG_PKT_HAS_VLAN);
    assert_int_equal(pkt.vlan_id, 42);

    sll(&k, 0x0004); /* 802.2 LLC */
    putfill(&k, 0x42, 20);
    decode(NVG_LINKTYPE_LINUX_SLL, &k, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
}

static void test_sll2(void **state)
{
    struct frame f = {0}, g = {0}, h = {0};
    struct nvg_pkt pkt;
    sll2(&f, 0x0800);
    ip4_udp(&f);
    decode(NVG_LINKTYPE_LINUX_SLL2, &f, &pkt);
    expect_ip4_udp(&pkt);
    expect_link_trunc_below(NVG_LINKTYPE_LINUX_SLL2, &f, 20);

    sll2(&g, 0x86dd);
    ip6_tcp(&g);
    decode(NVG_LINKTYPE_LINUX_SLL2, &g, &pkt);
    expect_ip6_tcp(&pkt);

    sll2(&h, 0x0806);
    put16(&h, 1);
    put16(&h, 0x0800);
    put8(&h, 6);
    put8(&h, 4);
    put16(&h, 1);
    putfill(&h, 2, 6);
    putn(&h, IP4_A, 4);
    putfill(&h, 0, 6);
    putn(&h, IP4_B, 4);
    decode(NVG_LINKTYPE_LINUX_SLL2, &h, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ARP);
    assert_memory_equal(pkt.src, IP4_A, 4);
    assert_memory_equal(pkt.dst, IP4_B, 4);
}

static void test_raw(void **state)
{
    const int dlts[] = {NVG_LINKTYPE_RAW_DLT, NVG_LINKTYPE_RAW_OPENBSD, NVG_LINKTYPE_RAW};
    struct nvg_pkt pkt;
    for (size_t i = 0; i < 3; i++) {
        struct frame f = {0}, g = {0}, h = {0};
        ip4_udp(&f);
        decode(dlts[i], &f, &pkt);
        expect_ip4_udp(&pkt);
        ip6_tcp(&g);
        decode(dlts[i], &g, &pkt);
        expect_ip6_tcp(&pkt);
        put8(&h, 0x30); /* version 3 */
        putfill(&h, 0, 30);
        assert_int_equal(decode(dlts[i], &h, &pkt), NVG_EMALFORMED);
        expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV4_VERSION);
        assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
        expect_link_trunc_below(dlts[i], &f, 1);
    }
}

static void test_raw_ipv4_ipv6_linktypes(void **state)
{
    struct frame f = {0}, g = {0};
    struct nvg_pkt pkt;
    ip4_udp(&f);
    decode(NVG_LINKTYPE_IPV4, &f, &pkt);
    expect_ip4_udp(&pkt);
    ip6_tcp(&g);
    decode(NVG_LINKTYPE_IPV6, &g, &pkt);
    expect_ip6_tcp(&pkt);

    /* An IPv6 packet on LINKTYPE_IPV4: flagged, and decoded as IPv6 (as tshark does). */
    assert_int_equal(decode(NVG_LINKTYPE_IPV4, &g, &pkt), NVG_EMALFORMED);
    expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV4_VERSION);
    assert_int_equal(pkt.proto, NVG_PROTO_TCP);
    expect_ipv6(&pkt, 128);
    expect_ports(&pkt, 3333, 80);

    /* An IPv4 packet on LINKTYPE_IPV6: flagged, nothing decoded. */
    assert_int_equal(decode(NVG_LINKTYPE_IPV6, &f, &pkt), NVG_EMALFORMED);
    expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV6_VERSION);
    assert_int_equal(pkt.ip_version, 0);
}

static void null_hdr(struct frame *f, uint32_t family, bool big_endian)
{
    if (big_endian) {
        put32(f, family);
    } else {
        put8(f, family & 0xff);
        put8(f, (family >> 8) & 0xff);
        put16(f, 0);
    }
}

static void test_null_loop(void **state)
{
    const int dlts[] = {NVG_LINKTYPE_NULL, NVG_LINKTYPE_LOOP};
    struct nvg_pkt pkt;
    for (size_t d = 0; d < 2; d++) {
        for (int be = 0; be < 2; be++) {
            struct frame f = {0};
            null_hdr(&f, 2, be);
            ip4_udp(&f);
            decode(dlts[d], &f, &pkt);
            expect_ip4_udp(&pkt);
            expect_link_trunc_below(dlts[d], &f, 4);
            const uint32_t fam6[] = {24, 28, 30};
            for (size_t i = 0; i < 3; i++) {
                struct frame g = {0};
                null_hdr(&g, fam6[i], be);
                ip6_tcp(&g);
                decode(dlts[d], &g, &pkt);
                expect_ip6_tcp(&pkt);
            }
            struct frame h = {0}; /* AF_APPLETALK etc.: Other */
            null_hdr(&h, 16, be);
            ip4_udp(&h);
            decode(dlts[d], &h, &pkt);
            expect_clean(&pkt);
            assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
            assert_int_equal(pkt.ip_version, 0);
        }
    }
}

static void test_ppp(void **state)
{
    struct nvg_pkt pkt;
    struct frame f = {0}, g = {0}, h = {0}, k = {0}, m = {0};
    put16(&f, 0xff03); /* address/control present */
    put16(&f, 0x0021);
    ip4_udp(&f);
    decode(NVG_LINKTYPE_PPP, &f, &pkt);
    expect_ip4_udp(&pkt);
    decode(NVG_LINKTYPE_PPP_HDLC, &f, &pkt);
    expect_ip4_udp(&pkt);

    put16(&g, 0x0057); /* address/control omitted */
    ip6_tcp(&g);
    decode(NVG_LINKTYPE_PPP, &g, &pkt);
    expect_ip6_tcp(&pkt);

    put8(&h, 0x21); /* protocol field compressed to one byte */
    ip4_udp(&h);
    decode(NVG_LINKTYPE_PPP, &h, &pkt);
    expect_ip4_udp(&pkt);

    put16(&k, 0xff03); /* MPLS over PPP */
    put16(&k, 0x0281);
    put32(&k, (100u << 12) | 0x100 | 1);
    ip4_udp(&k);
    decode(NVG_LINKTYPE_PPP, &k, &pkt);
    expect_ip4_udp(&pkt);

    put16(&m, 0xff03); /* LCP: Other */
    put16(&m, 0xc021);
    putfill(&m, 1, 10);
    decode(NVG_LINKTYPE_PPP, &m, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_OTHER);

    for (size_t len = 0; len < 4; len++) {
        decode_n(NVG_LINKTYPE_PPP, &f, len, 0, 0, &pkt);
        assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
        assert_true(pkt.flags & NVG_PKT_TRUNCATED);
    }
    expect_link_trunc_below(NVG_LINKTYPE_PPP_HDLC, &f, 1);
}

static void test_cisco_hdlc(void **state)
{
    struct nvg_pkt pkt;
    struct frame f = {0};
    put8(&f, 0x0f);
    put8(&f, 0);
    put16(&f, 0x0800);
    ip4_udp(&f);
    decode(NVG_LINKTYPE_PPP_HDLC, &f, &pkt);
    expect_ip4_udp(&pkt);
    expect_link_trunc_below(NVG_LINKTYPE_PPP_HDLC, &f, 4);
}

static void test_unknown_link(void **state)
{
    struct nvg_pkt pkt;
    struct frame f = {0};
    ip4_udp(&f);
    assert_int_equal(decode(160, &f, &pkt), 0);
    assert_int_equal(pkt.event, NVG_EV_LINK_UNKNOWN);
    assert_int_equal(pkt.flags, 0);
    assert_int_equal(pkt.proto, NVG_PROTO_OTHER);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
    decode_n(160, &f, 0, 0, 0, &pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);

    const int known[] = {0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        assert_true(nvg_decode_link_supported(known[i]));
    assert_false(nvg_decode_link_supported(127));
    assert_false(nvg_decode_link_supported(160));
    assert_false(nvg_decode_link_supported(-1));
}

/* The decoder's table against libpcap's own numbers (pcap/dlt.h, as on Linux), so that a typo in
 * the table cannot hide behind tests that use the table's names. */
static void test_table_is_libpcaps(void **state)
{
    (void)state;
    assert_int_equal(NVG_LINKTYPE_NULL, DLT_NULL);
    assert_int_equal(NVG_LINKTYPE_ETHERNET, DLT_EN10MB);
    assert_int_equal(NVG_LINKTYPE_PPP, DLT_PPP);
    assert_int_equal(NVG_LINKTYPE_RAW_DLT, DLT_RAW);
    assert_int_equal(NVG_LINKTYPE_PPP_HDLC, DLT_PPP_SERIAL);
    assert_int_equal(NVG_LINKTYPE_LOOP, DLT_LOOP);
    assert_int_equal(NVG_LINKTYPE_LINUX_SLL, DLT_LINUX_SLL);
    assert_int_equal(NVG_LINKTYPE_IPV4, DLT_IPV4);
    assert_int_equal(NVG_LINKTYPE_IPV6, DLT_IPV6);
    assert_int_equal(NVG_LINKTYPE_LINUX_SLL2, DLT_LINUX_SLL2);
    /* Not DLT_ values on Linux: OpenBSD's DLT_RAW and the file format's LINKTYPE_RAW. */
    assert_int_equal(NVG_LINKTYPE_RAW_OPENBSD, 14);
    assert_int_equal(NVG_LINKTYPE_RAW, 101);

    /* Every entry is decoded, in ascending order (tests/fuzz indexes them). */
    static const int table[] = {
#define NUMBER(name, number, layer) number,
        NVG_DECODE_LINK_TYPES(NUMBER)
#undef NUMBER
    };
    assert_int_equal(sizeof(table) / sizeof(table[0]), 12);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        assert_true(nvg_decode_link_supported(table[i]));
        if (i)
            assert_true(table[i - 1] < table[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sll),
        cmocka_unit_test(test_sll2),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_raw_ipv4_ipv6_linktypes),
        cmocka_unit_test(test_null_loop),
        cmocka_unit_test(test_ppp),
        cmocka_unit_test(test_cisco_hdlc),
        cmocka_unit_test(test_unknown_link),
        cmocka_unit_test(test_table_is_libpcaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
