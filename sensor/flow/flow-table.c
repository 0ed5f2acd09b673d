/* The conversation table: entries in one preallocated array, found through an open-addressing
 * index (linear probing, deletion by backward shift, so no tombstones build up), and kept on
 * one list per timeout class in the order they were queued, so that expiry and eviction look
 * only at list heads. A packet only notes its time in the entry (moving it to the tail would
 * touch two more entries' cache lines per packet); expiry finds a head that had packets since
 * it was queued and queues it again at the tail with its last packet's time. An entry behind
 * one queued later can so wait for that one, which bounds how late a conversation can end at
 * one timeout (in steady traffic it is exact). A second list in start order drives the active
 * timeout (updates).
 *
 * Memory: capacity entries (sizeof(struct nvg__flow_entry)) plus an index of 8-byte slots
 * twice the capacity rounded up to a power of two; nvg_flow_table_entry_bytes() gives the
 * figure per conversation. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "flow-internal.h"
#include "nvg-error.h"

/* A packet waiting in the look-ahead window: what the packet path reads of it, with its key
 * and hash already computed. */
struct nvg__flow_pending {
    struct nvg__flow_key key;
    uint32_t hash;
    bool src_a;
    struct nvg_l4_info l4;
    struct nvg_pkt pkt; /* up to payload[], which the table never reads */
};

/* Packets held back (a power of two). An entry is 7 cache lines far apart from the previous
 * packet's: without the window each packet waits for the index slot, then for the entry, one
 * memory latency after the other. */
#define NVG__FLOW_AHEAD 16u

struct nvg_flow_table {
    struct nvg_flow_config cfg;
    nvg_flow_export_fn fn;
    void *ud;
    struct nvg__flow_entry *e;
    /* The entry's hash in the high half, its index + 1 in the low half; 0 when empty. A probe
     * so reads an entry only when its hash matches. */
    uint64_t *slots;
    uint32_t mask;
    uint32_t free_head;
    uint32_t head[NVG__CLASS_COUNT], tail[NVG__CLASS_COUNT];
    uint32_t act_head, act_tail;
    uint64_t seed;
    uint64_t next_id;
    int64_t now;
    /* No list head is due before this (a lower bound), so that a packet only compares two
     * numbers to know that nothing expires. */
    int64_t due;
    struct nvg_flow_counters n;
    bool lookahead;
    uint32_t ahead_head, ahead_n;
    struct nvg__flow_pending ahead[NVG__FLOW_AHEAD];
};

void nvg_flow_config_default(struct nvg_flow_config *cfg)
{
    cfg->capacity = NVG_FLOW_CAPACITY_DEFAULT;
    cfg->idle_ns = NVG_FLOW_IDLE_DEFAULT;
    cfg->tcp_ns = NVG_FLOW_TCP_DEFAULT;
    cfg->syn_ns = NVG_FLOW_SYN_DEFAULT;
    cfg->closed_ns = NVG_FLOW_CLOSED_DEFAULT;
    cfg->active_ns = NVG_FLOW_ACTIVE_DEFAULT;
}

size_t nvg_flow_table_entry_bytes(void)
{
    return sizeof(struct nvg__flow_entry) + 2 * sizeof(uint64_t);
}

/* ---- lists ---- */

static int64_t class_timeout(const struct nvg_flow_table *t, int cls)
{
    switch (cls) {
    case NVG__CLASS_SYN:
        return t->cfg.syn_ns;
    case NVG__CLASS_EST:
        return t->cfg.tcp_ns;
    case NVG__CLASS_CLOSED:
        return t->cfg.closed_ns;
    default:
        return t->cfg.idle_ns;
    }
}

static int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Entry i became the head of class list cls (or of the active list, cls < 0). */
static void note_head(struct nvg_flow_table *t, uint32_t i, int cls)
{
    if (i == NVG__FLOW_NONE)
        return;
    const struct nvg__flow_entry *x = &t->e[i];
    int64_t due = cls < 0 ? x->active_due : add_sat(x->queued, class_timeout(t, cls));
    if (due < t->due)
        t->due = due;
}

static void list_unlink(struct nvg_flow_table *t, uint32_t i)
{
    struct nvg__flow_entry *x = &t->e[i];
    if (x->prev != NVG__FLOW_NONE) {
        t->e[x->prev].next = x->next;
    } else {
        t->head[x->cls] = x->next;
        note_head(t, x->next, x->cls);
    }
    if (x->next != NVG__FLOW_NONE)
        t->e[x->next].prev = x->prev;
    else
        t->tail[x->cls] = x->prev;
}

static void list_append(struct nvg_flow_table *t, uint32_t i, uint8_t cls)
{
    struct nvg__flow_entry *x = &t->e[i];
    x->cls = cls;
    x->queued = x->touched;
    x->next = NVG__FLOW_NONE;
    x->prev = t->tail[cls];
    if (x->prev != NVG__FLOW_NONE) {
        t->e[x->prev].next = i;
    } else {
        t->head[cls] = i;
        note_head(t, i, cls);
    }
    t->tail[cls] = i;
}

static void act_unlink(struct nvg_flow_table *t, uint32_t i)
{
    struct nvg__flow_entry *x = &t->e[i];
    if (x->act_prev != NVG__FLOW_NONE) {
        t->e[x->act_prev].act_next = x->act_next;
    } else {
        t->act_head = x->act_next;
        note_head(t, x->act_next, -1);
    }
    if (x->act_next != NVG__FLOW_NONE)
        t->e[x->act_next].act_prev = x->act_prev;
    else
        t->act_tail = x->act_prev;
}

static void act_append(struct nvg_flow_table *t, uint32_t i)
{
    struct nvg__flow_entry *x = &t->e[i];
    x->act_next = NVG__FLOW_NONE;
    x->act_prev = t->act_tail;
    x->active_due = add_sat(t->now, t->cfg.active_ns);
    if (x->act_prev != NVG__FLOW_NONE) {
        t->e[x->act_prev].act_next = i;
    } else {
        t->act_head = i;
        note_head(t, i, -1);
    }
    t->act_tail = i;
}

/* ---- creation ---- */

/* The entries and the index of a busy table span thousands of 4 KiB pages, and a packet
 * touches a random one: with 2 MiB pages (where the kernel gives them on request) the TLB
 * holds them all. Zeroed, and NULL when out of memory. */
static void *table_alloc(size_t bytes)
{
    const size_t huge = 2u << 20;
    size_t align = bytes >= huge ? huge : 64;
    bytes = (bytes + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, bytes);
    if (!p)
        return NULL;
    if (align == huge)
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
    memset(p, 0, bytes);
    return p;
}

static uint64_t random_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&s;
    }
    return s | 1;
}

struct nvg_flow_table *nvg_flow_table_new(const struct nvg_flow_config *cfg, nvg_flow_export_fn fn,
                                          void *ud)
{
    if (cfg->capacity == 0 || cfg->capacity > NVG_FLOW_CAPACITY_MAX)
        return NULL;
    struct nvg_flow_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cfg = *cfg;
    t->fn = fn;
    t->ud = ud;
    uint32_t nslots = 2;
    while (nslots < 2 * cfg->capacity)
        nslots <<= 1;
    t->mask = nslots - 1;
    t->e = table_alloc(sizeof(*t->e) * cfg->capacity);
    t->slots = table_alloc(sizeof(*t->slots) * nslots);
    if (!t->e || !t->slots) {
        nvg_flow_table_free(t);
        return NULL;
    }
    for (uint32_t i = 0; i < cfg->capacity; i++)
        t->e[i].next = i + 1 < cfg->capacity ? i + 1 : NVG__FLOW_NONE;
    t->free_head = 0;
    for (int c = 0; c < NVG__CLASS_COUNT; c++)
        t->head[c] = t->tail[c] = NVG__FLOW_NONE;
    t->act_head = t->act_tail = NVG__FLOW_NONE;
    t->due = INT64_MAX;
    t->seed = random_seed();
    t->next_id = 1;
    return t;
}

void nvg_flow_table_free(struct nvg_flow_table *t)
{
    if (!t)
        return;
    free(t->e);
    free(t->slots);
    free(t);
}

/* ---- index ---- */

/* Keyed with a per-table random seed, so that a flood crafted for one sensor's probe
 * sequence does not exist. Two independent lanes, so the multiplies overlap. */
static uint32_t key_hash(uint64_t seed, const uint64_t w[6])
{
    uint64_t h0 = seed, h1 = seed ^ 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < 6; i += 2) {
        h0 = (h0 ^ w[i]) * 0xff51afd7ed558ccdull;
        h1 = (h1 ^ w[i + 1]) * 0xc4ceb9fe1a85ec53ull;
        h0 ^= h0 >> 32;
        h1 ^= h1 >> 29;
    }
    uint64_t h = (h0 ^ (h1 * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

static uint64_t slot_of(uint32_t h, uint32_t i)
{
    return (uint64_t)h << 32 | (i + 1);
}

static uint32_t slot_hash(uint64_t v)
{
    return (uint32_t)(v >> 32);
}

static uint32_t index_find(const struct nvg_flow_table *t, const struct nvg__flow_key *k,
                           uint32_t h)
{
    for (uint32_t s = h & t->mask;; s = (s + 1) & t->mask) {
        uint64_t v = t->slots[s];
        if (v == 0)
            return NVG__FLOW_NONE;
        uint32_t i = (uint32_t)v - 1;
        if (slot_hash(v) == h && memcmp(&t->e[i].key, k, sizeof(*k)) == 0)
            return i;
    }
}

static void index_insert(struct nvg_flow_table *t, uint32_t i)
{
    uint32_t s = t->e[i].hash & t->mask;
    while (t->slots[s])
        s = (s + 1) & t->mask;
    t->slots[s] = slot_of(t->e[i].hash, i);
}

static void index_remove(struct nvg_flow_table *t, uint32_t i)
{
    uint64_t want = slot_of(t->e[i].hash, i);
    uint32_t s = t->e[i].hash & t->mask;
    while (t->slots[s] != want)
        s = (s + 1) & t->mask;
    /* Backward shift: move up every later entry of the run that may sit at s. */
    for (uint32_t j = (s + 1) & t->mask; t->slots[j]; j = (j + 1) & t->mask) {
        uint32_t home = slot_hash(t->slots[j]) & t->mask;
        if (((j - home) & t->mask) >= ((j - s) & t->mask)) {
            t->slots[s] = t->slots[j];
            s = j;
        }
    }
    t->slots[s] = 0;
}

/* ---- export and removal ---- */

static int export_entry(struct nvg_flow_table *t, uint32_t i, enum nvg_flow_end end)
{
    struct nvg__flow_entry *x = &t->e[i];
    nvg__flow_state(x);
    x->rec.end = (uint8_t)end;
    int rc = t->fn(t->ud, &x->rec);
    x->rec.export_seq++;
    t->n.exported++;
    return rc;
}

static void remove_entry(struct nvg_flow_table *t, uint32_t i)
{
    index_remove(t, i);
    list_unlink(t, i);
    if (t->cfg.active_ns > 0)
        act_unlink(t, i);
    t->e[i].next = t->free_head;
    t->free_head = i;
    t->n.active--;
}

static int finish(struct nvg_flow_table *t, uint32_t i, enum nvg_flow_end end)
{
    int rc = export_entry(t, i, end);
    remove_entry(t, i);
    return rc;
}

/* Why a conversation that went quiet ended. */
static enum nvg_flow_end quiet_end(const struct nvg__flow_entry *x)
{
    uint8_t both = x->seen[0] | x->seen[1];
    if (both & NVG__SEEN_RST)
        return NVG_FLOW_RST;
    return (both & NVG__SEEN_FIN) ? NVG_FLOW_FIN : NVG_FLOW_IDLE;
}

static int expire_lists(struct nvg_flow_table *t)
{
    int rc = 0;
    for (int c = 0; c < NVG__CLASS_COUNT; c++) {
        int64_t limit = t->now - class_timeout(t, c);
        uint32_t i;
        while ((i = t->head[c]) != NVG__FLOW_NONE && t->e[i].queued <= limit) {
            if (t->e[i].touched > limit) { /* had packets since: back in the queue */
                list_unlink(t, i);
                list_append(t, i, (uint8_t)c);
                continue;
            }
            int r = finish(t, i, quiet_end(&t->e[i]));
            rc = rc ? rc : r;
        }
    }
    if (t->cfg.active_ns <= 0)
        return rc;
    uint32_t i;
    while ((i = t->act_head) != NVG__FLOW_NONE && t->e[i].active_due <= t->now) {
        int r = export_entry(t, i, NVG_FLOW_ACTIVE);
        rc = rc ? rc : r;
        act_unlink(t, i);
        act_append(t, i);
    }
    return rc;
}

static int expire_now(struct nvg_flow_table *t)
{
    if (t->now < t->due)
        return 0;
    int rc = expire_lists(t);
    t->due = INT64_MAX;
    for (int c = 0; c < NVG__CLASS_COUNT; c++)
        note_head(t, t->head[c], c);
    if (t->cfg.active_ns > 0)
        note_head(t, t->act_head, -1);
    return rc;
}

int nvg_flow_table_expire(struct nvg_flow_table *t, int64_t now_ns)
{
    int rc = nvg_flow_table_flush(t);
    if (now_ns > t->now)
        t->now = now_ns;
    int r = expire_now(t);
    return rc ? rc : r;
}

int nvg_flow_table_stop(struct nvg_flow_table *t)
{
    int rc = nvg_flow_table_flush(t);
    for (int c = 0; c < NVG__CLASS_COUNT; c++) {
        uint32_t i;
        while ((i = t->head[c]) != NVG__FLOW_NONE) {
            int r = finish(t, i, NVG_FLOW_STOPPED);
            rc = rc ? rc : r;
        }
    }
    return rc;
}

int64_t nvg_flow_table_now(const struct nvg_flow_table *t)
{
    return t->now;
}

void nvg_flow_table_counters(const struct nvg_flow_table *t, struct nvg_flow_counters *c)
{
    *c = t->n;
}

/* The table is full: the victim is the oldest conversation nobody answered (a SYN flood
 * fills those), then the oldest closed one, then the oldest idle one of the rest. */
static uint32_t settled_head(struct nvg_flow_table *t, int c)
{
    uint32_t i;
    /* Each entry moves at most once per packet it had: amortised over those packets. */
    while ((i = t->head[c]) != NVG__FLOW_NONE && t->e[i].touched != t->e[i].queued) {
        list_unlink(t, i);
        list_append(t, i, (uint8_t)c);
    }
    return i;
}

static uint32_t victim(struct nvg_flow_table *t)
{
    for (int c = 0; c < NVG__CLASS_COUNT; c++)
        settled_head(t, c);
    if (t->head[NVG__CLASS_SYN] != NVG__FLOW_NONE)
        return t->head[NVG__CLASS_SYN];
    if (t->head[NVG__CLASS_CLOSED] != NVG__FLOW_NONE)
        return t->head[NVG__CLASS_CLOSED];
    uint32_t a = t->head[NVG__CLASS_OTHER], b = t->head[NVG__CLASS_EST];
    if (a == NVG__FLOW_NONE)
        return b;
    if (b == NVG__FLOW_NONE)
        return a;
    return t->e[a].touched <= t->e[b].touched ? a : b;
}

/* ---- the packet path ---- */

/* A TCP segment whose header the decoder could read whole: only those are TCP conversations,
 * as in Wireshark (a cut or bogus header ends its TCP dissection before the conversation). The
 * others still count, in a conversation of IP protocol 6 without ports (UDP likewise). */
static bool is_tcp(const struct nvg_pkt *pkt, const struct nvg_l4_info *l4)
{
    return pkt->ip_proto == 6 && (pkt->flags & NVG_PKT_HAS_PORTS) && pkt->proto == NVG_PROTO_TCP &&
           l4->tcp;
}

static bool has_ports(const struct nvg_pkt *pkt, const struct nvg_l4_info *l4)
{
    if (!(pkt->flags & NVG_PKT_HAS_PORTS))
        return false;
    return pkt->proto == NVG_PROTO_TCP ? l4->tcp : l4->udp;
}

/* An address as two words (IPv4 in the first). */
static void load_addr(uint64_t w[2], const uint8_t *a, bool v6)
{
    if (v6) {
        memcpy(w, a, 16);
        return;
    }
    uint32_t v4;
    memcpy(&v4, a, 4);
    w[0] = v4;
    w[1] = 0;
}

/* Constant sizes, so that the copies are moves and not calls. */
static void copy_addr(uint8_t *to, const uint8_t *from, bool v6)
{
    if (v6)
        memcpy(to, from, 16);
    else
        memcpy(to, from, 4);
}

/* The key with the lower endpoint first (any order both directions agree on will do) and its
 * hash into *hash; returns whether the packet's source is key.a. The hash is taken from the
 * values, not from the key just stored: reading those bytes back as words would wait for
 * the narrower stores that wrote them. */
static bool make_key(const struct nvg_flow_table *t, struct nvg__flow_key *k, uint32_t *hash,
                     const struct nvg_pkt *pkt, const struct nvg_l4_info *l4)
{
    bool v6 = pkt->ip_version == 6;
    uint16_t sp = 0, dp = 0;
    if (has_ports(pkt, l4)) {
        sp = pkt->sport;
        dp = pkt->dport;
    } else if (l4->icmp_echo) {
        sp = dp = l4->icmp_id;
    }
    uint64_t w[6];
    load_addr(w, pkt->src, v6);
    load_addr(w + 2, pkt->dst, v6);
    bool src_a = w[0] != w[2] ? w[0] < w[2] : w[1] != w[3] ? w[1] < w[3] : sp <= dp;
    if (!src_a) {
        uint64_t x0 = w[0], x1 = w[1];
        w[0] = w[2], w[1] = w[3], w[2] = x0, w[3] = x1;
    }
    bool vlan = pkt->flags & NVG_PKT_HAS_VLAN;
    memset(k, 0, sizeof(*k));
    copy_addr(k->a, src_a ? pkt->src : pkt->dst, v6);
    copy_addr(k->b, src_a ? pkt->dst : pkt->src, v6);
    k->pa = src_a ? sp : dp;
    k->pb = src_a ? dp : sp;
    k->ip_proto = pkt->ip_proto;
    k->ip_version = pkt->ip_version;
    k->has_vlan = vlan;
    k->vlan = vlan ? pkt->vlan_id : 0;
    w[4] = (uint64_t)k->pa | (uint64_t)k->pb << 16 | (uint64_t)k->vlan << 32 |
           (uint64_t)k->ip_proto << 48 | (uint64_t)k->ip_version << 56;
    w[5] = vlan;
    *hash = key_hash(t->seed, w);
    return src_a;
}

static uint32_t take_slot(struct nvg_flow_table *t, int *rc)
{
    if (t->free_head == NVG__FLOW_NONE) {
        uint32_t v = victim(t);
        t->n.evicted++;
        int r = finish(t, v, NVG_FLOW_EVICTED);
        *rc = *rc ? *rc : r;
    }
    uint32_t i = t->free_head;
    t->free_head = t->e[i].next;
    return i;
}

static uint32_t create(struct nvg_flow_table *t, const struct nvg__flow_key *k, uint32_t h,
                       bool src_a, const struct nvg_pkt *pkt, const struct nvg_l4_info *l4, int *rc)
{
    uint32_t i = take_slot(t, rc);
    struct nvg__flow_entry *x = &t->e[i];
    memset(x, 0, sizeof(*x));
    x->key = *k;
    x->hash = h;
    /* A SYN/ACK first: its receiver is the one who opened the conversation (Zeek's '^'). */
    bool flip = is_tcp(pkt, l4) &&
                (pkt->tcp_flags & (NVG_TCP_SYN | NVG_TCP_ACK)) == (NVG_TCP_SYN | NVG_TCP_ACK);
    x->orig_is_a = flip ? !src_a : src_a;
    struct nvg_flow *f = &x->rec;
    f->id = t->next_id++;
    f->ip_version = pkt->ip_version;
    f->proto = pkt->proto;
    f->ip_proto = pkt->ip_proto;
    f->first_ns = f->last_ns = pkt->ts_ns;
    memcpy(f->orig, x->orig_is_a ? k->a : k->b, 16);
    memcpy(f->resp, x->orig_is_a ? k->b : k->a, 16);
    f->orig_port = x->orig_is_a ? k->pa : k->pb;
    f->resp_port = x->orig_is_a ? k->pb : k->pa;
    if (has_ports(pkt, l4))
        f->flags |= NVG_FLOW_HAS_PORTS;
    if (k->has_vlan) {
        f->flags |= NVG_FLOW_HAS_VLAN;
        f->vlan_id = k->vlan;
    }
    nvg__tcp_init(&x->tcp);
    if (flip)
        nvg__flow_history(x, 0, '^');
    x->touched = t->now;
    index_insert(t, i);
    list_append(t, i, NVG__CLASS_OTHER);
    if (t->cfg.active_ns > 0)
        act_append(t, i);
    t->n.active++;
    t->n.created++;
    return i;
}

static uint8_t class_of(const struct nvg__flow_entry *x, bool tcp)
{
    if (!tcp)
        return NVG__CLASS_OTHER;
    uint8_t both = x->seen[0] | x->seen[1];
    if ((both & NVG__SEEN_RST) || ((x->seen[0] & x->seen[1]) & NVG__SEEN_FIN))
        return NVG__CLASS_CLOSED;
    if ((x->seen[0] & NVG__SEEN_SYN) && x->rec.dir[1].packets == 0)
        return NVG__CLASS_SYN;
    return NVG__CLASS_EST;
}

static void count_analysis(struct nvg__flow_entry *x, int dir, unsigned ta)
{
    struct nvg_flow_dir *d = &x->rec.dir[dir];
    if (ta & NVG__TA_ANY_RETRANS) {
        d->retransmissions++;
        nvg__flow_history(x, dir, 'T');
    }
    if (ta & NVG__TA_OOO)
        d->out_of_order++;
    if (ta & NVG__TA_DUP_ACK)
        d->duplicate_acks++;
    if (ta & NVG__TA_ZERO_WINDOW) {
        d->zero_windows++;
        nvg__flow_history(x, dir, 'W');
    }
    if (ta & NVG__TA_WINDOW_FULL)
        d->window_full++;
}

static void tcp_packet(struct nvg__flow_entry *x, int dir, const struct nvg_pkt *pkt,
                       const struct nvg_l4_info *l4)
{
    uint16_t fl = pkt->tcp_flags;
    x->rec.dir[dir].tcp_flags |= fl;
    if (fl & NVG_TCP_SYN) {
        x->seen[dir] |= (fl & NVG_TCP_ACK) ? NVG__SEEN_SYNACK : NVG__SEEN_SYN;
        nvg__flow_history(x, dir, (fl & NVG_TCP_ACK) ? 'H' : 'S');
    }
    unsigned ta = 0;
    if (l4->tcp) {
        nvg__tcp_handshake(x, dir, l4, fl, pkt->ts_ns);
        ta = nvg__tcp_analyze(&x->tcp, dir, l4, fl, pkt->ts_ns);
    }
    if ((fl & NVG_TCP_ACK) && !(fl & (NVG_TCP_SYN | NVG_TCP_FIN | NVG_TCP_RST)) && l4->tcp &&
        l4->payload_len == 0)
        nvg__flow_history(x, dir, 'A');
    if (l4->payload_len > 0)
        nvg__flow_history(x, dir, 'D');
    if (fl & NVG_TCP_FIN) {
        x->seen[dir] |= NVG__SEEN_FIN;
        nvg__flow_history(x, dir, 'F');
    }
    if (fl & NVG_TCP_RST) {
        x->seen[dir] |= NVG__SEEN_RST;
        if (!x->first_rst)
            x->first_rst = (uint8_t)(dir + 1);
        nvg__flow_history(x, dir, 'R');
    }
    count_analysis(x, dir, ta);
}

/* A SYN whose sequence number is not the one this direction started with is a new
 * connection on the same ports (Wireshark starts a new tcp.stream: "port numbers reused"). */
static bool port_reused(const struct nvg__flow_entry *x, int dir, const struct nvg_pkt *pkt,
                        const struct nvg_l4_info *l4)
{
    const struct nvg__tcp_dir *d = &x->tcp.d[dir];
    return l4->tcp && (pkt->tcp_flags & (NVG_TCP_SYN | NVG_TCP_ACK)) == NVG_TCP_SYN &&
           d->base_set && l4->seq != d->base_seq;
}

static void update(struct nvg_flow_table *t, uint32_t i, int dir, const struct nvg_pkt *pkt,
                   const struct nvg_l4_info *l4)
{
    struct nvg__flow_entry *x = &t->e[i];
    struct nvg_flow_dir *d = &x->rec.dir[dir];
    bool tcp = is_tcp(pkt, l4);
    d->packets++;
    d->bytes += pkt->wire_len;
    d->payload_bytes += l4->payload_len;
    if (pkt->ts_ns > x->rec.last_ns)
        x->rec.last_ns = pkt->ts_ns;
    if (pkt->flags & NVG_PKT_TIME_CLAMPED)
        x->rec.flags |= NVG_FLOW_TIME_CLAMPED;
    if (tcp)
        tcp_packet(x, dir, pkt, l4);
    else
        nvg__flow_history(x, dir, 'D');
    x->touched = t->now;
    uint8_t cls = class_of(x, tcp);
    if (cls != x->cls) {
        list_unlink(t, i);
        list_append(t, i, cls);
    }
}

/* One packet with its key: the table's clock, expiry, then the conversation's update. */
static int process(struct nvg_flow_table *t, const struct nvg__flow_key *k, uint32_t h, bool src_a,
                   const struct nvg_pkt *pkt, const struct nvg_l4_info *l4)
{
    /* A clamped time is not a time: it would expire everything or nothing. */
    if (pkt->ts_ns > t->now && !(pkt->flags & NVG_PKT_TIME_CLAMPED))
        t->now = pkt->ts_ns;
    int rc = expire_now(t);
    uint32_t i = index_find(t, k, h);
    int dir = 0;
    if (i != NVG__FLOW_NONE) {
        dir = src_a == t->e[i].orig_is_a ? 0 : 1;
        if (is_tcp(pkt, l4) && port_reused(&t->e[i], dir, pkt, l4)) {
            int r = finish(t, i, quiet_end(&t->e[i]));
            rc = rc ? rc : r;
            i = NVG__FLOW_NONE;
        }
    }
    if (i == NVG__FLOW_NONE) {
        i = create(t, k, h, src_a, pkt, l4, &rc);
        dir = src_a == t->e[i].orig_is_a ? 0 : 1;
    }
    update(t, i, dir, pkt, l4);
    return rc;
}

static int process_oldest(struct nvg_flow_table *t)
{
    const struct nvg__flow_pending *p = &t->ahead[t->ahead_head];
    t->ahead_head = (t->ahead_head + 1) & (NVG__FLOW_AHEAD - 1);
    t->ahead_n--;
    return process(t, &p->key, p->hash, p->src_a, &p->pkt, &p->l4);
}

/* Half way through the window the index slot is in cache: the entry of the first slot with
 * the packet's hash, to fetch (a conversation that does not exist yet only wastes the slot
 * reads), or NULL. */
static const char *entry_to_fetch(const struct nvg_flow_table *t, const struct nvg__flow_pending *p)
{
    for (uint32_t s = p->hash & t->mask, n = 0; n < 4; s = (s + 1) & t->mask, n++) {
        uint64_t v = t->slots[s];
        if (v == 0)
            return NULL;
        if (slot_hash(v) == p->hash)
            return (const char *)&t->e[(uint32_t)v - 1];
    }
    return NULL;
}

int nvg_flow_table_packet(struct nvg_flow_table *t, const struct nvg_pkt *pkt,
                          const struct nvg_l4_info *l4)
{
    if (pkt->ip_version != 4 && pkt->ip_version != 6)
        return 0;
    if (!t->lookahead) {
        struct nvg__flow_key k;
        uint32_t h;
        bool src_a = make_key(t, &k, &h, pkt, l4);
        return process(t, &k, h, src_a, pkt, l4);
    }
    int rc = t->ahead_n == NVG__FLOW_AHEAD ? process_oldest(t) : 0;
    struct nvg__flow_pending *p = &t->ahead[(t->ahead_head + t->ahead_n) & (NVG__FLOW_AHEAD - 1)];
    t->ahead_n++;
    memcpy(&p->pkt, pkt, offsetof(struct nvg_pkt, payload));
    p->l4 = *l4;
    p->src_a = make_key(t, &p->key, &p->hash, pkt, l4);
    __builtin_prefetch(&t->slots[p->hash & t->mask], 0);
    if (t->ahead_n <= NVG__FLOW_AHEAD / 2)
        return rc;
    uint32_t mid = t->ahead_head + t->ahead_n - 1 - NVG__FLOW_AHEAD / 2;
    const char *e = entry_to_fetch(t, &t->ahead[mid & (NVG__FLOW_AHEAD - 1)]);
    /* Here and not in a helper: GCC takes a function that only prefetches for one without
     * effects and drops its calls. A read prefetch: baseline x86-64 has no PREFETCHW, and GCC
     * drops a write prefetch there without a word. */
    for (size_t off = 0; e && off < sizeof(t->e[0]); off += 64)
        __builtin_prefetch(e + off, 0);
    return rc;
}

void nvg_flow_table_set_lookahead(struct nvg_flow_table *t, bool on)
{
    nvg_flow_table_flush(t);
    t->lookahead = on;
}

int nvg_flow_table_flush(struct nvg_flow_table *t)
{
    int rc = 0;
    while (t->ahead_n) {
        int r = process_oldest(t);
        rc = rc ? rc : r;
    }
    return rc;
}
