/* The collector's memory budget (--memory-budget, default 256 MiB): what may pile up in
 * ZeroMQ's queues on behalf of slow or hostile peers, in bytes rather than message counts.
 *
 * Two mechanisms, both sized from the one figure:
 *  - high-water marks in messages derived from bytes (nvg_budget_hwm: a socket's share divided
 *    by the largest message it carries), so no single peer's pipe can hold more than its share
 *    whatever the messages' size;
 *  - accounted outgoing messages (nvg_budget_msg): the feed's and the control replies' bodies
 *    are allocated here and charged until libzmq frees them (written to the kernel, or the
 *    peer gone). A message that would overrun its module's share is not sent: the caller drops
 *    it and counts it (budget_dropped). Many stalled subscribers or unread status replies then
 *    cost at most the share, not a copy each.
 *
 * libzmq frees messages on its I/O thread, so the charge is atomic, and the object stays alive
 * (reference counted) until the last message charged to it is gone, even after its owner
 * released it at shutdown. Charging happens on the collector's thread only. */
#ifndef NVG_BUDGET_H
#define NVG_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define NVG_BUDGET_DEFAULT ((uint64_t)256 << 20)
#define NVG_BUDGET_MIN ((uint64_t)16 << 20)

/* Shares of the budget: the sensor link's receive queues, the feed, the control replies; the
 * rest is the CSV buffers, the unpacking arena and the tables. */
#define NVG_BUDGET_LINK_SHARE(b) ((b) / 4)
#define NVG_BUDGET_FEED_SHARE(b) ((b) / 4)
#define NVG_BUDGET_CONTROL_SHARE(b) ((b) / 16)

struct nvg_budget;

/* limit bytes may be charged at once. NULL when out of memory. */
struct nvg_budget *nvg_budget_new(uint64_t limit);
/* The owner's reference; the object is freed when no charged message remains. NULL is fine. */
void nvg_budget_release(struct nvg_budget *b);

/* msg becomes a message of len bytes (write them at zmq_msg_data) charged to b until libzmq
 * frees it. 0, or NVG_ENOMEM when the charge would pass the limit or malloc failed (msg is
 * then untouched and needs no close). */
int nvg_budget_msg(struct nvg_budget *b, zmq_msg_t *msg, size_t len);
uint64_t nvg_budget_used(const struct nvg_budget *b);
uint64_t nvg_budget_limit(const struct nvg_budget *b);

/* A high-water mark for a socket whose queues may hold share bytes per peer with messages of at
 * most max_msg bytes: share / max_msg, at least lo and at most hi. */
int nvg_budget_hwm(uint64_t share, size_t max_msg, int lo, int hi);

#endif
