/* The direct record and batch encoder (common/nvg-wire-pack.c) against protobuf-c: the same
 * bytes for the same messages, over records with every field at zero, at its widest and
 * random, and batches of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netvigil.pb-c.h"
#include "nvg-wire-pack.h"
#include "nvg-wire.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random values, each field zero a third of the time so that omission is exercised too. */
static uint64_t pick(uint64_t max)
{
    uint64_t r = next();
    return r % 3 == 0 ? 0 : r % 3 == 1 ? max : next() % (max + 1);
}

static void random_pkt(struct nvg_pkt *p)
{
    memset(p, 0, sizeof(*p));
    p->ts_ns = (int64_t)next() * (next() % 2 ? 1 : -1) * (next() % 3 != 0);
    p->ip_version = (uint8_t)(next() % 3 == 0 ? 0 : next() % 2 ? 4 : 6);
    for (int i = 0; i < 16; i++) {
        p->src[i] = (uint8_t)next();
        p->dst[i] = (uint8_t)next();
    }
    p->proto = (uint8_t)pick(NVG_PROTO_COUNT - 1);
    p->ip_proto = (uint8_t)pick(255);
    p->ttl = (uint8_t)pick(255);
    p->sport = (uint16_t)pick(65535);
    p->dport = (uint16_t)pick(65535);
    p->tcp_flags = (uint16_t)pick(0x1ff);
    p->vlan_id = (uint16_t)pick(4095);
    p->icmp_type = (uint8_t)pick(255);
    p->icmp_code = (uint8_t)pick(255);
    p->wire_len = (uint32_t)pick(UINT32_MAX);
    p->cap_len = (uint32_t)pick(UINT32_MAX);
    p->payload_kind = (uint8_t)pick(2);
    p->flags = (uint16_t)pick(0xffff);
    p->event = (uint8_t)pick(NVG_EV_COUNT - 1);
    p->payload_len = (uint8_t)pick(NVG_PAYLOAD_MAX + 10); /* past the cap is cut at it */
    for (int i = 0; i < NVG_PAYLOAD_MAX; i++)
        p->payload[i] = (uint8_t)next();
    for (int i = 0; i < 6; i++) {
        p->src_mac[i] = (uint8_t)next();
        p->dst_mac[i] = (uint8_t)next();
    }
}

static void widest_pkt(struct nvg_pkt *p)
{
    memset(p, 0xff, sizeof(*p));
    p->ts_ns = INT64_MIN;
    p->ip_version = 6;
    p->proto = 255;
    p->payload_len = NVG_PAYLOAD_MAX;
}

static void check_record(const struct nvg_pkt *p)
{
    Netvigil__PacketRecord pb;
    nvg_wire_record_to_pb(p, &pb);
    size_t want_len = protobuf_c_message_get_packed_size(&pb.base);
    uint8_t want[512], got[NVG_WIRE_RECORD_PACK_MAX];
    assert_true(want_len <= NVG_WIRE_RECORD_PACK_MAX);
    protobuf_c_message_pack(&pb.base, want);
    size_t got_len = nvg_wire_record_pack(p, got);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
}

static void test_records(void **state)
{
    (void)state;
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    check_record(&p);
    widest_pkt(&p);
    check_record(&p);
    for (int i = 0; i < 100000; i++) {
        random_pkt(&p);
        check_record(&p);
    }
}

static void check_batch(const char *sensor, uint64_t boot, uint64_t seq, const struct nvg_pkt *pkts,
                        size_t n, uint64_t offset)
{
    Netvigil__PacketRecord *recs = calloc(n + 1, sizeof(*recs));
    Netvigil__PacketRecord **ptrs = calloc(n + 1, sizeof(*ptrs));
    for (size_t i = 0; i < n; i++) {
        nvg_wire_record_to_pb(&pkts[i], &recs[i]);
        ptrs[i] = &recs[i];
    }
    Netvigil__Batch b = NETVIGIL__BATCH__INIT;
    b.sensor = (char *)sensor;
    b.boot_id = boot;
    b.seq = seq;
    b.n_records = n;
    b.records = ptrs;
    b.feed_offset = offset;
    size_t want_len = protobuf_c_message_get_packed_size(&b.base);
    size_t bound = nvg_wire_batch_pack_bound(sensor, n);
    assert_true(want_len <= bound);
    uint8_t *want = malloc(want_len + 1), *got = malloc(bound);
    protobuf_c_message_pack(&b.base, want);
    size_t got_len = nvg_wire_batch_pack(got, sensor, boot, seq, pkts, n, offset);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(want);
    free(got);
    free(ptrs);
    free(recs);
}

static void test_batches(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct nvg_pkt *pkts = calloc(N, sizeof(*pkts));
    check_batch("", 0, 0, pkts, 0, 0);
    check_batch("s", 1, 1, pkts, 3, 0); /* all-zero records: empty elements */
    for (size_t i = 0; i < N; i++)
        random_pkt(&pkts[i]);
    check_batch("web-1", UINT64_MAX, 12345, pkts, N, UINT64_MAX);
    char long_name[64];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    for (int i = 0; i < 50; i++)
        check_batch(long_name, next(), next() % 1000, pkts + i, (size_t)(next() % 200), next());
    for (size_t i = 0; i < N; i++)
        widest_pkt(&pkts[i]);
    check_batch("w", 1, 2, pkts, N, 3);
    free(pkts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
