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
    struct nvg_ctl_conn c;
    int rc = nvg_ctl_conn_open(ctl, &c, ZMQ_DEALER, ctl->control_ep, 4);
    if (rc)
        return rc;
    struct nvg_arena *arena = nvg_ctl_arena_new();
    if (!arena) {
        nvg_ctl_conn_close(&c);
        return NVG_CTL_EXIT_FAIL;
    }
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_STATUS_TIMEOUT_MS;
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_HOSTS;
    req.limit = ctl->count > 0 && ctl->count <= 1000 ? (uint32_t)ctl->count : 0;
    Netvigil__ControlReply *r = nvg_ctl_request(ctl, &c, arena, &req, NULL, timeout, &rc);
    nvg_ctl_conn_close(&c);
    if (r && !r->ok) {
        fprintf(stderr, "netvigil-ctl: the collector refused: ");
        nvg_ctl_put(stderr, r->error && *r->error ? r->error : "(no reason)", 1024);
        fputc('\n', stderr);
        rc = nvg_ctl_reply_not_allowed(r) ? NVG_CTL_EXIT_NOT_ALLOWED : NVG_CTL_EXIT_FAIL;
    } else if (r) {
        nvg_ctl_hosts_print(stdout, r, ctl->sort, ctl->json);
        rc = NVG_CTL_EXIT_OK;
    }
    nvg_arena_free(arena);
    return rc;
}
