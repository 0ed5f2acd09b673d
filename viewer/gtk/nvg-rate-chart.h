/* NvgRateChart: "Traffic over time", packets/s or bytes/s per protocol, drawn in snapshot()
 * from a pre-scaled nvg_rate_view; the exact values of the second under the pointer are shown
 * in a hover box. */
#ifndef NVG_RATE_CHART_H
#define NVG_RATE_CHART_H

#include <gtk/gtk.h>

#include "nvg-rate-series.h"

G_BEGIN_DECLS

#define NVG_TYPE_RATE_CHART (nvg_rate_chart_get_type())
G_DECLARE_FINAL_TYPE(NvgRateChart, nvg_rate_chart, NVG, RATE_CHART, GtkWidget)

GtkWidget *nvg_rate_chart_new(void);
/* series is borrowed; call _refresh after it changed. NULL shows nothing. */
void nvg_rate_chart_set_series(NvgRateChart *self, const struct nvg_rate_series *series);
void nvg_rate_chart_refresh(NvgRateChart *self);
/* Seconds shown (60, 300, 900, 3600). */
void nvg_rate_chart_set_window(NvgRateChart *self, guint seconds);
guint nvg_rate_chart_get_window(NvgRateChart *self);
void nvg_rate_chart_set_bytes(NvgRateChart *self, gboolean bytes);
gboolean nvg_rate_chart_get_bytes(NvgRateChart *self);
/* RGB of a protocol's line (legend, talkers). */
void nvg_rate_chart_proto_color(int proto, GdkRGBA *rgba);

G_END_DECLS

#endif
