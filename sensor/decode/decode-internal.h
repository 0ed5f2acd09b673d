/* Private helpers shared by the decoder's layer files (decode*.c). Not installed, not used
 * outside sensor/decode/.
 *
 * Every layer takes a struct nvg__dc, the state of one frame's decode:
 *
 *   c      the captured bytes from the start of the current layer, already limited to what
 *          the enclosing layer declares (an IP datagram's total length, PPPoE length, ...);
 *   decl   how many bytes the enclosing layer declares from c.p on. It can be larger than
 *          c.left when the capture was cut by the snap length (never larger than what was on
 *          the wire);
 *   extra  bytes that were on the wire but not captured (wire_len - cap_len);
 *   trailer the frame holds bytes after the end of the IP datagram / ARP packet (Ethernet
 *          padding, FCS, trailers).
 *
 * A layer that ends the decode leaves c at its payload and decl at its declared payload size;
 * nvg_decode() then derives payload_kind and copies payload bytes. A failure goes through
 * nvg__stop() (or nvg__event() when decoding can go on), which records the flag and the first
 * named event, bumps the decoder's counter for it and empties the payload. */
#ifndef NVG_DECODE_INTERNAL_H
#define NVG_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "nvg-cursor.h"
#include "nvg-pkt.h"

/* Bounds on loops over attacker-controlled chains. */
#define NVG__VLAN_MAX 8       /* stacked 802.1Q / 802.1ad tags */
#define NVG__MPLS_MAX 16      /* MPLS label stack entries */
#define NVG__IPV6_EXT_MAX 128 /* IPv6 extension headers (libpcap's test file has ~70) */

/* IP protocol numbers and ethertypes the decoder looks at. */
#define NVG__IPPROTO_HOPOPTS 0
#define NVG__IPPROTO_ICMP 1
#define NVG__IPPROTO_TCP 6
#define NVG__IPPROTO_UDP 17
#define NVG__IPPROTO_ROUTING 43
#define NVG__IPPROTO_FRAGMENT 44
#define NVG__IPPROTO_AH 51
#define NVG__IPPROTO_ICMPV6 58
#define NVG__IPPROTO_DSTOPTS 60
#define NVG__IPPROTO_MOBILITY 135

#define NVG__ETH_IPV4 0x0800
#define NVG__ETH_ARP 0x0806
#define NVG__ETH_VLAN 0x8100
#define NVG__ETH_IPV6 0x86dd
#define NVG__ETH_MPLS_UC 0x8847
#define NVG__ETH_MPLS_MC 0x8848
#define NVG__ETH_PPPOE_SESS 0x8864
#define NVG__ETH_QINQ 0x88a8
#define NVG__ETH_QINQ_OLD 0x9100

struct nvg__dc {
    struct nvg_decoder *dec;
    struct nvg_pkt *pkt;
    struct nvg_cursor c;
    size_t decl;
    size_t extra;
    bool trailer;
};

/* Records a problem and lets decoding go on: ORs flag into pkt->flags; the first event of a
 * record is kept and counted. */
static inline void nvg__event(struct nvg__dc *x, unsigned flag, enum nvg_decode_event ev)
{
    x->pkt->flags |= (uint8_t)flag;
    if (x->pkt->event == NVG_EV_NONE) {
        x->pkt->event = (uint8_t)ev;
        x->dec->events[ev]++;
    }
}

/* Records a problem that ends decoding: no payload is reported past this point. */
static inline int nvg__stop(struct nvg__dc *x, unsigned flag, enum nvg_decode_event ev)
{
    nvg__event(x, flag, ev);
    x->c.left = 0;
    x->decl = 0;
    return 0;
}

/* Limits the layer to n declared bytes from the cursor on: bytes past them are a trailer,
 * and bytes on the wire beyond the capture count only up to n. */
static inline void nvg__limit(struct nvg__dc *x, size_t n)
{
    if (n <= x->c.left) {
        if (n < x->c.left || x->extra > 0)
            x->trailer = true;
        x->c.left = n;
        x->extra = 0;
    } else if (x->extra > n - x->c.left) {
        x->extra = n - x->c.left;
    }
}

/* Nothing the decoder understands follows: report the rest as payload of the last layer. */
static inline int nvg__rest_is_payload(struct nvg__dc *x)
{
    x->decl = x->c.left + x->extra;
    return 0;
}

/* Link layers (decode-link.c, decode-ether.c, decode-ppp.c, decode-mpls.c). */
int nvg__decode_ether(struct nvg__dc *x);
int nvg__decode_ethertype(struct nvg__dc *x, uint16_t type);
int nvg__decode_sll(struct nvg__dc *x);
int nvg__decode_sll2(struct nvg__dc *x);
int nvg__decode_null(struct nvg__dc *x);
int nvg__decode_raw(struct nvg__dc *x);
int nvg__decode_ppp(struct nvg__dc *x);
int nvg__decode_ppp_hdlc(struct nvg__dc *x);
int nvg__decode_ppp_proto(struct nvg__dc *x, uint16_t proto);
int nvg__decode_pppoe(struct nvg__dc *x);
int nvg__decode_mpls(struct nvg__dc *x);

/* Network layers. */
int nvg__decode_ipv4(struct nvg__dc *x);
int nvg__decode_ipv6(struct nvg__dc *x);
int nvg__decode_arp(struct nvg__dc *x);

/* Transport layers; c and decl cover the IP payload. */
int nvg__decode_tcp(struct nvg__dc *x);
int nvg__decode_udp(struct nvg__dc *x);
int nvg__decode_icmp(struct nvg__dc *x);
int nvg__decode_icmpv6(struct nvg__dc *x);

/* Sets proto/ip_proto for a non-first fragment (no transport header) or an IP protocol the
 * decoder does not descend into. */
static inline void nvg__ip_proto_only(struct nvg_pkt *pkt, uint8_t ip_proto, bool v6)
{
    pkt->ip_proto = ip_proto;
    switch (ip_proto) {
    case NVG__IPPROTO_TCP:
        pkt->proto = NVG_PROTO_TCP;
        break;
    case NVG__IPPROTO_UDP:
        pkt->proto = NVG_PROTO_UDP;
        break;
    case NVG__IPPROTO_ICMP:
        pkt->proto = v6 ? NVG_PROTO_IPV6 : NVG_PROTO_ICMP;
        break;
    case NVG__IPPROTO_ICMPV6:
        pkt->proto = v6 ? NVG_PROTO_ICMPV6 : NVG_PROTO_IPV4;
        break;
    default:
        pkt->proto = v6 ? NVG_PROTO_IPV6 : NVG_PROTO_IPV4;
        break;
    }
}

#endif
