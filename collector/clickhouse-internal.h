/* What clickhouse.c (the main thread's side: blocks, budget, status) and clickhouse-sink.c
 * (the sink's thread: schema, inserts, retries, retention) share. */
#ifndef NVG_CLICKHOUSE_INTERNAL_H
#define NVG_CLICKHOUSE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "clickhouse-http.h"
#include "clickhouse.h"
#include "nvg-ratelog.h"

/* A block: rows of one table in RowBinary, inserted with one request. */
struct nvg__ch_block {
    struct nvg__ch_block *next;
    enum nvg_ch_table table;
    uint32_t rows;
    unsigned refusals; /* times the server refused it */
    size_t len, cap;
    int64_t opened_ms;
    uint8_t *data;
};

/* dropped: every row lost, the ones that found no room and the abandoned ones (queued, then
 * refused by the server or left at shutdown). done: inserted + abandoned, raised after an
 * abandoned block of packet or flow rows is on the lost list (clickhouse.h). */
struct nvg__ch_table_counts {
    _Atomic uint64_t queued, inserted, dropped, abandoned, inserts, done;
};

struct nvg_clickhouse {
    struct nvg_ch_url url;
    char *user, *password;
    uint64_t limit; /* --clickhouse-buffer */
    size_t block_max;
    uint32_t batch_rows;
    int batch_ms;
    int retain_days;

    /* Main thread: the open blocks and their bytes. */
    struct nvg__ch_block *open[NVG_CH_TABLES];
    uint64_t open_bytes;
    int64_t now_ms;
    bool marked[NVG_CH_TABLES]; /* a mark closed the table's block this tick */
    struct nvg_ratelog rl_full;

    /* Bytes of closed blocks not yet inserted or dropped: the main thread adds, the sink
     * subtracts. */
    _Atomic uint64_t held;
    struct nvg__ch_table_counts counts[NVG_CH_TABLES];
    _Atomic uint64_t insert_failures, partitions_dropped;
    atomic_bool connected;

    /* Under mu: the queue of closed blocks, the stop request, the last error. */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    struct nvg__ch_block *head, *tail;
    /* With return_lost: abandoned packet and flow blocks, for nvg_clickhouse_take_lost (their bytes
     * stay in held until then). */
    struct nvg__ch_block *lost_head, *lost_tail;
    bool return_lost;
    bool stop;
    int64_t drain_deadline_ms; /* monotonic, once stop is set */
    char last_error[256];

    pthread_t thread;
    bool thread_running;
};

void nvg__ch_block_free(struct nvg__ch_block *b);
/* The sink's thread (clickhouse-sink.c). */
void *nvg__ch_sink_main(void *arg);

#endif
