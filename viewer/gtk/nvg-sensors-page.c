#include "nvg-sensors-page.h"

#include "nvg-empty-state.h"

#include <string.h>
#include <time.h>

#include "nvg-label-table.h"
#include "nvg-rate-series.h"
#include "nvg-wire.h"

#define REQUEST_TIMEOUT_US (10 * G_USEC_PER_SEC) /* the collector's own timeout is 3 s */
#define MAX_EVENTS 300
/* Rows of the sensors table at most: each is a dozen labels; the selector reaches the rest. */
#define MAX_GRID_ROWS 200

struct _NvgSensorsPage {
    NvgPage parent_instance;

    /* template children */
    GtkLabel *target_label;
    GtkEntry *bpf_entry;
    GtkLabel *result_label;
    GtkLabel *security_label;
    GtkGrid *sensors_grid;
    GtkStack *sensors_stack; /* the table, or its empty state */
    GtkListBox *events_list;

    struct nvg_feed *feed; /* borrowed; NULL: the feed could not start */
    struct nvg_feed_msg *status_msg;
    const Netvigil__CollectorStatus *status; /* status_msg's, NULL when none */
    guint grid_rows;
    guint sensors_targeted; /* rows the table would have without MAX_GRID_ROWS */
    GHashTable *pending;    /* guint64* id -> struct nvg_pending* */
    guint64 next_request_id;
    guint n_events;
};

G_DEFINE_FINAL_TYPE(NvgSensorsPage, nvg_sensors_page, NVG_TYPE_PAGE)

enum { PROP_0, PROP_FEED, N_PROPS };
static GParamSpec *props[N_PROPS];

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

/* The viewer only sends known kinds; "command" stands for anything else. */
static const char *kind_verb(int kind)
{
    const char *name = nvg_wire_command_name((Netvigil__CommandKind)kind);
    return strcmp(name, "?") != 0 ? name : "command";
}

static const char *sensor_of(NvgSensorsPage *self)
{
    return nvg_page_get_sensor(NVG_PAGE(self));
}

static gboolean targeted(NvgSensorsPage *self, const Netvigil__SensorSummary *s)
{
    const char *sensor = sensor_of(self);
    return s->last_status && s->last_status->sensor &&
           (!sensor[0] || g_str_equal(sensor, s->last_status->sensor));
}

/* ---- control ------------------------------------------------------------------------------ */

/* ok: 1 success, 0 failure, -1 pending */
static void show_result(NvgSensorsPage *self, const char *text, int ok)
{
    gtk_label_set_text(self->result_label, text);
    gtk_widget_remove_css_class(GTK_WIDGET(self->result_label), "failed");
    gtk_widget_remove_css_class(GTK_WIDGET(self->result_label), "ok");
    if (ok >= 0)
        gtk_widget_add_css_class(GTK_WIDGET(self->result_label), ok ? "ok" : "failed");
    gtk_widget_set_visible(GTK_WIDGET(self->result_label), TRUE);
}

void nvg_sensors_page_command(NvgSensorsPage *self, int kind, const char *sensor,
                              const char *filter)
{
    g_return_if_fail(NVG_IS_SENSORS_PAGE(self));
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

void nvg_sensors_page_reply(NvgSensorsPage *self, const struct nvg_feed_msg *m)
{
    struct nvg_pending *pd = g_hash_table_lookup(self->pending, &m->request_id);
    if (!pd)
        return; /* not ours, or already timed out */
    const Netvigil__ControlReply *r = (const Netvigil__ControlReply *)m->pb;
    GString *s = g_string_new(NULL);
    gboolean ok = r && r->ok;
    g_string_append_printf(s, "%s %s: ", kind_verb(pd->kind), pd->sensor);
    if (r && !ok && r->error && g_str_has_prefix(r->error, "not allowed")) {
        /* a viewer key pressing Stop: say who decided and what it means */
        g_string_printf(s, "Not allowed: the collector does not let this key %s sensors (%s)",
                        kind_verb(pd->kind), r->error);
    } else if (!r) {
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
    nvg_page_toast(NVG_PAGE(self), s->str);
    g_info("control reply: %s", s->str);
    g_string_free(s, TRUE);
    g_hash_table_remove(self->pending, &m->request_id);
}

void nvg_sensors_page_expire_requests(NvgSensorsPage *self)
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

static void act_control(GtkWidget *widget, const char *name, GVariant *param)
{
    NvgSensorsPage *self = NVG_SENSORS_PAGE(widget);
    int kind = g_str_equal(name, "sensors.start")  ? NETVIGIL__COMMAND_KIND__COMMAND_START
               : g_str_equal(name, "sensors.stop") ? NETVIGIL__COMMAND_KIND__COMMAND_STOP
                                                   : NETVIGIL__COMMAND_KIND__COMMAND_RESTART;
    nvg_sensors_page_command(self, kind, sensor_of(self), NULL);
}

static void send_filter(NvgSensorsPage *self)
{
    nvg_sensors_page_command(self, NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER, sensor_of(self),
                             gtk_editable_get_text(GTK_EDITABLE(self->bpf_entry)));
}

static void act_set_filter(GtkWidget *widget, const char *name, GVariant *param)
{
    send_filter(NVG_SENSORS_PAGE(widget));
}

/* Enter sends even while sensors.set-filter is disabled (no targeted sensor connected): the
 * collector's answer then says why nothing changed. */
static void on_bpf_activate(GtkEntry *entry, NvgSensorsPage *self)
{
    send_filter(self);
}

static void update_actions(NvgSensorsPage *self)
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
    GtkWidget *w = GTK_WIDGET(self);
    gtk_widget_action_set_enabled(w, "sensors.start", stopped);
    gtk_widget_action_set_enabled(w, "sensors.stop", running);
    gtk_widget_action_set_enabled(w, "sensors.restart", any);
    gtk_widget_action_set_enabled(w, "sensors.set-filter", any);
}

/* ---- sensors table ------------------------------------------------------------------------ */

static const char *const grid_titles[] = {
    "Sensor",       "State",        "Source",      "Capture filter",     "Pkt/s",     "Bytes/s",
    "Kernel drops", "Sensor drops", "Link losses", "Collector failures", "Last seen", "Key"};
#define GRID_COLS G_N_ELEMENTS(grid_titles)
#define GRID_NUMERIC(c) ((c) >= 4 && (c) <= 9)
#define GRID_EXPAND(c) ((c) == 2 || (c) == 3) /* Source and Capture filter */

static void seen_text(char *buf, size_t size, int64_t ms)
{
    if (!ms) {
        g_strlcpy(buf, "never", size);
        return;
    }
    gint64 ago = g_get_real_time() / 1000 - ms; /* ms is 0..2^50 (nvg-feed-parse) */
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
    if (!localtime_r(&t, &tm) || !strftime(buf, size, "%H:%M:%S", &tm))
        g_strlcpy(buf, "?", size);
}

/* Why the capture is down, and how long it was down in all (shown once it is back too). */
static void set_state_tooltip(GtkWidget *state, const Netvigil__SensorSummary *s,
                              const Netvigil__SensorStatus *h)
{
    gboolean error = s->connected && h->state == NETVIGIL__SENSOR_STATE__SENSOR_STATE_ERROR;
    if (!error && !(h->error && *h->error) && !h->capture_down_ms && !h->capture_reopens)
        return;
    g_autofree char *text =
        g_strdup_printf("%s%scapture down %.1f s in all, reopened %" G_GUINT64_FORMAT " time(s)",
                        h->error && *h->error ? h->error : "", h->error && *h->error ? "\n" : "",
                        (double)h->capture_down_ms / 1000.0, h->capture_reopens);
    gtk_widget_set_tooltip_text(state, text);
}

static void fill_row(NvgSensorsPage *self, guint row, const Netvigil__SensorSummary *s)
{
    const Netvigil__SensorStatus *h = s->last_status;
    char v[GRID_COLS][96];
    g_strlcpy(v[0], h->sensor, sizeof(v[0]));
    g_strlcpy(v[1], nvg_wire_summary_state(s), sizeof(v[1]));
    g_strlcpy(v[2], h->source && *h->source ? h->source : "—", sizeof(v[2]));
    g_strlcpy(v[3], h->filter && *h->filter ? h->filter : "(none)", sizeof(v[3]));
    nvg_rate_format_si(v[4], sizeof(v[4]), s->packets_per_s);
    nvg_rate_format_si(v[5], sizeof(v[5]), s->bytes_per_s);
    g_snprintf(v[6], sizeof(v[6]), "%" G_GUINT64_FORMAT, h->pcap_dropped + h->pcap_ifdropped);
    g_snprintf(v[7], sizeof(v[7]), "%" G_GUINT64_FORMAT, h->records_dropped);
    g_snprintf(v[8], sizeof(v[8]), "%" G_GUINT64_FORMAT, s->batches_lost);
    g_snprintf(v[9], sizeof(v[9]), "%" G_GUINT64_FORMAT, s->write_failures);
    seen_text(v[10], sizeof(v[10]), s->last_seen_ms);
    g_strlcpy(v[11], s->key_name && *s->key_name ? s->key_name : "—", sizeof(v[11]));
    for (guint c = 0; c < GRID_COLS; c++) {
        GtkWidget *l = gtk_grid_get_child_at(self->sensors_grid, (int)c, (int)row);
        if (g_strcmp0(gtk_label_get_text(GTK_LABEL(l)), v[c]) != 0)
            gtk_label_set_text(GTK_LABEL(l), v[c]);
        gtk_widget_set_tooltip_text(l, c == 3 || c == 2 ? v[c] : NULL);
    }
    GtkWidget *state = gtk_grid_get_child_at(self->sensors_grid, 1, (int)row);
    const char *cls = g_str_equal(v[1], "running")   ? "state-running"
                      : g_str_equal(v[1], "stopped") ? "state-stopped"
                      : g_str_equal(v[1], "error")   ? "state-error"
                                                     : "state-other";
    gtk_widget_set_css_classes(state, (const char *[]){cls, NULL});
    set_state_tooltip(state, s, h);
}

static void update_grid(NvgSensorsPage *self)
{
    const Netvigil__CollectorStatus *st = self->status;
    guint n = 0;
    for (size_t i = 0; i < st->n_sensors; i++)
        n += targeted(self, st->sensors[i]);
    self->sensors_targeted = n;
    nvg_empty_state_show(self->sensors_stack, st->n_sensors == 0, "sensors");
    n = MIN(n, MAX_GRID_ROWS);
    if (n != self->grid_rows || !gtk_widget_get_first_child(GTK_WIDGET(self->sensors_grid))) {
        nvg_label_table_clear(self->sensors_grid);
        nvg_label_table_header(self->sensors_grid, grid_titles, GRID_COLS, 4, 9,
                               (1u << 2) | (1u << 3));
        for (guint r = 1; r <= n; r++)
            for (guint c = 0; c < GRID_COLS; c++)
                nvg_label_table_cell(self->sensors_grid, (int)c, (int)r, "", GRID_NUMERIC(c),
                                     GRID_EXPAND(c));
        self->grid_rows = n;
    }
    guint row = 1;
    for (size_t i = 0; i < st->n_sensors && row <= n; i++)
        if (targeted(self, st->sensors[i]))
            fill_row(self, row++, st->sensors[i]);
}

static void clear_status(NvgSensorsPage *self)
{
    self->status = NULL;
    g_clear_pointer(&self->status_msg, nvg_feed_msg_free);
}

static void append_count(GString *s, guint64 n, const char *what)
{
    if (n)
        g_string_append_printf(s, "%s%" G_GUINT64_FORMAT " %s", s->len ? ", " : "", n, what);
}

/* The collector's security in one line: keys or not, and what it refused. */
static void security_text(GString *out, const Netvigil__CollectorStatus *st)
{
    const Netvigil__SecurityCounters *c = st->security;
    if (!st->keys) {
        g_string_append(out, "Collector without keys: whoever can reach it may read the feed "
                             "and command sensors.");
    } else {
        g_string_append(out, "Collector with keys (CURVE): only keys on its lists connect.");
    }
    if (!c)
        return;
    GString *r = g_string_new(NULL);
    append_count(r, c->handshakes_failed, "failed handshakes");
    append_count(r, c->keys_unknown, "unknown keys");
    append_count(r, c->mechanism_refused, "clients without keys");
    append_count(r, c->role_refused, "keys on the wrong socket");
    append_count(r, c->name_refused, "messages under another sensor's name");
    append_count(r, c->command_refused, "commands not allowed");
    append_count(r, c->quota_refused, "requests over quota");
    append_count(r, c->invalid_strings, "invalid strings");
    append_count(r, c->budget_dropped, "dropped over the memory budget");
    append_count(r, c->revoked_disconnects, "revoked connections closed");
    append_count(r, c->idle_expired, "idle connections expired");
    g_string_append_printf(out, " Refused: %s.", r->len ? r->str : "nothing");
    g_string_free(r, TRUE);
}

static void update_security(NvgSensorsPage *self)
{
    GString *s = g_string_new(NULL);
    security_text(s, self->status);
    if (self->sensors_targeted > MAX_GRID_ROWS)
        g_string_append_printf(s, " The table shows %u of %u sensors: pick one in the selector.",
                               MAX_GRID_ROWS, self->sensors_targeted);
    if (self->status_msg->omitted)
        g_string_append_printf(s,
                               " %u entries of the collector's status were unusable or over "
                               "the viewer's limits and are not shown.",
                               self->status_msg->omitted);
    if (g_strcmp0(gtk_label_get_text(self->security_label), s->str) != 0)
        gtk_label_set_text(self->security_label, s->str);
    g_string_free(s, TRUE);
}

gboolean nvg_sensors_page_take_status(NvgSensorsPage *self, struct nvg_feed_msg **msg)
{
    clear_status(self);
    /* nvg-feed-parse left out every summary without a status or a name */
    self->status_msg = g_steal_pointer(msg);
    self->status = (const Netvigil__CollectorStatus *)self->status_msg->pb;
    update_grid(self);
    update_actions(self);
    update_security(self);
    return TRUE;
}

void nvg_sensors_page_set_feed(NvgSensorsPage *self, struct nvg_feed *feed)
{
    g_return_if_fail(NVG_IS_SENSORS_PAGE(self));
    if (self->feed == feed)
        return;
    self->feed = feed;
    clear_status(self); /* another collector's, perhaps */
    g_hash_table_remove_all(self->pending);
    nvg_label_table_clear(self->sensors_grid);
    self->grid_rows = 0;
    gtk_label_set_text(self->security_label, "No status from the collector yet.");
    update_actions(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FEED]);
}

const Netvigil__CollectorStatus *nvg_sensors_page_get_status(NvgSensorsPage *self)
{
    g_return_val_if_fail(NVG_IS_SENSORS_PAGE(self), NULL);
    return self->status;
}

/* ---- events --------------------------------------------------------------------------------- */

void nvg_sensors_page_add_event(NvgSensorsPage *self, const Netvigil__Event *e)
{
    char when[32] = "";
    time_t t = (time_t)(e->time_ms / 1000); /* 0..2^40 s (nvg-feed-parse) */
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%H:%M:%S", &tm))
        g_strlcpy(when, "?", sizeof(when));
    g_autofree char *text = g_strdup_printf(
        "%s  %s%s%s  %s%s%s", when, e->kind ? e->kind : "event",
        e->sensor && *e->sensor ? " · " : "", e->sensor ? e->sensor : "", e->text ? e->text : "",
        e->requester && *e->requester ? "  — by " : "", e->requester ? e->requester : "");
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    /* One line, ellipsized, the whole text in the tooltip: a long word from a peer can neither
     * widen the window nor (wrapped) make every relayout of the list measure it again. */
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    gtk_widget_set_tooltip_text(l, text);
    gtk_label_set_selectable(GTK_LABEL(l), TRUE);
    gtk_list_box_prepend(self->events_list, l);
    if (++self->n_events > MAX_EVENTS) {
        GtkListBoxRow *last = gtk_list_box_get_row_at_index(self->events_list, MAX_EVENTS);
        if (last)
            gtk_list_box_remove(self->events_list, GTK_WIDGET(last));
        self->n_events = MAX_EVENTS;
    }
    if (e->kind && (g_str_equal(e->kind, "command") || g_str_has_prefix(e->kind, "alert")))
        nvg_page_toast(NVG_PAGE(self), text + strlen(when) + 2);
}

/* ---- sensor --------------------------------------------------------------------------------- */

static void nvg_sensors_page_sensor_changed(NvgPage *page)
{
    NvgSensorsPage *self = NVG_SENSORS_PAGE(page);
    const char *sensor = sensor_of(self);
    gtk_label_set_text(self->target_label, sensor[0] ? sensor : "All sensors");
    if (self->status) {
        update_grid(self);
        update_actions(self);
    }
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void nvg_sensors_page_dispose(GObject *object)
{
    NvgSensorsPage *self = NVG_SENSORS_PAGE(object);
    clear_status(self);
    g_clear_pointer(&self->pending, g_hash_table_destroy);
    self->feed = NULL;
    G_OBJECT_CLASS(nvg_sensors_page_parent_class)->dispose(object);
}

static void nvg_sensors_page_get_property(GObject *object, guint id, GValue *value,
                                          GParamSpec *pspec)
{
    NvgSensorsPage *self = NVG_SENSORS_PAGE(object);
    switch (id) {
    case PROP_FEED:
        g_value_set_pointer(value, self->feed);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void nvg_sensors_page_set_property(GObject *object, guint id, const GValue *value,
                                          GParamSpec *pspec)
{
    NvgSensorsPage *self = NVG_SENSORS_PAGE(object);
    switch (id) {
    case PROP_FEED:
        nvg_sensors_page_set_feed(self, g_value_get_pointer(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void nvg_sensors_page_class_init(NvgSensorsPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = nvg_sensors_page_dispose;
    oc->get_property = nvg_sensors_page_get_property;
    oc->set_property = nvg_sensors_page_set_property;
    props[PROP_FEED] = g_param_spec_pointer(
        "feed", NULL, NULL, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    NVG_PAGE_CLASS(klass)->sensor_changed = nvg_sensors_page_sensor_changed;
    gtk_widget_class_set_template_from_resource(wc, "/org/netvigil/Viewer/nvg-sensors-page.ui");
    gtk_widget_class_bind_template_child(wc, NvgSensorsPage, target_label);
    gtk_widget_class_bind_template_child(wc, NvgSensorsPage, bpf_entry);
    gtk_widget_class_bind_template_child(wc, NvgSensorsPage, result_label);
    gtk_widget_class_bind_template_child(wc, NvgSensorsPage, security_label);
    gtk_widget_class_bind_template_child(wc, NvgSensorsPage, sensors_grid);
    gtk_widget_class_bind_template_child(wc, NvgSensorsPage, sensors_stack);
    gtk_widget_class_bind_template_child(wc, NvgSensorsPage, events_list);
    gtk_widget_class_install_action(wc, "sensors.start", NULL, act_control);
    gtk_widget_class_install_action(wc, "sensors.stop", NULL, act_control);
    gtk_widget_class_install_action(wc, "sensors.restart", NULL, act_control);
    gtk_widget_class_install_action(wc, "sensors.set-filter", NULL, act_set_filter);
}

static void nvg_sensors_page_init(NvgSensorsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_stack_add_named(
        self->sensors_stack,
        nvg_empty_state_new("network-wired-symbolic", "No Sensors Yet",
                            "The collector answers, but no sensor has reported to it. Start one "
                            "where the traffic is, giving it this collector, e.g.\n"
                            "sudo netvigil-sensor -i eth0 -c tcp://COLLECTOR:7700\n"
                            "Sensors appear here with their state, rates and drops."),
        "empty");
    nvg_empty_state_show(self->sensors_stack, TRUE, "sensors");
    self->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, pending_free);
    g_signal_connect(self->bpf_entry, "activate", G_CALLBACK(on_bpf_activate), self);
    update_actions(self);
}

GtkWidget *nvg_sensors_page_new(struct nvg_feed *feed)
{
    return g_object_new(NVG_TYPE_SENSORS_PAGE, "feed", feed, NULL);
}
