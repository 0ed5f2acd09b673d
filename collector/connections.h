/* The connections of the collector's three sockets, as their socket monitors report them:
 * sensor-link disconnects (a sensor that sends above ZMQ_MAXMSGSIZE is disconnected by libzmq,
 * and this is where that becomes a count), failed handshakes by reason, and the descriptors of
 * accepted connections, so that a revoked key's connections can be cut (auth.h says why it
 * must be done at the TCP level).
 *
 * The same descriptors carry two limits. Descriptors: a connection accepted when the process
 * is near RLIMIT_NOFILE is cut at once and counted in fds_refused (fd-budget.h says why that,
 * and not libzmq's own EMFILE handling). Idleness: a sensor or control connection that has
 * delivered no message for its socket's idle timeout (ZMTP heartbeats do not count: a client
 * that is alive but says nothing is what this reaps) is shut down and counted in
 * idle_expired. Feed subscribers never send after subscribing and are never reaped.
 *
 * Owned by the collector's thread, like the sockets it watches. */
#ifndef NVG_CONNECTIONS_H
#define NVG_CONNECTIONS_H

#include <stdint.h>
#include <zmq.h>

#include "peer.h"

enum nvg_conn_socket { NVG_CONN_SENSOR, NVG_CONN_FEED, NVG_CONN_CONTROL, NVG_CONN_COUNT };

struct nvg_connections;

/* Monitors socks[NVG_CONN_*] (not bound yet). counters and sensor_disconnects are lent. A
 * socket whose monitor cannot be made is logged and left unwatched. */
struct nvg_connections *nvg_connections_new(void *ctx, void *const socks[NVG_CONN_COUNT],
                                            struct nvg_security_counters *counters,
                                            uint64_t *sensor_disconnects);
void nvg_connections_free(struct nvg_connections *conns); /* before closing the sockets */

/* Fills up to NVG_CONN_COUNT poll items (ZMQ_POLLIN on the monitors); returns how many. */
int nvg_connections_poll_items(const struct nvg_connections *conns, zmq_pollitem_t *items);
/* Handles every waiting event of every monitor. */
void nvg_connections_drain(struct nvg_connections *conns);

/* Idle timeouts in ms for the sensor and the control socket; 0 = never. Defaults: 30 s and
 * 60 s (a sensor says something every second). */
void nvg_connections_set_idle(struct nvg_connections *conns, int sensor_ms, int control_ms);

/* A message was received on the sensor or control socket: its connection is not idle. Any
 * frame of the message will do (libzmq tags each with its connection's descriptor). The one
 * nvg_connections of the process is meant, so that ingest and control need no handle to it;
 * without one this does nothing. */
void nvg_connections_note(zmq_msg_t *msg);

/* Once a second: reaps idle connections, recounts descriptors, takes the reserve back. */
void nvg_connections_tick(struct nvg_connections *conns);

/* Shuts down every accepted connection whose peer IP address is address (as ZAP reports it);
 * libzmq then sees it close. Returns how many were cut. */
int nvg_connections_cut(struct nvg_connections *conns, const char *address);

/* Connections accepted on a socket and open now (none refused or reaped), for the metrics:
 * on the feed socket, the subscribers. */
size_t nvg_connections_open(const struct nvg_connections *conns, enum nvg_conn_socket which);
/* Whether a peer may be there: a connection is open, or the socket is not watched (no
 * monitor, or conns NULL), so nothing can be ruled out. */
bool nvg_connections_maybe_open(const struct nvg_connections *conns, enum nvg_conn_socket which);

#endif
