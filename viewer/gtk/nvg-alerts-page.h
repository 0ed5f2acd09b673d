/* NvgAlertsPage: the "Alerts" page (template nvg-alerts-page.ui): a live table of the
 * collector's alerts (severity, summary, source, targets, sensors, age, state) over an
 * NvgAlertStore, newest first; ended alerts stay, greyed. It lists the alerts seen by the
 * sensor in its NvgPage "sensor" property ("" = all).
 *
 *  - Alerts come from the feed (topic "alert": nvg_alerts_page_take_alert) and, on every
 *    (re)connection, from COMMAND_ALERTS over the control socket: the events of the last hour
 *    the collector kept, so a viewer that connects late shows what is active.
 *  - Read-only "active": the number of active alerts (of every sensor); the window shows it on
 *    the page switcher.
 *  - A high-severity alert's start sends a desktop notification (GNotification, through the
 *    default GApplication), at most one per NVG_ALERTS_NOTIFY_INTERVAL_S; the starts in between
 *    are said in one "N more" notification when the interval is over.
 *  - Activating a row shows the packet list filtered to the alert's source (app.apply-filter
 *    "src=A", then app.show-page "packets"); with no single source, to its only target. The
 *    display filter has no time condition, so the time span is not applied. */
#ifndef NVG_ALERTS_PAGE_H
#define NVG_ALERTS_PAGE_H

#include <gtk/gtk.h>

#include "netvigil.pb-c.h"
#include "nvg-alert-store.h"
#include "nvg-feed.h"
#include "nvg-page.h"

G_BEGIN_DECLS

#define NVG_ALERTS_NOTIFY_INTERVAL_S 10
/* How far back a (re)connection asks for alert events. */
#define NVG_ALERTS_FETCH_SPAN_MS (3600 * 1000)

#define NVG_TYPE_ALERTS_PAGE (nvg_alerts_page_get_type())
G_DECLARE_FINAL_TYPE(NvgAlertsPage, nvg_alerts_page, NVG, ALERTS_PAGE, NvgPage)

/* feed: where COMMAND_ALERTS goes (borrowed, as NvgSensorsPage's); NULL: none. */
GtkWidget *nvg_alerts_page_new(struct nvg_feed *feed);
/* Another feed (reconnect): maybe another collector, whose ids are its own, so the alerts
 * held are ended (kept, greyed) and their ids forgotten. */
void nvg_alerts_page_set_feed(NvgAlertsPage *self, struct nvg_feed *feed);
/* The feed is connected (again): fetch the recent alerts. */
void nvg_alerts_page_connected(NvgAlertsPage *self);

/* An NVG_FEED_ALERT message's alert (lent). */
void nvg_alerts_page_take_alert(NvgAlertsPage *self, const Netvigil__Alert *alert);
/* An NVG_FEED_REPLY (lent): TRUE when it answers one of this page's requests (it is then
 * nobody else's). */
gboolean nvg_alerts_page_reply(NvgAlertsPage *self, const struct nvg_feed_msg *msg);
/* Each status (lent): an uptime that went back means the collector restarted, and its alert
 * ids start again. */
void nvg_alerts_page_status(NvgAlertsPage *self, const Netvigil__CollectorStatus *status);

guint nvg_alerts_page_get_active(NvgAlertsPage *self);
NvgAlertStore *nvg_alerts_page_get_store(NvgAlertsPage *self);
/* The rows listed (lent): the store, scoped to the page's sensor. */
GListModel *nvg_alerts_page_get_model(NvgAlertsPage *self);
/* Activates the row of alert id as a click would. FALSE when it is not listed. */
gboolean nvg_alerts_page_activate_alert(NvgAlertsPage *self, guint64 id);

G_END_DECLS

#endif
