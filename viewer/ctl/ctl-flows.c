/* `netvigil-ctl flows` (the feed topic "flow") and `netvigil-ctl hosts` (COMMAND_HOSTS, one
 * reply); what they print is ctl-flows-print.c's. */
#include <zmq.h>

#include "ctl.h"

int nvg_ctl_flows(struct nvg_ctl *ctl)
{
    nvg_ctl_flows_setup(ctl->sort, ctl->json);
    return nvg_ctl_flows_live(ctl);
}

int nvg_ctl_hosts(struct nvg_ctl *ctl)
{
    if (ctl->n_collectors > 1)
        return nvg_ctl_multi_hosts(ctl);
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_HOSTS;
    req.limit = ctl->count > 0 && ctl->count <= 1000 ? (uint32_t)ctl->count : 0;
    struct nvg_arena *arena;
    int rc;
    Netvigil__ControlReply *r = nvg_ctl_query(ctl, &req, &arena, &rc);
    if (r) {
        nvg_ctl_hosts_print(stdout, r, ctl->sort, ctl->json);
        rc = NVG_CTL_EXIT_OK;
    }
    nvg_arena_free(arena);
    return rc;
}
