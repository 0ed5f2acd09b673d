/* Every truncation length of valid frames, for every link type, plus single-byte mutations:
 * the decoder must never read past the captured bytes (each frame is decoded from an
 * exact-size heap copy, so the ASan build catches an over-read), must flag a cut inside the
 * headers, and must keep its record and counters consistent (checked in decode_n()). */
#include "decode-test.h"

struct sample {
    const char *name;
    int dlt;
    struct frame f;
    size_t hdr_end; /* end of the innermost header */
};

static void link_hdr(struct frame *f, int dlt, unsigned ethertype)
{
    switch (dlt) {
    case NVG_LINKTYPE_ETHERNET:
        eth(f, ethertype);
        break;
    case NVG_LINKTYPE_LINUX_SLL:
        put16(f, 0);
        put16(f, 1);
        put16(f, 6);
        putfill(f, 2, 8);
        put16(f, ethertype);
        break;
    case NVG_LINKTYPE_LINUX_SLL2:
        put16(f, ethertype);
        put16(f, 0);
        put32(f, 1);
        put16(f, 1);
        put8(f, 0);
        put8(f, 6);
        putfill(f, 2, 8);
        break;
    case NVG_LINKTYPE_NULL:
        put8(f, ethertype == 0x0800 ? 2 : 30);
        putfill(f, 0, 3);
        break;
    case NVG_LINKTYPE_LOOP:
        put32(f, ethertype == 0x0800 ? 2 : 24);
        break;
    case NVG_LINKTYPE_PPP:
        put16(f, 0xff03);
        put16(f, ethertype == 0x0800 ? 0x21 : 0x57);
        break;
    default: /* raw */
        break;
    }
}

static size_t build(struct sample *s, int kind)
{
    struct frame *f = &s->f;
    bool v6 = kind >= 3;
    link_hdr(f, s->dlt, v6 ? 0x86dd : 0x0800);
    switch (kind) {
    case 0: /* IPv4 + options + TCP + options + data */
        ipv4(f, 7, 28 + 32 + 10, 0, 64, 6);
        tcp(f, 1, 2, 8, NVG_TCP_PSH | NVG_TCP_ACK);
        break;
    case 1: /* IPv4 + UDP */
        ipv4(f, 5, 20 + 8 + 10, 0, 64, 17);
        udp(f, 53, 53, 18);
        break;
    case 2: /* IPv4 + ICMP */
        ipv4(f, 5, 20 + 8 + 10, 0, 64, 1);
        icmp(f, 0, 0);
        break;
    case 3: /* IPv6 + HBH + routing + dest + AH + frag + TCP */
        ipv6(f, 8 + 16 + 8 + 24 + 8 + 20 + 10, 0, 64);
        put8(f, 43), put8(f, 0), putfill(f, 1, 6);
        put8(f, 60), put8(f, 1), putfill(f, 0, 14);
        put8(f, 51), put8(f, 0), putfill(f, 1, 6);
        put8(f, 44), put8(f, 4), putfill(f, 0, 22);
        put8(f, 6), put8(f, 0), put16(f, 1), put32(f, 9);
        tcp(f, 3, 4, 5, NVG_TCP_SYN);
        break;
    case 4: /* IPv6 + UDP */
        ipv6(f, 8 + 10, 17, 64);
        udp(f, 5, 6, 18);
        break;
    default: /* IPv6 + ICMPv6 */
        ipv6(f, 8 + 10, 58, 64);
        icmp(f, 128, 0);
        break;
    }
    size_t end = f->n;
    if (kind == 5)
        end -= 4; /* the ICMPv6 header is 4 bytes; the rest is the message body */
    putfill(f, 0x99, 10);
    return end;
}

static void check_all_lengths(const struct sample *s, bool expect_valid)
{
    struct nvg_pkt pkt;
    const size_t full = s->f.n;
    for (size_t len = 0; len <= full; len++) {
        /* Cut by the snap length (the wire had everything) ... */
        decode_n(s->dlt, &s->f, len, (uint32_t)full, 64, &pkt);
        if (expect_valid) {
            if (len < s->hdr_end && !(pkt.flags & NVG_PKT_TRUNCATED))
                fail_msg("%s: cut at %zu of %zu inside the headers (end %zu) not flagged", s->name,
                         len, full, s->hdr_end);
            if (len >= s->hdr_end && (pkt.flags & (NVG_PKT_TRUNCATED | NVG_PKT_MALFORMED)))
                fail_msg("%s: cut at %zu after the headers (end %zu) flagged, event %s", s->name,
                         len, s->hdr_end, nvg_decode_event_name(pkt.event));
        }
        /* ... and a frame that really is this short (declared lengths lie). */
        decode_n(s->dlt, &s->f, len, 0, 64, &pkt);
        if (expect_valid && len < s->hdr_end && !(pkt.flags & NVG_PKT_TRUNCATED))
            fail_msg("%s: short frame of %zu not flagged", s->name, len);
    }
}

static void test_every_truncation_length(void **state)
{
    const int dlts[] = {NVG_LINKTYPE_ETHERNET, NVG_LINKTYPE_LINUX_SLL, NVG_LINKTYPE_LINUX_SLL2,
                        NVG_LINKTYPE_NULL,     NVG_LINKTYPE_LOOP,      NVG_LINKTYPE_PPP,
                        NVG_LINKTYPE_RAW_DLT,  NVG_LINKTYPE_RAW};
    for (size_t d = 0; d < sizeof(dlts) / sizeof(dlts[0]); d++) {
        for (int kind = 0; kind < 6; kind++) {
            struct sample s = {.name = "sample", .dlt = dlts[d]};
            s.hdr_end = build(&s, kind);
            struct nvg_pkt pkt;
            decode(s.dlt, &s.f, &pkt);
            expect_clean(&pkt);
            assert_int_equal(pkt.payload_kind, NVG_PAYLOAD_RAW);
            check_all_lengths(&s, true);
        }
    }
}

/* Each byte of each sample replaced by a few values, decoded at every length: anything goes
 * for the record, as long as nothing is read out of bounds and the record stays consistent. */
static void test_mutations(void **state)
{
    const int dlts[] = {NVG_LINKTYPE_ETHERNET, NVG_LINKTYPE_RAW_DLT, NVG_LINKTYPE_PPP_HDLC};
    const uint8_t values[] = {0x00, 0xff, 0x0f, 0x45, 0x60};
    for (size_t d = 0; d < 3; d++) {
        for (int kind = 0; kind < 6; kind++) {
            struct sample base = {.name = "mutated",
                                  .dlt = dlts[d] == NVG_LINKTYPE_PPP_HDLC ? NVG_LINKTYPE_PPP
                                                                          : dlts[d]};
            base.hdr_end = build(&base, kind);
            base.dlt = dlts[d];
            for (size_t i = 0; i < base.f.n; i++) {
                for (size_t v = 0; v < sizeof(values); v++) {
                    struct sample s = base;
                    s.f.b[i] = values[v];
                    check_all_lengths(&s, false);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_truncation_length),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
