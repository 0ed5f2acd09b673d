/* The sensor side of the sensor link. See link.h for the contract. */
#include "link.h"
#include "link-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-flow-wire.h"
#include "nvg-log.h"
#include "nvg-monitor.h"
#include "nvg-ratelog.h"
#include "nvg-text.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"
#include "spool.h"

#ifndef NVG_VERSION
#define NVG_VERSION "unknown"
#endif

static bool interrupted(const struct nvg_link *link)
{
    return link->opts.interrupted && *link->opts.interrupted;
}

/* ---- sending ------------------------------------------------------------------------------ */

/* s as we may send it: itself when it is printable UTF-8 of at most size - 1 bytes, else an
 * escaped copy in buf cut at a character boundary. The collector refuses a message with any
 * other string, so a file path with odd bytes or a long libpcap message must not reach it
 * raw. */
static const char *wire_text(char *buf, size_t size, const char *s)
{
    size_t len = strlen(s);
    if (nvg_text_valid(s, len, size - 1))
        return s;
    nvg_text_escape(buf, size, s, len);
    return buf;
}

/* A copy of s (NULL: dflt) fit to send under cap, as wire_text. */
static char *dup_text(const char *s, const char *dflt, size_t cap)
{
    char buf[NVG_TEXT_FILTER_MAX + 1];
    size_t size = cap + 1 < sizeof(buf) ? cap + 1 : sizeof(buf);
    return strdup(wire_text(buf, size, s ? s : dflt));
}

static void get_status(struct nvg_link *link, struct nvg_link_status *s)
{
    *s = (struct nvg_link_status){.state = NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING};
    if (link->opts.status_cb)
        link->opts.status_cb(link->opts.user, s);
    if (s->filter && strcmp(s->filter, link->filter) != 0) {
        char *f = dup_text(s->filter, "", NVG_TEXT_FILTER_MAX);
        if (f) {
            free(link->filter);
            link->filter = f;
        }
    }
}

/* Fill a SensorStatus; strings point into link or into the caller's status (lent). */
static void fill_status(struct nvg_link *link, const struct nvg_link_status *s,
                        Netvigil__SensorStatus *pb)
{
    netvigil__sensor_status__init(pb);
    pb->sensor = link->sensor;
    pb->boot_id = link->boot_id;
    pb->state = s->state;
    pb->mode = link->mode == NVG_LINK_FILE ? NETVIGIL__CAPTURE_MODE__CAPTURE_FILE
                                           : NETVIGIL__CAPTURE_MODE__CAPTURE_LIVE;
    pb->source = link->source;
    pb->filter = link->filter;
    pb->pcap_received = s->pcap_received;
    pb->pcap_dropped = s->pcap_dropped;
    pb->pcap_ifdropped = s->pcap_ifdropped;
    pb->batches_sent = link->st.batches_sent;
    pb->records_sent = link->st.records_sent;
    pb->records_dropped = link->st.records_dropped;
    pb->batches_dropped = link->st.batches_dropped;
    pb->uptime_ms = (uint64_t)((nvg_clock_mono_ns() - link->start_ns) / NS_PER_MS);
    pb->software_version = link->version;
    pb->last_seq = link->st.last_seq;
    pb->capture_down_ms = s->capture_down_ms;
    pb->capture_reopens = s->capture_reopens;
    pb->flows_active = s->flows_active;
    pb->flows_exported = s->flows_exported;
    pb->flows_evicted = s->flows_evicted;
    pb->flows_dropped = link->st.flows_dropped;
    if (link->opts.spool) {
        struct nvg_spool_stats ss;
        nvg_spool_get_stats(link->opts.spool, &ss);
        pb->spool_bytes = ss.bytes;
        pb->spool_batches = ss.batches;
        pb->spooled_total = ss.spooled;
        pb->replayed_total = ss.replayed;
        pb->spool_dropped = ss.dropped_records;
        pb->spool_cut = ss.cut_batches;
    }
    pb->error =
        (char *)wire_text(link->status_error, sizeof(link->status_error), s->error ? s->error : "");
}

static void sensor_message_init(Netvigil__SensorMessage *m)
{
    netvigil__sensor_message__init(m);
    m->protocol_version = NVG_PROTOCOL_VERSION;
}

/* Control messages never block, in either mode: they are small and retried or periodic. */
static int send_msg(struct nvg_link *link, const Netvigil__SensorMessage *m)
{
    return nvg_zmq_send_pb(link->sock, &m->base, ZMQ_DONTWAIT);
}

void nvg__link_send_hello(struct nvg_link *link)
{
    struct nvg_link_status s;
    get_status(link, &s);
    Netvigil__Hello h = NETVIGIL__HELLO__INIT;
    h.sensor = link->sensor;
    h.boot_id = link->announced_boot;
    h.mode = link->mode == NVG_LINK_FILE ? NETVIGIL__CAPTURE_MODE__CAPTURE_FILE
                                         : NETVIGIL__CAPTURE_MODE__CAPTURE_LIVE;
    h.source = link->source;
    h.filter = link->filter;
    h.software_version = link->version;
    Netvigil__SensorMessage m;
    sensor_message_init(&m);
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_HELLO;
    m.hello = &h;
    link->hello_pending = send_msg(link, &m) != 0;
}

static void send_status(struct nvg_link *link)
{
    if (link->announced_boot != link->boot_id)
        return; /* the spool replays an earlier boot id: see link.h "Spool" */
    struct nvg_link_status s;
    get_status(link, &s);
    Netvigil__SensorStatus pb;
    fill_status(link, &s, &pb);
    Netvigil__SensorMessage m;
    sensor_message_init(&m);
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_STATUS;
    m.status = &pb;
    send_msg(link, &m); /* a heartbeat lost to a full link is replaced by the next one */
}

void nvg__link_send_eos(struct nvg_link *link)
{
    Netvigil__EndOfStream e = NETVIGIL__END_OF_STREAM__INIT;
    e.boot_id = link->boot_id;
    e.last_seq = link->st.last_seq;
    e.records = link->st.records_sent;
    e.flows = link->st.flows_sent;
    Netvigil__SensorMessage m;
    sensor_message_init(&m);
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_END_OF_STREAM;
    m.end_of_stream = &e;
    send_msg(link, &m);
}

static void flush_pending(struct nvg_link *link)
{
    int done = 0;
    while (done < link->n_pending) {
        struct pending *p = &link->pending[done];
        if (nvg_zmq_send_buf(link->sock, p->data, p->len, ZMQ_DONTWAIT) != 0)
            break;
        free(p->data);
        done++;
    }
    if (done) {
        memmove(link->pending, link->pending + done,
                (size_t)(link->n_pending - done) * sizeof(link->pending[0]));
        link->n_pending -= done;
    }
}

/* A command reply must not be lost to a momentarily full link: keep it and retry. */
static void send_reply(struct nvg_link *link, const Netvigil__SensorMessage *m)
{
    flush_pending(link);
    if (link->n_pending == 0 && send_msg(link, m) == 0)
        return;
    size_t len = protobuf_c_message_get_packed_size(&m->base);
    uint8_t *data = link->n_pending < PENDING_MAX ? malloc(len) : NULL;
    if (!data) {
        nvg_log(NVG_LOG_WARNING, "link to %s: command reply %" PRIu64 " dropped (link full)",
                link->endpoint, m->command_reply->id);
        return;
    }
    protobuf_c_message_pack(&m->base, data);
    link->pending[link->n_pending++] = (struct pending){data, len};
}

static void count_drop(struct nvg_link *link, size_t n, size_t flows)
{
    link->st.batches_dropped++;
    link->st.records_dropped += n;
    link->st.flows_dropped += flows;
}

/* File mode blocks until the collector takes our records; say so when that lasts, so that a
 * sensor waiting for an absent collector is not mistaken for a hung one. */
static void note_waiting(struct nvg_link *link)
{
    nvg__link_recv_monitor(link);
    if (link->connected) {
        link->next_wait_note_ns = 0;
        return;
    }
    int64_t now = nvg_clock_mono_ns();
    if (link->next_wait_note_ns == 0) {
        link->next_wait_note_ns = now + 2000 * NS_PER_MS;
    } else if (now >= link->next_wait_note_ns) {
        nvg_log(NVG_LOG_WARNING,
                "waiting for the collector at %s (not reachable); the records are kept, "
                "Ctrl-C gives up",
                link->endpoint);
        link->next_wait_note_ns = now + 10000 * NS_PER_MS;
    }
}

/* Pack and send the current batch. Live: one non-blocking try, a full link drops and counts.
 * File: block in slices until sent or interrupted. seq advances only for a batch sent. */
static int send_batch(struct nvg_link *link)
{
    if (nvg_batch_encoder_empty(link->enc))
        return 0;
    size_t n = nvg_batch_encoder_count(link->enc);
    size_t nf = nvg__link_flows_take(link);
    if (link->refused || link->key_refused) {
        nvg_batch_encoder_clear(link->enc);
        count_drop(link, n, nf);
        return link->key_refused ? NVG_EPERM : NVG_EVERSION;
    }
    const uint8_t *data;
    size_t len;
    nvg_batch_encoder_pack(link->enc, link->st.last_seq + 1, &data, &len);
    bool spool = link->opts.spool && link->mode == NVG_LINK_LIVE;
    if (spool && nvg__link_spool_wants(link)) {
        nvg__link_spool_batch(link, data, len, n, nf);
        return 0;
    }
    int flags = link->mode == NVG_LINK_LIVE ? ZMQ_DONTWAIT : 0;
    int rc;
    for (;;) {
        rc = nvg_zmq_send_buf(link->sock, data, len, flags);
        if (rc != NVG_EAGAIN || link->mode == NVG_LINK_LIVE || interrupted(link))
            break;
        note_waiting(link);
        if (link->key_refused) {
            count_drop(link, n, nf);
            return NVG_EPERM;
        }
    }
    if (rc == 0) {
        link->st.last_seq++;
        link->st.batches_sent++;
        link->st.records_sent += n;
        link->st.flows_sent += nf;
        return 0;
    }
    if (rc == NVG_EAGAIN && spool) {
        nvg__link_spool_batch(link, data, len, n, nf);
        return 0;
    }
    count_drop(link, n, nf);
    if (rc == NVG_EAGAIN)
        return link->mode == NVG_LINK_LIVE ? 0 : NVG_EAGAIN;
    snprintf(link->error, sizeof(link->error), "sending to %s: %s", link->endpoint,
             zmq_strerror(zmq_errno()));
    return rc;
}

/* ---- receiving ---------------------------------------------------------------------------- */

static void reject(struct nvg_link *link, const char *why)
{
    link->st.rejected++;
    if (nvg_ratelog_allow(&link->rl_rejected, nvg_clock_mono_ms(), NULL))
        nvg_log(NVG_LOG_WARNING,
                "link to %s: rejected a message from the collector: %s (%" PRIu64 " so far)",
                link->endpoint, why, link->st.rejected);
}

/* The reply to command id, with a fresh status. The error text is capped and printable like
 * every string we send (the collector refuses anything else). */
void nvg__link_reply(struct nvg_link *link, uint64_t id, int rc, const char *err,
                     Netvigil__PcapChunk *pcap)
{
    struct nvg_link_status s;
    get_status(link, &s);
    Netvigil__SensorStatus status;
    fill_status(link, &s, &status);
    char text[NVG_TEXT_ERROR_MAX + 1];
    Netvigil__CommandReply reply = NETVIGIL__COMMAND_REPLY__INIT;
    reply.id = id;
    reply.ok = rc == 0;
    reply.error = rc == 0 ? "" : (char *)wire_text(text, sizeof(text), err);
    /* A status names the current boot id: not while the spool replays an earlier one. */
    reply.status = link->announced_boot == link->boot_id ? &status : NULL;
    reply.pcap = rc == 0 ? pcap : NULL;
    Netvigil__SensorMessage m;
    sensor_message_init(&m);
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_COMMAND_REPLY;
    m.command_reply = &reply;
    send_reply(link, &m);
}

static int run_command(struct nvg_link *link, const Netvigil__Command *cmd, char *err,
                       size_t errsize)
{
    if (cmd->kind == NETVIGIL__COMMAND_KIND__COMMAND_STATUS)
        return 0;
    if (cmd->kind != NETVIGIL__COMMAND_KIND__COMMAND_START &&
        cmd->kind != NETVIGIL__COMMAND_KIND__COMMAND_STOP &&
        cmd->kind != NETVIGIL__COMMAND_KIND__COMMAND_RESTART &&
        cmd->kind != NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER) {
        snprintf(err, errsize, "unknown command kind %d", (int)cmd->kind);
        return NVG_EINVAL;
    }
    if (!link->opts.command_cb) {
        snprintf(err, errsize, "this sensor does not take commands");
        return NVG_EINVAL;
    }
    int rc = link->opts.command_cb(link->opts.user, cmd->kind, cmd->filter ? cmd->filter : "", err,
                                   errsize);
    if (rc == NVG_LINK_DEFERRED && link->deferred) {
        snprintf(err, errsize, "internal error: a second deferred command");
        return NVG_EINVAL;
    }
    if (rc < 0 && !err[0])
        snprintf(err, errsize, "%s", nvg_strerror(rc));
    return rc;
}

static void handle_command(struct nvg_link *link, const Netvigil__Command *cmd)
{
    if (cmd->kind == NETVIGIL__COMMAND_KIND__COMMAND_PCAP) {
        nvg__link_pcap_command(link, cmd);
        return;
    }
    char err[NVG_ERRBUF_SIZE] = "";
    int rc = run_command(link, cmd, err, sizeof(err));
    link->st.commands++;
    if (rc == NVG_LINK_DEFERRED) {
        link->deferred = true;
        link->deferred_id = cmd->id;
        return;
    }
    nvg__link_reply(link, cmd->id, rc, err, NULL);
}

int nvg__link_deferred_done(struct nvg_link *link, int rc, const char *err,
                            Netvigil__PcapChunk *pcap)
{
    if (!link->deferred)
        return NVG_EINVAL;
    link->deferred = false;
    nvg__link_reply(link, link->deferred_id, rc,
                    rc == 0       ? ""
                    : err && *err ? err
                                  : nvg_strerror(rc),
                    pcap);
    return 0;
}

int nvg_link_command_done(struct nvg_link *link, int rc, const char *err)
{
    return nvg__link_deferred_done(link, rc, err, NULL);
}

static void handle_refused(struct nvg_link *link, const Netvigil__Refused *r)
{
    link->refused = true;
    snprintf(link->error, sizeof(link->error),
             "the collector at %s refused this sensor: it speaks protocol version %u, this "
             "sensor speaks version %u (%s)",
             link->endpoint, r->supported_version, NVG_PROTOCOL_VERSION,
             r->reason && r->reason[0] ? r->reason : "no reason given");
    nvg_log(NVG_LOG_ERR, "%s", link->error);
}

static void handle_message(struct nvg_link *link, const uint8_t *data, size_t len)
{
    Netvigil__CollectorMessage *m = netvigil__collector_message__unpack(NULL, len, data);
    if (!m) {
        reject(link, "not a CollectorMessage");
        return;
    }
    /* Refused is understood whatever the version: it is how versions are told apart. */
    if (m->body_case == NETVIGIL__COLLECTOR_MESSAGE__BODY_REFUSED) {
        handle_refused(link, m->refused);
    } else if (m->protocol_version != NVG_PROTOCOL_VERSION) {
        reject(link, "protocol version mismatch");
    } else if (m->body_case == NETVIGIL__COLLECTOR_MESSAGE__BODY_COMMAND) {
        handle_command(link, m->command);
    } else if (m->body_case == NETVIGIL__COLLECTOR_MESSAGE__BODY_END_OF_STREAM_ACK) {
        const Netvigil__EndOfStreamAck *a = m->end_of_stream_ack;
        if (link->eos_waiting && a->boot_id == link->boot_id && a->last_seq == link->st.last_seq) {
            link->ack = *a;
            link->ack.base.unknown_fields = NULL;
            link->ack.base.n_unknown_fields = 0;
            link->ack_received = true;
        } else {
            reject(link, "EndOfStreamAck for another stream");
        }
    } else {
        reject(link, "empty CollectorMessage");
    }
    netvigil__collector_message__free_unpacked(m, NULL);
}

/* Drain the DEALER without waiting. Commands arrive one at a time; the cap keeps a flood from
 * starving capture. */
static int recv_all(struct nvg_link *link)
{
    for (int i = 0; i < 64; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, link->sock, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();
            zmq_msg_close(&msg);
            if (e == EAGAIN || e == EINTR)
                return 0;
            snprintf(link->error, sizeof(link->error), "receiving from %s: %s", link->endpoint,
                     zmq_strerror(e));
            return NVG_EZMQ;
        }
        bool multi = zmq_msg_more(&msg);
        if (multi) {
            reject(link, "multi-frame message");
            while (zmq_msg_more(&msg) && zmq_msg_recv(&msg, link->sock, ZMQ_DONTWAIT) >= 0) {
            }
        } else {
            handle_message(link, zmq_msg_data(&msg), zmq_msg_size(&msg));
        }
        zmq_msg_close(&msg);
    }
    return 0;
}

/* ---- life cycle --------------------------------------------------------------------------- */

/* Fills in the defaults; NVG_EINVAL with the reason in err for options that cannot work. */
static int check_opts(struct nvg_link_opts *o, char *err)
{
    if (o->batch_max == 0)
        o->batch_max = 1024;
    if (o->batch_ms <= 0)
        o->batch_ms = 50;
    if (o->sndhwm <= 0)
        o->sndhwm = 64;
    if (o->heartbeat_ms <= 0)
        o->heartbeat_ms = 1000;
    if (o->send_timeout_ms <= 0)
        o->send_timeout_ms = 100;
    if (o->batch_max > NVG_BATCH_MAX_RECORDS) {
        snprintf(err, NVG_ERRBUF_SIZE, "batch size %zu is above the maximum %u", o->batch_max,
                 NVG_BATCH_MAX_RECORDS);
        return NVG_EINVAL;
    }
    if (!o->own_key != !o->collector_key) {
        snprintf(err, NVG_ERRBUF_SIZE, "link: CURVE needs both keys (own and the collector's)");
        return NVG_EINVAL;
    }
    return 0;
}

/* Room for a full batch of flows beside the records. */
static struct nvg_batch_encoder *new_encoder(const char *sensor, uint64_t boot_id, size_t max)
{
    return nvg_batch_encoder_new_ex(sensor, boot_id, max,
                                    (size_t)NVG_LINK_FLOWS_MAX * NVG_FLOW_PACKED_MAX);
}

struct nvg_link *nvg_link_new(void *ctx, const char *endpoint, const struct nvg_link_info *info,
                              const struct nvg_link_opts *opts, char *err)
{
    char dummy[NVG_ERRBUF_SIZE];
    if (!err)
        err = dummy;
    err[0] = '\0';
    if (!ctx || !endpoint || !info || !info->sensor || !info->sensor[0]) {
        snprintf(err, NVG_ERRBUF_SIZE, "link: context, endpoint and sensor name are required");
        return NULL;
    }
    if (!nvg_name_valid(info->sensor)) {
        snprintf(err, NVG_ERRBUF_SIZE, "link: '%s' is not a valid sensor name", info->sensor);
        return NULL;
    }
    struct nvg_link *link = calloc(1, sizeof(*link));
    if (!link) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    if (opts)
        link->opts = *opts;
    struct nvg_link_opts *o = &link->opts;
    if (check_opts(o, err) < 0) {
        free(link);
        return NULL;
    }
    link->rl_rejected = NVG_RATELOG_INIT(WARN_INTERVAL_MS);
    link->rl_drops = NVG_RATELOG_INIT(WARN_INTERVAL_MS);
    link->rl_handshake = NVG_RATELOG_INIT(WARN_INTERVAL_MS);
    link->curve = o->own_key != NULL;
    link->mode = info->mode;
    link->boot_id = info->boot_id;
    link->endpoint = strdup(endpoint);
    link->sensor = strdup(info->sensor);
    link->source = dup_text(info->source, "", NVG_TEXT_SOURCE_MAX);
    link->filter = dup_text(info->filter, "", NVG_TEXT_FILTER_MAX);
    link->version = dup_text(info->version, NVG_VERSION, NVG_TEXT_VERSION_MAX);
    link->enc = new_encoder(info->sensor, info->boot_id, o->batch_max);
    link->flows = nvg__link_flows_new();
    if (!link->endpoint || !link->sensor || !link->source || !link->filter || !link->version ||
        !link->enc || !link->flows) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        nvg_link_free(link);
        return NULL;
    }
    if (nvg__link_open_sockets(link, ctx, err) != 0) {
        nvg_link_free(link);
        return NULL;
    }
    link->start_ns = nvg_clock_mono_ns();
    link->next_hb_ns = link->start_ns + (int64_t)o->heartbeat_ms * NS_PER_MS;
    link->announced_boot = nvg__link_wanted_boot(link);
    if (link->announced_boot != link->boot_id)
        nvg_log(NVG_LOG_INFO,
                "link to %s: replaying spooled batches of boot id %016" PRIx64
                " first (heartbeats wait until they are through)",
                link->endpoint, link->announced_boot);
    nvg__link_send_hello(link); /* queued in file mode; live mode retries until connected */
    return link;
}

void nvg_link_free(struct nvg_link *link)
{
    if (!link)
        return;
    nvg_monitor_free(link->monitor); /* before its socket */
    if (link->sock)
        zmq_close(link->sock);
    for (int i = 0; i < link->n_pending; i++)
        free(link->pending[i].data);
    nvg_batch_encoder_free(link->enc);
    nvg__link_flows_free(link->flows);
    free(link->endpoint);
    free(link->sensor);
    free(link->source);
    free(link->filter);
    free(link->version);
    free(link);
}

int nvg_link_add(struct nvg_link *link, const struct nvg_pkt *pkt)
{
    if (link->key_refused)
        return NVG_EPERM;
    if (link->refused)
        return NVG_EVERSION;
    size_t n = nvg_batch_encoder_add(link->enc, pkt);
    if (n == 1)
        link->batch_open_ns = nvg_clock_mono_ns();
    if (nvg_batch_encoder_full(link->enc))
        return send_batch(link); /* by count (batch_max) or by bytes (NVG_LINK_MAX_MSG) */
    return 0;
}

int nvg_link_flush(struct nvg_link *link)
{
    return send_batch(link);
}

static void warn_drops(struct nvg_link *link, int64_t now)
{
    if (link->st.batches_dropped == link->warned_drops ||
        !nvg_ratelog_allow(&link->rl_drops, now / NS_PER_MS, NULL))
        return;
    nvg_log(NVG_LOG_WARNING,
            "link to %s full: dropped %" PRIu64 " batches (%" PRIu64 " records) so far",
            link->endpoint, link->st.batches_dropped, link->st.records_dropped);
    link->warned_drops = link->st.batches_dropped;
}

int nvg_link_tick(struct nvg_link *link, int64_t now)
{
    if (now == 0)
        now = nvg_clock_mono_ns();
    if (link->opts.tick_cb)
        link->opts.tick_cb(link->opts.user);
    nvg__link_recv_monitor(link);
    int rc = recv_all(link);
    if (rc != 0)
        return rc;
    if (link->key_refused)
        return NVG_EPERM;
    if (link->refused)
        return NVG_EVERSION;
    if (!nvg_batch_encoder_empty(link->enc) &&
        now - link->batch_open_ns >= (int64_t)link->opts.batch_ms * NS_PER_MS) {
        rc = send_batch(link);
        if (rc != 0)
            return rc;
    }
    nvg__link_spool_tick(link);
    if (now >= link->next_retry_ns) {
        link->next_retry_ns = now + RETRY_MS * NS_PER_MS;
        if (link->hello_pending)
            nvg__link_send_hello(link);
        flush_pending(link);
    }
    if (now >= link->next_hb_ns) {
        link->next_hb_ns = now + (int64_t)link->opts.heartbeat_ms * NS_PER_MS;
        send_status(link);
        warn_drops(link, now);
    }
    return 0;
}

int nvg_link_timeout_ms(const struct nvg_link *link, int64_t now)
{
    if (now == 0)
        now = nvg_clock_mono_ns();
    int64_t due = link->next_hb_ns;
    if (!nvg_batch_encoder_empty(link->enc)) {
        int64_t close = link->batch_open_ns + (int64_t)link->opts.batch_ms * NS_PER_MS;
        if (close < due)
            due = close;
    }
    if ((link->hello_pending || link->n_pending) && link->next_retry_ns < due)
        due = link->next_retry_ns;
    if (due <= now)
        return 0;
    return (int)((due - now + NS_PER_MS - 1) / NS_PER_MS);
}

void nvg_link_pollitems(struct nvg_link *link, zmq_pollitem_t items[NVG_LINK_NPOLL])
{
    items[0] = (zmq_pollitem_t){.socket = link->sock, .events = ZMQ_POLLIN};
    items[1] = (zmq_pollitem_t){.socket = nvg_monitor_socket(link->monitor), .events = ZMQ_POLLIN};
}

/* Flows are acknowledged like records: all taken, or (a collector that lost its state) no
 * more than we sent with no batch lost. Refused ones are taken by nobody: a mismatch. */
static bool flows_acked(const Netvigil__EndOfStreamAck *a, uint64_t sent)
{
    if (a->flows_received == sent && a->flows_refused == 0 && a->flows_write_failures == 0)
        return true;
    /* A collector that restarted counts flows from its start only (records it counts from
     * sensors.state): then only a count above ours, or a refusal, is wrong. */
    bool partial = a->flows_partial || a->history_unknown;
    return partial && a->flows_received <= sent && a->flows_refused == 0 &&
           a->flows_write_failures == 0;
}

static int check_ack(struct nvg_link *link)
{
    const Netvigil__EndOfStreamAck *a = &link->ack;
    uint64_t sent = link->st.records_sent;
    if (a->write_failures > 0) {
        snprintf(link->error, sizeof(link->error),
                 "the collector received %" PRIu64 " of %" PRIu64
                 " records but could not write %" PRIu64 " of them (its disk?)",
                 a->records_received, sent, a->write_failures);
    } else if (!flows_acked(a, link->st.flows_sent)) {
        snprintf(link->error, sizeof(link->error),
                 "the collector took %" PRIu64 " conversation records (and refused %" PRIu64
                 ") but this sensor sent %" PRIu64 " (%" PRIu64 " batches, %" PRIu64
                 " reported lost)",
                 a->flows_received, a->flows_refused, link->st.flows_sent, link->st.batches_sent,
                 a->batches_lost);
    } else if (a->records_received == sent) {
        nvg_log(NVG_LOG_INFO,
                "collector acknowledged all %" PRIu64 " records (%" PRIu64 " batches)",
                a->records_received, link->st.batches_sent);
        return 0;
    } else if (a->history_unknown && a->records_received <= sent && a->batches_lost == 0) {
        /* The collector lost its state while this stream ran: its count starts at its restart,
         * and the packet log holds what came before. Only a count above ours would be wrong. */
        nvg_log(NVG_LOG_WARNING,
                "the collector restarted without its state: it confirms %" PRIu64 " of %" PRIu64
                " records since then; the earlier ones are in its log, not in its count",
                a->records_received, sent);
        return 0;
    } else {
        snprintf(link->error, sizeof(link->error),
                 "the collector received %" PRIu64 " records but this sensor sent %" PRIu64
                 " (%" PRIu64 " batches, %" PRIu64 " reported lost)",
                 a->records_received, sent, link->st.batches_sent, a->batches_lost);
    }
    nvg_log(NVG_LOG_ERR, "%s", link->error);
    return NVG_EIO;
}

int nvg_link_finish(struct nvg_link *link, int timeout_ms)
{
    if (link->key_refused)
        return NVG_EPERM;
    if (link->refused)
        return NVG_EVERSION;
    int rc = send_batch(link);
    if (rc != 0)
        return rc;
    if (link->opts.spool)
        nvg_spool_write(link->opts.spool); /* what is staged goes to disk, for the next start */
    /* A last heartbeat, so the collector holds the final counters and state even when the
     * whole run was shorter than one heartbeat period. */
    send_status(link);
    if (link->mode == NVG_LINK_LIVE)
        return 0;

    int64_t now = nvg_clock_mono_ns();
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now + (int64_t)timeout_ms * NS_PER_MS;
    link->eos_waiting = true;
    link->ack_received = false;
    nvg__link_send_eos(link);
    int64_t next_eos = now + EOS_RESEND_MS * NS_PER_MS;
    for (;;) {
        zmq_pollitem_t items[NVG_LINK_NPOLL];
        nvg_link_pollitems(link, items);
        int wait = nvg_link_timeout_ms(link, now);
        if (wait > RETRY_MS)
            wait = RETRY_MS;
        zmq_poll(items, NVG_LINK_NPOLL, wait);
        now = nvg_clock_mono_ns();
        rc = nvg_link_tick(link, now);
        note_waiting(link);
        if (rc == 0 && link->ack_received)
            rc = check_ack(link);
        else if (rc == 0 && interrupted(link)) {
            snprintf(link->error, sizeof(link->error),
                     "interrupted while waiting for the collector to acknowledge %" PRIu64
                     " records",
                     link->st.records_sent);
            rc = NVG_EAGAIN;
        } else if (rc == 0 && now >= deadline) {
            snprintf(link->error, sizeof(link->error),
                     "no end-of-stream acknowledgement from %s within %d ms (%" PRIu64
                     " records sent in %" PRIu64 " batches)",
                     link->endpoint, timeout_ms, link->st.records_sent, link->st.batches_sent);
            rc = NVG_ETIMEDOUT;
        } else if (rc == 0) {
            if (now >= next_eos) {
                nvg__link_send_eos(link);
                next_eos = now + EOS_RESEND_MS * NS_PER_MS;
            }
            continue;
        }
        link->eos_waiting = false;
        return rc;
    }
}

int nvg_link_restart(struct nvg_link *link, uint64_t boot_id)
{
    int rc = send_batch(link);
    struct nvg_batch_encoder *enc = new_encoder(link->sensor, boot_id, link->opts.batch_max);
    if (!enc)
        return NVG_ENOMEM;
    nvg_batch_encoder_free(link->enc);
    link->enc = enc;
    link->boot_id = boot_id;
    uint64_t rejected = link->st.rejected, connects = link->st.connects;
    link->st = (struct nvg_link_stats){.rejected = rejected, .connects = connects};
    link->start_ns = nvg_clock_mono_ns();
    link->announced_boot = nvg__link_wanted_boot(link);
    nvg__link_send_hello(link);
    return rc == NVG_EVERSION ? rc : 0;
}

void nvg_link_get_stats(const struct nvg_link *link, struct nvg_link_stats *stats)
{
    *stats = link->st;
}

bool nvg_link_key_refused(const struct nvg_link *link)
{
    return link->key_refused;
}

const char *nvg_link_error(const struct nvg_link *link)
{
    return link->error;
}
