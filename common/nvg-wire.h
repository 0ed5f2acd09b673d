/* The packet record and messages on the wire (proto/netvigil.proto), shared by the sensor, the
 * collector and the clients.
 *
 * Everything that arrives from a socket is untrusted: _from_pb validates every field and length
 * before it fills a record. Decoding a batch allocates from an arena that is reset per message,
 * so a 1024-record batch costs no per-record malloc/free. */
#ifndef NVG_WIRE_H
#define NVG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "netvigil.pb-c.h"
#include "nvg-pkt.h"

#define NVG_PROTOCOL_VERSION 1u

/* Largest message any socket accepts (ZMQ_MAXMSGSIZE). A full 1024-record batch with payload is
 * well under 1 MiB. */
#define NVG_MAX_MSG_SIZE (8 * 1024 * 1024)

/* What each socket may receive (ZMQ_MAXMSGSIZE), sized to what it carries, so a peer cannot
 * make the receiver buffer more: the sensor link (7700: a Batch is the largest message), the
 * control socket (7702) and the sensor's own DEALER (Commands), and a client's feed SUB and
 * control DEALER (a Batch republished, a CollectorStatus of a full sensor table). */
#define NVG_LINK_MAX_MSG (2 * 1024 * 1024)
#define NVG_CONTROL_MAX_MSG (64 * 1024)
#define NVG_CLIENT_MAX_MSG (4 * 1024 * 1024)

#define NVG_PORT_SENSOR 7700
#define NVG_PORT_FEED 7701
#define NVG_PORT_CONTROL 7702

/* Feed topics (first frame of every PUB message); subscribers match by prefix. */
#define NVG_TOPIC_RECORDS "rec/"  /* + sensor name; body: Batch */
#define NVG_TOPIC_RATES "rates"   /* body: RateBatch */
#define NVG_TOPIC_STATUS "status" /* body: CollectorStatus */
#define NVG_TOPIC_TALKERS "talk/" /* + sensor name; body: TopTalkers */
#define NVG_TOPIC_EVENTS "event"  /* body: Event */
#define NVG_TOPIC_ALERTS "alert"  /* body: Alert */
#define NVG_TOPIC_FLOWS "flow"    /* body: FlowBatch (conversation records, issue 12) */

/* A sensor's state (SensorState) and the command kinds (CommandKind) with their names, in the
 * order and with the values of proto/netvigil.proto: X(NAME, "name"). nvg-wire.c asserts at
 * compile time that NVG_STATE_x == NETVIGIL__SENSOR_STATE__SENSOR_STATE_x and
 * NVG_COMMAND_x == NETVIGIL__COMMAND_KIND__COMMAND_x, and test-names that nothing is missing. */
#define NVG_SENSOR_STATES(X)                                                                       \
    X(UNKNOWN, "unknown")                                                                          \
    X(RUNNING, "running")                                                                          \
    X(STOPPED, "stopped")                                                                          \
    X(FINISHED, "finished") /* end of the capture file reached */                                  \
    X(ERROR, "error")

#define NVG_COMMANDS(X)                                                                            \
    X(UNSPECIFIED, "?")                                                                            \
    X(START, "start")                                                                              \
    X(STOP, "stop")                                                                                \
    X(RESTART, "restart")                                                                          \
    X(SET_FILTER, "set-filter")                                                                    \
    X(STATUS, "status")                                                                            \
    X(FORGET, "forget")                                                                            \
    X(ALERTS, "alerts")                                                                            \
    X(HOSTS, "hosts")                                                                              \
    X(PCAP, "pcap")

enum nvg_sensor_state {
#define NVG__STATE_ENUM(name, text) NVG_STATE_##name,
    NVG_SENSOR_STATES(NVG__STATE_ENUM) /* NVG_STATE_UNKNOWN, NVG_STATE_RUNNING, ... */
#undef NVG__STATE_ENUM
    NVG_STATE_COUNT
};

enum nvg_command {
#define NVG__COMMAND_ENUM(name, text) NVG_COMMAND_##name,
    NVG_COMMANDS(NVG__COMMAND_ENUM) /* NVG_COMMAND_UNSPECIFIED, NVG_COMMAND_START, ... */
#undef NVG__COMMAND_ENUM
    NVG_COMMAND_COUNT
};

/* "start", "stop", "restart", "set-filter", "status", "forget", "alerts", "hosts"; "?" for
 * anything else. */
const char *nvg_wire_command_name(Netvigil__CommandKind kind);

/* "unknown", "running", "stopped", "finished", "error"; "unknown" for anything else. */
const char *nvg_wire_state_name(Netvigil__SensorState state);
/* What a status table shows for a sensor: "silent" when the collector has not heard from it
 * lately, else the state of its last heartbeat ("unknown" without one). */
const char *nvg_wire_summary_state(const Netvigil__SensorSummary *s);

/* Fill pb from pkt. pb's byte fields point into pkt: pkt must outlive the pack. */
void nvg_wire_record_to_pb(const struct nvg_pkt *pkt, Netvigil__PacketRecord *pb);

/* Validate pb and fill pkt. Returns 0 or NVG_EMALFORMED (address length not matching the IP
 * version, out-of-range enum, port, ttl or flags, payload too long, ...). On success every byte
 * of pkt is defined (unused address/payload bytes and padding are 0); on error pkt is
 * untouched. */
int nvg_wire_record_from_pb(const Netvigil__PacketRecord *pb, struct nvg_pkt *pkt);

/* Bump allocator for protobuf-c unpacking: allocations come from big chunks and are all
 * released by nvg_arena_reset. */
struct nvg_arena;
/* chunk_size 0 = 64 KiB. Requests above chunk_size/4 get a chunk of their own. */
struct nvg_arena *nvg_arena_new(size_t chunk_size);
void nvg_arena_free(struct nvg_arena *arena);
/* Releases every allocation at once. Normal chunks are kept for reuse (up to 4 MiB, always the
 * first one); oversize chunks are freed. With an arena, *__free_unpacked() is optional: it only
 * walks the message (the arena's free is a no-op), reset is what gives the memory back. */
void nvg_arena_reset(struct nvg_arena *arena);
ProtobufCAllocator *nvg_arena_allocator(struct nvg_arena *arena);
/* Bytes the arena hands out between two resets at most; past it allocations fail, so unpack
 * returns NULL. This bounds the memory a hostile message can make us allocate: protobuf-c
 * allocates a whole struct for a 2-byte empty submessage (amplification ~80x). 0 restores the
 * default, which fits any legitimate NVG_MAX_MSG_SIZE batch. */
#define NVG_ARENA_DEFAULT_LIMIT ((size_t)64 * 1024 * 1024)
void nvg_arena_set_limit(struct nvg_arena *arena, size_t limit);
/* Bytes handed out since the last reset. */
size_t nvg_arena_used(const struct nvg_arena *arena);

/* Collects records and packs them into one SensorMessage{Batch}. _add copies the record into a
 * preallocated slot (the per-packet path); _pack encodes once per batch. A batch is full at
 * max_records or when one more worst-case record could take it past NVG_LINK_MAX_MSG (what
 * the collector's sensor socket accepts): with payload capture that comes first. Not
 * thread-safe: one encoder per thread. */
struct nvg_batch_encoder;
/* Largest max_records. Records without payload close a batch by count near the byte limit
 * (an upper bound of 128 bytes each); records with the full NVG_PAYLOAD_MAX close it by bytes
 * at about 10,900 records. */
#define NVG_BATCH_MAX_RECORDS 16384u
/* NULL when sensor is NULL, max_records is 0 or above NVG_BATCH_MAX_RECORDS, or out of memory.
 * Everything (slots, pb structs, output buffer) is allocated here, nothing later. */
struct nvg_batch_encoder *nvg_batch_encoder_new(const char *sensor, uint64_t boot_id,
                                                size_t max_records);
/* The same with room for extra_cap bytes of other repeated fields beside the records (the
 * conversation records of Batch.flows, which share the batch's byte bound). */
struct nvg_batch_encoder *nvg_batch_encoder_new_ex(const char *sensor, uint64_t boot_id,
                                                   size_t max_records, size_t extra_cap);
void nvg_batch_encoder_free(struct nvg_batch_encoder *enc);
/* Counts n more bytes of extra fields toward the batch when they fit in extra_cap and under
 * the byte bound; false (nothing counted) when they do not: pack first. */
bool nvg_batch_encoder_reserve_extra(struct nvg_batch_encoder *enc, size_t n);
/* Whether the batch holds anything: records or reserved extra bytes. */
bool nvg_batch_encoder_empty(const struct nvg_batch_encoder *enc);
/* The flow records the next _pack puts in Batch.flows; lent until then, and their packed size
 * must have been reserved (_reserve_extra). _pack and _clear forget them. */
void nvg_batch_encoder_set_flows(struct nvg_batch_encoder *enc, Netvigil__FlowRecord **flows,
                                 size_t n);
/* Returns the number of records now held; the caller packs when _full says so. A record added
 * to a full encoder is ignored (the count stays). */
size_t nvg_batch_encoder_add(struct nvg_batch_encoder *enc, const struct nvg_pkt *pkt);
/* Whether the batch must be packed before the next _add: max_records held, or the byte bound
 * leaves no room for a worst-case record. */
bool nvg_batch_encoder_full(const struct nvg_batch_encoder *enc);
size_t nvg_batch_encoder_count(const struct nvg_batch_encoder *enc);
size_t nvg_batch_encoder_max(const struct nvg_batch_encoder *enc);
/* Upper bound of what _pack would write now (never below it, at most NVG_LINK_MAX_MSG). */
size_t nvg_batch_encoder_bytes(const struct nvg_batch_encoder *enc);
/* Drop the held records without packing. */
void nvg_batch_encoder_clear(struct nvg_batch_encoder *enc);
/* Encode the held records as the batch with sequence number seq into an internal buffer and
 * empty the encoder. *out stays valid until the next call. */
int nvg_batch_encoder_pack(struct nvg_batch_encoder *enc, uint64_t seq, const uint8_t **out,
                           size_t *out_len);

#endif
