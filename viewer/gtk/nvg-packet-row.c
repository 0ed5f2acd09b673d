/* NvgPacketRow and NvgPacketHeader: see nvg-packet-row.h.
 *
 * Column geometry is computed once per font (a static cache keyed by the font description):
 * fixed columns get max(chars × digit width, bold title width) plus padding; Source and
 * Destination get a minimum and share whatever width is left. A row formats its fields once per
 * record (when the record changes, into buffers inside the row: no heap), builds its accessible
 * label from them, and hands them to its layouts in the next snapshot(); a re-bind to the same
 * record costs a pointer swap. */
#include "nvg-packet-row.h"

#include "nvg-format.h"

#define PAD_X 6 /* left and right of each field */
#define PAD_Y 2 /* above and below the text in a row */
#define HEADER_PAD_Y 5

enum col {
    COL_TIME,
    COL_SENSOR,
    COL_PROTO,
    COL_SRC,
    COL_DST,
    COL_SPORT,
    COL_DPORT,
    COL_FLAGS,
    COL_TTL,
    COL_LEN,
    COL_PAYLOAD,
    N_COLS
};
G_STATIC_ASSERT(N_COLS == NVG_PACKET_ROW_N_COLUMNS);

static const struct {
    const char *title;
    int chars; /* width in digit widths (minimum for the expanding columns) */
    int nat;   /* natural width of the expanding columns (IPv6 fits in 39) */
    gboolean right;
    gboolean expand;
} columns[N_COLS] = {
    [COL_TIME] = {"Time (UTC)", 15, 0, FALSE, FALSE},
    [COL_SENSOR] = {"Sensor", 10, 0, FALSE, FALSE},
    [COL_PROTO] = {"Protocol", 6, 0, FALSE, FALSE},
    [COL_SRC] = {"Source", 10, 39, FALSE, TRUE},
    [COL_DST] = {"Destination", 10, 39, FALSE, TRUE},
    [COL_SPORT] = {"Src port", 5, 0, TRUE, FALSE},
    [COL_DPORT] = {"Dst port", 5, 0, TRUE, FALSE},
    [COL_FLAGS] = {"Flags", 9, 0, FALSE, FALSE},
    [COL_TTL] = {"TTL", 3, 0, TRUE, FALSE},
    [COL_LEN] = {"Length", 5, 0, TRUE, FALSE},
    [COL_PAYLOAD] = {"Payload", 7, 0, FALSE, FALSE},
};

/* ---- shared geometry ------------------------------------------------------------------------ */

struct geometry {
    PangoFontDescription *desc; /* the font it was computed for */
    int w[N_COLS];              /* fixed widths; minimum widths of the expanding ones */
    int nat_extra;              /* natural width beyond the minimum (expanding columns) */
    int min_total;
    int line_h; /* logical height of one line of text */
};

static struct geometry geo; /* main thread only */

static PangoAttrList *text_attrs(gboolean bold)
{
    static PangoAttrList *plain, *strong;
    PangoAttrList **a = bold ? &strong : &plain;
    if (!*a) {
        *a = pango_attr_list_new();
        pango_attr_list_insert(*a, pango_attr_font_features_new("tnum=1"));
        if (bold)
            pango_attr_list_insert(*a, pango_attr_weight_new(PANGO_WEIGHT_BOLD));
    }
    return *a;
}

static const struct geometry *geometry(GtkWidget *widget)
{
    PangoContext *ctx = gtk_widget_get_pango_context(widget);
    const PangoFontDescription *desc = pango_context_get_font_description(ctx);
    if (geo.desc && pango_font_description_equal(geo.desc, desc))
        return &geo;
    if (geo.desc)
        pango_font_description_free(geo.desc);
    geo.desc = pango_font_description_copy(desc);

    PangoLayout *l = pango_layout_new(ctx);
    pango_layout_set_attributes(l, text_attrs(FALSE));
    pango_layout_set_text(l, "0123456789", -1);
    int digits_w, h;
    pango_layout_get_pixel_size(l, &digits_w, &h);
    pango_layout_set_text(l, "Hgjy|", -1);
    pango_layout_get_pixel_size(l, NULL, &geo.line_h);
    pango_layout_set_attributes(l, text_attrs(TRUE));
    geo.min_total = 0;
    geo.nat_extra = 0;
    for (int c = 0; c < N_COLS; c++) {
        int tw;
        pango_layout_set_text(l, columns[c].title, -1);
        pango_layout_get_pixel_size(l, &tw, NULL);
        int cw = (columns[c].chars * digits_w + 9) / 10;
        geo.w[c] = MAX(cw, tw) + 2 * PAD_X;
        geo.min_total += geo.w[c];
        if (columns[c].expand)
            geo.nat_extra += MAX(0, (columns[c].nat * digits_w + 9) / 10 + 2 * PAD_X - geo.w[c]);
    }
    g_object_unref(l);
    return &geo;
}

/* Column positions for a given width: the expanding columns share what is above the minimum. */
static void columns_at(const struct geometry *g, int width, int x[N_COLS], int w[N_COLS])
{
    int extra = MAX(0, width - g->min_total), n_expand = 0, pos = 0;
    for (int c = 0; c < N_COLS; c++)
        n_expand += columns[c].expand;
    for (int c = 0, e = 0; c < N_COLS; c++) {
        w[c] = g->w[c];
        if (columns[c].expand) {
            /* the last expanding column takes the rounding remainder */
            w[c] +=
                ++e == n_expand ? extra - (extra / n_expand) * (n_expand - 1) : extra / n_expand;
        }
        x[c] = pos;
        pos += w[c];
    }
}

static void measure_common(GtkWidget *widget, GtkOrientation orientation, int pad_y, int *min,
                           int *nat)
{
    const struct geometry *g = geometry(widget);
    if (orientation == GTK_ORIENTATION_HORIZONTAL) {
        *min = g->min_total;
        *nat = g->min_total + g->nat_extra;
    } else {
        *min = *nat = g->line_h + 2 * pad_y;
    }
}

static void fg_color(GtkWidget *w, GdkRGBA *c)
{
#if GTK_CHECK_VERSION(4, 10, 0)
    gtk_widget_get_color(w, c);
#else
    gtk_style_context_get_color(gtk_widget_get_style_context(w), c);
#endif
}

/* Thin vertical lines between columns (the column view's column separators). */
static void draw_separators(GtkSnapshot *snapshot, const int x[N_COLS], int height,
                            const GdkRGBA *fg, float alpha)
{
    GdkRGBA c = *fg;
    c.alpha *= alpha;
    for (int i = 1; i < N_COLS; i++)
        gtk_snapshot_append_color(snapshot, &c,
                                  &GRAPHENE_RECT_INIT((float)x[i], 0, 1, (float)height));
}

/* ---- field text ------------------------------------------------------------------------------ */

void nvg_packet_row_format_field(guint column, NvgPacketItem *item, char *buf, gsize size)
{
    const struct nvg_pkt *p = nvg_packet_item_get_pkt(item);
    buf[0] = '\0';
    switch ((enum col)column) {
    case COL_TIME: {
        char iso[40];
        nvg_format_time_iso(iso, p->ts_ns);
        g_strlcpy(buf, iso + 11, MIN(size, 16)); /* HH:MM:SS.uuuuuu */
        break;
    }
    case COL_SENSOR:
        g_strlcpy(buf, nvg_packet_item_get_sensor(item), size);
        break;
    case COL_PROTO:
        g_strlcpy(buf, nvg_proto_name(p->proto), size);
        break;
    case COL_SRC:
        nvg_format_addr(buf, p->src, p->ip_version);
        break;
    case COL_DST:
        nvg_format_addr(buf, p->dst, p->ip_version);
        break;
    case COL_SPORT:
        if (p->flags & NVG_PKT_HAS_PORTS)
            g_snprintf(buf, size, "%u", p->sport);
        break;
    case COL_DPORT:
        if (p->flags & NVG_PKT_HAS_PORTS)
            g_snprintf(buf, size, "%u", p->dport);
        break;
    case COL_FLAGS:
        if (p->flags & NVG_PKT_HAS_TCPFLAGS)
            nvg_format_tcp_flags(buf, p->tcp_flags);
        break;
    case COL_TTL:
        if (p->flags & NVG_PKT_HAS_TTL)
            g_snprintf(buf, size, "%u", p->ttl);
        break;
    case COL_LEN:
        g_snprintf(buf, size, "%u", p->wire_len);
        break;
    case COL_PAYLOAD:
        if (p->payload_kind != NVG_PAYLOAD_NONE)
            g_strlcpy(buf, nvg_payload_kind_name(p->payload_kind), size);
        break;
    case N_COLS:
        break;
    }
}

/* ---- layouts shared by row and header ----------------------------------------------------- */

struct fields {
    PangoLayout *layout[N_COLS];
    guint16 empty;    /* bit per column with no text */
    int laid_width;   /* row width the layouts' widths were set for; -1 = none */
    guint ctx_serial; /* pango context serial the layouts were made for */
};

static void fields_clear(struct fields *f)
{
    for (int c = 0; c < N_COLS; c++)
        g_clear_object(&f->layout[c]);
    f->laid_width = -1;
}

/* Make sure the layouts exist, match the context, and have the column widths of `width`;
 * fills x[] with the column positions. Returns TRUE when the layouts were (re)made. */
static gboolean fields_prepare(struct fields *f, GtkWidget *widget, gboolean bold, int width,
                               int x[N_COLS])
{
    const struct geometry *g = geometry(widget);
    PangoContext *ctx = gtk_widget_get_pango_context(widget);
    guint serial = pango_context_get_serial(ctx);
    gboolean made = FALSE;
    if (!f->layout[0]) {
        for (int c = 0; c < N_COLS; c++) {
            PangoLayout *l = pango_layout_new(ctx);
            pango_layout_set_attributes(l, text_attrs(bold));
            pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
            pango_layout_set_single_paragraph_mode(l, TRUE);
            pango_layout_set_alignment(l, columns[c].right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
            f->layout[c] = l;
        }
        f->ctx_serial = serial;
        f->laid_width = -1;
        made = TRUE;
    } else if (serial != f->ctx_serial) {
        for (int c = 0; c < N_COLS; c++)
            pango_layout_context_changed(f->layout[c]);
        f->ctx_serial = serial;
        f->laid_width = -1;
    }
    int w[N_COLS];
    columns_at(g, width, x, w);
    if (width != f->laid_width) {
        for (int c = 0; c < N_COLS; c++)
            pango_layout_set_width(f->layout[c], MAX(1, w[c] - 2 * PAD_X) * PANGO_SCALE);
        f->laid_width = width;
    }
    return made;
}

static void fields_draw(struct fields *f, GtkSnapshot *snapshot, const int x[N_COLS], int y,
                        const GdkRGBA *color)
{
    for (int c = 0; c < N_COLS; c++) {
        if (f->empty & (1u << c))
            continue;
        gtk_snapshot_save(snapshot);
        gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT((float)(x[c] + PAD_X), (float)y));
        gtk_snapshot_append_layout(snapshot, f->layout[c], color);
        gtk_snapshot_restore(snapshot);
    }
}

/* ---- NvgPacketRow ------------------------------------------------------------------------- */

#define FIELD_MAX 72 /* a sensor name (NVG_SENSOR_NAME_MAX) or an IPv6 address, and a NUL */
G_STATIC_ASSERT(FIELD_MAX > NVG_SENSOR_NAME_MAX);

struct _NvgPacketRow {
    GtkWidget parent_instance;
    NvgPacketItem *item;
    struct fields fields;
    char text[N_COLS][FIELD_MAX]; /* the item's fields, formatted when it changed */
    gboolean dirty;               /* text changed since the layouts were given it */
};

/* Append to a fixed buffer; *len stays at most size - 1 (a cut is harmless: it is a label). */
static void put(char *buf, gsize size, gsize *len, const char *a, const char *b)
{
    if (*len + 1 >= size)
        return;
    *len += g_strlcpy(buf + *len, a, size - *len);
    if (b && *len + 1 < size)
        *len += g_strlcpy(buf + *len, b, size - *len);
    *len = MIN(*len, size - 1);
}

/* "12:00:01.123456 web-1 TCP 10.0.0.1 port 443 to 10.0.0.2 port 51000 flags PA TTL 64
 * length 66 payload TLS", leaving out what the record does not have. */
static gsize label_from_fields(char text[N_COLS][FIELD_MAX], char *buf, gsize size)
{
    gsize n = 0;
    buf[0] = '\0';
    put(buf, size, &n, text[COL_TIME], " ");
    put(buf, size, &n, text[COL_SENSOR], " ");
    put(buf, size, &n, text[COL_PROTO], NULL);
    if (text[COL_SRC][0] || text[COL_SPORT][0]) {
        put(buf, size, &n, " ", text[COL_SRC][0] ? text[COL_SRC] : "?");
        if (text[COL_SPORT][0])
            put(buf, size, &n, " port ", text[COL_SPORT]);
    }
    if (text[COL_DST][0] || text[COL_DPORT][0]) {
        put(buf, size, &n, " to ", text[COL_DST][0] ? text[COL_DST] : "?");
        if (text[COL_DPORT][0])
            put(buf, size, &n, " port ", text[COL_DPORT]);
    }
    if (text[COL_FLAGS][0])
        put(buf, size, &n, " flags ", text[COL_FLAGS]);
    if (text[COL_TTL][0])
        put(buf, size, &n, " TTL ", text[COL_TTL]);
    put(buf, size, &n, " length ", text[COL_LEN]);
    if (text[COL_PAYLOAD][0])
        put(buf, size, &n, " payload ", text[COL_PAYLOAD]);
    return n;
}

gsize nvg_packet_row_format_label(NvgPacketItem *item, char *buf, gsize size)
{
    char text[N_COLS][FIELD_MAX];
    for (int c = 0; c < N_COLS; c++)
        nvg_packet_row_format_field((guint)c, item, text[c], FIELD_MAX);
    return label_from_fields(text, buf, size);
}

G_DEFINE_FINAL_TYPE(NvgPacketRow, nvg_packet_row, GTK_TYPE_WIDGET)

static void row_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *min,
                        int *nat, int *min_baseline, int *nat_baseline)
{
    measure_common(widget, orientation, PAD_Y, min, nat);
}

static void row_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    NvgPacketRow *self = NVG_PACKET_ROW(widget);
    if (!self->item)
        return;
    int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget), x[N_COLS];
    if (fields_prepare(&self->fields, widget, FALSE, width, x))
        self->dirty = TRUE;
    if (self->dirty) {
        self->fields.empty = 0;
        for (int c = 0; c < N_COLS; c++) {
            if (!self->text[c][0])
                self->fields.empty |= (guint16)(1u << c);
            pango_layout_set_text(self->fields.layout[c], self->text[c], -1);
        }
        self->dirty = FALSE;
    }
    GdkRGBA fg;
    fg_color(widget, &fg);
    draw_separators(snapshot, x, height, &fg, 0.08f);
    fields_draw(&self->fields, snapshot, x, (height - geometry(widget)->line_h) / 2, &fg);
}

static void nvg_packet_row_dispose(GObject *object)
{
    NvgPacketRow *self = NVG_PACKET_ROW(object);
    g_clear_object(&self->item);
    fields_clear(&self->fields);
    G_OBJECT_CLASS(nvg_packet_row_parent_class)->dispose(object);
}

static void nvg_packet_row_class_init(NvgPacketRowClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = nvg_packet_row_dispose;
    wc->measure = row_measure;
    wc->snapshot = row_snapshot;
    gtk_widget_class_set_css_name(wc, "packetrow");
}

static void nvg_packet_row_init(NvgPacketRow *self)
{
    self->fields.laid_width = -1;
}

GtkWidget *nvg_packet_row_new(void)
{
    return g_object_new(NVG_TYPE_PACKET_ROW, NULL);
}

void nvg_packet_row_set_item(NvgPacketRow *self, NvgPacketItem *item)
{
    g_return_if_fail(NVG_IS_PACKET_ROW(self));
    if (item == self->item)
        return;
    /* the same record in a new wrapper (or at a new position): nothing to redraw */
    gboolean same = item && self->item &&
                    nvg_packet_item_get_number(item) == nvg_packet_item_get_number(self->item);
    if (item)
        g_object_ref(item);
    g_clear_object(&self->item);
    self->item = item;
    if (same)
        return;
    if (item) {
        char label[NVG_FORMAT_LINE_MAX];
        for (int c = 0; c < N_COLS; c++)
            nvg_packet_row_format_field((guint)c, item, self->text[c], FIELD_MAX);
        label_from_fields(self->text, label, sizeof(label));
        /* (GTK copies the string into its accessible value) */
        gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                       -1);
    } else {
        for (int c = 0; c < N_COLS; c++)
            self->text[c][0] = '\0';
        gtk_accessible_reset_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL);
    }
    self->dirty = TRUE;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

NvgPacketItem *nvg_packet_row_get_item(NvgPacketRow *self)
{
    return self->item;
}

/* ---- NvgPacketHeader ---------------------------------------------------------------------- */

struct _NvgPacketHeader {
    GtkWidget parent_instance;
    struct fields fields;
};

G_DEFINE_FINAL_TYPE(NvgPacketHeader, nvg_packet_header, GTK_TYPE_WIDGET)

static void header_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *min,
                           int *nat, int *min_baseline, int *nat_baseline)
{
    measure_common(widget, orientation, HEADER_PAD_Y, min, nat);
}

static void header_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    NvgPacketHeader *self = NVG_PACKET_HEADER(widget);
    int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget), x[N_COLS];
    if (fields_prepare(&self->fields, widget, TRUE, width, x)) {
        for (int c = 0; c < N_COLS; c++)
            pango_layout_set_text(self->fields.layout[c], columns[c].title, -1);
    }
    GdkRGBA fg, line;
    fg_color(widget, &fg);
    draw_separators(snapshot, x, height, &fg, 0.15f);
    line = fg;
    line.alpha *= 0.18f;
    gtk_snapshot_append_color(snapshot, &line,
                              &GRAPHENE_RECT_INIT(0, (float)height - 1, (float)width, 1));
    fields_draw(&self->fields, snapshot, x, (height - geometry(widget)->line_h) / 2, &fg);
}

static void nvg_packet_header_dispose(GObject *object)
{
    fields_clear(&NVG_PACKET_HEADER(object)->fields);
    G_OBJECT_CLASS(nvg_packet_header_parent_class)->dispose(object);
}

static void nvg_packet_header_class_init(NvgPacketHeaderClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = nvg_packet_header_dispose;
    wc->measure = header_measure;
    wc->snapshot = header_snapshot;
    gtk_widget_class_set_css_name(wc, "packetheader");
}

static void nvg_packet_header_init(NvgPacketHeader *self)
{
    self->fields.laid_width = -1;
    /* the titles are drawn, so say them: "Columns: Time (UTC), Sensor, ..., Payload" */
    char label[256];
    gsize n = 0;
    for (int c = 0; c < N_COLS; c++)
        put(label, sizeof(label), &n, c ? ", " : "Columns: ", columns[c].title);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

GtkWidget *nvg_packet_header_new(void)
{
    return g_object_new(NVG_TYPE_PACKET_HEADER, NULL);
}
