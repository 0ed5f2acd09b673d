/* NvgWindow, fleet side: the sensor selector and sensors table (from the feed's "status"),
 * Start / Stop / Restart / capture filter (control requests and their replies), events, the
 * traffic chart (from "rates") and top talkers (from "talk/"). */
#include "nvg-window-private.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "nvg-format.h"

#define REQUEST_TIMEOUT_US (10 * G_USEC_PER_SEC) /* the collector's own timeout is 3 s */
#define MAX_EVENTS 300
#define MAX_CHART_SENSORS 64
#define MAX_TALKERS_SHOWN 20

struct nvg_pending {
    int kind;
    char *sensor;
    gint64 t0;
};

static void pending_free(gpointer p)
{
    struct nvg_pending *pd = p;
    g_free(pd->sensor);
    g_free(pd);
}

static void free_pb(gpointer pb)
{
    protobuf_c_message_free_unpacked(pb, NULL);
}

static const char *kind_verb(int kind)
{
    switch (kind) {
    case NETVIGIL__COMMAND_KIND__COMMAND_START:
        return "start";
    case NETVIGIL__COMMAND_KIND__COMMAND_STOP:
        return "stop";
    case NETVIGIL__COMMAND_KIND__COMMAND_RESTART:
        return "restart";
    case NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER:
        return "set-filter";
    case NETVIGIL__COMMAND_KIND__COMMAND_STATUS:
        return "status";
    default:
        return "command";
    }
}

static const char *state_name(const Netvigil__SensorSummary *s)
{
    if (!s->connected)
        return "silent";
    switch (s->last_status ? s->last_status->state : 0) {
    case NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING:
        return "running";
    case NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED:
        return "stopped";
    case NETVIGIL__SENSOR_STATE__SENSOR_STATE_FINISHED:
        return "finished";
    case NETVIGIL__SENSOR_STATE__SENSOR_STATE_ERROR:
        return "error";
    default:
        return "unknown";
    }
}

static gboolean targeted(NvgWindow *self, const Netvigil__SensorSummary *s)
{
    return s->last_status && s->last_status->sensor &&
           (!self->selected[0] || g_str_equal(self->selected, s->last_status->sensor));
}

/* ---- control ------------------------------------------------------------------------------ */

/* ok: 1 success, 0 failure, -1 pending */
static void show_result(NvgWindow *self, const char *text, int ok)
{
    gtk_label_set_text(self->result_label, text);
    gtk_widget_remove_css_class(GTK_WIDGET(self->result_label), "failed");
    gtk_widget_remove_css_class(GTK_WIDGET(self->result_label), "ok");
    if (ok >= 0)
        gtk_widget_add_css_class(GTK_WIDGET(self->result_label), ok ? "ok" : "failed");
    gtk_widget_set_visible(GTK_WIDGET(self->result_label), TRUE);
}

void nvg_window_command(NvgWindow *self, int kind, const char *sensor, const char *filter)
{
    const char *target = sensor && *sensor ? sensor : "all sensors";
    if (!self->feed) {
        show_result(self, "Not connected: the feed could not start", FALSE);
        return;
    }
    guint64 id = ++self->next_request_id;
    struct nvg_pending *pd = g_new0(struct nvg_pending, 1);
    pd->kind = kind;
    pd->sensor = g_strdup(target);
    pd->t0 = g_get_monotonic_time();
    g_hash_table_insert(self->pending, g_memdup2(&id, sizeof(id)), pd);
    nvg_feed_request(self->feed, id, kind, sensor ? sensor : "", filter);
    g_autofree char *text =
        g_strdup_printf("%s %s: sent, waiting for the answer…", kind_verb(kind), target);
    show_result(self, text, -1);
    if (kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER)
        gtk_widget_remove_css_class(GTK_WIDGET(self->bpf_entry), "error");
}

static void on_reply(NvgWindow *self, const struct nvg_feed_msg *m)
{
    struct nvg_pending *pd = g_hash_table_lookup(self->pending, &m->request_id);
    if (!pd)
        return; /* not ours, or already timed out */
    const Netvigil__ControlReply *r = (const Netvigil__ControlReply *)m->pb;
    GString *s = g_string_new(NULL);
    gboolean ok = r && r->ok;
    g_string_append_printf(s, "%s %s: ", kind_verb(pd->kind), pd->sensor);
    if (!r) {
        g_string_append(s, m->error ? m->error : "failed");
    } else if (r->n_results == 0) {
        g_string_append(s, ok ? "ok" : (r->error && *r->error ? r->error : "failed"));
    } else {
        if (r->error && *r->error)
            g_string_append_printf(s, "%s; ", r->error);
        for (size_t i = 0; i < r->n_results; i++)
            g_string_append_printf(s, "%s%s %s", i ? ", " : "", r->results[i]->sensor,
                                   r->results[i]->ok ? "ok" : r->results[i]->error);
    }
    show_result(self, s->str, ok);
    if (pd->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER && !ok)
        gtk_widget_add_css_class(GTK_WIDGET(self->bpf_entry), "error");
    nvg__window_toast(self, s->str);
    g_info("control reply: %s", s->str);
    g_string_free(s, TRUE);
    g_hash_table_remove(self->pending, &m->request_id);
}

static void expire_requests(NvgWindow *self)
{
    GHashTableIter it;
    gpointer key, value;
    gint64 now = g_get_monotonic_time();
    g_hash_table_iter_init(&it, self->pending);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        struct nvg_pending *pd = value;
        if (now - pd->t0 < REQUEST_TIMEOUT_US)
            continue;
        g_autofree char *text =
            g_strdup_printf("%s %s: no answer from the collector within %d s", kind_verb(pd->kind),
                            pd->sensor, (int)(REQUEST_TIMEOUT_US / G_USEC_PER_SEC));
        show_result(self, text, FALSE);
        g_hash_table_iter_remove(&it);
    }
}

static void on_control_clicked(GtkButton *b, NvgWindow *self)
{
    const char *action = b == self->start_button  ? "start"
                         : b == self->stop_button ? "stop"
                                                  : "restart";
    g_action_group_activate_action(G_ACTION_GROUP(gtk_window_get_application(GTK_WINDOW(self))),
                                   action, g_variant_new_string(self->selected));
}

static void on_bpf_apply(GtkWidget *w, NvgWindow *self)
{
    const char *expr = gtk_editable_get_text(GTK_EDITABLE(self->bpf_entry));
    g_action_group_activate_action(G_ACTION_GROUP(gtk_window_get_application(GTK_WINDOW(self))),
                                   "set-filter", g_variant_new("(ss)", self->selected, expr));
}

static void update_buttons(NvgWindow *self)
{
    gboolean any = FALSE, stopped = FALSE, running = FALSE;
    for (size_t i = 0; self->status && i < self->status->n_sensors; i++) {
        const Netvigil__SensorSummary *s = self->status->sensors[i];
        if (!targeted(self, s) || !s->connected)
            continue;
        any = TRUE;
        int st = s->last_status->state;
        running |= st == NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING;
        stopped |= st != NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING;
    }
    gtk_widget_set_sensitive(GTK_WIDGET(self->start_button), stopped);
    gtk_widget_set_sensitive(GTK_WIDGET(self->stop_button), running);
    gtk_widget_set_sensitive(GTK_WIDGET(self->restart_button), any);
    gtk_widget_set_sensitive(GTK_WIDGET(self->bpf_button), any);
}

/* ---- sensors table ------------------------------------------------------------------------ */

static const char *const grid_titles[] = {
    "Sensor",       "State",        "Source",      "Capture filter",     "Pkt/s",    "Bytes/s",
    "Kernel drops", "Sensor drops", "Link losses", "Collector failures", "Last seen"};
#define GRID_COLS G_N_ELEMENTS(grid_titles)

static GtkWidget *cell(GtkGrid *g, int col, int row, const char *text, gboolean numeric)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_xalign(GTK_LABEL(l), numeric ? 1 : 0);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    gtk_label_set_max_width_chars(GTK_LABEL(l), 28);
    gtk_widget_set_hexpand(l, col == 2 || col == 3);
    gtk_grid_attach(g, l, col, row, 1, 1);
    return l;
}

static void clear_grid(GtkGrid *g)
{
    GtkWidget *c;
    while ((c = gtk_widget_get_first_child(GTK_WIDGET(g))))
        gtk_grid_remove(g, c);
}

static void header_row(GtkGrid *g, const char *const *titles, guint n, int numeric_from,
                       int numeric_to)
{
    for (guint c = 0; c < n; c++) {
        GtkWidget *l =
            cell(g, (int)c, 0, titles[c], (int)c >= numeric_from && (int)c <= numeric_to);
        gtk_widget_add_css_class(l, "table-header");
    }
}

static void seen_text(char *buf, size_t size, int64_t ms)
{
    if (!ms) {
        g_strlcpy(buf, "never", size);
        return;
    }
    gint64 ago = g_get_real_time() / 1000 - ms;
    if (ago < 2000) {
        g_strlcpy(buf, "just now", size);
        return;
    }
    if (ago < 120000) {
        g_snprintf(buf, size, "%" G_GINT64_FORMAT " s ago", ago / 1000);
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, size, "%H:%M:%S", &tm);
}

static void fill_row(NvgWindow *self, guint row, const Netvigil__SensorSummary *s)
{
    const Netvigil__SensorStatus *h = s->last_status;
    char v[GRID_COLS][96];
    g_strlcpy(v[0], h->sensor, sizeof(v[0]));
    g_strlcpy(v[1], state_name(s), sizeof(v[1]));
    g_strlcpy(v[2], h->source && *h->source ? h->source : "—", sizeof(v[2]));
    g_strlcpy(v[3], h->filter && *h->filter ? h->filter : "(none)", sizeof(v[3]));
    nvg_rate_format_si(v[4], sizeof(v[4]), s->packets_per_s);
    nvg_rate_format_si(v[5], sizeof(v[5]), s->bytes_per_s);
    g_snprintf(v[6], sizeof(v[6]), "%" G_GUINT64_FORMAT, h->pcap_dropped + h->pcap_ifdropped);
    g_snprintf(v[7], sizeof(v[7]), "%" G_GUINT64_FORMAT, h->records_dropped);
    g_snprintf(v[8], sizeof(v[8]), "%" G_GUINT64_FORMAT, s->batches_lost);
    g_snprintf(v[9], sizeof(v[9]), "%" G_GUINT64_FORMAT, s->write_failures);
    seen_text(v[10], sizeof(v[10]), s->last_seen_ms);
    for (guint c = 0; c < GRID_COLS; c++) {
        GtkWidget *l = gtk_grid_get_child_at(self->sensors_grid, (int)c, (int)row);
        if (g_strcmp0(gtk_label_get_text(GTK_LABEL(l)), v[c]) != 0)
            gtk_label_set_text(GTK_LABEL(l), v[c]);
        gtk_widget_set_tooltip_text(l, c == 3 || c == 2 ? v[c] : NULL);
    }
    GtkWidget *state = gtk_grid_get_child_at(self->sensors_grid, 1, (int)row);
    const char *cls = g_str_equal(v[1], "running")   ? "state-running"
                      : g_str_equal(v[1], "stopped") ? "state-stopped"
                                                     : "state-other";
    gtk_widget_set_css_classes(state, (const char *[]){cls, NULL});
    if (h->error && *h->error)
        gtk_widget_set_tooltip_text(state, h->error);
}

static void update_grid(NvgWindow *self)
{
    const Netvigil__CollectorStatus *st = self->status;
    guint n = 0;
    for (size_t i = 0; i < st->n_sensors; i++)
        n += targeted(self, st->sensors[i]);
    if (n != self->grid_rows || !gtk_widget_get_first_child(GTK_WIDGET(self->sensors_grid))) {
        clear_grid(self->sensors_grid);
        header_row(self->sensors_grid, grid_titles, GRID_COLS, 4, 9);
        for (guint r = 1; r <= n; r++)
            for (guint c = 0; c < GRID_COLS; c++)
                cell(self->sensors_grid, (int)c, (int)r, "", c >= 4 && c <= 9);
        self->grid_rows = n;
    }
    guint row = 1;
    for (size_t i = 0; i < st->n_sensors; i++)
        if (targeted(self, st->sensors[i]))
            fill_row(self, row++, st->sensors[i]);
}

/* Keep the selector's names equal to the sensors the collector reports, keeping the choice. */
static void update_selector(NvgWindow *self)
{
    GPtrArray *names = g_ptr_array_new();
    for (size_t i = 0; i < self->status->n_sensors; i++)
        if (self->status->sensors[i]->last_status && self->status->sensors[i]->last_status->sensor)
            g_ptr_array_add(names, self->status->sensors[i]->last_status->sensor);
    GListModel *m = G_LIST_MODEL(self->selector_model);
    gboolean same = g_list_model_get_n_items(m) == names->len + 1;
    for (guint i = 0; same && i < names->len; i++)
        same = g_str_equal(gtk_string_list_get_string(self->selector_model, i + 1),
                           (const char *)names->pdata[i]);
    if (!same) {
        g_ptr_array_add(names, NULL);
        self->selector_updating = TRUE;
        gtk_string_list_splice(self->selector_model, 1, g_list_model_get_n_items(m) - 1,
                               (const char *const *)names->pdata);
        guint sel = 0;
        for (guint i = 1; self->selected[0] && i < g_list_model_get_n_items(m); i++)
            if (g_str_equal(gtk_string_list_get_string(self->selector_model, i), self->selected))
                sel = i;
        gtk_drop_down_set_selected(self->sensor_selector, sel);
        self->selector_updating = FALSE;
    }
    g_ptr_array_free(names, TRUE);
}

static void on_status(NvgWindow *self, struct nvg_feed_msg *m)
{
    if (self->status)
        netvigil__collector_status__free_unpacked(self->status, NULL);
    self->status = (Netvigil__CollectorStatus *)m->pb;
    m->pb = NULL; /* keep it */
    for (size_t i = 0; i < self->status->n_sensors; i++)
        if (!self->status->sensors[i]->last_status) { /* be safe with a sparse summary */
            netvigil__collector_status__free_unpacked(self->status, NULL);
            self->status = NULL;
            return;
        }
    update_selector(self);
    update_grid(self);
    update_buttons(self);
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

static void update_talkers(NvgWindow *self)
{
    GHashTable *sum = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(struct talker_sum));
    GHashTableIter it;
    gpointer key, value;
    gint64 start = 0;
    guint interval = 0;
    g_hash_table_iter_init(&it, self->talkers);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const Netvigil__TopTalkers *t = value;
        if (self->selected[0] && !g_str_equal(self->selected, key))
            continue;
        start = MAX(start, t->interval_start_s);
        interval = t->interval_s;
        for (size_t i = 0; i < t->n_talkers; i++) {
            struct talker_sum ts = {0};
            const ProtobufCBinaryData *a = &t->talkers[i]->addr;
            if (a->len != 4 && a->len != 16)
                continue;
            nvg_format_addr(ts.addr, a->data, a->len == 4 ? 4 : 6);
            gpointer idx = g_hash_table_lookup(sum, ts.addr);
            if (!idx) {
                g_array_append_val(rows, ts);
                idx = GUINT_TO_POINTER(rows->len);
                g_hash_table_insert(sum, g_strdup(ts.addr), idx);
            }
            struct talker_sum *r =
                &g_array_index(rows, struct talker_sum, GPOINTER_TO_UINT(idx) - 1);
            r->bytes += t->talkers[i]->bytes;
            r->packets += t->talkers[i]->packets;
        }
    }
    g_hash_table_destroy(sum);
    g_array_sort(rows, by_bytes);
    clear_grid(self->talkers_grid);
    static const char *const titles[] = {"Address", "Bytes", "Packets"};
    header_row(self->talkers_grid, titles, 3, 1, 2);
    for (guint i = 0; i < rows->len && i < MAX_TALKERS_SHOWN; i++) {
        const struct talker_sum *r = &g_array_index(rows, struct talker_sum, i);
        char b[32], p[32];
        nvg_rate_format_si(b, sizeof(b), (double)r->bytes);
        size_t bl = strlen(b); /* "78k" -> "78 kB", "950" -> "950 B" */
        char unit = g_ascii_isdigit(b[bl - 1]) ? '\0' : b[bl - 1];
        if (unit)
            b[--bl] = '\0';
        g_snprintf(b + bl, sizeof(b) - bl, " %s%sB", unit ? (char[]){unit, 0} : "", "");
        g_snprintf(p, sizeof(p), "%" G_GUINT64_FORMAT, r->packets);
        GtkWidget *a = cell(self->talkers_grid, 0, (int)i + 1, r->addr, FALSE);
        gtk_widget_set_hexpand(a, TRUE);
        gtk_label_set_selectable(GTK_LABEL(a), TRUE);
        cell(self->talkers_grid, 1, (int)i + 1, b, TRUE);
        cell(self->talkers_grid, 2, (int)i + 1, p, TRUE);
    }
    if (interval) {
        char when[32];
        time_t t = (time_t)start;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%H:%M:%S", &tm);
        g_autofree char *cap =
            g_strdup_printf("By bytes, %u s interval from %s UTC · %s", interval, when,
                            self->selected[0] ? self->selected : "all sensors");
        gtk_label_set_text(self->talkers_caption, cap);
    }
    g_array_free(rows, TRUE);
}

static void on_talkers(NvgWindow *self, struct nvg_feed_msg *m)
{
    Netvigil__TopTalkers *t = (Netvigil__TopTalkers *)m->pb;
    if (!t->sensor || !*t->sensor)
        return;
    if (!g_hash_table_contains(self->talkers, t->sensor) &&
        g_hash_table_size(self->talkers) >= NVG_VIEW_MAX_SENSORS)
        return;
    m->pb = NULL;
    g_hash_table_replace(self->talkers, g_strdup(t->sensor), t);
    update_talkers(self);
}

/* ---- rates ---------------------------------------------------------------------------------- */

static struct nvg_rate_series *sensor_series(NvgWindow *self, const char *sensor)
{
    struct nvg_rate_series *s = g_hash_table_lookup(self->series_by_sensor, sensor);
    if (!s && g_hash_table_size(self->series_by_sensor) < MAX_CHART_SENSORS) {
        s = nvg_rate_series_new();
        g_hash_table_insert(self->series_by_sensor, g_strdup(sensor), s);
    }
    return s;
}

static void update_chart_series(NvgWindow *self)
{
    const struct nvg_rate_series *s = self->series_all;
    if (self->selected[0])
        s = sensor_series(self, self->selected);
    nvg_rate_chart_set_series(self->chart, s);
}

static void on_rates(NvgWindow *self, const Netvigil__RateBatch *rb)
{
    for (size_t i = 0; i < rb->n_samples; i++) {
        const Netvigil__RateSample *s = rb->samples[i];
        nvg_rate_series_add(self->series_all, s->time_s, s->proto, s->packets, s->bytes);
        struct nvg_rate_series *ss = s->sensor ? sensor_series(self, s->sensor) : NULL;
        if (ss)
            nvg_rate_series_add(ss, s->time_s, s->proto, s->packets, s->bytes);
    }
    if (rb->n_samples)
        nvg_rate_chart_refresh(self->chart);
}

static void on_chart_options(GObject *o, GParamSpec *pspec, NvgWindow *self)
{
    static const guint windows[] = {60, 300, 900, 3600};
    guint w = gtk_drop_down_get_selected(self->window_drop);
    nvg_rate_chart_set_window(self->chart, windows[MIN(w, 3u)]);
    nvg_rate_chart_set_bytes(self->chart, gtk_drop_down_get_selected(self->metric_drop) == 1);
}

/* ---- events --------------------------------------------------------------------------------- */

static void on_event(NvgWindow *self, const Netvigil__Event *e)
{
    char when[32] = "";
    time_t t = (time_t)(e->time_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%H:%M:%S", &tm);
    g_autofree char *text = g_strdup_printf(
        "%s  %s%s%s  %s%s%s", when, e->kind ? e->kind : "event",
        e->sensor && *e->sensor ? " · " : "", e->sensor ? e->sensor : "", e->text ? e->text : "",
        e->requester && *e->requester ? "  — by " : "", e->requester ? e->requester : "");
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_label_set_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_selectable(GTK_LABEL(l), TRUE);
    gtk_list_box_prepend(self->events_list, l);
    if (++self->n_events > MAX_EVENTS) {
        GtkListBoxRow *last = gtk_list_box_get_row_at_index(self->events_list, MAX_EVENTS);
        if (last)
            gtk_list_box_remove(self->events_list, GTK_WIDGET(last));
        self->n_events = MAX_EVENTS;
    }
    if (e->kind && (g_str_equal(e->kind, "command") || g_str_has_prefix(e->kind, "alert")))
        nvg__window_toast(self, text + strlen(when) + 2);
}

/* ---- selector ------------------------------------------------------------------------------- */

static void apply_selection(NvgWindow *self)
{
    gtk_label_set_text(self->target_label, self->selected[0] ? self->selected : "All sensors");
    nvg__window_refilter(self);
    update_chart_series(self);
    update_talkers(self);
    if (self->status) {
        update_grid(self);
        update_buttons(self);
    }
}

static void on_selector(GtkDropDown *dd, GParamSpec *pspec, NvgWindow *self)
{
    if (self->selector_updating)
        return;
    guint i = gtk_drop_down_get_selected(dd);
    const char *name = i == 0 || i == GTK_INVALID_LIST_POSITION
                           ? ""
                           : gtk_string_list_get_string(self->selector_model, i);
    g_free(self->selected);
    self->selected = g_strdup(name ? name : "");
    apply_selection(self);
}

gboolean nvg_window_select_sensor(NvgWindow *self, const char *sensor)
{
    GListModel *m = G_LIST_MODEL(self->selector_model);
    for (guint i = 0; i < g_list_model_get_n_items(m); i++) {
        if ((i == 0 && !*sensor) ||
            (i > 0 && g_str_equal(gtk_string_list_get_string(self->selector_model, i), sensor))) {
            gtk_drop_down_set_selected(self->sensor_selector, i);
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- entry points from nvg-window.c ------------------------------------------------------ */

void nvg__window_fleet_message(NvgWindow *self, struct nvg_feed_msg *m)
{
    switch (m->kind) {
    case NVG_FEED_STATUS:
        on_status(self, m);
        break;
    case NVG_FEED_RATES:
        on_rates(self, (const Netvigil__RateBatch *)m->pb);
        break;
    case NVG_FEED_TALKERS:
        on_talkers(self, m);
        break;
    case NVG_FEED_EVENT:
        on_event(self, (const Netvigil__Event *)m->pb);
        break;
    case NVG_FEED_REPLY:
        on_reply(self, m);
        break;
    }
}

void nvg__window_fleet_tick(NvgWindow *self)
{
    expire_requests(self);
}

void nvg__window_fleet_init(NvgWindow *self)
{
    self->selector_model = gtk_string_list_new((const char *const[]){"All sensors", NULL});
    gtk_drop_down_set_model(self->sensor_selector, G_LIST_MODEL(self->selector_model));
    g_signal_connect(self->sensor_selector, "notify::selected", G_CALLBACK(on_selector), self);
    self->series_all = nvg_rate_series_new();
    self->series_by_sensor = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                   (GDestroyNotify)nvg_rate_series_free);
    self->talkers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_pb);
    self->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, pending_free);
    nvg_rate_chart_set_series(self->chart, self->series_all);
    on_chart_options(NULL, NULL, self);
    g_signal_connect(self->metric_drop, "notify::selected", G_CALLBACK(on_chart_options), self);
    g_signal_connect(self->window_drop, "notify::selected", G_CALLBACK(on_chart_options), self);
    g_signal_connect(self->start_button, "clicked", G_CALLBACK(on_control_clicked), self);
    g_signal_connect(self->stop_button, "clicked", G_CALLBACK(on_control_clicked), self);
    g_signal_connect(self->restart_button, "clicked", G_CALLBACK(on_control_clicked), self);
    g_signal_connect(self->bpf_button, "clicked", G_CALLBACK(on_bpf_apply), self);
    g_signal_connect(self->bpf_entry, "activate", G_CALLBACK(on_bpf_apply), self);
    update_talkers(self);
    gtk_widget_set_sensitive(GTK_WIDGET(self->start_button), FALSE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->stop_button), FALSE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->restart_button), FALSE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->bpf_button), FALSE);
}

void nvg__window_fleet_dispose(NvgWindow *self)
{
    self->selector_updating = TRUE; /* no selection callbacks while the widgets go */
    if (self->chart)
        nvg_rate_chart_set_series(self->chart, NULL);
    if (self->status)
        netvigil__collector_status__free_unpacked(self->status, NULL);
    self->status = NULL;
    g_clear_pointer(&self->series_by_sensor, g_hash_table_destroy);
    g_clear_pointer(&self->series_all, nvg_rate_series_free);
    g_clear_pointer(&self->talkers, g_hash_table_destroy);
    g_clear_pointer(&self->pending, g_hash_table_destroy);
    g_clear_object(&self->selector_model);
    g_clear_pointer(&self->selected, g_free);
}
