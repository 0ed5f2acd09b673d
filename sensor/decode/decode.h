/* The packet decoder: one captured frame in, one struct nvg_pkt out.
 *
 * Pure and allocation-free: it reads only the captured bytes (never past caplen), writes only
 * the record and the decoder's counters, and never fails hard. A frame that is cut short or
 * malformed still yields a record, flagged, with whatever was safely read. Tunnels are
 * reported by their outer header. */
#ifndef NVG_DECODE_H
#define NVG_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "nvg-pkt.h"

struct nvg_decoder {
    int dlt;                       /* pcap link type (DLT_* / LINKTYPE_*) */
    unsigned payload_max;          /* payload bytes to copy per record (0: none) */
    uint64_t frames;               /* frames decoded */
    uint64_t events[NVG_EV_COUNT]; /* per named decode event */
};

void nvg_decoder_init(struct nvg_decoder *dec, int dlt, unsigned payload_max);

/* Fills *pkt (fully overwritten) from one frame. Returns 0, NVG_ETRUNC or NVG_EMALFORMED;
 * the record is valid in every case. */
int nvg_decode(struct nvg_decoder *dec, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
               int64_t ts_ns, struct nvg_pkt *pkt);

/* Whether the decoder understands this link type (others are recorded as Other). */
bool nvg_decode_link_supported(int dlt);

#endif
