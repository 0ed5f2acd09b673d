/* Conversation records on the wire: struct nvg_flow <-> FlowRecord (proto/netvigil.proto).
 *
 * _to_pb fills a FlowRecord and its two FlowDirections in place, pointing into the flow (no
 * allocation: the sensor builds its batches this way). _from_pb is the collector's and the
 * clients' gate for a peer's record: the record is taken whole or refused whole. */
#ifndef NVG_FLOW_WIRE_H
#define NVG_FLOW_WIRE_H

#include <stddef.h>

#include "netvigil.pb-c.h"
#include "nvg-flow.h"

/* Upper bound of one packed FlowRecord inside a Batch or FlowBatch, tag and length prefix
 * included: every varint at its widest for the struct's field types, both addresses 16
 * bytes, both directions present, state and history at their caps (301 bytes, rounded up). */
#define NVG_FLOW_PACKED_MAX 320u

/* Handshake halves beyond this (either sign) are saturated to it: no capture has an hour-long
 * handshake, and it keeps rtt_server_ns + rtt_client_ns far from overflowing. */
#define NVG_FLOW_RTT_MAX_NS (3600LL * 1000000000LL)

/* Fill pb and dir[2] (orig, resp) from f; pb's bytes and strings point into f, which must
 * outlive the pack. */
void nvg_flow_to_pb(const struct nvg_flow *f, Netvigil__FlowRecord *pb,
                    Netvigil__FlowDirection dir[2]);

/* Validate a peer's pb and fill f. Returns 0; NVG_EVERSION when pb->format is not
 * NVG_FLOW_FORMAT (a record whose fields mean something else: refused, never guessed at);
 * NVG_EMALFORMED for anything else out of place: ip_version not 4 or 6, an address not 4 or
 * 16 bytes as it says, an enum, port, VLAN, flag or TCP flag bit out of range, a state or
 * history with a character outside its alphabet or longer than its cap. Times are taken as
 * they are (a time at the int64 limits sets NVG_FLOW_TIME_CLAMPED), handshake halves are
 * saturated to +-NVG_FLOW_RTT_MAX_NS. On success every byte of f is defined (unused address
 * bytes, string tails and padding 0); on error f is untouched. */
int nvg_flow_from_pb(const Netvigil__FlowRecord *pb, struct nvg_flow *f);

#endif
