/* The "Connect to Collector" dialog: collector host (HOST or HOST:FEEDPORT), the collector's
 * public key file and our own key pair file, each with a file chooser, and the collectors
 * connected to lately. Connect activates
 * app.connect with the three (which remembers them and reconnects the feed); Cancel closes. */
#ifndef NVG_CONNECT_DIALOG_H
#define NVG_CONNECT_DIALOG_H

#include <gtk/gtk.h>

#include "nvg-settings.h"
#include "nvg-viewer-config.h"

G_BEGIN_DECLS

/* Shows the dialog over parent, filled in from config (lent; read now only); a "Recent"
 * drop-down offers remembered's recent collectors (copied; NULL or none: no such row), and
 * choosing one fills in its host and keys. */
void nvg_connect_dialog_present(GtkWindow *parent, const struct nvg_viewer_config *config,
                                const struct nvg_settings *remembered);

G_END_DECLS

#endif
