#include "nvg-wire-unpack.h"

#include <stdbool.h>
#include <string.h>

#include "nvg-wire.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2 };

struct rd {
    const uint8_t *p, *end;
};

/* Out of line: varints of four bytes and more, and any near the end of the buffer. */
static __attribute__((noinline)) bool get_varint_long(struct rd *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return false;
        uint8_t b = *r->p++;
        if (shift == 63 && b > 1)
            return false;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Inlined up to three bytes: tags, lengths, ports, lengths and flags of a record, which were a
 * tenth of the collector's time as calls. */
static inline __attribute__((always_inline)) bool get_varint(struct rd *r, uint64_t *v)
{
    const uint8_t *p = r->p;
    if (__builtin_expect(r->end - p >= 3, 1)) {
        if (p[0] < 0x80) {
            *v = p[0];
            r->p = p + 1;
            return true;
        }
        if (p[1] < 0x80) {
            *v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
            r->p = p + 2;
            return true;
        }
        if (p[2] < 0x80) {
            *v = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 | (uint64_t)p[2] << 14;
            r->p = p + 3;
            return true;
        }
    }
    return get_varint_long(r, v);
}

static inline __attribute__((always_inline)) bool get_tag(struct rd *r, unsigned *field,
                                                          unsigned *wt)
{
    uint64_t t;
    if (!get_varint(r, &t) || t > UINT32_MAX || (t >> 3) == 0)
        return false;
    *field = (unsigned)(t >> 3);
    *wt = (unsigned)(t & 7);
    return true;
}

static inline __attribute__((always_inline)) bool get_len(struct rd *r, struct rd *sub)
{
    uint64_t n;
    if (!get_varint(r, &n) || n > (uint64_t)(r->end - r->p))
        return false;
    sub->p = r->p;
    sub->end = r->p + n;
    r->p += n;
    return true;
}

static inline __attribute__((always_inline)) bool get_u32(struct rd *r, uint32_t *v)
{
    uint64_t x;
    if (!get_varint(r, &x) || x > UINT32_MAX)
        return false;
    *v = (uint32_t)x;
    return true;
}

/* Wire type each PacketRecord field must have (0 = no such field). */
static const uint8_t record_wt[22] = {
    [1] = WT_I64 + 8, /* +8: known; the type is the low bits */
    [2] = WT_VARINT + 8,  [3] = WT_LEN + 8,     [4] = WT_LEN + 8,     [5] = WT_VARINT + 8,
    [6] = WT_VARINT + 8,  [7] = WT_VARINT + 8,  [8] = WT_VARINT + 8,  [9] = WT_VARINT + 8,
    [10] = WT_VARINT + 8, [11] = WT_VARINT + 8, [12] = WT_VARINT + 8, [13] = WT_VARINT + 8,
    [14] = WT_VARINT + 8, [15] = WT_VARINT + 8, [16] = WT_VARINT + 8, [17] = WT_VARINT + 8,
    [18] = WT_VARINT + 8, [19] = WT_LEN + 8,    [20] = WT_LEN + 8,    [21] = WT_LEN + 8,
};

static bool set_bytes(struct rd *r, ProtobufCBinaryData *b)
{
    struct rd sub;
    if (!get_len(r, &sub))
        return false;
    b->len = (size_t)(sub.end - sub.p);
    b->data = b->len ? (uint8_t *)sub.p : NULL;
    return true;
}

/* Scalars by field number; enums are int32 on protobuf-c's side. A switch, not a table of
 * pointers: the table was built on the stack for every field. */
static bool set_scalar(Netvigil__PacketRecord *m, unsigned field, uint32_t v)
{
    switch (field) {
    case 2:
        m->ip_version = v;
        break;
    case 5:
        if (v > INT32_MAX)
            return false;
        m->proto = (Netvigil__Protocol)v;
        break;
    case 6:
        m->ip_proto = v;
        break;
    case 7:
        m->sport = v;
        break;
    case 8:
        m->dport = v;
        break;
    case 9:
        m->tcp_flags = v;
        break;
    case 10:
        m->icmp_type = v;
        break;
    case 11:
        m->icmp_code = v;
        break;
    case 12:
        m->ttl = v;
        break;
    case 13:
        m->wire_len = v;
        break;
    case 14:
        m->cap_len = v;
        break;
    case 15:
        m->vlan_id = v;
        break;
    case 16:
        if (v > INT32_MAX)
            return false;
        m->payload_kind = (Netvigil__PayloadKind)v;
        break;
    case 17:
        m->flags = v;
        break;
    case 18:
        m->event = v;
        break;
    default:
        return false;
    }
    return true;
}

static bool parse_record(struct rd r, Netvigil__PacketRecord *m)
{
    unsigned last = 0, field, wt;
    while (r.p < r.end) {
        if (!get_tag(&r, &field, &wt) || field <= last || field > 21 || record_wt[field] != wt + 8)
            return false;
        last = field;
        if (field == 1) {
            if (r.end - r.p < 8)
                return false;
            uint64_t t = 0;
            for (int i = 0; i < 8; i++)
                t |= (uint64_t)r.p[i] << (8 * i);
            r.p += 8;
            m->time_ns = (int64_t)t;
        } else if (wt == WT_LEN) {
            ProtobufCBinaryData *b = field == 3    ? &m->src
                                     : field == 4  ? &m->dst
                                     : field == 19 ? &m->payload
                                     : field == 20 ? &m->src_mac
                                                   : &m->dst_mac;
            if (!set_bytes(&r, b))
                return false;
        } else {
            uint32_t v;
            if (!get_u32(&r, &v) || !set_scalar(m, field, v))
                return false;
        }
    }
    return true;
}

struct batch_scan {
    struct rd sensor;
    bool have_sensor;
    uint64_t boot_id, seq, feed_offset;
    size_t n_records, n_flows;
};

/* First pass over the Batch: the scalars, the sensor name and how many records follow. */
static bool scan_batch(struct rd r, struct batch_scan *s)
{
    unsigned last = 0, field, wt;
    memset(s, 0, sizeof(*s));
    while (r.p < r.end) {
        if (!get_tag(&r, &field, &wt) || field < last ||
            (field == last && field != 4 && field != 6))
            return false;
        last = field;
        struct rd sub;
        if (field == 1 && wt == WT_LEN) {
            if (!get_len(&r, &s->sensor))
                return false;
            /* Names are printable ASCII; anything else (UTF-8, control bytes) goes the
             * general way, so that its checks stay the only ones. */
            for (const uint8_t *c = s->sensor.p; c < s->sensor.end; c++)
                if (*c < 0x20 || *c >= 0x7f)
                    return false;
            s->have_sensor = true;
        } else if (field == 4 && wt == WT_LEN) {
            if (!get_len(&r, &sub))
                return false;
            s->n_records++;
        } else if (field == 6 && wt == WT_LEN) {
            if (!get_len(&r, &sub))
                return false;
            s->n_flows++;
        } else if ((field == 2 || field == 3 || field == 5) && wt == WT_VARINT) {
            uint64_t *v = field == 2 ? &s->boot_id : field == 3 ? &s->seq : &s->feed_offset;
            if (!get_varint(&r, v))
                return false;
        } else {
            return false; /* unknown field or wrong type: protobuf-c decides */
        }
    }
    return true;
}

static void *take(ProtobufCAllocator *a, size_t n)
{
    return a->alloc(a->allocator_data, n ? n : 1);
}

/* Record number i: into recs (the struct path) or converted into pkts. */
static bool take_record(struct rd sub, Netvigil__PacketRecord *recs, Netvigil__PacketRecord **ptrs,
                        struct nvg_pkt *pkts, size_t i)
{
    static const Netvigil__PacketRecord rec_init = NETVIGIL__PACKET_RECORD__INIT;
    if (pkts) {
        Netvigil__PacketRecord rec = rec_init;
        return parse_record(sub, &rec) && nvg_wire_record_from_pb(&rec, &pkts[i]) == 0;
    }
    recs[i] = rec_init;
    ptrs[i] = &recs[i];
    return parse_record(sub, &recs[i]);
}

static Netvigil__Batch *build_batch(ProtobufCAllocator *a, struct rd r, const struct batch_scan *s,
                                    struct nvg_pkt *pkts)
{
    static const Netvigil__Batch batch_init = NETVIGIL__BATCH__INIT;
    Netvigil__Batch *b = take(a, sizeof(*b));
    size_t slen = s->have_sensor ? (size_t)(s->sensor.end - s->sensor.p) : 0;
    char *name = s->have_sensor ? take(a, slen + 1) : NULL;
    bool structs = s->n_records && !pkts;
    Netvigil__PacketRecord *recs = structs ? take(a, s->n_records * sizeof(*recs)) : NULL;
    Netvigil__PacketRecord **ptrs = structs ? take(a, s->n_records * sizeof(*ptrs)) : NULL;
    Netvigil__FlowRecord **flows = s->n_flows ? take(a, s->n_flows * sizeof(*flows)) : NULL;
    if (!b || (s->have_sensor && !name) || (structs && (!recs || !ptrs)) || (s->n_flows && !flows))
        return NULL;
    *b = batch_init;
    if (name) {
        memcpy(name, s->sensor.p, slen);
        name[slen] = '\0';
        b->sensor = name;
    }
    b->boot_id = s->boot_id;
    b->seq = s->seq;
    b->feed_offset = s->feed_offset;
    b->n_records = s->n_records;
    b->records = ptrs;
    b->n_flows = s->n_flows;
    b->flows = flows;
    size_t i = 0, nf = 0;
    unsigned field = 0, wt = 0;
    while (r.p < r.end) {
        (void)get_tag(&r, &field, &wt); /* the scan checked every tag */
        if (field == 6) {
            /* At most a few hundred a batch: protobuf-c's own decode, in the same allocator. */
            struct rd sub = {0};
            (void)get_len(&r, &sub);
            flows[nf] = netvigil__flow_record__unpack(a, (size_t)(sub.end - sub.p), sub.p);
            if (!flows[nf++])
                return NULL;
            continue;
        }
        if (field != 4) {
            struct rd skip;
            uint64_t v;
            if (wt == WT_LEN)
                (void)get_len(&r, &skip);
            else
                (void)get_varint(&r, &v);
            continue;
        }
        struct rd sub;
        (void)get_len(&r, &sub);
        if (!take_record(sub, recs, ptrs, pkts, i++))
            return NULL;
    }
    return b;
}

static Netvigil__SensorMessage *unpack(ProtobufCAllocator *alloc, size_t len, const uint8_t *raw,
                                       const struct nvg_wire_pkt_room *room, bool *converted)
{
    static const Netvigil__SensorMessage msg_init = NETVIGIL__SENSOR_MESSAGE__INIT;
    struct rd r = {raw, raw + len}, body = {0};
    uint32_t version = 0;
    unsigned field, wt, last = 0;
    bool have_body = false;
    while (r.p < r.end) {
        if (!get_tag(&r, &field, &wt) || field <= last)
            return NULL;
        last = field;
        if (field == 1 && wt == WT_VARINT) {
            if (!get_u32(&r, &version))
                return NULL;
        } else if (field == 3 && wt == WT_LEN) {
            if (!get_len(&r, &body))
                return NULL;
            have_body = true;
        } else {
            return NULL;
        }
    }
    struct batch_scan scan;
    if (!have_body || !scan_batch(body, &scan))
        return NULL;
    Netvigil__SensorMessage *m = take(alloc, sizeof(*m));
    if (!m)
        return NULL;
    *m = msg_init;
    m->protocol_version = version;
    m->body_case = NETVIGIL__SENSOR_MESSAGE__BODY_BATCH;
    /* A batch past the sensor's own limit gets no room: the struct path's arena cap decides. */
    struct nvg_pkt *pkts = room && scan.n_records && scan.n_records <= NVG_BATCH_MAX_RECORDS
                               ? room->room(room->ud, scan.n_records)
                               : NULL;
    m->batch = build_batch(alloc, body, &scan, pkts);
    if (m->batch && pkts)
        *converted = true;
    return m->batch ? m : NULL;
}

Netvigil__SensorMessage *nvg_wire_unpack_batch_message(ProtobufCAllocator *alloc, size_t len,
                                                       const uint8_t *raw)
{
    return unpack(alloc, len, raw, NULL, NULL);
}

Netvigil__SensorMessage *nvg_wire_unpack_batch_pkts(ProtobufCAllocator *alloc, size_t len,
                                                    const uint8_t *raw,
                                                    const struct nvg_wire_pkt_room *room,
                                                    bool *converted)
{
    *converted = false;
    return unpack(alloc, len, raw, room, converted);
}
