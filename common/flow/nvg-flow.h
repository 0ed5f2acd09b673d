/* A conversation (flow) record: what the sensor's flow table exports when a conversation ends,
 * or as an update while a long one goes on, and what the collector, the CSV, the feed, ctl and
 * the viewer see of it (issue 12).
 *
 * The two directions are named after Zeek's conn.log: "orig" is the initiator (the sender of
 * the first SYN for TCP, of the first packet otherwise), "resp" the responder. Counters are
 * cumulative over the conversation's life: an update carries everything so far, and the last
 * export (end != NVG_FLOW_ACTIVE) the totals. Plain data, no pointers, so that it can be
 * copied into batches without allocating. */
#ifndef NVG_FLOW_H
#define NVG_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Version of the flow record's meaning (FlowRecord.format): bump when a field changes what it
 * counts, so that a collector can tell records it cannot interpret. */
#define NVG_FLOW_FORMAT 1

/* Why the record was exported. The values are on the wire (FlowRecord.end, enum FlowEnd). */
#define NVG_FLOW_ENDS(X)                                                                           \
    X(ACTIVE, "active")   /* an update: the conversation goes on */                                \
    X(FIN, "fin")         /* both FINs seen (or FIN then the idle timeout) */                      \
    X(RST, "rst")         /* a reset */                                                            \
    X(IDLE, "idle")       /* no packet for the idle timeout */                                     \
    X(EVICTED, "evicted") /* the table was full and this was the oldest idle entry */              \
    X(STOPPED, "stopped") /* the capture ended (end of file, stop, shutdown) */

enum nvg_flow_end {
#define NVG__FLOW_END_ENUM(name, text) NVG_FLOW_##name,
    NVG_FLOW_ENDS(NVG__FLOW_END_ENUM)
#undef NVG__FLOW_END_ENUM
        NVG_FLOW_END_COUNT
};

/* nvg_flow.flags bits */
#define NVG_FLOW_HAS_VLAN 0x01u       /* vlan_id valid */
#define NVG_FLOW_HAS_RTT_SERVER 0x02u /* rtt_server_ns valid: SYN -> SYN/ACK seen */
#define NVG_FLOW_HAS_RTT_CLIENT 0x04u /* rtt_client_ns valid: SYN/ACK -> ACK seen */
#define NVG_FLOW_TIME_CLAMPED                                                                      \
    0x08u                        /* a packet's capture time was clamped (NVG_PKT_TIME_CLAMPED)     \
                                  */
#define NVG_FLOW_HAS_PORTS 0x10u /* orig_port/resp_port are TCP/UDP ports */

/* Zeek's conn_state letters: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH. */
#define NVG_FLOW_STATE_MAX 8
/* Zeek-style history letters (README "Conversations" documents ours); capped. */
#define NVG_FLOW_HISTORY_MAX 24

struct nvg_flow_dir {
    uint64_t packets;
    uint64_t bytes;         /* wire length, as tshark's conversation table counts */
    uint64_t payload_bytes; /* TCP/UDP payload by the headers' lengths */
    uint16_t tcp_flags;     /* NVG_TCP_* seen in this direction */
    /* TCP analysis, per frame as Wireshark's tcp.analysis flags it (frames, not bytes). */
    uint32_t retransmissions; /* tcp.analysis.retransmission (fast and spurious included) */
    uint32_t out_of_order;    /* tcp.analysis.out_of_order */
    uint32_t duplicate_acks;  /* tcp.analysis.duplicate_ack */
    uint32_t zero_windows;    /* tcp.analysis.zero_window */
    uint32_t window_full;     /* tcp.analysis.window_full */
};

struct nvg_flow {
    uint64_t id;         /* per sensor boot, unique per conversation; updates share it */
    uint32_t export_seq; /* 0 for the first export of this conversation, then 1, 2, ... */
    uint8_t end;         /* enum nvg_flow_end */
    uint8_t ip_version;  /* 4 or 6 */
    uint8_t proto;       /* enum nvg_proto of the packets (TCP, UDP, ICMP, ICMPV6, IPV4, IPV6) */
    uint8_t ip_proto;
    uint16_t flags; /* NVG_FLOW_* */
    uint16_t vlan_id;
    int64_t first_ns; /* capture time of the first and the last packet */
    int64_t last_ns;
    uint8_t orig[16]; /* 4 bytes used for IPv4 */
    uint8_t resp[16];
    /* TCP/UDP ports (NVG_FLOW_HAS_PORTS); for ICMP the echo identifier in both, else 0. */
    uint16_t orig_port;
    uint16_t resp_port;
    /* Handshake halves as the sensor sees them: SYN -> SYN/ACK is the path from the sensor to
     * the server and back, SYN/ACK -> ACK the path to the client and back. Their sum is
     * Wireshark's tcp.analysis.initial_rtt. */
    int64_t rtt_server_ns;
    int64_t rtt_client_ns;
    struct nvg_flow_dir dir[2];         /* [0] orig -> resp, [1] resp -> orig */
    char state[NVG_FLOW_STATE_MAX];     /* NUL-terminated, e.g. "SF" */
    char history[NVG_FLOW_HISTORY_MAX]; /* NUL-terminated, e.g. "ShADadFf" */
};

struct nvg_filter; /* nvg-filter.h */
/* The display filter (protocol, source = originator, destination = responder, port of either,
 * sensor, a time span the conversation overlaps) on a conversation (flow-filter.c). */
bool nvg_flow_filter_match(const struct nvg_filter *flt, const char *sensor,
                           const struct nvg_flow *f);

const char *nvg_flow_end_name(enum nvg_flow_end end);
/* 0 and *end from the text nvg_flow_end_name gives, or -1. */
int nvg_flow_end_parse(const char *text, enum nvg_flow_end *end);

/* flows-*.csv and `netvigil-sensor --flows FILE` (README "Conversations" documents each
 * column). Times ISO 8601 UTC with µs; rtt columns in µs with three decimals (ns), empty when
 * unknown; addresses inet_ntop text; ports empty without NVG_FLOW_HAS_PORTS. */
#define NVG_FLOW_CSV_HEADER                                                                        \
    "first,last,sensor,id,update,end,proto,ip_proto,orig,orig_port,resp,resp_port,vlan,"           \
    "orig_packets,orig_bytes,resp_packets,resp_bytes,orig_payload,resp_payload,orig_flags,"        \
    "resp_flags,state,history,rtt_us,rtt_server_us,rtt_client_us,orig_retrans,resp_retrans,"       \
    "orig_ooo,resp_ooo,orig_dup_ack,resp_dup_ack,orig_zero_window,resp_zero_window,"               \
    "orig_window_full,resp_window_full\n"
#define NVG_FLOW_CSV_LINE_MAX 1024

/* One row ending in '\n'; sensor_csv already passed through nvg_csv_quote. Returns its
 * length. */
size_t nvg_flow_format_csv(char *buf, const struct nvg_flow *f, const char *sensor_csv,
                           size_t sensor_csv_len);

/* One line for people ("netvigil-ctl flows", --print): "[first] TCP 10.0.0.1:5000 -> 10.0.0.2:80
 * SF ShADadFf 12/3456 B -> 10/98765 B rtt=1.234ms retrans=2/0 end=fin", with '\n'. sensor may
 * be NULL. Strings pass through nvg_text escaping. */
#define NVG_FLOW_LINE_MAX 512
size_t nvg_flow_format_line(char *buf, const struct nvg_flow *f, const char *sensor);

#endif
