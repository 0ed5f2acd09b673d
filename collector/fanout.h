/* The live feed (PUB, 7701): two frames per message, a topic then one protobuf body.
 *
 * PUB never blocks: a subscriber that cannot keep up loses messages at its high-water mark,
 * and the collector's logging never waits for a viewer. The socket is lent by main.c, which
 * opens and closes it. */
#ifndef NVG_FANOUT_H
#define NVG_FANOUT_H

#include <stddef.h>
#include <stdint.h>

#include "nvg-wire.h"
#include "sensors.h"

struct nvg_fanout;

/* pub: the feed socket; sensors: whose talkers nvg_fanout_talkers publishes. Both lent, and
 * must outlive the fanout. NULL when out of memory. */
struct nvg_fanout *nvg_fanout_new(void *pub, struct nvg_sensor_table *sensors);
void nvg_fanout_free(struct nvg_fanout *f);

/* A body that is already encoded (a sensor's Batch, republished as it came). */
void nvg_fanout_raw(struct nvg_fanout *f, const char *topic, size_t topic_len, const void *body,
                    size_t len);
void nvg_fanout_pb(struct nvg_fanout *f, const char *topic, const ProtobufCMessage *msg);

/* Keep one closed second for the next nvg_fanout_rates. sensor is lent: the sensor table's
 * entries live as long as the table. Without memory the sample is dropped (the rates log has
 * its row). */
void nvg_fanout_queue_rate(struct nvg_fanout *f, const char *sensor, int64_t sec, int proto,
                           uint64_t packets, uint64_t bytes);
/* Publish the queued seconds in RateBatches of at most 1024 samples. */
void nvg_fanout_rates(struct nvg_fanout *f);
/* Each sensor's top talkers of the interval just ended; starts the next interval. */
void nvg_fanout_talkers(struct nvg_fanout *f, int64_t interval_start_s, uint32_t interval_s);
void nvg_fanout_event(struct nvg_fanout *f, const char *kind, const char *sensor, const char *text);

#endif
