/* NvgPacketRow and the geometry it shares with NvgPacketHeader: see nvg-packet-row.h.
 *
 * Default column widths are computed once per font (a static cache keyed by the font
 * description): fixed columns get max(chars × digit width, bold title width) plus padding;
 * Source and Destination get a minimum and share whatever width is left unless the user gave
 * them a width. The layout's order, visibility and user widths pick the columns drawn. A row
 * formats its fields once per record (when the record changes, into buffers inside the row: no
 * heap), builds its accessible label from them, and hands them to its layouts in the next
 * snapshot(); a re-bind to the same record costs a pointer swap. */
#include "nvg-packet-row.h"

#include "nvg-format.h"
#include "nvg-packet-row-private.h"

#define COL_TIME NVG_COL_TIME
#define COL_SENSOR NVG_COL_SENSOR
#define COL_PROTO NVG_COL_PROTO
#define COL_SRC NVG_COL_SRC
#define COL_DST NVG_COL_DST
#define COL_SPORT NVG_COL_SPORT
#define COL_DPORT NVG_COL_DPORT
#define COL_FLAGS NVG_COL_FLAGS
#define COL_TTL NVG_COL_TTL
#define COL_LEN NVG_COL_LEN
#define COL_PAYLOAD NVG_COL_PAYLOAD
#define N_COLS NVG__N_COLS
G_STATIC_ASSERT(N_COLS == NVG_PACKET_ROW_N_COLUMNS);

static const struct {
    int chars; /* width in digit widths (minimum for the expanding columns) */
    int nat;   /* natural width of the expanding columns (IPv6 fits in 39) */
    gboolean right;
    gboolean expand;
} columns[N_COLS] = {
    [COL_TIME] = {15, 0, FALSE, FALSE},   [COL_SENSOR] = {10, 0, FALSE, FALSE},
    [COL_PROTO] = {6, 0, FALSE, FALSE},   [COL_SRC] = {10, 39, FALSE, TRUE},
    [COL_DST] = {10, 39, FALSE, TRUE},    [COL_SPORT] = {5, 0, TRUE, FALSE},
    [COL_DPORT] = {5, 0, TRUE, FALSE},    [COL_FLAGS] = {9, 0, FALSE, FALSE},
    [COL_TTL] = {3, 0, TRUE, FALSE},      [COL_LEN] = {5, 0, TRUE, FALSE},
    [COL_PAYLOAD] = {7, 0, FALSE, FALSE},
};

/* ---- shared geometry ------------------------------------------------------------------------ */

static struct nvg__row_geometry geo; /* main thread only */

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

const struct nvg__row_geometry *nvg__row_geometry(GtkWidget *widget)
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
    for (int c = 0; c < N_COLS; c++) {
        int tw;
        /* room for the title and the sort arrow */
        g_autofree char *title = g_strconcat(nvg_packet_column_title(c), " \u25BE", NULL);
        pango_layout_set_text(l, title, -1);
        pango_layout_get_pixel_size(l, &tw, NULL);
        int cw = (columns[c].chars * digits_w + 9) / 10;
        geo.w[c] = MAX(cw, tw) + 2 * NVG__PAD_X;
        geo.nat_w[c] = geo.w[c];
        if (columns[c].expand)
            geo.nat_w[c] = MAX(geo.w[c], (columns[c].nat * digits_w + 9) / 10 + 2 * NVG__PAD_X);
    }
    g_object_unref(l);
    return &geo;
}

/* A column takes the font's width unless the user gave one; Source and Destination without one
 * share what is above the minimum. */
void nvg__slots_at(const struct nvg__row_geometry *g, const struct nvg_column_layout *l, int width,
                   struct nvg__slots *s)
{
    int min_total = 0, n_expand = 0;
    s->n = 0;
    for (int i = 0; i < N_COLS; i++) {
        int c = l->order[i];
        if (!l->visible[c])
            continue;
        s->col[s->n] = c;
        s->w[s->n] = l->width[c] >= 0 ? l->width[c] : g->w[c];
        min_total += s->w[s->n];
        n_expand += columns[c].expand && l->width[c] < 0;
        s->n++;
    }
    int extra = MAX(0, width - min_total), pos = 0;
    for (int i = 0, e = 0; i < s->n; i++) {
        int c = s->col[i];
        if (columns[c].expand && l->width[c] < 0) {
            /* the last expanding column takes the rounding remainder */
            s->w[i] +=
                ++e == n_expand ? extra - (extra / n_expand) * (n_expand - 1) : extra / n_expand;
        }
        s->x[i] = pos;
        pos += s->w[i];
    }
    s->end = pos;
}

void nvg__measure(GtkWidget *widget, const struct nvg_column_layout *l, GtkOrientation orientation,
                  int pad_y, int *min, int *nat)
{
    const struct nvg__row_geometry *g = nvg__row_geometry(widget);
    if (orientation == GTK_ORIENTATION_HORIZONTAL) {
        *min = *nat = 0;
        for (int c = 0; c < N_COLS; c++) {
            if (!l->visible[c])
                continue;
            *min += l->width[c] >= 0 ? l->width[c] : g->w[c];
            *nat += l->width[c] >= 0 ? l->width[c] : g->nat_w[c];
        }
    } else {
        *min = *nat = g->line_h + 2 * pad_y;
    }
}

const struct nvg_column_layout *nvg__default_layout(void)
{
    static struct nvg_column_layout def;
    static gsize done;
    if (g_once_init_enter(&done)) {
        nvg_column_layout_init(&def);
        g_once_init_leave(&done, 1);
    }
    return &def;
}

void nvg__fg_color(GtkWidget *w, GdkRGBA *c)
{
#if GTK_CHECK_VERSION(4, 10, 0)
    gtk_widget_get_color(w, c);
#else
    gtk_style_context_get_color(gtk_widget_get_style_context(w), c);
#endif
}

void nvg__draw_separators(GtkSnapshot *snapshot, const struct nvg__slots *s, int height,
                          const GdkRGBA *fg, float alpha)
{
    GdkRGBA c = *fg;
    c.alpha *= alpha;
    for (int i = 1; i <= s->n; i++) {
        float x = i < s->n ? (float)s->x[i] : (float)s->end;
        gtk_snapshot_append_color(snapshot, &c, &GRAPHENE_RECT_INIT(x, 0, 1, (float)height));
    }
}

/* ---- field text ------------------------------------------------------------------------------ */

void nvg_packet_row_format_field(guint column, NvgPacketItem *item, char *buf, gsize size)
{
    const struct nvg_pkt *p = nvg_packet_item_get_pkt(item);
    buf[0] = '\0';
    switch ((enum nvg_packet_column)column) {
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
    case NVG_N_PACKET_COLUMNS:
        break;
    }
}

/* ---- layouts shared by row and header ----------------------------------------------------- */

void nvg__fields_init(struct nvg__fields *f)
{
    for (int c = 0; c < N_COLS; c++)
        f->laid_w[c] = -1;
}

void nvg__fields_clear(struct nvg__fields *f)
{
    for (int c = 0; c < N_COLS; c++)
        g_clear_object(&f->layout[c]);
    nvg__fields_init(f);
}

gboolean nvg__fields_prepare(struct nvg__fields *f, GtkWidget *widget, gboolean bold,
                             const struct nvg__slots *s)
{
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
        nvg__fields_init(f);
        made = TRUE;
    } else if (serial != f->ctx_serial) {
        for (int c = 0; c < N_COLS; c++)
            pango_layout_context_changed(f->layout[c]);
        f->ctx_serial = serial;
        nvg__fields_init(f);
    }
    for (int i = 0; i < s->n; i++) {
        int c = s->col[i];
        if (s->w[i] != f->laid_w[c]) {
            pango_layout_set_width(f->layout[c], MAX(1, s->w[i] - 2 * NVG__PAD_X) * PANGO_SCALE);
            f->laid_w[c] = s->w[i];
        }
    }
    return made;
}

void nvg__fields_draw(struct nvg__fields *f, GtkSnapshot *snapshot, const struct nvg__slots *s,
                      int y, const GdkRGBA *color)
{
    for (int i = 0; i < s->n; i++) {
        int c = s->col[i];
        if (f->empty & (1u << c))
            continue;
        gtk_snapshot_save(snapshot);
        gtk_snapshot_translate(snapshot,
                               &GRAPHENE_POINT_INIT((float)(s->x[i] + NVG__PAD_X), (float)y));
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
    NvgPacketLayout *layout; /* NULL = the default layout */
    gulong layout_handler;
    struct nvg__fields fields;
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

static const struct nvg_column_layout *row_layout(NvgPacketRow *self)
{
    return self->layout ? nvg_packet_layout_get(self->layout) : nvg__default_layout();
}

static void row_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *min,
                        int *nat, int *min_baseline, int *nat_baseline)
{
    nvg__measure(widget, row_layout(NVG_PACKET_ROW(widget)), orientation, NVG__PAD_Y, min, nat);
}

static void row_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    NvgPacketRow *self = NVG_PACKET_ROW(widget);
    if (!self->item)
        return;
    int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
    const struct nvg__row_geometry *g = nvg__row_geometry(widget);
    struct nvg__slots s;
    nvg__slots_at(g, row_layout(self), width, &s);
    if (nvg__fields_prepare(&self->fields, widget, FALSE, &s))
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
    nvg__fg_color(widget, &fg);
    nvg__draw_separators(snapshot, &s, height, &fg, 0.08f);
    nvg__fields_draw(&self->fields, snapshot, &s, (height - g->line_h) / 2, &fg);
}

static void on_layout_changed(NvgPacketLayout *layout, GtkWidget *row)
{
    gtk_widget_queue_resize(row);
    gtk_widget_queue_draw(row);
}

void nvg_packet_row_set_layout(NvgPacketRow *self, NvgPacketLayout *layout)
{
    g_return_if_fail(NVG_IS_PACKET_ROW(self));
    if (nvg_packet_layout_follow(&self->layout, &self->layout_handler, layout,
                                 G_CALLBACK(on_layout_changed), self))
        on_layout_changed(layout, GTK_WIDGET(self));
}

static void nvg_packet_row_dispose(GObject *object)
{
    NvgPacketRow *self = NVG_PACKET_ROW(object);
    g_clear_object(&self->item);
    if (self->layout) {
        g_clear_signal_handler(&self->layout_handler, self->layout);
        g_clear_object(&self->layout);
    }
    nvg__fields_clear(&self->fields);
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
    nvg__fields_init(&self->fields);
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
