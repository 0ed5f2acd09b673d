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

#include <stddef.h>
#include <stdint.h>

#include "netvigil.pb-c.h"

/* bytes fields (addresses, payload, MACs) point into raw, which must outlive the message;
 * the rest comes from alloc. Free as protobuf-c's (with an arena: reset it). */
Netvigil__SensorMessage *nvg_wire_unpack_batch_message(ProtobufCAllocator *alloc, size_t len,
                                                       const uint8_t *raw);

#endif
