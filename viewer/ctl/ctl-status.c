/* `netvigil-ctl status`: one STATUS request on the control socket, printed as a table or as
 * JSON (ctl-reply.c). A collector that does not answer within the timeout is an error, never a
 * hang; one that refuses our key says so. */
#include <stdio.h>
#include <zmq.h>

#include "ctl.h"

int nvg_ctl_status(struct nvg_ctl *ctl)
{
    if (ctl->n_collectors > 1)
        return nvg_ctl_multi_status(ctl); /* ctl-multi.c */
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_STATUS;
    struct nvg_arena *arena;
    int rc;
    Netvigil__ControlReply *r = nvg_ctl_query(ctl, &req, &arena, &rc);
    if (r && !r->status)
        rc = nvg_ctl_refused(r);
    else if (r)
        nvg_ctl_status_print(stdout, r->status, ctl->json);
    nvg_arena_free(arena);
    return rc;
}
