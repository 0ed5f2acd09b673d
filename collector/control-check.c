/* See control-check.h. */
#include "control-check.h"

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

bool nvg__control_is_command(Netvigil__CommandKind k)
{
    return (k >= NETVIGIL__COMMAND_KIND__COMMAND_START &&
            k <= NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER) ||
           k == NETVIGIL__COMMAND_KIND__COMMAND_FORGET;
}

const char *nvg__control_check_command(const Netvigil__ControlRequest *req, bool *strings)
{
    const char *name = req->sensor ? req->sensor : "";
    const char *filter = req->filter ? req->filter : "";
    *strings = true;
    if (name[0] && !nvg_name_valid(name))
        return "bad request: invalid sensor name ([A-Za-z0-9._:@-], 1-63 characters)";
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
