/* The live feed (PUB, 7701): two frames per message, a topic then one protobuf body.
 *
 * PUB never blocks: a subscriber that cannot keep up loses messages at its high-water mark,
 * and the collector's logging never waits for a viewer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "collector.h"
#include "nvg-zmq.h"

#define TOP_TALKERS 10

void nvg_fanout_raw(struct nvg_collector *c, const char *topic, size_t topic_len, const void *body,
                    size_t len)
{
    if (zmq_send(c->pub, topic, topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    zmq_send(c->pub, body, len, ZMQ_DONTWAIT);
}

void nvg_fanout_pb(struct nvg_collector *c, const char *topic, const ProtobufCMessage *msg)
{
    if (zmq_send(c->pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    nvg_zmq_send_pb(c->pub, msg, ZMQ_DONTWAIT);
}

/* Publish the closed seconds in RateBatches of at most 1024 samples. */
void nvg_fanout_rates(struct nvg_collector *c)
{
    Netvigil__RateSample *ptrs[1024];
    size_t done = 0;
    while (done < c->rate_n) {
        size_t n = c->rate_n - done;
        if (n > 1024)
            n = 1024;
        for (size_t i = 0; i < n; i++)
            ptrs[i] = &c->rate_pending[done + i];
        Netvigil__RateBatch rb = NETVIGIL__RATE_BATCH__INIT;
        rb.n_samples = n;
        rb.samples = ptrs;
        nvg_fanout_pb(c, NVG_TOPIC_RATES, &rb.base);
        done += n;
    }
    c->rate_n = 0;
}

void nvg_fanout_status(struct nvg_collector *c)
{
    Netvigil__CollectorStatus st;
    struct nvg_status_storage store;
    if (nvg_status_build(c, &st, &store) < 0)
        return;
    nvg_fanout_pb(c, NVG_TOPIC_STATUS, &st.base);
    nvg_status_release(&store);
}

static void talkers_of(struct nvg_collector *c, struct nvg_sensor_entry *s, int64_t start_s,
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
    nvg_fanout_pb(c, topic, &tt.base);
}

void nvg_fanout_talkers(struct nvg_collector *c, int64_t interval_start_s, uint32_t interval_s)
{
    for (size_t i = 0; i < c->sensors.n; i++)
        talkers_of(c, c->sensors.v[i], interval_start_s, interval_s);
}

void nvg_fanout_event(struct nvg_collector *c, const char *kind, const char *sensor,
                      const char *text)
{
    Netvigil__Event ev = NETVIGIL__EVENT__INIT;
    ev.time_ms = nvg__wall_ms();
    ev.kind = (char *)kind;
    ev.requester = (char *)"";
    ev.sensor = (char *)sensor;
    ev.text = (char *)text;
    nvg_fanout_pb(c, NVG_TOPIC_EVENTS, &ev.base);
}
