/* The parts of nvg-gen-pcap (what it writes: gen-pcap.c): the random stream, the model of
 * hosts and flows and its packet queue (gen-pcap-traffic.c), the network-layer builders
 * (gen-pcap-ip.c), and the link layer and the file (gen-pcap-write.c). Every choice comes from
 * the one splitmix64 stream in struct gen, in a fixed order: that order is what makes the same
 * arguments give the same bytes, so code moved between these files must keep it. */
#ifndef NVG_GEN_PCAP_H
#define NVG_GEN_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LINKTYPE_NULL 0
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_LINUX_SLL2 276

#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_IPV6 0x86dd

#define NHOSTS 1000
#define NINTERNAL 600
#define NFLOWS 1024
#define MAXFRAME 1514
#define POOL_SIZE 65536
#define QUEUE_MAX 4

/* ---- random numbers ------------------------------------------------------------------- */

struct rng {
    uint64_t s;
};

static inline uint64_t rnd(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static inline uint32_t below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline uint32_t range(struct rng *r, uint32_t lo, uint32_t hi)
{
    return lo + below(r, hi - lo + 1);
}

static inline bool chance(struct rng *r, uint32_t per_mille)
{
    return below(r, 1000) < per_mille;
}

/* ---- byte helpers --------------------------------------------------------------------- */

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- the world: hosts, flows and the packet queue ------------------------------------- */

struct host {
    uint8_t v4[4];
    uint8_t v6[16];
    uint8_t ll6[16]; /* link-local, for neighbour discovery */
    uint8_t mac[6];  /* external hosts carry the router's MAC */
    uint8_t ttl;     /* initial TTL / hop limit as seen on this link */
    uint8_t ntags;   /* VLAN tags on this host's frames (0..2) */
    uint16_t tpid;   /* outer tag type when ntags == 2 */
    uint16_t vlan[2];
};

enum flow_kind { FLOW_TCP, FLOW_SCAN, FLOW_UDP, FLOW_DNS, FLOW_ICMP };

struct flow {
    uint16_t cli, srv; /* host indexes */
    uint16_t sport, dport;
    uint8_t kind; /* enum flow_kind */
    uint8_t v6;
    uint8_t ecn;   /* TCP: ECN negotiated */
    uint8_t tsopt; /* TCP: timestamps option on every segment */
    uint8_t hbh;   /* IPv6 extension headers on this flow's packets (bitmask EXT_*) */
    uint8_t v4opt; /* IPv4 header with options */
    uint16_t step;
    uint16_t steps; /* data steps before closing */
    uint32_t seq[2];
    uint16_t ipid[2];
};

/* One frame's worth of network-layer bytes plus what the link header needs. */
struct item {
    uint16_t ethertype;
    uint8_t smac[6], dmac[6];
    const struct host *tagged; /* host whose VLAN tags apply, or NULL */
    uint8_t outgoing;          /* SLL packet type: sent by an internal host */
    uint16_t len;
    uint8_t data[MAXFRAME];
};

enum { EXT_HBH = 1, EXT_DST = 2, EXT_RH = 4, EXT_AH = 8 };

struct gen {
    struct rng r;
    int link;
    struct host hosts[NHOSTS];
    struct flow flows[NFLOWS];
    uint8_t pool[POOL_SIZE + 4096]; /* any gen_payload() read of up to 4096 bytes stays inside */
    uint8_t router_mac[6];
    struct item q[QUEUE_MAX];
    int qhead, qlen;
    uint32_t frag_id;
    uint8_t l4[4096]; /* scratch: one transport segment before it is cut into frames */
    uint64_t stats[16];
};

enum { ST_ARP, ST_ND, ST_FRAG4, ST_FRAG6, ST_OTHER, ST_TCP, ST_UDP, ST_ICMP, ST_V6, ST_VLAN };

/* ---- the traffic model (gen-pcap-traffic.c) ------------------------------------------- */

/* Seeds the stream and builds the hosts and the flow table; g must be zeroed. */
void gen_init(struct gen *g, uint64_t seed, int link);
/* The next packet, generated when the queue is empty; it stays queued until gen_pop(). */
const struct item *gen_peek(struct gen *g);
void gen_pop(struct gen *g);

/* ---- the network layer (gen-pcap-ip.c) ------------------------------------------------ */

/* Queues an item from one host to another; the caller fills its data and len. */
struct item *gen_push_item(struct gen *g, const struct host *from, const struct host *to,
                           uint16_t ethertype);
/* Fills a transport checksum at l4[off] over the pseudo-header and the whole segment. */
void gen_l4_checksum(uint8_t *l4, size_t len, size_t off, bool v6, const uint8_t *src,
                     const uint8_t *dst, uint8_t proto, bool pseudo);
size_t gen_ip4_header(uint8_t *p, const struct host *s, const struct host *d, uint8_t proto,
                      size_t paylen, uint16_t id, uint16_t frag, bool opts);
size_t gen_ip6_header(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t nh, size_t paylen,
                      uint8_t hlim, uint32_t label);
/* Turns the transport segment in g->l4 into one IP packet (or a train of fragments). */
void gen_emit_ip(struct gen *g, const struct flow *f, int dir, uint8_t proto, size_t l4len,
                 bool fragment);
/* Largest transport segment that still fits a 1514-byte Ethernet frame for this flow. */
size_t gen_l4_room(const struct gen *g, const struct flow *f, int dir);
/* Payload bytes: somewhere in the random pool. */
const uint8_t *gen_payload(struct gen *g);

/* ---- the link layer and the file (gen-pcap-write.c) ----------------------------------- */

/* Classic pcap in this host's byte order, buffered. */
struct gen_writer {
    FILE *fp;
    uint8_t *buf;
    size_t used, cap;
    bool nano;
};

/* Writes the frame for one queued item into out; returns its length. */
size_t gen_frame(struct gen *g, const struct item *it, uint8_t *out);
/* Opens path (- for stdout) and starts the file with its header; 0, or -1 with a message. */
int gen_writer_open(struct gen_writer *w, const char *path, bool nano, int link);
/* Room for a record of up to n bytes (header included), or NULL when a flush failed. */
uint8_t *gen_writer_reserve(struct gen_writer *w, size_t n);
/* Completes the record at rec (from gen_writer_reserve) holding a frame of len bytes. */
void gen_writer_put(struct gen_writer *w, uint8_t *rec, uint64_t t_ns, uint32_t len);
/* Flushes and closes; 0, or 1 with a message naming path. */
int gen_writer_close(struct gen_writer *w, const char *path);

#endif
