/* See hosts.h. */
#include "hosts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lazy-heap.h"
#include "nvg-pkt.h"

#define WINDOW_S 60

struct host {
    uint8_t addr[16];
    uint8_t ip_version; /* 0: free */
    int32_t next;       /* hash chain */
    uint64_t in, out, error, conversations, tcp_frames, tcp_retrans;
    int64_t last_ms;
    int64_t sec;             /* the latest second in the rings */
    uint64_t in_s[WINDOW_S]; /* bytes per collector second, ring by second % WINDOW_S */
    uint64_t out_s[WINDOW_S];
};

/* The last counts of one conversation, to take only what grew (hosts.h). */
struct seen {
    uint64_t sensor_key, id; /* sensor_key 0 and id 0: free */
    uint64_t bytes[2], packets[2], retrans[2];
};

struct nvg_hosts {
    size_t cap, n, n_buckets;
    struct host *v;
    uint64_t *weight;            /* per host (bytes counted + inherited); only grows */
    struct nvg_lazy_entry *heap; /* the hosts by weight, for the eviction (lazy-heap.h) */
    int32_t *buckets;
    struct seen *ids;
    uint64_t evictions, flows, uncached;
    /* For the reply: an order of the hosts, and the packed bytes. */
    uint32_t *order;
    Netvigil__HostTotal *pb;
    Netvigil__HostTotal **ptrs;
    uint8_t *out;
    size_t out_cap;
    int64_t sort_now_s;
};

struct nvg_hosts *nvg_hosts_new(size_t capacity)
{
    struct nvg_hosts *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->cap = capacity ? capacity : NVG_HOSTS_CAPACITY;
    h->n_buckets = 2 * h->cap;
    h->v = calloc(h->cap, sizeof(*h->v));
    h->weight = calloc(h->cap, sizeof(*h->weight));
    h->heap = calloc(h->cap, sizeof(*h->heap));
    h->buckets = malloc(h->n_buckets * sizeof(*h->buckets));
    h->ids = calloc(NVG_HOSTS_IDS, sizeof(*h->ids));
    h->order = malloc(h->cap * sizeof(*h->order));
    h->pb = malloc(NVG_HOSTS_REPLY_MAX * sizeof(*h->pb));
    h->ptrs = malloc(NVG_HOSTS_REPLY_MAX * sizeof(*h->ptrs));
    if (!h->v || !h->weight || !h->heap || !h->buckets || !h->ids || !h->order || !h->pb ||
        !h->ptrs) {
        nvg_hosts_free(h);
        return NULL;
    }
    for (size_t i = 0; i < h->n_buckets; i++)
        h->buckets[i] = -1;
    return h;
}

void nvg_hosts_free(struct nvg_hosts *h)
{
    if (!h)
        return;
    free(h->v);
    free(h->weight);
    free(h->heap);
    free(h->buckets);
    free(h->ids);
    free(h->order);
    free(h->pb);
    free(h->ptrs);
    free(h->out);
    free(h);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static size_t addr_bucket(const struct nvg_hosts *h, const uint8_t *addr, uint8_t v)
{
    uint64_t a, b;
    memcpy(&a, addr, 8);
    memcpy(&b, addr + 8, 8);
    return (size_t)(mix(a ^ mix(b ^ v)) % h->n_buckets);
}

static void unlink_host(struct nvg_hosts *h, int32_t idx)
{
    struct host *e = &h->v[idx];
    int32_t *p = &h->buckets[addr_bucket(h, e->addr, e->ip_version)];
    while (*p != idx)
        p = &h->v[*p].next;
    *p = e->next;
}

/* The least weight, when the table is full and a newcomer arrives: it takes over that entry
 * and inherits the weight, so the heap's top stays fresh. A linear scan here cost 6% of the
 * collector on traffic with many hosts. */
static int32_t lightest(struct nvg_hosts *h)
{
    struct nvg_lazy_values v = {h->weight, sizeof(*h->weight)};
    return (int32_t)nvg_lazy_min(h->heap, h->n, v);
}

static struct host *host_get(struct nvg_hosts *h, const uint8_t *addr, uint8_t v)
{
    size_t b = addr_bucket(h, addr, v);
    for (int32_t i = h->buckets[b]; i >= 0; i = h->v[i].next)
        if (h->v[i].ip_version == v && memcmp(h->v[i].addr, addr, 16) == 0)
            return &h->v[i];
    int32_t idx;
    uint64_t inherited = 0;
    if (h->n < h->cap) {
        idx = (int32_t)h->n;
        h->heap[h->n] = (struct nvg_lazy_entry){.key = 0, .idx = (uint32_t)idx};
        nvg_lazy_sift_up(h->heap, h->n++);
    } else {
        idx = lightest(h);
        inherited = h->weight[idx];
        unlink_host(h, idx);
        h->evictions++;
    }
    struct host *e = &h->v[idx];
    memset(e, 0, sizeof(*e));
    memcpy(e->addr, addr, 16);
    e->ip_version = v;
    h->weight[idx] = e->error = inherited;
    e->next = h->buckets[b];
    h->buckets[b] = idx;
    return e;
}

static void ring_add(struct host *e, int64_t sec, uint64_t in, uint64_t out)
{
    if (sec > e->sec) {
        int64_t gap = sec - e->sec;
        for (int64_t s = 1; s <= gap && s <= WINDOW_S; s++) {
            e->in_s[(e->sec + s) % WINDOW_S] = 0;
            e->out_s[(e->sec + s) % WINDOW_S] = 0;
        }
        e->sec = sec;
    }
    if (sec >= 0 && sec > e->sec - WINDOW_S) { /* a clock stepped back far: nothing to add to */
        e->in_s[sec % WINDOW_S] += in;
        e->out_s[sec % WINDOW_S] += out;
    }
}

static uint64_t delta(uint64_t now, uint64_t before)
{
    return now >= before ? now - before : 0;
}

/* The counts f adds over its id's previous export; remembers f's for the next one. */
static void growth(struct nvg_hosts *h, uint64_t sensor_key, const struct nvg_flow *f,
                   struct seen *d)
{
    struct seen *s = &h->ids[mix(sensor_key ^ mix(f->id)) % NVG_HOSTS_IDS];
    bool mine = s->sensor_key == sensor_key && s->id == f->id && (sensor_key || f->id);
    struct seen prev = mine ? *s : (struct seen){0};
    if (!mine && f->export_seq > 0)
        h->uncached++;
    for (int k = 0; k < 2; k++) {
        d->bytes[k] = delta(f->dir[k].bytes, prev.bytes[k]);
        d->packets[k] = delta(f->dir[k].packets, prev.packets[k]);
        d->retrans[k] = delta(f->dir[k].retransmissions, prev.retrans[k]);
    }
    if (f->end == NVG_FLOW_ACTIVE) {
        *s = (struct seen){sensor_key,
                           f->id,
                           {f->dir[0].bytes, f->dir[1].bytes},
                           {f->dir[0].packets, f->dir[1].packets},
                           {f->dir[0].retransmissions, f->dir[1].retransmissions}};
    } else if (mine) {
        memset(s, 0, sizeof(*s));
    }
}

static void count_side(struct nvg_hosts *h, struct host *e, const struct nvg_flow *f,
                       const struct seen *d, int side, int64_t now_ms)
{
    int other = 1 - side; /* side 0: the initiator, who sends dir[0] */
    uint64_t out = d->bytes[side], in = d->bytes[other];
    e->out += out;
    e->in += in;
    h->weight[e - h->v] += in + out;
    if (f->export_seq == 0)
        e->conversations++;
    if (f->proto == NVG_PROTO_TCP) {
        e->tcp_frames += d->packets[side];
        e->tcp_retrans += d->retrans[side];
    }
    e->last_ms = now_ms;
    ring_add(e, now_ms / 1000, in, out);
}

void nvg_hosts_flow(struct nvg_hosts *h, uint64_t sensor_key, const struct nvg_flow *f,
                    int64_t now_ms)
{
    struct seen d;
    growth(h, sensor_key, f, &d);
    h->flows++;
    count_side(h, host_get(h, f->orig, f->ip_version), f, &d, 0, now_ms);
    count_side(h, host_get(h, f->resp, f->ip_version), f, &d, 1, now_ms);
}

/* Bytes in the last w seconds up to now_s (the current one included). */
static uint64_t window_sum(const struct host *e, const uint64_t *ring, int64_t now_s, int w)
{
    uint64_t sum = 0;
    for (int k = 0; k < w; k++) {
        int64_t s = now_s - k;
        if (s >= 0 && s <= e->sec && s > e->sec - WINDOW_S) /* no negative index near 0 */
            sum += ring[s % WINDOW_S];
    }
    return sum;
}

static const struct nvg_hosts *sort_ctx;

static int by_rate(const void *a, const void *b)
{
    const struct host *x = &sort_ctx->v[*(const uint32_t *)a];
    const struct host *y = &sort_ctx->v[*(const uint32_t *)b];
    int64_t t = sort_ctx->sort_now_s;
    uint64_t rx = window_sum(x, x->in_s, t, 10) + window_sum(x, x->out_s, t, 10);
    uint64_t ry = window_sum(y, y->in_s, t, 10) + window_sum(y, y->out_s, t, 10);
    if (rx != ry)
        return rx < ry ? 1 : -1;
    uint64_t tx = x->in + x->out, ty = y->in + y->out;
    return tx < ty ? 1 : tx > ty ? -1 : 0;
}

static void fill_total(const struct host *e, int64_t now_s, Netvigil__HostTotal *pb)
{
    netvigil__host_total__init(pb);
    pb->ip_version = e->ip_version;
    pb->addr.data = (uint8_t *)e->addr;
    pb->addr.len = e->ip_version == 6 ? 16 : 4;
    pb->bytes_in = e->in;
    pb->bytes_out = e->out;
    pb->in_per_s_10s = (double)window_sum(e, e->in_s, now_s, 10) / 10.0;
    pb->out_per_s_10s = (double)window_sum(e, e->out_s, now_s, 10) / 10.0;
    pb->in_per_s_60s = (double)window_sum(e, e->in_s, now_s, 60) / 60.0;
    pb->out_per_s_60s = (double)window_sum(e, e->out_s, now_s, 60) / 60.0;
    pb->conversations = e->conversations;
    pb->tcp_frames = e->tcp_frames;
    pb->tcp_retransmissions = e->tcp_retrans;
    pb->error = e->error;
    pb->last_ms = e->last_ms;
}

void nvg_hosts_counters(const struct nvg_hosts *h, Netvigil__HostTable *out)
{
    netvigil__host_table__init(out);
    out->capacity = (uint32_t)h->cap;
    out->tracked = h->n;
    out->evictions = h->evictions;
    out->flows = h->flows;
    out->uncached_updates = h->uncached;
}

const uint8_t *nvg_hosts_packed(struct nvg_hosts *h, int64_t now_ms, uint32_t limit, size_t *len)
{
    size_t want = limit == 0 ? NVG_HOSTS_REPLY_DEFAULT : limit;
    if (want > NVG_HOSTS_REPLY_MAX)
        want = NVG_HOSTS_REPLY_MAX;
    for (size_t i = 0; i < h->n; i++)
        h->order[i] = (uint32_t)i;
    h->sort_now_s = now_ms / 1000;
    sort_ctx = h; /* only the collector's main thread gets here */
    qsort(h->order, h->n, sizeof(*h->order), by_rate);
    size_t n = h->n < want ? h->n : want;
    for (size_t i = 0; i < n; i++) {
        fill_total(&h->v[h->order[i]], h->sort_now_s, &h->pb[i]);
        h->ptrs[i] = &h->pb[i];
    }
    Netvigil__HostTable table;
    nvg_hosts_counters(h, &table);
    Netvigil__ControlReply r = NETVIGIL__CONTROL_REPLY__INIT;
    r.n_hosts = n;
    r.hosts = h->ptrs;
    r.host_table = &table;
    /* proto3 leaves the reply's other fields out while they are 0 or "": these bytes are the
     * two fields alone, for control to append to its reply. */
    size_t need = protobuf_c_message_get_packed_size(&r.base);
    if (need > h->out_cap) {
        uint8_t *p = realloc(h->out, need);
        if (!p)
            return NULL;
        h->out = p;
        h->out_cap = need;
    }
    *len = protobuf_c_message_pack(&r.base, h->out);
    return h->out;
}
