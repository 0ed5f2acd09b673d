/* NvgPacketStore: the packet list's GListModel.
 *
 * Records live in a fixed ring of plain structs (capacity set at construction); the model's
 * items are the ring's records that pass the display filter, oldest first, and get_item() wraps
 * one in an NvgPacketItem on demand. Appending a batch emits at most two items-changed: one for
 * the rows that fell off the front of the ring, one for the new rows at the back. Changing the
 * filter re-scans the ring (plain structs: ~ms for 200k) and emits one items-changed. */
#ifndef NVG_PACKET_STORE_H
#define NVG_PACKET_STORE_H

#include <gio/gio.h>

#include "nvg-feed.h"
#include "nvg-filter.h"
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

struct nvg_packet_store_counts {
    guint64 appended;    /* records ever appended */
    guint64 overwritten; /* records that left the ring (or never fit in it) */
    guint in_ring;       /* records held now */
    guint shown;         /* records held now that pass the filter = n_items */
};
void nvg_packet_store_get_counts(NvgPacketStore *self, struct nvg_packet_store_counts *counts);

G_END_DECLS

#endif
