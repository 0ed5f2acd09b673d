/* The sensor link (sensor/link.c) against a test ROUTER on an ephemeral loopback port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>
#include <zmq.h>

#include "link.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static void *ctx;

/* Nobody listens on port 1 (a listener we close ourselves would linger: zmq_close is
 * asynchronous). */
#define DEAD_ENDPOINT "tcp://127.0.0.1:1"

/* ---- a test collector --------------------------------------------------------------------- */

struct peer {
    void *sock;
    char ep[128];
    uint8_t rid[256];
    size_t rid_len;
};

static void peer_bind(struct peer *p, const char *where, int rcvhwm)
{
    memset(p, 0, sizeof(*p));
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.rcvhwm = rcvhwm, .linger_ms = 0};
    p->sock = nvg_zmq_socket(ctx, ZMQ_ROUTER, &so, err);
    assert_non_null(p->sock);
    if (rcvhwm > 0) {
        int buf = 64 * 1024;
        zmq_setsockopt(p->sock, ZMQ_RCVBUF, &buf, sizeof(buf));
    }
    assert_int_equal(zmq_bind(p->sock, where ? where : "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof(p->ep);
    assert_int_equal(zmq_getsockopt(p->sock, ZMQ_LAST_ENDPOINT, p->ep, &len), 0);
}

static void peer_close(struct peer *p)
{
    zmq_close(p->sock);
    p->sock = NULL;
}

/* One SensorMessage within ms, ticking link (if any) meanwhile; NULL on timeout. */
static Netvigil__SensorMessage *peer_recv(struct peer *p, struct nvg_link *link, int ms)
{
    int64_t deadline = nvg_clock_mono_ns() + (int64_t)ms * 1000000;
    while (nvg_clock_mono_ns() < deadline) {
        zmq_pollitem_t it = {.socket = p->sock, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, 5) == 1) {
            int n = zmq_recv(p->sock, p->rid, sizeof(p->rid), 0);
            assert_true(n > 0);
            p->rid_len = (size_t)n;
            zmq_msg_t body;
            zmq_msg_init(&body);
            assert_true(zmq_msg_recv(&body, p->sock, 0) >= 0);
            Netvigil__SensorMessage *m =
                netvigil__sensor_message__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
            zmq_msg_close(&body);
            assert_non_null(m);
            assert_int_equal(m->protocol_version, NVG_PROTOCOL_VERSION);
            return m;
        }
        if (link)
            nvg_link_tick(link, 0);
    }
    return NULL;
}

/* The next message with body_case, skipping others (Hello, heartbeats). */
static Netvigil__SensorMessage *peer_expect(struct peer *p, struct nvg_link *link, int body_case,
                                            int ms)
{
    int64_t deadline = nvg_clock_mono_ns() + (int64_t)ms * 1000000;
    for (;;) {
        int left = (int)((deadline - nvg_clock_mono_ns()) / 1000000);
        Netvigil__SensorMessage *m = left > 0 ? peer_recv(p, link, left) : NULL;
        if (!m || (int)m->body_case == body_case)
            return m;
        netvigil__sensor_message__free_unpacked(m, NULL);
    }
}

static void peer_send(struct peer *p, const Netvigil__CollectorMessage *m)
{
    assert_true(p->rid_len > 0);
    assert_int_equal(zmq_send(p->sock, p->rid, p->rid_len, ZMQ_SNDMORE), (int)p->rid_len);
    assert_int_equal(nvg_zmq_send_pb(p->sock, &m->base, 0), 0);
}

static void make_pkt(struct nvg_pkt *p, int i)
{
    memset(p, 0, sizeof(*p));
    p->ts_ns = 1000000000LL * 1700000000 + i;
    p->ip_version = 4;
    p->src[0] = 10, p->src[3] = (uint8_t)i;
    p->dst[0] = 192, p->dst[1] = 168;
    p->proto = NVG_PROTO_UDP;
    p->ip_proto = 17;
    p->sport = 53;
    p->dport = (uint16_t)i;
    p->flags = NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TTL;
    p->ttl = 64;
    p->wire_len = p->cap_len = 200;
    p->payload_kind = NVG_PAYLOAD_RAW;
    p->payload_len = NVG_PAYLOAD_MAX;
    memset(p->payload, 0x42, NVG_PAYLOAD_MAX);
}

static struct nvg_link *link_open(const char *ep, enum nvg_link_mode mode,
                                  const struct nvg_link_opts *opts)
{
    struct nvg_link_info info = {.sensor = "s1",
                                 .boot_id = 4242,
                                 .mode = mode,
                                 .source = "eth9",
                                 .filter = "ip",
                                 .version = "9.9.9"};
    char err[NVG_ERRBUF_SIZE];
    struct nvg_link *link = nvg_link_new(ctx, ep, &info, opts, err);
    if (!link)
        fail_msg("nvg_link_new: %s", err);
    return link;
}

/* ---- the link ----------------------------------------------------------------------------- */

static void test_batches_consecutive_seq(void **state)
{
    (void)state;
    struct peer p;
    peer_bind(&p, NULL, 0);
    struct nvg_link_opts o = {.batch_max = 16, .batch_ms = 10000, .heartbeat_ms = 100000};
    struct nvg_link *link = link_open(p.ep, NVG_LINK_FILE, &o);

    Netvigil__SensorMessage *m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_HELLO, 3000);
    assert_non_null(m);
    assert_string_equal(m->hello->sensor, "s1");
    assert_int_equal(m->hello->boot_id, 4242);
    assert_int_equal(m->hello->mode, NETVIGIL__CAPTURE_MODE__CAPTURE_FILE);
    assert_string_equal(m->hello->source, "eth9");
    assert_string_equal(m->hello->filter, "ip");
    assert_string_equal(m->hello->software_version, "9.9.9");
    netvigil__sensor_message__free_unpacked(m, NULL);

    for (int i = 0; i < 83; i++) {
        struct nvg_pkt pkt;
        make_pkt(&pkt, i);
        assert_int_equal(nvg_link_add(link, &pkt), 0);
    }
    assert_int_equal(nvg_link_flush(link), 0);
    assert_int_equal(nvg_link_flush(link), 0); /* empty: nothing sent */
    int rec = 0;
    for (uint64_t seq = 1; seq <= 6; seq++) {
        m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH, 3000);
        assert_non_null(m);
        assert_int_equal(m->batch->seq, seq);
        assert_string_equal(m->batch->sensor, "s1");
        assert_int_equal(m->batch->boot_id, 4242);
        assert_int_equal(m->batch->n_records, seq < 6 ? 16 : 3);
        for (size_t i = 0; i < m->batch->n_records; i++, rec++) {
            struct nvg_pkt want, got;
            make_pkt(&want, rec);
            assert_int_equal(nvg_wire_record_from_pb(m->batch->records[i], &got), 0);
            assert_memory_equal(&want, &got, sizeof(got));
        }
        netvigil__sensor_message__free_unpacked(m, NULL);
    }
    assert_null(peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH, 100));
    struct nvg_link_stats st;
    nvg_link_get_stats(link, &st);
    assert_int_equal(st.batches_sent, 6);
    assert_int_equal(st.records_sent, 83);
    assert_int_equal(st.last_seq, 6);
    assert_int_equal(st.batches_dropped, 0);
    nvg_link_free(link);
    peer_close(&p);
}

static void test_batch_closes_by_time(void **state)
{
    (void)state;
    struct peer p;
    peer_bind(&p, NULL, 0);
    struct nvg_link_opts o = {.batch_max = 1024, .batch_ms = 30, .heartbeat_ms = 100000};
    struct nvg_link *link = link_open(p.ep, NVG_LINK_LIVE, &o);
    /* live mode: the Hello goes out once connected */
    Netvigil__SensorMessage *m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_HELLO, 3000);
    assert_non_null(m);
    assert_int_equal(m->hello->mode, NETVIGIL__CAPTURE_MODE__CAPTURE_LIVE);
    netvigil__sensor_message__free_unpacked(m, NULL);

    struct nvg_pkt pkt;
    make_pkt(&pkt, 1);
    int64_t t0 = nvg_clock_mono_ns();
    assert_int_equal(nvg_link_add(link, &pkt), 0);
    assert_true(nvg_link_timeout_ms(link, 0) <= 30);
    assert_int_equal(nvg_link_tick(link, 0), 0);
    m = peer_expect(&p, NULL, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH, 10);
    assert_null(m); /* not yet */
    m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH, 2000);
    int64_t waited_ms = (nvg_clock_mono_ns() - t0) / 1000000;
    assert_non_null(m);
    assert_int_equal(m->batch->n_records, 1);
    assert_int_equal(m->batch->seq, 1);
    assert_true(waited_ms >= 30);
    assert_true(waited_ms < 500);
    netvigil__sensor_message__free_unpacked(m, NULL);
    nvg_link_free(link);
    peer_close(&p);
}

struct cb_state {
    int status_calls;
    int commands;
    Netvigil__CommandKind last_kind;
    char last_filter[64];
};

static void status_cb(void *user, struct nvg_link_status *st)
{
    struct cb_state *s = user;
    s->status_calls++;
    st->state = NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED;
    st->pcap_received = 123;
    st->pcap_dropped = 4;
    st->pcap_ifdropped = 5;
    st->filter = "tcp port 80";
}

static int command_cb(void *user, Netvigil__CommandKind kind, const char *filter, char *err,
                      size_t errsize)
{
    struct cb_state *s = user;
    s->commands++;
    s->last_kind = kind;
    snprintf(s->last_filter, sizeof(s->last_filter), "%s", filter);
    if (kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER && strcmp(filter, "bad") == 0) {
        snprintf(err, errsize, "syntax error in filter expression");
        return NVG_EFILTER;
    }
    return 0;
}

static void test_heartbeat(void **state)
{
    (void)state;
    struct peer p;
    peer_bind(&p, NULL, 0);
    struct cb_state cs = {0};
    struct nvg_link_opts o = {.heartbeat_ms = 100, .status_cb = status_cb, .user = &cs};
    struct nvg_link *link = link_open(p.ep, NVG_LINK_LIVE, &o);
    int64_t t0 = nvg_clock_mono_ns();
    Netvigil__SensorMessage *m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_STATUS, 3000);
    assert_non_null(m);
    assert_true(nvg_clock_mono_ns() - t0 >= 90 * 1000000LL);
    const Netvigil__SensorStatus *s = m->status;
    assert_string_equal(s->sensor, "s1");
    assert_int_equal(s->boot_id, 4242);
    assert_int_equal(s->state, NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED);
    assert_int_equal(s->mode, NETVIGIL__CAPTURE_MODE__CAPTURE_LIVE);
    assert_string_equal(s->source, "eth9");
    assert_string_equal(s->filter, "tcp port 80");
    assert_int_equal(s->pcap_received, 123);
    assert_int_equal(s->pcap_dropped, 4);
    assert_int_equal(s->pcap_ifdropped, 5);
    assert_string_equal(s->software_version, "9.9.9");
    assert_true(s->uptime_ms >= 90);
    netvigil__sensor_message__free_unpacked(m, NULL);
    /* and again, periodically */
    m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_STATUS, 1000);
    assert_non_null(m);
    netvigil__sensor_message__free_unpacked(m, NULL);
    assert_true(cs.status_calls >= 2);
    nvg_link_free(link);
    peer_close(&p);
}

static Netvigil__CommandReply *command(struct peer *p, struct nvg_link *link, uint64_t id, int kind,
                                       const char *filter, Netvigil__SensorMessage **holder)
{
    Netvigil__Command c = NETVIGIL__COMMAND__INIT;
    c.id = id;
    c.kind = (Netvigil__CommandKind)kind;
    c.filter = (char *)filter;
    Netvigil__CollectorMessage cm = NETVIGIL__COLLECTOR_MESSAGE__INIT;
    cm.protocol_version = NVG_PROTOCOL_VERSION;
    cm.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_COMMAND;
    cm.command = &c;
    peer_send(p, &cm);
    *holder = peer_expect(p, link, NETVIGIL__SENSOR_MESSAGE__BODY_COMMAND_REPLY, 3000);
    assert_non_null(*holder);
    assert_int_equal((*holder)->command_reply->id, id);
    return (*holder)->command_reply;
}

/* Three messages a sensor must reject: a command of a newer protocol version, garbage where the
 * protobuf body belongs, and one frame too many. */
static void send_foreign(struct peer *p)
{
    Netvigil__Command c = NETVIGIL__COMMAND__INIT;
    c.kind = NETVIGIL__COMMAND_KIND__COMMAND_STOP;
    Netvigil__CollectorMessage cm = NETVIGIL__COLLECTOR_MESSAGE__INIT;
    cm.protocol_version = NVG_PROTOCOL_VERSION + 1;
    cm.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_COMMAND;
    cm.command = &c;
    peer_send(p, &cm);
    zmq_send(p->sock, p->rid, p->rid_len, ZMQ_SNDMORE);
    zmq_send(p->sock, "\xff\xff\xff\xff garbage", 12, 0);
    zmq_send(p->sock, p->rid, p->rid_len, ZMQ_SNDMORE);
    zmq_send(p->sock, "a", 1, ZMQ_SNDMORE);
    zmq_send(p->sock, "b", 1, 0);
}

static void test_commands(void **state)
{
    (void)state;
    struct peer p;
    peer_bind(&p, NULL, 0);
    struct cb_state cs = {0};
    struct nvg_link_opts o = {.status_cb = status_cb, .command_cb = command_cb, .user = &cs};
    struct nvg_link *link = link_open(p.ep, NVG_LINK_LIVE, &o);
    Netvigil__SensorMessage *m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_HELLO, 3000);
    assert_non_null(m);
    assert_string_equal(m->hello->filter, "tcp port 80"); /* current filter from status_cb */
    netvigil__sensor_message__free_unpacked(m, NULL);

    Netvigil__CommandReply *r =
        command(&p, link, 77, NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER, "udp", &m);
    assert_true(r->ok);
    assert_string_equal(r->error, "");
    assert_non_null(r->status);
    assert_int_equal(r->status->state, NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED);
    assert_int_equal(cs.last_kind, NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER);
    assert_string_equal(cs.last_filter, "udp");
    netvigil__sensor_message__free_unpacked(m, NULL);

    r = command(&p, link, 78, NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER, "bad", &m);
    assert_false(r->ok);
    assert_string_equal(r->error, "syntax error in filter expression");
    netvigil__sensor_message__free_unpacked(m, NULL);

    r = command(&p, link, 79, NETVIGIL__COMMAND_KIND__COMMAND_STOP, NULL, &m);
    assert_true(r->ok);
    assert_int_equal(cs.last_kind, NETVIGIL__COMMAND_KIND__COMMAND_STOP);
    netvigil__sensor_message__free_unpacked(m, NULL);

    int before = cs.commands;
    r = command(&p, link, 80, NETVIGIL__COMMAND_KIND__COMMAND_STATUS, NULL, &m);
    assert_true(r->ok);
    assert_non_null(r->status);
    assert_int_equal(r->status->pcap_received, 123);
    assert_int_equal(cs.commands, before); /* answered by the link itself */
    netvigil__sensor_message__free_unpacked(m, NULL);

    r = command(&p, link, 81, 42, NULL, &m);
    assert_false(r->ok);
    assert_non_null(strstr(r->error, "unknown command"));
    netvigil__sensor_message__free_unpacked(m, NULL);

    /* hostile or foreign messages are counted, never fatal */
    send_foreign(&p);
    struct nvg_link_stats st = {0};
    for (int i = 0; i < 200 && st.rejected < 3; i++) {
        assert_int_equal(nvg_link_tick(link, 0), 0);
        zmq_poll(NULL, 0, 5);
        nvg_link_get_stats(link, &st);
    }
    assert_int_equal(st.rejected, 3);
    assert_int_equal(st.commands, 5);
    nvg_link_free(link);
    peer_close(&p);
}

static void test_refused(void **state)
{
    (void)state;
    struct peer p;
    peer_bind(&p, NULL, 0);
    struct nvg_link *link = link_open(p.ep, NVG_LINK_LIVE, NULL);
    Netvigil__SensorMessage *m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_HELLO, 3000);
    assert_non_null(m);
    netvigil__sensor_message__free_unpacked(m, NULL);

    Netvigil__Refused r = NETVIGIL__REFUSED__INIT;
    r.supported_version = 2;
    r.reason = "sensor too old";
    Netvigil__CollectorMessage cm = NETVIGIL__COLLECTOR_MESSAGE__INIT;
    cm.protocol_version = 2; /* a newer collector: Refused is still understood */
    cm.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_REFUSED;
    cm.refused = &r;
    peer_send(&p, &cm);
    int rc = 0;
    for (int i = 0; i < 400 && rc == 0; i++) {
        zmq_poll(NULL, 0, 5);
        rc = nvg_link_tick(link, 0);
    }
    assert_int_equal(rc, NVG_EVERSION);
    const char *e = nvg_link_error(link);
    assert_non_null(strstr(e, "version 2"));
    assert_non_null(strstr(e, "version 1"));
    assert_non_null(strstr(e, "sensor too old"));
    struct nvg_pkt pkt;
    make_pkt(&pkt, 0);
    assert_int_equal(nvg_link_add(link, &pkt), NVG_EVERSION);
    assert_int_equal(nvg_link_finish(link, 100), NVG_EVERSION);
    nvg_link_free(link);
    peer_close(&p);
}

/* A collector in its own thread: counts records, answers EndOfStream. */
struct fake_collector {
    struct peer p;
    int ignore_eos; /* answer only the EndOfStream after this many */
    int64_t delta;  /* added to the records count in the ack */
    uint64_t records, gaps, last_seq;
    int eos_seen;
};

static void *fake_collector_run(void *arg)
{
    struct fake_collector *fc = arg;
    int64_t deadline = nvg_clock_mono_ns() + 20 * 1000000000LL;
    while (nvg_clock_mono_ns() < deadline) {
        Netvigil__SensorMessage *m = peer_recv(&fc->p, NULL, 50);
        if (!m)
            continue;
        bool done = false;
        if (m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY_BATCH) {
            if (m->batch->seq != fc->last_seq + 1)
                fc->gaps++;
            fc->last_seq = m->batch->seq;
            fc->records += m->batch->n_records;
        } else if (m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY_END_OF_STREAM &&
                   ++fc->eos_seen > fc->ignore_eos) {
            Netvigil__EndOfStreamAck a = NETVIGIL__END_OF_STREAM_ACK__INIT;
            a.boot_id = m->end_of_stream->boot_id;
            a.last_seq = m->end_of_stream->last_seq;
            a.records_received = (uint64_t)((int64_t)fc->records + fc->delta);
            Netvigil__CollectorMessage cm = NETVIGIL__COLLECTOR_MESSAGE__INIT;
            cm.protocol_version = NVG_PROTOCOL_VERSION;
            cm.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_END_OF_STREAM_ACK;
            cm.end_of_stream_ack = &a;
            zmq_send(fc->p.sock, fc->p.rid, fc->p.rid_len, ZMQ_SNDMORE);
            nvg_zmq_send_pb(fc->p.sock, &cm.base, 0);
            done = true;
        }
        netvigil__sensor_message__free_unpacked(m, NULL);
        if (done)
            break;
    }
    return NULL;
}

/* Returns nvg_link_finish's result; 1000 records in batches of 64. */
static int run_eos(int ignore_eos, int64_t delta, int64_t *elapsed_ms, char *errtext)
{
    struct fake_collector fc = {.ignore_eos = ignore_eos, .delta = delta};
    peer_bind(&fc.p, NULL, 0); /* created here, then used only by the thread until join */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, fake_collector_run, &fc), 0);
    struct nvg_link_opts o = {.batch_max = 64};
    struct nvg_link *link = link_open(fc.p.ep, NVG_LINK_FILE, &o);
    for (int i = 0; i < 1000; i++) {
        struct nvg_pkt pkt;
        make_pkt(&pkt, i);
        assert_int_equal(nvg_link_add(link, &pkt), 0);
        if (i % 100 == 0)
            nvg_link_tick(link, 0);
    }
    int64_t t0 = nvg_clock_mono_ns();
    int rc = nvg_link_finish(link, 10000);
    *elapsed_ms = (nvg_clock_mono_ns() - t0) / 1000000;
    snprintf(errtext, NVG_ERRBUF_SIZE, "%s", nvg_link_error(link));
    struct nvg_link_stats st;
    nvg_link_get_stats(link, &st);
    assert_int_equal(st.records_sent, 1000);
    assert_int_equal(st.batches_sent, 16);
    pthread_join(th, NULL);
    assert_int_equal(fc.records, 1000);
    assert_int_equal(fc.gaps, 0);
    assert_int_equal(fc.eos_seen, ignore_eos + 1);
    nvg_link_free(link);
    peer_close(&fc.p);
    return rc;
}

static void test_eos_ok(void **state)
{
    (void)state;
    int64_t ms;
    char err[NVG_ERRBUF_SIZE];
    assert_int_equal(run_eos(0, 0, &ms, err), 0);
    assert_true(ms < 1000);
}

static void test_eos_mismatch(void **state)
{
    (void)state;
    int64_t ms;
    char err[NVG_ERRBUF_SIZE];
    assert_int_equal(run_eos(0, -1, &ms, err), NVG_EIO);
    assert_non_null(strstr(err, "999"));
    assert_non_null(strstr(err, "1000"));
}

static void test_eos_resent(void **state)
{
    (void)state;
    int64_t ms;
    char err[NVG_ERRBUF_SIZE];
    /* Ignore two: one may be the re-send on the (first) connect event, the next one comes from
     * the periodic re-send a second later. */
    assert_int_equal(run_eos(2, 0, &ms, err), 0);
    assert_true(ms >= 900);
}

static void test_eos_timeout_and_interrupt(void **state)
{
    (void)state;
    const char *ep = DEAD_ENDPOINT;

    struct nvg_link *link = link_open(ep, NVG_LINK_FILE, NULL);
    struct nvg_pkt pkt;
    make_pkt(&pkt, 0);
    assert_int_equal(nvg_link_add(link, &pkt), 0);
    int64_t t0 = nvg_clock_mono_ns();
    assert_int_equal(nvg_link_finish(link, 300), NVG_ETIMEDOUT);
    int64_t ms = (nvg_clock_mono_ns() - t0) / 1000000;
    assert_true(ms >= 300 && ms < 1500);
    assert_non_null(strstr(nvg_link_error(link), "1 records"));
    nvg_link_free(link);

    volatile sig_atomic_t stop = 1;
    struct nvg_link_opts o = {.interrupted = &stop};
    link = link_open(ep, NVG_LINK_FILE, &o);
    assert_int_equal(nvg_link_add(link, &pkt), 0);
    assert_int_equal(nvg_link_finish(link, -1), NVG_EAGAIN);
    nvg_link_free(link);
}

/* Live mode against a peer that stopped reading: adds never block, whole batches are dropped
 * and counted, and the batches that did go out carry consecutive sequence numbers. */
static void test_live_stalled_peer_drops(void **state)
{
    (void)state;
    struct peer p;
    peer_bind(&p, NULL, 1);
    struct nvg_link_opts o = {.batch_max = 1024, .sndhwm = 2, .heartbeat_ms = 100000};
    struct nvg_link *link = link_open(p.ep, NVG_LINK_LIVE, &o);
    Netvigil__SensorMessage *m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_HELLO, 3000);
    assert_non_null(m);
    netvigil__sensor_message__free_unpacked(m, NULL);

    enum { BATCHES = 300 };
    int64_t t0 = nvg_clock_mono_ns();
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < 1024; i++) {
            struct nvg_pkt pkt;
            make_pkt(&pkt, i);
            assert_int_equal(nvg_link_add(link, &pkt), 0);
        }
        assert_int_equal(nvg_link_tick(link, 0), 0);
    }
    int64_t ms = (nvg_clock_mono_ns() - t0) / 1000000;
    struct nvg_link_stats st;
    nvg_link_get_stats(link, &st);
    print_message("stalled peer: %d batches in %lld ms: %llu sent, %llu dropped\n", BATCHES,
                  (long long)ms, (unsigned long long)st.batches_sent,
                  (unsigned long long)st.batches_dropped);
    assert_true(ms < 5000);
    assert_true(st.batches_dropped > 0);
    assert_int_equal(st.batches_sent + st.batches_dropped, BATCHES);
    assert_int_equal(st.records_dropped, st.batches_dropped * 1024);
    assert_int_equal(st.last_seq, st.batches_sent);

    /* the peer wakes up: what was sent arrives without a gap */
    uint64_t seq = 0;
    while ((m = peer_expect(&p, NULL, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH, 1000))) {
        assert_int_equal(m->batch->seq, seq + 1);
        seq = m->batch->seq;
        netvigil__sensor_message__free_unpacked(m, NULL);
    }
    assert_int_equal(seq, st.batches_sent);
    nvg_link_free(link);
    peer_close(&p);
}

static void test_live_no_collector(void **state)
{
    (void)state;
    const char *ep = DEAD_ENDPOINT;
    struct nvg_link_opts o = {.batch_max = 10};
    struct nvg_link *link = link_open(ep, NVG_LINK_LIVE, &o);
    for (int i = 0; i < 30; i++) {
        struct nvg_pkt pkt;
        make_pkt(&pkt, i);
        assert_int_equal(nvg_link_add(link, &pkt), 0);
    }
    assert_int_equal(nvg_link_finish(link, 100), 0); /* live: nothing to wait for */
    struct nvg_link_stats st;
    nvg_link_get_stats(link, &st);
    assert_int_equal(st.batches_dropped, 3);
    assert_int_equal(st.records_dropped, 30);
    assert_int_equal(st.last_seq, 0);
    nvg_link_free(link);
}

/* The collector restarts: the sensor reconnects by itself and says Hello again; with restart
 * it continues under a new boot id from seq 1. */
static void test_reconnect_hello_and_restart(void **state)
{
    (void)state;
    struct peer p;
    peer_bind(&p, NULL, 0);
    char ep[128];
    snprintf(ep, sizeof(ep), "%s", p.ep);
    struct nvg_link_opts o = {.batch_max = 4};
    struct nvg_link *link = link_open(ep, NVG_LINK_LIVE, &o);
    Netvigil__SensorMessage *m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_HELLO, 3000);
    assert_non_null(m);
    netvigil__sensor_message__free_unpacked(m, NULL);
    peer_close(&p);

    for (int i = 0; i < 20; i++) { /* let the link notice */
        nvg_link_tick(link, 0);
        zmq_poll(NULL, 0, 10);
    }
    peer_bind(&p, ep, 0);
    m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_HELLO, 5000);
    assert_non_null(m);
    assert_int_equal(m->hello->boot_id, 4242);
    netvigil__sensor_message__free_unpacked(m, NULL);
    struct nvg_link_stats st;
    nvg_link_get_stats(link, &st);
    assert_true(st.connects >= 2);

    struct nvg_pkt pkt;
    make_pkt(&pkt, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(nvg_link_add(link, &pkt), 0);
    m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH, 3000);
    assert_non_null(m);
    assert_int_equal(m->batch->seq, 1);
    netvigil__sensor_message__free_unpacked(m, NULL);

    assert_int_equal(nvg_link_add(link, &pkt), 0);
    assert_int_equal(nvg_link_restart(link, 777), 0); /* flushes the 1 record under 4242 */
    m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH, 3000);
    assert_non_null(m);
    assert_int_equal(m->batch->boot_id, 4242);
    assert_int_equal(m->batch->seq, 2);
    netvigil__sensor_message__free_unpacked(m, NULL);
    m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_HELLO, 3000);
    assert_non_null(m);
    assert_int_equal(m->hello->boot_id, 777);
    netvigil__sensor_message__free_unpacked(m, NULL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(nvg_link_add(link, &pkt), 0);
    m = peer_expect(&p, link, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH, 3000);
    assert_non_null(m);
    assert_int_equal(m->batch->boot_id, 777);
    assert_int_equal(m->batch->seq, 1);
    netvigil__sensor_message__free_unpacked(m, NULL);
    nvg_link_get_stats(link, &st);
    assert_int_equal(st.batches_sent, 1);
    assert_int_equal(st.records_sent, 4);
    nvg_link_free(link);
    peer_close(&p);
}

static void test_link_new_errors(void **state)
{
    (void)state;
    char err[NVG_ERRBUF_SIZE];
    struct nvg_link_info info = {.sensor = "s", .boot_id = 1};
    assert_null(nvg_link_new(ctx, "nonsense", &info, NULL, err));
    assert_non_null(strstr(err, "nonsense"));
    struct nvg_link_info noname = {.boot_id = 1};
    assert_null(nvg_link_new(ctx, "tcp://127.0.0.1:1", &noname, NULL, err));
    struct nvg_link_opts o = {.batch_max = NVG_BATCH_MAX_RECORDS + 1};
    assert_null(nvg_link_new(ctx, "tcp://127.0.0.1:1", &info, &o, err));
    nvg_link_free(NULL);
}

static int setup(void **state)
{
    (void)state;
    nvg_log_set_ident("test-link");
    ctx = zmq_ctx_new();
    return ctx ? 0 : -1;
}

static void term_hung(int sig)
{
    (void)sig;
    static const char msg[] = "zmq_ctx_term hung: a test left a socket open\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(1);
}

static int teardown(void **state)
{
    (void)state;
    /* A failed test jumps out without closing its sockets: fail fast instead of hanging. */
    signal(SIGALRM, term_hung);
    alarm(5);
    int rc = zmq_ctx_term(ctx);
    alarm(0);
    return rc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_new_errors),
        cmocka_unit_test(test_batches_consecutive_seq),
        cmocka_unit_test(test_batch_closes_by_time),
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_eos_ok),
        cmocka_unit_test(test_eos_mismatch),
        cmocka_unit_test(test_eos_resent),
        cmocka_unit_test(test_eos_timeout_and_interrupt),
        cmocka_unit_test(test_live_stalled_peer_drops),
        cmocka_unit_test(test_live_no_collector),
        cmocka_unit_test(test_reconnect_hello_and_restart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
