#include "connections.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fd-budget.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-monitor.h"
#include "nvg-ratelog.h"

/* The descriptors one process can have open bound the table anyway (LimitNOFILE); above this
 * a connection is still counted and cut on revocation, but never reaped for idleness (its
 * messages could not be noted). */
#define CONN_FDS_MAX 65536
/* A monitor that floods (libzmq reporting a failing accept in a loop) must not keep the
 * collector's thread from its other work. */
#define EVENTS_PER_DRAIN 512
#define LISTENERS_MAX 4 /* "localhost" binds two per socket */
#define DEFAULT_SENSOR_IDLE_MS 30000
#define DEFAULT_CONTROL_IDLE_MS 60000

enum conn_state { CONN_OPEN, CONN_REFUSED, CONN_REAPED };

/* Who is at the other end, to check before a shutdown that the descriptor (which libzmq may
 * have closed and the kernel handed out again since its event) is still that connection. */
struct conn_addr {
    uint16_t family, port;
    uint8_t addr[16];
};

struct conn {
    int fd;
    uint8_t state;   /* enum conn_state */
    int64_t last_ms; /* monotonic: accepted, or its last message */
    struct conn_addr peer;
};

struct watched {
    struct nvg_monitor *mon;
    struct conn *v;
    size_t n, cap;
    int listeners[LISTENERS_MAX];
    int nlisteners;
    int idle_ms;
    /* A handshake failure held back until the DISCONNECTED behind it says whether it was a
     * connection this module cut (then it is no failure of the peer's). */
    bool hs_pending;
    bool held; /* out of descriptors: the listeners drop every packet (fd-budget.h) */
};

struct nvg_connections {
    struct watched w[NVG_CONN_COUNT];
    struct nvg_security_counters *sec;
    uint64_t *sensor_disconnects;
    struct nvg_ratelog rl, rl_fds, rl_idle, rl_hold;
    struct nvg_fd_budget fds;
    uint32_t *slot; /* slot[fd]: (socket << 28) | (index + 1) of its conn; 0 = none */
    int slot_cap;
    size_t peers; /* conns in every table */
    bool stale;   /* some conn lost its descriptor to a newer connection: sweep */
    bool checked; /* the limit was judged once everything of start-up was open */
    uint64_t emfile;
};

static const char *const socket_names[NVG_CONN_COUNT] = {"sensor", "feed", "control"};

/* The one instance, for nvg_connections_note(): see connections.h. */
static struct nvg_connections *the_connections;

static void set_backlogs(struct nvg_connections *c, void *const socks[NVG_CONN_COUNT])
{
    for (int i = 0; i < NVG_CONN_COUNT; i++)
        if (zmq_setsockopt(socks[i], ZMQ_BACKLOG, &c->fds.backlog, sizeof(int)) != 0)
            nvg_log(NVG_LOG_WARNING, "ZMQ_BACKLOG on the %s socket: %s", socket_names[i],
                    zmq_strerror(zmq_errno()));
}

static void open_monitors(struct nvg_connections *c, void *ctx, void *const socks[])
{
    int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_LISTENING |
                 ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    for (int i = 0; i < NVG_CONN_COUNT; i++) {
        char err[NVG_ERRBUF_SIZE] = "";
        c->w[i].mon = nvg_monitor_new(ctx, socks[i], events, err);
        if (!c->w[i].mon)
            nvg_log(NVG_LOG_WARNING,
                    "no monitor on the %s socket (%s): its disconnects, failed handshakes, "
                    "descriptors and idle connections go unwatched",
                    socket_names[i], err);
    }
}

static void warn_small_limit(const struct nvg_connections *c)
{
    int sensors = nvg_fd_budget_peer_max(&c->fds, false);
    if (c->fds.limit == INT_MAX || sensors >= 64)
        return;
    nvg_log(NVG_LOG_WARNING,
            "the descriptor limit (%d) leaves room for only %d sensor and subscriber "
            "connection(s); raise LimitNOFILE (ulimit -n) for more",
            c->fds.limit, sensors);
}

struct nvg_connections *nvg_connections_new(void *ctx, void *const socks[NVG_CONN_COUNT],
                                            struct nvg_security_counters *counters,
                                            uint64_t *sensor_disconnects)
{
    struct nvg_connections *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->sec = counters;
    c->sensor_disconnects = sensor_disconnects;
    c->rl.interval_ms = c->rl_fds.interval_ms = c->rl_idle.interval_ms = 10000;
    c->rl_hold.interval_ms = 10000;
    c->w[NVG_CONN_SENSOR].idle_ms = DEFAULT_SENSOR_IDLE_MS;
    c->w[NVG_CONN_CONTROL].idle_ms = DEFAULT_CONTROL_IDLE_MS;
    nvg_fd_budget_init(&c->fds, 0);
    c->slot_cap = c->fds.limit < CONN_FDS_MAX ? c->fds.limit : CONN_FDS_MAX;
    c->slot = calloc((size_t)c->slot_cap, sizeof(*c->slot));
    if (!c->slot) {
        nvg_fd_budget_free(&c->fds);
        free(c);
        return NULL;
    }
    set_backlogs(c, socks);
    open_monitors(c, ctx, socks);
    the_connections = c;
    return c;
}

void nvg_connections_free(struct nvg_connections *c)
{
    if (!c)
        return;
    for (int i = 0; i < NVG_CONN_COUNT; i++) {
        nvg_monitor_free(c->w[i].mon);
        free(c->w[i].v);
    }
    nvg_fd_budget_free(&c->fds);
    free(c->slot);
    if (the_connections == c)
        the_connections = NULL;
    free(c);
}

void nvg_connections_set_idle(struct nvg_connections *c, int sensor_ms, int control_ms)
{
    c->w[NVG_CONN_SENSOR].idle_ms = sensor_ms;
    c->w[NVG_CONN_CONTROL].idle_ms = control_ms;
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

/* ---- the table of connections ------------------------------------------------------------ */

static void set_slot(struct nvg_connections *c, int which, size_t idx)
{
    int fd = c->w[which].v[idx].fd;
    if (fd >= 0 && fd < c->slot_cap)
        c->slot[fd] = ((uint32_t)which << 28) | (uint32_t)(idx + 1);
}

static struct conn *find(struct nvg_connections *c, int which, int fd)
{
    struct watched *w = &c->w[which];
    if (fd >= 0 && fd < c->slot_cap) {
        uint32_t s = c->slot[fd];
        if (s == 0 || (int)(s >> 28) != which)
            return NULL;
        return &w->v[(s & 0x0fffffffu) - 1];
    }
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].fd == fd)
            return &w->v[i];
    return NULL;
}

static bool peer_addr(int fd, struct conn_addr *a)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(a, 0, sizeof(*a));
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return false;
    a->family = ss.ss_family;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
        a->port = s4->sin_port;
        memcpy(a->addr, &s4->sin_addr, 4);
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        a->port = s6->sin6_port;
        memcpy(a->addr, &s6->sin6_addr, 16);
    }
    return true;
}

static struct conn *conn_add(struct nvg_connections *c, int which, int fd)
{
    struct watched *w = &c->w[which];
    if (fd >= 0 && fd < c->slot_cap && c->slot[fd]) {
        /* A DISCONNECTED we never saw (a monitor message lost): the old entry is gone. */
        struct conn *old = find(c, (int)(c->slot[fd] >> 28), fd);
        if (old)
            old->fd = -2, old->state = CONN_REFUSED, c->stale = true; /* swept after drain */
        c->slot[fd] = 0;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        struct conn *v = cap <= CONN_FDS_MAX ? realloc(w->v, cap * sizeof(*v)) : NULL;
        if (!v)
            return NULL; /* untracked: never cut, never reaped */
        w->v = v, w->cap = cap;
    }
    struct conn *e = &w->v[w->n];
    *e = (struct conn){.fd = fd, .state = CONN_OPEN, .last_ms = nvg_clock_mono_ms()};
    peer_addr(fd, &e->peer);
    set_slot(c, which, w->n);
    w->n++;
    c->peers++;
    return e;
}

static void conn_remove(struct nvg_connections *c, int which, struct conn *e)
{
    struct watched *w = &c->w[which];
    size_t idx = (size_t)(e - w->v);
    if (e->fd >= 0 && e->fd < c->slot_cap)
        c->slot[e->fd] = 0;
    w->v[idx] = w->v[--w->n];
    if (idx < w->n)
        set_slot(c, which, idx);
    c->peers--;
}

/* Entries whose descriptor was taken over (conn_add) before their DISCONNECTED came. */
static void sweep(struct nvg_connections *c)
{
    if (!c->stale)
        return;
    c->stale = false;
    for (int i = 0; i < NVG_CONN_COUNT; i++)
        for (size_t j = 0; j < c->w[i].n;)
            if (c->w[i].v[j].fd == -2)
                conn_remove(c, i, &c->w[i].v[j]);
            else
                j++;
}

/* Shuts e's connection down if its descriptor still is that connection. */
static bool cut(struct conn *e, enum conn_state why)
{
    struct conn_addr now;
    if (e->state != CONN_OPEN || !peer_addr(e->fd, &now) || memcmp(&now, &e->peer, sizeof(now)))
        return false;
    if (shutdown(e->fd, SHUT_RDWR) != 0)
        return false;
    e->state = (uint8_t)why;
    return true;
}

void nvg_connections_note(zmq_msg_t *msg)
{
    struct nvg_connections *c = the_connections;
    if (!c)
        return;
    int fd = zmq_msg_get(msg, ZMQ_SRCFD);
    if (fd < 0 || fd >= c->slot_cap || !c->slot[fd])
        return;
    uint32_t s = c->slot[fd];
    c->w[s >> 28].v[(s & 0x0fffffffu) - 1].last_ms = nvg_clock_mono_ms();
}

/* ---- events ------------------------------------------------------------------------------ */

/* Holds (on) or releases the listeners of a socket. */
static void hold(struct nvg_connections *c, int which, bool on)
{
    struct watched *w = &c->w[which];
    if (w->held == on)
        return;
    w->held = on;
    for (int i = 0; i < w->nlisteners; i++)
        if (nvg_fd_budget_hold(w->listeners[i], on) != 0)
            nvg_log(NVG_LOG_WARNING, "cannot %s the %s socket's listener: %s",
                    on ? "hold" : "release", socket_names[which], strerror(errno));
    nvg_ratelog_log(
        &c->rl_hold, nvg_clock_mono_ms(), on ? NVG_LOG_WARNING : NVG_LOG_NOTICE,
        on ? "the %s socket takes no new connections until descriptors are free "
             "(%zu peer connections, limit %d)"
           : "the %s socket takes new connections again (%zu peer connections, limit %d)",
        socket_names[which], c->peers, c->fds.limit);
}

static void refuse_for_fds(struct nvg_connections *c, int which, struct conn *e)
{
    hold(c, which, true);
    if (!cut(e, CONN_REFUSED))
        return;
    c->sec->fds_refused++;
    nvg_ratelog_log(&c->rl_fds, nvg_clock_mono_ms(), NVG_LOG_ERR,
                    "out of file descriptors (limit %d, %zu peer connections): refused a "
                    "connection on the %s socket (%llu refused so far); raise LimitNOFILE "
                    "(ulimit -n) to serve more peers",
                    c->fds.limit, c->peers, socket_names[which],
                    (unsigned long long)c->sec->fds_refused);
}

static void on_accepted(struct nvg_connections *c, int which, int fd)
{
    struct conn *e = conn_add(c, which, fd);
    if (e && !nvg_fd_budget_admit(&c->fds, c->peers, fd, which == NVG_CONN_CONTROL))
        refuse_for_fds(c, which, e);
}

/* libzmq's listener met EMFILE (fd-budget.h): empty its queue through the reserve. */
static void on_accept_failed(struct nvg_connections *c, int which, int err, bool *drained)
{
    if (err != EMFILE && err != ENFILE)
        return; /* a connection reset while queued: nothing of ours */
    c->emfile++;
    if (*drained)
        return;
    *drained = true;
    hold(c, which, true);
    int closed = 0;
    for (int i = 0; i < c->w[which].nlisteners; i++)
        closed += nvg_fd_budget_drain(&c->fds, c->w[which].listeners[i]);
    c->sec->fds_refused += (uint64_t)closed;
    nvg_ratelog_log(&c->rl_fds, nvg_clock_mono_ms(), NVG_LOG_ERR,
                    "out of file descriptors (%s, limit %d): the %s socket could not accept; "
                    "closed %d waiting connection(s) (%llu refused so far); raise LimitNOFILE "
                    "(ulimit -n) to serve more peers",
                    err == EMFILE ? "EMFILE" : "ENFILE", c->fds.limit, socket_names[which], closed,
                    (unsigned long long)c->sec->fds_refused);
}

static void count_handshake_failure(struct nvg_connections *c, int which, bool mechanism)
{
    if (mechanism)
        c->sec->mechanism_refused++;
    else
        c->sec->handshakes_failed++;
    nvg_ratelog_log(&c->rl, nvg_clock_mono_ms(), NVG_LOG_WARNING,
                    "a handshake on the %s socket failed: %s", socket_names[which],
                    mechanism ? "the client does not use the same security mechanism "
                                "(CURVE with or without keys on one side only)"
                              : "bad or no CURVE handshake (wrong collector key?)");
}

static void on_disconnected(struct nvg_connections *c, int which, int fd)
{
    struct watched *w = &c->w[which];
    struct conn *e = find(c, which, fd);
    bool ours = e && e->state != CONN_OPEN;
    if (w->hs_pending && !ours)
        count_handshake_failure(c, which, false);
    w->hs_pending = false;
    if (which == NVG_CONN_SENSOR && !(e && e->state == CONN_REFUSED)) {
        (*c->sensor_disconnects)++;
        nvg_log(NVG_LOG_INFO, "a sensor connection closed (%llu so far)",
                (unsigned long long)*c->sensor_disconnects);
    }
    if (e)
        conn_remove(c, which, e);
}

static void on_event(struct nvg_connections *c, int which, const struct nvg_monitor_event *ev,
                     bool *drained)
{
    struct watched *w = &c->w[which];
    if (w->hs_pending && ev->event != ZMQ_EVENT_DISCONNECTED) {
        count_handshake_failure(c, which, false);
        w->hs_pending = false;
    }
    switch (ev->event) {
    case ZMQ_EVENT_LISTENING:
        if (w->nlisteners < LISTENERS_MAX)
            w->listeners[w->nlisteners++] = (int)ev->value;
        break;
    case ZMQ_EVENT_ACCEPTED:
        on_accepted(c, which, (int)ev->value);
        break;
    case ZMQ_EVENT_ACCEPT_FAILED:
        on_accept_failed(c, which, (int)ev->value, drained);
        break;
    case ZMQ_EVENT_DISCONNECTED:
        on_disconnected(c, which, (int)ev->value);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        w->hs_pending = true; /* libzmq sends its DISCONNECTED right behind it */
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        count_handshake_failure(c, which, ev->value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
        break;
    }
}

void nvg_connections_drain(struct nvg_connections *c)
{
    for (int i = 0; i < NVG_CONN_COUNT; i++) {
        struct nvg_monitor_event ev;
        bool drained = false;
        for (int n = 0;
             n < EVENTS_PER_DRAIN && c->w[i].mon && nvg_monitor_recv(c->w[i].mon, &ev) == 1; n++)
            on_event(c, i, &ev, &drained);
    }
    sweep(c);
}

/* ---- once a second ----------------------------------------------------------------------- */

static int reap_idle(struct nvg_connections *c, int which, int64_t now)
{
    struct watched *w = &c->w[which];
    int reaped = 0;
    for (size_t i = 0; w->idle_ms > 0 && i < w->n; i++) {
        struct conn *e = &w->v[i];
        if (e->fd < 0 || e->fd >= c->slot_cap || now - e->last_ms <= w->idle_ms)
            continue;
        if (cut(e, CONN_REAPED))
            reaped++;
    }
    if (reaped) {
        c->sec->idle_expired += (uint64_t)reaped;
        nvg_ratelog_log(&c->rl_idle, now, NVG_LOG_NOTICE,
                        "closed %d idle connection(s) on the %s socket: nothing received for "
                        "%d ms (%llu so far)",
                        reaped, socket_names[which], w->idle_ms,
                        (unsigned long long)c->sec->idle_expired);
    }
    return reaped;
}

void nvg_connections_tick(struct nvg_connections *c)
{
    /* Events first, so that no descriptor libzmq already closed is taken for idle. */
    nvg_connections_drain(c);
    for (int i = 0; i < NVG_CONN_COUNT; i++)
        if (c->w[i].hs_pending) { /* its DISCONNECTED is late: a failure all the same */
            count_handshake_failure(c, i, false);
            c->w[i].hs_pending = false;
        }
    int64_t now = nvg_clock_mono_ms();
    reap_idle(c, NVG_CONN_SENSOR, now);
    reap_idle(c, NVG_CONN_CONTROL, now);
    nvg_fd_budget_refresh(&c->fds, c->peers);
    if (!c->checked) {
        c->checked = true;
        warn_small_limit(c);
    }
    for (int i = 0; i < NVG_CONN_COUNT; i++)
        if (c->w[i].held && nvg_fd_budget_room(&c->fds, c->peers, i == NVG_CONN_CONTROL))
            hold(c, i, false);
}

/* ---- revocation -------------------------------------------------------------------------- */

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
            int fd = c->w[i].v[j].fd;
            if (fd >= 0 && peer_ip(fd, ip, sizeof(ip)) && strcmp(ip, want) == 0 &&
                shutdown(fd, SHUT_RDWR) == 0)
                cut++;
        }
    return cut;
}

bool nvg_connections_maybe_open(const struct nvg_connections *c, enum nvg_conn_socket which)
{
    return !c || which >= NVG_CONN_COUNT || !c->w[which].mon || nvg_connections_open(c, which);
}

size_t nvg_connections_open(const struct nvg_connections *c, enum nvg_conn_socket which)
{
    if (!c || which >= NVG_CONN_COUNT)
        return 0;
    const struct watched *w = &c->w[which];
    size_t n = 0;
    for (size_t i = 0; i < w->n; i++)
        n += w->v[i].fd >= 0 && w->v[i].state == CONN_OPEN;
    return n;
}
