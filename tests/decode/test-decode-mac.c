/* MAC addresses in the record (NVG_PKT_HAS_MAC): Ethernet, Linux SLL and SLL2, ARP sender and
 * target hardware addresses; off unless the decoder is asked for them. */
#include "decode-test.h"

static const uint8_t MAC_DST[6] = {0x02, 0, 0, 0, 0, 1}; /* what macs() writes */
static const uint8_t MAC_SRC[6] = {0x02, 0, 0, 0, 0, 2};
static const uint8_t SHA[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t THA[6] = {0x02, 0x66, 0x77, 0x88, 0x99, 0xaa};
static const uint8_t ZERO[6] = {0};

static int decode_macs(int dlt, const struct frame *f, size_t caplen, struct nvg_pkt *pkt)
{
    struct nvg_decoder dec;
    nvg_decoder_init(&dec, dlt, 0);
    dec.macs = true;
    uint8_t *copy = malloc(caplen ? caplen : 1);
    assert_non_null(copy);
    memcpy(copy, f->b, caplen);
    memset(pkt, 0xa5, sizeof(*pkt));
    int rc = nvg_decode(&dec, copy, (uint32_t)caplen, (uint32_t)caplen, 1, pkt);
    free(copy);
    return rc;
}

static void arp_body(struct frame *f, unsigned op)
{
    put16(f, 1);
    put16(f, 0x0800);
    put8(f, 6);
    put8(f, 4);
    put16(f, op);
    putn(f, SHA, 6);
    putn(f, IP4_A, 4);
    putn(f, THA, 6);
    putn(f, IP4_B, 4);
}

static void test_ether(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth_ipv4_tcp(&f, NVG_TCP_SYN, 0);
    decode_macs(NVG_LINKTYPE_ETHERNET, &f, f.n, &pkt);
    expect_clean(&pkt);
    assert_true(pkt.flags & NVG_PKT_HAS_MAC);
    assert_memory_equal(pkt.dst_mac, MAC_DST, 6);
    assert_memory_equal(pkt.src_mac, MAC_SRC, 6);

    /* Off by default: no flag, zero bytes. */
    decode(NVG_LINKTYPE_ETHERNET, &f, &pkt);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_MAC, 0);
    assert_memory_equal(pkt.src_mac, ZERO, 6);
    assert_memory_equal(pkt.dst_mac, ZERO, 6);

    /* Cut inside the addresses: no MACs, and the cut is reported as before. */
    for (size_t n = 0; n < 12; n++) {
        decode_macs(NVG_LINKTYPE_ETHERNET, &f, n, &pkt);
        assert_int_equal(pkt.flags & NVG_PKT_HAS_MAC, 0);
        expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    }
    /* Addresses complete but the ethertype cut: the MACs are still known. */
    decode_macs(NVG_LINKTYPE_ETHERNET, &f, 13, &pkt);
    assert_true(pkt.flags & NVG_PKT_HAS_MAC);
    assert_memory_equal(pkt.src_mac, MAC_SRC, 6);
}

static void test_arp(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0806);
    arp_body(&f, 2);
    decode_macs(NVG_LINKTYPE_ETHERNET, &f, f.n, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.proto, NVG_PROTO_ARP);
    assert_true(pkt.flags & NVG_PKT_HAS_MAC);
    assert_memory_equal(pkt.src_mac, SHA, 6); /* sender hardware address, not the frame's */
    assert_memory_equal(pkt.dst_mac, THA, 6);
    assert_memory_equal(pkt.src, IP4_A, 4);

    /* Truncated ARP: the frame's MACs stay. */
    decode_macs(NVG_LINKTYPE_ETHERNET, &f, 30, &pkt);
    expect_event(&pkt, NVG_PKT_TRUNCATED, NVG_EV_ARP_TRUNC);
    assert_true(pkt.flags & NVG_PKT_HAS_MAC);
    assert_memory_equal(pkt.src_mac, MAC_SRC, 6);
}

static void sll_header(struct frame *f, unsigned hatype, unsigned halen, unsigned proto)
{
    put16(f, 0); /* packet type: to us */
    put16(f, hatype);
    put16(f, halen);
    putn(f, SHA, 6);
    put16(f, 0);
    put16(f, proto);
}

static void test_sll(void **state)
{
    struct frame f = {0}, g = {0};
    struct nvg_pkt pkt;
    sll_header(&f, 1, 6, 0x0800);
    ipv4(&f, 5, 28, 0, 64, 17);
    udp(&f, 1, 2, 8);
    decode_macs(NVG_LINKTYPE_LINUX_SLL, &f, f.n, &pkt);
    expect_clean(&pkt);
    assert_true(pkt.flags & NVG_PKT_HAS_MAC);
    assert_memory_equal(pkt.src_mac, SHA, 6);
    assert_memory_equal(pkt.dst_mac, ZERO, 6);

    sll_header(&g, 772, 0, 0x0800); /* loopback: no MAC */
    ipv4(&g, 5, 28, 0, 64, 17);
    udp(&g, 1, 2, 8);
    decode_macs(NVG_LINKTYPE_LINUX_SLL, &g, g.n, &pkt);
    expect_clean(&pkt);
    assert_int_equal(pkt.flags & NVG_PKT_HAS_MAC, 0);

    for (size_t n = 0; n < 16; n++) {
        decode_macs(NVG_LINKTYPE_LINUX_SLL, &f, n, &pkt);
        assert_int_equal(pkt.flags & NVG_PKT_HAS_MAC, 0);
    }
}

static void test_sll2(void **state)
{
    struct frame f = {0};
    struct nvg_pkt pkt;
    put16(&f, 0x0800);
    put16(&f, 0);
    put32(&f, 3); /* ifindex */
    put16(&f, 1); /* ARPHRD_ETHER */
    put8(&f, 0);
    put8(&f, 6);
    putn(&f, SHA, 6);
    put16(&f, 0);
    ipv4(&f, 5, 28, 0, 64, 17);
    udp(&f, 1, 2, 8);
    decode_macs(NVG_LINKTYPE_LINUX_SLL2, &f, f.n, &pkt);
    expect_clean(&pkt);
    assert_true(pkt.flags & NVG_PKT_HAS_MAC);
    assert_memory_equal(pkt.src_mac, SHA, 6);
    for (size_t n = 0; n < 20; n++) {
        decode_macs(NVG_LINKTYPE_LINUX_SLL2, &f, n, &pkt);
        assert_int_equal(pkt.flags & NVG_PKT_HAS_MAC, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ether),
        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_sll),
        cmocka_unit_test(test_sll2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
