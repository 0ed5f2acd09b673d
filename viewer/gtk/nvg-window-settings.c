#include "nvg-window-settings.h"

#include <glib/gstdio.h>

#define CHECK_INTERVAL_S 1
/* NvgPacketsPage's column layout, once the packet list has configurable columns. */
#define COLUMN_LAYOUT_PROP "column-layout"

struct nvg_window_settings {
    NvgWindow *window; /* weak */
    char *path;        /* NULL: nothing is kept */
    struct nvg_settings now;
    char *saved; /* our groups' text as last written or read */
    guint check_id;
    gboolean save_failed; /* reported: a full disk or read-only home is said once */
};

static gboolean has_column_layout(NvgPacketsPage *packets)
{
    GParamSpec *p = g_object_class_find_property(G_OBJECT_GET_CLASS(packets), COLUMN_LAYOUT_PROP);
    return p && p->value_type == G_TYPE_STRING &&
           (p->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE;
}

/* ---- window -> settings ---------------------------------------------------------------------- */

static void replace(char **field, char *value)
{
    g_free(*field);
    *field = value;
}

/* The window's state into ws->now; FALSE when the window is gone or going. */
static gboolean snapshot(struct nvg_window_settings *ws)
{
    NvgWindow *w = ws->window;
    NvgPacketsPage *packets = w ? nvg_window_get_packets_page(w) : NULL;
    if (!packets)
        return FALSE;
    struct nvg_settings *s = &ws->now;
    s->maximized = gtk_window_is_maximized(GTK_WINDOW(w));
    if (!s->maximized) /* the size to come back to is the one before maximising */
        gtk_window_get_default_size(GTK_WINDOW(w), &s->width, &s->height);
    replace(&s->page, g_strdup(nvg_window_get_page(w)));
    replace(&s->packet_filter, nvg_packets_page_dup_filter_spec(packets));
    replace(&s->flow_filter, nvg_flows_page_dup_filter_spec(nvg_window_get_flows_page(w)));
    nvg_traffic_page_get_chart(nvg_window_get_traffic_page(w), &s->chart_bytes, &s->chart_window);
    if (has_column_layout(packets)) {
        char *layout = NULL;
        g_object_get(packets, COLUMN_LAYOUT_PROP, &layout, NULL);
        replace(&s->column_layout, layout);
    }
    return TRUE;
}

static void save(struct nvg_window_settings *ws)
{
    g_autofree char *data = nvg_settings_to_data(&ws->now);
    if (!ws->path || g_strcmp0(data, ws->saved) == 0)
        return;
    g_autoptr(GError) error = NULL;
    if (!nvg_settings_save(&ws->now, ws->path, &error)) {
        if (!ws->save_failed)
            g_warning("settings not saved: %s", error->message);
        ws->save_failed = TRUE;
        return;
    }
    if (ws->save_failed)
        g_message("settings saved again to %s", ws->path);
    ws->save_failed = FALSE;
    g_debug("settings saved to %s", ws->path);
    replace(&ws->saved, g_steal_pointer(&data));
}

void nvg_window_settings_flush(struct nvg_window_settings *ws)
{
    if (ws && snapshot(ws))
        save(ws);
}

static gboolean on_check(gpointer data)
{
    nvg_window_settings_flush(data);
    return G_SOURCE_CONTINUE;
}

static gboolean on_close_request(GtkWindow *window, struct nvg_window_settings *ws)
{
    nvg_window_settings_flush(ws);
    return FALSE; /* and close */
}

/* ---- settings -> window ---------------------------------------------------------------------- */

static void apply_filter(const char *what, const char *spec, gboolean ok, GError *error)
{
    if (!ok)
        g_message("settings: %s filter '%s' not restored: %s", what, spec, error->message);
    g_clear_error(&error);
}

static void restore(struct nvg_window_settings *ws)
{
    const struct nvg_settings *s = &ws->now;
    NvgWindow *w = ws->window;
    if (s->width && s->height)
        gtk_window_set_default_size(GTK_WINDOW(w), s->width, s->height);
    if (s->maximized)
        gtk_window_maximize(GTK_WINDOW(w));
    if (s->page && *s->page)
        nvg_window_show_page(w, s->page);
    GError *e = NULL;
    if (s->packet_filter && *s->packet_filter)
        apply_filter("packet", s->packet_filter,
                     nvg_packets_page_apply_filter_spec(nvg_window_get_packets_page(w),
                                                        s->packet_filter, &e),
                     e);
    e = NULL;
    if (s->flow_filter && *s->flow_filter)
        apply_filter(
            "conversation", s->flow_filter,
            nvg_flows_page_apply_filter_spec(nvg_window_get_flows_page(w), s->flow_filter, &e), e);
    nvg_traffic_page_set_chart(nvg_window_get_traffic_page(w), s->chart_bytes, s->chart_window);
    NvgPacketsPage *packets = nvg_window_get_packets_page(w);
    if (s->column_layout && has_column_layout(packets))
        g_object_set(packets, COLUMN_LAYOUT_PROP, s->column_layout, NULL);
}

/* Said once: the file goes aside and the defaults replace it, so the next start is quiet. */
static void report_unreadable(struct nvg_window_settings *ws, const GError *error)
{
    g_autofree char *aside = g_strdup_printf("%s.corrupt", ws->path);
    gboolean moved = g_rename(ws->path, aside) == 0;
    g_autofree char *text = g_strdup_printf(
        "Settings could not be read (%s): the defaults are used%s%s", error->message,
        moved ? "; the old file is kept as " : "", moved ? aside : "");
    g_warning("%s", text);
    gtk_widget_activate_action(GTK_WIDGET(ws->window), "window.toast", "s", text);
}

struct nvg_window_settings *nvg_window_settings_new(NvgWindow *window, const char *path)
{
    struct nvg_window_settings *ws = g_new0(struct nvg_window_settings, 1);
    ws->window = window;
    g_object_add_weak_pointer(G_OBJECT(window), (gpointer *)&ws->window);
    ws->path = g_strdup(path);
    nvg_settings_init(&ws->now);
    g_autoptr(GError) error = NULL;
    gboolean loaded = !path || nvg_settings_load(&ws->now, path, &error);
    if (!loaded)
        report_unreadable(ws, error);
    else
        ws->saved = nvg_settings_to_data(&ws->now);
    restore(ws);
    if (!loaded)
        nvg_window_settings_flush(ws);
    g_signal_connect(window, "close-request", G_CALLBACK(on_close_request), ws);
    ws->check_id = g_timeout_add_seconds(CHECK_INTERVAL_S, on_check, ws);
    return ws;
}

void nvg_window_settings_free(struct nvg_window_settings *ws)
{
    if (!ws)
        return;
    g_clear_handle_id(&ws->check_id, g_source_remove);
    if (ws->window) {
        g_signal_handlers_disconnect_by_data(ws->window, ws);
        g_object_remove_weak_pointer(G_OBJECT(ws->window), (gpointer *)&ws->window);
    }
    nvg_settings_clear(&ws->now);
    g_free(ws->saved);
    g_free(ws->path);
    g_free(ws);
}

void nvg_window_settings_add_recent(struct nvg_window_settings *ws, const char *host,
                                    const char *collector_key, const char *key)
{
    nvg_settings_add_recent(&ws->now, host, collector_key, key);
    nvg_window_settings_flush(ws);
}

const struct nvg_settings *nvg_window_settings_get(struct nvg_window_settings *ws)
{
    return &ws->now;
}
