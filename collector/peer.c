#include "peer.h"

#include <stdio.h>
#include <string.h>

static const char *const role_names[] = {
    [NVG_ROLE_NONE] = "none",   [NVG_ROLE_SENSOR] = "sensor", [NVG_ROLE_VIEWER] = "viewer",
    [NVG_ROLE_ADMIN] = "admin", [NVG_ROLE_ANY] = "any",
};

const char *nvg_role_name(enum nvg_role role)
{
    return (unsigned)role < sizeof(role_names) / sizeof(role_names[0]) ? role_names[role] : "none";
}

enum nvg_role nvg_role_from_name(const char *name)
{
    /* Only the three roles a ZAP reply may grant; "any" is never granted by a handler. */
    for (enum nvg_role r = NVG_ROLE_SENSOR; r <= NVG_ROLE_ADMIN; r++)
        if (name && strcmp(name, role_names[r]) == 0)
            return r;
    return NVG_ROLE_NONE;
}

static void copy_property(zmq_msg_t *msg, const char *property, char *out, size_t size)
{
    const char *v = zmq_msg_gets(msg, property);
    out[0] = '\0';
    if (v && strlen(v) < size)
        memcpy(out, v, strlen(v) + 1);
}

void nvg_peer_from_msg(zmq_msg_t *msg, bool keys, struct nvg_peer *peer)
{
    memset(peer, 0, sizeof(*peer));
    copy_property(msg, "Peer-Address", peer->address, sizeof(peer->address));
    if (!keys) {
        peer->role = NVG_ROLE_ANY;
        return;
    }
    copy_property(msg, "User-Id", peer->key_name, sizeof(peer->key_name));
    peer->role = nvg_role_from_name(zmq_msg_gets(msg, NVG_PEER_ROLE_PROPERTY));
    if (!nvg_name_valid(peer->key_name))
        peer->role = NVG_ROLE_NONE, peer->key_name[0] = '\0';
}

bool nvg_peer_may(const struct nvg_peer *peer, enum nvg_right right)
{
    switch (peer->role) {
    case NVG_ROLE_ANY:
        return true;
    case NVG_ROLE_SENSOR:
        return right == NVG_RIGHT_SEND_DATA;
    case NVG_ROLE_VIEWER:
        return right == NVG_RIGHT_READ;
    case NVG_ROLE_ADMIN:
        return right == NVG_RIGHT_READ || right == NVG_RIGHT_COMMAND;
    case NVG_ROLE_NONE:
        break;
    }
    return false;
}

void nvg_peer_describe(const struct nvg_peer *peer, char *buf, size_t size)
{
    const char *at = peer->address[0] ? "@" : "";
    if (peer->key_name[0])
        snprintf(buf, size, "key:%s%s%s", peer->key_name, at, peer->address);
    else
        snprintf(buf, size, "anonymous%s%s", at, peer->address);
}
