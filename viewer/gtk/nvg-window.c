/* NvgWindow: the shell. It keeps the header bar (sensor selector, connection badge, page
 * switcher, follow / pause, menu), the stack of pages, toasts, the status bar, and the drain
 * that every 50 ms moves the feed worker's output into the pages.
 *
 * How a page plugs in (packets, sensors, traffic; alerts and conversations come the same way):
 *  - it is its own widget type in nvg-<name>-page.[ch] with its template nvg-<name>-page.ui in
 *    the GResource, its own state, and a dispose that calls gtk_widget_dispose_template();
 *    what it needs from the window (the feed, the sensor names, the ring size) comes in as
 *    construct-only properties; it subclasses NvgPage (nvg-page.h) for the "sensor" property
 *    and the template's disposal;
 *  - add_pages() below creates it and adds it to the stack under its name (app.show-page);
 *  - route() hands it the feed messages it shows: a function taking struct nvg_feed_msg **
 *    (the page takes the message and sets the pointer to NULL) for what it keeps, a lent
 *    message or protobuf for what it only reads; records go to the packets page;
 *  - NvgPage's "sensor" property makes it follow the header bar's sensor selector ("" = all);
 *  - it shows toasts through the "window.toast" action (parameter: the text), never by calling
 *    the window, so that it works, silently, outside one;
 *  - its own buttons use its own widget actions (sensors.start, ...); app actions (D-Bus) call
 *    its functions through nvg_window_get_<name>_page(). */
#include "nvg-window.h"

#include <string.h>

#include "nvg-application.h"
#include "nvg-cert.h"
#include "nvg-error.h"
#include "nvg-format.h"
#include "nvg-rate-series.h"
#include "nvg-sensor-names.h"

#define DRAIN_INTERVAL_MS 50                /* at most 20 list updates per second */
#define CONN_SILENT_US (3 * G_USEC_PER_SEC) /* the collector publishes status every second */
#define MAX_MSGS_PER_DRAIN 400
/* Time one drain may spend on messages: a flood (of events, say) then waits in the feed's
 * byte-bounded queue, or is dropped there, instead of freezing the main loop. */
#define DRAIN_BUDGET_US (20 * 1000)

enum { CONN_CONNECTING, CONN_OK, CONN_RECONNECTING, CONN_FAILED, CONN_REFUSED, CONN_MISMATCH };

struct _NvgWindow {
    GtkApplicationWindow parent_instance;

    /* template children */
    GtkDropDown *sensor_selector;
    GtkLabel *conn_label;
    GtkStack *stack;
    GtkRevealer *toast_revealer;
    GtkLabel *toast_label;
    GtkLabel *status_shown, *status_received, *status_rate, *status_dropped, *status_endpoint;

    /* the pages: the stack holds them */
    NvgPacketsPage *packets;
    NvgSensorsPage *sensors;
    NvgTrafficPage *traffic;
    NvgAlertsPage *alerts;
    GtkStackPage *alerts_tab; /* its entry in the switcher: the badge */
    NvgFlowsPage *flows;

    const struct nvg_viewer_config *config; /* the application's */

    struct nvg_sensor_names *names;
    struct nvg_feed *feed; /* NULL: it could not start */
    char *feed_error;      /* why it could not (keys that do not load, a bad endpoint) */
    guint drain_id, toast_id;

    /* feed rate and connection */
    gint64 rate_t0;
    guint64 rate_n0;
    double feed_rate;
    int conn_state;

    /* sensor selector */
    char *selected; /* "" = all sensors */
    GtkStringList *selector_model;
    gboolean selector_updating;
};

G_DEFINE_FINAL_TYPE(NvgWindow, nvg_window, GTK_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_CONNECTION, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_DRAIN, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- toast ------------------------------------------------------------------------------- */

static gboolean hide_toast(gpointer data)
{
    NvgWindow *self = data;
    gtk_revealer_set_reveal_child(self->toast_revealer, FALSE);
    self->toast_id = 0;
    return G_SOURCE_REMOVE;
}

/* "window.toast" s: the pages' way to show a short message. */
static void act_toast(GtkWidget *widget, const char *name, GVariant *param)
{
    NvgWindow *self = NVG_WINDOW(widget);
    gtk_label_set_text(self->toast_label, g_variant_get_string(param, NULL));
    gtk_revealer_set_reveal_child(self->toast_revealer, TRUE);
    if (self->toast_id)
        g_source_remove(self->toast_id);
    self->toast_id = g_timeout_add_seconds(4, hide_toast, self);
}

/* ---- status bar ---------------------------------------------------------------------------- */

static void set_label(GtkLabel *l, const char *text)
{
    if (g_strcmp0(gtk_label_get_text(l), text) != 0)
        gtk_label_set_text(l, text);
}

/* What the viewer refused or changed of what its collector sent. */
static void append_peer_counts(GString *d, const struct nvg_feed_stats *fs)
{
    if (!fs->invalid && !fs->escaped && !fs->omitted && !fs->queue_dropped)
        return;
    g_string_append_printf(d,
                           "%sfrom the collector: %" G_GUINT64_FORMAT " invalid, %" G_GUINT64_FORMAT
                           " strings escaped, %" G_GUINT64_FORMAT
                           " entries left out, %" G_GUINT64_FORMAT " messages dropped (queue full)",
                           d->len ? " · " : "", fs->invalid, fs->escaped, fs->omitted,
                           fs->queue_dropped);
}

static void update_status_bar(NvgWindow *self, const struct nvg_feed_stats *fs)
{
    struct nvg_packets_page_counts c;
    nvg_packets_page_get_counts(self->packets, &c);
    char a[32], b[32], text[200];
    nvg_format_thousands(a, sizeof(a), c.list.shown);
    nvg_format_thousands(b, sizeof(b), c.list.in_ring);
    g_snprintf(text, sizeof(text), "Rows shown %s of %s", a, b);
    set_label(self->status_shown, text);
    nvg_format_thousands(a, sizeof(a), fs->records);
    g_snprintf(text, sizeof(text), "Received %s", a);
    set_label(self->status_received, text);
    char r[32];
    nvg_rate_format_si(r, sizeof(r), self->feed_rate);
    g_snprintf(text, sizeof(text), "Feed %s records/s", r);
    set_label(self->status_rate, text);
    guint64 not_shown = c.list.overwritten + fs->records_dropped + c.missed_paused;
    GString *d = g_string_new(NULL);
    if (not_shown || fs->invalid) {
        nvg_format_thousands(a, sizeof(a), not_shown);
        g_string_printf(d, "%s not in the list (ring of %u%s)%s", a, c.capacity,
                        c.paused ? ", paused" : "", fs->invalid ? ", invalid messages seen" : "");
    } else if (c.paused) {
        g_string_assign(d, "Paused");
    }
    if (fs->records_skipped) {
        /* Published by the collector and never received: apart from the records dropped here. */
        nvg_format_thousands(a, sizeof(a), fs->records_skipped);
        g_string_append_printf(d, "%s%s skipped on the feed (the viewer fell behind)",
                               d->len ? " · " : "", a);
    }
    append_peer_counts(d, fs);
    set_label(self->status_dropped, d->str);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->status_dropped), d->len ? d->str : NULL);
    g_string_free(d, TRUE);
}

/* ---- connection ---------------------------------------------------------------------------- */

static const char *const conn_names[] = {
    [CONN_CONNECTING] = "connecting",     [CONN_OK] = "connected",
    [CONN_RECONNECTING] = "reconnecting", [CONN_FAILED] = "failed",
    [CONN_REFUSED] = "refused",           [CONN_MISMATCH] = "handshake-failed",
};

const char *nvg_window_get_connection(NvgWindow *self)
{
    g_return_val_if_fail(NVG_IS_WINDOW(self), NULL);
    return self->conn_state >= 0 ? conn_names[self->conn_state] : conn_names[CONN_CONNECTING];
}

/* The badge and the "connection" property (app.connection's state) both come from here. */
static void set_conn_state(NvgWindow *self, int state, gint64 away_s)
{
    static const char *const classes[] = {"conn-ok", "conn-wait", "conn-lost"};
    const char *cls = state == CONN_OK                                ? classes[0]
                      : state == CONN_FAILED || state >= CONN_REFUSED ? classes[2]
                                                                      : classes[1];
    char text[120];
    switch (state) {
    case CONN_OK:
        g_strlcpy(text, "● Connected", sizeof(text));
        break;
    case CONN_CONNECTING:
        g_strlcpy(text, "Connecting…", sizeof(text));
        break;
    case CONN_RECONNECTING:
        if (away_s > 0)
            g_snprintf(text, sizeof(text), "Reconnecting… (collector away %" G_GINT64_FORMAT " s)",
                       away_s);
        else
            g_strlcpy(text, "Reconnecting…", sizeof(text));
        break;
    case CONN_REFUSED:
        g_strlcpy(text, "Refused: the collector does not accept this key", sizeof(text));
        break;
    case CONN_MISMATCH:
        g_strlcpy(text, "Refused: wrong collector key, or keys on one side only", sizeof(text));
        break;
    default:
        g_strlcpy(text, "Not connected", sizeof(text));
        break;
    }
    set_label(self->conn_label, text);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->conn_label),
                                state == CONN_FAILED ? self->feed_error : NULL);
    if (state != self->conn_state) {
        for (int i = 0; i < 3; i++)
            gtk_widget_remove_css_class(GTK_WIDGET(self->conn_label), classes[i]);
        gtk_widget_add_css_class(GTK_WIDGET(self->conn_label), cls);
        g_info("feed %s: %s", self->config ? self->config->feed_ep : "?",
               state == CONN_OK                                ? "connected"
               : state == CONN_FAILED || state >= CONN_REFUSED ? conn_names[state]
                                                               : "waiting");
        self->conn_state = state;
        if (state == CONN_OK && self->alerts)
            nvg_alerts_page_connected(self->alerts); /* the alerts it missed while away */
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTION]);
    }
}

/* connected: the feed link is up and a message came over it within CONN_SILENT_US (the
 * collector publishes its status every second). reconnecting: it was connected once and the
 * link dropped (noticed at once through the socket monitor) or went silent; ZeroMQ reconnects
 * by itself (backing off up to 2 s) and the state returns to connected with the next message. */
static void update_connection(NvgWindow *self, const struct nvg_feed_stats *fs, gint64 now)
{
    if (!self->feed) {
        set_conn_state(self, CONN_FAILED, 0);
        return;
    }
    /* a refusal newer than the last data: libzmq keeps retrying, and is refused each time */
    if ((fs->auth == NVG_FEED_AUTH_REFUSED || fs->auth == NVG_FEED_AUTH_MISMATCH) &&
        fs->auth_change_us >= fs->last_rx_us) {
        set_conn_state(self, fs->auth == NVG_FEED_AUTH_REFUSED ? CONN_REFUSED : CONN_MISMATCH, 0);
        return;
    }
    gboolean ever = fs->last_rx_us != 0 || fs->disconnects != 0;
    /* with a monitor, data counts only when it came after the latest (re)connect */
    gboolean link_ok =
        fs->link_change_us == 0 || (fs->link_up && fs->last_rx_us >= fs->link_change_us);
    if (link_ok && fs->last_rx_us && now - fs->last_rx_us < CONN_SILENT_US)
        set_conn_state(self, CONN_OK, 0);
    else if (!ever)
        set_conn_state(self, CONN_CONNECTING, 0);
    else {
        gint64 since = fs->last_rx_us;
        if (!fs->link_up && fs->link_change_us > since)
            since = fs->link_change_us;
        set_conn_state(self, CONN_RECONNECTING, since ? (now - since) / G_USEC_PER_SEC : 0);
    }
}

gboolean nvg_window_get_feed_stats(NvgWindow *self, struct nvg_feed_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    if (!self->feed)
        return FALSE;
    nvg_feed_get_stats(self->feed, stats);
    return TRUE;
}

/* ---- sensor selector ------------------------------------------------------------------------ */

/* Keep the selector's names equal to the sensors the collector reports, keeping the choice. */
static void update_selector(NvgWindow *self, const Netvigil__CollectorStatus *st)
{
    GPtrArray *names = g_ptr_array_new();
    for (size_t i = 0; i < st->n_sensors; i++)
        if (st->sensors[i]->last_status && st->sensors[i]->last_status->sensor)
            g_ptr_array_add(names, st->sensors[i]->last_status->sensor);
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
    /* every page follows the selector */
    for (GtkWidget *page = gtk_widget_get_first_child(GTK_WIDGET(self->stack)); page;
         page = gtk_widget_get_next_sibling(page))
        if (NVG_IS_PAGE(page))
            nvg_page_set_sensor(NVG_PAGE(page), self->selected);
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

/* ---- pages ---------------------------------------------------------------------------------- */

NvgPacketsPage *nvg_window_get_packets_page(NvgWindow *self)
{
    return self->packets;
}

NvgSensorsPage *nvg_window_get_sensors_page(NvgWindow *self)
{
    return self->sensors;
}

NvgTrafficPage *nvg_window_get_traffic_page(NvgWindow *self)
{
    return self->traffic;
}

NvgAlertsPage *nvg_window_get_alerts_page(NvgWindow *self)
{
    return self->alerts;
}

NvgFlowsPage *nvg_window_get_flows_page(NvgWindow *self)
{
    g_return_val_if_fail(NVG_IS_WINDOW(self), NULL);
    return self->flows;
}

const char *nvg_window_get_page_title(NvgWindow *self, const char *name)
{
    GtkWidget *child = gtk_stack_get_child_by_name(self->stack, name);
    return child ? gtk_stack_page_get_title(gtk_stack_get_page(self->stack, child)) : NULL;
}

/* The badge: GtkStackSwitcher (no libadwaita here) shows a page's title and, with
 * needs-attention, a dot; so the count of active alerts goes into the title. */
static void on_alerts_active(NvgAlertsPage *page, GParamSpec *pspec, NvgWindow *self)
{
    guint n = nvg_alerts_page_get_active(page);
    g_autofree char *title = n ? g_strdup_printf("Alerts (%u)", n) : g_strdup("Alerts");
    gtk_stack_page_set_title(self->alerts_tab, title);
    gtk_stack_page_set_needs_attention(self->alerts_tab, n > 0);
}

void nvg_window_show_page(NvgWindow *self, const char *name)
{
    if (gtk_stack_get_child_by_name(self->stack, name))
        gtk_stack_set_visible_child_name(self->stack, name);
}

void nvg_window_focus_filter(NvgWindow *self)
{
    gtk_stack_set_visible_child_name(self->stack, "packets");
    nvg_packets_page_focus_filter(self->packets);
}

/* ---- the drain ------------------------------------------------------------------------------ */

/* One feed message to the page that shows it; *m is NULL afterwards when the page kept it. */
static void route(NvgWindow *self, struct nvg_feed_msg **m)
{
    switch ((*m)->kind) {
    case NVG_FEED_STATUS:
        nvg_alerts_page_status(self->alerts, (const Netvigil__CollectorStatus *)(*m)->pb);
        if (nvg_sensors_page_take_status(self->sensors, m))
            update_selector(self, nvg_sensors_page_get_status(self->sensors));
        break;
    case NVG_FEED_EVENT:
        nvg_sensors_page_add_event(self->sensors, (const Netvigil__Event *)(*m)->pb);
        break;
    case NVG_FEED_REPLY:
        if (!nvg_flows_page_reply(self->flows, *m) && !nvg_alerts_page_reply(self->alerts, *m))
            nvg_sensors_page_reply(self->sensors, *m);
        break;
    case NVG_FEED_ALERT:
        nvg_alerts_page_take_alert(self->alerts, (const Netvigil__Alert *)(*m)->pb);
        break;
    case NVG_FEED_FLOW:
        nvg_flows_page_take_flows(self->flows, (const Netvigil__FlowBatch *)(*m)->pb);
        break;
    case NVG_FEED_RATES:
        nvg_traffic_page_add_rates(self->traffic, (const Netvigil__RateBatch *)(*m)->pb);
        break;
    case NVG_FEED_TALKERS:
        nvg_traffic_page_take_talkers(self->traffic, m);
        break;
    case NVG_FEED_KINDS:
        break; /* never made */
    }
}

static void real_drain(NvgWindow *self)
{
    gint64 t0 = g_get_monotonic_time();
    struct nvg_feed_stats fs = {0};
    if (self->feed) {
        guint n;
        const struct nvg_view_rec *recs = nvg_feed_take_records(self->feed, &n);
        nvg_packets_page_append(self->packets, recs, n);
        struct nvg_feed_msg *m;
        for (int i = 0; i < MAX_MSGS_PER_DRAIN && (m = nvg_feed_pop(self->feed)); i++) {
            route(self, &m);
            nvg_feed_msg_free(m);
            if (g_get_monotonic_time() - t0 > DRAIN_BUDGET_US)
                break;
        }
        nvg_feed_get_stats(self->feed, &fs);
    }
    if (t0 - self->rate_t0 >= G_USEC_PER_SEC) {
        self->feed_rate =
            (double)(fs.records - self->rate_n0) * G_USEC_PER_SEC / (t0 - self->rate_t0);
        self->rate_t0 = t0;
        self->rate_n0 = fs.records;
        nvg_sensors_page_expire_requests(self->sensors);
    }
    update_connection(self, &fs, t0);
    update_status_bar(self, &fs);
}

static gboolean on_drain_timer(gpointer data)
{
    g_signal_emit(data, signals[SIGNAL_DRAIN], 0);
    return G_SOURCE_CONTINUE;
}

/* ---- GObject ------------------------------------------------------------------------------ */

/* The feed worker for the application's configuration: its endpoints and keys (given, or
 * the defaults in $XDG_CONFIG_HOME/netvigil/). Without it the badge says why. */
static void start_feed(NvgWindow *self)
{
    const struct nvg_viewer_config *cfg = self->config;
    struct nvg_cert own, collector;
    char err[NVG_ERRBUF_SIZE] = "";
    GError *error = NULL;
    g_clear_pointer(&self->feed_error, g_free);
    int keys =
        nvg_cert_load_client(cfg->key_path, cfg->collector_key_path, true, &own, &collector, err);
    if (keys < 0) {
        self->feed_error = g_strdup_printf("keys: %s", err);
    } else {
        /* hand-over buffer: ~0.65 s of a 100k records/s feed, never more than the ring shows */
        struct nvg_packets_page_counts c;
        nvg_packets_page_get_counts(self->packets, &c);
        GtkApplication *app = gtk_window_get_application(GTK_WINDOW(self));
        self->feed =
            nvg_feed_new(nvg_application_get_zmq_context(NVG_APPLICATION(app)), cfg->feed_ep,
                         cfg->control_ep, keys ? &own : NULL, keys ? &collector : NULL,
                         MIN(c.capacity, 65536u), self->names, &error);
        if (!self->feed)
            self->feed_error = g_strdup(error->message);
        g_clear_error(&error);
    }
    memset(own.secret_key, 0, sizeof(own.secret_key));
    if (self->feed_error)
        g_warning("%s", self->feed_error);
    char ep[700];
    g_snprintf(ep, sizeof(ep), "feed %s · control %s%s", cfg->feed_ep, cfg->control_ep,
               keys > 0 ? " · with keys" : "");
    gtk_label_set_text(self->status_endpoint, ep);
}

void nvg_window_reconnect(NvgWindow *self)
{
    g_return_if_fail(NVG_IS_WINDOW(self));
    nvg_sensors_page_set_feed(self->sensors, NULL);
    nvg_alerts_page_set_feed(self->alerts, NULL);
    nvg_flows_page_set_feed(self->flows, NULL);
    nvg_feed_free(self->feed); /* joins its worker and closes its sockets */
    self->feed = NULL;
    start_feed(self);
    nvg_sensors_page_set_feed(self->sensors, self->feed);
    nvg_alerts_page_set_feed(self->alerts, self->feed);
    nvg_flows_page_set_feed(self->flows, self->feed);
    self->rate_n0 = 0;
    self->conn_state = -1;
    set_conn_state(self, self->feed ? CONN_CONNECTING : CONN_FAILED, 0);
}

/* The pages and the feed, from the application's configuration: after construction, since
 * GtkWindow's "application" is set only once the construct properties are. */
static void add_pages(NvgWindow *self, NvgApplication *app)
{
    self->config = nvg_application_get_config(app);
    self->packets = NVG_PACKETS_PAGE(nvg_packets_page_new(self->config->ring_size, self->names));
    gtk_stack_add_titled(self->stack, GTK_WIDGET(self->packets), "packets", "Packets");

    start_feed(self);
    self->sensors = NVG_SENSORS_PAGE(nvg_sensors_page_new(self->feed));
    gtk_stack_add_titled(self->stack, GTK_WIDGET(self->sensors), "sensors", "Sensors");
    self->traffic = NVG_TRAFFIC_PAGE(nvg_traffic_page_new());
    gtk_stack_add_titled(self->stack, GTK_WIDGET(self->traffic), "traffic", "Traffic");
    self->alerts = NVG_ALERTS_PAGE(nvg_alerts_page_new(self->feed));
    self->alerts_tab =
        gtk_stack_add_titled(self->stack, GTK_WIDGET(self->alerts), "alerts", "Alerts");
    g_signal_connect(self->alerts, "notify::active", G_CALLBACK(on_alerts_active), self);
    self->flows = NVG_FLOWS_PAGE(nvg_flows_page_new(self->feed));
    gtk_stack_add_titled(self->stack, GTK_WIDGET(self->flows), "flows", "Conversations");

    self->rate_t0 = g_get_monotonic_time();
    self->drain_id = g_timeout_add(DRAIN_INTERVAL_MS, on_drain_timer, self);
}

static void nvg_window_dispose(GObject *object)
{
    NvgWindow *self = NVG_WINDOW(object);
    g_clear_handle_id(&self->drain_id, g_source_remove);
    g_clear_handle_id(&self->toast_id, g_source_remove);
    nvg_feed_free(self->feed); /* joins the worker: no more producers after this */
    self->feed = NULL;
    /* no selection callbacks into the pages while the widgets go (GtkWindow's dispose) */
    self->selector_updating = TRUE;
    self->packets = NULL;
    self->sensors = NULL;
    self->traffic = NULL;
    self->alerts = NULL;
    self->alerts_tab = NULL;
    self->flows = NULL;
    g_clear_object(&self->selector_model);
    gtk_widget_dispose_template(GTK_WIDGET(self), NVG_TYPE_WINDOW);
    G_OBJECT_CLASS(nvg_window_parent_class)->dispose(object);
}

static void nvg_window_finalize(GObject *object)
{
    NvgWindow *self = NVG_WINDOW(object);
    nvg_sensor_names_free(self->names);
    g_free(self->feed_error);
    g_free(self->selected);
    G_OBJECT_CLASS(nvg_window_parent_class)->finalize(object);
}

static void nvg_window_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    if (id == PROP_CONNECTION)
        g_value_set_string(value, nvg_window_get_connection(NVG_WINDOW(object)));
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void nvg_window_class_init(NvgWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = nvg_window_dispose;
    oc->finalize = nvg_window_finalize;
    oc->get_property = nvg_window_get_property;
    props[PROP_CONNECTION] =
        g_param_spec_string("connection", NULL, NULL, "connecting",
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    signals[SIGNAL_DRAIN] = g_signal_new_class_handler(
        "drain", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
        G_CALLBACK(real_drain), NULL, NULL, NULL, G_TYPE_NONE, 0);
    gtk_widget_class_install_action(wc, "window.toast", "s", act_toast);
    gtk_widget_class_set_template_from_resource(wc, "/org/netvigil/Viewer/nvg-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(wc, NvgWindow, name)
    CHILD(sensor_selector);
    CHILD(conn_label);
    CHILD(stack);
    CHILD(toast_revealer);
    CHILD(toast_label);
    CHILD(status_shown);
    CHILD(status_received);
    CHILD(status_rate);
    CHILD(status_dropped);
    CHILD(status_endpoint);
#undef CHILD
}

static void nvg_window_init(NvgWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->names = nvg_sensor_names_new();
    self->selected = g_strdup("");
    self->conn_state = -1;
    self->selector_model = gtk_string_list_new((const char *const[]){"All sensors", NULL});
    gtk_drop_down_set_model(self->sensor_selector, G_LIST_MODEL(self->selector_model));
    g_signal_connect(self->sensor_selector, "notify::selected", G_CALLBACK(on_selector), self);
}

NvgWindow *nvg_window_new(GtkApplication *app)
{
    g_return_val_if_fail(NVG_IS_APPLICATION(app), NULL);
    NvgWindow *self = g_object_new(NVG_TYPE_WINDOW, "application", app, "title", "netvigil", NULL);
    add_pages(self, NVG_APPLICATION(app));
    return self;
}
