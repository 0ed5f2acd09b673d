/* The collector's CollectorStatus: every sensor's summary and the counters of each module, for
 * the feed (once a second) and for STATUS requests. Counters stay with the module that counts
 * them; this reads them through their getters.
 *
 * A full table makes a status of megabytes, so it is packed once and the bytes are shared:
 * the feed's once-a-second message and every STATUS reply until the next build use them. It
 * is rebuilt when asked for and either something a person would check at once changed (the
 * sensor table's events: a command answered, a sensor pinned, a stream ended, a request
 * refused) or it is NVG_STATUS_REUSE_MS old, so a flood of requests costs one build per
 * interval, never one per request, and a status is at most that stale in its counters. */
#ifndef NVG_STATUS_H
#define NVG_STATUS_H

#include <stdint.h>

#include "alerts.h"
#include "audit.h"
#include "clickhouse.h"
#include "control.h"
#include "csv-writer.h"
#include "fanout.h"
#include "flows.h"
#include "hosts.h"
#include "ingest.h"
#include "peer.h"
#include "retention.h"
#include "sensors.h"

#define NVG_STATUS_REUSE_MS 100

/* Everything is lent and must outlive the status object. */
struct nvg_status_config {
    const struct nvg_sensor_table *sensors;
    const struct nvg_ingest *ingest;
    const struct nvg_control *control;
    const struct nvg_audit *audit;
    const struct nvg_csv_writer *packets, *rates;
    const uint64_t *disconnects; /* of the sensor link, counted by main.c's socket monitor */
    const struct nvg_security_counters *security;
    bool keys;               /* CURVE with allow-lists on every socket */
    struct nvg_fanout *feed; /* where nvg_status_publish sends it */
    const struct nvg_alerts *alerts;
    const struct nvg_flow_log *flows;
    const struct nvg_hosts *hosts;
    const struct nvg_retention *retention;   /* NULL: no RetentionCounters */
    const struct nvg_clickhouse *clickhouse; /* NULL: no ClickHouseCounters */
    bool csv_off;                            /* --no-csv */
    int64_t start_ms;                        /* wall clock at start, for the uptime */
};

struct nvg_status;

/* NULL when out of memory. */
struct nvg_status *nvg_status_new(const struct nvg_status_config *cfg);
void nvg_status_free(struct nvg_status *st);
/* The status as of now, lent until the next call or _free (its strings point into the
 * modules); NULL when out of memory. */
const Netvigil__CollectorStatus *nvg_status_build(struct nvg_status *st);
/* The packed status (rebuilt as described above), lent until the next call or _free; NULL when
 * out of memory. now_ms: the collector's clock. */
const uint8_t *nvg_status_packed(struct nvg_status *st, int64_t now_ms, size_t *len);
/* Publish the packed status on the feed (topic "status"); skipped when out of memory. */
void nvg_status_publish(struct nvg_status *st);
/* The modules it reads, for the metrics (metrics.h), which read the same ones. */
const struct nvg_status_config *nvg_status_sources(const struct nvg_status *st);

#endif
