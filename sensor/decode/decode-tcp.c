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

/* Options of interest to the flow table: MSS (2), window scale (3), SACK permitted (4), SACK
 * blocks (5). The walk stops at End of Option List, at an option whose length is impossible
 * or runs past the header, and at the end of the captured bytes: what was read stays. */
static void tcp_options(struct nvg_l4_info *l4, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t kind = p[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n || p[i + 1] < 2 || p[i + 1] > n - i)
            return;
        uint8_t len = p[i + 1];
        if (kind == 2 && len == 4)
            l4->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
        else if (kind == 3 && len == 3)
            l4->wscale = (int8_t)(p[i + 2] > 14 ? 14 : p[i + 2]);
        else if (kind == 4 && len == 2)
            l4->sack_perm = true;
        else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0)
            l4->sack_blocks = (uint8_t)((len - 2) / 8);
        i += len;
    }
}

int nvg__decode_tcp(struct nvg__dc *x)
{
    struct nvg_pkt *pkt = x->pkt;
    struct nvg_l4_info *l4 = &x->dec->l4;
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
    const uint8_t *hdr = c.p;
    (void)nvg_cur_be16(&c, &pkt->sport);
    (void)nvg_cur_be16(&c, &pkt->dport);
    (void)nvg_cur_be32(&c, &l4->seq);
    (void)nvg_cur_be32(&c, &l4->ack);
    (void)nvg_cur_be16(&c, &offfl);
    (void)nvg_cur_be16(&c, &l4->window);
    (void)nvg_cur_skip(&c, 4); /* checksum, urgent pointer */
    pkt->tcp_flags = offfl & 0x1ff;
    pkt->flags |= NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS;

    size_t hl = (size_t)(offfl >> 12) * 4;
    if (hl < 20)
        return nvg__stop(x, NVG_PKT_MALFORMED, NVG_EV_TCP_DOFF);
    if (hl > x->decl)
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_TCP_TRUNC);
    /* The header fits the datagram: sequence analysis can use it even when the capture cut
     * the options (tshark analyses such a segment too). */
    l4->tcp = true;
    l4->tcp_hdr_len = (uint8_t)hl;
    l4->payload_len = (uint32_t)(x->decl - hl);
    size_t opt_have = c.left < hl - 20 ? c.left : hl - 20;
    tcp_options(l4, hdr + 20, opt_have);
    if (!nvg_cur_skip(&c, hl - 20))
        return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_TCP_TRUNC);
    x->c = c;
    x->decl -= hl;
    return 0;
}
