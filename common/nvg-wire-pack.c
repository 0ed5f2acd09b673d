#include "nvg-wire-pack.h"

#include <string.h>

/* Field tags, (number << 3) | wire type, as varints: fields 16 and up take two bytes. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2 };
#define TAG(field, wt) (((uint32_t)(field) << 3) | (wt))

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* proto3: a zero scalar is not written. */
static inline uint8_t *put_uint(uint8_t *p, uint32_t tag, uint64_t v)
{
    if (v == 0)
        return p;
    p = put_varint(p, tag);
    return put_varint(p, v);
}

static inline uint8_t *put_bytes(uint8_t *p, uint32_t tag, const void *data, size_t len)
{
    if (len == 0)
        return p;
    p = put_varint(p, tag);
    p = put_varint(p, len);
    memcpy(p, data, len);
    return p + len;
}

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t nvg_wire_record_pack(const struct nvg_pkt *pkt, uint8_t *out)
{
    uint8_t *p = out;
    size_t alen = pkt->ip_version == 4 ? 4 : pkt->ip_version == 6 ? 16 : 0;
    size_t plen = pkt->payload_len <= NVG_PAYLOAD_MAX ? pkt->payload_len : NVG_PAYLOAD_MAX;
    if (pkt->ts_ns != 0) {
        uint64_t t = (uint64_t)pkt->ts_ns;
        *p++ = TAG(1, WT_I64);
        for (int i = 0; i < 8; i++)
            *p++ = (uint8_t)(t >> (8 * i));
    }
    p = put_uint(p, TAG(2, WT_VARINT), pkt->ip_version);
    p = put_bytes(p, TAG(3, WT_LEN), pkt->src, alen);
    p = put_bytes(p, TAG(4, WT_LEN), pkt->dst, alen);
    p = put_uint(p, TAG(5, WT_VARINT), pkt->proto);
    p = put_uint(p, TAG(6, WT_VARINT), pkt->ip_proto);
    p = put_uint(p, TAG(7, WT_VARINT), pkt->sport);
    p = put_uint(p, TAG(8, WT_VARINT), pkt->dport);
    p = put_uint(p, TAG(9, WT_VARINT), pkt->tcp_flags);
    p = put_uint(p, TAG(10, WT_VARINT), pkt->icmp_type);
    p = put_uint(p, TAG(11, WT_VARINT), pkt->icmp_code);
    p = put_uint(p, TAG(12, WT_VARINT), pkt->ttl);
    p = put_uint(p, TAG(13, WT_VARINT), pkt->wire_len);
    p = put_uint(p, TAG(14, WT_VARINT), pkt->cap_len);
    p = put_uint(p, TAG(15, WT_VARINT), pkt->vlan_id);
    p = put_uint(p, TAG(16, WT_VARINT), pkt->payload_kind);
    p = put_uint(p, TAG(17, WT_VARINT), pkt->flags);
    p = put_uint(p, TAG(18, WT_VARINT), pkt->event);
    p = put_bytes(p, TAG(19, WT_LEN), pkt->payload, plen);
    if (pkt->flags & NVG_PKT_HAS_MAC) {
        p = put_bytes(p, TAG(20, WT_LEN), pkt->src_mac, 6);
        p = put_bytes(p, TAG(21, WT_LEN), pkt->dst_mac, 6);
    }
    return (size_t)(p - out);
}

size_t nvg_wire_batch_pack_bound(const char *sensor, size_t n)
{
    size_t slen = strlen(sensor);
    /* sensor, boot_id, seq, feed_offset at their widest; each record with its tag and a
     * two-byte length (its body is under 16384 bytes). */
    return 1 + varint_len(slen) + slen + 3 * 11 + n * (1 + 2 + NVG_WIRE_RECORD_PACK_MAX);
}

uint8_t *nvg_wire_batch_put_record(uint8_t *p, const struct nvg_pkt *pkt)
{
    uint8_t body[NVG_WIRE_RECORD_PACK_MAX];
    size_t len = nvg_wire_record_pack(pkt, body);
    /* An empty record is still a repeated element: written with length 0. */
    *p++ = TAG(4, WT_LEN);
    p = put_varint(p, len);
    memcpy(p, body, len);
    return p + len;
}

uint8_t *nvg_wire_batch_put_flow(uint8_t *p, const ProtobufCMessage *flow)
{
    *p++ = TAG(6, WT_LEN);
    p = put_varint(p, protobuf_c_message_get_packed_size(flow));
    return p + protobuf_c_message_pack(flow, p);
}

static uint8_t *put_batch_head(uint8_t *p, const char *sensor, uint64_t boot_id, uint64_t seq)
{
    p = put_bytes(p, TAG(1, WT_LEN), sensor, strlen(sensor));
    p = put_uint(p, TAG(2, WT_VARINT), boot_id);
    return put_uint(p, TAG(3, WT_VARINT), seq);
}

size_t nvg_wire_batch_pack(uint8_t *out, const char *sensor, uint64_t boot_id, uint64_t seq,
                           const struct nvg_pkt *pkts, size_t n, uint64_t feed_offset)
{
    uint8_t *p = put_batch_head(out, sensor, boot_id, seq);
    for (size_t i = 0; i < n; i++)
        p = nvg_wire_batch_put_record(p, &pkts[i]);
    p = put_uint(p, TAG(5, WT_VARINT), feed_offset);
    return (size_t)(p - out);
}

static size_t uint_len(uint64_t v)
{
    return v ? 1 + varint_len(v) : 0;
}

size_t nvg_wire_message_head_bound(const char *sensor)
{
    /* version (tag + 5), batch (tag + 10), sensor (tag + 10 + name), boot_id, seq (tag + 10) */
    return 6 + 11 + 11 + strlen(sensor) + 11 + 11;
}

uint8_t *nvg_wire_message_head(uint8_t *rest, uint32_t version, const char *sensor,
                               uint64_t boot_id, uint64_t seq, size_t rest_len, size_t *len)
{
    size_t name = strlen(sensor);
    size_t batch_len =
        (name ? 1 + varint_len(name) + name : 0) + uint_len(boot_id) + uint_len(seq) + rest_len;
    size_t msg_len = uint_len(version) + 1 + varint_len(batch_len);
    uint8_t *start = rest - (batch_len - rest_len) - msg_len;
    uint8_t *p = put_uint(start, TAG(1, WT_VARINT), version);
    p = put_varint(p, TAG(3, WT_LEN));
    p = put_varint(p, batch_len);
    put_batch_head(p, sensor, boot_id, seq);
    *len = msg_len + batch_len;
    return start;
}
