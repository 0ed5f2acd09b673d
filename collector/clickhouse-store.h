/* --no-csv: ClickHouse as the collector's only store (issue 14). What the packet log's
 * durability hook (main.c, packets_durable) does for the CSV, done against the sink's progress
 * (clickhouse.h):
 *
 * - held end-of-stream acks go out once the sink is done with the sensor's rows (inserted, or
 *   dropped and counted as the sensor's write failures: nvg_ingest_durable, every tick);
 * - the sequence positions (sensors.state, with no log named: nothing to cut at a restart) are
 *   taken once a second, when every batch accounted so far has its rows in the sink's hands,
 *   and saved once the sink is done with those rows. A crash loses what waits in the sink's
 *   buffer; the restart then counts those batches as lost instead of claiming them;
 * - at shutdown the sink drains (NVG_CH_DRAIN_MS), what it could not insert is counted per
 *   sensor, then the acks and the last positions go out.
 *
 * Every call takes NULL (CSV logging on: main.c's hook does all this) and does nothing. Main
 * thread. */
#ifndef NVG_CLICKHOUSE_STORE_H
#define NVG_CLICKHOUSE_STORE_H

#include <stdint.h>

#include "clickhouse.h"
#include "ingest.h"
#include "sensors.h"

struct nvg_ch_store;

/* All lent; dir is where sensors.state lives. NULL when out of memory. */
struct nvg_ch_store *nvg_ch_store_new(struct nvg_clickhouse *ch, struct nvg_sensor_table *sensors,
                                      struct nvg_ingest *ingest, const char *dir);
/* Every tick: the acks. */
void nvg_ch_store_tick(struct nvg_ch_store *st);
/* Once a second: the positions. */
void nvg_ch_store_second(struct nvg_ch_store *st, int64_t now_ms);
/* Shutdown, after every module that hands the sink rows: stops the sink, then the acks and
 * the positions. */
void nvg_ch_store_finish(struct nvg_ch_store *st);
void nvg_ch_store_free(struct nvg_ch_store *st);

#endif
