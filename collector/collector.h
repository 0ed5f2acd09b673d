/* The collector's state, owned by its one main thread: the three sockets, the CSV logs, the
 * sensor table and the global counters. Every socket here is used by that thread only. */
#ifndef NVG_COLLECTOR_H
#define NVG_COLLECTOR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "collector-options.h"
#include "control.h"
#include "csv-writer.h"
#include "fanout.h"
#include "ingest.h"
#include "nvg-format.h"
#include "nvg-log.h"
#include "nvg-wire.h"
#include "sensors.h"
#include "util.h"

struct nvg_collector_counters {
    uint64_t disconnects;
};

struct nvg_status_storage {
    Netvigil__SensorSummary *sums;
    Netvigil__SensorSummary **sum_ptrs;
    Netvigil__SensorStatus *hbs;
};

struct nvg_collector {
    const struct nvg_collector_options *opts;
    void *zctx;
    void *router; /* 7700: sensors */
    void *pub;    /* 7701: live feed */
    struct nvg_fanout *feed;
    struct nvg_audit *audit;
    void *control; /* 7702: control requests */
    void *monitor; /* PAIR receiving the router's connection events */
    struct nvg_csv_writer *packets;
    struct nvg_csv_writer *rates_csv;
    struct nvg_sensor_table sensors;
    struct nvg_ingest *ingest;
    struct nvg_collector_counters c;
    int64_t start_ms;
    int64_t now_ms; /* wall clock, refreshed per message */
    /* The packet log's last durable point that sensors.state records (main.c). */
    char state_log_name[256];
    uint64_t state_log_length;

    struct nvg_ratelog rl_write;
    struct nvg_control *ctl;
    Netvigil__CollectorStatus status_msg; /* what nvg_status_lend lends */
    struct nvg_status_storage status_store;
};

/* status.c: a CollectorStatus of the whole collector; free with nvg_status_release. */
int nvg_status_build(struct nvg_collector *c, Netvigil__CollectorStatus *st,
                     struct nvg_status_storage *store);
void nvg_status_release(struct nvg_status_storage *store);
/* status.c: the CollectorStatus on the feed (once a second). */
void nvg_status_publish(struct nvg_collector *c);
/* status.c: for control's STATUS replies (ud = the collector); lent until the next call. */
const Netvigil__CollectorStatus *nvg_status_lend(void *ud);

#endif
