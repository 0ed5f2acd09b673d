/* A min-heap over counters that only grow, for the space-saving tables (talkers.c, hosts.c):
 * evicting the smallest counter must be cheap, but the counters change on every record.
 *
 * Each entry holds a key that was its counter's value when the entry was last placed, so
 * key <= value at all times; a hit on a counter touches only the counter, and a stale key is
 * refreshed only when its entry reaches the top. Each counter is refreshed at most once per
 * round of hits, so finding the minimum costs O(log n) amortised over the hits that made the
 * keys stale; once the top is fresh it is the true minimum, since every other key is <= its
 * own counter. */
#ifndef NVG_LAZY_HEAP_H
#define NVG_LAZY_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct nvg_lazy_entry {
    uint64_t key;
    uint32_t idx; /* the counter */
};

/* The counters: value of counter idx at base + idx * stride (a uint64_t). */
struct nvg_lazy_values {
    const void *base;
    size_t stride;
};

static inline uint64_t nvg_lazy_value(struct nvg_lazy_values v, uint32_t idx)
{
    return *(const uint64_t *)((const char *)v.base + (size_t)idx * v.stride);
}

static inline void nvg_lazy_sift_up(struct nvg_lazy_entry *h, size_t i)
{
    struct nvg_lazy_entry e = h[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].key <= e.key)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static inline void nvg_lazy_sift_down(struct nvg_lazy_entry *h, size_t n, size_t i)
{
    struct nvg_lazy_entry e = h[i];
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n)
            break;
        size_t m = (l + 1 < n && h[l + 1].key < h[l].key) ? l + 1 : l;
        if (h[m].key >= e.key)
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
}

/* The counter with the least value (n > 0), at the top of the heap, its key fresh. */
static inline uint32_t nvg_lazy_min(struct nvg_lazy_entry *h, size_t n, struct nvg_lazy_values v)
{
    for (;;) {
        uint64_t value = nvg_lazy_value(v, h[0].idx);
        if (h[0].key == value)
            return h[0].idx;
        h[0].key = value;
        nvg_lazy_sift_down(h, n, 0);
    }
}

#endif
