/* What a feed subscriber skipped: records the collector published that never reached it
 * (its high-water mark, the collector's feed budget, a stalled process). Each Batch on the
 * feed carries feed_offset, the records published under its sensor's name before it since
 * the collector started (collector/fanout.h); a subscriber expects, per name, the last
 * offset plus that batch's records, and a larger offset is the difference skipped.
 *
 * Never a false skip: the first batch of a name only sets the expectation (we joined
 * mid-stream), a smaller offset is a new collector (the expectation restarts), and after a
 * reconnect the caller forgets every expectation (a collector that restarted meanwhile may
 * have published past the old offset already). What cannot be told apart is left out, so
 * the count is exact while the connection holds and a lower bound across reconnects.
 *
 * Fixed size, no allocation: at most NVG_FEED_SKIP_NAMES names are followed at once (the
 * collector's table holds 1024); a hostile feed of new names only makes us forget, which
 * again can only miss a skip. Shared by netvigil-ctl tail and the viewer. */
#ifndef NVG_FEED_SKIP_H
#define NVG_FEED_SKIP_H

#include <stddef.h>
#include <stdint.h>

#include "nvg-format.h"

#define NVG_FEED_SKIP_NAMES 1024
#define NVG_FEED_SKIP_SLOTS (2 * NVG_FEED_SKIP_NAMES)

struct nvg_feed_skip_slot {
    char name[NVG_SENSOR_NAME_MAX + 1]; /* "" = free */
    uint64_t next;                      /* the offset expected next */
};

struct nvg_feed_skips {
    struct nvg_feed_skip_slot slots[NVG_FEED_SKIP_SLOTS];
    size_t used;
    uint64_t skipped;  /* records skipped, in all */
    uint64_t restarts; /* offsets that went backwards: a new collector */
};

void nvg_feed_skips_init(struct nvg_feed_skips *s);
/* A batch of n records of sensor name at feed_offset: the records skipped just before it
 * (also added to s->skipped), 0 when none or when it cannot be told. */
uint64_t nvg_feed_skips_batch(struct nvg_feed_skips *s, const char *name, uint64_t feed_offset,
                              uint64_t n);
/* The connection was lost: expect nothing (totals are kept). */
void nvg_feed_skips_forget(struct nvg_feed_skips *s);

#endif
