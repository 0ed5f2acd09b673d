/* The feed's insides, shared by nvg-feed.c (the workers, one per collector) and
 * nvg-feed-multi.c (what several collectors need on top: names prefixed with the collector's
 * label, statuses merged, requests routed, broadcast replies gathered). */
#ifndef NVG_FEED_PRIVATE_H
#define NVG_FEED_PRIVATE_H

#include "nvg-feed-skip.h"
#include "nvg-feed.h"
#include "nvg-monitor.h"

struct request {
    uint64_t id;
    int kind;
    char *sensor;
    char *filter;
    int64_t since_ms;
    uint32_t limit;
};

/* One collector's worker: the whole feed with one collector. */
struct nvg_feed_link {
    struct nvg_feed *hub;
    guint index;
    char *label; /* NULL: the only collector, names as they come; else LABEL/ before each */
    void *zctx;
    char *feed_ep, *control_ep;
    struct nvg_cert *own, *collector; /* NULL: no CURVE */
    struct nvg_sensor_names *names;
    GThread *thread;
    GCond ready_cond; /* startup handshake, under lock */
    int ready;        /* 0 starting, 1 running, -1 failed (ready_error) */
    GError *ready_error;
    int wake_fd; /* eventfd: main -> worker */
    gint stop;
    char requester[200];

    /* worker-owned */
    void *sub, *dealer;
    struct nvg_monitor *monitor;        /* the SUB socket's connect/disconnect events */
    int links;                          /* connected pipes of the SUB socket */
    int64_t orphaned_us;                /* when the SUB lost its link with no reconnect planned */
    struct nvg_monitor *dealer_monitor; /* the DEALER's: the same protocol-error ending */
    int64_t dealer_orphaned_us;
    struct nvg_arena *arena;
    struct nvg_feed_skips skips; /* forgotten at each disconnect */

    /* hand-over, under lock */
    GMutex lock;
    struct nvg_view_rec *fill, *spare;
    guint fill_n, cap;
    struct nvg_feed_stats stats;

    GAsyncQueue *out;      /* struct nvg_feed_msg * */
    GAsyncQueue *requests; /* struct request * */

    /* under hub->lock: the last status its collector sent, as checked (names not prefixed),
     * packed, with its sensor count and uptime (nvg-feed-multi.c) */
    GBytes *status;
    guint status_sensors;
    int64_t status_uptime_ms;
};

struct nvg_feed {
    struct nvg_feed_link *links[NVG_FEED_MAX_COLLECTORS];
    guint n;
    guint next_pop;      /* main thread: the link nvg_feed_pop looks at first */
    GMutex lock;         /* the links' status bytes and the gathers */
    GHashTable *gathers; /* guint64* request id -> struct nvg__gather* (nvg-feed-multi.c) */
};

/* nvg-feed.c: a request onto one link's queue (the worker sends it). */
void nvg__feed_link_queue(struct nvg_feed_link *link, uint64_t id, int kind, const char *sensor,
                          const char *filter, int64_t since_ms, uint32_t limit);
/* nvg-feed.c: hands m to the main thread through the link's byte-bounded queue. */
void nvg__feed_link_push(struct nvg_feed_link *link, struct nvg_feed_msg *m);

/* nvg-feed-multi.c, on the link's worker, with a label only. A feed message (not records):
 * its sensor names prefixed; a status merged with the other collectors' last ones. Returns
 * what to hand over (NULL: nothing, m freed). */
struct nvg_feed_msg *nvg__feed_multi_adopt(struct nvg_feed_link *link, struct nvg_feed_msg *m);
/* A control reply (or a request that could not be sent: pb NULL): names prefixed; a part of a
 * broadcast request is gathered, the whole handed over once every collector has answered.
 * Returns what to hand over now (NULL: nothing yet, m taken). */
struct nvg_feed_msg *nvg__feed_multi_reply(struct nvg_feed_link *link, struct nvg_feed_msg *m);
/* The link lost its collector: its sensors show as not connected in the merged status. */
void nvg__feed_multi_link_down(struct nvg_feed_link *link);
void nvg__feed_multi_init(struct nvg_feed *hub);
void nvg__feed_multi_clear(struct nvg_feed *hub);

#endif
