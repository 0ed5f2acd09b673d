/* Text forms of a conversation record: the flows-*.csv row and the one-line form. A flow is
 * exported once per conversation (and per active timeout), not per packet, so plain snprintf
 * is cheap enough here. */
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

/* µs with three decimals from ns ("1234.567"), or nothing when unknown. A negative time
 * (a capture whose clock went back during the handshake) is written as it is. */
static int put_rtt_us(char *buf, size_t size, bool known, int64_t ns)
{
    if (!known)
        return snprintf(buf, size, ",");
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    return snprintf(buf, size, ",%s%" PRIu64 ".%03u", ns < 0 ? "-" : "", mag / 1000,
                    (unsigned)(mag % 1000));
}

/* The counters of both directions, orig then resp, column pair by column pair. */
static size_t put_pairs(char *p, size_t size, const struct nvg_flow *f)
{
    const struct nvg_flow_dir *o = &f->dir[0], *r = &f->dir[1];
    int n = snprintf(p, size,
                     ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32
                     ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 "\n",
                     o->retransmissions, r->retransmissions, o->out_of_order, r->out_of_order,
                     o->duplicate_acks, r->duplicate_acks, o->zero_windows, r->zero_windows,
                     o->window_full, r->window_full);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static size_t put_port(char *p, size_t size, const struct nvg_flow *f, uint16_t port)
{
    int n =
        (f->flags & NVG_FLOW_HAS_PORTS) ? snprintf(p, size, ",%u", port) : snprintf(p, size, ",");
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* Times, sensor, id, update, end, proto, ip_proto: the columns before the addresses. */
static size_t put_head(char *p, size_t size, const struct nvg_flow *f, const char *sensor_csv,
                       size_t sensor_csv_len)
{
    char first[32], last[32];
    nvg_format_time_iso(first, f->first_ns);
    nvg_format_time_iso(last, f->last_ns);
    int n = snprintf(p, size, "%s,%s,%.*s,%" PRIu64 ",%" PRIu32 ",%s,%s,%u", first, last,
                     (int)sensor_csv_len, sensor_csv, f->id, f->export_seq,
                     nvg_flow_end_name((enum nvg_flow_end)f->end),
                     nvg_proto_name((enum nvg_proto)f->proto), f->ip_proto);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

size_t nvg_flow_format_csv(char *buf, const struct nvg_flow *f, const char *sensor_csv,
                           size_t sensor_csv_len)
{
    const size_t size = NVG_FLOW_CSV_LINE_MAX;
    char orig[48], resp[48], oflags[16], rflags[16], state[2 * NVG_FLOW_STATE_MAX + 3],
        history[2 * NVG_FLOW_HISTORY_MAX + 3];
    size_t len = put_head(buf, size, f, sensor_csv, sensor_csv_len);
    nvg_format_addr(orig, f->orig, f->ip_version);
    nvg_format_addr(resp, f->resp, f->ip_version);
    len += (size_t)snprintf(buf + len, size - len, ",%s", orig);
    len += put_port(buf + len, size - len, f, f->orig_port);
    len += (size_t)snprintf(buf + len, size - len, ",%s", resp);
    len += put_port(buf + len, size - len, f, f->resp_port);
    if (f->flags & NVG_FLOW_HAS_VLAN)
        len += (size_t)snprintf(buf + len, size - len, ",%u", f->vlan_id);
    else
        len += (size_t)snprintf(buf + len, size - len, ",");
    nvg_format_tcp_flags(oflags, f->dir[0].tcp_flags);
    nvg_format_tcp_flags(rflags, f->dir[1].tcp_flags);
    nvg_csv_quote(state, f->state, strnlen(f->state, NVG_FLOW_STATE_MAX - 1));
    nvg_csv_quote(history, f->history, strnlen(f->history, NVG_FLOW_HISTORY_MAX - 1));
    len += (size_t)snprintf(
        buf + len, size - len,
        ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%s,%s",
        f->dir[0].packets, f->dir[0].bytes, f->dir[1].packets, f->dir[1].bytes,
        f->dir[0].payload_bytes, f->dir[1].payload_bytes, oflags, rflags, state, history);
    bool srv = f->flags & NVG_FLOW_HAS_RTT_SERVER, cli = f->flags & NVG_FLOW_HAS_RTT_CLIENT;
    len += (size_t)put_rtt_us(buf + len, size - len, srv && cli,
                              srv && cli ? f->rtt_server_ns + f->rtt_client_ns : 0);
    len += (size_t)put_rtt_us(buf + len, size - len, srv, f->rtt_server_ns);
    len += (size_t)put_rtt_us(buf + len, size - len, cli, f->rtt_client_ns);
    len += put_pairs(buf + len, size - len, f);
    return len;
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
