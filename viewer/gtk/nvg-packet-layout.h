/* NvgPacketLayout: the packet list's column layout (nvg-packet-columns.h) as an object that the
 * header, the rows and the page share. Every setter that changes something emits "changed"
 * (after the change): the rows redraw, the header updates, the page notifies "column-layout"
 * and applies the sort. */
#ifndef NVG_PACKET_LAYOUT_H
#define NVG_PACKET_LAYOUT_H

#include <glib-object.h>

#include "nvg-packet-columns.h"

G_BEGIN_DECLS

#define NVG_TYPE_PACKET_LAYOUT (nvg_packet_layout_get_type())
G_DECLARE_FINAL_TYPE(NvgPacketLayout, nvg_packet_layout, NVG, PACKET_LAYOUT, GObject)

NvgPacketLayout *nvg_packet_layout_new(void);
/* Lent; valid until the next change. */
const struct nvg_column_layout *nvg_packet_layout_get(NvgPacketLayout *self);
void nvg_packet_layout_set(NvgPacketLayout *self, const struct nvg_column_layout *layout);
/* width -1 = from the font; else clamped to NVG_COL_WIDTH_MIN..MAX. */
void nvg_packet_layout_set_width(NvgPacketLayout *self, int column, int width);
/* Hiding the last visible column is refused. */
void nvg_packet_layout_set_visible(NvgPacketLayout *self, int column, gboolean visible);
void nvg_packet_layout_move(NvgPacketLayout *self, int column, int delta);
void nvg_packet_layout_set_sort(NvgPacketLayout *self, int column, gboolean descending);
/* A click on a column title: ascending, then descending, then arrival order again. */
void nvg_packet_layout_cycle_sort(NvgPacketLayout *self, int column);

/* For a widget that follows a layout: *slot becomes layout (a reference, or NULL), its
 * "changed" connected to on_changed(layout, data) in *handler, the previous layout's handler
 * and reference dropped. FALSE (and nothing done) when *slot is layout already. */
gboolean nvg_packet_layout_follow(NvgPacketLayout **slot, gulong *handler, NvgPacketLayout *layout,
                                  GCallback on_changed, gpointer data);

G_END_DECLS

#endif
