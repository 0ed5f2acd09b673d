/* netvigil-ctl's connections to the collector: the feed SUB (7701) and the control DEALER
 * (7702), each with the client's message cap, bounded queues, CURVE when we have keys, and a
 * socket monitor.
 *
 * libzmq hides a refused key behind endless reconnects; the monitor tells us instead. The
 * collector's ZAP handler refusing our key shows as HANDSHAKE_FAILED_AUTH (a ZAP status code),
 * a mechanism mismatch (keys on one side only) as HANDSHAKE_FAILED_PROTOCOL; a CURVE server
 * that cannot decrypt our HELLO (we hold the wrong server key) answers nothing and closes: we
 * see connections that never complete their handshake, and say so when the wait runs out. */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-monitor.h"
#include "nvg-time.h"
#include "nvg-wire.h"

#define MONITOR_EVENTS                                                                             \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CONNECT_RETRIED |                 \
     ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |                                      \
     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                  \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* Heartbeats on our sockets: a collector that vanished without closing the connection is
 * noticed and reconnected to, instead of a tail that waits for ever on a dead link. */
#define CTL_HEARTBEAT_MS 5000

int nvg_ctl_load_keys(struct nvg_ctl *ctl)
{
    char err[NVG_ERRBUF_SIZE];
    int rc = nvg_cert_load_client(ctl->key_path, ctl->collector_key_path, true, &ctl->own,
                                  &ctl->collector, err);
    if (rc < 0) {
        fprintf(stderr, "netvigil-ctl: %s\n", err);
        return NVG_CTL_EXIT_USAGE;
    }
    ctl->keys = rc == 1;
    /* Several collectors: each its own public key, or the one loaded above. */
    for (size_t i = 0; i < ctl->n_collectors; i++) {
        struct nvg_ctl_collector *c = &ctl->collectors[i];
        if (!ctl->keys || c->key_path == ctl->collector_key_path) {
            c->cert = ctl->collector;
        } else if (nvg_cert_load(c->key_path, &c->cert, err) < 0) {
            fprintf(stderr, "netvigil-ctl: collector %s: %s\n", c->label, err);
            return NVG_CTL_EXIT_USAGE;
        }
    }
    return 0;
}

int nvg_ctl_conn_open(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, int type, const char *ep,
                      int rcvhwm)
{
    return nvg_ctl_conn_open_to(ctl, c, type, ep, rcvhwm, &ctl->collector);
}

int nvg_ctl_conn_open_to(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, int type, const char *ep,
                         int rcvhwm, const struct nvg_cert *server)
{
    memset(c, 0, sizeof(*c));
    c->ep = ep;
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.rcvhwm = rcvhwm,
                              .linger_ms = 0,
                              .max_msg_size = NVG_CLIENT_MAX_MSG,
                              .heartbeat_ms = CTL_HEARTBEAT_MS};
    c->sock = nvg_zmq_socket(ctl->zctx, type, &so, err);
    if (c->sock && ctl->keys && nvg_zmq_curve_client(c->sock, &ctl->own, server, err) < 0)
        goto fail;
    if (c->sock)
        c->mon = nvg_monitor_new(ctl->zctx, c->sock, MONITOR_EVENTS, err);
    if (!c->sock || !c->mon)
        goto fail;
    if (nvg_zmq_connect(c->sock, ep) != 0) {
        snprintf(err, sizeof(err), "%s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "netvigil-ctl: cannot connect to %s: %s\n", ep, err);
    nvg_ctl_conn_close(c);
    return NVG_CTL_EXIT_FAIL;
}

void nvg_ctl_conn_close(struct nvg_ctl_conn *c)
{
    nvg_monitor_free(c->mon);
    if (c->sock)
        zmq_close(c->sock);
    c->mon = NULL;
    c->sock = NULL;
}

struct event_ctx {
    struct nvg_ctl *ctl;
    struct nvg_ctl_conn *c;
};

static void key_refused(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, uint32_t zap_status)
{
    if (ctl->keys)
        fprintf(stderr,
                "netvigil-ctl: the collector does not accept this key (%s) at %s (ZAP status "
                "%" PRIu32 "); its operator adds %s.key to the collector's viewers/ or "
                "admins/ keys and sends it SIGHUP\n",
                ctl->own.name, c->ep, zap_status, ctl->own.name);
    else
        fprintf(stderr,
                "netvigil-ctl: the collector at %s does not accept clients without a key (ZAP "
                "status %" PRIu32 "): use --key FILE.key_secret --collector-key FILE.key\n",
                c->ep, zap_status);
    c->verdict = NVG_CTL_EXIT_KEY_REFUSED;
}

static void handshake_failed(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, uint32_t why)
{
    if (ctl->keys)
        fprintf(stderr,
                "netvigil-ctl: CURVE handshake with %s failed (protocol error 0x%" PRIx32 "): "
                "is --collector-key the collector's key, and does it use keys?\n",
                c->ep, why);
    else if (why == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        fprintf(stderr,
                "netvigil-ctl: the collector at %s requires keys (CURVE): use --key "
                "FILE.key_secret --collector-key FILE.key, or put them in "
                "$XDG_CONFIG_HOME/netvigil/\n",
                c->ep);
    else
        fprintf(stderr, "netvigil-ctl: handshake with %s failed (protocol error 0x%" PRIx32 ")\n",
                c->ep, why);
    c->verdict = NVG_CTL_EXIT_HANDSHAKE;
}

static void on_event(void *user, const struct nvg_monitor_event *ev)
{
    struct event_ctx *x = user;
    struct nvg_ctl_conn *c = x->c;
    if (c->verdict)
        return; /* said once */
    switch (ev->event) {
    case ZMQ_EVENT_CONNECTED:
        c->connected = c->up = true;
        c->lost_ms = 0;
        break;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        c->handshaken = true;
        break;
    case ZMQ_EVENT_DISCONNECTED:
        c->up = false;
        c->disconnects++;
        c->lost_ms = nvg_clock_mono_ms();
        break;
    case ZMQ_EVENT_CONNECT_DELAYED:
    case ZMQ_EVENT_CONNECT_RETRIED:
        c->lost_ms = 0; /* libzmq is dialling again */
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        c->handshake_closed++;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        key_refused(x->ctl, c, ev->value);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        handshake_failed(x->ctl, c, ev->value);
        break;
    default:
        break;
    }
}

int nvg_ctl_conn_events(struct nvg_ctl *ctl, struct nvg_ctl_conn *c)
{
    struct event_ctx x = {ctl, c};
    nvg_monitor_drain(c->mon, on_event, &x);
    return -c->verdict;
}

void *nvg_ctl_conn_monitor(const struct nvg_ctl_conn *c)
{
    return nvg_monitor_socket(c->mon);
}

int nvg_ctl_conn_wait(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, long ms)
{
    struct event_ctx x = {ctl, c};
    int64_t t0 = nvg_clock_mono_ms();
    for (;;) {
        nvg_monitor_drain(c->mon, on_event, &x);
        if (c->verdict)
            return -c->verdict;
        zmq_pollitem_t it[2] = {{.socket = c->sock, .events = ZMQ_POLLIN},
                                {.socket = nvg_monitor_socket(c->mon), .events = ZMQ_POLLIN}};
        long left = ms - (long)(nvg_clock_mono_ms() - t0);
        if (left <= 0)
            return 0;
        int n = zmq_poll(it, 2, left);
        if (n < 0)
            return 0; /* a signal: the caller checks its flag */
        if (it[0].revents & ZMQ_POLLIN) {
            nvg_monitor_drain(c->mon, on_event, &x); /* a refusal wins over a stray message */
            return c->verdict ? -c->verdict : 1;
        }
    }
}

int nvg_ctl_conn_timed_out(struct nvg_ctl *ctl, const struct nvg_ctl_conn *c, const char *what,
                           int timeout_ms)
{
    const char *sep = what ? ": " : "";
    what = what ? what : "";
    if (ctl->keys && c->connected && !c->handshaken) {
        fprintf(stderr,
                "netvigil-ctl: %s%sno CURVE handshake with the collector at %s within %d ms "
                "(%u connection(s) closed during it): --collector-key is most likely not this "
                "collector's public key\n",
                what, sep, c->ep, timeout_ms, c->handshake_closed);
        return NVG_CTL_EXIT_HANDSHAKE;
    }
    /* A CURVE server closes on a client without keys; when it closes before its greeting
     * reaches us (a reset can discard it), libzmq reports a plain disconnect, not the
     * mismatch, and redials: the pattern itself is the evidence. */
    if (!ctl->keys && c->connected && !c->handshaken && c->handshake_closed + c->disconnects) {
        fprintf(stderr,
                "netvigil-ctl: %s%sthe collector at %s closed %u connection(s) before a "
                "handshake within %d ms: it most likely requires keys (CURVE): use --key "
                "FILE.key_secret --collector-key FILE.key, or put them in "
                "$XDG_CONFIG_HOME/netvigil/\n",
                what, sep, c->ep, c->handshake_closed + c->disconnects, timeout_ms);
        return NVG_CTL_EXIT_HANDSHAKE;
    }
    if (c->unreadable) {
        fprintf(stderr,
                "netvigil-ctl: %s%sthe collector at %s sent %u repl%s netvigil-ctl cannot read "
                "(malformed, or over %zu MiB unpacked) and no valid one within %d ms\n",
                what, sep, c->ep, c->unreadable, c->unreadable == 1 ? "y" : "ies",
                NVG_CTL_ARENA_LIMIT >> 20, timeout_ms);
        return NVG_CTL_EXIT_FAIL;
    }
    fprintf(stderr,
            "netvigil-ctl: %s%sno answer from the collector at %s within %d ms (not running or "
            "not reachable?)\n",
            what, sep, c->ep, timeout_ms);
    return NVG_CTL_EXIT_FAIL;
}

void nvg_ctl_default_requester(char *buf, size_t size)
{
    const struct passwd *pw = getpwuid(getuid());
    char host[128] = "?";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(buf, size, "%s@%s", pw ? pw->pw_name : "?", host);
}

static uint64_t new_id(void)
{
    int64_t ns = nvg_clock_wall_ns();
    uint64_t id = ((uint64_t)(ns / NVG_NS_PER_SEC) << 32) ^ ((uint64_t)(ns % NVG_NS_PER_SEC) << 8) ^
                  (uint64_t)getpid();
    return id ? id : 1;
}

/* The next message on the socket as a reply to id, or NULL (not ours, or unreadable). */
static Netvigil__ControlReply *recv_reply(struct nvg_ctl_conn *c, struct nvg_arena *arena,
                                          uint64_t id)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    Netvigil__ControlReply *r = NULL;
    if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) >= 0) {
        bool one_frame = !zmq_msg_more(&m);
        r = one_frame ? nvg_ctl_reply_unpack(arena, zmq_msg_data(&m), zmq_msg_size(&m)) : NULL;
        c->unreadable += r == NULL;
        while (zmq_msg_more(&m) && zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) >= 0) {
        } /* the rest of a message of several frames: dropped with it */
    }
    zmq_msg_close(&m);
    if (r && r->id == id)
        return r;
    /* A request error the collector could not tie to our id (e.g. it could not parse the
     * request) still answers us: no other request is in flight on this socket. */
    if (r && r->id == 0 && !r->ok && r->n_results == 0)
        return r;
    return NULL;
}

Netvigil__ControlReply *nvg_ctl_request(struct nvg_ctl *ctl, struct nvg_ctl_conn *c,
                                        struct nvg_arena *arena, Netvigil__ControlRequest *req,
                                        const char *what, int timeout_ms, int *status)
{
    req->protocol_version = NVG_PROTOCOL_VERSION;
    if (!req->id)
        req->id = new_id();
    if (!req->requester || !req->requester[0]) /* _INIT sets "" */
        req->requester = ctl->requester;
    int64_t t0 = nvg_clock_mono_ms();
    /* The DEALER queues the request until the connection is up; a collector that is not there
     * shows as no answer within the timeout. */
    if (nvg_zmq_send_pb(c->sock, &req->base, ZMQ_DONTWAIT) < 0) {
        fprintf(stderr, "netvigil-ctl: cannot send the request to %s\n", c->ep);
        *status = NVG_CTL_EXIT_FAIL;
        return NULL;
    }
    for (;;) {
        long left = (long)(timeout_ms - (nvg_clock_mono_ms() - t0));
        int rc = left > 0 ? nvg_ctl_conn_wait(ctl, c, left) : 0;
        if (rc < 0) {
            *status = -rc;
            return NULL;
        }
        if (rc == 0 && nvg_clock_mono_ms() - t0 >= timeout_ms) {
            *status = nvg_ctl_conn_timed_out(ctl, c, what, timeout_ms);
            return NULL;
        }
        /* Drain what is there: a hostile collector's stray replies must not starve ours. */
        for (int i = 0; rc > 0 && i < 64; i++) {
            Netvigil__ControlReply *r = recv_reply(c, arena, req->id);
            if (r)
                return r;
            int ev = 0;
            size_t sz = sizeof(ev);
            if (zmq_getsockopt(c->sock, ZMQ_EVENTS, &ev, &sz) != 0 || !(ev & ZMQ_POLLIN))
                break;
        }
    }
}

int nvg_ctl_refused(const Netvigil__ControlReply *r)
{
    fprintf(stderr, "netvigil-ctl: the collector refused: ");
    nvg_ctl_put(stderr, r->error && *r->error ? r->error : "(no reason)", 1024);
    fputc('\n', stderr);
    return nvg_ctl_reply_not_allowed(r) ? NVG_CTL_EXIT_NOT_ALLOWED : NVG_CTL_EXIT_FAIL;
}

Netvigil__ControlReply *nvg_ctl_query(struct nvg_ctl *ctl, Netvigil__ControlRequest *req,
                                      struct nvg_arena **arena, int *status)
{
    *arena = NULL;
    struct nvg_ctl_conn c;
    *status = nvg_ctl_conn_open(ctl, &c, ZMQ_DEALER, ctl->control_ep, 4);
    if (*status)
        return NULL;
    *arena = nvg_ctl_arena_new();
    if (!*arena) {
        nvg_ctl_conn_close(&c);
        *status = NVG_CTL_EXIT_FAIL;
        return NULL;
    }
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_STATUS_TIMEOUT_MS;
    Netvigil__ControlReply *r = nvg_ctl_request(ctl, &c, *arena, req, NULL, timeout, status);
    nvg_ctl_conn_close(&c);
    if (r && !r->ok) {
        *status = nvg_ctl_refused(r);
        return NULL;
    }
    return r;
}
