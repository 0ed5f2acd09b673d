/* Unit tests for sensor/pcapng-reader.c on crafted byte buffers (fmemopen): sections in both
 * byte orders, the three packet blocks, time resolutions and offsets, skipped blocks, and the
 * malformed blocks each refused with the byte offset and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nvg-error.h"
#include "pcapng-reader.h"

/* A file being built: blocks appended in one byte order or the other. */
struct file {
    uint8_t b[1 << 17];
    size_t n;
    bool big; /* the current section is big-endian */
};

static void put(struct file *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof(f->b));
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put16(struct file *f, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    if (f->big)
        b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v;
    put(f, b, 2);
}

static void put32(struct file *f, uint32_t v)
{
    if (f->big) {
        put16(f, (uint16_t)(v >> 16));
        put16(f, (uint16_t)v);
    } else {
        put16(f, (uint16_t)v);
        put16(f, (uint16_t)(v >> 16));
    }
}

static void put64(struct file *f, uint64_t v)
{
    if (f->big) {
        put32(f, (uint32_t)(v >> 32));
        put32(f, (uint32_t)v);
    } else {
        put32(f, (uint32_t)v);
        put32(f, (uint32_t)(v >> 32));
    }
}

/* Starts a block: returns where its length goes (filled by end_block). */
static size_t begin_block(struct file *f, uint32_t type)
{
    put32(f, type);
    size_t at = f->n;
    put32(f, 0);
    return at;
}

static void end_block(struct file *f, size_t at)
{
    while (f->n % 4)
        put(f, "", 1);
    uint32_t len = (uint32_t)(f->n - at + 4 + 4);
    size_t end = f->n;
    f->n = at;
    put32(f, len);
    f->n = end;
    put32(f, len);
}

static void shb(struct file *f, bool big)
{
    f->big = big;
    size_t at = begin_block(f, NVG_PCAPNG_MAGIC);
    put32(f, 0x1A2B3C4D);
    put16(f, 1);
    put16(f, 0);
    put64(f, UINT64_MAX);
    end_block(f, at);
}

/* tsresol < 0: none; tsoffset 0: none. */
static void idb(struct file *f, uint16_t lt, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t at = begin_block(f, 1);
    put16(f, lt);
    put16(f, 0);
    put32(f, snaplen);
    if (tsresol >= 0) {
        put16(f, 9);
        put16(f, 1);
        uint8_t v[4] = {(uint8_t)tsresol};
        put(f, v, 4);
    }
    if (tsoffset) {
        put16(f, 14);
        put16(f, 8);
        put64(f, (uint64_t)tsoffset);
    }
    put32(f, 0); /* opt_endofopt */
    end_block(f, at);
}

static void epb(struct file *f, uint32_t type, uint32_t iface, uint64_t ts, const char *data)
{
    size_t at = begin_block(f, type);
    uint32_t n = (uint32_t)strlen(data);
    if (type == 2) { /* obsolete Packet Block */
        put16(f, (uint16_t)iface);
        put16(f, 0);
    } else {
        put32(f, iface);
    }
    put32(f, (uint32_t)(ts >> 32));
    put32(f, (uint32_t)ts);
    put32(f, n);
    put32(f, n + 10);
    put(f, data, n);
    end_block(f, at);
}

static void spb(struct file *f, uint32_t wirelen, const char *data)
{
    size_t at = begin_block(f, 3);
    put32(f, wirelen);
    put(f, data, strlen(data));
    end_block(f, at);
}

static struct nvg_pcapng *open_buf(const struct file *f, char *err)
{
    FILE *fp = fmemopen((void *)f->b, f->n, "rb");
    assert_non_null(fp);
    return nvg_pcapng_open_stream(fp, "mem", err);
}

static void expect(struct nvg_pcapng *r, int dlt, uint32_t caplen, int64_t ts, const char *data)
{
    struct nvg_pcapng_frame fr;
    char err[NVG_ERRBUF_SIZE] = "";
    assert_int_equal(nvg_pcapng_next(r, &fr, err), 1);
    assert_int_equal(fr.dlt, dlt);
    assert_int_equal(fr.caplen, caplen);
    assert_true(fr.ts_ns == ts);
    assert_false(fr.time_clamped);
    assert_memory_equal(fr.data, data, caplen);
}

static void test_sections_and_blocks(void **state)
{
    (void)state;
    static struct file f;
    memset(&f, 0, sizeof(f));
    shb(&f, false);
    idb(&f, 1, 0, -1, 0);                 /* Ethernet, microseconds */
    idb(&f, 113, 0, 9, -100);             /* SLL, ns, 100 s back */
    epb(&f, 6, 1, 5000000000123ull, "b"); /* 5000.000000123 s - 100 s */
    size_t skip = begin_block(&f, 4);     /* a name resolution block: skipped */
    put32(&f, 0);
    end_block(&f, skip);
    epb(&f, 2, 0, 1500000, "aa");
    spb(&f, 1000, "spb-data");
    shb(&f, true);                /* big-endian, and a new list of interfaces */
    idb(&f, 101, 4, 0x80 | 1, 0); /* raw IP: half seconds; snap length 4 */
    epb(&f, 6, 0, 7, "xyz");
    spb(&f, 9, "abcdefgh"); /* captured: the snap length */
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_pcapng *r = open_buf(&f, err);
    assert_non_null(r);
    assert_int_equal(nvg_pcapng_first_dlt(r), 1);
    expect(r, 113, 1, 4900000000123, "b");
    expect(r, 1, 2, 1500000000, "aa");
    expect(r, 1, 8, 0, "spb-data");
    expect(r, 12, 3, 3500000000, "xyz"); /* LINKTYPE_RAW 101 is DLT_RAW */
    expect(r, 12, 4, 0, "abcd");
    struct nvg_pcapng_frame fr;
    assert_int_equal(nvg_pcapng_next(r, &fr, err), 0);
    int dlts[4];
    assert_int_equal(nvg_pcapng_link_types(r, dlts, 4), 3);
    assert_int_equal(dlts[0], 1);
    assert_int_equal(dlts[1], 113);
    assert_int_equal(dlts[2], 12);
    nvg_pcapng_close(r);
}

static void test_big_block_grows_buffer(void **state)
{
    (void)state;
    static struct file f;
    static char big[70000];
    memset(&f, 0, sizeof(f));
    memset(big, 'z', sizeof(big) - 1);
    shb(&f, false);
    idb(&f, 1, 0, 9, 0);
    epb(&f, 6, 0, 1, "small");
    epb(&f, 6, 0, 2, big);
    epb(&f, 6, 0, 3, "again");
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_pcapng *r = open_buf(&f, err);
    assert_non_null(r);
    expect(r, 1, 5, 1, "small");
    expect(r, 1, sizeof(big) - 1, 2, big);
    expect(r, 1, 5, 3, "again");
    nvg_pcapng_close(r);
}

static void test_time(void **state)
{
    (void)state;
    bool c = false;
    assert_true(nvg_pcapng_time_ns(1500, 1000, 0, &c) == 1500000000);
    assert_true(nvg_pcapng_time_ns(3, 4, -1, &c) == -250000000);       /* 0.75 s - 1 s */
    assert_true(nvg_pcapng_time_ns(1, (uint64_t)1 << 63, 0, &c) == 0); /* below 1 ns */
    assert_false(c);
    assert_true(nvg_pcapng_time_ns(UINT64_MAX, 1, 0, &c) == INT64_MAX);
    assert_true(c);
    c = false;
    assert_true(nvg_pcapng_time_ns(0, 1, INT64_MIN, &c) == INT64_MIN);
    assert_true(c);
    c = false;
    assert_true(nvg_pcapng_time_ns((uint64_t)INT64_MAX, 1, 1, &c) == INT64_MAX);
    assert_true(c);
    c = false;
    assert_true(nvg_pcapng_time_ns(UINT64_MAX, 10000000000000000000ull, 0, &c) == 1844674407);
    assert_false(c);
}

/* A file of one section, one Ethernet interface and a good packet, then bad (n bytes). */
static void expect_error(const void *bad, size_t n, const char *want)
{
    static struct file f;
    memset(&f, 0, sizeof(f));
    shb(&f, false);
    idb(&f, 1, 0, -1, 0);
    epb(&f, 6, 0, 1, "ok");
    char where[64];
    snprintf(where, sizeof(where), "mem: byte %zu: ", f.n);
    put(&f, bad, n);
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_pcapng *r = open_buf(&f, err);
    assert_non_null(r);
    struct nvg_pcapng_frame fr;
    assert_int_equal(nvg_pcapng_next(r, &fr, err), 1);
    assert_int_equal(nvg_pcapng_next(r, &fr, err), NVG_EPCAP);
    if (!strstr(err, where) || !strstr(err, want))
        fail_msg("error '%s', want '%s...%s'", err, where, want);
    char again[NVG_ERRBUF_SIZE] = "";
    assert_int_equal(nvg_pcapng_next(r, &fr, again), NVG_EPCAP); /* it stays failed */
    assert_string_equal(err, again);
    nvg_pcapng_close(r);
}

static void test_malformed(void **state)
{
    (void)state;
    const uint32_t epb_ok[] = {6, 36, 0, 0, 1, 2, 2, 0x6b6f, 36}; /* "ok" */
    uint32_t b[16];
    expect_error(epb_ok, 5, "truncated block header: 5 of 8 bytes");
    expect_error(epb_ok, 20, "truncated block: 20 of 36 bytes");
    memcpy(b, epb_ok, sizeof(epb_ok));
    b[1] = 30;
    expect_error(b, sizeof(epb_ok), "block total length 30 is not a multiple of 4");
    b[1] = 0;
    expect_error(b, sizeof(epb_ok), "block total length 0 is below the minimum 12");
    b[1] = 0xFFFFFFFC;
    expect_error(b, sizeof(epb_ok), "over the limit");
    b[1] = 36;
    b[8] = 40;
    expect_error(b, sizeof(epb_ok), "trailing block length 40 differs from the leading 36");
    b[8] = 36;
    b[2] = 1;
    expect_error(b, sizeof(epb_ok), "packet on interface 1 but the section describes 1");
    b[2] = 0;
    b[5] = 5;
    expect_error(b, sizeof(epb_ok), "captured length 5 is more than the block's 4 bytes");
    const uint32_t tiny_epb[] = {6, 16, 0, 16};
    expect_error(tiny_epb, sizeof(tiny_epb), "packet block of 16 bytes is too short");
    const uint32_t shb_bad[] = {NVG_PCAPNG_MAGIC, 28, 0x01020304, 1, 0xffffffff, 0xffffffff, 28};
    expect_error(shb_bad, sizeof(shb_bad), "bad byte-order magic 0x01020304");
    const uint32_t shb_short[] = {NVG_PCAPNG_MAGIC, 24, 0x1A2B3C4D, 1, 0, 24};
    expect_error(shb_short, sizeof(shb_short), "section header block total length 24");
    const uint32_t idb_opt[] = {1, 28, 1, 0, 0x00080009, 0, 28};
    expect_error(idb_opt, sizeof(idb_opt), "option 9 of length 8 runs past the end");
    const uint32_t idb_res[] = {1, 28, 1, 0, 0x00010009, 0xff, 28};
    expect_error(idb_res, sizeof(idb_res), "if_tsresol 2^-127");
}

static void test_not_pcapng(void **state)
{
    (void)state;
    static struct file f;
    memset(&f, 0, sizeof(f));
    put32(&f, 0xa1b2c3d4);
    put32(&f, 0);
    char err[NVG_ERRBUF_SIZE] = "";
    assert_null(open_buf(&f, err));
    assert_non_null(strstr(err, "mem: byte 0: not a pcapng file"));
    f.n = 3;
    assert_null(open_buf(&f, err));
    assert_non_null(strstr(err, "truncated block header: 3 of 8 bytes"));
    assert_null(nvg_pcapng_open("/nonexistent/x.pcapng", err));
    assert_non_null(strstr(err, "/nonexistent/x.pcapng: No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_and_blocks),
        cmocka_unit_test(test_big_block_grows_buffer),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_not_pcapng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
