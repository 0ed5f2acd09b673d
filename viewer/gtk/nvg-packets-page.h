/* NvgPacketsPage: the "Packets" page (template nvg-packets-page.ui): the display filter bar,
 * the packet list over an NvgPacketStore (a ring of "ring-size" rows), the details of the
 * selected row, pause / follow and the CSV export of the rows shown. The list shows the sensor
 * in its NvgPage "sensor" property ("" = all) unless the display filter names one.
 *
 * Signal "follow-tail" (action): bring the newest row into view, as follow does after every
 * batch; the work is its class handler.
 *
 * Property "column-layout" (string, read-write, notified on every change): the packet list's
 * columns as text (order, widths, hidden ones, sort column and direction; the format is in
 * nvg-packet-columns.h), for remembered settings. Setting an invalid text logs and changes
 * nothing. Sorted, the list keeps Follow off (app.follow disabled) and says so in a bar above
 * the header.
 *
 * Once realized in an application window, the page adds two application actions (D-Bus):
 * app.packet-columns (state: the layout text; change-state applies one) and
 * app.packet-sort-status (state (bsudd): sort in progress, column name, rows sorted, ms from
 * request to applied, longest main-loop part in ms). */
#ifndef NVG_PACKETS_PAGE_H
#define NVG_PACKETS_PAGE_H

#include <gtk/gtk.h>

#include "nvg-feed.h"
#include "nvg-packet-item.h"
#include "nvg-packet-store.h"
#include "nvg-page.h"
#include "nvg-sensor-names.h"

G_BEGIN_DECLS

#define NVG_TYPE_PACKETS_PAGE (nvg_packets_page_get_type())
G_DECLARE_FINAL_TYPE(NvgPacketsPage, nvg_packets_page, NVG, PACKETS_PAGE, NvgPage)

/* ring_size 0 = the store's default; names is borrowed and must outlive the page. */
GtkWidget *nvg_packets_page_new(guint ring_size, const struct nvg_sensor_names *names);

/* A batch of records from the feed (lent, oldest first): appended to the list, or only counted
 * while the list is paused. */
void nvg_packets_page_append(NvgPacketsPage *self, const struct nvg_view_rec *recs, guint n);

struct nvg_packets_page_counts {
    struct nvg_packet_store_counts list;
    guint capacity;        /* rows the ring holds */
    guint64 missed_paused; /* records that came while the list was paused */
    gboolean paused;
};
void nvg_packets_page_get_counts(NvgPacketsPage *self, struct nvg_packets_page_counts *counts);
/* The list's model (lent): the rows shown, oldest first. */
GListModel *nvg_packets_page_get_model(NvgPacketsPage *self);
/* The selected row (lent), NULL when none. */
NvgPacketItem *nvg_packets_page_get_selected_item(NvgPacketsPage *self);

/* "proto=udp;src=..;dst=..;port=53;sensor=NAME"; fills the filter fields and applies them.
 * FALSE (fields marked, nothing applied) when a value is invalid. "" clears. */
gboolean nvg_packets_page_apply_filter_spec(NvgPacketsPage *self, const char *spec, GError **error);
void nvg_packets_page_clear_filter(NvgPacketsPage *self);
/* The display filter applied, in the spec form ("" = none; g_free it): what nvg-settings keeps. */
char *nvg_packets_page_dup_filter_spec(NvgPacketsPage *self);
void nvg_packets_page_focus_filter(NvgPacketsPage *self);
/* Write the rows shown to path (CSV, the collector's columns). */
gboolean nvg_packets_page_export(NvgPacketsPage *self, const char *path, GError **error);
void nvg_packets_page_export_dialog(NvgPacketsPage *self);
void nvg_packets_page_clear_list(NvgPacketsPage *self);
void nvg_packets_page_set_paused(NvgPacketsPage *self, gboolean paused);
/* The "column-layout" property: a copy to free / FALSE with *error set when text is invalid. */
char *nvg_packets_page_dup_column_layout(NvgPacketsPage *self);
gboolean nvg_packets_page_set_column_layout(NvgPacketsPage *self, const char *text, GError **error);
/* Keep the newest row in view; TRUE also brings it into view now (unless paused). */
void nvg_packets_page_set_follow(NvgPacketsPage *self, gboolean follow);

G_END_DECLS

#endif
