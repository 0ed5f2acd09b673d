/* Unit tests of the per-second rate window (collector/rate-window.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rate-window.h"

#define S 1000000000LL

struct row {
    int64_t sec;
    int proto;
    uint64_t packets, bytes;
};

static struct row rows[64];
static int nrows;

static void emit(void *ud, int64_t sec, int proto, uint64_t packets, uint64_t bytes)
{
    (void)ud;
    assert_true(nrows < 64);
    rows[nrows++] = (struct row){sec, proto, packets, bytes};
}

static int setup(void **state)
{
    (void)state;
    nrows = 0;
    return 0;
}

static void test_closes_two_seconds_behind(void **state)
{
    (void)state;
    struct nvg_rate_window r;
    nvg_rate_window_init(&r, emit, NULL);
    nvg_rate_window_set_record_time_only(&r, true);
    nvg_rate_window_add(&r, 100 * S + 1, NVG_PROTO_TCP, 60, 0);
    nvg_rate_window_add(&r, 100 * S + 5, NVG_PROTO_TCP, 40, 0);
    nvg_rate_window_add(&r, 100 * S + 7, NVG_PROTO_UDP, 10, 0);
    nvg_rate_window_add(&r, 101 * S, NVG_PROTO_UDP, 10, 0);
    assert_int_equal(nrows, 0); /* 100 is still open: 101 may have late company */
    nvg_rate_window_add(&r, 100 * S + 9, NVG_PROTO_TCP, 1, 0); /* one second out of order: lands */
    nvg_rate_window_add(&r, 102 * S, NVG_PROTO_UDP, 10, 0);
    assert_int_equal(nrows, 2);
    assert_int_equal(rows[0].sec, 100);
    assert_int_equal(rows[0].proto, NVG_PROTO_TCP);
    assert_int_equal(rows[0].packets, 3);
    assert_int_equal(rows[0].bytes, 101);
    assert_int_equal(rows[1].proto, NVG_PROTO_UDP);
    assert_int_equal(rows[1].packets, 1);
    nvg_rate_window_flush(&r);
    assert_int_equal(nrows, 4);
    assert_int_equal(rows[2].sec, 101);
    assert_int_equal(rows[3].sec, 102);
}

static void test_wall_clock_closes_idle_live(void **state)
{
    (void)state;
    struct nvg_rate_window r;
    nvg_rate_window_init(&r, emit, NULL);
    nvg_rate_window_add(&r, 500 * S, NVG_PROTO_ICMP, 98, 10000);
    nvg_rate_window_tick(&r, 11999);
    assert_int_equal(nrows, 0);
    nvg_rate_window_tick(&r, 12000);
    assert_int_equal(nrows, 1);
    assert_int_equal(rows[0].packets, 1);
    assert_int_equal(rows[0].bytes, 98);
}

static void test_record_time_only_ignores_wall(void **state)
{
    (void)state;
    struct nvg_rate_window r;
    nvg_rate_window_init(&r, emit, NULL);
    nvg_rate_window_set_record_time_only(&r, true);
    nvg_rate_window_add(&r, 500 * S, NVG_PROTO_ICMP, 98, 10000);
    nvg_rate_window_tick(&r, 99999999);
    assert_int_equal(nrows, 0);
    nvg_rate_window_flush(&r);
    assert_int_equal(nrows, 1);
}

static void test_sparse_batch_overflows_window(void **state)
{
    (void)state;
    struct nvg_rate_window r;
    nvg_rate_window_init(&r, emit, NULL);
    nvg_rate_window_set_record_time_only(&r, true);
    /* Going backwards in time never advances the newest second, so seconds pile up: the
     * window closes the oldest when it is full, and nothing is lost. */
    for (int i = 20; i > 0; i--)
        nvg_rate_window_add(&r, (int64_t)i * S, NVG_PROTO_ARP, 42, 0);
    nvg_rate_window_flush(&r);
    assert_int_equal(nrows, 20);
    uint64_t total = 0;
    for (int i = 0; i < nrows; i++)
        total += rows[i].packets;
    assert_int_equal(total, 20);
}

static void test_negative_time_floors(void **state)
{
    (void)state;
    assert_int_equal(nvg_rate_window_second_of(-1), -1);
    assert_int_equal(nvg_rate_window_second_of(-S), -1);
    assert_int_equal(nvg_rate_window_second_of(S - 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_closes_two_seconds_behind, setup),
        cmocka_unit_test_setup(test_wall_clock_closes_idle_live, setup),
        cmocka_unit_test_setup(test_record_time_only_ignores_wall, setup),
        cmocka_unit_test_setup(test_sparse_batch_overflows_window, setup),
        cmocka_unit_test_setup(test_negative_time_floors, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
