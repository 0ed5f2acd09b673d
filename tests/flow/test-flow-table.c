/* The conversation table (sensor/flow/) on crafted packets: handshake and RTT halves, Zeek
 * states and history, Wireshark's analysis flags on hand-made segment sequences, table full
 * and eviction, timeouts, half-open pressure, the capture ending mid-conversation, malformed
 * TCP through the decoder, and the flows CSV row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "flow-table.h"
#include "nvg-flow.h"
#include "nvg-format.h"

#define MS 1000000LL
#define T0 (1700000000LL * NVG_FLOW_SEC)
#define MAXREC 64

static struct nvg_flow recs[MAXREC];
static int nrec;

static int collect(void *ud, const struct nvg_flow *f)
{
    (void)ud;
    if (nrec < MAXREC)
        recs[nrec] = *f;
    nrec++;
    return 0;
}

static struct nvg_flow_table *table(uint32_t cap)
{
    struct nvg_flow_config cfg;
    nvg_flow_config_default(&cfg);
    cfg.capacity = cap;
    nrec = 0;
    struct nvg_flow_table *t = nvg_flow_table_new(&cfg, collect, NULL);
    assert_non_null(t);
    return t;
}

/* One TCP segment from client (c2s) or server, client 10.0.0.<host>:40000, server
 * 10.0.0.200:80. */
static void seg(struct nvg_flow_table *t, int host, bool c2s, int64_t ts, uint16_t flags,
                uint32_t seq, uint32_t ack, uint32_t len, uint16_t win, int8_t ws)
{
    struct nvg_pkt p;
    memset(&p, 0, sizeof(p));
    uint8_t c[4] = {10, 0, 0, (uint8_t)host}, s[4] = {10, 0, 0, 200};
    memcpy(p.src, c2s ? c : s, 4);
    memcpy(p.dst, c2s ? s : c, 4);
    p.sport = c2s ? 40000 : 80;
    p.dport = c2s ? 80 : 40000;
    p.ts_ns = ts;
    p.ip_version = 4;
    p.proto = NVG_PROTO_TCP;
    p.ip_proto = 6;
    p.tcp_flags = flags;
    p.flags = NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS;
    p.wire_len = 54 + len;
    struct nvg_l4_info l4 = {.tcp = true,
                             .seq = seq,
                             .ack = ack,
                             .window = win,
                             .payload_len = len,
                             .wscale = ws,
                             .tcp_hdr_len = 20};
    assert_int_equal(nvg_flow_table_packet(t, &p, &l4), 0);
}

#define S NVG_TCP_SYN
#define A NVG_TCP_ACK
#define F NVG_TCP_FIN
#define R NVG_TCP_RST
#define PA (NVG_TCP_PSH | NVG_TCP_ACK)

static void handshake(struct nvg_flow_table *t, int host, int64_t ts)
{
    seg(t, host, true, ts, S, 1000, 0, 0, 65535, 7);
    seg(t, host, false, ts + 10 * MS, S | A, 5000, 1001, 0, 65535, 7);
    seg(t, host, true, ts + 11 * MS, A, 1001, 5001, 0, 512, -1);
}

static void test_handshake_rtt_sf(void **state)
{
    (void)state;
    struct nvg_flow_table *t = table(16);
    handshake(t, 1, T0);
    seg(t, 1, true, T0 + 12 * MS, PA, 1001, 5001, 100, 512, -1);
    seg(t, 1, false, T0 + 30 * MS, PA, 5001, 1101, 200, 512, -1);
    seg(t, 1, true, T0 + 31 * MS, F | A, 1101, 5201, 0, 512, -1);
    seg(t, 1, false, T0 + 32 * MS, F | A, 5201, 1102, 0, 512, -1);
    seg(t, 1, true, T0 + 33 * MS, A, 1102, 5202, 0, 512, -1);
    assert_int_equal(nrec, 0);
    assert_int_equal(nvg_flow_table_expire(t, T0 + 10 * NVG_FLOW_SEC), 0);
    assert_int_equal(nrec, 1);
    const struct nvg_flow *f = &recs[0];
    assert_string_equal(f->state, "SF");
    assert_string_equal(f->history, "ShADdFf"); /* the server sent no pure ACK */
    assert_int_equal(f->end, NVG_FLOW_FIN);
    assert_true(f->flags & NVG_FLOW_HAS_RTT_SERVER);
    assert_true(f->flags & NVG_FLOW_HAS_RTT_CLIENT);
    assert_int_equal(f->rtt_server_ns, 10 * MS);
    assert_int_equal(f->rtt_client_ns, 1 * MS);
    assert_int_equal(f->dir[0].packets, 5);
    assert_int_equal(f->dir[1].packets, 3);
    assert_int_equal(f->dir[0].payload_bytes, 100);
    assert_int_equal(f->dir[1].payload_bytes, 200);
    assert_int_equal(f->orig[3], 1);
    assert_int_equal(f->orig_port, 40000);
    assert_int_equal(f->dir[0].retransmissions + f->dir[1].retransmissions, 0);
    nvg_flow_table_free(t);
}

static void test_states(void **state)
{
    (void)state;
    struct nvg_flow_table *t = table(16);
    seg(t, 1, true, T0, S, 1, 0, 0, 1024, -1); /* S0 */
    seg(t, 2, true, T0, S, 1, 0, 0, 1024, -1); /* REJ */
    seg(t, 2, false, T0 + MS, R | A, 0, 2, 0, 0, -1);
    handshake(t, 3, T0); /* RSTO */
    seg(t, 3, true, T0 + 20 * MS, R, 1001, 0, 0, 0, -1);
    handshake(t, 4, T0);                           /* S1 */
    seg(t, 5, true, T0, PA, 7, 9, 10, 100, -1);    /* OTH: midstream */
    seg(t, 6, false, T0, S | A, 7, 9, 0, 100, -1); /* SYN/ACK first: flipped */
    assert_int_equal(nvg_flow_table_stop(t), 0);
    assert_int_equal(nrec, 6);
    const char *want[][2] = {{"S0", "S"},   {"REJ", "Sr"}, {"RSTO", "ShAR"},
                             {"S1", "ShA"}, {"OTH", "D"},  {"OTH", "^h"}};
    for (int h = 1; h <= 6; h++) {
        int i = 0;
        while (i < nrec && recs[i].orig[3] != h && recs[i].resp[3] != h)
            i++;
        assert_true(i < nrec);
        assert_string_equal(recs[i].state, want[h - 1][0]);
        assert_string_equal(recs[i].history, want[h - 1][1]);
        assert_int_equal(recs[i].end, NVG_FLOW_STOPPED);
    }
    nvg_flow_table_free(t);
}

/* Crafted sequences and the flags Wireshark 4.0's rules give them (flow-oracle checks the
 * same rules against tshark itself on thousands of generated segments). */
static void test_analysis(void **state)
{
    (void)state;
    struct nvg_flow_table *t = table(16);
    handshake(t, 1, T0);
    int64_t ts = T0 + 20 * MS;
    seg(t, 1, false, ts, PA, 5001, 1001, 1000, 512, -1);
    seg(t, 1, false, ts + 1 * MS, PA, 6001, 1001, 1000, 512, -1);
    seg(t, 1, false, ts + 2 * MS, PA, 5001, 1001, 1000, 512, -1);   /* ooo: within the RTT */
    seg(t, 1, false, ts + 200 * MS, PA, 6001, 1001, 1000, 512, -1); /* retransmission */
    seg(t, 1, true, ts + 201 * MS, A, 1001, 7001, 0, 512, -1);
    seg(t, 1, true, ts + 202 * MS, A, 1001, 7001, 0, 512, -1);      /* dup ack 1 */
    seg(t, 1, true, ts + 203 * MS, A, 1001, 7001, 0, 512, -1);      /* dup ack 2 */
    seg(t, 1, false, ts + 204 * MS, PA, 5001, 1001, 1000, 512, -1); /* spurious: acked */
    seg(t, 1, true, ts + 300 * MS, A, 1001, 7001, 0, 0, -1);        /* zero window */
    seg(t, 1, true, ts + 301 * MS, A, 1001, 7001, 0, 1, -1);        /* window 1<<7 */
    seg(t, 1, false, ts + 302 * MS, PA, 7001, 1001, 128, 512, -1);  /* fills it: full */
    assert_int_equal(nvg_flow_table_stop(t), 0);
    const struct nvg_flow_dir *r = &recs[0].dir[1], *o = &recs[0].dir[0];
    assert_int_equal(r->out_of_order, 1);
    assert_int_equal(r->retransmissions, 2);
    assert_int_equal(o->duplicate_acks, 2);
    assert_int_equal(o->zero_windows, 1);
    assert_int_equal(r->window_full, 1);
    assert_non_null(strchr(recs[0].history, 't'));
    assert_non_null(strchr(recs[0].history, 'W'));
    nvg_flow_table_free(t);
}

static void test_full_eviction_half_open_first(void **state)
{
    (void)state;
    struct nvg_flow_table *t = table(4);
    handshake(t, 1, T0);         /* established: must survive */
    for (int h = 2; h < 40; h++) /* a flood of unanswered SYNs */
        seg(t, h, true, T0 + h * MS, S, (uint32_t)h, 0, 0, 1024, -1);
    struct nvg_flow_counters c;
    nvg_flow_table_counters(t, &c);
    assert_int_equal(c.active, 4);
    assert_int_equal(c.evicted, 35);
    assert_int_equal(nrec, 35);
    for (int i = 0; i < nrec && i < MAXREC; i++) {
        assert_int_equal(recs[i].end, NVG_FLOW_EVICTED);
        assert_string_equal(recs[i].state, "S0");
        assert_int_not_equal(recs[i].orig[3], 1);
    }
    nvg_flow_table_free(t);
}

static void test_timeouts(void **state)
{
    (void)state;
    struct nvg_flow_table *t = table(16);
    seg(t, 1, true, T0, S, 1, 0, 0, 1024, -1); /* half-open: 30 s */
    handshake(t, 2, T0);                       /* established: 300 s */
    assert_int_equal(nvg_flow_table_expire(t, T0 + 29 * NVG_FLOW_SEC), 0);
    assert_int_equal(nrec, 0);
    assert_int_equal(nvg_flow_table_expire(t, T0 + 31 * NVG_FLOW_SEC), 0);
    assert_int_equal(nrec, 1);
    assert_int_equal(recs[0].orig[3], 1);
    assert_int_equal(recs[0].end, NVG_FLOW_IDLE);
    /* the established one got its update at 60 s (active timeout) and goes on */
    assert_int_equal(nvg_flow_table_expire(t, T0 + 61 * NVG_FLOW_SEC), 0);
    assert_int_equal(nrec, 2);
    assert_int_equal(recs[1].end, NVG_FLOW_ACTIVE);
    assert_int_equal(recs[1].export_seq, 0);
    assert_int_equal(nvg_flow_table_expire(t, T0 + 400 * NVG_FLOW_SEC), 0);
    assert_int_equal(recs[nrec - 1].end, NVG_FLOW_IDLE);
    assert_int_equal(recs[nrec - 1].export_seq, nrec - 2);
    assert_int_equal(recs[nrec - 1].id, recs[1].id);
    nvg_flow_table_free(t);
}

static void test_port_reuse(void **state)
{
    (void)state;
    struct nvg_flow_table *t = table(16);
    handshake(t, 1, T0);
    seg(t, 1, true, T0 + NVG_FLOW_SEC, S, 1000, 0, 0, 1024, -1); /* the same SYN again */
    assert_int_equal(nrec, 0);
    seg(t, 1, true, T0 + 2 * NVG_FLOW_SEC, S, 99999, 0, 0, 1024, -1); /* a new ISN */
    assert_int_equal(nrec, 1);
    assert_int_equal(recs[0].dir[0].retransmissions, 1);
    assert_int_equal(nvg_flow_table_stop(t), 0);
    assert_int_equal(nrec, 2);
    assert_int_not_equal(recs[0].id, recs[1].id);
    nvg_flow_table_free(t);
}

/* TCP with broken options and every truncation, through the decoder into the table. */
static void test_malformed_tcp(void **state)
{
    (void)state;
    struct nvg_flow_table *t = table(8);
    struct nvg_decoder dec;
    nvg_decoder_init(&dec, 1, 0);
    uint8_t f[14 + 20 + 60 + 8] = {0};
    f[12] = 0x08;
    f[14] = 0x45;
    f[14 + 3] = sizeof(f) - 14;
    f[14 + 9] = 6;
    f[14 + 12] = 10, f[14 + 16] = 10, f[14 + 19] = 1;
    uint8_t *tcp = f + 34;
    tcp[12] = 15 << 4; /* 60-byte header */
    tcp[13] = NVG_TCP_SYN;
    for (unsigned seed = 1; seed < 2000; seed++) {
        srand(seed);
        for (int i = 20; i < 60; i++)
            tcp[i] = (uint8_t)(rand() % 8 == 0 ? 3 : rand());
        for (uint32_t cut = 0; cut <= sizeof(f); cut += 7) {
            struct nvg_pkt p;
            nvg_decode(&dec, f, cut, sizeof(f), T0 + seed, &p);
            assert_true(dec.l4.wscale <= 14);
            assert_true(dec.l4.sack_blocks <= 4);
            assert_int_equal(nvg_flow_table_packet(t, &p, &dec.l4), 0);
        }
    }
    assert_int_equal(nvg_flow_table_stop(t), 0);
    nvg_flow_table_free(t);
}

static void test_csv_row(void **state)
{
    (void)state;
    struct nvg_flow_table *t = table(8);
    handshake(t, 1, T0);
    assert_int_equal(nvg_flow_table_stop(t), 0);
    char sensor[64], buf[NVG_FLOW_CSV_LINE_MAX];
    size_t sl = nvg_csv_quote(sensor, "s,1", 3);
    size_t n = nvg_flow_format_csv(buf, &recs[0], sensor, sl);
    assert_int_equal(buf[n - 1], '\n');
    assert_non_null(strstr(buf, ",\"s,1\",1,0,stopped,TCP,6,10.0.0.1,40000,10.0.0.200,80,,"));
    assert_non_null(strstr(buf, ",S1,ShA,11000.000,10000.000,1000.000,0,0,"));
    int commas = 0;
    for (size_t i = 0; i < n; i++)
        commas += buf[i] == ',';
    int header_commas = 0;
    for (const char *h = NVG_FLOW_CSV_HEADER; *h; h++)
        header_commas += *h == ',';
    assert_int_equal(commas, header_commas + 1); /* the quoted sensor name holds one */
    nvg_flow_table_free(t);
}

/* Every export of a table, as one running digest of its CSV rows. */
struct digest {
    uint64_t fnv;
    unsigned rows;
};

static int digest_row(void *ud, const struct nvg_flow *f)
{
    struct digest *d = ud;
    char buf[NVG_FLOW_CSV_LINE_MAX];
    size_t n = nvg_flow_format_csv(buf, f, "s", 1);
    for (size_t i = 0; i < n; i++)
        d->fnv = (d->fnv ^ (uint8_t)buf[i]) * 0x100000001b3ull;
    d->rows++;
    return 0;
}

/* A packet of a random conversation among a few hundred (TCP with random flags, UDP, ICMP
 * echo; IPv4, IPv6, VLAN), times going forward with jumps past the timeouts. */
static void random_packet(uint64_t *rng, int64_t *ts, struct nvg_pkt *p, struct nvg_l4_info *l4)
{
    uint64_t r = *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t x = (uint32_t)(r >> 33);
    memset(p, 0, sizeof(*p));
    memset(l4, 0, sizeof(*l4));
    l4->wscale = -1;
    *ts += (x % 97 == 0) ? 40 * NVG_FLOW_SEC : (int64_t)(x % 1000) * 1000;
    p->ts_ns = *ts;
    p->wire_len = 60 + x % 1400;
    p->ip_version = (x >> 3) % 4 == 0 ? 6 : 4;
    unsigned conv = (x >> 5) % 300, dir = (x >> 14) & 1;
    p->src[p->ip_version == 6 ? 15 : 3] = (uint8_t)(dir ? conv : 255 - conv % 50);
    p->dst[p->ip_version == 6 ? 15 : 3] = (uint8_t)(dir ? 255 - conv % 50 : conv);
    p->src[0] = p->dst[0] = 10;
    uint16_t cport = (uint16_t)(1024 + conv), sport = (uint16_t)(80 + conv % 3);
    p->sport = dir ? sport : cport;
    p->dport = dir ? cport : sport;
    p->flags = NVG_PKT_HAS_PORTS | (conv % 7 == 0 ? NVG_PKT_HAS_VLAN : 0);
    p->vlan_id = (uint16_t)(conv % 5);
    switch (conv % 3) {
    case 0:
        p->proto = NVG_PROTO_TCP, p->ip_proto = 6, l4->tcp = true;
        p->tcp_flags = (uint16_t)((x >> 16) & 0x1f) | NVG_TCP_ACK * ((x >> 21) & 1);
        l4->seq = (x >> 8) % 5000, l4->ack = (x >> 4) % 5000;
        l4->payload_len = x % 3 ? 0 : x % 1000;
        l4->window = (uint16_t)(x % 5 ? 1000 : 0);
        break;
    case 1:
        p->proto = NVG_PROTO_UDP, p->ip_proto = 17, l4->udp = true, l4->payload_len = x % 500;
        break;
    default:
        p->flags = 0, p->proto = NVG_PROTO_ICMP, p->ip_proto = 1;
        l4->icmp_echo = true, l4->icmp_id = (uint16_t)conv;
    }
}

static void run_random(bool lookahead, struct digest *d)
{
    struct nvg_flow_config cfg;
    nvg_flow_config_default(&cfg);
    cfg.capacity = 64; /* below the conversations: evictions too */
    struct nvg_flow_table *t = nvg_flow_table_new(&cfg, digest_row, d);
    assert_non_null(t);
    nvg_flow_table_set_lookahead(t, lookahead);
    uint64_t rng = 7;
    int64_t ts = T0;
    for (int i = 0; i < 200000; i++) {
        struct nvg_pkt p;
        struct nvg_l4_info l4;
        random_packet(&rng, &ts, &p, &l4);
        assert_int_equal(nvg_flow_table_packet(t, &p, &l4), 0);
        if (i % 5000 == 4999) /* a dispatch ends, then a live link goes quiet */
            assert_int_equal(nvg_flow_table_expire(t, ts + 20 * NVG_FLOW_SEC), 0);
    }
    assert_int_equal(nvg_flow_table_stop(t), 0);
    nvg_flow_table_free(t);
}

/* The look-ahead window only changes when memory is fetched: the same exports, byte for
 * byte, in the same order, as packet by packet. */
static void test_lookahead_same_exports(void **state)
{
    (void)state;
    struct digest plain = {0xcbf29ce484222325ull, 0}, ahead = plain;
    run_random(false, &plain);
    run_random(true, &ahead);
    assert_true(plain.rows > 10000);
    assert_int_equal(plain.rows, ahead.rows);
    assert_true(plain.fnv == ahead.fnv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_rtt_sf),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_analysis),
        cmocka_unit_test(test_full_eviction_half_open_first),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_port_reuse),
        cmocka_unit_test(test_malformed_tcp),
        cmocka_unit_test(test_csv_row),
        cmocka_unit_test(test_lookahead_same_exports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
