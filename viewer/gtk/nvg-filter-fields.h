/* The display filter's fields as the Packets and Conversations pages show them: a protocol
 * drop-down (items in the order of nvg-filter-fields.c's choices: Any, TCP, UDP, ICMP, ICMPv6,
 * ARP, IPv4, IPv6, Other), source, destination and port entries. One copy of reading, writing
 * and marking them for both pages. */
#ifndef NVG_FILTER_FIELDS_H
#define NVG_FILTER_FIELDS_H

#include <gtk/gtk.h>

#include "nvg-view-filter.h"

struct nvg_filter_widgets {
    GtkDropDown *proto;
    GtkEntry *src, *dst, *port;
    GtkToggleButton *both_ways; /* "dir=both"; NULL on a page without it */
};

/* Fills proto, src, dst, port (and dir) of f from the widgets (trimmed; text too long for its field
 * becomes a marker that fails to compile); the other fields are left as they are. */
void nvg_filter_widgets_read(const struct nvg_filter_widgets *w, struct nvg_view_fields *f);
/* Shows proto, src, dst and port of f (an unknown protocol shows as Any). */
void nvg_filter_widgets_write(const struct nvg_filter_widgets *w, const struct nvg_view_fields *f);
/* Marks the invalid ones (NVG_VIEW_FIELD_* bits) in red, clears the others. */
void nvg_filter_widgets_mark(const struct nvg_filter_widgets *w, unsigned bad);

#endif
