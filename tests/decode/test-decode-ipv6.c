/* IPv6: extension headers (hop-by-hop, routing, fragment, destination options, AH), bounded
 * chain walk, payload length 0, versions, short headers, IPv6-in-IPv6. */
#include "decode-test.h"

/* Generic extension header of (len8 + 1) * 8 bytes. */
static void ext(struct frame *f, unsigned nh, unsigned len8)
{
    put8(f, nh);
    put8(f, len8);
    putfill(f, 1, (len8 + 1) * 8 - 2);
}

static void frag_hdr(struct frame *f, unsigned nh, unsigned offset8, bool more)
{
    put8(f, nh);
    put8(f, 0);
    put16(f, (offset8 << 3) | (more ? 1 : 0));
    put32(f, 0xabcdef);
}

static void ah_hdr(struct frame *f, unsigned nh)
{
    put8(f, nh);
    put8(f, 4); /* (4 + 2) * 4 = 24 bytes */
    put16(f, 0);
    put32(f, 0x100); /* SPI */
    put32(f, 1);     /* sequence */
    putfill(f, 0, 12);
}

static void test_ipv6_ext_headers(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    size_t at = ipv6(&f, 0, 0, 64);
    size_t start = f.n;
    ext(&f, 43, 0);           /* hop-by-hop */
    ext(&f, 60, 2);           /* routing, 24 bytes */
    ext(&f, 51, 1);           /* destination options */
    ah_hdr(&f, 44);           /* AH */
    frag_hdr(&f, 6, 0, true); /* first fragment */
    tcp(&f, 443, 51000, 8, NVG_TCP_SYN | NVG_TCP_ACK);
    set16(&f, at + 4, (unsigned)(f.n - start));
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_TCP);
    assert_int_equal(pkt.ip_proto, 6);
    assert_true(pkt.flags & NVG_PKT_FRAGMENT);
    expect_ipv6(&pkt, 64);
    expect_ports(&pkt, 443, 51000);
    assert_int_equal(pkt.tcp_flags, NVG_TCP_SYN | NVG_TCP_ACK);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);

    /* Malformed case: the chain runs past the end, at every length inside it. */
    for (size_t n = 54; n < f.n - 40; n++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, n, (uint32_t)f.n, 0, &pkt); /* cut by the snap length */
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_IPV6_EXT_TRUNC);
        expect_ipv6(&pkt, 64);
        assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
    }
}

/* The chain declares more than the payload length holds (but the frame has the bytes). */
static void test_ipv6_ext_past_payload_length(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 16, 0, 1);
    ext(&f, 17, 3); /* 32 bytes, but the payload length says 16 */
    udp(&f, 1, 2, 8);
    assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_ETRUNC);
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_IPV6_EXT_TRUNC);
}

static void test_ipv6_fragment_nonfirst(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 8 + 16, 44, 64);
    frag_hdr(&f, 17, 100, false);
    udp(&f, 1, 2, 16); /* looks like UDP but is fragment data */
    putfill(&f, 0, 8);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_true(pkt.flags & NVG_PKT_FRAGMENT);
    assert_int_equal(pkt.proto, NVG_PROTO_UDP);
    assert_int_equal(pkt.ip_proto, 17);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_PORTS, 0);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);

    struct frame g = {0}; /* atomic fragment (offset 0, M 0): not a fragment, ports kept */
    eth(&g, 0x86dd);
    ipv6(&g, 8 + 8, 44, 64);
    frag_hdr(&g, 17, 0, false);
    udp(&g, 1, 2, 8);
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.flags & NVG_PKT_FRAGMENT, 0);
    expect_ports(&pkt, 1, 2);
}

static void test_ipv6_ext_limit(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    size_t at = ipv6(&f, 0, 60, 64);
    size_t start = f.n;
    for (int i = 0; i < 200; i++)
        ext(&f, 60, 0);
    set16(&f, at + 4, (unsigned)(f.n - start));
    assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_EMALFORMED);
    expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV6_EXT_LIMIT);
    expect_ipv6(&pkt, 64);

    struct frame g = {0}; /* 100 headers then UDP: within the bound */
    eth(&g, 0x86dd);
    at = ipv6(&g, 0, 60, 64);
    start = g.n;
    for (int i = 0; i < 99; i++)
        ext(&g, 60, 0);
    ext(&g, 17, 0);
    udp(&g, 12345, 54321, 8);
    set16(&g, at + 4, (unsigned)(g.n - start));
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_clean(&pkt);
    expect_ports(&pkt, 12345, 54321);
}

/* Payload length 0 with a Jumbo Payload option: the captured bytes are the payload. */
static void test_ipv6_jumbogram(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 0, 0, 227);
    put8(&f, 58);
    put8(&f, 0);
    put8(&f, 0xc2); /* Jumbo Payload option */
    put8(&f, 4);
    put32(&f, 8 + 8 + 100);
    icmp(&f, 128, 0);
    putfill(&f, 0x5a, 100);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ICMPV6);
    assert_int_equal(pkt.icmp_type, 128);
    expect_ipv6(&pkt, 227);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
}

static void test_ipv6_no_next_and_tunnel(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 0, 59, 64);
    putfill(&f, 0, 20);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_IPV6);
    assert_int_equal(pkt.ip_proto, 59);

    struct frame g = {0}; /* IPv6-in-IPv6 behind a routing header: outer reported */
    eth(&g, 0x86dd);
    ipv6(&g, 8 + 40 + 8, 43, 64);
    ext(&g, 41, 0);
    ipv6(&g, 8, 58, 63);
    icmp(&g, 128, 0);
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_IPV6);
    assert_int_equal(pkt.ip_proto, 41);
    expect_ipv6(&pkt, 64);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_ICMP, 0);
}

static void test_ipv6_version_and_short(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x86dd);
    ipv6(&f, 8, 17, 77);
    udp(&f, 1, 2, 8);
    f.b[14] = 0x00;
    assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_EMALFORMED);
    expect_event(&pkt, NVG_PKT_MALFORMED, NVG_EV_IPV6_VERSION);
    assert_int_equal(pkt.ip_version, 0);
    f.b[14] = 0x60;
    for (size_t n = 1; n < 40; n++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, 14 + n, 0, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_IPV6_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_IPV6);
        assert_int_equal(pkt.ip_version, 0);
        assert_int_equal(!!(pkt.flags & NVG_PKT_HAS_TTL), n >= 8);
    }
    /* Payload length beyond the frame: flagged, decoded from the bytes present. */
    set16(&f, 14 + 4, 400);
    assert_int_equal(decode(NVG_LINKTYPE_ETHERNET, &f, &pkt), NVG_ETRUNC);
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_IPV6_TRUNC);
    expect_ports(&pkt, 1, 2);
    expect_ipv6(&pkt, 77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_ipv6_ext_past_payload_length),
        cmocka_unit_test(test_ipv6_fragment_nonfirst),
        cmocka_unit_test(test_ipv6_ext_limit),
        cmocka_unit_test(test_ipv6_jumbogram),
        cmocka_unit_test(test_ipv6_no_next_and_tunnel),
        cmocka_unit_test(test_ipv6_version_and_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
