/* Connection events of a ZeroMQ socket (zmq_socket_monitor), one helper for every program: the
 * sensor says Hello again on each (re)connect, the collector counts sensor disconnects, the
 * viewer shows whether its feed is up.
 *
 * libzmq publishes a socket's events on an inproc PAIR; this creates that pair under a name
 * unique in the process (a closed monitor's inproc name is released asynchronously, so a new
 * one must never reuse it) and connects our end. Create it before connecting or binding the
 * monitored socket, or the first events are missed. Each event is two frames (event id and
 * value, then the peer's endpoint); they are drained together without waiting.
 *
 * The monitor belongs to the thread that owns the monitored socket, like the socket itself. */
#ifndef NVG_MONITOR_H
#define NVG_MONITOR_H

#include <stdint.h>

struct nvg_monitor;

struct nvg_monitor_event {
    uint16_t event; /* ZMQ_EVENT_CONNECTED, ZMQ_EVENT_DISCONNECTED, ... */
    uint32_t value; /* the event's value: an fd, an errno, a reconnect interval */
};

typedef void (*nvg_monitor_fn)(void *user, const struct nvg_monitor_event *ev);

/* Monitors events (a ZMQ_EVENT_* mask) of sock, which must not be connected or bound yet. ctx is
 * the process's context, sock stays the caller's. NULL on error with the reason in err
 * (NVG_ERRBUF_SIZE bytes, may be NULL); zmq_errno() then still tells the failing call's error. */
struct nvg_monitor *nvg_monitor_new(void *ctx, void *sock, int events, char *err);
/* Stops monitoring and closes our end. Call it before closing the monitored socket. */
void nvg_monitor_free(struct nvg_monitor *mon);

/* Our end of the pair, for zmq_poll (ZMQ_POLLIN: events are waiting). */
void *nvg_monitor_socket(const struct nvg_monitor *mon);

/* The next event without waiting: 1 with *ev filled, 0 when none is waiting. */
int nvg_monitor_recv(struct nvg_monitor *mon, struct nvg_monitor_event *ev);
/* Hands every waiting event to fn, in order; returns how many. */
int nvg_monitor_drain(struct nvg_monitor *mon, nvg_monitor_fn fn, void *user);

#endif
