/* Fuzz the viewer's feed parser (viewer/gtk/nvg-feed-parse.c, GLib-only nvg_viewer_core): what
 * the feed worker does with every message from its collector before a widget sees it.
 *
 * Input: [kind byte][body]. kind % 8: 0..4 = nvg_feed_parse() of that kind (status, rates,
 * talkers, event, control reply), 5 = a records batch (nvg_feed_parse_batch, then
 * nvg_wire_record_from_pb on every record, as the worker does), 6 = an alert, 7 = a batch of
 * conversation records (topic "flow").
 *
 * Invariants, on every message accepted: every string the UI may show is valid UTF-8 (GTK's
 * requirement) and printable within its cap, names are of the name alphabet or escaped; every
 * sensor summary has a status with a name; repeated fields are within their caps; times are
 * within 0..NVG_FEED_TIME_S_MAX; rates are finite and >= 0; the message's memory is within its
 * kind's cap. */
#include <math.h>
#include <string.h>

#include "nvg-flow-wire.h"

#include "fuzz.h"
#include "nvg-feed-parse.h"
#include "nvg-text.h"

static void check_text(const char *s, size_t cap)
{
    FUZZ_CHECK(s != NULL);
    size_t len = strlen(s);
    FUZZ_CHECK(g_utf8_validate(s, (gssize)len, NULL));
    FUZZ_CHECK(len <= cap);
    FUZZ_CHECK(nvg_text_valid(s, len, cap));
}

static void check_name(const char *s)
{
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(
        *s == '\0' || nvg_name_valid(s) ||
        (strlen(s) <= NVG_SENSOR_NAME_MAX && nvg_text_valid(s, strlen(s), NVG_SENSOR_NAME_MAX)));
}

static void check_status(const Netvigil__CollectorStatus *st)
{
    FUZZ_CHECK(st->n_sensors <= NVG_FEED_MAX_SENSORS);
    for (size_t i = 0; i < st->n_sensors; i++) {
        const Netvigil__SensorSummary *s = st->sensors[i];
        FUZZ_CHECK(s->last_status && s->last_status->sensor && *s->last_status->sensor);
        check_name(s->last_status->sensor);
        check_name(s->key_name);
        check_text(s->last_status->source, NVG_TEXT_SOURCE_MAX);
        check_text(s->last_status->filter, NVG_TEXT_FILTER_MAX);
        check_text(s->last_status->software_version, NVG_TEXT_VERSION_MAX);
        check_text(s->last_status->error, NVG_TEXT_ERROR_MAX);
        check_text(s->peer_address, NVG_TEXT_SOURCE_MAX);
        FUZZ_CHECK(s->last_seen_ms >= 0 && s->last_seen_ms <= NVG_FEED_TIME_S_MAX * 1000);
        FUZZ_CHECK(isfinite(s->packets_per_s) && s->packets_per_s >= 0);
        FUZZ_CHECK(isfinite(s->bytes_per_s) && s->bytes_per_s >= 0);
    }
    check_text(st->packets_file, 1023);
    check_text(st->rates_file, 1023);
    check_text(st->audit_file, 1023);
}

/* Every conversation record kept must convert: the page shows only those. */
static void check_flows(const Netvigil__FlowBatch *fb)
{
    check_name(fb->sensor);
    for (size_t i = 0; i < fb->n_flows; i++) {
        struct nvg_flow f;
        FUZZ_CHECK(nvg_flow_from_pb(fb->flows[i], &f) == 0);
    }
}

static void check_message(const struct nvg_feed_msg *m)
{
    switch (m->kind) {
    case NVG_FEED_STATUS:
        check_status((const Netvigil__CollectorStatus *)m->pb);
        break;
    case NVG_FEED_RATES: {
        const Netvigil__RateBatch *rb = (const Netvigil__RateBatch *)m->pb;
        for (size_t i = 0; i < rb->n_samples; i++) {
            check_name(rb->samples[i]->sensor);
            FUZZ_CHECK(rb->samples[i]->time_s >= 0 &&
                       rb->samples[i]->time_s <= NVG_FEED_TIME_S_MAX);
        }
        break;
    }
    case NVG_FEED_TALKERS: {
        const Netvigil__TopTalkers *t = (const Netvigil__TopTalkers *)m->pb;
        check_name(t->sensor);
        FUZZ_CHECK(t->n_talkers <= NVG_FEED_MAX_TALKERS);
        FUZZ_CHECK(t->interval_start_s >= 0 && t->interval_start_s <= NVG_FEED_TIME_S_MAX);
        break;
    }
    case NVG_FEED_EVENT: {
        const Netvigil__Event *e = (const Netvigil__Event *)m->pb;
        check_name(e->kind);
        check_name(e->sensor);
        check_text(e->requester, NVG_TEXT_SOURCE_MAX);
        check_text(e->text, 1023);
        FUZZ_CHECK(e->time_ms >= 0 && e->time_ms <= NVG_FEED_TIME_S_MAX * 1000);
        break;
    }
    case NVG_FEED_ALERT: {
        const Netvigil__Alert *a = (const Netvigil__Alert *)m->pb;
        check_name(a->detector);
        check_text(a->rule, NVG_TEXT_ERROR_MAX);
        FUZZ_CHECK(a->n_targets <= NVG_FEED_MAX_ALERT_LIST &&
                   a->n_sensors <= NVG_FEED_MAX_ALERT_LIST);
        for (size_t i = 0; i < a->n_sensors; i++)
            check_name(a->sensors[i]);
        FUZZ_CHECK(a->time_ms >= 0 && a->first_ns >= 0 && a->last_ns >= a->first_ns);
        break;
    }
    case NVG_FEED_FLOW:
        check_flows((const Netvigil__FlowBatch *)m->pb);
        break;
    default: {
        const Netvigil__ControlReply *r = (const Netvigil__ControlReply *)m->pb;
        check_text(r->error, NVG_TEXT_ERROR_MAX);
        FUZZ_CHECK(r->n_results <= NVG_FEED_MAX_RESULTS && r->status == NULL);
        for (size_t i = 0; i < r->n_results; i++) {
            check_name(r->results[i]->sensor);
            check_text(r->results[i]->error, NVG_TEXT_ERROR_MAX);
        }
        FUZZ_CHECK(m->request_id == r->id);
        break;
    }
    }
    FUZZ_CHECK(m->bytes < (16u << 20));
}

static void fuzz_batch(const uint8_t *data, size_t size)
{
    static struct nvg_arena *arena;
    if (!arena)
        arena = nvg_arena_new(0);
    struct nvg_feed_parse_counts c = {0};
    char name[NVG_SENSOR_NAME_MAX + 1];
    Netvigil__Batch *b = nvg_feed_parse_batch(arena, data, size, name, &c);
    if (b) {
        check_name(name);
        FUZZ_CHECK(*name);
        for (size_t i = 0; i < b->n_records; i++) {
            struct nvg_pkt pkt;
            (void)nvg_wire_record_from_pb(b->records[i], &pkt);
        }
    } else {
        FUZZ_CHECK(c.invalid == 1);
    }
    nvg_arena_reset(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned kind = data[0] % 8;
    if (kind == 5) {
        fuzz_batch(data + 1, size - 1);
        return 0;
    }
    struct nvg_feed_parse_counts c = {0};
    if (kind == 6)
        kind = NVG_FEED_ALERT;
    else if (kind == 7)
        kind = NVG_FEED_FLOW;
    struct nvg_feed_msg *m = nvg_feed_parse((enum nvg_feed_kind)kind, data + 1, size - 1, &c);
    FUZZ_CHECK((m == NULL) == (c.invalid == 1));
    if (m) {
        FUZZ_CHECK(m->kind == (enum nvg_feed_kind)kind && m->pb && m->arena);
        check_message(m);
        nvg_feed_msg_free(m);
    }
    return 0;
}
