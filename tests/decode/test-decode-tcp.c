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

/* The flow table's side information: sequence, acknowledgement, raw window, header length,
 * options (MSS, window scale capped at 14, SACK permitted and blocks), payload by the IP
 * length even when the capture is cut. */
static struct nvg_decoder side_info(struct frame *f, size_t caplen, struct nvg_pkt *pkt)
{
    struct nvg_decoder dec;
    nvg_decoder_init(&dec, NVG_LINKTYPE_ETHERNET, 0);
    uint8_t *copy = malloc(caplen);
    memcpy(copy, f->b, caplen);
    nvg_decode(&dec, copy, (uint32_t)caplen, (uint32_t)f->n, 0, pkt);
    free(copy);
    return dec;
}

static void test_tcp_side_info(void **state)
{
    (void)state;
    static const uint8_t opts[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 15, 4, 2, 5, 18, 0, 0, 0, 1,
                                   0, 0, 0,    2,    0, 0, 0, 3,  0, 0, 0, 4,  0, 0, 0, 0};
    struct frame f = {0};
    struct nvg_pkt pkt;
    eth(&f, 0x0800);
    ipv4(&f, 5, 20 + 20 + sizeof(opts) + 300, 0, 64, 6);
    tcp(&f, 1, 2, 5 + sizeof(opts) / 4, NVG_TCP_SYN);
    memcpy(f.b + 34 + 20, opts, sizeof(opts));
    f.n = 34 + 20 + sizeof(opts);
    putfill(&f, 0, 300);
    struct nvg_decoder dec = side_info(&f, f.n, &pkt);
    assert_true(dec.l4.tcp);
    assert_int_equal(dec.l4.seq, 1000);
    assert_int_equal(dec.l4.ack, 2000);
    assert_int_equal(dec.l4.window, 65535);
    assert_int_equal(dec.l4.tcp_hdr_len, 20 + sizeof(opts));
    assert_int_equal(dec.l4.mss, 1460);
    assert_int_equal(dec.l4.wscale, 14); /* 15 capped as RFC 7323 says */
    assert_true(dec.l4.sack_perm);
    assert_int_equal(dec.l4.sack_blocks, 2);
    assert_int_equal(dec.l4.payload_len, 300);
    /* Cut inside the payload: the payload length still comes from the IP header. */
    dec = side_info(&f, 34 + 20 + sizeof(opts) + 10, &pkt);
    assert_true(dec.l4.tcp);
    assert_int_equal(dec.l4.payload_len, 300);
    /* Cut inside the options: the header is still analysed, the options read so far kept. */
    dec = side_info(&f, 34 + 20 + 6, &pkt);
    assert_true(dec.l4.tcp);
    assert_int_equal(dec.l4.mss, 1460);
    assert_int_equal(dec.l4.wscale, -1);
    /* An option whose length runs past the header ends the walk; the length 0 or 1 too. */
    for (unsigned bad = 0; bad < 2; bad++) {
        f.b[34 + 20 + 1] = (uint8_t)(bad ? 1 : 200);
        dec = side_info(&f, f.n, &pkt);
        assert_true(dec.l4.tcp);
        assert_int_equal(dec.l4.mss, 0);
        assert_int_equal(dec.l4.wscale, -1);
    }
    /* No TCP at all: nothing. */
    struct frame g = {0};
    eth(&g, 0x0800);
    ipv4(&g, 5, 20 + 8 + 5, 0, 64, 17);
    udp(&g, 53, 53, 8 + 5);
    putfill(&g, 0, 5);
    dec = side_info(&g, g.n, &pkt);
    assert_false(dec.l4.tcp);
    assert_int_equal(dec.l4.payload_len, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_flags),     cmocka_unit_test(test_tcp_truncated_header),
        cmocka_unit_test(test_tcp_bad_doff),  cmocka_unit_test(test_tcp_options),
        cmocka_unit_test(test_tcp_over_ipv6), cmocka_unit_test(test_tcp_side_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
