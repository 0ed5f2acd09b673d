/* The live feed (PUB, 7701): two frames per message, a topic then one protobuf body.
 *
 * PUB never blocks: a subscriber that cannot keep up loses messages at its high-water mark
 * (sized from the memory budget by main.c), and the collector's logging never waits for a
 * viewer. Every body is packed once into a message charged to the feed's share of the memory
 * budget (budget.h) and shared by all subscribers; a body that would overrun the share is
 * dropped and counted (budget_dropped). Records go out re-encoded from what ingest validated,
 * never as the bytes a sensor sent. The socket is lent by main.c, which opens and closes it.
 *
 * Every published Batch carries feed_offset: the records published under its sensor's name
 * before it since the collector started, counted here whether the batch then reaches a
 * subscriber or not (over the budget, past a subscriber's high-water mark). A subscriber adds
 * up what it received per name and sees the difference as skipped; an offset below what it
 * expects means a new collector. Per name rather than one counter for the feed, because a
 * subscriber to rec/NAME gets only that sensor's batches. */
#ifndef NVG_FANOUT_H
#define NVG_FANOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connections.h"
#include "nvg-wire.h"
#include "peer.h"
#include "sensors.h"

/* pub, sensors (whose talkers nvg_fanout_talkers publishes) and security are lent and must
 * outlive the fanout. */
struct nvg_fanout_config {
    void *pub;
    struct nvg_sensor_table *sensors;
    uint64_t memory_budget; /* the collector's; the feed takes NVG_BUDGET_FEED_SHARE */
    struct nvg_security_counters *security;
    /* The feed socket's connections (NULL: unknown): with none open, records are not encoded
     * for nobody; their feed offsets still advance. */
    const struct nvg_connections *conns;
};

struct nvg_fanout;

/* NULL when out of memory. */
struct nvg_fanout *nvg_fanout_new(const struct nvg_fanout_config *cfg);
void nvg_fanout_free(struct nvg_fanout *f);

/* Whether anyone may receive the feed (nvg_connections_maybe_open of the feed socket): a
 * publisher with nothing to tell skips encoding, after advancing its feed offsets. */
bool nvg_fanout_has_subscribers(const struct nvg_fanout *f);
/* A body that is already encoded (the status, packed once for feed and control). */
void nvg_fanout_raw(struct nvg_fanout *f, const char *topic, size_t topic_len, const void *body,
                    size_t len);
void nvg_fanout_pb(struct nvg_fanout *f, const char *topic, const ProtobufCMessage *msg);
/* n validated records of sensor s as the Batch with sequence number seq (topic rec/NAME). */
void nvg_fanout_batch(struct nvg_fanout *f, const struct nvg_sensor_entry *s, uint64_t seq,
                      const struct nvg_pkt *pkts, size_t n);
/* The feed offset of the next n records of sensor, which are then counted as published
 * (nvg_fanout_batch calls it; apart for the unit test). */
uint64_t nvg_fanout_take_offset(struct nvg_fanout *f, const char *sensor, size_t n);

/* Keep one closed second for the next nvg_fanout_rates (the name is copied). Without memory
 * the sample is dropped (the rates log has its row). */
void nvg_fanout_queue_rate(struct nvg_fanout *f, const char *sensor, int64_t sec, int proto,
                           uint64_t packets, uint64_t bytes);
/* Publish the queued seconds in RateBatches of at most 1024 samples. */
void nvg_fanout_rates(struct nvg_fanout *f);
/* Each sensor's top talkers of the interval just ended; starts the next interval. */
void nvg_fanout_talkers(struct nvg_fanout *f, int64_t interval_start_s, uint32_t interval_s);
void nvg_fanout_event(struct nvg_fanout *f, const char *kind, const char *sensor, const char *text);

#endif
