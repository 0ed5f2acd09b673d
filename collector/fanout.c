/* See fanout.h. */
#include "fanout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#include "budget.h"
#include "nvg-clock.h"
#include "nvg-ratelog.h"
#include "nvg-wire-pack.h"
#include "nvg-zmq.h"

#define TOP_TALKERS 10
#define RATE_BATCH_MAX 1024
/* The per-name feed offsets: twice the sensor table, rebuilt when three quarters full. */
#define OFFSET_SLOTS (2 * NVG_SENSORS_MAX)
#define OFFSET_REBUILD_AT (OFFSET_SLOTS / 4 * 3)

/* Records published on the feed under one sensor name (Batch.feed_offset). Kept by name, not in
 * the sensor entry, so that a name forgotten or evicted and heard again goes on counting: its
 * subscribers see no restart that was none (unless a rebuild dropped the name meanwhile,
 * offsets_rebuild). */
struct offset_slot {
    char name[NVG_SENSOR_NAME_MAX + 1]; /* "" = free */
    uint64_t published;
};

struct nvg_fanout {
    void *pub;
    struct nvg_sensor_table *sensors;
    struct nvg_security_counters *security;
    const struct nvg_connections *conns;
    struct nvg_budget *budget;
    struct nvg_ratelog rl_budget;
    /* Open addressing, no deletion; spare is the rebuild's target. */
    struct offset_slot *offsets, *offsets_spare;
    size_t offsets_used;
    /* Rate samples closed since the last publish, and their sensors' names (copied: an entry
     * may be forgotten before the samples go out). */
    Netvigil__RateSample *rate_pending;
    char (*rate_names)[NVG_NAME_MAX + 1];
    size_t rate_n, rate_cap;
    /* The re-encoded batch: grown to the largest batch seen, reused. */
    uint8_t *pack; /* a batch packed before it is copied into a message of its exact size */
    size_t pack_cap;
};

/* The address space this process maps now (/proc/self/statm); 0 when unknown. */
static uint64_t mapped_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

/* Under an address-space limit (ulimit -v, LimitAS=) the feed must not take what the budget
 * allows when that is more than the limit leaves: the messages stalled subscribers hold would
 * take the memory the sensor link and the log need, and libzmq closes a connection (losing its
 * batches) or aborts when an allocation fails. So the feed takes at most a quarter of the room
 * left under the limit once the sockets and threads exist; past it, messages are dropped and
 * counted like any over the budget, and subscribers see them as skipped. */
static uint64_t feed_limit(uint64_t share)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return share;
    uint64_t used = mapped_bytes();
    uint64_t room = (uint64_t)rl.rlim_cur > used ? (uint64_t)rl.rlim_cur - used : 0;
    if (room / 4 >= share)
        return share;
    nvg_log(NVG_LOG_NOTICE,
            "feed: %" PRIu64 " KiB for slow subscribers, not the %" PRIu64
            " KiB of the memory budget: the address-space limit (ulimit -v) of %" PRIu64
            " KiB leaves %" PRIu64 " KiB",
            room / 4 >> 10, share >> 10, (uint64_t)rl.rlim_cur >> 10, room >> 10);
    return room / 4;
}

struct nvg_fanout *nvg_fanout_new(const struct nvg_fanout_config *cfg)
{
    struct nvg_fanout *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->pub = cfg->pub;
    f->sensors = cfg->sensors;
    f->security = cfg->security;
    f->conns = cfg->conns;
    f->budget = nvg_budget_new(feed_limit(NVG_BUDGET_FEED_SHARE(cfg->memory_budget)));
    f->offsets = calloc(OFFSET_SLOTS, sizeof(*f->offsets));
    f->offsets_spare = calloc(OFFSET_SLOTS, sizeof(*f->offsets_spare));
    if (!f->budget || !f->offsets || !f->offsets_spare) {
        nvg_fanout_free(f);
        return NULL;
    }
    return f;
}

void nvg_fanout_free(struct nvg_fanout *f)
{
    if (!f)
        return;
    nvg_budget_release(f->budget); /* lives on while libzmq holds messages charged to it */
    free(f->offsets);
    free(f->offsets_spare);
    free(f->rate_pending);
    free(f->rate_names);
    free(f->pack);
    free(f);
}

static void over_budget(struct nvg_fanout *f, size_t len)
{
    f->security->budget_dropped++;
    nvg_ratelog_log(&f->rl_budget, nvg_clock_wall_ms(), NVG_LOG_WARNING,
                    "feed: dropped a %zu-byte message, the feed's memory share (%" PRIu64
                    " bytes) is held by slow subscribers (%" PRIu64 " dropped so far)",
                    len, nvg_budget_limit(f->budget), f->security->budget_dropped);
}

/* Send topic + the charged body msg (taken). */
static void send_body(struct nvg_fanout *f, const char *topic, size_t topic_len, zmq_msg_t *body)
{
    if (zmq_send(f->pub, topic, topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(body, f->pub, ZMQ_DONTWAIT) < 0)
        zmq_msg_close(body);
}

void nvg_fanout_raw(struct nvg_fanout *f, const char *topic, size_t topic_len, const void *body,
                    size_t len)
{
    zmq_msg_t m;
    if (nvg_budget_msg(f->budget, &m, len) < 0) {
        over_budget(f, len);
        return;
    }
    memcpy(zmq_msg_data(&m), body, len);
    send_body(f, topic, topic_len, &m);
}

bool nvg_fanout_has_subscribers(const struct nvg_fanout *f)
{
    return nvg_connections_maybe_open(f->conns, NVG_CONN_FEED);
}

void nvg_fanout_pb(struct nvg_fanout *f, const char *topic, const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    zmq_msg_t m;
    if (nvg_budget_msg(f->budget, &m, len) < 0) {
        over_budget(f, len);
        return;
    }
    protobuf_c_message_pack(msg, zmq_msg_data(&m));
    send_body(f, topic, strlen(topic), &m);
}

static bool grow_pack(struct nvg_fanout *f, size_t n)
{
    if (n <= f->pack_cap)
        return true;
    size_t cap = f->pack_cap ? f->pack_cap : 256 * 1024;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(f->pack, cap);
    if (!p)
        return false;
    f->pack = p;
    f->pack_cap = cap;
    return true;
}

/* The slot of name in v: its own, or the free one where it belongs. */
static struct offset_slot *offset_slot(struct offset_slot *v, const char *name)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    for (size_t i = h % OFFSET_SLOTS;; i = (i + 1) % OFFSET_SLOTS)
        if (!v[i].name[0] || strcmp(v[i].name, name) == 0)
            return &v[i];
}

/* Keeps the names still in the sensor table (at most NVG_SENSORS_MAX, so the table is at most
 * half full after it). A name dropped here starts again from 0 if it comes back, which its
 * subscribers take for a restart: they miss a skip rather than invent one. */
static void offsets_rebuild(struct nvg_fanout *f)
{
    struct offset_slot *to = f->offsets_spare;
    memset(to, 0, OFFSET_SLOTS * sizeof(*to));
    f->offsets_used = 0;
    for (size_t i = 0; i < f->sensors->n; i++) {
        const char *name = f->sensors->v[i]->name;
        struct offset_slot *old = offset_slot(f->offsets, name), *s = offset_slot(to, name);
        if (!old->name[0] || s->name[0])
            continue;
        *s = *old;
        f->offsets_used++;
    }
    f->offsets_spare = f->offsets;
    f->offsets = to;
}

uint64_t nvg_fanout_take_offset(struct nvg_fanout *f, const char *sensor, size_t n)
{
    struct offset_slot *s = offset_slot(f->offsets, sensor);
    if (!s->name[0]) {
        if (f->offsets_used >= OFFSET_REBUILD_AT) {
            offsets_rebuild(f);
            s = offset_slot(f->offsets, sensor);
        }
        snprintf(s->name, sizeof(s->name), "%s", sensor);
        s->published = 0;
        f->offsets_used++;
    }
    uint64_t offset = s->published;
    s->published += n;
    return offset;
}

void nvg_fanout_batch(struct nvg_fanout *f, const struct nvg_sensor_entry *s, uint64_t seq,
                      const struct nvg_pkt *pkts, size_t n)
{
    /* Taken before anything can drop the batch, so its records show as skipped. */
    uint64_t offset = nvg_fanout_take_offset(f, s->name, n);
    if (!nvg_fanout_has_subscribers(f))
        return; /* a fifth of the collector's time went into batches nobody received */
    size_t bound = nvg_wire_batch_pack_bound(s->name, n);
    if (!grow_pack(f, bound)) {
        over_budget(f, bound);
        return;
    }
    size_t len = nvg_wire_batch_pack(f->pack, s->name, s->boot_id, seq, pkts, n, offset);
    nvg_fanout_raw(f, s->topic, strlen(s->topic), f->pack, len);
}

void nvg_fanout_queue_rate(struct nvg_fanout *f, const char *sensor, int64_t sec, int proto,
                           uint64_t packets, uint64_t bytes)
{
    if (f->rate_n == f->rate_cap) {
        size_t cap = f->rate_cap ? 2 * f->rate_cap : 256;
        Netvigil__RateSample *v = realloc(f->rate_pending, cap * sizeof(*v));
        if (v)
            f->rate_pending = v;
        char(*names)[NVG_NAME_MAX + 1] = realloc(f->rate_names, cap * sizeof(*names));
        if (names)
            f->rate_names = names;
        if (!v || !names)
            return;
        f->rate_cap = cap;
    }
    char *name = f->rate_names[f->rate_n];
    snprintf(name, NVG_NAME_MAX + 1, "%s", sensor);
    Netvigil__RateSample *rs = &f->rate_pending[f->rate_n++];
    netvigil__rate_sample__init(rs);
    rs->time_s = sec;
    rs->sensor = NULL; /* set when published: rate_names may move when it grows */
    rs->proto = (Netvigil__Protocol)proto;
    rs->packets = packets;
    rs->bytes = bytes;
}

void nvg_fanout_rates(struct nvg_fanout *f)
{
    Netvigil__RateSample *ptrs[RATE_BATCH_MAX];
    size_t done = 0;
    while (done < f->rate_n) {
        size_t n = f->rate_n - done;
        if (n > RATE_BATCH_MAX)
            n = RATE_BATCH_MAX;
        for (size_t i = 0; i < n; i++) {
            ptrs[i] = &f->rate_pending[done + i];
            ptrs[i]->sensor = f->rate_names[done + i];
        }
        Netvigil__RateBatch rb = NETVIGIL__RATE_BATCH__INIT;
        rb.n_samples = n;
        rb.samples = ptrs;
        nvg_fanout_pb(f, NVG_TOPIC_RATES, &rb.base);
        done += n;
    }
    f->rate_n = 0;
}

static void talkers_of(struct nvg_fanout *f, struct nvg_sensor_entry *s, int64_t start_s,
                       uint32_t interval_s)
{
    struct nvg_talker top[TOP_TALKERS];
    size_t n = nvg_talkers_top(s->talkers, top, TOP_TALKERS);
    nvg_talkers_reset(s->talkers);
    if (n == 0)
        return;
    Netvigil__Talker t[TOP_TALKERS], *tp[TOP_TALKERS];
    for (size_t i = 0; i < n; i++) {
        netvigil__talker__init(&t[i]);
        t[i].addr.data = top[i].addr;
        t[i].addr.len = top[i].ip_version == 6 ? 16 : 4;
        t[i].bytes = top[i].bytes;
        t[i].packets = top[i].packets;
        tp[i] = &t[i];
    }
    Netvigil__TopTalkers tt = NETVIGIL__TOP_TALKERS__INIT;
    tt.sensor = s->name;
    tt.interval_start_s = start_s;
    tt.interval_s = interval_s;
    tt.n_talkers = n;
    tt.talkers = tp;
    char topic[sizeof(NVG_TOPIC_TALKERS) + NVG_SENSOR_NAME_MAX];
    snprintf(topic, sizeof(topic), "%s%s", NVG_TOPIC_TALKERS, s->name);
    nvg_fanout_pb(f, topic, &tt.base);
}

void nvg_fanout_talkers(struct nvg_fanout *f, int64_t interval_start_s, uint32_t interval_s)
{
    for (size_t i = 0; i < f->sensors->n; i++)
        talkers_of(f, f->sensors->v[i], interval_start_s, interval_s);
}

void nvg_fanout_event(struct nvg_fanout *f, const char *kind, const char *sensor, const char *text)
{
    Netvigil__Event ev = NETVIGIL__EVENT__INIT;
    ev.time_ms = nvg_clock_wall_ms();
    ev.kind = (char *)kind;
    ev.requester = (char *)"";
    ev.sensor = (char *)sensor;
    ev.text = (char *)text;
    nvg_fanout_pb(f, NVG_TOPIC_EVENTS, &ev.base);
}
