/* NvgPacketStore: the packet list's GListModel.
 *
 * Records live in a fixed ring of plain structs (capacity set at construction); the model's
 * items are the ring's records that pass the display filter, oldest first, and get_item() wraps
 * one in an NvgPacketItem on demand. Appending a batch emits at most two items-changed: one for
 * the rows that fell off the front of the ring, one for the new rows at the back. Changing the
 * filter re-scans the ring (plain structs: ~ms for 200k) and emits one items-changed.
 *
 * Sorted by a column (nvg-packet-columns.h), the rows are sorted off the main thread; until the
 * result is applied the model keeps its order. Then every batch is merged into the sorted rows
 * and the model emits one items-changed that replaces every row, between two "reorder" signals
 * (gboolean done: FALSE before, TRUE after) so that a view can keep its selection by record.
 * "sort-changed" tells that the requested or the applied sort changed. */
#ifndef NVG_PACKET_STORE_H
#define NVG_PACKET_STORE_H

#include <gio/gio.h>

#include "nvg-feed.h"
#include "nvg-filter.h"
#include "nvg-packet-columns.h"
#include "nvg-sensor-names.h"

G_BEGIN_DECLS

#define NVG_TYPE_PACKET_STORE (nvg_packet_store_get_type())
G_DECLARE_FINAL_TYPE(NvgPacketStore, nvg_packet_store, NVG, PACKET_STORE, GObject)

#define NVG_PACKET_STORE_DEFAULT_CAPACITY 200000u

/* names is borrowed and must outlive the store. capacity 0 = the default. */
NvgPacketStore *nvg_packet_store_new(guint capacity, const struct nvg_sensor_names *names);
guint nvg_packet_store_get_capacity(NvgPacketStore *self);

/* Append n records (oldest first). Only the newest `capacity` of them can ever be shown; the
 * rest are counted in `overwritten`. */
void nvg_packet_store_append(NvgPacketStore *self, const struct nvg_view_rec *recs, guint n);
/* Replace the display filter (NULL = show everything). */
void nvg_packet_store_set_filter(NvgPacketStore *self, const struct nvg_filter *filter);
/* Forget every record (counters stay). */
void nvg_packet_store_clear(NvgPacketStore *self);

/* The record at a model position (NULL past the end): a borrowed pointer into the ring, valid
 * until the next append or clear. */
const struct nvg_view_rec *nvg_packet_store_peek(NvgPacketStore *self, guint position);

/* The position of the record numbered `number` (NvgPacketItem's), G_MAXUINT when not shown. */
guint nvg_packet_store_find(NvgPacketStore *self, guint64 number);

/* Sort by column (NVG_COL_NONE: arrival order, at once). A sort in progress is superseded. A new
 * display filter re-sorts, showing arrival order meanwhile. */
void nvg_packet_store_set_sort(NvgPacketStore *self, int column, gboolean descending);
/* The requested sort column (NVG_COL_NONE = none) and direction; *sorting is TRUE while it is
 * not applied yet. */
int nvg_packet_store_get_sort(NvgPacketStore *self, gboolean *descending, gboolean *sorting);
struct nvg_packet_store_sort_timing {
    guint rows;         /* rows sorted */
    gint64 snapshot_us; /* main thread: the keys copied */
    gint64 thread_us;   /* the worker's sort */
    gint64 apply_us;    /* main thread: the result applied, items-changed included */
    gint64 total_us;    /* request to applied */
};
/* The last applied sort's figures. */
void nvg_packet_store_get_sort_timing(NvgPacketStore *self,
                                      struct nvg_packet_store_sort_timing *timing);

struct nvg_packet_store_counts {
    guint64 appended;    /* records ever appended */
    guint64 overwritten; /* records that left the ring (or never fit in it) */
    guint in_ring;       /* records held now */
    guint shown;         /* records held now that pass the filter = n_items */
};
void nvg_packet_store_get_counts(NvgPacketStore *self, struct nvg_packet_store_counts *counts);

G_END_DECLS

#endif
