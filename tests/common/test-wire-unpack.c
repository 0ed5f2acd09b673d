/* The direct batch decoder (common/nvg-wire-unpack.c) against protobuf-c's unpack: it takes
 * every canonical batch, and whatever it accepts — of those batches and of a million mutations
 * of them (bytes flipped, cut, inserted, duplicated) — protobuf-c accepts too, with the same
 * content (both packed again compare equal byte for byte). What it declines, protobuf-c
 * decides alone, so it cannot change what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netvigil.pb-c.h"
#include "nvg-wire-unpack.h"
#include "nvg-wire.h"

static uint64_t rng = 0x2545f4914f6cdd1du;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_pkt(struct nvg_pkt *p)
{
    memset(p, 0, sizeof(*p));
    p->ts_ns = (int64_t)(next() >> (next() % 64));
    p->ip_version = (uint8_t)(next() % 4 == 0 ? 0 : next() % 2 ? 4 : 6);
    for (int i = 0; i < 16; i++) {
        p->src[i] = (uint8_t)next();
        p->dst[i] = (uint8_t)next();
    }
    p->proto = (uint8_t)(next() % NVG_PROTO_COUNT);
    p->ip_proto = (uint8_t)next();
    p->sport = (uint16_t)(next() % 3 ? next() : 0);
    p->dport = (uint16_t)next();
    p->tcp_flags = (uint16_t)(next() & 0x1ff);
    p->ttl = (uint8_t)next();
    p->wire_len = (uint32_t)(next() % 70000);
    p->cap_len = p->wire_len;
    p->flags = (uint16_t)(next() & 0x3ff);
    p->payload_len = (uint8_t)(next() % 4 ? 0 : next() % (NVG_PAYLOAD_MAX + 1));
    for (int i = 0; i < 6; i++)
        p->src_mac[i] = (uint8_t)next();
}

/* SensorMessage{version, Batch{n random records}} as the sensor packs it. */
static size_t make_message(uint8_t *out, size_t n, const char *name)
{
    struct nvg_pkt pkts[64];
    Netvigil__PacketRecord recs[64], *ptrs[64];
    for (size_t i = 0; i < n; i++) {
        random_pkt(&pkts[i]);
        nvg_wire_record_to_pb(&pkts[i], &recs[i]);
        ptrs[i] = &recs[i];
    }
    Netvigil__Batch b = NETVIGIL__BATCH__INIT;
    b.sensor = (char *)name;
    b.boot_id = next();
    b.seq = next() % 100000;
    b.n_records = n;
    b.records = ptrs;
    /* Conversation records ride along in some batches. */
    Netvigil__FlowRecord fr[3], *fptrs[3];
    Netvigil__FlowDirection dir[3];
    static uint8_t a4[4] = {10, 0, 0, 1};
    size_t nf = next() % 3 == 0 ? (size_t)(next() % 4) : 0;
    for (size_t i = 0; i < nf; i++) {
        netvigil__flow_record__init(&fr[i]);
        netvigil__flow_direction__init(&dir[i]);
        fr[i].format = 1;
        fr[i].id = next();
        fr[i].ip_version = 4;
        fr[i].orig.len = fr[i].resp.len = 4;
        fr[i].orig.data = fr[i].resp.data = a4;
        fr[i].state = "SF";
        fr[i].history = "ShADadFf";
        dir[i].packets = next() % 1000;
        fr[i].orig_dir = &dir[i];
        fptrs[i] = &fr[i];
    }
    b.n_flows = nf;
    b.flows = fptrs;
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.protocol_version = NVG_PROTOCOL_VERSION;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_BATCH;
    m.batch = &b;
    return protobuf_c_message_pack(&m.base, out);
}

static size_t repack(const Netvigil__SensorMessage *m, uint8_t **out)
{
    size_t len = protobuf_c_message_get_packed_size(&m->base);
    *out = malloc(len + 1);
    protobuf_c_message_pack(&m->base, *out);
    return len;
}

static struct nvg_pkt room_pkts[NVG_BATCH_MAX_RECORDS];

static struct nvg_pkt *room_for(void *ud, size_t n)
{
    (void)ud;
    return n <= NVG_BATCH_MAX_RECORDS ? room_pkts : NULL;
}

/* The records converted in place: those nvg_wire_record_from_pb makes of protobuf-c's, and
 * taken exactly when all of protobuf-c's convert (else the caller refuses the batch). */
static void compare_converted(struct nvg_arena *fa, struct nvg_arena *sa, const uint8_t *msg,
                              size_t len)
{
    struct nvg_wire_pkt_room room = {room_for, NULL};
    bool converted;
    Netvigil__SensorMessage *fast =
        nvg_wire_unpack_batch_pkts(nvg_arena_allocator(fa), len, msg, &room, &converted);
    Netvigil__SensorMessage *slow =
        netvigil__sensor_message__unpack(nvg_arena_allocator(sa), len, msg);
    bool all_valid = slow && slow->body_case == NETVIGIL__SENSOR_MESSAGE__BODY_BATCH;
    for (size_t i = 0; all_valid && i < slow->batch->n_records; i++) {
        struct nvg_pkt want;
        all_valid = nvg_wire_record_from_pb(slow->batch->records[i], &want) == 0;
        if (all_valid && fast && converted)
            assert_memory_equal(&room_pkts[i], &want, sizeof(want));
    }
    if (fast && slow && slow->batch->n_records)
        assert_true(converted);
    if (fast && converted) {
        assert_true(all_valid);
        assert_int_equal(fast->batch->n_records, slow->batch->n_records);
        assert_null(fast->batch->records);
    }
    nvg_arena_reset(fa);
    nvg_arena_reset(sa);
}

/* Returns whether the fast decoder took the message; fails the test if it took one protobuf-c
 * reads differently or refuses. */
static bool compare(struct nvg_arena *fa, struct nvg_arena *sa, const uint8_t *msg, size_t len)
{
    compare_converted(fa, sa, msg, len);
    Netvigil__SensorMessage *fast =
        nvg_wire_unpack_batch_message(nvg_arena_allocator(fa), len, msg);
    bool took = fast != NULL;
    if (fast) {
        Netvigil__SensorMessage *slow =
            netvigil__sensor_message__unpack(nvg_arena_allocator(sa), len, msg);
        assert_non_null(slow);
        uint8_t *a, *b;
        size_t alen = repack(fast, &a), blen = repack(slow, &b);
        assert_int_equal(alen, blen);
        assert_memory_equal(a, b, alen);
        free(a);
        free(b);
    }
    nvg_arena_reset(fa);
    nvg_arena_reset(sa);
    return took;
}

static void test_canonical(void **state)
{
    (void)state;
    struct nvg_arena *fa = nvg_arena_new(0), *sa = nvg_arena_new(0);
    uint8_t msg[64 * 256];
    for (int i = 0; i < 2000; i++) {
        size_t len = make_message(msg, (size_t)(next() % 65), i % 7 ? "web-1" : "");
        assert_true(compare(fa, sa, msg, len)); /* the fast way is taken */
    }
    nvg_arena_free(fa);
    nvg_arena_free(sa);
}

static void test_mutations(void **state)
{
    (void)state;
    struct nvg_arena *fa = nvg_arena_new(0), *sa = nvg_arena_new(0);
    uint8_t base[64 * 256], msg[64 * 256 + 64];
    unsigned took = 0, total = 0;
    for (int round = 0; round < 20000; round++) {
        size_t blen = make_message(base, (size_t)(next() % 8), "s1");
        for (int k = 0; k < 50; k++) {
            size_t len = blen;
            memcpy(msg, base, blen);
            unsigned op = (unsigned)(next() % 4), at = (unsigned)(next() % blen);
            if (op == 0) {
                msg[at] ^= (uint8_t)(1u << (next() % 8));
            } else if (op == 1) {
                len = at; /* cut */
            } else if (op == 2) {
                memmove(msg + at + 1, msg + at, blen - at);
                msg[at] = (uint8_t)next();
                len++;
            } else {
                unsigned n = (unsigned)(next() % 16);
                if (at + n > blen)
                    n = (unsigned)(blen - at);
                memcpy(msg + blen, msg + at, n); /* a stretch repeated at the end */
                len += n;
            }
            took += compare(fa, sa, msg, len);
            total++;
        }
    }
    print_message("mutations: %u of %u taken by the fast decoder, all agreeing\n", took, total);
    nvg_arena_free(fa);
    nvg_arena_free(sa);
}

/* Forms it leaves to protobuf-c: other bodies, a non-ASCII name, unknown fields. */
static void test_declines(void **state)
{
    (void)state;
    struct nvg_arena *a = nvg_arena_new(0);
    ProtobufCAllocator *al = nvg_arena_allocator(a);
    Netvigil__Hello h = NETVIGIL__HELLO__INIT;
    h.sensor = "s1";
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.protocol_version = 1;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_HELLO;
    m.hello = &h;
    uint8_t buf[256];
    size_t len = protobuf_c_message_pack(&m.base, buf);
    assert_null(nvg_wire_unpack_batch_message(al, len, buf));
    Netvigil__Batch b = NETVIGIL__BATCH__INIT;
    b.sensor = "s\xc3\xa9";
    b.seq = 1;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_BATCH;
    m.batch = &b;
    len = protobuf_c_message_pack(&m.base, buf);
    assert_null(nvg_wire_unpack_batch_message(al, len, buf));
    b.sensor = "s1";
    len = protobuf_c_message_pack(&m.base, buf);
    assert_non_null(nvg_wire_unpack_batch_message(al, len, buf));
    buf[len++] = (9 << 3) | 0; /* unknown field 9 of SensorMessage */
    buf[len++] = 1;
    assert_null(nvg_wire_unpack_batch_message(al, len, buf));
    nvg_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_declines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
