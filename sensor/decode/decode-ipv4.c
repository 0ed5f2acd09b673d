/* IPv4 (RFC 791).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL > 5)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Checks, in order: version (an IPv6 header where IPv4 was expected is flagged and decoded as
 * IPv6, as tshark does), IHL >= 5, the header within the capture, total length >= header
 * length. A total length of 0 is what hosts using TCP segmentation offload capture: the
 * captured bytes are used instead. A total length past the end of the frame is flagged but the
 * captured bytes are still decoded. Fragments: ports come only from the first fragment (offset
 * 0); any fragment sets NVG_PKT_FRAGMENT. Tunnels (IPIP 4, 6in4 41, GRE 47) are reported by
 * this outer header: the decoder does not descend into them. */
#include "decode-internal.h"

#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

/* Fewer than 20 bytes: keep TTL and protocol if captured. The addresses are reported as a
 * pair (one ip_version for both), so a source without its destination is dropped. */
static int ipv4_short(struct nvg__dc *x)
{
    struct nvg_pkt *pkt = x->pkt;
    const struct nvg_cursor *c = &x->c;
    uint8_t b;
    if (nvg_cur_peek8(c, 8, &b)) {
        pkt->ttl = b;
        pkt->flags |= NVG_PKT_HAS_TTL;
    }
    if (nvg_cur_peek8(c, 9, &b))
        pkt->ip_proto = b;
    return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_IPV4_TRUNC);
}

static int ipv4_transport(struct nvg__dc *x, uint8_t proto)
{
    switch (proto) {
    case NVG__IPPROTO_TCP:
        return nvg__decode_tcp(x);
    case NVG__IPPROTO_UDP:
        return nvg__decode_udp(x);
    case NVG__IPPROTO_ICMP:
        return nvg__decode_icmp(x);
    default:
        x->pkt->proto = NVG_PROTO_IPV4;
        return 0;
    }
}

/* The datagram's extent: its total length against the header length and the frame. x->c
 * still starts at the header, c is past it (and its options). Leaves x at the payload, limited
 * to the datagram; false when the total length is impossible (decoding has stopped). */
static bool ipv4_extent(struct nvg__dc *x, struct nvg_cursor c, size_t hl, uint16_t totlen)
{
    size_t have = x->c.left; /* captured bytes from the header on */
    if (totlen == 0) {
        totlen = have > 0xffff ? 0xffff : (uint16_t)have; /* TSO: use the captured bytes */
    } else if (totlen < hl) {
        x->c = c;
        nvg__stop(x, NVG_PKT_MALFORMED, NVG_EV_IPV4_TOTLEN);
        return false;
    } else if (totlen > have + x->extra) {
        /* Declares more than the frame held on the wire: flag, decode what is there. */
        nvg__event(x, NVG_PKT_TRUNCATED, NVG_EV_IPV4_TRUNC);
        totlen = (uint16_t)(have + x->extra);
    }
    x->c = c;
    nvg__limit(x, totlen - hl);
    x->decl = totlen - hl;
    return true;
}

int nvg__decode_ipv4(struct nvg__dc *x)
{
    struct nvg_pkt *pkt = x->pkt;
    struct nvg_cursor c = x->c;
    uint8_t vihl, tos, ttl, proto;
    uint16_t totlen, id, frag;

    pkt->proto = NVG_PROTO_IPV4;
    if (!nvg_cur_u8(&c, &vihl))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_IPV4_TRUNC);
    if ((vihl >> 4) != 4) {
        if ((vihl >> 4) == 6) {
            nvg__event(x, NVG_PKT_MALFORMED, NVG_EV_IPV4_VERSION);
            return nvg__decode_ipv6(x);
        }
        return nvg__stop(x, NVG_PKT_MALFORMED, NVG_EV_IPV4_VERSION);
    }
    size_t hl = (size_t)(vihl & 0x0f) * 4;
    if (hl < 20)
        return nvg__stop(x, NVG_PKT_MALFORMED, NVG_EV_IPV4_IHL);
    if (!nvg_cur_has(&c, 19))
        return ipv4_short(x);

    (void)nvg_cur_u8(&c, &tos);
    (void)nvg_cur_be16(&c, &totlen);
    (void)nvg_cur_be16(&c, &id);
    (void)nvg_cur_be16(&c, &frag);
    (void)nvg_cur_u8(&c, &ttl);
    (void)nvg_cur_u8(&c, &proto);
    (void)nvg_cur_skip(&c, 2); /* checksum: not verified */
    (void)nvg_cur_copy(&c, pkt->src, 4);
    (void)nvg_cur_copy(&c, pkt->dst, 4);
    pkt->ip_version = 4;
    pkt->ttl = ttl;
    pkt->ip_proto = proto;
    pkt->flags |= NVG_PKT_HAS_TTL;

    /* Options are skipped; an option list cut by the capture ends the decode. */
    if (!nvg_cur_skip(&c, hl - 20))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_IPV4_TRUNC);

    if (!ipv4_extent(x, c, hl, totlen))
        return 0;

    if (frag & (IP_MF | IP_OFFMASK)) {
        pkt->flags |= NVG_PKT_FRAGMENT;
        if (frag & IP_OFFMASK) {
            nvg__ip_proto_only(pkt, proto, false);
            return 0;
        }
    }
    return ipv4_transport(x, proto);
}
