/* Tables of GtkLabels in a GtkGrid, as the sensors table and the top talkers show them: a
 * header row (class "table-header"), cells that ellipsize, numbers aligned right. Row 0 is the
 * header; style.css draws the ".sensor-table" lines. */
#ifndef NVG_LABEL_TABLE_H
#define NVG_LABEL_TABLE_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A label at (col, row); expand: the column takes a share of the spare width. */
GtkWidget *nvg_label_table_cell(GtkGrid *grid, int col, int row, const char *text, gboolean numeric,
                                gboolean expand);
/* Row 0: titles[0..n-1]; columns numeric_from..numeric_to are numbers, the columns whose bit is
 * set in expand_mask take the spare width. */
void nvg_label_table_header(GtkGrid *grid, const char *const *titles, guint n, int numeric_from,
                            int numeric_to, guint expand_mask);
/* Remove every cell, header included. */
void nvg_label_table_clear(GtkGrid *grid);

G_END_DECLS

#endif
