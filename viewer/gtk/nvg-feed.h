/* The viewer's network side: one worker thread that owns the SUB socket (live feed) and the
 * DEALER socket (control requests). Widgets never touch a socket.
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

struct nvg_cert;
/* Starts the worker. pending_cap bounds the records handed over per drain. zctx is the
 * process's ZeroMQ context. own and collector (both or neither, copied): CURVE on both sockets
 * with our key pair and the collector's public key. NULL with error set when the sockets cannot
 * be set up. */
struct nvg_feed *nvg_feed_new(void *zctx, const char *feed_ep, const char *control_ep,
                              const struct nvg_cert *own, const struct nvg_cert *collector,
                              guint pending_cap, struct nvg_sensor_names *names, GError **error);
/* Stops and joins the worker, closes its sockets. NULL does nothing. */
void nvg_feed_free(struct nvg_feed *feed);

/* Main thread: the records received since the last call (oldest first). The array stays valid
 * until the next call. */
const struct nvg_view_rec *nvg_feed_take_records(struct nvg_feed *feed, guint *n);
/* The next non-record message or NULL. Free it with nvg_feed_msg_free. */
struct nvg_feed_msg *nvg_feed_pop(struct nvg_feed *feed);
void nvg_feed_get_stats(struct nvg_feed *feed, struct nvg_feed_stats *stats);

/* Queue a control request (kind: Netvigil__CommandKind; sensor "" = all). The answer comes
 * back as an NVG_FEED_REPLY with the same id: the collector's reply, or an error when it could
 * not be sent. */
void nvg_feed_request(struct nvg_feed *feed, uint64_t id, int kind, const char *sensor,
                      const char *filter);
/* COMMAND_ALERTS: the alert events the collector kept, emitted at or after since_ms (wall
 * clock); the reply's alerts come oldest first. */
void nvg_feed_request_alerts(struct nvg_feed *feed, uint64_t id, int64_t since_ms);
/* COMMAND_HOSTS: the per-host totals, the heaviest limit hosts (0: the collector's 100). */
void nvg_feed_request_hosts(struct nvg_feed *feed, uint64_t id, uint32_t limit);

#endif
