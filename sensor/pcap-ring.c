/* See pcap-ring.h. */
#include "pcap-ring.h"

#include <stdlib.h>
#include <string.h>

struct frame_head {
    int64_t ts_ns;
    uint32_t caplen, wirelen;
};

struct nvg_pcap_ring {
    uint8_t *buf;
    uint64_t cap;
    uint64_t head; /* offset of the oldest frame's header */
    uint64_t tail; /* where the next frame goes */
    uint64_t used; /* bytes between head and tail, headers included */
    int dlt;
    uint8_t *scratch; /* a frame split by the end of buf, made whole for a walk */
    struct nvg_pcap_ring_stats st;
};

struct nvg_pcap_ring *nvg_pcap_ring_new(uint64_t size)
{
    if (size < NVG_PCAP_RING_MIN || size > NVG_PCAP_RING_MAX || size > SIZE_MAX)
        return NULL;
    struct nvg_pcap_ring *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->buf = malloc((size_t)size);
    r->scratch = malloc(NVG_PCAP_RING_FRAME_MAX);
    if (!r->buf || !r->scratch) {
        nvg_pcap_ring_free(r);
        return NULL;
    }
    memset(r->buf, 0, (size_t)size);
    r->cap = size;
    r->dlt = -1;
    return r;
}

void nvg_pcap_ring_free(struct nvg_pcap_ring *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->scratch);
    free(r);
}

/* len bytes at offset off of the circle into out / from in. */
static void copy_out(const struct nvg_pcap_ring *r, uint64_t off, void *out, size_t len)
{
    size_t first = (size_t)(r->cap - off) < len ? (size_t)(r->cap - off) : len;
    memcpy(out, r->buf + off, first);
    memcpy((uint8_t *)out + first, r->buf, len - first);
}

static void copy_in(struct nvg_pcap_ring *r, uint64_t off, const void *in, size_t len)
{
    size_t first = (size_t)(r->cap - off) < len ? (size_t)(r->cap - off) : len;
    memcpy(r->buf + off, in, first);
    memcpy(r->buf, (const uint8_t *)in + first, len - first);
}

static uint64_t advance(const struct nvg_pcap_ring *r, uint64_t off, uint64_t by)
{
    off += by;
    return off >= r->cap ? off - r->cap : off;
}

static void evict_oldest(struct nvg_pcap_ring *r)
{
    struct frame_head h;
    copy_out(r, r->head, &h, sizeof(h));
    uint64_t n = sizeof(h) + h.caplen;
    r->head = advance(r, r->head, n);
    r->used -= n;
    r->st.frames--;
    r->st.evicted++;
    if (r->st.frames) {
        copy_out(r, r->head, &h, sizeof(h));
        r->st.oldest_ns = h.ts_ns;
    }
}

static void clear(struct nvg_pcap_ring *r)
{
    r->st.cleared += r->st.frames;
    r->head = r->tail = r->used = 0;
    r->st.frames = 0;
    r->st.oldest_ns = r->st.newest_ns = 0;
}

void nvg_pcap_ring_add(struct nvg_pcap_ring *r, int dlt, const uint8_t *frame, uint32_t caplen,
                       uint32_t wirelen, int64_t ts_ns)
{
    uint64_t n = sizeof(struct frame_head) + (uint64_t)caplen;
    if (caplen > NVG_PCAP_RING_FRAME_MAX || n > r->cap) {
        r->st.too_big++;
        return;
    }
    if (dlt != r->dlt) {
        clear(r);
        r->dlt = dlt;
    }
    while (r->cap - r->used < n)
        evict_oldest(r);
    struct frame_head h = {ts_ns, caplen, wirelen};
    copy_in(r, r->tail, &h, sizeof(h));
    copy_in(r, advance(r, r->tail, sizeof(h)), frame, caplen);
    r->tail = advance(r, r->tail, n);
    r->used += n;
    if (r->st.frames++ == 0)
        r->st.oldest_ns = ts_ns;
    r->st.newest_ns = ts_ns;
    r->st.added++;
}

int nvg_pcap_ring_datalink(const struct nvg_pcap_ring *r)
{
    return r->dlt;
}

uint64_t nvg_pcap_ring_size(const struct nvg_pcap_ring *r)
{
    return r->cap;
}

void nvg_pcap_ring_get_stats(const struct nvg_pcap_ring *r, struct nvg_pcap_ring_stats *st)
{
    *st = r->st;
    st->bytes = r->used;
}

int nvg_pcap_ring_walk(struct nvg_pcap_ring *r, int64_t from_ns, int64_t to_ns, nvg_pcap_ring_fn fn,
                       void *ud)
{
    uint64_t off = r->head;
    for (uint64_t i = 0; i < r->st.frames; i++) {
        struct frame_head h;
        copy_out(r, off, &h, sizeof(h));
        uint64_t data = advance(r, off, sizeof(h));
        off = advance(r, data, h.caplen);
        if (h.ts_ns < from_ns || h.ts_ns > to_ns)
            continue;
        struct nvg_pcap_ring_frame f = {h.ts_ns, h.caplen, h.wirelen, r->buf + data};
        if (data + h.caplen > r->cap) {
            copy_out(r, data, r->scratch, h.caplen);
            f.data = r->scratch;
        }
        int rc = fn(ud, &f);
        if (rc)
            return rc;
    }
    return 0;
}
