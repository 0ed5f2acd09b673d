/* What NvgPacketRow (nvg-packet-row.c) and NvgPacketHeader (nvg-packet-header.c) share: the
 * column geometry of a font and a layout, and the per-column PangoLayouts they draw with. */
#ifndef NVG_PACKET_ROW_PRIVATE_H
#define NVG_PACKET_ROW_PRIVATE_H

#include <gtk/gtk.h>

#include "nvg-packet-layout.h"

#define NVG__PAD_X 6 /* left and right of each field */
#define NVG__PAD_Y 2 /* above and below the text in a row */
#define NVG__HEADER_PAD_Y 5
#define NVG__N_COLS NVG_N_PACKET_COLUMNS

/* Default widths of one font (main thread only; computed once per font description). */
struct nvg__row_geometry {
    PangoFontDescription *desc;
    int w[NVG__N_COLS];     /* fixed widths; the minimum of the expanding ones */
    int nat_w[NVG__N_COLS]; /* natural widths (= w but for Source and Destination) */
    int line_h;             /* logical height of one line of text */
};
const struct nvg__row_geometry *nvg__row_geometry(GtkWidget *widget);

/* The visible columns of a layout at a row width, in display order. */
struct nvg__slots {
    int n;
    int col[NVG__N_COLS], x[NVG__N_COLS], w[NVG__N_COLS];
    int end; /* x after the last column */
};
void nvg__slots_at(const struct nvg__row_geometry *g, const struct nvg_column_layout *l, int width,
                   struct nvg__slots *s);
void nvg__measure(GtkWidget *widget, const struct nvg_column_layout *l, GtkOrientation orientation,
                  int pad_y, int *min, int *nat);
/* The layout every row without one uses (the default). */
const struct nvg_column_layout *nvg__default_layout(void);

struct nvg__fields {
    PangoLayout *layout[NVG__N_COLS];
    guint16 empty;           /* bit per column with no text */
    int laid_w[NVG__N_COLS]; /* width each layout was given; -1 = none */
    guint ctx_serial;        /* pango context serial the layouts were made for */
};
void nvg__fields_init(struct nvg__fields *f);
void nvg__fields_clear(struct nvg__fields *f);
/* Make sure the layouts exist, match the context and have the slots' widths; TRUE when they
 * were (re)made (their text must be set again). */
gboolean nvg__fields_prepare(struct nvg__fields *f, GtkWidget *widget, gboolean bold,
                             const struct nvg__slots *s);
void nvg__fields_draw(struct nvg__fields *f, GtkSnapshot *snapshot, const struct nvg__slots *s,
                      int y, const GdkRGBA *color);
/* Thin vertical lines between columns (and after the last one). */
void nvg__draw_separators(GtkSnapshot *snapshot, const struct nvg__slots *s, int height,
                          const GdkRGBA *fg, float alpha);
void nvg__fg_color(GtkWidget *w, GdkRGBA *c);

#endif
