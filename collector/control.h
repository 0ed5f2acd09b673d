/* The control socket (ROUTER, 7702): requests from netvigil-ctl and the viewer.
 *
 * A request is [routing id][optional empty delimiter (REQ peers)][ControlRequest]; the reply
 * goes back with the same envelope and the request's id. STATUS is answered at once with the
 * status status.c packed (shared, never built per request). START, STOP, RESTART and
 * SET_FILTER are routed: each targeted sensor (one by name, or every connected one) gets a
 * Command{id, kind, filter} on the sensor ROUTER (7700) at the routing id its name is pinned
 * to, and the request waits until every target has answered with a CommandReply or the
 * command timeout has passed. Then the requester gets one ControlReply with a SensorResult per
 * target: ok, or the sensor's own error text (for a bad filter, libpcap's message), "timed out
 * after N s", or why the command never left (unknown sensor, not connected, busy). FORGET
 * drops a sensor's entry and pin (sensors.h) unless the sensor is connected: a live sensor
 * would only be pinned again at its next heartbeat, so forgetting it is refused with the
 * reason. Nothing here waits: many requests from many clients are in flight at once.
 *
 * Who may ask what: with keys, STATUS needs the read right and every command the command right
 * (peer.h: viewer vs admin); a refusal says "not allowed: key NAME has role viewer" and counts
 * command_refused. Budgets (per connection, quota.h): at most CONTROL_PEER_IN_FLIGHT requests
 * waiting for sensors, commands through a token bucket (burst 20, 5 a second), STATUS through
 * another (burst 4, 2 a second: it changes once a second anyway); per sensor at most
 * CONTROL_SENSOR_IN_FLIGHT commands waiting for its answer, so a silent sensor takes no
 * capacity from the others; and the replies not yet written to their peers share
 * NVG_BUDGET_CONTROL_SHARE of the memory budget. Over any of them: an error reply that starts
 * with "busy:" and quota_refused (or budget_dropped) counted. Every string of a request must
 * be printable UTF-8 within its cap (invalid_strings otherwise).
 *
 * Command ids are assigned here and are unique for the collector's life (they start from the
 * clock, so a late reply to a previous collector process cannot match either); a reply is only
 * taken from the routing id the command was sent to. Every outcome goes to the audit trail
 * (audit.h), requests refused for rights or quotas coalesced per peer and second. A request
 * that cannot be understood is answered with an error when its envelope allows it, counted
 * (control_rejected in status) and logged, rate-limited; the collector stays up. */
#ifndef NVG_CONTROL_H
#define NVG_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "nvg-wire.h"
#include "peer.h"
#include "sensors.h"

#define CONTROL_PEER_IN_FLIGHT 8
#define CONTROL_SENSOR_IN_FLIGHT 8

/* The packed CollectorStatus a STATUS request is answered with (*len bytes), lent until the
 * next call; NULL when out of memory. A function rather than the status module itself: status
 * reads control's counters, so control calling it directly would make the two depend on each
 * other. */
/* The packed body of a read request (STATUS: the CollectorStatus, *field 6; ALERTS: the reply's
 * alerts entries with their tags, *field 0), or NULL when out of memory. */
typedef const uint8_t *(*nvg_control_status_fn)(void *ud, const Netvigil__ControlRequest *req,
                                                size_t *len, unsigned *field);

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
    bool keys;              /* the socket runs CURVE with ZAP: peers carry roles */
    uint64_t memory_budget; /* the collector's; replies take NVG_BUDGET_CONTROL_SHARE */
    struct nvg_security_counters *security;
    uint64_t pcap_max; /* the largest pcap extraction passed on (0: the default) */
};

/* COMMAND_PCAP: a stream larger than pcap_max is refused by its sensor before any of it is
 * sent; each chunk a sensor sends (the sensor's NVG_PCAP_CHUNK) must be within the chunk cap. */
#define NVG_CONTROL_PCAP_MAX_DEFAULT ((uint64_t)64 * 1024 * 1024)
#define NVG_CONTROL_PCAP_CHUNK_MAX ((size_t)1024 * 1024)

/* The control socket's ZMQ_MAXMSGSIZE. libzmq closes a connection whose message is over it
 * without a word to either side, so it is set above the cap that control itself applies
 * (NVG_CONTROL_MAX_MSG): a request between the two is read, counted (oversized), logged and
 * answered "request too large"; only one over this is cut silently by libzmq (it shows as a
 * disconnect). The receive HWM is sized in messages of this size (budget.h), so the larger
 * cap does not enlarge the bytes a peer may queue. */
#define NVG_CONTROL_SOCKET_MAX_MSG (256 * 1024)

/* What control counted, for status. malformed, unknown, refused: requests that failed those
 * checks; rejected: requests turned down unread or unrouted, as bad (those three included), not
 * allowed or over a quota. */
struct nvg_control_counters {
    uint64_t malformed, unknown, refused;
    uint64_t oversized; /* over NVG_CONTROL_MAX_MSG: answered "request too large" */
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
