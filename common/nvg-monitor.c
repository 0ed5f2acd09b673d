/* Socket monitors. See nvg-monitor.h. */
#include "nvg-monitor.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "nvg-error.h"

struct nvg_monitor {
    void *watched; /* the monitored socket, the caller's */
    void *pair;    /* our end */
};

static void set_err(char *err, const char *what, int e)
{
    if (err)
        snprintf(err, NVG_ERRBUF_SIZE, "%s: %s", what, zmq_strerror(e));
}

/* Close what was opened, keeping zmq_errno() at the error that made us give up. */
static void fail(struct nvg_monitor *mon, int e)
{
    nvg_monitor_free(mon);
    errno = e;
}

struct nvg_monitor *nvg_monitor_new(void *ctx, void *sock, int events, char *err)
{
    struct nvg_monitor *mon = calloc(1, sizeof(*mon));
    if (!mon) {
        set_err(err, "socket monitor", ENOMEM);
        errno = ENOMEM;
        return NULL;
    }
    /* Unique per process: a counter, not an address, since addresses are reused. */
    static atomic_ulong serial;
    char name[64];
    snprintf(name, sizeof(name), "inproc://nvg-monitor-%lu", atomic_fetch_add(&serial, 1));
    if (zmq_socket_monitor(sock, name, events) != 0) {
        int e = zmq_errno();
        set_err(err, "zmq_socket_monitor", e);
        fail(mon, e);
        return NULL;
    }
    mon->watched = sock;
    int zero = 0;
    mon->pair = zmq_socket(ctx, ZMQ_PAIR);
    if (!mon->pair || zmq_setsockopt(mon->pair, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
        zmq_connect(mon->pair, name) != 0) {
        int e = zmq_errno();
        set_err(err, "connecting the monitor", e);
        fail(mon, e);
        return NULL;
    }
    return mon;
}

void nvg_monitor_free(struct nvg_monitor *mon)
{
    if (!mon)
        return;
    if (mon->watched)
        zmq_socket_monitor(mon->watched, NULL, 0);
    if (mon->pair)
        zmq_close(mon->pair);
    free(mon);
}

void *nvg_monitor_socket(const struct nvg_monitor *mon)
{
    return mon->pair;
}

int nvg_monitor_recv(struct nvg_monitor *mon, struct nvg_monitor_event *ev)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, mon->pair, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return 0;
    }
    /* Frame 1: event id (16 bits) and value (32 bits), host order. */
    uint8_t head[6] = {0};
    size_t n = zmq_msg_size(&m);
    memcpy(head, zmq_msg_data(&m), n < sizeof(head) ? n : sizeof(head));
    memcpy(&ev->event, head, 2);
    memcpy(&ev->value, head + 2, 4);
    /* Frame 2, the endpoint, and anything a later libzmq may add: already here, since a
     * message arrives whole. */
    while (zmq_msg_more(&m) && zmq_msg_recv(&m, mon->pair, ZMQ_DONTWAIT) >= 0) {
    }
    zmq_msg_close(&m);
    return 1;
}

int nvg_monitor_drain(struct nvg_monitor *mon, nvg_monitor_fn fn, void *user)
{
    int n = 0;
    struct nvg_monitor_event ev;
    while (nvg_monitor_recv(mon, &ev)) {
        fn(user, &ev);
        n++;
    }
    return n;
}
