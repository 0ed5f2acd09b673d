/* See ingest.h.
 *
 * Per message: unpack into an arena (reset per message, so records cost no malloc), check the
 * version, dispatch on the body. A batch's sequence number is accounted first (a rejected
 * batch is not a lost one); its records are validated whole before any of them is written,
 * then each is formatted straight into the CSV buffer and counted into the rates and the
 * talkers, and the Batch's bytes are republished on the feed as they came, not re-encoded.
 * Nothing a peer sends can stop the loop: bad input is counted and logged at most once per
 * interval. */
#include "ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-format.h"
#include "nvg-ratelog.h"
#include "nvg-zmq.h"

#define MAX_FRAMES 2
#define ARENA_CHUNK (4u << 20) /* of the unpacking arena: a typical batch fits in one */

struct nvg_ingest {
    void *router;
    struct nvg_sensor_table *sensors;
    struct nvg_csv_writer *packets, *rates;
    struct nvg_fanout *feed;
    struct nvg_control *control;
    int64_t *now_ms;
    struct nvg_ratelog *write_log;

    struct nvg_arena *arena;
    struct nvg_pkt *scratch; /* validated records of the batch at hand */
    size_t scratch_cap;
    struct nvg_time_cache tc;
    struct nvg_ingest_counters counts;
    struct nvg_ratelog rl_malformed, rl_unknown, rl_refused, rl_invalid;
};

/* ---- rates ------------------------------------------------------------------------------- */

static void rate_csv_row(struct nvg_ingest *ing, const struct nvg_sensor_entry *s, int64_t sec,
                         int proto, uint64_t packets, uint64_t bytes)
{
    char *row = nvg_csv_writer_reserve(ing->rates, 64 + sizeof(s->name_csv));
    if (!row) {
        nvg_csv_writer_count_rows(ing->rates, 0, 1);
        return;
    }
    char iso[32];
    nvg_format_time_iso(iso, sec * 1000000000LL);
    /* Whole seconds: "2024-07-28T18:58:41.000000Z" -> "2024-07-28T18:58:41Z". */
    memcpy(iso + 19, "Z", 2);
    int n = snprintf(row, 64 + sizeof(s->name_csv), "%s,%s,%s,%" PRIu64 ",%" PRIu64 "\n", iso,
                     s->name_csv, nvg_proto_name(proto), packets, bytes);
    nvg_csv_writer_commit(ing->rates, (size_t)n);
    nvg_csv_writer_count_rows(ing->rates, 1, 0);
}

void nvg_ingest_rate_closed(struct nvg_ingest *ing, const struct nvg_sensor_entry *s, int64_t sec,
                            int proto, uint64_t packets, uint64_t bytes)
{
    rate_csv_row(ing, s, sec, proto, packets, bytes);
    nvg_fanout_queue_rate(ing->feed, s->name, sec, proto, packets, bytes);
}

/* ---- replies ----------------------------------------------------------------------------- */

static void reply(struct nvg_ingest *ing, const zmq_msg_t *rid, Netvigil__CollectorMessage *m)
{
    m->protocol_version = NVG_PROTOCOL_VERSION;
    /* A vanished peer is no error: ROUTER drops what it cannot route. */
    if (zmq_send(ing->router, zmq_msg_data((zmq_msg_t *)rid), zmq_msg_size((zmq_msg_t *)rid),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    nvg_zmq_send_pb(ing->router, &m->base, ZMQ_DONTWAIT);
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

/* One protobuf varint at *p, advancing *p past it; NVG_EMALFORMED when it does not end within
 * end or 64 bits. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return NVG_EMALFORMED;
}

/* The Batch inside the received SensorMessage bytes (field 3, length-delimited), so it can be
 * republished without re-encoding. Returns 0 when exactly one such field was found. */
static int batch_slice(const uint8_t *p, size_t n, const uint8_t **out, size_t *out_len)
{
    const uint8_t *end = p + n;
    int found = 0;
    while (p < end) {
        uint64_t key, v;
        if (read_varint(&p, end, &key) < 0)
            return NVG_EMALFORMED;
        switch (key & 7) {
        case 0:
            if (read_varint(&p, end, &v) < 0)
                return NVG_EMALFORMED;
            break;
        case 1:
        case 5: {
            size_t w = (key & 7) == 1 ? 8 : 4;
            if ((size_t)(end - p) < w)
                return NVG_EMALFORMED;
            p += w;
            break;
        }
        case 2:
            if (read_varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
                return NVG_EMALFORMED;
            if ((key >> 3) == 3) {
                *out = p;
                *out_len = (size_t)v;
                found++;
            }
            p += v;
            break;
        default:
            return NVG_EMALFORMED;
        }
    }
    return found == 1 ? 0 : NVG_EMALFORMED;
}

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

static void reject_batch(struct nvg_ingest *ing, struct nvg_sensor_entry *s, const char *why)
{
    ing->counts.invalid_batches++;
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
    } else {
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
    for (size_t i = 0; i < n; i++) {
        const struct nvg_pkt *pkt = &ing->scratch[i];
        nvg_rate_window_add(&s->rates, pkt->ts_ns, pkt->proto, pkt->wire_len, *ing->now_ms);
        nvg_talkers_add(s->talkers, pkt->src, pkt->ip_version, pkt->wire_len);
        bytes += pkt->wire_len;
    }
    s->bytes_received += bytes;
    s->write_failures += failed;
    nvg_csv_writer_count_rows(ing->packets, n - failed, failed);
    if (failed)
        nvg_ratelog_log(ing->write_log, *ing->now_ms, NVG_LOG_ERR,
                        "packet log full or failing: %" PRIu64 " record(s) of '%s' not written",
                        failed, s->name);
}

static void batch_rows(struct nvg_ingest *ing, const zmq_msg_t *rid, const uint8_t *raw,
                       size_t raw_len, const Netvigil__Batch *b)
{
    struct nvg_sensor_entry *s = b->sensor ? nvg_sensor_table_get(ing->sensors, b->sensor) : NULL;
    if (!s) {
        reject_batch(ing, NULL, "bad sensor name or too many sensors");
        return;
    }
    nvg_sensor_entry_seen(s, zmq_msg_data((zmq_msg_t *)rid), zmq_msg_size((zmq_msg_t *)rid),
                          *ing->now_ms);
    nvg_sensor_entry_set_boot(s, b->boot_id);
    nvg_sensor_entry_account_seq(s, b->seq);
    ing->sensors->state_dirty = true;
    if (!grow_scratch(ing, b->n_records)) {
        reject_batch(ing, s, "out of memory");
        return;
    }
    for (size_t i = 0; i < b->n_records; i++) {
        if (nvg_wire_record_from_pb(b->records[i], &ing->scratch[i]) < 0) {
            char why[64];
            snprintf(why, sizeof(why), "record %zu of %zu is invalid", i, b->n_records);
            reject_batch(ing, s, why);
            return;
        }
    }
    s->batches_received++;
    s->records_received += b->n_records;
    s->boot_records += b->n_records;
    write_records(ing, s, b->n_records);

    const uint8_t *body;
    size_t body_len;
    if (batch_slice(raw, raw_len, &body, &body_len) == 0)
        nvg_fanout_raw(ing->feed, s->topic, s->topic_len, body, body_len);
}

/* A batch's rows are one group of the packet log, begun before its sequence number is
 * accounted: any flush that reports a durable point (and so saves the sensors' positions)
 * happens between batches, where the positions and the log agree. */
static void handle_batch(struct nvg_ingest *ing, const zmq_msg_t *rid, const uint8_t *raw,
                         size_t raw_len, const Netvigil__Batch *b)
{
    nvg_csv_writer_begin_group(ing->packets, b->n_records * NVG_FORMAT_LINE_MAX);
    batch_rows(ing, rid, raw, raw_len, b);
    nvg_csv_writer_end_group(ing->packets);
    nvg_csv_writer_maybe_rotate(ing->packets);
}

/* ---- other bodies ------------------------------------------------------------------------ */

static void handle_hello(struct nvg_ingest *ing, const zmq_msg_t *rid, const Netvigil__Hello *h)
{
    struct nvg_sensor_entry *s = h->sensor ? nvg_sensor_table_get(ing->sensors, h->sensor) : NULL;
    if (!s) {
        ing->counts.malformed++;
        nvg_ratelog_log(&ing->rl_malformed, *ing->now_ms, NVG_LOG_WARNING,
                        "Hello with a bad sensor name, or too many sensors");
        return;
    }
    /* A sensor says Hello on start and again on every (re)connection of its socket, so the
     * same Hello can arrive twice in a row: announce only what is news. */
    size_t rid_len = zmq_msg_size((zmq_msg_t *)rid);
    bool news = !s->have_boot || s->boot_id != h->boot_id || s->routing_id_len != rid_len ||
                memcmp(s->routing_id, zmq_msg_data((zmq_msg_t *)rid), rid_len) != 0 ||
                *ing->now_ms - s->last_seen_ms > NVG_SENSOR_CONNECTED_MS;
    nvg_sensor_entry_seen(s, zmq_msg_data((zmq_msg_t *)rid), rid_len, *ing->now_ms);
    nvg_sensor_entry_set_boot(s, h->boot_id);
    s->mode = h->mode;
    nvg_rate_window_set_record_time_only(&s->rates,
                                         h->mode == NETVIGIL__CAPTURE_MODE__CAPTURE_FILE);
    if (!news)
        return;
    nvg_log(NVG_LOG_INFO, "sensor '%s' connected (boot id %016" PRIx64 ", %s %s, version %s)",
            s->name, h->boot_id, h->mode == NETVIGIL__CAPTURE_MODE__CAPTURE_FILE ? "file" : "live",
            h->source ? h->source : "", h->software_version ? h->software_version : "?");
    nvg_fanout_event(ing->feed, "sensor-connected", s->name, h->source ? h->source : "");
}

static void handle_status(struct nvg_ingest *ing, const zmq_msg_t *rid,
                          const Netvigil__SensorStatus *st)
{
    struct nvg_sensor_entry *s = st->sensor ? nvg_sensor_table_get(ing->sensors, st->sensor) : NULL;
    if (!s) {
        ing->counts.malformed++;
        nvg_ratelog_log(&ing->rl_malformed, *ing->now_ms, NVG_LOG_WARNING,
                        "SensorStatus with a bad sensor name, or too many sensors");
        return;
    }
    nvg_sensor_entry_seen(s, zmq_msg_data((zmq_msg_t *)rid), zmq_msg_size((zmq_msg_t *)rid),
                          *ing->now_ms);
    nvg_sensor_entry_set_boot(s, st->boot_id);
    nvg_sensor_entry_store_status(s, st);
}

/* Everything of this sensor that is buffered reaches the files before the ack, so a sensor
 * that exits on the ack has lost nothing. */
static void handle_eos(struct nvg_ingest *ing, const zmq_msg_t *rid,
                       const Netvigil__EndOfStream *eos)
{
    struct nvg_sensor_entry *s = nvg_sensor_table_find_boot(ing->sensors, eos->boot_id);
    Netvigil__EndOfStreamAck ack = NETVIGIL__END_OF_STREAM_ACK__INIT;
    ack.boot_id = eos->boot_id;
    ack.last_seq = eos->last_seq;
    if (s) {
        nvg_sensor_entry_seen(s, zmq_msg_data((zmq_msg_t *)rid), zmq_msg_size((zmq_msg_t *)rid),
                              *ing->now_ms);
        nvg_rate_window_flush(&s->rates);
        if (nvg_sensor_entry_account_tail(s, eos->last_seq))
            ing->sensors->state_dirty = true;
        ack.records_received = s->boot_records;
        ack.batches_lost = s->boot_batches_lost;
        ack.write_failures = s->write_failures;
        nvg_log(NVG_LOG_INFO,
                "sensor '%s' end of stream: %" PRIu64 "/%" PRIu64 " records, %" PRIu64
                " batch(es) lost",
                s->name, s->boot_records, eos->records, s->boot_batches_lost);
    }
    nvg_fanout_rates(ing->feed);
    if (nvg_csv_writer_flush(ing->packets) < 0 || nvg_csv_writer_flush(ing->rates) < 0)
        nvg_log(NVG_LOG_ERR, "end of stream: flush failed; the ack reports what is pending");
    Netvigil__CollectorMessage m = NETVIGIL__COLLECTOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_END_OF_STREAM_ACK;
    m.end_of_stream_ack = &ack;
    reply(ing, rid, &m);
}

static void dispatch(struct nvg_ingest *ing, const zmq_msg_t *rid, const uint8_t *raw, size_t len,
                     const Netvigil__SensorMessage *m)
{
    switch (m->body_case) {
    case NETVIGIL__SENSOR_MESSAGE__BODY_HELLO:
        handle_hello(ing, rid, m->hello);
        break;
    case NETVIGIL__SENSOR_MESSAGE__BODY_BATCH:
        handle_batch(ing, rid, raw, len, m->batch);
        break;
    case NETVIGIL__SENSOR_MESSAGE__BODY_STATUS:
        handle_status(ing, rid, m->status);
        break;
    case NETVIGIL__SENSOR_MESSAGE__BODY_END_OF_STREAM:
        handle_eos(ing, rid, m->end_of_stream);
        break;
    case NETVIGIL__SENSOR_MESSAGE__BODY_COMMAND_REPLY:
        nvg_control_command_reply(ing->control, zmq_msg_data((zmq_msg_t *)rid),
                                  zmq_msg_size((zmq_msg_t *)rid), m->command_reply);
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
    ProtobufCAllocator *alloc = nvg_arena_allocator(ing->arena);
    Netvigil__SensorMessage *m = netvigil__sensor_message__unpack(alloc, len, raw);
    if (!m) {
        malformed(ing, len ? "does not parse as SensorMessage" : "empty frame");
    } else if (m->protocol_version != NVG_PROTOCOL_VERSION &&
               m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY__NOT_SET) {
        /* No version and no body: noise that happens to parse, not an old peer. */
        malformed(ing, "neither a version nor a body");
    } else if (m->protocol_version != NVG_PROTOCOL_VERSION) {
        refuse(ing, rid, m->protocol_version);
    } else {
        dispatch(ing, rid, raw, len, m);
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
    ing->control = cfg->control;
    ing->now_ms = cfg->now_ms;
    ing->write_log = cfg->write_log;
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
    return done;
}

const struct nvg_ingest_counters *nvg_ingest_counters(const struct nvg_ingest *ing)
{
    return &ing->counts;
}
