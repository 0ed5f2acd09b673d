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

#define AUDIT_HEADER "time,requester,sensor,command,filter,outcome\n"
#define FIELD_MAX 1024 /* longest field kept; longer text is cut */

struct nvg_audit {
    struct nvg_csv_writer *csv;
    struct nvg_fanout *feed;
};

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
    nvg_csv_writer_free(a->csv);
    free(a);
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

/* For the log line only: a peer's text must not be able to forge log lines. */
static void printable(char *out, size_t size, const char *text)
{
    size_t i = 0;
    for (; text && *text && i + 1 < size; text++)
        out[i++] = ((unsigned char)*text < 0x20 || *text == 0x7f) ? '?' : *text;
    out[i] = '\0';
}

void nvg_audit_record(struct nvg_audit *a, const char *requester, const char *sensor,
                      const char *command, const char *filter, const char *error)
{
    int64_t now = nvg_clock_wall_ms();
    char outcome[FIELD_MAX + 16];
    if (error)
        snprintf(outcome, sizeof(outcome), "error: %s", error);
    else
        snprintf(outcome, sizeof(outcome), "ok");

    const char *fields[5] = {requester, sensor, command, filter, outcome};
    write_row(a->csv, now, fields);

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
