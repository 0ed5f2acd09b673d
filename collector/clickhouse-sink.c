/* The ClickHouse sink's thread (clickhouse.h): takes closed blocks from the queue in order and
 * inserts each with one request, creating the database and tables first (and again after any
 * refusal, so a table dropped under a running collector comes back). A failed insert keeps its
 * block at the head and is retried after a back-off; the blocks behind it wait in the budget.
 *
 * Retention: ClickHouse 18.16 (Debian 12) has no table TTL (19.6 added it), so with
 * --clickhouse-retain DAYS this thread drops whole day partitions (PARTITION BY
 * toYYYYMMDD(time)) whose day ended more than DAYS days ago, once the tables are ready and
 * then every hour. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clickhouse-internal.h"
#include "nvg-clock.h"
#include "nvg-log.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define REFUSALS_MAX 3
#define RETENTION_EVERY_MS (3600 * 1000)
#define IDLE_WAIT_MS 1000

struct sink {
    struct nvg_clickhouse *ch;
    struct nvg_ch_http *http;
    struct nvg__ch_block *cur; /* the block being inserted, out of the queue */
    bool schema_ready, failing;
    int64_t backoff_ms;
    int64_t next_retention_ms; /* monotonic; 0 = at the next chance */
    int64_t next_schema_ms;    /* monotonic: when an idle sink tries the tables again */
    struct nvg_ratelog rl_error;
};

static void note_result(struct sink *s, enum nvg_ch_result rc, const char *what, const char *err)
{
    struct nvg_clickhouse *ch = s->ch;
    atomic_store(&ch->connected, rc != NVG_CH_DOWN);
    if (rc == NVG_CH_OK) {
        if (s->failing)
            nvg_log(NVG_LOG_NOTICE, "ClickHouse %s: reachable again", ch->url.shown);
        s->failing = false;
        return;
    }
    s->failing = true;
    atomic_fetch_add(&ch->insert_failures, 1);
    pthread_mutex_lock(&ch->mu);
    snprintf(ch->last_error, sizeof(ch->last_error), "%s: %s", what, err);
    pthread_mutex_unlock(&ch->mu);
    uint64_t waiting = atomic_load(&ch->held);
    nvg_ratelog_log(&s->rl_error, nvg_clock_mono_ms(), NVG_LOG_ERR,
                    "ClickHouse %s: %s: %s; retrying with back-off (%" PRIu64
                    " bytes waiting of %" PRIu64 ")",
                    ch->url.shown, what, err, waiting, ch->limit);
}

static enum nvg_ch_result run_sql(struct sink *s, const char *what, const char *sql, char *resp,
                                  size_t resp_size)
{
    char err[256] = "";
    enum nvg_ch_result rc = nvg_ch_http_post(s->http, sql, NULL, 0, resp, resp_size, err);
    note_result(s, rc, what, err);
    return rc;
}

static enum nvg_ch_result ensure_schema(struct sink *s)
{
    char sql[4096];
    snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS %s", s->ch->url.db);
    enum nvg_ch_result rc = run_sql(s, "create database", sql, NULL, 0);
    for (int t = 0; t < NVG_CH_TABLES && rc == NVG_CH_OK; t++) {
        if (!nvg_ch_create_table(sql, sizeof(sql), s->ch->url.db, (enum nvg_ch_table)t))
            return NVG_CH_REFUSED; /* not reached: the statements are ours */
        rc = run_sql(s, "create table", sql, NULL, 0);
    }
    s->schema_ready = rc == NVG_CH_OK;
    return rc;
}

/* ---- retention ------------------------------------------------------------------------------- */

static bool is_day(const char *s, size_t n)
{
    if (n != 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* The table's partitions before cutoff (YYYYMMDD), dropped one by one. */
static void drop_before(struct sink *s, enum nvg_ch_table t, const char *cutoff)
{
    const struct nvg_clickhouse *ch = s->ch;
    char sql[512], resp[16384];
    snprintf(sql, sizeof(sql),
             "SELECT DISTINCT partition FROM system.parts WHERE database = '%s' AND table = '%s' "
             "AND active AND partition < '%s' ORDER BY partition FORMAT TabSeparated",
             ch->url.db, nvg_ch_table_name(t), cutoff);
    if (run_sql(s, "list partitions", sql, resp, sizeof(resp)) != NVG_CH_OK)
        return;
    for (char *line = resp; *line;) {
        size_t n = strcspn(line, "\n");
        if (is_day(line, n)) {
            snprintf(sql, sizeof(sql), "ALTER TABLE %s.%s DROP PARTITION %.8s", ch->url.db,
                     nvg_ch_table_name(t), line);
            if (run_sql(s, "drop partition", sql, NULL, 0) == NVG_CH_OK) {
                atomic_fetch_add(&s->ch->partitions_dropped, 1);
                nvg_log(NVG_LOG_NOTICE,
                        "ClickHouse: dropped partition %.8s of %s.%s (older than "
                        "--clickhouse-retain %d days)",
                        line, ch->url.db, nvg_ch_table_name(t), ch->retain_days);
            }
        }
        line += n + (line[n] == '\n');
    }
}

static void retention_pass(struct sink *s)
{
    s->next_retention_ms = nvg_clock_mono_ms() + RETENTION_EVERY_MS;
    time_t cut = (time_t)(nvg_clock_wall_ms() / 1000 - (int64_t)s->ch->retain_days * 86400);
    struct tm tm;
    char cutoff[16];
    if (!gmtime_r(&cut, &tm) || strftime(cutoff, sizeof(cutoff), "%Y%m%d", &tm) != 8)
        return;
    for (int t = 0; t < NVG_CH_TABLES; t++)
        drop_before(s, (enum nvg_ch_table)t, cutoff);
}

/* ---- inserts --------------------------------------------------------------------------------- */

static void finish(struct nvg_clickhouse *ch, struct nvg__ch_block *b, bool inserted)
{
    struct nvg__ch_table_counts *c = &ch->counts[b->table];
    uint32_t rows = b->rows;
    if (inserted) {
        atomic_fetch_add(&c->inserted, rows);
        atomic_fetch_add(&c->inserts, 1);
    } else {
        atomic_fetch_add(&c->dropped, rows);
        atomic_fetch_add(&c->abandoned, rows);
    }
    if (!inserted && ch->return_lost && (b->table == NVG_CH_PACKETS || b->table == NVG_CH_FLOWS)) {
        /* Whose rows they were is told to the main thread (clickhouse.h), before done says
         * they are done. */
        b->next = NULL;
        pthread_mutex_lock(&ch->mu);
        if (ch->lost_tail)
            ch->lost_tail->next = b;
        else
            ch->lost_head = b;
        ch->lost_tail = b;
        pthread_mutex_unlock(&ch->mu);
    } else {
        atomic_fetch_sub(&ch->held, b->len);
        nvg__ch_block_free(b);
    }
    atomic_fetch_add(&c->done, rows);
}

static enum nvg_ch_result insert(struct sink *s, struct nvg__ch_block *b)
{
    char sql[256], err[256] = "";
    snprintf(sql, sizeof(sql), "INSERT INTO %s.%s FORMAT RowBinary", s->ch->url.db,
             nvg_ch_table_name(b->table));
    enum nvg_ch_result rc = nvg_ch_http_post(s->http, sql, b->data, b->len, NULL, 0, err);
    note_result(s, rc, "insert", err);
    return rc;
}

/* One try of the block at hand. */
static void try_block(struct sink *s)
{
    struct nvg_clickhouse *ch = s->ch;
    enum nvg_ch_result rc = s->schema_ready ? NVG_CH_OK : ensure_schema(s);
    if (rc == NVG_CH_OK && ch->retain_days && nvg_clock_mono_ms() >= s->next_retention_ms)
        retention_pass(s);
    if (rc == NVG_CH_OK)
        rc = insert(s, s->cur);
    if (rc == NVG_CH_OK) {
        finish(ch, s->cur, true);
        s->cur = NULL;
        s->backoff_ms = 0;
        return;
    }
    s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (s->backoff_ms > BACKOFF_MAX_MS)
        s->backoff_ms = BACKOFF_MAX_MS;
    if (rc == NVG_CH_REFUSED) {
        s->schema_ready = false;
        if (++s->cur->refusals >= REFUSALS_MAX) {
            nvg_log(NVG_LOG_ERR,
                    "ClickHouse refused a batch of %" PRIu32 " %s row(s) %d times; dropped "
                    "(counted in clickhouse_dropped)",
                    s->cur->rows, nvg_ch_table_name(s->cur->table), REFUSALS_MAX);
            finish(ch, s->cur, false);
            s->cur = NULL;
        }
    }
}

/* Past the drain deadline: what is left is counted as dropped, per table. */
static void abandon_all(struct sink *s)
{
    struct nvg_clickhouse *ch = s->ch;
    uint64_t rows[NVG_CH_TABLES] = {0}, total = 0;
    pthread_mutex_lock(&ch->mu);
    struct nvg__ch_block *b = ch->head;
    ch->head = ch->tail = NULL;
    pthread_mutex_unlock(&ch->mu);
    if (s->cur) {
        s->cur->next = b;
        b = s->cur;
        s->cur = NULL;
    }
    for (struct nvg__ch_block *next; b; b = next) {
        next = b->next;
        rows[b->table] += b->rows;
        total += b->rows;
        finish(ch, b, false);
    }
    if (total)
        nvg_log(NVG_LOG_ERR,
                "stopping: %" PRIu64 " row(s) never reached ClickHouse within %d ms (packets "
                "%" PRIu64 ", rates %" PRIu64 ", alerts %" PRIu64 ", flows %" PRIu64
                "); counted in clickhouse_dropped",
                total, NVG_CH_DRAIN_MS, rows[NVG_CH_PACKETS], rows[NVG_CH_RATES],
                rows[NVG_CH_ALERTS], rows[NVG_CH_FLOWS]);
}

static struct timespec mono_at(int64_t ms)
{
    return (struct timespec){.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
}

/* Sleeps until until_ms (monotonic), or until a stop (a drain starts: try at once). Under mu. */
static void wait_locked(struct nvg_clickhouse *ch, int64_t until_ms, bool for_block)
{
    bool was_stopping = ch->stop;
    while (nvg_clock_mono_ms() < until_ms && ch->stop == was_stopping && !(for_block && ch->head)) {
        struct timespec ts = mono_at(until_ms);
        pthread_cond_timedwait(&ch->wake, &ch->mu, &ts);
    }
}

/* Work for an idle sink: the tables while they are not there, then retention when due. */
static bool maintenance_due(const struct sink *s)
{
    int64_t now = nvg_clock_mono_ms();
    if (!s->http)
        return false;
    if (!s->schema_ready)
        return now >= s->next_schema_ms;
    return s->ch->retain_days && now >= s->next_retention_ms;
}

static void maintenance(struct sink *s)
{
    if (!s->schema_ready) {
        if (ensure_schema(s) != NVG_CH_OK) {
            s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_FIRST_MS;
            if (s->backoff_ms > BACKOFF_MAX_MS)
                s->backoff_ms = BACKOFF_MAX_MS;
            s->next_schema_ms = nvg_clock_mono_ms() + s->backoff_ms;
            return;
        }
        s->backoff_ms = 0;
    }
    if (s->ch->retain_days && nvg_clock_mono_ms() >= s->next_retention_ms)
        retention_pass(s);
}

/* The next block to insert, waiting for one; NULL when stopped with nothing left or when
 * maintenance is due. */
static struct nvg__ch_block *next_block(struct sink *s)
{
    struct nvg_clickhouse *ch = s->ch;
    pthread_mutex_lock(&ch->mu);
    while (!ch->head && !ch->stop && !maintenance_due(s))
        wait_locked(ch, nvg_clock_mono_ms() + IDLE_WAIT_MS, true);
    struct nvg__ch_block *b = ch->head;
    if (b) {
        ch->head = b->next;
        if (!ch->head)
            ch->tail = NULL;
        b->next = NULL;
    }
    pthread_mutex_unlock(&ch->mu);
    return b;
}

static bool drain_over(struct nvg_clickhouse *ch)
{
    pthread_mutex_lock(&ch->mu);
    bool over = ch->stop && nvg_clock_mono_ms() >= ch->drain_deadline_ms;
    pthread_mutex_unlock(&ch->mu);
    return over;
}

static bool stopped_empty(struct nvg_clickhouse *ch)
{
    pthread_mutex_lock(&ch->mu);
    bool done = ch->stop && !ch->head;
    pthread_mutex_unlock(&ch->mu);
    return done;
}

static void back_off(struct sink *s)
{
    struct nvg_clickhouse *ch = s->ch;
    pthread_mutex_lock(&ch->mu);
    int64_t until = nvg_clock_mono_ms() + s->backoff_ms;
    if (ch->stop && until > ch->drain_deadline_ms)
        until = ch->drain_deadline_ms;
    wait_locked(ch, until, false);
    pthread_mutex_unlock(&ch->mu);
}

void *nvg__ch_sink_main(void *arg)
{
    struct sink s = {.ch = arg, .rl_error = NVG_RATELOG_INIT(10000)};
    s.http = nvg_ch_http_new(&s.ch->url, s.ch->user, s.ch->password);
    if (!s.http)
        nvg_log(NVG_LOG_ERR, "ClickHouse: out of memory for the HTTP client; nothing is inserted");
    for (;;) {
        if (!s.cur && !(s.cur = next_block(&s))) {
            if (stopped_empty(s.ch))
                break;
            maintenance(&s);
            continue;
        }
        if (!s.http || drain_over(s.ch)) {
            abandon_all(&s);
            if (stopped_empty(s.ch))
                break;
            back_off(&s);
            continue;
        }
        try_block(&s);
        if (s.cur)
            back_off(&s);
    }
    nvg_ch_http_free(s.http);
    return NULL;
}
