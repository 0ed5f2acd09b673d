/* Conversation records in the sensor link's batches (issue 12). A flow rides in the batch being
 * built: copied into a preallocated slot, its FlowRecord filled in place, its packed bound
 * counted toward the batch's byte cap, so a batch closes by bytes whatever mix it holds, and a
 * batch the link drops (live mode, link full) takes its flows with it, counted in
 * flows_dropped. No allocation after nvg__link_flows_new. */
#include "link-internal.h"

#include <stdlib.h>
#include <string.h>

#include "nvg-flow-wire.h"

struct nvg__link_flows {
    size_t n;
    struct nvg_flow slots[NVG_LINK_FLOWS_MAX];
    Netvigil__FlowRecord pbs[NVG_LINK_FLOWS_MAX];
    Netvigil__FlowDirection dirs[NVG_LINK_FLOWS_MAX][2];
    Netvigil__FlowRecord *ptrs[NVG_LINK_FLOWS_MAX];
};

struct nvg__link_flows *nvg__link_flows_new(void)
{
    struct nvg__link_flows *fl = calloc(1, sizeof(*fl));
    if (fl)
        for (size_t i = 0; i < NVG_LINK_FLOWS_MAX; i++)
            fl->ptrs[i] = &fl->pbs[i];
    return fl;
}

void nvg__link_flows_free(struct nvg__link_flows *fl)
{
    free(fl);
}

size_t nvg__link_flows_take(struct nvg_link *link)
{
    struct nvg__link_flows *fl = link->flows;
    size_t n = fl->n;
    nvg_batch_encoder_set_flows(link->enc, n ? fl->ptrs : NULL, n);
    fl->n = 0; /* the slots stay valid until the pack, which happens before the next add */
    return n;
}

int nvg_link_add_flow(struct nvg_link *link, const struct nvg_flow *flow)
{
    if (link->key_refused)
        return NVG_EPERM;
    if (link->refused)
        return NVG_EVERSION;
    struct nvg__link_flows *fl = link->flows;
    if (fl->n == NVG_LINK_FLOWS_MAX ||
        !nvg_batch_encoder_reserve_extra(link->enc, NVG_FLOW_PACKED_MAX)) {
        int rc = nvg_link_flush(link);
        if (rc != 0)
            return rc;
        if (!nvg_batch_encoder_reserve_extra(link->enc, NVG_FLOW_PACKED_MAX))
            return NVG_EINVAL; /* cannot happen: an empty batch has room for one */
    }
    if (fl->n == 0 && nvg_batch_encoder_count(link->enc) == 0)
        link->batch_open_ns = nvg_clock_mono_ns();
    struct nvg_flow *slot = &fl->slots[fl->n];
    memcpy(slot, flow, sizeof(*slot));
    /* The strings are sent as C strings: make sure they end inside their arrays. */
    slot->state[NVG_FLOW_STATE_MAX - 1] = '\0';
    slot->history[NVG_FLOW_HISTORY_MAX - 1] = '\0';
    nvg_flow_to_pb(slot, &fl->pbs[fl->n], fl->dirs[fl->n]);
    fl->n++;
    return 0;
}
