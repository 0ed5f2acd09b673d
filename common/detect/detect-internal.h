/* Private to common/detect/: the bounded tables, the distinct counters and the engine state
 * shared by detect.c (detectors), detect-alert.c (alert life and summaries). */
#ifndef NVG_DETECT_INTERNAL_H
#define NVG_DETECT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "nvg-detect.h"

/* Linear counting (Whang et al. 1990) over 1024 bits: exact while collisions are rare, about
 * 3% error at 1,000 distinct values, saturates near 7,000. `ones` is kept so that the
 * estimate is a table lookup on the per-record path. */
#define NVG__LC_BITS 1024u
struct nvg__lc {
    uint64_t w[NVG__LC_BITS / 64];
};

static inline uint64_t nvg__mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t nvg__hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, b, 8);
        h = nvg__mix64(h ^ v) + 0x9e3779b97f4a7c15ULL;
        b += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, b, n);
    return nvg__mix64(h ^ v ^ ((uint64_t)n << 56));
}

static inline unsigned nvg__lc_bit(uint64_t h)
{
    return (unsigned)(h & (NVG__LC_BITS - 1));
}

/* Returns true when the bit was new. */
static inline bool nvg__lc_add(struct nvg__lc *lc, uint32_t *ones, unsigned bit)
{
    uint64_t m = 1ULL << (bit & 63);
    uint64_t *w = &lc->w[bit >> 6];
    if (*w & m)
        return false;
    *w |= m;
    (*ones)++;
    return true;
}

static inline bool nvg__lc_has(const struct nvg__lc *lc, unsigned bit)
{
    return (lc->w[bit >> 6] >> (bit & 63)) & 1;
}

/* Estimated distinct values for a bitmap with `ones` bits set (detect.c fills the table). */
extern const uint16_t *nvg__lc_estimate;
void nvg__lc_init(void);

/* Every table entry starts with this; the key follows, then the detector's data. */
struct nvg__hdr {
    uint64_t hash;
    int64_t last_ns; /* last record time that touched it; 0: free */
};

/* A slot's hash and last time, apart from its entry: the probe window of 8 slots is two
 * cache lines, so a lookup touches an entry (hundreds of bytes, a cache miss each) only for
 * the one whose hash matches. The entry's header keeps its own copy for the passes. */
struct nvg__slot {
    uint64_t hash;
    int64_t last_ns; /* 0: never used */
};

struct nvg__table {
    uint8_t *mem;
    struct nvg__slot *slots;
    size_t esz;    /* entry size */
    size_t keyoff; /* offset of the key in an entry */
    size_t keylen;
    unsigned mask;   /* entries - 1 */
    int64_t idle_ns; /* an entry untouched this long is free */
    uint64_t *evictions;
};

#define NVG__PROBES 8

/* Finds the entry for key, or (insert) takes a free, idle or else the least recently seen
 * slot of the probe window, counting an eviction. Returns NULL only without insert. A new
 * entry is zeroed past the header, with key and hash set and *fresh true. */
void *nvg__table_get(struct nvg__table *t, const void *key, uint64_t hash, int64_t now, bool insert,
                     bool *fresh);

struct nvg__alert {
    uint64_t hash; /* 0: free slot */
    uint8_t state; /* ALERT_PENDING, ALERT_ACTIVE */
    bool dirty;    /* evidence since the last emit */
    bool src_varies;
    int64_t last_emit_ns;
    struct nvg_alert a;
};

/* Threshold-rule state, by rule position; follows rule names across a swap. */
struct nvg__thr {
    char name[NVG_RULE_NAME];
    int64_t sec;
    uint64_t pkts, bytes;
};

struct nvg_detect {
    struct nvg_detect_rules rules;
    struct nvg__table pairs, sweeps, targets, arp;
    struct nvg__alert *alerts;
    unsigned alert_mask;
    struct nvg__thr thr[NVG_DETECT_MAX_RULES];
    uint64_t next_id;
    int64_t scan_sec; /* second of the last unanswered-probe pass */
    int64_t garp_sec;
    uint32_t garp_count;
    struct nvg_detect_stats st;
};

/* Evidence for an alert (detect-alert.c). key_extra tells alerts of one detector apart
 * (rule name hash, port). Returns NULL when suppressed or shed. */
struct nvg__alert *nvg__alert_hit(struct nvg_detect *d, enum nvg_detector det, const uint8_t *src,
                                  const uint8_t *target, uint8_t ver, uint64_t key_extra,
                                  unsigned sensor, int64_t ts, uint32_t bytes);
void nvg__alert_tick(struct nvg_detect *d, int64_t now, nvg_alert_fn fn, void *ud);
void nvg__alert_flush(struct nvg_detect *d, nvg_alert_fn fn, void *ud);
void nvg__alert_add_target(struct nvg_alert *a, const uint8_t *t);
bool nvg__cidr_match(const struct nvg_cidr *c, const uint8_t *addr, uint8_t ver);
/* Policy and threshold rules over one record (detect-policy.c). */
void nvg__rules_record(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt);

#endif
