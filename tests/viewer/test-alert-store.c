/* NvgAlertStore: an alert's life by id (start adds, update replaces, end marks ended and keeps),
 * events out of order (a history fetched late, after the feed), the bound (oldest ended first),
 * a new collector run, the parser's alert checks, and the notification rate limit. Every change
 * is checked against the items-changed signals. */
#include <gio/gio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-alert-store.h"
#include "nvg-feed-parse.h"

struct watch {
    guint n; /* n_items as the signals tell it */
    guint signals;
    gboolean consistent;
};

static void on_items_changed(GListModel *m, guint pos, guint removed, guint added, struct watch *w)
{
    w->n = w->n - removed + added;
    w->signals++;
    if (g_list_model_get_n_items(m) != w->n)
        w->consistent = FALSE;
}

static uint8_t addr_a[4] = {10, 0, 0, 5}, addr_b[4] = {10, 0, 0, 7}, addr_c[4] = {10, 0, 0, 8};
static char sensor_1[] = "web-1", sensor_2[] = "db-2";

/* An event as the collector sends it: a scan of addr_b (and addr_c) from addr_a. */
static Netvigil__Alert mk(uint64_t id, int event, int sev, int64_t time_ms, const char *summary)
{
    static ProtobufCBinaryData targets[2];
    static char *sensors[2];
    targets[0] = (ProtobufCBinaryData){4, addr_b};
    targets[1] = (ProtobufCBinaryData){4, addr_c};
    sensors[0] = sensor_1;
    sensors[1] = sensor_2;
    Netvigil__Alert a = NETVIGIL__ALERT__INIT;
    a.id = id;
    a.event = event;
    a.severity = sev;
    a.detector = (char *)"portscan";
    a.src = (ProtobufCBinaryData){4, addr_a};
    a.n_targets = 1;
    a.targets = targets;
    a.target_count = 1;
    a.n_sensors = 1;
    a.sensors = sensors;
    a.summary = (char *)summary;
    a.time_ms = time_ms;
    a.first_ns = 1000 * 1000000LL;
    a.last_ns = 5000 * 1000000LL;
    return a;
}

static NvgAlertStore *new_store(guint cap, struct watch *w)
{
    NvgAlertStore *s = nvg_alert_store_new(cap);
    *w = (struct watch){.consistent = TRUE};
    g_signal_connect(s, "items-changed", G_CALLBACK(on_items_changed), w);
    return s;
}

static const struct nvg_alert *at(NvgAlertStore *s, guint pos)
{
    NvgAlertItem *item = g_list_model_get_item(G_LIST_MODEL(s), pos);
    assert_non_null(item);
    const struct nvg_alert *a = nvg_alert_item_get(item);
    g_object_unref(item); /* the store holds it */
    return a;
}

enum { START = 1, UPDATE = 2, END = 3, LOW = 1, MEDIUM = 2, HIGH = 3 };

static void test_life(void **state)
{
    struct watch w;
    NvgAlertStore *s = new_store(0, &w);
    Netvigil__Alert a = mk(7, START, HIGH, 100000, "10.0.0.5 scanned 20 ports");
    assert_int_equal(nvg_alert_store_apply(s, &a, 0), NVG_ALERT_ADDED);
    assert_int_equal(nvg_alert_store_get_active(s), 1);
    assert_string_equal(at(s, 0)->src, "10.0.0.5");
    assert_string_equal(at(s, 0)->targets, "10.0.0.7");
    assert_string_equal(at(s, 0)->sensors, "web-1");
    assert_int_equal(at(s, 0)->start_ms, 100000);
    /* an update replaces the fields: more targets, another sensor, a new summary */
    a = mk(7, UPDATE, HIGH, 101000, "10.0.0.5 scanned 1,000 ports");
    a.n_targets = 2;
    a.target_count = 9;
    a.n_sensors = 2;
    assert_int_equal(nvg_alert_store_apply(s, &a, 0), NVG_ALERT_UPDATED);
    assert_int_equal(g_list_model_get_n_items(G_LIST_MODEL(s)), 1);
    assert_string_equal(at(s, 0)->summary, "10.0.0.5 scanned 1,000 ports");
    assert_string_equal(at(s, 0)->targets, "10.0.0.7, 10.0.0.8 +7 more");
    assert_string_equal(at(s, 0)->sensors, "web-1, db-2");
    assert_int_equal(at(s, 0)->start_ms, 100000); /* the start stays */
    /* a second alert goes first */
    Netvigil__Alert b = mk(8, START, MEDIUM, 102000, "sweep");
    assert_int_equal(nvg_alert_store_apply(s, &b, 0), NVG_ALERT_ADDED);
    assert_int_equal(at(s, 0)->id, 8);
    assert_int_equal(nvg_alert_store_get_active(s), 2);
    /* the end: kept, marked ended, no longer active */
    a = mk(7, END, HIGH, 103000, "10.0.0.5 scanned 1,000 ports in 3 s");
    assert_int_equal(nvg_alert_store_apply(s, &a, 0), NVG_ALERT_ENDED);
    assert_int_equal(nvg_alert_store_get_active(s), 1);
    assert_int_equal(g_list_model_get_n_items(G_LIST_MODEL(s)), 2);
    assert_true(at(s, 1)->ended);
    assert_int_equal(at(s, 1)->end_ms, 103000);
    assert_string_equal(at(s, 1)->summary, "10.0.0.5 scanned 1,000 ports in 3 s");
    assert_false(at(s, 0)->ended);
    assert_ptr_equal(nvg_alert_item_get(nvg_alert_store_lookup(s, 7)), at(s, 1));
    assert_true(w.consistent);
    assert_int_equal(w.n, 2);
    g_object_unref(s);
}

/* What a COMMAND_ALERTS reply fetched after the feed may bring: nothing it says undoes a
 * newer event, and nothing brings an ended alert back. */
static void test_out_of_order(void **state)
{
    struct watch w;
    NvgAlertStore *s = new_store(0, &w);
    Netvigil__Alert up = mk(3, UPDATE, LOW, 50000, "newer");
    /* an update of an alert whose start was missed: added, its start estimated from the
     * evidence's span (4 s of record time) */
    assert_int_equal(nvg_alert_store_apply(s, &up, 0), NVG_ALERT_ADDED);
    assert_int_equal(at(s, 0)->start_ms, 46000);
    Netvigil__Alert st = mk(3, START, LOW, 46000, "older");
    assert_int_equal(nvg_alert_store_apply(s, &st, 0), NVG_ALERT_IGNORED);
    Netvigil__Alert old = mk(3, UPDATE, LOW, 49000, "older");
    assert_int_equal(nvg_alert_store_apply(s, &old, 0), NVG_ALERT_IGNORED);
    assert_string_equal(at(s, 0)->summary, "newer");
    Netvigil__Alert end = mk(3, END, LOW, 60000, "ended");
    assert_int_equal(nvg_alert_store_apply(s, &end, 0), NVG_ALERT_ENDED);
    Netvigil__Alert late = mk(3, UPDATE, LOW, 70000, "late");
    assert_int_equal(nvg_alert_store_apply(s, &late, 0), NVG_ALERT_IGNORED);
    assert_int_equal(nvg_alert_store_apply(s, &end, 0), NVG_ALERT_IGNORED);
    assert_true(at(s, 0)->ended);
    assert_int_equal(nvg_alert_store_get_active(s), 0);
    /* an end of an alert never seen: listed, ended */
    Netvigil__Alert gone = mk(4, END, MEDIUM, 61000, "over before we came");
    assert_int_equal(nvg_alert_store_apply(s, &gone, 0), NVG_ALERT_ADDED);
    assert_true(at(s, 0)->ended);
    assert_int_equal(nvg_alert_store_get_active(s), 0);
    /* unusable: no id, an event the viewer does not know */
    Netvigil__Alert bad = mk(0, START, HIGH, 1, "no id");
    assert_int_equal(nvg_alert_store_apply(s, &bad, 0), NVG_ALERT_IGNORED);
    bad = mk(9, 42, HIGH, 1, "bad event");
    assert_int_equal(nvg_alert_store_apply(s, &bad, 0), NVG_ALERT_IGNORED);
    assert_int_equal(g_list_model_get_n_items(G_LIST_MODEL(s)), 2);
    assert_true(w.consistent);
    g_object_unref(s);
}

/* Full: the oldest ended alert goes first, then the oldest of all; each counted. */
static void test_bound(void **state)
{
    struct watch w;
    NvgAlertStore *s = new_store(4, &w);
    for (uint64_t id = 1; id <= 4; id++) {
        Netvigil__Alert a = mk(id, START, LOW, (int64_t)id * 1000, "x");
        nvg_alert_store_apply(s, &a, 0);
    }
    Netvigil__Alert e = mk(3, END, LOW, 9000, "x");
    nvg_alert_store_apply(s, &e, 0);
    e = mk(2, END, LOW, 9000, "x");
    nvg_alert_store_apply(s, &e, 0);
    Netvigil__Alert a = mk(5, START, LOW, 10000, "x");
    nvg_alert_store_apply(s, &a, 0); /* drops 2: ended, older than 3 */
    assert_null(nvg_alert_store_lookup(s, 2));
    assert_non_null(nvg_alert_store_lookup(s, 3));
    assert_non_null(nvg_alert_store_lookup(s, 1));
    a = mk(6, START, LOW, 11000, "x");
    nvg_alert_store_apply(s, &a, 0); /* drops 3, the last ended one */
    assert_null(nvg_alert_store_lookup(s, 3));
    a = mk(7, START, LOW, 12000, "x");
    nvg_alert_store_apply(s, &a, 0); /* none ended: drops 1, the oldest */
    assert_null(nvg_alert_store_lookup(s, 1));
    assert_int_equal(g_list_model_get_n_items(G_LIST_MODEL(s)), 4);
    assert_int_equal(nvg_alert_store_get_dropped(s), 3);
    assert_int_equal(nvg_alert_store_get_active(s), 4); /* 4, 5, 6, 7 */
    for (guint i = 0; i < 4; i++)
        assert_int_equal(at(s, i)->id, 7 - i);
    /* a dropped alert's update comes back as a new entry, in bounds */
    Netvigil__Alert up = mk(1, UPDATE, LOW, 13000, "x");
    assert_int_equal(nvg_alert_store_apply(s, &up, 0), NVG_ALERT_ADDED);
    assert_int_equal(g_list_model_get_n_items(G_LIST_MODEL(s)), 4);
    assert_int_equal(nvg_alert_store_get_active(s), 4);
    assert_true(w.consistent);
    g_object_unref(s);
}

/* A new collector run: what was active ends (orphaned), ids start again. */
static void test_new_run(void **state)
{
    struct watch w;
    NvgAlertStore *s = new_store(0, &w);
    Netvigil__Alert a = mk(1, START, HIGH, 1000, "old run");
    nvg_alert_store_apply(s, &a, 0);
    nvg_alert_store_new_run(s, 5000);
    assert_int_equal(nvg_alert_store_get_active(s), 0);
    assert_true(at(s, 0)->ended && at(s, 0)->orphaned);
    assert_int_equal(at(s, 0)->end_ms, 5000);
    assert_null(nvg_alert_store_lookup(s, 1));
    a = mk(1, START, LOW, 6000, "new run");
    assert_int_equal(nvg_alert_store_apply(s, &a, 0), NVG_ALERT_ADDED);
    assert_int_equal(g_list_model_get_n_items(G_LIST_MODEL(s)), 2);
    assert_string_equal(at(s, 0)->summary, "new run");
    assert_int_equal(nvg_alert_store_get_active(s), 1);
    assert_true(w.consistent);
    g_object_unref(s);
}

/* The feed parser's checks of an alert: bad UTF-8 escaped, lists capped, times clamped. */
static void test_parse(void **state)
{
    Netvigil__Alert a = mk(1, START, HIGH, -5, "\xff<b>x</b>");
    ProtobufCBinaryData targets[20];
    for (int i = 0; i < 20; i++)
        targets[i] = (ProtobufCBinaryData){4, addr_b};
    a.targets = targets;
    a.n_targets = 20;
    a.first_ns = -1;
    a.last_ns = -9;
    uint8_t buf[4096];
    size_t len = netvigil__alert__pack(&a, buf);
    struct nvg_feed_parse_counts c = {0};
    assert_int_equal(nvg_feed_topic_kind("alert", 5), NVG_FEED_ALERT);
    struct nvg_feed_msg *m = nvg_feed_parse(NVG_FEED_ALERT, buf, len, &c);
    assert_non_null(m);
    const Netvigil__Alert *p = (const Netvigil__Alert *)m->pb;
    assert_true(g_utf8_validate(p->summary, -1, NULL));
    assert_null(strchr(p->summary, '\xff'));
    assert_int_equal(c.escaped, 1);
    assert_int_equal(p->n_targets, NVG_FEED_MAX_ALERT_LIST);
    assert_int_equal(m->omitted, 20 - NVG_FEED_MAX_ALERT_LIST);
    assert_int_equal(p->time_ms, 0);
    assert_int_equal(p->first_ns, 0);
    assert_int_equal(p->last_ns, 0);
    nvg_feed_msg_free(m);
    assert_null(nvg_feed_parse(NVG_FEED_ALERT, "\xff\xff\xff", 3, &c));
    assert_int_equal(c.invalid, 1);
}

static void test_ratelimit(void **state)
{
    const int64_t s = G_USEC_PER_SEC;
    struct nvg_alert_ratelimit rl = {.interval_us = 10 * s};
    assert_true(nvg_alert_ratelimit_offer(&rl, 100 * s));
    assert_int_equal(nvg_alert_ratelimit_due(&rl), 0);
    assert_false(nvg_alert_ratelimit_offer(&rl, 101 * s));
    assert_false(nvg_alert_ratelimit_offer(&rl, 102 * s));
    assert_int_equal(nvg_alert_ratelimit_due(&rl), 110 * s);
    assert_int_equal(nvg_alert_ratelimit_flush(&rl, 109 * s), 0); /* not yet */
    /* held ones are not overtaken by a newcomer once the interval is over */
    assert_false(nvg_alert_ratelimit_offer(&rl, 110 * s));
    assert_int_equal(nvg_alert_ratelimit_flush(&rl, 110 * s), 3);
    assert_int_equal(nvg_alert_ratelimit_due(&rl), 0);
    /* the summary counts as a notification: the next may go 10 s after it */
    assert_false(nvg_alert_ratelimit_offer(&rl, 115 * s));
    assert_int_equal(nvg_alert_ratelimit_flush(&rl, 120 * s), 1);
    assert_true(nvg_alert_ratelimit_offer(&rl, 131 * s));
}

int main(void)
{
    /* As under g_test_init(): a GLib warning or critical from the code under test fails. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life),  cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_bound), cmocka_unit_test(test_new_run),
        cmocka_unit_test(test_parse), cmocka_unit_test(test_ratelimit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
