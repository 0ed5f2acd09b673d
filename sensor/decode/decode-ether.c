/* Ethernet II (IEEE 802.3), 802.1Q VLAN tags and 802.1ad QinQ, and the ethertype dispatch
 * that Linux cooked captures, PPPoE and Cisco HDLC reuse.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Destination MAC (6 bytes)                    |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                     Source MAC (6 bytes)                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Ethertype / length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A VLAN tag (802.1Q TPID 0x8100, 802.1ad 0x88a8, pre-standard QinQ 0x9100) sits in the
 * ethertype's place and is followed by the next ethertype:
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             TPID              | PCP |D|        VLAN id        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Ethertype (or next TPID)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The record keeps the outermost VLAN id. A value <= 1500 is an 802.3 length (LLC follows):
 * reported as Other, like every ethertype the decoder does not know. */
#include <string.h>

#include "decode-internal.h"

static bool is_vlan_tpid(uint16_t type)
{
    return type == NVG__ETH_VLAN || type == NVG__ETH_QINQ || type == NVG__ETH_QINQ_OLD;
}

int nvg__decode_ethertype(struct nvg__dc *x, uint16_t type)
{
    for (int tags = 0; is_vlan_tpid(type); tags++) {
        uint16_t tci;
        if (tags == NVG__VLAN_MAX)
            return nvg__rest_is_payload(x); /* absurd tag stack: keep it as Other */
        if (!nvg_cur_be16(&x->c, &tci) || !nvg_cur_be16(&x->c, &type))
            return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
        if (!(x->pkt->flags & NVG_PKT_HAS_VLAN)) {
            x->pkt->vlan_id = tci & 0x0fff;
            x->pkt->flags |= NVG_PKT_HAS_VLAN;
        }
    }

    switch (type) {
    case NVG__ETH_IPV4:
        return nvg__decode_ipv4(x);
    case NVG__ETH_IPV6:
        return nvg__decode_ipv6(x);
    case NVG__ETH_ARP:
        return nvg__decode_arp(x);
    case NVG__ETH_MPLS_UC:
    case NVG__ETH_MPLS_MC:
        return nvg__decode_mpls(x);
    case NVG__ETH_PPPOE_SESS:
        return nvg__decode_pppoe(x);
    default:
        return nvg__rest_is_payload(x);
    }
}

int nvg__decode_ether(struct nvg__dc *x)
{
    uint16_t type;
    if (x->dec->macs && nvg_cur_has(&x->c, 12)) {
        memcpy(x->pkt->dst_mac, x->c.p, 6);
        memcpy(x->pkt->src_mac, x->c.p + 6, 6);
        x->pkt->flags |= NVG_PKT_HAS_MAC;
    }
    if (!nvg_cur_skip(&x->c, 12) || !nvg_cur_be16(&x->c, &type))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
    return nvg__decode_ethertype(x, type);
}
