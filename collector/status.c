/* See status.h. */
#include "status.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-clock.h"

struct nvg_status {
    struct nvg_status_config cfg;
    Netvigil__CollectorStatus msg;
    /* Per sensor, kept between builds and grown with the sensor table. */
    Netvigil__SensorSummary *sums;
    Netvigil__SensorSummary **sum_ptrs;
    Netvigil__SensorStatus *hbs;
    size_t cap;
    Netvigil__SecurityCounters sec;
    Netvigil__DetectionCounters det;
    Netvigil__HostTable hosts;
    Netvigil__RetentionCounters retention;
    struct nvg_clickhouse_status clickhouse;
    /* The last build, packed. */
    uint8_t *packed;
    size_t packed_len, packed_cap;
    bool have_packed;
    int64_t packed_ms;
    uint64_t packed_events;
};

struct nvg_status *nvg_status_new(const struct nvg_status_config *cfg)
{
    struct nvg_status *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->cfg = *cfg;
    return st;
}

void nvg_status_free(struct nvg_status *st)
{
    if (!st)
        return;
    free(st->sums);
    free(st->sum_ptrs);
    free(st->hbs);
    free(st->packed);
    free(st);
}

/* Room for n sensors. Once a second or per request: allocation is fine here. */
static bool reserve(struct nvg_status *st, size_t n)
{
    if (n <= st->cap)
        return true;
    Netvigil__SensorSummary *sums = realloc(st->sums, n * sizeof(*sums));
    if (sums)
        st->sums = sums;
    Netvigil__SensorSummary **ptrs = realloc(st->sum_ptrs, n * sizeof(*ptrs));
    if (ptrs)
        st->sum_ptrs = ptrs;
    Netvigil__SensorStatus *hbs = realloc(st->hbs, n * sizeof(*hbs));
    if (hbs)
        st->hbs = hbs;
    if (!sums || !ptrs || !hbs)
        return false;
    st->cap = n;
    return true;
}

static void fill_counters(const struct nvg_status_config *cfg, Netvigil__CollectorStatus *m)
{
    const struct nvg_ingest_counters *ik = nvg_ingest_counters(cfg->ingest);
    const struct nvg_control_counters *ck = nvg_control_counters(cfg->control);
    m->malformed_messages = ik->malformed + ck->malformed;
    m->unknown_messages = ik->unknown + ck->unknown;
    m->refused_messages = ik->refused + ck->refused;
    m->invalid_batches = ik->invalid_batches;
    m->disconnects = *cfg->disconnects;
    m->rejected_messages =
        m->malformed_messages + m->unknown_messages + m->refused_messages + m->invalid_batches;
    m->records_written = nvg_csv_writer_rows_written(cfg->packets);
    m->write_failures =
        nvg_csv_writer_rows_failed(cfg->packets) + nvg_csv_writer_rows_failed(cfg->rates);
    m->write_pending =
        nvg_csv_writer_rows_pending(cfg->packets) + nvg_csv_writer_rows_pending(cfg->rates);
    m->control_rejected = ck->rejected;
    m->control_oversized = ck->oversized;
    m->state_rejected = cfg->sensors->state_rejected;
    m->rate_records_rebuilt = cfg->sensors->rate_records_rebuilt;
    m->rate_records_lost = cfg->sensors->rate_records_lost;
    m->commands_sent = ck->commands_sent;
    m->commands_timed_out = ck->commands_timed_out;
}

static void fill_security(const struct nvg_security_counters *c, Netvigil__SecurityCounters *p)
{
    netvigil__security_counters__init(p);
    if (!c)
        return;
    p->handshakes_failed = c->handshakes_failed;
    p->keys_unknown = c->keys_unknown;
    p->mechanism_refused = c->mechanism_refused;
    p->role_refused = c->role_refused;
    p->name_refused = c->name_refused;
    p->command_refused = c->command_refused;
    p->quota_refused = c->quota_refused;
    p->invalid_strings = c->invalid_strings;
    p->budget_dropped = c->budget_dropped;
    p->revoked_disconnects = c->revoked_disconnects;
    p->idle_expired = c->idle_expired;
    p->fds_refused = c->fds_refused;
}

static void fill_retention(const struct nvg_retention *r, Netvigil__RetentionCounters *p)
{
    static const char *const methods[] = {"none", "zstd", "gzip"};
    const struct nvg_retention_stats *s = nvg_retention_stats(r);
    const struct nvg_retention_limits *l = nvg_retention_limits(r);
    netvigil__retention_counters__init(p);
    p->files_deleted = s->files_deleted;
    p->bytes_deleted = s->bytes_deleted;
    p->rows_refused = s->rows_refused;
    p->files_compressed = s->files_compressed;
    p->compress_failures = s->compress_failures;
    p->compress_bytes_in = s->compress_bytes_in;
    p->compress_bytes_out = s->compress_bytes_out;
    p->compress_queued = s->compress_queued;
    p->dir_files = s->dir_files;
    p->dir_bytes = s->dir_bytes;
    p->free_bytes = s->free_bytes;
    p->floor_bytes = s->floor_bytes;
    p->below_floor = s->below_floor;
    p->floor_episodes = s->floor_episodes;
    p->retain_size = l->retain_size;
    p->retain_time_s = l->retain_time_s;
    p->compress = (char *)methods[nvg_retention_method(r) % 3];
}

const Netvigil__CollectorStatus *nvg_status_build(struct nvg_status *st)
{
    const struct nvg_status_config *cfg = &st->cfg;
    size_t n = cfg->sensors->n;
    if (!reserve(st, n))
        return NULL;
    Netvigil__CollectorStatus *m = &st->msg;
    netvigil__collector_status__init(m);
    int64_t now = nvg_clock_wall_ms();
    for (size_t i = 0; i < n; i++) {
        nvg_sensor_entry_summary(cfg->sensors->v[i], now, &st->sums[i], &st->hbs[i]);
        st->sum_ptrs[i] = &st->sums[i];
    }
    m->n_sensors = n;
    m->sensors = st->sum_ptrs;
    fill_counters(cfg, m);
    m->uptime_ms = now - cfg->start_ms;
    /* Lent: the message lives only until it is packed. */
    m->packets_file = (char *)nvg_csv_writer_path(cfg->packets);
    m->rates_file = (char *)nvg_csv_writer_path(cfg->rates);
    m->audit_file = (char *)nvg_audit_path(cfg->audit);
    m->csv_off = cfg->csv_off;
    fill_security(cfg->security, &st->sec);
    m->security = &st->sec;
    if (cfg->alerts) {
        nvg_alerts_counters(cfg->alerts, &st->det);
        m->detection = &st->det;
        const struct nvg_csv_writer *log = nvg_alerts_log(cfg->alerts);
        m->alerts_file = log ? (char *)nvg_csv_writer_path(log) : "";
    }
    if (cfg->flows) {
        const struct nvg_csv_writer *log = nvg_flow_log_writer(cfg->flows);
        m->flows_file = (char *)nvg_csv_writer_path(log);
        m->flows_written = nvg_csv_writer_rows_written(log);
        m->flows_write_failures = nvg_csv_writer_rows_failed(log);
    }
    if (cfg->hosts) {
        nvg_hosts_counters(cfg->hosts, &st->hosts);
        m->hosts = &st->hosts;
    }
    if (cfg->retention) {
        fill_retention(cfg->retention, &st->retention);
        m->retention = &st->retention;
    }
    if (cfg->clickhouse) {
        nvg_clickhouse_status(cfg->clickhouse, &st->clickhouse);
        m->clickhouse = &st->clickhouse.msg;
    }
    m->keys = cfg->keys;
    return m;
}

const uint8_t *nvg_status_packed(struct nvg_status *st, int64_t now_ms, size_t *len)
{
    uint64_t events = st->cfg.sensors->events;
    bool fresh = st->have_packed && events == st->packed_events && now_ms >= st->packed_ms &&
                 now_ms - st->packed_ms < NVG_STATUS_REUSE_MS;
    if (!fresh) {
        const Netvigil__CollectorStatus *m = nvg_status_build(st);
        if (!m)
            return NULL;
        size_t n = netvigil__collector_status__get_packed_size(m);
        if (n > st->packed_cap) {
            uint8_t *p = realloc(st->packed, n);
            if (!p)
                return NULL;
            st->packed = p;
            st->packed_cap = n;
        }
        st->packed_len = netvigil__collector_status__pack(m, st->packed);
        st->have_packed = true;
        st->packed_ms = now_ms;
        st->packed_events = events;
    }
    *len = st->packed_len;
    return st->packed;
}

void nvg_status_publish(struct nvg_status *st)
{
    size_t len;
    const uint8_t *p = nvg_status_packed(st, nvg_clock_wall_ms(), &len);
    if (p)
        nvg_fanout_raw(st->cfg.feed, NVG_TOPIC_STATUS, strlen(NVG_TOPIC_STATUS), p, len);
}

const struct nvg_status_config *nvg_status_sources(const struct nvg_status *st)
{
    return &st->cfg;
}
