/* A direct encoder of packet records and batches in protobuf's wire format: the bytes
 * protobuf-c's pack writes for the same messages (tests/common/test-wire-pack.c compares them
 * byte for byte), without its two generic walks of the descriptors per field (size, then
 * bytes). Packing was a quarter of the collector's time when it republished every batch on
 * the feed. */
#ifndef NVG_WIRE_PACK_H
#define NVG_WIRE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "nvg-pkt.h"

/* Largest PacketRecord body one record packs to (every field at its widest, 64 payload
 * bytes, both MACs): 8 + 16 varint-tagged fields and three 16-byte addresses. */
#define NVG_WIRE_RECORD_PACK_MAX 200u

/* The PacketRecord body (no tag, no length) for pkt into out (NVG_WIRE_RECORD_PACK_MAX bytes);
 * returns its length. Fields as nvg_wire_record_to_pb sets them. */
size_t nvg_wire_record_pack(const struct nvg_pkt *pkt, uint8_t *out);

/* A Batch's record as a repeated field: tag, length and body at p (room for
 * NVG_WIRE_RECORD_PACK_MAX + 3 bytes); returns the end. */
uint8_t *nvg_wire_batch_put_record(uint8_t *p, const struct nvg_pkt *pkt);
/* A Batch's conversation record (field 6) as protobuf-c packs it, tag and length first. */
uint8_t *nvg_wire_batch_put_flow(uint8_t *p, const ProtobufCMessage *flow);

/* The sensor's batches are packed from their records on (records, then flows, as they come),
 * and the head -- SensorMessage{protocol_version, batch: Batch{sensor, boot_id, seq, ...}}
 * up to the first record -- is put in front once seq is known, in room left for it:
 * nvg_wire_message_head_bound(sensor) bytes before rest. rest_len: the bytes of records and
 * flows at rest. Returns where the message starts, its whole length in *len: the bytes
 * protobuf-c packs for the same message. */
size_t nvg_wire_message_head_bound(const char *sensor);
uint8_t *nvg_wire_message_head(uint8_t *rest, uint32_t version, const char *sensor,
                               uint64_t boot_id, uint64_t seq, size_t rest_len, size_t *len);

/* Bytes nvg_wire_batch_pack needs at most for n records under sensor. */
size_t nvg_wire_batch_pack_bound(const char *sensor, size_t n);

/* A Batch{sensor, boot_id, seq, records, feed_offset} body into out, which holds
 * nvg_wire_batch_pack_bound(sensor, n) bytes; returns its length. */
size_t nvg_wire_batch_pack(uint8_t *out, const char *sensor, uint64_t boot_id, uint64_t seq,
                           const struct nvg_pkt *pkts, size_t n, uint64_t feed_offset);

#endif
