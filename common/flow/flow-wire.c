/* See nvg-flow-wire.h. */
#include "nvg-flow-wire.h"

#include <stdbool.h>
#include <string.h>

#include "nvg-error.h"
#include "nvg-pkt.h"
#include "nvg-time.h"

#define FLOW_KNOWN_FLAGS                                                                           \
    (NVG_FLOW_HAS_VLAN | NVG_FLOW_HAS_RTT_SERVER | NVG_FLOW_HAS_RTT_CLIENT |                       \
     NVG_FLOW_TIME_CLAMPED | NVG_FLOW_HAS_PORTS)
#define TCP_KNOWN_FLAGS 0x1ffu
#define VLAN_MAX 4095u

/* Zeek's conn_state names are made of these; the history of Zeek's history letters (either
 * case, the case telling the direction) and '^' (direction flipped). */
static const char state_alphabet[] = "SFREJTOH0123";

_Static_assert((int)NVG_FLOW_ACTIVE == (int)NETVIGIL__FLOW_END__FLOW_ACTIVE, "FlowEnd");
_Static_assert((int)NVG_FLOW_FIN == (int)NETVIGIL__FLOW_END__FLOW_END_FIN, "FlowEnd");
_Static_assert((int)NVG_FLOW_RST == (int)NETVIGIL__FLOW_END__FLOW_END_RST, "FlowEnd");
_Static_assert((int)NVG_FLOW_IDLE == (int)NETVIGIL__FLOW_END__FLOW_END_IDLE, "FlowEnd");
_Static_assert((int)NVG_FLOW_EVICTED == (int)NETVIGIL__FLOW_END__FLOW_END_EVICTED, "FlowEnd");
_Static_assert((int)NVG_FLOW_STOPPED == (int)NETVIGIL__FLOW_END__FLOW_END_STOPPED, "FlowEnd");

static void dir_to_pb(const struct nvg_flow_dir *d, Netvigil__FlowDirection *pb)
{
    netvigil__flow_direction__init(pb);
    pb->packets = d->packets;
    pb->bytes = d->bytes;
    pb->payload_bytes = d->payload_bytes;
    pb->tcp_flags = d->tcp_flags;
    pb->retransmissions = d->retransmissions;
    pb->out_of_order = d->out_of_order;
    pb->duplicate_acks = d->duplicate_acks;
    pb->zero_windows = d->zero_windows;
    pb->window_full = d->window_full;
}

void nvg_flow_to_pb(const struct nvg_flow *f, Netvigil__FlowRecord *pb,
                    Netvigil__FlowDirection dir[2])
{
    size_t alen = f->ip_version == 6 ? 16 : 4;
    netvigil__flow_record__init(pb);
    pb->format = NVG_FLOW_FORMAT;
    pb->id = f->id;
    pb->export_seq = f->export_seq;
    pb->end = (Netvigil__FlowEnd)f->end;
    pb->first_ns = f->first_ns;
    pb->last_ns = f->last_ns;
    pb->ip_version = f->ip_version;
    pb->proto = (Netvigil__Protocol)f->proto;
    pb->ip_proto = f->ip_proto;
    /* protobuf-c never writes through these pointers when packing. */
    pb->orig.len = alen;
    pb->orig.data = (uint8_t *)f->orig;
    pb->resp.len = alen;
    pb->resp.data = (uint8_t *)f->resp;
    pb->orig_port = f->orig_port;
    pb->resp_port = f->resp_port;
    pb->vlan_id = f->vlan_id;
    pb->flags = f->flags;
    pb->rtt_server_ns = f->rtt_server_ns;
    pb->rtt_client_ns = f->rtt_client_ns;
    dir_to_pb(&f->dir[0], &dir[0]);
    dir_to_pb(&f->dir[1], &dir[1]);
    pb->orig_dir = &dir[0];
    pb->resp_dir = &dir[1];
    /* NUL-terminated within their arrays (nvg-flow.h), which _from_pb guarantees. */
    pb->state = (char *)f->state;
    pb->history = (char *)f->history;
}

/* s is at most cap - 1 characters, each of them allowed by ok. */
static bool string_ok(const char *s, size_t cap, bool (*ok)(char c))
{
    if (!s)
        return true; /* protobuf-c gives "" for an absent string, but be sure */
    size_t n = strnlen(s, cap);
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ok(s[i]))
            return false;
    return true;
}

static bool state_char(char c)
{
    return c != '\0' && strchr(state_alphabet, c) != NULL;
}

static bool history_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '^';
}

static bool dir_ok(const Netvigil__FlowDirection *d)
{
    return !d || (d->tcp_flags & ~TCP_KNOWN_FLAGS) == 0;
}

static void dir_from_pb(const Netvigil__FlowDirection *pb, struct nvg_flow_dir *d)
{
    if (!pb)
        return; /* absent: nothing seen that way (d is zeroed) */
    d->packets = pb->packets;
    d->bytes = pb->bytes;
    d->payload_bytes = pb->payload_bytes;
    d->tcp_flags = (uint16_t)pb->tcp_flags;
    d->retransmissions = pb->retransmissions;
    d->out_of_order = pb->out_of_order;
    d->duplicate_acks = pb->duplicate_acks;
    d->zero_windows = pb->zero_windows;
    d->window_full = pb->window_full;
}

static int64_t saturate_rtt(int64_t ns)
{
    return ns > NVG_FLOW_RTT_MAX_NS    ? NVG_FLOW_RTT_MAX_NS
           : ns < -NVG_FLOW_RTT_MAX_NS ? -NVG_FLOW_RTT_MAX_NS
                                       : ns;
}

static bool record_ok(const Netvigil__FlowRecord *pb)
{
    uint32_t v = pb->ip_version;
    size_t alen = v == 4 ? 4 : v == 6 ? 16 : 0;
    return alen != 0 && pb->orig.len == alen && pb->resp.len == alen && pb->orig.data &&
           pb->resp.data && (uint32_t)pb->end < NVG_FLOW_END_COUNT &&
           (uint32_t)pb->proto < NVG_PROTO_COUNT && pb->ip_proto <= 0xff &&
           pb->orig_port <= 0xffff && pb->resp_port <= 0xffff && pb->vlan_id <= VLAN_MAX &&
           (pb->flags & ~FLOW_KNOWN_FLAGS) == 0 && dir_ok(pb->orig_dir) && dir_ok(pb->resp_dir) &&
           string_ok(pb->state, NVG_FLOW_STATE_MAX, state_char) &&
           string_ok(pb->history, NVG_FLOW_HISTORY_MAX, history_char);
}

int nvg_flow_from_pb(const Netvigil__FlowRecord *pb, struct nvg_flow *f)
{
    if (pb->format != NVG_FLOW_FORMAT)
        return NVG_EVERSION;
    if (!record_ok(pb))
        return NVG_EMALFORMED;
    /* Zeroed first: unused address bytes, string tails and padding are 0, so records compare
     * by their bytes. */
    memset(f, 0, sizeof(*f));
    f->id = pb->id;
    f->export_seq = pb->export_seq;
    f->end = (uint8_t)pb->end;
    f->ip_version = (uint8_t)pb->ip_version;
    f->proto = (uint8_t)pb->proto;
    f->ip_proto = (uint8_t)pb->ip_proto;
    f->flags = (uint16_t)pb->flags;
    f->vlan_id = (uint16_t)pb->vlan_id;
    f->first_ns = pb->first_ns;
    f->last_ns = pb->last_ns;
    if (nvg_time_at_limit(f->first_ns) || nvg_time_at_limit(f->last_ns))
        f->flags |= NVG_FLOW_TIME_CLAMPED;
    memcpy(f->orig, pb->orig.data, pb->orig.len);
    memcpy(f->resp, pb->resp.data, pb->resp.len);
    f->orig_port = (uint16_t)pb->orig_port;
    f->resp_port = (uint16_t)pb->resp_port;
    f->rtt_server_ns = saturate_rtt(pb->rtt_server_ns);
    f->rtt_client_ns = saturate_rtt(pb->rtt_client_ns);
    dir_from_pb(pb->orig_dir, &f->dir[0]);
    dir_from_pb(pb->resp_dir, &f->dir[1]);
    if (pb->state)
        memcpy(f->state, pb->state, strlen(pb->state));
    if (pb->history)
        memcpy(f->history, pb->history, strlen(pb->history));
    return 0;
}
