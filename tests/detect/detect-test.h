/* Synthetic record builders and an alert collector shared by the detection engine's tests
 * and bench. */
#ifndef NVG_DETECT_TEST_H
#define NVG_DETECT_TEST_H

#include <stdlib.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nvg-detect.h"

#define SEC 1000000000LL
#define MS 1000000LL
#define T0 (1722193121LL * SEC) /* record time the streams start at */

static inline void ip4(uint8_t out[16], const char *s)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) != 1)
        abort();
}

static inline void ip4n(uint8_t out[16], uint32_t host_order)
{
    memset(out, 0, 16);
    uint32_t n = htonl(host_order);
    memcpy(out, &n, 4);
}

static inline void mk_base(struct nvg_pkt *p, int64_t ts, const uint8_t *src, const uint8_t *dst,
                           unsigned proto, uint32_t len)
{
    memset(p, 0, sizeof(*p));
    p->ts_ns = ts;
    p->wire_len = p->cap_len = len;
    memcpy(p->src, src, 16);
    memcpy(p->dst, dst, 16);
    p->ip_version = 4;
    p->proto = (uint8_t)proto;
    p->flags = NVG_PKT_HAS_TTL;
    p->ttl = 64;
}

static inline void mk_tcp(struct nvg_pkt *p, int64_t ts, const uint8_t *src, const uint8_t *dst,
                          unsigned sport, unsigned dport, unsigned flags, uint32_t len)
{
    mk_base(p, ts, src, dst, NVG_PROTO_TCP, len);
    p->ip_proto = 6;
    p->sport = (uint16_t)sport;
    p->dport = (uint16_t)dport;
    p->tcp_flags = (uint16_t)flags;
    p->flags |= NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS;
}

static inline void mk_udp(struct nvg_pkt *p, int64_t ts, const uint8_t *src, const uint8_t *dst,
                          unsigned sport, unsigned dport, uint32_t len)
{
    mk_base(p, ts, src, dst, NVG_PROTO_UDP, len);
    p->ip_proto = 17;
    p->sport = (uint16_t)sport;
    p->dport = (uint16_t)dport;
    p->flags |= NVG_PKT_HAS_PORTS;
}

static inline void mk_icmp(struct nvg_pkt *p, int64_t ts, const uint8_t *src, const uint8_t *dst,
                           unsigned type, unsigned code)
{
    mk_base(p, ts, src, dst, NVG_PROTO_ICMP, 98);
    p->ip_proto = 1;
    p->icmp_type = (uint8_t)type;
    p->icmp_code = (uint8_t)code;
    p->flags |= NVG_PKT_HAS_ICMP;
}

/* ARP with MACs as the decoder reports them: src/dst = sender/target IP, src_mac/dst_mac =
 * sender/target hardware address (all zeros in a request). */
static inline void mk_arp(struct nvg_pkt *p, int64_t ts, const uint8_t *sip, const uint8_t *smac,
                          const uint8_t *tip, const uint8_t *tmac)
{
    mk_base(p, ts, sip, tip, NVG_PROTO_ARP, 60);
    p->flags = NVG_PKT_HAS_MAC;
    p->ttl = 0;
    memcpy(p->src_mac, smac, 6);
    if (tmac)
        memcpy(p->dst_mac, tmac, 6);
}

/* A normal TCP connection: handshake, `data` segments each way, FIN close. */
static inline void tcp_conn(struct nvg_detect *d, int64_t *ts, const uint8_t *c, const uint8_t *s,
                            unsigned cport, unsigned sport, unsigned data)
{
    struct nvg_pkt p;
    mk_tcp(&p, (*ts)++, c, s, cport, sport, NVG_TCP_SYN, 74);
    nvg_detect_record(d, 0, &p);
    mk_tcp(&p, (*ts)++, s, c, sport, cport, NVG_TCP_SYN | NVG_TCP_ACK, 74);
    nvg_detect_record(d, 0, &p);
    mk_tcp(&p, (*ts)++, c, s, cport, sport, NVG_TCP_ACK, 66);
    nvg_detect_record(d, 0, &p);
    for (unsigned i = 0; i < data; i++) {
        mk_tcp(&p, (*ts)++, c, s, cport, sport, NVG_TCP_ACK | NVG_TCP_PSH, 200);
        nvg_detect_record(d, 0, &p);
        mk_tcp(&p, (*ts)++, s, c, sport, cport, NVG_TCP_ACK | NVG_TCP_PSH, 1500);
        nvg_detect_record(d, 0, &p);
    }
    mk_tcp(&p, (*ts)++, c, s, cport, sport, NVG_TCP_FIN | NVG_TCP_ACK, 66);
    nvg_detect_record(d, 0, &p);
    mk_tcp(&p, (*ts)++, s, c, sport, cport, NVG_TCP_FIN | NVG_TCP_ACK, 66);
    nvg_detect_record(d, 0, &p);
    mk_tcp(&p, (*ts)++, c, s, cport, sport, NVG_TCP_ACK, 66);
    nvg_detect_record(d, 0, &p);
}

#define MAX_SEEN 64
struct seen {
    struct nvg_alert a[MAX_SEEN];
    unsigned n;
    unsigned starts, updates, ends;
    int64_t first_start_ns; /* tick time of the first start */
    int64_t tick_ns;
    int verbose;
};

static inline void collect(const struct nvg_alert *a, void *ud)
{
    struct seen *s = ud;
    if (s->n < MAX_SEEN)
        s->a[s->n++] = *a;
    if (a->event == NVG_ALERT_START) {
        if (s->starts++ == 0)
            s->first_start_ns = s->tick_ns;
    } else if (a->event == NVG_ALERT_UPDATE) {
        s->updates++;
    } else {
        s->ends++;
    }
    if (s->verbose || getenv("NVG_DETECT_VERBOSE"))
        printf("  alert %llu %s %s %s: %s\n", (unsigned long long)a->id,
               nvg_alert_event_name(a->event), nvg_detector_name(a->detector),
               nvg_severity_name(a->severity), a->summary);
}

static inline void tick(struct nvg_detect *d, struct seen *s, int64_t now)
{
    s->tick_ns = now;
    nvg_detect_tick(d, now, collect, s);
}

#endif
