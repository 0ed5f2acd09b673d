/* IPv6 (RFC 8200) and its extension headers.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Source Address (16)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Destination Address (16)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers walked (bounded by NVG__IPV6_EXT_MAX and by the bytes present):
 * Hop-by-Hop (0), Routing (43), Destination Options (60), Mobility (135), all
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |  ... (Hdr Ext Len + 1) * 8 bytes in all
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Authentication Header (51, RFC 4302): same first two bytes, (Payload Len + 2) * 4 bytes.
 * Fragment (44), 8 bytes:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * A fragment with a nonzero offset carries no transport header: no ports.
 *
 * A payload length of 0 (a jumbogram, RFC 2675, or a GSO frame captured before segmentation)
 * means "use the captured bytes". IPv6-in-IPv6 (41), IPv4-in-IPv6 (4), ESP (50) and other
 * next headers end the walk: tunnels are reported by this outer header. */
#include "decode-internal.h"

/* Fewer than 40 bytes: keep hop limit and next header if captured. The addresses are
 * reported as a pair (one ip_version for both), so a source without its destination is
 * dropped. */
static int ipv6_short(struct nvg__dc *x)
{
    struct nvg_pkt *pkt = x->pkt;
    const struct nvg_cursor *c = &x->c;
    uint8_t b;
    if (nvg_cur_peek8(c, 6, &b))
        pkt->ip_proto = b;
    if (nvg_cur_peek8(c, 7, &b)) {
        pkt->ttl = b;
        pkt->flags |= NVG_PKT_HAS_TTL;
    }
    return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_IPV6_TRUNC);
}

static int ipv6_transport(struct nvg__dc *x, uint8_t nh)
{
    switch (nh) {
    case NVG__IPPROTO_TCP:
        return nvg__decode_tcp(x);
    case NVG__IPPROTO_UDP:
        return nvg__decode_udp(x);
    case NVG__IPPROTO_ICMPV6:
        return nvg__decode_icmpv6(x);
    default:
        x->pkt->proto = NVG_PROTO_IPV6;
        return 0;
    }
}

static bool is_ext_header(uint8_t nh)
{
    switch (nh) {
    case NVG__IPPROTO_HOPOPTS:
    case NVG__IPPROTO_ROUTING:
    case NVG__IPPROTO_FRAGMENT:
    case NVG__IPPROTO_AH:
    case NVG__IPPROTO_DSTOPTS:
    case NVG__IPPROTO_MOBILITY:
        return true;
    default:
        return false;
    }
}

/* Walks the extension headers in x->c starting with next header nh. */
static int ipv6_ext_walk(struct nvg__dc *x, uint8_t nh)
{
    struct nvg_pkt *pkt = x->pkt;
    for (int n = 0; is_ext_header(nh); n++) {
        uint8_t next, hlen;
        if (n == NVG__IPV6_EXT_MAX)
            return nvg__stop(x, NVG_PKT_MALFORMED, NVG_EV_IPV6_EXT_LIMIT);
        if (!nvg_cur_peek8(&x->c, 0, &next) || !nvg_cur_peek8(&x->c, 1, &hlen))
            return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_IPV6_EXT_TRUNC);

        size_t len;
        if (nh == NVG__IPPROTO_FRAGMENT) {
            uint16_t offm;
            if (!nvg_cur_peek16(&x->c, 2, &offm) || !nvg_cur_skip(&x->c, 8))
                return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_IPV6_EXT_TRUNC);
            x->decl -= 8;
            if (offm & 0xfff9) /* offset or M (reserved bits ignored) */
                pkt->flags |= NVG_PKT_FRAGMENT;
            if (offm & 0xfff8) {
                nvg__ip_proto_only(pkt, next, true);
                return 0;
            }
            nh = next;
            pkt->ip_proto = nh;
            continue;
        }
        if (nh == NVG__IPPROTO_AH)
            len = ((size_t)hlen + 2) * 4;
        else
            len = ((size_t)hlen + 1) * 8;
        if (!nvg_cur_skip(&x->c, len))
            return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_IPV6_EXT_TRUNC);
        x->decl -= len;
        nh = next;
        pkt->ip_proto = nh;
    }
    return ipv6_transport(x, nh);
}

int nvg__decode_ipv6(struct nvg__dc *x)
{
    struct nvg_pkt *pkt = x->pkt;
    struct nvg_cursor c = x->c;
    uint8_t v, nh, hlim;
    uint16_t plen;

    pkt->proto = NVG_PROTO_IPV6;
    if (!nvg_cur_peek8(&c, 0, &v))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_IPV6_TRUNC);
    if ((v >> 4) != 6)
        return nvg__stop(x, NVG_PKT_MALFORMED, NVG_EV_IPV6_VERSION);
    if (!nvg_cur_has(&c, 40))
        return ipv6_short(x);

    (void)nvg_cur_skip(&c, 4);
    (void)nvg_cur_be16(&c, &plen);
    (void)nvg_cur_u8(&c, &nh);
    (void)nvg_cur_u8(&c, &hlim);
    (void)nvg_cur_copy(&c, pkt->src, 16);
    (void)nvg_cur_copy(&c, pkt->dst, 16);
    pkt->ip_version = 6;
    pkt->ttl = hlim;
    pkt->ip_proto = nh;
    pkt->flags |= NVG_PKT_HAS_TTL;

    size_t len = plen;
    if (len == 0) {
        len = c.left; /* jumbogram or GSO: the captured bytes */
    } else if (len > c.left + x->extra) {
        nvg__event(x, NVG_PKT_TRUNCATED, NVG_EV_IPV6_TRUNC);
        len = c.left + x->extra;
    }
    x->c = c;
    nvg__limit(x, len);
    x->decl = len;
    return ipv6_ext_walk(x, nh);
}
