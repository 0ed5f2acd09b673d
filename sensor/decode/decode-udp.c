/* UDP (RFC 768).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Length             |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The payload is what the UDP length declares when it fits in the IP payload, else the IP
 * payload after the header (a length of 0 is legal in IPv6 jumbograms). Tunnels carried in
 * UDP (VXLAN on 4789, ...) are reported by these outer ports. */
#include "decode-internal.h"

int nvg__decode_udp(struct nvg__dc *x)
{
    struct nvg_pkt *pkt = x->pkt;
    struct nvg_cursor c = x->c;
    uint16_t ulen;

    pkt->proto = NVG_PROTO_UDP;
    if (!nvg_cur_has(&c, 8)) {
        if (nvg_cur_peek16(&c, 0, &pkt->sport) && nvg_cur_peek16(&c, 2, &pkt->dport))
            pkt->flags |= NVG_PKT_HAS_PORTS;
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_UDP_TRUNC);
    }
    (void)nvg_cur_be16(&c, &pkt->sport);
    (void)nvg_cur_be16(&c, &pkt->dport);
    (void)nvg_cur_be16(&c, &ulen);
    (void)nvg_cur_skip(&c, 2); /* checksum */
    pkt->flags |= NVG_PKT_HAS_PORTS;

    x->c = c;
    x->decl -= 8;
    if (ulen >= 8 && (size_t)(ulen - 8) < x->decl) {
        x->decl = (size_t)ulen - 8;
        nvg_cur_limit(&x->c, x->decl);
    }
    x->dec->l4.udp = true;
    x->dec->l4.payload_len = (uint32_t)x->decl;
    return 0;
}
