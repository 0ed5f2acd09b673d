/* The sensor's conversation (flow) table (issue 12): a fixed-capacity, bidirectional table
 * keyed by addresses, ports (or the ICMP echo identifier), IP protocol and VLAN, fed with every
 * decoded packet. It keeps per conversation what struct nvg_flow exports, runs Wireshark's TCP
 * sequence analysis (flow-tcp.c) and hands each record it exports (end, update, eviction) to
 * one callback. Memory is allocated once, at creation; the per-packet path allocates nothing.
 *
 * Time is the capture clock: the packets' times (never going back: the table keeps the newest
 * time it saw), moved on by nvg_flow_table_expire when a live link is silent. */
#ifndef NVG_FLOW_TABLE_H
#define NVG_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "nvg-flow.h"
#include "nvg-pkt.h"

#define NVG_FLOW_SEC 1000000000LL
#define NVG_FLOW_CAPACITY_DEFAULT 65536u
#define NVG_FLOW_CAPACITY_MAX (1u << 26)
#define NVG_FLOW_IDLE_DEFAULT (30 * NVG_FLOW_SEC)   /* UDP, ICMP, other IP */
#define NVG_FLOW_TCP_DEFAULT (300 * NVG_FLOW_SEC)   /* established TCP */
#define NVG_FLOW_SYN_DEFAULT (30 * NVG_FLOW_SEC)    /* TCP the responder never answered */
#define NVG_FLOW_CLOSED_DEFAULT (5 * NVG_FLOW_SEC)  /* TCP after both FINs or a RST */
#define NVG_FLOW_ACTIVE_DEFAULT (60 * NVG_FLOW_SEC) /* an update of a long conversation */

struct nvg_flow_config {
    uint32_t capacity; /* conversations held at once */
    int64_t idle_ns;
    int64_t tcp_ns;
    int64_t syn_ns;
    int64_t closed_ns;
    int64_t active_ns; /* 0: no updates, one record per conversation */
};

/* What SensorStatus carries (flows_active/exported/evicted). */
struct nvg_flow_counters {
    uint64_t active;   /* conversations in the table now */
    uint64_t exported; /* records handed to the callback, updates included */
    uint64_t evicted;  /* conversations exported early because the table was full */
    uint64_t created;  /* conversations ever started */
};

/* Called for every export; 0, or a negative NVG_E* that the table's caller gets back. */
typedef int (*nvg_flow_export_fn)(void *ud, const struct nvg_flow *flow);

struct nvg_flow_table;

void nvg_flow_config_default(struct nvg_flow_config *cfg);
/* NULL when out of memory (or capacity 0 / above NVG_FLOW_CAPACITY_MAX). */
struct nvg_flow_table *nvg_flow_table_new(const struct nvg_flow_config *cfg, nvg_flow_export_fn fn,
                                          void *ud);
void nvg_flow_table_free(struct nvg_flow_table *t);

/* One decoded packet with the decoder's side information of the same frame. Packets without
 * IP addresses (ARP, unknown link layers) are not conversations and are ignored. Returns 0 or
 * the callback's error. */
int nvg_flow_table_packet(struct nvg_flow_table *t, const struct nvg_pkt *pkt,
                          const struct nvg_l4_info *l4);
/* With look-ahead on, nvg_flow_table_packet holds the last few packets back and handles each
 * a few packets later, fetching its index slot and entry from memory in the meantime (the
 * order of the packets is kept). nvg_flow_table_flush handles what is held back; expire and
 * stop flush first. Off by default. */
void nvg_flow_table_set_lookahead(struct nvg_flow_table *t, bool on);
int nvg_flow_table_flush(struct nvg_flow_table *t);
/* Moves the table's clock to now_ns (if later) and exports what timed out. */
int nvg_flow_table_expire(struct nvg_flow_table *t, int64_t now_ns);
/* The capture ended: exports every conversation with end=stopped and empties the table. */
int nvg_flow_table_stop(struct nvg_flow_table *t);
/* The newest packet time seen (0 before the first packet). */
int64_t nvg_flow_table_now(const struct nvg_flow_table *t);
void nvg_flow_table_counters(const struct nvg_flow_table *t, struct nvg_flow_counters *c);
/* Bytes per conversation slot (entry plus its share of the index), for --help and README. */
size_t nvg_flow_table_entry_bytes(void);

#endif
