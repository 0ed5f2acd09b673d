/* The collector's state, owned by its one main thread: the three sockets, the CSV logs, the
 * sensor table and the global counters. Every socket here is used by that thread only. */
#ifndef NVG_COLLECTOR_H
#define NVG_COLLECTOR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv-writer.h"
#include "nvg-format.h"
#include "nvg-log.h"
#include "nvg-wire.h"
#include "options.h"
#include "sensors.h"

#define NVG_RATELOG_INTERVAL_MS 5000

/* A warning printed at most once per interval, with the number of repeats it stood for. */
struct nvg_ratelog {
    int64_t last_ms;
    uint64_t suppressed;
};

struct nvg_collector_counters {
    uint64_t malformed, unknown, refused, invalid_batches, disconnects;
    uint64_t records_written, write_failures;
};

struct nvg_collector {
    const struct nvg_collector_options *opts;
    void *zctx;
    void *router;  /* 7700: sensors */
    void *pub;     /* 7701: live feed */
    void *control; /* 7702: control requests */
    void *monitor; /* PAIR receiving the router's connection events */
    struct nvg_csv_writer *packets;
    struct nvg_csv_writer *rates_csv;
    struct nvg_sensor_table sensors;
    struct nvg_arena *arena;
    struct nvg_pkt *scratch; /* validated records of the batch at hand */
    size_t scratch_cap;
    struct nvg_time_cache tc;
    struct nvg_collector_counters c;
    int64_t start_ms;
    int64_t now_ms; /* wall clock, refreshed per message */
    bool state_dirty;

    /* Rate samples closed since the last publish. */
    Netvigil__RateSample *rate_pending;
    size_t rate_n, rate_cap;

    struct nvg_ratelog rl_malformed, rl_unknown, rl_refused, rl_invalid, rl_write;
};

int64_t nvg__wall_ms(void);
void nvg__ratelog(struct nvg_ratelog *rl, int64_t now_ms, enum nvg_log_level level,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ingest.c: drain the sensor ROUTER (at most max messages); returns messages handled. */
int nvg_ingest_drain(struct nvg_collector *c, int max);
/* ingest.c: the rates callback (ud = struct nvg_sensor). */
void nvg_ingest_rate_closed(void *ud, int64_t sec, int proto, uint64_t packets, uint64_t bytes);

/* fanout.c: the live feed. */
void nvg_fanout_raw(struct nvg_collector *c, const char *topic, size_t topic_len,
                    const void *body, size_t len);
void nvg_fanout_pb(struct nvg_collector *c, const char *topic, const ProtobufCMessage *msg);
void nvg_fanout_rates(struct nvg_collector *c);
void nvg_fanout_status(struct nvg_collector *c);
void nvg_fanout_talkers(struct nvg_collector *c, int64_t interval_start_s, uint32_t interval_s);
void nvg_fanout_event(struct nvg_collector *c, const char *kind, const char *sensor,
                      const char *text);

/* status.c: a CollectorStatus of the whole collector; free with nvg_status_release. */
struct nvg_status_storage {
    Netvigil__SensorSummary *sums;
    Netvigil__SensorSummary **sum_ptrs;
    Netvigil__SensorStatus *hbs;
};
int nvg_status_build(struct nvg_collector *c, Netvigil__CollectorStatus *st,
                     struct nvg_status_storage *store);
void nvg_status_release(struct nvg_status_storage *store);

/* control.c: drain the control ROUTER. */
int nvg_control_drain(struct nvg_collector *c, int max);

#endif
