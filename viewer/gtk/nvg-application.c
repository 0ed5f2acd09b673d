#include "nvg-application.h"

#include <glib-unix.h>
#include <string.h>
#include <zmq.h>

#include "netvigil.pb-c.h"
#include "nvg-connect-dialog.h"
#include "nvg-pcap-export.h"
#include "nvg-viewer-stats.h"
#include "nvg-window-settings.h"

struct _NvgApplication {
    GtkApplication parent_instance;
    struct nvg_viewer_config config;
    void *zctx;                           /* owned: terminated at finalize */
    NvgWindow *window;                    /* weak: the application holds it while it is open */
    struct nvg_window_settings *settings; /* the window's, while it is open */
    guint alerts_idle;                    /* app.alerts' state is due for a refresh */
    guint flows_idle;                     /* app.flows' */
    guint flows_tick; /* app.flows' hosts: a refresh a second, as the page polls them */
};

G_DEFINE_FINAL_TYPE(NvgApplication, nvg_application, GTK_TYPE_APPLICATION)

static NvgWindow *win(NvgApplication *self)
{
    return self->window;
}

#define WITH_WINDOW(self, w)                                                                       \
    NvgWindow *w = win(self);                                                                      \
    if (!w)                                                                                        \
        return;

#define WITH_PACKETS(self, page)                                                                   \
    WITH_WINDOW(self, w_);                                                                         \
    NvgPacketsPage *page = nvg_window_get_packets_page(w_);

static void act_apply_filter(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_PACKETS(NVG_APPLICATION(data), page);
    g_autoptr(GError) error = NULL;
    if (!nvg_packets_page_apply_filter_spec(page, g_variant_get_string(p, NULL), &error))
        g_message("%s", error->message);
}

static void act_clear_filter(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_PACKETS(NVG_APPLICATION(data), page);
    nvg_packets_page_clear_filter(page);
}

static void act_export(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_PACKETS(NVG_APPLICATION(data), page);
    const char *path = g_variant_get_string(p, NULL);
    if (!*path) {
        nvg_packets_page_export_dialog(page);
        return;
    }
    g_autoptr(GError) error = NULL;
    if (!nvg_packets_page_export(page, path, &error))
        g_message("export: %s", error->message);
}

static void act_clear_list(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_PACKETS(NVG_APPLICATION(data), page);
    nvg_packets_page_clear_list(page);
}

static void act_toggle(GSimpleAction *a, GVariant *p, gpointer data)
{
    g_autoptr(GVariant) state = g_action_get_state(G_ACTION(a));
    g_action_change_state(G_ACTION(a), g_variant_new_boolean(!g_variant_get_boolean(state)));
}

static void change_pause(GSimpleAction *a, GVariant *v, gpointer data)
{
    g_simple_action_set_state(a, v);
    if (win(data))
        nvg_packets_page_set_paused(nvg_window_get_packets_page(win(data)),
                                    g_variant_get_boolean(v));
}

static void change_follow(GSimpleAction *a, GVariant *v, gpointer data)
{
    g_simple_action_set_state(a, v);
    if (win(data))
        nvg_packets_page_set_follow(nvg_window_get_packets_page(win(data)),
                                    g_variant_get_boolean(v));
}

static void act_select_sensor(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    if (!nvg_window_select_sensor(w, g_variant_get_string(p, NULL)))
        g_message("select-sensor: no sensor '%s' in the collector's status",
                  g_variant_get_string(p, NULL));
}

static void command(gpointer data, int kind, const char *sensor, const char *filter)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    nvg_sensors_page_command(nvg_window_get_sensors_page(w), kind, sensor, filter);
}

static void act_start(GSimpleAction *a, GVariant *p, gpointer data)
{
    command(data, NETVIGIL__COMMAND_KIND__COMMAND_START, g_variant_get_string(p, NULL), NULL);
}

static void act_stop(GSimpleAction *a, GVariant *p, gpointer data)
{
    command(data, NETVIGIL__COMMAND_KIND__COMMAND_STOP, g_variant_get_string(p, NULL), NULL);
}

static void act_restart(GSimpleAction *a, GVariant *p, gpointer data)
{
    command(data, NETVIGIL__COMMAND_KIND__COMMAND_RESTART, g_variant_get_string(p, NULL), NULL);
}

static void act_set_filter(GSimpleAction *a, GVariant *p, gpointer data)
{
    const char *sensor, *expr;
    g_variant_get(p, "(&s&s)", &sensor, &expr);
    command(data, NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER, sensor, expr);
}

static void act_focus_filter(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    nvg_window_focus_filter(w);
}

static void act_show_page(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    nvg_window_show_page(w, g_variant_get_string(p, NULL));
}

/* app.connect (sss): collector host ("HOST" or "HOST:FEEDPORT"), the collector's public key
 * file, our key pair file ("" = the default): remembered in viewer.ini, and the window's feed
 * starts again with them. What the Connect dialog's Connect button does. */
static void act_connect(GSimpleAction *a, GVariant *p, gpointer data)
{
    NvgApplication *self = data;
    const char *host, *collector_key, *key;
    g_variant_get(p, "(&s&s&s)", &host, &collector_key, &key);
    g_autoptr(GError) error = NULL;
    struct nvg_viewer_config c = {0};
    nvg_viewer_config_copy(&c, &self->config);
    if (!nvg_viewer_config_set_hosts(&c, host, &error)) {
        g_message("connect: %s", error->message);
        if (self->window)
            gtk_widget_activate_action(GTK_WIDGET(self->window), "window.toast", "s",
                                       error->message);
        nvg_viewer_config_clear(&c);
        return;
    }
    g_free(c.collector_key_path);
    g_free(c.key_path);
    c.collector_key_path = *collector_key ? g_strdup(collector_key) : NULL;
    c.key_path = *key ? g_strdup(key) : NULL;
    nvg_viewer_config_copy(&self->config, &c);
    nvg_viewer_config_clear(&c);
    g_autofree char *ini = nvg_viewer_config_path();
    if (ini && !nvg_viewer_config_save(&self->config, ini, &error))
        g_message("connect: not remembered: %s", error->message);
    if (self->settings)
        nvg_window_settings_add_recent(self->settings, host, collector_key, key);
    g_info("connect: %s (%s)", self->config.host, self->config.feed_ep);
    if (self->window)
        nvg_window_reconnect(self->window);
}

/* app.activate-alert t: as activating the alert's row (the packet list filtered to its
 * source). */
static void act_activate_alert(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    if (!nvg_alerts_page_activate_alert(nvg_window_get_alerts_page(w), g_variant_get_uint64(p)))
        g_message("activate-alert: alert %" G_GUINT64_FORMAT " is not listed",
                  g_variant_get_uint64(p));
}

/* app.alerts' state (uusa(tsss)): the rows the Alerts page lists, the active alerts, the
 * page switcher's title of the page (its badge), and the first ALERTS_STATE_ROWS rows listed
 * (newest first): id, "active" or "ended", severity (Severity's number as text), summary.
 * Every change goes to D-Bus whole (org.gtk.Actions.Changed): hence the cap, and at most one
 * refresh per ALERTS_STATE_MS. */
#define ALERTS_STATE_ROWS 100
#define ALERTS_STATE_MS 200

static GVariant *alerts_state(NvgWindow *w)
{
    NvgAlertsPage *page = nvg_window_get_alerts_page(w);
    GListModel *m = nvg_alerts_page_get_model(page);
    GVariantBuilder rows;
    g_variant_builder_init(&rows, G_VARIANT_TYPE("a(tsss)"));
    for (guint i = 0; i < MIN(g_list_model_get_n_items(m), ALERTS_STATE_ROWS); i++) {
        g_autoptr(NvgAlertItem) item = g_list_model_get_item(m, i);
        const struct nvg_alert *a = nvg_alert_item_get(item);
        char sev[8];
        g_snprintf(sev, sizeof(sev), "%d", a->severity);
        g_variant_builder_add(&rows, "(tsss)", (guint64)a->id, a->ended ? "ended" : "active", sev,
                              a->summary);
    }
    const char *title = nvg_window_get_page_title(w, "alerts");
    return g_variant_new("(uus@a(tsss))", g_list_model_get_n_items(m),
                         nvg_alerts_page_get_active(page), title ? title : "",
                         g_variant_builder_end(&rows));
}

static gboolean refresh_alerts_state(gpointer data)
{
    NvgApplication *self = data;
    self->alerts_idle = 0;
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "alerts");
    if (a && self->window)
        g_simple_action_set_state(G_SIMPLE_ACTION(a), alerts_state(self->window));
    return G_SOURCE_REMOVE;
}

/* Coalesced: a burst of alert events refreshes the state once. */
static void schedule_alerts_state(NvgApplication *self)
{
    if (!self->alerts_idle)
        self->alerts_idle = g_timeout_add(ALERTS_STATE_MS, refresh_alerts_state, self);
}

static void on_alerts_items(GListModel *m, guint pos, guint removed, guint added,
                            NvgApplication *self)
{
    schedule_alerts_state(self);
}

static void on_alerts_active(GObject *page, GParamSpec *pspec, NvgApplication *self)
{
    schedule_alerts_state(self);
}

/* ---- the Conversations page ------------------------------------------------------------------ */

/* app.flows' state (uu@a(tssssstd)@astt): the rows the Conversations page lists, the rows it
 * holds, the first FLOWS_STATE_ROWS rows in the table's order (id, sensor, protocol,
 * originator, responder as shown, end, bytes both ways, rate in bytes/s), the top hosts it
 * shows ("addr in/s out/s"), the conversations dropped to keep within its cap, and the feed's
 * messages dropped with its hand-over queue full (any kind: a flood the main thread could not
 * keep up with). Refreshed as app.alerts is. */
#define FLOWS_STATE_ROWS 100

static GVariant *flows_state(NvgWindow *w)
{
    NvgFlowsPage *page = nvg_window_get_flows_page(w);
    GListModel *m = nvg_flows_page_get_model(page);
    GVariantBuilder rows;
    g_variant_builder_init(&rows, G_VARIANT_TYPE("a(tssssstd)"));
    for (guint i = 0; i < MIN(g_list_model_get_n_items(m), FLOWS_STATE_ROWS); i++) {
        g_autoptr(NvgFlowItem) item = g_list_model_get_item(m, i);
        const struct nvg_flow_row *r = nvg_flow_item_get(item);
        char o[64], d[64];
        nvg_format_addr(o, r->flow.orig, r->flow.ip_version);
        nvg_format_addr(d, r->flow.resp, r->flow.ip_version);
        g_autofree char *os = g_strdup_printf("%s:%u", o, r->flow.orig_port);
        g_autofree char *ds = g_strdup_printf("%s:%u", d, r->flow.resp_port);
        g_variant_builder_add(&rows, "(tssssstd)", (guint64)r->flow.id, r->sensor,
                              nvg_proto_name((enum nvg_proto)r->flow.proto), os, ds,
                              nvg_flow_end_name((enum nvg_flow_end)r->flow.end),
                              (guint64)nvg_flow_row_bytes(r), r->rate);
    }
    g_auto(GStrv) hosts = nvg_flows_page_get_hosts(page);
    NvgFlowStore *store = nvg_flows_page_get_store(page);
    struct nvg_feed_stats fs;
    nvg_window_get_feed_stats(w, &fs);
    return g_variant_new("(uu@a(tssssstd)^astt)", g_list_model_get_n_items(m),
                         g_list_model_get_n_items(G_LIST_MODEL(store)),
                         g_variant_builder_end(&rows), hosts,
                         (guint64)nvg_flow_store_get_dropped(store), (guint64)fs.queue_dropped);
}

static gboolean refresh_flows_state(gpointer data)
{
    NvgApplication *self = data;
    self->flows_idle = 0;
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "flows");
    if (a && self->window)
        g_simple_action_set_state(G_SIMPLE_ACTION(a), flows_state(self->window));
    return G_SOURCE_REMOVE;
}

static void on_flows_items(GListModel *m, guint pos, guint removed, guint added,
                           NvgApplication *self)
{
    if (!self->flows_idle)
        self->flows_idle = g_timeout_add(ALERTS_STATE_MS, refresh_flows_state, self);
}

/* app.collectors: read-only, each collector's (label, feed endpoint, state), refreshed with
 * the connection and once a second (a collector's own state changes under "partial"). */
static void refresh_collectors(NvgApplication *self)
{
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "collectors");
    if (a && self->window)
        g_simple_action_set_state(G_SIMPLE_ACTION(a), nvg_window_get_collectors(self->window));
}

static gboolean on_flows_tick(gpointer data)
{
    on_flows_items(NULL, 0, 0, 0, data);
    refresh_collectors(data);
    return G_SOURCE_CONTINUE;
}

/* app.activate-flow (st): as activating the row of sensor's conversation id. */
static void act_activate_flow(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    const char *sensor;
    guint64 id;
    g_variant_get(p, "(&st)", &sensor, &id);
    if (!nvg_flows_page_activate(nvg_window_get_flows_page(w), sensor, id))
        g_message("activate-flow: %s/%" G_GUINT64_FORMAT " is not listed", sensor, id);
}

/* app.sort-flows s: "bytes", "rate", "duration", "rtt" or "retrans", heaviest first. */
static void act_sort_flows(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    enum nvg_flow_sort key;
    if (nvg_flow_sort_parse(g_variant_get_string(p, NULL), &key) == 0)
        nvg_flows_page_sort(nvg_window_get_flows_page(w), key);
    else
        g_message("sort-flows: no such key %s", g_variant_get_string(p, NULL));
}

/* app.flows-filter s: the Conversations page's display filter ("proto=..;src=..", "" = none). */
static void act_flows_filter(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    g_autoptr(GError) error = NULL;
    if (!nvg_flows_page_apply_filter_spec(nvg_window_get_flows_page(w),
                                          g_variant_get_string(p, NULL), &error))
        g_message("%s", error->message);
}

static void act_connect_dialog(GSimpleAction *a, GVariant *p, gpointer data)
{
    NvgApplication *self = data;
    if (self->window)
        nvg_connect_dialog_present(GTK_WINDOW(self->window), &self->config,
                                   nvg_window_settings_get(self->settings));
}

static void act_about(GSimpleAction *a, GVariant *p, gpointer data)
{
    NvgApplication *self = data;
    gtk_show_about_dialog(self->window ? GTK_WINDOW(self->window) : NULL, "program-name",
                          "netvigil viewer", "version", NVG_VERSION, "comments",
                          "Live packets, sensors and traffic of a netvigil collector",
                          "logo-icon-name", "network-workgroup-symbolic", "license-type",
                          GTK_LICENSE_UNKNOWN, NULL);
}

/* app.chart (su): the Traffic chart's unit ("packets" or "bytes") and window (60, 300, 900 or
 * 3600 s), as its drop-downs set them. */
static void act_chart(GSimpleAction *a, GVariant *p, gpointer data)
{
    WITH_WINDOW(NVG_APPLICATION(data), w);
    const char *unit;
    guint32 window_s;
    g_variant_get(p, "(&su)", &unit, &window_s);
    if ((strcmp(unit, "packets") != 0 && strcmp(unit, "bytes") != 0) ||
        !nvg_traffic_page_set_chart(nvg_window_get_traffic_page(w), strcmp(unit, "bytes") == 0,
                                    window_s))
        g_message("chart: give 'packets' or 'bytes' and 60, 300, 900 or 3600 s, not '%s' %u", unit,
                  window_s);
}

static void act_quit(GSimpleAction *a, GVariant *p, gpointer data)
{
    NvgApplication *self = data;
    nvg_window_settings_flush(self->settings); /* while the pages are still there */
    if (self->window)
        gtk_window_destroy(GTK_WINDOW(self->window));
    g_application_quit(G_APPLICATION(self));
}

/* app.connection: read-only; its state is the window's connection ('connecting', 'connected',
 * 'reconnecting', 'refused', 'handshake-failed', 'failed'), so scripts can read it
 * (org.gtk.Actions.Describe) or watch it (org.gtk.Actions.Changed). Requests to change it are
 * ignored. */
static void change_readonly(GSimpleAction *a, GVariant *v, gpointer data)
{
}

static void on_connection(NvgWindow *w, GParamSpec *pspec, NvgApplication *self)
{
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "connection");
    if (a)
        g_simple_action_set_state(G_SIMPLE_ACTION(a),
                                  g_variant_new_string(nvg_window_get_connection(w)));
    refresh_collectors(self);
}

static const GActionEntry app_actions[] = {
    {"connection", NULL, NULL, "'connecting'", change_readonly, {0}},
    {"collectors", NULL, NULL, "@a(sss) []", change_readonly, {0}},
    {"apply-filter", act_apply_filter, "s", NULL, NULL, {0}},
    {"clear-filter", act_clear_filter, NULL, NULL, NULL, {0}},
    {"export", act_export, "s", NULL, NULL, {0}},
    {"clear-list", act_clear_list, NULL, NULL, NULL, {0}},
    {"pause", act_toggle, NULL, "false", change_pause, {0}},
    {"follow", act_toggle, NULL, "true", change_follow, {0}},
    {"select-sensor", act_select_sensor, "s", NULL, NULL, {0}},
    {"start", act_start, "s", NULL, NULL, {0}},
    {"stop", act_stop, "s", NULL, NULL, {0}},
    {"restart", act_restart, "s", NULL, NULL, {0}},
    {"set-filter", act_set_filter, "(ss)", NULL, NULL, {0}},
    {"focus-filter", act_focus_filter, NULL, NULL, NULL, {0}},
    {"show-page", act_show_page, "s", NULL, NULL, {0}},
    {"connect", act_connect, "(sss)", NULL, NULL, {0}},
    {"connect-dialog", act_connect_dialog, NULL, NULL, NULL, {0}},
    {"alerts", NULL, NULL, "(uint32 0, uint32 0, '', @a(tsss) [])", change_readonly, {0}},
    {"activate-alert", act_activate_alert, "t", NULL, NULL, {0}},
    {"flows",
     NULL,
     NULL,
     "(uint32 0, uint32 0, @a(tssssstd) [], @as [], uint64 0, uint64 0)",
     change_readonly,
     {0}},
    {"activate-flow", act_activate_flow, "(st)", NULL, NULL, {0}},
    {"sort-flows", act_sort_flows, "s", NULL, NULL, {0}},
    {"flows-filter", act_flows_filter, "s", NULL, NULL, {0}},
    {"chart", act_chart, "(su)", NULL, NULL, {0}},
    {"about", act_about, NULL, NULL, NULL, {0}},
    {"quit", act_quit, NULL, NULL, NULL, {0}},
};

static gboolean on_signal(gpointer data)
{
    act_quit(NULL, NULL, data);
    return G_SOURCE_CONTINUE;
}

static void nvg_application_startup(GApplication *app)
{
    G_APPLICATION_CLASS(nvg_application_parent_class)->startup(app);
    g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions, G_N_ELEMENTS(app_actions), app);
    nvg_pcap_export_install(GTK_APPLICATION(app));
    GtkApplication *gapp = GTK_APPLICATION(app);
    gtk_application_set_accels_for_action(gapp, "app.quit", (const char *[]){"<Control>q", NULL});
    gtk_application_set_accels_for_action(gapp, "app.pause", (const char *[]){"<Control>p", NULL});
    gtk_application_set_accels_for_action(gapp, "app.export('')",
                                          (const char *[]){"<Control>e", NULL});
    gtk_application_set_accels_for_action(gapp, "app.focus-filter",
                                          (const char *[]){"<Control>f", NULL});
    gtk_application_set_accels_for_action(gapp, "app.connect-dialog",
                                          (const char *[]){"<Control>o", NULL});
    GtkCssProvider *css = gtk_css_provider_new();
    gtk_css_provider_load_from_resource(css, "/org/netvigil/Viewer/style.css");
    gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    g_object_unref(css);
    g_unix_signal_add(SIGINT, on_signal, app);
    g_unix_signal_add(SIGTERM, on_signal, app);
}

static void on_window_destroy(GtkWidget *w, NvgApplication *self)
{
    self->window = NULL;
    g_clear_pointer(&self->settings, nvg_window_settings_free);
}

static void nvg_application_activate(GApplication *app)
{
    NvgApplication *self = NVG_APPLICATION(app);
    if (!self->window) {
        self->window = nvg_window_new(GTK_APPLICATION(app));
        g_autofree char *ini = nvg_viewer_config_path();
        self->settings = nvg_window_settings_new(self->window, ini);
        if (self->config.host) /* the command line's or the last one: recent too */
            nvg_window_settings_add_recent(self->settings, self->config.host,
                                           self->config.collector_key_path, self->config.key_path);
        g_signal_connect(self->window, "destroy", G_CALLBACK(on_window_destroy), self);
        g_signal_connect(self->window, "notify::connection", G_CALLBACK(on_connection), self);
        on_connection(self->window, NULL, self);
        nvg_packets_page_set_follow(nvg_window_get_packets_page(self->window), TRUE);
        nvg_viewer_stats_attach(self->window);
        NvgAlertsPage *alerts = nvg_window_get_alerts_page(self->window);
        g_signal_connect(nvg_alerts_page_get_model(alerts), "items-changed",
                         G_CALLBACK(on_alerts_items), self);
        /* after the window's handler, which sets the switcher's title */
        g_signal_connect_after(alerts, "notify::active", G_CALLBACK(on_alerts_active), self);
        schedule_alerts_state(self);
        g_signal_connect(nvg_flows_page_get_model(nvg_window_get_flows_page(self->window)),
                         "items-changed", G_CALLBACK(on_flows_items), self);
        self->flows_tick = g_timeout_add_seconds(1, on_flows_tick, self);
    }
    gtk_window_present(GTK_WINDOW(self->window));
}

static void nvg_application_finalize(GObject *object)
{
    NvgApplication *self = NVG_APPLICATION(object);
    g_clear_handle_id(&self->alerts_idle, g_source_remove);
    g_clear_handle_id(&self->flows_idle, g_source_remove);
    g_clear_handle_id(&self->flows_tick, g_source_remove);
    g_clear_pointer(&self->settings, nvg_window_settings_free);
    nvg_viewer_config_clear(&self->config);
    if (self->zctx)
        zmq_ctx_term(self->zctx); /* every socket is closed by now (LINGER 0) */
    G_OBJECT_CLASS(nvg_application_parent_class)->finalize(object);
}

static void nvg_application_class_init(NvgApplicationClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = nvg_application_finalize;
    G_APPLICATION_CLASS(klass)->startup = nvg_application_startup;
    G_APPLICATION_CLASS(klass)->activate = nvg_application_activate;
}

static void nvg_application_init(NvgApplication *self)
{
}

NvgApplication *nvg_application_new(const char *app_id, const struct nvg_viewer_config *config,
                                    void *zctx)
{
    NvgApplication *self = g_object_new(NVG_TYPE_APPLICATION, "application-id", app_id, "flags",
                                        G_APPLICATION_DEFAULT_FLAGS, "resource-base-path",
                                        "/org/netvigil/Viewer", NULL);
    nvg_viewer_config_copy(&self->config, config);
    self->zctx = zctx;
    return self;
}

const struct nvg_viewer_config *nvg_application_get_config(NvgApplication *self)
{
    g_return_val_if_fail(NVG_IS_APPLICATION(self), NULL);
    return &self->config;
}

void *nvg_application_get_zmq_context(NvgApplication *self)
{
    g_return_val_if_fail(NVG_IS_APPLICATION(self), NULL);
    return self->zctx;
}
