/* Decoder entry point: picks the link layer by pcap link type (NVG_DECODE_LINK_TYPES in
 * decode.h), runs the layers, then derives the payload kind and copies payload bytes.
 * Per-layer code is in decode-<layer>.c. */
#include <string.h>

#include "decode-internal.h"
#include "decode.h"
#include "nvg-error.h"

void nvg_decoder_init(struct nvg_decoder *dec, int dlt, unsigned payload_max)
{
    memset(dec, 0, sizeof(*dec));
    dec->dlt = dlt;
    dec->payload_max = payload_max;
}

bool nvg_decode_link_supported(int dlt)
{
    switch (dlt) {
#define LINK_KNOWN(name, number, layer) case number:
        NVG_DECODE_LINK_TYPES(LINK_KNOWN)
#undef LINK_KNOWN
        return true;
    default:
        return false;
    }
}

static void decode_link(struct nvg__dc *x, int dlt)
{
    switch (dlt) {
#define LINK_DECODE(name, number, layer)                                                           \
    case number:                                                                                   \
        nvg__decode_##layer(x);                                                                    \
        break;
        NVG_DECODE_LINK_TYPES(LINK_DECODE)
#undef LINK_DECODE
    default:
        nvg__event(x, 0, NVG_EV_LINK_UNKNOWN);
        nvg__rest_is_payload(x);
        break;
    }
}

/* payload_kind from the innermost layer's declared payload; payload bytes only when asked. */
static void finish_payload(const struct nvg__dc *x, unsigned payload_max, struct nvg_pkt *pkt)
{
    if (x->decl > 0)
        pkt->payload_kind = NVG_PAYLOAD_RAW;
    else if (x->trailer)
        pkt->payload_kind = NVG_PAYLOAD_PADDING;
    else
        pkt->payload_kind = NVG_PAYLOAD_NONE;

    if (payload_max == 0)
        return;
    size_t room = payload_max < NVG_PAYLOAD_MAX ? payload_max : NVG_PAYLOAD_MAX;
    size_t n = 0;
    if (pkt->payload_kind == NVG_PAYLOAD_RAW) {
        n = x->c.left < room ? x->c.left : room;
        if (n > 0) /* a zero-length frame may come with no buffer at all */
            memcpy(pkt->payload, x->c.p, n);
    }
    /* Keep the bytes a consumer may look at (up to the configured size) defined. */
    memset(pkt->payload + n, 0, room - n);
    pkt->payload_len = (uint8_t)n;
}

int nvg_decode(struct nvg_decoder *dec, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
               int64_t ts_ns, struct nvg_pkt *pkt)
{
    /* Everything but the payload area; payload[] is written below up to payload_max. */
    memset(pkt, 0, offsetof(struct nvg_pkt, payload));
    pkt->ts_ns = ts_ns;
    pkt->wire_len = wirelen;
    pkt->cap_len = caplen;
    pkt->ip_proto = 255;

    struct nvg__dc x;
    x.dec = dec;
    x.pkt = pkt;
    x.c = nvg_cur_init(frame, frame ? caplen : 0);
    x.decl = 0;
    x.extra = wirelen > caplen ? wirelen - caplen : 0;
    x.trailer = false;

    memset(&dec->l4, 0, sizeof(dec->l4));
    dec->l4.wscale = -1;
    dec->frames++;
    decode_link(&x, dec->dlt);
    finish_payload(&x, dec->payload_max, pkt);

    if (pkt->flags & NVG_PKT_MALFORMED)
        return NVG_EMALFORMED;
    if (pkt->flags & NVG_PKT_TRUNCATED)
        return NVG_ETRUNC;
    return 0;
}
