/* NvgSensorsPage: the "Sensors" page (template nvg-sensors-page.ui): the sensors table from the
 * collector's status, Start / Stop / Restart and the capture filter (control requests through
 * the feed worker, and their replies), and the events. It targets the sensor in its NvgPage
 * "sensor" property ("" = all).
 *
 * Widget actions (the page's buttons use them; enabled while a targeted sensor can take them):
 *   sensors.start, sensors.stop, sensors.restart   the targeted sensors
 *   sensors.set-filter                              the capture filter typed in the page
 * NvgApplication's app.start / app.stop / app.restart / app.set-filter call
 * nvg_sensors_page_command() instead, for any sensor and whatever the buttons show. */
#ifndef NVG_SENSORS_PAGE_H
#define NVG_SENSORS_PAGE_H

#include <gtk/gtk.h>

#include "netvigil.pb-c.h"
#include "nvg-feed.h"
#include "nvg-page.h"

G_BEGIN_DECLS

#define NVG_TYPE_SENSORS_PAGE (nvg_sensors_page_get_type())
G_DECLARE_FINAL_TYPE(NvgSensorsPage, nvg_sensors_page, NVG, SENSORS_PAGE, NvgPage)

/* feed: where requests go (borrowed: the window that owns it disposes the page with it); NULL:
 * the feed could not start. */
GtkWidget *nvg_sensors_page_new(struct nvg_feed *feed);

/* kind: Netvigil__CommandKind; sensor "" or NULL = all; filter for COMMAND_SET_FILTER. Sends
 * the request and shows it pending until the reply (or a timeout) comes. */
void nvg_sensors_page_command(NvgSensorsPage *self, int kind, const char *sensor,
                              const char *filter);

/* Where requests go from now on (borrowed; NULL: no feed). A new feed may be another
 * collector's: the status shown and the requests waiting for an answer are dropped. */
void nvg_sensors_page_set_feed(NvgSensorsPage *self, struct nvg_feed *feed);

/* An NVG_FEED_STATUS message (checked by nvg-feed-parse): the page takes it (*msg is NULL
 * afterwards) and shows it, with the collector's security counters. TRUE. */
gboolean nvg_sensors_page_take_status(NvgSensorsPage *self, struct nvg_feed_msg **msg);
/* The status the page shows (lent), NULL before the first usable one. */
const Netvigil__CollectorStatus *nvg_sensors_page_get_status(NvgSensorsPage *self);
/* An NVG_FEED_REPLY message (lent): the answer to one of the page's requests. */
void nvg_sensors_page_reply(NvgSensorsPage *self, const struct nvg_feed_msg *msg);
/* Feed topic "event" (lent): prepended to the events; commands and alerts also toast. */
void nvg_sensors_page_add_event(NvgSensorsPage *self, const Netvigil__Event *event);
/* Requests without an answer for too long are shown as failed. Call about once a second. */
void nvg_sensors_page_expire_requests(NvgSensorsPage *self);

G_END_DECLS

#endif
