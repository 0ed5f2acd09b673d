/* netvigil-viewer: the GTK 4 desktop viewer of a netvigil collector.
 *
 *   netvigil-viewer [--collector [NAME=]HOST[:PORT]]... [--feed-endpoint EP]
 *                   [--control-endpoint EP]
 *                   [--key FILE.key_secret] [--collector-key FILE.key]
 *                   [--ring-size N] [--app-id ID]
 *
 * Without --collector or endpoints, the collector and keys last chosen in the Connect dialog
 * ($XDG_CONFIG_HOME/netvigil/viewer.ini), else localhost. Keys not given come from the
 * defaults in $XDG_CONFIG_HOME/netvigil/ (nvg_cert_load_client); none at all: no CURVE.
 *
 * Options are parsed here, in the process that was started, so they are never lost to
 * GApplication's single-instance forwarding; run a second viewer (say for a second collector)
 * with its own --app-id. */
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

#include "nvg-application.h"
#include "nvg-packet-store.h"
#include "nvg-renderer.h"
#include "nvg-viewer-config.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

#define RING_MIN 1000
#define RING_MAX 10000000

struct options {
    char **hosts;
    char *feed, *control, *app_id, *key, *collector_key;
    gint ring;
    gboolean version;
};

static void options_clear(struct options *o)
{
    g_strfreev(o->hosts);
    g_free(o->feed);
    g_free(o->control);
    g_free(o->app_id);
    g_free(o->key);
    g_free(o->collector_key);
}

/* -1 to go on, else the exit status. */
static int parse_options(int *argc, char ***argv, struct options *o)
{
    GOptionEntry entries[] = {
        {"collector", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->hosts,
         "Collector host, PORT its feed port (default localhost:7701); repeat it to watch "
         "several collectors, NAME labelling each one's sensors (NAME/SENSOR)",
         "[NAME=]HOST[:PORT]"},
        {"feed-endpoint", 0, 0, G_OPTION_ARG_STRING, &o->feed,
         "Live feed endpoint (default tcp://HOST:7701)", "EP"},
        {"control-endpoint", 0, 0, G_OPTION_ARG_STRING, &o->control,
         "Control endpoint (default tcp://HOST:7702)", "EP"},
        {"key", 0, 0, G_OPTION_ARG_FILENAME, &o->key,
         "Own key pair (default: the one in $XDG_CONFIG_HOME/netvigil/)", "FILE.key_secret"},
        {"collector-key", 0, 0, G_OPTION_ARG_FILENAME, &o->collector_key,
         "The collector's public key (default: $XDG_CONFIG_HOME/netvigil/collector.key); with "
         "several collectors one for all, or a directory of NAME.key",
         "FILE.key"},
        {"ring-size", 0, 0, G_OPTION_ARG_INT, &o->ring,
         "Rows the packet list keeps (default 200000)", "N"},
        {"app-id", 0, 0, G_OPTION_ARG_STRING, &o->app_id,
         "D-Bus application id (default " NVG_APPLICATION_ID ")", "ID"},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Show the version", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- watch a netvigil collector");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        fprintf(stderr, "netvigil-viewer: %s\n", error->message);
        return 2;
    }
    if (o->version) {
        printf("netvigil-viewer %s\n", NVG_VERSION);
        return 0;
    }
    if (o->ring < RING_MIN || o->ring > RING_MAX) {
        fprintf(stderr, "netvigil-viewer: --ring-size must be %d..%d\n", RING_MIN, RING_MAX);
        return 2;
    }
    if (o->app_id && !g_application_id_is_valid(o->app_id)) {
        fprintf(stderr, "netvigil-viewer: invalid application id '%s'\n", o->app_id);
        return 2;
    }
    return -1;
}

/* The endpoints and keys: the command line's, else the remembered ones, else localhost. -1 to go
 * on, else the exit status. */
static int make_config(struct options *o, struct nvg_viewer_config *c)
{
    g_autoptr(GError) error = NULL;
    c->key_path = g_strdup(o->key);
    c->collector_key_path = g_strdup(o->collector_key);
    guint n_hosts = o->hosts ? g_strv_length(o->hosts) : 0;
    const char *host = n_hosts ? o->hosts[0] : NULL;
    if (n_hosts > 1 && (o->feed || o->control)) {
        fprintf(stderr, "netvigil-viewer: --feed-endpoint and --control-endpoint name one "
                        "collector; with several, give each as --collector HOST[:PORT]\n");
        return 2;
    }
    g_autofree char *list = n_hosts > 1 ? g_strjoinv(",", o->hosts) : NULL;
    if (n_hosts == 1 && !nvg_viewer_config_set_host(c, host, &error)) {
        fprintf(stderr, "netvigil-viewer: %s\n", error->message);
        return 2;
    }
    if (list && !nvg_viewer_config_set_hosts(c, list, &error)) {
        fprintf(stderr, "netvigil-viewer: %s\n", error->message);
        return 2;
    }
    if (o->feed || o->control) {
        char feed[NVG_ZMQ_ENDPOINT_MAX], control[NVG_ZMQ_ENDPOINT_MAX];
        const char *h = host ? host : "localhost";
        if (nvg_zmq_endpoint_client(feed, sizeof(feed), o->feed, h, NVG_PORT_FEED) < 0 ||
            nvg_zmq_endpoint_client(control, sizeof(control), o->control, h, NVG_PORT_CONTROL) <
                0) {
            fprintf(stderr, "netvigil-viewer: invalid collector host '%s'\n", h);
            return 2;
        }
        /* an endpoint given replaces the one --collector implies, the other stays */
        if (o->feed || !c->feed_ep) {
            g_free(c->feed_ep);
            c->feed_ep = g_strdup(feed);
        }
        if (o->control || !c->control_ep) {
            g_free(c->control_ep);
            c->control_ep = g_strdup(control);
        }
    }
    g_autofree char *ini = nvg_viewer_config_path();
    if (!c->feed_ep && ini && !nvg_viewer_config_load(c, ini, &error)) {
        fprintf(stderr, "netvigil-viewer: %s\n", error->message);
        return 2;
    }
    if (!c->feed_ep)
        nvg_viewer_config_set_host(c, "localhost", NULL);
    return -1;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* GLib writes g_info/g_debug to stdout: line-buffer it so they show as they happen. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct options o = {.ring = NVG_PACKET_STORE_DEFAULT_CAPACITY};
    int rc = parse_options(&argc, &argv, &o);
    if (rc >= 0) {
        options_clear(&o);
        return rc;
    }
    struct nvg_viewer_config config = {.ring_size = (guint)o.ring};
    rc = make_config(&o, &config);
    if (rc >= 0) {
        nvg_viewer_config_clear(&config);
        options_clear(&o);
        return rc;
    }
    void *zctx = zmq_ctx_new();
    if (!zctx) {
        fprintf(stderr, "netvigil-viewer: cannot create the ZeroMQ context\n");
        nvg_viewer_config_clear(&config);
        options_clear(&o);
        return 1;
    }
    g_set_prgname("netvigil-viewer");
    g_set_application_name("netvigil");
    /* before GtkApplication makes the first window (gtk_init() is done once; its second call in
     * the application's startup does nothing) */
    if (gtk_init_check())
        nvg_renderer_choose();
    NvgApplication *app =
        nvg_application_new(o.app_id ? o.app_id : NVG_APPLICATION_ID, &config, zctx);
    nvg_viewer_config_clear(&config);
    options_clear(&o);
    rc = g_application_run(G_APPLICATION(app), 1, argv);
    g_object_unref(app);
    return rc;
}
