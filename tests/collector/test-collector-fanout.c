/* collector/fanout.c: Batch.feed_offset, the records published under a sensor's name before a
 * batch, counted whether the batch then goes out or is dropped over the feed's budget, kept
 * per name across the offset table's rebuild. Over inproc PUB/SUB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include <cmocka.h>

#include "fanout.h"

static void no_rates(void *ud, int64_t sec, int proto, uint64_t packets, uint64_t bytes)
{
    (void)ud, (void)sec, (void)proto, (void)packets, (void)bytes;
}

static void test_offsets_per_name(void **state)
{
    (void)state;
    struct nvg_sensor_table t;
    nvg_sensor_table_init(&t, no_rates, NULL);
    struct nvg_security_counters sec = {0};
    struct nvg_fanout_config cfg = {.sensors = &t, .memory_budget = 64 << 20, .security = &sec};
    struct nvg_fanout *f = nvg_fanout_new(&cfg);
    assert_non_null(f);
    assert_int_equal(nvg_fanout_take_offset(f, "a", 10), 0);
    assert_int_equal(nvg_fanout_take_offset(f, "a", 5), 10);
    assert_int_equal(nvg_fanout_take_offset(f, "b", 3), 0);
    assert_int_equal(nvg_fanout_take_offset(f, "a", 0), 15);
    assert_int_equal(nvg_fanout_take_offset(f, "a", 1), 15);
    assert_int_equal(nvg_fanout_take_offset(f, "b", 1), 3);
    nvg_fanout_free(f);
    nvg_sensor_table_free(&t);
}

/* Thousands of names come and go (a hostile peer inventing them): the table is rebuilt with the
 * names still known, whose offsets go on; a forgotten name starts again from 0, which its
 * subscribers take for a restart (no false skip). */
static void test_rebuild_keeps_known_names(void **state)
{
    (void)state;
    struct nvg_sensor_table t;
    nvg_sensor_table_init(&t, no_rates, NULL);
    assert_non_null(nvg_sensor_table_get(&t, "keep"));
    struct nvg_security_counters sec = {0};
    struct nvg_fanout_config cfg = {.sensors = &t, .memory_budget = 64 << 20, .security = &sec};
    struct nvg_fanout *f = nvg_fanout_new(&cfg);
    assert_non_null(f);
    assert_int_equal(nvg_fanout_take_offset(f, "keep", 100), 0);
    char name[32];
    for (int i = 0; i < 3 * NVG_SENSORS_MAX; i++) {
        snprintf(name, sizeof(name), "x%d", i);
        assert_int_equal(nvg_fanout_take_offset(f, name, 7), 0);
        assert_int_equal(nvg_fanout_take_offset(f, name, 1), 7);
    }
    assert_int_equal(nvg_fanout_take_offset(f, "keep", 1), 100);
    assert_int_equal(nvg_fanout_take_offset(f, "x0", 1), 0);
    nvg_fanout_free(f);
    nvg_sensor_table_free(&t);
}

static Netvigil__Batch *recv_batch(void *sub)
{
    zmq_pollitem_t it = {.socket = sub, .events = ZMQ_POLLIN};
    if (zmq_poll(&it, 1, 2000) != 1)
        return NULL;
    char topic[64];
    static char body[1 << 20];
    assert_true(zmq_recv(sub, topic, sizeof(topic), 0) > 0);
    int n = zmq_recv(sub, body, sizeof(body), 0);
    assert_true(n > 0 && n < (int)sizeof(body));
    return netvigil__batch__unpack(NULL, (size_t)n, (const uint8_t *)body);
}

/* A batch over the feed's share is dropped and counted, and still advances the offset: the
 * next batch tells every subscriber that those records were skipped. */
static void test_dropped_batch_counts(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_PUB), *sub = zmq_socket(ctx, ZMQ_SUB);
    assert_int_equal(zmq_bind(pub, "inproc://fanout-test"), 0);
    assert_int_equal(zmq_connect(sub, "inproc://fanout-test"), 0);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "rec/", 4), 0);
    struct nvg_sensor_table t;
    nvg_sensor_table_init(&t, no_rates, NULL);
    struct nvg_sensor_entry *s = nvg_sensor_table_get(&t, "s1");
    assert_non_null(s);
    struct nvg_security_counters sec = {0};
    /* A 16 KiB share: a few records fit, 2000 do not. */
    struct nvg_fanout_config cfg = {
        .pub = pub, .sensors = &t, .memory_budget = 64 << 10, .security = &sec};
    struct nvg_fanout *f = nvg_fanout_new(&cfg);
    assert_non_null(f);
    static struct nvg_pkt pkts[2000];
    for (size_t i = 0; i < 2000; i++) {
        pkts[i].ts_ns = 1700000000000000000LL + (int64_t)i;
        pkts[i].wire_len = pkts[i].cap_len = 60;
    }
    /* inproc subscriptions reach the PUB when it next sends or polls: wait until one arrives. */
    Netvigil__Batch *b = NULL;
    uint64_t seq = 0, published = 0;
    for (int i = 0; i < 50 && !b; i++) {
        nvg_fanout_batch(f, s, ++seq, pkts, 3);
        published += 3;
        b = recv_batch(sub);
    }
    assert_non_null(b);
    uint64_t first = b->feed_offset;
    assert_int_equal(b->n_records, 3);
    netvigil__batch__free_unpacked(b, NULL);
    nvg_fanout_batch(f, s, ++seq, pkts, 2000);
    assert_int_equal(sec.budget_dropped, 1);
    nvg_fanout_batch(f, s, ++seq, pkts, 5);
    b = recv_batch(sub);
    assert_non_null(b);
    assert_int_equal(b->seq, seq);
    assert_int_equal(b->feed_offset, first + 3 + 2000);
    assert_int_equal(b->feed_offset, published + 2000);
    netvigil__batch__free_unpacked(b, NULL);
    nvg_fanout_free(f);
    nvg_sensor_table_free(&t);
    zmq_close(sub);
    zmq_close(pub);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_per_name),
        cmocka_unit_test(test_rebuild_keeps_known_names),
        cmocka_unit_test(test_dropped_batch_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
