#include "rate-window.h"

#include <string.h>

#define NS_PER_SEC 1000000000LL

int64_t nvg_rate_window_second_of(int64_t ts_ns)
{
    int64_t s = ts_ns / NS_PER_SEC;
    if (ts_ns % NS_PER_SEC < 0)
        s--;
    return s;
}

void nvg_rate_window_init(struct nvg_rate_window *r, nvg_rate_window_emit_fn emit, void *ud)
{
    memset(r, 0, sizeof(*r));
    r->emit = emit;
    r->ud = ud;
}

void nvg_rate_window_set_record_time_only(struct nvg_rate_window *r, bool on)
{
    r->record_time_only = on;
}

static void close_slot(struct nvg_rate_window *r, struct nvg_rate_window_slot *s)
{
    for (int p = 0; p < NVG_PROTO_COUNT; p++)
        if (s->packets[p])
            r->emit(r->ud, s->sec, p, s->packets[p], s->bytes[p]);
    memset(s, 0, sizeof(*s));
}

static struct nvg_rate_window_slot *oldest_used(struct nvg_rate_window *r)
{
    struct nvg_rate_window_slot *best = NULL;
    for (int i = 0; i < NVG_RATE_WINDOW_SLOTS; i++)
        if (r->slot[i].used && (!best || r->slot[i].sec < best->sec))
            best = &r->slot[i];
    return best;
}

/* Close, oldest first, every second at least NVG_RATE_WINDOW_CLOSE_AFTER_S behind the newest record
 * (or, with idle_before_ms >= 0, not touched since then). Oldest first keeps the rows of one
 * sensor in time order. */
static void close_due(struct nvg_rate_window *r, int64_t idle_before_ms)
{
    for (;;) {
        struct nvg_rate_window_slot *o = oldest_used(r);
        if (!o)
            return;
        bool by_time = r->have_hw && o->sec <= r->hw_sec - NVG_RATE_WINDOW_CLOSE_AFTER_S;
        bool by_wall = idle_before_ms >= 0 && o->touched_ms <= idle_before_ms;
        if (!by_time && !by_wall)
            return;
        close_slot(r, o);
    }
}

static struct nvg_rate_window_slot *slot_for(struct nvg_rate_window *r, int64_t sec)
{
    struct nvg_rate_window_slot *free_slot = NULL;
    for (int i = 0; i < NVG_RATE_WINDOW_SLOTS; i++) {
        if (r->slot[i].used && r->slot[i].sec == sec) {
            r->last = i;
            return &r->slot[i];
        }
        if (!r->slot[i].used && !free_slot)
            free_slot = &r->slot[i];
    }
    if (!free_slot) {
        free_slot = oldest_used(r);
        close_slot(r, free_slot);
    }
    free_slot->used = true;
    free_slot->sec = sec;
    r->last = (int)(free_slot - r->slot);
    return free_slot;
}

void nvg_rate_window_add(struct nvg_rate_window *r, int64_t ts_ns, int proto, uint32_t bytes,
                         int64_t now_ms)
{
    int64_t sec = nvg_rate_window_second_of(ts_ns);
    if ((unsigned)proto >= NVG_PROTO_COUNT)
        proto = NVG_PROTO_OTHER;
    struct nvg_rate_window_slot *s = &r->slot[r->last];
    if (!s->used || s->sec != sec)
        s = slot_for(r, sec);
    s->packets[proto]++;
    s->bytes[proto] += bytes;
    s->touched_ms = now_ms;
    if (!r->have_hw || sec > r->hw_sec) {
        r->have_hw = true;
        r->hw_sec = sec;
        close_due(r, -1);
    }
}

void nvg_rate_window_tick(struct nvg_rate_window *r, int64_t now_ms)
{
    close_due(r, r->record_time_only ? -1 : now_ms - NVG_RATE_WINDOW_IDLE_MS);
}

void nvg_rate_window_flush(struct nvg_rate_window *r)
{
    struct nvg_rate_window_slot *o;
    while ((o = oldest_used(r)))
        close_slot(r, o);
}
