/* The chart's series bookkeeping: per-second sums per protocol, the one-hour ring, late and
 * too-old samples, the pre-scaled view for a window, axis ticks and unit text. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "nvg-rate-series.h"

#define T0 1700000000

static void test_add_get(void)
{
    struct nvg_rate_series *s = nvg_rate_series_new();
    int64_t latest;
    g_assert_false(nvg_rate_series_latest(s, &latest));
    g_assert_cmpint(nvg_rate_series_add(s, T0, NVG_PROTO_TCP, 10, 1000), ==, 0);
    g_assert_cmpint(nvg_rate_series_add(s, T0, NVG_PROTO_TCP, 5, 500), ==, 0); /* 2nd sensor */
    g_assert_cmpint(nvg_rate_series_add(s, T0, NVG_PROTO_UDP, 7, 70), ==, 0);
    g_assert_cmpint(nvg_rate_series_add(s, T0 + 2, NVG_PROTO_ARP, 1, 60), ==, 0);
    g_assert_cmpint(nvg_rate_series_add(s, T0 + 1, NVG_PROTO_TCP, 3, 30), ==, 0); /* late */
    g_assert_true(nvg_rate_series_latest(s, &latest));
    g_assert_cmpint(latest, ==, T0 + 2);
    uint64_t pk[NVG_PROTO_COUNT], by[NVG_PROTO_COUNT];
    nvg_rate_series_get(s, T0, pk, by);
    g_assert_cmpuint(pk[NVG_PROTO_TCP], ==, 15);
    g_assert_cmpuint(by[NVG_PROTO_TCP], ==, 1500);
    g_assert_cmpuint(pk[NVG_PROTO_UDP], ==, 7);
    g_assert_cmpuint(pk[NVG_PROTO_ARP], ==, 0);
    nvg_rate_series_get(s, T0 + 1, pk, by);
    g_assert_cmpuint(pk[NVG_PROTO_TCP], ==, 3);
    nvg_rate_series_get(s, T0 - 5, pk, by); /* never seen */
    g_assert_cmpuint(pk[NVG_PROTO_TCP], ==, 0);
    g_assert_cmpint(nvg_rate_series_add(s, T0, NVG_PROTO_COUNT, 1, 1), ==, -1);
    g_assert_cmpint(nvg_rate_series_add(s, T0, -1, 1, 1), ==, -1);
    g_assert_cmpuint(nvg_rate_series_rejected(s), ==, 2);
    nvg_rate_series_free(s);
}

static void test_ring_wrap(void)
{
    struct nvg_rate_series *s = nvg_rate_series_new();
    uint64_t pk[NVG_PROTO_COUNT], by[NVG_PROTO_COUNT];
    for (int64_t t = 0; t < 2 * NVG_RATE_SERIES_SPAN + 100; t++)
        g_assert_cmpint(nvg_rate_series_add(s, T0 + t, NVG_PROTO_UDP, (uint64_t)t, 1), ==, 0);
    int64_t last = T0 + 2 * NVG_RATE_SERIES_SPAN + 99;
    /* the newest hour is there, exactly */
    for (int64_t t = last - NVG_RATE_SERIES_SPAN + 1; t <= last; t++) {
        nvg_rate_series_get(s, t, pk, by);
        g_assert_cmpuint(pk[NVG_PROTO_UDP], ==, (uint64_t)(t - T0));
    }
    /* older seconds read as zero, and samples for them are refused */
    nvg_rate_series_get(s, last - NVG_RATE_SERIES_SPAN, pk, by);
    g_assert_cmpuint(pk[NVG_PROTO_UDP], ==, 0);
    g_assert_cmpint(nvg_rate_series_add(s, last - NVG_RATE_SERIES_SPAN, NVG_PROTO_UDP, 1, 1), ==,
                    -1);
    /* a jump forward: slots from an hour ago do not leak into the new seconds */
    g_assert_cmpint(nvg_rate_series_add(s, last + NVG_RATE_SERIES_SPAN, NVG_PROTO_TCP, 9, 9), ==,
                    0);
    nvg_rate_series_get(s, last + NVG_RATE_SERIES_SPAN, pk, by);
    g_assert_cmpuint(pk[NVG_PROTO_UDP], ==, 0);
    g_assert_cmpuint(pk[NVG_PROTO_TCP], ==, 9);
    nvg_rate_series_get(s, last, pk, by); /* now out of the span */
    g_assert_cmpuint(pk[NVG_PROTO_UDP], ==, 0);
    nvg_rate_series_reset(s);
    int64_t latest;
    g_assert_false(nvg_rate_series_latest(s, &latest));
    nvg_rate_series_free(s);
}

static void test_view(void)
{
    struct nvg_rate_series *s = nvg_rate_series_new();
    for (int t = 0; t < 120; t++)
        nvg_rate_series_add(s, T0 + t, NVG_PROTO_TCP, (uint64_t)(t * 10), (uint64_t)(t * 1000));
    nvg_rate_series_add(s, T0 + 119, NVG_PROTO_ICMP, 1, 98);
    struct nvg_rate_view v;
    nvg_rate_view_init(&v);
    nvg_rate_series_fill_view(s, 60, false, &v);
    g_assert_cmpuint(v.window_s, ==, 60);
    g_assert_cmpint(v.end_s, ==, T0 + 119);
    g_assert_cmpuint(v.proto_mask, ==, (1u << NVG_PROTO_TCP) | (1u << NVG_PROTO_ICMP));
    g_assert_cmpfloat(v.peak, ==, 1190);
    g_assert_cmpfloat(v.top, ==, 1200);
    g_assert_cmpfloat(v.step, ==, 200);
    /* index 0 is second T0+60 (600 packets), the last is T0+119 (1190) */
    g_assert_cmpfloat_with_epsilon(v.v[NVG_PROTO_TCP][0], 600.0 / 1200, 1e-6);
    g_assert_cmpfloat_with_epsilon(v.v[NVG_PROTO_TCP][59], 1190.0 / 1200, 1e-6);
    g_assert_cmpfloat_with_epsilon(v.v[NVG_PROTO_ICMP][59], 1.0 / 1200, 1e-6);
    g_assert_cmpfloat(v.v[NVG_PROTO_UDP][10], ==, 0);

    nvg_rate_series_fill_view(s, 300, true, &v); /* longer than the data: zeros before */
    g_assert_cmpuint(v.window_s, ==, 300);
    g_assert_true(v.bytes);
    g_assert_cmpfloat(v.peak, ==, 119000);
    g_assert_cmpfloat(v.top, ==, 120000);
    g_assert_cmpfloat(v.v[NVG_PROTO_TCP][0], ==, 0);
    g_assert_cmpfloat_with_epsilon(v.v[NVG_PROTO_TCP][299], 119000.0 / 120000, 1e-6);
    nvg_rate_view_clear(&v);

    struct nvg_rate_series *empty = nvg_rate_series_new();
    nvg_rate_view_init(&v);
    nvg_rate_series_fill_view(empty, 60, false, &v);
    g_assert_cmpuint(v.proto_mask, ==, 0);
    g_assert_cmpfloat(v.top, >, 0); /* never a division by zero */
    nvg_rate_view_clear(&v);
    nvg_rate_series_free(empty);
    nvg_rate_series_free(s);
}

static void test_nice_and_units(void)
{
    double step;
    g_assert_cmpfloat(nvg_rate_nice_top(0, &step), ==, 5);
    g_assert_cmpfloat(nvg_rate_nice_top(3, &step), ==, 3);
    g_assert_cmpfloat(step, ==, 1);
    g_assert_cmpfloat(nvg_rate_nice_top(97, &step), ==, 100);
    g_assert_cmpfloat(step, ==, 20);
    g_assert_cmpfloat(nvg_rate_nice_top(100000, &step), ==, 100000);
    g_assert_cmpfloat(step, ==, 20000);
    g_assert_cmpfloat(nvg_rate_nice_top(2.6e9, &step), ==, 3e9);
    g_assert_cmpfloat(step, ==, 5e8);
    for (double p = 1; p < 1e12; p *= 1.37) { /* always 1..10 ticks of 1/2/5 x 10^k */
        double top = nvg_rate_nice_top(p, &step);
        g_assert_cmpfloat(top, >=, p);
        g_assert_cmpfloat(top / step, <=, 10.0 + 1e-9);
        double mant = step / pow(10, floor(log10(step)));
        g_assert_true(fabs(mant - 1) < 1e-9 || fabs(mant - 2) < 1e-9 || fabs(mant - 5) < 1e-9);
    }
    char b[32];
    nvg_rate_format_si(b, sizeof(b), 0);
    g_assert_cmpstr(b, ==, "0");
    nvg_rate_format_si(b, sizeof(b), 950);
    g_assert_cmpstr(b, ==, "950");
    nvg_rate_format_si(b, sizeof(b), 1500);
    g_assert_cmpstr(b, ==, "1.5k");
    nvg_rate_format_si(b, sizeof(b), 2000);
    g_assert_cmpstr(b, ==, "2k");
    nvg_rate_format_si(b, sizeof(b), 12345);
    g_assert_cmpstr(b, ==, "12k");
    nvg_rate_format_si(b, sizeof(b), 3.2e6);
    g_assert_cmpstr(b, ==, "3.2M");
    nvg_rate_format_si(b, sizeof(b), 1e9);
    g_assert_cmpstr(b, ==, "1G");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rate-series/add-get", test_add_get);
    g_test_add_func("/rate-series/ring-wrap", test_ring_wrap);
    g_test_add_func("/rate-series/view", test_view);
    g_test_add_func("/rate-series/nice-and-units", test_nice_and_units);
    return g_test_run();
}
