/* NvgWindow: the viewer's main window (template nvg-window.ui), a shell around the pages
 * (NvgPacketsPage, NvgSensorsPage, NvgTrafficPage, NvgAlertsPage,
 * NvgFlowsPage). It owns the feed worker and
 * hands each page the part of the feed it shows; NvgApplication's actions call in here and into the
 * pages.
 *
 * Its configuration (endpoints, ring size) and the ZeroMQ context come from its NvgApplication.
 * Read-only "connection": the feed's connection as the badge shows it ("connecting",
 * "connected", "reconnecting", "refused": the collector's ZAP handler refused our key,
 * "handshake-failed": wrong collector key or keys on one side only, or "failed": the feed
 * could not start, keys that do not load for instance), notified on change;
 * NvgApplication mirrors it as the state of app.connection.
 * While no collector has answered since the feed started (2 s and more), an NvgFirstRun page
 * covers the pages and says why; the first answer takes it away for good (until a reconnect).
 * Signal "drain" (action): move what the feed worker handed over into the pages; emitted every
 * 50 ms, the work is its class handler. */
#ifndef NVG_WINDOW_H
#define NVG_WINDOW_H

#include <gtk/gtk.h>

#include "nvg-alerts-page.h"
#include "nvg-feed.h"
#include "nvg-flows-page.h"
#include "nvg-packets-page.h"
#include "nvg-sensors-page.h"
#include "nvg-traffic-page.h"

G_BEGIN_DECLS

#define NVG_TYPE_WINDOW (nvg_window_get_type())
G_DECLARE_FINAL_TYPE(NvgWindow, nvg_window, NVG, WINDOW, GtkApplicationWindow)

/* app must be an NvgApplication: the window reads its configuration there. */
NvgWindow *nvg_window_new(GtkApplication *app);

/* Stop the feed and start it again with the application's configuration as it is now (new
 * endpoints or keys): the status and pending requests of the old collector go. */
void nvg_window_reconnect(NvgWindow *self);

/* The pages (lent). */
NvgPacketsPage *nvg_window_get_packets_page(NvgWindow *self);
NvgSensorsPage *nvg_window_get_sensors_page(NvgWindow *self);
NvgTrafficPage *nvg_window_get_traffic_page(NvgWindow *self);
NvgAlertsPage *nvg_window_get_alerts_page(NvgWindow *self);
NvgFlowsPage *nvg_window_get_flows_page(NvgWindow *self);
/* The title the page switcher shows for a page (the Alerts page's carries its badge), NULL
 * for no such page. */
const char *nvg_window_get_page_title(NvgWindow *self, const char *name);

/* "packets", "sensors", "traffic", "alerts" or "flows". */
void nvg_window_show_page(NvgWindow *self, const char *name);
/* The page shown (its name as above), also while the first-run page covers the pages. */
const char *nvg_window_get_page(NvgWindow *self);
/* The packets page, with the focus in its filter bar. */
void nvg_window_focus_filter(NvgWindow *self);
/* "" = all sensors. FALSE for a sensor the collector does not report. */
gboolean nvg_window_select_sensor(NvgWindow *self, const char *sensor);
const char *nvg_window_get_connection(NvgWindow *self);
/* Each collector's (label, feed endpoint, connection state as above): one entry, label "",
 * with one collector. "partial" is the connection with several when some are connected. */
GVariant *nvg_window_get_collectors(NvgWindow *self);
/* The feed worker's counters; FALSE (all zero) when the feed could not start. */
gboolean nvg_window_get_feed_stats(NvgWindow *self, struct nvg_feed_stats *stats);

G_END_DECLS

#endif
