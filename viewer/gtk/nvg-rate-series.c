#include "nvg-rate-series.h"

#include <math.h>
#include <string.h>

struct slot {
    int64_t t; /* the second this slot holds; INT64_MIN = empty */
    uint64_t pk[NVG_PROTO_COUNT];
    uint64_t by[NVG_PROTO_COUNT];
};

struct nvg_rate_series {
    bool any;
    int64_t latest;
    uint64_t rejected;
    struct slot slot[NVG_RATE_SERIES_SPAN];
};

void nvg_rate_series_reset(struct nvg_rate_series *s)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < NVG_RATE_SERIES_SPAN; i++)
        s->slot[i].t = INT64_MIN;
}

struct nvg_rate_series *nvg_rate_series_new(void)
{
    struct nvg_rate_series *s = g_new(struct nvg_rate_series, 1);
    nvg_rate_series_reset(s);
    return s;
}

void nvg_rate_series_free(struct nvg_rate_series *s)
{
    g_free(s);
}

static struct slot *slot_of(const struct nvg_rate_series *s, int64_t t)
{
    int64_t i = t % NVG_RATE_SERIES_SPAN;
    if (i < 0)
        i += NVG_RATE_SERIES_SPAN;
    return (struct slot *)&s->slot[i];
}

int nvg_rate_series_add(struct nvg_rate_series *s, int64_t time_s, int proto, uint64_t packets,
                        uint64_t bytes)
{
    if (proto < 0 || proto >= NVG_PROTO_COUNT ||
        (s->any && time_s <= s->latest - NVG_RATE_SERIES_SPAN)) {
        s->rejected++;
        return -1;
    }
    if (!s->any || time_s > s->latest) {
        s->latest = time_s;
        s->any = true;
    }
    struct slot *sl = slot_of(s, time_s);
    if (sl->t != time_s) { /* stale slot from an earlier hour, or empty */
        memset(sl, 0, sizeof(*sl));
        sl->t = time_s;
    }
    sl->pk[proto] += packets;
    sl->by[proto] += bytes;
    return 0;
}

bool nvg_rate_series_latest(const struct nvg_rate_series *s, int64_t *time_s)
{
    if (s->any)
        *time_s = s->latest;
    return s->any;
}

void nvg_rate_series_get(const struct nvg_rate_series *s, int64_t time_s,
                         uint64_t packets[NVG_PROTO_COUNT], uint64_t bytes[NVG_PROTO_COUNT])
{
    const struct slot *sl = slot_of(s, time_s);
    bool ok = s->any && sl->t == time_s && time_s > s->latest - NVG_RATE_SERIES_SPAN;
    for (int p = 0; p < NVG_PROTO_COUNT; p++) {
        packets[p] = ok ? sl->pk[p] : 0;
        bytes[p] = ok ? sl->by[p] : 0;
    }
}

uint64_t nvg_rate_series_rejected(const struct nvg_rate_series *s)
{
    return s->rejected;
}

double nvg_rate_nice_top(double peak, double *step)
{
    if (!(peak > 0)) {
        *step = 1;
        return 5;
    }
    double raw = peak / 5.0;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10; /* 3.5 to 8 ticks */
    *step = nice * mag;
    if (*step < 1)
        *step = 1; /* counts per second: no fractional ticks */
    return ceil(peak / *step) * *step;
}

size_t nvg_rate_format_si(char *buf, size_t size, double v)
{
    static const char *const units[] = {"", "k", "M", "G", "T", "P"};
    int u = 0;
    while (fabs(v) >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    int n;
    if (u == 0)
        n = g_snprintf(buf, size, "%.0f", v);
    else if (fabs(v) < 10 && v != floor(v))
        n = g_snprintf(buf, size, "%.1f%s", v, units[u]);
    else
        n = g_snprintf(buf, size, "%.0f%s", v, units[u]);
    return (size_t)MAX(n, 0);
}

void nvg_rate_view_init(struct nvg_rate_view *view)
{
    memset(view, 0, sizeof(*view));
}

void nvg_rate_view_clear(struct nvg_rate_view *view)
{
    for (int p = 0; p < NVG_PROTO_COUNT; p++)
        g_free(view->v[p]);
    nvg_rate_view_init(view);
}

void nvg_rate_series_fill_view(const struct nvg_rate_series *s, guint window_s, bool bytes,
                               struct nvg_rate_view *view)
{
    window_s = CLAMP(window_s, 2u, (guint)NVG_RATE_SERIES_SPAN);
    if (view->window_s != window_s) {
        for (int p = 0; p < NVG_PROTO_COUNT; p++)
            view->v[p] = g_renew(float, view->v[p], window_s);
        view->window_s = window_s;
    }
    view->bytes = bytes;
    view->proto_mask = 0;
    view->peak = 0;
    int64_t end = 0;
    nvg_rate_series_latest(s, &end);
    view->end_s = end;
    /* raw values first, then scale */
    for (guint i = 0; i < window_s; i++) {
        uint64_t pk[NVG_PROTO_COUNT], by[NVG_PROTO_COUNT];
        nvg_rate_series_get(s, end - (int64_t)window_s + 1 + i, pk, by);
        for (int p = 0; p < NVG_PROTO_COUNT; p++) {
            double v = (double)(bytes ? by[p] : pk[p]);
            view->v[p][i] = (float)v;
            if (v > 0)
                view->proto_mask |= 1u << p;
            view->peak = MAX(view->peak, v);
        }
    }
    view->top = nvg_rate_nice_top(view->peak, &view->step);
    for (int p = 0; p < NVG_PROTO_COUNT; p++)
        for (guint i = 0; i < window_s; i++)
            view->v[p][i] = (float)(view->v[p][i] / view->top);
}
