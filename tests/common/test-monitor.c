/* Unit tests of the socket monitor (common/nvg-monitor.c) over loopback TCP: connect and
 * disconnect events on both the connecting and the binding side, draining, unique names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "nvg-error.h"
#include "nvg-monitor.h"

/* A socket of type bound to a free loopback port; its endpoint in ep. */
static void *bound(void *ctx, int type, char ep[64])
{
    void *s = zmq_socket(ctx, type);
    assert_non_null(s);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    size_t len = 64;
    assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    return s;
}

static void *unbound(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    assert_non_null(s);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    return s;
}

/* Waits up to 5 s for an event of kind id; returns 1 when seen. Other events are skipped. */
static int wait_event(struct nvg_monitor *mon, uint16_t id)
{
    for (int i = 0; i < 50; i++) {
        struct nvg_monitor_event ev;
        while (nvg_monitor_recv(mon, &ev))
            if (ev.event == id)
                return 1;
        zmq_pollitem_t it = {.socket = nvg_monitor_socket(mon), .events = ZMQ_POLLIN};
        zmq_poll(&it, 1, 100);
    }
    return 0;
}

static void test_connect_and_disconnect(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    char ep[64];
    void *router = bound(ctx, ZMQ_ROUTER, ep);
    void *dealer = unbound(ctx, ZMQ_DEALER);
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_monitor *mon =
        nvg_monitor_new(ctx, dealer, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED, err);
    assert_non_null(mon);
    struct nvg_monitor_event ev;
    assert_int_equal(nvg_monitor_recv(mon, &ev), 0); /* nothing yet */
    assert_int_equal(zmq_connect(dealer, ep), 0);
    assert_int_equal(wait_event(mon, ZMQ_EVENT_CONNECTED), 1);
    zmq_close(router);
    assert_int_equal(wait_event(mon, ZMQ_EVENT_DISCONNECTED), 1);
    nvg_monitor_free(mon);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

struct counts {
    int connected, disconnected, other;
};

static void count(void *user, const struct nvg_monitor_event *ev)
{
    struct counts *c = user;
    if (ev->event == ZMQ_EVENT_CONNECTED)
        c->connected++;
    else if (ev->event == ZMQ_EVENT_DISCONNECTED)
        c->disconnected++;
    else
        c->other++;
}

/* The collector's use: the binding ROUTER counts peers that went away. */
static void test_drain_on_the_binding_side(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    void *router = unbound(ctx, ZMQ_ROUTER);
    struct nvg_monitor *mon = nvg_monitor_new(ctx, router, ZMQ_EVENT_DISCONNECTED, NULL);
    assert_non_null(mon);
    assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
    char ep[64];
    size_t len = sizeof(ep);
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len);
    for (int i = 0; i < 3; i++) {
        void *d = unbound(ctx, ZMQ_DEALER);
        assert_int_equal(zmq_connect(d, ep), 0);
        assert_int_equal(zmq_send(d, "hi", 2, 0), 2);
        char buf[16];
        assert_int_equal(zmq_recv(router, buf, sizeof(buf), 0) > 0, 1); /* routing id */
        assert_int_equal(zmq_recv(router, buf, sizeof(buf), 0), 2);
        zmq_close(d);
    }
    struct counts c = {0};
    for (int i = 0; i < 50 && c.disconnected < 3; i++) {
        zmq_pollitem_t it = {.socket = nvg_monitor_socket(mon), .events = ZMQ_POLLIN};
        zmq_poll(&it, 1, 100);
        nvg_monitor_drain(mon, count, &c);
    }
    assert_int_equal(c.disconnected, 3);
    assert_int_equal(c.connected, 0); /* not asked for */
    assert_int_equal(c.other, 0);
    assert_int_equal(nvg_monitor_drain(mon, count, &c), 0);
    nvg_monitor_free(mon);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

/* Monitors made and freed in a row, and side by side, never collide on their inproc name. */
static void test_many_monitors(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    void *socks[8];
    struct nvg_monitor *mons[8];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 8; i++) {
            socks[i] = unbound(ctx, ZMQ_DEALER);
            mons[i] = nvg_monitor_new(ctx, socks[i], ZMQ_EVENT_ALL, NULL);
            assert_non_null(mons[i]);
        }
        for (int i = 0; i < 8; i++) {
            nvg_monitor_free(mons[i]);
            zmq_close(socks[i]);
        }
    }
    nvg_monitor_free(NULL);
    zmq_ctx_term(ctx);
}

static void test_error(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    char err[NVG_ERRBUF_SIZE] = "";
    assert_null(nvg_monitor_new(ctx, NULL, ZMQ_EVENT_ALL, err));
    assert_int_equal(zmq_errno(), ENOTSOCK);
    assert_string_equal(err, "zmq_socket_monitor: Socket operation on non-socket");
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_and_disconnect),
        cmocka_unit_test(test_drain_on_the_binding_side),
        cmocka_unit_test(test_many_monitors),
        cmocka_unit_test(test_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
