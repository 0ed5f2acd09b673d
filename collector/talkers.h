/* Top talkers (source addresses by bytes) of one sensor over an interval, in bounded memory.
 *
 * Weighted space-saving (Metwally et al.): a fixed set of counters; an address without a
 * counter takes over the smallest one and inherits its count as its error bound. Any address
 * that sent more than total/capacity bytes is guaranteed to hold a counter, and each reported
 * count overestimates by at most its error. Lookup is a linear-probing hash over the counters,
 * so a hit costs a hash and a compare. The smallest counter is found through a lazy min-heap:
 * a hit does not touch the heap (its key just falls behind the count); a miss with all
 * counters taken refreshes stale keys as they surface at the top, O(log n) amortised, instead
 * of scanning every counter. Memory is fixed at creation (nvg_talkers_memory) and nothing is
 * allocated after it. */
#ifndef NVG_TALKERS_H
#define NVG_TALKERS_H

#include <stddef.h>
#include <stdint.h>

struct nvg_talker {
    uint8_t addr[16];
    uint8_t ip_version; /* 4 or 6 */
    uint64_t bytes;
    uint64_t packets;
    uint64_t error; /* bytes the count may overstate */
};

struct nvg_talkers;

/* capacity counters (rounded up to a power of two, at most 4096). */
struct nvg_talkers *nvg_talkers_new(size_t capacity);
void nvg_talkers_free(struct nvg_talkers *t);
void nvg_talkers_add(struct nvg_talkers *t, const uint8_t *addr, int ip_version, uint32_t bytes);
/* Copy the n biggest by bytes, biggest first; returns how many were copied. */
size_t nvg_talkers_top(const struct nvg_talkers *t, struct nvg_talker *out, size_t n);
/* Start a new interval. */
void nvg_talkers_reset(struct nvg_talkers *t);
size_t nvg_talkers_count(const struct nvg_talkers *t);
/* Bytes the table holds, fixed at creation. */
size_t nvg_talkers_memory(const struct nvg_talkers *t);

#endif
