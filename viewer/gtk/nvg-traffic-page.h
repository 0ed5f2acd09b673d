/* NvgTrafficPage: the "Traffic" page (template nvg-traffic-page.ui): the per-second chart of
 * the collector's rates, overall and per sensor, and the top talkers of its last interval. It
 * shows the sensor in its NvgPage "sensor" property ("" = all). */
#ifndef NVG_TRAFFIC_PAGE_H
#define NVG_TRAFFIC_PAGE_H

#include <gtk/gtk.h>

#include "netvigil.pb-c.h"
#include "nvg-feed.h"
#include "nvg-page.h"

G_BEGIN_DECLS

#define NVG_TYPE_TRAFFIC_PAGE (nvg_traffic_page_get_type())
G_DECLARE_FINAL_TYPE(NvgTrafficPage, nvg_traffic_page, NVG, TRAFFIC_PAGE, NvgPage)

GtkWidget *nvg_traffic_page_new(void);

/* Feed topic "rates": add the samples to the series (rb is lent). */
void nvg_traffic_page_add_rates(NvgTrafficPage *self, const Netvigil__RateBatch *rb);
/* An NVG_FEED_TALKERS message: the page takes it (*msg is NULL afterwards) and keeps it as its
 * sensor's latest top talkers, or frees it when it names no sensor or one too many. */
void nvg_traffic_page_take_talkers(NvgTrafficPage *self, struct nvg_feed_msg **msg);
/* The chart's unit (bytes/s, else packets/s) and window (seconds: 60, 300, 900 or 3600), as
 * its drop-downs choose them. FALSE (nothing changed) for another window. */
gboolean nvg_traffic_page_set_chart(NvgTrafficPage *self, gboolean bytes, guint window_s);
void nvg_traffic_page_get_chart(NvgTrafficPage *self, gboolean *bytes, guint *window_s);

G_END_DECLS

#endif
