/* The packet record: one fixed-size struct per captured frame.
 *
 * The decoder fills it, the sensor batches it, the collector logs it. It is plain data (no
 * pointers) so that it can be copied into rings and batches without allocating. Field
 * meanings follow ../shared/DESIGN.md ("A packet record holds ..."). */
#ifndef NVG_PKT_H
#define NVG_PKT_H

#include <stdbool.h>
#include <stdint.h>

/* What the record reports as its protocol: the innermost layer we decoded, as named in the
 * CSV `proto` column. */
enum nvg_proto {
    NVG_PROTO_OTHER = 0, /* no IP or ARP found (unknown link type or ethertype) */
    NVG_PROTO_IPV4,      /* IPv4 carrying something other than TCP/UDP/ICMP */
    NVG_PROTO_IPV6,      /* IPv6 carrying something other than TCP/UDP/ICMPv6 */
    NVG_PROTO_TCP,
    NVG_PROTO_UDP,
    NVG_PROTO_ICMP,
    NVG_PROTO_ICMPV6,
    NVG_PROTO_ARP,
    NVG_PROTO_COUNT
};

enum nvg_payload_kind {
    NVG_PAYLOAD_NONE = 0,
    NVG_PAYLOAD_RAW,     /* bytes after the innermost decoded header, inside the IP datagram */
    NVG_PAYLOAD_PADDING, /* no such bytes, but the frame runs past the end of the datagram */
};

/* pkt->flags bits */
#define NVG_PKT_MALFORMED 0x01u /* a header field is impossible (bad IHL, bad version, ...) */
#define NVG_PKT_TRUNCATED 0x02u /* the capture ended inside a header or a declared length */
#define NVG_PKT_HAS_PORTS 0x04u /* sport/dport valid (TCP/UDP, first fragment) */
#define NVG_PKT_HAS_TTL 0x08u   /* ttl valid (IPv4 TTL or IPv6 hop limit) */
#define NVG_PKT_HAS_VLAN 0x10u  /* vlan_id valid (outermost tag) */
#define NVG_PKT_HAS_ICMP 0x20u  /* icmp_type/icmp_code valid */
#define NVG_PKT_FRAGMENT 0x40u  /* IP fragment (any); ports only when offset is 0 */
#define NVG_PKT_HAS_TCPFLAGS 0x80u
/* The capture time could not be represented (past the int64-nanosecond range, or a fraction
 * out of range) and was saturated to the nearest time that can; ts_ns is then not exact. */
#define NVG_PKT_TIME_CLAMPED 0x100u
/* src_mac/dst_mac valid (a decoder with MAC reporting on: struct nvg_decoder.macs). */
#define NVG_PKT_HAS_MAC 0x200u

/* TCP flag bits, in header bit order: F S R P A U E C N (N = AE / former NS, bit 8). */
#define NVG_TCP_FIN 0x001u
#define NVG_TCP_SYN 0x002u
#define NVG_TCP_RST 0x004u
#define NVG_TCP_PSH 0x008u
#define NVG_TCP_ACK 0x010u
#define NVG_TCP_URG 0x020u
#define NVG_TCP_ECE 0x040u
#define NVG_TCP_CWR 0x080u
#define NVG_TCP_NS 0x100u

/* Why a record is flagged; one named event per record (the first one met). X(NAME, "name"):
 * NVG_EV_<NAME> and the name nvg_decode_event_name() gives (text lines, logs). The values are
 * on the wire (PacketRecord.event) and index the decoder's counters: add new events at the
 * end. */
#define NVG_DECODE_EVENTS(X)                                                                       \
    X(NONE, "none")                                                                                \
    X(LINK_UNKNOWN, "link-unknown") /* link type the decoder does not know */                      \
    X(LINK_TRUNC, "link-truncated") /* link header cut short (Ethernet, SLL, NULL, VLAN tag) */    \
    X(IPV4_TRUNC, "ipv4-truncated")                                                                \
    X(IPV4_VERSION, "ipv4-bad-version")     /* version nibble is not 4 where IPv4 was expected */  \
    X(IPV4_IHL, "ipv4-bad-ihl")             /* IHL < 5 */                                          \
    X(IPV4_TOTLEN, "ipv4-bad-total-length") /* total length < header length */                     \
    X(IPV6_TRUNC, "ipv6-truncated")                                                                \
    X(IPV6_VERSION, "ipv6-bad-version")                                                            \
    X(IPV6_EXT_TRUNC, "ipv6-ext-truncated") /* extension-header chain runs past the data */        \
    X(IPV6_EXT_LIMIT, "ipv6-ext-too-many")  /* too many extension headers */                       \
    X(ARP_TRUNC, "arp-truncated")                                                                  \
    X(TCP_TRUNC, "tcp-truncated")                                                                  \
    X(TCP_DOFF, "tcp-bad-data-offset") /* data offset < 5 */                                       \
    X(UDP_TRUNC, "udp-truncated")                                                                  \
    X(ICMP_TRUNC, "icmp-truncated")                                                                \
    X(ICMPV6_TRUNC, "icmpv6-truncated")

enum nvg_decode_event {
#define NVG__EV_ENUM(name, text) NVG_EV_##name,
    NVG_DECODE_EVENTS(NVG__EV_ENUM) /* NVG_EV_NONE, NVG_EV_LINK_UNKNOWN, ... */
#undef NVG__EV_ENUM
    NVG_EV_COUNT
};

/* Payload bytes kept per record when payload capture is switched on. */
#define NVG_PAYLOAD_MAX 64

struct nvg_pkt {
    int64_t ts_ns;     /* capture time, ns since the epoch, UTC */
    uint32_t wire_len; /* length on the wire */
    uint32_t cap_len;  /* bytes captured */
    uint8_t src[16];   /* 4 bytes used for IPv4/ARP, 16 for IPv6 */
    uint8_t dst[16];
    uint8_t ip_version; /* 0 (none), 4 or 6; ARP reports 4 for IPv4 protocol addresses */
    uint8_t proto;      /* enum nvg_proto */
    uint8_t ip_proto;   /* last IP protocol / next-header number seen (255 when none) */
    uint8_t ttl;        /* IPv4 TTL or IPv6 hop limit (valid with NVG_PKT_HAS_TTL) */
    uint16_t sport;
    uint16_t dport;
    uint16_t tcp_flags; /* NVG_TCP_* bits */
    uint16_t vlan_id;
    uint8_t icmp_type;
    uint8_t icmp_code;
    uint8_t payload_kind; /* enum nvg_payload_kind */
    uint16_t flags;       /* NVG_PKT_* */
    uint8_t event;        /* enum nvg_decode_event */
    uint8_t payload_len;  /* bytes in payload[] (0 unless payload capture is on) */
    /* With NVG_PKT_HAS_MAC. Ethernet: the frame's source and destination. Linux SLL/SLL2: the
     * link-layer address the header carries (the sender's) in src_mac, dst_mac all zeros. ARP
     * with Ethernet hardware addresses (htype 1, hlen 6): the ARP sender and target hardware
     * addresses, which is what ARP spoofing detection needs (they replace the link header's). */
    uint8_t src_mac[6];
    uint8_t dst_mac[6];
    uint8_t payload[NVG_PAYLOAD_MAX];
};

const char *nvg_proto_name(enum nvg_proto proto);
/* Case-insensitive; returns -1 for an unknown name. */
int nvg_proto_from_name(const char *name);
const char *nvg_payload_kind_name(enum nvg_payload_kind kind);
const char *nvg_decode_event_name(enum nvg_decode_event ev);

#endif
