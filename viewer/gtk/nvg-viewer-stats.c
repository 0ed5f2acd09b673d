#include "nvg-viewer-stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 10
#define STEADY_AFTER_US (2 * G_USEC_PER_SEC)

struct nvg_viewer_stats {
    /* what is watched; the pointers are weak: NULL once gone */
    NvgWindow *window;
    NvgPacketsPage *page;
    GListModel *list;
    GdkFrameClock *clock;
    guint tick_id;
    gboolean printed;

    gint64 t0, last_tick, max_stall, max_stall_steady, feed_t0;
    guint64 frames, frames_at_feed;
    /* the drain in progress */
    gboolean in_drain;
    gint64 drain_t0, append_end, follow_t0;
    gint64 max_drain, max_append, max_follow;
};

static void watch(gpointer *field, gpointer object)
{
    *field = object;
    g_object_add_weak_pointer(G_OBJECT(object), field);
}

static void unwatch(gpointer *field, struct nvg_viewer_stats *st)
{
    if (!*field)
        return;
    g_signal_handlers_disconnect_by_data(*field, st);
    g_object_remove_weak_pointer(G_OBJECT(*field), field);
    *field = NULL;
}

static gboolean on_tick(gpointer data)
{
    struct nvg_viewer_stats *st = data;
    gint64 now = g_get_monotonic_time();
    if (st->last_tick) {
        st->max_stall = MAX(st->max_stall, now - st->last_tick);
        if (st->feed_t0 && now - st->feed_t0 > STEADY_AFTER_US)
            st->max_stall_steady = MAX(st->max_stall_steady, now - st->last_tick);
    }
    st->last_tick = now;
    return G_SOURCE_CONTINUE;
}

static void on_after_paint(GdkFrameClock *clock, struct nvg_viewer_stats *st)
{
    st->frames++;
}

static void on_drain_start(NvgWindow *window, struct nvg_viewer_stats *st)
{
    st->in_drain = TRUE;
    st->drain_t0 = g_get_monotonic_time();
    st->append_end = 0;
    st->follow_t0 = 0;
}

static void on_list_changed(GListModel *list, guint pos, guint removed, guint added,
                            struct nvg_viewer_stats *st)
{
    if (st->in_drain && !st->follow_t0)
        st->append_end = g_get_monotonic_time();
}

static void on_follow_start(NvgPacketsPage *page, struct nvg_viewer_stats *st)
{
    if (st->in_drain) {
        st->follow_t0 = g_get_monotonic_time();
        st->append_end = st->follow_t0;
    }
}

static void on_follow_end(NvgPacketsPage *page, struct nvg_viewer_stats *st)
{
    if (st->in_drain && st->follow_t0)
        st->max_follow = MAX(st->max_follow, g_get_monotonic_time() - st->follow_t0);
}

static void on_drain_end(NvgWindow *window, struct nvg_viewer_stats *st)
{
    gint64 now = g_get_monotonic_time();
    st->in_drain = FALSE;
    st->max_drain = MAX(st->max_drain, now - st->drain_t0);
    if (st->append_end)
        st->max_append = MAX(st->max_append, st->append_end - st->drain_t0);
    if (!st->feed_t0 && st->page) {
        struct nvg_packets_page_counts c;
        nvg_packets_page_get_counts(st->page, &c);
        if (c.list.appended + c.missed_paused) { /* the first records: the feed starts */
            st->feed_t0 = st->drain_t0;
            st->max_stall = 0;
            st->frames_at_feed = st->frames;
        }
    }
}

static void on_realize(GtkWidget *widget, struct nvg_viewer_stats *st)
{
    if (st->clock || st->printed)
        return;
    watch((gpointer *)&st->clock, gtk_widget_get_frame_clock(widget));
    g_signal_connect(st->clock, "after-paint", G_CALLBACK(on_after_paint), st);
}

static long vm_kb(const char *key)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
        return -1;
    const char *p = strstr(text, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void print_stats(struct nvg_viewer_stats *st)
{
    gint64 now = g_get_monotonic_time();
    gint64 since = st->feed_t0 ? st->feed_t0 : st->t0;
    double secs = (double)(now - since) / G_USEC_PER_SEC;
    struct nvg_feed_stats fs;
    nvg_window_get_feed_stats(st->window, &fs);
    struct nvg_packets_page_counts c;
    nvg_packets_page_get_counts(st->page, &c);
    guint64 frames = st->frames - st->frames_at_feed;
    /* the tick runs every 10 ms: a gap above that is a stall of the main loop */
    printf("viewer-stats: seconds=%.1f max_stall_ms=%.1f steady_max_stall_ms=%.1f "
           "max_drain_ms=%.1f frames=%" G_GUINT64_FORMAT " fps=%.1f records=%" G_GUINT64_FORMAT
           " dropped_handover=%" G_GUINT64_FORMAT " skipped=%" G_GUINT64_FORMAT
           " in_ring=%u shown=%u vmrss_kb=%ld vmhwm_kb=%ld max_append_ms=%.1f max_follow_ms=%.1f\n",
           secs, st->max_stall / 1000.0, st->max_stall_steady / 1000.0, st->max_drain / 1000.0,
           frames, secs > 0 ? frames / secs : 0.0, fs.records, fs.records_dropped,
           fs.records_skipped, c.list.in_ring, c.list.shown, vm_kb("VmRSS:"), vm_kb("VmHWM:"),
           st->max_append / 1000.0, st->max_follow / 1000.0);
    fflush(stdout);
}

static void stop(struct nvg_viewer_stats *st)
{
    g_clear_handle_id(&st->tick_id, g_source_remove);
    unwatch((gpointer *)&st->clock, st);
    unwatch((gpointer *)&st->page, st);
    unwatch((gpointer *)&st->list, st);
}

/* gtk_window_destroy() unrealizes the window just before it goes, with the feed and the list
 * still there to read. */
static void on_unrealize(GtkWidget *widget, struct nvg_viewer_stats *st)
{
    if (st->printed || !st->page)
        return;
    print_stats(st);
    st->printed = TRUE;
    stop(st);
}

static void on_window_gone(gpointer data, GObject *where_the_window_was)
{
    struct nvg_viewer_stats *st = data;
    stop(st);
    g_free(st);
}

void nvg_viewer_stats_attach(NvgWindow *window)
{
    const char *env = g_getenv("NVG_VIEWER_STATS");
    if (!env || !g_str_equal(env, "1"))
        return;
    struct nvg_viewer_stats *st = g_new0(struct nvg_viewer_stats, 1);
    st->window = window;
    st->t0 = g_get_monotonic_time();
    g_object_weak_ref(G_OBJECT(window), on_window_gone, st);
    watch((gpointer *)&st->page, nvg_window_get_packets_page(window));
    watch((gpointer *)&st->list, nvg_packets_page_get_model(st->page));
    g_signal_connect(window, "drain", G_CALLBACK(on_drain_start), st);
    g_signal_connect_after(window, "drain", G_CALLBACK(on_drain_end), st);
    g_signal_connect(st->list, "items-changed", G_CALLBACK(on_list_changed), st);
    g_signal_connect(st->page, "follow-tail", G_CALLBACK(on_follow_start), st);
    g_signal_connect_after(st->page, "follow-tail", G_CALLBACK(on_follow_end), st);
    g_signal_connect(window, "realize", G_CALLBACK(on_realize), st);
    g_signal_connect(window, "unrealize", G_CALLBACK(on_unrealize), st);
    st->tick_id = g_timeout_add(TICK_MS, on_tick, st);
}
