/* The sensor side of the collector: every message from the sensor ROUTER (7700).
 *
 * Hello, Batch, SensorStatus and EndOfStream update the sensor table; a batch's records become
 * rows of the packet log, counts of its sensor's rates and talkers, and a message on the feed
 * re-encoded from the validated records (nothing a sensor sent unchecked, no unknown field,
 * reaches a subscriber). CommandReplies are passed to control. Replies to a sensor (Refused,
 * EndOfStreamAck) go back on the same socket.
 *
 * Every message is checked whole before it changes anything: the sensor name is
 * nvg_name_valid and every other string nvg_text_valid within its cap (else invalid_strings);
 * with keys the peer must hold the sensor role (else role_refused) and may speak only for its
 * certificate's name; and the name must be pinned to the connection the message came on
 * (sensors.h; else name_refused). Only then do sequence numbers, boot ids and end of stream
 * count. Each refusal is counted in the security counters and logged, rate-limited. */
#ifndef NVG_INGEST_H
#define NVG_INGEST_H

#include <stdint.h>

#include "alerts.h"
#include "clickhouse.h"
#include "control.h"
#include "csv-writer.h"
#include "fanout.h"
#include "flows.h"
#include "nvg-ratelog.h"
#include "peer.h"
#include "sensors.h"

/* Everything is lent and must outlive the ingest. */
struct nvg_ingest_config {
    void *router; /* the sensor ROUTER (7700) */
    struct nvg_sensor_table *sensors;
    struct nvg_csv_writer *packets; /* one row per record; NULL: --no-csv */
    struct nvg_csv_writer *rates;   /* one row per closed (second, sensor, protocol) */
    struct nvg_fanout *feed;
    struct nvg_alerts *alerts;         /* sees every validated record */
    struct nvg_flow_log *flows;        /* takes each accepted batch's conversation records */
    struct nvg_control *control;       /* takes the CommandReplies */
    struct nvg_clickhouse *clickhouse; /* a copy of the packet and rates rows; NULL: none */
    /* The collector's clock, the wall time of the message at hand: set here per message. */
    int64_t *now_ms;
    /* The rate limit of the packet log's write failures, shared with main's sensors.state
     * warnings: a failing disk is reported once per interval whichever way it shows. */
    struct nvg_ratelog *write_log;
    bool keys; /* the socket runs CURVE with ZAP: peers carry a role and a certificate name */
    struct nvg_security_counters *security; /* name_refused, role_refused, invalid_strings */
};

/* The messages ingest turned away, for status: malformed (does not parse, wrong frames, no
 * version and no body), unknown (a body this collector does not know), refused (another
 * protocol version), invalid_batches (a Batch with an invalid record or an implausible
 * sequence number). Refusals for names, roles and strings are in the security counters. */
struct nvg_ingest_counters {
    uint64_t malformed, unknown, refused, invalid_batches;
};

struct nvg_ingest;

/* NULL when out of memory. */
struct nvg_ingest *nvg_ingest_new(const struct nvg_ingest_config *cfg);
void nvg_ingest_free(struct nvg_ingest *ing);
/* Handle up to max messages waiting on the sensor ROUTER; returns how many. */
int nvg_ingest_drain(struct nvg_ingest *ing, int max);
/* One closed second of sensor s's rates: a row of the rates log and a sample queued on the
 * feed. The sensor table's rates callback ends here. */
void nvg_ingest_rate_closed(struct nvg_ingest *ing, const struct nvg_sensor_entry *s, int64_t sec,
                            int proto, uint64_t packets, uint64_t bytes);
const struct nvg_ingest_counters *nvg_ingest_counters(const struct nvg_ingest *ing);
/* The packet log reached the disk up to its current end: send the end-of-stream acks that
 * waited for their rows (main.c calls this after each durable flush). With --no-csv (packets
 * NULL) ClickHouse is the store: the acks wait for the sink to be done with the sensor's rows
 * (clickhouse.h), the rows it dropped count as the sensor's write failures, and main.c calls
 * this every tick. */
void nvg_ingest_durable(struct nvg_ingest *ing);
/* Shutdown, before the packet writer closes (--no-csv: after the sink stopped): a last flush;
 * rows it cannot write are counted per sensor as write failures and dropped, then every held
 * ack goes out. */
void nvg_ingest_finish(struct nvg_ingest *ing);

#endif
