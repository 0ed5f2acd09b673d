/* NvgPacketLayout: see nvg-packet-layout.h. */
#include "nvg-packet-layout.h"

struct _NvgPacketLayout {
    GObject parent_instance;
    struct nvg_column_layout layout;
};

G_DEFINE_FINAL_TYPE(NvgPacketLayout, nvg_packet_layout, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void nvg_packet_layout_class_init(NvgPacketLayoutClass *klass)
{
    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void nvg_packet_layout_init(NvgPacketLayout *self)
{
    nvg_column_layout_init(&self->layout);
}

NvgPacketLayout *nvg_packet_layout_new(void)
{
    return g_object_new(NVG_TYPE_PACKET_LAYOUT, NULL);
}

const struct nvg_column_layout *nvg_packet_layout_get(NvgPacketLayout *self)
{
    return &self->layout;
}

static void changed(NvgPacketLayout *self)
{
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

void nvg_packet_layout_set(NvgPacketLayout *self, const struct nvg_column_layout *layout)
{
    g_return_if_fail(NVG_IS_PACKET_LAYOUT(self));
    if (nvg_column_layout_equal(&self->layout, layout))
        return;
    self->layout = *layout;
    changed(self);
}

static gboolean valid_column(int column)
{
    return column >= 0 && column < NVG_N_PACKET_COLUMNS;
}

void nvg_packet_layout_set_width(NvgPacketLayout *self, int column, int width)
{
    g_return_if_fail(NVG_IS_PACKET_LAYOUT(self) && valid_column(column));
    gint16 w = (gint16)(width < 0 ? -1 : CLAMP(width, NVG_COL_WIDTH_MIN, NVG_COL_WIDTH_MAX));
    if (self->layout.width[column] == w)
        return;
    self->layout.width[column] = w;
    changed(self);
}

void nvg_packet_layout_set_visible(NvgPacketLayout *self, int column, gboolean visible)
{
    g_return_if_fail(NVG_IS_PACKET_LAYOUT(self) && valid_column(column));
    if (!self->layout.visible[column] == !visible)
        return;
    if (!visible && nvg_column_layout_n_visible(&self->layout) <= 1)
        return;
    self->layout.visible[column] = visible;
    changed(self);
}

void nvg_packet_layout_move(NvgPacketLayout *self, int column, int delta)
{
    g_return_if_fail(NVG_IS_PACKET_LAYOUT(self) && valid_column(column));
    if (nvg_column_layout_move(&self->layout, column, delta))
        changed(self);
}

void nvg_packet_layout_set_sort(NvgPacketLayout *self, int column, gboolean descending)
{
    g_return_if_fail(NVG_IS_PACKET_LAYOUT(self));
    g_return_if_fail(column == NVG_COL_NONE || valid_column(column));
    struct nvg_column_layout *l = &self->layout;
    descending = column != NVG_COL_NONE && descending;
    if (l->sort_column == column && !l->descending == !descending)
        return;
    l->sort_column = column;
    l->descending = descending;
    changed(self);
}

void nvg_packet_layout_cycle_sort(NvgPacketLayout *self, int column)
{
    const struct nvg_column_layout *l = &self->layout;
    if (l->sort_column != column)
        nvg_packet_layout_set_sort(self, column, FALSE);
    else if (!l->descending)
        nvg_packet_layout_set_sort(self, column, TRUE);
    else
        nvg_packet_layout_set_sort(self, NVG_COL_NONE, FALSE);
}

gboolean nvg_packet_layout_follow(NvgPacketLayout **slot, gulong *handler, NvgPacketLayout *layout,
                                  GCallback on_changed, gpointer data)
{
    if (*slot == layout)
        return FALSE;
    if (*slot) {
        g_clear_signal_handler(handler, *slot);
        g_clear_object(slot);
    }
    if (layout) {
        *slot = g_object_ref(layout);
        *handler = g_signal_connect(layout, "changed", on_changed, data);
    }
    return TRUE;
}
