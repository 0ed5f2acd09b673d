/* nvg-ctl-peer: test peers for the control plane.
 *
 *   nvg-ctl-peer sensor -e EP -n NAME [--delay-ms N] [--mute] [--stopped]
 *       A sensor on the link, with the real sensor/link.c. It executes commands on a model of
 *       the capture: START/STOP flip its state, SET_FILTER compiles the expression with libpcap
 *       (pcap_open_dead + pcap_compile, so a bad filter gets libpcap's own message and the old
 *       filter stays), RESTART continues under a new boot id. --delay-ms makes it slow to
 *       answer; --mute plays a sensor whose link is up (Hello, heartbeats) but that never
 *       answers a command (raw DEALER). While running it sends one small batch a second.
 *       Runs until SIGTERM/SIGINT.
 *
 *   nvg-ctl-peer hostile -c EP
 *       Sends malformed control requests (garbage, wrong version, unknown kind, set-filter
 *       without a filter, a bad sensor name, extra frames, a REQ-style envelope) and checks that
 *       each one is answered with an error. Exit 0 when all were.
 *
 *   nvg-ctl-peer flood -c EP -n SENSOR --count N [--expect-busy M]
 *       Sends N stop requests to SENSOR at once on one socket and waits for all N replies;
 *       prints "ok=A busy=B other=C" and checks that every request got its own answer (and,
 *       with --expect-busy, that at least M were refused as busy).
 *
 * Exit status: 0 success, 1 a check failed, 2 usage. */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "link.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct opts {
    const char *endpoint, *control, *name;
    int delay_ms;
    bool mute, stopped;
    int count, expect_busy;
};

static uint64_t random_id(void)
{
    uint64_t ns = (uint64_t)nvg_clock_wall_ns();
    return (ns << 24) ^ (uint64_t)getpid() ^ (uint64_t)rand();
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- sensor ------------------------------------------------------------------------------ */

struct model {
    const struct opts *o;
    struct nvg_link *link;
    bool running;
    char filter[1024];
    uint64_t boot_id;
};

static void status_cb(void *user, struct nvg_link_status *st)
{
    struct model *m = user;
    st->state = m->running ? NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING
                           : NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED;
    st->filter = m->filter;
}

static int compile_filter(const char *expr, char *err, size_t errsize)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
    if (!p) {
        snprintf(err, errsize, "pcap_open_dead failed");
        return NVG_EPCAP;
    }
    struct bpf_program prog;
    int rc = 0;
    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errsize, "%s", pcap_geterr(p));
        rc = NVG_EFILTER;
    } else {
        pcap_freecode(&prog);
    }
    pcap_close(p);
    return rc;
}

static int command_cb(void *user, Netvigil__CommandKind kind, const char *filter, char *err,
                      size_t errsize)
{
    struct model *m = user;
    if (m->o->delay_ms > 0)
        sleep_ms(m->o->delay_ms);
    switch (kind) {
    case NETVIGIL__COMMAND_KIND__COMMAND_START:
        m->running = true;
        return 0;
    case NETVIGIL__COMMAND_KIND__COMMAND_STOP:
        m->running = false;
        return 0;
    case NETVIGIL__COMMAND_KIND__COMMAND_RESTART:
        m->boot_id = random_id();
        m->running = true;
        return nvg_link_restart(m->link, m->boot_id);
    case NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER: {
        int rc = compile_filter(filter, err, errsize);
        if (rc == 0)
            snprintf(m->filter, sizeof(m->filter), "%s", filter);
        return rc;
    }
    default:
        snprintf(err, errsize, "unexpected command %d", (int)kind);
        return NVG_EINVAL;
    }
}

static void one_record(struct nvg_pkt *p)
{
    memset(p, 0, sizeof(*p));
    p->ts_ns = nvg_clock_wall_ns();
    p->ip_version = 4;
    p->proto = NVG_PROTO_UDP;
    p->ip_proto = 17;
    uint8_t a[4] = {198, 18, 0, 1}, b[4] = {198, 18, 0, 2};
    memcpy(p->src, a, 4);
    memcpy(p->dst, b, 4);
    p->sport = 40000;
    p->dport = 9;
    p->ttl = 64;
    p->wire_len = p->cap_len = 60;
    p->flags = NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TTL;
}

static int run_sensor(const struct opts *o, void *ctx)
{
    struct model m = {.o = o, .running = !o->stopped, .boot_id = random_id()};
    struct nvg_link_info info = {.sensor = o->name,
                                 .boot_id = m.boot_id,
                                 .mode = NVG_LINK_LIVE,
                                 .source = "model0",
                                 .filter = ""};
    struct nvg_link_opts lo = {
        .heartbeat_ms = 500, .status_cb = status_cb, .command_cb = command_cb, .user = &m};
    char err[NVG_ERRBUF_SIZE];
    m.link = nvg_link_new(ctx, o->endpoint, &info, &lo, err);
    if (!m.link) {
        fprintf(stderr, "nvg-ctl-peer: %s\n", err);
        return 1;
    }
    int64_t next_rec = 0;
    while (!stop_flag) {
        zmq_pollitem_t items[NVG_LINK_NPOLL];
        nvg_link_pollitems(m.link, items);
        int64_t now = nvg_clock_mono_ns();
        int wait = nvg_link_timeout_ms(m.link, now);
        zmq_poll(items, NVG_LINK_NPOLL, wait < 0 || wait > 100 ? 100 : wait);
        now = nvg_clock_mono_ns();
        if (m.running && now >= next_rec) {
            struct nvg_pkt p;
            one_record(&p);
            nvg_link_add(m.link, &p);
            next_rec = now + 1000000000LL;
        }
        int rc = nvg_link_tick(m.link, now);
        if (rc == NVG_EVERSION || rc == NVG_EZMQ) {
            fprintf(stderr, "nvg-ctl-peer: %s\n", nvg_link_error(m.link));
            break;
        }
    }
    nvg_link_free(m.link);
    return 0;
}

/* A link that is up but never answers: Hello, then a heartbeat every 500 ms; commands are read
 * and dropped. */
static int run_mute(const struct opts *o, void *ctx)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.linger_ms = 0};
    void *sock = nvg_zmq_socket(ctx, ZMQ_DEALER, &so, err);
    if (!sock || nvg_zmq_connect(sock, o->endpoint) != 0) {
        fprintf(stderr, "nvg-ctl-peer: cannot connect to %s\n", o->endpoint);
        return 1;
    }
    uint64_t boot = random_id();
    Netvigil__Hello h = NETVIGIL__HELLO__INIT;
    h.sensor = (char *)o->name;
    h.boot_id = boot;
    h.source = (char *)"mute0";
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.protocol_version = NVG_PROTOCOL_VERSION;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_HELLO;
    m.hello = &h;
    nvg_zmq_send_pb(sock, &m.base, 0);
    uint64_t ignored = 0;
    while (!stop_flag) {
        Netvigil__SensorStatus st = NETVIGIL__SENSOR_STATUS__INIT;
        st.sensor = (char *)o->name;
        st.boot_id = boot;
        st.state = NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING;
        st.source = (char *)"mute0";
        m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_STATUS;
        m.status = &st;
        nvg_zmq_send_pb(sock, &m.base, ZMQ_DONTWAIT);
        for (int i = 0; i < 5 && !stop_flag; i++) {
            zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
            if (zmq_poll(&it, 1, 100) > 0) {
                zmq_msg_t msg;
                zmq_msg_init(&msg);
                if (zmq_msg_recv(&msg, sock, 0) >= 0)
                    ignored++;
                zmq_msg_close(&msg);
            }
        }
    }
    fprintf(stderr, "nvg-ctl-peer: mute sensor ignored %" PRIu64 " message(s)\n", ignored);
    zmq_close(sock);
    return 0;
}

/* ---- control-socket clients -------------------------------------------------------------- */

static void *control_socket(void *ctx, const char *ep, int type)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.linger_ms = 0, .sndhwm = 10000, .rcvhwm = 10000};
    void *sock = nvg_zmq_socket(ctx, type, &so, err);
    if (!sock || nvg_zmq_connect(sock, ep) != 0) {
        fprintf(stderr, "nvg-ctl-peer: cannot connect to %s\n", ep);
        if (sock)
            zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* The last frame of the next message within timeout_ms, as a ControlReply; NULL if none. */
static Netvigil__ControlReply *recv_reply(void *sock, int timeout_ms, int *frames)
{
    zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return NULL;
    Netvigil__ControlReply *r = NULL;
    *frames = 0;
    for (int more = 1; more;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, 0) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        (*frames)++;
        more = zmq_msg_more(&msg);
        if (!more)
            r = netvigil__control_reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
        zmq_msg_close(&msg);
    }
    return r;
}

static int send_request(void *sock, uint32_t version, uint64_t id, int kind, const char *sensor,
                        const char *filter)
{
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.protocol_version = version;
    req.id = id;
    req.kind = (Netvigil__CommandKind)kind;
    req.sensor = (char *)sensor;
    req.filter = (char *)filter;
    req.requester = (char *)"hostile@test";
    return nvg_zmq_send_pb(sock, &req.base, 0);
}

/* Expect one error reply to a request just sent; id 0 = the collector could not know it. */
static int expect_error(void *sock, const char *what, uint64_t id, const char *needle)
{
    int frames = 0;
    Netvigil__ControlReply *r = recv_reply(sock, 3000, &frames);
    int bad = 0;
    if (!r) {
        fprintf(stderr, "FAIL %s: no error reply\n", what);
        return 1;
    }
    if (r->ok || r->id != id || !r->error || !strstr(r->error, needle)) {
        fprintf(stderr, "FAIL %s: ok=%d id=%" PRIu64 " (want %" PRIu64 ") error='%s' (want '%s')\n",
                what, r->ok, r->id, id, r->error ? r->error : "", needle);
        bad = 1;
    } else {
        printf("ok   %s: %s\n", what, r->error);
    }
    netvigil__control_reply__free_unpacked(r, NULL);
    return bad;
}

/* Malformed requests on a DEALER: each gets an error reply naming what is wrong. Returns the
 * number of failed expectations. */
static int hostile_requests(void *s)
{
    int fails = 0;
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34};
    zmq_send(s, garbage, sizeof(garbage), 0);
    fails += expect_error(s, "garbage", 0, "malformed");

    zmq_send(s, "", 0, 0); /* an empty body parses as an empty request: version 0 */
    fails += expect_error(s, "empty body", 0, "version 0");

    send_request(s, 99, 11, NETVIGIL__COMMAND_KIND__COMMAND_STOP, "", "");
    fails += expect_error(s, "wrong version", 11, "version 99");

    send_request(s, NVG_PROTOCOL_VERSION, 12, 42, "", "");
    fails += expect_error(s, "unknown kind", 12, "unknown command kind 42");

    send_request(s, NVG_PROTOCOL_VERSION, 13, NETVIGIL__COMMAND_KIND__COMMAND_UNSPECIFIED, "", "");
    fails += expect_error(s, "unspecified kind", 13, "unknown command kind 0");

    send_request(s, NVG_PROTOCOL_VERSION, 14, NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER, "", "");
    fails += expect_error(s, "set-filter without filter", 14, "needs a filter");

    send_request(s, NVG_PROTOCOL_VERSION, 15, NETVIGIL__COMMAND_KIND__COMMAND_STOP, "bad\nname",
                 "");
    fails += expect_error(s, "bad sensor name", 15, "invalid sensor name");

    char longf[2000];
    memset(longf, 'a', sizeof(longf) - 1);
    longf[sizeof(longf) - 1] = '\0';
    send_request(s, NVG_PROTOCOL_VERSION, 16, NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER, "",
                 longf);
    fails += expect_error(s, "filter too long", 16, "longer than");

    send_request(s, NVG_PROTOCOL_VERSION, 17, NETVIGIL__COMMAND_KIND__COMMAND_STOP,
                 "no-such-sensor", "");
    fails += expect_error(s, "unknown sensor", 17, "unknown sensor 'no-such-sensor'");

    /* Five frames: more envelope than any client sends. Answered (with what fits) or not, the
     * collector must stay up; the status request below shows it. */
    for (int i = 0; i < 4; i++)
        zmq_send(s, "x", 1, ZMQ_SNDMORE);
    zmq_send(s, "x", 1, 0);
    int frames;
    Netvigil__ControlReply *r = recv_reply(s, 500, &frames);
    if (r)
        netvigil__control_reply__free_unpacked(r, NULL);
    return fails;
}

/* A REQ client ([id][empty][body] envelope, the reply comes back through it) asks for the
 * status, which must count the rejected requests. Returns the number of failures. */
static int req_status(const struct opts *o, void *ctx)
{
    void *req = control_socket(ctx, o->control, ZMQ_REQ);
    if (!req)
        return 1;
    int fails = 0, frames;
    send_request(req, NVG_PROTOCOL_VERSION, 21, NETVIGIL__COMMAND_KIND__COMMAND_STATUS, "", "");
    Netvigil__ControlReply *r = recv_reply(req, 3000, &frames);
    if (!r || !r->ok || r->id != 21 || !r->status) {
        fprintf(stderr, "FAIL REQ status: no good reply\n");
        fails++;
    } else {
        printf("ok   REQ status: %zu sensor(s), %" PRIu64 " rejected\n", r->status->n_sensors,
               r->status->control_rejected);
        if (r->status->control_rejected < 9) {
            fprintf(stderr, "FAIL control_rejected %" PRIu64 " < 9\n", r->status->control_rejected);
            fails++;
        }
    }
    if (r)
        netvigil__control_reply__free_unpacked(r, NULL);
    zmq_close(req);
    return fails;
}

static int run_hostile(const struct opts *o, void *ctx)
{
    void *s = control_socket(ctx, o->control, ZMQ_DEALER);
    if (!s)
        return 1;
    int fails = hostile_requests(s);
    zmq_close(s);
    fails += req_status(o, ctx);
    return fails ? 1 : 0;
}

static int run_flood(const struct opts *o, void *ctx)
{
    void *s = control_socket(ctx, o->control, ZMQ_DEALER);
    if (!s)
        return 1;
    int n = o->count;
    for (int i = 0; i < n; i++)
        send_request(s, NVG_PROTOCOL_VERSION, 1000 + (uint64_t)i,
                     NETVIGIL__COMMAND_KIND__COMMAND_STOP, o->name, "");
    char *seen = calloc((size_t)n, 1);
    int ok = 0, busy = 0, other = 0, got = 0, dup = 0;
    while (got < n) {
        int frames;
        Netvigil__ControlReply *r = recv_reply(s, 30000, &frames);
        if (!r)
            break;
        uint64_t k = r->id - 1000;
        if (r->id < 1000 || k >= (uint64_t)n || seen[k]) {
            dup++;
        } else {
            seen[k] = 1;
            got++;
            if (r->ok)
                ok++;
            else if (r->error && strstr(r->error, "busy"))
                busy++;
            else
                other++;
        }
        netvigil__control_reply__free_unpacked(r, NULL);
    }
    free(seen);
    zmq_close(s);
    printf("replies=%d ok=%d busy=%d other=%d stray=%d\n", got, ok, busy, other, dup);
    if (got != n || dup || other)
        return 1;
    return busy >= o->expect_busy ? 0 : 1;
}

/* ---- main -------------------------------------------------------------------------------- */

/* The options after the mode (argv[1]); 0, or 2 on bad usage. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"endpoint", 1, 0, 'e'}, {"control", 1, 0, 'c'},     {"name", 1, 0, 'n'},
        {"delay-ms", 1, 0, 'd'}, {"mute", 0, 0, 'm'},        {"stopped", 0, 0, 's'},
        {"count", 1, 0, 'N'},    {"expect-busy", 1, 0, 'b'}, {0, 0, 0, 0},
    };
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "e:c:n:", lo, NULL)) != -1) {
        switch (c) {
        case 'e':
            o->endpoint = optarg;
            break;
        case 'c':
            o->control = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'd':
            o->delay_ms = atoi(optarg);
            break;
        case 'm':
            o->mute = true;
            break;
        case 's':
            o->stopped = true;
            break;
        case 'N':
            o->count = atoi(optarg);
            break;
        case 'b':
            o->expect_busy = atoi(optarg);
            break;
        default:
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {.endpoint = "tcp://127.0.0.1:7700",
                     .control = "tcp://127.0.0.1:7702",
                     .name = "peer",
                     .count = 10};
    if (argc < 2) {
        fprintf(stderr, "usage: nvg-ctl-peer sensor|hostile|flood [options]\n");
        return 2;
    }
    const char *mode = argv[1];
    if (parse_opts(argc, argv, &o) != 0)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    srand((unsigned)getpid());
    nvg_log_set_ident("nvg-ctl-peer");
    void *ctx = zmq_ctx_new();
    int rc = 2;
    if (strcmp(mode, "sensor") == 0)
        rc = o.mute ? run_mute(&o, ctx) : run_sensor(&o, ctx);
    else if (strcmp(mode, "hostile") == 0)
        rc = run_hostile(&o, ctx);
    else if (strcmp(mode, "flood") == 0 && o.count > 0)
        rc = run_flood(&o, ctx);
    else
        fprintf(stderr, "nvg-ctl-peer: unknown mode '%s'\n", mode);
    zmq_ctx_term(ctx);
    return rc;
}
