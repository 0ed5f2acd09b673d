/* The text of /metrics (metrics.h): Prometheus exposition format 0.0.4, every family with
 * its # HELP and # TYPE, its samples right after them. Main thread, once a second: it reads the
 * status message status.c builds (the same counters `netvigil-ctl status` shows) and the
 * getters of the modules that status lends it. */
#include "metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "nvg-clock.h"
#include "nvg-detect.h"

/* ---- text ----------------------------------------------------------------------------------- */

static bool grow(struct nvg_metrics_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void put(struct nvg_metrics_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(struct nvg_metrics_buf *b, const char *fmt, ...)
{
    for (int pass = 0; pass < 2; pass++) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap > b->len ? b->cap - b->len : 0;
        int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        if (!grow(b, (size_t)n))
            return;
    }
}

/* A label value: backslash, double quote and line feed escaped, as the format requires. */
static void put_label_value(struct nvg_metrics_buf *b, const char *v)
{
    size_t n = strlen(v);
    if (!grow(b, 2 * n))
        return;
    for (; *v; v++) {
        if (*v == '\\' || *v == '"' || *v == '\n')
            b->p[b->len++] = '\\';
        b->p[b->len++] = *v == '\n' ? 'n' : *v;
    }
    b->p[b->len] = '\0';
}

static void family(struct nvg_metrics_buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct nvg_metrics_buf *b, const char *name, uint64_t v)
{
    put(b, "%s %" PRIu64 "\n", name, v);
}

/* name{label="value"} v */
static void sample1(struct nvg_metrics_buf *b, const char *name, const char *label,
                    const char *value, uint64_t v)
{
    put(b, "%s{%s=\"", name, label);
    put_label_value(b, value);
    put(b, "\"} %" PRIu64 "\n", v);
}

static void one(struct nvg_metrics_buf *b, const char *name, const char *type, const char *help,
                uint64_t v)
{
    family(b, name, type, help);
    sample(b, name, v);
}

/* ---- per sensor ---------------------------------------------------------------------------- */

struct per_sensor {
    const char *name, *type, *help;
    uint64_t (*get)(const Netvigil__SensorSummary *sum, const struct nvg_sensor_entry *e);
};

#define SUM_GETTER(fn, expr)                                                                       \
    static uint64_t fn(const Netvigil__SensorSummary *sum, const struct nvg_sensor_entry *e)       \
    {                                                                                              \
        (void)sum;                                                                                 \
        (void)e;                                                                                   \
        return (expr);                                                                             \
    }
SUM_GETTER(get_records, sum->records_received)
SUM_GETTER(get_bytes, e->bytes_received)
SUM_GETTER(get_batches, sum->batches_received)
SUM_GETTER(get_captured, sum->last_status->pcap_received)
SUM_GETTER(get_kernel, sum->last_status->pcap_dropped)
SUM_GETTER(get_ifdrop, sum->last_status->pcap_ifdropped)
SUM_GETTER(get_sensor_drops, sum->last_status->records_dropped)
SUM_GETTER(get_link, sum->batches_lost)
SUM_GETTER(get_collector_drops, sum->write_failures)
SUM_GETTER(get_invalid, sum->invalid_batches)
SUM_GETTER(get_flows, sum->flows_received)
SUM_GETTER(get_flows_refused, sum->flows_refused)
SUM_GETTER(get_flows_failed, sum->flows_write_failures)
SUM_GETTER(get_flows_missing, sum->flows_missing)
SUM_GETTER(get_connected, sum->connected)
SUM_GETTER(get_uptime, sum->last_status->uptime_ms / 1000)
SUM_GETTER(get_spool_bytes, sum->last_status->spool_bytes)
SUM_GETTER(get_spool_batches, sum->last_status->spool_batches)
SUM_GETTER(get_spooled, sum->last_status->spooled_total)
SUM_GETTER(get_replayed, sum->last_status->replayed_total)
SUM_GETTER(get_spool_dropped, sum->last_status->spool_dropped)
SUM_GETTER(get_spool_cut, sum->last_status->spool_cut)

static const struct per_sensor per_sensor[] = {
    {"netvigil_records_total", "counter",
     "Packet records received from the sensor and validated (each becomes a row of "
     "packets-*.csv or a collector drop).",
     get_records},
    {"netvigil_packet_bytes_total", "counter",
     "Wire length of the packets those records describe, in bytes.", get_bytes},
    {"netvigil_batches_total", "counter", "Batches of records received from the sensor.",
     get_batches},
    {"netvigil_captured_packets_total", "counter",
     "Packets the sensor's capture received (pcap ps_recv), as its last heartbeat said.",
     get_captured},
    {"netvigil_kernel_drops_total", "counter",
     "Packets the kernel dropped before the sensor read them (pcap ps_drop), as its last "
     "heartbeat said.",
     get_kernel},
    {"netvigil_interface_drops_total", "counter",
     "Packets the interface or driver dropped (pcap ps_ifdrop), as the sensor's last heartbeat "
     "said.",
     get_ifdrop},
    {"netvigil_sensor_drops_total", "counter",
     "Records the sensor dropped because its link to the collector was full, as its last "
     "heartbeat said.",
     get_sensor_drops},
    {"netvigil_link_lost_batches_total", "counter",
     "Batches lost between sensor and collector (sequence gaps within one sensor boot).", get_link},
    {"netvigil_collector_drops_total", "counter",
     "Records the collector received but could not write to its packet log.", get_collector_drops},
    {"netvigil_sensor_invalid_batches_total", "counter",
     "Batches of the sensor refused whole because a record failed validation.", get_invalid},
    {"netvigil_flows_total", "counter", "Conversation records received and taken.", get_flows},
    {"netvigil_flows_refused_total", "counter", "Conversation records that failed validation.",
     get_flows_refused},
    {"netvigil_flows_write_failures_total", "counter",
     "Conversation records taken but not written to flows-*.csv.", get_flows_failed},
    {"netvigil_flows_missing_total", "counter",
     "Conversation records the sensor said it sent that rode in lost batches.", get_flows_missing},
    {"netvigil_sensor_connected", "gauge",
     "1 when the sensor was heard from within the last 3 seconds.", get_connected},
    {"netvigil_sensor_uptime_seconds", "gauge", "The sensor's uptime as its last heartbeat said.",
     get_uptime},
    /* The sensor's disk spool (--spool), as its last heartbeat said; 0 without one. */
    {"netvigil_sensor_spool_bytes", "gauge", "Disk space the sensor's spool holds.",
     get_spool_bytes},
    {"netvigil_sensor_spool_batches", "gauge", "Batches waiting in the sensor's spool.",
     get_spool_batches},
    {"netvigil_sensor_spooled_batches_total", "counter",
     "Batches the sensor spooled while its link was down or full (since it started).", get_spooled},
    {"netvigil_sensor_replayed_batches_total", "counter",
     "Batches the sensor replayed from its spool (since it started).", get_replayed},
    {"netvigil_sensor_spool_drops_total", "counter",
     "Records the sensor dropped because its spool was full (also in sensor drops).",
     get_spool_dropped},
    {"netvigil_sensor_spool_cut_batches_total", "counter",
     "Batches lost from the sensor's spool: torn by a crash, or damaged.", get_spool_cut},
};

static const char *const state_names[] = {"unknown", "running", "stopped", "finished", "error"};

static void render_states(struct nvg_metrics_buf *b, const Netvigil__CollectorStatus *st)
{
    family(b, "netvigil_sensor_state", "gauge",
           "1 for the state the sensor's last heartbeat reported, 0 for the others.");
    for (size_t i = 0; i < st->n_sensors; i++) {
        const Netvigil__SensorStatus *hb = st->sensors[i]->last_status;
        for (size_t k = 0; k < sizeof(state_names) / sizeof(state_names[0]); k++) {
            put(b, "netvigil_sensor_state{sensor=\"");
            put_label_value(b, hb->sensor);
            put(b, "\",state=\"%s\"} %d\n", state_names[k], (size_t)hb->state == k);
        }
    }
    family(b, "netvigil_sensor_last_seen_age_seconds", "gauge",
           "Seconds since the sensor last said anything (absent before it ever did).");
    int64_t now = nvg_clock_wall_ms();
    for (size_t i = 0; i < st->n_sensors; i++) {
        const Netvigil__SensorSummary *s = st->sensors[i];
        if (!s->last_seen_ms)
            continue;
        int64_t age = now > s->last_seen_ms ? now - s->last_seen_ms : 0;
        put(b, "netvigil_sensor_last_seen_age_seconds{sensor=\"");
        put_label_value(b, s->last_status->sensor);
        put(b, "\"} %" PRId64 ".%03d\n", age / 1000, (int)(age % 1000));
    }
}

static void render_sensors(struct nvg_metrics_buf *b, const Netvigil__CollectorStatus *st,
                           const struct nvg_sensor_table *table)
{
    one(b, "netvigil_sensors", "gauge", "Sensors the collector knows (its sensor table).",
        st->n_sensors);
    for (size_t k = 0; k < sizeof(per_sensor) / sizeof(per_sensor[0]); k++) {
        const struct per_sensor *ps = &per_sensor[k];
        family(b, ps->name, ps->type, ps->help);
        for (size_t i = 0; i < st->n_sensors && i < table->n; i++)
            sample1(b, ps->name, "sensor", st->sensors[i]->last_status->sensor,
                    ps->get(st->sensors[i], table->v[i]));
    }
    render_states(b, st);
}

/* ---- the collector ------------------------------------------------------------------------- */

struct labelled {
    const char *value;
    uint64_t v;
};

static void labelled(struct nvg_metrics_buf *b, const char *name, const char *type,
                     const char *help, const char *label, const struct labelled *v, size_t n)
{
    family(b, name, type, help);
    for (size_t i = 0; i < n; i++)
        sample1(b, name, label, v[i].value, v[i].v);
}

#define LABELLED(b, name, type, help, label, arr)                                                  \
    labelled(b, name, type, help, label, arr, sizeof(arr) / sizeof(arr[0]))

static void render_messages(struct nvg_metrics_buf *b, const Netvigil__CollectorStatus *st)
{
    const struct labelled rejected[] = {
        {"malformed", st->malformed_messages},
        {"unknown", st->unknown_messages},
        {"version", st->refused_messages},
        {"invalid_batch", st->invalid_batches},
    };
    LABELLED(b, "netvigil_rejected_messages_total", "counter",
             "Messages from sensors and control clients turned away, by reason: framing or "
             "protobuf that does not parse, an unknown body, another protocol version, a batch "
             "with an invalid record or sequence number.",
             "reason", rejected);
    const Netvigil__SecurityCounters *sec = st->security;
    const struct labelled auth[] = {
        {"handshake", sec->handshakes_failed},
        {"unknown_key", sec->keys_unknown},
        {"mechanism", sec->mechanism_refused},
        {"role", sec->role_refused},
    };
    LABELLED(b, "netvigil_auth_failures_total", "counter",
             "Peers refused at authentication (CURVE, ZAP), by reason: a failed handshake, a key "
             "in no allow-list, a NULL or PLAIN client, a key whose role may not use the socket.",
             "reason", auth);
    const struct labelled refused[] = {
        {"name", sec->name_refused},       {"command", sec->command_refused},
        {"quota", sec->quota_refused},     {"invalid_string", sec->invalid_strings},
        {"descriptors", sec->fds_refused},
    };
    LABELLED(b, "netvigil_refused_total", "counter",
             "Messages or connections of authenticated peers refused, by reason: a sensor name "
             "not theirs, a command their role may not send, over the request quota, a string "
             "outside its alphabet, the collector out of file descriptors.",
             "reason", refused);
    one(b, "netvigil_budget_dropped_messages_total", "counter",
        "Messages dropped because the collector's memory budget was full.", sec->budget_dropped);
    one(b, "netvigil_revoked_disconnects_total", "counter",
        "Connections closed because SIGHUP revoked their key.", sec->revoked_disconnects);
    one(b, "netvigil_idle_expired_total", "counter",
        "Connections closed for saying nothing for their idle timeout.", sec->idle_expired);
    one(b, "netvigil_sensor_disconnects_total", "counter", "Sensor connections closed.",
        st->disconnects);
    one(b, "netvigil_control_rejected_total", "counter", "Control requests refused.",
        st->control_rejected);
    one(b, "netvigil_control_oversized_total", "counter", "Control messages over the size cap.",
        st->control_oversized);
    one(b, "netvigil_commands_sent_total", "counter", "Commands routed down sensor links.",
        st->commands_sent);
    one(b, "netvigil_commands_timed_out_total", "counter",
        "Commands no sensor answered within the command timeout.", st->commands_timed_out);
}

static void render_logs(struct nvg_metrics_buf *b, const struct nvg_status_config *src)
{
    const struct nvg_csv_writer *w[4] = {src->packets, src->rates,
                                         src->flows ? nvg_flow_log_writer(src->flows) : NULL,
                                         src->alerts ? nvg_alerts_log(src->alerts) : NULL};
    static const char *const names[4] = {"packets", "rates", "flows", "alerts"};
    one(b, "netvigil_csv_enabled", "gauge",
        "1 when the packets, rates, flows and alerts CSV logs are written; 0 with --no-csv "
        "(ClickHouse is the store).",
        !src->csv_off);
    static const struct {
        const char *name, *type, *help;
    } fam[5] = {
        {"netvigil_csv_rows_total", "counter", "Rows written to the CSV log (on disk)."},
        {"netvigil_csv_write_failures_total", "counter",
         "Rows the CSV log could not take or write (full disk, write errors)."},
        {"netvigil_csv_pending_rows", "gauge",
         "Rows accepted and buffered, not on disk yet (the log's queue)."},
        {"netvigil_csv_written_bytes_total", "counter", "Bytes written to the log's files."},
        {"netvigil_csv_rotations_total", "counter", "Files of the log closed and replaced."},
    };
    for (int f = 0; f < 5; f++) {
        family(b, fam[f].name, fam[f].type, fam[f].help);
        for (int i = 0; i < 4; i++) {
            if (!w[i])
                continue;
            uint64_t v = f == 0   ? nvg_csv_writer_rows_written(w[i])
                         : f == 1 ? nvg_csv_writer_rows_failed(w[i])
                         : f == 2 ? nvg_csv_writer_rows_pending(w[i])
                         : f == 3 ? nvg_csv_writer_flushed_bytes(w[i])
                                  : nvg_csv_writer_rotations(w[i]);
            sample1(b, fam[f].name, "log", names[i], v);
        }
    }
}

static void render_alerts(struct nvg_metrics_buf *b, const Netvigil__CollectorStatus *st,
                          const struct nvg_alerts *al)
{
    family(b, "netvigil_alerts_total", "counter", "Alerts started, by detector and severity.");
    for (unsigned d = 0; d < NVG_DET_COUNT; d++)
        for (unsigned s = NVG_SEV_LOW; s <= NVG_SEV_CRITICAL; s++)
            put(b, "netvigil_alerts_total{detector=\"%s\",severity=\"%s\"} %" PRIu64 "\n",
                nvg_detector_name(d), nvg_severity_name(s), nvg_alerts_started_by(al, d, s));
    const Netvigil__DetectionCounters *det = st->detection;
    Netvigil__DetectionCounters none = NETVIGIL__DETECTION_COUNTERS__INIT;
    if (!det)
        det = &none;
    one(b, "netvigil_detection_enabled", "gauge", "1 when the detection engine runs.",
        det->enabled);
    one(b, "netvigil_alerts_active", "gauge", "Alerts alive now.", det->active);
    one(b, "netvigil_detection_records_total", "counter", "Records the detectors looked at.",
        det->records);
    one(b, "netvigil_detection_records_shed_total", "counter",
        "Records the detection thread was too far behind to take.", det->records_shed);
    one(b, "netvigil_detection_events_dropped_total", "counter",
        "Alert events lost on the way back from the detection thread (its queue full).",
        det->events_dropped);
    one(b, "netvigil_detection_evictions_total", "counter",
        "Detector table entries evicted to make room (evidence shed).", det->evictions);
    one(b, "netvigil_detection_alerts_shed_total", "counter",
        "New alerts dropped because the alert table was full.", det->alerts_shed);
    one(b, "netvigil_detection_suppressed_total", "counter",
        "Evidence from allow-listed sources, not counted.", det->suppressed);
    one(b, "netvigil_detection_config_errors_total", "counter",
        "Reloads of alerts.conf refused (the old rules stayed).", det->config_errors);
    one(b, "netvigil_detection_memory_bytes", "gauge",
        "Memory the detection engine holds (fixed at start).", det->memory_bytes);
    size_t recs, events;
    nvg_alerts_queues(al, &recs, &events);
    one(b, "netvigil_detection_queue_records", "gauge", "Records waiting for the detection thread.",
        recs);
    one(b, "netvigil_detection_queue_events", "gauge",
        "Alert events waiting for the collector's thread.", events);
}

static void render_misc(struct nvg_metrics_buf *b, const Netvigil__CollectorStatus *st,
                        const struct nvg_connections *conns)
{
    one(b, "netvigil_feed_subscribers", "gauge", "Connections open on the live feed socket.",
        nvg_connections_open(conns, NVG_CONN_FEED));
    one(b, "netvigil_sensor_connections", "gauge", "Connections open on the sensor socket.",
        nvg_connections_open(conns, NVG_CONN_SENSOR));
    one(b, "netvigil_control_connections", "gauge", "Connections open on the control socket.",
        nvg_connections_open(conns, NVG_CONN_CONTROL));
    const Netvigil__HostTable *h = st->hosts;
    one(b, "netvigil_hosts_tracked", "gauge", "Hosts in the per-host totals' table.",
        h ? h->tracked : 0);
    one(b, "netvigil_hosts_evictions_total", "counter",
        "Hosts evicted from the per-host table to make room.", h ? h->evictions : 0);
    one(b, "netvigil_rate_records_rebuilt_total", "counter",
        "Records whose rates rows were rebuilt from the packet log after a crash.",
        st->rate_records_rebuilt);
    one(b, "netvigil_rate_records_lost_total", "counter",
        "Records in the packet log whose rates rows could not be rebuilt.", st->rate_records_lost);
    one(b, "netvigil_state_files_rejected_total", "counter",
        "sensors.state files that failed validation at start.", st->state_rejected);
}

static void render_disk(struct nvg_metrics_buf *b, const char *out_dir)
{
    struct statvfs v;
    bool ok = statvfs(out_dir, &v) == 0;
    family(b, "netvigil_output_free_bytes", "gauge",
           "Space the collector may still use in its output directory's file system (statvfs "
           "f_bavail), absent when statvfs fails.");
    if (ok)
        sample(b, "netvigil_output_free_bytes", (uint64_t)v.f_bavail * v.f_frsize);
    family(b, "netvigil_output_size_bytes", "gauge", "Size of the output directory's file system.");
    if (ok)
        sample(b, "netvigil_output_size_bytes", (uint64_t)v.f_blocks * v.f_frsize);
}

/* Retention (retention.c) as status reports it: what was deleted and compressed, the
 * directory's size, and the free-space floor -- the gauge an alert rule watches before the
 * disk fills, and the refused rows that say the floor cost data. */
static void render_retention(struct nvg_metrics_buf *b, const Netvigil__CollectorStatus *st)
{
    const Netvigil__RetentionCounters *r = st->retention;
    if (!r)
        return;
    one(b, "netvigil_retention_deleted_files_total", "counter",
        "Rotated files deleted for --retain-size or --retain-time.", r->files_deleted);
    one(b, "netvigil_retention_deleted_bytes_total", "counter",
        "Bytes of the rotated files deleted.", r->bytes_deleted);
    one(b, "netvigil_output_files", "gauge",
        "The collector's files in its output directory, at the last listing.", r->dir_files);
    one(b, "netvigil_output_files_bytes", "gauge", "Their size, at the last listing.",
        r->dir_bytes);
    one(b, "netvigil_retain_size_bytes", "gauge", "--retain-size in force (0: no limit).",
        r->retain_size);
    one(b, "netvigil_retain_time_seconds", "gauge", "--retain-time in force (0: no limit).",
        r->retain_time_s > 0 ? (uint64_t)r->retain_time_s : 0);
    one(b, "netvigil_min_free_bytes", "gauge", "The free-space floor, --min-free (0: none).",
        r->floor_bytes);
    one(b, "netvigil_below_min_free", "gauge",
        "1 while free space is below --min-free and packet and flow rows are refused.",
        r->below_floor);
    one(b, "netvigil_min_free_episodes_total", "counter",
        "Times writing stopped at the free-space floor.", r->floor_episodes);
    one(b, "netvigil_min_free_refused_rows_total", "counter",
        "Packet and flow rows not written below the floor (also counted as write failures).",
        r->rows_refused);
    one(b, "netvigil_compressed_files_total", "counter", "Rotated files compressed (--compress).",
        r->files_compressed);
    one(b, "netvigil_compress_failures_total", "counter",
        "Rotated files whose compression failed (the plain file is kept).", r->compress_failures);
    one(b, "netvigil_compress_input_bytes_total", "counter", "Bytes read by the compressor.",
        r->compress_bytes_in);
    one(b, "netvigil_compress_output_bytes_total", "counter", "Bytes it wrote.",
        r->compress_bytes_out);
    one(b, "netvigil_compress_queued_files", "gauge",
        "Closed files waiting for the compression thread.", r->compress_queued);
}

/* The ClickHouse sink (clickhouse.h) as status reports it, per table: rows inserted, dropped
 * (clickhouse_dropped: no room in the buffer, refused, left at shutdown) and waiting. */
static void render_clickhouse(struct nvg_metrics_buf *b, const Netvigil__CollectorStatus *st)
{
    const Netvigil__ClickHouseCounters *ch = st->clickhouse;
    if (!ch)
        return;
    static const struct {
        const char *name, *type, *help;
    } fam[4] = {
        {"netvigil_clickhouse_rows_total", "counter", "Rows ClickHouse acknowledged."},
        {"netvigil_clickhouse_dropped_total", "counter",
         "Rows that never reached ClickHouse: no room in --clickhouse-buffer, a batch the "
         "server refused three times, or still waiting at shutdown."},
        {"netvigil_clickhouse_buffered_rows", "gauge", "Rows waiting for ClickHouse."},
        {"netvigil_clickhouse_inserts_total", "counter", "Insert requests that succeeded."},
    };
    for (int f = 0; f < 4; f++) {
        family(b, fam[f].name, fam[f].type, fam[f].help);
        for (size_t i = 0; i < ch->n_tables; i++) {
            const Netvigil__ClickHouseTable *t = ch->tables[i];
            uint64_t v = f == 0   ? t->rows_inserted
                         : f == 1 ? t->rows_dropped
                         : f == 2 ? t->rows_buffered
                                  : t->inserts;
            sample1(b, fam[f].name, "table", t->name, v);
        }
    }
    one(b, "netvigil_clickhouse_up", "gauge",
        "1 while the last request to ClickHouse got an answer.", ch->connected);
    one(b, "netvigil_clickhouse_buffered_bytes", "gauge", "Bytes of rows waiting for ClickHouse.",
        ch->buffered_bytes);
    one(b, "netvigil_clickhouse_buffer_bytes", "gauge", "--clickhouse-buffer in force.",
        ch->buffer_size);
    one(b, "netvigil_clickhouse_request_failures_total", "counter",
        "Requests to ClickHouse that failed (retried with back-off).", ch->insert_failures);
    one(b, "netvigil_clickhouse_partitions_dropped_total", "counter",
        "Day partitions dropped for --clickhouse-retain.", ch->partitions_dropped);
}

static void render_http(struct nvg_metrics_buf *b, const struct nvg_metrics_http_counters *http)
{
    one(b, "netvigil_metrics_scrapes_total", "counter", "GET /metrics answered with the text.",
        http->scrapes);
    const struct labelled refused[] = {
        {"not_found", http->not_found},
        {"method", http->not_allowed},
        {"busy", http->busy},
    };
    LABELLED(b, "netvigil_metrics_refused_total", "counter",
             "HTTP requests to the metrics endpoint refused: another path (404), another "
             "method (405), too many answers in flight (503).",
             "reason", refused);
}

bool nvg_metrics_render(struct nvg_metrics_buf *b, struct nvg_status *status,
                        const struct nvg_connections *conns, const char *out_dir,
                        const struct nvg_metrics_http_counters *http)
{
    b->len = 0;
    b->oom = false;
    const Netvigil__CollectorStatus *st = nvg_status_build(status);
    if (!st || !grow(b, 0))
        return false;
    b->p[0] = '\0';
    const struct nvg_status_config *src = nvg_status_sources(status);
    family(b, "netvigil_build_info", "gauge", "The collector's version, as a label.");
    sample1(b, "netvigil_build_info", "version", NVG_VERSION, 1);
    put(b,
        "# HELP netvigil_start_time_seconds When the collector started, seconds since the "
        "epoch.\n# TYPE netvigil_start_time_seconds gauge\nnetvigil_start_time_seconds "
        "%" PRId64 ".%03d\n",
        src->start_ms / 1000, (int)(src->start_ms % 1000));
    render_sensors(b, st, src->sensors);
    render_messages(b, st);
    render_logs(b, src);
    render_alerts(b, st, src->alerts);
    render_misc(b, st, conns);
    render_disk(b, out_dir);
    render_retention(b, st);
    render_clickhouse(b, st);
    render_http(b, http);
    return !b->oom;
}

void nvg_metrics_buf_free(struct nvg_metrics_buf *b)
{
    free(b->p);
    *b = (struct nvg_metrics_buf){0};
}
