/* Private to sensor/flow/: the table's entry and the TCP analysis state it holds. */
#ifndef NVG_FLOW_INTERNAL_H
#define NVG_FLOW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "flow-table.h"

#define NVG__FLOW_NONE UINT32_MAX

/* Wireshark's tcp.analysis flags of one segment (a subset of its TCP_A_*). */
#define NVG__TA_RETRANS 0x001u
#define NVG__TA_FAST_RETRANS 0x002u
#define NVG__TA_SPURIOUS 0x004u
#define NVG__TA_OOO 0x008u
#define NVG__TA_DUP_ACK 0x010u
#define NVG__TA_ZERO_WINDOW 0x020u
#define NVG__TA_WINDOW_FULL 0x040u
#define NVG__TA_KEEP_ALIVE 0x080u
#define NVG__TA_ZWP 0x100u /* zero window probe */
#define NVG__TA_ANY_RETRANS (NVG__TA_RETRANS | NVG__TA_FAST_RETRANS | NVG__TA_SPURIOUS)

/* Window scale as Wireshark keeps it: unknown until a SYN of the direction is seen, "none"
 * when the handshake showed that scaling is off. */
#define NVG__WS_UNKNOWN (-1)
#define NVG__WS_NONE (-2)

/* One direction as tcp_analyze_sequence_number sees it (tcp_flow_t and its
 * tcp_analyze_seq_flow_info_t). 0 means "not yet" for nextseq and maxseqtobeacked, as there. */
struct nvg__tcp_dir {
    uint32_t base_seq;
    uint32_t nextseq;
    uint32_t maxseqtobeacked;
    uint32_t lastack;
    uint32_t window; /* raw, UINT32_MAX before the first segment */
    uint32_t dupacknum;
    int64_t nextseqtime;
    int64_t lastacktime;
    uint16_t lastsegmentflags; /* NVG__TA_* of the direction's last segment */
    int8_t win_scale;
    bool base_set;
};

struct nvg__tcp {
    struct nvg__tcp_dir d[2]; /* [0] orig -> resp, [1] resp -> orig */
    int64_t ts_mru_syn;       /* the last SYN's time, 0 before one */
    int64_t ts_first_rtt;     /* Wireshark's initial RTT, 0 until known */
    int64_t ts_synack;        /* the last SYN/ACK's time, 0 before one */
};

/* Per direction, what the state and history are computed from. */
#define NVG__SEEN_SYN 0x01u    /* SYN without ACK */
#define NVG__SEEN_SYNACK 0x02u /* SYN with ACK */
#define NVG__SEEN_FIN 0x04u
#define NVG__SEEN_RST 0x08u

/* Timeout classes; each has its own list in the order entries were queued (see
 * flow-table.c: a packet does not move its entry, expiry requeues what was touched since). */
enum nvg__flow_class {
    NVG__CLASS_OTHER,  /* UDP, ICMP, other IP: idle_ns */
    NVG__CLASS_SYN,    /* TCP without an answer yet: syn_ns, and evicted first */
    NVG__CLASS_EST,    /* TCP answered: tcp_ns */
    NVG__CLASS_CLOSED, /* TCP after both FINs or a RST: closed_ns */
    NVG__CLASS_COUNT
};

struct nvg__flow_key {
    uint8_t a[16], b[16]; /* the lower (address, port) first, so both directions meet */
    uint16_t pa, pb;
    uint16_t vlan;
    uint8_t ip_proto;
    uint8_t ip_version;
    uint8_t has_vlan;
    uint8_t pad[7]; /* to 48 bytes: six whole words for the hash */
};

struct nvg__flow_entry {
    struct nvg__flow_key key;
    uint32_t hash;
    uint32_t prev, next;         /* class list (or the free list: next) */
    uint32_t act_prev, act_next; /* active-timeout list */
    uint8_t cls;
    bool orig_is_a;  /* orig is (key.a, key.pa) */
    uint8_t seen[2]; /* NVG__SEEN_* per direction */
    int64_t touched; /* the table's clock at the last packet */
    int64_t queued;  /* the clock when it was put at its list's tail */
    int64_t active_due;
    uint8_t first_rst; /* 1 + direction of the first RST, 0 before one */
    uint8_t hist_len;
    uint16_t hist_have[2]; /* history letters already written, per direction */
    struct nvg__tcp tcp;
    struct nvg_flow rec;
};

void nvg__tcp_init(struct nvg__tcp *tcp);
/* Wireshark's analysis of one segment sent in direction dir; returns its NVG__TA_* flags. */
unsigned nvg__tcp_analyze(struct nvg__tcp *tcp, int dir, const struct nvg_l4_info *l4,
                          uint16_t flags, int64_t ts);
/* The handshake fields of one segment (ts_mru_syn, initial RTT and its halves, window scale). */
void nvg__tcp_handshake(struct nvg__flow_entry *e, int dir, const struct nvg_l4_info *l4,
                        uint16_t flags, int64_t ts);
/* Zeek's conn_state of the entry into e->rec.state. */
void nvg__flow_state(struct nvg__flow_entry *e);
void nvg__flow_history_add(struct nvg__flow_entry *e, int dir, char letter, uint16_t bit);

/* Appends a history letter (upper case for orig, lower for resp) once per direction, in the
 * order first seen (Zeek repeats some with growing counts; we do not); the string is capped at
 * NVG_FLOW_HISTORY_MAX - 1. Inline: a packet asks for two or three letters it almost always
 * has already, and the letter is a constant the switch folds away. */
static inline void nvg__flow_history(struct nvg__flow_entry *e, int dir, char letter)
{
    unsigned n;
    switch (letter) {
    case 'S':
        n = 0;
        break;
    case 'H':
        n = 1;
        break;
    case 'A':
        n = 2;
        break;
    case 'D':
        n = 3;
        break;
    case 'F':
        n = 4;
        break;
    case 'R':
        n = 5;
        break;
    case 'T':
        n = 6;
        break;
    case 'W':
        n = 7;
        break;
    case '^':
        n = 8;
        break;
    default:
        return;
    }
    uint16_t bit = (uint16_t)(1u << n);
    if (!(e->hist_have[dir] & bit))
        nvg__flow_history_add(e, dir, letter, bit);
}

#endif
