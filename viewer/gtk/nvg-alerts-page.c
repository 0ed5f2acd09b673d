#include "nvg-alerts-page.h"

#include "nvg-empty-state.h"

#include <string.h>
#include <time.h>

#include "nvg-format.h"

/* Request ids of this page: above any NvgSensorsPage uses (it counts from 1), so the window
 * can tell whose a reply is. */
#define REQUEST_ID_BASE ((guint64)1 << 62)
#define FETCH_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define FETCH_RETRY_S 3
#define FETCH_TRIES 5
/* A collector's uptime that went back by more than this is a restart, not jitter. */
#define RESTART_SLACK_MS 5000
#define NOTIFICATION_ID "netvigil-high-alert"

enum col {
    COL_SEVERITY,
    COL_SUMMARY,
    COL_SOURCE,
    COL_TARGETS,
    COL_SENSORS,
    COL_AGE,
    COL_STATE,
};

struct _NvgAlertsPage {
    NvgPage parent_instance;

    /* template children */
    GtkLabel *caption_label;
    GtkColumnView *column_view;
    GtkStack *list_stack; /* the table, or its empty state */
    GtkLabel *empty_title;

    struct nvg_feed *feed; /* borrowed; NULL: none */
    NvgAlertStore *store;
    GtkCustomFilter *sensor_filter;
    GtkFilterListModel *listed;
    GtkSingleSelection *selection;
    GHashTable *age_cells; /* GtkListItem* bound to an age cell (no refs: unbind removes) */
    guint tick_id;
    guint active; /* "active", as last notified */

    /* COMMAND_ALERTS on (re)connection */
    guint64 next_request;
    guint64 fetch_id; /* the request waiting for its answer, 0 = none */
    gint64 fetch_t0;
    guint fetch_tries, retry_id;
    char *fetch_note; /* what the last fetch gave, for the caption */
    int64_t last_uptime_ms;

    /* desktop notifications */
    struct nvg_alert_ratelimit rl;
    guint notify_id;
};

G_DEFINE_FINAL_TYPE(NvgAlertsPage, nvg_alerts_page, NVG_TYPE_PAGE)

enum { PROP_0, PROP_FEED, PROP_ACTIVE, N_PROPS };
static GParamSpec *props[N_PROPS];

static int64_t now_ms(void)
{
    return g_get_real_time() / 1000;
}

/* ---- cells ---------------------------------------------------------------------------------- */

static void format_age(char *buf, size_t size, int64_t ms)
{
    int64_t s = MAX(ms, 0) / 1000;
    if (s < 60)
        g_snprintf(buf, size, "%" G_GINT64_FORMAT " s", s);
    else if (s < 3600)
        g_snprintf(buf, size, "%" G_GINT64_FORMAT " min %02" G_GINT64_FORMAT " s", s / 60, s % 60);
    else if (s < 86400)
        g_snprintf(buf, size, "%" G_GINT64_FORMAT " h %02" G_GINT64_FORMAT " min", s / 3600,
                   s / 60 % 60);
    else
        g_snprintf(buf, size, "%" G_GINT64_FORMAT " d %" G_GINT64_FORMAT " h", s / 86400,
                   s / 3600 % 24);
}

static void format_clock(char *buf, size_t size, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, size, "%H:%M:%S", &tm))
        g_strlcpy(buf, "?", size);
}

static const char *severity_text(int sev, const char **cls)
{
    switch (sev) {
    case NETVIGIL__SEVERITY__SEVERITY_CRITICAL: /* the collector's own: its disk is full */
        *cls = "sev-high";
        return "CRITICAL";
    case NETVIGIL__SEVERITY__SEVERITY_HIGH:
        *cls = "sev-high";
        return "HIGH";
    case NETVIGIL__SEVERITY__SEVERITY_MEDIUM:
        *cls = "sev-medium";
        return "MEDIUM";
    case NETVIGIL__SEVERITY__SEVERITY_LOW:
        *cls = "sev-low";
        return "LOW";
    default:
        *cls = "sev-low";
        return "?";
    }
}

static void set_age(GtkListItem *li)
{
    NvgAlertItem *item = gtk_list_item_get_item(li);
    GtkLabel *l = GTK_LABEL(gtk_list_item_get_child(li));
    if (!item || !l)
        return;
    const struct nvg_alert *a = nvg_alert_item_get(item);
    char text[48];
    format_age(text, sizeof(text), now_ms() - a->start_ms);
    if (g_strcmp0(gtk_label_get_text(l), text) != 0)
        gtk_label_set_text(l, text);
}

static void cell_setup(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    enum col col = GPOINTER_TO_INT(data);
    GtkWidget *l = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(l), col == COL_SEVERITY || col == COL_AGE ? 0.5f : 0.0f);
    if (col != COL_SEVERITY && col != COL_AGE && col != COL_STATE)
        gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    if (col == COL_SEVERITY)
        gtk_widget_add_css_class(l, "sev");
    if (col == COL_AGE)
        gtk_widget_add_css_class(l, "numeric");
    gtk_list_item_set_child(li, l);
}

static char *summary_tooltip(const struct nvg_alert *a)
{
    char first[16], when[16] = "";
    format_clock(first, sizeof(first), a->start_ms);
    if (a->ended)
        format_clock(when, sizeof(when), a->end_ms);
    return g_strdup_printf(
        "%s\n%s%s%s · since %s%s%s\n%" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
        " bytes, measure %" G_GUINT64_FORMAT " · alert %" G_GUINT64_FORMAT,
        a->summary, a->detector, a->rule[0] ? " · rule " : "", a->rule, first,
        a->ended ? " · ended " : "", when, a->packets, a->bytes, a->count, a->id);
}

static void cell_text(enum col col, const struct nvg_alert *a, GtkLabel *l)
{
    const char *cls = NULL;
    switch (col) {
    case COL_SEVERITY:
        gtk_label_set_text(l, severity_text(a->severity, &cls));
        break;
    case COL_SUMMARY: {
        gtk_label_set_text(l, a->summary[0] ? a->summary : a->detector);
        g_autofree char *tip = summary_tooltip(a);
        gtk_widget_set_tooltip_text(GTK_WIDGET(l), tip);
        break;
    }
    case COL_SOURCE:
        gtk_label_set_text(l, a->src[0] ? a->src : "many");
        break;
    case COL_TARGETS:
        gtk_label_set_text(l, a->targets[0] ? a->targets : "—");
        break;
    case COL_SENSORS:
        gtk_label_set_text(l, a->sensors[0] ? a->sensors : "—");
        break;
    case COL_AGE:
        break; /* set_age */
    case COL_STATE:
        gtk_label_set_text(l, !a->ended     ? "active"
                              : a->orphaned ? "ended (collector restarted)"
                                            : "ended");
        break;
    }
    static const char *const sevs[] = {"sev-high", "sev-medium", "sev-low"};
    for (size_t i = 0; i < G_N_ELEMENTS(sevs); i++)
        gtk_widget_remove_css_class(GTK_WIDGET(l), sevs[i]);
    if (cls)
        gtk_widget_add_css_class(GTK_WIDGET(l), cls);
    if (a->ended)
        gtk_widget_add_css_class(GTK_WIDGET(l), "alert-ended");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(l), "alert-ended");
    if (col == COL_STATE && !a->ended)
        gtk_widget_add_css_class(GTK_WIDGET(l), "alert-active");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(l), "alert-active");
}

static void cell_bind(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    enum col col = GPOINTER_TO_INT(data);
    NvgAlertItem *item = gtk_list_item_get_item(li);
    cell_text(col, nvg_alert_item_get(item), GTK_LABEL(gtk_list_item_get_child(li)));
    if (col == COL_AGE) {
        NvgAlertsPage *self = g_object_get_data(G_OBJECT(f), "page");
        g_hash_table_add(self->age_cells, li);
        set_age(li);
    }
}

static void cell_unbind(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    NvgAlertsPage *self = g_object_get_data(G_OBJECT(f), "page");
    if (GPOINTER_TO_INT(data) == COL_AGE && self->age_cells)
        g_hash_table_remove(self->age_cells, li);
}

static void add_column(NvgAlertsPage *self, enum col col, const char *title, int width,
                       gboolean expand)
{
    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_object_set_data(G_OBJECT(f), "page", self);
    g_signal_connect(f, "setup", G_CALLBACK(cell_setup), GINT_TO_POINTER(col));
    g_signal_connect(f, "bind", G_CALLBACK(cell_bind), GINT_TO_POINTER(col));
    g_signal_connect(f, "unbind", G_CALLBACK(cell_unbind), GINT_TO_POINTER(col));
    GtkColumnViewColumn *c = gtk_column_view_column_new(title, f); /* takes f */
    gtk_column_view_column_set_resizable(c, TRUE);
    gtk_column_view_column_set_expand(c, expand);
    if (width > 0)
        gtk_column_view_column_set_fixed_width(c, width);
    gtk_column_view_append_column(self->column_view, c);
    g_object_unref(c);
}

/* ---- caption, badge count ------------------------------------------------------------------- */

static void update_caption(NvgAlertsPage *self)
{
    guint active = nvg_alert_store_get_active(self->store);
    GString *s = g_string_new(NULL);
    g_string_printf(s, "%u active · %u listed", active,
                    g_list_model_get_n_items(G_LIST_MODEL(self->listed)));
    guint64 dropped = nvg_alert_store_get_dropped(self->store);
    if (dropped)
        g_string_append_printf(s, " · %" G_GUINT64_FORMAT " oldest dropped (list holds %u)",
                               dropped, nvg_alert_store_get_capacity(self->store));
    if (self->fetch_note)
        g_string_append_printf(s, " · %s", self->fetch_note);
    if (g_strcmp0(gtk_label_get_text(self->caption_label), s->str) != 0)
        gtk_label_set_text(self->caption_label, s->str);
    g_string_free(s, TRUE);
    guint listed = g_list_model_get_n_items(G_LIST_MODEL(self->listed));
    if (self->empty_title && !listed)
        gtk_label_set_text(self->empty_title, g_list_model_get_n_items(G_LIST_MODEL(self->store))
                                                  ? "No Alerts for This Sensor"
                                                  : "No Alerts");
    if (self->empty_title)
        nvg_empty_state_show(self->list_stack, listed == 0, "alerts");
    if (active != self->active) {
        self->active = active;
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ACTIVE]);
    }
}

static void on_listed_changed(GListModel *m, guint pos, guint removed, guint added,
                              NvgAlertsPage *self)
{
    update_caption(self);
}

/* ---- notifications -------------------------------------------------------------------------- */

static void send_notification(const char *title, const char *body)
{
    GApplication *app = g_application_get_default();
    if (!app)
        return; /* a page outside the viewer (tests): nobody to tell */
    GNotification *n = g_notification_new(title);
    g_notification_set_body(n, body);
    g_notification_set_priority(n, G_NOTIFICATION_PRIORITY_HIGH);
    g_notification_set_default_action_and_target(n, "app.show-page", "s", "alerts");
    g_application_send_notification(app, NOTIFICATION_ID, n);
    g_object_unref(n);
    g_info("notification: %s: %s", title, body);
}

static gboolean on_notify_due(gpointer data)
{
    NvgAlertsPage *self = data;
    self->notify_id = 0;
    guint n = nvg_alert_ratelimit_flush(&self->rl, g_get_monotonic_time());
    if (n) {
        g_autofree char *title =
            g_strdup_printf("%u more high-severity alert%s", n, n == 1 ? "" : "s");
        send_notification(title, "See the viewer's Alerts page.");
    }
    return G_SOURCE_REMOVE;
}

static void notify_high(NvgAlertsPage *self, const struct nvg_alert *a)
{
    gint64 now = g_get_monotonic_time();
    if (nvg_alert_ratelimit_offer(&self->rl, now)) {
        g_autofree char *title = g_strdup_printf("High-severity alert: %s%s%s", a->detector,
                                                 a->src[0] ? " from " : "", a->src);
        send_notification(title, a->summary);
    } else if (!self->notify_id) {
        gint64 wait_us = MAX(nvg_alert_ratelimit_due(&self->rl) - now, 0);
        self->notify_id = g_timeout_add((guint)(wait_us / 1000) + 1, on_notify_due, self);
    }
}

/* ---- alerts in ------------------------------------------------------------------------------ */

void nvg_alerts_page_take_alert(NvgAlertsPage *self, const Netvigil__Alert *alert)
{
    g_return_if_fail(NVG_IS_ALERTS_PAGE(self));
    enum nvg_alert_change c = nvg_alert_store_apply(self->store, alert, now_ms());
    if (c == NVG_ALERT_ADDED && alert->event == NETVIGIL__ALERT_EVENT__ALERT_START &&
        alert->severity >= NETVIGIL__SEVERITY__SEVERITY_HIGH) {
        NvgAlertItem *item = nvg_alert_store_lookup(self->store, alert->id);
        if (item)
            notify_high(self, nvg_alert_item_get(item));
    }
    if (c != NVG_ALERT_IGNORED)
        update_caption(self);
}

static void set_fetch_note(NvgAlertsPage *self, char *note)
{
    g_free(self->fetch_note);
    self->fetch_note = note;
    update_caption(self);
}

static void fetch(NvgAlertsPage *self)
{
    g_clear_handle_id(&self->retry_id, g_source_remove);
    if (!self->feed)
        return;
    self->fetch_id = REQUEST_ID_BASE + ++self->next_request;
    self->fetch_t0 = g_get_monotonic_time();
    self->fetch_tries++;
    nvg_feed_request_alerts(self->feed, self->fetch_id, now_ms() - NVG_ALERTS_FETCH_SPAN_MS);
}

static gboolean on_retry(gpointer data)
{
    NvgAlertsPage *self = data;
    self->retry_id = 0;
    fetch(self);
    return G_SOURCE_REMOVE;
}

/* The request went nowhere (the control socket not connected yet) or had no answer: again a
 * few times. A refusal (a collector too old to know COMMAND_ALERTS, a key not allowed) stays
 * a refusal: asking again would only fill its logs. Then the caption says why. */
static void fetch_failed(NvgAlertsPage *self, const char *why, gboolean again)
{
    self->fetch_id = 0;
    g_info("alerts: recent alerts not fetched (try %u): %s", self->fetch_tries, why);
    if (again && self->fetch_tries < FETCH_TRIES && self->feed) {
        self->retry_id = g_timeout_add_seconds(FETCH_RETRY_S, on_retry, self);
        return;
    }
    set_fetch_note(self, g_strdup_printf("recent alerts not available: %s", why));
}

void nvg_alerts_page_connected(NvgAlertsPage *self)
{
    g_return_if_fail(NVG_IS_ALERTS_PAGE(self));
    self->fetch_tries = 0;
    fetch(self);
}

gboolean nvg_alerts_page_reply(NvgAlertsPage *self, const struct nvg_feed_msg *m)
{
    g_return_val_if_fail(NVG_IS_ALERTS_PAGE(self), FALSE);
    if (m->request_id < REQUEST_ID_BASE)
        return FALSE;
    if (m->request_id != self->fetch_id)
        return TRUE; /* an earlier fetch's, or after a timeout: a newer one is coming */
    const Netvigil__ControlReply *r = (const Netvigil__ControlReply *)m->pb;
    if (!r) {
        fetch_failed(self, m->error ? m->error : "failed", TRUE);
        return TRUE;
    }
    if (!r->ok) {
        fetch_failed(self, r->error && *r->error ? r->error : "refused", FALSE);
        return TRUE;
    }
    self->fetch_id = 0;
    guint changed = 0;
    for (size_t i = 0; i < r->n_alerts; i++)
        changed += nvg_alert_store_apply(self->store, r->alerts[i], now_ms()) != NVG_ALERT_IGNORED;
    g_info("alerts: %zu recent alert events fetched, %u new to the list", r->n_alerts, changed);
    set_fetch_note(self, g_strdup_printf("%zu events of the last hour fetched%s", r->n_alerts,
                                         m->omitted ? " (some left out)" : ""));
    return TRUE;
}

void nvg_alerts_page_status(NvgAlertsPage *self, const Netvigil__CollectorStatus *st)
{
    g_return_if_fail(NVG_IS_ALERTS_PAGE(self));
    gboolean restarted =
        self->last_uptime_ms && st->uptime_ms + RESTART_SLACK_MS < self->last_uptime_ms;
    self->last_uptime_ms = st->uptime_ms;
    if (!restarted)
        return;
    g_info("alerts: the collector restarted (uptime went back): its alert ids start again");
    nvg_alert_store_new_run(self->store, now_ms());
    update_caption(self);
    nvg_alerts_page_connected(self);
}

void nvg_alerts_page_set_feed(NvgAlertsPage *self, struct nvg_feed *feed)
{
    g_return_if_fail(NVG_IS_ALERTS_PAGE(self));
    if (self->feed == feed)
        return;
    if (self->feed)
        nvg_alert_store_new_run(self->store, now_ms());
    self->feed = feed;
    self->fetch_id = 0;
    self->last_uptime_ms = 0;
    g_clear_handle_id(&self->retry_id, g_source_remove);
    update_caption(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FEED]);
}

/* ---- activation ----------------------------------------------------------------------------- */

static int64_t floor_sec(int64_t ns)
{
    return ns >= 0 ? ns / 1000000000 : -((-(ns + 1)) / 1000000000) - 1;
}

/* "FROM..TO" over the alert's evidence: whole seconds around it; an active alert's span is
 * open at the end, since its evidence is still coming. */
static void alert_span(const struct nvg_alert *a, char *buf, size_t size)
{
    char from[NVG_TIME_ISO_SEC_MAX], to[NVG_TIME_ISO_SEC_MAX] = "";
    nvg_format_time_iso_sec(from, floor_sec(a->first_ns));
    if (a->ended)
        nvg_format_time_iso_sec(to, floor_sec(a->last_ns));
    g_snprintf(buf, size, "%s..%s", from, to);
}

/* The packet list, filtered to the alert's source (or single target) and its time span. */
static void on_activate(GtkColumnView *cv, guint pos, NvgAlertsPage *self)
{
    g_autoptr(NvgAlertItem) item = g_list_model_get_item(G_LIST_MODEL(self->listed), pos);
    if (!item)
        return;
    const struct nvg_alert *a = nvg_alert_item_get(item);
    char span[2 * NVG_TIME_ISO_SEC_MAX + 4];
    alert_span(a, span, sizeof(span));
    g_autofree char *spec = NULL;
    if (a->src[0])
        spec = g_strdup_printf("src=%s;time=%s", a->src, span);
    else if (a->targets[0] && !strchr(a->targets, ',') && !strchr(a->targets, ' '))
        spec = g_strdup_printf("dst=%s;time=%s", a->targets, span);
    if (!spec) {
        nvg_page_toast(NVG_PAGE(self), "This alert has no single source or target to filter by");
        return;
    }
    g_info("alerts: alert %" G_GUINT64_FORMAT " activated: display filter %s", a->id, spec);
    gtk_widget_activate_action(GTK_WIDGET(self), "app.apply-filter", "s", spec);
    gtk_widget_activate_action(GTK_WIDGET(self), "app.show-page", "s", "packets");
}

gboolean nvg_alerts_page_activate_alert(NvgAlertsPage *self, guint64 id)
{
    g_return_val_if_fail(NVG_IS_ALERTS_PAGE(self), FALSE);
    GListModel *m = G_LIST_MODEL(self->listed);
    for (guint i = 0; i < g_list_model_get_n_items(m); i++) {
        g_autoptr(NvgAlertItem) item = g_list_model_get_item(m, i);
        if (nvg_alert_item_get(item)->id != id)
            continue;
        gtk_single_selection_set_selected(self->selection, i);
        /* as a double click or Enter would: GtkColumnView's "activate" */
        g_signal_emit_by_name(self->column_view, "activate", i);
        return TRUE;
    }
    return FALSE;
}

/* ---- sensor scope --------------------------------------------------------------------------- */

static gboolean seen_by(gpointer item, gpointer data)
{
    const char *sensor = nvg_page_get_sensor(NVG_PAGE(data));
    if (!sensor[0])
        return TRUE;
    g_auto(GStrv) names = g_strsplit(nvg_alert_item_get(item)->sensors, ", ", -1);
    return g_strv_contains((const char *const *)names, sensor);
}

static void nvg_alerts_page_sensor_changed(NvgPage *page)
{
    NvgAlertsPage *self = NVG_ALERTS_PAGE(page);
    if (self->listed) /* not after dispose */
        gtk_filter_changed(GTK_FILTER(self->sensor_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static gboolean on_tick(gpointer data)
{
    NvgAlertsPage *self = data;
    GHashTableIter it;
    gpointer li;
    g_hash_table_iter_init(&it, self->age_cells);
    while (g_hash_table_iter_next(&it, &li, NULL))
        set_age(li);
    if (self->fetch_id && g_get_monotonic_time() - self->fetch_t0 > FETCH_TIMEOUT_US)
        fetch_failed(self, "no answer from the collector", TRUE);
    return G_SOURCE_CONTINUE;
}

static void nvg_alerts_page_dispose(GObject *object)
{
    NvgAlertsPage *self = NVG_ALERTS_PAGE(object);
    g_clear_handle_id(&self->tick_id, g_source_remove);
    g_clear_handle_id(&self->retry_id, g_source_remove);
    g_clear_handle_id(&self->notify_id, g_source_remove);
    if (self->column_view)
        gtk_column_view_set_model(self->column_view, NULL); /* unbinds every cell */
    g_clear_object(&self->selection);
    g_clear_object(&self->listed);
    g_clear_object(&self->store);
    g_clear_pointer(&self->age_cells, g_hash_table_destroy);
    self->feed = NULL;
    G_OBJECT_CLASS(nvg_alerts_page_parent_class)->dispose(object);
}

static void nvg_alerts_page_finalize(GObject *object)
{
    g_free(NVG_ALERTS_PAGE(object)->fetch_note);
    G_OBJECT_CLASS(nvg_alerts_page_parent_class)->finalize(object);
}

static void nvg_alerts_page_get_property(GObject *object, guint id, GValue *value,
                                         GParamSpec *pspec)
{
    NvgAlertsPage *self = NVG_ALERTS_PAGE(object);
    if (id == PROP_FEED)
        g_value_set_pointer(value, self->feed);
    else if (id == PROP_ACTIVE)
        g_value_set_uint(value, self->active);
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void nvg_alerts_page_set_property(GObject *object, guint id, const GValue *value,
                                         GParamSpec *pspec)
{
    if (id == PROP_FEED)
        nvg_alerts_page_set_feed(NVG_ALERTS_PAGE(object), g_value_get_pointer(value));
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void nvg_alerts_page_class_init(NvgAlertsPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = nvg_alerts_page_dispose;
    oc->finalize = nvg_alerts_page_finalize;
    oc->get_property = nvg_alerts_page_get_property;
    oc->set_property = nvg_alerts_page_set_property;
    NVG_PAGE_CLASS(klass)->sensor_changed = nvg_alerts_page_sensor_changed;
    props[PROP_FEED] = g_param_spec_pointer(
        "feed", NULL, NULL, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    props[PROP_ACTIVE] =
        g_param_spec_uint("active", NULL, NULL, 0, G_MAXUINT, 0,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    gtk_widget_class_set_template_from_resource(wc, "/org/netvigil/Viewer/nvg-alerts-page.ui");
    gtk_widget_class_bind_template_child(wc, NvgAlertsPage, caption_label);
    gtk_widget_class_bind_template_child(wc, NvgAlertsPage, column_view);
    gtk_widget_class_bind_template_child(wc, NvgAlertsPage, list_stack);
}

static void add_empty_state(NvgAlertsPage *self)
{
    GtkWidget *empty = nvg_empty_state_new(
        "security-high-symbolic", "No Alerts",
        "The collector raises an alert when it sees a port scan, a SYN flood or another attack "
        "its detectors know. Active and recent alerts appear here, and high-severity ones also "
        "as desktop notifications.");
    for (GtkWidget *c = gtk_widget_get_first_child(empty); c; c = gtk_widget_get_next_sibling(c))
        if (g_str_equal(gtk_widget_get_name(c), "empty-title"))
            self->empty_title = GTK_LABEL(c);
    gtk_stack_add_named(self->list_stack, empty, "empty");
}

static void nvg_alerts_page_init(NvgAlertsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->rl.interval_us = NVG_ALERTS_NOTIFY_INTERVAL_S * G_USEC_PER_SEC;
    self->age_cells = g_hash_table_new(NULL, NULL);
    self->store = nvg_alert_store_new(0);
    self->sensor_filter = gtk_custom_filter_new(seen_by, self, NULL);
    self->listed = gtk_filter_list_model_new(G_LIST_MODEL(g_object_ref(self->store)),
                                             GTK_FILTER(self->sensor_filter));
    self->selection = gtk_single_selection_new(G_LIST_MODEL(g_object_ref(self->listed)));
    gtk_single_selection_set_autoselect(self->selection, FALSE);
    gtk_single_selection_set_can_unselect(self->selection, TRUE);
    add_column(self, COL_SEVERITY, "Severity", 90, FALSE);
    add_column(self, COL_SUMMARY, "Summary", -1, TRUE);
    add_column(self, COL_SOURCE, "Source", 150, FALSE);
    add_column(self, COL_TARGETS, "Targets", 200, FALSE);
    add_column(self, COL_SENSORS, "Sensors", 140, FALSE);
    add_column(self, COL_AGE, "Age", 100, FALSE);
    add_column(self, COL_STATE, "State", 90, FALSE);
    gtk_column_view_set_model(self->column_view, GTK_SELECTION_MODEL(self->selection));
    g_signal_connect(self->column_view, "activate", G_CALLBACK(on_activate), self);
    g_signal_connect(self->listed, "items-changed", G_CALLBACK(on_listed_changed), self);
    self->tick_id = g_timeout_add_seconds(1, on_tick, self);
    add_empty_state(self);
    update_caption(self);
}

GtkWidget *nvg_alerts_page_new(struct nvg_feed *feed)
{
    return g_object_new(NVG_TYPE_ALERTS_PAGE, "feed", feed, NULL);
}

guint nvg_alerts_page_get_active(NvgAlertsPage *self)
{
    g_return_val_if_fail(NVG_IS_ALERTS_PAGE(self), 0);
    return self->active;
}

NvgAlertStore *nvg_alerts_page_get_store(NvgAlertsPage *self)
{
    g_return_val_if_fail(NVG_IS_ALERTS_PAGE(self), NULL);
    return self->store;
}

GListModel *nvg_alerts_page_get_model(NvgAlertsPage *self)
{
    g_return_val_if_fail(NVG_IS_ALERTS_PAGE(self), NULL);
    return G_LIST_MODEL(self->listed);
}
