/* NvgWindow internals shared by nvg-window.c (packet list, filters, export, status bar) and
 * nvg-window-fleet.c (sensors, control, events, chart, talkers). */
#ifndef NVG_WINDOW_PRIVATE_H
#define NVG_WINDOW_PRIVATE_H

#include "netvigil.pb-c.h"
#include "nvg-feed.h"
#include "nvg-packet-store.h"
#include "nvg-rate-chart.h"
#include "nvg-rate-series.h"
#include "nvg-view-filter.h"
#include "nvg-window.h"

struct _NvgWindow {
    GtkApplicationWindow parent_instance;

    /* template children */
    GtkDropDown *sensor_selector;
    GtkLabel *conn_label;
    GtkStack *stack;
    GtkRevealer *toast_revealer;
    GtkLabel *toast_label;
    GtkDropDown *proto_drop;
    GtkEntry *src_entry, *dst_entry, *port_entry;
    GtkButton *filter_button;
    GtkLabel *filter_error;
    GtkScrolledWindow *list_scroll;
    GtkListView *list_view;
    GtkLabel *details_label;
    GtkLabel *target_label;
    GtkButton *start_button, *stop_button, *restart_button, *bpf_button;
    GtkEntry *bpf_entry;
    GtkLabel *result_label;
    GtkGrid *sensors_grid;
    GtkListBox *events_list;
    GtkDropDown *metric_drop, *window_drop;
    NvgRateChart *chart;
    GtkLabel *talkers_caption;
    GtkGrid *talkers_grid;
    GtkLabel *status_shown, *status_received, *status_rate, *status_dropped, *status_endpoint;

    /* network side */
    struct nvg_viewer_config config;
    struct nvg_sensor_names *names;
    struct nvg_feed *feed;
    char *feed_error; /* the feed could not start */

    /* packet list */
    NvgPacketStore *store;
    GtkSingleSelection *selection;
    struct nvg_view_fields fields; /* applied display filter (text) */
    struct nvg_filter filter;      /* ... compiled */
    gboolean paused, follow;
    guint64 missed_paused;
    guint drain_id;

    /* feed rate and connection */
    gint64 rate_t0;
    guint64 rate_n0;
    double feed_rate;
    int conn_state; /* enum in nvg-window.c */

    /* fleet */
    char *selected; /* "" = all sensors */
    Netvigil__CollectorStatus *status;
    GtkStringList *selector_model;
    gboolean selector_updating;
    guint grid_rows;
    struct nvg_rate_series *series_all;
    GHashTable *series_by_sensor; /* char* -> struct nvg_rate_series* */
    GHashTable *talkers;          /* char* -> Netvigil__TopTalkers* */
    GHashTable *pending;          /* guint64* id -> struct nvg_pending* */
    guint64 next_request_id;
    guint n_events;
    guint toast_id;

    /* NVG_VIEWER_STATS */
    gboolean stats;
    guint stats_tick_id;
    gint64 stats_last_tick, stats_t0, stats_max_stall, stats_max_stall_steady, stats_feed_t0;
    guint64 stats_frames, stats_frames_at_feed;
    gint64 stats_max_drain, stats_max_append, stats_max_follow;
};

/* nvg-window-fleet.c */
void nvg__window_fleet_init(NvgWindow *self);
void nvg__window_fleet_dispose(NvgWindow *self);
void nvg__window_fleet_message(NvgWindow *self, struct nvg_feed_msg *msg);
void nvg__window_fleet_tick(NvgWindow *self);
/* nvg-window.c */
void nvg__window_toast(NvgWindow *self, const char *text);
/* The selector changed: re-apply the display filter with the selected sensor. */
void nvg__window_refilter(NvgWindow *self);

#endif
