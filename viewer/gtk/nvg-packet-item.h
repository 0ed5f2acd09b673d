/* NvgPacketItem: one row of the packet list, made on demand by NvgPacketStore's get_item(). It
 * holds a copy of the record, so it stays valid after the ring has moved on. */
#ifndef NVG_PACKET_ITEM_H
#define NVG_PACKET_ITEM_H

#include <glib-object.h>

#include "nvg-feed.h"

G_BEGIN_DECLS

#define NVG_TYPE_PACKET_ITEM (nvg_packet_item_get_type())
G_DECLARE_FINAL_TYPE(NvgPacketItem, nvg_packet_item, NVG, PACKET_ITEM, GObject)

/* sensor: the interned name (lives as long as the sensor-name table). */
NvgPacketItem *nvg_packet_item_new(const struct nvg_view_rec *rec, const char *sensor,
                                   guint64 number);
const struct nvg_pkt *nvg_packet_item_get_pkt(NvgPacketItem *self);
const char *nvg_packet_item_get_sensor(NvgPacketItem *self);
/* 1-based number of the record among all received since start. */
guint64 nvg_packet_item_get_number(NvgPacketItem *self);

G_END_DECLS

#endif
