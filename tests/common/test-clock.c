/* Unit tests of the clocks (common/nvg-clock.h): units and agreement with clock_gettime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "nvg-clock.h"

static int64_t raw_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Each clock is read between two raw readings of the same clock, so it lies between them. */
static void test_between_raw_readings(void **state)
{
    (void)state;
    int64_t a = raw_ns(CLOCK_REALTIME);
    int64_t w = nvg_clock_wall_ns();
    int64_t wm = nvg_clock_wall_ms();
    int64_t b = raw_ns(CLOCK_REALTIME);
    assert_in_range(w, a, b);
    assert_in_range(wm, a / 1000000, b / 1000000);

    a = raw_ns(CLOCK_MONOTONIC);
    int64_t m = nvg_clock_mono_ns();
    int64_t mm = nvg_clock_mono_ms();
    b = raw_ns(CLOCK_MONOTONIC);
    assert_in_range(m, a, b);
    assert_in_range(mm, a / 1000000, b / 1000000);
}

static void test_wall_is_the_epoch(void **state)
{
    (void)state;
    /* Wall milliseconds against time(2): seconds since the epoch, not since boot. */
    int64_t before = (int64_t)time(NULL);
    int64_t ms = nvg_clock_wall_ms();
    int64_t after = (int64_t)time(NULL);
    assert_in_range(ms / 1000, before, after);
}

static void test_mono_never_goes_back(void **state)
{
    (void)state;
    int64_t last = nvg_clock_mono_ns();
    for (int i = 0; i < 1000; i++) {
        int64_t now = nvg_clock_mono_ns();
        assert_true(now >= last);
        last = now;
    }
    struct timespec ten_ms = {0, 10 * 1000000};
    int64_t t0 = nvg_clock_mono_ms();
    nanosleep(&ten_ms, NULL);
    assert_true(nvg_clock_mono_ms() - t0 >= 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_between_raw_readings),
        cmocka_unit_test(test_wall_is_the_epoch),
        cmocka_unit_test(test_mono_never_goes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
