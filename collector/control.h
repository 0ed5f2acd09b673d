/* The control socket (ROUTER, 7702): requests from netvigil-ctl and the viewer.
 *
 * A request is [routing id][optional empty delimiter (REQ peers)][ControlRequest]; the reply
 * goes back with the same envelope and the request's id. STATUS is answered at once. START,
 * STOP, RESTART and SET_FILTER are routed: each targeted sensor (one by name, or every
 * connected one) gets a Command{id, kind, filter} on the sensor ROUTER (7700) at the routing
 * id its link last spoke from, and the request waits in a bounded table of requests in flight
 * until every target has answered with a CommandReply or the command timeout has passed. Then
 * the requester gets one ControlReply with a SensorResult per target: ok, or the sensor's own
 * error text (for a bad filter, libpcap's message), "timed out after N s", or why the command
 * never left (unknown sensor, not connected). Nothing here waits: many requests from many
 * clients are in flight at once, each answered on its own.
 *
 * Command ids are assigned here and are unique for the collector's life (they start from the
 * clock, so a late reply to a previous collector process cannot match either); a reply is only
 * taken from the routing id the command was sent to. Every outcome goes to the audit trail
 * (audit.h). A request that cannot be understood is answered with an error when its envelope
 * allows it, counted (control_rejected in status) and logged, rate-limited; the collector stays
 * up. */
#ifndef NVG_CONTROL_H
#define NVG_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "nvg-wire.h"
#include "sensors.h"

/* The CollectorStatus a STATUS request is answered with, lent until the next call; NULL when
 * out of memory. A function rather than the status module itself: status reads control's
 * counters, so control calling it directly would make the two depend on each other. */
typedef const Netvigil__CollectorStatus *(*nvg_control_status_fn)(void *ud);

/* Everything is lent and must outlive the control object. */
struct nvg_control_config {
    void *control; /* the control ROUTER (7702): requests in, replies out */
    void *router;  /* the sensor ROUTER (7700), with ZMQ_ROUTER_MANDATORY: commands out */
    struct nvg_sensor_table *sensors;
    struct nvg_audit *audit;
    int command_timeout_ms;
    nvg_control_status_fn status;
    void *status_ud;
    /* The collector's clock, the wall time of the message at hand: set per request here, and
     * by ingest for the CommandReply it passes on. */
    int64_t *now_ms;
};

/* What control counted, for status. malformed, unknown, refused: requests that failed those
 * checks; rejected: requests turned down unread or unrouted, as bad (those three included) or
 * because too many were in flight. */
struct nvg_control_counters {
    uint64_t malformed, unknown, refused;
    uint64_t rejected, commands_sent, commands_timed_out;
};

struct nvg_control;

/* NULL when out of memory. */
struct nvg_control *nvg_control_new(const struct nvg_control_config *cfg);
/* Answers every request still in flight ("the collector is shutting down"), so call it while
 * the sockets and the audit are open. */
void nvg_control_free(struct nvg_control *ctl);
/* Handle up to max requests waiting on the control socket; returns how many. */
int nvg_control_drain(struct nvg_control *ctl, int max);
/* A CommandReply from the sensor link, rid = the sender's routing id. */
void nvg_control_command_reply(struct nvg_control *ctl, const uint8_t *rid, size_t rid_len,
                               const Netvigil__CommandReply *r);
/* Answer the requests whose command timeout has passed; call after every poll. */
void nvg_control_tick(struct nvg_control *ctl, int64_t now_ms);
const struct nvg_control_counters *nvg_control_counters(const struct nvg_control *ctl);

#endif
