/* Printing the live feed: records (tail), rates and events. Each message is unpacked into one
 * capped arena, reset per message; what cannot be used is dropped whole and counted. See
 * ctl-core.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-core.h"
#include "nvg-alert-wire.h"
#include "nvg-feed-skip.h"
#include "nvg-text.h"

/* Sensors whose batch sequence we follow to count what the feed did not deliver. Past this
 * many, the oldest slot is reused: a hostile feed of new names costs nothing more. */
#define GAP_SLOTS 64

struct gap_slot {
    char name[NVG_SENSOR_NAME_MAX + 1];
    uint64_t boot_id, seq;
};

struct nvg_ctl_feed {
    struct nvg_filter filter;
    struct nvg_arena *arena;
    struct nvg_time_cache tc;
    struct nvg_ctl_feed_counts counts;
    struct gap_slot gaps[GAP_SLOTS];
    size_t n_gaps, next_gap;
    struct nvg_feed_skips skips;
};

struct nvg_ctl_feed *nvg_ctl_feed_new(const struct nvg_filter *filter)
{
    struct nvg_ctl_feed *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->arena = nvg_ctl_arena_new();
    if (!f->arena) {
        free(f);
        return NULL;
    }
    if (filter)
        f->filter = *filter;
    else
        nvg_filter_init(&f->filter);
    nvg_time_cache_init(&f->tc);
    nvg_feed_skips_init(&f->skips);
    return f;
}

void nvg_ctl_feed_free(struct nvg_ctl_feed *f)
{
    if (!f)
        return;
    nvg_arena_free(f->arena);
    free(f);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static ProtobufCAllocator *fresh_arena(struct nvg_ctl_feed *f)
{
    nvg_arena_reset(f->arena);
    f->counts.messages++;
    return nvg_arena_allocator(f->arena);
}

static void count_gap(struct nvg_ctl_feed *f, const char *name, uint64_t boot_id, uint64_t seq)
{
    struct gap_slot *g = NULL;
    for (size_t i = 0; i < f->n_gaps && !g; i++)
        if (strcmp(f->gaps[i].name, name) == 0)
            g = &f->gaps[i];
    if (!g) {
        g = &f->gaps[f->n_gaps < GAP_SLOTS ? f->n_gaps++ : f->next_gap++ % GAP_SLOTS];
        snprintf(g->name, sizeof(g->name), "%s", name);
        g->boot_id = boot_id;
    } else if (g->boot_id == boot_id && seq > g->seq + 1 && g->seq + 1 > g->seq) {
        f->counts.batches_missed = sat_add(f->counts.batches_missed, seq - g->seq - 1);
    }
    g->boot_id = boot_id;
    g->seq = seq;
}

/* The name as tail prints it: as it is when valid, else escaped (a hostile or old collector). */
static const char *print_name(const char *sensor, char *buf, size_t size)
{
    if (nvg_name_valid(sensor))
        return sensor;
    nvg_ctl_escape(buf, size, sensor);
    return buf;
}

long nvg_ctl_feed_batch(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len, long limit)
{
    Netvigil__Batch *b = netvigil__batch__unpack(fresh_arena(f), len, data);
    if (!b || !b->sensor) {
        f->counts.dropped++;
        return 0;
    }
    char esc[NVG_SENSOR_NAME_MAX + 1];
    const char *name = print_name(b->sensor, esc, sizeof(esc));
    count_gap(f, name, b->boot_id, b->seq);
    /* Its own line, before the batch's records, never shaped like a record (which starts with
     * its time): a reader of the records skips it. */
    uint64_t skipped = nvg_feed_skips_batch(&f->skips, name, b->feed_offset, b->n_records);
    if (skipped)
        fprintf(out, "skipped %" PRIu64 " records of %s (the subscriber fell behind)\n", skipped,
                name);
    long printed = 0;
    char line[NVG_FORMAT_LINE_MAX];
    for (size_t i = 0; i < b->n_records && (limit <= 0 || printed < limit); i++) {
        struct nvg_pkt pkt;
        if (!b->records[i] || nvg_wire_record_from_pb(b->records[i], &pkt) < 0) {
            f->counts.records_invalid++;
            continue;
        }
        if (!nvg_filter_match(&f->filter, b->sensor, &pkt))
            continue;
        size_t n = nvg_format_text_line_r(&f->tc, line, &pkt, name);
        fwrite(line, 1, n, out);
        printed++;
    }
    return printed;
}

long nvg_ctl_feed_rates(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len, long limit)
{
    Netvigil__RateBatch *rb = netvigil__rate_batch__unpack(fresh_arena(f), len, data);
    if (!rb) {
        f->counts.dropped++;
        return 0;
    }
    long printed = 0;
    for (size_t i = 0; i < rb->n_samples && (limit <= 0 || printed < limit); i++) {
        const Netvigil__RateSample *s = rb->samples[i];
        if (!s)
            continue;
        char iso[40];
        nvg_format_time_iso(iso, nvg_ctl_sat_mul(s->time_s, 1000000000LL));
        memcpy(iso + 19, "Z", 2); /* whole seconds */
        fprintf(out, "%s ", iso);
        nvg_ctl_put(out, s->sensor, 256);
        fprintf(out, " %s packets=%" PRIu64 " bytes=%" PRIu64 "\n",
                nvg_proto_name((enum nvg_proto)s->proto), s->packets, s->bytes);
        printed++;
    }
    return printed;
}

long nvg_ctl_feed_event(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len, long limit)
{
    (void)limit; /* one line per event */
    Netvigil__Event *ev = netvigil__event__unpack(fresh_arena(f), len, data);
    if (!ev) {
        f->counts.dropped++;
        return 0;
    }
    char iso[40];
    nvg_format_time_iso(iso, nvg_ctl_sat_mul(ev->time_ms, 1000000LL));
    fprintf(out, "%s ", iso);
    nvg_ctl_put(out, ev->kind && *ev->kind ? ev->kind : "event", 64);
    fprintf(out, " sensor=");
    nvg_ctl_put(out, ev->sensor, 256);
    if (ev->requester && *ev->requester) {
        fprintf(out, " by=");
        nvg_ctl_put(out, ev->requester, 512);
    }
    fputc(' ', out);
    nvg_ctl_put(out, ev->text, 2048);
    fputc('\n', out);
    return 1;
}

long nvg_ctl_feed_alert(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len, long limit)
{
    (void)limit; /* one line per alert event */
    Netvigil__Alert *a = netvigil__alert__unpack(fresh_arena(f), len, data);
    if (!a) {
        f->counts.dropped++;
        return 0;
    }
    char line[NVG_ALERT_LINE_MAX];
    fwrite(line, 1, nvg_alert_format_line(line, a), out);
    return 1;
}

void nvg_ctl_feed_reconnected(struct nvg_ctl_feed *f)
{
    nvg_feed_skips_forget(&f->skips);
}

ProtobufCAllocator *nvg_ctl_feed_arena(struct nvg_ctl_feed *f)
{
    return fresh_arena(f);
}

struct nvg_feed_skips *nvg_ctl_feed_skips(struct nvg_ctl_feed *f)
{
    return &f->skips;
}

const struct nvg_filter *nvg_ctl_feed_filter(const struct nvg_ctl_feed *f)
{
    return &f->filter;
}

void nvg_ctl_feed_count_malformed(struct nvg_ctl_feed *f)
{
    f->counts.malformed++;
}

void nvg_ctl_feed_counts(const struct nvg_ctl_feed *f, struct nvg_ctl_feed_counts *c)
{
    *c = f->counts;
    c->records_skipped = f->skips.skipped;
}

void nvg_ctl_feed_report(const struct nvg_ctl_feed *f, FILE *out)
{
    const struct nvg_ctl_feed_counts *c = &f->counts;
    if (f->skips.skipped)
        fprintf(out,
                "netvigil-ctl: feed: skipped %" PRIu64 " records in all (the subscriber "
                "fell behind: the collector's feed budget or our queue was full)\n",
                f->skips.skipped);
    if (!c->dropped && !c->malformed && !c->records_invalid && !c->batches_missed)
        return;
    fprintf(out,
            "netvigil-ctl: feed: %" PRIu64 " messages dropped (%" PRIu64 " unreadable or over "
            "the size cap, %" PRIu64 " not topic + body), %" PRIu64
            " invalid records skipped, %" PRIu64 " batches missed (sequence gaps: never "
            "delivered to this client)\n",
            sat_add(c->dropped, c->malformed), c->dropped, c->malformed, c->records_invalid,
            c->batches_missed);
}
