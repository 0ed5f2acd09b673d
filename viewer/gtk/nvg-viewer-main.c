/* netvigil-viewer: the GTK 4 desktop viewer of a netvigil collector.
 *
 *   netvigil-viewer [--collector HOST] [--feed-endpoint EP] [--control-endpoint EP]
 *                   [--ring-size N] [--app-id ID]
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
#include "nvg-wire.h"
#include "nvg-zmq.h"

#define RING_MIN 1000
#define RING_MAX 10000000

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* GLib writes g_info/g_debug to stdout: line-buffer it so they show as they happen. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_autofree char *host = NULL, *feed = NULL, *control = NULL, *app_id = NULL;
    gint ring = NVG_PACKET_STORE_DEFAULT_CAPACITY;
    gboolean version = FALSE;
    GOptionEntry entries[] = {
        {"collector", 0, 0, G_OPTION_ARG_STRING, &host, "Collector host (default localhost)",
         "HOST"},
        {"feed-endpoint", 0, 0, G_OPTION_ARG_STRING, &feed,
         "Live feed endpoint (default tcp://HOST:7701)", "EP"},
        {"control-endpoint", 0, 0, G_OPTION_ARG_STRING, &control,
         "Control endpoint (default tcp://HOST:7702)", "EP"},
        {"ring-size", 0, 0, G_OPTION_ARG_INT, &ring, "Rows the packet list keeps (default 200000)",
         "N"},
        {"app-id", 0, 0, G_OPTION_ARG_STRING, &app_id,
         "D-Bus application id (default " NVG_APPLICATION_ID ")", "ID"},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Show the version", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- watch a netvigil collector");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "netvigil-viewer: %s\n", error->message);
        return 2;
    }
    if (version) {
        printf("netvigil-viewer %s\n", NVG_VERSION);
        return 0;
    }
    if (ring < RING_MIN || ring > RING_MAX) {
        fprintf(stderr, "netvigil-viewer: --ring-size must be %d..%d\n", RING_MIN, RING_MAX);
        return 2;
    }
    if (app_id && !g_application_id_is_valid(app_id)) {
        fprintf(stderr, "netvigil-viewer: invalid application id '%s'\n", app_id);
        return 2;
    }
    char feed_ep[300], control_ep[300];
    const char *h = host ? host : "localhost";
    if ((!feed && nvg_zmq_endpoint(feed_ep, sizeof(feed_ep), h, NVG_PORT_FEED) < 0) ||
        (!control && nvg_zmq_endpoint(control_ep, sizeof(control_ep), h, NVG_PORT_CONTROL) < 0)) {
        fprintf(stderr, "netvigil-viewer: invalid collector host '%s'\n", h);
        return 2;
    }
    struct nvg_viewer_config config = {
        .feed_ep = feed ? feed : feed_ep,
        .control_ep = control ? control : control_ep,
        .ring_size = (guint)ring,
        .zctx = zmq_ctx_new(),
    };
    if (!config.zctx) {
        fprintf(stderr, "netvigil-viewer: cannot create the ZeroMQ context\n");
        return 1;
    }
    g_set_prgname("netvigil-viewer");
    g_set_application_name("netvigil");
    NvgApplication *app = nvg_application_new(app_id ? app_id : NVG_APPLICATION_ID, &config);
    int rc = g_application_run(G_APPLICATION(app), 1, argv);
    g_object_unref(app);
    return rc;
}
