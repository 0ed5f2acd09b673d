/* Checking what the collector sends: see nvg-feed-parse.h. */
#include "nvg-feed-parse.h"

#include <math.h>
#include <string.h>

#include "nvg-flow-wire.h"
#include "nvg-text.h"

/* Memory one message of each kind may unpack into. The largest legitimate ones: a status of
 * 1024 sensors (~1 MiB unpacked), a second of rates for 1024 sensors x 9 protocols (~1.5 MiB),
 * top talkers, events and alerts of a few KiB, a command's reply with a result per sensor, and
 * COMMAND_ALERTS's reply: up to NVG_CLIENT_MAX_MSG of alert events (~3x that unpacked), and a
 * FlowBatch of NVG_FEED_MAX_FLOWS records (~0.5 KiB each unpacked). */
static const size_t kind_limit[NVG_FEED_KINDS] = {
    [NVG_FEED_STATUS] = 8u << 20, [NVG_FEED_RATES] = 4u << 20,  [NVG_FEED_TALKERS] = 32u << 10,
    [NVG_FEED_EVENT] = 64u << 10, [NVG_FEED_REPLY] = 16u << 20, [NVG_FEED_ALERT] = 64u << 10,
    [NVG_FEED_FLOW] = 1u << 20,
};

/* Escaped text longer than this (4 bytes per bad byte) is cut: a label shows no more anyway. */
#define LONG_TEXT_CAP 1023

struct fix {
    ProtobufCAllocator *alloc;
    struct nvg_feed_parse_counts *counts;
    guint omitted;
};

static char unusable[] = "?";

/* *s as printable UTF-8 of at most cap bytes, or as a name when name is set. */
static void fix_string(struct fix *f, char **s, size_t cap, gboolean name)
{
    if (!*s) {
        *s = (char *)protobuf_c_empty_string;
        return;
    }
    size_t len = strlen(*s);
    if (name ? (len == 0 || nvg_name_valid(*s)) : nvg_text_valid(*s, len, cap))
        return;
    f->counts->escaped++;
    size_t size = (name ? NVG_SENSOR_NAME_MAX : cap) + 1;
    char *out = f->alloc->alloc(f->alloc->allocator_data, size);
    if (!out) {
        *s = unusable;
        return;
    }
    nvg_text_escape(out, size, *s, len);
    *s = out;
}

#define NAME(f, s) fix_string(f, &(s), NVG_NAME_MAX, TRUE)
#define TEXT(f, s, cap) fix_string(f, &(s), cap, FALSE)

static int64_t clamp_s(int64_t t)
{
    return t < 0 ? 0 : t > NVG_FEED_TIME_S_MAX ? NVG_FEED_TIME_S_MAX : t;
}

static int64_t clamp_ms(int64_t t)
{
    return t < 0 ? 0 : t > NVG_FEED_TIME_S_MAX * 1000 ? NVG_FEED_TIME_S_MAX * 1000 : t;
}

static double clamp_rate(double v)
{
    return isfinite(v) && v > 0 ? v : 0;
}

/* Keeps at most cap of *n elements, counting the rest. */
static void cap_repeated(struct fix *f, size_t *n, size_t cap)
{
    if (*n > cap) {
        f->omitted += (guint)MIN(*n - cap, (size_t)G_MAXUINT / 2);
        *n = cap;
    }
}

static void fix_sensor_status(struct fix *f, Netvigil__SensorStatus *h)
{
    NAME(f, h->sensor);
    TEXT(f, h->source, NVG_TEXT_SOURCE_MAX);
    TEXT(f, h->filter, NVG_TEXT_FILTER_MAX);
    TEXT(f, h->software_version, NVG_TEXT_VERSION_MAX);
    TEXT(f, h->error, NVG_TEXT_ERROR_MAX);
}

static void fix_status(struct fix *f, Netvigil__CollectorStatus *st)
{
    size_t kept = 0;
    for (size_t i = 0; i < st->n_sensors; i++) {
        Netvigil__SensorSummary *s = st->sensors[i];
        if (!s->last_status || !s->last_status->sensor || !*s->last_status->sensor) {
            f->omitted++; /* nothing to show it by */
            continue;
        }
        fix_sensor_status(f, s->last_status);
        NAME(f, s->key_name);
        TEXT(f, s->peer_address, NVG_TEXT_SOURCE_MAX);
        s->last_seen_ms = clamp_ms(s->last_seen_ms);
        s->packets_per_s = clamp_rate(s->packets_per_s);
        s->bytes_per_s = clamp_rate(s->bytes_per_s);
        st->sensors[kept++] = s;
    }
    st->n_sensors = kept;
    cap_repeated(f, &st->n_sensors, NVG_FEED_MAX_SENSORS);
    TEXT(f, st->packets_file, LONG_TEXT_CAP);
    TEXT(f, st->rates_file, LONG_TEXT_CAP);
    TEXT(f, st->audit_file, LONG_TEXT_CAP);
    st->uptime_ms = clamp_ms(st->uptime_ms);
}

static void fix_rates(struct fix *f, Netvigil__RateBatch *rb)
{
    for (size_t i = 0; i < rb->n_samples; i++) {
        NAME(f, rb->samples[i]->sensor);
        rb->samples[i]->time_s = clamp_s(rb->samples[i]->time_s);
    }
}

static void fix_talkers(struct fix *f, Netvigil__TopTalkers *t)
{
    NAME(f, t->sensor);
    t->interval_start_s = clamp_s(t->interval_start_s);
    cap_repeated(f, &t->n_talkers, NVG_FEED_MAX_TALKERS);
}

static void fix_event(struct fix *f, Netvigil__Event *e)
{
    NAME(f, e->kind);
    NAME(f, e->sensor);
    TEXT(f, e->requester, NVG_TEXT_SOURCE_MAX);
    TEXT(f, e->text, LONG_TEXT_CAP);
    e->time_ms = clamp_ms(e->time_ms);
}

/* Addresses are checked where they are shown (4 or 16 bytes, else not shown). */
static void fix_alert(struct fix *f, Netvigil__Alert *a)
{
    NAME(f, a->detector);
    TEXT(f, a->rule, NVG_TEXT_ERROR_MAX);
    TEXT(f, a->summary, LONG_TEXT_CAP);
    cap_repeated(f, &a->n_targets, NVG_FEED_MAX_ALERT_LIST);
    cap_repeated(f, &a->n_sensors, NVG_FEED_MAX_ALERT_LIST);
    for (size_t i = 0; i < a->n_sensors; i++)
        NAME(f, a->sensors[i]);
    a->time_ms = clamp_ms(a->time_ms);
    a->first_ns = MAX(a->first_ns, 0);
    a->last_ns = MAX(a->last_ns, a->first_ns);
}

static void fix_reply(struct fix *f, Netvigil__ControlReply *r)
{
    TEXT(f, r->error, NVG_TEXT_ERROR_MAX);
    cap_repeated(f, &r->n_results, NVG_FEED_MAX_RESULTS);
    for (size_t i = 0; i < r->n_results; i++) {
        NAME(f, r->results[i]->sensor);
        TEXT(f, r->results[i]->error, NVG_TEXT_ERROR_MAX);
    }
    r->status = NULL; /* the viewer never asks for one: nothing reads it */
    cap_repeated(f, &r->n_alerts, NVG_FEED_MAX_ALERTS);
    for (size_t i = 0; i < r->n_alerts; i++)
        fix_alert(f, r->alerts[i]);
    /* host addresses are checked where they are shown; rates made finite */
    cap_repeated(f, &r->n_hosts, NVG_FEED_MAX_HOSTS);
    for (size_t i = 0; i < r->n_hosts; i++) {
        Netvigil__HostTotal *h = r->hosts[i];
        h->in_per_s_10s = clamp_rate(h->in_per_s_10s);
        h->out_per_s_10s = clamp_rate(h->out_per_s_10s);
        h->in_per_s_60s = clamp_rate(h->in_per_s_60s);
        h->out_per_s_60s = clamp_rate(h->out_per_s_60s);
    }
}

/* A record nvg_flow_from_pb refuses (another format, a bad address, a string outside its
 * alphabet) is left out whole: the page shows only what it can show truthfully. */
static void fix_flows(struct fix *f, Netvigil__FlowBatch *fb)
{
    NAME(f, fb->sensor);
    cap_repeated(f, &fb->n_flows, NVG_FEED_MAX_FLOWS);
    size_t kept = 0;
    for (size_t i = 0; i < fb->n_flows; i++) {
        struct nvg_flow flow;
        if (nvg_flow_from_pb(fb->flows[i], &flow) == 0)
            fb->flows[kept++] = fb->flows[i];
        else
            f->omitted++;
    }
    fb->n_flows = kept;
}

static ProtobufCMessage *unpack(enum nvg_feed_kind kind, ProtobufCAllocator *a, size_t len,
                                const uint8_t *data)
{
    switch (kind) {
    case NVG_FEED_STATUS:
        return (ProtobufCMessage *)netvigil__collector_status__unpack(a, len, data);
    case NVG_FEED_RATES:
        return (ProtobufCMessage *)netvigil__rate_batch__unpack(a, len, data);
    case NVG_FEED_TALKERS:
        return (ProtobufCMessage *)netvigil__top_talkers__unpack(a, len, data);
    case NVG_FEED_EVENT:
        return (ProtobufCMessage *)netvigil__event__unpack(a, len, data);
    case NVG_FEED_REPLY:
        return (ProtobufCMessage *)netvigil__control_reply__unpack(a, len, data);
    case NVG_FEED_ALERT:
        return (ProtobufCMessage *)netvigil__alert__unpack(a, len, data);
    case NVG_FEED_FLOW:
        return (ProtobufCMessage *)netvigil__flow_batch__unpack(a, len, data);
    default:
        return NULL;
    }
}

static void fix_message(struct fix *f, enum nvg_feed_kind kind, ProtobufCMessage *pb)
{
    switch (kind) {
    case NVG_FEED_STATUS:
        fix_status(f, (Netvigil__CollectorStatus *)pb);
        break;
    case NVG_FEED_RATES:
        fix_rates(f, (Netvigil__RateBatch *)pb);
        break;
    case NVG_FEED_TALKERS:
        fix_talkers(f, (Netvigil__TopTalkers *)pb);
        break;
    case NVG_FEED_EVENT:
        fix_event(f, (Netvigil__Event *)pb);
        break;
    case NVG_FEED_ALERT:
        fix_alert(f, (Netvigil__Alert *)pb);
        break;
    case NVG_FEED_FLOW:
        fix_flows(f, (Netvigil__FlowBatch *)pb);
        break;
    default:
        fix_reply(f, (Netvigil__ControlReply *)pb);
        break;
    }
}

struct nvg_feed_msg *nvg_feed_parse(enum nvg_feed_kind kind, const void *data, size_t len,
                                    struct nvg_feed_parse_counts *counts)
{
    if ((unsigned)kind >= NVG_FEED_KINDS) {
        counts->invalid++;
        return NULL;
    }
    /* chunks sized to the message: a small one (most of them) holds little */
    struct nvg_arena *arena = nvg_arena_new(CLAMP(len * 2, 4096u, 256u << 10));
    if (!arena) {
        counts->invalid++;
        return NULL;
    }
    nvg_arena_set_limit(arena, kind_limit[kind]);
    struct fix f = {.alloc = nvg_arena_allocator(arena), .counts = counts};
    ProtobufCMessage *pb = unpack(kind, f.alloc, len, data);
    if (!pb) {
        nvg_arena_free(arena);
        counts->invalid++;
        return NULL;
    }
    fix_message(&f, kind, pb);
    counts->omitted += f.omitted;
    struct nvg_feed_msg *m = g_new0(struct nvg_feed_msg, 1);
    m->kind = kind;
    m->pb = pb;
    m->arena = arena;
    m->bytes = sizeof(*m) + nvg_arena_used(arena) + CLAMP(len * 2, 4096u, 256u << 10);
    m->omitted = f.omitted;
    if (kind == NVG_FEED_REPLY)
        m->request_id = ((Netvigil__ControlReply *)pb)->id;
    return m;
}

struct nvg_feed_msg *nvg_feed_msg_new_error(uint64_t request_id, const char *error)
{
    struct nvg_feed_msg *m = g_new0(struct nvg_feed_msg, 1);
    m->kind = NVG_FEED_REPLY;
    m->request_id = request_id;
    m->error = g_strdup(error);
    m->bytes = sizeof(*m) + strlen(error);
    return m;
}

void nvg_feed_msg_free(struct nvg_feed_msg *msg)
{
    if (!msg)
        return;
    nvg_arena_free(msg->arena); /* pb and everything it points to */
    g_free(msg->error);
    g_free(msg);
}

int nvg_feed_topic_kind(const char *topic, size_t len)
{
    static const struct {
        const char *topic;
        enum nvg_feed_kind kind;
    } topics[] = {
        {NVG_TOPIC_STATUS, NVG_FEED_STATUS},   {NVG_TOPIC_RATES, NVG_FEED_RATES},
        {NVG_TOPIC_TALKERS, NVG_FEED_TALKERS}, {NVG_TOPIC_EVENTS, NVG_FEED_EVENT},
        {NVG_TOPIC_ALERTS, NVG_FEED_ALERT},    {NVG_TOPIC_FLOWS, NVG_FEED_FLOW},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(topics); i++) {
        size_t n = strlen(topics[i].topic);
        if (len >= n && memcmp(topic, topics[i].topic, n) == 0)
            return (int)topics[i].kind;
    }
    return -1;
}

Netvigil__Batch *nvg_feed_parse_batch(struct nvg_arena *arena, const void *data, size_t len,
                                      char name[NVG_SENSOR_NAME_MAX + 1],
                                      struct nvg_feed_parse_counts *counts)
{
    Netvigil__Batch *b = netvigil__batch__unpack(nvg_arena_allocator(arena), len, data);
    if (!b || !b->sensor || !*b->sensor) {
        counts->invalid++;
        return NULL;
    }
    if (nvg_name_valid(b->sensor)) {
        g_strlcpy(name, b->sensor, NVG_SENSOR_NAME_MAX + 1);
    } else {
        counts->escaped++;
        nvg_text_escape(name, NVG_SENSOR_NAME_MAX + 1, b->sensor, strlen(b->sensor));
    }
    return b;
}
