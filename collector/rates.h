/* Per-second packet and byte counts of one sensor, per protocol.
 *
 * When a second is closed (emitted once, never revised):
 *  - by record time: when the sensor's newest record is 2 or more seconds past it (records may
 *    arrive up to a second out of order and still land in their own second);
 *  - by wall clock: when no record of that second arrived for 2 s of wall time (a quiet or
 *    stopped live sensor), unless the window is in record-time-only mode (file replay, where
 *    old timestamps and back-pressure pauses say nothing about completeness);
 *  - when the window is full (more than NVG_RATES_SLOTS seconds open at once: a very sparse
 *    batch), the oldest second is closed early;
 *  - by nvg_rates_flush: end of stream, sensor restart (new boot id) and shutdown.
 * A record older than an already closed second opens that second again; it is emitted as one
 * more row for the same second, so consumers sum rows with the same (time, sensor, proto). */
#ifndef NVG_RATES_H
#define NVG_RATES_H

#include <stdbool.h>
#include <stdint.h>

#include "nvg-pkt.h"

#define NVG_RATES_SLOTS 8
#define NVG_RATES_CLOSE_AFTER_S 2
#define NVG_RATES_IDLE_MS 2000

/* Called once per closed (second, proto) with non-zero packets. */
typedef void (*nvg_rates_emit_fn)(void *ud, int64_t sec, int proto, uint64_t packets,
                                  uint64_t bytes);

struct nvg_rates_slot {
    int64_t sec;
    int64_t touched_ms; /* wall clock of the last record added */
    bool used;
    uint64_t packets[NVG_PROTO_COUNT];
    uint64_t bytes[NVG_PROTO_COUNT];
};

/* Plain struct so it can be embedded in a sensor entry; no allocation. */
struct nvg_rates {
    nvg_rates_emit_fn emit;
    void *ud;
    bool record_time_only;
    bool have_hw;
    int64_t hw_sec; /* newest record second seen */
    int last;       /* slot of the previous record: most records share its second */
    struct nvg_rates_slot slot[NVG_RATES_SLOTS];
};

void nvg_rates_init(struct nvg_rates *r, nvg_rates_emit_fn emit, void *ud);
void nvg_rates_set_record_time_only(struct nvg_rates *r, bool on);
/* Count one record. now_ms is the wall clock (per batch is precise enough). */
void nvg_rates_add(struct nvg_rates *r, int64_t ts_ns, int proto, uint32_t bytes, int64_t now_ms);
/* Close seconds that are due by the wall-clock rule. */
void nvg_rates_tick(struct nvg_rates *r, int64_t now_ms);
/* Close every open second, oldest first. */
void nvg_rates_flush(struct nvg_rates *r);

/* floor(ts_ns / 1e9), also for times before 1970. */
int64_t nvg_rates_second_of(int64_t ts_ns);

#endif
