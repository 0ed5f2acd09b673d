/* See clickhouse.h. This file is the main thread's side: the open blocks rows are encoded
 * into, the byte budget, the hand-over to the sink's thread (clickhouse-sink.c) and the
 * status. */
#include "clickhouse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clickhouse-internal.h"
#include "nvg-clock.h"
#include "nvg-log.h"

#define BLOCK_FIRST (64u << 10) /* a block's first allocation; it doubles from there */
#define BLOCK_MAX (16u << 20)   /* 100k packet rows are about 10 MB */
#define SINK_STACK (256u << 10)

void nvg__ch_block_free(struct nvg__ch_block *b)
{
    if (b) {
        free(b->data);
        free(b);
    }
}

/* ---- the budget and the blocks ------------------------------------------------------------- */

/* Rows of row_max bytes the budget still has room for. */
static size_t budget_rows(const struct nvg_clickhouse *ch, size_t row_max)
{
    uint64_t used = atomic_load_explicit(&ch->held, memory_order_relaxed) + ch->open_bytes;
    return used + row_max <= ch->limit ? (size_t)((ch->limit - used) / row_max) : 0;
}

/* The block goes to the sink's queue. Its spare capacity is given back first: a block of a
 * quiet table closed by its age holds a few rows, and hundreds may wait while the server is
 * down. */
static void close_block(struct nvg_clickhouse *ch, enum nvg_ch_table t)
{
    struct nvg__ch_block *b = ch->open[t];
    if (!b)
        return;
    ch->open[t] = NULL;
    ch->open_bytes -= b->len;
    if (b->rows == 0) {
        nvg__ch_block_free(b);
        return;
    }
    if (b->cap > 2 * b->len + BLOCK_FIRST) {
        uint8_t *d = realloc(b->data, b->len);
        if (d) {
            b->data = d;
            b->cap = b->len;
        }
    }
    atomic_fetch_add_explicit(&ch->held, b->len, memory_order_relaxed);
    pthread_mutex_lock(&ch->mu);
    if (ch->tail)
        ch->tail->next = b;
    else
        ch->head = b;
    ch->tail = b;
    pthread_cond_signal(&ch->wake);
    pthread_mutex_unlock(&ch->mu);
}

static struct nvg__ch_block *open_block(struct nvg_clickhouse *ch, enum nvg_ch_table t)
{
    struct nvg__ch_block *b = calloc(1, sizeof(*b));
    size_t cap = BLOCK_FIRST < ch->block_max ? BLOCK_FIRST : ch->block_max;
    if (b)
        b->data = malloc(cap);
    if (!b || !b->data) {
        free(b);
        return NULL;
    }
    b->table = t;
    b->cap = cap;
    b->opened_ms = ch->now_ms;
    ch->open[t] = b;
    return b;
}

/* As close to need bytes as max allows; a failed realloc leaves the block as it was. */
static void grow_block(struct nvg__ch_block *b, size_t need, size_t max)
{
    size_t want = need < max ? need : max, cap = b->cap;
    if (cap >= want)
        return;
    while (cap < want)
        cap = cap * 2 < max ? cap * 2 : max;
    uint8_t *d = realloc(b->data, cap);
    if (d) {
        b->data = d;
        b->cap = cap;
    }
}

/* Room for up to want rows of row_max bytes in table t's open block: the place to write and
 * in *got how many fit (within the block's row limit, its size and the budget); NULL when not
 * one does. */
static uint8_t *reserve_rows(struct nvg_clickhouse *ch, enum nvg_ch_table t, size_t row_max,
                             size_t want, size_t *got)
{
    struct nvg__ch_block *b = ch->open[t];
    if (b && (b->rows >= ch->batch_rows || b->len + row_max > ch->block_max)) {
        close_block(ch, t);
        b = NULL;
    }
    size_t k = budget_rows(ch, row_max);
    if (k == 0 || (!b && !(b = open_block(ch, t))))
        return NULL;
    k = k < want ? k : want;
    if (k > ch->batch_rows - b->rows)
        k = ch->batch_rows - b->rows;
    grow_block(b, b->len + k * row_max, ch->block_max);
    size_t fit = (b->cap - b->len) / row_max;
    k = k < fit ? k : fit;
    if (k == 0)
        return NULL; /* out of memory: counted as dropped */
    *got = k;
    return b->data + b->len;
}

static void commit_rows(struct nvg_clickhouse *ch, enum nvg_ch_table t, size_t len, size_t rows)
{
    struct nvg__ch_block *b = ch->open[t];
    b->len += len;
    b->rows += (uint32_t)rows;
    ch->open_bytes += len;
    atomic_fetch_add_explicit(&ch->counts[t].queued, rows, memory_order_relaxed);
}

static void dropped(struct nvg_clickhouse *ch, enum nvg_ch_table t, size_t rows)
{
    uint64_t total = atomic_fetch_add_explicit(&ch->counts[t].dropped, rows, memory_order_relaxed);
    uint64_t used = atomic_load_explicit(&ch->held, memory_order_relaxed) + ch->open_bytes;
    nvg_ratelog_log(&ch->rl_full, ch->now_ms, NVG_LOG_ERR,
                    "ClickHouse buffer full (%" PRIu64 " of %" PRIu64
                    " bytes waiting; the server is down or slow: %s): dropped %zu %s row(s), "
                    "%" PRIu64 " so far",
                    used, ch->limit, atomic_load(&ch->connected) ? "slow" : "down", rows,
                    nvg_ch_table_name(t), total + rows);
}

/* ---- rows ------------------------------------------------------------------------------------ */

/* One sensor's n records of a table, in as many blocks as they take: row(out, name, item i)
 * writes each. Returns how many found no room (counted dropped). */
typedef size_t (*row_fn)(uint8_t *out, const struct nvg_ch_name *name, const void *items, size_t i);

static size_t put_rows(struct nvg_clickhouse *ch, enum nvg_ch_table table, size_t row_max,
                       const char *sensor, const void *items, size_t n, row_fn row)
{
    if (!ch || n == 0)
        return 0;
    struct nvg_ch_name name;
    nvg_ch_name_set(&name, sensor);
    size_t i = 0;
    while (i < n) {
        size_t k;
        uint8_t *p = reserve_rows(ch, table, row_max, n - i, &k);
        if (!p) {
            dropped(ch, table, n - i);
            return n - i;
        }
        uint8_t *start = p;
        for (size_t j = 0; j < k; j++)
            p += row(p, &name, items, i + j);
        commit_rows(ch, table, (size_t)(p - start), k);
        i += k;
    }
    return 0;
}

static size_t packet_row(uint8_t *out, const struct nvg_ch_name *name, const void *items, size_t i)
{
    return nvg_ch_row_packet(out, name, &((const struct nvg_pkt *)items)[i]);
}

static size_t flow_row(uint8_t *out, const struct nvg_ch_name *name, const void *items, size_t i)
{
    return nvg_ch_row_flow(out, name, &((const struct nvg_flow *)items)[i]);
}

size_t nvg_clickhouse_packets(struct nvg_clickhouse *ch, const char *sensor,
                              const struct nvg_pkt *pkts, size_t n)
{
    return put_rows(ch, NVG_CH_PACKETS, NVG_CH_PACKET_ROW_MAX, sensor, pkts, n, packet_row);
}

void nvg_clickhouse_rate(struct nvg_clickhouse *ch, const char *sensor, int64_t sec, int proto,
                         uint64_t packets, uint64_t bytes)
{
    if (!ch)
        return;
    struct nvg_ch_name name;
    nvg_ch_name_set(&name, sensor);
    size_t k;
    uint8_t *p = reserve_rows(ch, NVG_CH_RATES, NVG_CH_RATE_ROW_MAX, 1, &k);
    if (!p) {
        dropped(ch, NVG_CH_RATES, 1);
        return;
    }
    commit_rows(ch, NVG_CH_RATES, nvg_ch_row_rate(p, &name, sec, proto, packets, bytes), 1);
}

void nvg_clickhouse_alert(struct nvg_clickhouse *ch, const Netvigil__Alert *a)
{
    if (!ch)
        return;
    size_t k;
    uint8_t *p = reserve_rows(ch, NVG_CH_ALERTS, NVG_CH_ALERT_ROW_MAX, 1, &k);
    if (!p) {
        dropped(ch, NVG_CH_ALERTS, 1);
        return;
    }
    commit_rows(ch, NVG_CH_ALERTS, nvg_ch_row_alert(p, a), 1);
}

size_t nvg_clickhouse_flows(struct nvg_clickhouse *ch, const char *sensor,
                            const struct nvg_flow *flows, size_t n)
{
    return put_rows(ch, NVG_CH_FLOWS, NVG_CH_FLOW_ROW_MAX, sensor, flows, n, flow_row);
}

void nvg_clickhouse_tick(struct nvg_clickhouse *ch, int64_t now_ms)
{
    if (!ch)
        return;
    ch->now_ms = now_ms;
    for (int t = 0; t < NVG_CH_TABLES; t++) {
        const struct nvg__ch_block *b = ch->open[t];
        ch->marked[t] = false;
        if (b && (now_ms - b->opened_ms >= ch->batch_ms || now_ms < b->opened_ms))
            close_block(ch, (enum nvg_ch_table)t);
    }
}

/* ---- progress (--no-csv) --------------------------------------------------------------------- */

/* One close per table and tick: a sensor repeating EndOfStream cannot split the buffer into
 * blocks of a row each (their overhead is not in the budget). */
uint64_t nvg_clickhouse_mark(struct nvg_clickhouse *ch, enum nvg_ch_table t)
{
    if (!ch)
        return 0;
    if (!ch->marked[t])
        close_block(ch, t);
    ch->marked[t] = true;
    return nvg_clickhouse_queued(ch, t);
}

uint64_t nvg_clickhouse_queued(const struct nvg_clickhouse *ch, enum nvg_ch_table t)
{
    return ch ? atomic_load(&ch->counts[t].queued) : 0;
}

uint64_t nvg_clickhouse_done(const struct nvg_clickhouse *ch, enum nvg_ch_table t)
{
    return ch ? atomic_load(&ch->counts[t].done) : 0;
}

/* Consecutive rows of one sensor make one call: a block holds whole batches. */
static void give_lost(const struct nvg__ch_block *b, nvg_ch_lost_fn fn, void *ud)
{
    const uint8_t *run = NULL, *name;
    size_t run_len = 0, len, row;
    uint64_t rows = 0;
    for (size_t off = 0; off < b->len; off += row) {
        const uint8_t *p = b->data + off;
        row = b->table == NVG_CH_PACKETS ? nvg_ch_packet_row_sensor(p, b->len - off, &name, &len)
                                         : nvg_ch_flow_row_sensor(p, b->len - off, &name, &len);
        if (!row)
            break; /* not reached: the rows are ours */
        if (rows && (len != run_len || memcmp(name, run, len) != 0)) {
            fn(ud, b->table, (const char *)run, run_len, rows);
            rows = 0;
        }
        run = name;
        run_len = len;
        rows++;
    }
    if (rows)
        fn(ud, b->table, (const char *)run, run_len, rows);
}

void nvg_clickhouse_take_lost(struct nvg_clickhouse *ch, nvg_ch_lost_fn fn, void *ud)
{
    if (!ch)
        return;
    pthread_mutex_lock(&ch->mu);
    struct nvg__ch_block *b = ch->lost_head;
    ch->lost_head = ch->lost_tail = NULL;
    pthread_mutex_unlock(&ch->mu);
    for (struct nvg__ch_block *next; b; b = next) {
        next = b->next;
        give_lost(b, fn, ud);
        atomic_fetch_sub_explicit(&ch->held, b->len, memory_order_relaxed);
        nvg__ch_block_free(b);
    }
}

/* ---- start and stop -------------------------------------------------------------------------- */

/* The first line of path, without its line end. */
static char *read_password_file(const char *path, char *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, NVG_ERRBUF_SIZE, "--clickhouse-password-file %s: %s", path, strerror(errno));
        return NULL;
    }
    char line[512] = "";
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    char *p = strdup(line);
    memset(line, 0, sizeof(line));
    if (!p)
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
    return p;
}

static int take_credentials(struct nvg_clickhouse *ch, const struct nvg_clickhouse_config *cfg,
                            char *err)
{
    if (cfg->user && !(ch->user = strdup(cfg->user))) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NVG_ENOMEM;
    }
    if (cfg->password) {
        ch->password = strdup(cfg->password);
        if (!ch->password) {
            snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
            return NVG_ENOMEM;
        }
    } else if (cfg->password_file && !(ch->password = read_password_file(cfg->password_file, err)))
        return NVG_EIO;
    return 0;
}

static int start_thread(struct nvg_clickhouse *ch, char *err)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, SINK_STACK);
    int rc = pthread_create(&ch->thread, &attr, nvg__ch_sink_main, ch);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot start the ClickHouse thread: %s", strerror(rc));
        return NVG_ENOMEM;
    }
    ch->thread_running = true;
    return 0;
}

struct nvg_clickhouse *nvg_clickhouse_new(const struct nvg_clickhouse_config *cfg,
                                          char err[NVG_ERRBUF_SIZE])
{
    struct nvg_clickhouse *ch = calloc(1, sizeof(*ch));
    if (!ch) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&ch->mu, NULL);
    pthread_condattr_t ca; /* the sink's waits are on the monotonic clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ch->wake, &ca);
    pthread_condattr_destroy(&ca);
    ch->limit = cfg->buffer_size < NVG_CH_BUFFER_MIN ? NVG_CH_BUFFER_MIN : cfg->buffer_size;
    ch->block_max = ch->limit / 4 < BLOCK_MAX ? (size_t)(ch->limit / 4) : BLOCK_MAX;
    ch->batch_rows = cfg->batch_rows ? cfg->batch_rows : NVG_CH_BATCH_ROWS;
    ch->batch_ms = cfg->batch_ms > 0 ? cfg->batch_ms : NVG_CH_BATCH_MS;
    ch->retain_days = cfg->retain_days;
    ch->return_lost = cfg->return_lost;
    ch->now_ms = nvg_clock_wall_ms();
    ch->rl_full = NVG_RATELOG_INIT(10000);
    if (nvg_ch_url_parse(cfg->url, &ch->url, err) < 0 || take_credentials(ch, cfg, err) < 0 ||
        nvg_ch_http_global_init() < 0 || start_thread(ch, err) < 0) {
        if (!err[0])
            snprintf(err, NVG_ERRBUF_SIZE, "cannot start libcurl");
        nvg_clickhouse_free(ch);
        return NULL;
    }
    nvg_log(NVG_LOG_NOTICE,
            "ClickHouse sink: %s (tables packets, rates, alerts, flows; batches of %" PRIu32
            " rows or %d ms; buffer %" PRIu64 " MiB; %s)",
            ch->url.shown, ch->batch_rows, ch->batch_ms, ch->limit >> 20,
            ch->retain_days ? "day partitions dropped after --clickhouse-retain" : "no retention");
    return ch;
}

void nvg_clickhouse_stop(struct nvg_clickhouse *ch)
{
    if (!ch)
        return;
    for (int t = 0; t < NVG_CH_TABLES; t++)
        close_block(ch, (enum nvg_ch_table)t);
    if (ch->thread_running) {
        pthread_mutex_lock(&ch->mu);
        ch->stop = true;
        ch->drain_deadline_ms = nvg_clock_mono_ms() + NVG_CH_DRAIN_MS;
        pthread_cond_signal(&ch->wake);
        pthread_mutex_unlock(&ch->mu);
        pthread_join(ch->thread, NULL);
        ch->thread_running = false;
    }
}

void nvg_clickhouse_free(struct nvg_clickhouse *ch)
{
    if (!ch)
        return;
    nvg_clickhouse_stop(ch);
    for (int t = 0; t < NVG_CH_TABLES; t++)
        close_block(ch, (enum nvg_ch_table)t);
    /* The thread counted what it left as dropped; these came after it stopped. */
    for (struct nvg__ch_block *b = ch->head, *next; b; b = next) {
        next = b->next;
        atomic_fetch_add(&ch->counts[b->table].dropped, b->rows);
        atomic_fetch_add(&ch->counts[b->table].abandoned, b->rows);
        nvg__ch_block_free(b);
    }
    for (struct nvg__ch_block *b = ch->lost_head, *next; b; b = next) {
        next = b->next;
        nvg__ch_block_free(b);
    }
    pthread_cond_destroy(&ch->wake);
    pthread_mutex_destroy(&ch->mu);
    free(ch->user);
    if (ch->password) {
        memset(ch->password, 0, strlen(ch->password));
        free(ch->password);
    }
    free(ch);
}

/* ---- status ---------------------------------------------------------------------------------- */

void nvg_clickhouse_status(const struct nvg_clickhouse *ch, struct nvg_clickhouse_status *out)
{
    netvigil__click_house_counters__init(&out->msg);
    struct nvg_clickhouse *mut = (struct nvg_clickhouse *)ch; /* the mutex, for a moment */
    pthread_mutex_lock(&mut->mu);
    snprintf(out->last_error, sizeof(out->last_error), "%s", ch->last_error);
    pthread_mutex_unlock(&mut->mu);
    snprintf(out->url, sizeof(out->url), "%s", ch->url.shown);
    for (int t = 0; t < NVG_CH_TABLES; t++) {
        Netvigil__ClickHouseTable *m = &out->tables[t];
        const struct nvg__ch_table_counts *c = &ch->counts[t];
        netvigil__click_house_table__init(m);
        m->name = (char *)nvg_ch_table_name((enum nvg_ch_table)t);
        m->rows_queued = atomic_load(&c->queued);
        m->rows_inserted = atomic_load(&c->inserted);
        m->rows_dropped = atomic_load(&c->dropped);
        m->inserts = atomic_load(&c->inserts);
        /* dropped also counts rows that never found room; abandoned only queued ones. */
        uint64_t done = m->rows_inserted + atomic_load(&c->abandoned);
        m->rows_buffered = m->rows_queued > done ? m->rows_queued - done : 0;
        out->ptrs[t] = m;
    }
    out->msg.url = out->url;
    out->msg.connected = atomic_load(&ch->connected);
    out->msg.n_tables = NVG_CH_TABLES;
    out->msg.tables = out->ptrs;
    out->msg.buffered_bytes = atomic_load(&ch->held) + ch->open_bytes;
    out->msg.buffer_size = ch->limit;
    out->msg.insert_failures = atomic_load(&ch->insert_failures);
    out->msg.last_error = out->last_error;
    out->msg.partitions_dropped = atomic_load(&ch->partitions_dropped);
    out->msg.retain_days = (uint32_t)ch->retain_days;
}
