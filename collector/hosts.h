/* Per-host totals from the conversation records of every sensor (issue 12): bytes in and out,
 * bytes/s over the last 10 s and 60 s, conversations, TCP frames sent and how many of them
 * were retransmissions. For `netvigil-ctl hosts` and the viewer, through COMMAND_HOSTS.
 *
 * Fixed memory, all of it allocated by nvg_hosts_new:
 * - the host table holds capacity hosts; a newcomer when it is full evicts the host of least
 *   weight (bytes counted) and inherits that weight as its error, space-saving style, so a
 *   heavy host is never pushed out by a stream of light ones; evictions are counted.
 * - cumulative counters: a record carries everything its conversation did so far, and a long
 *   conversation is exported as updates then a final record. So that nothing counts twice,
 *   each (sensor, boot, id) has its last counts in a direct-mapped id cache, and a record
 *   adds only what grew since the previous export of its id; a final export frees the slot.
 *   When two live conversations share a slot, the one pushed out has its next export counted
 *   whole (an overcount, counted in HostTable.uncached_updates, never silent).
 * - rates are per collector second: a record's bytes land in the second it arrived, so a
 *   conversation's bytes show when its updates and its end are exported (every active
 *   timeout), not packet by packet.
 * A host takes part as the initiator (its bytes out are the orig direction) or as the
 * responder (the resp direction). Hosts seen by several sensors are summed over them. */
#ifndef NVG_HOSTS_H
#define NVG_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "netvigil.pb-c.h"
#include "nvg-flow.h"

#define NVG_HOSTS_CAPACITY 2048
#define NVG_HOSTS_IDS 16384
#define NVG_HOSTS_REPLY_DEFAULT 100
#define NVG_HOSTS_REPLY_MAX 1000

struct nvg_hosts;

/* NULL when out of memory. capacity 0: NVG_HOSTS_CAPACITY. */
struct nvg_hosts *nvg_hosts_new(size_t capacity);
void nvg_hosts_free(struct nvg_hosts *h);

/* One validated conversation record of the sensor whose name and boot id hash to sensor_key. */
void nvg_hosts_flow(struct nvg_hosts *h, uint64_t sensor_key, const struct nvg_flow *f,
                    int64_t now_ms);

/* COMMAND_HOSTS's part of the ControlReply: the fields hosts (the heaviest limit hosts by
 * bytes/s over 10 s, then by bytes; 0: the default, capped at NVG_HOSTS_REPLY_MAX) and
 * host_table, packed with their tags into a buffer h keeps until the next call. NULL when out
 * of memory. */
const uint8_t *nvg_hosts_packed(struct nvg_hosts *h, int64_t now_ms, uint32_t limit, size_t *len);

/* The table's counters (CollectorStatus.hosts). */
void nvg_hosts_counters(const struct nvg_hosts *h, Netvigil__HostTable *out);

#endif
