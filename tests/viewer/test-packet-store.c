/* NvgPacketStore: the ring list model's items-changed signals, across wrap-around, with and
 * without a display filter, checked against a brute-force model of what must be shown. */
#include <gio/gio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-packet-item.h"
#include "nvg-packet-store.h"
#include "nvg-view-filter.h"

struct change {
    guint pos, removed, added;
};

struct watch {
    GArray *changes;
    guint n; /* n_items as the signals tell it */
    gboolean consistent;
};

static void on_items_changed(GListModel *m, guint pos, guint removed, guint added, struct watch *w)
{
    struct change c = {pos, removed, added};
    g_array_append_val(w->changes, c);
    w->n = w->n - removed + added;
    /* the model must already be in the state the signal describes */
    if (g_list_model_get_n_items(m) != w->n) {
        print_message("items-changed(%u, %u, %u): model has %u, signals say %u\n", pos, removed,
                      added, g_list_model_get_n_items(m), w->n);
        w->consistent = FALSE;
    }
}

static struct nvg_view_rec mk(guint64 i, int proto, uint16_t sensor)
{
    struct nvg_view_rec r;
    memset(&r, 0, sizeof(r));
    r.pkt.ts_ns = (int64_t)i;
    r.pkt.proto = (uint8_t)proto;
    r.pkt.ip_version = 4;
    r.pkt.src[0] = 10;
    r.pkt.src[3] = (uint8_t)i;
    r.sensor = sensor;
    return r;
}

static guint64 number_at(GListModel *m, guint pos)
{
    NvgPacketItem *it = g_list_model_get_item(m, pos);
    assert_non_null(it);
    guint64 n = nvg_packet_item_get_number(it);
    g_object_unref(it);
    return n;
}

struct fixture {
    struct nvg_sensor_names *names;
    NvgPacketStore *store;
    struct watch w;
    uint16_t a, b;
};

static void setup(struct fixture *f, guint cap)
{
    memset(f, 0, sizeof(*f));
    f->names = nvg_sensor_names_new();
    f->a = nvg_sensor_names_intern(f->names, "alpha");
    f->b = nvg_sensor_names_intern(f->names, "beta");
    f->store = nvg_packet_store_new(cap, f->names);
    f->w.changes = g_array_new(FALSE, FALSE, sizeof(struct change));
    f->w.consistent = TRUE;
    g_signal_connect(f->store, "items-changed", G_CALLBACK(on_items_changed), &f->w);
}

static void teardown(struct fixture *f)
{
    g_object_unref(f->store);
    g_array_free(f->w.changes, TRUE);
    nvg_sensor_names_free(f->names);
}

static void append_range(struct fixture *f, guint64 from, guint n, int proto)
{
    struct nvg_view_rec *r = g_new(struct nvg_view_rec, n);
    for (guint i = 0; i < n; i++)
        r[i] = mk(from + i, proto, f->a);
    g_array_set_size(f->w.changes, 0);
    nvg_packet_store_append(f->store, r, n);
    g_free(r);
}

#define CHANGE(i) g_array_index(f.w.changes, struct change, i)
#define ASSERT_CHANGE(i, p, r, a)                                                                  \
    do {                                                                                           \
        assert_int_equal(CHANGE(i).pos, p);                                                        \
        assert_int_equal(CHANGE(i).removed, r);                                                    \
        assert_int_equal(CHANGE(i).added, a);                                                      \
    } while (0)

static void test_wrap(void **state)
{
    (void)state;
    struct fixture f;
    setup(&f, 5);
    GListModel *m = G_LIST_MODEL(f.store);
    assert_true(g_list_model_get_item_type(m) == NVG_TYPE_PACKET_ITEM);

    append_range(&f, 0, 3, NVG_PROTO_TCP); /* records 1..3 */
    assert_int_equal(f.w.changes->len, 1);
    ASSERT_CHANGE(0, 0, 0, 3);

    append_range(&f, 3, 4, NVG_PROTO_TCP); /* 1..7 in a ring of 5: 1, 2 fall off */
    assert_int_equal(f.w.changes->len, 2);
    ASSERT_CHANGE(0, 0, 2, 0);
    ASSERT_CHANGE(1, 1, 0, 4);
    assert_int_equal(g_list_model_get_n_items(m), 5);
    for (guint i = 0; i < 5; i++)
        assert_int_equal(number_at(m, i), 3 + i);
    assert_null(g_list_model_get_item(m, 5));

    append_range(&f, 7, 12, NVG_PROTO_TCP); /* more than the ring: only 15..19 stay */
    assert_int_equal(f.w.changes->len, 2);
    ASSERT_CHANGE(0, 0, 5, 0);
    ASSERT_CHANGE(1, 0, 0, 5);
    for (guint i = 0; i < 5; i++)
        assert_int_equal(number_at(m, i), 15 + i);

    struct nvg_packet_store_counts c;
    nvg_packet_store_get_counts(f.store, &c);
    assert_int_equal(c.appended, 19);
    assert_int_equal(c.overwritten, 14);
    assert_int_equal(c.in_ring, 5);
    assert_int_equal(c.shown, 5);

    append_range(&f, 19, 0, NVG_PROTO_TCP); /* nothing: no signal */
    assert_int_equal(f.w.changes->len, 0);

    g_array_set_size(f.w.changes, 0);
    nvg_packet_store_clear(f.store);
    assert_int_equal(f.w.changes->len, 1);
    ASSERT_CHANGE(0, 0, 5, 0);
    assert_int_equal(g_list_model_get_n_items(m), 0);
    assert_true(f.w.consistent);
    teardown(&f);
}

static void test_filtered_wrap(void **state)
{
    (void)state;
    struct fixture f;
    setup(&f, 4);
    GListModel *m = G_LIST_MODEL(f.store);
    /* 1 TCP, 2 UDP, 3 TCP, 4 UDP */
    struct nvg_view_rec r[4];
    for (int i = 0; i < 4; i++)
        r[i] = mk((guint64)i, i % 2 ? NVG_PROTO_UDP : NVG_PROTO_TCP, f.a);
    nvg_packet_store_append(f.store, r, 4);

    struct nvg_view_fields fields;
    struct nvg_filter filter;
    assert_int_equal(nvg_view_fields_parse("proto=udp", &fields), 0);
    assert_int_equal(nvg_view_filter_compile(&fields, &filter), 0);
    g_array_set_size(f.w.changes, 0);
    nvg_packet_store_set_filter(f.store, &filter);
    assert_int_equal(f.w.changes->len, 1);
    ASSERT_CHANGE(0, 0, 4, 2);
    assert_int_equal(number_at(m, 0), 2);
    assert_int_equal(number_at(m, 1), 4);

    /* two TCP records push out 1 (TCP, not shown) and 2 (UDP, shown): one removal, no add */
    append_range(&f, 4, 2, NVG_PROTO_TCP);
    assert_int_equal(f.w.changes->len, 1);
    ASSERT_CHANGE(0, 0, 1, 0);
    assert_int_equal(g_list_model_get_n_items(m), 1);
    assert_int_equal(number_at(m, 0), 4);

    /* one UDP record pushes out 3 (TCP): only an addition at the back */
    append_range(&f, 6, 1, NVG_PROTO_UDP);
    assert_int_equal(f.w.changes->len, 1);
    ASSERT_CHANGE(0, 1, 0, 1);

    /* sensor filter */
    assert_int_equal(nvg_view_fields_parse("sensor=beta", &fields), 0);
    assert_int_equal(nvg_view_filter_compile(&fields, &filter), 0);
    nvg_packet_store_set_filter(f.store, &filter);
    assert_int_equal(g_list_model_get_n_items(m), 0);
    nvg_packet_store_set_filter(f.store, NULL);
    assert_int_equal(g_list_model_get_n_items(m), 4);
    assert_true(f.w.consistent);
    teardown(&f);
}

/* Replays the signals of one append on mirror (the record numbers a GListStore following the
 * signals would hold): at most two, a front removal then a back addition. */
static void replay_changes(struct fixture *f, GArray *mirror)
{
    assert_in_range(f->w.changes->len, 0, 2);
    for (guint k = 0; k < f->w.changes->len; k++) {
        struct change c = g_array_index(f->w.changes, struct change, k);
        if (c.removed) {
            assert_int_equal(c.pos, 0);
            assert_int_equal(c.added, 0);
            g_array_remove_range(mirror, 0, c.removed);
        }
        if (c.added) {
            assert_int_equal(c.pos, mirror->len);
            for (guint i = 0; i < c.added; i++) {
                guint64 num = number_at(G_LIST_MODEL(f->store), c.pos + i);
                g_array_append_val(mirror, num);
            }
        }
    }
}

/* After appending r[0..n-1] as records next+1 .. next+n to a ring of cap: the mirror and the
 * store hold exactly the UDP records of the last cap, in order. */
static void check_reference(struct fixture *f, GArray *mirror, const struct nvg_view_rec *r,
                            guint n, guint64 next, guint cap)
{
    GListModel *m = G_LIST_MODEL(f->store);
    guint64 total = next + n;
    guint64 lo = total > cap ? total - cap : 0;
    guint expect = 0;
    for (guint64 a = MAX(lo, next); a < total; a++)
        expect += r[a - next].pkt.proto == NVG_PROTO_UDP;
    guint kept_old = 0;
    for (guint i = 0; i < mirror->len; i++)
        kept_old += g_array_index(mirror, guint64, i) <= next;
    assert_int_equal(mirror->len, kept_old + expect);
    assert_int_equal(g_list_model_get_n_items(m), mirror->len);
    for (guint i = 0; i < mirror->len; i++) {
        guint64 num = g_array_index(mirror, guint64, i);
        assert_in_range(num, lo + 1, UINT64_MAX);
        assert_int_equal(number_at(m, i), num);
        const struct nvg_view_rec *pr = nvg_packet_store_peek(f->store, i);
        assert_int_equal(pr->pkt.ts_ns, (int64_t)(num - 1));
        assert_int_equal(pr->pkt.proto, NVG_PROTO_UDP);
        if (i)
            assert_in_range(num, g_array_index(mirror, guint64, i - 1) + 1, UINT64_MAX);
    }
}

/* Random batch sizes over many wraps of the ring and of the row deque, compared with a
 * brute-force list after every batch; replaying the signals on a GListStore mirror must give
 * the same rows. */
static void test_random_against_reference(void **state)
{
    (void)state;
    struct fixture f;
    const guint cap = 37;
    setup(&f, cap);
    struct nvg_view_fields fields;
    struct nvg_filter filter;
    nvg_view_fields_parse("proto=udp", &fields);
    nvg_view_filter_compile(&fields, &filter);
    nvg_packet_store_set_filter(f.store, &filter);
    GArray *mirror = g_array_new(FALSE, FALSE, sizeof(guint64)); /* numbers, via signals */
    guint64 next = 0;
    GRand *rand = g_rand_new_with_seed(42);
    for (int round = 0; round < 2000; round++) {
        guint n = (guint)g_rand_int_range(rand, 0, round % 50 == 0 ? 90 : 12);
        struct nvg_view_rec *r = g_new(struct nvg_view_rec, MAX(n, 1u));
        for (guint i = 0; i < n; i++)
            r[i] = mk(next + i, g_rand_boolean(rand) ? NVG_PROTO_UDP : NVG_PROTO_TCP, f.a);
        g_array_set_size(f.w.changes, 0);
        nvg_packet_store_append(f.store, r, n);
        replay_changes(&f, mirror);
        check_reference(&f, mirror, r, n, next, cap);
        next += n;
        g_free(r);
    }
    assert_true(f.w.consistent);
    g_rand_free(rand);
    g_array_free(mirror, TRUE);
    teardown(&f);
}

static void test_default_capacity(void **state)
{
    (void)state;
    struct nvg_sensor_names *names = nvg_sensor_names_new();
    NvgPacketStore *s = nvg_packet_store_new(0, names);
    assert_int_equal(nvg_packet_store_get_capacity(s), NVG_PACKET_STORE_DEFAULT_CAPACITY);
    g_object_unref(s);
    nvg_sensor_names_free(names);
}

static void test_sensor_names(void **state)
{
    (void)state;
    struct nvg_sensor_names *n = nvg_sensor_names_new();
    uint16_t a = nvg_sensor_names_intern(n, "web-1");
    assert_int_equal(a, 1);
    assert_int_equal(nvg_sensor_names_intern(n, "web-1"), a);
    assert_int_equal(nvg_sensor_names_intern(n, "a,b"), 2);
    size_t len;
    assert_string_equal(nvg_sensor_names_csv(n, 2, &len), "\"a,b\"");
    assert_int_equal(len, 5);
    assert_int_equal(nvg_sensor_names_intern(n, ""), 0);
    assert_string_equal(nvg_sensor_names_get(n, 999), "?");
    nvg_sensor_names_free(n);
}

int main(void)
{
    /* As under g_test_init(): a GLib warning or critical from the code under test fails. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_filtered_wrap),
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_default_capacity),
        cmocka_unit_test(test_sensor_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
