/* Detection in the collector (issue 11): the engine (common/detect) over the merged record
 * stream of every sensor, and what becomes of its alerts: a row of alerts-*.csv, a message on
 * the feed (topic "alert"), and a place in a ring of the last NVG_ALERTS_KEPT events for
 * `netvigil-ctl alerts --since` and viewers that connect late.
 *
 * The engine runs on record time. Its clock is the newest record time seen (times more than a
 * minute ahead of the wall clock do not move it: a sensor's bad clock must not end every
 * alert), advanced by the wall time since that record, so alerts end on time when the traffic
 * stops and a capture file replayed through a sensor is judged by its own times. */
#ifndef NVG_ALERTS_H
#define NVG_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clickhouse.h"
#include "csv-writer.h"
#include "fanout.h"
#include "netvigil.pb-c.h"
#include "nvg-detect.h"
#include "nvg-error.h"
#include "nvg-pkt.h"

#define NVG_ALERTS_KEPT 1000

struct nvg_alerts_config {
    const char *out_dir;
    uint64_t rotate_size;
    int64_t rotate_interval_s;
    const char *rules_path; /* alerts.conf, or NULL for the defaults */
    bool disabled;          /* --no-alerts: no engine, no file */
    bool no_csv;            /* --no-csv: an engine, no alerts-*.csv */
    struct nvg_fanout *feed;
    struct nvg_clickhouse *clickhouse; /* a copy of every event's row; NULL: none */
};

struct nvg_alerts;

/* Every call below takes NULL for "no detection" (test harnesses) as well as --no-alerts. */

/* NULL with the reason in err (a bad rules file: "FILE:LINE: reason"; the alerts log). */
struct nvg_alerts *nvg_alerts_new(const struct nvg_alerts_config *cfg, char *err);
/* Ends every open alert (written and published), then closes the log. */
void nvg_alerts_free(struct nvg_alerts *al);

/* The engine's index for a sensor name, stable for the collector's run (cache it per sensor). */
unsigned nvg_alerts_sensor_index(struct nvg_alerts *al, const char *name);
/* One validated record, handed to the detection thread (the per-record path: a copy into its
 * ring, no allocation; shed and counted when the ring is full). */
void nvg_alerts_record(struct nvg_alerts *al, unsigned sensor, const struct nvg_pkt *pkt);
/* About every 100 ms: write, publish and keep what the engine started, changed and ended. */
void nvg_alerts_tick(struct nvg_alerts *al);
/* Once a second: flush and rotate the log. */
void nvg_alerts_second(struct nvg_alerts *al, int64_t now_ms);
/* SIGHUP: read the rules again; a bad file keeps the rules in force (logged, counted). */
void nvg_alerts_reload(struct nvg_alerts *al);
/* The same from path (a changed --alerts-config; NULL = the defaults), which becomes the path
 * in force only when it loads. 0, or <0 when the rules in force stay (logged, counted). */
int nvg_alerts_reload_from(struct nvg_alerts *al, const char *path);

/* The kept events emitted at or after since_ms, oldest first, as ControlReply field 7 entries
 * (tag, length, Alert) ready to append to a reply; NULL with *len 0 when there are none or on
 * allocation failure (*oom set). The buffer is the module's until the next call. */
const uint8_t *nvg_alerts_packed_since(struct nvg_alerts *al, int64_t since_ms, size_t *len,
                                       bool *oom);
void nvg_alerts_counters(const struct nvg_alerts *al, Netvigil__DetectionCounters *out);
struct nvg_csv_writer *nvg_alerts_log(const struct nvg_alerts *al); /* NULL when disabled */
/* For the metrics (main thread): alerts started since the start by detector (enum
 * nvg_detector) and severity (enum nvg_severity; 0 for a number out of range), and what waits
 * now in the queue to the detection thread (records) and back from it (alert events). */
uint64_t nvg_alerts_started_by(const struct nvg_alerts *al, unsigned detector, unsigned severity);
void nvg_alerts_queues(const struct nvg_alerts *al, size_t *records, size_t *events);

/* An alert of the collector's own (retention.h's "disk"), not the engine's: written, published
 * and kept like the engine's. a->id 0 on a start: a new id is given (NVG_ALERTS_OWN_IDS and
 * up, apart from the engine's), and returned for the updates and the end. Main thread; with
 * detection off (or al NULL) nothing is emitted and the id is 0. */
#define NVG_ALERTS_OWN_IDS (1ull << 62)
uint64_t nvg_alerts_emit_own(struct nvg_alerts *al, struct nvg_alert *a);

#endif
