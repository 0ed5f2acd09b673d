/* NvgFlowStore: a conversation's exports by sensor + id (the first adds a row, an update
 * replaces its counters in place, the last marks it ended and keeps it), stale and
 * out-of-order exports, the bound (oldest ended first, then oldest, counted), the derived rate,
 * a sensor restart reusing an id; and the feed parser's FlowBatch checks (hostile records left
 * out, counted). Every change is checked against the items-changed signals. */
#include <gio/gio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-feed-parse.h"
#include "nvg-flow-store.h"
#include "nvg-flow-wire.h"

struct watch {
    guint n;
    guint signals;
    gboolean consistent;
    guint last_pos, last_removed, last_added;
};

static void on_items_changed(GListModel *m, guint pos, guint removed, guint added, struct watch *w)
{
    w->n = w->n - removed + added;
    w->signals++;
    w->last_pos = pos;
    w->last_removed = removed;
    w->last_added = added;
    if (g_list_model_get_n_items(m) != w->n)
        w->consistent = FALSE;
}

static void watch_store(NvgFlowStore *s, struct watch *w)
{
    *w = (struct watch){.consistent = TRUE};
    g_signal_connect(s, "items-changed", G_CALLBACK(on_items_changed), w);
}

#define SEC 1000000000LL

/* A TCP conversation 10.0.0.1:40000 -> 10.0.0.2:80 of id, at export seq, with bytes each way. */
static struct nvg_flow mk(uint64_t id, uint32_t seq, int end, uint64_t b0, uint64_t b1,
                          int64_t first_s, int64_t last_s)
{
    struct nvg_flow f;
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.export_seq = seq;
    f.end = (uint8_t)end;
    f.ip_version = 4;
    f.proto = NVG_PROTO_TCP;
    f.ip_proto = 6;
    f.flags = NVG_FLOW_HAS_PORTS | NVG_FLOW_HAS_RTT_SERVER | NVG_FLOW_HAS_RTT_CLIENT;
    f.first_ns = first_s * SEC;
    f.last_ns = last_s * SEC;
    memcpy(f.orig, (uint8_t[]){10, 0, 0, 1}, 4);
    memcpy(f.resp, (uint8_t[]){10, 0, 0, 2}, 4);
    f.orig_port = 40000;
    f.resp_port = 80;
    f.rtt_server_ns = 1500000;
    f.rtt_client_ns = 500000;
    f.dir[0].packets = 10;
    f.dir[0].bytes = b0;
    f.dir[1].packets = 12;
    f.dir[1].bytes = b1;
    f.dir[0].retransmissions = 2;
    f.dir[1].retransmissions = 1;
    g_strlcpy(f.state, end == NVG_FLOW_ACTIVE ? "S1" : "SF", sizeof(f.state));
    g_strlcpy(f.history, "ShADadFf", sizeof(f.history));
    return f;
}

static const struct nvg_flow_row *row_at(NvgFlowStore *s, guint pos)
{
    NvgFlowItem *item = g_list_model_get_item(G_LIST_MODEL(s), pos);
    assert_non_null(item);
    const struct nvg_flow_row *r = nvg_flow_item_get(item);
    g_object_unref(item); /* the store holds it */
    return r;
}

static void test_life(void **state)
{
    NvgFlowStore *s = nvg_flow_store_new(0);
    struct watch w;
    watch_store(s, &w);
    assert_int_equal(nvg_flow_store_get_capacity(s), NVG_FLOW_STORE_DEFAULT_CAPACITY);
    struct nvg_flow f = mk(7, 0, NVG_FLOW_ACTIVE, 1000, 9000, 100, 110);
    assert_int_equal(nvg_flow_store_apply(s, "web-1", &f, 1), NVG_FLOW_ADDED);
    struct nvg_flow g = mk(8, 0, NVG_FLOW_FIN, 10, 20, 100, 101);
    assert_int_equal(nvg_flow_store_apply(s, "web-1", &g, 1), NVG_FLOW_ADDED);
    /* the same id from another sensor is another conversation */
    assert_int_equal(nvg_flow_store_apply(s, "db-2", &f, 1), NVG_FLOW_ADDED);
    assert_int_equal(w.n, 3);
    assert_int_equal(nvg_flow_store_get_active(s), 2);
    const struct nvg_flow_row *r = row_at(s, 0);
    assert_int_equal(nvg_flow_row_bytes(r), 10000);
    assert_true(nvg_flow_row_duration(r) == 10.0);
    assert_true(r->rate == 1000.0); /* first export: over its life, 10000 B in 10 s */
    assert_true(nvg_flow_row_rtt_ms(r) == 2.0);
    assert_int_equal(nvg_flow_row_retrans(r), 3);
    assert_string_equal(r->sensor, "web-1");

    /* an update 5 s later with 20000 B more: replaced in place, rate since the last export */
    struct nvg_flow u = mk(7, 1, NVG_FLOW_ACTIVE, 11000, 19000, 100, 115);
    guint sig = w.signals;
    assert_int_equal(nvg_flow_store_apply(s, "web-1", &u, 2), NVG_FLOW_UPDATED);
    assert_int_equal(w.signals, sig + 1);
    assert_int_equal(w.last_pos, 0);
    assert_int_equal(w.last_removed, 1);
    assert_int_equal(w.last_added, 1);
    assert_int_equal(w.n, 3);
    r = row_at(s, 0);
    assert_int_equal(nvg_flow_row_bytes(r), 30000);
    assert_true(r->rate == 4000.0);
    assert_int_equal(r->updates, 2);
    assert_int_equal(r->seen_ms, 2);

    /* the end: ended, kept, no longer active */
    struct nvg_flow e = mk(7, 2, NVG_FLOW_FIN, 11000, 19000, 100, 116);
    assert_int_equal(nvg_flow_store_apply(s, "web-1", &e, 3), NVG_FLOW_UPDATED);
    assert_int_equal(nvg_flow_store_get_active(s), 1);
    assert_int_equal(w.n, 3);
    assert_true(row_at(s, 0)->rate == 0.0); /* nothing more in the last second */
    assert_ptr_equal(nvg_flow_item_get(nvg_flow_store_lookup(s, "web-1", 7)), row_at(s, 0));
    assert_null(nvg_flow_store_lookup(s, "web-2", 7));
    assert_true(w.consistent);
    g_object_unref(s);
}

static void test_out_of_order(void **state)
{
    NvgFlowStore *s = nvg_flow_store_new(0);
    struct watch w;
    watch_store(s, &w);
    struct nvg_flow a = mk(1, 3, NVG_FLOW_ACTIVE, 500, 500, 0, 30);
    struct nvg_flow old = mk(1, 2, NVG_FLOW_ACTIVE, 100, 100, 0, 20);
    assert_int_equal(nvg_flow_store_apply(s, "s", &a, 1), NVG_FLOW_ADDED);
    guint sig = w.signals;
    assert_int_equal(nvg_flow_store_apply(s, "s", &old, 1), NVG_FLOW_IGNORED);
    assert_int_equal(nvg_flow_store_apply(s, "s", &a, 1), NVG_FLOW_IGNORED); /* a repeat */
    assert_int_equal(w.signals, sig);
    assert_int_equal(nvg_flow_row_bytes(row_at(s, 0)), 1000);
    /* the end, then a late update: the end stays */
    struct nvg_flow e = mk(1, 5, NVG_FLOW_RST, 900, 900, 0, 40);
    struct nvg_flow late = mk(1, 4, NVG_FLOW_ACTIVE, 800, 800, 0, 35);
    struct nvg_flow after = mk(1, 6, NVG_FLOW_ACTIVE, 999, 999, 0, 45);
    assert_int_equal(nvg_flow_store_apply(s, "s", &e, 2), NVG_FLOW_UPDATED);
    assert_int_equal(nvg_flow_store_apply(s, "s", &late, 2), NVG_FLOW_IGNORED);
    assert_int_equal(nvg_flow_store_apply(s, "s", &after, 2), NVG_FLOW_IGNORED);
    assert_int_equal(row_at(s, 0)->flow.end, NVG_FLOW_RST);
    assert_int_equal(nvg_flow_store_get_active(s), 0);
    /* the sensor restarted: its id 1 again, first export, another start: a new conversation */
    struct nvg_flow again = mk(1, 0, NVG_FLOW_ACTIVE, 10, 10, 500, 502);
    assert_int_equal(nvg_flow_store_apply(s, "s", &again, 3), NVG_FLOW_UPDATED);
    assert_int_equal(w.n, 1);
    assert_int_equal(nvg_flow_store_get_active(s), 1);
    assert_int_equal(row_at(s, 0)->updates, 1);
    assert_true(row_at(s, 0)->rate == 10.0);
    assert_true(w.consistent);
    g_object_unref(s);
}

static void test_bound(void **state)
{
    NvgFlowStore *s = nvg_flow_store_new(4);
    struct watch w;
    watch_store(s, &w);
    /* ids 1..4: 1 and 3 active, 2 and 4 ended */
    for (uint64_t id = 1; id <= 4; id++) {
        struct nvg_flow f = mk(id, 0, id % 2 ? NVG_FLOW_ACTIVE : NVG_FLOW_FIN, id, 0, 0, 1);
        nvg_flow_store_apply(s, "s", &f, 1);
    }
    assert_int_equal(w.n, 4);
    struct nvg_flow f5 = mk(5, 0, NVG_FLOW_ACTIVE, 5, 0, 0, 1);
    assert_int_equal(nvg_flow_store_apply(s, "s", &f5, 2), NVG_FLOW_ADDED);
    assert_int_equal(w.n, 4);
    assert_null(nvg_flow_store_lookup(s, "s", 2)); /* the oldest ended went */
    assert_non_null(nvg_flow_store_lookup(s, "s", 1));
    assert_int_equal(nvg_flow_store_get_dropped(s), 1);
    struct nvg_flow f6 = mk(6, 0, NVG_FLOW_ACTIVE, 6, 0, 0, 1);
    nvg_flow_store_apply(s, "s", &f6, 2);
    assert_null(nvg_flow_store_lookup(s, "s", 4));
    /* now all active (1 3 5 6): the oldest of all goes */
    assert_int_equal(nvg_flow_store_get_active(s), 4);
    struct nvg_flow f7 = mk(7, 0, NVG_FLOW_ACTIVE, 7, 0, 0, 1);
    nvg_flow_store_apply(s, "s", &f7, 3);
    assert_null(nvg_flow_store_lookup(s, "s", 1));
    assert_int_equal(nvg_flow_store_get_dropped(s), 3);
    assert_int_equal(nvg_flow_store_get_active(s), 4);
    uint64_t want[] = {3, 5, 6, 7};
    for (guint i = 0; i < 4; i++)
        assert_int_equal(row_at(s, i)->flow.id, want[i]);
    /* a dropped conversation's update comes back as a new row */
    struct nvg_flow u1 = mk(1, 1, NVG_FLOW_FIN, 1, 0, 0, 2);
    assert_int_equal(nvg_flow_store_apply(s, "s", &u1, 4), NVG_FLOW_ADDED);
    nvg_flow_store_clear(s);
    assert_int_equal(w.n, 0);
    assert_int_equal(nvg_flow_store_get_active(s), 0);
    assert_true(w.consistent);
    g_object_unref(s);
}

/* A batch: the new conversations appended in one signal, an update of one of them in the same
 * batch applied to it, an update of a held one in place, the room made in runs. */
static void test_batch(void **state)
{
    NvgFlowStore *s = nvg_flow_store_new(6);
    struct watch w;
    watch_store(s, &w);
    struct nvg_flow held[4];
    for (uint64_t id = 1; id <= 4; id++) /* 1 active, 2 3 4 ended */
        held[id - 1] = mk(id, 0, id == 1 ? NVG_FLOW_ACTIVE : NVG_FLOW_FIN, id, 0, 0, 1);
    assert_int_equal(nvg_flow_store_apply_batch(s, "s", held, 4, 1), 4);
    assert_int_equal(w.signals, 1);
    assert_int_equal(w.n, 4);
    struct nvg_flow b[5] = {
        mk(10, 0, NVG_FLOW_ACTIVE, 100, 0, 0, 10), mk(1, 1, NVG_FLOW_FIN, 50, 0, 0, 2),
        mk(10, 1, NVG_FLOW_FIN, 300, 0, 0, 12),    mk(11, 0, NVG_FLOW_FIN, 7, 0, 0, 1),
        mk(12, 0, NVG_FLOW_FIN, 8, 0, 0, 1),
    };
    guint sig = w.signals;
    /* 3 new into 4 held of 6: room for 2, so the oldest ended goes: 1, which this batch ended */
    assert_int_equal(nvg_flow_store_apply_batch(s, "s", b, 5, 2), 4);
    assert_int_equal(w.signals - sig, 3); /* the update of 1, one removal run, one append */
    assert_int_equal(w.n, 6);
    assert_null(nvg_flow_store_lookup(s, "s", 1));
    const struct nvg_flow_row *r10 = nvg_flow_item_get(nvg_flow_store_lookup(s, "s", 10));
    assert_int_equal(nvg_flow_row_bytes(r10), 300);
    assert_int_equal(r10->flow.end, NVG_FLOW_FIN);
    assert_true(r10->rate == 100.0); /* 200 B in the 2 s since the batch's first export */
    assert_int_equal(nvg_flow_store_get_active(s), 0);
    uint64_t want[] = {2, 3, 4, 10, 11, 12};
    for (guint i = 0; i < 6; i++)
        assert_int_equal(row_at(s, i)->flow.id, want[i]);
    /* more new ones than the store holds: the first of them dropped, counted */
    struct nvg_flow many[8];
    for (uint64_t i = 0; i < 8; i++)
        many[i] = mk(100 + i, 0, NVG_FLOW_FIN, 1, 0, 0, 1);
    nvg_flow_store_apply_batch(s, "s", many, 8, 3);
    assert_int_equal(w.n, 6);
    assert_int_equal(row_at(s, 0)->flow.id, 102);
    assert_int_equal(nvg_flow_store_get_dropped(s), 1 + 6 + 2);
    assert_true(w.consistent);
    g_object_unref(s);
}

/* Odd times: no overflow, no negative duration or rate. */
static void test_extremes(void **state)
{
    NvgFlowStore *s = nvg_flow_store_new(0);
    struct nvg_flow f = mk(1, 0, NVG_FLOW_ACTIVE, UINT64_MAX, UINT64_MAX, 0, 0);
    f.first_ns = INT64_MAX;
    f.last_ns = INT64_MIN;
    f.flags &= (uint16_t)~NVG_FLOW_HAS_RTT_CLIENT;
    nvg_flow_store_apply(s, "s", &f, 1);
    const struct nvg_flow_row *r = row_at(s, 0);
    assert_int_equal(nvg_flow_row_bytes(r), UINT64_MAX);
    assert_true(nvg_flow_row_duration(r) == 0);
    assert_true(r->rate == 0);
    assert_true(nvg_flow_row_rtt_ms(r) == -1);
    g_object_unref(s);
}

/* A FlowBatch from a hostile collector: the good record kept, the bad ones left out. */
static void test_parse(void **state)
{
    struct nvg_flow good = mk(1, 0, NVG_FLOW_FIN, 1, 2, 0, 1);
    Netvigil__FlowRecord recs[4];
    Netvigil__FlowDirection dirs[4][2];
    Netvigil__FlowRecord *ptrs[4];
    for (int i = 0; i < 4; i++) {
        nvg_flow_to_pb(&good, &recs[i], dirs[i]);
        ptrs[i] = &recs[i];
    }
    uint8_t five[5] = {1, 2, 3, 4, 5};
    recs[1].orig = (ProtobufCBinaryData){5, five}; /* a 5-byte address */
    recs[2].format = NVG_FLOW_FORMAT + 1;          /* a format we cannot read */
    recs[3].state = (char *)"<b>S0</b>";           /* outside the state alphabet */
    Netvigil__FlowBatch fb = NETVIGIL__FLOW_BATCH__INIT;
    fb.sensor = (char *)"web\x1b[2J";
    fb.n_flows = 4;
    fb.flows = ptrs;
    uint8_t buf[4096];
    size_t len = netvigil__flow_batch__pack(&fb, buf);
    struct nvg_feed_parse_counts c = {0};
    int kind = nvg_feed_topic_kind("flow", 4);
    assert_int_equal(kind, NVG_FEED_FLOW);
    struct nvg_feed_msg *m = nvg_feed_parse(NVG_FEED_FLOW, buf, len, &c);
    assert_non_null(m);
    Netvigil__FlowBatch *got = (Netvigil__FlowBatch *)m->pb;
    assert_int_equal(got->n_flows, 1);
    assert_int_equal(c.omitted, 3);
    assert_int_equal(c.escaped, 1);
    assert_string_equal(got->sensor, "web\\x1b[2J");
    struct nvg_flow back;
    assert_int_equal(nvg_flow_from_pb(got->flows[0], &back), 0);
    assert_int_equal(back.dir[1].bytes, 2);
    nvg_feed_msg_free(m);
    c = (struct nvg_feed_parse_counts){0};
    assert_null(nvg_feed_parse(NVG_FEED_FLOW, "\xff\xff\xff", 3, &c));
    assert_int_equal(c.invalid, 1);
}

int main(void)
{
    /* As under g_test_init(): a GLib warning or critical from the code under test fails. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life),  cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_bound), cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_batch), cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
