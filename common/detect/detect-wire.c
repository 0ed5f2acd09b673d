/* See nvg-alert-wire.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvg-alert-wire.h"
#include "nvg-format.h"

static size_t alen(uint32_t ver)
{
    return ver == 4 ? 4 : ver == 6 ? 16 : 0;
}

void nvg_alert_to_pb(const struct nvg_alert *a, int64_t time_ms, nvg_alert_sensor_name_fn name,
                     void *ud, struct nvg_alert_pb *out)
{
    memset(out, 0, sizeof(*out));
    Netvigil__Alert *m = &out->pb;
    netvigil__alert__init(m);
    size_t n = alen(a->ip_version);
    m->id = a->id;
    m->event = (Netvigil__AlertEvent)a->event;
    m->severity = (Netvigil__Severity)a->severity;
    snprintf(out->detector, sizeof(out->detector), "%s", nvg_detector_name(a->detector));
    m->detector = out->detector;
    m->ip_version = a->ip_version;
    static const uint8_t zero[16];
    if (n && memcmp(a->src, zero, 16) != 0) {
        memcpy(out->src, a->src, 16);
        m->src = (ProtobufCBinaryData){n, out->src};
    }
    for (unsigned i = 0; n && i < a->n_listed && i < NVG_ALERT_TARGETS; i++) {
        memcpy(out->target_bytes[i], a->targets[i], 16);
        out->targets[i] = (ProtobufCBinaryData){n, out->target_bytes[i]};
        m->n_targets++;
    }
    m->targets = out->targets;
    m->target_count = a->n_targets;
    m->proto = (Netvigil__Protocol)a->proto;
    m->port = a->port;
    for (unsigned i = 0; i < a->n_sensors && i < NVG_ALERT_SENSORS; i++) {
        const char *s = name ? name(ud, a->sensor_list[i]) : "";
        snprintf(out->sensor_names[i], sizeof(out->sensor_names[i]), "%s", s ? s : "");
        out->sensor_ptrs[m->n_sensors++] = out->sensor_names[i];
    }
    m->sensors = out->sensor_ptrs;
    m->first_ns = a->first_ns;
    m->last_ns = a->last_ns;
    m->packets = a->packets;
    m->bytes = a->bytes;
    m->count = a->count;
    m->closed = a->closed;
    snprintf(out->rule, sizeof(out->rule), "%s", a->rule);
    m->rule = out->rule;
    snprintf(out->summary, sizeof(out->summary), "%s", a->summary);
    m->summary = out->summary;
    if (a->detector == NVG_DET_ARPSPOOF || a->detector == NVG_DET_ARPSTORM) {
        memcpy(out->mac_old, a->mac_old, 6);
        memcpy(out->mac_new, a->mac_new, 6);
        m->mac_old = (ProtobufCBinaryData){6, out->mac_old};
        m->mac_new = (ProtobufCBinaryData){6, out->mac_new};
    }
    m->time_ms = time_ms;
}

const char *nvg_alert_severity_text(Netvigil__Severity sev)
{
    return sev == NETVIGIL__SEVERITY__SEVERITY_LOW        ? "low"
           : sev == NETVIGIL__SEVERITY__SEVERITY_MEDIUM   ? "medium"
           : sev == NETVIGIL__SEVERITY__SEVERITY_HIGH     ? "high"
           : sev == NETVIGIL__SEVERITY__SEVERITY_CRITICAL ? "critical"
                                                          : "?";
}

const char *nvg_alert_event_text(Netvigil__AlertEvent ev)
{
    return ev == NETVIGIL__ALERT_EVENT__ALERT_START    ? "start"
           : ev == NETVIGIL__ALERT_EVENT__ALERT_UPDATE ? "update"
           : ev == NETVIGIL__ALERT_EVENT__ALERT_END    ? "end"
                                                       : "?";
}

/* An address of the message, or "" when it has another length than its version says. */
static const char *addr_text(char *buf, const ProtobufCBinaryData *b, uint32_t ver)
{
    buf[0] = '\0';
    if (b->len == alen(ver) && b->len)
        nvg_format_addr(buf, b->data, (int)ver);
    return buf;
}

/* Milliseconds from a peer as nanoseconds, saturating instead of overflowing. */
static int64_t ms_ns(int64_t ms)
{
    const int64_t lim = INT64_MAX / 1000000;
    return ms > lim ? INT64_MAX : ms < -lim ? INT64_MIN : ms * 1000000;
}

struct out {
    char *p, *end;
};

static void put(struct out *o, const char *s, size_t n)
{
    if ((size_t)(o->end - o->p) <= n) {
        o->p = o->end;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* A field from a peer: quoted and neutralised, at most cap bytes of it. */
static void put_csv(struct out *o, const char *s, size_t cap)
{
    char q[2 * 256 + 3];
    size_t n = strnlen(s ? s : "", cap < 256 ? cap : 256);
    put(o, q, nvg_csv_quote(q, s ? s : "", n));
}

static void put_list(struct out *o, const Netvigil__Alert *a, bool sensors)
{
    char buf[2 * 256 + 3], t[48];
    size_t len = 0, n = sensors ? a->n_sensors : a->n_targets;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < 4; i++) {
        const char *s = sensors ? a->sensors[i] : addr_text(t, &a->targets[i], a->ip_version);
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%.63s", i ? " " : "", s);
        if (len >= sizeof(buf))
            len = sizeof(buf) - 1;
    }
    put_csv(o, buf, sizeof(buf));
}

size_t nvg_alert_format_csv(char *buf, const Netvigil__Alert *a)
{
    struct out o = {buf, buf + NVG_ALERT_LINE_MAX};
    char t[64], num[32];
    nvg_format_time_iso(t, ms_ns(a->time_ms));
    puts_(&o, t);
    snprintf(num, sizeof(num), ",%" PRIu64 ",", a->id);
    puts_(&o, num);
    puts_(&o, nvg_alert_event_text(a->event));
    put(&o, ",", 1);
    puts_(&o, nvg_alert_severity_text(a->severity));
    put(&o, ",", 1);
    put_csv(&o, a->detector, 15);
    put(&o, ",", 1);
    puts_(&o, addr_text(t, &a->src, a->ip_version));
    put(&o, ",", 1);
    put_list(&o, a, false);
    snprintf(num, sizeof(num), ",%u,", a->target_count);
    puts_(&o, num);
    puts_(&o, a->proto ? nvg_proto_name((enum nvg_proto)a->proto) : "");
    snprintf(num, sizeof(num), ",%u,", a->port);
    puts_(&o, num);
    put_list(&o, a, true);
    put(&o, ",", 1);
    nvg_format_time_iso(t, a->first_ns);
    puts_(&o, t);
    put(&o, ",", 1);
    nvg_format_time_iso(t, a->last_ns);
    puts_(&o, t);
    char nums[100];
    snprintf(nums, sizeof(nums), ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", a->packets,
             a->bytes, a->count, a->closed);
    puts_(&o, nums);
    put_csv(&o, a->rule, NVG_RULE_NAME);
    put(&o, ",", 1);
    put_csv(&o, a->summary, NVG_ALERT_SUMMARY);
    put(&o, "\n", 1);
    if (o.p >= o.end)
        return 0;
    *o.p = '\0';
    return (size_t)(o.p - buf);
}

size_t nvg_alert_format_line(char *buf, const Netvigil__Alert *a)
{
    char t[64], sensors[4 * (NVG_NAME_MAX + 1) + 1] = "", det[64], sum[NVG_ALERT_LINE_MAX / 2];
    size_t len = 0;
    for (size_t i = 0; i < a->n_sensors && i < 4; i++)
        len += (size_t)snprintf(sensors + len, sizeof(sensors) - len, "%s%.63s", i ? "," : "",
                                a->sensors[i]);
    char esc_sensors[NVG_TEXT_ESCAPED_SIZE(sizeof(sensors))];
    nvg_text_escape(esc_sensors, sizeof(esc_sensors), sensors, strlen(sensors));
    nvg_text_escape(det, sizeof(det), a->detector ? a->detector : "",
                    strnlen(a->detector ? a->detector : "", 15));
    nvg_text_escape(sum, sizeof(sum), a->summary ? a->summary : "",
                    strnlen(a->summary ? a->summary : "", NVG_ALERT_SUMMARY));
    nvg_format_time_iso(t, ms_ns(a->time_ms));
    int n = snprintf(buf, NVG_ALERT_LINE_MAX, "%s %-6s %-6s %-10s #%" PRIu64 " [%s] %s\n", t,
                     nvg_alert_event_text(a->event), nvg_alert_severity_text(a->severity), det,
                     a->id, esc_sensors, sum);
    return n < 0 ? 0 : (size_t)n < NVG_ALERT_LINE_MAX ? (size_t)n : NVG_ALERT_LINE_MAX - 1;
}
