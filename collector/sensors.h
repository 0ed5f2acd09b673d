/* What the collector knows about each sensor: identity, where to route commands, sequence
 * accounting, counters, its last heartbeat, and its aggregates.
 *
 * Entries are created when a sensor first speaks (Hello, Batch or SensorStatus) and kept for
 * the collector's lifetime (a sensor that went quiet still shows in `status`); the table is
 * capped so a peer inventing names cannot exhaust memory. */
#ifndef NVG_SENSORS_H
#define NVG_SENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvg-wire.h"
#include "nvg-format.h"
#include "rates.h"
#include "talkers.h"

#define NVG_SENSORS_MAX 1024
#define NVG_ROUTING_ID_MAX 256
#define NVG_SENSOR_CONNECTED_MS 3000 /* heard from within this long = connected */

/* SensorStatus without pointers, so it lives inside the entry. */
struct nvg_sensor_heartbeat {
    bool valid;
    int state; /* Netvigil__SensorState */
    int mode;  /* Netvigil__CaptureMode */
    uint64_t pcap_received, pcap_dropped, pcap_ifdropped;
    uint64_t batches_sent, records_sent, records_dropped, batches_dropped;
    uint64_t uptime_ms, last_seq;
    char source[256];
    char filter[1024];
    char version[64];
    char error[256];
};

struct nvg_sensor {
    char name[NVG_SENSOR_NAME_MAX + 1];
    char name_csv[2 * NVG_SENSOR_NAME_MAX + 3]; /* quoted once for every CSV row */
    size_t name_csv_len;
    char topic[sizeof(NVG_TOPIC_RECORDS) + NVG_SENSOR_NAME_MAX];
    size_t topic_len;
    /* Where this sensor's link ends on the ROUTER: commands (issue 4) are routed here. */
    uint8_t routing_id[NVG_ROUTING_ID_MAX];
    size_t routing_id_len;

    bool have_boot;
    uint64_t boot_id;
    uint64_t last_seq;        /* of boot_id; 0 before its first batch */
    uint64_t boot_records;    /* records received for boot_id */
    uint64_t boot_batches_lost;
    int mode;                 /* Netvigil__CaptureMode from Hello/status */

    uint64_t records_received, batches_received, batches_lost;
    uint64_t invalid_batches, write_failures, bytes_received;
    int64_t last_seen_ms;
    struct nvg_sensor_heartbeat hb;

    /* pkt/s and bytes/s over the last status second */
    uint64_t prev_records, prev_bytes;
    int64_t prev_ms;
    double pps, bps;

    struct nvg_rates rates;
    struct nvg_talkers *talkers;
    void *owner; /* the collector, for the rates callback */
};

struct nvg_sensor_table {
    struct nvg_sensor **v;
    size_t n;
    size_t cap;
    nvg_rates_emit_fn rates_emit; /* ud is the struct nvg_sensor */
    void *owner;                  /* copied into each sensor */
};

void nvg_sensor_table_init(struct nvg_sensor_table *t, nvg_rates_emit_fn rates_emit, void *owner);
void nvg_sensor_table_free(struct nvg_sensor_table *t);

/* Whether name is acceptable: 1..NVG_SENSOR_NAME_MAX bytes, no control characters. */
bool nvg_sensor_name_ok(const char *name);
struct nvg_sensor *nvg_sensor_find(const struct nvg_sensor_table *t, const char *name);
struct nvg_sensor *nvg_sensor_find_boot(const struct nvg_sensor_table *t, uint64_t boot_id);
/* Find or create; NULL when the name is bad, the table is full or memory ran out. */
struct nvg_sensor *nvg_sensor_get(struct nvg_sensor_table *t, const char *name);

/* Note that the sensor spoke from routing id rid at now_ms. */
void nvg_sensor_seen(struct nvg_sensor *s, const uint8_t *rid, size_t rid_len, int64_t now_ms);
/* Switch to boot_id if it differs: closes the old boot's open seconds and starts fresh
 * sequence accounting. A new boot id is a restart, never a loss. */
void nvg_sensor_set_boot(struct nvg_sensor *s, uint64_t boot_id);
/* Sequence accounting for one batch of boot_id; returns the number of batches it shows lost. */
uint64_t nvg_sensor_account_seq(struct nvg_sensor *s, uint64_t seq);
void nvg_sensor_store_status(struct nvg_sensor *s, const Netvigil__SensorStatus *st);

/* Fill a summary for status replies and the feed. The summary points into s and *hb_out. */
void nvg_sensor_summary(const struct nvg_sensor *s, int64_t now_ms,
                        Netvigil__SensorSummary *sum, Netvigil__SensorStatus *hb_out);
/* Once a second: refresh pps/bps. */
void nvg_sensor_update_speed(struct nvg_sensor *s, int64_t now_ms);

/* Sequence positions survive a collector restart in DIR/sensors.state, so the batches a crash
 * lost show as a gap instead of silence. Saved after each CSV flush. */
int nvg_sensor_state_save(const struct nvg_sensor_table *t, const char *dir);
int nvg_sensor_state_load(struct nvg_sensor_table *t, const char *dir);

#endif
