/* The window's remembered settings (struct nvg_settings, in viewer.ini): restored into an
 * NvgWindow before it is first shown, then kept. NvgApplication owns it.
 *
 * Saving: once a second the window's state (size, maximised, page, the two display filters,
 * the chart's unit and window, the packet list's "column-layout" when NvgPacketsPage has that
 * property) is compared with what was last written, and written when it differs: a resize or a
 * burst of changes costs one write, and nothing is written while nothing changes. Changes that
 * must not wait (a new recent collector) and the end (app.quit, closing the window) flush at
 * once. The comparison is on the few hundred bytes of our groups' text: no signal of every page
 * and widget to follow, and a property that appears later (column-layout) is kept as well.
 *
 * A file that cannot be read or does not parse is reported once, in the log and a toast, moved
 * aside to viewer.ini.corrupt and replaced by the defaults; so the next start is quiet. */
#ifndef NVG_WINDOW_SETTINGS_H
#define NVG_WINDOW_SETTINGS_H

#include "nvg-settings.h"
#include "nvg-window.h"

struct nvg_window_settings;

/* Loads path and applies it to window (before gtk_window_present, for the size). path NULL:
 * nothing is remembered (no config directory). The window is watched weakly: once it is gone
 * the settings are no longer updated. */
struct nvg_window_settings *nvg_window_settings_new(NvgWindow *window, const char *path);
/* Writes the window's state now if it differs from the file's. */
void nvg_window_settings_flush(struct nvg_window_settings *ws);
/* Without a flush: call nvg_window_settings_flush while the window is still whole. */
void nvg_window_settings_free(struct nvg_window_settings *ws);

/* A collector connected to (app.connect): first in the recent list, written at once. */
void nvg_window_settings_add_recent(struct nvg_window_settings *ws, const char *host,
                                    const char *collector_key, const char *key);
/* What is remembered (lent): the recent collectors for the Connect dialog. */
const struct nvg_settings *nvg_window_settings_get(struct nvg_window_settings *ws);

#endif
