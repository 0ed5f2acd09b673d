/* The sensor link's socket: the DEALER with its limits and keys, and what its monitor
 * reports (connects, CURVE handshakes, ZAP refusals). See link.h. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "link-internal.h"
#include "nvg-clock.h"
#include "nvg-log.h"
#include "nvg-monitor.h"
#include "nvg-zmq.h"

static void set_opt(void *sock, int opt, int value, bool *ok)
{
    if (zmq_setsockopt(sock, opt, &value, sizeof(value)) != 0)
        *ok = false;
}

/* Connection events: a (re)connected collector may be a new process that knows nothing of us,
 * so we say Hello (and, while finishing, EndOfStream) again. */
static void on_connected(struct nvg_link *link)
{
    link->connected = true;
    link->handshaken = false;
    link->st.connects++;
    if (!link->curve)
        nvg_log(NVG_LOG_INFO, "connected to the collector at %s", link->endpoint);
    nvg__link_send_hello(link);
    if (link->eos_waiting)
        nvg__link_send_eos(link);
}

/* A ZAP refusal (FAILED_AUTH) or a broken handshake (FAILED_PROTOCOL: the collector runs
 * without CURVE, or with another mechanism) will not heal by reconnecting: give up with
 * an error that says what to fix. */
static void on_handshake_failed(struct nvg_link *link, const struct nvg_monitor_event *ev)
{
    if (ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        snprintf(link->error, sizeof(link->error),
                 "the collector at %s does not accept this key (sensor %s, ZAP status %u): "
                 "its keys/sensors/ must hold this sensor's public key, under the sensor's "
                 "name",
                 link->endpoint, link->sensor, ev->value);
    else if (link->curve)
        snprintf(link->error, sizeof(link->error),
                 "no CURVE handshake with the collector at %s (protocol error 0x%x): does the "
                 "collector run with --keys?",
                 link->endpoint, ev->value);
    else
        snprintf(link->error, sizeof(link->error),
                 "the collector at %s wants keys (protocol error 0x%x): give --key and "
                 "--collector-key",
                 link->endpoint, ev->value);
    link->key_refused = true;
    nvg_log(NVG_LOG_ERR, "%s", link->error);
}

/* A CURVE client whose collector public key is wrong hears nothing back: the collector
 * cannot read our HELLO and closes, or stays silent until ZMQ_HANDSHAKE_IVL. So a connection that
 * ends (ZMQ_HANDSHAKE_IVL) before its handshake is the sign; say so, rate-limited, and keep trying.
 */
static void on_disconnected(struct nvg_link *link)
{
    bool was = link->connected;
    link->connected = false;
    if (link->curve && !link->handshaken && !link->key_refused) {
        if (nvg_ratelog_allow(&link->rl_handshake, nvg_clock_mono_ms(), NULL))
            nvg_log(NVG_LOG_WARNING,
                    "no CURVE handshake with the collector at %s (it closed the connection or "
                    "stayed silent for %d s): is --collector-key the collector's key? "
                    "(retrying)",
                    link->endpoint, NVG_LINK_HANDSHAKE_MS / 1000);
        return;
    }
    if (was)
        nvg_log(NVG_LOG_WARNING, "lost the collector at %s; reconnecting", link->endpoint);
}

static void on_link_event(void *user, const struct nvg_monitor_event *ev)
{
    struct nvg_link *link = user;
    switch (ev->event) {
    case ZMQ_EVENT_CONNECTED:
        on_connected(link);
        break;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        if (link->curve)
            nvg_log(NVG_LOG_INFO, "connected to the collector at %s (CURVE, key accepted)",
                    link->endpoint);
        link->handshaken = true;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        on_handshake_failed(link, ev);
        break;
    case ZMQ_EVENT_DISCONNECTED:
        on_disconnected(link);
        break;
    }
}

bool nvg_link_connected(const struct nvg_link *link)
{
    return link->connected && (!link->curve || link->handshaken);
}

void nvg__link_recv_monitor(struct nvg_link *link)
{
    nvg_monitor_drain(link->monitor, on_link_event, link);
}

#define LINK_EVENTS                                                                                \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |                \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)

/* Commands from the collector are small (NVG_CONTROL_MAX_MSG); heartbeats find a dead
 * collector, the handshake interval a silent one. */
int nvg__link_open_sockets(struct nvg_link *link, void *ctx, char *err)
{
    struct nvg_sockopts so = {.sndhwm = link->opts.sndhwm,
                              .rcvhwm = 100,
                              .linger_ms = 100,
                              .max_msg_size = NVG_CONTROL_MAX_MSG,
                              .heartbeat_ms = 1000,
                              .handshake_ms = NVG_LINK_HANDSHAKE_MS};
    link->sock = nvg_zmq_socket(ctx, ZMQ_DEALER, &so, err);
    if (!link->sock)
        return NVG_EZMQ;
    bool ok = true;
    set_opt(link->sock, ZMQ_IMMEDIATE, link->mode == NVG_LINK_LIVE, &ok);
    set_opt(link->sock, ZMQ_RECONNECT_IVL, 100, &ok);
    set_opt(link->sock, ZMQ_RECONNECT_IVL_MAX, 2000, &ok);
    if (link->mode == NVG_LINK_FILE)
        set_opt(link->sock, ZMQ_SNDTIMEO, link->opts.send_timeout_ms, &ok);
    if (!ok) {
        snprintf(err, NVG_ERRBUF_SIZE, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
        return NVG_EZMQ;
    }
    if (link->curve) {
        int rc =
            nvg_zmq_curve_client(link->sock, link->opts.own_key, link->opts.collector_key, err);
        if (rc < 0)
            return rc;
    }
    /* Before connect, or the first CONNECTED is missed. */
    link->monitor = nvg_monitor_new(ctx, link->sock, LINK_EVENTS, err);
    if (!link->monitor)
        return NVG_EZMQ;
    if (nvg_zmq_connect(link->sock, link->endpoint) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot connect to %s: %s", link->endpoint,
                 zmq_strerror(zmq_errno()));
        return NVG_EINVAL;
    }
    return 0;
}
