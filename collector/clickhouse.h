/* The ClickHouse sink (--clickhouse URL, issue 14): packet records, rates, alerts and
 * conversation records go into the tables packets, rates, alerts and flows of a ClickHouse
 * database (clickhouse-rows.h; README "ClickHouse"), beside the CSV logs.
 *
 * The main thread never waits for the database. Each call below encodes its rows in RowBinary
 * straight into the table's open block (no allocation per record: a block grows a few times
 * over its 100k rows); a block is closed when it holds batch_rows rows or is batch_ms old and
 * handed over a mutex to the sink's thread, which inserts it with one HTTP POST. A server that
 * is down, slow or refusing is retried with back-off (100 ms doubling to 5 s) while the blocks
 * wait; every byte waiting counts against buffer_size, and a row that finds no room is dropped
 * and counted per table (rows_dropped, "clickhouse_dropped" in the metrics), with a rate-limited
 * log line. A batch the server refuses (an HTTP error with ClickHouse's "Code:") three times is
 * dropped and counted the same way, so one bad batch cannot hold the rest back. At shutdown
 * the sink has NVG_CH_DRAIN_MS to insert what waits; what is left then is counted as dropped.
 *
 * With --no-csv ClickHouse is the store, and the collector's promises follow the sink's
 * progress instead of the packet log's flushes: per table, rows are numbered in the order they
 * were queued (nvg_clickhouse_mark) and the sink says how many it has inserted or dropped
 * (nvg_clickhouse_done; blocks are inserted in order, so every row numbered below it is done);
 * the packet and flow rows it drops after queueing them (refused, or left at shutdown) come back
 * to the main thread (nvg_clickhouse_take_lost), so the sensors they belong to are told.
 *
 * Every function takes ch == NULL (no --clickhouse) and does nothing, so the callers' hooks are
 * one line each. Main thread for all but the sink's own thread. */
#ifndef NVG_CLICKHOUSE_H
#define NVG_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clickhouse-rows.h"
#include "netvigil.pb-c.h"
#include "nvg-error.h"
#include "nvg-flow.h"
#include "nvg-pkt.h"

#define NVG_CH_BATCH_ROWS 100000u
#define NVG_CH_BATCH_MS 1000
#define NVG_CH_DRAIN_MS 5000
#define NVG_CH_BUFFER_DEFAULT (256ull << 20)
#define NVG_CH_BUFFER_MIN (64ull << 10)

struct nvg_clickhouse_config {
    const char *url;           /* http[s]://HOST:PORT/[?database=DB[&setting=v...]] */
    const char *user;          /* NULL: ClickHouse's default user */
    const char *password;      /* NULL: password_file's first line, or none */
    const char *password_file; /* NULL: none */
    uint64_t buffer_size;      /* bytes of rows waiting, at most */
    int retain_days;           /* 0: keep everything; else drop day partitions older */
    uint32_t batch_rows;       /* 0: NVG_CH_BATCH_ROWS */
    int batch_ms;              /* 0: NVG_CH_BATCH_MS */
    bool return_lost;          /* --no-csv: nvg_clickhouse_take_lost is called every tick */
};

struct nvg_clickhouse;

/* Checks the URL and reads the password file, then starts the thread, which creates the
 * database and tables when it first reaches the server. NULL with err. */
struct nvg_clickhouse *nvg_clickhouse_new(const struct nvg_clickhouse_config *cfg,
                                          char err[NVG_ERRBUF_SIZE]);
/* Closes the open blocks, gives the thread NVG_CH_DRAIN_MS to insert them, stops it: then
 * every row queued is done (inserted, or dropped and counted). Rows handed in afterwards are
 * dropped and counted. _free stops it first if this was not called. */
void nvg_clickhouse_stop(struct nvg_clickhouse *ch);
void nvg_clickhouse_free(struct nvg_clickhouse *ch);

/* Rows: the records of one accepted batch of sensor, a closed second of its rates, one alert
 * event as the CSV and the feed have it, the accepted conversation records of one batch.
 * packets and flows return the rows that found no room (dropped, counted). */
size_t nvg_clickhouse_packets(struct nvg_clickhouse *ch, const char *sensor,
                              const struct nvg_pkt *pkts, size_t n);
void nvg_clickhouse_rate(struct nvg_clickhouse *ch, const char *sensor, int64_t sec, int proto,
                         uint64_t packets, uint64_t bytes);
void nvg_clickhouse_alert(struct nvg_clickhouse *ch, const Netvigil__Alert *a);
size_t nvg_clickhouse_flows(struct nvg_clickhouse *ch, const char *sensor,
                            const struct nvg_flow *flows, size_t n);
/* Closes the blocks that are batch_ms old. From the main loop's tick. */
void nvg_clickhouse_tick(struct nvg_clickhouse *ch, int64_t now_ms);

/* Rows of table t queued so far (a monotonic count; rows dropped for want of room are not
 * numbered). mark closes t's open block first (once per tick), so they go out now rather than
 * at batch_ms. */
uint64_t nvg_clickhouse_mark(struct nvg_clickhouse *ch, enum nvg_ch_table t);
uint64_t nvg_clickhouse_queued(const struct nvg_clickhouse *ch, enum nvg_ch_table t);
/* Of those, the first ones the sink is done with (inserted, or dropped after queueing). Read it
 * before nvg_clickhouse_take_lost: every packet or flow row it covers that was dropped is then
 * given. */
uint64_t nvg_clickhouse_done(const struct nvg_clickhouse *ch, enum nvg_ch_table t);
/* With return_lost: the packet and flow rows dropped after queueing, as runs of one sensor's
 * rows of table t (sensor: its name, len bytes, not NUL-terminated), handed over once each. */
typedef void (*nvg_ch_lost_fn)(void *ud, enum nvg_ch_table t, const char *sensor, size_t len,
                               uint64_t rows);
void nvg_clickhouse_take_lost(struct nvg_clickhouse *ch, nvg_ch_lost_fn fn, void *ud);

/* The ClickHouseCounters of CollectorStatus, with the storage its pointers use. */
struct nvg_clickhouse_status {
    Netvigil__ClickHouseCounters msg;
    Netvigil__ClickHouseTable tables[NVG_CH_TABLES];
    Netvigil__ClickHouseTable *ptrs[NVG_CH_TABLES];
    char last_error[256];
    char url[1200];
};
void nvg_clickhouse_status(const struct nvg_clickhouse *ch, struct nvg_clickhouse_status *out);

#endif
