/* The Conversations page's columns (NvgFlowsPage): one GtkColumnViewColumn per field of a
 * conversation, GtkLabel cells, and the sorters of the columns that sort (bytes, rate, duration,
 * RTT, retransmissions). Apart from the page so that each stays readable. */
#ifndef NVG_FLOW_COLUMNS_H
#define NVG_FLOW_COLUMNS_H

#include <gtk/gtk.h>

#include "nvg-flow-store.h"

G_BEGIN_DECLS

/* Sort keys, as app.sort-flows names them. */
enum nvg_flow_sort {
    NVG_FLOW_SORT_BYTES,
    NVG_FLOW_SORT_RATE,
    NVG_FLOW_SORT_DURATION,
    NVG_FLOW_SORT_RTT,
    NVG_FLOW_SORT_RETRANS,
    NVG_FLOW_SORT_COUNT
};

/* "bytes", "rate", "duration", "rtt", "retrans": 0 and *key, or -1. */
int nvg_flow_sort_parse(const char *name, enum nvg_flow_sort *key);

/* Appends every column to cv; sortable[key] (NULL on entry) gets the first column that sorts
 * by key (lent). */
void nvg_flow_columns_add(GtkColumnView *cv, GtkColumnViewColumn *sortable[NVG_FLOW_SORT_COUNT]);

/* "1.2 kB/s"-style text of a byte count or rate (SI, as GNOME shows sizes). */
void nvg_flow_format_bytes(char *buf, size_t size, double v, const char *unit);

G_END_DECLS

#endif
