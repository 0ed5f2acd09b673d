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

/* The link types the decoder knows (tcpdump.org/linktypes.html), as the numbers
 * pcap_datalink() returns, in ascending order: X(NAME, number, layer), where layer names the
 * nvg__decode_<layer>() that starts the decode. Both the DLT_ value of the running platform and
 * the file's LINKTYPE_ value are listed where they differ (raw IP is DLT_RAW 12 on Linux, 14 on
 * OpenBSD, LINKTYPE_RAW 101 in files). */
#define NVG_DECODE_LINK_TYPES(X)                                                                   \
    X(NULL, 0, null) /* BSD loopback: a 4-byte address family */                                   \
    X(ETHERNET, 1, ether)                                                                          \
    X(PPP, 9, ppp)                                                                                 \
    X(RAW_DLT, 12, raw)                                                                            \
    X(RAW_OPENBSD, 14, raw)                                                                        \
    X(PPP_HDLC, 50, ppp_hdlc)                                                                      \
    X(RAW, 101, raw)                                                                               \
    X(LOOP, 108, null) /* OpenBSD loopback: the family in network order */                         \
    X(LINUX_SLL, 113, sll)                                                                         \
    X(IPV4, 228, ipv4)                                                                             \
    X(IPV6, 229, ipv6)                                                                             \
    X(LINUX_SLL2, 276, sll2)

/* NVG_LINKTYPE_ETHERNET = 1, ... */
enum nvg_linktype {
#define NVG__LINKTYPE_ENUM(name, number, layer) NVG_LINKTYPE_##name = number,
    NVG_DECODE_LINK_TYPES(NVG__LINKTYPE_ENUM) /* NVG_LINKTYPE_NULL, NVG_LINKTYPE_ETHERNET, ... */
#undef NVG__LINKTYPE_ENUM
};

/* What the flow table needs of the last decoded frame beyond the packet record (which is the
 * wire record, copied per packet, so it does not grow for this). Valid until the next
 * nvg_decode on the same decoder; every field is reset per frame. */
struct nvg_l4_info {
    bool tcp;            /* the 20-byte TCP header was captured and its data offset fits */
    bool udp;            /* the 8-byte UDP header was captured */
    bool icmp_echo;      /* ICMP/ICMPv6 echo request or reply: icmp_id valid */
    int8_t wscale;       /* window scale option, -1 when absent (capped at 14 as RFC 7323) */
    bool sack_perm;      /* SACK-permitted option */
    uint8_t sack_blocks; /* SACK blocks in this segment's SACK option (0..4) */
    uint8_t tcp_hdr_len; /* TCP header bytes, options included */
    uint16_t window;     /* raw window field, unscaled */
    uint16_t mss;        /* MSS option, 0 when absent */
    uint16_t icmp_id;
    uint32_t seq, ack;
    /* TCP or UDP payload bytes by the headers' declared lengths (IP total length, UDP length),
     * not by the capture: what Wireshark calls tcp.len / the UDP payload. */
    uint32_t payload_len;
};

struct nvg_decoder {
    int dlt;                       /* pcap link type (DLT_* / LINKTYPE_*) */
    unsigned payload_max;          /* payload bytes to copy per record (0: none) */
    bool macs;                     /* fill src_mac/dst_mac (NVG_PKT_HAS_MAC); off by default */
    uint64_t frames;               /* frames decoded */
    uint64_t events[NVG_EV_COUNT]; /* per named decode event */
    struct nvg_l4_info l4;         /* of the last decoded frame */
};

void nvg_decoder_init(struct nvg_decoder *dec, int dlt, unsigned payload_max);

/* Fills *pkt (fully overwritten) from one frame. Returns 0, NVG_ETRUNC or NVG_EMALFORMED;
 * the record is valid in every case. */
int nvg_decode(struct nvg_decoder *dec, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
               int64_t ts_ns, struct nvg_pkt *pkt);

/* Whether the decoder understands this link type (others are recorded as Other). */
bool nvg_decode_link_supported(int dlt);

#endif
