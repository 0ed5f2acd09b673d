/* Records on the wire: round trip, strict validation, hostile bytes, the arena and the batch
 * encoder (common/nvg-wire.c); and the ZeroMQ helpers that put messages on it: endpoints,
 * sockets with our options, protobuf sends (common/nvg-zmq.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "nvg-error.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static void make_pkt(struct nvg_pkt *p, int i, int ip_version, bool payload)
{
    memset(p, 0, sizeof(*p));
    p->ts_ns = 1722193121123456789LL + i;
    p->wire_len = 1514 + (uint32_t)i;
    p->cap_len = 96;
    p->ip_version = (uint8_t)ip_version;
    int alen = ip_version == 4 ? 4 : ip_version == 6 ? 16 : 0;
    for (int k = 0; k < alen; k++) {
        p->src[k] = (uint8_t)(k + 1 + i);
        p->dst[k] = (uint8_t)(200 - k - i);
    }
    p->proto = ip_version == 0 ? NVG_PROTO_OTHER : NVG_PROTO_TCP;
    p->ip_proto = 6;
    p->ttl = 255;
    p->sport = 65535;
    p->dport = (uint16_t)(1 + i);
    p->tcp_flags = 0x1ff;
    p->vlan_id = 4095;
    p->icmp_type = 255;
    p->icmp_code = 254;
    p->payload_kind = NVG_PAYLOAD_PADDING;
    p->flags = 0x3ff;
    for (int k = 0; k < 6; k++) {
        p->src_mac[k] = (uint8_t)(0xa0 + k + i);
        p->dst_mac[k] = (uint8_t)(0x50 - k);
    }
    p->event = NVG_EV_COUNT - 1;
    if (payload) {
        p->payload_len = NVG_PAYLOAD_MAX;
        for (int k = 0; k < NVG_PAYLOAD_MAX; k++)
            p->payload[k] = (uint8_t)(k * 3 + i);
    }
}

/* Through real bytes: to_pb, pack, unpack, from_pb. */
static void roundtrip(const struct nvg_pkt *in, struct nvg_pkt *out)
{
    Netvigil__PacketRecord pb;
    nvg_wire_record_to_pb(in, &pb);
    size_t len = protobuf_c_message_get_packed_size(&pb.base);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(&pb.base, buf), len);
    Netvigil__PacketRecord *back = netvigil__packet_record__unpack(NULL, len, buf);
    assert_non_null(back);
    memset(out, 0x5a, sizeof(*out));
    assert_int_equal(nvg_wire_record_from_pb(back, out), 0);
    netvigil__packet_record__free_unpacked(back, NULL);
    free(buf);
}

static void test_roundtrip_every_field(void **state)
{
    (void)state;
    static const int versions[] = {4, 6, 0};
    for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
        for (int payload = 0; payload <= 1; payload++) {
            struct nvg_pkt in, out;
            make_pkt(&in, 7, versions[v], payload);
            roundtrip(&in, &out);
            assert_memory_equal(&in, &out, sizeof(in));
        }
    }
    /* all zero: proto3 sends nothing at all, and that is a valid record */
    struct nvg_pkt zero, out;
    memset(&zero, 0, sizeof(zero));
    roundtrip(&zero, &out);
    assert_memory_equal(&zero, &out, sizeof(zero));
    /* negative time (before 1970) survives sfixed64 */
    zero.ts_ns = -5;
    roundtrip(&zero, &out);
    assert_int_equal(out.ts_ns, -5);
}

static void test_to_pb_clamps_payload(void **state)
{
    (void)state;
    struct nvg_pkt p;
    make_pkt(&p, 0, 4, true);
    p.payload_len = 200; /* a bug upstream must not make us read past payload[] */
    Netvigil__PacketRecord pb;
    nvg_wire_record_to_pb(&p, &pb);
    assert_int_equal(pb.payload.len, NVG_PAYLOAD_MAX);
    p.ip_version = 9; /* nonsense version: no address bytes */
    nvg_wire_record_to_pb(&p, &pb);
    assert_int_equal(pb.src.len, 0);
    assert_int_equal(pb.dst.len, 0);
}

enum mutation {
    M_SRC5,
    M_DST5,
    M_VER7,
    M_V6_WITH_V4_ADDR,
    M_V0_WITH_ADDR,
    M_PROTO,
    M_PROTO_NEG,
    M_IP_PROTO,
    M_SPORT,
    M_DPORT,
    M_TCP_FLAGS,
    M_ICMP_TYPE,
    M_ICMP_CODE,
    M_TTL,
    M_VLAN,
    M_PAYLOAD_KIND,
    M_FLAGS,
    M_EVENT,
    M_PAYLOAD_LONG,
    M_SRC_MAC5,
    M_DST_MAC_MISSING,
    M_MAC_WITHOUT_FLAG,
    M_COUNT
};

/* The mutations of one field to a value out of its range. */
static void mutate_value(Netvigil__PacketRecord *pb, enum mutation m)
{
    switch (m) {
    case M_VER7:
        pb->ip_version = 7;
        break;
    case M_V6_WITH_V4_ADDR:
        pb->ip_version = 6;
        break;
    case M_V0_WITH_ADDR:
        pb->ip_version = 0;
        break;
    case M_PROTO:
        pb->proto = (Netvigil__Protocol)NVG_PROTO_COUNT;
        break;
    case M_PROTO_NEG:
        pb->proto = (Netvigil__Protocol)-1;
        break;
    case M_IP_PROTO:
        pb->ip_proto = 256;
        break;
    case M_SPORT:
        pb->sport = 70000;
        break;
    case M_DPORT:
        pb->dport = 65536;
        break;
    case M_TCP_FLAGS:
        pb->tcp_flags = 0x200;
        break;
    case M_ICMP_TYPE:
        pb->icmp_type = 256;
        break;
    case M_ICMP_CODE:
        pb->icmp_code = 1000;
        break;
    case M_TTL:
        pb->ttl = 256;
        break;
    case M_VLAN:
        pb->vlan_id = 4096;
        break;
    case M_PAYLOAD_KIND:
        pb->payload_kind = (Netvigil__PayloadKind)3;
        break;
    case M_FLAGS:
        pb->flags = 0x400;
        break;
    case M_EVENT:
        pb->event = NVG_EV_COUNT;
        break;
    default: /* the byte-string mutations, in mutate() */
        break;
    }
}

static void mutate(Netvigil__PacketRecord *pb, enum mutation m, uint8_t *scratch)
{
    switch (m) {
    case M_SRC5:
        pb->src.len = 5, pb->src.data = scratch;
        break;
    case M_DST5:
        pb->dst.len = 5, pb->dst.data = scratch;
        break;
    case M_PAYLOAD_LONG:
        pb->payload.len = NVG_PAYLOAD_MAX + 1, pb->payload.data = scratch;
        break;
    case M_SRC_MAC5:
        pb->src_mac.len = 5;
        break;
    case M_DST_MAC_MISSING:
        pb->dst_mac.len = 0, pb->dst_mac.data = NULL;
        break;
    case M_MAC_WITHOUT_FLAG:
        pb->flags &= ~NVG_PKT_HAS_MAC;
        break;
    default:
        mutate_value(pb, m);
        break;
    }
}

static void test_rejects_each_bad_field(void **state)
{
    (void)state;
    uint8_t scratch[256] = {0};
    for (int m = 0; m < M_COUNT; m++) {
        struct nvg_pkt in, out;
        make_pkt(&in, 1, 4, true);
        Netvigil__PacketRecord pb;
        nvg_wire_record_to_pb(&in, &pb);
        assert_int_equal(nvg_wire_record_from_pb(&pb, &out), 0);
        mutate(&pb, (enum mutation)m, scratch);
        /* also through real bytes, as a hostile peer would send it */
        size_t len = protobuf_c_message_get_packed_size(&pb.base);
        uint8_t *buf = malloc(len);
        assert_non_null(buf);
        protobuf_c_message_pack(&pb.base, buf);
        Netvigil__PacketRecord *back = netvigil__packet_record__unpack(NULL, len, buf);
        assert_non_null(back);
        if (nvg_wire_record_from_pb(back, &out) != NVG_EMALFORMED)
            fail_msg("mutation %d was accepted", m);
        assert_int_equal(nvg_wire_record_from_pb(&pb, &out), NVG_EMALFORMED);
        netvigil__packet_record__free_unpacked(back, NULL);
        free(buf);
    }
}

static uint8_t *pack_batch(struct nvg_batch_encoder *enc, uint64_t seq, size_t *len)
{
    const uint8_t *out;
    assert_int_equal(nvg_batch_encoder_pack(enc, seq, &out, len), 0);
    uint8_t *copy = malloc(*len);
    assert_non_null(copy);
    memcpy(copy, out, *len);
    return copy;
}

static void test_batch_roundtrip_arena(void **state)
{
    (void)state;
    enum { MAX = 100, ROUNDS = 500 };
    struct nvg_batch_encoder *enc = nvg_batch_encoder_new("sensor-a", 0xfeedbeefcafe, MAX);
    struct nvg_arena *arena = nvg_arena_new(4096); /* small chunks: many chunks per batch */
    assert_non_null(enc);
    assert_non_null(arena);
    static struct nvg_pkt in[MAX];
    for (int round = 0; round < ROUNDS; round++) {
        size_t n = (size_t)(round % MAX) + 1;
        for (size_t i = 0; i < n; i++) {
            make_pkt(&in[i], (int)(i + (size_t)round), i % 3 == 0 ? 6 : 4, i % 2 == 0);
            assert_int_equal(nvg_batch_encoder_add(enc, &in[i]), i + 1);
        }
        assert_int_equal(nvg_batch_encoder_count(enc), n);
        size_t len;
        uint8_t *buf = pack_batch(enc, (uint64_t)round + 1, &len);
        assert_int_equal(nvg_batch_encoder_count(enc), 0);
        Netvigil__SensorMessage *m =
            netvigil__sensor_message__unpack(nvg_arena_allocator(arena), len, buf);
        assert_non_null(m);
        assert_int_equal(m->protocol_version, NVG_PROTOCOL_VERSION);
        assert_int_equal(m->body_case, NETVIGIL__SENSOR_MESSAGE__BODY_BATCH);
        assert_string_equal(m->batch->sensor, "sensor-a");
        assert_int_equal(m->batch->boot_id, 0xfeedbeefcafe);
        assert_int_equal(m->batch->seq, (uint64_t)round + 1);
        assert_int_equal(m->batch->n_records, n);
        for (size_t i = 0; i < n; i++) {
            struct nvg_pkt out;
            assert_int_equal(nvg_wire_record_from_pb(m->batch->records[i], &out), 0);
            assert_memory_equal(&in[i], &out, sizeof(out));
        }
        assert_true(nvg_arena_used(arena) > 0);
        netvigil__sensor_message__free_unpacked(m, nvg_arena_allocator(arena)); /* no-op walk */
        nvg_arena_reset(arena);
        assert_int_equal(nvg_arena_used(arena), 0);
        free(buf);
    }
    nvg_arena_free(arena);
    nvg_batch_encoder_free(enc);
}

/* The encoder packs records as they come and the head last: the bytes must be protobuf-c's
 * for the same message, records, flows and all. */
static void test_batch_encoder_is_protobuf_c(void **state)
{
    (void)state;
    enum { MAX = 64 };
    const char *names[] = {"s", "sensor-a",
                           "a-rather-long-sensor-name-of-sixty-three-bytes-xxxxxxxxxxxxxxx"};
    static struct nvg_pkt in[MAX];
    Netvigil__PacketRecord pbs[MAX], *ptrs[MAX];
    Netvigil__FlowRecord flows[3], *fptrs[3];
    for (int k = 0; k < 3; k++) {
        netvigil__flow_record__init(&flows[k]);
        flows[k].id = 1000u + (uint64_t)k * 77777u;
        flows[k].ip_version = 4;
        flows[k].export_seq = (uint32_t)k;
        fptrs[k] = &flows[k];
    }
    for (size_t t = 0; t < 3 * 40; t++) {
        const char *name = names[t % 3];
        uint64_t boot = t % 5 ? 0x123456789abcdefull * t : 0, seq = t % 7 ? t * 1000003u : 0;
        size_t n = t % MAX, nf = t % 4 == 3 ? 3 : t % 4;
        struct nvg_batch_encoder *enc = nvg_batch_encoder_new_ex(name, boot, MAX, 4096);
        assert_non_null(enc);
        for (size_t i = 0; i < n; i++) {
            make_pkt(&in[i], (int)(i * 31 + t), i % 3 == 0 ? 6 : 4, (i + t) % 2 == 0);
            nvg_batch_encoder_add(enc, &in[i]);
            nvg_wire_record_to_pb(&in[i], &pbs[i]);
            ptrs[i] = &pbs[i];
        }
        assert_true(nvg_batch_encoder_reserve_extra(enc, nf * 64));
        nvg_batch_encoder_set_flows(enc, fptrs, nf);
        Netvigil__Batch b = NETVIGIL__BATCH__INIT;
        b.sensor = (char *)name;
        b.boot_id = boot;
        b.seq = seq;
        b.n_records = n;
        b.records = ptrs;
        b.n_flows = nf;
        b.flows = fptrs;
        Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
        m.protocol_version = NVG_PROTOCOL_VERSION;
        m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_BATCH;
        m.batch = &b;
        size_t want_len = protobuf_c_message_get_packed_size(&m.base);
        uint8_t *want = malloc(want_len);
        assert_non_null(want);
        protobuf_c_message_pack(&m.base, want);
        size_t len;
        uint8_t *got = pack_batch(enc, seq, &len);
        assert_int_equal(len, want_len);
        assert_memory_equal(got, want, len);
        free(got);
        free(want);
        nvg_batch_encoder_free(enc);
    }
}

static void test_arena_alloc(void **state)
{
    (void)state;
    struct nvg_arena *a = nvg_arena_new(1024);
    ProtobufCAllocator *al = nvg_arena_allocator(a);
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 200; i++) {
            size_t sz = (size_t)(i * 7 % 250) + (size_t)(i == 0);
            uint8_t *p = al->alloc(al->allocator_data, sz);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
            memset(p, 0xee, sz);
            al->free(al->allocator_data, p);
        }
        uint8_t *big = al->alloc(al->allocator_data, 100000); /* oversize: own chunk */
        assert_non_null(big);
        memset(big, 1, 100000);
        assert_non_null(al->alloc(al->allocator_data, 0));
        nvg_arena_reset(a);
    }
    nvg_arena_set_limit(a, 4096);
    assert_non_null(al->alloc(al->allocator_data, 4000));
    assert_null(al->alloc(al->allocator_data, 200));
    nvg_arena_reset(a);
    assert_non_null(al->alloc(al->allocator_data, 200));
    nvg_arena_free(a);
    nvg_arena_free(NULL);
}

/* Every prefix and every single-byte corruption of a real batch: unpack either fails (NULL) or
 * yields a message; nothing crashes (ASan/UBSan catch what a plain run would not). */
static void test_truncated_and_garbage(void **state)
{
    (void)state;
    struct nvg_batch_encoder *enc = nvg_batch_encoder_new("s", 1, 8);
    for (int i = 0; i < 8; i++) {
        struct nvg_pkt p;
        make_pkt(&p, i, i % 2 ? 6 : 4, true);
        nvg_batch_encoder_add(enc, &p);
    }
    size_t len;
    uint8_t *buf = pack_batch(enc, 9, &len);
    struct nvg_arena *arena = nvg_arena_new(0);
    ProtobufCAllocator *al = nvg_arena_allocator(arena);
    size_t nulls = 0;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size, so ASan sees any overread */
        memcpy(copy, buf, cut);
        Netvigil__SensorMessage *m = netvigil__sensor_message__unpack(al, cut, copy);
        nulls += m == NULL;
        if (m && m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY_BATCH) {
            struct nvg_pkt out;
            for (size_t i = 0; i < m->batch->n_records; i++)
                (void)nvg_wire_record_from_pb(m->batch->records[i], &out);
        }
        nvg_arena_reset(arena);
        free(copy);
    }
    assert_true(nulls > len / 2);
    srand(12345);
    uint8_t *copy = malloc(len);
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(copy, buf, len);
        int flips = 1 + rand() % 4;
        for (int f = 0; f < flips; f++)
            copy[rand() % (int)len] = (uint8_t)rand();
        Netvigil__SensorMessage *m = netvigil__sensor_message__unpack(al, len, copy);
        if (m && m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY_BATCH && m->batch) {
            struct nvg_pkt out;
            for (size_t i = 0; i < m->batch->n_records; i++)
                (void)nvg_wire_record_from_pb(m->batch->records[i], &out);
        }
        nvg_arena_reset(arena);
    }
    for (int iter = 0; iter < 5000; iter++) { /* pure noise */
        size_t n = (size_t)(rand() % (int)len) + 1;
        for (size_t k = 0; k < n; k++)
            copy[k] = (uint8_t)rand();
        (void)netvigil__sensor_message__unpack(al, n, copy);
        nvg_arena_reset(arena);
    }
    free(copy);
    free(buf);
    nvg_arena_free(arena);
    nvg_batch_encoder_free(enc);
}

/* 4 MiB of empty records (2 bytes each) would make protobuf-c allocate ~2M structs (hundreds of
 * MiB); the arena's limit turns that into a failed unpack. */
static void test_arena_limit_stops_amplification(void **state)
{
    (void)state;
    size_t n = 2u * 1024 * 1024;
    size_t body = 2 * n;
    uint8_t *buf = malloc(body + 32);
    size_t off = 0;
    buf[off++] = 0x1a; /* SensorMessage.batch (3), length-delimited */
    size_t v = body;
    while (v >= 0x80) {
        buf[off++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    buf[off++] = (uint8_t)v;
    for (size_t i = 0; i < n; i++) {
        buf[off++] = 0x22; /* Batch.records (4), length 0 */
        buf[off++] = 0x00;
    }
    struct nvg_arena *arena = nvg_arena_new(0);
    Netvigil__SensorMessage *m =
        netvigil__sensor_message__unpack(nvg_arena_allocator(arena), off, buf);
    assert_null(m);
    nvg_arena_reset(arena);
    nvg_arena_free(arena);
    free(buf);
}

static void test_encoder_limits(void **state)
{
    (void)state;
    assert_null(nvg_batch_encoder_new(NULL, 1, 10));
    assert_null(nvg_batch_encoder_new("s", 1, 0));
    assert_null(nvg_batch_encoder_new("s", 1, NVG_BATCH_MAX_RECORDS + 1));
    nvg_batch_encoder_free(NULL);

    /* worst-case records fill the bound exactly as computed; pack asserts it */
    char name[300];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct nvg_batch_encoder *enc = nvg_batch_encoder_new(name, UINT64_MAX, 4);
    struct nvg_pkt p;
    make_pkt(&p, 0, 6, true);
    p.wire_len = p.cap_len = UINT32_MAX;
    p.proto = 255; /* out-of-range values still pack within the bound */
    p.ip_proto = 255;
    p.payload_kind = 255;
    p.event = 255;
    p.ts_ns = INT64_MIN;
    for (int i = 0; i < 4; i++)
        assert_int_equal(nvg_batch_encoder_add(enc, &p), (size_t)i + 1);
    assert_int_equal(nvg_batch_encoder_add(enc, &p), 4); /* full: ignored */
    assert_int_equal(nvg_batch_encoder_max(enc), 4);
    size_t len;
    const uint8_t *out;
    assert_int_equal(nvg_batch_encoder_pack(enc, UINT64_MAX, &out, &len), 0);
    assert_true(len <= 4 * 192 + strlen(name) + 64);
    /* empty batch */
    assert_int_equal(nvg_batch_encoder_pack(enc, 2, &out, &len), 0);
    Netvigil__SensorMessage *m = netvigil__sensor_message__unpack(NULL, len, out);
    assert_non_null(m);
    assert_int_equal(m->batch->n_records, 0);
    assert_int_equal(m->batch->seq, 2);
    netvigil__sensor_message__free_unpacked(m, NULL);
    nvg_batch_encoder_add(enc, &p);
    nvg_batch_encoder_clear(enc);
    assert_int_equal(nvg_batch_encoder_count(enc), 0);
    nvg_batch_encoder_free(enc);
}

/* ---- the ZeroMQ helpers (common/nvg-zmq.c) ------------------------------------------------ */

static void test_zmq_endpoint(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(nvg_zmq_endpoint(buf, sizeof(buf), "127.0.0.1", 7700), 0);
    assert_string_equal(buf, "tcp://127.0.0.1:7700");
    assert_int_equal(nvg_zmq_endpoint(buf, sizeof(buf), "::1", 7701), 0);
    assert_string_equal(buf, "tcp://[::1]:7701");
    assert_int_equal(nvg_zmq_endpoint(buf, sizeof(buf), "[fe80::1]", 1), 0);
    assert_string_equal(buf, "tcp://[fe80::1]:1");
    assert_int_equal(nvg_zmq_endpoint(buf, sizeof(buf), "collector.example", 7702), 0);
    assert_string_equal(buf, "tcp://collector.example:7702");
    assert_int_equal(nvg_zmq_endpoint(buf, 12, "127.0.0.1", 7700), NVG_EINVAL);
    assert_int_equal(nvg_zmq_endpoint(buf, sizeof(buf), "h", 70000), NVG_EINVAL);
    assert_int_equal(nvg_zmq_endpoint(buf, sizeof(buf), "", 1), NVG_EINVAL);
}

static void test_zmq_loopback(void **state)
{
    (void)state;
    static const char *yes[] = {"127.0.0.1",
                                "127.1.2.3",
                                "localhost",
                                "LOCALHOST",
                                "::1",
                                "[::1]",
                                "[::1]:7700",
                                "127.0.0.1:7700",
                                "tcp://127.0.0.1:7700",
                                "tcp://[::1]:7700",
                                "tcp://localhost:7700",
                                "tcp://lo:7700",
                                "::ffff:127.0.0.1",
                                "inproc://x",
                                "ipc:///tmp/s",
                                "tcp://10.0.0.1;127.0.0.1:7700"};
    static const char *no[] = {"0.0.0.0",
                               "*",
                               "tcp://*:7700",
                               "10.0.0.1",
                               "tcp://10.0.0.1:7700",
                               "::",
                               "tcp://[::]:7700",
                               "128.0.0.1",
                               "tcp://eth0:7700",
                               "collector.example",
                               "",
                               "tcp://",
                               "[::1",
                               "epgm://eth0;239.1.1.1:5555",
                               "::ffff:10.0.0.1",
                               "localhost.example"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!nvg_zmq_is_loopback(yes[i]))
            fail_msg("%s should be loopback", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (nvg_zmq_is_loopback(no[i]))
            fail_msg("%s should not be loopback", no[i]);
    assert_false(nvg_zmq_is_loopback(NULL));
}

static void test_zmq_socket_and_send(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.sndhwm = 7, .rcvhwm = 9, .linger_ms = 123};
    void *a = nvg_zmq_socket(ctx, ZMQ_PAIR, &so, err);
    void *b = nvg_zmq_socket(ctx, ZMQ_PAIR, NULL, err);
    assert_non_null(a);
    assert_non_null(b);
    int64_t maxmsg = 0;
    int v = 0;
    size_t len = sizeof(maxmsg);
    assert_int_equal(zmq_getsockopt(a, ZMQ_MAXMSGSIZE, &maxmsg, &len), 0);
    assert_int_equal(maxmsg, NVG_MAX_MSG_SIZE);
    len = sizeof(v);
    zmq_getsockopt(a, ZMQ_SNDHWM, &v, &len);
    assert_int_equal(v, 7);
    zmq_getsockopt(a, ZMQ_RCVHWM, &v, &len);
    assert_int_equal(v, 9);
    zmq_getsockopt(a, ZMQ_LINGER, &v, &len);
    assert_int_equal(v, 123);
    zmq_getsockopt(b, ZMQ_LINGER, &v, &len);
    assert_int_equal(v, 0);
    assert_null(nvg_zmq_socket(ctx, 12345, NULL, err));
    assert_non_null(strstr(err, "zmq_socket"));

    assert_int_equal(zmq_bind(a, "inproc://test-send-pb"), 0);
    assert_int_equal(zmq_connect(b, "inproc://test-send-pb"), 0);
    Netvigil__Hello h = NETVIGIL__HELLO__INIT;
    h.sensor = "abc";
    h.boot_id = 99;
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.protocol_version = NVG_PROTOCOL_VERSION;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_HELLO;
    m.hello = &h;
    for (int i = 0; i < 3; i++)
        assert_int_equal(nvg_zmq_send_pb(a, &m.base, ZMQ_DONTWAIT), 0);
    for (int i = 0; i < 3; i++) {
        uint8_t buf[256];
        int n = zmq_recv(b, buf, sizeof(buf), 0);
        assert_true(n > 0);
        Netvigil__SensorMessage *back = netvigil__sensor_message__unpack(NULL, (size_t)n, buf);
        assert_non_null(back);
        assert_string_equal(back->hello->sensor, "abc");
        assert_int_equal(back->hello->boot_id, 99);
        netvigil__sensor_message__free_unpacked(back, NULL);
    }
    /* DONTWAIT on a socket that cannot send (a DEALER without a peer) reports EAGAIN */
    void *d = nvg_zmq_socket(ctx, ZMQ_DEALER, NULL, err);
    assert_non_null(d);
    assert_int_equal(nvg_zmq_send_pb(d, &m.base, ZMQ_DONTWAIT), NVG_EAGAIN);
    assert_int_equal(nvg_zmq_send_buf(d, "x", 1, ZMQ_DONTWAIT), NVG_EAGAIN);
    zmq_close(d);
    zmq_close(a);
    zmq_close(b);
    zmq_ctx_term(ctx);
}

/* A frame above NVG_MAX_MSG_SIZE never reaches the application. */
static void test_zmq_maxmsgsize(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    char err[NVG_ERRBUF_SIZE], ep[128];
    void *router = nvg_zmq_socket(ctx, ZMQ_ROUTER, NULL, err);
    assert_non_null(router);
    assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof(ep);
    assert_int_equal(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    void *d = nvg_zmq_socket(ctx, ZMQ_DEALER, NULL, err);
    assert_int_equal(zmq_connect(d, ep), 0);
    size_t big = NVG_MAX_MSG_SIZE + 1;
    uint8_t *buf = calloc(1, big);
    assert_int_equal(nvg_zmq_send_buf(d, buf, big, 0), 0);
    zmq_pollitem_t it = {.socket = router, .events = ZMQ_POLLIN};
    assert_int_equal(zmq_poll(&it, 1, 500), 0);
    free(buf);
    zmq_close(d);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_field),
        cmocka_unit_test(test_to_pb_clamps_payload),
        cmocka_unit_test(test_rejects_each_bad_field),
        cmocka_unit_test(test_batch_roundtrip_arena),
        cmocka_unit_test(test_batch_encoder_is_protobuf_c),
        cmocka_unit_test(test_arena_alloc),
        cmocka_unit_test(test_truncated_and_garbage),
        cmocka_unit_test(test_arena_limit_stops_amplification),
        cmocka_unit_test(test_encoder_limits),
        cmocka_unit_test(test_zmq_endpoint),
        cmocka_unit_test(test_zmq_loopback),
        cmocka_unit_test(test_zmq_socket_and_send),
        cmocka_unit_test(test_zmq_maxmsgsize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
