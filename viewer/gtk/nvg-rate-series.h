/* Per-second traffic series for the chart: packets and bytes per protocol over the last hour,
 * fed by the collector's exact per-second rates (feed topic "rates").
 *
 * A ring of NVG_RATE_SERIES_SPAN one-second slots keyed by the sample's second (capture time,
 * not wall time, so a replayed capture charts too). Samples for the same second add up (several
 * sensors, or one sensor's late sample). The newest second seen is the right edge. */
#ifndef NVG_RATE_SERIES_H
#define NVG_RATE_SERIES_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "nvg-pkt.h"

#define NVG_RATE_SERIES_SPAN 3600

struct nvg_rate_series;

struct nvg_rate_series *nvg_rate_series_new(void);
void nvg_rate_series_free(struct nvg_rate_series *s);
void nvg_rate_series_reset(struct nvg_rate_series *s);

/* Returns 0, or -1 when the sample is older than the span kept (ignored and counted) or its
 * protocol is out of range. */
int nvg_rate_series_add(struct nvg_rate_series *s, int64_t time_s, int proto, uint64_t packets,
                        uint64_t bytes);
/* Newest second seen; false when nothing was added yet. */
bool nvg_rate_series_latest(const struct nvg_rate_series *s, int64_t *time_s);
/* The exact counts of one second (zeros for a second without samples or outside the span). */
void nvg_rate_series_get(const struct nvg_rate_series *s, int64_t time_s,
                         uint64_t packets[NVG_PROTO_COUNT], uint64_t bytes[NVG_PROTO_COUNT]);
uint64_t nvg_rate_series_rejected(const struct nvg_rate_series *s);

/* What the chart draws: window_s values per protocol, pre-scaled to 0..1 of `top`. */
struct nvg_rate_view {
    int64_t end_s;             /* the last second shown (right edge) */
    guint window_s;            /* seconds shown */
    bool bytes;                /* bytes/s instead of packets/s */
    unsigned proto_mask;       /* bit p: protocol p has traffic in the window */
    double top, step;          /* y axis: 0..top in ticks of step (a 1/2/5 x 10^k value) */
    double peak;               /* largest value in the window */
    float *v[NVG_PROTO_COUNT]; /* window_s values each; index 0 is end_s - window_s + 1 */
};

void nvg_rate_view_init(struct nvg_rate_view *view);
void nvg_rate_view_clear(struct nvg_rate_view *view);
/* Fill view for the window_s seconds ending at the newest second (window_s <= SPAN). */
void nvg_rate_series_fill_view(const struct nvg_rate_series *s, guint window_s, bool bytes,
                               struct nvg_rate_view *view);

/* The y-axis top and tick step for values up to peak: about 4-6 ticks of 1, 2 or 5 x 10^k. */
double nvg_rate_nice_top(double peak, double *step);
/* "950", "1.5k", "12k", "3.2M", "1G" (SI, base 1000); returns bytes written. */
size_t nvg_rate_format_si(char *buf, size_t size, double v);

#endif
