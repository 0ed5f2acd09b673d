/* What the viewer remembers between runs, beside the last collector: the window's size and
 * maximised state, the page shown, the display filters of the Packets and Conversations pages,
 * the Traffic chart's unit and window, the packet list's column layout (NvgPacketsPage's
 * "column-layout" property, when it has one) and the collectors connected to recently with
 * their keys. Plain data, GLib only.
 *
 * It lives in viewer.ini (nvg_viewer_config_path) next to the [collector] group that
 * nvg-viewer-config reads at start-up: groups [window], [packets], [conversations], [traffic]
 * and [recent-1].. [recent-8]. A save keeps every other group of the file as it is, and
 * replaces the file atomically (a crash mid-write leaves the old one). */
#ifndef NVG_SETTINGS_H
#define NVG_SETTINGS_H

#include <glib.h>

#define NVG_SETTINGS_RECENT_MAX 8
/* Larger than any screen, smaller than what GTK refuses: a hand-edited size past these goes
 * back to the default. */
#define NVG_SETTINGS_SIZE_MIN 200
#define NVG_SETTINGS_SIZE_MAX 16384

struct nvg_recent_collector {
    char *host;          /* as typed in the Connect dialog: one collector or a list */
    char *collector_key; /* "" = the default */
    char *key;           /* "" = the default */
};

struct nvg_settings {
    int width, height; /* 0 = the window's own default */
    gboolean maximized;
    char *page;          /* the page's name in the window's stack; NULL = the first */
    char *packet_filter; /* app.apply-filter's spec; "" = none */
    char *flow_filter;   /* app.flows-filter's spec; "" = none */
    gboolean chart_bytes;
    guint chart_window;  /* seconds: one of nvg_settings_chart_windows */
    char *column_layout; /* NULL = the packet list's default */
    struct nvg_recent_collector recent[NVG_SETTINGS_RECENT_MAX]; /* newest first */
    guint n_recent;
};

/* The Traffic chart's windows (seconds), the order of its drop-down. */
extern const guint nvg_settings_chart_windows[4];

/* Defaults: nothing remembered. */
void nvg_settings_init(struct nvg_settings *s);
/* Frees the strings; s is at its defaults afterwards. */
void nvg_settings_clear(struct nvg_settings *s);
void nvg_settings_copy(struct nvg_settings *dst, const struct nvg_settings *src);

/* Reads path into s. A missing file is no error (s at its defaults). FALSE with error set, s
 * at its defaults, when the file cannot be read, does not parse, or one of our keys has a value
 * of the wrong type (a number that is not one, say): the caller reports it and saves the
 * defaults over it. A value of the right type out of its range (a width of 50) falls back to
 * that key's default alone. */
gboolean nvg_settings_load(struct nvg_settings *s, const char *path, GError **error);
/* Our groups of s as key-file text (newly allocated): what nvg_settings_save merges into the
 * file, and what a caller compares to know whether anything changed since the last save. */
char *nvg_settings_to_data(const struct nvg_settings *s);
/* Writes s's groups into path, keeping the file's other groups (a file that does not parse is
 * replaced whole), creating the directory (0700); the file is written to a temporary name and
 * renamed over the old one, mode 0600. */
gboolean nvg_settings_save(const struct nvg_settings *s, const char *path, GError **error);

/* A collector connected to: first in the recent list (moved up if it was there, the oldest
 * dropped past NVG_SETTINGS_RECENT_MAX). NULL keys count as "". */
void nvg_settings_add_recent(struct nvg_settings *s, const char *host, const char *collector_key,
                             const char *key);

#endif
