#include "connections.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-monitor.h"
#include "nvg-ratelog.h"

/* The descriptors one process can have open bound the table anyway (LimitNOFILE). */
#define CONN_FDS_MAX 65536

struct watched {
    struct nvg_monitor *mon;
    int *fds;
    size_t n, cap;
};

struct nvg_connections {
    struct watched w[NVG_CONN_COUNT];
    struct nvg_security_counters *sec;
    uint64_t *sensor_disconnects;
    struct nvg_ratelog rl;
};

static const char *const socket_names[NVG_CONN_COUNT] = {"sensor", "feed", "control"};

struct nvg_connections *nvg_connections_new(void *ctx, void *const socks[NVG_CONN_COUNT],
                                            struct nvg_security_counters *counters,
                                            uint64_t *sensor_disconnects)
{
    struct nvg_connections *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->sec = counters;
    c->sensor_disconnects = sensor_disconnects;
    c->rl.interval_ms = 10000;
    int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    for (int i = 0; i < NVG_CONN_COUNT; i++) {
        char err[NVG_ERRBUF_SIZE] = "";
        c->w[i].mon = nvg_monitor_new(ctx, socks[i], events, err);
        if (!c->w[i].mon)
            nvg_log(NVG_LOG_WARNING,
                    "no monitor on the %s socket (%s): its disconnects and "
                    "failed handshakes go uncounted",
                    socket_names[i], err);
    }
    return c;
}

void nvg_connections_free(struct nvg_connections *c)
{
    if (!c)
        return;
    for (int i = 0; i < NVG_CONN_COUNT; i++) {
        nvg_monitor_free(c->w[i].mon);
        free(c->w[i].fds);
    }
    free(c);
}

int nvg_connections_poll_items(const struct nvg_connections *c, zmq_pollitem_t *items)
{
    int n = 0;
    for (int i = 0; i < NVG_CONN_COUNT; i++)
        if (c->w[i].mon)
            items[n++] =
                (zmq_pollitem_t){.socket = nvg_monitor_socket(c->w[i].mon), .events = ZMQ_POLLIN};
    return n;
}

static void fd_add(struct watched *w, int fd)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        int *v = cap <= CONN_FDS_MAX ? realloc(w->fds, cap * sizeof(*v)) : NULL;
        if (!v)
            return; /* untracked: only revocation's cut misses it */
        w->fds = v, w->cap = cap;
    }
    w->fds[w->n++] = fd;
}

static void fd_remove(struct watched *w, int fd)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->fds[i] == fd) {
            w->fds[i] = w->fds[--w->n];
            return;
        }
}

static void on_event(struct nvg_connections *c, int which, const struct nvg_monitor_event *ev)
{
    struct watched *w = &c->w[which];
    switch (ev->event) {
    case ZMQ_EVENT_ACCEPTED:
        fd_add(w, (int)ev->value);
        break;
    case ZMQ_EVENT_DISCONNECTED:
        fd_remove(w, (int)ev->value);
        if (which == NVG_CONN_SENSOR) {
            (*c->sensor_disconnects)++;
            nvg_log(NVG_LOG_INFO, "a sensor connection closed (%llu so far)",
                    (unsigned long long)*c->sensor_disconnects);
        }
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: {
        bool mechanism = ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                         ev->value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
        if (mechanism)
            c->sec->mechanism_refused++;
        else
            c->sec->handshakes_failed++;
        nvg_ratelog_log(&c->rl, nvg_clock_mono_ms(), NVG_LOG_WARNING,
                        "a handshake on the %s socket failed: %s", socket_names[which],
                        mechanism ? "the client does not use the same security mechanism "
                                    "(CURVE with or without keys on one side only)"
                                  : "bad or no CURVE handshake (wrong collector key?)");
        break;
    }
    }
}

void nvg_connections_drain(struct nvg_connections *c)
{
    for (int i = 0; i < NVG_CONN_COUNT; i++) {
        struct nvg_monitor_event ev;
        while (c->w[i].mon && nvg_monitor_recv(c->w[i].mon, &ev) == 1)
            on_event(c, i, &ev);
    }
}

/* The peer's IP as text, IPv4-mapped IPv6 addresses in their IPv4 form (as ZAP shows them). */
static bool peer_ip(int fd, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return false;
    if (ss.ss_family == AF_INET)
        return inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, size) != NULL;
    if (ss.ss_family != AF_INET6)
        return false;
    const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a))
        return inet_ntop(AF_INET, &a->s6_addr[12], buf, size) != NULL;
    return inet_ntop(AF_INET6, a, buf, size) != NULL;
}

int nvg_connections_cut(struct nvg_connections *c, const char *address)
{
    const char *want = strncmp(address, "::ffff:", 7) == 0 ? address + 7 : address;
    int cut = 0;
    for (int i = 0; i < NVG_CONN_COUNT; i++)
        for (size_t j = 0; j < c->w[i].n; j++) {
            char ip[INET6_ADDRSTRLEN];
            if (peer_ip(c->w[i].fds[j], ip, sizeof(ip)) && strcmp(ip, want) == 0 &&
                shutdown(c->w[i].fds[j], SHUT_RDWR) == 0)
                cut++;
        }
    return cut;
}
