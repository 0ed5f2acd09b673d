/* Frame builders and helpers shared by the decoder's unit tests (test-decode-*.c).
 *
 * Frames are built byte by byte in network order into a struct frame; decode_frame() copies
 * the bytes into a heap block of exactly caplen bytes before decoding, so that AddressSanitizer
 * catches any read past the captured length. */
#ifndef NVG_DECODE_TEST_H
#define NVG_DECODE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "nvg-error.h"
#include "nvg-pkt.h"

struct frame {
    uint8_t b[4096];
    size_t n;
};

static inline void put8(struct frame *f, unsigned v)
{
    assert_true(f->n < sizeof(f->b));
    f->b[f->n++] = (uint8_t)v;
}

static inline void put16(struct frame *f, unsigned v)
{
    put8(f, v >> 8);
    put8(f, v);
}

static inline void put32(struct frame *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xffff);
}

static inline void putn(struct frame *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof(f->b));
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static inline void putfill(struct frame *f, unsigned v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(f, v);
}

static inline void set16(struct frame *f, size_t off, unsigned v)
{
    f->b[off] = (uint8_t)(v >> 8);
    f->b[off + 1] = (uint8_t)v;
}

static const uint8_t IP4_A[4] = {192, 0, 2, 1};
static const uint8_t IP4_B[4] = {198, 51, 100, 7};
static const uint8_t IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t IP6_B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

/* Destination and source MAC (made up). */
static inline void macs(struct frame *f)
{
    static const uint8_t m[12] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
    putn(f, m, sizeof(m));
}

static inline void eth(struct frame *f, unsigned type)
{
    macs(f);
    put16(f, type);
}

/* IPv4 header of ihl words (>= 5; options filled with NOP = 1) and total length totlen. */
static inline size_t ipv4(struct frame *f, unsigned ihl, unsigned totlen, unsigned frag,
                          unsigned ttl, unsigned proto)
{
    size_t at = f->n;
    put8(f, 0x40 | (ihl & 0x0f));
    put8(f, 0);
    put16(f, totlen);
    put16(f, 0x1234);
    put16(f, frag);
    put8(f, ttl);
    put8(f, proto);
    put16(f, 0);
    putn(f, IP4_A, 4);
    putn(f, IP4_B, 4);
    if (ihl > 5)
        putfill(f, 1, (ihl - 5) * 4);
    return at;
}

static inline size_t ipv6(struct frame *f, unsigned plen, unsigned nh, unsigned hlim)
{
    size_t at = f->n;
    put32(f, 0x60000000);
    put16(f, plen);
    put8(f, nh);
    put8(f, hlim);
    putn(f, IP6_A, 16);
    putn(f, IP6_B, 16);
    return at;
}

static inline void tcp(struct frame *f, unsigned sport, unsigned dport, unsigned doff,
                       unsigned flags)
{
    put16(f, sport);
    put16(f, dport);
    put32(f, 1000);
    put32(f, 2000);
    put16(f, (doff << 12) | (flags & 0x1ff));
    put16(f, 65535);
    put16(f, 0);
    put16(f, 0);
    if (doff > 5)
        putfill(f, 1, (doff - 5) * 4); /* NOP options */
}

static inline void udp(struct frame *f, unsigned sport, unsigned dport, unsigned len)
{
    put16(f, sport);
    put16(f, dport);
    put16(f, len);
    put16(f, 0);
}

static inline void icmp(struct frame *f, unsigned type, unsigned code)
{
    put8(f, type);
    put8(f, code);
    put16(f, 0);
    put32(f, 0x00010002);
}

/* Ethernet + IPv4 + TCP with `payload` bytes of data; a common valid frame. */
static inline void eth_ipv4_tcp(struct frame *f, unsigned flags, size_t payload)
{
    eth(f, 0x0800);
    ipv4(f, 5, (unsigned)(20 + 20 + payload), 0x4000, 64, 6);
    tcp(f, 40000, 443, 5, flags);
    putfill(f, 0xab, payload);
}

/* Decodes the first caplen bytes of f, claiming wirelen on the wire (0: same as caplen). */
static inline int decode_n(int dlt, const struct frame *f, size_t caplen, uint32_t wirelen,
                           unsigned payload_max, struct nvg_pkt *pkt)
{
    struct nvg_decoder dec;
    nvg_decoder_init(&dec, dlt, payload_max);
    uint8_t *copy = malloc(caplen ? caplen : 1);
    assert_non_null(copy);
    memcpy(copy, f->b, caplen);
    /* Poison the record so that a field the decoder forgets to set shows up. */
    memset(pkt, 0xa5, sizeof(*pkt));
    int rc = nvg_decode(&dec, copy, (uint32_t)caplen, wirelen ? wirelen : (uint32_t)caplen,
                        1722193121123456789LL, pkt);
    free(copy);
    assert_int_equal(dec.frames, 1);
    assert_int_equal(pkt->cap_len, caplen);
    assert_int_equal(pkt->wire_len, wirelen ? wirelen : caplen);
    assert_true(pkt->ts_ns == 1722193121123456789LL);
    /* One event per record and the counter to match. */
    uint64_t total = 0;
    for (int i = 1; i < NVG_EV_COUNT; i++)
        total += dec.events[i];
    assert_int_equal(total, pkt->event != NVG_EV_NONE ? 1 : 0);
    if (pkt->event != NVG_EV_NONE)
        assert_int_equal(dec.events[pkt->event], 1);
    if (pkt->flags & NVG_PKT_MALFORMED)
        assert_int_equal(rc, NVG_EMALFORMED);
    else if (pkt->flags & NVG_PKT_TRUNCATED)
        assert_int_equal(rc, NVG_ETRUNC);
    else
        assert_int_equal(rc, 0);
    assert_true(pkt->payload_len <= payload_max && pkt->payload_len <= NVG_PAYLOAD_MAX);
    return rc;
}

static inline int decode(int dlt, const struct frame *f, struct nvg_pkt *pkt)
{
    return decode_n(dlt, f, f->n, 0, 0, pkt);
}

/* Checks the fields of a cleanly decoded IPv4 (A -> B) record. */
static inline void expect_ipv4(const struct nvg_pkt *pkt, unsigned ttl)
{
    assert_int_equal(pkt->ip_version, 4);
    assert_memory_equal(pkt->src, IP4_A, 4);
    assert_memory_equal(pkt->dst, IP4_B, 4);
    assert_true(pkt->flags & NVG_PKT_HAS_TTL);
    assert_int_equal(pkt->ttl, ttl);
}

static inline void expect_ipv6(const struct nvg_pkt *pkt, unsigned hlim)
{
    assert_int_equal(pkt->ip_version, 6);
    assert_memory_equal(pkt->src, IP6_A, 16);
    assert_memory_equal(pkt->dst, IP6_B, 16);
    assert_true(pkt->flags & NVG_PKT_HAS_TTL);
    assert_int_equal(pkt->ttl, hlim);
}

static inline void expect_ports(const struct nvg_pkt *pkt, unsigned sport, unsigned dport)
{
    assert_true(pkt->flags & NVG_PKT_HAS_PORTS);
    assert_int_equal(pkt->sport, sport);
    assert_int_equal(pkt->dport, dport);
}

static inline void expect_clean(const struct nvg_pkt *pkt)
{
    assert_int_equal(pkt->flags & (NVG_PKT_MALFORMED | NVG_PKT_TRUNCATED), 0);
    assert_int_equal(pkt->event, NVG_EV_NONE);
}

static inline void expect_event(const struct nvg_pkt *pkt, unsigned flag, unsigned ev)
{
    assert_true(pkt->flags & flag);
    assert_int_equal(pkt->event, ev);
}

#endif
