#include "nvg-traffic-page.h"

#include <string.h>
#include <time.h>

#include "nvg-empty-state.h"
#include "nvg-format.h"
#include "nvg-label-table.h"
#include "nvg-rate-chart.h"
#include "nvg-rate-series.h"
#include "nvg-sensor-names.h"
#include "nvg-settings.h"

#define MAX_CHART_SENSORS 64
#define MAX_TALKERS_SHOWN 20

struct _NvgTrafficPage {
    NvgPage parent_instance;

    /* template children */
    GtkDropDown *metric_drop, *window_drop;
    NvgRateChart *chart;
    GtkStack *chart_stack; /* the chart, or "no traffic yet" */
    GtkLabel *talkers_caption;
    GtkGrid *talkers_grid;

    struct nvg_rate_series *series_all;
    GHashTable *series_by_sensor; /* char* -> struct nvg_rate_series* */
    GHashTable *talkers;          /* char* sensor -> struct nvg_feed_msg* (Netvigil__TopTalkers) */
    GHashTable *with_traffic;     /* char* sensor: it reported packets; "" any sensor did */
};

G_DEFINE_FINAL_TYPE(NvgTrafficPage, nvg_traffic_page, NVG_TYPE_PAGE)

static const char *sensor_of(NvgTrafficPage *self)
{
    return nvg_page_get_sensor(NVG_PAGE(self));
}

/* ---- talkers -------------------------------------------------------------------------------- */

struct talker_sum {
    char addr[64];
    guint64 bytes, packets;
};

static gint by_bytes(gconstpointer a, gconstpointer b)
{
    const struct talker_sum *x = a, *y = b;
    return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

static void add_talkers(GArray *rows, GHashTable *index, const Netvigil__TopTalkers *t)
{
    for (size_t i = 0; i < t->n_talkers; i++) {
        struct talker_sum ts = {0};
        const ProtobufCBinaryData *a = &t->talkers[i]->addr;
        if (a->len != 4 && a->len != 16)
            continue;
        nvg_format_addr(ts.addr, a->data, a->len == 4 ? 4 : 6);
        gpointer idx = g_hash_table_lookup(index, ts.addr);
        if (!idx) {
            g_array_append_val(rows, ts);
            idx = GUINT_TO_POINTER(rows->len);
            g_hash_table_insert(index, g_strdup(ts.addr), idx);
        }
        struct talker_sum *r = &g_array_index(rows, struct talker_sum, GPOINTER_TO_UINT(idx) - 1);
        r->bytes += t->talkers[i]->bytes;
        r->packets += t->talkers[i]->packets;
    }
}

/* The talkers of the sensors shown, summed per address, most bytes first. */
static GArray *sum_talkers(NvgTrafficPage *self, gint64 *start, guint *interval)
{
    GHashTable *index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(struct talker_sum));
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, self->talkers);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const Netvigil__TopTalkers *t =
            (const Netvigil__TopTalkers *)((struct nvg_feed_msg *)value)->pb;
        if (sensor_of(self)[0] && !g_str_equal(sensor_of(self), key))
            continue;
        *start = MAX(*start, t->interval_start_s);
        *interval = t->interval_s;
        add_talkers(rows, index, t);
    }
    g_hash_table_destroy(index);
    g_array_sort(rows, by_bytes);
    return rows;
}

/* "78k" -> "78 kB", "950" -> "950 B" */
static void bytes_text(char *b, size_t size, guint64 bytes)
{
    nvg_rate_format_si(b, size, (double)bytes);
    size_t bl = strlen(b);
    char unit = g_ascii_isdigit(b[bl - 1]) ? '\0' : b[bl - 1];
    if (unit)
        b[--bl] = '\0';
    g_snprintf(b + bl, size - bl, " %s%sB", unit ? (char[]){unit, 0} : "", "");
}

static void show_talkers(NvgTrafficPage *self, const GArray *rows)
{
    static const char *const titles[] = {"Address", "Bytes", "Packets"};
    nvg_label_table_clear(self->talkers_grid);
    nvg_label_table_header(self->talkers_grid, titles, 3, 1, 2, 1u << 2);
    for (guint i = 0; i < rows->len && i < MAX_TALKERS_SHOWN; i++) {
        const struct talker_sum *r = &g_array_index(rows, struct talker_sum, i);
        char b[32], p[32];
        bytes_text(b, sizeof(b), r->bytes);
        g_snprintf(p, sizeof(p), "%" G_GUINT64_FORMAT, r->packets);
        GtkWidget *a =
            nvg_label_table_cell(self->talkers_grid, 0, (int)i + 1, r->addr, FALSE, TRUE);
        gtk_label_set_selectable(GTK_LABEL(a), TRUE);
        nvg_label_table_cell(self->talkers_grid, 1, (int)i + 1, b, TRUE, FALSE);
        nvg_label_table_cell(self->talkers_grid, 2, (int)i + 1, p, TRUE, TRUE);
    }
}

static void update_talkers(NvgTrafficPage *self)
{
    gint64 start = 0;
    guint interval = 0;
    GArray *rows = sum_talkers(self, &start, &interval);
    show_talkers(self, rows);
    if (interval) {
        char when[32];
        time_t t = (time_t)start;
        struct tm tm;
        if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%H:%M:%S", &tm))
            g_strlcpy(when, "?", sizeof(when)); /* t is 0..2^40 (nvg-feed-parse) */
        g_autofree char *cap =
            g_strdup_printf("By bytes, %u s interval from %s UTC · %s", interval, when,
                            sensor_of(self)[0] ? sensor_of(self) : "all sensors");
        gtk_label_set_text(self->talkers_caption, cap);
    }
    g_array_free(rows, TRUE);
}

void nvg_traffic_page_take_talkers(NvgTrafficPage *self, struct nvg_feed_msg **msg)
{
    struct nvg_feed_msg *m = g_steal_pointer(msg);
    const Netvigil__TopTalkers *t = (const Netvigil__TopTalkers *)m->pb;
    if (!t->sensor || !*t->sensor ||
        (!g_hash_table_contains(self->talkers, t->sensor) &&
         g_hash_table_size(self->talkers) >= NVG_VIEW_MAX_SENSORS)) {
        nvg_feed_msg_free(m);
        return;
    }
    g_hash_table_replace(self->talkers, g_strdup(t->sensor), m);
    update_talkers(self);
}

/* ---- rates ---------------------------------------------------------------------------------- */

static struct nvg_rate_series *sensor_series(NvgTrafficPage *self, const char *sensor)
{
    struct nvg_rate_series *s = g_hash_table_lookup(self->series_by_sensor, sensor);
    if (!s && g_hash_table_size(self->series_by_sensor) < MAX_CHART_SENSORS) {
        s = nvg_rate_series_new();
        g_hash_table_insert(self->series_by_sensor, g_strdup(sensor), s);
    }
    return s;
}

static void update_chart_series(NvgTrafficPage *self)
{
    const struct nvg_rate_series *s = self->series_all;
    if (sensor_of(self)[0])
        s = sensor_series(self, sensor_of(self));
    nvg_rate_chart_set_series(self->chart, s);
    nvg_empty_state_show(self->chart_stack,
                         !g_hash_table_contains(self->with_traffic, sensor_of(self)), "traffic");
}

/* The chart says "no traffic yet" until the sensor shown (or any) has counted a packet. */
static void note_traffic(NvgTrafficPage *self, const Netvigil__RateSample *s)
{
    if (!s->packets || g_hash_table_contains(self->with_traffic, s->sensor ? s->sensor : ""))
        return;
    g_hash_table_add(self->with_traffic, g_strdup(""));
    if (s->sensor && g_hash_table_size(self->with_traffic) < MAX_CHART_SENSORS + 1)
        g_hash_table_add(self->with_traffic, g_strdup(s->sensor));
    update_chart_series(self);
}

void nvg_traffic_page_add_rates(NvgTrafficPage *self, const Netvigil__RateBatch *rb)
{
    for (size_t i = 0; i < rb->n_samples; i++) {
        const Netvigil__RateSample *s = rb->samples[i];
        nvg_rate_series_add(self->series_all, s->time_s, s->proto, s->packets, s->bytes);
        struct nvg_rate_series *ss = s->sensor ? sensor_series(self, s->sensor) : NULL;
        if (ss)
            nvg_rate_series_add(ss, s->time_s, s->proto, s->packets, s->bytes);
        note_traffic(self, s);
    }
    if (rb->n_samples)
        nvg_rate_chart_refresh(self->chart);
}

static void on_chart_options(GObject *o, GParamSpec *pspec, NvgTrafficPage *self)
{
    const guint *windows = nvg_settings_chart_windows;
    guint w = gtk_drop_down_get_selected(self->window_drop);
    nvg_rate_chart_set_window(self->chart, windows[MIN(w, 3u)]);
    nvg_rate_chart_set_bytes(self->chart, gtk_drop_down_get_selected(self->metric_drop) == 1);
}

gboolean nvg_traffic_page_set_chart(NvgTrafficPage *self, gboolean bytes, guint window_s)
{
    g_return_val_if_fail(NVG_IS_TRAFFIC_PAGE(self), FALSE);
    for (guint i = 0; i < G_N_ELEMENTS(nvg_settings_chart_windows); i++) {
        if (nvg_settings_chart_windows[i] == window_s) {
            gtk_drop_down_set_selected(self->metric_drop, bytes ? 1 : 0);
            gtk_drop_down_set_selected(self->window_drop, i); /* on_chart_options follows */
            return TRUE;
        }
    }
    return FALSE;
}

void nvg_traffic_page_get_chart(NvgTrafficPage *self, gboolean *bytes, guint *window_s)
{
    guint w = gtk_drop_down_get_selected(self->window_drop);
    *bytes = gtk_drop_down_get_selected(self->metric_drop) == 1;
    *window_s = nvg_settings_chart_windows[MIN(w, 3u)];
}

/* ---- sensor --------------------------------------------------------------------------------- */

static void nvg_traffic_page_sensor_changed(NvgPage *page)
{
    NvgTrafficPage *self = NVG_TRAFFIC_PAGE(page);
    update_chart_series(self);
    update_talkers(self);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void nvg_traffic_page_dispose(GObject *object)
{
    NvgTrafficPage *self = NVG_TRAFFIC_PAGE(object);
    if (self->chart)
        nvg_rate_chart_set_series(self->chart, NULL); /* it borrows the series freed here */
    g_clear_pointer(&self->series_by_sensor, g_hash_table_destroy);
    g_clear_pointer(&self->series_all, nvg_rate_series_free);
    g_clear_pointer(&self->talkers, g_hash_table_destroy);
    g_clear_pointer(&self->with_traffic, g_hash_table_destroy);
    G_OBJECT_CLASS(nvg_traffic_page_parent_class)->dispose(object);
}

static void nvg_traffic_page_class_init(NvgTrafficPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = nvg_traffic_page_dispose;
    NVG_PAGE_CLASS(klass)->sensor_changed = nvg_traffic_page_sensor_changed;
    g_type_ensure(NVG_TYPE_RATE_CHART);
    gtk_widget_class_set_template_from_resource(wc, "/org/netvigil/Viewer/nvg-traffic-page.ui");
    gtk_widget_class_bind_template_child(wc, NvgTrafficPage, metric_drop);
    gtk_widget_class_bind_template_child(wc, NvgTrafficPage, window_drop);
    gtk_widget_class_bind_template_child(wc, NvgTrafficPage, chart);
    gtk_widget_class_bind_template_child(wc, NvgTrafficPage, chart_stack);
    gtk_widget_class_bind_template_child(wc, NvgTrafficPage, talkers_caption);
    gtk_widget_class_bind_template_child(wc, NvgTrafficPage, talkers_grid);
}

static void nvg_traffic_page_init(NvgTrafficPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->series_all = nvg_rate_series_new();
    self->series_by_sensor = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                   (GDestroyNotify)nvg_rate_series_free);
    self->talkers =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)nvg_feed_msg_free);
    self->with_traffic = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gtk_stack_add_named(self->chart_stack,
                        nvg_empty_state_new("gnome-power-manager-symbolic", "No Traffic Yet",
                                            "The chart draws the collector's per-second rates "
                                            "once a sensor has counted packets: start a sensor, "
                                            "or wait for traffic on its interface."),
                        "empty");
    nvg_rate_chart_set_series(self->chart, self->series_all);
    update_chart_series(self);
    on_chart_options(NULL, NULL, self);
    g_signal_connect(self->metric_drop, "notify::selected", G_CALLBACK(on_chart_options), self);
    g_signal_connect(self->window_drop, "notify::selected", G_CALLBACK(on_chart_options), self);
    update_talkers(self);
}

GtkWidget *nvg_traffic_page_new(void)
{
    return g_object_new(NVG_TYPE_TRAFFIC_PAGE, NULL);
}
