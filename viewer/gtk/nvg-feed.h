/* The viewer's network side: per collector one worker thread that owns its SUB socket (live
 * feed) and DEALER socket (control requests). Widgets never touch a socket.
 *
 * Several collectors (--collector given more than once): each worker is bounded as with one
 * (its own hand-over buffer and queue), and every sensor name that crosses to the main thread
 * is LABEL/SENSOR, so that the pages tell the collectors' sensors apart without knowing of
 * collectors: records, statuses (merged: the sensors of every collector in one
 * CollectorStatus; those of a collector that is away show as not connected), rates, flows,
 * alerts, events and command results. A request naming LABEL/SENSOR goes to that collector
 * with SENSOR; one for all sensors (and COMMAND_ALERTS, COMMAND_HOSTS) to every collector,
 * and their replies come back as one (results and alerts concatenated, ok only when every
 * collector said ok, a collector that could not be reached named in the error).
 *
 * Worker -> main thread: packet records go into a bounded buffer (records that do not fit are
 * counted, never queued without bound); every other message (status, rates, talkers, events,
 * control replies), checked by nvg-feed-parse, goes into a GAsyncQueue bounded in bytes
 * (NVG_FEED_QUEUE_BYTES: a message that does not fit is dropped and counted). The main thread
 * drains both on a timer.
 * Main thread -> worker: control requests on a GAsyncQueue plus an eventfd that wakes the
 * worker's zmq_poll(). */
#ifndef NVG_FEED_H
#define NVG_FEED_H

#include <gio/gio.h>
#include <stdint.h>

#include "netvigil.pb-c.h"
#include "nvg-feed-parse.h"
#include "nvg-pkt.h"
#include "nvg-sensor-names.h"

/* One row of the packet list: the record and the interned sensor name. Plain data. */
struct nvg_view_rec {
    struct nvg_pkt pkt;
    uint16_t sensor;
};

/* Bytes of messages waiting for the main thread, at most. */
#define NVG_FEED_QUEUE_BYTES (32u << 20)

/* What the feed socket's handshakes said (socket monitor), for the connection badge. */
enum nvg_feed_auth {
    NVG_FEED_AUTH_UNKNOWN,  /* no handshake finished yet */
    NVG_FEED_AUTH_OK,       /* the last handshake succeeded */
    NVG_FEED_AUTH_REFUSED,  /* the collector's ZAP handler refused our key */
    NVG_FEED_AUTH_MISMATCH, /* security handshake failed: wrong collector key, or keys on one
                             * side only */
};

struct nvg_feed_stats {
    uint64_t records;         /* records received (valid) */
    uint64_t records_dropped; /* did not fit the hand-over buffer (main thread too slow) */
    uint64_t records_skipped; /* published on the feed, never received: we fell behind (the
                               * collector's feed budget, our queue); from each Batch's
                               * feed_offset, a lower bound across reconnects (nvg-feed-skip.h) */
    uint64_t invalid;         /* messages or records that failed to parse or validate */
    uint64_t escaped;         /* peer strings shown escaped (not printable UTF-8, not a name) */
    uint64_t omitted;         /* sub-messages left out (unusable, or over a cap) */
    uint64_t queue_dropped;   /* messages dropped: NVG_FEED_QUEUE_BYTES were waiting */
    size_t queue_bytes;       /* bytes waiting now */
    enum nvg_feed_auth auth;
    int64_t auth_change_us; /* monotonic time of the last handshake event, 0 = never */
    int64_t last_rx_us;     /* monotonic time of the last feed message, 0 = never */
    /* The feed socket's TCP link as ZeroMQ reports it (socket monitor): a collector that
     * exits or is killed shows up here at once, before any silence timeout. */
    int link_up;            /* connected now */
    int64_t link_change_us; /* monotonic time link_up last changed, 0 = never */
    uint64_t disconnects;   /* links lost since start */
};

struct nvg_feed;

#define NVG_FEED_MAX_COLLECTORS 16

struct nvg_cert;
/* One collector: label NULL for the only one (names as they come), else its label (at most
 * NVG_VIEW_LABEL_MAX, no '/'). own and collector (both or neither, copied): CURVE on both
 * sockets with our key pair and the collector's public key. */
struct nvg_feed_collector {
    const char *label;
    const char *feed_ep, *control_ep;
    const struct nvg_cert *own, *collector;
};

/* Starts the workers, one per collector (1..NVG_FEED_MAX_COLLECTORS). pending_cap bounds the
 * records each hands over per drain. zctx is the process's ZeroMQ context. NULL with error set
 * when the sockets cannot be set up. */
struct nvg_feed *nvg_feed_new_multi(void *zctx, const struct nvg_feed_collector *collectors,
                                    guint n, guint pending_cap, struct nvg_sensor_names *names,
                                    GError **error);
/* One collector, names as they come. */
struct nvg_feed *nvg_feed_new(void *zctx, const char *feed_ep, const char *control_ep,
                              const struct nvg_cert *own, const struct nvg_cert *collector,
                              guint pending_cap, struct nvg_sensor_names *names, GError **error);
/* Stops and joins the workers, closes their sockets. NULL does nothing. */
void nvg_feed_free(struct nvg_feed *feed);

guint nvg_feed_get_n_collectors(struct nvg_feed *feed);
/* Collector i's label (NULL with one collector) and feed endpoint. */
const char *nvg_feed_get_label(struct nvg_feed *feed, guint i);
const char *nvg_feed_get_endpoint(struct nvg_feed *feed, guint i);

/* Main thread: the records of collector i received since the last call (oldest first). The
 * array stays valid until the next call for i. */
const struct nvg_view_rec *nvg_feed_take_records(struct nvg_feed *feed, guint i, guint *n);
/* The next non-record message of any collector, or NULL. Free it with nvg_feed_msg_free. */
struct nvg_feed_msg *nvg_feed_pop(struct nvg_feed *feed);
/* Every collector's counters summed (auth: the worst; the link: up only when every one is). */
void nvg_feed_get_stats(struct nvg_feed *feed, struct nvg_feed_stats *stats);
/* Collector i's own. */
void nvg_feed_get_collector_stats(struct nvg_feed *feed, guint i, struct nvg_feed_stats *stats);

/* Queue a control request (kind: Netvigil__CommandKind; sensor "" = all; with several
 * collectors LABEL/SENSOR). The answer comes back as an NVG_FEED_REPLY with the same id: the
 * collector's reply, or an error when it could not be sent. */
void nvg_feed_request(struct nvg_feed *feed, uint64_t id, int kind, const char *sensor,
                      const char *filter);
/* COMMAND_ALERTS: the alert events the collector kept, emitted at or after since_ms (wall
 * clock); the reply's alerts come oldest first. */
void nvg_feed_request_alerts(struct nvg_feed *feed, uint64_t id, int64_t since_ms);
/* COMMAND_HOSTS: the per-host totals, the heaviest limit hosts (0: the collector's 100). */
void nvg_feed_request_hosts(struct nvg_feed *feed, uint64_t id, uint32_t limit);

#endif
