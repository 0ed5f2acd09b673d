/* Text forms of a conversation record: the flows-*.csv row and the one-line form. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvg-flow.h"
#include "nvg-format.h"
#include "nvg-pkt.h"
#include "nvg-text.h"

static const char *const end_names[] = {
#define NVG__FLOW_END_NAME(name, text) text,
    NVG_FLOW_ENDS(NVG__FLOW_END_NAME)
#undef NVG__FLOW_END_NAME
};

const char *nvg_flow_end_name(enum nvg_flow_end end)
{
    return (unsigned)end < NVG_FLOW_END_COUNT ? end_names[end] : "unknown";
}

int nvg_flow_end_parse(const char *text, enum nvg_flow_end *end)
{
    for (unsigned i = 0; i < NVG_FLOW_END_COUNT; i++) {
        if (strcmp(text, end_names[i]) == 0) {
            *end = (enum nvg_flow_end)i;
            return 0;
        }
    }
    return -1;
}

/* The row is built field by field at a cursor: a flow is exported once per conversation and
 * per active timeout, and at tens of thousands of conversations a second snprintf was a
 * tenth of the sensor's time. */

static char *put_lit(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_num(char *p, uint64_t v)
{
    *p++ = ',';
    return nvg_put_u64(p, v);
}

/* µs with three decimals from ns ("1234.567"), or nothing when unknown. A negative time
 * (a capture whose clock went back during the handshake) is written as it is. */
static char *put_rtt_us(char *p, bool known, int64_t ns)
{
    *p++ = ',';
    if (!known)
        return p;
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0)
        *p++ = '-';
    p = nvg_put_u64(p, mag / 1000);
    unsigned frac = (unsigned)(mag % 1000);
    p[0] = '.';
    p[1] = (char)('0' + frac / 100);
    p[2] = (char)('0' + frac / 10 % 10);
    p[3] = (char)('0' + frac % 10);
    return p + 4;
}

static char *put_port(char *p, const struct nvg_flow *f, uint16_t port)
{
    if (!(f->flags & NVG_FLOW_HAS_PORTS)) {
        *p++ = ',';
        return p;
    }
    return put_num(p, port);
}

/* Times, sensor, id, update, end, proto, ip_proto: the columns before the addresses. */
static char *put_head(char *p, const struct nvg_flow *f, const char *sensor_csv,
                      size_t sensor_csv_len)
{
    p += nvg_format_time_iso(p, f->first_ns);
    *p++ = ',';
    p += nvg_format_time_iso(p, f->last_ns);
    *p++ = ',';
    memcpy(p, sensor_csv, sensor_csv_len);
    p = put_num(p + sensor_csv_len, f->id);
    p = put_num(p, f->export_seq);
    *p++ = ',';
    p = put_lit(p, nvg_flow_end_name((enum nvg_flow_end)f->end));
    *p++ = ',';
    p = put_lit(p, nvg_proto_name((enum nvg_proto)f->proto));
    return put_num(p, f->ip_proto);
}

static char *put_endpoints(char *p, const struct nvg_flow *f)
{
    *p++ = ',';
    p += nvg_format_addr(p, f->orig, f->ip_version);
    p = put_port(p, f, f->orig_port);
    *p++ = ',';
    p += nvg_format_addr(p, f->resp, f->ip_version);
    p = put_port(p, f, f->resp_port);
    if (f->flags & NVG_FLOW_HAS_VLAN)
        return put_num(p, f->vlan_id);
    *p++ = ',';
    return p;
}

/* Packets, bytes, payload, flags, state and history. */
static char *put_volume(char *p, const struct nvg_flow *f)
{
    const struct nvg_flow_dir *o = &f->dir[0], *r = &f->dir[1];
    p = put_num(p, o->packets);
    p = put_num(p, o->bytes);
    p = put_num(p, r->packets);
    p = put_num(p, r->bytes);
    p = put_num(p, o->payload_bytes);
    p = put_num(p, r->payload_bytes);
    *p++ = ',';
    p += nvg_format_tcp_flags(p, o->tcp_flags);
    *p++ = ',';
    p += nvg_format_tcp_flags(p, r->tcp_flags);
    *p++ = ',';
    p += nvg_csv_quote(p, f->state, strnlen(f->state, NVG_FLOW_STATE_MAX - 1));
    *p++ = ',';
    return p + nvg_csv_quote(p, f->history, strnlen(f->history, NVG_FLOW_HISTORY_MAX - 1));
}

/* The counters of both directions, orig then resp, column pair by column pair. */
static char *put_pairs(char *p, const struct nvg_flow *f)
{
    const struct nvg_flow_dir *o = &f->dir[0], *r = &f->dir[1];
    p = put_num(p, o->retransmissions);
    p = put_num(p, r->retransmissions);
    p = put_num(p, o->out_of_order);
    p = put_num(p, r->out_of_order);
    p = put_num(p, o->duplicate_acks);
    p = put_num(p, r->duplicate_acks);
    p = put_num(p, o->zero_windows);
    p = put_num(p, r->zero_windows);
    p = put_num(p, o->window_full);
    p = put_num(p, r->window_full);
    *p++ = '\n';
    return p;
}

size_t nvg_flow_format_csv(char *buf, const struct nvg_flow *f, const char *sensor_csv,
                           size_t sensor_csv_len)
{
    char *p = put_head(buf, f, sensor_csv, sensor_csv_len);
    p = put_endpoints(p, f);
    p = put_volume(p, f);
    bool srv = f->flags & NVG_FLOW_HAS_RTT_SERVER, cli = f->flags & NVG_FLOW_HAS_RTT_CLIENT;
    p = put_rtt_us(p, srv && cli, srv && cli ? f->rtt_server_ns + f->rtt_client_ns : 0);
    p = put_rtt_us(p, srv, f->rtt_server_ns);
    p = put_rtt_us(p, cli, f->rtt_client_ns);
    p = put_pairs(p, f);
    *p = '\0';
    return (size_t)(p - buf);
}

static void put_endpoint(char *out, size_t size, const struct nvg_flow *f, const uint8_t *addr,
                         uint16_t port)
{
    char a[48];
    nvg_format_addr(a, addr, f->ip_version);
    if (!(f->flags & NVG_FLOW_HAS_PORTS))
        snprintf(out, size, "%s", a);
    else if (f->ip_version == 6)
        snprintf(out, size, "[%s]:%u", a, port);
    else
        snprintf(out, size, "%s:%u", a, port);
}

size_t nvg_flow_format_line(char *buf, const struct nvg_flow *f, const char *sensor)
{
    char first[32], o[64], r[64], name[2 * NVG_NAME_MAX + 2] = "", state[4 * NVG_FLOW_STATE_MAX],
                                                          hist[4 * NVG_FLOW_HISTORY_MAX],
                                                          rtt[32] = "";
    nvg_format_time_iso(first, f->first_ns);
    put_endpoint(o, sizeof(o), f, f->orig, f->orig_port);
    put_endpoint(r, sizeof(r), f, f->resp, f->resp_port);
    if (sensor) {
        nvg_text_escape(name, sizeof(name) - 1, sensor, strnlen(sensor, NVG_NAME_MAX));
        strcat(name, " ");
    }
    nvg_text_escape(state, sizeof(state), f->state, strnlen(f->state, NVG_FLOW_STATE_MAX - 1));
    nvg_text_escape(hist, sizeof(hist), f->history, strnlen(f->history, NVG_FLOW_HISTORY_MAX - 1));
    if ((f->flags & NVG_FLOW_HAS_RTT_SERVER) && (f->flags & NVG_FLOW_HAS_RTT_CLIENT)) {
        int64_t ns = f->rtt_server_ns + f->rtt_client_ns;
        snprintf(rtt, sizeof(rtt), " rtt=%.3fms", (double)ns / 1e6);
    }
    int n =
        snprintf(buf, NVG_FLOW_LINE_MAX,
                 "[%s] %s%s %s -> %s %s %s %" PRIu64 "/%" PRIu64 " B -> %" PRIu64 "/%" PRIu64
                 " B%s retrans=%" PRIu32 "/%" PRIu32 " end=%s\n",
                 first, name, nvg_proto_name((enum nvg_proto)f->proto), o, r,
                 state[0] ? state : "-", hist[0] ? hist : "-", f->dir[0].packets, f->dir[0].bytes,
                 f->dir[1].packets, f->dir[1].bytes, rtt, f->dir[0].retransmissions,
                 f->dir[1].retransmissions, nvg_flow_end_name((enum nvg_flow_end)f->end));
    return n > 0 && n < NVG_FLOW_LINE_MAX ? (size_t)n : NVG_FLOW_LINE_MAX - 1;
}
