/* Packet records on the wire: conversion to and from protobuf with strict validation, the
 * unpack arena, and the batch encoder. See nvg-wire.h. */
#include "nvg-wire.h"

#include <assert.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-error.h"
#include "nvg-time.h"
#include "nvg-wire-pack.h"

/* ---- records --------------------------------------------------------------------------- */

static size_t addr_len(unsigned ip_version)
{
    return ip_version == 4 ? 4 : ip_version == 6 ? 16 : 0;
}

void nvg_wire_record_to_pb(const struct nvg_pkt *pkt, Netvigil__PacketRecord *pb)
{
    size_t alen = addr_len(pkt->ip_version);
    size_t plen = pkt->payload_len <= NVG_PAYLOAD_MAX ? pkt->payload_len : NVG_PAYLOAD_MAX;

    netvigil__packet_record__init(pb);
    pb->time_ns = pkt->ts_ns;
    pb->ip_version = pkt->ip_version;
    /* protobuf-c never writes through these pointers when packing. */
    pb->src.len = alen;
    pb->src.data = (uint8_t *)pkt->src;
    pb->dst.len = alen;
    pb->dst.data = (uint8_t *)pkt->dst;
    pb->proto = (Netvigil__Protocol)pkt->proto;
    pb->ip_proto = pkt->ip_proto;
    pb->sport = pkt->sport;
    pb->dport = pkt->dport;
    pb->tcp_flags = pkt->tcp_flags;
    pb->icmp_type = pkt->icmp_type;
    pb->icmp_code = pkt->icmp_code;
    pb->ttl = pkt->ttl;
    pb->wire_len = pkt->wire_len;
    pb->cap_len = pkt->cap_len;
    pb->vlan_id = pkt->vlan_id;
    pb->payload_kind = (Netvigil__PayloadKind)pkt->payload_kind;
    pb->flags = pkt->flags;
    pb->event = pkt->event;
    pb->payload.len = plen;
    pb->payload.data = plen ? (uint8_t *)pkt->payload : NULL;
    if (pkt->flags & NVG_PKT_HAS_MAC) {
        pb->src_mac.len = 6;
        pb->src_mac.data = (uint8_t *)pkt->src_mac;
        pb->dst_mac.len = 6;
        pb->dst_mac.data = (uint8_t *)pkt->dst_mac;
    }
}

#define NVG_PKT_KNOWN_FLAGS                                                                        \
    (NVG_PKT_MALFORMED | NVG_PKT_TRUNCATED | NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TTL |                 \
     NVG_PKT_HAS_VLAN | NVG_PKT_HAS_ICMP | NVG_PKT_FRAGMENT | NVG_PKT_HAS_TCPFLAGS |               \
     NVG_PKT_TIME_CLAMPED | NVG_PKT_HAS_MAC)
#define NVG_TCP_KNOWN_FLAGS 0x1ffu
#define NVG_VLAN_MAX 4095u

int nvg_wire_record_from_pb(const Netvigil__PacketRecord *pb, struct nvg_pkt *pkt)
{
    /* One branch-light check over every field: a record from the network is either entirely
     * valid or rejected whole. */
    uint32_t v = pb->ip_version;
    size_t alen = addr_len(v);
    bool bad = (v != 0 && v != 4 && v != 6) || pb->src.len != alen || pb->dst.len != alen ||
               (uint32_t)pb->proto >= NVG_PROTO_COUNT || pb->ip_proto > 0xff ||
               pb->sport > 0xffff || pb->dport > 0xffff ||
               (pb->tcp_flags & ~NVG_TCP_KNOWN_FLAGS) != 0 || pb->icmp_type > 0xff ||
               pb->icmp_code > 0xff || pb->ttl > 0xff || pb->vlan_id > NVG_VLAN_MAX ||
               (uint32_t)pb->payload_kind > NVG_PAYLOAD_PADDING ||
               (pb->flags & ~NVG_PKT_KNOWN_FLAGS) != 0 || pb->event >= NVG_EV_COUNT ||
               pb->payload.len > NVG_PAYLOAD_MAX || (alen && (!pb->src.data || !pb->dst.data)) ||
               (pb->payload.len && !pb->payload.data);
    size_t mlen = (pb->flags & NVG_PKT_HAS_MAC) ? 6 : 0;
    bad = bad || pb->src_mac.len != mlen || pb->dst_mac.len != mlen ||
          (mlen && (!pb->src_mac.data || !pb->dst_mac.data));
    if (bad)
        return NVG_EMALFORMED;

    /* Whole struct zeroed first: unused address and payload bytes (and padding) are always 0,
     * so records compare and hash by their bytes. */
    memset(pkt, 0, sizeof(*pkt));
    pkt->ts_ns = pb->time_ns;
    pkt->wire_len = pb->wire_len;
    pkt->cap_len = pb->cap_len;
    if (alen) {
        memcpy(pkt->src, pb->src.data, alen);
        memcpy(pkt->dst, pb->dst.data, alen);
    }
    pkt->ip_version = (uint8_t)v;
    pkt->proto = (uint8_t)pb->proto;
    pkt->ip_proto = (uint8_t)pb->ip_proto;
    pkt->ttl = (uint8_t)pb->ttl;
    pkt->sport = (uint16_t)pb->sport;
    pkt->dport = (uint16_t)pb->dport;
    pkt->tcp_flags = (uint16_t)pb->tcp_flags;
    pkt->vlan_id = (uint16_t)pb->vlan_id;
    pkt->icmp_type = (uint8_t)pb->icmp_type;
    pkt->icmp_code = (uint8_t)pb->icmp_code;
    pkt->payload_kind = (uint8_t)pb->payload_kind;
    pkt->flags = (uint16_t)pb->flags;
    /* sfixed64 holds any int64 and every consumer copes with any; only the ends are suspect. */
    if (nvg_time_at_limit(pkt->ts_ns))
        pkt->flags |= NVG_PKT_TIME_CLAMPED;
    pkt->event = (uint8_t)pb->event;
    pkt->payload_len = (uint8_t)pb->payload.len;
    if (pb->payload.len)
        memcpy(pkt->payload, pb->payload.data, pb->payload.len);
    if (mlen) {
        memcpy(pkt->src_mac, pb->src_mac.data, 6);
        memcpy(pkt->dst_mac, pb->dst_mac.data, 6);
    }
    return 0;
}

/* ---- arena ------------------------------------------------------------------------------ */

#define ARENA_ALIGN alignof(max_align_t)
#define ARENA_DEFAULT_CHUNK (64u * 1024u)
/* Normal chunks kept across resets, at most this many bytes (but always the first one). */
#define ARENA_KEEP_BYTES (4u * 1024u * 1024u)

struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* usable bytes in data[] */
    alignas(max_align_t) unsigned char data[];
};

struct nvg_arena {
    ProtobufCAllocator allocator; /* first: allocator_data points back at the arena */
    struct arena_chunk *chunks;   /* normal chunks in use, current one first */
    struct arena_chunk *spare;    /* normal chunks released by reset, ready for reuse */
    struct arena_chunk *big;      /* oversize requests, one chunk each, freed by reset */
    size_t chunk_size;
    size_t used;  /* bytes used in chunks (the current chunk) */
    size_t total; /* bytes handed out since the last reset */
    size_t limit;
};

static struct arena_chunk *chunk_new(size_t size)
{
    struct arena_chunk *c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->next = NULL;
    c->size = size;
    return c;
}

static void chunk_list_free(struct arena_chunk *c)
{
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
}

static void *arena_alloc(void *data, size_t size)
{
    struct nvg_arena *a = data;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size == 0)
        size = ARENA_ALIGN;
    if (size > a->limit - a->total)
        return NULL; /* protobuf-c turns this into a failed unpack */

    if (size > a->chunk_size / 4) {
        struct arena_chunk *c = chunk_new(size);
        if (!c)
            return NULL;
        c->next = a->big;
        a->big = c;
        a->total += size;
        return c->data;
    }
    if (!a->chunks || a->chunks->size - a->used < size) {
        struct arena_chunk *c = a->spare;
        if (c)
            a->spare = c->next;
        else if (!(c = chunk_new(a->chunk_size)))
            return NULL;
        c->next = a->chunks;
        a->chunks = c;
        a->used = 0;
    }
    void *p = a->chunks->data + a->used;
    a->used += size;
    a->total += size;
    return p;
}

static void arena_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr; /* everything goes at nvg_arena_reset */
}

struct nvg_arena *nvg_arena_new(size_t chunk_size)
{
    struct nvg_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    if (chunk_size < 1024)
        chunk_size = chunk_size ? 1024 : ARENA_DEFAULT_CHUNK;
    a->chunk_size = (chunk_size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    a->limit = NVG_ARENA_DEFAULT_LIMIT;
    a->allocator.alloc = arena_alloc;
    a->allocator.free = arena_free;
    a->allocator.allocator_data = a;
    a->chunks = chunk_new(a->chunk_size);
    if (!a->chunks) {
        free(a);
        return NULL;
    }
    return a;
}

void nvg_arena_free(struct nvg_arena *arena)
{
    if (!arena)
        return;
    chunk_list_free(arena->chunks);
    chunk_list_free(arena->spare);
    chunk_list_free(arena->big);
    free(arena);
}

void nvg_arena_reset(struct nvg_arena *a)
{
    chunk_list_free(a->big);
    a->big = NULL;
    /* Move the used chunks to the spare list, keeping at most ARENA_KEEP_BYTES (the first chunk
     * always), so one huge message does not pin its memory for ever. */
    size_t kept = 0;
    struct arena_chunk *c = a->spare;
    for (; c; c = c->next)
        kept += c->size;
    c = a->chunks;
    while (c) {
        struct arena_chunk *next = c->next;
        if (kept == 0 || kept + c->size <= ARENA_KEEP_BYTES) {
            c->next = a->spare;
            a->spare = c;
            kept += c->size;
        } else {
            free(c);
        }
        c = next;
    }
    a->chunks = a->spare;
    a->spare = a->chunks->next;
    a->chunks->next = NULL;
    a->used = 0;
    a->total = 0;
}

void nvg_arena_set_limit(struct nvg_arena *arena, size_t limit)
{
    arena->limit = limit ? limit : NVG_ARENA_DEFAULT_LIMIT;
}

size_t nvg_arena_used(const struct nvg_arena *arena)
{
    return arena->total;
}

ProtobufCAllocator *nvg_arena_allocator(struct nvg_arena *arena)
{
    return &arena->allocator;
}

/* ---- batch encoder ---------------------------------------------------------------------- */

/* Upper bound for one packed PacketRecord inside a Batch, from the field widths of nvg_pkt:
 * time 9, ip_version 3, src/dst 2x18, proto 3, ip_proto 3, ports 2x4, tcp_flags 4, icmp 2x3,
 * ttl 3, lengths 2x6, vlan 4, payload_kind/flags/event (two-byte tags) 3x4, payload 3+64,
 * MACs 2x9: 188, plus the repeated-field tag and length (3). A record's own bound is this less the
 * payload bytes it does not carry: cheap enough for the per-packet path, and never below the
 * real size, so a batch closed by it always packs within its byte limit. */
#define RECORD_PACKED_MAX 192u
#define RECORD_FIXED_MAX (RECORD_PACKED_MAX - NVG_PAYLOAD_MAX)
/* SensorMessage{protocol_version, Batch{sensor, boot_id, seq, records}} around the records. */
#define BATCH_OVERHEAD 64u

struct nvg_batch_encoder {
    char *sensor;
    uint64_t boot_id;
    size_t max;
    size_t count;
    size_t bytes;       /* bound of the packed batch as it stands */
    size_t bytes_limit; /* the batch closes before a worst-case record could pass this */
    size_t bytes_empty; /* bytes with no record */
    size_t extra_cap;   /* room kept in out for other repeated fields */
    size_t extra_used;
    Netvigil__FlowRecord **flows; /* lent by set_flows until the pack */
    size_t n_flows;
    /* Records are packed into out as they come (nvg-wire-pack), after head_room bytes where
     * the message head goes once seq is known; rec_end is where the next one goes. */
    uint8_t *out;
    size_t out_cap, head_room, rec_end;
};

struct nvg_batch_encoder *nvg_batch_encoder_new(const char *sensor, uint64_t boot_id,
                                                size_t max_records)
{
    return nvg_batch_encoder_new_ex(sensor, boot_id, max_records, 0);
}

struct nvg_batch_encoder *nvg_batch_encoder_new_ex(const char *sensor, uint64_t boot_id,
                                                   size_t max_records, size_t extra_cap)
{
    if (!sensor || max_records == 0 || max_records > NVG_BATCH_MAX_RECORDS)
        return NULL;
    struct nvg_batch_encoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return NULL;
    enc->sensor = strdup(sensor);
    enc->boot_id = boot_id;
    enc->max = max_records;
    enc->bytes_empty = strlen(sensor) + BATCH_OVERHEAD;
    enc->bytes = enc->bytes_empty;
    enc->bytes_limit = NVG_LINK_MAX_MSG;
    enc->extra_cap = extra_cap < NVG_LINK_MAX_MSG ? extra_cap : NVG_LINK_MAX_MSG;
    enc->head_room = nvg_wire_message_head_bound(sensor);
    /* What follows the head never passes the bound that closes the batch. */
    size_t body = max_records * RECORD_PACKED_MAX + enc->extra_cap;
    if (enc->bytes_empty < enc->bytes_limit && body > enc->bytes_limit - enc->bytes_empty)
        body = enc->bytes_limit - enc->bytes_empty;
    enc->out_cap = enc->head_room + body;
    enc->rec_end = enc->head_room;
    enc->out = malloc(enc->out_cap);
    if (!enc->sensor || !enc->out || enc->head_room > enc->bytes_empty ||
        enc->bytes_empty + RECORD_PACKED_MAX > enc->bytes_limit) {
        nvg_batch_encoder_free(enc);
        return NULL;
    }
    return enc;
}

void nvg_batch_encoder_free(struct nvg_batch_encoder *enc)
{
    if (!enc)
        return;
    free(enc->sensor);
    free(enc->out);
    free(enc);
}

bool nvg_batch_encoder_full(const struct nvg_batch_encoder *enc)
{
    return enc->count == enc->max || enc->bytes + RECORD_PACKED_MAX > enc->bytes_limit;
}

size_t nvg_batch_encoder_add(struct nvg_batch_encoder *enc, const struct nvg_pkt *pkt)
{
    if (nvg_batch_encoder_full(enc))
        return enc->count; /* caller forgot to pack; never overrun */
    uint8_t *end = nvg_wire_batch_put_record(enc->out + enc->rec_end, pkt);
    enc->rec_end = (size_t)(end - enc->out);
    size_t plen = pkt->payload_len <= NVG_PAYLOAD_MAX ? pkt->payload_len : NVG_PAYLOAD_MAX;
    enc->bytes += RECORD_FIXED_MAX + plen;
    assert(enc->rec_end - enc->head_room <= enc->bytes - enc->bytes_empty);
    return ++enc->count;
}

size_t nvg_batch_encoder_count(const struct nvg_batch_encoder *enc)
{
    return enc->count;
}

size_t nvg_batch_encoder_max(const struct nvg_batch_encoder *enc)
{
    return enc->max;
}

size_t nvg_batch_encoder_bytes(const struct nvg_batch_encoder *enc)
{
    return enc->bytes;
}

bool nvg_batch_encoder_reserve_extra(struct nvg_batch_encoder *enc, size_t n)
{
    if (n > enc->extra_cap - enc->extra_used || enc->bytes + n > enc->bytes_limit)
        return false;
    enc->extra_used += n;
    enc->bytes += n;
    return true;
}

bool nvg_batch_encoder_empty(const struct nvg_batch_encoder *enc)
{
    return enc->count == 0 && enc->extra_used == 0;
}

void nvg_batch_encoder_set_flows(struct nvg_batch_encoder *enc, Netvigil__FlowRecord **flows,
                                 size_t n)
{
    enc->flows = flows;
    enc->n_flows = n;
}

void nvg_batch_encoder_clear(struct nvg_batch_encoder *enc)
{
    enc->count = 0;
    enc->bytes = enc->bytes_empty;
    enc->extra_used = 0;
    enc->flows = NULL;
    enc->n_flows = 0;
    enc->rec_end = enc->head_room;
}

/* Batch.flows (field 6) after the records, through protobuf-c: a few per batch. */
static size_t put_flows(struct nvg_batch_encoder *enc)
{
    uint8_t *p = enc->out + enc->rec_end;
    for (size_t i = 0; i < enc->n_flows; i++)
        p = nvg_wire_batch_put_flow(p, &enc->flows[i]->base);
    return (size_t)(p - enc->out) - enc->head_room;
}

int nvg_batch_encoder_pack(struct nvg_batch_encoder *enc, uint64_t seq, const uint8_t **out,
                           size_t *out_len)
{
    /* bytes is a proven upper bound (RECORD_FIXED_MAX + payload, the flows' reservations)
     * within out_cap: the records went in as they came, the flows go after them, then the
     * head in front. Each field is packed once, with no size pass over the records. */
    size_t rest = put_flows(enc);
    assert(enc->head_room + rest <= enc->out_cap && rest <= enc->bytes - enc->bytes_empty);
    *out = nvg_wire_message_head(enc->out + enc->head_room, NVG_PROTOCOL_VERSION, enc->sensor,
                                 enc->boot_id, seq, rest, out_len);
    nvg_batch_encoder_clear(enc);
    return 0;
}

/* ---- names and the protobuf enums ----------------------------------------------------- */

/* Our enums are the wire's: a value copied from one to the other needs no table. */
#define SAME(ours, theirs) _Static_assert((int)(ours) == (int)(theirs), #ours " != " #theirs)
#define SAME_STATE(name, text) SAME(NVG_STATE_##name, NETVIGIL__SENSOR_STATE__SENSOR_STATE_##name);
#define SAME_COMMAND(name, text) SAME(NVG_COMMAND_##name, NETVIGIL__COMMAND_KIND__COMMAND_##name);
NVG_SENSOR_STATES(SAME_STATE)
NVG_COMMANDS(SAME_COMMAND)
#define SAME_PROTO(name) SAME(NVG_PROTO_##name, NETVIGIL__PROTOCOL__PROTOCOL_##name);
SAME_PROTO(OTHER)
SAME_PROTO(IPV4)
SAME_PROTO(IPV6)
SAME_PROTO(TCP)
SAME_PROTO(UDP)
SAME_PROTO(ICMP)
SAME_PROTO(ICMPV6)
SAME_PROTO(ARP)
SAME(NVG_PAYLOAD_NONE, NETVIGIL__PAYLOAD_KIND__PAYLOAD_NONE);
SAME(NVG_PAYLOAD_RAW, NETVIGIL__PAYLOAD_KIND__PAYLOAD_RAW);
SAME(NVG_PAYLOAD_PADDING, NETVIGIL__PAYLOAD_KIND__PAYLOAD_PADDING);

static const char *const state_names[NVG_STATE_COUNT] = {
#define STATE_NAME(name, text) [NVG_STATE_##name] = text,
    NVG_SENSOR_STATES(STATE_NAME)
#undef STATE_NAME
};

static const char *const command_names[NVG_COMMAND_COUNT] = {
#define COMMAND_NAME(name, text) [NVG_COMMAND_##name] = text,
    NVG_COMMANDS(COMMAND_NAME)
#undef COMMAND_NAME
};

const char *nvg_wire_command_name(Netvigil__CommandKind kind)
{
    if ((unsigned)kind >= NVG_COMMAND_COUNT)
        return "?";
    return command_names[kind];
}

const char *nvg_wire_state_name(Netvigil__SensorState state)
{
    if ((unsigned)state >= NVG_STATE_COUNT)
        return "unknown";
    return state_names[state];
}

const char *nvg_wire_summary_state(const Netvigil__SensorSummary *s)
{
    if (!s->connected)
        return "silent";
    return nvg_wire_state_name(s->last_status ? s->last_status->state
                                              : NETVIGIL__SENSOR_STATE__SENSOR_STATE_UNKNOWN);
}
