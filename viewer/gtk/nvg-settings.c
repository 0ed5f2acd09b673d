#include "nvg-settings.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nvg-viewer-config.h"

const guint nvg_settings_chart_windows[4] = {60, 300, 900, 3600};

/* Our groups: a save replaces them whole, so a recent entry or key dropped goes from the file. */
static const char *const own_groups[] = {"window", "packets", "conversations", "traffic"};

void nvg_settings_init(struct nvg_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->chart_window = nvg_settings_chart_windows[0];
}

static void recent_clear(struct nvg_recent_collector *r)
{
    g_free(r->host);
    g_free(r->collector_key);
    g_free(r->key);
    memset(r, 0, sizeof(*r));
}

void nvg_settings_clear(struct nvg_settings *s)
{
    g_free(s->page);
    g_free(s->packet_filter);
    g_free(s->flow_filter);
    g_free(s->column_layout);
    for (guint i = 0; i < s->n_recent; i++)
        recent_clear(&s->recent[i]);
    nvg_settings_init(s);
}

void nvg_settings_copy(struct nvg_settings *dst, const struct nvg_settings *src)
{
    if (dst == src)
        return;
    struct nvg_settings c = *src;
    c.page = g_strdup(src->page);
    c.packet_filter = g_strdup(src->packet_filter);
    c.flow_filter = g_strdup(src->flow_filter);
    c.column_layout = g_strdup(src->column_layout);
    for (guint i = 0; i < src->n_recent; i++) {
        c.recent[i].host = g_strdup(src->recent[i].host);
        c.recent[i].collector_key = g_strdup(src->recent[i].collector_key);
        c.recent[i].key = g_strdup(src->recent[i].key);
    }
    nvg_settings_clear(dst);
    *dst = c;
}

void nvg_settings_add_recent(struct nvg_settings *s, const char *host, const char *collector_key,
                             const char *key)
{
    if (!host || !*host)
        return;
    struct nvg_recent_collector r = {g_strdup(host), g_strdup(collector_key ? collector_key : ""),
                                     g_strdup(key ? key : "")};
    guint at = s->n_recent; /* where the entry was, or past the end */
    for (guint i = 0; i < s->n_recent; i++)
        if (g_str_equal(s->recent[i].host, host))
            at = i;
    if (at < s->n_recent) {
        recent_clear(&s->recent[at]); /* it moves up */
    } else if (s->n_recent == NVG_SETTINGS_RECENT_MAX) {
        at = NVG_SETTINGS_RECENT_MAX - 1; /* the oldest goes */
        recent_clear(&s->recent[at]);
    } else {
        s->n_recent++;
    }
    memmove(&s->recent[1], &s->recent[0], at * sizeof(s->recent[0]));
    s->recent[0] = r;
}

/* ---- reading -------------------------------------------------------------------------------- */

/* A key's GError: absent is no error (the default stays), anything else is. */
static gboolean value_ok(GError **e, GError **error, const char *group, const char *key)
{
    if (!*e)
        return TRUE;
    gboolean absent = g_error_matches(*e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
                      g_error_matches(*e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND);
    if (!absent && error && !*error)
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s] %s: %s", group,
                    key, (*e)->message);
    g_clear_error(e);
    return absent;
}

static int get_size(GKeyFile *kf, const char *key, GError **error)
{
    GError *e = NULL;
    int v = g_key_file_get_integer(kf, "window", key, &e);
    if (!value_ok(&e, error, "window", key))
        return 0;
    return v >= NVG_SETTINGS_SIZE_MIN && v <= NVG_SETTINGS_SIZE_MAX ? v : 0;
}

static char *get_string(GKeyFile *kf, const char *group, const char *key, GError **error)
{
    GError *e = NULL;
    char *v = g_key_file_get_string(kf, group, key, &e);
    value_ok(&e, error, group, key);
    return v;
}

static void load_window(struct nvg_settings *s, GKeyFile *kf, GError **error)
{
    GError *e = NULL;
    s->width = get_size(kf, "width", error);
    s->height = get_size(kf, "height", error);
    s->maximized = g_key_file_get_boolean(kf, "window", "maximized", &e);
    value_ok(&e, error, "window", "maximized");
    s->page = get_string(kf, "window", "page", error);
}

static void load_traffic(struct nvg_settings *s, GKeyFile *kf, GError **error)
{
    GError *e = NULL;
    g_autofree char *unit = get_string(kf, "traffic", "unit", error);
    s->chart_bytes = g_strcmp0(unit, "bytes") == 0;
    guint w = (guint)g_key_file_get_uint64(kf, "traffic", "window", &e);
    if (value_ok(&e, error, "traffic", "window"))
        for (guint i = 0; i < G_N_ELEMENTS(nvg_settings_chart_windows); i++)
            if (w == nvg_settings_chart_windows[i])
                s->chart_window = w;
}

static void load_recent(struct nvg_settings *s, GKeyFile *kf, GError **error)
{
    for (guint i = 0; i < NVG_SETTINGS_RECENT_MAX; i++) {
        char group[16];
        g_snprintf(group, sizeof(group), "recent-%u", i + 1);
        if (!g_key_file_has_group(kf, group))
            continue;
        char *host = get_string(kf, group, "host", error);
        if (!host || !*host) {
            g_free(host);
            continue;
        }
        struct nvg_recent_collector *r = &s->recent[s->n_recent++];
        r->host = host;
        r->collector_key = get_string(kf, group, "collector-key", error);
        r->key = get_string(kf, group, "key", error);
        if (!r->collector_key)
            r->collector_key = g_strdup("");
        if (!r->key)
            r->key = g_strdup("");
    }
}

gboolean nvg_settings_load(struct nvg_settings *s, const char *path, GError **error)
{
    nvg_settings_clear(s);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *e = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
        gboolean missing = g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        if (missing)
            g_error_free(e);
        else
            g_propagate_error(error, e);
        return missing;
    }
    load_window(s, kf, &e);
    s->packet_filter = get_string(kf, "packets", "filter", &e);
    s->column_layout = get_string(kf, "packets", "column-layout", &e);
    s->flow_filter = get_string(kf, "conversations", "filter", &e);
    load_traffic(s, kf, &e);
    load_recent(s, kf, &e);
    if (e) {
        nvg_settings_clear(s);
        g_propagate_error(error, e);
        return FALSE;
    }
    return TRUE;
}

/* ---- writing -------------------------------------------------------------------------------- */

static void set_groups(GKeyFile *kf, const struct nvg_settings *s)
{
    if (s->width && s->height) {
        g_key_file_set_integer(kf, "window", "width", s->width);
        g_key_file_set_integer(kf, "window", "height", s->height);
    }
    g_key_file_set_boolean(kf, "window", "maximized", s->maximized);
    g_key_file_set_string(kf, "window", "page", s->page ? s->page : "");
    g_key_file_set_string(kf, "packets", "filter", s->packet_filter ? s->packet_filter : "");
    if (s->column_layout)
        g_key_file_set_string(kf, "packets", "column-layout", s->column_layout);
    g_key_file_set_string(kf, "conversations", "filter", s->flow_filter ? s->flow_filter : "");
    g_key_file_set_string(kf, "traffic", "unit", s->chart_bytes ? "bytes" : "packets");
    g_key_file_set_uint64(kf, "traffic", "window", s->chart_window);
    for (guint i = 0; i < s->n_recent; i++) {
        char group[16];
        g_snprintf(group, sizeof(group), "recent-%u", i + 1);
        g_key_file_set_string(kf, group, "host", s->recent[i].host);
        g_key_file_set_string(kf, group, "collector-key", s->recent[i].collector_key);
        g_key_file_set_string(kf, group, "key", s->recent[i].key);
    }
}

char *nvg_settings_to_data(const struct nvg_settings *s)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    set_groups(kf, s);
    return g_key_file_to_data(kf, NULL, NULL);
}

gboolean nvg_settings_save(const struct nvg_settings *s, const char *path, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL)) {
        g_key_file_free(kf); /* a partly parsed file would keep half of what it had */
        kf = g_key_file_new();
    }
    for (guint i = 0; i < G_N_ELEMENTS(own_groups); i++)
        g_key_file_remove_group(kf, own_groups[i], NULL);
    for (guint i = 0; i < NVG_SETTINGS_RECENT_MAX; i++) {
        char group[16];
        g_snprintf(group, sizeof(group), "recent-%u", i + 1);
        g_key_file_remove_group(kf, group, NULL);
    }
    set_groups(kf, s);
    return nvg_viewer_config_write(kf, path, error);
}
