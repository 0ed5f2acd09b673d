/* The viewer's network side: one worker thread that owns the SUB socket (live feed) and the
 * DEALER socket (control requests). Widgets never touch a socket.
 *
 * Worker -> main thread: packet records go into a bounded buffer (records that do not fit are
 * counted, never queued without bound); every other message (status, rates, talkers, events,
 * control replies) goes into a GAsyncQueue. The main thread drains both on a timer.
 * Main thread -> worker: control requests on a GAsyncQueue plus an eventfd that wakes the
 * worker's zmq_poll(). */
#ifndef NVG_FEED_H
#define NVG_FEED_H

#include <gio/gio.h>
#include <stdint.h>

#include "netvigil.pb-c.h"
#include "nvg-pkt.h"
#include "nvg-sensor-names.h"

/* One row of the packet list: the record and the interned sensor name. Plain data. */
struct nvg_view_rec {
    struct nvg_pkt pkt;
    uint16_t sensor;
};

enum nvg_feed_kind {
    NVG_FEED_STATUS,  /* pb: Netvigil__CollectorStatus */
    NVG_FEED_RATES,   /* pb: Netvigil__RateBatch */
    NVG_FEED_TALKERS, /* pb: Netvigil__TopTalkers */
    NVG_FEED_EVENT,   /* pb: Netvigil__Event (events and alerts) */
    NVG_FEED_REPLY,   /* pb: Netvigil__ControlReply, or NULL with error set */
};

struct nvg_feed_msg {
    enum nvg_feed_kind kind;
    ProtobufCMessage *pb; /* owned; freed by nvg_feed_msg_free */
    uint64_t request_id;  /* NVG_FEED_REPLY */
    char *error;          /* NVG_FEED_REPLY without pb: why the request went nowhere */
};

void nvg_feed_msg_free(struct nvg_feed_msg *msg);

struct nvg_feed_stats {
    uint64_t records;         /* records received (valid) */
    uint64_t records_dropped; /* did not fit the hand-over buffer (main thread too slow) */
    uint64_t invalid;         /* messages or records that failed to parse or validate */
    int64_t last_rx_us;       /* monotonic time of the last feed message, 0 = never */
    /* The feed socket's TCP link as ZeroMQ reports it (socket monitor): a collector that
     * exits or is killed shows up here at once, before any silence timeout. */
    int link_up;            /* connected now */
    int64_t link_change_us; /* monotonic time link_up last changed, 0 = never */
    uint64_t disconnects;   /* links lost since start */
};

struct nvg_feed;

/* Starts the worker. pending_cap bounds the records handed over per drain. zctx is the
 * process's ZeroMQ context. NULL with error set when the sockets cannot be set up. */
struct nvg_feed *nvg_feed_new(void *zctx, const char *feed_ep, const char *control_ep,
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

#endif
