/* See ingest.h.
 *
 * Per message: unpack into an arena (reset per message, so records cost no malloc; capped so a
 * hostile message cannot make it huge), check the version, the strings, the peer and the pin,
 * then dispatch on the body. A batch's sequence number is accounted once the batch is known to
 * come from its sensor's pinned connection (a batch rejected for a bad record is not a lost
 * one); its records are validated whole before any of them is written, then each is formatted
 * straight into the CSV buffer and counted into the rates and the talkers, and the validated
 * records are re-encoded for the feed. Nothing a peer sends can stop the loop: bad input is
 * counted and logged at most once per interval. */
#include "ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "connections.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-format.h"
#include "nvg-ratelog.h"
#include "nvg-text.h"
#include "nvg-wire-unpack.h"
#include "nvg-zmq.h"

#define MAX_FRAMES 2
#define ARENA_CHUNK (4u << 20) /* of the unpacking arena: a typical batch fits in one */
/* What one message may unpack into: a full NVG_LINK_MAX_MSG batch of real records takes about
 * 3x its size; a hostile one of empty records (~80x) fails instead of growing. */
#define ARENA_LIMIT (16 * (size_t)NVG_LINK_MAX_MSG)
#define EXPIRE_EVERY_MS 1000
#define PROBE_EVERY_MS 500 /* per sensor: how often a refused claim may check its pinned link */

struct nvg_ingest {
    void *router;
    struct nvg_sensor_table *sensors;
    struct nvg_csv_writer *packets, *rates;
    struct nvg_fanout *feed;
    struct nvg_alerts *alerts;
    struct nvg_flow_log *flows;
    struct nvg_control *control;
    struct nvg_clickhouse *clickhouse;
    int64_t *now_ms;
    struct nvg_ratelog *write_log;
    bool keys;
    struct nvg_security_counters *security;
    struct nvg_peer peer; /* of the message at hand */
    const zmq_msg_t *rid; /* its routing id */
    int64_t next_expire_ms;

    struct nvg_arena *arena;
    struct nvg_pkt *scratch; /* validated records of the batch at hand */
    size_t scratch_cap;
    bool converted; /* the decoder put the batch's records in scratch, validated */
    struct nvg_time_cache tc;
    struct nvg_ingest_counters counts;
    struct nvg_ratelog rl_malformed, rl_unknown, rl_refused, rl_invalid, rl_name, rl_strings;
};

/* ---- rates ------------------------------------------------------------------------------- */

static void rate_csv_row(struct nvg_ingest *ing, const struct nvg_sensor_entry *s, int64_t sec,
                         int proto, uint64_t packets, uint64_t bytes)
{
    /* Time, name, proto, two uint64 and the separators always fit. */
    size_t cap = NVG_TIME_ISO_SEC_MAX + sizeof(s->name_csv) + 64;
    char *row = nvg_csv_writer_reserve(ing->rates, cap);
    if (!row) {
        nvg_csv_writer_count_rows(ing->rates, 0, 1);
        return;
    }
    char iso[NVG_TIME_ISO_SEC_MAX];
    nvg_format_time_iso_sec(iso, sec); /* any second: sec * 1e9 could overflow */
    int n = snprintf(row, cap, "%s,%s,%s,%" PRIu64 ",%" PRIu64 "\n", iso, s->name_csv,
                     nvg_proto_name(proto), packets, bytes);
    nvg_csv_writer_commit(ing->rates, (size_t)n);
    nvg_csv_writer_count_rows(ing->rates, 1, 0);
}

void nvg_ingest_rate_closed(struct nvg_ingest *ing, const struct nvg_sensor_entry *s, int64_t sec,
                            int proto, uint64_t packets, uint64_t bytes)
{
    rate_csv_row(ing, s, sec, proto, packets, bytes);
    nvg_clickhouse_rate(ing->clickhouse, s->name, sec, proto, packets, bytes);
    nvg_fanout_queue_rate(ing->feed, s->name, sec, proto, packets, bytes);
}

/* ---- replies ----------------------------------------------------------------------------- */

static void reply_to(struct nvg_ingest *ing, const void *rid, size_t rid_len,
                     Netvigil__CollectorMessage *m)
{
    m->protocol_version = NVG_PROTOCOL_VERSION;
    /* A vanished peer is no error: ROUTER drops what it cannot route. */
    if (zmq_send(ing->router, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    nvg_zmq_send_pb(ing->router, &m->base, ZMQ_DONTWAIT);
}

static void reply(struct nvg_ingest *ing, const zmq_msg_t *rid, Netvigil__CollectorMessage *m)
{
    reply_to(ing, zmq_msg_data((zmq_msg_t *)rid), zmq_msg_size((zmq_msg_t *)rid), m);
}

static void refuse(struct nvg_ingest *ing, const zmq_msg_t *rid, uint32_t their_version)
{
    ing->counts.refused++;
    nvg_ratelog_log(&ing->rl_refused, *ing->now_ms, NVG_LOG_WARNING,
                    "refused a sensor speaking protocol version %u (this collector speaks %u)",
                    their_version, NVG_PROTOCOL_VERSION);
    char reason[128];
    snprintf(reason, sizeof(reason),
             "protocol version %u is not supported; this collector "
             "speaks version %u",
             their_version, NVG_PROTOCOL_VERSION);
    Netvigil__Refused r = NETVIGIL__REFUSED__INIT;
    r.supported_version = NVG_PROTOCOL_VERSION;
    r.reason = reason;
    Netvigil__CollectorMessage m = NETVIGIL__COLLECTOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_REFUSED;
    m.refused = &r;
    reply(ing, rid, &m);
}

/* ---- batches ----------------------------------------------------------------------------- */

static bool grow_scratch(struct nvg_ingest *ing, size_t n)
{
    if (n <= ing->scratch_cap)
        return true;
    size_t cap = ing->scratch_cap ? ing->scratch_cap : 1024;
    while (cap < n)
        cap *= 2;
    struct nvg_pkt *v = realloc(ing->scratch, cap * sizeof(*v));
    if (!v)
        return false;
    ing->scratch = v;
    ing->scratch_cap = cap;
    return true;
}

static struct nvg_pkt *scratch_room(void *ud, size_t n)
{
    struct nvg_ingest *ing = ud;
    return grow_scratch(ing, n) ? ing->scratch : NULL;
}

static void reject_batch(struct nvg_ingest *ing, struct nvg_sensor_entry *s, const char *why)
{
    ing->counts.invalid_batches++;
    ing->sensors->events++;
    if (s)
        s->invalid_batches++;
    nvg_ratelog_log(&ing->rl_invalid, *ing->now_ms, NVG_LOG_WARNING,
                    "rejected a batch from '%s': %s", s ? s->name : "?", why);
}

/* The per-record path: format into the CSV buffer, count rates and talkers. No allocation.
 * The whole batch's worst case is reserved at once when the buffer can hold it (the group
 * begun in handle_batch made room), so the rows go in back to back with one commit. */
static void write_records(struct nvg_ingest *ing, struct nvg_sensor_entry *s, size_t n)
{
    uint64_t bytes = 0, failed = 0;
    size_t worst = n * NVG_FORMAT_LINE_MAX;
    char *all = worst <= nvg_csv_writer_buffer_size(ing->packets)
                    ? nvg_csv_writer_reserve(ing->packets, worst)
                    : NULL;
    if (all) {
        char *p = all;
        for (size_t i = 0; i < n; i++)
            p += nvg_format_csv_row_r(&ing->tc, p, &ing->scratch[i], s->name_csv, s->name_csv_len);
        nvg_csv_writer_commit(ing->packets, (size_t)(p - all));
    } else if (ing->packets) {
        for (size_t i = 0; i < n; i++) {
            char *row = nvg_csv_writer_reserve(ing->packets, NVG_FORMAT_LINE_MAX);
            if (row)
                nvg_csv_writer_commit(ing->packets,
                                      nvg_format_csv_row_r(&ing->tc, row, &ing->scratch[i],
                                                           s->name_csv, s->name_csv_len));
            else
                failed++;
        }
    }
    size_t ch_dropped = nvg_clickhouse_packets(ing->clickhouse, s->name, ing->scratch, n);
    if (!ing->packets)
        failed = ch_dropped; /* --no-csv: ClickHouse is the store (logged there) */
    if (!s->alert_indexed) {
        s->alert_index = nvg_alerts_sensor_index(ing->alerts, s->name);
        s->alert_indexed = true;
    }
    for (size_t i = 0; i < n; i++) {
        const struct nvg_pkt *pkt = &ing->scratch[i];
        nvg_alerts_record(ing->alerts, s->alert_index, pkt);
        nvg_rate_window_add(&s->rates, pkt->ts_ns, pkt->proto, pkt->wire_len, *ing->now_ms);
        nvg_talkers_add(s->talkers, pkt->src, pkt->ip_version, pkt->wire_len);
        bytes += pkt->wire_len;
    }
    s->bytes_received += bytes;
    s->write_failures += failed;
    s->boot_write_failures += failed;
    nvg_csv_writer_count_rows(ing->packets, n - failed, failed);
    if (failed && ing->packets)
        nvg_ratelog_log(ing->write_log, *ing->now_ms, NVG_LOG_ERR,
                        "packet log full or failing: %" PRIu64 " record(s) of '%s' not written",
                        failed, s->name);
}

/* ---- who may speak for a name ------------------------------------------------------------ */

static const uint8_t *rid_data(const struct nvg_ingest *ing)
{
    return zmq_msg_data((zmq_msg_t *)ing->rid);
}

static size_t rid_size(const struct nvg_ingest *ing)
{
    return zmq_msg_size((zmq_msg_t *)ing->rid);
}

static void bad_strings(struct nvg_ingest *ing, const char *what)
{
    ing->security->invalid_strings++;
    ing->sensors->events++;
    char who[128];
    nvg_peer_describe(&ing->peer, who, sizeof(who));
    nvg_ratelog_log(&ing->rl_strings, *ing->now_ms, NVG_LOG_WARNING,
                    "refused a sensor message from %s: %s (%" PRIu64 " so far)", who, what,
                    ing->security->invalid_strings);
}

static void name_refused(struct nvg_ingest *ing, const char *name, const char *why)
{
    ing->security->name_refused++;
    ing->sensors->events++;
    char who[128], esc[NVG_TEXT_ESCAPED_SIZE(NVG_NAME_MAX) + 8];
    nvg_peer_describe(&ing->peer, who, sizeof(who));
    nvg_text_escape(esc, sizeof(esc), name, strlen(name));
    nvg_ratelog_log(&ing->rl_name, *ing->now_ms, NVG_LOG_WARNING,
                    "refused a message for sensor '%s' from %s: %s (%" PRIu64 " so far)", esc, who,
                    why, ing->security->name_refused);
}

/* Whether the connection s is pinned to is still open. With ZMQ_ROUTER_MANDATORY (main.c) the
 * ROUTER refuses a routing id whose connection has closed; when it is open the probe goes on
 * as a STATUS command, which a sensor answers with its status and nothing else (id 0: control
 * ignores the reply). At most once per PROBE_EVERY_MS per sensor, so a peer cannot make us
 * ping a sensor faster than that. */
static bool pinned_link_open(struct nvg_ingest *ing, struct nvg_sensor_entry *s)
{
    if (s->probe_ms && *ing->now_ms - s->probe_ms < PROBE_EVERY_MS)
        return true;
    s->probe_ms = *ing->now_ms;
    if (zmq_send(ing->router, s->routing_id, s->routing_id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return zmq_errno() != EHOSTUNREACH;
    Netvigil__Command cmd = NETVIGIL__COMMAND__INIT;
    cmd.kind = NETVIGIL__COMMAND_KIND__COMMAND_STATUS;
    Netvigil__CollectorMessage m = NETVIGIL__COLLECTOR_MESSAGE__INIT;
    m.protocol_version = NVG_PROTOCOL_VERSION;
    m.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_COMMAND;
    m.command = &cmd;
    nvg_zmq_send_pb(ing->router, &m.base, ZMQ_DONTWAIT);
    return true;
}

static struct nvg_sensor_entry *claim_pin(struct nvg_ingest *ing, const char *name,
                                          enum nvg_claim_error *why)
{
    return nvg_sensor_table_claim(ing->sensors, name, rid_data(ing), rid_size(ing),
                                  ing->peer.key_name, ing->peer.address, *ing->now_ms, why);
}

/* The entry the message at hand may update for name, or NULL (refused and counted). */
static struct nvg_sensor_entry *claim(struct nvg_ingest *ing, const char *name)
{
    if (!nvg_peer_may(&ing->peer, NVG_RIGHT_SEND_DATA)) {
        ing->security->role_refused++;
        ing->sensors->events++;
        nvg_ratelog_log(&ing->rl_name, *ing->now_ms, NVG_LOG_WARNING,
                        "refused a sensor message from a key with role %s",
                        nvg_role_name(ing->peer.role));
        return NULL;
    }
    if (ing->keys && strcmp(name, ing->peer.key_name) != 0) {
        name_refused(ing, name, "not the name in its certificate");
        return NULL;
    }
    enum nvg_claim_error why;
    struct nvg_sensor_entry *s = claim_pin(ing, name, &why);
    if (!s && why == NVG_CLAIM_TAKEN) {
        /* A sensor restarted at once: its old connection is closed, its pin with it. */
        struct nvg_sensor_entry *held = nvg_sensor_table_find(ing->sensors, name);
        if (held && !pinned_link_open(ing, held)) {
            nvg_sensor_entry_release(ing->sensors, held);
            s = claim_pin(ing, name, &why);
        }
    }
    if (!s)
        name_refused(ing, name, nvg_claim_error_text(why));
    return s;
}

static bool text_ok(const char *s, size_t cap)
{
    return !s || nvg_text_valid(s, strlen(s), cap);
}

static bool name_ok(const char *s)
{
    return s && nvg_name_valid(s);
}

/* Whether every string of a SensorStatus is within its alphabet and cap. */
static bool status_strings_ok(const Netvigil__SensorStatus *st)
{
    return name_ok(st->sensor) && text_ok(st->source, NVG_TEXT_SOURCE_MAX) &&
           text_ok(st->filter, NVG_TEXT_FILTER_MAX) &&
           text_ok(st->software_version, NVG_TEXT_VERSION_MAX) &&
           text_ok(st->error, NVG_TEXT_ERROR_MAX);
}

/* The strings of a message, checked before anything else looks at it; NULL when all are good,
 * else what is wrong. */
static const char *check_strings(const Netvigil__SensorMessage *m)
{
    switch (m->body_case) {
    case NETVIGIL__SENSOR_MESSAGE__BODY_HELLO: {
        const Netvigil__Hello *h = m->hello;
        if (!name_ok(h->sensor))
            return "Hello with an invalid sensor name ([A-Za-z0-9._:@-], 1-63)";
        if (!text_ok(h->source, NVG_TEXT_SOURCE_MAX) || !text_ok(h->filter, NVG_TEXT_FILTER_MAX) ||
            !text_ok(h->software_version, NVG_TEXT_VERSION_MAX))
            return "Hello with a source, filter or version that is not printable UTF-8 "
                   "within its cap";
        return NULL;
    }
    case NETVIGIL__SENSOR_MESSAGE__BODY_BATCH:
        return name_ok(m->batch->sensor) ? NULL : "Batch with an invalid sensor name";
    case NETVIGIL__SENSOR_MESSAGE__BODY_STATUS:
        return status_strings_ok(m->status) ? NULL : "SensorStatus with an invalid string";
    case NETVIGIL__SENSOR_MESSAGE__BODY_COMMAND_REPLY: {
        const Netvigil__CommandReply *r = m->command_reply;
        if (!text_ok(r->error, NVG_TEXT_ERROR_MAX) || (r->status && !status_strings_ok(r->status)))
            return "CommandReply with an invalid string";
        return NULL;
    }
    default:
        return NULL;
    }
}

/* ---- batches ----------------------------------------------------------------------------- */

static void batch_rows(struct nvg_ingest *ing, const Netvigil__Batch *b)
{
    struct nvg_sensor_entry *s = claim(ing, b->sensor);
    if (!s)
        return;
    /* A new boot id starts from nothing received. */
    bool same_boot = s->have_boot && s->boot_id == b->boot_id;
    if (b->seq == 0 || (same_boot ? !nvg_sensor_entry_seq_plausible(s, b->seq)
                                  : b->seq > NVG_SENSOR_SEQ_GAP_MAX)) {
        reject_batch(ing, s, "implausible sequence number");
        return;
    }
    nvg_sensor_entry_seen(s, *ing->now_ms);
    nvg_sensor_entry_set_boot(s, b->boot_id);
    nvg_sensor_entry_account_seq(s, b->seq);
    ing->sensors->state_dirty = true;
    if (!grow_scratch(ing, b->n_records)) {
        reject_batch(ing, s, "out of memory");
        return;
    }
    for (size_t i = 0; !ing->converted && i < b->n_records; i++) {
        if (nvg_wire_record_from_pb(b->records[i], &ing->scratch[i]) < 0) {
            char why[64];
            snprintf(why, sizeof(why), "record %zu of %zu is invalid", i, b->n_records);
            reject_batch(ing, s, why);
            return;
        }
    }
    if (!s->validated)
        ing->sensors->events++;
    s->validated = true;
    s->batches_received++;
    s->records_received += b->n_records;
    s->boot_records += b->n_records;
    write_records(ing, s, b->n_records);
    nvg_fanout_batch(ing->feed, s, b->seq, ing->scratch, b->n_records);
    nvg_flow_log_batch(ing->flows, s, b, *ing->now_ms);
}

/* A batch's rows are one group of the packet log, begun before its sequence number is
 * accounted: any flush that reports a durable point (and so saves the sensors' positions)
 * happens between batches, where the positions and the log agree. */
static void handle_batch(struct nvg_ingest *ing, const Netvigil__Batch *b)
{
    nvg_csv_writer_begin_group(ing->packets, b->n_records * NVG_FORMAT_LINE_MAX);
    batch_rows(ing, b);
    nvg_csv_writer_end_group(ing->packets);
    nvg_csv_writer_maybe_rotate(ing->packets);
}

/* ---- other bodies ------------------------------------------------------------------------ */

static void handle_hello(struct nvg_ingest *ing, const Netvigil__Hello *h)
{
    struct nvg_sensor_entry *old = nvg_sensor_table_find(ing->sensors, h->sensor);
    /* A sensor says Hello on start and again on every (re)connection of its socket, so the
     * same Hello can arrive twice in a row: announce only what is news. */
    bool was_here = old && nvg_sensor_entry_pinned_to(old, rid_data(ing), rid_size(ing)) &&
                    nvg_sensor_entry_alive(old, *ing->now_ms);
    struct nvg_sensor_entry *s = claim(ing, h->sensor);
    if (!s)
        return;
    bool news = !was_here || !s->have_boot || s->boot_id != h->boot_id;
    nvg_sensor_entry_seen(s, *ing->now_ms);
    nvg_sensor_entry_set_boot(s, h->boot_id);
    s->mode = h->mode;
    nvg_rate_window_set_record_time_only(&s->rates,
                                         h->mode == NETVIGIL__CAPTURE_MODE__CAPTURE_FILE);
    if (!news)
        return;
    ing->sensors->events++;
    char who[128];
    nvg_peer_describe(&ing->peer, who, sizeof(who));
    nvg_log(NVG_LOG_INFO,
            "sensor '%s' connected from %s (boot id %016" PRIx64 ", %s %s, version %s)", s->name,
            who, h->boot_id, h->mode == NETVIGIL__CAPTURE_MODE__CAPTURE_FILE ? "file" : "live",
            h->source ? h->source : "", h->software_version ? h->software_version : "?");
    nvg_fanout_event(ing->feed, "sensor-connected", s->name, h->source ? h->source : "");
}

static void handle_status(struct nvg_ingest *ing, const Netvigil__SensorStatus *st)
{
    struct nvg_sensor_entry *s = claim(ing, st->sensor);
    if (!s)
        return;
    nvg_sensor_entry_seen(s, *ing->now_ms);
    nvg_sensor_entry_set_boot(s, st->boot_id);
    nvg_sensor_entry_store_status(s, st);
}

static void send_ack(struct nvg_ingest *ing, const uint8_t *rid, size_t rid_len, uint64_t boot_id,
                     uint64_t last_seq, const struct nvg_sensor_entry *s)
{
    Netvigil__EndOfStreamAck ack = NETVIGIL__END_OF_STREAM_ACK__INIT;
    ack.boot_id = boot_id;
    ack.last_seq = last_seq;
    if (s) {
        ack.records_received = s->boot_records;
        ack.batches_lost = s->boot_batches_lost;
        ack.write_failures = s->boot_write_failures;
        ack.history_unknown = s->history_unknown;
        ack.flows_received = s->boot_flows;
        ack.flows_refused = s->boot_flows_refused;
        ack.flows_write_failures = s->boot_flows_write_failures;
        ack.flows_partial = !s->boot_flows_whole;
    }
    Netvigil__CollectorMessage m = NETVIGIL__COLLECTOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_END_OF_STREAM_ACK;
    m.end_of_stream_ack = &ack;
    reply_to(ing, rid, rid_len, &m);
}

/* The held ack of s goes out now (its rows are in the file, or counted as failures). */
static void release_ack(struct nvg_ingest *ing, struct nvg_sensor_entry *s)
{
    s->eos_held = false;
    nvg_log(NVG_LOG_INFO,
            "sensor '%s' end of stream acknowledged: %" PRIu64 " records, %" PRIu64
            " batch(es) lost, %" PRIu64 " not written%s",
            s->name, s->boot_records, s->boot_batches_lost, s->boot_write_failures,
            s->history_unknown ? " (history unknown: a lower bound)" : "");
    send_ack(ing, s->eos_rid, s->eos_rid_len, s->eos_boot_id, s->eos_last_seq, s);
    /* The stream is over: whoever comes next may take the name at once. */
    nvg_sensor_entry_release(ing->sensors, s);
}

/* Packet or flow rows ClickHouse dropped after queueing them (--no-csv): whose they were. */
static void rows_lost_in_store(void *ud, enum nvg_ch_table t, const char *name, size_t len,
                               uint64_t rows)
{
    struct nvg_ingest *ing = ud;
    for (size_t i = 0; i < ing->sensors->n; i++) {
        struct nvg_sensor_entry *s = ing->sensors->v[i];
        if (strlen(s->name) != len || memcmp(s->name, name, len) != 0)
            continue;
        *(t == NVG_CH_FLOWS ? &s->flows_write_failures : &s->write_failures) += rows;
        *(t == NVG_CH_FLOWS ? &s->boot_flows_write_failures : &s->boot_write_failures) += rows;
        return;
    }
}

/* How far the store has taken what it was given, in the units of the eos marks: the packet
 * log's flushed bytes, or with --no-csv the packet and flow rows ClickHouse is done with --
 * read before the rows it dropped are counted, so none covered goes uncounted (clickhouse.h). */
struct store_reach {
    uint64_t packets, flows;
};

static struct store_reach store_reached(struct nvg_ingest *ing)
{
    if (ing->packets)
        return (struct store_reach){nvg_csv_writer_flushed_bytes(ing->packets), UINT64_MAX};
    struct store_reach r = {nvg_clickhouse_done(ing->clickhouse, NVG_CH_PACKETS),
                            nvg_clickhouse_done(ing->clickhouse, NVG_CH_FLOWS)};
    nvg_clickhouse_take_lost(ing->clickhouse, rows_lost_in_store, ing);
    return r;
}

static bool stored(const struct nvg_sensor_entry *s, struct store_reach r)
{
    return s->eos_held && r.packets >= s->eos_mark && r.flows >= s->eos_mark_flows;
}

/* Everything of this sensor that is buffered reaches the file before the ack, so a sensor
 * that exits on the ack has lost nothing it was not told about: when the flush fails (a full
 * disk) the ack waits until a later flush takes the rows (nvg_ingest_durable) or the collector
 * stops (nvg_ingest_finish counts what is left). Only the connection the stream's sensor is
 * pinned to may end it; a boot id nobody has is answered with an empty ack. */
static void handle_eos(struct nvg_ingest *ing, const Netvigil__EndOfStream *eos)
{
    struct nvg_sensor_entry *s =
        nvg_sensor_table_find_pinned(ing->sensors, eos->boot_id, rid_data(ing), rid_size(ing));
    if (!s) {
        struct nvg_sensor_entry *other = nvg_sensor_table_find_boot(ing->sensors, eos->boot_id);
        if (other) {
            name_refused(ing, other->name, "end of a stream pinned to another connection");
            return;
        }
    }
    if (s) {
        nvg_sensor_entry_seen(s, *ing->now_ms);
        nvg_rate_window_flush(&s->rates);
        if (nvg_sensor_entry_account_tail(s, eos->last_seq))
            ing->sensors->state_dirty = true;
        /* A resent EndOfStream while held keeps the first mark: nothing was added since. */
        if (!s->eos_held) {
            nvg_log(NVG_LOG_INFO,
                    "sensor '%s' end of stream: %" PRIu64 "/%" PRIu64 " records, %" PRIu64
                    " batch(es) lost",
                    s->name, s->boot_records, eos->records, s->boot_batches_lost);
            nvg_flow_log_end(ing->flows, s, eos->flows);
            s->eos_mark = ing->packets ? nvg_csv_writer_committed_bytes(ing->packets)
                                       : nvg_clickhouse_mark(ing->clickhouse, NVG_CH_PACKETS);
            s->eos_mark_flows =
                ing->packets ? 0 : nvg_clickhouse_mark(ing->clickhouse, NVG_CH_FLOWS);
            s->eos_boot_id = eos->boot_id;
            s->eos_rid_len = rid_size(ing);
            memcpy(s->eos_rid, rid_data(ing), s->eos_rid_len);
        }
        s->eos_last_seq = eos->last_seq;
        s->eos_held = true;
    }
    nvg_fanout_rates(ing->feed);
    if (nvg_csv_writer_flush(ing->packets) < 0 || nvg_csv_writer_flush(ing->rates) < 0)
        nvg_log(NVG_LOG_ERR, "end of stream: flush failed; the ack waits for the rows");
    if (!s) {
        send_ack(ing, rid_data(ing), rid_size(ing), eos->boot_id, eos->last_seq, NULL);
        return;
    }
    if (stored(s, store_reached(ing)))
        release_ack(ing, s);
    else if (s->eos_held)
        ing->sensors->events++;
}

void nvg_ingest_durable(struct nvg_ingest *ing)
{
    struct store_reach reached = store_reached(ing);
    for (size_t i = 0; i < ing->sensors->n; i++) {
        struct nvg_sensor_entry *s = ing->sensors->v[i];
        if (stored(s, reached))
            release_ack(ing, s);
    }
}

/* A buffered row that will never be written: whose it is (the second column). */
static void row_lost(void *ud, const char *row, size_t len)
{
    struct nvg_ingest *ing = ud;
    const char *a = memchr(row, ',', len);
    if (!a)
        return;
    a++;
    const char *b = memchr(a, ',', len - (size_t)(a - row));
    if (!b)
        return;
    size_t n = (size_t)(b - a);
    for (size_t i = 0; i < ing->sensors->n; i++) {
        struct nvg_sensor_entry *s = ing->sensors->v[i];
        if (s->name_csv_len == n && memcmp(s->name_csv, a, n) == 0) {
            s->write_failures++;
            s->boot_write_failures++;
            return;
        }
    }
}

void nvg_ingest_finish(struct nvg_ingest *ing)
{
    if (nvg_csv_writer_flush(ing->packets) < 0) {
        uint64_t rows = nvg_csv_writer_drop_pending(ing->packets, row_lost, ing);
        ing->sensors->state_dirty = true;
        nvg_log(NVG_LOG_ERR,
                "stopping with the packet log unwritable: %" PRIu64
                " buffered row(s) could not be written; counted per sensor as write failures",
                rows);
    }
    store_reached(ing); /* --no-csv, after the sink stopped: what it dropped last */
    for (size_t i = 0; i < ing->sensors->n; i++)
        if (ing->sensors->v[i]->eos_held)
            release_ack(ing, ing->sensors->v[i]);
}

static void dispatch(struct nvg_ingest *ing, const Netvigil__SensorMessage *m)
{
    const char *bad = check_strings(m);
    if (bad) {
        bad_strings(ing, bad);
        return;
    }
    switch (m->body_case) {
    case NETVIGIL__SENSOR_MESSAGE__BODY_HELLO:
        handle_hello(ing, m->hello);
        break;
    case NETVIGIL__SENSOR_MESSAGE__BODY_BATCH:
        handle_batch(ing, m->batch);
        break;
    case NETVIGIL__SENSOR_MESSAGE__BODY_STATUS:
        handle_status(ing, m->status);
        break;
    case NETVIGIL__SENSOR_MESSAGE__BODY_END_OF_STREAM:
        handle_eos(ing, m->end_of_stream);
        break;
    case NETVIGIL__SENSOR_MESSAGE__BODY_COMMAND_REPLY:
        nvg_control_command_reply(ing->control, rid_data(ing), rid_size(ing), m->command_reply);
        break;
    default:
        ing->counts.unknown++;
        nvg_ratelog_log(&ing->rl_unknown, *ing->now_ms, NVG_LOG_WARNING,
                        "sensor message without a known body (%d)", (int)m->body_case);
        break;
    }
}

static void malformed(struct nvg_ingest *ing, const char *why)
{
    ing->counts.malformed++;
    nvg_ratelog_log(&ing->rl_malformed, *ing->now_ms, NVG_LOG_WARNING,
                    "malformed sensor message: %s", why);
}

static void handle_message(struct nvg_ingest *ing, const zmq_msg_t *rid, zmq_msg_t *body)
{
    const uint8_t *raw = zmq_msg_data(body);
    size_t len = zmq_msg_size(body);
    nvg_peer_from_msg(body, ing->keys, &ing->peer);
    ing->rid = rid;
    ProtobufCAllocator *alloc = nvg_arena_allocator(ing->arena);
    /* Batches in their canonical form the direct way, records straight into scratch; anything
     * else protobuf-c decides. */
    struct nvg_wire_pkt_room room = {scratch_room, ing};
    Netvigil__SensorMessage *m =
        nvg_wire_unpack_batch_pkts(alloc, len, raw, &room, &ing->converted);
    if (!m) {
        nvg_arena_reset(ing->arena);
        m = netvigil__sensor_message__unpack(alloc, len, raw);
    }
    if (!m) {
        malformed(ing,
                  len ? "does not parse as SensorMessage (or unpacks too big)" : "empty frame");
    } else if (m->protocol_version != NVG_PROTOCOL_VERSION &&
               m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY__NOT_SET) {
        /* No version and no body: noise that happens to parse, not an old peer. */
        malformed(ing, "neither a version nor a body");
    } else if (m->protocol_version != NVG_PROTOCOL_VERSION) {
        refuse(ing, rid, m->protocol_version);
    } else {
        dispatch(ing, m);
    }
    /* No free_unpacked: with the arena it would only walk every record to call a no-op free;
     * the reset gives the memory back. */
    nvg_arena_reset(ing->arena);
}

/* One message: [routing id][body]. Anything with more or fewer frames is dropped whole. */
static int recv_one(struct nvg_ingest *ing)
{
    zmq_msg_t part[MAX_FRAMES];
    int frames = 0, more = 1;
    while (more) {
        zmq_msg_t *m = &part[frames < MAX_FRAMES ? frames : MAX_FRAMES - 1];
        if (frames >= MAX_FRAMES)
            zmq_msg_close(m); /* keep the slot; count the extra frame */
        zmq_msg_init(m);
        if (zmq_msg_recv(m, ing->router, frames == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(m);
            for (int i = 0; i < frames && i < MAX_FRAMES; i++)
                zmq_msg_close(&part[i]);
            return frames == 0 ? 0 : -1;
        }
        more = zmq_msg_more(m);
        frames++;
    }
    *ing->now_ms = nvg_clock_wall_ms();
    /* The last frame: libzmq tags frames from the connection, not always the routing id. */
    nvg_connections_note(&part[(frames < MAX_FRAMES ? frames : MAX_FRAMES) - 1]);
    if (frames == 2)
        handle_message(ing, &part[0], &part[1]);
    else
        malformed(ing, frames < 2 ? "no body frame" : "more than one body frame");
    for (int i = 0; i < frames && i < MAX_FRAMES; i++)
        zmq_msg_close(&part[i]);
    return 1;
}

/* ---- public ------------------------------------------------------------------------------ */

struct nvg_ingest *nvg_ingest_new(const struct nvg_ingest_config *cfg)
{
    struct nvg_ingest *ing = calloc(1, sizeof(*ing));
    if (!ing)
        return NULL;
    ing->arena = nvg_arena_new(ARENA_CHUNK);
    if (!ing->arena) {
        free(ing);
        return NULL;
    }
    ing->router = cfg->router;
    ing->sensors = cfg->sensors;
    ing->packets = cfg->packets;
    ing->rates = cfg->rates;
    ing->feed = cfg->feed;
    ing->alerts = cfg->alerts;
    ing->flows = cfg->flows;
    ing->control = cfg->control;
    ing->clickhouse = cfg->clickhouse;
    ing->now_ms = cfg->now_ms;
    ing->write_log = cfg->write_log;
    ing->keys = cfg->keys;
    ing->security = cfg->security;
    nvg_arena_set_limit(ing->arena, ARENA_LIMIT);
    nvg_time_cache_init(&ing->tc);
    return ing;
}

void nvg_ingest_free(struct nvg_ingest *ing)
{
    if (!ing)
        return;
    free(ing->scratch);
    nvg_arena_free(ing->arena);
    free(ing);
}

int nvg_ingest_drain(struct nvg_ingest *ing, int max)
{
    int done = 0;
    while (done < max && recv_one(ing) > 0)
        done++;
    /* Here rather than on a timer: names nobody validated only appear through messages. */
    if (done && *ing->now_ms >= ing->next_expire_ms) {
        size_t gone = nvg_sensor_table_expire(ing->sensors, *ing->now_ms);
        if (gone)
            nvg_log(NVG_LOG_INFO, "forgot %zu sensor name(s) that never sent a valid batch", gone);
        ing->next_expire_ms = *ing->now_ms + EXPIRE_EVERY_MS;
    }
    return done;
}

const struct nvg_ingest_counters *nvg_ingest_counters(const struct nvg_ingest *ing)
{
    return &ing->counts;
}
