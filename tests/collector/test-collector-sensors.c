/* collector/sensors.c: pinning a name to a connection, its lifetime, eviction of names that
 * never validated, and saturating sequence accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sensors.h"

#define A ((const uint8_t *)"conn-a")
#define B ((const uint8_t *)"conn-b")

static void no_rates(void *ud, int64_t sec, int proto, uint64_t packets, uint64_t bytes)
{
    (void)ud, (void)sec, (void)proto, (void)packets, (void)bytes;
}

static struct nvg_sensor_entry *claim(struct nvg_sensor_table *t, const char *name,
                                      const uint8_t *rid, int64_t now, enum nvg_claim_error *why)
{
    struct nvg_sensor_entry *s = nvg_sensor_table_claim(t, name, rid, 6, "", "127.0.0.1", now, why);
    if (s)
        nvg_sensor_entry_seen(s, now);
    return s;
}

static void test_pin(void **state)
{
    (void)state;
    struct nvg_sensor_table t;
    nvg_sensor_table_init(&t, no_rates, NULL);
    enum nvg_claim_error why;
    struct nvg_sensor_entry *s = claim(&t, "s1", A, 1000, &why);
    assert_non_null(s);
    assert_string_equal(s->peer_address, "127.0.0.1");
    /* Another connection while the pinned one is alive: refused. */
    assert_null(claim(&t, "s1", B, 2000, &why));
    assert_int_equal(why, NVG_CLAIM_TAKEN);
    assert_true(claim(&t, "s1", A, 2500, &why) == s);
    /* Three heartbeats of silence: the pin is dead, the next connection takes it. */
    assert_null(claim(&t, "s1", B, 2500 + NVG_SENSOR_PIN_MS - 1, &why));
    assert_true(claim(&t, "s1", B, 2500 + NVG_SENSOR_PIN_MS, &why) == s);
    assert_true(nvg_sensor_entry_pinned_to(s, B, 6));
    assert_false(nvg_sensor_entry_pinned_to(s, A, 6));
    /* End of stream releases the pin at once. */
    nvg_sensor_entry_release(&t, s);
    assert_true(claim(&t, "s1", A, 6000, &why) == s);
    /* One name per connection. */
    assert_null(claim(&t, "s2", A, 6000, &why));
    assert_int_equal(why, NVG_CLAIM_PER_LINK);
    assert_null(claim(&t, "=HYPERLINK(1)", B, 6000, &why));
    assert_int_equal(why, NVG_CLAIM_BAD_NAME);
    assert_null(claim(&t, "s1\xe2\x80\x8b", B, 6000, &why));
    nvg_sensor_table_free(&t);
}

static void test_eviction(void **state)
{
    (void)state;
    struct nvg_sensor_table t;
    nvg_sensor_table_init(&t, no_rates, NULL);
    enum nvg_claim_error why;
    /* A real sensor that validated, then the table full of names that never did. */
    struct nvg_sensor_entry *real = claim(&t, "real", A, 1000, &why);
    real->validated = true;
    uint8_t rid[8];
    char name[32];
    for (int i = 0; i < NVG_SENSORS_MAX + 200; i++) {
        memcpy(rid, &i, sizeof(i));
        memcpy(rid + 4, "rogu", 4);
        snprintf(name, sizeof(name), "rogue-%d", i);
        assert_non_null(nvg_sensor_table_claim(&t, name, rid, 8, "", "", 1500, &why));
    }
    assert_int_equal(t.n, NVG_SENSORS_MAX);
    assert_true(nvg_sensor_table_find(&t, "real") == real);
    /* A new real sensor still gets in. */
    assert_non_null(claim(&t, "real2", B, 1600, &why));
    /* Unvalidated names age out after their silence; the validated one stays. */
    nvg_sensor_table_expire(&t, 1600 + NVG_SENSOR_UNVALIDATED_TTL_MS);
    assert_int_equal(t.n, 1);
    assert_true(t.v[0] == real);
    nvg_sensor_table_free(&t);
}

static void test_full_of_connected(void **state)
{
    (void)state;
    struct nvg_sensor_table t;
    nvg_sensor_table_init(&t, no_rates, NULL);
    enum nvg_claim_error why;
    uint8_t rid[8];
    char name[32];
    for (int i = 0; i < NVG_SENSORS_MAX; i++) {
        memcpy(rid, &i, sizeof(i));
        memcpy(rid + 4, "real", 4);
        snprintf(name, sizeof(name), "s%d", i);
        struct nvg_sensor_entry *s = nvg_sensor_table_claim(&t, name, rid, 8, "", "", 1000, &why);
        nvg_sensor_entry_seen(s, 1000);
        s->validated = true;
    }
    /* Every entry is a connected, validated sensor: nothing is evicted for a newcomer. */
    assert_null(claim(&t, "newcomer", A, 1500, &why));
    assert_int_equal(why, NVG_CLAIM_FULL);
    /* Once they are silent, the least recently heard one makes room. */
    assert_non_null(claim(&t, "newcomer", A, 1000 + NVG_SENSOR_CONNECTED_MS, &why));
    assert_null(nvg_sensor_table_find(&t, "s0"));
    assert_non_null(nvg_sensor_table_find(&t, "s1"));
    nvg_sensor_table_free(&t);
}

static void test_accounting(void **state)
{
    (void)state;
    struct nvg_sensor_table t;
    nvg_sensor_table_init(&t, no_rates, NULL);
    struct nvg_sensor_entry *s = nvg_sensor_table_get(&t, "acc");
    nvg_sensor_entry_set_boot(s, 7);
    assert_int_equal(nvg_sensor_entry_account_seq(s, 1), 0);
    assert_int_equal(nvg_sensor_entry_account_seq(s, 5), 3);
    /* An end of stream below what arrived claims nothing (no underflow). */
    assert_int_equal(nvg_sensor_entry_account_tail(s, 2), 0);
    assert_int_equal(s->batches_lost, 3);
    assert_false(nvg_sensor_entry_seq_plausible(s, 0));
    assert_false(nvg_sensor_entry_seq_plausible(s, 5 + NVG_SENSOR_SEQ_GAP_MAX + 1));
    assert_true(nvg_sensor_entry_seq_plausible(s, 5 + NVG_SENSOR_SEQ_GAP_MAX));
    /* Counters saturate instead of wrapping. */
    s->batches_lost = UINT64_MAX - 1;
    nvg_sensor_entry_account_seq(s, 10);
    assert_true(s->batches_lost == UINT64_MAX);
    /* Entries that never validated are not persisted. */
    nvg_sensor_table_mark_durable(&t);
    assert_false(s->durable.valid);
    s->validated = true;
    nvg_sensor_table_mark_durable(&t);
    assert_true(s->durable.valid);
    nvg_sensor_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_full_of_connected),
        cmocka_unit_test(test_accounting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
