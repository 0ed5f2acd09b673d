/* Fuzz the sensor-link message decoding (common/nvg-wire.c): bytes -> SensorMessage unpacked
 * into the arena -> for a Batch, nvg_wire_record_from_pb on every record, exactly as the
 * collector does before it trusts a batch.
 *
 * Input: one SensorMessage body. Every accepted record is checked: its fields are in range,
 * it formats into NVG_FORMAT_LINE_MAX, and it survives to_pb -> pack -> unpack -> from_pb
 * byte for byte. The arena is reset after every input and its limit is kept small, so the
 * out-of-memory paths of protobuf-c run too. */
#include <string.h>

#include "fuzz.h"
#include "nvg-format.h"
#include "nvg-wire.h"

#define ARENA_LIMIT (4u << 20)

static struct nvg_arena *arena;

static void free_arena(void)
{
    nvg_arena_free(arena);
    arena = NULL;
}

static void check_valid(const struct nvg_pkt *pkt)
{
    FUZZ_CHECK(pkt->ip_version == 0 || pkt->ip_version == 4 || pkt->ip_version == 6);
    FUZZ_CHECK(pkt->proto < NVG_PROTO_COUNT);
    FUZZ_CHECK(pkt->payload_kind <= NVG_PAYLOAD_PADDING);
    FUZZ_CHECK(pkt->payload_len <= NVG_PAYLOAD_MAX);
    FUZZ_CHECK(pkt->event < NVG_EV_COUNT);
    FUZZ_CHECK(pkt->vlan_id <= 4095 && (pkt->tcp_flags & ~0x1ffu) == 0);
    for (unsigned i = pkt->payload_len; i < NVG_PAYLOAD_MAX; i++)
        FUZZ_CHECK(pkt->payload[i] == 0);
    char line[NVG_FORMAT_LINE_MAX];
    FUZZ_CHECK(nvg_format_csv_row(line, pkt, "fuzz", 4) < NVG_FORMAT_LINE_MAX);
    FUZZ_CHECK(nvg_format_text_line(line, pkt, "fuzz") < NVG_FORMAT_LINE_MAX);
}

/* to_pb -> pack -> unpack -> from_pb gives back the same bytes. */
static void check_round_trip(const struct nvg_pkt *pkt)
{
    Netvigil__PacketRecord pb;
    nvg_wire_record_to_pb(pkt, &pb);
    uint8_t buf[512];
    size_t n = netvigil__packet_record__get_packed_size(&pb);
    FUZZ_CHECK(n <= sizeof(buf));
    FUZZ_CHECK(netvigil__packet_record__pack(&pb, buf) == n);
    Netvigil__PacketRecord *back = netvigil__packet_record__unpack(NULL, n, buf);
    FUZZ_CHECK(back != NULL);
    struct nvg_pkt again;
    FUZZ_CHECK(nvg_wire_record_from_pb(back, &again) == 0);
    FUZZ_CHECK(memcmp(pkt, &again, sizeof(again)) == 0);
    netvigil__packet_record__free_unpacked(back, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena) {
        arena = nvg_arena_new(0);
        FUZZ_CHECK(arena != NULL);
        nvg_arena_set_limit(arena, ARENA_LIMIT);
        atexit(free_arena);
    }
    ProtobufCAllocator *alloc = nvg_arena_allocator(arena);
    Netvigil__SensorMessage *m = netvigil__sensor_message__unpack(alloc, size, data);
    FUZZ_CHECK(nvg_arena_used(arena) <= ARENA_LIMIT);
    if (m && m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY_BATCH) {
        const Netvigil__Batch *b = m->batch;
        FUZZ_CHECK(b != NULL);
        for (size_t i = 0; i < b->n_records; i++) {
            struct nvg_pkt pkt;
            memset(&pkt, 0xa5, sizeof(pkt));
            if (nvg_wire_record_from_pb(b->records[i], &pkt) == 0) {
                check_valid(&pkt);
                check_round_trip(&pkt);
            } else {
                /* "on error pkt is untouched" */
                for (size_t k = 0; k < sizeof(pkt); k++)
                    FUZZ_CHECK(((const uint8_t *)&pkt)[k] == 0xa5);
            }
        }
    }
    if (m)
        netvigil__sensor_message__free_unpacked(m, alloc);
    nvg_arena_reset(arena);
    FUZZ_CHECK(nvg_arena_used(arena) == 0);
    return 0;
}
