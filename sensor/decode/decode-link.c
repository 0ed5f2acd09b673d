/* Link layers without their own file: Linux cooked capture v1 and v2, BSD loopback (NULL and
 * LOOP) and raw IP. See https://www.tcpdump.org/linktypes.html.
 *
 * LINKTYPE_LINUX_SLL (113), 16 bytes:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Packet type           |        ARPHRD_ type           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Link-layer address length    |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   Link-layer address (8)      +
 * |                                                               |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |        Protocol type          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * LINKTYPE_LINUX_SLL2 (276), 20 bytes:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Protocol type          |           Reserved            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Interface index                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        ARPHRD_ type           |  Packet type  | Addr length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Link-layer address (8 bytes)                 |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * In both, the protocol type is an ethertype for the link types we care about (values <= 1500
 * are Linux-specific pseudo types such as 802.2 LLC: reported as Other).
 *
 * LINKTYPE_NULL (0) / LINKTYPE_LOOP (108): a 4-byte address family, in the capturing host's
 * byte order for NULL and in network order for LOOP (some files get LOOP wrong, so both are
 * detected from the value: families are small numbers). AF_INET is 2; AF_INET6 is 24 (NetBSD,
 * OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly) or 30 (Darwin).
 *
 * Raw IP (LINKTYPE_RAW 101, DLT_RAW 12 or 14): the IP header starts the frame; its version
 * nibble tells IPv4 from IPv6. */
#include <string.h>

#include "decode-internal.h"

#define ARPHRD_ETHER 1

/* The cooked header's link-layer address is the sender's; only an Ethernet one (ARPHRD_ETHER,
 * 6 bytes) is a MAC address. */
static void sll_mac(struct nvg__dc *x, uint16_t hatype, unsigned halen, const uint8_t *addr)
{
    if (!x->dec->macs || hatype != ARPHRD_ETHER || halen != 6)
        return;
    memcpy(x->pkt->src_mac, addr, 6);
    memset(x->pkt->dst_mac, 0, 6);
    x->pkt->flags |= NVG_PKT_HAS_MAC;
}

int nvg__decode_sll(struct nvg__dc *x)
{
    uint16_t proto, hatype = 0, halen = 0;
    if (nvg_cur_has(&x->c, 16)) {
        (void)nvg_cur_peek16(&x->c, 2, &hatype);
        (void)nvg_cur_peek16(&x->c, 4, &halen);
        sll_mac(x, hatype, halen, x->c.p + 6);
    }
    if (!nvg_cur_skip(&x->c, 14) || !nvg_cur_be16(&x->c, &proto))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    return nvg__decode_ethertype(x, proto);
}

int nvg__decode_sll2(struct nvg__dc *x)
{
    uint16_t proto = 0, hatype = 0;
    uint8_t halen = 0;
    if (!nvg_cur_has(&x->c, 20))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    (void)nvg_cur_peek16(&x->c, 8, &hatype);
    (void)nvg_cur_peek8(&x->c, 11, &halen);
    sll_mac(x, hatype, halen, x->c.p + 12);
    (void)nvg_cur_be16(&x->c, &proto);
    (void)nvg_cur_skip(&x->c, 18);
    return nvg__decode_ethertype(x, proto);
}

enum {
    BSD_AF_INET = 2,
    BSD_AF_INET6_BSD = 24,
    BSD_AF_INET6_FREEBSD = 28,
    BSD_AF_INET6_DARWIN = 30,
};

int nvg__decode_null(struct nvg__dc *x)
{
    uint8_t fam[4];
    if (!nvg_cur_copy(&x->c, fam, sizeof(fam)))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    /* Family values are below 256: a big-endian value has its low byte last. */
    unsigned family = (fam[0] == 0 && fam[1] == 0) ? (unsigned)(fam[2] << 8 | fam[3])
                                                   : (unsigned)(fam[1] << 8 | fam[0]);
    switch (family) {
    case BSD_AF_INET:
        return nvg__decode_ipv4(x);
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        return nvg__decode_ipv6(x);
    default:
        return nvg__rest_is_payload(x);
    }
}

int nvg__decode_raw(struct nvg__dc *x)
{
    uint8_t v;
    if (!nvg_cur_peek8(&x->c, 0, &v))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    switch (v >> 4) {
    case 4:
        return nvg__decode_ipv4(x);
    case 6:
        return nvg__decode_ipv6(x);
    default:
        return nvg__stop(x, NVG_PKT_MALFORMED, NVG_EV_IPV4_VERSION);
    }
}
