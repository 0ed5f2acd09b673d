/* MPLS label stack (RFC 3032), ethertypes 0x8847/0x8848 and PPP protocols 0x0281/0x0283.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Label                  | TC  |S|      TTL      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Entries repeat until the bottom-of-stack bit S. MPLS does not say what it carries; like
 * tcpdump and tshark we look at the first nibble after the stack: 4 is IPv4, 6 is IPv6, else
 * Other (pseudowires, control words). The walk stops after NVG__MPLS_MAX entries. */
#include "decode-internal.h"

int nvg__decode_mpls(struct nvg__dc *x)
{
    for (int n = 0;; n++) {
        uint32_t entry;
        if (n == NVG__MPLS_MAX)
            return nvg__rest_is_payload(x);
        if (!nvg_cur_be32(&x->c, &entry))
            return nvg__stop(x, NVG_PKT_TRUNCATED, NVG_EV_LINK_TRUNC);
        if (entry & 0x100)
            break;
    }
    uint8_t v;
    if (!nvg_cur_peek8(&x->c, 0, &v))
        return nvg__rest_is_payload(x);
    switch (v >> 4) {
    case 4:
        return nvg__decode_ipv4(x);
    case 6:
        return nvg__decode_ipv6(x);
    default:
        return nvg__rest_is_payload(x);
    }
}
