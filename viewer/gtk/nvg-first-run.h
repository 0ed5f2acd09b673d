/* NvgFirstRun: what the window shows instead of its pages while no collector has answered
 * since the viewer started (or since app.connect): a status page in the GNOME HIG's sense
 * (icon, title, what is going on, one suggested action), built like libadwaita's AdwStatusPage
 * from plain GTK widgets. It says where the viewer is trying to connect, how to start a
 * collector on this machine, and offers "Connect to Collector…" (app.connect-dialog); with the
 * key refused or the feed unable to start it says that instead. */
#ifndef NVG_FIRST_RUN_H
#define NVG_FIRST_RUN_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NVG_TYPE_FIRST_RUN (nvg_first_run_get_type())
G_DECLARE_FINAL_TYPE(NvgFirstRun, nvg_first_run, NVG, FIRST_RUN, GtkBox)

enum nvg_first_run_reason {
    NVG_FIRST_RUN_NO_ANSWER, /* nothing came back from the endpoints */
    NVG_FIRST_RUN_REFUSED,   /* the collector refused our key */
    NVG_FIRST_RUN_MISMATCH,  /* CURVE handshake failed: wrong collector key, keys on one side */
    NVG_FIRST_RUN_FAILED,    /* the feed could not start (keys that do not load, say) */
};

GtkWidget *nvg_first_run_new(void);
/* where: the endpoints as the status bar shows them ("feed tcp://h:7701 · control ..."); detail:
 * the error behind NVG_FIRST_RUN_FAILED, else NULL. */
void nvg_first_run_set(NvgFirstRun *self, enum nvg_first_run_reason reason, const char *where,
                       const char *detail);
/* The title and the description as shown (for the log and tests). */
const char *nvg_first_run_get_title(NvgFirstRun *self);
const char *nvg_first_run_get_description(NvgFirstRun *self);

G_END_DECLS

#endif
