/* NvgFlowStore: the conversations the viewer knows, as a GListModel of NvgFlowItem, in order
 * of arrival (the Conversations page sorts a view of it).
 *
 * A sensor exports a conversation when it ends and, for a long one, an update every active
 * timeout, all under one id (per sensor boot). The store keys conversations by sensor + id: the
 * first export adds a row, a later one replaces its counters in place (same position, a new
 * immutable item), the last (end != NVG_FLOW_ACTIVE) marks it ended; it stays, as recent. An
 * export older than the one held (export_seq not above it) is ignored, and nothing revives an
 * ended conversation, except a first export (export_seq 0) of a different start time: the
 * sensor restarted and its ids started again, so that is a new conversation in the old row.
 *
 * Bounded: at most "capacity" rows; past it the oldest ended conversation goes first, then the
 * oldest of all, each counted (dropped).
 *
 * Rate: bytes per second since the previous export of the conversation the store saw (what it
 * does now), or, for its first, over its life so far (last - first); 0 when no time passed.
 * GLib-only: unit-tested headless (tests/viewer/test-flow-store.c). */
#ifndef NVG_FLOW_STORE_H
#define NVG_FLOW_STORE_H

#include <gio/gio.h>
#include <stdint.h>

#include "nvg-flow.h"
#include "nvg-format.h"

G_BEGIN_DECLS

#define NVG_FLOW_STORE_DEFAULT_CAPACITY 20000

/* One conversation as the page shows it: plain data. sensor is a name (nvg-feed-parse made it
 * safe); every string of flow passed nvg_flow_from_pb. */
struct nvg_flow_row {
    struct nvg_flow flow;
    char sensor[NVG_SENSOR_NAME_MAX + 1];
    double rate;     /* bytes/s, see above */
    int64_t seen_ms; /* wall clock of the export applied last */
    guint updates;   /* exports applied */
};

/* bytes both ways; duration in s (0 when last < first) */
uint64_t nvg_flow_row_bytes(const struct nvg_flow_row *r);
double nvg_flow_row_duration(const struct nvg_flow_row *r);
/* Handshake RTT (both halves) in ms, or -1 when unknown. */
double nvg_flow_row_rtt_ms(const struct nvg_flow_row *r);
uint64_t nvg_flow_row_retrans(const struct nvg_flow_row *r);

#define NVG_TYPE_FLOW_ITEM (nvg_flow_item_get_type())
G_DECLARE_FINAL_TYPE(NvgFlowItem, nvg_flow_item, NVG, FLOW_ITEM, GObject)

const struct nvg_flow_row *nvg_flow_item_get(NvgFlowItem *item);

#define NVG_TYPE_FLOW_STORE (nvg_flow_store_get_type())
G_DECLARE_FINAL_TYPE(NvgFlowStore, nvg_flow_store, NVG, FLOW_STORE, GObject)

/* capacity 0 = NVG_FLOW_STORE_DEFAULT_CAPACITY. */
NvgFlowStore *nvg_flow_store_new(guint capacity);

enum nvg_flow_change {
    NVG_FLOW_IGNORED, /* stale: not newer than the export held, or after its end */
    NVG_FLOW_ADDED,
    NVG_FLOW_UPDATED,
};

/* Applies one validated record of sensor (a name). */
enum nvg_flow_change nvg_flow_store_apply(NvgFlowStore *self, const char *sensor,
                                          const struct nvg_flow *f, int64_t now_ms);
/* As nvg_flow_store_apply on each of f[0..n-1], in order, but the new conversations are
 * appended together (one items-changed, one run of removals to make room for them): a batch of
 * 256 costs the views a few signals, not hundreds. Returns the rows added or updated. */
guint nvg_flow_store_apply_batch(NvgFlowStore *self, const char *sensor, const struct nvg_flow *f,
                                 size_t n, int64_t now_ms);
/* NULL when not held. Lent. */
NvgFlowItem *nvg_flow_store_lookup(NvgFlowStore *self, const char *sensor, uint64_t id);
void nvg_flow_store_clear(NvgFlowStore *self);
guint nvg_flow_store_get_active(NvgFlowStore *self);
guint nvg_flow_store_get_capacity(NvgFlowStore *self);
guint64 nvg_flow_store_get_dropped(NvgFlowStore *self);

G_END_DECLS

#endif
