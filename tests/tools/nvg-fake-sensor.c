/* nvg-fake-sensor: a test peer on the sensor link. It plays one or more sensors from a
 * generated, deterministic record stream, and can misbehave on purpose (skipped sequence
 * numbers, garbage frames, truncated protobuf, invalid records, oversized messages, a wrong
 * protocol version) so the collector's handling of each can be checked from a script.
 *
 * Exit status: 0 when everything it was asked to check held (e.g. the end-of-stream ack
 * counted what was sent), 1 otherwise, 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "fake-flows.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-pkt.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

#define MAX_SKIP 64
#define MAX_SECONDS 4096

struct fake_opts {
    const char *endpoint;
    const char *name;
    uint64_t boot_id;
    uint64_t records;
    size_t batch;
    int64_t start_s;
    uint64_t pps; /* record-time spacing */
    uint32_t per_second[MAX_SECONDS];
    int n_per_second;
    uint64_t seq_start;
    uint64_t skip[MAX_SKIP];
    int n_skip;
    int garbage, truncated, bad_addr, unknown, extra_frames;
    bool huge;
    int version; /* protocol version of every message */
    bool eos;
    bool status;
    uint64_t kernel_drops, sensor_drops;
    int parallel;
    double rate;   /* records per wall second, 0 = as fast as the link takes */
    double hold_s; /* stay connected (status every second) after sending */
    int timeout_ms;
    const char *expected_rates;
    bool quiet;
    bool no_check; /* report the ack, exit 0 whatever it says */
    struct fake_flows_opts flows;
};

/* ---- the record stream ------------------------------------------------------------------- */

/* --syn-flood: set once before any sender thread starts, read-only after. */
static bool syn_flood;

/* Record i of a spoofed-source SYN flood: a pseudo-random IPv4 source per record, one target. */
static void gen_flood_record(uint64_t i, int64_t ts_ns, struct nvg_pkt *p)
{
    memset(p, 0, sizeof(*p));
    p->ts_ns = ts_ns;
    p->wire_len = p->cap_len = 54;
    p->ip_version = 4;
    uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    memcpy(p->src, &h, 4);
    memcpy(p->dst, (uint8_t[]){198, 18, 0, 7}, 4);
    p->ttl = 64;
    p->proto = NVG_PROTO_TCP, p->ip_proto = 6;
    p->sport = (uint16_t)(h >> 32), p->dport = 80;
    p->tcp_flags = NVG_TCP_SYN;
    p->flags = NVG_PKT_HAS_TTL | NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS;
}

/* Record i of the stream: five kinds in turn, addresses and ports derived from i, so a script
 * can predict every row. Kind 1 is UDP to port 53 (DNS), for the tail filter test. */
static void gen_record(uint64_t i, int64_t ts_ns, struct nvg_pkt *p)
{
    if (syn_flood) {
        gen_flood_record(i, ts_ns, p);
        return;
    }
    memset(p, 0, sizeof(*p));
    p->ts_ns = ts_ns;
    p->wire_len = 60 + (uint32_t)(i % 1400);
    p->cap_len = p->wire_len < 96 ? p->wire_len : 96;
    p->ip_version = 4;
    uint8_t src[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)(i % 7)};
    uint8_t dst[4] = {192, 168, (uint8_t)(i % 3), 1};
    memcpy(p->src, src, 4);
    memcpy(p->dst, dst, 4);
    p->ttl = 64;
    p->flags = NVG_PKT_HAS_TTL;
    switch (i % 5) {
    case 0:
        p->proto = NVG_PROTO_TCP, p->ip_proto = 6;
        p->sport = (uint16_t)(40000 + i % 1000), p->dport = 443;
        p->tcp_flags = NVG_TCP_PSH | NVG_TCP_ACK;
        p->flags |= NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS;
        p->payload_kind = NVG_PAYLOAD_RAW;
        break;
    case 1:
        p->proto = NVG_PROTO_UDP, p->ip_proto = 17;
        p->sport = (uint16_t)(33000 + i % 1000), p->dport = 53;
        p->flags |= NVG_PKT_HAS_PORTS;
        p->payload_kind = NVG_PAYLOAD_RAW;
        break;
    case 2:
        p->proto = NVG_PROTO_UDP, p->ip_proto = 17;
        p->sport = 123, p->dport = 123;
        p->flags |= NVG_PKT_HAS_PORTS;
        break;
    case 3:
        p->proto = NVG_PROTO_ICMP, p->ip_proto = 1;
        p->icmp_type = 8;
        p->flags |= NVG_PKT_HAS_ICMP;
        break;
    default:
        p->proto = NVG_PROTO_TCP, p->ip_proto = 6, p->ip_version = 6;
        memset(p->src, 0, 16);
        memset(p->dst, 0, 16);
        p->src[0] = 0x20, p->src[1] = 0x01, p->src[2] = 0x0d, p->src[3] = 0xb8;
        p->src[15] = (uint8_t)i;
        p->dst[0] = 0xfe, p->dst[1] = 0x80, p->dst[15] = 1;
        p->sport = 51000, p->dport = 80;
        p->tcp_flags = NVG_TCP_SYN;
        p->flags |= NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS;
        break;
    }
}

/* Capture time of record i: --per-second spreads each second's count evenly over it,
 * otherwise records are 1/pps apart. */
static int64_t gen_time(const struct fake_opts *o, uint64_t i)
{
    int64_t base = o->start_s * 1000000000LL;
    if (o->n_per_second == 0)
        return base + (int64_t)(i * (1000000000ull / (o->pps ? o->pps : 1)));
    for (int s = 0; s < o->n_per_second; s++) {
        if (i < o->per_second[s])
            return base + s * 1000000000LL + (int64_t)(i * (999999999ull / o->per_second[s]));
        i -= o->per_second[s];
    }
    return base + o->n_per_second * 1000000000LL;
}

static uint64_t total_records(const struct fake_opts *o)
{
    if (o->n_per_second == 0)
        return o->records;
    uint64_t n = 0;
    for (int s = 0; s < o->n_per_second; s++)
        n += o->per_second[s];
    return n;
}

/* "sec,proto,packets,bytes" per (second, protocol) with packets, in the collector's order. */
static int write_expected_rates(const struct fake_opts *o)
{
    FILE *f = fopen(o->expected_rates, "w");
    if (!f)
        return -1;
    uint64_t n = total_records(o);
    int64_t cur = INT64_MIN;
    uint64_t pk[NVG_PROTO_COUNT] = {0}, by[NVG_PROTO_COUNT] = {0};
    for (uint64_t i = 0; i <= n; i++) {
        struct nvg_pkt p;
        int64_t sec = INT64_MAX;
        if (i < n) {
            gen_record(i, gen_time(o, i), &p);
            sec = p.ts_ns / 1000000000LL;
        }
        if (sec != cur) {
            for (int k = 0; k < NVG_PROTO_COUNT; k++)
                if (pk[k])
                    fprintf(f, "%" PRId64 ",%s,%" PRIu64 ",%" PRIu64 "\n", cur, nvg_proto_name(k),
                            pk[k], by[k]);
            memset(pk, 0, sizeof(pk));
            memset(by, 0, sizeof(by));
            cur = sec;
        }
        if (i < n) {
            pk[p.proto]++;
            by[p.proto] += p.wire_len;
        }
    }
    return fclose(f);
}

/* ---- one sensor -------------------------------------------------------------------------- */

struct fake_sensor {
    const struct fake_opts *o;
    void *ctx;
    void *sock;
    char name[96];
    uint64_t boot_id;
    uint64_t seq;          /* last sequence number used */
    uint64_t sent_records; /* in batches actually sent */
    uint64_t skipped;      /* batches not sent on purpose */
    struct fake_flows *ff; /* conversation records */
    int result;
};

static void say(const struct fake_sensor *fs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct fake_sensor *fs, const char *fmt, ...)
{
    if (fs->o->quiet)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    printf("%s: %s\n", fs->name, line);
    fflush(stdout);
}

static int send_msg(struct fake_sensor *fs, Netvigil__SensorMessage *m)
{
    m->protocol_version = (uint32_t)fs->o->version;
    for (;;) {
        int rc = nvg_zmq_send_pb(fs->sock, &m->base, 0);
        if (rc != NVG_EAGAIN)
            return rc;
    }
}

static int send_raw(struct fake_sensor *fs, const void *data, size_t len, int flags)
{
    while (zmq_send(fs->sock, data, len, flags) < 0)
        if (zmq_errno() != EINTR && zmq_errno() != EAGAIN)
            return -1;
    return 0;
}

static void send_hello(struct fake_sensor *fs)
{
    Netvigil__Hello h = NETVIGIL__HELLO__INIT;
    h.sensor = fs->name;
    h.boot_id = fs->boot_id;
    h.mode = NETVIGIL__CAPTURE_MODE__CAPTURE_FILE;
    h.source = (char *)"generated";
    h.filter = (char *)"";
    h.software_version = (char *)"fake";
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_HELLO;
    m.hello = &h;
    send_msg(fs, &m);
}

static void send_status(struct fake_sensor *fs, Netvigil__SensorState state)
{
    Netvigil__SensorStatus st = NETVIGIL__SENSOR_STATUS__INIT;
    st.sensor = fs->name;
    st.boot_id = fs->boot_id;
    st.state = state;
    st.mode = NETVIGIL__CAPTURE_MODE__CAPTURE_FILE;
    st.source = (char *)"generated";
    st.filter = (char *)"udp or tcp";
    st.pcap_received = fs->sent_records + fs->o->kernel_drops;
    st.pcap_dropped = fs->o->kernel_drops;
    st.records_sent = fs->sent_records;
    st.records_dropped = fs->o->sensor_drops;
    st.last_seq = fs->seq;
    st.software_version = (char *)"fake";
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_STATUS;
    m.status = &st;
    send_msg(fs, &m);
}

/* A batch whose one record has a 5-byte source address: must be rejected whole. */
static void send_bad_addr_batch(struct fake_sensor *fs)
{
    static uint8_t five[5] = {1, 2, 3, 4, 5}, four[4] = {10, 0, 0, 1};
    Netvigil__PacketRecord r = NETVIGIL__PACKET_RECORD__INIT, *rp = &r;
    r.time_ns = fs->o->start_s * 1000000000LL;
    r.ip_version = 4;
    r.src.data = five, r.src.len = 5;
    r.dst.data = four, r.dst.len = 4;
    r.proto = NETVIGIL__PROTOCOL__PROTOCOL_UDP;
    r.wire_len = r.cap_len = 60;
    Netvigil__Batch b = NETVIGIL__BATCH__INIT;
    b.sensor = fs->name;
    b.boot_id = fs->boot_id;
    b.seq = ++fs->seq;
    b.n_records = 1;
    b.records = &rp;
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_BATCH;
    m.batch = &b;
    send_msg(fs, &m);
}

/* A real batch cut in half: protobuf-c must refuse it. */
static void send_truncated(struct fake_sensor *fs, struct nvg_batch_encoder *enc)
{
    struct nvg_pkt p;
    for (int i = 0; i < 16; i++) {
        gen_record((uint64_t)i, gen_time(fs->o, (uint64_t)i), &p);
        nvg_batch_encoder_add(enc, &p);
    }
    const uint8_t *buf;
    size_t len;
    nvg_batch_encoder_pack(enc, 999999, &buf, &len);
    send_raw(fs, buf, len / 2, 0);
}

static void flush_batch(struct fake_sensor *fs, struct nvg_batch_encoder *enc);
static void send_hostile(struct fake_sensor *fs, struct nvg_batch_encoder *enc)
{
    const struct fake_opts *o = fs->o;
    uint8_t junk[256];
    unsigned seed = 12345;
    for (int g = 0; g < o->garbage; g++) {
        size_t len = 1 + (size_t)(rand_r(&seed) % (int)sizeof(junk));
        for (size_t i = 0; i < len; i++)
            junk[i] = (uint8_t)rand_r(&seed);
        send_raw(fs, junk, len, 0);
    }
    for (int t = 0; t < o->truncated; t++)
        send_truncated(fs, enc);
    for (int b = 0; b < o->bad_addr; b++)
        send_bad_addr_batch(fs);
    for (int u = 0; u < o->unknown; u++) {
        Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
        send_msg(fs, &m);
    }
    for (int x = 0; x < o->extra_frames; x++) {
        send_raw(fs, "a", 1, ZMQ_SNDMORE);
        send_raw(fs, "b", 1, 0);
    }
    fake_flows_hostile(fs->ff, enc);
    flush_batch(fs, enc);
    say(fs, "sent %d garbage, %d truncated, %d bad-address, %d unknown, %d multi-frame", o->garbage,
        o->truncated, o->bad_addr, o->unknown, o->extra_frames);
}

/* 100 MB in one frame: above ZMQ_MAXMSGSIZE, libzmq drops the connection. */
static void send_huge(struct fake_sensor *fs)
{
    size_t len = 100u << 20;
    uint8_t *big = calloc(1, len);
    if (!big)
        return;
    send_raw(fs, big, len, 0);
    free(big);
    say(fs, "sent a 100 MB message");
}

static bool is_skipped(const struct fake_opts *o, uint64_t seq)
{
    for (int i = 0; i < o->n_skip; i++)
        if (o->skip[i] == seq)
            return true;
    return false;
}

static void pace(const struct fake_opts *o, int64_t t0_ns, uint64_t done)
{
    if (o->rate <= 0)
        return;
    double due = (double)done / o->rate;
    double el = (double)(nvg_clock_mono_ns() - t0_ns) / 1e9;
    if (due > el) {
        double d = due - el;
        struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void flush_batch(struct fake_sensor *fs, struct nvg_batch_encoder *enc)
{
    size_t n = nvg_batch_encoder_count(enc);
    if (fake_flows_take(fs->ff, enc) == 0 && n == 0)
        return;
    fs->seq++;
    const uint8_t *buf;
    size_t len;
    nvg_batch_encoder_pack(enc, fs->seq, &buf, &len);
    fake_flows_done(fs->ff, !is_skipped(fs->o, fs->seq));
    if (is_skipped(fs->o, fs->seq)) {
        fs->skipped++;
        return;
    }
    send_raw(fs, buf, len, 0);
    fs->sent_records += n;
}

static void flush_cb(void *fs, struct nvg_batch_encoder *enc)
{
    flush_batch(fs, enc);
}

static void send_stream(struct fake_sensor *fs, struct nvg_batch_encoder *enc)
{
    const struct fake_opts *o = fs->o;
    uint64_t n = total_records(o);
    int64_t t0_ns = nvg_clock_mono_ns();
    struct nvg_pkt p;
    for (uint64_t i = 0; i < n; i++) {
        gen_record(i, gen_time(o, i), &p);
        size_t held = nvg_batch_encoder_add(enc, &p);
        fake_flows_due(fs->ff, enc, i + 1, n, flush_cb, fs);
        if (held >= o->batch || nvg_batch_encoder_full(enc)) {
            flush_batch(fs, enc);
            pace(o, t0_ns, i + 1);
        }
    }
    fake_flows_due(fs->ff, enc, n, n, flush_cb, fs);
    flush_batch(fs, enc);
}

/* Wait for the collector's answer to the end of stream (or to a wrong version). */
static Netvigil__CollectorMessage *recv_reply(struct fake_sensor *fs, int timeout_ms)
{
    zmq_pollitem_t it = {.socket = fs->sock, .events = ZMQ_POLLIN};
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    Netvigil__CollectorMessage *cm = NULL;
    if (zmq_msg_recv(&m, fs->sock, 0) >= 0)
        cm = netvigil__collector_message__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return cm;
}

static int end_of_stream(struct fake_sensor *fs)
{
    Netvigil__EndOfStream eos = NETVIGIL__END_OF_STREAM__INIT;
    eos.boot_id = fs->boot_id;
    eos.last_seq = fs->seq;
    eos.records = fs->sent_records;
    eos.flows = fake_flows_sent(fs->ff);
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_END_OF_STREAM;
    m.end_of_stream = &eos;
    send_msg(fs, &m);
    /* Refusals of hostile frames sent earlier may still be queued ahead of the ack. */
    Netvigil__CollectorMessage *cm;
    while ((cm = recv_reply(fs, fs->o->timeout_ms)) &&
           cm->body_case != NETVIGIL__COLLECTOR_MESSAGE__BODY_END_OF_STREAM_ACK)
        netvigil__collector_message__free_unpacked(cm, NULL);
    if (!cm) {
        say(fs, "no end-of-stream ack within %d ms", fs->o->timeout_ms);
        return 1;
    }
    const Netvigil__EndOfStreamAck *a = cm->end_of_stream_ack;
    say(fs,
        "ack records_received=%" PRIu64 " batches_lost=%" PRIu64 " write_failures=%" PRIu64
        " sent=%" PRIu64 " skipped=%" PRIu64,
        a->records_received, a->batches_lost, a->write_failures, fs->sent_records, fs->skipped);
    char line[256];
    bool flows_ok = fake_flows_ack_ok(fs->ff, a, line, sizeof(line));
    say(fs, "%s", line);
    int rc = a->records_received == fs->sent_records && a->batches_lost == fs->skipped && flows_ok
                 ? 0
                 : 1;
    if (fs->o->no_check)
        rc = 0;
    netvigil__collector_message__free_unpacked(cm, NULL);
    return rc;
}

static int expect_refused(struct fake_sensor *fs)
{
    Netvigil__CollectorMessage *cm = recv_reply(fs, fs->o->timeout_ms);
    int rc = 1;
    if (cm && cm->body_case == NETVIGIL__COLLECTOR_MESSAGE__BODY_REFUSED) {
        say(fs, "refused: supported_version=%u reason=%s", cm->refused->supported_version,
            cm->refused->reason);
        rc = 0;
    } else {
        say(fs, "expected Refused, got %s", cm ? "another message" : "nothing");
    }
    if (cm)
        netvigil__collector_message__free_unpacked(cm, NULL);
    return rc;
}

static void hold(struct fake_sensor *fs)
{
    for (double left = fs->o->hold_s; left > 0; left -= 1.0) {
        send_status(fs, NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING);
        usleep(left >= 1.0 ? 1000000 : (useconds_t)(left * 1e6));
    }
}

static void *sensor_main(void *arg)
{
    struct fake_sensor *fs = arg;
    const struct fake_opts *o = fs->o;
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.sndhwm = 1000, .rcvhwm = 100, .linger_ms = 5000};
    fs->result = 1;
    fs->seq = o->seq_start - 1;
    fs->sock = nvg_zmq_socket(fs->ctx, ZMQ_DEALER, &so, err);
    struct nvg_batch_encoder *enc =
        nvg_batch_encoder_new_ex(fs->name, fs->boot_id, o->batch, 1u << 20);
    fs->ff = fake_flows_new(&o->flows, o->start_s * 1000000000LL);
    if (!fs->sock || !enc || !fs->ff || nvg_zmq_connect(fs->sock, o->endpoint) != 0) {
        fprintf(stderr, "%s: cannot set up: %s\n", fs->name, fs->sock ? o->endpoint : err);
        goto out;
    }
    send_hello(fs);
    if (o->version != (int)NVG_PROTOCOL_VERSION) {
        fs->result = expect_refused(fs);
        goto out;
    }
    send_hostile(fs, enc);
    send_stream(fs, enc);
    say(fs, "sent %" PRIu64 " records in %" PRIu64 " batches (last seq %" PRIu64 ")",
        fs->sent_records, fs->seq - (o->seq_start - 1) - fs->skipped, fs->seq);
    if (o->status)
        send_status(fs, NETVIGIL__SENSOR_STATE__SENSOR_STATE_FINISHED);
    hold(fs);
    fs->result = o->eos ? end_of_stream(fs) : 0;
    if (o->huge)
        send_huge(fs);
out:
    nvg_batch_encoder_free(enc);
    fake_flows_free(fs->ff);
    if (fs->sock)
        zmq_close(fs->sock);
    return NULL;
}

/* ---- options ----------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: nvg-fake-sensor [OPTION]...\n"
            "  --endpoint EP        collector sensor endpoint (tcp://127.0.0.1:7700)\n"
            "  --name NAME          sensor name (fake); with --parallel N: NAME-1..NAME-N\n"
            "  --boot-id N          boot id (random)\n"
            "  --records N          records to send (10000)\n"
            "  --batch N            records per batch (1024)\n"
            "  --start-time SEC     capture time of the first record (1700000000)\n"
            "  --pps N              records per second of capture time (1000)\n"
            "  --per-second LIST    exact records per capture second, e.g. 1000,2500,7\n"
            "  --expected-rates F   write the expected rates (sec,proto,packets,bytes) to F\n"
            "  --seq-start N        first sequence number (1)\n"
            "  --skip-seq N         do not send batch N (repeatable)\n"
            "  --garbage N --truncated N --bad-addr N --unknown N --extra-frames N\n"
            "                       hostile messages to send before the stream\n"
            "  --huge               finally send a 100 MB message\n"
            "  --version V          protocol version to speak (expects Refused if not ours)\n"
            "  --status             send a SensorStatus after the stream\n"
            "  --kernel-drops N --sensor-drops N   counters to report in it\n"
            "  --eos                end of stream; exit 0 only if the ack counts what was sent\n"
            "  --parallel N         N sensors at once (threads)\n"
            "  --rate R             records per wall-clock second (0 = as fast as possible)\n"
            "  --hold SEC           stay connected, a status per second, before the end\n"
            "  --timeout-ms N       wait this long for an ack (10000)\n"
            "  --no-check           print the ack but exit 0 whatever it counted\n"
            "  --syn-flood          the stream is a SYN flood from random sources to one host\n"
            "  --flows N            N conversation records spread over the batches\n"
            "  --bad-flows N        a batch of N hostile ones first (refused, counted)\n"
            "  --quiet\n");
}

static int parse_list(const char *s, uint32_t *out, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *end;
        out[n++] = (uint32_t)strtoul(s, &end, 10);
        if (end == s)
            return -1;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* The options that say who the sensor is and which records it sends: 1 when c is one of them,
 * -1 for a bad --per-second list, 0 for any other option. */
static int stream_opt(struct fake_opts *o, int c)
{
    switch (c) {
    case 'e':
        o->endpoint = optarg;
        break;
    case 'n':
        o->name = optarg;
        break;
    case 'b':
        o->boot_id = strtoull(optarg, NULL, 0);
        break;
    case 'r':
        o->records = strtoull(optarg, NULL, 10);
        break;
    case 'B':
        o->batch = strtoul(optarg, NULL, 10);
        break;
    case 't':
        o->start_s = strtoll(optarg, NULL, 10);
        break;
    case 'p':
        o->pps = strtoull(optarg, NULL, 10);
        break;
    case 'P':
        o->n_per_second = parse_list(optarg, o->per_second, MAX_SECONDS);
        return o->n_per_second < 0 ? -1 : 1;
    case 'X':
        o->expected_rates = optarg;
        break;
    case 's':
        o->seq_start = strtoull(optarg, NULL, 10);
        break;
    default:
        return 0;
    }
    return 1;
}

/* The options that make it misbehave: 1 when c is one of them, 0 otherwise. */
static int fault_opt(struct fake_opts *o, int c)
{
    switch (c) {
    case 'k':
        if (o->n_skip < MAX_SKIP)
            o->skip[o->n_skip++] = strtoull(optarg, NULL, 10);
        break;
    case 'g':
        o->garbage = atoi(optarg);
        break;
    case 'T':
        o->truncated = atoi(optarg);
        break;
    case 'a':
        o->bad_addr = atoi(optarg);
        break;
    case 'u':
        o->unknown = atoi(optarg);
        break;
    case 'x':
        o->extra_frames = atoi(optarg);
        break;
    case 'H':
        o->huge = true;
        break;
    case 'v':
        o->version = atoi(optarg);
        break;
    default:
        return 0;
    }
    return 1;
}

/* The options for the status it reports, the end of the stream and how it runs: 1 when c is one
 * of them, 0 otherwise. */
static int run_opt(struct fake_opts *o, int c)
{
    switch (c) {
    case 'S':
        o->status = true;
        break;
    case 'K':
        o->kernel_drops = strtoull(optarg, NULL, 10);
        break;
    case 'D':
        o->sensor_drops = strtoull(optarg, NULL, 10);
        break;
    case 'E':
        o->eos = true;
        break;
    case 'j':
        o->parallel = atoi(optarg);
        break;
    case 'R':
        o->rate = atof(optarg);
        break;
    case 'h':
        o->hold_s = atof(optarg);
        break;
    case 'w':
        o->timeout_ms = atoi(optarg);
        break;
    case 'q':
        o->quiet = true;
        break;
    case 'F':
        syn_flood = true;
        break;
    case 'N':
        o->no_check = true;
        break;
    default:
        return 0;
    }
    return 1;
}

static int parse_opts(struct fake_opts *o, int argc, char **argv)
{
    static const struct option lo[] = {
        {"endpoint", 1, 0, 'e'},     {"name", 1, 0, 'n'},         {"boot-id", 1, 0, 'b'},
        {"records", 1, 0, 'r'},      {"batch", 1, 0, 'B'},        {"start-time", 1, 0, 't'},
        {"pps", 1, 0, 'p'},          {"per-second", 1, 0, 'P'},   {"expected-rates", 1, 0, 'X'},
        {"seq-start", 1, 0, 's'},    {"skip-seq", 1, 0, 'k'},     {"garbage", 1, 0, 'g'},
        {"truncated", 1, 0, 'T'},    {"bad-addr", 1, 0, 'a'},     {"unknown", 1, 0, 'u'},
        {"extra-frames", 1, 0, 'x'}, {"huge", 0, 0, 'H'},         {"version", 1, 0, 'v'},
        {"status", 0, 0, 'S'},       {"kernel-drops", 1, 0, 'K'}, {"sensor-drops", 1, 0, 'D'},
        {"eos", 0, 0, 'E'},          {"parallel", 1, 0, 'j'},     {"rate", 1, 0, 'R'},
        {"hold", 1, 0, 'h'},         {"timeout-ms", 1, 0, 'w'},   {"quiet", 0, 0, 'q'},
        {"no-check", 0, 0, 'N'},     {"help", 0, 0, '?'},         {"syn-flood", 0, 0, 'F'},
        {"flows", 1, 0, 'L'},        {"bad-flows", 1, 0, 'W'},    {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int r = stream_opt(o, c);
        if (r == 0)
            r = fault_opt(o, c);
        if (r == 0)
            r = run_opt(o, c);
        if (r == 0)
            r = fake_flows_opt(&o->flows, c, optarg);
        if (r == 0)
            usage(c == '?' && optopt == 0 ? stdout : stderr);
        if (r <= 0)
            return -1;
    }
    if (o->batch == 0 || o->batch > 65536 || o->seq_start == 0 || o->parallel < 1 ||
        o->parallel > 1000) {
        fprintf(stderr, "nvg-fake-sensor: bad --batch, --seq-start or --parallel\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct fake_opts o = {
        .endpoint = "tcp://127.0.0.1:7700",
        .name = "fake",
        .records = 10000,
        .batch = 1024,
        .start_s = 1700000000,
        .pps = 1000,
        .seq_start = 1,
        .version = NVG_PROTOCOL_VERSION,
        .parallel = 1,
        .timeout_ms = 10000,
    };
    if (parse_opts(&o, argc, argv) < 0)
        return 2;
    if (o.boot_id == 0) {
        o.boot_id = (uint64_t)nvg_clock_wall_ns() ^ ((uint64_t)getpid() << 16);
    }
    if (o.expected_rates && write_expected_rates(&o) != 0) {
        perror(o.expected_rates);
        return 1;
    }
    void *ctx = zmq_ctx_new();
    struct fake_sensor *fs = calloc((size_t)o.parallel, sizeof(*fs));
    pthread_t *th = calloc((size_t)o.parallel, sizeof(*th));
    if (!ctx || !fs || !th)
        return 1;
    for (int i = 0; i < o.parallel; i++) {
        fs[i].o = &o;
        fs[i].ctx = ctx;
        fs[i].boot_id = o.boot_id + (uint64_t)i;
        if (o.parallel == 1)
            snprintf(fs[i].name, sizeof(fs[i].name), "%s", o.name);
        else
            snprintf(fs[i].name, sizeof(fs[i].name), "%s-%d", o.name, i + 1);
        pthread_create(&th[i], NULL, sensor_main, &fs[i]);
    }
    int rc = 0;
    for (int i = 0; i < o.parallel; i++) {
        pthread_join(th[i], NULL);
        rc |= fs[i].result;
    }
    free(fs);
    free(th);
    zmq_ctx_term(ctx);
    return rc;
}
