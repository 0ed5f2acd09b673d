/* See nvg-feed-skip.h. */
#include "nvg-feed-skip.h"

#include <stdio.h>
#include <string.h>

void nvg_feed_skips_init(struct nvg_feed_skips *s)
{
    memset(s, 0, sizeof(*s));
}

void nvg_feed_skips_forget(struct nvg_feed_skips *s)
{
    memset(s->slots, 0, sizeof(s->slots));
    s->used = 0;
}

static struct nvg_feed_skip_slot *slot_of(struct nvg_feed_skips *s, const char *name)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    for (size_t i = h % NVG_FEED_SKIP_SLOTS;; i = (i + 1) % NVG_FEED_SKIP_SLOTS)
        if (!s->slots[i].name[0] || strcmp(s->slots[i].name, name) == 0)
            return &s->slots[i];
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

uint64_t nvg_feed_skips_batch(struct nvg_feed_skips *s, const char *name, uint64_t feed_offset,
                              uint64_t n)
{
    if (!name || !name[0])
        return 0;
    struct nvg_feed_skip_slot *g = slot_of(s, name);
    uint64_t skipped = 0;
    if (!g->name[0]) {
        if (s->used >= NVG_FEED_SKIP_NAMES) {
            nvg_feed_skips_forget(s);
            g = slot_of(s, name);
        }
        snprintf(g->name, sizeof(g->name), "%s", name);
        s->used++;
    } else if (feed_offset > g->next) {
        skipped = feed_offset - g->next;
        s->skipped = sat_add(s->skipped, skipped);
    } else if (feed_offset < g->next) {
        s->restarts++;
    }
    g->next = sat_add(feed_offset, n);
    return skipped;
}
