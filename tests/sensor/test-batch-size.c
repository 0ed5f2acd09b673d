/* Every batch the sensor sends must fit the collector's sensor socket (ZMQ_MAXMSGSIZE
 * NVG_LINK_MAX_MSG), or the collector drops the connection: the batch encoder closes a batch
 * by bytes as well as by count. Worst-case records (every field at its widest, full payload)
 * are the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nvg-text.h"
#include "nvg-wire.h"

static void worst_pkt(struct nvg_pkt *p, unsigned payload)
{
    memset(p, 0xff, sizeof(*p));
    p->ts_ns = INT64_MIN;
    p->ip_version = 6;
    p->payload_len = (uint8_t)payload;
}

/* Fills a fresh encoder until it says full; returns the records it took. */
static size_t fill(struct nvg_batch_encoder *enc, unsigned payload)
{
    struct nvg_pkt p;
    worst_pkt(&p, payload);
    size_t n = 0;
    while (!nvg_batch_encoder_full(enc)) {
        size_t now = nvg_batch_encoder_add(enc, &p);
        assert_int_equal(now, n + 1);
        n = now;
    }
    assert_int_equal(nvg_batch_encoder_add(enc, &p), n); /* full: ignored */
    return n;
}

static void pack_and_check(struct nvg_batch_encoder *enc, size_t n)
{
    size_t bound = nvg_batch_encoder_bytes(enc);
    const uint8_t *out;
    size_t len;
    assert_int_equal(nvg_batch_encoder_pack(enc, 7, &out, &len), 0);
    assert_true(len <= bound);
    if (len > NVG_LINK_MAX_MSG)
        fail_msg("a batch of %zu records packs to %zu bytes, above %d", n, len, NVG_LINK_MAX_MSG);
    Netvigil__SensorMessage *m = netvigil__sensor_message__unpack(NULL, len, out);
    assert_non_null(m);
    assert_int_equal(m->batch->n_records, n);
    assert_int_equal(m->batch->records[n - 1]->payload.len, m->batch->records[0]->payload.len);
    netvigil__sensor_message__free_unpacked(m, NULL);
    assert_int_equal(nvg_batch_encoder_count(enc), 0);
    assert_false(nvg_batch_encoder_full(enc));
}

static void test_full_payload_closes_by_bytes(void **state)
{
    (void)state;
    char name[NVG_NAME_MAX + 1];
    memset(name, 'n', NVG_NAME_MAX);
    name[NVG_NAME_MAX] = '\0';
    struct nvg_batch_encoder *enc = nvg_batch_encoder_new(name, UINT64_MAX, NVG_BATCH_MAX_RECORDS);
    assert_non_null(enc);
    size_t n = fill(enc, NVG_PAYLOAD_MAX);
    /* Closed by bytes, well before the record count, and not absurdly early either. */
    assert_true(n < NVG_BATCH_MAX_RECORDS);
    assert_true(n > NVG_LINK_MAX_MSG / 200);
    pack_and_check(enc, n);
    assert_int_equal(fill(enc, NVG_PAYLOAD_MAX), n); /* the same after a pack */
    pack_and_check(enc, n);
    nvg_batch_encoder_free(enc);
}

static void test_no_payload_closes_near_count(void **state)
{
    (void)state;
    struct nvg_batch_encoder *enc = nvg_batch_encoder_new("s", 1, NVG_BATCH_MAX_RECORDS);
    size_t n = fill(enc, 0);
    assert_true(n > NVG_BATCH_MAX_RECORDS * 9 / 10);
    pack_and_check(enc, n);
    nvg_batch_encoder_free(enc);
}

static void test_small_batches_close_by_count(void **state)
{
    (void)state;
    struct nvg_batch_encoder *enc = nvg_batch_encoder_new("s", 1, 1024);
    assert_int_equal(fill(enc, NVG_PAYLOAD_MAX), 1024);
    pack_and_check(enc, 1024);
    struct nvg_pkt p;
    worst_pkt(&p, 0);
    nvg_batch_encoder_add(enc, &p);
    size_t one = nvg_batch_encoder_bytes(enc);
    nvg_batch_encoder_clear(enc);
    assert_true(nvg_batch_encoder_bytes(enc) < one);
    assert_int_equal(nvg_batch_encoder_count(enc), 0);
    nvg_batch_encoder_free(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_payload_closes_by_bytes),
        cmocka_unit_test(test_no_payload_closes_near_count),
        cmocka_unit_test(test_small_batches_close_by_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
