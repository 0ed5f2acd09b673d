/* The checks of a ControlRequest that need no state, for control.c: which kinds are commands,
 * the alphabet and caps of its strings, the right a role lacks, and who the audit names. */
#ifndef NVG_CONTROL_CHECK_H
#define NVG_CONTROL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "nvg-wire.h"
#include "peer.h"

#define NVG_CONTROL_REQUESTER_MAX 255 /* what the client says it is, in bytes */

/* protobuf-c hands a string field over as a C string, so a NUL inside it silently cuts it
 * short ("tcp\0 or anything" arrives as "tcp"): the strings are checked on the wire bytes
 * instead, where their length is known. NULL when every string field of the message (desc;
 * sub-messages too) in data is printable UTF-8 with no NUL (nvg_text_valid), else the error
 * text, naming the field, in buf. Call on data that unpacked. */
const char *nvg__control_check_wire(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                    size_t len, char *buf, size_t size);

/* START, STOP, RESTART, SET_FILTER or FORGET. */
bool nvg__control_is_command(Netvigil__CommandKind kind);
/* STATUS, ALERTS, HOSTS: answered by the collector itself to the read right (viewer role). */
bool nvg__control_is_read(Netvigil__CommandKind kind);
/* The error text for a command request that must not go out, or NULL; *strings: the error is
 * about a string's alphabet or cap (counted as invalid_strings). */
const char *nvg__control_check_command(const Netvigil__ControlRequest *req, bool *strings);
/* "not allowed: key NAME has role ROLE" in buf when peer lacks right, else NULL. */
const char *nvg__control_not_allowed(const struct nvg_peer *peer, enum nvg_right right, char *buf,
                                     size_t size);
/* peer_text: nvg_peer_describe; who: that, then what the client says it is, quoted:
 * `anonymous@127.0.0.1 (says "carol@laptop")`. requester may be NULL. */
void nvg__control_who(const struct nvg_peer *peer, const char *requester, char *peer_text,
                      size_t peer_size, char *who, size_t who_size);

#endif
