#include "nvg-packet-item.h"

struct _NvgPacketItem {
    GObject parent_instance;
    struct nvg_pkt pkt;
    const char *sensor;
    guint64 number;
};

G_DEFINE_FINAL_TYPE(NvgPacketItem, nvg_packet_item, G_TYPE_OBJECT)

static void nvg_packet_item_class_init(NvgPacketItemClass *klass)
{
}

static void nvg_packet_item_init(NvgPacketItem *self)
{
}

NvgPacketItem *nvg_packet_item_new(const struct nvg_view_rec *rec, const char *sensor,
                                   guint64 number)
{
    NvgPacketItem *self = g_object_new(NVG_TYPE_PACKET_ITEM, NULL);
    self->pkt = rec->pkt;
    self->sensor = sensor;
    self->number = number;
    return self;
}

const struct nvg_pkt *nvg_packet_item_get_pkt(NvgPacketItem *self)
{
    return &self->pkt;
}

const char *nvg_packet_item_get_sensor(NvgPacketItem *self)
{
    return self->sensor;
}

guint64 nvg_packet_item_get_number(NvgPacketItem *self)
{
    return self->number;
}
