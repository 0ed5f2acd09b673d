/* Conversation records at the collector (issue 12): the flows of every accepted batch are
 * validated one by one (nvg_flow_from_pb: a record of another format or with a bad field is
 * refused and counted per sensor, flows_refused, and the batch's packet records are still
 * taken), written to DIR/flows-*.csv (NVG_FLOW_CSV_HEADER; rotated like the packet log; a
 * row that finds no room is a write failure, counted like packet rows), published on the feed
 * topic "flow" as a FlowBatch (charged to the feed's budget, feed_offset per sensor as for
 * records), and counted into the per-host totals (hosts.h). */
#ifndef NVG_FLOWS_H
#define NVG_FLOWS_H

#include <stdint.h>

#include "clickhouse.h"
#include "csv-writer.h"
#include "fanout.h"
#include "hosts.h"
#include "netvigil.pb-c.h"
#include "nvg-ratelog.h"
#include "sensors.h"

struct nvg_flow_log_config {
    const char *dir;
    uint64_t rotate_size;
    int64_t rotate_interval_s;
    struct nvg_fanout *feed;           /* lent */
    struct nvg_hosts *hosts;           /* lent */
    struct nvg_clickhouse *clickhouse; /* lent: a copy of the rows; NULL: none */
    bool no_csv;                       /* no flows-*.csv: clickhouse is the store */
};

struct nvg_flow_log;

/* Opens the first flows-*.csv (after repairing torn files a crash left). NULL with err. */
struct nvg_flow_log *nvg_flow_log_new(const struct nvg_flow_log_config *cfg, char *err);
void nvg_flow_log_free(struct nvg_flow_log *fl);

/* The flows of batch b of sensor s, whose records were accepted. */
void nvg_flow_log_batch(struct nvg_flow_log *fl, struct nvg_sensor_entry *s,
                        const Netvigil__Batch *b, int64_t now_ms);
/* End of a file's stream of s: flows the sensor says it sent that never arrived are counted
 * (flows_missing), and the log is flushed. */
void nvg_flow_log_end(struct nvg_flow_log *fl, struct nvg_sensor_entry *s, uint64_t sent);

struct nvg_csv_writer *nvg_flow_log_writer(const struct nvg_flow_log *fl);

#endif
