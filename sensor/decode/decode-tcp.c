/* TCP (RFC 9293; AE, formerly NS, from RFC 3540 / the AccECN draft).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsvd|E|W|C|R|C|S|S|Y|I|            Window             |
 * |       |     | |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (Data Offset > 5)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The low 9 bits of the offset/flags word are NVG_TCP_* as they are. A header cut by the
 * capture keeps the ports (4 bytes) and flags (14 bytes) when they were captured. */
#include "decode-internal.h"

int nvg__decode_tcp(struct nvg__dc *x)
{
    struct nvg_pkt *pkt = x->pkt;
    struct nvg_cursor c = x->c;
    uint16_t offfl;

    pkt->proto = NVG_PROTO_TCP;
    if (!nvg_cur_has(&c, 20)) {
        if (nvg_cur_peek16(&c, 0, &pkt->sport) && nvg_cur_peek16(&c, 2, &pkt->dport))
            pkt->flags |= NVG_PKT_HAS_PORTS;
        if (nvg_cur_peek16(&c, 12, &offfl)) {
            pkt->tcp_flags = offfl & 0x1ff;
            pkt->flags |= NVG_PKT_HAS_TCPFLAGS;
        }
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_TCP_TRUNC);
    }
    (void)nvg_cur_be16(&c, &pkt->sport);
    (void)nvg_cur_be16(&c, &pkt->dport);
    (void)nvg_cur_skip(&c, 8); /* sequence and acknowledgment numbers */
    (void)nvg_cur_be16(&c, &offfl);
    (void)nvg_cur_skip(&c, 6); /* window, checksum, urgent pointer */
    pkt->tcp_flags = offfl & 0x1ff;
    pkt->flags |= NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS;

    size_t hl = (size_t)(offfl >> 12) * 4;
    if (hl < 20)
        return nvg__stop(x, NVG_PKT_MALFORMED, NVG_EV_TCP_DOFF);
    if (hl > x->decl || !nvg_cur_skip(&c, hl - 20))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_TCP_TRUNC);
    x->c = c;
    x->decl -= hl;
    return 0;
}
