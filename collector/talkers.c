#include "talkers.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY UINT16_MAX

struct nvg_talkers {
    size_t cap;     /* counters */
    size_t used;
    size_t mask;    /* hash slots - 1; slots = 2 * cap keeps probes short */
    uint16_t *slot; /* counter index or EMPTY */
    struct nvg_talker *c;
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
    t->c = calloc(capacity, sizeof(*t->c));
    if (!t->slot || !t->c) {
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
    free(t->c);
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

static size_t addr_len(int ip_version)
{
    return ip_version == 6 ? 16 : 4;
}

static size_t hash_addr(const uint8_t *addr, int ip_version)
{
    /* FNV-1a: a handful of bytes, no need for more. */
    uint64_t h = 1469598103934665603ull ^ (uint64_t)ip_version;
    for (size_t i = 0; i < addr_len(ip_version); i++) {
        h ^= addr[i];
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 29));
}

static bool same(const struct nvg_talker *c, const uint8_t *addr, int ip_version)
{
    return c->ip_version == ip_version && memcmp(c->addr, addr, addr_len(ip_version)) == 0;
}

/* Slot holding addr, or the empty slot where it would go. */
static size_t find_slot(const struct nvg_talkers *t, const uint8_t *addr, int ip_version)
{
    size_t i = hash_addr(addr, ip_version) & t->mask;
    while (t->slot[i] != EMPTY && !same(&t->c[t->slot[i]], addr, ip_version))
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
            const struct nvg_talker *c = &t->c[t->slot[j]];
            size_t home = hash_addr(c->addr, c->ip_version) & t->mask;
            /* Move j to i unless its home lies cyclically in (i, j]. */
            bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        t->slot[i] = t->slot[j];
        i = j;
    }
}

static uint16_t min_counter(const struct nvg_talkers *t)
{
    size_t m = 0;
    for (size_t k = 1; k < t->used; k++)
        if (t->c[k].bytes < t->c[m].bytes)
            m = k;
    return (uint16_t)m;
}

void nvg_talkers_add(struct nvg_talkers *t, const uint8_t *addr, int ip_version, uint32_t bytes)
{
    if (ip_version != 4 && ip_version != 6)
        return;
    size_t i = find_slot(t, addr, ip_version);
    if (t->slot[i] != EMPTY) {
        struct nvg_talker *c = &t->c[t->slot[i]];
        c->bytes += bytes;
        c->packets++;
        return;
    }
    uint16_t k;
    uint64_t base = 0;
    if (t->used < t->cap) {
        k = (uint16_t)t->used++;
    } else {
        /* Take over the smallest counter: the newcomer inherits its count as error. */
        k = min_counter(t);
        base = t->c[k].bytes;
        remove_slot(t, find_slot(t, t->c[k].addr, t->c[k].ip_version));
        i = find_slot(t, addr, ip_version);
    }
    struct nvg_talker *c = &t->c[k];
    memset(c->addr, 0, sizeof(c->addr));
    memcpy(c->addr, addr, addr_len(ip_version));
    c->ip_version = (uint8_t)ip_version;
    c->bytes = base + bytes;
    c->error = base;
    c->packets = 1;
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
