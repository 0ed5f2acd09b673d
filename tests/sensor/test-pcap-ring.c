/* The pcap ring (sensor/pcap-ring.c) and the pcapng writer: frames kept in order, the oldest
 * evicted when the ring wraps (also frames split across its end), nothing kept larger than the
 * ring, a link type change empties it, spans select by time; EPB and head sizes as counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pcap-ring.h"
#include "pcapng-writer.h"

struct seen {
    int n;
    int64_t ts[4096];
    int bad; /* frames whose bytes are not their pattern */
};

static int collect(void *ud, const struct nvg_pcap_ring_frame *f)
{
    struct seen *s = ud;
    for (uint32_t i = 0; i < f->caplen; i++)
        if (f->data[i] != (uint8_t)(f->ts_ns + i))
            s->bad++;
    s->ts[s->n++] = f->ts_ns;
    return 0;
}

static void add(struct nvg_pcap_ring *r, int64_t ts, uint32_t len)
{
    static uint8_t frame[NVG_PCAP_RING_FRAME_MAX];
    for (uint32_t i = 0; i < len; i++)
        frame[i] = (uint8_t)(ts + i);
    nvg_pcap_ring_add(r, 1, frame, len, len + 4, ts);
}

static void test_wrap(void **state)
{
    (void)state;
    struct nvg_pcap_ring *r = nvg_pcap_ring_new(NVG_PCAP_RING_MIN);
    assert_non_null(r);
    /* 1000 frames of 16 + 100..1099 bytes: several times the ring, split at its end often */
    for (int i = 1; i <= 1000; i++)
        add(r, i, 100 + (uint32_t)(i * 7 % 1000));
    struct nvg_pcap_ring_stats st;
    nvg_pcap_ring_get_stats(r, &st);
    assert_int_equal(st.added, 1000);
    assert_int_equal(st.frames + st.evicted, 1000);
    assert_true(st.bytes <= NVG_PCAP_RING_MIN);
    assert_true(st.bytes > NVG_PCAP_RING_MIN - 16 - 1100);
    struct seen s = {0};
    assert_int_equal(nvg_pcap_ring_walk(r, 0, INT64_MAX, collect, &s), 0);
    assert_int_equal(s.n, (int)st.frames);
    assert_int_equal(s.bad, 0);
    for (int i = 0; i < s.n; i++)
        assert_int_equal(s.ts[i], 1000 - s.n + 1 + i); /* the newest, in order */
    assert_int_equal(st.oldest_ns, s.ts[0]);
    assert_int_equal(st.newest_ns, 1000);
    struct seen span = {0};
    nvg_pcap_ring_walk(r, 990, 995, collect, &span);
    assert_int_equal(span.n, 6);
    nvg_pcap_ring_free(r);
}

static void test_limits(void **state)
{
    (void)state;
    assert_null(nvg_pcap_ring_new(NVG_PCAP_RING_MIN - 1));
    struct nvg_pcap_ring *r = nvg_pcap_ring_new(NVG_PCAP_RING_MIN);
    add(r, 1, 1000);
    add(r, 2, NVG_PCAP_RING_MIN); /* larger than the ring with its header */
    struct nvg_pcap_ring_stats st;
    nvg_pcap_ring_get_stats(r, &st);
    assert_int_equal(st.too_big, 1);
    assert_int_equal(st.frames, 1);
    uint8_t b[64] = {0};
    nvg_pcap_ring_add(r, 113, b, sizeof(b), sizeof(b), 3); /* another link type */
    nvg_pcap_ring_get_stats(r, &st);
    assert_int_equal(st.cleared, 1);
    assert_int_equal(st.frames, 1);
    assert_int_equal(nvg_pcap_ring_datalink(r), 113);
    nvg_pcap_ring_free(r);
    nvg_pcap_ring_free(NULL);
}

static void test_writer(void **state)
{
    (void)state;
    struct nvg_pcapng_section sec = {.userappl = "netvigil-sensor x (sensor s1)",
                                     .comment = "c",
                                     .if_name = "eth0",
                                     .dlt = 1,
                                     .snaplen = 65535};
    uint8_t out[512];
    size_t n = nvg_pcapng_write_head(NULL, &sec);
    assert_int_equal(nvg_pcapng_write_head(out, &sec), n);
    assert_int_equal(n % 4, 0);
    uint32_t shb_len;
    memcpy(&shb_len, out + 4, 4);
    assert_memory_equal(out + shb_len - 4, &shb_len, 4); /* trailing length */
    uint8_t frame[61] = {1, 2, 3};
    size_t e = nvg_pcapng_write_epb(out, 0x123456789LL, sizeof(frame), 70, frame);
    assert_int_equal(e, 32 + 64);
    assert_int_equal(nvg_pcapng_write_epb(NULL, 1, sizeof(frame), 70, frame), e);
    uint32_t hi, lo;
    memcpy(&hi, out + 12, 4);
    memcpy(&lo, out + 16, 4);
    assert_int_equal(hi, 1);
    assert_int_equal(lo, 0x23456789);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
