/* Unit tests of the feed subscriber's skip count (common/nvg-feed-skip.c): what netvigil-ctl
 * tail and the viewer report as records skipped, from the feed_offset of each Batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nvg-feed-skip.h"

static struct nvg_feed_skips *fresh(void)
{
    struct nvg_feed_skips *s = malloc(sizeof(*s));
    assert_non_null(s);
    nvg_feed_skips_init(s);
    return s;
}

static void test_contiguous_then_gap(void **state)
{
    (void)state;
    struct nvg_feed_skips *s = fresh();
    /* Joining mid-stream is no skip: the first batch only sets the expectation. */
    assert_int_equal(nvg_feed_skips_batch(s, "a", 5000, 100), 0);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 5100, 100), 0);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 5200, 0), 0); /* an empty batch */
    assert_int_equal(nvg_feed_skips_batch(s, "a", 5200, 50), 0);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 9250, 10), 4000);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 9260, 10), 0);
    assert_int_equal(s->skipped, 4000);
    assert_int_equal(s->restarts, 0);
    free(s);
}

static void test_names_apart(void **state)
{
    (void)state;
    struct nvg_feed_skips *s = fresh();
    assert_int_equal(nvg_feed_skips_batch(s, "a", 0, 10), 0);
    assert_int_equal(nvg_feed_skips_batch(s, "b", 0, 10), 0);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 10, 10), 0);
    assert_int_equal(nvg_feed_skips_batch(s, "b", 30, 10), 20);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 25, 1), 5);
    assert_int_equal(s->skipped, 25);
    free(s);
}

static void test_restart_is_no_skip(void **state)
{
    (void)state;
    struct nvg_feed_skips *s = fresh();
    nvg_feed_skips_batch(s, "a", 1000, 100);
    /* Backwards: a new collector, counting from 0 again. */
    assert_int_equal(nvg_feed_skips_batch(s, "a", 0, 100), 0);
    assert_int_equal(s->restarts, 1);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 300, 100), 200);
    /* After a reconnect nothing is expected: a larger offset cannot be told from a restart. */
    nvg_feed_skips_forget(s);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 90000, 100), 0);
    assert_int_equal(nvg_feed_skips_batch(s, "a", 90100, 100), 0);
    assert_int_equal(s->skipped, 200);
    free(s);
}

static void test_hostile_values(void **state)
{
    (void)state;
    struct nvg_feed_skips *s = fresh();
    assert_int_equal(nvg_feed_skips_batch(s, "a", UINT64_MAX - 1, 10), 0);
    assert_int_equal(nvg_feed_skips_batch(s, "a", UINT64_MAX, 10), 0); /* saturated next */
    assert_int_equal(nvg_feed_skips_batch(s, "", 5, 1), 0);
    assert_int_equal(nvg_feed_skips_batch(s, NULL, 5, 1), 0);
    /* More names than followed: forgetting can only miss a skip, never invent one. */
    char name[32];
    for (int i = 0; i < 3 * NVG_FEED_SKIP_NAMES; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        assert_int_equal(nvg_feed_skips_batch(s, name, 7, 1), 0);
    }
    assert_true(s->used <= NVG_FEED_SKIP_NAMES);
    snprintf(name, sizeof(name), "n%d", 3 * NVG_FEED_SKIP_NAMES - 1);
    assert_int_equal(nvg_feed_skips_batch(s, name, 10, 1), 2);
    assert_int_equal(s->skipped, 2);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contiguous_then_gap),
        cmocka_unit_test(test_names_apart),
        cmocka_unit_test(test_restart_is_no_skip),
        cmocka_unit_test(test_hostile_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
