/* Who sent a message, as libzmq vouches for it, and what that peer may do.
 *
 * With --keys the ZAP handler (auth.h) authenticates every connection by its CURVE key and
 * answers with the key's certificate name as User-Id and its role as the "Role" metadata
 * property ("sensor", "viewer" or "admin"); libzmq then attaches both to every message that
 * connection delivers. Without keys (loopback development mode, or --insecure) there is no
 * ZAP handler and every peer is anonymous with every right. Nothing a peer writes into a
 * message (Batch.sensor, ControlRequest.requester) can change its peer identity. */
#ifndef NVG_PEER_H
#define NVG_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "nvg-text.h"

enum nvg_role {
    NVG_ROLE_NONE,   /* keys on, but the message carries no (known) role: no right at all */
    NVG_ROLE_SENSOR, /* may send data (7700), only under its certificate's name */
    NVG_ROLE_VIEWER, /* may read the feed (7701) and ask for status (7702) */
    NVG_ROLE_ADMIN,  /* a viewer that may also command sensors */
    NVG_ROLE_ANY,    /* keys off: anonymous, every right */
};

/* The "Role" property the ZAP handler sets, and its values. */
#define NVG_PEER_ROLE_PROPERTY "Role"
const char *nvg_role_name(enum nvg_role role);      /* "sensor", "viewer", "admin", "any", "none" */
enum nvg_role nvg_role_from_name(const char *name); /* NVG_ROLE_NONE for anything else */

enum nvg_right {
    NVG_RIGHT_SEND_DATA, /* Hello, Batch, SensorStatus, EndOfStream, CommandReply on 7700 */
    NVG_RIGHT_READ,      /* feed subscription, STATUS requests */
    NVG_RIGHT_COMMAND,   /* START, STOP, RESTART, SET_FILTER, FORGET */
};

struct nvg_peer {
    enum nvg_role role;
    char key_name[NVG_NAME_MAX + 1]; /* certificate name; "" without keys */
    char address[64];                /* the connection's IP address; "" when libzmq has none */
};

/* Fills peer from the metadata of msg (any frame received from the connection; read it before
 * closing msg). keys: whether the socket runs CURVE with ZAP; false gives NVG_ROLE_ANY. */
void nvg_peer_from_msg(zmq_msg_t *msg, bool keys, struct nvg_peer *peer);

bool nvg_peer_may(const struct nvg_peer *peer, enum nvg_right right);

/* What the audit trail and the logs name the peer by: "key:NAME@ADDRESS" with keys,
 * "anonymous@ADDRESS" without (or without "@ADDRESS" when there is none). */
void nvg_peer_describe(const struct nvg_peer *peer, char *buf, size_t size);

/* Why peers were refused (SecurityCounters in proto/netvigil.proto, same names). One
 * instance, owned by main.c and lent to every module that refuses something; all of them run
 * on the collector's one thread. */
struct nvg_security_counters {
    uint64_t handshakes_failed, keys_unknown, mechanism_refused, role_refused, name_refused,
        command_refused, quota_refused, invalid_strings, budget_dropped, revoked_disconnects,
        idle_expired, fds_refused;
};

#endif
