/* NvgWindow: the viewer's main window (template nvg-window.ui). It owns the feed worker, the
 * packet store, the rate series and the fleet state; NvgApplication's actions call in here. */
#ifndef NVG_WINDOW_H
#define NVG_WINDOW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NVG_TYPE_WINDOW (nvg_window_get_type())
G_DECLARE_FINAL_TYPE(NvgWindow, nvg_window, NVG, WINDOW, GtkApplicationWindow)

struct nvg_viewer_config {
    char *feed_ep;
    char *control_ep;
    guint ring_size;
    void *zctx;
};

NvgWindow *nvg_window_new(GtkApplication *app, const struct nvg_viewer_config *config);

/* "proto=udp;src=..;dst=..;port=53;sensor=NAME"; fills the filter fields and applies them.
 * FALSE (fields marked, nothing applied) when a value is invalid. "" clears. */
gboolean nvg_window_apply_filter_spec(NvgWindow *self, const char *spec, GError **error);
void nvg_window_clear_filter(NvgWindow *self);
/* Write the rows shown to path (CSV, the collector's columns). */
gboolean nvg_window_export(NvgWindow *self, const char *path, GError **error);
void nvg_window_export_dialog(NvgWindow *self);
void nvg_window_clear_list(NvgWindow *self);
void nvg_window_set_paused(NvgWindow *self, gboolean paused);
void nvg_window_set_follow(NvgWindow *self, gboolean follow);
void nvg_window_focus_filter(NvgWindow *self);
/* "packets", "sensors" or "traffic". */
void nvg_window_show_page(NvgWindow *self, const char *name);
/* kind: Netvigil__CommandKind; sensor "" = all. */
void nvg_window_command(NvgWindow *self, int kind, const char *sensor, const char *filter);
/* "" = all sensors. FALSE for a sensor the collector does not report. */
gboolean nvg_window_select_sensor(NvgWindow *self, const char *sensor);
/* The feed's connection as the badge shows it: "connecting", "connected", "reconnecting" or
 * "failed" (the feed could not start). Also the read-only property "connection" (notified on
 * change), which NvgApplication mirrors as the state of app.connection. */
const char *nvg_window_get_connection(NvgWindow *self);
/* NVG_VIEWER_STATS: main-loop stall, frames, records, memory, printed to stdout. */
void nvg_window_print_stats(NvgWindow *self);

G_END_DECLS

#endif
