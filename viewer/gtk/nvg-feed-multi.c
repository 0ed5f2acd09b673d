/* What several collectors add to the feed (see nvg-feed.h): every sensor name the main thread
 * sees becomes LABEL/SENSOR, statuses are merged into one, requests are routed by the label of
 * the sensor they name, and a request for every sensor goes to every collector and comes back
 * as one reply.
 *
 * Merging relies on protobuf's own rule: two encoded messages concatenated decode as one in
 * which the repeated fields are appended (and a scalar takes the last value). Each worker keeps
 * its collector's last status as it passed nvg-feed-parse, re-encoded, with its sensor count;
 * the merged status is the concatenation of them all, checked by nvg_feed_parse like any, whose
 * sensors are then prefixed by position (the first n0 are collector 0's, ...). Gathered replies
 * are merged the same way. The merge runs on the worker whose message triggers it, under the
 * feed's lock; what it holds is one encoded status per collector and one reply per collector
 * and request in flight, each under the message cap. */
#include <string.h>

#include "nvg-feed-private.h"

#define MAX_GATHERS 256

/* A request for every sensor, until every collector has answered. */
struct nvg__gather {
    guint waiting;
    GByteArray *bytes; /* the replies, re-encoded, concatenated */
    guint results[NVG_FEED_MAX_COLLECTORS], alerts[NVG_FEED_MAX_COLLECTORS];
    guint link[NVG_FEED_MAX_COLLECTORS]; /* whose part is k */
    guint parts;
    gboolean ok;
    GString *errors; /* "siteB: not connected; ..." */
};

static void gather_free(gpointer p)
{
    struct nvg__gather *g = p;
    g_byte_array_unref(g->bytes);
    g_string_free(g->errors, TRUE);
    g_free(g);
}

void nvg__feed_multi_init(struct nvg_feed *hub)
{
    hub->gathers = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, gather_free);
}

void nvg__feed_multi_clear(struct nvg_feed *hub)
{
    g_clear_pointer(&hub->gathers, g_hash_table_destroy);
}

/* ---- names ------------------------------------------------------------------------------ */

/* The string at s becomes LABEL/ before it, allocated in the message's arena; FALSE when the arena
 * is full. */
static gboolean prefix(ProtobufCAllocator *a, const char *label, char **s)
{
    const char *name = *s ? *s : "";
    size_t n = strlen(label) + 1 + strlen(name) + 1;
    char *p = a->alloc(a->allocator_data, n);
    if (!p)
        return FALSE;
    g_snprintf(p, n, "%s/%s", label, name);
    *s = p;
    return TRUE;
}

static gboolean prefix_alerts(ProtobufCAllocator *a, const char *label, Netvigil__Alert **alerts,
                              size_t from, size_t to)
{
    gboolean ok = TRUE;
    for (size_t i = from; i < to; i++)
        for (size_t k = 0; alerts[i] && k < alerts[i]->n_sensors; k++)
            ok = ok && prefix(a, label, &alerts[i]->sensors[k]);
    return ok;
}

static gboolean prefix_results(ProtobufCAllocator *a, const char *label, Netvigil__ControlReply *r,
                               size_t from, size_t to)
{
    gboolean ok = TRUE;
    for (size_t i = from; i < to && i < r->n_results; i++)
        ok = ok && (!r->results[i] || prefix(a, label, &r->results[i]->sensor));
    return ok;
}

/* Every sensor name of m (not a status: those are merged first) gets the label. */
static gboolean prefix_msg(struct nvg_feed_msg *m, const char *label)
{
    ProtobufCAllocator *a = nvg_arena_allocator(m->arena);
    gboolean ok = TRUE;
    switch (m->kind) {
    case NVG_FEED_RATES: {
        Netvigil__RateBatch *rb = (Netvigil__RateBatch *)m->pb;
        for (size_t i = 0; i < rb->n_samples; i++)
            ok = ok && prefix(a, label, &rb->samples[i]->sensor);
        return ok;
    }
    case NVG_FEED_TALKERS:
        return prefix(a, label, &((Netvigil__TopTalkers *)m->pb)->sensor);
    case NVG_FEED_EVENT: {
        Netvigil__Event *e = (Netvigil__Event *)m->pb;
        return !e->sensor || !e->sensor[0] || prefix(a, label, &e->sensor);
    }
    case NVG_FEED_ALERT: {
        Netvigil__Alert *al = (Netvigil__Alert *)m->pb;
        return prefix_alerts(a, label, &al, 0, 1);
    }
    case NVG_FEED_FLOW:
        return prefix(a, label, &((Netvigil__FlowBatch *)m->pb)->sensor);
    case NVG_FEED_REPLY: {
        Netvigil__ControlReply *r = (Netvigil__ControlReply *)m->pb;
        return !r || (prefix_results(a, label, r, 0, r->n_results) &&
                      prefix_alerts(a, label, r->alerts, 0, r->n_alerts));
    }
    default:
        return TRUE;
    }
}

/* ---- statuses ---------------------------------------------------------------------------- */

static GBytes *pack(const ProtobufCMessage *pb)
{
    size_t len = protobuf_c_message_get_packed_size(pb);
    guint8 *buf = g_malloc(len ? len : 1);
    protobuf_c_message_pack(pb, buf);
    return g_bytes_new_take(buf, len);
}

/* Under hub->lock: every collector's last status as one, its sensors prefixed; NULL when it
 * does not fit (counted by the caller's parse). */
static struct nvg_feed_msg *merged_status(struct nvg_feed *hub,
                                          struct nvg_feed_parse_counts *counts)
{
    GByteArray *all = g_byte_array_new();
    int64_t uptime = 0;
    for (guint i = 0; i < hub->n; i++) {
        GBytes *b = hub->links[i]->status;
        if (b)
            g_byte_array_append(all, g_bytes_get_data(b, NULL), (guint)g_bytes_get_size(b));
        uptime = MAX(uptime, hub->links[i]->status_uptime_ms);
    }
    struct nvg_feed_msg *m = nvg_feed_parse(NVG_FEED_STATUS, all->data, all->len, counts);
    g_byte_array_unref(all);
    if (!m)
        return NULL;
    Netvigil__CollectorStatus *st = (Netvigil__CollectorStatus *)m->pb;
    /* The alerts page takes an uptime that goes back for a restarted collector: the oldest
     * collector's is the one that only goes back when it restarts. */
    st->uptime_ms = uptime;
    ProtobufCAllocator *a = nvg_arena_allocator(m->arena);
    size_t k = 0;
    for (guint i = 0; i < hub->n; i++) {
        struct nvg_feed_link *l = hub->links[i];
        for (guint j = 0; l->status && j < l->status_sensors && k < st->n_sensors; j++, k++) {
            Netvigil__SensorSummary *s = st->sensors[k];
            if (!prefix(a, l->label, &s->last_status->sensor)) {
                nvg_feed_msg_free(m);
                return NULL;
            }
        }
    }
    return m;
}

struct nvg_feed_msg *nvg__feed_multi_adopt(struct nvg_feed_link *link, struct nvg_feed_msg *m)
{
    if (m->kind != NVG_FEED_STATUS) {
        if (prefix_msg(m, link->label))
            return m;
        nvg_feed_msg_free(m); /* the arena is at its cap: as if it had not parsed */
        return NULL;
    }
    const Netvigil__CollectorStatus *st = (const Netvigil__CollectorStatus *)m->pb;
    GBytes *b = pack(m->pb);
    struct nvg_feed *hub = link->hub;
    struct nvg_feed_parse_counts counts = {0};
    g_mutex_lock(&hub->lock);
    if (link->status)
        g_bytes_unref(link->status);
    link->status = b;
    link->status_sensors = (guint)st->n_sensors;
    link->status_uptime_ms = st->uptime_ms;
    nvg_feed_msg_free(m);
    struct nvg_feed_msg *merged = merged_status(hub, &counts);
    g_mutex_unlock(&hub->lock);
    return merged;
}

void nvg__feed_multi_link_down(struct nvg_feed_link *link)
{
    struct nvg_feed *hub = link->hub;
    struct nvg_feed_parse_counts counts = {0};
    g_mutex_lock(&hub->lock);
    struct nvg_feed_msg *m =
        link->status ? nvg_feed_parse(NVG_FEED_STATUS, g_bytes_get_data(link->status, NULL),
                                      g_bytes_get_size(link->status), &counts)
                     : NULL;
    if (m) {
        /* Its sensors stay listed, as not connected: the collector that holds them is away. */
        Netvigil__CollectorStatus *st = (Netvigil__CollectorStatus *)m->pb;
        for (size_t i = 0; i < st->n_sensors; i++)
            st->sensors[i]->connected = FALSE;
        g_bytes_unref(link->status);
        link->status = pack(m->pb);
        link->status_sensors = (guint)st->n_sensors;
        nvg_feed_msg_free(m);
    }
    g_mutex_unlock(&hub->lock);
}

/* ---- replies ----------------------------------------------------------------------------- */

/* Under hub->lock: the parts of g as one reply with id, names prefixed by part. */
static struct nvg_feed_msg *merged_reply(struct nvg_feed *hub, struct nvg__gather *g, uint64_t id)
{
    struct nvg_feed_parse_counts counts = {0};
    struct nvg_feed_msg *m =
        g->bytes->len ? nvg_feed_parse(NVG_FEED_REPLY, g->bytes->data, g->bytes->len, &counts)
                      : NULL;
    if (!m)
        return nvg_feed_msg_new_error(id,
                                      g->errors->len ? g->errors->str : "no collector answered");
    Netvigil__ControlReply *r = (Netvigil__ControlReply *)m->pb;
    ProtobufCAllocator *a = nvg_arena_allocator(m->arena);
    size_t res = 0, al = 0;
    for (guint k = 0; k < g->parts; k++) {
        const char *label = hub->links[g->link[k]]->label;
        size_t res_end = MIN(res + g->results[k], r->n_results);
        size_t al_end = MIN(al + g->alerts[k], r->n_alerts);
        prefix_results(a, label, r, res, res_end);
        prefix_alerts(a, label, r->alerts, al, al_end);
        res = res_end;
        al = al_end;
    }
    r->ok = g->ok && !g->errors->len;
    if (g->errors->len) {
        char *e = a->alloc(a->allocator_data, g->errors->len + 1);
        if (e)
            memcpy(e, g->errors->str, g->errors->len + 1);
        r->error = e ? e : r->error;
    }
    m->request_id = id;
    return m;
}

struct nvg_feed_msg *nvg__feed_multi_reply(struct nvg_feed_link *link, struct nvg_feed_msg *m)
{
    struct nvg_feed *hub = link->hub;
    uint64_t id = m->request_id;
    g_mutex_lock(&hub->lock);
    struct nvg__gather *g = g_hash_table_lookup(hub->gathers, &id);
    if (!g) {
        g_mutex_unlock(&hub->lock);
        if (m->pb && !prefix_msg(m, link->label)) {
            nvg_feed_msg_free(m);
            return nvg_feed_msg_new_error(id, "reply too large");
        }
        return m;
    }
    const Netvigil__ControlReply *r = (const Netvigil__ControlReply *)m->pb;
    if (r) {
        GBytes *b = pack(m->pb);
        g_byte_array_append(g->bytes, g_bytes_get_data(b, NULL), (guint)g_bytes_get_size(b));
        g_bytes_unref(b);
        g->results[g->parts] = (guint)r->n_results;
        g->alerts[g->parts] = (guint)r->n_alerts;
        g->link[g->parts++] = link->index;
        g->ok = g->ok && r->ok;
    } else {
        g_string_append_printf(g->errors, "%s%s: %s", g->errors->len ? "; " : "", link->label,
                               m->error ? m->error : "failed");
    }
    nvg_feed_msg_free(m);
    struct nvg_feed_msg *whole = --g->waiting ? NULL : merged_reply(hub, g, id);
    if (whole)
        g_hash_table_remove(hub->gathers, &id);
    g_mutex_unlock(&hub->lock);
    return whole;
}

/* ---- requests ---------------------------------------------------------------------------- */

/* The link whose label starts sensor ("LABEL/SENSOR"), with *rest the sensor; NULL if none. */
static struct nvg_feed_link *route(struct nvg_feed *hub, const char *sensor, const char **rest)
{
    const char *slash = strchr(sensor, '/');
    for (guint i = 0; slash && i < hub->n; i++) {
        const char *label = hub->links[i]->label;
        if (strlen(label) == (size_t)(slash - sensor) && !strncmp(label, sensor, slash - sensor)) {
            *rest = slash + 1;
            return hub->links[i];
        }
    }
    return NULL;
}

static void request(struct nvg_feed *hub, uint64_t id, int kind, const char *sensor,
                    const char *filter, int64_t since_ms, uint32_t limit)
{
    sensor = sensor ? sensor : "";
    if (hub->n == 1) {
        nvg__feed_link_queue(hub->links[0], id, kind, sensor, filter, since_ms, limit);
        return;
    }
    if (sensor[0]) {
        const char *rest = sensor;
        struct nvg_feed_link *l = route(hub, sensor, &rest);
        if (l)
            nvg__feed_link_queue(l, id, kind, rest, filter, since_ms, limit);
        else
            nvg__feed_link_push(hub->links[0],
                                nvg_feed_msg_new_error(id, "no collector holds that sensor"));
        return;
    }
    struct nvg__gather *g = g_new0(struct nvg__gather, 1);
    g->waiting = hub->n;
    g->ok = TRUE;
    g->bytes = g_byte_array_new();
    g->errors = g_string_new(NULL);
    g_mutex_lock(&hub->lock);
    /* A collector that takes requests and never answers leaves its gathers behind: past a few
     * hundred (the pages have given up on them long since) they go. */
    if (g_hash_table_size(hub->gathers) >= MAX_GATHERS)
        g_hash_table_remove_all(hub->gathers);
    g_hash_table_replace(hub->gathers, g_memdup2(&id, sizeof(id)), g);
    g_mutex_unlock(&hub->lock);
    for (guint i = 0; i < hub->n; i++)
        nvg__feed_link_queue(hub->links[i], id, kind, "", filter, since_ms, limit);
}

void nvg_feed_request(struct nvg_feed *feed, uint64_t id, int kind, const char *sensor,
                      const char *filter)
{
    request(feed, id, kind, sensor, filter, 0, 0);
}

void nvg_feed_request_alerts(struct nvg_feed *feed, uint64_t id, int64_t since_ms)
{
    request(feed, id, NETVIGIL__COMMAND_KIND__COMMAND_ALERTS, "", "", since_ms, 0);
}

void nvg_feed_request_hosts(struct nvg_feed *feed, uint64_t id, uint32_t limit)
{
    request(feed, id, NETVIGIL__COMMAND_KIND__COMMAND_HOSTS, "", "", 0, limit);
}
