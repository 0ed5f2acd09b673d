/* NvgAlertStore: the alerts the viewer knows, as a GListModel of NvgAlertItem, newest first.
 *
 * The collector sends every event of an alert's life (start, updates, end) under one id, on the
 * feed and in COMMAND_ALERTS's reply; the two overlap and may arrive in any order. The store
 * keys alerts by id: a start adds one, an update replaces its fields, an end marks it ended
 * (kept, shown as ended). An event older than the one applied last is ignored, and nothing
 * brings an ended alert back, so a history fetched late cannot undo what the feed said.
 *
 * Bounded: at most "capacity" alerts; past it the oldest ended one goes first, then the oldest
 * of all, and each is counted (dropped). Ids are unique per collector run only: on a new run
 * (nvg_alert_store_new_run) the alerts held are marked ended and their ids forgotten.
 *
 * An item is immutable: an update replaces it by a new item at the same position (the list
 * rebinds the row). GLib-only: unit-tested headless (tests/viewer/test-alert-store.c). */
#ifndef NVG_ALERT_STORE_H
#define NVG_ALERT_STORE_H

#include <gio/gio.h>
#include <stdint.h>

#include "netvigil.pb-c.h"

G_BEGIN_DECLS

#define NVG_ALERT_STORE_DEFAULT_CAPACITY 1000

/* One alert as the page shows it: plain data, strings already made safe by nvg-feed-parse. */
struct nvg_alert {
    uint64_t id;
    int severity; /* Netvigil__Severity */
    gboolean ended;
    gboolean orphaned; /* ended because its collector run ended, not by an end event */
    char detector[32];
    char src[64];      /* "" when many sources */
    char targets[320]; /* up to 4 addresses, then "+N more" */
    char sensors[320]; /* up to 4 names */
    char summary[1024];
    char rule[256];
    uint32_t target_count;
    uint64_t packets, bytes, count;
    int64_t first_ns, last_ns; /* record times of the evidence */
    int64_t start_ms;          /* wall clock of its start (estimated when the start was missed) */
    int64_t event_ms;          /* wall clock of the event applied last */
    int64_t end_ms;            /* wall clock of its end, 0 while active */
};

#define NVG_TYPE_ALERT_ITEM (nvg_alert_item_get_type())
G_DECLARE_FINAL_TYPE(NvgAlertItem, nvg_alert_item, NVG, ALERT_ITEM, GObject)

const struct nvg_alert *nvg_alert_item_get(NvgAlertItem *item);

#define NVG_TYPE_ALERT_STORE (nvg_alert_store_get_type())
G_DECLARE_FINAL_TYPE(NvgAlertStore, nvg_alert_store, NVG, ALERT_STORE, GObject)

/* capacity 0 = NVG_ALERT_STORE_DEFAULT_CAPACITY. */
NvgAlertStore *nvg_alert_store_new(guint capacity);

enum nvg_alert_change {
    NVG_ALERT_IGNORED, /* stale, or unusable (no id, unknown event) */
    NVG_ALERT_ADDED,   /* a new alert (its start, or the first event seen of it) */
    NVG_ALERT_UPDATED,
    NVG_ALERT_ENDED,
};

/* Applies one event (checked by nvg-feed-parse); now_ms estimates a start the store never saw
 * when the event carries no wall time. */
enum nvg_alert_change nvg_alert_store_apply(NvgAlertStore *self, const Netvigil__Alert *a,
                                            int64_t now_ms);
/* A new collector run (restart, another collector): every alert held is ended and orphaned,
 * its id forgotten. now_ms is their end time. */
void nvg_alert_store_new_run(NvgAlertStore *self, int64_t now_ms);
/* NULL when the id is not held (or belonged to an earlier run). Lent. */
NvgAlertItem *nvg_alert_store_lookup(NvgAlertStore *self, uint64_t id);
guint nvg_alert_store_get_active(NvgAlertStore *self);
guint nvg_alert_store_get_capacity(NvgAlertStore *self);
guint64 nvg_alert_store_get_dropped(NvgAlertStore *self);

/* The rate limit of desktop notifications: at most one per interval; what comes in between is
 * held and said in one summary when the interval is over. */
struct nvg_alert_ratelimit {
    int64_t interval_us;
    int64_t last_us; /* when the last notification went, 0 = never */
    guint held;      /* alerts held since */
};

/* TRUE: notify now (counted as sent). FALSE: held; nvg_alert_ratelimit_due says when. */
gboolean nvg_alert_ratelimit_offer(struct nvg_alert_ratelimit *rl, int64_t now_us);
/* When the summary of the held alerts is due, 0 when none is held. */
int64_t nvg_alert_ratelimit_due(const struct nvg_alert_ratelimit *rl);
/* At or after due: the number held (the summary goes now and counts as sent); 0 otherwise. */
guint nvg_alert_ratelimit_flush(struct nvg_alert_ratelimit *rl, int64_t now_us);

G_END_DECLS

#endif
