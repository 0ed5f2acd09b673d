/* Fuzz the display filter of `netvigil-ctl tail` (viewer/ctl-filter.c): the option parsers
 * and matching.
 *
 * Input: up to five '\n'-separated texts, in order the arguments of --proto, --src, --dst,
 * --port and --sensor (what a user types; NUL ends a text early). Each parser runs on its text;
 * what parses goes into one filter, matched against fixed records and one made of the input's
 * first bytes. Checked: parsers keep their contracts (ranges, a network masked to its prefix),
 * the empty filter matches everything, and a record always matches a filter made of its own
 * formatted source address with the parsed prefix. */
#include <string.h>

#include "fuzz.h"
#include "nvg-error.h"
#include "nvg-filter.h"

#define FIELDS 5
#define TEXT_MAX 256

static struct nvg_pkt make_pkt(int ip_version, int proto, const char *src, const char *dst,
                               uint16_t sport, uint16_t dport)
{
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    p.ip_version = (uint8_t)ip_version;
    p.proto = (uint8_t)proto;
    struct nvg_filter_net n;
    if (src && nvg_filter_parse_net(src, &n) == 0)
        memcpy(p.src, n.addr, sizeof(p.src));
    if (dst && nvg_filter_parse_net(dst, &n) == 0)
        memcpy(p.dst, n.addr, sizeof(p.dst));
    if (proto == NVG_PROTO_TCP || proto == NVG_PROTO_UDP) {
        p.flags |= NVG_PKT_HAS_PORTS;
        p.sport = sport;
        p.dport = dport;
    }
    p.wire_len = 60;
    return p;
}

static void check_net(const struct nvg_filter_net *net)
{
    FUZZ_CHECK(net->set);
    FUZZ_CHECK(net->ip_version == 4 || net->ip_version == 6);
    int bits = net->ip_version == 4 ? 32 : 128;
    FUZZ_CHECK(net->prefix <= bits);
    for (int b = net->prefix; b < 128; b++)
        FUZZ_CHECK(!(net->addr[b / 8] & (0x80u >> (b % 8))));
}

/* The record's own source address, formatted, with the prefix of net: it must match. */
static void check_self_match(const struct nvg_pkt *pkt, const struct nvg_filter_net *net)
{
    if (pkt->ip_version != 4 && pkt->ip_version != 6)
        return;
    char text[64];
    size_t n = nvg_format_addr(text, pkt->src, pkt->ip_version);
    int bits = pkt->ip_version == 4 ? 32 : 128;
    snprintf(text + n, sizeof(text) - n, "/%d", net->prefix <= bits ? net->prefix : bits);
    struct nvg_filter f;
    nvg_filter_init(&f);
    FUZZ_CHECK(nvg_filter_parse_net(text, &f.src) == 0);
    FUZZ_CHECK(nvg_filter_match(&f, "s", pkt));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[FIELDS][TEXT_MAX + 1];
    memset(text, 0, sizeof(text));
    size_t off = 0;
    for (int k = 0; k < FIELDS && off <= size; k++) {
        size_t n = 0;
        while (off < size && data[off] != '\n') {
            if (n < TEXT_MAX)
                text[k][n++] = (char)data[off];
            off++;
        }
        off++;
    }

    struct nvg_filter f;
    nvg_filter_init(&f);
    int proto, port;
    if (nvg_filter_parse_proto(text[0], &proto) == 0) {
        FUZZ_CHECK(proto >= 0 && proto < NVG_PROTO_COUNT);
        f.proto = proto;
    }
    struct nvg_filter_net net;
    if (nvg_filter_parse_net(text[1], &net) == 0) {
        check_net(&net);
        f.src = net;
    }
    if (nvg_filter_parse_net(text[2], &net) == 0) {
        check_net(&net);
        f.dst = net;
    }
    if (nvg_filter_parse_port(text[3], &port) == 0) {
        FUZZ_CHECK(port >= 0 && port <= 65535);
        f.port = port;
    }
    /* As ctl.c does (snprintf into the field): the name is cut to NVG_SENSOR_NAME_MAX. */
    size_t sl = strnlen(text[4], NVG_SENSOR_NAME_MAX);
    memcpy(f.sensor, text[4], sl);
    f.sensor[sl] = '\0';

    struct nvg_pkt pkts[5];
    pkts[0] = make_pkt(4, NVG_PROTO_TCP, "10.1.2.3", "192.168.7.1", 40000, 443);
    pkts[1] = make_pkt(6, NVG_PROTO_UDP, "2001:db8::1", "ff02::fb", 5353, 5353);
    pkts[2] = make_pkt(4, NVG_PROTO_ARP, "192.168.7.1", "192.168.7.254", 0, 0);
    pkts[3] = make_pkt(0, NVG_PROTO_OTHER, NULL, NULL, 0, 0);
    /* One record of the input's first bytes. */
    memset(&pkts[4], 0, sizeof(pkts[4]));
    memcpy(&pkts[4], data, size < sizeof(pkts[4]) ? size : sizeof(pkts[4]));
    pkts[4].ip_version = pkts[4].ip_version & 1 ? 6 : 4;

    struct nvg_filter any;
    nvg_filter_init(&any);
    for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
        (void)nvg_filter_match(&f, "s1", &pkts[i]);
        (void)nvg_filter_match(&f, text[4], &pkts[i]);
        FUZZ_CHECK(nvg_filter_match(&any, text[4], &pkts[i]));
        if (f.src.set)
            check_self_match(&pkts[i], &f.src);
    }
    return 0;
}
