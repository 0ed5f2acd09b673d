/* See alerts.h. */
#include "alerts.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvg-alert-wire.h"
#include "nvg-clock.h"
#include "nvg-detect.h"
#include "nvg-log.h"
#include "nvg-wire.h"
#include "sensors.h"

#define CLOCK_AHEAD_MAX_NS (60LL * 1000000000LL)

/* The engine runs on a thread of its own, so that it never slows the packet log: the main
 * thread copies each record into a ring (shed and counted when the engine falls that far
 * behind) and takes the alert events back from a second ring on its tick, to write, publish
 * and keep them. Both rings have one writer and one reader. */
#define RING_RECORDS 16384u /* records in flight to the engine: ~1.9 MB */
#define EVENTS_MAX 1024u    /* alert events in flight back */
#define TICK_MS 100
#define WORKER_STACK (1u << 20)

/* A record without its payload bytes, which no detector reads. */
#define PKT_HEAD offsetof(struct nvg_pkt, payload)
struct det_rec {
    uint8_t pkt[PKT_HEAD];
    uint32_t sensor;
};

struct kept {
    struct nvg_alert a;
    int64_t time_ms;
};

struct nvg_alerts {
    struct nvg_detect *engine; /* the worker's while it runs, then the main thread's again */
    pthread_t worker;
    bool worker_running;
    /* Records: written by the main thread at head, read by the worker at tail. */
    struct det_rec *recs;
    _Atomic size_t rec_head, rec_tail;
    uint64_t records_shed; /* main thread's */
    /* Alert events: written by the worker, read by the main thread. */
    struct kept *events;
    _Atomic size_t ev_head, ev_tail;
    _Atomic uint64_t events_dropped;
    _Atomic(struct nvg_detect_rules *) new_rules; /* a reload for the worker to take */
    atomic_bool stop;
    pthread_mutex_t mu; /* the wake-up and the stats snapshot */
    pthread_cond_t wake;
    struct nvg_detect_stats stats; /* the worker's last snapshot, under mu */
    char *rules_path;
    struct nvg_csv_writer *log;
    struct nvg_fanout *feed;
    struct nvg_clickhouse *clickhouse;
    uint64_t config_errors, rows_failed;
    uint64_t started_by[NVG_DET_COUNT][NVG_SEV_CRITICAL + 1]; /* main thread's: alerts started */
    /* The engine's sensor indexes: names in order of first sight. */
    char (*names)[NVG_NAME_MAX + 1];
    unsigned n_names;
    int64_t clock_ns, clock_wall_ms; /* the worker's: newest record time, wall clock then */
    int64_t now_ms;                  /* the worker's wall clock of the tick emitting */
    struct kept *ring;
    size_t ring_next, ring_n;
    uint8_t *packed;
    size_t packed_cap;
    uint64_t own_ids;
};

static const char *sensor_name(void *ud, unsigned index)
{
    struct nvg_alerts *al = ud;
    return index < al->n_names ? al->names[index] : "";
}

static void write_row(struct nvg_alerts *al, const Netvigil__Alert *m)
{
    char *row = nvg_csv_writer_reserve(al->log, NVG_ALERT_LINE_MAX);
    size_t n = row ? nvg_alert_format_csv(row, m) : 0;
    if (n)
        nvg_csv_writer_commit(al->log, n);
    nvg_csv_writer_count_rows(al->log, n ? 1 : 0, n ? 0 : 1);
}

/* Every event goes to the log, the feed and the ring; the log line is the operator's too.
 * Main thread. */
static void emit(struct nvg_alerts *al, const struct nvg_alert *a, int64_t time_ms)
{
    struct nvg_alert_pb pb;
    nvg_alert_to_pb(a, time_ms, sensor_name, al, &pb);
    write_row(al, &pb.pb);
    nvg_clickhouse_alert(al->clickhouse, &pb.pb);
    nvg_fanout_pb(al->feed, NVG_TOPIC_ALERTS, &pb.pb.base);
    struct kept *k = &al->ring[al->ring_next];
    k->a = *a;
    k->time_ms = time_ms;
    al->ring_next = (al->ring_next + 1) % NVG_ALERTS_KEPT;
    if (al->ring_n < NVG_ALERTS_KEPT)
        al->ring_n++;
    if (a->event == NVG_ALERT_START && a->detector < NVG_DET_COUNT &&
        a->severity <= NVG_SEV_CRITICAL)
        al->started_by[a->detector][a->severity]++;
    if (a->event == NVG_ALERT_START)
        nvg_log(a->severity >= NVG_SEV_HIGH ? NVG_LOG_WARNING : NVG_LOG_NOTICE,
                "alert #%" PRIu64 " (%s, %s): %s", a->id, nvg_detector_name(a->detector),
                nvg_severity_name(a->severity), a->summary);
}

/* The engine's callback on the worker: the event goes back to the main thread. */
static void on_alert(const struct nvg_alert *a, void *ud)
{
    struct nvg_alerts *al = ud;
    size_t head = atomic_load_explicit(&al->ev_head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&al->ev_tail, memory_order_acquire);
    if (head - tail >= EVENTS_MAX) {
        atomic_fetch_add_explicit(&al->events_dropped, 1, memory_order_relaxed);
        return;
    }
    struct kept *k = &al->events[head % EVENTS_MAX];
    k->a = *a;
    k->time_ms = al->now_ms;
    atomic_store_explicit(&al->ev_head, head + 1, memory_order_release);
}

/* After the worker stopped the engine is the main thread's: events straight out. */
static void on_alert_direct(const struct nvg_alert *a, void *ud)
{
    emit(ud, a, nvg_clock_wall_ms());
}

static void take_events(struct nvg_alerts *al)
{
    size_t tail = atomic_load_explicit(&al->ev_tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&al->ev_head, memory_order_acquire);
    for (; tail != head; tail++) {
        const struct kept *k = &al->events[tail % EVENTS_MAX];
        emit(al, &k->a, k->time_ms);
    }
    atomic_store_explicit(&al->ev_tail, tail, memory_order_release);
}

/* ---- the worker ---------------------------------------------------------------------------- */

static void feed_engine(struct nvg_alerts *al, const struct det_rec *r, int64_t now_ms)
{
    struct nvg_pkt pkt;
    memcpy(&pkt, r->pkt, PKT_HEAD);
    pkt.payload_len = 0;
    nvg_detect_record(al->engine, r->sensor, &pkt);
    if (pkt.ts_ns > al->clock_ns && !(pkt.flags & NVG_PKT_TIME_CLAMPED) &&
        pkt.ts_ns <= now_ms * 1000000 + CLOCK_AHEAD_MAX_NS) {
        al->clock_ns = pkt.ts_ns;
        al->clock_wall_ms = now_ms;
    }
}

/* Everything in the ring now; returns whether there was anything. */
static bool drain_records(struct nvg_alerts *al, int64_t now_ms)
{
    size_t tail = atomic_load_explicit(&al->rec_tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&al->rec_head, memory_order_acquire);
    if (tail == head)
        return false;
    for (; tail != head; tail++) {
        feed_engine(al, &al->recs[tail % RING_RECORDS], now_ms);
        if ((tail & 1023) == 0) /* give the room back as it goes */
            atomic_store_explicit(&al->rec_tail, tail + 1, memory_order_release);
    }
    atomic_store_explicit(&al->rec_tail, tail, memory_order_release);
    return true;
}

static void worker_tick(struct nvg_alerts *al, int64_t now_ms)
{
    struct nvg_detect_rules *rules = atomic_exchange(&al->new_rules, NULL);
    if (rules) {
        nvg_detect_set_rules(al->engine, rules);
        free(rules);
    }
    if (al->clock_ns) {
        int64_t since = now_ms - al->clock_wall_ms;
        al->now_ms = now_ms;
        nvg_detect_tick(al->engine, al->clock_ns + (since > 0 ? since : 0) * 1000000, on_alert, al);
    }
    pthread_mutex_lock(&al->mu);
    nvg_detect_stats(al->engine, &al->stats);
    pthread_mutex_unlock(&al->mu);
}

static void sleep_until_woken(struct nvg_alerts *al, int64_t until_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wait_ms = until_ms - nvg_clock_wall_ms();
    if (wait_ms <= 0)
        return;
    ts.tv_sec += wait_ms / 1000;
    ts.tv_nsec += (wait_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&al->mu);
    if (!atomic_load(&al->stop) &&
        atomic_load(&al->rec_head) == atomic_load_explicit(&al->rec_tail, memory_order_relaxed))
        pthread_cond_timedwait(&al->wake, &al->mu, &ts);
    pthread_mutex_unlock(&al->mu);
}

static void *worker_main(void *arg)
{
    struct nvg_alerts *al = arg;
    int64_t next_tick = 0;
    for (;;) {
        int64_t now = nvg_clock_wall_ms();
        bool busy = drain_records(al, now);
        if (now >= next_tick) {
            worker_tick(al, now);
            next_tick = now + TICK_MS;
        }
        if (!busy && atomic_load(&al->stop))
            break;
        if (!busy)
            sleep_until_woken(al, next_tick);
    }
    return NULL;
}

static void wake_worker(struct nvg_alerts *al)
{
    pthread_mutex_lock(&al->mu);
    pthread_cond_signal(&al->wake);
    pthread_mutex_unlock(&al->mu);
}

static int start_worker(struct nvg_alerts *al, char *err)
{
    al->recs = malloc(RING_RECORDS * sizeof(*al->recs));
    al->events = malloc(EVENTS_MAX * sizeof(*al->events));
    if (!al->recs || !al->events) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory (detection queues)");
        return NVG_ENOMEM;
    }
    /* Touched now, so that the collector's resident size at start already holds them. */
    explicit_bzero(al->recs, RING_RECORDS * sizeof(*al->recs));
    explicit_bzero(al->events, EVENTS_MAX * sizeof(*al->events));
    pthread_mutex_init(&al->mu, NULL);
    pthread_cond_init(&al->wake, NULL);
    nvg_detect_stats(al->engine, &al->stats);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    int rc = pthread_create(&al->worker, &attr, worker_main, al);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot start the detection thread: %s", strerror(rc));
        pthread_cond_destroy(&al->wake);
        pthread_mutex_destroy(&al->mu);
        return NVG_ENOMEM;
    }
    al->worker_running = true;
    return 0;
}

static void stop_worker(struct nvg_alerts *al)
{
    if (!al->worker_running)
        return;
    atomic_store(&al->stop, true);
    wake_worker(al);
    pthread_join(al->worker, NULL);
    al->worker_running = false;
    pthread_cond_destroy(&al->wake);
    pthread_mutex_destroy(&al->mu);
    take_events(al);
    free(atomic_exchange(&al->new_rules, NULL));
}

static int load_rules(const char *path, struct nvg_detect_rules *rules, char *err)
{
    if (!path) {
        nvg_detect_rules_default(rules);
        return 0;
    }
    return nvg_detect_rules_load(path, rules, err);
}

static int open_log(struct nvg_alerts *al, const struct nvg_alerts_config *cfg, char *err)
{
    struct nvg_csv_writer_config wc = {
        .dir = cfg->out_dir,
        .prefix = "alerts",
        .header = NVG_ALERT_CSV_HEADER,
        .rotate_size = cfg->rotate_size,
        .rotate_interval_s = cfg->rotate_interval_s,
        .buffer_size = 256u << 10,
    };
    nvg_csv_repair_dir(cfg->out_dir, "alerts");
    if (cfg->no_csv)
        return 0; /* the events go to ClickHouse, the feed and the ring only */
    al->log = nvg_csv_writer_new(&wc, err);
    return al->log ? 0 : NVG_EIO;
}

struct nvg_alerts *nvg_alerts_new(const struct nvg_alerts_config *cfg, char *err)
{
    struct nvg_alerts *al = calloc(1, sizeof(*al));
    if (!al) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    al->feed = cfg->feed;
    al->clickhouse = cfg->clickhouse;
    if (cfg->disabled)
        return al;
    struct nvg_detect_rules *rules = malloc(sizeof(*rules));
    al->names = calloc(NVG_SENSORS_MAX, sizeof(*al->names));
    al->ring = calloc(NVG_ALERTS_KEPT, sizeof(*al->ring));
    al->rules_path = cfg->rules_path ? strdup(cfg->rules_path) : NULL;
    if (!rules || !al->names || !al->ring || (cfg->rules_path && !al->rules_path)) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
    } else if (load_rules(cfg->rules_path, rules, err) == 0 && open_log(al, cfg, err) == 0) {
        al->engine = nvg_detect_new(NULL, rules);
        if (!al->engine)
            snprintf(err, NVG_ERRBUF_SIZE, "out of memory (detection tables)");
    }
    free(rules);
    if (al->engine && start_worker(al, err) < 0) {
        nvg_detect_free(al->engine);
        al->engine = NULL;
    }
    if (!al->engine) {
        nvg_alerts_free(al);
        return NULL;
    }
    return al;
}

void nvg_alerts_free(struct nvg_alerts *al)
{
    if (!al)
        return;
    stop_worker(al);
    if (al->engine) {
        nvg_detect_flush(al->engine, on_alert_direct, al);
        nvg_detect_free(al->engine);
    }
    free(al->recs);
    free(al->events);
    nvg_csv_writer_free(al->log);
    free(al->rules_path);
    free(al->names);
    free(al->ring);
    free(al->packed);
    free(al);
}

unsigned nvg_alerts_sensor_index(struct nvg_alerts *al, const char *name)
{
    if (!al || !al->engine)
        return 0;
    for (unsigned i = 0; i < al->n_names; i++)
        if (strcmp(al->names[i], name) == 0)
            return i;
    /* More names in one run than the table ever holds at once (forgotten sensors): the
     * last index is shared. */
    if (al->n_names == NVG_SENSORS_MAX)
        return NVG_SENSORS_MAX - 1;
    snprintf(al->names[al->n_names], sizeof(al->names[0]), "%s", name);
    return al->n_names++;
}

void nvg_alerts_record(struct nvg_alerts *al, unsigned sensor, const struct nvg_pkt *pkt)
{
    if (!al || !al->engine)
        return;
    size_t head = atomic_load_explicit(&al->rec_head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&al->rec_tail, memory_order_acquire);
    if (head - tail >= RING_RECORDS) {
        al->records_shed++;
        return;
    }
    struct det_rec *r = &al->recs[head % RING_RECORDS];
    memcpy(r->pkt, pkt, PKT_HEAD);
    r->sensor = sensor;
    atomic_store_explicit(&al->rec_head, head + 1, memory_order_release);
    /* A ring filling up while the worker sleeps: wake it before it must shed. */
    if (head - tail == RING_RECORDS / 2)
        wake_worker(al);
}

void nvg_alerts_tick(struct nvg_alerts *al)
{
    if (!al || !al->engine)
        return;
    take_events(al);
    if (atomic_load_explicit(&al->rec_head, memory_order_relaxed) !=
        atomic_load_explicit(&al->rec_tail, memory_order_relaxed))
        wake_worker(al);
}

void nvg_alerts_second(struct nvg_alerts *al, int64_t now_ms)
{
    if (al && al->log)
        nvg_csv_writer_tick(al->log, now_ms);
}

void nvg_alerts_reload(struct nvg_alerts *al)
{
    if (al)
        nvg_alerts_reload_from(al, al->rules_path);
}

int nvg_alerts_reload_from(struct nvg_alerts *al, const char *path)
{
    if (!al || !al->engine)
        return 0;
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_detect_rules *rules = malloc(sizeof(*rules));
    char *keep = path ? strdup(path) : NULL;
    if (!rules || (path && !keep) || load_rules(path, rules, err) < 0) {
        al->config_errors++;
        nvg_log(NVG_LOG_ERR, "SIGHUP: %s; the rules in force stay",
                rules && (keep || !path) ? err : "out of memory");
        free(rules);
        free(keep);
        return NVG_EINVAL;
    }
    /* The worker takes them at its next tick; a reload it has not taken yet is replaced. */
    free(atomic_exchange(&al->new_rules, rules));
    free(al->rules_path);
    al->rules_path = keep;
    nvg_log(NVG_LOG_NOTICE, "SIGHUP: alert rules %s%s", al->rules_path ? "reloaded from " : "",
            al->rules_path ? al->rules_path : "are the defaults (no --alerts-config)");
    return 0;
}

static bool reserve_packed(struct nvg_alerts *al, size_t need)
{
    if (need <= al->packed_cap)
        return true;
    uint8_t *p = realloc(al->packed, need);
    if (!p)
        return false;
    al->packed = p;
    al->packed_cap = need;
    return true;
}

const uint8_t *nvg_alerts_packed_since(struct nvg_alerts *al, int64_t since_ms, size_t *len,
                                       bool *oom)
{
    *len = 0;
    *oom = false;
    size_t first = (al->ring_next + NVG_ALERTS_KEPT - al->ring_n) % NVG_ALERTS_KEPT;
    for (size_t i = 0; i < al->ring_n; i++) {
        const struct kept *k = &al->ring[(first + i) % NVG_ALERTS_KEPT];
        if (k->time_ms < since_ms)
            continue;
        struct nvg_alert_pb pb;
        nvg_alert_to_pb(&k->a, k->time_ms, sensor_name, al, &pb);
        size_t n = netvigil__alert__get_packed_size(&pb.pb);
        if (!reserve_packed(al, *len + n + 11)) {
            *oom = true;
            *len = 0;
            return NULL;
        }
        uint8_t *p = al->packed + *len;
        *p++ = (7 << 3) | 2; /* ControlReply.alerts */
        for (uint64_t v = n;; v >>= 7) {
            *p++ = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            if (v <= 0x7f)
                break;
        }
        p += netvigil__alert__pack(&pb.pb, p);
        *len = (size_t)(p - al->packed);
    }
    return *len ? al->packed : NULL;
}

void nvg_alerts_counters(const struct nvg_alerts *al, Netvigil__DetectionCounters *out)
{
    netvigil__detection_counters__init(out);
    if (!al->engine)
        return;
    struct nvg_detect_stats st;
    struct nvg_alerts *mut = (struct nvg_alerts *)al; /* the snapshot's lock */
    pthread_mutex_lock(&mut->mu);
    st = al->stats;
    pthread_mutex_unlock(&mut->mu);
    out->enabled = true;
    out->records = st.records;
    out->active = st.active;
    out->started = st.started;
    out->updated = st.updated;
    out->ended = st.ended;
    out->evictions =
        st.pair_evictions + st.sweep_evictions + st.target_evictions + st.arp_evictions;
    out->alerts_shed = st.alerts_shed;
    out->suppressed = st.suppressed;
    out->memory_bytes = st.memory_bytes;
    out->config_errors = al->config_errors;
    out->records_shed = al->records_shed;
    out->events_dropped = atomic_load(&al->events_dropped);
}

struct nvg_csv_writer *nvg_alerts_log(const struct nvg_alerts *al)
{
    return al->log;
}

uint64_t nvg_alerts_emit_own(struct nvg_alerts *al, struct nvg_alert *a)
{
    if (!al || !al->engine)
        return 0;
    if (!a->id)
        a->id = NVG_ALERTS_OWN_IDS + ++al->own_ids;
    emit(al, a, nvg_clock_wall_ms());
    return a->id;
}

uint64_t nvg_alerts_started_by(const struct nvg_alerts *al, unsigned detector, unsigned severity)
{
    if (!al || detector >= NVG_DET_COUNT || severity > NVG_SEV_CRITICAL)
        return 0;
    return al->started_by[detector][severity];
}

void nvg_alerts_queues(const struct nvg_alerts *al, size_t *records, size_t *events)
{
    *records = *events = 0;
    if (!al || !al->engine)
        return;
    /* Tails first: a head read after its tail is never behind it. */
    size_t rec_tail = atomic_load(&al->rec_tail), ev_tail = atomic_load(&al->ev_tail);
    *records = atomic_load(&al->rec_head) - rec_tail;
    *events = atomic_load(&al->ev_head) - ev_tail;
}
