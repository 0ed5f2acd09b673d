/* Per-second packet and byte counts of one sensor, per protocol.
 *
 * When a second is closed (emitted once, never revised):
 *  - by record time: when the sensor's newest record is 2 or more seconds past it (records may
 *    arrive up to a second out of order and still land in their own second);
 *  - by wall clock: when no record of that second arrived for 2 s of wall time (a quiet or
 *    stopped live sensor), unless the window is in record-time-only mode (file replay, where
 *    old timestamps and back-pressure pauses say nothing about completeness);
 *  - when the window is full (more than NVG_RATE_WINDOW_SLOTS seconds open at once: a very sparse
 *    batch), the oldest second is closed early;
 *  - by nvg_rate_window_flush: end of stream, sensor restart (new boot id) and shutdown.
 * A record older than an already closed second opens that second again; it is emitted as one
 * more row for the same second, so consumers sum rows with the same (time, sensor, proto). */
#ifndef NVG_RATE_WINDOW_H
#define NVG_RATE_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "nvg-pkt.h"

#define NVG_RATE_WINDOW_SLOTS 8
#define NVG_RATE_WINDOW_CLOSE_AFTER_S 2
#define NVG_RATE_WINDOW_IDLE_MS 2000

/* Called once per closed (second, proto) with non-zero packets. */
typedef void (*nvg_rate_window_emit_fn)(void *ud, int64_t sec, int proto, uint64_t packets,
                                        uint64_t bytes);

struct nvg_rate_window_slot {
    int64_t sec;
    int64_t touched_ms; /* wall clock of the last record added */
    bool used;
    uint64_t packets[NVG_PROTO_COUNT];
    uint64_t bytes[NVG_PROTO_COUNT];
};

/* Plain struct so it can be embedded in a sensor entry; no allocation. */
struct nvg_rate_window {
    nvg_rate_window_emit_fn emit;
    void *ud;
    bool record_time_only;
    bool have_hw;
    int64_t hw_sec; /* newest record second seen */
    int last;       /* slot of the previous record: most records share its second */
    struct nvg_rate_window_slot slot[NVG_RATE_WINDOW_SLOTS];
};

void nvg_rate_window_init(struct nvg_rate_window *r, nvg_rate_window_emit_fn emit, void *ud);
void nvg_rate_window_set_record_time_only(struct nvg_rate_window *r, bool on);
/* Count one record. now_ms is the wall clock (per batch is precise enough). */
void nvg_rate_window_add(struct nvg_rate_window *r, int64_t ts_ns, int proto, uint32_t bytes,
                         int64_t now_ms);
/* Close seconds that are due by the wall-clock rule. */
void nvg_rate_window_tick(struct nvg_rate_window *r, int64_t now_ms);
/* Close every open second, oldest first. */
void nvg_rate_window_flush(struct nvg_rate_window *r);

/* floor(ts_ns / 1e9), also for times before 1970. */
int64_t nvg_rate_window_second_of(int64_t ts_ns);

#endif
