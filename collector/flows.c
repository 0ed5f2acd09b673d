/* See flows.h. A batch's flows are few next to its records (one per conversation end or
 * active timeout), so they go through protobuf-c and snprintf; the scratch they are
 * validated into grows to the largest batch seen and is then reused. */
#include "flows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-flow-wire.h"
#include "nvg-log.h"

struct nvg_flow_log {
    struct nvg_csv_writer *csv;
    struct nvg_fanout *feed;
    struct nvg_hosts *hosts;
    struct nvg_clickhouse *clickhouse;
    struct nvg_ratelog rl_refused, rl_write;
    size_t cap;
    struct nvg_flow *scratch;
    Netvigil__FlowRecord *pbs;
    Netvigil__FlowDirection (*dirs)[2];
    Netvigil__FlowRecord **ptrs;
};

struct nvg_flow_log *nvg_flow_log_new(const struct nvg_flow_log_config *cfg, char *err)
{
    struct nvg_flow_log *fl = calloc(1, sizeof(*fl));
    if (!fl) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    nvg_csv_repair_dir(cfg->dir, "flows");
    struct nvg_csv_writer_config wc = {
        .dir = cfg->dir,
        .prefix = "flows",
        .header = NVG_FLOW_CSV_HEADER,
        .rotate_size = cfg->rotate_size,
        .rotate_interval_s = cfg->rotate_interval_s,
        .buffer_size = 1u << 20,
    };
    fl->csv = cfg->no_csv ? NULL : nvg_csv_writer_new(&wc, err);
    if (!fl->csv && !cfg->no_csv) {
        free(fl);
        return NULL;
    }
    fl->feed = cfg->feed;
    fl->hosts = cfg->hosts;
    fl->clickhouse = cfg->clickhouse;
    fl->rl_refused = NVG_RATELOG_INIT(10000);
    fl->rl_write = NVG_RATELOG_INIT(10000);
    return fl;
}

void nvg_flow_log_free(struct nvg_flow_log *fl)
{
    if (!fl)
        return;
    nvg_csv_writer_free(fl->csv);
    free(fl->scratch);
    free(fl->pbs);
    free(fl->dirs);
    free(fl->ptrs);
    free(fl);
}

struct nvg_csv_writer *nvg_flow_log_writer(const struct nvg_flow_log *fl)
{
    return fl->csv;
}

static bool grow(struct nvg_flow_log *fl, size_t n)
{
    if (n <= fl->cap)
        return true;
    size_t cap = fl->cap ? fl->cap : 256;
    while (cap < n)
        cap *= 2;
    struct nvg_flow *s = realloc(fl->scratch, cap * sizeof(*s));
    if (s)
        fl->scratch = s;
    Netvigil__FlowRecord *p = realloc(fl->pbs, cap * sizeof(*p));
    if (p)
        fl->pbs = p;
    Netvigil__FlowDirection(*d)[2] = realloc(fl->dirs, cap * sizeof(*d));
    if (d)
        fl->dirs = d;
    Netvigil__FlowRecord **pp = realloc(fl->ptrs, cap * sizeof(*pp));
    if (pp)
        fl->ptrs = pp;
    if (!s || !p || !d || !pp)
        return false;
    fl->cap = cap;
    return true;
}

/* Validate b's flows into the scratch; returns how many were taken. */
static size_t validate(struct nvg_flow_log *fl, struct nvg_sensor_entry *s,
                       const Netvigil__Batch *b, int64_t now_ms)
{
    size_t ok = 0, version = 0, bad = 0;
    for (size_t i = 0; i < b->n_flows; i++) {
        int rc = nvg_flow_from_pb(b->flows[i], &fl->scratch[ok]);
        if (rc == 0)
            ok++;
        else if (rc == NVG_EVERSION)
            version++;
        else
            bad++;
    }
    if (version + bad) {
        s->flows_refused += version + bad;
        s->boot_flows_refused += version + bad;
        nvg_ratelog_log(&fl->rl_refused, now_ms, NVG_LOG_WARNING,
                        "refused %zu conversation record(s) of '%s' (%zu of another format, %zu "
                        "malformed; %" PRIu64 " so far)",
                        version + bad, s->name, version, bad, s->flows_refused);
    }
    return ok;
}

static void write_rows(struct nvg_flow_log *fl, struct nvg_sensor_entry *s, size_t n,
                       int64_t now_ms)
{
    uint64_t failed = 0;
    for (size_t i = 0; fl->csv && i < n; i++) {
        char *row = nvg_csv_writer_reserve(fl->csv, NVG_FLOW_CSV_LINE_MAX);
        if (row)
            nvg_csv_writer_commit(
                fl->csv, nvg_flow_format_csv(row, &fl->scratch[i], s->name_csv, s->name_csv_len));
        else
            failed++;
    }
    nvg_csv_writer_count_rows(fl->csv, n - failed, failed);
    size_t ch_dropped = nvg_clickhouse_flows(fl->clickhouse, s->name, fl->scratch, n);
    if (!fl->csv)
        failed = ch_dropped; /* --no-csv: ClickHouse is the store */
    if (failed) {
        s->flows_write_failures += failed;
        s->boot_flows_write_failures += failed;
        nvg_ratelog_log(&fl->rl_write, now_ms, NVG_LOG_ERR,
                        "conversation log full or failing: %" PRIu64 " record(s) of '%s' not "
                        "written",
                        failed, s->name);
    }
    nvg_csv_writer_maybe_rotate(fl->csv);
}

/* Re-encoded from the validated structs: nothing a sensor sent unchecked reaches the feed. */
static void publish(struct nvg_flow_log *fl, struct nvg_sensor_entry *s, size_t n)
{
    /* Taken before the budget may drop it, so a subscriber sees the flows as skipped. */
    uint64_t offset = s->flows_published;
    s->flows_published += n;
    if (!nvg_fanout_has_subscribers(fl->feed))
        return; /* nobody to encode them for */
    for (size_t i = 0; i < n; i++) {
        nvg_flow_to_pb(&fl->scratch[i], &fl->pbs[i], fl->dirs[i]);
        fl->ptrs[i] = &fl->pbs[i];
    }
    Netvigil__FlowBatch fb = NETVIGIL__FLOW_BATCH__INIT;
    fb.sensor = s->name;
    fb.n_flows = n;
    fb.flows = fl->ptrs;
    fb.feed_offset = offset;
    nvg_fanout_pb(fl->feed, NVG_TOPIC_FLOWS, &fb.base);
}

static uint64_t sensor_key(const struct nvg_sensor_entry *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a of the name, then the boot id */
    for (const unsigned char *p = (const unsigned char *)s->name; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return h ^ s->boot_id;
}

void nvg_flow_log_batch(struct nvg_flow_log *fl, struct nvg_sensor_entry *s,
                        const Netvigil__Batch *b, int64_t now_ms)
{
    if (b->n_flows == 0)
        return;
    if (!grow(fl, b->n_flows)) {
        s->flows_refused += b->n_flows; /* nowhere to validate them into: lost here, counted */
        s->boot_flows_refused += b->n_flows;
        return;
    }
    size_t n = validate(fl, s, b, now_ms);
    if (n == 0)
        return;
    s->flows_received += n;
    s->boot_flows += n;
    write_rows(fl, s, n, now_ms);
    uint64_t key = sensor_key(s);
    for (size_t i = 0; i < n; i++)
        nvg_hosts_flow(fl->hosts, key, &fl->scratch[i], now_ms);
    publish(fl, s, n);
}

void nvg_flow_log_end(struct nvg_flow_log *fl, struct nvg_sensor_entry *s, uint64_t sent)
{
    uint64_t here = s->boot_flows + s->boot_flows_refused;
    if (!s->boot_flows_whole) {
        nvg_log(NVG_LOG_WARNING,
                "sensor '%s' end of stream: %" PRIu64 " of its %" PRIu64
                " conversation records counted since this collector started (the ones before "
                "are in the log, not in the count)",
                s->name, here, sent);
        here = sent; /* nothing known missing */
    } else if (sent != here)
        nvg_log(NVG_LOG_WARNING,
                "sensor '%s' end of stream: it sent %" PRIu64 " conversation records, %" PRIu64
                " arrived (%" PRIu64 " refused)",
                s->name, sent, here, s->boot_flows_refused);
    s->flows_missing = sent > here ? sent - here : 0;
    if (nvg_csv_writer_flush(fl->csv) < 0)
        nvg_log(NVG_LOG_ERR, "end of stream: the conversation log could not be flushed");
}
