/* nvg-fleet: a fleet of simulated live sensors in one process and one thread, for the fleet
 * benchmark (tests/bench/bench-fleet.sh, issue 14). Each sensor has its own name, boot id,
 * sequence and DEALER socket, says Hello as a live sensor, and sends batches of records at a
 * set rate, closed by size or every --batch-ms like the real sensor's link. A record's capture
 * time is the wall clock when it is made, so a reader of the collector's CSV sees the whole
 * delay from capture to row. Like a live sensor, a batch that finds its socket full is
 * dropped and counted (it takes no sequence number). At the end every sensor sends its
 * EndOfStream and the collector's acks are gathered: received, lost.
 *
 * The records are what a monitored host sees: a few hundred local hosts talking to a few
 * thousand remote ones, mostly TCP with some UDP (DNS, QUIC) and ICMP, IPv4 and IPv6, frame
 * lengths from ACK-sized to full. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "netvigil.pb-c.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

struct fleet_opts {
    const char *endpoint, *prefix;
    int sensors, seconds, batch_ms, batch_max, ack_timeout_s;
    double rate;
};

struct sim {
    char name[64];
    uint64_t boot_id, seq, rng;
    void *sock;
    struct nvg_batch_encoder *enc;
    uint64_t made, sent, dropped, dropped_batches;
    int64_t batch_open_ms;
    bool acked;
    uint64_t ack_received, ack_lost, ack_failures;
};

static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void make_record(struct sim *s, int sensor_no, int64_t ts_ns, struct nvg_pkt *p)
{
    uint64_t r = next_rand(&s->rng);
    memset(p, 0, sizeof(*p));
    p->ts_ns = ts_ns;
    unsigned local = (unsigned)(r % 300), remote = (unsigned)(r >> 16) % 4000;
    bool out = r >> 40 & 1, v6 = (r >> 41) % 8 == 0;
    uint8_t *mine = out ? p->src : p->dst, *theirs = out ? p->dst : p->src;
    if (v6) {
        p->ip_version = 6;
        memcpy(mine, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, (uint8_t)sensor_no, 1}, 6);
        mine[14] = (uint8_t)(local >> 8), mine[15] = (uint8_t)local;
        memcpy(theirs, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0xfe, 0xed}, 6);
        theirs[14] = (uint8_t)(remote >> 8), theirs[15] = (uint8_t)remote;
    } else {
        p->ip_version = 4;
        memcpy(mine, (uint8_t[]){10, (uint8_t)sensor_no, (uint8_t)(local >> 8), (uint8_t)local}, 4);
        memcpy(theirs, (uint8_t[]){198, 51, (uint8_t)(remote >> 8), (uint8_t)remote}, 4);
    }
    p->ttl = out ? 64 : (uint8_t)(40 + r % 20);
    p->flags = NVG_PKT_HAS_TTL | NVG_PKT_HAS_PORTS;
    uint16_t eph = (uint16_t)(32768 + (r >> 24) % 28000);
    unsigned kind = (unsigned)(r >> 48) % 20;
    uint16_t svc = kind < 13 ? 443 : kind < 15 ? 80 : kind < 17 ? 53 : kind < 19 ? 443 : 0;
    p->sport = out ? eph : svc;
    p->dport = out ? svc : eph;
    if (kind < 15) {
        p->proto = NVG_PROTO_TCP, p->ip_proto = 6;
        p->tcp_flags = (r >> 56) % 16 ? NVG_TCP_ACK | NVG_TCP_PSH : NVG_TCP_SYN;
        p->flags |= NVG_PKT_HAS_TCPFLAGS;
    } else if (kind < 19) {
        p->proto = NVG_PROTO_UDP, p->ip_proto = 17;
    } else {
        p->proto = v6 ? NVG_PROTO_ICMPV6 : NVG_PROTO_ICMP, p->ip_proto = v6 ? 58 : 1;
        p->flags = NVG_PKT_HAS_TTL | NVG_PKT_HAS_ICMP;
        p->sport = p->dport = 0;
        p->icmp_type = v6 ? 128 : 8;
    }
    p->wire_len = (r >> 8) % 3 ? (uint32_t)(54 + (r >> 32) % 1460) : 66;
    p->cap_len = p->wire_len < 96 ? p->wire_len : 96;
}

static int send_pb(struct sim *s, Netvigil__SensorMessage *m)
{
    m->protocol_version = NVG_PROTOCOL_VERSION;
    return nvg_zmq_send_pb(s->sock, &m->base, 0);
}

static void send_hello(struct sim *s)
{
    Netvigil__Hello h = NETVIGIL__HELLO__INIT;
    h.sensor = s->name;
    h.boot_id = s->boot_id;
    h.mode = NETVIGIL__CAPTURE_MODE__CAPTURE_LIVE;
    h.source = (char *)"simulated";
    h.filter = (char *)"";
    h.software_version = (char *)"fleet";
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_HELLO;
    m.hello = &h;
    send_pb(s, &m);
}

/* The batch as it stands, without waiting: a full socket drops it, as a live sensor does. */
static void send_batch(struct sim *s, int64_t now_ms)
{
    size_t n = nvg_batch_encoder_count(s->enc);
    s->batch_open_ms = now_ms;
    if (n == 0)
        return;
    const uint8_t *out;
    size_t len;
    nvg_batch_encoder_pack(s->enc, s->seq + 1, &out, &len);
    if (zmq_send(s->sock, out, len, ZMQ_DONTWAIT) < 0) {
        s->dropped += n;
        s->dropped_batches++;
        return;
    }
    s->seq++;
    s->sent += n;
}

static void run_sensor(struct sim *s, int no, const struct fleet_opts *o, int64_t elapsed_ms,
                       int64_t now_ms)
{
    uint64_t due = (uint64_t)(o->rate * (double)elapsed_ms / 1000.0);
    int64_t ts = nvg_clock_wall_ns();
    while (s->made < due) {
        struct nvg_pkt p;
        make_record(s, no, ts, &p);
        nvg_batch_encoder_add(s->enc, &p);
        s->made++;
        if (nvg_batch_encoder_full(s->enc))
            send_batch(s, now_ms);
    }
    if (now_ms - s->batch_open_ms >= o->batch_ms)
        send_batch(s, now_ms);
}

static void send_eos(struct sim *s)
{
    Netvigil__EndOfStream eos = NETVIGIL__END_OF_STREAM__INIT;
    eos.boot_id = s->boot_id;
    eos.last_seq = s->seq;
    eos.records = s->sent;
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_END_OF_STREAM;
    m.end_of_stream = &eos;
    send_pb(s, &m);
}

static void take_ack(struct sim *s)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, s->sock, ZMQ_DONTWAIT) >= 0) {
        Netvigil__CollectorMessage *cm =
            netvigil__collector_message__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
        if (cm && cm->body_case == NETVIGIL__COLLECTOR_MESSAGE__BODY_END_OF_STREAM_ACK &&
            cm->end_of_stream_ack->boot_id == s->boot_id) {
            s->acked = true;
            s->ack_received = cm->end_of_stream_ack->records_received;
            s->ack_lost = cm->end_of_stream_ack->batches_lost;
            s->ack_failures = cm->end_of_stream_ack->write_failures;
        }
        if (cm)
            netvigil__collector_message__free_unpacked(cm, NULL);
    }
    zmq_msg_close(&msg);
}

/* Every sensor's EndOfStream, then the acks until all came or the timeout: how many came. */
static int gather_acks(struct sim *v, const struct fleet_opts *o)
{
    for (int i = 0; i < o->sensors; i++)
        send_eos(&v[i]);
    int64_t end = nvg_clock_mono_ms() + (int64_t)o->ack_timeout_s * 1000;
    int acked = 0;
    while (acked < o->sensors && nvg_clock_mono_ms() < end) {
        acked = 0;
        for (int i = 0; i < o->sensors; i++) {
            if (!v[i].acked)
                take_ack(&v[i]);
            acked += v[i].acked;
        }
        nanosleep(&(struct timespec){0, 20 * 1000000}, NULL);
    }
    return acked;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: nvg-fleet [OPTION]...\n"
                 "  --endpoint EP      the collector's sensor endpoint (tcp://127.0.0.1:7700)\n"
                 "  --sensors N        simulated sensors, one DEALER socket each (50)\n"
                 "  --rate R           records per second per sensor (5000)\n"
                 "  --seconds S        how long they send (60)\n"
                 "  --batch-ms MS      a batch closes after this long (100), or when full\n"
                 "  --batch N          records per batch at most (1024)\n"
                 "  --prefix NAME      sensor names NAME-1 .. NAME-N (fleet)\n"
                 "  --ack-timeout S    wait this long for the end-of-stream acks (60)\n");
}

static int parse_opts(struct fleet_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"sensors", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},     {"seconds", required_argument, NULL, 's'},
        {"batch-ms", required_argument, NULL, 'm'}, {"batch", required_argument, NULL, 'b'},
        {"prefix", required_argument, NULL, 'p'},   {"ack-timeout", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'e')
            o->endpoint = optarg;
        else if (c == 'n')
            o->sensors = atoi(optarg);
        else if (c == 'r')
            o->rate = atof(optarg);
        else if (c == 's')
            o->seconds = atoi(optarg);
        else if (c == 'm')
            o->batch_ms = atoi(optarg);
        else if (c == 'b')
            o->batch_max = atoi(optarg);
        else if (c == 'p')
            o->prefix = optarg;
        else if (c == 'a')
            o->ack_timeout_s = atoi(optarg);
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 1 : -1;
        }
    }
    if (o->sensors < 1 || o->sensors > 10000 || o->rate <= 0 || o->seconds < 1 || o->batch_ms < 1 ||
        o->batch_max < 1 || (unsigned)o->batch_max > NVG_BATCH_MAX_RECORDS) {
        fprintf(stderr,
                "nvg-fleet: --sensors 1..10000, --rate > 0, --seconds >= 1, --batch-ms "
                ">= 1, --batch 1..%d\n",
                NVG_BATCH_MAX_RECORDS);
        return -1;
    }
    return 0;
}

static int open_sensors(struct sim *v, const struct fleet_opts *o, void *ctx)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.sndhwm = 100, .rcvhwm = 100, .linger_ms = 2000};
    uint64_t seed = (uint64_t)nvg_clock_wall_ns();
    for (int i = 0; i < o->sensors; i++) {
        struct sim *s = &v[i];
        snprintf(s->name, sizeof(s->name), "%s-%d", o->prefix, i + 1);
        s->boot_id = next_rand(&seed) | 1;
        s->rng = next_rand(&seed);
        s->sock = nvg_zmq_socket(ctx, ZMQ_DEALER, &so, err);
        s->enc = nvg_batch_encoder_new(s->name, s->boot_id, (size_t)o->batch_max);
        if (!s->sock || !s->enc || nvg_zmq_connect(s->sock, o->endpoint) != 0) {
            fprintf(stderr, "nvg-fleet: sensor %s: cannot set up: %s\n", s->name,
                    s->sock ? o->endpoint : err);
            return -1;
        }
        send_hello(s);
    }
    return 0;
}

static void report(const struct sim *v, const struct fleet_opts *o, int acked, double secs)
{
    uint64_t sent = 0, dropped = 0, dropped_batches = 0, received = 0, lost = 0, failures = 0;
    for (int i = 0; i < o->sensors; i++) {
        sent += v[i].sent, dropped += v[i].dropped, dropped_batches += v[i].dropped_batches;
        received += v[i].ack_received, lost += v[i].ack_lost, failures += v[i].ack_failures;
    }
    printf("fleet: sensors=%d seconds=%.1f sent=%" PRIu64 " rate=%.0f dropped_by_simulator=%" PRIu64
           " dropped_batches=%" PRIu64 " acked=%d received=%" PRIu64 " batches_lost=%" PRIu64
           " write_failures=%" PRIu64 "\n",
           o->sensors, secs, sent, (double)sent / secs, dropped, dropped_batches, acked, received,
           lost, failures);
}

int main(int argc, char **argv)
{
    struct fleet_opts o = {.endpoint = "tcp://127.0.0.1:7700",
                           .prefix = "fleet",
                           .sensors = 50,
                           .rate = 5000,
                           .seconds = 60,
                           .batch_ms = 100,
                           .batch_max = 1024,
                           .ack_timeout_s = 60};
    int rc = parse_opts(&o, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    void *ctx = zmq_ctx_new();
    struct sim *v = calloc((size_t)o.sensors, sizeof(*v));
    if (!ctx || !v || open_sensors(v, &o, ctx) < 0)
        return 1;
    int64_t t0 = nvg_clock_mono_ms(), end = t0 + (int64_t)o.seconds * 1000;
    for (int64_t now = t0; now < end; now = nvg_clock_mono_ms()) {
        for (int i = 0; i < o.sensors; i++)
            run_sensor(&v[i], i + 1, &o, now - t0, now);
        nanosleep(&(struct timespec){0, 2 * 1000000}, NULL);
    }
    for (int i = 0; i < o.sensors; i++)
        send_batch(&v[i], end);
    double secs = (double)(nvg_clock_mono_ms() - t0) / 1000.0;
    int acked = gather_acks(v, &o);
    report(v, &o, acked, secs);
    for (int i = 0; i < o.sensors; i++) {
        nvg_batch_encoder_free(v[i].enc);
        zmq_close(v[i].sock);
    }
    free(v);
    zmq_ctx_term(ctx);
    return acked == o.sensors ? 0 : 1;
}
