/* What the collector knows about each sensor: identity, where to route commands, sequence
 * accounting, counters, its last heartbeat, and its aggregates.
 *
 * Entries are created when a sensor first speaks (Hello, Batch or SensorStatus) or, at start,
 * from sensors.state, and kept for the collector's lifetime (a sensor that went quiet still
 * shows in `status`); the table is capped so a peer inventing names cannot exhaust memory. */
#ifndef NVG_SENSORS_H
#define NVG_SENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvg-format.h"
#include "nvg-wire.h"
#include "rate-window.h"
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

/* Where a sensor's sequence accounting stood at some point. */
struct nvg_seq_pos {
    bool valid;
    uint64_t boot_id, last_seq, boot_records, boot_batches_lost;
};

struct nvg_sensor_entry {
    char name[NVG_SENSOR_NAME_MAX + 1];
    char name_csv[2 * NVG_SENSOR_NAME_MAX + 3]; /* quoted once for every CSV row */
    size_t name_csv_len;
    char topic[sizeof(NVG_TOPIC_RECORDS) + NVG_SENSOR_NAME_MAX];
    size_t topic_len;
    /* Where this sensor's link ends on the ROUTER: commands are routed here. */
    uint8_t routing_id[NVG_ROUTING_ID_MAX];
    size_t routing_id_len;

    bool have_boot;
    uint64_t boot_id;
    uint64_t last_seq;     /* of boot_id; 0 before its first batch */
    uint64_t boot_records; /* records received for boot_id */
    uint64_t boot_batches_lost;
    int mode; /* Netvigil__CaptureMode from Hello/status */
    /* The position as of the last time every row received was durably in the packet log:
     * what the state file holds, so a restart after a crash counts exactly what the log
     * lacks. */
    struct nvg_seq_pos durable;

    uint64_t records_received, batches_received, batches_lost;
    uint64_t invalid_batches, write_failures, bytes_received;
    int64_t last_seen_ms;
    struct nvg_sensor_heartbeat hb;

    /* pkt/s and bytes/s over the last status second */
    uint64_t prev_records, prev_bytes;
    int64_t prev_ms;
    double pps, bps;

    struct nvg_rate_window rates;
    struct nvg_talkers *talkers;
    void *owner; /* the table's owner, for the rates callback */
};

struct nvg_sensor_table {
    struct nvg_sensor_entry **v;
    size_t n;
    size_t cap;
    nvg_rate_window_emit_fn rates_emit; /* ud is the struct nvg_sensor_entry */
    void *owner;                        /* copied into each sensor */
    /* Sequence accounting changed since sensors.state was last saved: set by ingest, cleared
     * by whoever saves the state. */
    bool state_dirty;
};

void nvg_sensor_table_init(struct nvg_sensor_table *t, nvg_rate_window_emit_fn rates_emit,
                           void *owner);
void nvg_sensor_table_free(struct nvg_sensor_table *t);

/* Whether name is acceptable: 1..NVG_SENSOR_NAME_MAX bytes, no control characters. */
bool nvg_sensor_name_ok(const char *name);
struct nvg_sensor_entry *nvg_sensor_table_find(const struct nvg_sensor_table *t, const char *name);
struct nvg_sensor_entry *nvg_sensor_table_find_boot(const struct nvg_sensor_table *t,
                                                    uint64_t boot_id);
/* Find or create; NULL when the name is bad, the table is full or memory ran out. */
struct nvg_sensor_entry *nvg_sensor_table_get(struct nvg_sensor_table *t, const char *name);

/* Note that the sensor spoke from routing id rid at now_ms. */
void nvg_sensor_entry_seen(struct nvg_sensor_entry *s, const uint8_t *rid, size_t rid_len,
                           int64_t now_ms);
/* Switch to boot_id if it differs: closes the old boot's open seconds and starts fresh
 * sequence accounting. A new boot id is a restart, never a loss. */
void nvg_sensor_entry_set_boot(struct nvg_sensor_entry *s, uint64_t boot_id);
/* Sequence accounting for one batch of boot_id; returns the number of batches it shows lost. */
uint64_t nvg_sensor_entry_account_seq(struct nvg_sensor_entry *s, uint64_t seq);
/* The sensor's last batch of the current boot was last_seq (end of stream): batches after the
 * last one received are lost. Returns how many. */
uint64_t nvg_sensor_entry_account_tail(struct nvg_sensor_entry *s, uint64_t last_seq);
void nvg_sensor_entry_store_status(struct nvg_sensor_entry *s, const Netvigil__SensorStatus *st);

/* Fill a summary for status replies and the feed. The summary points into s and *hb_out. */
void nvg_sensor_entry_summary(const struct nvg_sensor_entry *s, int64_t now_ms,
                              Netvigil__SensorSummary *sum, Netvigil__SensorStatus *hb_out);
/* Once a second: refresh pps/bps. */
void nvg_sensor_entry_update_speed(struct nvg_sensor_entry *s, int64_t now_ms);

/* Sequence positions survive a collector restart in DIR/sensors.state, so the batches a crash
 * lost show as a gap instead of silence -- exactly: the state holds each sensor's durable
 * position together with the packet log file and its length at that moment (log_name,
 * log_length), and a restart cuts that file back to that length. Rows in the log and
 * batches counted lost then add up to what was sent, whenever the crash came.
 *
 * _mark_durable: every received row is now in the file (call right after a flush that left
 * nothing pending, at a batch boundary); copies each sensor's position into s->durable.
 * _save writes the durable positions (temporary file + rename). _load restores them (as both
 * the live and the durable position) and returns the number of sensors, with the log file's
 * name ("" when the state names none) and length. */
void nvg_sensor_table_mark_durable(struct nvg_sensor_table *t);
int nvg_sensor_state_save(const struct nvg_sensor_table *t, const char *dir, const char *log_name,
                          uint64_t log_length);
int nvg_sensor_state_load(struct nvg_sensor_table *t, const char *dir, char *log_name,
                          size_t log_name_size, uint64_t *log_length);

#endif
