/* NvgPacketRow: one row of the packet list as ONE widget. It draws the eleven fields of its
 * NvgPacketItem in snapshot() with one reused PangoLayout per field, at column positions that
 * are computed from the font (fixed widths for the short fields; Source and Destination share
 * what is left) and the row width. Its height is fixed by the font, so measuring it is free.
 *
 * NvgPacketHeader: the column titles, drawn with the same column positions, so a header above
 * the list view lines up with the rows as long as both get the same width. Both draw the
 * columns of an NvgPacketLayout (order, widths, visibility; the header also the sort). */
#ifndef NVG_PACKET_ROW_H
#define NVG_PACKET_ROW_H

#include <gtk/gtk.h>

#include "nvg-packet-item.h"
#include "nvg-packet-layout.h"

G_BEGIN_DECLS

#define NVG_TYPE_PACKET_ROW (nvg_packet_row_get_type())
G_DECLARE_FINAL_TYPE(NvgPacketRow, nvg_packet_row, NVG, PACKET_ROW, GtkWidget)

#define NVG_TYPE_PACKET_HEADER (nvg_packet_header_get_type())
G_DECLARE_FINAL_TYPE(NvgPacketHeader, nvg_packet_header, NVG, PACKET_HEADER, GtkWidget)

GtkWidget *nvg_packet_row_new(void);
/* Show item (NULL = blank). Cheap when the row already shows the same record: list views
 * re-bind rows whose position moved, and those keep their text and render node. */
void nvg_packet_row_set_item(NvgPacketRow *self, NvgPacketItem *item);
NvgPacketItem *nvg_packet_row_get_item(NvgPacketRow *self);
/* The columns to draw (NULL = the default layout); the row follows its changes. */
void nvg_packet_row_set_layout(NvgPacketRow *self, NvgPacketLayout *layout);

GtkWidget *nvg_packet_header_new(void);
/* The header shows and edits layout: a click on a title sorts (ascending, descending, arrival
 * order), dragging a title's right edge resizes, the secondary button opens the columns menu
 * (show / hide, move left / right, sort, reset). */
void nvg_packet_header_set_layout(NvgPacketHeader *self, NvgPacketLayout *layout);

/* The text of one field as the list shows it (column 0..10: Time, Sensor, Protocol, Source,
 * Destination, Src port, Dst port, Flags, TTL, Length, Payload). */
#define NVG_PACKET_ROW_N_COLUMNS 11
void nvg_packet_row_format_field(guint column, NvgPacketItem *item, char *buf, gsize size);
/* The row's accessible label (GTK_ACCESSIBLE_PROPERTY_LABEL), one line: "12:00:01.123456 web-1
 * TCP 10.0.0.1 port 443 to 10.0.0.2 port 51000 flags PA TTL 64 length 66 payload TLS", without
 * the parts the record lacks. Returns its length (cut to fit size). */
gsize nvg_packet_row_format_label(NvgPacketItem *item, char *buf, gsize size);

G_END_DECLS

#endif
