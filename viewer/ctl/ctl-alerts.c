/* `netvigil-ctl alerts`: alert events as they happen (feed topic "alert"), or with --since the
 * events the collector kept (its last 1000) from that long ago, one line each. */
#include <stdio.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-alert-wire.h"
#include "nvg-clock.h"

static int print_kept(struct nvg_ctl *ctl, const Netvigil__ControlReply *r)
{
    char line[NVG_ALERT_LINE_MAX];
    size_t shown = 0;
    for (size_t i = 0; i < r->n_alerts; i++) {
        if (!r->alerts[i])
            continue;
        if (ctl->count > 0 && (long)shown >= ctl->count)
            break;
        fwrite(line, 1, nvg_alert_format_line(line, r->alerts[i]), stdout);
        shown++;
    }
    if (!shown)
        fprintf(stderr, "netvigil-ctl: no alert events in the last %lld s\n",
                (long long)ctl->since_s);
    return NVG_CTL_EXIT_OK;
}

int nvg_ctl_alerts(struct nvg_ctl *ctl)
{
    if (ctl->since_s < 0)
        return nvg_ctl_alerts_live(ctl);
    if (ctl->n_collectors > 1)
        return nvg_ctl_multi_alerts_since(ctl);
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_ALERTS;
    req.since_ms = nvg_clock_wall_ms() - ctl->since_s * 1000;
    struct nvg_arena *arena;
    int rc;
    Netvigil__ControlReply *r = nvg_ctl_query(ctl, &req, &arena, &rc);
    if (r)
        rc = print_kept(ctl, r);
    nvg_arena_free(arena);
    return rc;
}
