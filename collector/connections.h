/* The connections of the collector's three sockets, as their socket monitors report them:
 * sensor-link disconnects (a sensor that sends above ZMQ_MAXMSGSIZE is disconnected by libzmq,
 * and this is where that becomes a count), failed handshakes by reason, and the descriptors of
 * accepted connections, so that a revoked key's connections can be cut (auth.h says why it
 * must be done at the TCP level).
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

/* Shuts down every accepted connection whose peer IP address is address (as ZAP reports it);
 * libzmq then sees it close. Returns how many were cut. */
int nvg_connections_cut(struct nvg_connections *conns, const char *address);

#endif
