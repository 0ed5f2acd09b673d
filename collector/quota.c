/* See quota.h. */
#include "quota.h"

#include <stdlib.h>
#include <string.h>

struct nvg_quota {
    struct nvg_quota_peer *v;
    size_t n, max;
};

bool nvg_bucket_take(struct nvg_bucket *b, double burst, double per_s, int64_t now_ms)
{
    if (!b->started) {
        b->tokens = burst;
        b->last_ms = now_ms;
        b->started = true;
    } else if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * per_s / 1000.0;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last_ms = now_ms;
    }
    /* A clock that went back refills nothing and takes nothing away. */
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

struct nvg_quota *nvg_quota_new(size_t max_peers)
{
    struct nvg_quota *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->v = calloc(max_peers ? max_peers : 1, sizeof(*q->v));
    if (!q->v) {
        free(q);
        return NULL;
    }
    q->max = max_peers ? max_peers : 1;
    return q;
}

void nvg_quota_free(struct nvg_quota *q)
{
    if (!q)
        return;
    free(q->v);
    free(q);
}

struct nvg_quota_peer *nvg_quota_find(struct nvg_quota *q, const uint8_t *rid, size_t rid_len)
{
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].rid_len == rid_len && memcmp(q->v[i].rid, rid, rid_len) == 0)
            return &q->v[i];
    return NULL;
}

struct nvg_quota_peer *nvg_quota_peer(struct nvg_quota *q, const uint8_t *rid, size_t rid_len,
                                      int64_t now_ms)
{
    if (rid_len > NVG_QUOTA_RID_MAX)
        return NULL;
    struct nvg_quota_peer *p = nvg_quota_find(q, rid, rid_len);
    if (!p && q->n < q->max)
        p = &q->v[q->n++];
    if (!p) {
        for (size_t i = 0; i < q->n; i++)
            if (q->v[i].in_flight == 0 && (!p || q->v[i].last_ms < p->last_ms))
                p = &q->v[i];
        if (!p)
            return NULL;
    }
    if (p->rid_len != rid_len || memcmp(p->rid, rid, rid_len) != 0) {
        memset(p, 0, sizeof(*p));
        memcpy(p->rid, rid, rid_len);
        p->rid_len = rid_len;
    }
    p->last_ms = now_ms;
    return p;
}

size_t nvg_quota_count(const struct nvg_quota *q)
{
    return q->n;
}
