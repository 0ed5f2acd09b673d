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
#include "nvg-first-run.h"
#include "nvg-format.h"
#include "nvg-rate-series.h"
#include "nvg-sensor-names.h"

#define DRAIN_INTERVAL_MS 50                /* at most 20 list updates per second */
#define CONN_SILENT_US (3 * G_USEC_PER_SEC) /* the collector publishes status every second */
#define MAX_MSGS_PER_DRAIN 400
/* Time one drain may spend on messages: a flood (of events, say) then waits in the feed's
 * byte-bounded queue, or is dropped there, instead of freezing the main loop. */
#define DRAIN_BUDGET_US (20 * 1000)
/* The first-run page waits this long for a first answer, so that a collector that is there
 * (it publishes its status every second) never makes it flash. */
#define FIRST_RUN_DELAY_US (2 * G_USEC_PER_SEC)

enum {
    CONN_CONNECTING,
    CONN_OK,
    CONN_RECONNECTING,
    CONN_FAILED,
    CONN_REFUSED,
    CONN_MISMATCH,
    CONN_PARTIAL, /* several collectors: some connected, some not */
};

struct _NvgWindow {
    GtkApplicationWindow parent_instance;

    /* template children */
    GtkDropDown *sensor_selector;
    GtkLabel *conn_label;
    GtkStack *stack, *content_stack; /* content_stack: the pages' stack or the first-run page */
    GtkStackSwitcher *switcher;
    NvgFirstRun *first_run;
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
    gboolean answered; /* a collector answered since the feed started: no first-run page */
    gint64 feed_t0;    /* when the feed started */
    int collector_state[NVG_FEED_MAX_COLLECTORS]; /* with several: each one's CONN_* */
    char *partial_text;                           /* CONN_PARTIAL's badge */

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
    [CONN_PARTIAL] = "partial",
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
                      : state == CONN_PARTIAL                         ? classes[1]
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
    case CONN_PARTIAL:
        g_strlcpy(text, self->partial_text ? self->partial_text : "Partly connected", sizeof(text));
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
static int link_state(const struct nvg_feed_stats *fs, gint64 now, gint64 *away_s)
{
    *away_s = 0;
    /* a refusal newer than the last data: libzmq keeps retrying, and is refused each time */
    if ((fs->auth == NVG_FEED_AUTH_REFUSED || fs->auth == NVG_FEED_AUTH_MISMATCH) &&
        fs->auth_change_us >= fs->last_rx_us)
        return fs->auth == NVG_FEED_AUTH_REFUSED ? CONN_REFUSED : CONN_MISMATCH;
    gboolean ever = fs->last_rx_us != 0 || fs->disconnects != 0;
    /* with a monitor, data counts only when it came after the latest (re)connect */
    gboolean link_ok =
        fs->link_change_us == 0 || (fs->link_up && fs->last_rx_us >= fs->link_change_us);
    if (link_ok && fs->last_rx_us && now - fs->last_rx_us < CONN_SILENT_US)
        return CONN_OK;
    if (!ever)
        return CONN_CONNECTING;
    gint64 since = fs->last_rx_us;
    if (!fs->link_up && fs->link_change_us > since)
        since = fs->link_change_us;
    *away_s = since ? (now - since) / G_USEC_PER_SEC : 0;
    return CONN_RECONNECTING;
}

/* Several collectors: connected when all are; partial, naming the ones away, when some are;
 * else the first one's state. */
static void update_collectors(NvgWindow *self, gint64 now)
{
    guint n = nvg_feed_get_n_collectors(self->feed), ok = 0;
    GString *away = g_string_new(NULL);
    int first = CONN_CONNECTING;
    gint64 first_away = 0;
    for (guint i = 0; i < n; i++) {
        struct nvg_feed_stats fs;
        gint64 away_s;
        nvg_feed_get_collector_stats(self->feed, i, &fs);
        int st = link_state(&fs, now, &away_s);
        if (st != self->collector_state[i])
            g_info("collector %s: %s", nvg_feed_get_label(self->feed, i), conn_names[st]);
        self->collector_state[i] = st;
        ok += st == CONN_OK;
        if (st != CONN_OK)
            g_string_append_printf(away, "%s%s %s", away->len ? ", " : "",
                                   nvg_feed_get_label(self->feed, i),
                                   st == CONN_RECONNECTING ? "away" : conn_names[st]);
        if (st == CONN_RECONNECTING && away_s)
            g_string_append_printf(away, " %" G_GINT64_FORMAT " s", away_s);
        if (i == 0) {
            first = st;
            first_away = away_s;
        }
    }
    g_free(self->partial_text);
    self->partial_text = g_strdup_printf("● %u of %u collectors · %s", ok, n, away->str);
    g_string_free(away, TRUE);
    if (ok == n || ok == 0)
        set_conn_state(self, ok ? CONN_OK : first, first_away);
    else
        set_conn_state(self, CONN_PARTIAL, 0);
}

/* connected: the feed link is up and a message came over it within CONN_SILENT_US (the
 * collector publishes its status every second). reconnecting: it was connected once and the
 * link dropped (noticed at once through the socket monitor) or went silent; ZeroMQ reconnects
 * by itself (backing off up to 2 s) and the state returns to connected with the next message. */
/* The first-run page instead of the pages while nothing has answered since the feed started;
 * a collector that goes away later leaves its rows in view (the badge says reconnecting). */
static void update_first_run(NvgWindow *self, gint64 now)
{
    int st = self->conn_state;
    self->answered |= st == CONN_OK || st == CONN_PARTIAL;
    gboolean show = !self->answered && now - self->feed_t0 >= FIRST_RUN_DELAY_US;
    static const enum nvg_first_run_reason reasons[] = {
        [CONN_CONNECTING] = NVG_FIRST_RUN_NO_ANSWER, [CONN_RECONNECTING] = NVG_FIRST_RUN_NO_ANSWER,
        [CONN_FAILED] = NVG_FIRST_RUN_FAILED,        [CONN_REFUSED] = NVG_FIRST_RUN_REFUSED,
        [CONN_MISMATCH] = NVG_FIRST_RUN_MISMATCH,
    };
    if (show)
        nvg_first_run_set(self->first_run, reasons[st >= 0 && st <= CONN_MISMATCH ? st : 0],
                          gtk_label_get_text(self->status_endpoint), self->feed_error);
    if (show == g_str_equal(gtk_stack_get_visible_child_name(self->content_stack), "first-run"))
        return;
    gtk_stack_set_visible_child_name(self->content_stack, show ? "first-run" : "pages");
    gtk_widget_set_sensitive(GTK_WIDGET(self->switcher), !show);
    g_info("first-run page %s: %s", show ? "shown" : "hidden",
           show ? nvg_first_run_get_title(self->first_run) : "a collector answered");
}

static void update_connection(NvgWindow *self, const struct nvg_feed_stats *fs, gint64 now)
{
    gint64 away_s = 0;
    if (!self->feed)
        set_conn_state(self, CONN_FAILED, 0);
    else if (nvg_feed_get_n_collectors(self->feed) > 1)
        update_collectors(self, now);
    else
        set_conn_state(self, link_state(fs, now, &away_s), away_s);
    update_first_run(self, now);
}

GVariant *nvg_window_get_collectors(NvgWindow *self)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a(sss)"));
    guint n = self->feed ? nvg_feed_get_n_collectors(self->feed) : 0;
    for (guint i = 0; i < n; i++) {
        const char *label = nvg_feed_get_label(self->feed, i);
        int st = n > 1 ? self->collector_state[i] : self->conn_state;
        g_variant_builder_add(&b, "(sss)", label ? label : "", nvg_feed_get_endpoint(self->feed, i),
                              conn_names[st >= 0 ? st : CONN_CONNECTING]);
    }
    return g_variant_builder_end(&b);
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

const char *nvg_window_get_page(NvgWindow *self)
{
    return gtk_stack_get_visible_child_name(self->stack);
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
        for (guint c = 0; c < nvg_feed_get_n_collectors(self->feed); c++) {
            guint n;
            const struct nvg_view_rec *recs = nvg_feed_take_records(self->feed, c, &n);
            nvg_packets_page_append(self->packets, recs, n);
        }
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

static struct nvg_feed *new_feed(NvgWindow *self, const struct nvg_viewer_config *cfg,
                                 const struct nvg_cert *own, const struct nvg_cert *collector,
                                 int keys)
{
    /* hand-over buffer: ~0.65 s of a 100k records/s feed, never more than the ring shows */
    struct nvg_packets_page_counts pc;
    nvg_packets_page_get_counts(self->packets, &pc);
    GtkApplication *app = gtk_window_get_application(GTK_WINDOW(self));
    void *zctx = nvg_application_get_zmq_context(NVG_APPLICATION(app));
    guint cap = MIN(pc.capacity, 65536u);
    struct nvg_feed_collector c[NVG_FEED_MAX_COLLECTORS];
    struct nvg_cert certs[NVG_FEED_MAX_COLLECTORS];
    char *strings[3 * NVG_FEED_MAX_COLLECTORS] = {0};
    guint n = 1;
    GError *error = NULL;
    struct nvg_feed *feed = NULL;
    c[0] = (struct nvg_feed_collector){NULL, cfg->feed_ep, cfg->control_ep, keys ? own : NULL,
                                       keys ? collector : NULL};
    if (!cfg->collectors || nvg_viewer_config_collectors(cfg, collector, keys, c, certs, strings,
                                                         &n, &self->feed_error)) {
        for (guint i = 0; cfg->collectors && i < n; i++) {
            c[i].own = keys ? own : NULL;
            c[i].collector = keys ? &certs[i] : NULL;
        }
        feed = nvg_feed_new_multi(zctx, c, n, cap, self->names, &error);
    }
    if (!feed && error)
        self->feed_error = g_strdup(error->message);
    g_clear_error(&error);
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
        g_free(strings[i]);
    for (guint i = 0; i < G_N_ELEMENTS(certs); i++)
        memset(certs[i].secret_key, 0, sizeof(certs[i].secret_key));
    return feed;
}

/* The feed workers for the application's configuration: its endpoints and keys (given, or
 * the defaults in $XDG_CONFIG_HOME/netvigil/). Without them the badge says why. */
static void start_feed(NvgWindow *self)
{
    const struct nvg_viewer_config *cfg = self->config;
    struct nvg_cert own, collector;
    char err[NVG_ERRBUF_SIZE] = "";
    g_clear_pointer(&self->feed_error, g_free);
    g_autofree char *collector_key = nvg_viewer_config_first_collector_key(cfg);
    int keys = nvg_cert_load_client(cfg->key_path, collector_key, true, &own, &collector, err);
    if (keys < 0)
        self->feed_error = g_strdup_printf("keys: %s", err);
    else
        self->feed = new_feed(self, cfg, &own, &collector, keys);
    memset(own.secret_key, 0, sizeof(own.secret_key));
    if (self->feed_error)
        g_warning("%s", self->feed_error);
    char ep[700];
    if (cfg->collectors)
        g_snprintf(ep, sizeof(ep), "collectors %s%s", cfg->host, keys > 0 ? " · with keys" : "");
    else
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
    self->answered = FALSE;
    self->feed_t0 = g_get_monotonic_time();
    for (guint i = 0; i < NVG_FEED_MAX_COLLECTORS; i++)
        self->collector_state[i] = CONN_CONNECTING;
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

    self->rate_t0 = self->feed_t0 = g_get_monotonic_time();
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
    self->first_run = NULL;
    g_clear_object(&self->selector_model);
    gtk_widget_dispose_template(GTK_WIDGET(self), NVG_TYPE_WINDOW);
    G_OBJECT_CLASS(nvg_window_parent_class)->dispose(object);
}

static void nvg_window_finalize(GObject *object)
{
    NvgWindow *self = NVG_WINDOW(object);
    nvg_sensor_names_free(self->names);
    g_free(self->feed_error);
    g_free(self->partial_text);
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
    g_type_ensure(NVG_TYPE_FIRST_RUN);
    gtk_widget_class_set_template_from_resource(wc, "/org/netvigil/Viewer/nvg-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(wc, NvgWindow, name)
    CHILD(sensor_selector);
    CHILD(conn_label);
    CHILD(stack);
    CHILD(content_stack);
    CHILD(switcher);
    CHILD(first_run);
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
