/* The display filter on conversations, the same for `netvigil-ctl flows` and the viewer's
 * Conversations page. */
#include <stdint.h>
#include <string.h>

#include "nvg-filter.h"
#include "nvg-flow.h"

bool nvg_flow_filter_match(const struct nvg_filter *flt, const char *sensor,
                           const struct nvg_flow *f)
{
    /* A time span takes the conversations that overlap it, not only those begun in it. */
    if (f->last_ns < flt->from_ns || (flt->to_ns != INT64_MAX && f->first_ns >= flt->to_ns))
        return false;
    struct nvg_filter rest = *flt;
    rest.from_ns = INT64_MIN;
    rest.to_ns = INT64_MAX;
    /* The rest as for one packet from the originator to the responder. */
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    p.ip_version = f->ip_version;
    memcpy(p.src, f->orig, 16);
    memcpy(p.dst, f->resp, 16);
    p.proto = f->proto;
    p.ip_proto = f->ip_proto;
    p.sport = f->orig_port;
    p.dport = f->resp_port;
    p.ts_ns = f->first_ns;
    if (f->flags & NVG_FLOW_HAS_PORTS)
        p.flags |= NVG_PKT_HAS_PORTS;
    return nvg_filter_match(&rest, sensor, &p);
}
