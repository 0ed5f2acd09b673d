/* A direct decoder for the message the collector receives most: SensorMessage{batch} of packet
 * records (and the batch's conversation records, each by protobuf-c), in the canonical form
 * protobuf-c's pack writes (each field once, in field order, records one after another, no unknown
 * fields). It builds the same structs protobuf-c's unpack would, in the same allocator, without its
 * descriptor lookups and per-field allocations: unpacking was nearly a third of the collector's
 * time in bench-pipeline.
 *
 * Anything else — another body, an unknown or repeated field, a value past its type, a
 * truncated varint — is not decided here: NULL tells the caller to unpack with protobuf-c,
 * which then accepts or refuses it exactly as before. tests/common/test-wire-unpack.c checks
 * both agree on every message it builds and mutates. */
#ifndef NVG_WIRE_UNPACK_H
#define NVG_WIRE_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netvigil.pb-c.h"
#include "nvg-pkt.h"

/* bytes fields (addresses, payload, MACs) point into raw, which must outlive the message;
 * the rest comes from alloc. Free as protobuf-c's (with an arena: reset it). */
Netvigil__SensorMessage *nvg_wire_unpack_batch_message(ProtobufCAllocator *alloc, size_t len,
                                                       const uint8_t *raw);

/* Where the decoder may put a batch's records converted at once (nvg_wire_record_from_pb, the
 * same validation): room(ud, n) gives n records or NULL. Each record goes from the bytes to
 * struct nvg_pkt through one protobuf-c struct on the stack, instead of an array of them in the
 * arena read back afterwards (a batch's structs are larger than the CPU's second-level cache).
 * On success *converted says the batch's records are in the room (Batch.records is NULL,
 * n_records their count). A record that fails the conversion makes the call return NULL, so
 * the caller's general path meets it and refuses the batch as before. */
struct nvg_wire_pkt_room {
    struct nvg_pkt *(*room)(void *ud, size_t n);
    void *ud;
};
Netvigil__SensorMessage *nvg_wire_unpack_batch_pkts(ProtobufCAllocator *alloc, size_t len,
                                                    const uint8_t *raw,
                                                    const struct nvg_wire_pkt_room *room,
                                                    bool *converted);

#endif
