/* Conversation records on the sensor link (sensor/link-flows.c) against a test ROUTER: flows
 * ride in the batches with the records, at most NVG_LINK_FLOWS_MAX a batch, arrive exactly as
 * added, count toward the batch's byte cap (a batch never packs past NVG_LINK_MAX_MSG), go
 * into EndOfStream.flows, and a batch dropped on a link with no collector counts its flows in
 * flows_dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "link.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-flow-wire.h"
#include "nvg-log.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static void *ctx;

static void make_flow(struct nvg_flow *f, int i)
{
    memset(f, 0, sizeof(*f));
    f->id = (uint64_t)i + 1;
    f->end = NVG_FLOW_FIN;
    f->ip_version = 4;
    f->proto = NVG_PROTO_TCP;
    f->ip_proto = 6;
    f->flags = NVG_FLOW_HAS_PORTS;
    f->first_ns = 1700000000000000000LL + i;
    f->last_ns = f->first_ns + 5;
    f->orig[0] = 10, f->orig[3] = (uint8_t)i;
    f->resp[0] = 192, f->resp[3] = 1;
    f->orig_port = (uint16_t)(40000 + i), f->resp_port = 443;
    f->dir[0].packets = (uint64_t)i, f->dir[1].bytes = (uint64_t)i * 1000;
    snprintf(f->state, sizeof(f->state), "SF");
    snprintf(f->history, sizeof(f->history), "ShADadFf");
}

static void make_pkt(struct nvg_pkt *p, int i)
{
    memset(p, 0, sizeof(*p));
    p->ts_ns = 1700000000000000000LL + i;
    p->ip_version = 4;
    p->src[0] = 10, p->dst[0] = 192;
    p->proto = NVG_PROTO_UDP, p->ip_proto = 17;
    p->wire_len = p->cap_len = 200;
    p->payload_kind = NVG_PAYLOAD_RAW;
    p->payload_len = NVG_PAYLOAD_MAX;
    memset(p->payload, 0x42, NVG_PAYLOAD_MAX);
}

static struct nvg_link *link_open(const char *ep, enum nvg_link_mode mode, size_t batch_max)
{
    struct nvg_link_info info = {.sensor = "s1", .boot_id = 77, .mode = mode};
    struct nvg_link_opts o = {.batch_max = batch_max, .batch_ms = 10000};
    char err[NVG_ERRBUF_SIZE];
    struct nvg_link *link = nvg_link_new(ctx, ep, &info, &o, err);
    if (!link)
        fail_msg("nvg_link_new: %s", err);
    return link;
}

struct got {
    size_t batches, records, flows, max_flows, max_len;
    uint64_t last_seq, eos_flows;
    bool eos, flows_equal;
};

/* Everything the link sent until an EndOfStream (or 5 s), ticking it meanwhile. */
static void collect(void *router, struct nvg_link *link, struct got *g)
{
    memset(g, 0, sizeof(*g));
    g->flows_equal = true;
    int64_t deadline = nvg_clock_mono_ms() + 5000;
    while (!g->eos && nvg_clock_mono_ms() < deadline) {
        zmq_pollitem_t it = {.socket = router, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, 10) != 1) {
            nvg_link_tick(link, 0);
            continue;
        }
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        zmq_msg_init(&body);
        assert_true(zmq_msg_recv(&rid, router, 0) >= 0);
        assert_true(zmq_msg_recv(&body, router, 0) >= 0);
        size_t len = zmq_msg_size(&body);
        Netvigil__SensorMessage *m =
            netvigil__sensor_message__unpack(NULL, len, zmq_msg_data(&body));
        assert_non_null(m);
        if (m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY_BATCH) {
            const Netvigil__Batch *b = m->batch;
            assert_int_equal(b->seq, g->last_seq + 1);
            g->last_seq = b->seq;
            g->batches++;
            g->records += b->n_records;
            if (b->n_flows > g->max_flows)
                g->max_flows = b->n_flows;
            if (len > g->max_len)
                g->max_len = len;
            for (size_t i = 0; i < b->n_flows; i++) {
                struct nvg_flow want, got;
                make_flow(&want, (int)g->flows);
                g->flows_equal = g->flows_equal && nvg_flow_from_pb(b->flows[i], &got) == 0 &&
                                 memcmp(&want, &got, sizeof(want)) == 0;
                g->flows++;
            }
        } else if (m->body_case == NETVIGIL__SENSOR_MESSAGE__BODY_END_OF_STREAM) {
            g->eos = true;
            g->eos_flows = m->end_of_stream->flows;
        }
        netvigil__sensor_message__free_unpacked(m, NULL);
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
    }
}

static void *router_bind(char *ep, size_t size)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.linger_ms = 0};
    void *r = nvg_zmq_socket(ctx, ZMQ_ROUTER, &so, err);
    assert_non_null(r);
    assert_int_equal(zmq_bind(r, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, ep, &size), 0);
    return r;
}

/* 1000 flows between 600 records: every one arrives, in order, equal; no batch above the cap. */
static void test_flows_in_batches(void **state)
{
    (void)state;
    char ep[128];
    void *router = router_bind(ep, sizeof(ep));
    struct nvg_link *link = link_open(ep, NVG_LINK_FILE, 1024);
    for (int i = 0; i < 1000; i++) {
        struct nvg_flow f;
        make_flow(&f, i);
        assert_int_equal(nvg_link_add_flow(link, &f), 0);
        if (i % 5 < 3) {
            struct nvg_pkt p;
            make_pkt(&p, i);
            assert_int_equal(nvg_link_add(link, &p), 0);
        }
    }
    assert_int_equal(nvg_link_flush(link), 0);
    struct nvg_link_stats st;
    nvg_link_get_stats(link, &st);
    assert_int_equal(st.flows_sent, 1000);
    assert_int_equal(st.records_sent, 600);
    /* No ack will come: only the EndOfStream it sends is wanted. */
    (void)nvg_link_finish(link, 300);
    struct got g;
    collect(router, link, &g);
    assert_true(g.eos);
    assert_int_equal(g.flows, 1000);
    assert_int_equal(g.records, 600);
    assert_int_equal(g.eos_flows, 1000);
    assert_true(g.flows_equal);
    assert_true(g.max_flows <= 256 && g.max_flows > 0);
    nvg_link_free(link);
    zmq_close(router);
}

/* Records with payload fill a batch by bytes; flows in it take their share: it still packs
 * under NVG_LINK_MAX_MSG. */
static void test_flows_count_toward_the_byte_cap(void **state)
{
    (void)state;
    char ep[128];
    void *router = router_bind(ep, sizeof(ep));
    struct nvg_link *link = link_open(ep, NVG_LINK_FILE, NVG_BATCH_MAX_RECORDS);
    for (int i = 0; i < 30000; i++) {
        struct nvg_pkt p;
        make_pkt(&p, i);
        assert_int_equal(nvg_link_add(link, &p), 0);
        if (i % 50 == 0) {
            struct nvg_flow f;
            make_flow(&f, i / 50);
            assert_int_equal(nvg_link_add_flow(link, &f), 0);
        }
    }
    (void)nvg_link_finish(link, 300);
    struct got g;
    collect(router, link, &g);
    assert_int_equal(g.records, 30000);
    assert_int_equal(g.flows, 600);
    assert_true(g.flows_equal);
    assert_true(g.batches >= 2);
    assert_true(g.max_len <= NVG_LINK_MAX_MSG);
    nvg_link_free(link);
    zmq_close(router);
}

/* Live mode, nobody listening: the batches are dropped with their flows, counted. */
static void test_flows_dropped_counted(void **state)
{
    (void)state;
    struct nvg_link *link = link_open("tcp://127.0.0.1:1", NVG_LINK_LIVE, 10);
    for (int i = 0; i < 300; i++) {
        struct nvg_flow f;
        make_flow(&f, i);
        assert_int_equal(nvg_link_add_flow(link, &f), 0);
    }
    assert_int_equal(nvg_link_finish(link, 100), 0);
    struct nvg_link_stats st;
    nvg_link_get_stats(link, &st);
    assert_int_equal(st.flows_dropped, 300);
    assert_int_equal(st.flows_sent, 0);
    assert_int_equal(st.batches_dropped, 2); /* 256, then 44 */
    nvg_link_free(link);
}

static int setup(void **state)
{
    (void)state;
    nvg_log_set_ident("test-link-flows");
    ctx = zmq_ctx_new();
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flows_in_batches),
        cmocka_unit_test(test_flows_count_toward_the_byte_cap),
        cmocka_unit_test(test_flows_dropped_counted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
