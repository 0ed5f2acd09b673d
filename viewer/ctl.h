/* netvigil-ctl: shared bits of the command-line client. */
#ifndef NVG_CTL_H
#define NVG_CTL_H

#include <stdbool.h>

#include "ctl-filter.h"

struct nvg_ctl {
    void *zctx;
    char feed_ep[300];
    char control_ep[300];
    int timeout_ms;  /* status request */
    bool json;
    struct nvg_ctl_filter filter;
    long count;      /* tail/rates: stop after this many lines, 0 = never */
};

/* ctl-status.c */
int nvg_ctl_status(struct nvg_ctl *ctl);
/* ctl-feed.c */
int nvg_ctl_tail(struct nvg_ctl *ctl);
int nvg_ctl_rates(struct nvg_ctl *ctl);

#endif
