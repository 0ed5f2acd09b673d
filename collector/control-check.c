/* See control-check.h. */
#include "control-check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nvg-text.h"

static bool text_ok(const char *s, size_t cap)
{
    return !s || nvg_text_valid(s, strlen(s), cap);
}

void nvg__control_who(const struct nvg_peer *peer, const char *requester, char *peer_text,
                      size_t peer_size, char *who, size_t who_size)
{
    nvg_peer_describe(peer, peer_text, peer_size);
    if (requester && requester[0])
        snprintf(who, who_size, "%s (says \"%s\")", peer_text, requester);
    else
        snprintf(who, who_size, "%s", peer_text);
}

#define WIRE_DEPTH_MAX 8
#define NAME_ERROR "bad request: invalid sensor name ([A-Za-z0-9._:@-], 1-63 characters)"

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static const char *check_wire(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                              const uint8_t *end, int depth, char *buf, size_t size)
{
    if (depth > WIRE_DEPTH_MAX)
        return "bad request: messages nested too deep";
    while (p < end) {
        uint64_t tag, n;
        if (!read_varint(&p, end, &tag))
            return "malformed request: bad field tag";
        switch (tag & 7) {
        case 0:
            if (!read_varint(&p, end, &n))
                return "malformed request: bad varint";
            continue;
        case 1:
            n = 8;
            break;
        case 5:
            n = 4;
            break;
        case 2:
            if (!read_varint(&p, end, &n))
                return "malformed request: bad length";
            break;
        default:
            return "malformed request: unsupported wire type";
        }
        if (n > (uint64_t)(end - p))
            return "malformed request: a field runs past the end";
        const ProtobufCFieldDescriptor *f =
            (tag & 7) == 2 ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3))
                           : NULL;
        if (f && f->type == PROTOBUF_C_TYPE_STRING &&
            !nvg_text_valid((const char *)p, (size_t)n, SIZE_MAX)) {
            if (strcmp(f->name, "sensor") == 0)
                return NAME_ERROR; /* the same answer as for any other bad name */
            snprintf(buf, size,
                     "bad request: the %s field has a NUL byte, a control character or invalid "
                     "UTF-8",
                     f->name);
            return buf;
        }
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const char *bad = check_wire(f->descriptor, p, p + n, depth + 1, buf, size);
            if (bad)
                return bad;
        }
        p += n;
    }
    return NULL;
}

const char *nvg__control_check_wire(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                    size_t len, char *buf, size_t size)
{
    return check_wire(desc, data, data + len, 0, buf, size);
}

bool nvg__control_is_command(Netvigil__CommandKind k)
{
    return (k >= NETVIGIL__COMMAND_KIND__COMMAND_START &&
            k <= NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER) ||
           k == NETVIGIL__COMMAND_KIND__COMMAND_FORGET || k == NETVIGIL__COMMAND_KIND__COMMAND_PCAP;
}

bool nvg__control_is_read(Netvigil__CommandKind k)
{
    return k == NETVIGIL__COMMAND_KIND__COMMAND_STATUS ||
           k == NETVIGIL__COMMAND_KIND__COMMAND_ALERTS ||
           k == NETVIGIL__COMMAND_KIND__COMMAND_HOSTS;
}

const char *nvg__control_check_command(const Netvigil__ControlRequest *req, bool *strings)
{
    const char *name = req->sensor ? req->sensor : "";
    const char *filter = req->filter ? req->filter : "";
    *strings = true;
    if (name[0] && !nvg_name_valid(name))
        return NAME_ERROR;
    if (!text_ok(req->requester, NVG_CONTROL_REQUESTER_MAX))
        return "bad request: the requester is not printable UTF-8 of at most 255 bytes";
    if (strlen(filter) > NVG_TEXT_FILTER_MAX)
        return "bad request: filter expression longer than 1023 bytes";
    if (!text_ok(filter, NVG_TEXT_FILTER_MAX))
        return "bad request: the filter expression is not printable UTF-8";
    *strings = false;
    if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_FORGET && !name[0])
        return "bad request: forget needs a sensor name";
    if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER) {
        if (!filter[0] && !req->clear_filter)
            return "bad request: set-filter needs a filter expression (or clear_filter)";
        if (filter[0] && req->clear_filter)
            return "bad request: clear_filter with a filter expression";
    }
    return NULL;
}

const char *nvg__control_not_allowed(const struct nvg_peer *peer, enum nvg_right right, char *buf,
                                     size_t size)
{
    if (nvg_peer_may(peer, right))
        return NULL;
    if (peer->key_name[0])
        snprintf(buf, size, "not allowed: key %s has role %s", peer->key_name,
                 nvg_role_name(peer->role));
    else
        snprintf(buf, size, "not allowed: this connection has no role");
    return buf;
}
