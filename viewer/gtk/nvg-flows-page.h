/* NvgFlowsPage: the "Conversations" page (template nvg-flows-page.ui): a live table of the
 * sensors' conversation records (topic "flow") over an NvgFlowStore, sortable by bytes, rate,
 * duration, RTT and retransmissions (column headers; GtkSortListModel sorting incrementally so
 * that thousands of rows stay responsive), filtered by the Packets page's display filter fields
 * (protocol, source, destination, port: a conversation is taken as a packet from originator to
 * responder, as `netvigil-ctl flows` does) and by the NvgPage "sensor" property ("" = all).
 *
 *  - Activating a row shows the packet list filtered to the conversation: app.apply-filter
 *    "proto=P;src=ORIG;dst=RESP;port=RESP_PORT;sensor=S;time=FIRST..LAST", then app.show-page
 *    "packets". The display filter has no "either way" address condition, so the packet list
 *    shows the originator's direction of the conversation.
 *  - Below the table, the top hosts by bytes/s in and out: COMMAND_HOSTS once a second over
 *    the control socket while the page is shown, the collector's 60 s figures (the chart windows
 * are 1 min and longer: 60 s is the nearest of the 10 s and 60 s it gives). Fleet-wide: the
 * collector's per-host totals are not per sensor. */
#ifndef NVG_FLOWS_PAGE_H
#define NVG_FLOWS_PAGE_H

#include <gtk/gtk.h>

#include "netvigil.pb-c.h"
#include "nvg-feed.h"
#include "nvg-flow-columns.h"
#include "nvg-flow-store.h"
#include "nvg-page.h"

G_BEGIN_DECLS

#define NVG_FLOWS_HOSTS_SHOWN 10

#define NVG_TYPE_FLOWS_PAGE (nvg_flows_page_get_type())
G_DECLARE_FINAL_TYPE(NvgFlowsPage, nvg_flows_page, NVG, FLOWS_PAGE, NvgPage)

/* feed: where COMMAND_HOSTS goes (borrowed); NULL: none. */
GtkWidget *nvg_flows_page_new(struct nvg_feed *feed);
void nvg_flows_page_set_feed(NvgFlowsPage *self, struct nvg_feed *feed);

/* An NVG_FEED_FLOW message's batch (lent). */
void nvg_flows_page_take_flows(NvgFlowsPage *self, const Netvigil__FlowBatch *batch);
/* An NVG_FEED_REPLY (lent): TRUE when it answers this page's COMMAND_HOSTS. */
gboolean nvg_flows_page_reply(NvgFlowsPage *self, const struct nvg_feed_msg *msg);

/* The page's display filter, "proto=..;src=..;dst=..;port=.." (nvg-view-filter.h; "" = none).
 * FALSE with error when it does not compile (the filter in force stays). */
gboolean nvg_flows_page_apply_filter_spec(NvgFlowsPage *self, const char *spec, GError **error);
/* The filter in force in the spec form ("" = none; g_free it). */
char *nvg_flows_page_dup_filter_spec(NvgFlowsPage *self);
/* Sorts the table by key, heaviest first, as a click on the column's header would. */
void nvg_flows_page_sort(NvgFlowsPage *self, enum nvg_flow_sort key);

NvgFlowStore *nvg_flows_page_get_store(NvgFlowsPage *self);
/* The rows as listed (lent): filtered, in the table's order. */
GListModel *nvg_flows_page_get_model(NvgFlowsPage *self);
/* The hosts shown: "addr in/s out/s" lines (transfer full). */
char **nvg_flows_page_get_hosts(NvgFlowsPage *self);
/* Activates the row of sensor's conversation id as a double click would. FALSE when it is not
 * listed. */
gboolean nvg_flows_page_activate(NvgFlowsPage *self, const char *sensor, guint64 id);

G_END_DECLS

#endif
