/* netvigil-ctl: shared bits of the command-line client. */
#ifndef NVG_CTL_H
#define NVG_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "netvigil.pb-c.h"
#include "nvg-filter.h"
#include "nvg-zmq.h"

#define NVG_CTL_STATUS_TIMEOUT_MS 3000
/* Longer than the collector's default command timeout (3 s), so its per-sensor "timed out"
 * results reach us. */
#define NVG_CTL_COMMAND_TIMEOUT_MS 5000

struct nvg_ctl {
    void *zctx;
    char feed_ep[NVG_ZMQ_ENDPOINT_MAX];
    char control_ep[NVG_ZMQ_ENDPOINT_MAX];
    int timeout_ms;      /* request timeout; 0 = the command's default */
    char requester[256]; /* for the audit trail; default user@host */
    bool json;
    struct nvg_filter filter;
    long count; /* tail/rates: stop after this many lines, 0 = never */
};

/* ctl-control.c: the control socket. */
void nvg_ctl_default_requester(char *buf, size_t size);
/* A DEALER connected to the control endpoint; NULL after printing why. */
void *nvg_ctl_control_socket(struct nvg_ctl *ctl);
/* Sends req (fills version, id when 0, requester when NULL) and waits up to timeout_ms for the
 * reply with its id. NULL on timeout; free with netvigil__control_reply__free_unpacked. */
Netvigil__ControlReply *nvg_ctl_request(struct nvg_ctl *ctl, void *sock,
                                        Netvigil__ControlRequest *req, int timeout_ms);
/* start / stop / restart / set-filter on one sensor (sensor non-empty) or all (a set-filter
 * with filter NULL clears the filter: capture everything); prints the
 * per-sensor results. Returns the exit status: 0 only when every targeted sensor said ok. */
int nvg_ctl_command(struct nvg_ctl *ctl, Netvigil__CommandKind kind, const char *sensor,
                    const char *filter);

/* ctl-status.c */
int nvg_ctl_status(struct nvg_ctl *ctl);
/* s as a JSON string literal on stdout (quotes, backslashes and control bytes escaped). */
void nvg_ctl_json_str(const char *s);
/* ctl-feed.c */
int nvg_ctl_tail(struct nvg_ctl *ctl);
int nvg_ctl_rates(struct nvg_ctl *ctl);
/* Events of the feed (commands and who sent them, sensors connecting, ...). */
int nvg_ctl_events(struct nvg_ctl *ctl);

#endif
