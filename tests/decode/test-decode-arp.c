/* ARP: sender/target protocol addresses, other hardware/protocol types, truncation. */
#include "decode-test.h"

static void arp(struct frame *f, unsigned htype, unsigned ptype, unsigned hlen, unsigned plen)
{
    put16(f, htype);
    put16(f, ptype);
    put8(f, hlen);
    put8(f, plen);
    put16(f, 1);
    putfill(f, 0xaa, hlen);
    if (plen == 4)
        putn(f, IP4_A, 4);
    else
        putfill(f, 0x10, plen);
    putfill(f, 0, hlen);
    if (plen == 4)
        putn(f, IP4_B, 4);
    else
        putfill(f, 0x20, plen);
}

static void test_arp_ipv4(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0806);
    arp(&f, 1, 0x0800, 6, 4);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ARP);
    assert_int_equal(pkt.ip_version, 4);
    assert_memory_equal(pkt.src, IP4_A, 4);
    assert_memory_equal(pkt.dst, IP4_B, 4);
    assert_int_equal(pkt.flags & (NVG_PKT_HAS_TTL | NVG_PKT_HAS_PORTS), 0);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_NONE);

    putfill(&f, 0, 18); /* padded to 60 bytes */
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_PADDING);

    /* Every cut inside the ARP packet: flagged, no addresses. */
    for (size_t n = 14; n < 42; n++) {
        decode_n(NVG_LINKTYPE_ETHERNET, &f, n, 0, 0, &pkt);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_ARP_TRUNC);
        assert_int_equal(pkt.proto, NVG_PROTO_ARP);
        assert_int_equal(pkt.ip_version, 0);
    }
}

static void test_arp_other_types(void **state)
{
    struct nvg_pkt pkt;
    struct frame f = {0}, g = {0}, h = {0};
    eth(&f, 0x0806);
    arp(&f, 1, 0x86dd, 6, 16); /* not IPv4 */
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ARP);
    assert_int_equal(pkt.ip_version, 0);

    eth(&g, 0x0806);
    arp(&g, 6, 0x0800, 14, 4); /* long hardware address: still IPv4 addresses */
    decode(NVG_LINKTYPE_ETHERNET, &g, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.ip_version, 4);
    assert_memory_equal(pkt.src, IP4_A, 4);
    assert_memory_equal(pkt.dst, IP4_B, 4);

    eth(&h, 0x0806);
    arp(&h, 19, 0x0800, 6, 4); /* ATMARP: different layout, no addresses */
    decode(NVG_LINKTYPE_ETHERNET, &h, &pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ARP);
    assert_int_equal(pkt.ip_version, 0);
}

static void test_arp_in_qinq(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    macs(&f);
    put16(&f, 0x88a8);
    put16(&f, 10);
    put16(&f, 0x8100);
    put16(&f, 20);
    put16(&f, 0x0806);
    arp(&f, 1, 0x0800, 6, 4);
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ARP);
    assert_int_equal(pkt.vlan_id, 10);
    assert_memory_equal(pkt.src, IP4_A, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arp_ipv4),
        cmocka_unit_test(test_arp_other_types),
        cmocka_unit_test(test_arp_in_qinq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
