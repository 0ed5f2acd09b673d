/* The chart's series bookkeeping: per-second sums per protocol, the one-hour ring, late and
 * too-old samples, the pre-scaled view for a window, axis ticks and unit text. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-rate-series.h"

#define T0 1700000000

/* cmocka compares doubles only as floats, within a relative margin; these keep the exact and
 * the absolute-epsilon comparisons the series needs and print both values, like cmocka. */
#define ASSERT_DOUBLE(a, op, b)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(a_ op b_))                                                                           \
            fail_msg("%s %s %s: %.17g, %.17g", #a, #op, #b, a_, b_);                               \
    } while (0)
#define ASSERT_DOUBLE_NEAR(a, b, eps)                                                              \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) < (eps)))                                                              \
            fail_msg("%s != %s within %s: %.17g, %.17g", #a, #b, #eps, a_, b_);                    \
    } while (0)

static void test_add_get(void **state)
{
    (void)state;
    struct nvg_rate_series *s = nvg_rate_series_new();
    int64_t latest;
    assert_false(nvg_rate_series_latest(s, &latest));
    assert_int_equal(nvg_rate_series_add(s, T0, NVG_PROTO_TCP, 10, 1000), 0);
    assert_int_equal(nvg_rate_series_add(s, T0, NVG_PROTO_TCP, 5, 500), 0); /* 2nd sensor */
    assert_int_equal(nvg_rate_series_add(s, T0, NVG_PROTO_UDP, 7, 70), 0);
    assert_int_equal(nvg_rate_series_add(s, T0 + 2, NVG_PROTO_ARP, 1, 60), 0);
    assert_int_equal(nvg_rate_series_add(s, T0 + 1, NVG_PROTO_TCP, 3, 30), 0); /* late */
    assert_true(nvg_rate_series_latest(s, &latest));
    assert_int_equal(latest, T0 + 2);
    uint64_t pk[NVG_PROTO_COUNT], by[NVG_PROTO_COUNT];
    nvg_rate_series_get(s, T0, pk, by);
    assert_int_equal(pk[NVG_PROTO_TCP], 15);
    assert_int_equal(by[NVG_PROTO_TCP], 1500);
    assert_int_equal(pk[NVG_PROTO_UDP], 7);
    assert_int_equal(pk[NVG_PROTO_ARP], 0);
    nvg_rate_series_get(s, T0 + 1, pk, by);
    assert_int_equal(pk[NVG_PROTO_TCP], 3);
    nvg_rate_series_get(s, T0 - 5, pk, by); /* never seen */
    assert_int_equal(pk[NVG_PROTO_TCP], 0);
    assert_int_equal(nvg_rate_series_add(s, T0, NVG_PROTO_COUNT, 1, 1), -1);
    assert_int_equal(nvg_rate_series_add(s, T0, -1, 1, 1), -1);
    assert_int_equal(nvg_rate_series_rejected(s), 2);
    nvg_rate_series_free(s);
}

static void test_ring_wrap(void **state)
{
    (void)state;
    struct nvg_rate_series *s = nvg_rate_series_new();
    uint64_t pk[NVG_PROTO_COUNT], by[NVG_PROTO_COUNT];
    for (int64_t t = 0; t < 2 * NVG_RATE_SERIES_SPAN + 100; t++)
        assert_int_equal(nvg_rate_series_add(s, T0 + t, NVG_PROTO_UDP, (uint64_t)t, 1), 0);
    int64_t last = T0 + 2 * NVG_RATE_SERIES_SPAN + 99;
    /* the newest hour is there, exactly */
    for (int64_t t = last - NVG_RATE_SERIES_SPAN + 1; t <= last; t++) {
        nvg_rate_series_get(s, t, pk, by);
        assert_int_equal(pk[NVG_PROTO_UDP], (uint64_t)(t - T0));
    }
    /* older seconds read as zero, and samples for them are refused */
    nvg_rate_series_get(s, last - NVG_RATE_SERIES_SPAN, pk, by);
    assert_int_equal(pk[NVG_PROTO_UDP], 0);
    assert_int_equal(nvg_rate_series_add(s, last - NVG_RATE_SERIES_SPAN, NVG_PROTO_UDP, 1, 1), -1);
    /* a jump forward: slots from an hour ago do not leak into the new seconds */
    assert_int_equal(nvg_rate_series_add(s, last + NVG_RATE_SERIES_SPAN, NVG_PROTO_TCP, 9, 9), 0);
    nvg_rate_series_get(s, last + NVG_RATE_SERIES_SPAN, pk, by);
    assert_int_equal(pk[NVG_PROTO_UDP], 0);
    assert_int_equal(pk[NVG_PROTO_TCP], 9);
    nvg_rate_series_get(s, last, pk, by); /* now out of the span */
    assert_int_equal(pk[NVG_PROTO_UDP], 0);
    nvg_rate_series_reset(s);
    int64_t latest;
    assert_false(nvg_rate_series_latest(s, &latest));
    nvg_rate_series_free(s);
}

static void test_view(void **state)
{
    (void)state;
    struct nvg_rate_series *s = nvg_rate_series_new();
    for (int t = 0; t < 120; t++)
        nvg_rate_series_add(s, T0 + t, NVG_PROTO_TCP, (uint64_t)(t * 10), (uint64_t)(t * 1000));
    nvg_rate_series_add(s, T0 + 119, NVG_PROTO_ICMP, 1, 98);
    struct nvg_rate_view v;
    nvg_rate_view_init(&v);
    nvg_rate_series_fill_view(s, 60, false, &v);
    assert_int_equal(v.window_s, 60);
    assert_int_equal(v.end_s, T0 + 119);
    assert_int_equal(v.proto_mask, (1u << NVG_PROTO_TCP) | (1u << NVG_PROTO_ICMP));
    ASSERT_DOUBLE(v.peak, ==, 1190);
    ASSERT_DOUBLE(v.top, ==, 1200);
    ASSERT_DOUBLE(v.step, ==, 200);
    /* index 0 is second T0+60 (600 packets), the last is T0+119 (1190) */
    ASSERT_DOUBLE_NEAR(v.v[NVG_PROTO_TCP][0], 600.0 / 1200, 1e-6);
    ASSERT_DOUBLE_NEAR(v.v[NVG_PROTO_TCP][59], 1190.0 / 1200, 1e-6);
    ASSERT_DOUBLE_NEAR(v.v[NVG_PROTO_ICMP][59], 1.0 / 1200, 1e-6);
    ASSERT_DOUBLE(v.v[NVG_PROTO_UDP][10], ==, 0);

    nvg_rate_series_fill_view(s, 300, true, &v); /* longer than the data: zeros before */
    assert_int_equal(v.window_s, 300);
    assert_true(v.bytes);
    ASSERT_DOUBLE(v.peak, ==, 119000);
    ASSERT_DOUBLE(v.top, ==, 120000);
    ASSERT_DOUBLE(v.v[NVG_PROTO_TCP][0], ==, 0);
    ASSERT_DOUBLE_NEAR(v.v[NVG_PROTO_TCP][299], 119000.0 / 120000, 1e-6);
    nvg_rate_view_clear(&v);

    struct nvg_rate_series *empty = nvg_rate_series_new();
    nvg_rate_view_init(&v);
    nvg_rate_series_fill_view(empty, 60, false, &v);
    assert_int_equal(v.proto_mask, 0);
    ASSERT_DOUBLE(v.top, >, 0); /* never a division by zero */
    nvg_rate_view_clear(&v);
    nvg_rate_series_free(empty);
    nvg_rate_series_free(s);
}

static void test_nice_and_units(void **state)
{
    (void)state;
    double step;
    ASSERT_DOUBLE(nvg_rate_nice_top(0, &step), ==, 5);
    ASSERT_DOUBLE(nvg_rate_nice_top(3, &step), ==, 3);
    ASSERT_DOUBLE(step, ==, 1);
    ASSERT_DOUBLE(nvg_rate_nice_top(97, &step), ==, 100);
    ASSERT_DOUBLE(step, ==, 20);
    ASSERT_DOUBLE(nvg_rate_nice_top(100000, &step), ==, 100000);
    ASSERT_DOUBLE(step, ==, 20000);
    ASSERT_DOUBLE(nvg_rate_nice_top(2.6e9, &step), ==, 3e9);
    ASSERT_DOUBLE(step, ==, 5e8);
    for (double p = 1; p < 1e12; p *= 1.37) { /* always 1..10 ticks of 1/2/5 x 10^k */
        double top = nvg_rate_nice_top(p, &step);
        ASSERT_DOUBLE(top, >=, p);
        ASSERT_DOUBLE(top / step, <=, 10.0 + 1e-9);
        double mant = step / pow(10, floor(log10(step)));
        assert_true(fabs(mant - 1) < 1e-9 || fabs(mant - 2) < 1e-9 || fabs(mant - 5) < 1e-9);
    }
    char b[32];
    nvg_rate_format_si(b, sizeof(b), 0);
    assert_string_equal(b, "0");
    nvg_rate_format_si(b, sizeof(b), 950);
    assert_string_equal(b, "950");
    nvg_rate_format_si(b, sizeof(b), 1500);
    assert_string_equal(b, "1.5k");
    nvg_rate_format_si(b, sizeof(b), 2000);
    assert_string_equal(b, "2k");
    nvg_rate_format_si(b, sizeof(b), 12345);
    assert_string_equal(b, "12k");
    nvg_rate_format_si(b, sizeof(b), 3.2e6);
    assert_string_equal(b, "3.2M");
    nvg_rate_format_si(b, sizeof(b), 1e9);
    assert_string_equal(b, "1G");
}

int main(void)
{
    /* As under g_test_init(): a GLib warning or critical from the code under test fails. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_get),
        cmocka_unit_test(test_ring_wrap),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_nice_and_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
