#include "talkers.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lazy-heap.h"

#define EMPTY UINT16_MAX

struct nvg_talkers {
    size_t cap; /* counters */
    size_t used;
    size_t mask;    /* hash slots - 1; slots = 2 * cap keeps probes short */
    uint16_t *slot; /* counter index or EMPTY */
    uint32_t *hash; /* per counter: hash of its address, for probing and deletion */
    struct nvg_talker *c;
    struct nvg_lazy_entry *heap; /* used entries (lazy-heap.h) */
};

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

struct nvg_talkers *nvg_talkers_new(size_t capacity)
{
    if (capacity < 2)
        capacity = 2;
    if (capacity > 4096)
        capacity = 4096;
    capacity = pow2_at_least(capacity);
    struct nvg_talkers *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cap = capacity;
    t->mask = 2 * capacity - 1;
    t->slot = malloc(2 * capacity * sizeof(*t->slot));
    t->hash = calloc(capacity, sizeof(*t->hash));
    t->c = calloc(capacity, sizeof(*t->c));
    t->heap = calloc(capacity, sizeof(*t->heap));
    if (!t->slot || !t->hash || !t->c || !t->heap) {
        nvg_talkers_free(t);
        return NULL;
    }
    nvg_talkers_reset(t);
    return t;
}

void nvg_talkers_free(struct nvg_talkers *t)
{
    if (!t)
        return;
    free(t->slot);
    free(t->hash);
    free(t->c);
    free(t->heap);
    free(t);
}

void nvg_talkers_reset(struct nvg_talkers *t)
{
    memset(t->slot, 0xff, (t->mask + 1) * sizeof(*t->slot));
    t->used = 0;
}

size_t nvg_talkers_count(const struct nvg_talkers *t)
{
    return t->used;
}

size_t nvg_talkers_memory(const struct nvg_talkers *t)
{
    return sizeof(*t) + (t->mask + 1) * sizeof(*t->slot) +
           t->cap * (sizeof(*t->hash) + sizeof(*t->c) + sizeof(*t->heap));
}

static size_t addr_len(int ip_version)
{
    return ip_version == 6 ? 16 : 4;
}

/* Multiply-xorshift over the address words: a few cycles instead of a byte loop. */
static uint32_t hash_addr(const uint8_t *addr, int ip_version)
{
    uint64_t h;
    if (ip_version == 6) {
        uint64_t a, b;
        memcpy(&a, addr, 8);
        memcpy(&b, addr + 8, 8);
        h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full) ^ 6;
    } else {
        uint32_t a;
        memcpy(&a, addr, 4);
        h = ((uint64_t)a * 0x9e3779b97f4a7c15ull) ^ 4;
    }
    h ^= h >> 32;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 29;
    return (uint32_t)h;
}

static bool same(const struct nvg_talker *c, const uint8_t *addr, int ip_version)
{
    if (c->ip_version != ip_version)
        return false;
    if (ip_version == 4)
        return memcmp(c->addr, addr, 4) == 0;
    return memcmp(c->addr, addr, 16) == 0;
}

/* Slot holding addr, or the empty slot where it would go. */
static size_t find_slot(const struct nvg_talkers *t, const uint8_t *addr, int ip_version,
                        uint32_t h)
{
    size_t i = h & t->mask;
    for (;;) {
        uint16_t k = t->slot[i];
        if (k == EMPTY || (t->hash[k] == h && same(&t->c[k], addr, ip_version)))
            return i;
        i = (i + 1) & t->mask;
    }
}

/* Slot holding counter k (which is in the table). */
static size_t slot_of(const struct nvg_talkers *t, uint16_t k)
{
    size_t i = t->hash[k] & t->mask;
    while (t->slot[i] != k)
        i = (i + 1) & t->mask;
    return i;
}

/* Remove slot i, shifting later members of its probe run back so lookups need no
 * tombstones. */
static void remove_slot(struct nvg_talkers *t, size_t i)
{
    size_t j = i;
    for (;;) {
        t->slot[i] = EMPTY;
        for (;;) {
            j = (j + 1) & t->mask;
            if (t->slot[j] == EMPTY)
                return;
            size_t home = t->hash[t->slot[j]] & t->mask;
            /* Move j to i unless its home lies cyclically in (i, j]. */
            bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        t->slot[i] = t->slot[j];
        i = j;
    }
}

/* The counter with the fewest bytes (lazy-heap.h), at the heap's top on return. */
static uint16_t min_counter(struct nvg_talkers *t)
{
    struct nvg_lazy_values v = {&t->c[0].bytes, sizeof(t->c[0])};
    return (uint16_t)nvg_lazy_min(t->heap, t->used, v);
}

void nvg_talkers_add(struct nvg_talkers *t, const uint8_t *addr, int ip_version, uint32_t bytes)
{
    if (ip_version != 4 && ip_version != 6)
        return;
    uint32_t h = hash_addr(addr, ip_version);
    size_t i = find_slot(t, addr, ip_version, h);
    if (t->slot[i] != EMPTY) {
        /* The common case: a hit touches only the counter (its heap key goes stale). */
        struct nvg_talker *c = &t->c[t->slot[i]];
        c->bytes += bytes;
        c->packets++;
        return;
    }
    uint16_t k;
    uint64_t base = 0;
    if (t->used < t->cap) {
        k = (uint16_t)t->used++;
        t->heap[k] = (struct nvg_lazy_entry){.key = bytes, .idx = k};
        nvg_lazy_sift_up(t->heap, k);
    } else {
        /* Take over the smallest counter: the newcomer inherits its count as error. */
        k = min_counter(t);
        base = t->c[k].bytes;
        remove_slot(t, slot_of(t, k));
        i = find_slot(t, addr, ip_version, h);
        t->heap[0].key = base + bytes;
        nvg_lazy_sift_down(t->heap, t->used, 0);
    }
    struct nvg_talker *c = &t->c[k];
    memset(c->addr, 0, sizeof(c->addr));
    memcpy(c->addr, addr, addr_len(ip_version));
    c->ip_version = (uint8_t)ip_version;
    c->bytes = base + bytes;
    c->error = base;
    c->packets = 1;
    t->hash[k] = h;
    t->slot[i] = k;
}

size_t nvg_talkers_top(const struct nvg_talkers *t, struct nvg_talker *out, size_t n)
{
    /* Selection of the n biggest; n is small (10), the counters few. */
    size_t got = 0;
    for (size_t k = 0; k < t->used; k++) {
        const struct nvg_talker *c = &t->c[k];
        size_t pos = got < n ? got : n;
        while (pos > 0 && out[pos - 1].bytes < c->bytes) {
            if (pos < n)
                out[pos] = out[pos - 1];
            pos--;
        }
        if (pos < n) {
            out[pos] = *c;
            if (got < n)
                got++;
        }
    }
    return got;
}
