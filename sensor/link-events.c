/* The sensor link's socket: the DEALER with its limits and keys, and what its monitor
 * reports (connects, CURVE handshakes, ZAP refusals). See link.h. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "link-internal.h"
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
static void on_link_event(void *user, const struct nvg_monitor_event *ev)
{
    struct nvg_link *link = user;
    if (ev->event == ZMQ_EVENT_CONNECTED) {
        link->connected = true;
        link->st.connects++;
        nvg_log(NVG_LOG_INFO, "connected to the collector at %s", link->endpoint);
        nvg__link_send_hello(link);
        if (link->eos_waiting)
            nvg__link_send_eos(link);
    } else if (ev->event == ZMQ_EVENT_DISCONNECTED) {
        link->connected = false;
        nvg_log(NVG_LOG_WARNING, "lost the collector at %s; reconnecting", link->endpoint);
    }
}

void nvg__link_recv_monitor(struct nvg_link *link)
{
    nvg_monitor_drain(link->monitor, on_link_event, link);
}

int nvg__link_open_sockets(struct nvg_link *link, void *ctx, char *err)
{
    struct nvg_sockopts so = {.sndhwm = link->opts.sndhwm, .rcvhwm = 100, .linger_ms = 100};
    link->sock = nvg_zmq_socket(ctx, ZMQ_DEALER, &so, err);
    if (!link->sock)
        return NVG_EZMQ;
    bool ok = true;
    set_opt(link->sock, ZMQ_IMMEDIATE, link->mode == NVG_LINK_LIVE, &ok);
    set_opt(link->sock, ZMQ_RECONNECT_IVL, 100, &ok);
    set_opt(link->sock, ZMQ_RECONNECT_IVL_MAX, 2000, &ok);
    set_opt(link->sock, ZMQ_HEARTBEAT_IVL, 1000, &ok);
    set_opt(link->sock, ZMQ_HEARTBEAT_TIMEOUT, 3000, &ok);
    set_opt(link->sock, ZMQ_HEARTBEAT_TTL, 3000, &ok);
    if (link->mode == NVG_LINK_FILE)
        set_opt(link->sock, ZMQ_SNDTIMEO, link->opts.send_timeout_ms, &ok);
    if (!ok) {
        snprintf(err, NVG_ERRBUF_SIZE, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
        return NVG_EZMQ;
    }

    /* Before connect, or the first CONNECTED is missed. */
    link->monitor =
        nvg_monitor_new(ctx, link->sock, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED, err);
    if (!link->monitor)
        return NVG_EZMQ;
    if (zmq_connect(link->sock, link->endpoint) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot connect to %s: %s", link->endpoint,
                 zmq_strerror(zmq_errno()));
        return NVG_EINVAL;
    }
    return 0;
}
