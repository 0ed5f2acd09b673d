/* The sensor commands of netvigil-ctl (start, stop, restart, filter, clear-filter) and forget,
 * on the control socket (DEALER to the collector's ROUTER, 7702): one request, one reply with
 * the same id, a bounded wait, and the per-sensor result table (ctl-reply.c).
 *
 * The collector answers a command once every targeted sensor has answered or its command
 * timeout (default 3 s) has passed, so our own wait for commands is longer (5 s by default):
 * a sensor that timed out shows as such instead of the whole request failing. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-wire.h"

void nvg_ctl_describe_command(char *what, size_t size, const Netvigil__ControlRequest *req)
{
    const char *all = req->sensor[0] ? "" : "all sensors";
    if (req->clear_filter)
        snprintf(what, size, "clear-filter on %s%s", all, req->sensor);
    else if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER)
        snprintf(what, size, "filter '%s' on %s%s", req->filter, all, req->sensor);
    else
        snprintf(what, size, "%s %s%s", nvg_wire_command_name(req->kind), all, req->sensor);
}

int nvg_ctl_command(struct nvg_ctl *ctl, Netvigil__CommandKind kind, const char *sensor,
                    const char *filter)
{
    /* Several collectors, or COLLECTOR/SENSOR: routed (ctl-multi.c). */
    if (ctl->n_collectors > 1 || (sensor && strchr(sensor, '/')))
        return nvg_ctl_multi_command(ctl, kind, sensor, filter);
    struct nvg_ctl_conn c;
    int rc = nvg_ctl_conn_open(ctl, &c, ZMQ_DEALER, ctl->control_ep, 4);
    if (rc)
        return rc;
    struct nvg_arena *arena = nvg_ctl_arena_new();
    if (!arena) {
        nvg_ctl_conn_close(&c);
        return NVG_CTL_EXIT_FAIL;
    }
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = kind;
    req.sensor = (char *)(sensor ? sensor : "");
    req.filter = (char *)(filter ? filter : "");
    req.clear_filter = kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER && !filter;
    char what[1200];
    nvg_ctl_describe_command(what, sizeof(what), &req);
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_COMMAND_TIMEOUT_MS;
    Netvigil__ControlReply *r = nvg_ctl_request(ctl, &c, arena, &req, what, timeout, &rc);
    nvg_ctl_conn_close(&c);
    if (r) {
        rc = nvg_ctl_result_print(stdout, r, what, kind, ctl->json);
        if (rc == NVG_CTL_EXIT_NOT_ALLOWED)
            fprintf(stderr,
                    "netvigil-ctl: %s: not allowed for key %s (commands need an admin "
                    "key)\n",
                    what, ctl->keys ? ctl->own.name : "(none)");
    }
    nvg_arena_free(arena);
    return rc;
}
