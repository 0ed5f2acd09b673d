/* ARP (RFC 826), ethertype 0x0806.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Hardware type          |        Protocol type          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  HW addr len  | Proto addr len|          Operation            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Sender hardware address (HW addr len) ...                     |
 * | Sender protocol address (Proto addr len) ...                  |
 * | Target hardware address (HW addr len) ...                     |
 * | Target protocol address (Proto addr len) ...                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The record's src/dst are the sender/target protocol addresses when the protocol type is
 * IPv4 with 4-byte addresses (ip_version 4) and the whole packet was captured; other ARP
 * variants and cut-off packets keep only proto ARP. Bytes
 * after the packet (Ethernet padding) make payload_kind "padding"; ARP itself has no
 * payload. With MAC reporting on, an Ethernet-hardware ARP packet (type 1, length 6) puts its
 * sender/target hardware addresses in src_mac/dst_mac. */
#include <string.h>

#include "decode-internal.h"

/* ATMARP (RFC 2225) shares the ARP ethertype but not the layout past the operation. */
#define ARPHRD_ATM 19

int nvg__decode_arp(struct nvg__dc *x)
{
    struct nvg_pkt *pkt = x->pkt;
    const struct nvg_cursor *c = &x->c;
    uint16_t htype, ptype;
    uint8_t hlen, plen;

    pkt->proto = NVG_PROTO_ARP;
    if (!nvg_cur_has(c, 8))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_ARP_TRUNC);
    (void)nvg_cur_peek16(c, 0, &htype);
    (void)nvg_cur_peek16(c, 2, &ptype);
    (void)nvg_cur_peek8(c, 4, &hlen);
    (void)nvg_cur_peek8(c, 5, &plen);

    size_t spa = 8 + (size_t)hlen;
    size_t tpa = spa + plen + hlen;
    size_t end = tpa + plen;
    if (!nvg_cur_has(c, end))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_ARP_TRUNC);
    if (x->dec->macs && htype == 1 && hlen == 6) {
        memcpy(pkt->src_mac, c->p + 8, 6);
        memcpy(pkt->dst_mac, c->p + 8 + 6 + plen, 6);
        pkt->flags |= NVG_PKT_HAS_MAC;
    }
    if (ptype == NVG__ETH_IPV4 && plen == 4 && htype != ARPHRD_ATM) {
        pkt->ip_version = 4;
        memcpy(pkt->src, c->p + spa, 4);
        memcpy(pkt->dst, c->p + tpa, 4);
    }
    (void)nvg_cur_skip(&x->c, end);
    if (x->c.left > 0 || x->extra > 0)
        x->trailer = true;
    x->decl = 0;
    return 0;
}
