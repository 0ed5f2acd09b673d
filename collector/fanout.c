/* See fanout.h. */
#include "fanout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "nvg-clock.h"
#include "nvg-zmq.h"

#define TOP_TALKERS 10
#define RATE_BATCH_MAX 1024

struct nvg_fanout {
    void *pub;
    struct nvg_sensor_table *sensors;
    /* Rate samples closed since the last publish. */
    Netvigil__RateSample *rate_pending;
    size_t rate_n, rate_cap;
};

struct nvg_fanout *nvg_fanout_new(void *pub, struct nvg_sensor_table *sensors)
{
    struct nvg_fanout *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->pub = pub;
    f->sensors = sensors;
    return f;
}

void nvg_fanout_free(struct nvg_fanout *f)
{
    if (!f)
        return;
    free(f->rate_pending);
    free(f);
}

void nvg_fanout_raw(struct nvg_fanout *f, const char *topic, size_t topic_len, const void *body,
                    size_t len)
{
    if (zmq_send(f->pub, topic, topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    zmq_send(f->pub, body, len, ZMQ_DONTWAIT);
}

void nvg_fanout_pb(struct nvg_fanout *f, const char *topic, const ProtobufCMessage *msg)
{
    if (zmq_send(f->pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    nvg_zmq_send_pb(f->pub, msg, ZMQ_DONTWAIT);
}

void nvg_fanout_queue_rate(struct nvg_fanout *f, const char *sensor, int64_t sec, int proto,
                           uint64_t packets, uint64_t bytes)
{
    if (f->rate_n == f->rate_cap) {
        size_t cap = f->rate_cap ? 2 * f->rate_cap : 256;
        Netvigil__RateSample *v = realloc(f->rate_pending, cap * sizeof(*v));
        if (!v)
            return;
        f->rate_pending = v;
        f->rate_cap = cap;
    }
    Netvigil__RateSample *rs = &f->rate_pending[f->rate_n++];
    netvigil__rate_sample__init(rs);
    rs->time_s = sec;
    rs->sensor = (char *)sensor;
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
        for (size_t i = 0; i < n; i++)
            ptrs[i] = &f->rate_pending[done + i];
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
