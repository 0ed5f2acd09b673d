/* See clickhouse-rows.h. RowBinary is little-endian: the stores below are the host's, so the
 * build refuses a big-endian target rather than writing rows ClickHouse would misread. */
#include "clickhouse-rows.h"

#include <stdio.h>
#include <string.h>

#include "nvg-alert-wire.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "RowBinary rows are written with the host's byte order: little-endian only"
#endif

static const char *const table_names[NVG_CH_TABLES] = {"packets", "rates", "alerts", "flows"};

const char *nvg_ch_table_name(enum nvg_ch_table t)
{
    return t < NVG_CH_TABLES ? table_names[t] : "?";
}

/* ---- values ---------------------------------------------------------------------------------- */

static inline uint8_t *put_u8(uint8_t *p, unsigned v)
{
    *p = (uint8_t)v;
    return p + 1;
}

static inline uint8_t *put_u16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
    return p + 2;
}

static inline uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
    return p + 4;
}

static inline uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
    return p + 8;
}

static inline uint8_t *put_i64(uint8_t *p, int64_t v)
{
    memcpy(p, &v, 8);
    return p + 8;
}

/* A string of at most cap bytes (cap < 16384: two LEB128 bytes at most). */
static uint8_t *put_str(uint8_t *p, const char *s, size_t cap)
{
    size_t n = s ? strnlen(s, cap) : 0;
    if (n >= 0x80) {
        *p++ = (uint8_t)(0x80 | (n & 0x7f));
        *p++ = (uint8_t)(n >> 7);
    } else {
        *p++ = (uint8_t)n;
    }
    memcpy(p, s, n);
    return p + n;
}

static inline uint8_t *put_name(uint8_t *p, const struct nvg_ch_name *n)
{
    memcpy(p, n->bytes, n->len);
    return p + n->len;
}

/* DateTime: UInt32 seconds. Times outside 1970..2106 are clamped; the exact time is in the
 * table's *_ns column. */
static uint32_t datetime_of_sec(int64_t sec)
{
    return sec < 0 ? 0 : sec > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)sec;
}

static uint32_t datetime_of_ns(int64_t ns)
{
    int64_t sec = ns / 1000000000;
    if (ns % 1000000000 < 0)
        sec--;
    return datetime_of_sec(sec);
}

/* FixedString(16): IPv6 as is, IPv4 as ::ffff:a.b.c.d (what IPv6NumToString prints as an IPv4
 * address), no address as zeros. */
static uint8_t *put_addr(uint8_t *p, const uint8_t *addr, size_t len, unsigned version)
{
    memset(p, 0, 16);
    if (version == 6 && len == 16) {
        memcpy(p, addr, 16);
    } else if (version == 4 && len == 4) {
        p[10] = p[11] = 0xff;
        memcpy(p + 12, addr, 4);
    }
    return p + 16;
}

static unsigned proto_value(unsigned proto)
{
    return proto < NVG_PROTO_COUNT ? proto : NVG_PROTO_OTHER;
}

/* ---- rows ------------------------------------------------------------------------------------ */

void nvg_ch_name_set(struct nvg_ch_name *n, const char *name)
{
    uint8_t *end = put_str(n->bytes, name, NVG_NAME_MAX);
    n->len = (uint8_t)(end - n->bytes);
}

size_t nvg_ch_row_packet(uint8_t *p, const struct nvg_ch_name *sensor, const struct nvg_pkt *pkt)
{
    uint8_t *s = p;
    p = put_u32(p, datetime_of_ns(pkt->ts_ns));
    p = put_i64(p, pkt->ts_ns);
    p = put_name(p, sensor);
    p = put_u8(p, proto_value(pkt->proto));
    p = put_u8(p, pkt->ip_version);
    p = put_addr(p, pkt->src, pkt->ip_version == 6 ? 16 : 4, pkt->ip_version);
    p = put_addr(p, pkt->dst, pkt->ip_version == 6 ? 16 : 4, pkt->ip_version);
    bool ports = pkt->flags & NVG_PKT_HAS_PORTS;
    p = put_u16(p, ports ? pkt->sport : 0);
    p = put_u16(p, ports ? pkt->dport : 0);
    p = put_u16(p, pkt->flags & NVG_PKT_HAS_TCPFLAGS ? pkt->tcp_flags : 0);
    p = put_u8(p, pkt->flags & NVG_PKT_HAS_TTL ? pkt->ttl : 0);
    p = put_u32(p, pkt->wire_len);
    p = put_u32(p, pkt->cap_len);
    p = put_u8(p, pkt->payload_kind <= NVG_PAYLOAD_PADDING ? pkt->payload_kind : 0);
    bool macs = pkt->flags & NVG_PKT_HAS_MAC;
    memcpy(p, macs ? pkt->src_mac : (const uint8_t[6]){0}, 6);
    memcpy(p + 6, macs ? pkt->dst_mac : (const uint8_t[6]){0}, 6);
    p += 12;
    p = put_u16(p, pkt->flags & NVG_PKT_HAS_VLAN ? pkt->vlan_id : 0);
    bool icmp = pkt->flags & NVG_PKT_HAS_ICMP;
    p = put_u8(p, icmp ? pkt->icmp_type : 0);
    p = put_u8(p, icmp ? pkt->icmp_code : 0);
    p = put_u8(p, pkt->event);
    p = put_u16(p, pkt->flags);
    return (size_t)(p - s);
}

/* What nvg_ch_row_packet puts around the name: time and time_ns before it, 69 bytes of fixed
 * columns after it (proto ... record_flags). */
#define PACKET_ROW_HEAD 12
#define PACKET_ROW_TAIL 69

size_t nvg_ch_packet_row_sensor(const uint8_t *p, size_t avail, const uint8_t **name, size_t *len)
{
    if (avail < PACKET_ROW_HEAD + 1 || p[PACKET_ROW_HEAD] > NVG_NAME_MAX)
        return 0;
    size_t n = p[PACKET_ROW_HEAD], row = PACKET_ROW_HEAD + 1 + n + PACKET_ROW_TAIL;
    if (row > avail)
        return 0;
    *name = p + PACKET_ROW_HEAD + 1;
    *len = n;
    return row;
}

size_t nvg_ch_row_rate(uint8_t *p, const struct nvg_ch_name *sensor, int64_t sec, int proto,
                       uint64_t packets, uint64_t bytes)
{
    uint8_t *s = p;
    p = put_u32(p, datetime_of_sec(sec));
    p = put_name(p, sensor);
    p = put_u8(p, proto_value((unsigned)proto));
    p = put_u64(p, packets);
    p = put_u64(p, bytes);
    return (size_t)(p - s);
}

/* What nvg_ch_row_flow puts around its strings: time, first_ns, last_ns before the name; 106
 * bytes of fixed columns (id ... resp_flags) before state and history; 58 after (rtt ...
 * flow_flags). */
#define FLOW_ROW_HEAD 20
#define FLOW_ROW_MID 106
#define FLOW_ROW_TAIL 58

/* A RowBinary string's length at p (put_str's one or two LEB128 bytes): *n and the bytes the
 * whole string takes, 0 when it does not fit in avail. */
static size_t str_at(const uint8_t *p, size_t avail, size_t *n)
{
    if (avail < 1)
        return 0;
    size_t head = p[0] & 0x80 ? 2 : 1;
    if (avail < head)
        return 0;
    *n = head == 2 ? (size_t)(p[0] & 0x7f) | (size_t)p[1] << 7 : p[0];
    return head + *n <= avail ? head + *n : 0;
}

size_t nvg_ch_flow_row_sensor(const uint8_t *p, size_t avail, const uint8_t **name, size_t *len)
{
    size_t off = FLOW_ROW_HEAD, n, k;
    if (avail < off || !(k = str_at(p + off, avail - off, &n)) || n > NVG_NAME_MAX)
        return 0;
    *name = p + off + 1;
    *len = n;
    off += k + FLOW_ROW_MID;
    for (int i = 0; i < 2; i++) { /* state, history */
        if (off > avail || !(k = str_at(p + off, avail - off, &n)))
            return 0;
        off += k;
    }
    off += FLOW_ROW_TAIL;
    return off <= avail ? off : 0;
}

static uint8_t *put_flow_dir_counts(uint8_t *p, const struct nvg_flow *f)
{
    for (int d = 0; d < 2; d++) {
        p = put_u64(p, f->dir[d].packets);
        p = put_u64(p, f->dir[d].bytes);
    }
    p = put_u64(p, f->dir[0].payload_bytes);
    p = put_u64(p, f->dir[1].payload_bytes);
    p = put_u16(p, f->dir[0].tcp_flags);
    return put_u16(p, f->dir[1].tcp_flags);
}

static uint8_t *put_flow_analysis(uint8_t *p, const struct nvg_flow *f)
{
    for (int d = 0; d < 2; d++)
        p = put_u32(p, f->dir[d].retransmissions);
    for (int d = 0; d < 2; d++)
        p = put_u32(p, f->dir[d].out_of_order);
    for (int d = 0; d < 2; d++)
        p = put_u32(p, f->dir[d].duplicate_acks);
    for (int d = 0; d < 2; d++)
        p = put_u32(p, f->dir[d].zero_windows);
    for (int d = 0; d < 2; d++)
        p = put_u32(p, f->dir[d].window_full);
    return p;
}

size_t nvg_ch_row_flow(uint8_t *p, const struct nvg_ch_name *sensor, const struct nvg_flow *f)
{
    uint8_t *s = p;
    size_t alen = f->ip_version == 6 ? 16 : 4;
    p = put_u32(p, datetime_of_ns(f->last_ns));
    p = put_i64(p, f->first_ns);
    p = put_i64(p, f->last_ns);
    p = put_name(p, sensor);
    p = put_u64(p, f->id);
    p = put_u32(p, f->export_seq);
    p = put_u8(p, f->end < NVG_FLOW_END_COUNT ? f->end : NVG_FLOW_ACTIVE);
    p = put_u8(p, proto_value(f->proto));
    p = put_u8(p, f->ip_proto);
    p = put_u8(p, f->ip_version);
    p = put_addr(p, f->orig, alen, f->ip_version);
    p = put_u16(p, f->orig_port);
    p = put_addr(p, f->resp, alen, f->ip_version);
    p = put_u16(p, f->resp_port);
    p = put_u16(p, f->flags & NVG_FLOW_HAS_VLAN ? f->vlan_id : 0);
    p = put_flow_dir_counts(p, f);
    p = put_str(p, f->state, NVG_FLOW_STATE_MAX - 1);
    p = put_str(p, f->history, NVG_FLOW_HISTORY_MAX - 1);
    p = put_i64(p, f->flags & NVG_FLOW_HAS_RTT_SERVER ? f->rtt_server_ns : -1);
    p = put_i64(p, f->flags & NVG_FLOW_HAS_RTT_CLIENT ? f->rtt_client_ns : -1);
    p = put_flow_analysis(p, f);
    p = put_u16(p, f->flags);
    return (size_t)(p - s);
}

static uint8_t *put_bytes_addr(uint8_t *p, const ProtobufCBinaryData *b, unsigned version)
{
    return put_addr(p, b->data, b->len, version);
}

size_t nvg_ch_row_alert(uint8_t *p, const Netvigil__Alert *a)
{
    uint8_t *s = p;
    p = put_u32(p, datetime_of_sec(a->time_ms / 1000));
    p = put_i64(p, a->time_ms);
    p = put_str(p, a->n_sensors ? a->sensors[0] : "", NVG_NAME_MAX);
    p = put_u64(p, a->id);
    p = put_str(p, nvg_alert_event_text(a->event), 15);
    p = put_str(p, nvg_alert_severity_text(a->severity), 15);
    p = put_str(p, a->detector, 15);
    p = put_u8(p, a->ip_version);
    p = put_bytes_addr(p, &a->src, a->ip_version);
    size_t nt = a->n_targets < NVG_ALERT_TARGETS ? a->n_targets : NVG_ALERT_TARGETS;
    p = put_u8(p, (unsigned)nt);
    for (size_t i = 0; i < nt; i++)
        p = put_bytes_addr(p, &a->targets[i], a->ip_version);
    p = put_u32(p, a->target_count);
    p = put_str(p, a->proto ? nvg_proto_name(proto_value((unsigned)a->proto)) : "", 15);
    p = put_u16(p, (uint16_t)a->port);
    size_t ns = a->n_sensors < NVG_ALERT_SENSORS ? a->n_sensors : NVG_ALERT_SENSORS;
    p = put_u8(p, (unsigned)ns);
    for (size_t i = 0; i < ns; i++)
        p = put_str(p, a->sensors[i], NVG_NAME_MAX);
    p = put_i64(p, a->first_ns);
    p = put_i64(p, a->last_ns);
    p = put_u64(p, a->packets);
    p = put_u64(p, a->bytes);
    p = put_u64(p, a->count);
    p = put_u64(p, a->closed);
    p = put_str(p, a->rule, NVG_RULE_NAME - 1);
    p = put_str(p, a->summary, NVG_ALERT_SUMMARY - 1);
    return (size_t)(p - s);
}

/* ---- tables ---------------------------------------------------------------------------------- */

/* Enum8('Other' = 0, 'IPv4' = 1, ...) from the names the CSV uses. */
static int proto_enum(char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "Enum8(");
    for (int i = 0; i < NVG_PROTO_COUNT && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s'%s' = %d", i ? ", " : "",
                              nvg_proto_name((enum nvg_proto)i), i);
    if (n < size)
        n += (size_t)snprintf(buf + n, size - n, ")");
    return n < size ? 0 : -1;
}

static int flow_end_enum(char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "Enum8(");
    for (int i = 0; i < NVG_FLOW_END_COUNT && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s'%s' = %d", i ? ", " : "",
                              nvg_flow_end_name((enum nvg_flow_end)i), i);
    if (n < size)
        n += (size_t)snprintf(buf + n, size - n, ")");
    return n < size ? 0 : -1;
}

#define ADDR "FixedString(16)"

static const char *const columns[NVG_CH_TABLES] = {
    [NVG_CH_PACKETS] = "time DateTime, time_ns Int64, sensor String, proto %1$s, ip_version UInt8, "
                       "src " ADDR ", dst " ADDR ", sport UInt16, dport UInt16, tcp_flags UInt16, "
                       "ttl UInt8, len UInt32, cap_len UInt32, "
                       "payload Enum8('none' = 0, 'raw' = 1, 'padding' = 2), "
                       "src_mac FixedString(6), dst_mac FixedString(6), vlan UInt16, "
                       "icmp_type UInt8, icmp_code UInt8, event UInt8, record_flags UInt16",
    [NVG_CH_RATES] = "time DateTime, sensor String, proto %1$s, packets UInt64, bytes UInt64",
    [NVG_CH_ALERTS] = "time DateTime, time_ms Int64, sensor String, id UInt64, event String, "
                      "severity String, detector String, ip_version UInt8, src " ADDR ", "
                      "targets Array(" ADDR "), target_count UInt32, proto String, port UInt16, "
                      "sensors Array(String), first_ns Int64, last_ns Int64, packets UInt64, "
                      "bytes UInt64, count UInt64, closed UInt64, rule String, summary String",
    [NVG_CH_FLOWS] = "time DateTime, first_ns Int64, last_ns Int64, sensor String, id UInt64, "
                     "update UInt32, end %2$s, proto %1$s, ip_proto UInt8, ip_version UInt8, "
                     "orig " ADDR ", orig_port UInt16, resp " ADDR ", resp_port UInt16, "
                     "vlan UInt16, orig_packets UInt64, orig_bytes UInt64, resp_packets UInt64, "
                     "resp_bytes UInt64, orig_payload UInt64, resp_payload UInt64, "
                     "orig_flags UInt16, resp_flags UInt16, state String, history String, "
                     "rtt_server_ns Int64, rtt_client_ns Int64, orig_retrans UInt32, "
                     "resp_retrans UInt32, orig_ooo UInt32, resp_ooo UInt32, "
                     "orig_dup_ack UInt32, resp_dup_ack UInt32, orig_zero_window UInt32, "
                     "resp_zero_window UInt32, orig_window_full UInt32, "
                     "resp_window_full UInt32, flow_flags UInt16",
};

size_t nvg_ch_create_table(char *buf, size_t size, const char *db, enum nvg_ch_table t)
{
    char proto[256], end[256], cols[2048];
    if (t >= NVG_CH_TABLES || proto_enum(proto, sizeof(proto)) < 0 ||
        flow_end_enum(end, sizeof(end)) < 0)
        return 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int n = snprintf(cols, sizeof(cols), columns[t], proto, end);
#pragma GCC diagnostic pop
    if (n < 0 || (size_t)n >= sizeof(cols))
        return 0;
    n = snprintf(buf, size,
                 "CREATE TABLE IF NOT EXISTS %s.%s (%s) ENGINE = MergeTree "
                 "PARTITION BY toYYYYMMDD(time) ORDER BY (sensor, time)",
                 db, table_names[t], cols);
    return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}
