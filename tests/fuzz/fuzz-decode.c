/* Fuzz the packet decoder (sensor/decode.c and every decode-<layer>.c).
 *
 * Input: [link][payload_max][wire][frame...]
 *   link         index into the link types below (modulo their count; the last is one the
 *                decoder does not know)
 *   payload_max  the decoder's payload capture size, 0..255 (the decoder clamps to
 *                NVG_PAYLOAD_MAX)
 *   wire         how wire_len relates to caplen: 0 equal, 1..253 caplen + wire * 61,
 *                254 caplen / 2 (a pcap file may claim less than it holds), 255 UINT32_MAX
 * The frame is passed in a buffer of exactly caplen bytes. The record is checked against the
 * decoder's documented invariants and then formatted both ways. */
#include <string.h>

#include "decode.h"
#include "fuzz.h"
#include "nvg-error.h"
#include "nvg-format.h"

static const int link_types[] = {0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276, 147};
#define N_LINK (sizeof(link_types) / sizeof(link_types[0]))

static uint32_t wire_len_of(uint8_t mode, uint32_t caplen)
{
    if (mode == 0)
        return caplen;
    if (mode == 254)
        return caplen / 2;
    if (mode == 255)
        return UINT32_MAX;
    return caplen + (uint32_t)mode * 61u;
}

/* Layer facts: what each protocol and each present field imply about the others. */
static void check_layers(const struct nvg_decoder *dec, const struct nvg_pkt *pkt)
{
    switch (pkt->proto) {
    case NVG_PROTO_TCP:
    case NVG_PROTO_UDP:
        FUZZ_CHECK(pkt->ip_version == 4 || pkt->ip_version == 6);
        break;
    case NVG_PROTO_ICMP:
        FUZZ_CHECK(pkt->ip_version == 4);
        break;
    case NVG_PROTO_ICMPV6:
        FUZZ_CHECK(pkt->ip_version == 6);
        break;
    case NVG_PROTO_IPV4: /* 0: the header was cut before the addresses */
        FUZZ_CHECK(pkt->ip_version == 4 || pkt->ip_version == 0);
        break;
    case NVG_PROTO_IPV6:
        FUZZ_CHECK(pkt->ip_version == 6 || pkt->ip_version == 0);
        break;
    default:
        break;
    }
    if (pkt->flags & NVG_PKT_HAS_PORTS)
        FUZZ_CHECK(pkt->proto == NVG_PROTO_TCP || pkt->proto == NVG_PROTO_UDP);
    if (pkt->flags & NVG_PKT_HAS_TCPFLAGS)
        FUZZ_CHECK(pkt->proto == NVG_PROTO_TCP && (pkt->tcp_flags & ~0x1ffu) == 0);
    if (pkt->flags & NVG_PKT_HAS_ICMP)
        FUZZ_CHECK(pkt->proto == NVG_PROTO_ICMP || pkt->proto == NVG_PROTO_ICMPV6);
    if (pkt->flags & NVG_PKT_HAS_VLAN)
        FUZZ_CHECK(pkt->vlan_id <= 4095);
    if (pkt->flags & NVG_PKT_HAS_TTL) /* read before the addresses: ip_version may be 0 */
        FUZZ_CHECK(pkt->proto != NVG_PROTO_ARP);
    if (!nvg_decode_link_supported(dec->dlt))
        FUZZ_CHECK(pkt->event == NVG_EV_LINK_UNKNOWN && pkt->proto == NVG_PROTO_OTHER);
}

/* The side information for the flow table (struct nvg_l4_info). */
static void check_l4(const struct nvg_l4_info *l4, const struct nvg_pkt *pkt, uint32_t caplen,
                     uint32_t wirelen)
{
    if (l4->tcp) {
        FUZZ_CHECK(pkt->proto == NVG_PROTO_TCP && (pkt->flags & NVG_PKT_HAS_PORTS));
        FUZZ_CHECK(l4->tcp_hdr_len >= 20 && l4->tcp_hdr_len <= 60 && l4->tcp_hdr_len % 4 == 0);
    } else {
        FUZZ_CHECK(l4->tcp_hdr_len == 0 && (l4->payload_len == 0 || pkt->proto == NVG_PROTO_UDP));
    }
    FUZZ_CHECK(l4->wscale >= -1 && l4->wscale <= 14);
    FUZZ_CHECK(l4->sack_blocks <= 4);
    FUZZ_CHECK(l4->payload_len <= (caplen > wirelen ? caplen : wirelen));
    if (l4->payload_len)
        FUZZ_CHECK(pkt->proto == NVG_PROTO_TCP || pkt->proto == NVG_PROTO_UDP);
    if (l4->icmp_echo)
        FUZZ_CHECK(pkt->proto == NVG_PROTO_ICMP || pkt->proto == NVG_PROTO_ICMPV6);
}

static void check_record(const struct nvg_decoder *dec, const struct nvg_pkt *pkt, int rc,
                         uint32_t caplen, uint32_t wirelen)
{
    FUZZ_CHECK(rc == 0 || rc == NVG_ETRUNC || rc == NVG_EMALFORMED);
    FUZZ_CHECK(pkt->ip_version == 0 || pkt->ip_version == 4 || pkt->ip_version == 6);
    FUZZ_CHECK(pkt->proto < NVG_PROTO_COUNT);
    FUZZ_CHECK(pkt->payload_kind <= NVG_PAYLOAD_PADDING);
    FUZZ_CHECK(pkt->event < NVG_EV_COUNT);
    FUZZ_CHECK(pkt->cap_len == caplen && pkt->wire_len == wirelen);
    unsigned room = dec->payload_max < NVG_PAYLOAD_MAX ? dec->payload_max : NVG_PAYLOAD_MAX;
    FUZZ_CHECK(pkt->payload_len <= room);
    FUZZ_CHECK(pkt->payload_len <= caplen);
    if (pkt->payload_len)
        FUZZ_CHECK(pkt->payload_kind == NVG_PAYLOAD_RAW);
    /* Payload bytes past payload_len, up to the configured size, are defined as zero. */
    for (unsigned i = pkt->payload_len; i < room; i++)
        FUZZ_CHECK(pkt->payload[i] == 0);
    /* The return code follows the flags. */
    if (pkt->flags & NVG_PKT_MALFORMED)
        FUZZ_CHECK(rc == NVG_EMALFORMED);
    else if (pkt->flags & NVG_PKT_TRUNCATED)
        FUZZ_CHECK(rc == NVG_ETRUNC);
    else
        FUZZ_CHECK(rc == 0);
    /* A flagged record names why; the first event is the one counted. */
    if (pkt->flags & (NVG_PKT_MALFORMED | NVG_PKT_TRUNCATED))
        FUZZ_CHECK(pkt->event != NVG_EV_NONE);
    uint64_t events = 0;
    for (int i = 0; i < NVG_EV_COUNT; i++)
        events += dec->events[i];
    FUZZ_CHECK(events == (pkt->event != NVG_EV_NONE ? 1u : 0u));
    if (pkt->event != NVG_EV_NONE)
        FUZZ_CHECK(dec->events[pkt->event] == 1);
    FUZZ_CHECK(dec->frames == 1);
    check_layers(dec, pkt);
    check_l4(&dec->l4, pkt, caplen, wirelen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    int dlt = link_types[data[0] % N_LINK];
    unsigned payload_max = data[1];
    uint8_t wire_mode = data[2];
    size_t caplen = size - 3;
    if (caplen > UINT32_MAX)
        return 0;
    uint8_t *frame = malloc(caplen ? caplen : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 3, caplen);
    uint32_t wirelen = wire_len_of(wire_mode, (uint32_t)caplen);

    struct nvg_decoder dec;
    nvg_decoder_init(&dec, dlt, payload_max);
    struct nvg_pkt pkt;
    memset(&pkt, 0xa5, sizeof(pkt)); /* the decoder must overwrite what it reports */
    int rc = nvg_decode(&dec, caplen ? frame : NULL, (uint32_t)caplen, wirelen,
                        1722193121123456789LL, &pkt);
    check_record(&dec, &pkt, rc, (uint32_t)caplen, wirelen);

    char line[NVG_FORMAT_LINE_MAX];
    FUZZ_CHECK(nvg_format_csv_row(line, &pkt, "fuzz", 4) < NVG_FORMAT_LINE_MAX);
    FUZZ_CHECK(nvg_format_text_line(line, &pkt, "fuzz") < NVG_FORMAT_LINE_MAX);
    free(frame);
    return 0;
}
