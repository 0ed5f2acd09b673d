/* ICMP (RFC 792) and ICMPv6 (RFC 4443).
 *
 * ICMP, 8-byte header:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Rest of header (4)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * ICMPv6, 4-byte header followed by the message body:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Error messages quote the offending packet; the record still describes the outer packet
 * (the quoted addresses and ports are payload). Echo requests and replies (ICMP 8/0, ICMPv6
 * 128/129) give the flow table their identifier, the first 16 bits after the checksum. */
#include "decode-internal.h"

static int icmp_common(struct nvg__dc *x, size_t hdr, enum nvg_decode_event ev)
{
    struct nvg_pkt *pkt = x->pkt;
    if (nvg_cur_peek8(&x->c, 0, &pkt->icmp_type) && nvg_cur_peek8(&x->c, 1, &pkt->icmp_code))
        pkt->flags |= NVG_PKT_HAS_ICMP;
    uint16_t id;
    bool echo = pkt->icmp_type == (hdr == 8 ? 8 : 128) || pkt->icmp_type == (hdr == 8 ? 0 : 129);
    if ((pkt->flags & NVG_PKT_HAS_ICMP) && echo && nvg_cur_peek16(&x->c, 4, &id)) {
        x->dec->l4.icmp_echo = true;
        x->dec->l4.icmp_id = id;
    }
    if (!nvg_cur_skip(&x->c, hdr))
        return nvg__stop(x, NVG_PKT_TRUNCATED, ev);
    x->decl -= hdr;
    return 0;
}

int nvg__decode_icmp(struct nvg__dc *x)
{
    x->pkt->proto = NVG_PROTO_ICMP;
    return icmp_common(x, 8, NVG_EV_ICMP_TRUNC);
}

int nvg__decode_icmpv6(struct nvg__dc *x)
{
    x->pkt->proto = NVG_PROTO_ICMPV6;
    return icmp_common(x, 4, NVG_EV_ICMPV6_TRUNC);
}
