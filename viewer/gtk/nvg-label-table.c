#include "nvg-label-table.h"

GtkWidget *nvg_label_table_cell(GtkGrid *grid, int col, int row, const char *text, gboolean numeric,
                                gboolean expand)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_xalign(GTK_LABEL(l), numeric ? 1 : 0);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    gtk_label_set_max_width_chars(GTK_LABEL(l), 28);
    gtk_widget_set_hexpand(l, expand);
    gtk_grid_attach(grid, l, col, row, 1, 1);
    return l;
}

void nvg_label_table_header(GtkGrid *grid, const char *const *titles, guint n, int numeric_from,
                            int numeric_to, guint expand_mask)
{
    for (guint c = 0; c < n; c++) {
        GtkWidget *l = nvg_label_table_cell(grid, (int)c, 0, titles[c],
                                            (int)c >= numeric_from && (int)c <= numeric_to,
                                            (expand_mask >> c) & 1u);
        gtk_widget_add_css_class(l, "table-header");
    }
}

void nvg_label_table_clear(GtkGrid *grid)
{
    GtkWidget *c;
    while ((c = gtk_widget_get_first_child(GTK_WIDGET(grid))))
        gtk_grid_remove(grid, c);
}
