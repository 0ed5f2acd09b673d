#include "nvg-pkt.h"

#include <strings.h>

static const char *const proto_names[NVG_PROTO_COUNT] = {
    [NVG_PROTO_OTHER] = "Other",   [NVG_PROTO_IPV4] = "IPv4", [NVG_PROTO_IPV6] = "IPv6",
    [NVG_PROTO_TCP] = "TCP",       [NVG_PROTO_UDP] = "UDP",   [NVG_PROTO_ICMP] = "ICMP",
    [NVG_PROTO_ICMPV6] = "ICMPv6", [NVG_PROTO_ARP] = "ARP",
};

const char *nvg_proto_name(enum nvg_proto proto)
{
    if ((unsigned)proto >= NVG_PROTO_COUNT)
        return "Other";
    return proto_names[proto];
}

int nvg_proto_from_name(const char *name)
{
    for (int i = 0; i < NVG_PROTO_COUNT; i++)
        if (strcasecmp(name, proto_names[i]) == 0)
            return i;
    return -1;
}

const char *nvg_payload_kind_name(enum nvg_payload_kind kind)
{
    switch (kind) {
    case NVG_PAYLOAD_RAW:
        return "raw";
    case NVG_PAYLOAD_PADDING:
        return "padding";
    default:
        return "";
    }
}

static const char *const event_names[NVG_EV_COUNT] = {
#define EVENT_NAME(name, text) [NVG_EV_##name] = text,
    NVG_DECODE_EVENTS(EVENT_NAME)
#undef EVENT_NAME
};

const char *nvg_decode_event_name(enum nvg_decode_event ev)
{
    if ((unsigned)ev >= NVG_EV_COUNT)
        return "unknown";
    return event_names[ev];
}
