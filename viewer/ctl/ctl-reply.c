/* Printing what the control socket answers: the status table / JSON and the per-sensor results
 * of a command. Every sub-message may be missing and every string is the peer's, so nothing is
 * dereferenced unchecked and every string goes through nvg_ctl_put / nvg_ctl_json_str. */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "ctl-core.h"
#include "nvg-text.h"

/* The collector's SecurityCounters: X(field, "text in the table"); the JSON key is the field. */
#define SECURITY_COUNTERS(X)                                                                       \
    X(handshakes_failed, "handshakes failed")                                                      \
    X(keys_unknown, "keys unknown")                                                                \
    X(mechanism_refused, "mechanism refused")                                                      \
    X(role_refused, "role refused")                                                                \
    X(name_refused, "names refused")                                                               \
    X(command_refused, "commands refused")                                                         \
    X(quota_refused, "quota refused")                                                              \
    X(invalid_strings, "invalid strings")                                                          \
    X(budget_dropped, "budget dropped")                                                            \
    X(revoked_disconnects, "revoked disconnects")                                                  \
    X(idle_expired, "idle expired")                                                                \
    X(fds_refused, "refused: no fds")

static const Netvigil__SensorStatus no_status = NETVIGIL__SENSOR_STATUS__INIT;
static const Netvigil__SecurityCounters no_security = NETVIGIL__SECURITY_COUNTERS__INIT;

static const Netvigil__SensorStatus *status_of(const Netvigil__SensorSummary *s)
{
    return s->last_status ? s->last_status : &no_status;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static void human_rate(char *buf, size_t size, double v)
{
    if (!isfinite(v) || v < 0)
        snprintf(buf, size, "?");
    else if (v >= 1e9)
        snprintf(buf, size, "%.1fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, size, "%.1fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, size, "%.1fk", v / 1e3);
    else
        snprintf(buf, size, "%.0f", v);
}

static void last_seen(char *buf, size_t size, int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (!ms)
        snprintf(buf, size, "never");
    else if (!gmtime_r(&s, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "?");
}

/* Under the sensor's row: why its capture is down, or that it was down and came back, so a
 * sensor in error is never just one word in a column. */
static void print_capture_health(FILE *out, const Netvigil__SensorSummary *s,
                                 const Netvigil__SensorStatus *h)
{
    bool error = s->connected && h->state == NETVIGIL__SENSOR_STATE__SENSOR_STATE_ERROR;
    if (!error && h->capture_down_ms == 0 && h->capture_reopens == 0)
        return;
    fprintf(out, "  %s", error ? "error: " : "capture was down: ");
    if (error)
        nvg_ctl_put(out, h->error && *h->error ? h->error : "(no reason given)", 1024);
    fprintf(out, "%s%.1f s down in all, %" PRIu64 " reopen%s%s\n", error ? " (" : "",
            (double)h->capture_down_ms / 1000.0, h->capture_reopens,
            h->capture_reopens == 1 ? "" : "s", error ? ")" : "");
}

void nvg_ctl_status_print_row(FILE *out, const Netvigil__SensorSummary *s, const char *collector,
                              int width)
{
    const Netvigil__SensorStatus *h = status_of(s);
    char pps[16], bps[16], seen[48], drops[96];
    human_rate(pps, sizeof(pps), s->packets_per_s);
    human_rate(bps, sizeof(bps), s->bytes_per_s);
    last_seen(seen, sizeof(seen), s->last_seen_ms);
    snprintf(drops, sizeof(drops), "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
             sat_add(h->pcap_dropped, h->pcap_ifdropped), h->records_dropped, s->batches_lost,
             s->write_failures);
    if (collector) {
        nvg_ctl_put_col(out, collector, width, false);
        fputc(' ', out);
    }
    nvg_ctl_put_col(out, s->last_status ? h->sensor : "?", 16, false);
    fprintf(out, " %-8s ", nvg_wire_summary_state(s));
    nvg_ctl_put_col(out, h->source, 16, true);
    fputc(' ', out);
    nvg_ctl_put_col(out, h->filter && h->filter[0] ? h->filter : "-", 16, true);
    fprintf(out, " %8s %8s %23s  %-20s  ", pps, bps, drops, seen);
    nvg_ctl_put_col(out, s->key_name && s->key_name[0] ? s->key_name : "-", 16, false);
    fputc(' ', out);
    nvg_ctl_put(out, s->peer_address && s->peer_address[0] ? s->peer_address : "-", 128);
    fputc('\n', out);
    if (s->history_unknown)
        fprintf(out, "  history unknown: the collector started without a trusted state; counts "
                     "are since then (the log has the rest)\n");
    print_capture_health(out, s, h);
    if (h->spooled_total || h->spool_batches || h->spool_dropped || h->spool_cut)
        fprintf(out,
                "  spool: %" PRIu64 " batches (%" PRIu64 " KiB) held, %" PRIu64 " spooled, %" PRIu64
                " replayed, %" PRIu64 " records dropped full, %" PRIu64 " batches cut\n",
                h->spool_batches, h->spool_bytes >> 10, h->spooled_total, h->replayed_total,
                h->spool_dropped, h->spool_cut);
}

static void print_security(FILE *out, const Netvigil__CollectorStatus *st)
{
    const Netvigil__SecurityCounters *c = st->security;
    fprintf(out, "security: keys %s", st->keys ? "on" : "off");
    if (!c) {
        fprintf(out, "; no counters from this collector\n");
        return;
    }
    const char *sep = "; ";
#define PRINT_COUNTER(field, text)                                                                 \
    fprintf(out, "%s" text " %" PRIu64, sep, c->field);                                            \
    sep = ", ";
    SECURITY_COUNTERS(PRINT_COUNTER)
#undef PRINT_COUNTER
    fputc('\n', out);
}

/* Retention, the free-space floor and compression (collector/retention.h). */
static void print_retention(FILE *out, const Netvigil__RetentionCounters *r)
{
    if (!r)
        return;
    fprintf(out,
            "retention: %" PRIu64 " file(s), %" PRIu64 " MiB kept; %" PRIu64 " deleted (%" PRIu64
            " MiB); free %" PRIu64 " MiB, floor %" PRIu64 " MiB%s",
            r->dir_files, r->dir_bytes >> 20, r->files_deleted, r->bytes_deleted >> 20,
            r->free_bytes >> 20, r->floor_bytes >> 20,
            r->below_floor ? " -- BELOW THE FLOOR, rows are not written" : "");
    if (r->rows_refused)
        fprintf(out, "; %" PRIu64 " row(s) refused at the floor", r->rows_refused);
    if (r->compress && strcmp(r->compress, "none") != 0) {
        fprintf(out, "; compress ");
        nvg_ctl_put(out, r->compress, 8);
        fprintf(out, ": %" PRIu64 " file(s), %" PRIu64 " failed, %" PRIu64 " queued",
                r->files_compressed, r->compress_failures, r->compress_queued);
    }
    fputc('\n', out);
}

/* The ClickHouse sink (collector/clickhouse.h): one line, then one per table that lost rows. */
static void print_clickhouse(FILE *out, const Netvigil__ClickHouseCounters *ch)
{
    if (!ch)
        return;
    fprintf(out, "clickhouse: ");
    nvg_ctl_put(out, ch->url, 512);
    fprintf(out, " %s, %" PRIu64 " of %" PRIu64 " MiB buffered, %" PRIu64 " failed request(s)",
            ch->connected ? "up" : "DOWN", ch->buffered_bytes >> 20, ch->buffer_size >> 20,
            ch->insert_failures);
    for (size_t i = 0; i < ch->n_tables; i++) {
        const Netvigil__ClickHouseTable *t = ch->tables[i];
        if (!t)
            continue;
        fprintf(out, "; ");
        nvg_ctl_put(out, t->name, 16);
        fprintf(out, " %" PRIu64 " inserted, %" PRIu64 " waiting", t->rows_inserted,
                t->rows_buffered);
        if (t->rows_dropped)
            fprintf(out, ", %" PRIu64 " DROPPED", t->rows_dropped);
    }
    if (!ch->connected && ch->last_error && *ch->last_error) {
        fprintf(out, "; last error: ");
        nvg_ctl_put(out, ch->last_error, 256);
    }
    fputc('\n', out);
}

void nvg_ctl_status_print_header(FILE *out, int width)
{
    if (width > 0)
        fprintf(out, "%-*s ", width, "COLLECTOR");
    fprintf(out, "%-16s %-8s %-16s %-16s %8s %8s %23s  %-20s  %-16s %s\n", "SENSOR", "STATE",
            "SOURCE", "FILTER", "PKT/S", "BYTES/S", "DROPS KERN/SENS/LINK/COLL", "LAST SEEN", "KEY",
            "PEER");
}

void nvg_ctl_status_print_footer(FILE *out, const Netvigil__CollectorStatus *st)
{
    fprintf(out,
            "collector: %" PRIu64 " records written, %" PRIu64 " write failures, %" PRIu64
            " rejected messages (malformed %" PRIu64 ", unknown %" PRIu64 ", refused %" PRIu64
            ", invalid batches %" PRIu64 "), %" PRIu64 " disconnects\n",
            st->records_written, st->write_failures, st->rejected_messages, st->malformed_messages,
            st->unknown_messages, st->refused_messages, st->invalid_batches, st->disconnects);
    fprintf(out,
            "control: %" PRIu64 " commands sent, %" PRIu64 " timed out, %" PRIu64
            " requests rejected (%" PRIu64 " too large); audit log ",
            st->commands_sent, st->commands_timed_out, st->control_rejected, st->control_oversized);
    nvg_ctl_put(out, st->audit_file && *st->audit_file ? st->audit_file : "-", 1024);
    fputc('\n', out);
    const Netvigil__DetectionCounters *d = st->detection;
    if (d && d->enabled)
        fprintf(out,
                "detection: %" PRIu64 " alert(s) active (%" PRIu64 " started, %" PRIu64
                " ended) over %" PRIu64 " records; shed %" PRIu64 " table entries, %" PRIu64
                " alerts; %" PRIu64 " suppressed (allow-list); %" PRIu64 " KiB fixed; %" PRIu64
                " bad reload(s); %" PRIu64 " records shed, %" PRIu64
                " events dropped (engine behind)\n",
                d->active, d->started, d->ended, d->records, d->evictions, d->alerts_shed,
                d->suppressed, d->memory_bytes >> 10, d->config_errors, d->records_shed,
                d->events_dropped);
    else if (d)
        fprintf(out, "detection: off (--no-alerts)\n");
    if (st->write_pending)
        fprintf(out,
                "disk: %" PRIu64 " row(s) waiting in the write buffer (the disk refuses them; "
                "written when it has room, counted as write failures if the collector stops "
                "first)\n",
                st->write_pending);
    if (st->state_rejected)
        fprintf(out,
                "state: %" PRIu64 " sensors.state file(s) failed validation at start-up (kept "
                "aside; logs untouched)\n",
                st->state_rejected);
    if (st->rate_records_rebuilt || st->rate_records_lost)
        fprintf(out,
                "rates: %" PRIu64 " record(s) rebuilt from the packet log at start-up, %" PRIu64
                " lost\n",
                st->rate_records_rebuilt, st->rate_records_lost);
    print_retention(out, st->retention);
    if (st->csv_off)
        fprintf(out,
                "csv: off (--no-csv): records, rates, flows and alerts go to ClickHouse only\n");
    print_clickhouse(out, st->clickhouse);
    print_security(out, st);
}

static void print_table(FILE *out, const Netvigil__CollectorStatus *st)
{
    nvg_ctl_status_print_header(out, 0);
    for (size_t i = 0; i < st->n_sensors; i++)
        if (st->sensors[i])
            nvg_ctl_status_print_row(out, st->sensors[i], NULL, 0);
    nvg_ctl_status_print_footer(out, st);
}

#define JU(name, v) fprintf(out, ",\"%s\":%" PRIu64, name, (uint64_t)(v))
#define JS(name, v) (fprintf(out, ",\"%s\":", name), nvg_ctl_json_str(out, v))

/* JSON has no NaN or infinity. */
static void json_rate(FILE *out, const char *name, double v)
{
    if (isfinite(v))
        fprintf(out, ",\"%s\":%.1f", name, v);
    else
        fprintf(out, ",\"%s\":null", name);
}

void nvg_ctl_status_print_json_sensor(FILE *out, const Netvigil__SensorSummary *s,
                                      const char *collector)
{
    const Netvigil__SensorStatus *h = status_of(s);
    fputc('{', out);
    if (collector) {
        fprintf(out, "\"collector\":");
        nvg_ctl_json_str(out, collector);
        fputc(',', out);
    }
    fprintf(out, "\"sensor\":");
    nvg_ctl_json_str(out, s->last_status ? h->sensor : "?");
    JS("state", nvg_wire_summary_state(s));
    fprintf(out, ",\"connected\":%s,\"has_status\":%s", s->connected ? "true" : "false",
            s->last_status ? "true" : "false");
    JS("source", h->source);
    JS("filter", h->filter);
    fprintf(out, ",\"boot_id\":\"%016" PRIx64 "\"", h->boot_id);
    json_rate(out, "packets_per_s", s->packets_per_s);
    json_rate(out, "bytes_per_s", s->bytes_per_s);
    JU("records_received", s->records_received);
    JU("batches_received", s->batches_received);
    JU("batches_lost", s->batches_lost);
    JU("invalid_batches", s->invalid_batches);
    JU("last_batch_seq", s->last_batch_seq);
    JU("boot_records_received", s->boot_records_received);
    JU("kernel_drops", sat_add(h->pcap_dropped, h->pcap_ifdropped));
    JU("pcap_dropped", h->pcap_dropped);
    JU("pcap_ifdropped", h->pcap_ifdropped);
    JU("sensor_drops", h->records_dropped);
    JU("link_drops", s->batches_lost);
    JU("write_failures", s->write_failures);
    JU("records_sent", h->records_sent);
    JS("error", h->error);
    JU("capture_down_ms", h->capture_down_ms);
    JU("capture_reopens", h->capture_reopens);
    JU("flows_received", s->flows_received);
    JU("flows_refused", s->flows_refused);
    JU("flows_write_failures", s->flows_write_failures);
    JU("flows_missing", s->flows_missing);
    JU("flows_active", h->flows_active);
    JU("flows_exported", h->flows_exported);
    JU("flows_evicted", h->flows_evicted);
    JU("flows_dropped", h->flows_dropped);
    JU("spool_bytes", h->spool_bytes);
    JU("spool_batches", h->spool_batches);
    JU("spooled_total", h->spooled_total);
    JU("replayed_total", h->replayed_total);
    JU("spool_dropped", h->spool_dropped);
    JU("spool_cut", h->spool_cut);
    fprintf(out, ",\"history_unknown\":%s", s->history_unknown ? "true" : "false");
    JS("key_name", s->key_name);
    JS("peer_address", s->peer_address);
    fprintf(out, ",\"last_seen_ms\":%" PRId64 "}", s->last_seen_ms);
}

static void print_json_retention(FILE *out, const Netvigil__RetentionCounters *r)
{
    if (!r)
        return;
    fprintf(out, ",\"retention\":{\"below_floor\":%s", r->below_floor ? "true" : "false");
    JU("files_deleted", r->files_deleted);
    JU("bytes_deleted", r->bytes_deleted);
    JU("rows_refused", r->rows_refused);
    JU("files_compressed", r->files_compressed);
    JU("compress_failures", r->compress_failures);
    JU("compress_bytes_in", r->compress_bytes_in);
    JU("compress_bytes_out", r->compress_bytes_out);
    JU("compress_queued", r->compress_queued);
    JU("dir_files", r->dir_files);
    JU("dir_bytes", r->dir_bytes);
    JU("free_bytes", r->free_bytes);
    JU("floor_bytes", r->floor_bytes);
    JU("floor_episodes", r->floor_episodes);
    JU("retain_size", r->retain_size);
    fprintf(out, ",\"retain_time_s\":%" PRId64, r->retain_time_s);
    JS("compress", r->compress);
    fputc('}', out);
}

static void print_json_clickhouse(FILE *out, const Netvigil__ClickHouseCounters *ch)
{
    if (!ch)
        return;
    fprintf(out, ",\"clickhouse\":{\"connected\":%s", ch->connected ? "true" : "false");
    JS("url", ch->url);
    JU("buffered_bytes", ch->buffered_bytes);
    JU("buffer_size", ch->buffer_size);
    JU("insert_failures", ch->insert_failures);
    JU("partitions_dropped", ch->partitions_dropped);
    JU("retain_days", ch->retain_days);
    JS("last_error", ch->last_error);
    fprintf(out, ",\"tables\":{");
    const char *sep = "";
    for (size_t i = 0; i < ch->n_tables; i++) {
        const Netvigil__ClickHouseTable *t = ch->tables[i];
        if (!t)
            continue;
        fputs(sep, out);
        nvg_ctl_json_str(out, t->name);
        fprintf(out, ":{\"rows_queued\":%" PRIu64, t->rows_queued);
        JU("rows_inserted", t->rows_inserted);
        JU("rows_dropped", t->rows_dropped);
        JU("rows_buffered", t->rows_buffered);
        JU("inserts", t->inserts);
        fputc('}', out);
        sep = ",";
    }
    fprintf(out, "}}");
}

void nvg_ctl_status_print_json(FILE *out, const Netvigil__CollectorStatus *st)
{
    fprintf(out, "{\"uptime_ms\":%" PRId64, st->uptime_ms);
    JU("records_written", st->records_written);
    JU("write_failures", st->write_failures);
    JU("write_pending", st->write_pending);
    if (st->detection) {
        const Netvigil__DetectionCounters *d = st->detection;
        fprintf(out, ",\"detection\":{\"enabled\":%s", d->enabled ? "true" : "false");
        JU("records", d->records);
        JU("active", d->active);
        JU("started", d->started);
        JU("updated", d->updated);
        JU("ended", d->ended);
        JU("evictions", d->evictions);
        JU("alerts_shed", d->alerts_shed);
        JU("suppressed", d->suppressed);
        JU("memory_bytes", d->memory_bytes);
        JU("config_errors", d->config_errors);
        JU("records_shed", d->records_shed);
        JU("events_dropped", d->events_dropped);
        fputc('}', out);
    }
    JU("rejected_messages", st->rejected_messages);
    JU("malformed_messages", st->malformed_messages);
    JU("unknown_messages", st->unknown_messages);
    JU("refused_messages", st->refused_messages);
    JU("invalid_batches", st->invalid_batches);
    JU("disconnects", st->disconnects);
    JU("commands_sent", st->commands_sent);
    JU("commands_timed_out", st->commands_timed_out);
    JU("control_rejected", st->control_rejected);
    JU("control_oversized", st->control_oversized);
    JU("state_rejected", st->state_rejected);
    JU("rate_records_rebuilt", st->rate_records_rebuilt);
    JU("rate_records_lost", st->rate_records_lost);
    JS("audit_file", st->audit_file);
    JS("alerts_file", st->alerts_file);
    JS("packets_file", st->packets_file);
    JS("rates_file", st->rates_file);
    JS("flows_file", st->flows_file);
    fprintf(out, ",\"csv_off\":%s", st->csv_off ? "true" : "false");
    JU("flows_written", st->flows_written);
    JU("flows_write_failures", st->flows_write_failures);
    print_json_retention(out, st->retention);
    print_json_clickhouse(out, st->clickhouse);
    fprintf(out, ",\"keys\":%s", st->keys ? "true" : "false");
    const Netvigil__SecurityCounters *c = st->security ? st->security : &no_security;
    fprintf(out, ",\"security\":{\"present\":%s", st->security ? "true" : "false");
#define JSON_COUNTER(field, text) JU(#field, c->field);
    SECURITY_COUNTERS(JSON_COUNTER)
#undef JSON_COUNTER
    fprintf(out, "},\"sensors\":[");
    const char *sep = "";
    for (size_t i = 0; i < st->n_sensors; i++) {
        if (!st->sensors[i])
            continue;
        fputs(sep, out);
        nvg_ctl_status_print_json_sensor(out, st->sensors[i], NULL);
        sep = ",";
    }
    fprintf(out, "]}");
}

void nvg_ctl_status_print(FILE *out, const Netvigil__CollectorStatus *st, bool json)
{
    if (json) {
        nvg_ctl_status_print_json(out, st);
        fputc('\n', out);
    } else
        print_table(out, st);
}

/* ---- command results --------------------------------------------------------------------- */

static void print_result_json(FILE *out, const Netvigil__ControlReply *r, const char *command)
{
    fprintf(out, "{\"command\":");
    nvg_ctl_json_str(out, command);
    fprintf(out, ",\"id\":%" PRIu64 ",\"ok\":%s", r->id, r->ok ? "true" : "false");
    JS("error", r->error);
    fprintf(out, ",\"results\":[");
    const char *sep = "";
    for (size_t i = 0; i < r->n_results; i++) {
        const Netvigil__SensorResult *s = r->results[i];
        if (!s)
            continue;
        fprintf(out, "%s{\"sensor\":", sep);
        nvg_ctl_json_str(out, s->sensor);
        fprintf(out, ",\"ok\":%s", s->ok ? "true" : "false");
        JS("error", s->error);
        fputc('}', out);
        sep = ",";
    }
    fprintf(out, "]}\n");
}

/* One line per sensor; the error text is printed whole (it may be long: libpcap's message),
 * up to a bound a hostile collector cannot stretch. */
static void print_result_table(FILE *out, const Netvigil__ControlReply *r, const char *what,
                               bool bare_ok, size_t ok, size_t n)
{
    if (n == 0 && bare_ok) {
        fprintf(out, "%s: ok\n", what);
        return;
    }
    if (n == 0) {
        fprintf(out, "%s: failed: ", what);
        nvg_ctl_put(out, r->error && *r->error ? r->error : "(no reason given)", 1024);
        fputc('\n', out);
        return;
    }
    int width = 6;
    for (size_t i = 0; i < r->n_results; i++) {
        char name[NVG_TEXT_ESCAPED_SIZE(NVG_NAME_MAX)];
        int w = r->results[i] ? (int)nvg_ctl_escape(name, sizeof(name), r->results[i]->sensor) : 0;
        width = w > width ? w : width;
    }
    fprintf(out, "%s: %zu of %zu sensor(s) ok\n", what, ok, n);
    fprintf(out, "%-*s  %s\n", width, "SENSOR", "RESULT");
    for (size_t i = 0; i < r->n_results; i++) {
        const Netvigil__SensorResult *s = r->results[i];
        if (!s)
            continue;
        nvg_ctl_put_col(out, s->sensor, width, true);
        if (s->ok) {
            fprintf(out, "  ok\n");
            continue;
        }
        fprintf(out, "  error: ");
        nvg_ctl_put(out, s->error && *s->error ? s->error : "(no reason given)", 1024);
        fputc('\n', out);
    }
}

int nvg_ctl_result_print(FILE *out, const Netvigil__ControlReply *r, const char *what,
                         Netvigil__CommandKind kind, bool json)
{
    size_t ok = 0, n = 0;
    for (size_t i = 0; i < r->n_results; i++) {
        if (r->results[i]) {
            n++;
            ok += r->results[i]->ok;
        }
    }
    /* forget acts on the collector's table, not on a sensor: there may be no sensor result. */
    bool bare_ok = r->ok && kind == NETVIGIL__COMMAND_KIND__COMMAND_FORGET;
    if (json)
        print_result_json(out, r, what);
    else
        print_result_table(out, r, what, bare_ok, ok, n);
    if (nvg_ctl_reply_not_allowed(r))
        return NVG_CTL_EXIT_NOT_ALLOWED;
    return r->ok && ok == n && (n > 0 || bare_ok) ? NVG_CTL_EXIT_OK : NVG_CTL_EXIT_FAIL;
}
