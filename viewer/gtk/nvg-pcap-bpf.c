#include "nvg-pcap-bpf.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* The decoder's protocols in libpcap's words. IPv4 / IPv6 are what the decoder leaves once it
 * found no TCP, UDP or ICMP in them; "other" is a frame with neither IP nor ARP. */
static const char *proto_bpf(int proto)
{
    switch (proto) {
    case NVG_PROTO_TCP:
        return "tcp";
    case NVG_PROTO_UDP:
        return "udp";
    case NVG_PROTO_ICMP:
        return "icmp";
    case NVG_PROTO_ICMPV6:
        return "icmp6";
    case NVG_PROTO_ARP:
        return "arp";
    case NVG_PROTO_IPV4:
        return "(ip and not tcp and not udp and not icmp)";
    case NVG_PROTO_IPV6:
        return "(ip6 and not tcp and not udp and not icmp6)";
    case NVG_PROTO_OTHER:
        /* not a VLAN tag either: the list reads through it (to IP, most of the time) */
        return "(not ip and not ip6 and not arp and not (ether proto 0x8100 or ether proto "
               "0x88a8 or ether proto 0x9100))";
    default:
        return NULL;
    }
}

/* "host 10.0.0.1" or "net 10.0.0.0/8" (the address is masked already); dir "src ", "dst " or "". */
static void net_term(char *buf, size_t size, const char *dir, const struct nvg_filter_net *n)
{
    char addr[INET6_ADDRSTRLEN];
    int af = n->ip_version == 6 ? AF_INET6 : AF_INET;
    if (!inet_ntop(af, n->addr, addr, sizeof(addr)))
        addr[0] = '\0';
    if (n->prefix == (n->ip_version == 6 ? 128 : 32))
        snprintf(buf, size, "%shost %s", dir, addr);
    else
        snprintf(buf, size, "%snet %s/%u", dir, addr, n->prefix);
}

/* The address part, as nvg_filter_match reads it: src and dst one way, or either way round. */
static void nets_term(char *buf, size_t size, const struct nvg_filter *f)
{
    char s[64], d[64], rs[64], rd[64]; /* "src net " and an IPv6 CIDR: 51 */
    buf[0] = '\0';
    if (!f->src.set && !f->dst.set)
        return;
    if (f->src.set != f->dst.set) {
        const struct nvg_filter_net *n = f->src.set ? &f->src : &f->dst;
        net_term(buf, size, f->both_ways ? "" : f->src.set ? "src " : "dst ", n);
        return;
    }
    net_term(s, sizeof(s), "src ", &f->src);
    net_term(d, sizeof(d), "dst ", &f->dst);
    if (!f->both_ways) {
        snprintf(buf, size, "%s and %s", s, d);
        return;
    }
    net_term(rs, sizeof(rs), "dst ", &f->src);
    net_term(rd, sizeof(rd), "src ", &f->dst);
    snprintf(buf, size, "((%s and %s) or (%s and %s))", s, d, rd, rs);
}

size_t nvg_pcap_bpf_from_filter(const struct nvg_filter *f, char *bpf, size_t size)
{
    char terms[400], nets[300]; /* at most ~300 and ~230: IPv6 networks both ways */
    const char *proto = f->proto >= 0 ? proto_bpf(f->proto) : NULL;
    nets_term(nets, sizeof(nets), f);
    size_t n = 0;
    terms[0] = '\0';
    if (proto)
        n += (size_t)snprintf(terms + n, sizeof(terms) - n, "%s", proto);
    if (nets[0])
        n += (size_t)snprintf(terms + n, sizeof(terms) - n, "%s%s", n ? " and " : "", nets);
    if (f->port >= 0 && n < sizeof(terms))
        n += (size_t)snprintf(terms + n, sizeof(terms) - n, "%sport %d", n ? " and " : "", f->port);
    if (!terms[0]) {
        bpf[0] = '\0';
        return 0;
    }
    /* The decoder reads through VLAN tags; BPF's "vlan" moves its offsets past one. */
    int len = snprintf(bpf, size, "(%s) or (vlan and (%s))", terms, terms);
    return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
}
