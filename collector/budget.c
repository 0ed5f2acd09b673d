/* See budget.h. */
#include "budget.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "nvg-error.h"

struct nvg_budget {
    atomic_uint_fast64_t used;
    atomic_uint refs; /* the owner's, and one per charged message */
    uint64_t limit;
};

/* In front of each charged message's bytes: what its free function needs. */
struct charge {
    struct nvg_budget *b;
    size_t len;
    alignas(max_align_t) unsigned char data[];
};

struct nvg_budget *nvg_budget_new(uint64_t limit)
{
    struct nvg_budget *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    atomic_init(&b->used, 0);
    atomic_init(&b->refs, 1);
    b->limit = limit;
    return b;
}

void nvg_budget_release(struct nvg_budget *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

/* libzmq's free function: runs on whichever thread drops the last reference. */
static void uncharge(void *data, void *hint)
{
    (void)data;
    struct charge *c = hint;
    struct nvg_budget *b = c->b;
    atomic_fetch_sub(&b->used, c->len);
    free(c);
    nvg_budget_release(b);
}

int nvg_budget_msg(struct nvg_budget *b, zmq_msg_t *msg, size_t len)
{
    /* Only this thread adds, so the check cannot be overtaken; frees only make room. */
    if (atomic_load(&b->used) + len > b->limit)
        return NVG_ENOMEM;
    struct charge *c = malloc(sizeof(*c) + (len ? len : 1));
    if (!c)
        return NVG_ENOMEM;
    c->b = b;
    c->len = len;
    atomic_fetch_add(&b->used, len);
    atomic_fetch_add(&b->refs, 1);
    if (zmq_msg_init_data(msg, c->data, len, uncharge, c) != 0) {
        atomic_fetch_sub(&b->used, len);
        atomic_fetch_sub(&b->refs, 1);
        free(c);
        return NVG_ENOMEM;
    }
    return 0;
}

uint64_t nvg_budget_used(const struct nvg_budget *b)
{
    return atomic_load(&((struct nvg_budget *)b)->used);
}

uint64_t nvg_budget_limit(const struct nvg_budget *b)
{
    return b->limit;
}

int nvg_budget_hwm(uint64_t share, size_t max_msg, int lo, int hi)
{
    uint64_t n = max_msg ? share / max_msg : (uint64_t)hi;
    if (n < (uint64_t)lo)
        return lo;
    return n > (uint64_t)hi ? hi : (int)n;
}
