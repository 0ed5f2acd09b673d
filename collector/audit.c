/* See audit.h. */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv-writer.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-format.h"
#include "nvg-log.h"
#include "nvg-text.h"

#define AUDIT_HEADER "time,requester,sensor,command,filter,outcome\n"
#define FIELD_MAX 1024    /* longest field kept; longer text is cut */
#define COALESCE_SLOTS 64 /* peers whose refusals are coalesced at once */
#define KEY_MAX 128
#define TEXT_MAX 320

/* One peer's refusals in the current second, beyond the first one (already written). */
struct coalesce {
    char peer[KEY_MAX];
    int64_t sec;
    uint64_t more;
    char requester[TEXT_MAX], sensor[NVG_NAME_MAX + 8], command[32], error[TEXT_MAX];
};

struct nvg_audit {
    struct nvg_csv_writer *csv;
    struct nvg_fanout *feed;
    struct coalesce slot[COALESCE_SLOTS];
    uint64_t rows;
};

static void flush_slot(struct nvg_audit *a, struct coalesce *c);

struct nvg_audit *nvg_audit_new(const struct nvg_collector_options *o, struct nvg_fanout *feed,
                                char *err)
{
    struct nvg_audit *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    nvg_csv_repair_dir(o->out_dir, "audit");
    struct nvg_csv_writer_config cfg = {
        .dir = o->out_dir,
        .prefix = "audit",
        .header = AUDIT_HEADER,
        .rotate_size = o->rotate_size,
        .rotate_interval_s = o->rotate_interval_s,
        .buffer_size = 64u << 10,
    };
    a->csv = nvg_csv_writer_new(&cfg, err);
    if (!a->csv) {
        free(a);
        return NULL;
    }
    a->feed = feed;
    return a;
}

void nvg_audit_free(struct nvg_audit *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < COALESCE_SLOTS; i++)
        flush_slot(a, &a->slot[i]);
    nvg_csv_writer_free(a->csv);
    free(a);
}

struct nvg_csv_writer *nvg_audit_log(const struct nvg_audit *a)
{
    return a ? a->csv : NULL;
}

const char *nvg_audit_path(const struct nvg_audit *a)
{
    return a ? nvg_csv_writer_path(a->csv) : "";
}

/* One RFC 4180 field (cut to FIELD_MAX bytes) and a separator; returns bytes written. */
static size_t put_field(char *out, const char *text, char sep)
{
    size_t len = text ? strnlen(text, FIELD_MAX) : 0;
    size_t n = nvg_csv_quote(out, text ? text : "", len);
    out[n++] = sep;
    return n;
}

static void write_row(struct nvg_csv_writer *w, int64_t now_ms, const char *fields[5])
{
    /* time + 5 fields of at most 2*FIELD_MAX+3 bytes each + separators */
    size_t cap = 40 + 5 * (2 * FIELD_MAX + 4);
    char *row = nvg_csv_writer_reserve(w, cap);
    if (!row) {
        nvg_log(NVG_LOG_ERR, "audit log: cannot write (disk full or failing)");
        return;
    }
    size_t n = nvg_format_time_iso(row, now_ms * 1000000LL);
    row[n++] = ',';
    for (int i = 0; i < 5; i++)
        n += put_field(row + n, fields[i], i == 4 ? '\n' : ',');
    nvg_csv_writer_commit(w, n);
    nvg_csv_writer_flush(w);
    nvg_csv_writer_maybe_rotate(w);
}

/* For the log line only: a peer's text must not be able to forge log lines or reach a
 * terminal as escape sequences. */
static void printable(char *out, size_t size, const char *text)
{
    nvg_text_escape(out, size, text ? text : "", text ? strlen(text) : 0);
}

/* text itself when it is printable UTF-8 that fits size, else an escaped copy in buf, cut at a
 * character boundary: the trail is UTF-8 whatever a refused request carried. */
static const char *clean(char *buf, size_t size, const char *text)
{
    if (!text)
        return "";
    size_t len = strnlen(text, size);
    if (len < size && nvg_text_valid(text, len, size - 1))
        return text;
    nvg_text_escape(buf, size, text, len);
    return buf;
}

/* A copy of text into dst, clean as above (snprintf alone could cut a character in two). */
static void copy_clean(char *dst, size_t size, const char *text)
{
    const char *c = clean(dst, size, text);
    if (c != dst)
        snprintf(dst, size, "%s", c);
}

void nvg_audit_record(struct nvg_audit *a, const char *requester, const char *sensor,
                      const char *command, const char *filter, const char *error)
{
    nvg_audit_record_detail(a, requester, sensor, command, filter, error, NULL);
}

void nvg_audit_record_detail(struct nvg_audit *a, const char *requester, const char *sensor,
                             const char *command, const char *filter, const char *error,
                             const char *detail)
{
    char cb[5][FIELD_MAX];
    requester = clean(cb[0], sizeof(cb[0]), requester);
    sensor = clean(cb[1], sizeof(cb[1]), sensor);
    command = clean(cb[2], sizeof(cb[2]), command);
    filter = clean(cb[3], sizeof(cb[3]), filter);
    if (error)
        error = clean(cb[4], sizeof(cb[4]), error);
    int64_t now = nvg_clock_wall_ms();
    char outcome[FIELD_MAX + 16];
    if (error)
        snprintf(outcome, sizeof(outcome), "error: %s%s%s%s", error, detail ? " (" : "",
                 detail ? detail : "", detail ? ")" : "");
    else
        snprintf(outcome, sizeof(outcome), "ok%s%s", detail ? ": " : "", detail ? detail : "");

    const char *fields[5] = {requester, sensor, command, filter, outcome};
    write_row(a->csv, now, fields);
    a->rows++;

    char who[256], what[FIELD_MAX + 32], res[sizeof(outcome)];
    printable(who, sizeof(who), requester);
    if (filter && *filter) {
        char f[FIELD_MAX];
        printable(f, sizeof(f), filter);
        snprintf(what, sizeof(what), "%s '%s'", command, f);
    } else {
        snprintf(what, sizeof(what), "%s", command);
    }
    printable(res, sizeof(res), outcome);
    nvg_log(error ? NVG_LOG_WARNING : NVG_LOG_NOTICE, "audit: %s: %s on sensor '%s': %s", who, what,
            sensor, res);

    char text[sizeof(what) + sizeof(outcome) + 4];
    snprintf(text, sizeof(text), "%s: %s", what, outcome);
    Netvigil__Event ev = NETVIGIL__EVENT__INIT;
    ev.time_ms = now;
    ev.kind = (char *)"command";
    ev.requester = (char *)requester;
    ev.sensor = (char *)sensor;
    ev.text = text;
    if (a->feed)
        nvg_fanout_pb(a->feed, NVG_TOPIC_EVENTS, &ev.base);
}

uint64_t nvg_audit_rows(const struct nvg_audit *a)
{
    return a->rows;
}

/* The summary row of c's second, if it has one. */
static void flush_slot(struct nvg_audit *a, struct coalesce *c)
{
    if (c->more == 0)
        return;
    char error[TEXT_MAX + 96];
    snprintf(error, sizeof(error), "%llu more request(s) refused in this second (last: %s)",
             (unsigned long long)c->more, c->error);
    nvg_audit_record(a, c->requester, c->sensor, c->command, "", error);
    c->more = 0;
}

static struct coalesce *slot_of(struct nvg_audit *a, const char *peer, int64_t sec)
{
    struct coalesce *oldest = &a->slot[0];
    for (size_t i = 0; i < COALESCE_SLOTS; i++) {
        struct coalesce *c = &a->slot[i];
        if (c->peer[0] && strcmp(c->peer, peer) == 0)
            return c;
        if (c->sec < oldest->sec)
            oldest = c;
    }
    flush_slot(a, oldest);
    snprintf(oldest->peer, sizeof(oldest->peer), "%s", peer);
    oldest->sec = sec - 1; /* not this second yet */
    return oldest;
}

void nvg_audit_refused(struct nvg_audit *a, const char *peer, const char *requester,
                       const char *sensor, const char *command, const char *error, int64_t now_ms)
{
    int64_t sec = now_ms / 1000;
    struct coalesce *c = slot_of(a, peer, sec);
    if (c->sec == sec) {
        c->more++;
        copy_clean(c->requester, sizeof(c->requester), requester);
        copy_clean(c->sensor, sizeof(c->sensor), sensor);
        copy_clean(c->command, sizeof(c->command), command);
        copy_clean(c->error, sizeof(c->error), error);
        return;
    }
    flush_slot(a, c);
    c->sec = sec;
    nvg_audit_record(a, requester, sensor, command, "", error);
}

void nvg_audit_tick(struct nvg_audit *a, int64_t now_ms)
{
    int64_t sec = now_ms / 1000;
    for (size_t i = 0; i < COALESCE_SLOTS; i++)
        if (a->slot[i].more && a->slot[i].sec < sec)
            flush_slot(a, &a->slot[i]);
}
