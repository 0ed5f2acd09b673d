/* nvg-gen-pcap: writes a deterministic synthetic capture with a realistic traffic mix.
 *
 *   nvg-gen-pcap -o FILE -n COUNT [--seed N] [--link ether|sll|sll2|raw|null] [--nano]
 *                [--pps N] [-v]
 *
 * The same arguments always give a byte-identical file: every choice comes from one
 * splitmix64 stream seeded by --seed, and timestamps start at a fixed instant
 * (2024-07-28T18:58:41Z) and advance by a jittered 1/pps.
 *
 * Traffic model: ~1000 dual-stack hosts (600 internal in 10.x / 2001:db8:1:1::/64 behind one
 * router, 400 external in 198.18.0.0/15 / 2001:db8::/32, both documentation / benchmarking
 * ranges) and a table of concurrent flows. TCP flows run a handshake (some with ECN
 * setup), data and ACKs in both directions, then FIN or RST; a few are SYN scans answered by
 * RST-ACK. UDP flows carry DNS (port 53, real queries and answers) or other datagrams; ICMP
 * and ICMPv6 flows are echo request/reply. Sprinkled in: ARP request/reply, ICMPv6 neighbour
 * solicitation/advertisement, IPv4 and IPv6 fragment trains (first and later fragments),
 * IPv4 options, IPv6 extension headers (hop-by-hop, destination options, routing (SRH,
 * segments left 0), AH, fragment) and a few packets of an unknown IP protocol. Internal hosts
 * may sit on an 802.1Q VLAN (a few on QinQ 0x88a8 or 0x9100 + 0x8100). IP, TCP, UDP and ICMP
 * lengths and checksums are correct. Frames are 60..1514 bytes on Ethernet (short ones
 * padded with zeros, as a NIC does); other link types carry the same IP packets behind
 * their own header (Linux SLL / SLL2, raw IP, BSD loopback with AF_INET6 as 24, 28 or 30),
 * where ARP is kept only for SLL / SLL2 and VLAN tags only for Ethernet.
 *
 * The file is written in this host's byte order (classic pcap, version 2.4, snaplen 65535,
 * microsecond magic or nanosecond magic with --nano); every frame is captured whole.
 *
 * This file holds the options and the main loop; gen-pcap.h says where the rest is. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-pcap.h"

static int parse_link(const char *s)
{
    static const struct {
        const char *name;
        int dlt;
    } names[] = {{"ether", LINKTYPE_ETHERNET}, {"en10mb", LINKTYPE_ETHERNET},
                 {"sll", LINKTYPE_LINUX_SLL},  {"sll2", LINKTYPE_LINUX_SLL2},
                 {"raw", LINKTYPE_RAW},        {"null", LINKTYPE_NULL}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].dlt;
    return -1;
}

static void usage(FILE *fp)
{
    fputs("usage: nvg-gen-pcap -o FILE -n COUNT [--seed N] [--link ether|sll|sll2|raw|null]\n"
          "                    [--nano] [--pps N] [-v]\n"
          "Writes a deterministic synthetic pcap (same arguments, same bytes). FILE may be -.\n"
          "  --pps N   mean packets per second of the timestamps (default 100000)\n"
          "  --nano    nanosecond-resolution pcap (default microseconds)\n"
          "  -v        print a summary of the mix to stderr\n",
          fp);
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        return false;
    *v = x;
    return true;
}

struct options {
    const char *out;
    uint64_t count, seed, pps;
    bool nano, verbose;
    int link;
};

/* The summary -v prints. */
struct totals {
    uint64_t bytes, minlen, maxlen, span_ns;
};

/* Fills o from the command line; -1 when the program goes on, else its exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"count", required_argument, NULL, 'n'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"link", required_argument, NULL, 'l'},
                                             {"nano", no_argument, NULL, 'N'},
                                             {"pps", required_argument, NULL, 'p'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    bool have_count = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:n:s:l:p:vh", longopts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'o':
            o->out = optarg;
            break;
        case 'n':
            ok = have_count = parse_u64(optarg, &o->count);
            break;
        case 's':
            ok = parse_u64(optarg, &o->seed);
            break;
        case 'p':
            ok = parse_u64(optarg, &o->pps) && o->pps > 0 && o->pps <= 1000000000;
            break;
        case 'l':
            ok = (o->link = parse_link(optarg)) >= 0;
            break;
        case 'N':
            o->nano = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "nvg-gen-pcap: bad value for --%s: %s\n",
                    c == 'n'   ? "count"
                    : c == 's' ? "seed"
                    : c == 'p' ? "pps"
                               : "link",
                    optarg);
            return 2;
        }
    }
    if (!o->out || !have_count || optind != argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* The count packets, timestamps from the fixed start, each 1/pps apart with jitter. */
static void write_packets(struct gen *g, struct gen_writer *w, const struct options *o,
                          struct totals *tot)
{
    const uint64_t t0 = 1722193121ull * 1000000000ull; /* 2024-07-28T18:58:41Z */
    const uint64_t step = 1000000000ull / o->pps;
    uint64_t t = t0;
    *tot = (struct totals){.minlen = UINT64_MAX};
    for (uint64_t i = 0; i < o->count; i++) {
        const struct item *it = gen_peek(g);
        uint8_t *rec = gen_writer_reserve(w, 16 + MAXFRAME + 64);
        if (!rec)
            break;
        uint32_t n = (uint32_t)gen_frame(g, it, rec + 16);
        gen_pop(g);
        if (i)
            t += step / 2 + (step ? rnd(&g->r) % (step + 1) : 0) + (step < 2);
        gen_writer_put(w, rec, t, n);
        tot->bytes += n;
        tot->minlen = n < tot->minlen ? n : tot->minlen;
        tot->maxlen = n > tot->maxlen ? n : tot->maxlen;
        if (it->ethertype == ET_IPV6)
            g->stats[ST_V6]++;
    }
    tot->span_ns = t - t0;
}

static void print_summary(const struct gen *g, uint64_t count, const struct totals *tot)
{
    fprintf(stderr,
            "nvg-gen-pcap: %" PRIu64 " packets, %" PRIu64 " bytes, mean %.1f, min %" PRIu64
            ", max %" PRIu64 ", span %.3f s\n"
            "  generated: tcp %" PRIu64 " udp %" PRIu64 " icmp-echo %" PRIu64 " arp %" PRIu64
            " nd %" PRIu64 " frag4-trains %" PRIu64 " frag6-trains %" PRIu64 " other %" PRIu64
            "\n  written: ipv6 %" PRIu64 " vlan-tagged %" PRIu64 "\n",
            count, tot->bytes, (double)tot->bytes / (double)count, tot->minlen, tot->maxlen,
            (double)tot->span_ns / 1e9, g->stats[ST_TCP], g->stats[ST_UDP], g->stats[ST_ICMP],
            g->stats[ST_ARP], g->stats[ST_ND], g->stats[ST_FRAG4], g->stats[ST_FRAG6],
            g->stats[ST_OTHER], g->stats[ST_V6], g->stats[ST_VLAN]);
}

int main(int argc, char **argv)
{
    struct options o = {.seed = 1, .pps = 100000, .link = LINKTYPE_ETHERNET};
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct gen *g = calloc(1, sizeof(*g));
    if (!g) {
        fprintf(stderr, "nvg-gen-pcap: out of memory\n");
        return 1;
    }
    struct gen_writer w;
    if (gen_writer_open(&w, o.out, o.nano, o.link) < 0)
        return 1;
    gen_init(g, o.seed, o.link);
    struct totals tot;
    write_packets(g, &w, &o, &tot);
    rc = gen_writer_close(&w, o.out);
    if (o.verbose && o.count)
        print_summary(g, o.count, &tot);
    free(g);
    return rc;
}
