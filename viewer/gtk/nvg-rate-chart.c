/* NvgRateChart: see nvg-rate-chart.h. Layout: legend on top, y labels on the left, time labels
 * at the bottom; everything is computed from the widget size in snapshot(). */
#include "nvg-rate-chart.h"

#include <inttypes.h>
#include <math.h>
#include <time.h>

#include "nvg-format.h"

struct _NvgRateChart {
    GtkWidget parent_instance;
    const struct nvg_rate_series *series;
    struct nvg_rate_view view;
    guint window_s;
    gboolean bytes;
    gboolean hover;
    double hover_x, hover_y;
};

enum { PROP_0, PROP_WINDOW, PROP_BYTES, N_PROPS };
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE(NvgRateChart, nvg_rate_chart, GTK_TYPE_WIDGET)

#define PAD_LEFT 64.0
#define PAD_RIGHT 16.0
#define PAD_TOP 36.0
#define PAD_BOTTOM 28.0

void nvg_rate_chart_proto_color(int proto, GdkRGBA *c)
{
    static const char *const colors[NVG_PROTO_COUNT] = {
        [NVG_PROTO_OTHER] = "#77767b",  [NVG_PROTO_IPV4] = "#865e3c", [NVG_PROTO_IPV6] = "#c061cb",
        [NVG_PROTO_TCP] = "#3584e4",    [NVG_PROTO_UDP] = "#2ec27e",  [NVG_PROTO_ICMP] = "#ff7800",
        [NVG_PROTO_ICMPV6] = "#e01b24", [NVG_PROTO_ARP] = "#9141ac",
    };
    gdk_rgba_parse(c, colors[proto >= 0 && proto < NVG_PROTO_COUNT ? proto : 0]);
}

static void fg_color(GtkWidget *w, GdkRGBA *c)
{
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    gtk_style_context_get_color(gtk_widget_get_style_context(w), c);
    G_GNUC_END_IGNORE_DEPRECATIONS
}

static void set_source(cairo_t *cr, const GdkRGBA *c, double alpha)
{
    cairo_set_source_rgba(cr, c->red, c->green, c->blue, c->alpha * alpha);
}

static void text_at(cairo_t *cr, PangoLayout *layout, const char *text, double x, double y,
                    double xalign, double yalign)
{
    int w, h;
    pango_layout_set_text(layout, text, -1);
    pango_layout_get_pixel_size(layout, &w, &h);
    cairo_move_to(cr, x - xalign * w, y - yalign * h);
    pango_cairo_show_layout(cr, layout);
}

static gint64 time_step(guint window_s)
{
    return window_s <= 60 ? 10 : window_s <= 300 ? 60 : window_s <= 900 ? 180 : 600;
}

static void clock_text(char *buf, size_t size, int64_t t, gboolean seconds)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, seconds ? "%H:%M:%S" : "%H:%M", &tm);
}

static void draw_axes(NvgRateChart *self, cairo_t *cr, PangoLayout *layout, const GdkRGBA *fg,
                      double x0, double y0, double pw, double ph)
{
    const struct nvg_rate_view *v = &self->view;
    char buf[64];
    cairo_set_line_width(cr, 1);
    for (double t = 0; t <= v->top + v->step / 2; t += v->step) {
        double y = round(y0 + ph - t / v->top * ph) + 0.5;
        set_source(cr, fg, t == 0 ? 0.35 : 0.12);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x0 + pw, y);
        cairo_stroke(cr);
        nvg_rate_format_si(buf, sizeof(buf), t);
        set_source(cr, fg, 0.65);
        text_at(cr, layout, buf, x0 - 8, y, 1, 0.5);
    }
    gint64 step = time_step(v->window_s);
    int64_t first = v->end_s - v->window_s + 1;
    for (int64_t t = first + ((step - first % step) % step); t <= v->end_s; t += step) {
        double x = round(x0 + (double)(t - first) / (v->window_s - 1) * pw) + 0.5;
        set_source(cr, fg, 0.08);
        cairo_move_to(cr, x, y0);
        cairo_line_to(cr, x, y0 + ph);
        cairo_stroke(cr);
        clock_text(buf, sizeof(buf), t, v->window_s <= 300);
        set_source(cr, fg, 0.65);
        int tw, th;
        pango_layout_set_text(layout, buf, -1);
        pango_layout_get_pixel_size(layout, &tw, &th);
        double lx = CLAMP(x - tw / 2.0, x0 - PAD_LEFT / 2, x0 + pw + PAD_RIGHT - tw);
        text_at(cr, layout, buf, lx, y0 + ph + 6, 0, 0);
    }
    set_source(cr, fg, 0.65);
    text_at(cr, layout, self->bytes ? "bytes/s" : "packets/s", 8, y0 - 16, 0, 0.5);
}

static void draw_legend(NvgRateChart *self, cairo_t *cr, PangoLayout *layout, const GdkRGBA *fg,
                        double x, double y)
{
    for (int p = 0; p < NVG_PROTO_COUNT; p++) {
        if (!(self->view.proto_mask & (1u << p)))
            continue;
        GdkRGBA c;
        nvg_rate_chart_proto_color(p, &c);
        gdk_cairo_set_source_rgba(cr, &c);
        cairo_rectangle(cr, x, y - 5, 10, 10);
        cairo_fill(cr);
        int w, h;
        pango_layout_set_text(layout, nvg_proto_name(p), -1);
        pango_layout_get_pixel_size(layout, &w, &h);
        set_source(cr, fg, 0.85);
        cairo_move_to(cr, x + 15, y - h / 2.0);
        pango_cairo_show_layout(cr, layout);
        x += 15 + w + 18;
    }
}

static void draw_lines(NvgRateChart *self, cairo_t *cr, double x0, double y0, double pw, double ph)
{
    const struct nvg_rate_view *v = &self->view;
    cairo_set_line_width(cr, 1.5);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    double dx = pw / (v->window_s - 1);
    for (int p = 0; p < NVG_PROTO_COUNT; p++) {
        if (!(v->proto_mask & (1u << p)))
            continue;
        GdkRGBA c;
        nvg_rate_chart_proto_color(p, &c);
        for (guint i = 0; i < v->window_s; i++)
            cairo_line_to(cr, x0 + i * dx, y0 + ph - v->v[p][i] * ph);
        gdk_cairo_set_source_rgba(cr, &c);
        cairo_stroke_preserve(cr);
        cairo_line_to(cr, x0 + pw, y0 + ph);
        cairo_line_to(cr, x0, y0 + ph);
        cairo_close_path(cr);
        set_source(cr, &c, 0.07);
        cairo_fill(cr);
    }
}

/* The box with the exact counts of the second under the pointer. */
static void draw_hover(NvgRateChart *self, cairo_t *cr, PangoLayout *layout, const GdkRGBA *fg,
                       double x0, double y0, double pw, double ph)
{
    const struct nvg_rate_view *v = &self->view;
    if (!self->hover || !self->series || self->hover_x < x0 || self->hover_x > x0 + pw ||
        self->hover_y < y0 || self->hover_y > y0 + ph)
        return;
    guint i = (guint)round((self->hover_x - x0) / pw * (v->window_s - 1));
    int64_t t = v->end_s - v->window_s + 1 + i;
    double x = round(x0 + (double)i / (v->window_s - 1) * pw) + 0.5;
    set_source(cr, fg, 0.5);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, x, y0);
    cairo_line_to(cr, x, y0 + ph);
    cairo_stroke(cr);

    uint64_t pk[NVG_PROTO_COUNT], by[NVG_PROTO_COUNT], total = 0;
    nvg_rate_series_get(self->series, t, pk, by);
    GString *s = g_string_new(NULL);
    char when[16], num[32];
    clock_text(when, sizeof(when), t, TRUE);
    g_string_append_printf(s, "<b>%s UTC</b>", when);
    for (int p = 0; p < NVG_PROTO_COUNT; p++) {
        if (!(v->proto_mask & (1u << p)))
            continue;
        uint64_t val = self->bytes ? by[p] : pk[p];
        GdkRGBA c;
        nvg_rate_chart_proto_color(p, &c);
        nvg_format_thousands(num, sizeof(num), val);
        g_string_append_printf(s, "\n<span foreground=\"#%02x%02x%02x\">■</span> %-7s %s",
                               (int)(c.red * 255), (int)(c.green * 255), (int)(c.blue * 255),
                               nvg_proto_name(p), num);
        total += val;
    }
    nvg_format_thousands(num, sizeof(num), total);
    g_string_append_printf(s, "\n<b>Total   %s %s</b>", num, self->bytes ? "bytes/s" : "packets/s");
    PangoFontDescription *mono = pango_font_description_from_string("Monospace 9");
    pango_layout_set_font_description(layout, mono);
    pango_layout_set_markup(layout, s->str, -1);
    g_string_free(s, TRUE);
    pango_font_description_free(mono);
    int w, h;
    pango_layout_get_pixel_size(layout, &w, &h);
    double bx = x + 12, by0 = y0 + 8;
    if (bx + w + 16 > x0 + pw)
        bx = x - 12 - w - 16;
    cairo_rectangle(cr, bx, by0, w + 16, h + 12);
    cairo_set_source_rgba(cr, 0.12, 0.12, 0.14, 0.88);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_move_to(cr, bx + 8, by0 + 6);
    pango_cairo_show_layout(cr, layout);
}

static void nvg_rate_chart_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    NvgRateChart *self = NVG_RATE_CHART(widget);
    double w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
    if (w < 120 || h < 100)
        return;
    cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, w, h));
    GdkRGBA fg;
    fg_color(widget, &fg);
    PangoLayout *layout = gtk_widget_create_pango_layout(widget, NULL);
    double x0 = PAD_LEFT, y0 = PAD_TOP, pw = w - PAD_LEFT - PAD_RIGHT,
           ph = h - PAD_TOP - PAD_BOTTOM;
    int64_t latest;
    if (!self->series || !nvg_rate_series_latest(self->series, &latest) ||
        self->view.window_s < 2) {
        set_source(cr, &fg, 0.55);
        text_at(cr, layout, "Waiting for per-second rates from the collector…", w / 2, h / 2, 0.5,
                0.5);
    } else {
        draw_axes(self, cr, layout, &fg, x0, y0, pw, ph);
        draw_legend(self, cr, layout, &fg, x0 + 40, 14);
        cairo_save(cr);
        cairo_rectangle(cr, x0, y0 - 1, pw, ph + 2);
        cairo_clip(cr);
        draw_lines(self, cr, x0, y0, pw, ph);
        cairo_restore(cr);
        draw_hover(self, cr, layout, &fg, x0, y0, pw, ph);
    }
    g_object_unref(layout);
    cairo_destroy(cr);
}

static void on_motion(GtkEventControllerMotion *c, double x, double y, NvgRateChart *self)
{
    self->hover = TRUE;
    self->hover_x = x;
    self->hover_y = y;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_leave(GtkEventControllerMotion *c, NvgRateChart *self)
{
    self->hover = FALSE;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void nvg_rate_chart_get_property(GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
    NvgRateChart *self = NVG_RATE_CHART(object);
    switch (prop_id) {
    case PROP_WINDOW:
        g_value_set_uint(value, self->window_s);
        break;
    case PROP_BYTES:
        g_value_set_boolean(value, self->bytes);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void nvg_rate_chart_set_property(GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
    NvgRateChart *self = NVG_RATE_CHART(object);
    switch (prop_id) {
    case PROP_WINDOW:
        nvg_rate_chart_set_window(self, g_value_get_uint(value));
        break;
    case PROP_BYTES:
        nvg_rate_chart_set_bytes(self, g_value_get_boolean(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void nvg_rate_chart_finalize(GObject *object)
{
    nvg_rate_view_clear(&NVG_RATE_CHART(object)->view);
    G_OBJECT_CLASS(nvg_rate_chart_parent_class)->finalize(object);
}

static void nvg_rate_chart_class_init(NvgRateChartClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->get_property = nvg_rate_chart_get_property;
    oc->set_property = nvg_rate_chart_set_property;
    oc->finalize = nvg_rate_chart_finalize;
    GTK_WIDGET_CLASS(klass)->snapshot = nvg_rate_chart_snapshot;
    props[PROP_WINDOW] =
        g_param_spec_uint("window", NULL, NULL, 60, NVG_RATE_SERIES_SPAN, 300,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    props[PROP_BYTES] =
        g_param_spec_boolean("bytes", NULL, NULL, FALSE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "ratechart");
}

static void nvg_rate_chart_init(NvgRateChart *self)
{
    self->window_s = 300;
    nvg_rate_view_init(&self->view);
    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
    g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
    gtk_widget_add_controller(GTK_WIDGET(self), motion);
    gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
    gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);
}

GtkWidget *nvg_rate_chart_new(void)
{
    return g_object_new(NVG_TYPE_RATE_CHART, NULL);
}

void nvg_rate_chart_refresh(NvgRateChart *self)
{
    g_return_if_fail(NVG_IS_RATE_CHART(self));
    if (self->series)
        nvg_rate_series_fill_view(self->series, self->window_s, self->bytes, &self->view);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void nvg_rate_chart_set_series(NvgRateChart *self, const struct nvg_rate_series *series)
{
    g_return_if_fail(NVG_IS_RATE_CHART(self));
    self->series = series;
    nvg_rate_chart_refresh(self);
}

void nvg_rate_chart_set_window(NvgRateChart *self, guint seconds)
{
    g_return_if_fail(NVG_IS_RATE_CHART(self));
    seconds = CLAMP(seconds, 60u, (guint)NVG_RATE_SERIES_SPAN);
    if (self->window_s == seconds)
        return;
    self->window_s = seconds;
    nvg_rate_chart_refresh(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_WINDOW]);
}

guint nvg_rate_chart_get_window(NvgRateChart *self)
{
    return self->window_s;
}

void nvg_rate_chart_set_bytes(NvgRateChart *self, gboolean bytes)
{
    g_return_if_fail(NVG_IS_RATE_CHART(self));
    bytes = !!bytes;
    if (self->bytes == bytes)
        return;
    self->bytes = bytes;
    nvg_rate_chart_refresh(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES]);
}

gboolean nvg_rate_chart_get_bytes(NvgRateChart *self)
{
    return self->bytes;
}
