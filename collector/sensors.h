/* What the collector knows about each sensor: identity, where to route commands, sequence
 * accounting, counters, its last heartbeat, and its aggregates.
 *
 * Identity is pinned (issue 9): the first valid message for a name (normally its Hello) pins
 * the name to the connection (routing id) it came on. While that connection is alive -- it
 * spoke within NVG_SENSOR_PIN_MS, three heartbeats -- messages for the name from any other
 * connection are refused (the caller counts them as name_refused), so a rogue peer can neither
 * receive a sensor's commands nor touch its accounting. When the pinned connection has been
 * silent that long, is closed (ingest.c asks the ROUTER) or its stream ended (EndOfStream
 * acknowledged), the next connection may take the name: a sensor that restarts gets its name
 * back at once, one whose host vanished without closing the connection within 3 s. Without keys the
 * first to claim a name wins; with keys (ingest.c) only the certificate's name can be claimed at
 * all. One connection speaks for at most NVG_SENSOR_NAMES_PER_LINK names.
 *
 * An entry is validated once a valid batch arrived under its pin (or it came from
 * sensors.state). Entries that never were age out after NVG_SENSOR_UNVALIDATED_TTL_MS of
 * silence, are never written to sensors.state, and are the first evicted when the table is
 * full; then come validated entries that are not connected (least recently heard first). A
 * connected validated sensor is never evicted, so names invented by the thousand cannot lock
 * real sensors out. nvg_sensor_table_remove (FORGET) drops an entry and its pin. */
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
#define NVG_SENSOR_CONNECTED_MS 3000              /* heard from within this long = connected */
#define NVG_SENSOR_PIN_MS NVG_SENSOR_CONNECTED_MS /* three 1 s heartbeats */
#define NVG_SENSOR_UNVALIDATED_TTL_MS 60000
#define NVG_SENSOR_NAMES_PER_LINK 1
/* A batch more than this many sequence numbers ahead is not a gap but a lie (2^32 batches is
 * decades of traffic); it is refused instead of being counted lost. */
#define NVG_SENSOR_SEQ_GAP_MAX ((uint64_t)1 << 32)

/* SensorStatus without pointers, so it lives inside the entry. */
struct nvg_sensor_heartbeat {
    bool valid;
    int state; /* Netvigil__SensorState */
    int mode;  /* Netvigil__CaptureMode */
    uint64_t pcap_received, pcap_dropped, pcap_ifdropped;
    uint64_t batches_sent, records_sent, records_dropped, batches_dropped;
    uint64_t uptime_ms, last_seq;
    uint64_t capture_down_ms, capture_reopens;
    uint64_t flows_active, flows_exported, flows_evicted, flows_dropped;
    uint64_t spool_bytes, spool_batches, spooled_total, replayed_total, spool_dropped, spool_cut;
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
    char name_csv[2 * NVG_SENSOR_NAME_MAX + 3]; /* quoted (and neutralised) once for all rows */
    size_t name_csv_len;
    char topic[sizeof(NVG_TOPIC_RECORDS) + NVG_SENSOR_NAME_MAX];
    size_t topic_len;
    /* Where this sensor's link ends on the ROUTER: commands are routed here. */
    uint8_t routing_id[NVG_ROUTING_ID_MAX];
    size_t routing_id_len;
    bool pinned;    /* routing_id is the connection the name is pinned to */
    bool validated; /* a valid batch arrived (or sensors.state had it): kept and persisted */
    /* The collector started without a trustworthy sensors.state: for this boot id, what came
     * before this process is not known. The first batch is then no evidence of loss (its
     * earlier batches may be in the log), and counts are lower bounds. Cleared when a boot
     * id is seen from its first batch. */
    bool history_unknown;
    char key_name[NVG_NAME_MAX + 1]; /* certificate of the pinned connection; "" without keys */
    char peer_address[64];           /* IP address of the pinned connection, when known */
    unsigned commands_waiting;       /* commands sent to it and not answered yet (control.c) */
    int64_t probe_ms;                /* when ingest last checked its pinned link is open */

    bool have_boot;
    uint64_t boot_id;
    uint64_t last_seq;     /* of boot_id; 0 before its first batch */
    uint64_t boot_records; /* records received for boot_id */
    uint64_t boot_batches_lost;
    uint64_t boot_write_failures; /* records of boot_id refused by, or dropped from, the log */
    unsigned alert_index;         /* the detection engine's index for this name (alerts.h) */
    bool alert_indexed;
    /* An EndOfStream is answered once every row committed before it (eos_mark, in the packet
     * writer's committed bytes) is in the file (ingest.c). */
    bool eos_held;
    uint64_t eos_mark, eos_boot_id, eos_last_seq;
    uint64_t eos_mark_flows; /* --no-csv: ClickHouse's flows rows queued before it */
    uint8_t eos_rid[NVG_ROUTING_ID_MAX];
    size_t eos_rid_len;
    int mode; /* Netvigil__CaptureMode from Hello/status */
    /* The position as of the last time every row received was durably in the packet log:
     * what the state file holds, so a restart after a crash counts exactly what the log
     * lacks. */
    struct nvg_seq_pos durable;

    uint64_t records_received, batches_received, batches_lost;
    uint64_t invalid_batches, write_failures, bytes_received;
    /* Conversation records (collector/flows.c), all time and for boot_id. */
    uint64_t flows_received, flows_refused, flows_write_failures, flows_missing;
    uint64_t boot_flows, boot_flows_refused, boot_flows_write_failures;
    uint64_t flows_published; /* on the feed: FlowBatch.feed_offset */
    /* This process saw boot_id arrive (Hello or batch of a new boot id), so the boot_flows
     * counts are whole; false for a boot id restored from sensors.state, which keeps no flow
     * counts. */
    bool boot_flows_whole;
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
    /* sensors.state was missing (with logs present), unreadable or failed validation: every
     * sensor starts with history_unknown. */
    bool history_unknown;
    uint64_t state_rejected; /* state files that failed validation (kept aside, never used) */
    /* Of the start-up rates rebuild (rate-rebuild.h): records whose missing rates rows were
     * written, and records in the packet log whose rates could not be. */
    uint64_t rate_records_rebuilt, rate_records_lost;
    /* Bumped on every change a person may check right away (a sensor pinned, released,
     * removed; a command answered; a request refused): status rebuilds its cached message
     * when it moved. */
    uint64_t events;
};

/* Why nvg_sensor_table_claim gave no entry. */
enum nvg_claim_error {
    NVG_CLAIM_OK,
    NVG_CLAIM_TAKEN,     /* pinned to another connection that is alive */
    NVG_CLAIM_PER_LINK,  /* this connection already speaks for another name */
    NVG_CLAIM_FULL,      /* no room, nothing evictable */
    NVG_CLAIM_BAD_NAME,  /* not nvg_name_valid */
    NVG_CLAIM_NO_MEMORY, /* out of memory */
};
const char *nvg_claim_error_text(enum nvg_claim_error e);

void nvg_sensor_table_init(struct nvg_sensor_table *t, nvg_rate_window_emit_fn rates_emit,
                           void *owner);
void nvg_sensor_table_free(struct nvg_sensor_table *t);

struct nvg_sensor_entry *nvg_sensor_table_find(const struct nvg_sensor_table *t, const char *name);
struct nvg_sensor_entry *nvg_sensor_table_find_boot(const struct nvg_sensor_table *t,
                                                    uint64_t boot_id);
/* Find or create (evicting as above) without pinning: for sensors.state and tests. NULL when
 * the name is not nvg_name_valid, the table is full or memory ran out. */
struct nvg_sensor_entry *nvg_sensor_table_get(struct nvg_sensor_table *t, const char *name);

/* The entry for name on behalf of connection rid at now_ms: the one pinned to rid, or, when the
 * name is new, unpinned or its pin is dead, that entry (created if need be) now pinned to rid,
 * with key_name and address (either may be NULL) recorded. NULL with *why set otherwise. Call
 * only for a message that validated; the caller notes the activity (nvg_sensor_entry_seen). */
struct nvg_sensor_entry *nvg_sensor_table_claim(struct nvg_sensor_table *t, const char *name,
                                                const uint8_t *rid, size_t rid_len,
                                                const char *key_name, const char *address,
                                                int64_t now_ms, enum nvg_claim_error *why);
/* The entry pinned to rid whose boot id is boot_id (EndOfStream carries no name), or NULL. */
struct nvg_sensor_entry *nvg_sensor_table_find_pinned(const struct nvg_sensor_table *t,
                                                      uint64_t boot_id, const uint8_t *rid,
                                                      size_t rid_len);
/* Whether s is pinned to a connection that spoke within NVG_SENSOR_PIN_MS. */
bool nvg_sensor_entry_alive(const struct nvg_sensor_entry *s, int64_t now_ms);
/* Whether message from rid may speak for s: s is pinned to rid. */
bool nvg_sensor_entry_pinned_to(const struct nvg_sensor_entry *s, const uint8_t *rid,
                                size_t rid_len);
/* The stream on the pinned connection ended: the next connection may take the name at once. */
void nvg_sensor_entry_release(struct nvg_sensor_table *t, struct nvg_sensor_entry *s);
/* Drop s (flushing its open seconds first) and its pin. */
void nvg_sensor_table_remove(struct nvg_sensor_table *t, struct nvg_sensor_entry *s);
/* Drop the entries that never validated and were silent NVG_SENSOR_UNVALIDATED_TTL_MS; returns
 * how many. */
size_t nvg_sensor_table_expire(struct nvg_sensor_table *t, int64_t now_ms);

/* Note that the sensor spoke (on its pinned connection) at now_ms. */
void nvg_sensor_entry_seen(struct nvg_sensor_entry *s, int64_t now_ms);
/* Whether batch seq is believable after what s received: not 0 (sequences start at 1) and not
 * more than NVG_SENSOR_SEQ_GAP_MAX ahead. */
bool nvg_sensor_entry_seq_plausible(const struct nvg_sensor_entry *s, uint64_t seq);
/* Switch to boot_id if it differs: closes the old boot's open seconds and starts fresh
 * sequence accounting. A new boot id is a restart, never a loss. */
void nvg_sensor_entry_set_boot(struct nvg_sensor_entry *s, uint64_t boot_id);
/* Sequence accounting for one batch of boot_id; returns the number of batches it shows lost.
 * Counters saturate instead of wrapping. */
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
 * _prepare writes the durable positions ("netvigil-state 2", one line per sensor, a checksum
 * line) to sensors.state.tmp and, with sync, fsyncs it (before the packet log is flushed to
 * log_length); _commit renames it over sensors.state and, with sync, fsyncs the directory
 * (after that flush). Without sync the pair still holds against a crash of the process (the
 * kernel has every write) but not against a power loss, which the synced pair of the next
 * second covers; _save is the synced pair in a row. Each returns 0 or NVG_EIO with errno set. _load
 * restores them (as both the live and the durable position) and returns the number of
 * sensors, with the log file's name ("" when the state names none) and length. A state that
 * cannot be trusted (unreadable, a directory, torn, edited, another format; or missing while
 * packet logs exist) restores nothing and sets history_unknown on the table, with the reason
 * in *why: NVG_EIO (errno set) or NVG_EMALFORMED (the file is renamed aside, never deleted),
 * or 0 when missing. The caller must then cut no log. */
void nvg_sensor_table_mark_durable(struct nvg_sensor_table *t);
/* The positions just loaded cannot be trusted after all (the log they describe is shorter):
 * every sensor resumes with unknown history, as after a corrupt state. */
void nvg_sensor_table_forget_history(struct nvg_sensor_table *t);
int nvg_sensor_state_prepare(const struct nvg_sensor_table *t, const char *dir,
                             const char *log_name, uint64_t log_length, bool sync);
int nvg_sensor_state_commit(const char *dir, bool sync);
int nvg_sensor_state_save(const struct nvg_sensor_table *t, const char *dir, const char *log_name,
                          uint64_t log_length);
int nvg_sensor_state_load(struct nvg_sensor_table *t, const char *dir, char *log_name,
                          size_t log_name_size, uint64_t *log_length, const char **why);

#endif
