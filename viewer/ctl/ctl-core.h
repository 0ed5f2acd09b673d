/* netvigil-ctl's parsers and printers of what the collector sends (control replies, feed
 * messages), apart from the sockets so that the fuzz harnesses (tests/fuzz/fuzz-ctl-*.c) run
 * them on any bytes: library nvg_ctl_core.
 *
 * The collector is a peer like any other: every message is unpacked into a size-capped arena,
 * every sub-message is checked before use, time arithmetic saturates, and every string it sends
 * is printed escaped (nvg_text_escape), so that a name holding "\e]0;..." cannot retitle the
 * terminal or forge a line. */
#ifndef NVG_CTL_CORE_H
#define NVG_CTL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netvigil.pb-c.h"
#include "nvg-filter.h"
#include "nvg-format.h"
#include "nvg-wire.h"

/* Exit statuses of netvigil-ctl (also in --help). */
enum {
    NVG_CTL_EXIT_OK = 0,
    NVG_CTL_EXIT_FAIL = 1,        /* a command failed, no answer, a reply we cannot read */
    NVG_CTL_EXIT_USAGE = 2,       /* bad arguments or key files */
    NVG_CTL_EXIT_KEY_REFUSED = 3, /* the collector does not accept our key (ZAP) */
    NVG_CTL_EXIT_HANDSHAKE = 4,   /* CURVE handshake failed or never completed */
    NVG_CTL_EXIT_NOT_ALLOWED = 5, /* our key's role may not do that ("not allowed: ...") */
    NVG_CTL_EXIT_PARTIAL = 6,     /* several collectors: one or more did not answer (or failed
                                   * otherwise); the others' results are printed */
};

/* What one unpacked message may cost us at most: far above a legitimate reply (a full sensor
 * table is well under 1 MiB unpacked) or batch (32768 records), far below what protobuf-c's
 * amplification (~80x for empty sub-messages) makes of a hostile NVG_CLIENT_MAX_MSG. */
#define NVG_CTL_ARENA_LIMIT ((size_t)32 * 1024 * 1024)

/* An arena of NVG_CTL_ARENA_LIMIT; NULL when out of memory. */
struct nvg_arena *nvg_ctl_arena_new(void);

/* ---- strings from the collector ---------------------------------------------------------- */

/* s (NULL = "") escaped into dst (size bytes, always terminated; "..." when cut). */
size_t nvg_ctl_escape(char *dst, size_t size, const char *s);
/* s escaped, at most about cap bytes of output. */
void nvg_ctl_put(FILE *out, const char *s, size_t cap);
/* s escaped in a column of width characters: padded with spaces; cut to width when cut. */
void nvg_ctl_put_col(FILE *out, const char *s, int width, bool cut);
/* s as a JSON string literal: quotes, backslashes and control bytes as JSON escapes, bytes that
 * are not printable UTF-8 (invalid, C1, bidi and zero-width characters) as the text "\xHH". */
void nvg_ctl_json_str(FILE *out, const char *s);

/* v * m, saturated to INT64_MIN / INT64_MAX (times from the collector: ms -> ns, s -> ns). */
int64_t nvg_ctl_sat_mul(int64_t v, int64_t m);

/* ---- control replies ---------------------------------------------------------------------- */

/* The ControlReply in data, unpacked into arena (valid until its reset); NULL when it does not
 * parse or would cost more than the arena's limit. */
Netvigil__ControlReply *nvg_ctl_reply_unpack(struct nvg_arena *arena, const void *data, size_t len);
/* Whether a request-level error is a refusal of our key's role ("not allowed: ..."). */
bool nvg_ctl_reply_not_allowed(const Netvigil__ControlReply *r);

/* The status table (header, one row per sensor, then the collector, control and security
 * lines) or one JSON object. Any field may be missing: a sensor without last_status shows as
 * "?" with zero counters. */
void nvg_ctl_status_print(FILE *out, const Netvigil__CollectorStatus *st, bool json);
/* The parts of the table, for several collectors' merged one (ctl-multi.c): the header with a
 * COLLECTOR column of width characters first (0: none), one sensor's row (collector NULL: no
 * column), and the lines under the rows (collector, control, detection, ..., security). */
void nvg_ctl_status_print_header(FILE *out, int width);
void nvg_ctl_status_print_row(FILE *out, const Netvigil__SensorSummary *s, const char *collector,
                              int width);
void nvg_ctl_status_print_footer(FILE *out, const Netvigil__CollectorStatus *st);
/* The JSON object of a status without its newline, and one sensor's object with a
 * "collector" member first (collector NULL: none). */
void nvg_ctl_status_print_json(FILE *out, const Netvigil__CollectorStatus *st);
void nvg_ctl_status_print_json_sensor(FILE *out, const Netvigil__SensorSummary *s,
                                      const char *collector);

/* The result of a sensor command (start, stop, ..., forget) described by what: the
 * per-sensor table or JSON. Returns the exit status: 0 only when the collector said ok and
 * every targeted sensor did (forget: ok without per-sensor results is ok), 5 for "not
 * allowed", else 1. */
int nvg_ctl_result_print(FILE *out, const Netvigil__ControlReply *r, const char *what,
                         Netvigil__CommandKind kind, bool json);

/* ---- the live feed ------------------------------------------------------------------------ */

/* What a subscriber prints and counts. Feed messages it cannot use are dropped and counted,
 * never half-printed; batches it never saw show as gaps in their sequence numbers. */
struct nvg_ctl_feed;

/* filter may be NULL (everything). NULL when out of memory. */
struct nvg_ctl_feed *nvg_ctl_feed_new(const struct nvg_filter *filter);
void nvg_ctl_feed_free(struct nvg_ctl_feed *f);

/* Print the lines of one message body (a Batch, a RateBatch or an Event), at most limit of
 * them (0: no limit); returns how many were printed. */
long nvg_ctl_feed_batch(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len,
                        long limit);
long nvg_ctl_feed_rates(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len,
                        long limit);
long nvg_ctl_feed_event(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len,
                        long limit);
/* The feed's connection was lost and made again: records skipped meanwhile cannot be told from
 * a collector that restarted, so the skip count starts afresh (nvg-feed-skip.h). */
void nvg_ctl_feed_reconnected(struct nvg_ctl_feed *f);
/* A message that is not topic + body: dropped, counted. */
/* One Alert of the feed (topic "alert") as a line (nvg_alert_format_line: strings escaped). */
long nvg_ctl_feed_alert(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len,
                        long limit);
void nvg_ctl_feed_count_malformed(struct nvg_ctl_feed *f);
/* --sort of flows and hosts (hosts: duration sorts by conversations). */
enum nvg_ctl_sort {
    NVG_CTL_SORT_BYTES,
    NVG_CTL_SORT_RATE,
    NVG_CTL_SORT_DURATION,
    NVG_CTL_SORT_RTT,
    NVG_CTL_SORT_RETRANS
};
/* ctl-flows.c: how the flow printer sorts and prints (lines or JSON), and the hosts table of a
 * COMMAND_HOSTS reply (its entries reordered in place). */
void nvg_ctl_flows_setup(enum nvg_ctl_sort sort, bool json);
void nvg_ctl_hosts_print(FILE *out, Netvigil__ControlReply *r, enum nvg_ctl_sort sort, bool json);

/* For printers elsewhere (ctl-flows.c): the arena reset for the message at hand, and the
 * display filter. */
ProtobufCAllocator *nvg_ctl_feed_arena(struct nvg_ctl_feed *f);
const struct nvg_filter *nvg_ctl_feed_filter(const struct nvg_ctl_feed *f);
/* The per-sensor feed offsets (flows: FlowBatch.feed_offset counts conversation records). */
struct nvg_feed_skips *nvg_ctl_feed_skips(struct nvg_ctl_feed *f);
/* ctl-flows.c: a FlowBatch of the feed topic "flow". */
long nvg_ctl_feed_flows(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len,
                        long limit);

struct nvg_ctl_feed_counts {
    uint64_t messages;        /* messages handed to the printers */
    uint64_t dropped;         /* of those, unusable: not parsing, over the arena's limit */
    uint64_t malformed;       /* not topic + body (counted apart from messages) */
    uint64_t records_invalid; /* records that failed validation, skipped */
    uint64_t batches_missed;  /* sequence gaps: batches the feed did not deliver to us */
    uint64_t records_skipped; /* published on the feed and never received (feed_offset) */
};
void nvg_ctl_feed_counts(const struct nvg_ctl_feed *f, struct nvg_ctl_feed_counts *c);
/* A line on out for the records skipped and one when anything was dropped or missed; nothing
 * otherwise. */
void nvg_ctl_feed_report(const struct nvg_ctl_feed *f, FILE *out);

#endif
