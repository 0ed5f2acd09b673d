/* NvgApplication: the viewer's GtkApplication. Holds the configuration (struct
 * nvg_viewer_config, which the window reads from here) and the ZeroMQ context, creates the
 * window, and defines the app actions (exported on D-Bus by GApplication, so
 * scripts can drive the viewer):
 *
 *   app.apply-filter s   display filter "proto=udp;src=NET;dst=NET;port=N;sensor=NAME" ("" clears)
 *   app.clear-filter     clear the display filter
 *   app.export s         write the shown rows as CSV to the path; "" opens a file chooser
 *   app.clear-list       forget the rows held
 *   app.pause            (stateful b) pause the list; activate toggles
 *   app.follow           (stateful b) keep the newest row in view
 *   app.select-sensor s  scope list, chart and commands to one sensor ("" = all)
 *   app.start s, app.stop s, app.restart s    sensor name or "" for all
 *   app.set-filter (ss)  sensor ("" = all), BPF expression
 *   app.connect (sss)    collector "HOST[:FEEDPORT]", collector key file, own key file ("" =
 *                        default): reconnect to it, and remember it in viewer.ini
 *   app.connect-dialog   the "Connect to Collector" dialog (Ctrl+O), with the recent collectors
 *   app.chart (su)       the Traffic chart: "packets" or "bytes", window 60, 300, 900 or 3600 s
 *   app.alerts           read-only state (uus a(tsss)): rows the Alerts page lists, active
 *                        alerts, the page switcher's title for it (the badge), and per row
 *                        (the newest 100) id, "active"/"ended", severity number, summary
 *   app.activate-alert t as activating that alert's row: the packet list, filtered to its source
 *   app.about, app.quit */
#ifndef NVG_APPLICATION_H
#define NVG_APPLICATION_H

#include <gtk/gtk.h>

#include "nvg-viewer-config.h"
#include "nvg-window.h"

G_BEGIN_DECLS

#define NVG_APPLICATION_ID "org.netvigil.Viewer"

#define NVG_TYPE_APPLICATION (nvg_application_get_type())
G_DECLARE_FINAL_TYPE(NvgApplication, nvg_application, NVG, APPLICATION, GtkApplication)

/* config is copied; zctx is taken (terminated when the application goes). */
NvgApplication *nvg_application_new(const char *app_id, const struct nvg_viewer_config *config,
                                    void *zctx);
/* The configuration the window connects with (lent). */
const struct nvg_viewer_config *nvg_application_get_config(NvgApplication *self);
/* The process's ZeroMQ context (lent). */
void *nvg_application_get_zmq_context(NvgApplication *self);

G_END_DECLS

#endif
