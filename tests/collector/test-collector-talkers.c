/* Unit tests of the bounded top-talkers table (collector/talkers.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "talkers.h"

static void v4(uint8_t *a, uint32_t x)
{
    a[0] = (uint8_t)(x >> 24), a[1] = (uint8_t)(x >> 16), a[2] = (uint8_t)(x >> 8),
    a[3] = (uint8_t)x;
}

static void test_exact_when_few(void **state)
{
    (void)state;
    struct nvg_talkers *t = nvg_talkers_new(16);
    uint8_t a[16] = {0};
    for (uint32_t i = 1; i <= 10; i++) {
        v4(a, 0x0a000000 + i);
        for (uint32_t k = 0; k < i; k++)
            nvg_talkers_add(t, a, 4, 100);
    }
    struct nvg_talker top[3];
    assert_int_equal(nvg_talkers_top(t, top, 3), 3);
    assert_int_equal(top[0].bytes, 1000);
    assert_int_equal(top[0].packets, 10);
    assert_int_equal(top[0].addr[3], 10);
    assert_int_equal(top[1].bytes, 900);
    assert_int_equal(top[2].bytes, 800);
    assert_int_equal(top[0].error, 0);
    nvg_talkers_reset(t);
    assert_int_equal(nvg_talkers_top(t, top, 3), 0);
    nvg_talkers_free(t);
}

static void test_heavy_hitters_survive_churn(void **state)
{
    (void)state;
    struct nvg_talkers *t = nvg_talkers_new(64);
    uint8_t a[16] = {0}, big1[16] = {0}, big2[16] = {0};
    big1[0] = 0x20, big1[1] = 0x01, big1[15] = 1;
    big2[0] = 0x20, big2[1] = 0x01, big2[15] = 2;
    /* 100k one-off sources (far more than the counters) interleaved with two heavy ones. */
    for (uint32_t i = 0; i < 100000; i++) {
        v4(a, 0xc0000000 + i);
        nvg_talkers_add(t, a, 4, 100);
        if (i % 10 == 0)
            nvg_talkers_add(t, big1, 6, 1500);
        if (i % 20 == 0)
            nvg_talkers_add(t, big2, 6, 1500);
    }
    assert_true(nvg_talkers_count(t) <= 64);
    struct nvg_talker top[2];
    assert_int_equal(nvg_talkers_top(t, top, 2), 2);
    assert_memory_equal(top[0].addr, big1, 16);
    assert_memory_equal(top[1].addr, big2, 16);
    /* Space-saving bound: the true count (15e6 and 7.5e6) <= reported <= true + error. */
    assert_true(top[0].bytes >= 15000000 && top[0].bytes - top[0].error <= 15000000);
    assert_true(top[1].bytes >= 7500000 && top[1].bytes - top[1].error <= 7500000);
    nvg_talkers_free(t);
}

static void test_ignores_non_ip(void **state)
{
    (void)state;
    struct nvg_talkers *t = nvg_talkers_new(4);
    uint8_t a[16] = {0};
    nvg_talkers_add(t, a, 0, 100);
    assert_int_equal(nvg_talkers_count(t), 0);
    nvg_talkers_free(t);
    nvg_talkers_free(NULL);
}

/* ---- against an exact reference ------------------------------------------------------------
 * Keys are numbered; key id -> address is a bijection (even ids IPv4, odd ids IPv6 sharing the
 * same first bytes, so the family is part of the key), and the exact reference is a plain
 * array of per-id byte and packet counts. */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic across runs and platforms */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static int key_addr(uint32_t id, uint8_t *a)
{
    memset(a, 0, 16);
    v4(a, 0x0a000000u + (id >> 1));
    if (id & 1) {
        a[15] = 0x66;
        return 6;
    }
    return 4;
}

static uint32_t addr_key(const struct nvg_talker *t)
{
    uint32_t x = (uint32_t)t->addr[0] << 24 | (uint32_t)t->addr[1] << 16 |
                 (uint32_t)t->addr[2] << 8 | t->addr[3];
    return ((x - 0x0a000000u) << 1) | (t->ip_version == 6 ? 1u : 0u);
}

struct exact {
    uint64_t *bytes, *packets;
    uint64_t total;
    uint32_t n;
};

static struct exact exact_new(uint32_t n)
{
    struct exact e = {calloc(n, 8), calloc(n, 8), 0, n};
    assert_non_null(e.bytes);
    assert_non_null(e.packets);
    return e;
}

static void exact_free(struct exact *e)
{
    free(e->bytes);
    free(e->packets);
}

static void feed(struct nvg_talkers *t, struct exact *e, uint32_t id, uint32_t w)
{
    uint8_t a[16];
    int v = key_addr(id, a);
    nvg_talkers_add(t, a, v, w);
    e->bytes[id] += w;
    e->packets[id]++;
    e->total += w;
}

static int by_bytes_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* All counters, via top with n = capacity. */
static size_t all_counters(const struct nvg_talkers *t, struct nvg_talker *out, size_t cap)
{
    return nvg_talkers_top(t, out, cap);
}

/* Fewer distinct keys than counters, random weights and order: every count exact, no error,
 * and the top list is the exact ranking. Repeated over several intervals (reset). */
static void test_exact_reference_few_keys(void **state)
{
    (void)state;
    enum { CAP = 256, KEYS = 200, ROUNDS = 4 };
    struct nvg_talkers *t = nvg_talkers_new(CAP);
    assert_non_null(t);
    rng_state = 0x1234567;
    for (int round = 0; round < ROUNDS; round++) {
        struct exact e = exact_new(KEYS);
        uint32_t keys = KEYS - (uint32_t)round * 40; /* 200, 160, ... */
        for (int i = 0; i < 200000; i++)
            feed(t, &e, (uint32_t)(rnd() % keys), 40 + (uint32_t)(rnd() % 1500));
        struct nvg_talker all[CAP];
        size_t n = all_counters(t, all, CAP);
        size_t distinct = 0;
        for (uint32_t id = 0; id < KEYS; id++)
            distinct += e.packets[id] > 0;
        assert_int_equal(n, distinct);
        assert_int_equal(nvg_talkers_count(t), distinct);
        for (size_t k = 0; k < n; k++) {
            uint32_t id = addr_key(&all[k]);
            assert_true(id < KEYS);
            assert_int_equal(all[k].bytes, e.bytes[id]);
            assert_int_equal(all[k].packets, e.packets[id]);
            assert_int_equal(all[k].error, 0);
        }
        /* top 10 = the 10 biggest exact counts, in order */
        uint64_t sorted[KEYS];
        memcpy(sorted, e.bytes, sizeof(sorted));
        qsort(sorted, KEYS, sizeof(sorted[0]), by_bytes_desc);
        struct nvg_talker top[10];
        assert_int_equal(nvg_talkers_top(t, top, 10), 10);
        for (int k = 0; k < 10; k++)
            assert_int_equal(top[k].bytes, sorted[k]);
        nvg_talkers_reset(t);
        assert_int_equal(nvg_talkers_count(t), 0);
        exact_free(&e);
    }
    nvg_talkers_free(t);
}

/* Exactly as many keys as counters: still exact (no counter is ever taken over). */
static void test_exact_at_capacity(void **state)
{
    (void)state;
    enum { CAP = 64 };
    struct nvg_talkers *t = nvg_talkers_new(CAP);
    struct exact e = exact_new(CAP);
    rng_state = 99;
    for (int i = 0; i < 50000; i++)
        feed(t, &e, (uint32_t)(rnd() % CAP), 1 + (uint32_t)(rnd() % 9000));
    struct nvg_talker all[CAP];
    assert_int_equal(all_counters(t, all, CAP), CAP);
    for (size_t k = 0; k < CAP; k++) {
        assert_int_equal(all[k].bytes, e.bytes[addr_key(&all[k])]);
        assert_int_equal(all[k].error, 0);
    }
    exact_free(&e);
    nvg_talkers_free(t);
}

/* A skewed stream (geometric heavy hitters, a flat middle) over far more keys than counters,
 * weighted, with a cyclic scan of one-off keys mixed in (the pattern that makes nearly every record
 * a miss). Checks the space-saving guarantees against the exact counts:
 *   - every key with more than total/capacity bytes holds a counter;
 *   - each counter: bytes - error <= true bytes <= bytes, and error <= total/capacity;
 *   - the counters' bytes add up to the stream's total (no weight lost or invented);
 *   - the true top 5 (all heavy) come out as the top 5, in order. */
enum { SKEW_CAP = 256, SKEW_KEYS = 200000, SKEW_N = 2000000 };

static void feed_skewed(struct nvg_talkers *t, struct exact *e)
{
    rng_state = 0xfeedface;
    uint32_t scan = 60000;
    for (int i = 0; i < SKEW_N; i++) {
        uint32_t id;
        uint64_t r = rnd();
        switch (i % 3) {
        case 0: /* one-off keys, cycling through a large range */
            id = scan++;
            if (scan >= SKEW_KEYS)
                scan = 60000;
            break;
        case 1: /* geometric: key j with probability 2^-(j+1), the heavy hitters */
            id = r ? (uint32_t)__builtin_ctzll(r) : 63;
            break;
        default: /* a flat middle: 50000 keys */
            id = 1000 + (uint32_t)(r % 50000);
            break;
        }
        feed(t, e, id, 40 + (uint32_t)(rnd() % 1461));
    }
}

/* The per-counter bounds, the total, and that every heavy key holds a counter. */
static void check_skewed_counters(const struct nvg_talkers *t, const struct exact *e)
{
    struct nvg_talker all[SKEW_CAP];
    size_t n = all_counters(t, all, SKEW_CAP);
    assert_int_equal(n, SKEW_CAP);
    uint64_t bound = e->total / SKEW_CAP, sum = 0;
    uint8_t *held = calloc(SKEW_KEYS, 1);
    assert_non_null(held);
    for (size_t k = 0; k < n; k++) {
        uint32_t id = addr_key(&all[k]);
        assert_true(id < SKEW_KEYS);
        assert_false(held[id]); /* one counter per key */
        held[id] = 1;
        assert_true(all[k].bytes >= e->bytes[id]);
        assert_true(all[k].bytes - all[k].error <= e->bytes[id]);
        assert_true(all[k].error <= bound);
        sum += all[k].bytes;
    }
    assert_int_equal(sum, e->total);
    size_t heavy = 0;
    for (uint32_t id = 0; id < SKEW_KEYS; id++)
        if (e->bytes[id] > bound) {
            assert_true(held[id]);
            heavy++;
        }
    assert_true(heavy >= 5);
    free(held);
}

/* The five biggest keys come out first, in the exact order. */
static void check_skewed_top(const struct nvg_talkers *t, const struct exact *e)
{
    uint64_t *sorted = malloc(SKEW_KEYS * sizeof(*sorted));
    assert_non_null(sorted);
    memcpy(sorted, e->bytes, SKEW_KEYS * sizeof(*sorted));
    qsort(sorted, SKEW_KEYS, sizeof(sorted[0]), by_bytes_desc);
    struct nvg_talker top[5];
    assert_int_equal(nvg_talkers_top(t, top, 5), 5);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(e->bytes[addr_key(&top[k])], sorted[k]);
        assert_true(top[k].bytes - top[k].error <= sorted[k] && sorted[k] <= top[k].bytes);
    }
    free(sorted);
}

static void test_heavy_hitters_skewed(void **state)
{
    (void)state;
    struct nvg_talkers *t = nvg_talkers_new(SKEW_CAP);
    struct exact e = exact_new(SKEW_KEYS);
    size_t mem0 = nvg_talkers_memory(t);
    feed_skewed(t, &e);
    assert_true(nvg_talkers_count(t) <= SKEW_CAP);
    assert_int_equal(nvg_talkers_memory(t), mem0);
    check_skewed_counters(t, &e);
    check_skewed_top(t, &e);
    exact_free(&e);
    nvg_talkers_free(t);
}

/* Capacity is rounded up to a power of two and capped: memory never grows with the stream. */
static void test_memory_bounded(void **state)
{
    (void)state;
    struct nvg_talkers *t = nvg_talkers_new(100000);
    size_t mem0 = nvg_talkers_memory(t);
    assert_true(mem0 < 512 * 1024);
    struct exact e = exact_new(1u << 20);
    rng_state = 7;
    for (uint32_t i = 0; i < (1u << 20); i++)
        feed(t, &e, i, 100);
    assert_int_equal(nvg_talkers_count(t), 4096);
    assert_int_equal(nvg_talkers_memory(t), mem0);
    exact_free(&e);
    nvg_talkers_free(t);
    struct nvg_talkers *small = nvg_talkers_new(3);
    assert_int_equal(nvg_talkers_memory(small) < mem0, 1);
    uint8_t a[16];
    for (uint32_t i = 0; i < 10; i++) {
        int v = key_addr(i, a);
        nvg_talkers_add(small, a, v, 10);
    }
    assert_int_equal(nvg_talkers_count(small), 4);
    nvg_talkers_free(small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_when_few),
        cmocka_unit_test(test_heavy_hitters_survive_churn),
        cmocka_unit_test(test_ignores_non_ip),
        cmocka_unit_test(test_exact_reference_few_keys),
        cmocka_unit_test(test_exact_at_capacity),
        cmocka_unit_test(test_heavy_hitters_skewed),
        cmocka_unit_test(test_memory_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
