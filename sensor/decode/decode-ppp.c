/* PPP (RFC 1661) as LINKTYPE_PPP (9) and in HDLC-like framing (RFC 1662, LINKTYPE_PPP_HDLC
 * 50), Cisco HDLC on the same link type, and the PPPoE session stage (RFC 2516, ethertype
 * 0x8864).
 *
 * PPP in HDLC-like framing (address and control are optional on LINKTYPE_PPP; a protocol
 * field whose first byte is odd is compressed to one byte, RFC 1661 section 6.5):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Address 0xff  | Control 0x03  |       Protocol (1 or 2)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Cisco HDLC (address 0x0f unicast or 0x8f broadcast):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Address    | Control 0x00  |          Ethertype            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * PPPoE session header, followed by a 2-byte PPP protocol:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  VER  | TYPE  |     CODE      |          SESSION_ID           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            LENGTH             |         PPP protocol          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * PPP protocols decoded: 0x0021 IPv4, 0x0057 IPv6, 0x0281/0x0283 MPLS; others are Other. */
#include "decode-internal.h"

enum {
    PPP_IP = 0x0021,
    PPP_IPV6 = 0x0057,
    PPP_MPLS_UC = 0x0281,
    PPP_MPLS_MC = 0x0283,
};

int nvg__decode_ppp_proto(struct nvg__dc *x, uint16_t proto)
{
    switch (proto) {
    case PPP_IP:
        return nvg__decode_ipv4(x);
    case PPP_IPV6:
        return nvg__decode_ipv6(x);
    case PPP_MPLS_UC:
    case PPP_MPLS_MC:
        return nvg__decode_mpls(x);
    default:
        return nvg__rest_is_payload(x);
    }
}

/* Protocol field, compressed or not. */
static int ppp_protocol(struct nvg__dc *x)
{
    uint8_t b;
    uint16_t proto;
    if (!nvg_cur_peek8(&x->c, 0, &b))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    if (b & 1) {
        (void)nvg_cur_u8(&x->c, &b);
        proto = b;
    } else if (!nvg_cur_be16(&x->c, &proto)) {
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    }
    return nvg__decode_ppp_proto(x, proto);
}

int nvg__decode_ppp(struct nvg__dc *x)
{
    uint8_t addr;
    uint16_t ac;
    if (nvg_cur_peek8(&x->c, 0, &addr) && addr == 0xff) { /* all-stations address */
        if (!nvg_cur_peek16(&x->c, 0, &ac))
            return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
        if (ac == 0xff03)
            (void)nvg_cur_skip(&x->c, 2);
    }
    return ppp_protocol(x);
}

int nvg__decode_ppp_hdlc(struct nvg__dc *x)
{
    uint8_t addr;
    if (!nvg_cur_peek8(&x->c, 0, &addr))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    if (addr == 0x0f || addr == 0x8f) {
        uint16_t type;
        if (!nvg_cur_skip(&x->c, 2) || !nvg_cur_be16(&x->c, &type))
            return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
        return nvg__decode_ethertype(x, type);
    }
    if (addr == 0xff && !nvg_cur_skip(&x->c, 2)) /* address and control */
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    return ppp_protocol(x);
}

int nvg__decode_pppoe(struct nvg__dc *x)
{
    uint16_t len, proto;
    if (!nvg_cur_skip(&x->c, 4) || !nvg_cur_be16(&x->c, &len))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    /* The length covers the PPP protocol field and what follows; bytes past it are padding. */
    nvg__limit(x, len);
    if (!nvg_cur_be16(&x->c, &proto))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    return nvg__decode_ppp_proto(x, proto);
}
