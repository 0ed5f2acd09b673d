/* Unit tests of the ZeroMQ helpers (common/nvg-zmq.c): the topic + body receive, and reading
 * the hosts, ports and endpoints people give (sensor -c, ctl and viewer --collector,
 * --feed-endpoint, --control-endpoint). nvg_zmq_endpoint and _is_loopback are tested in
 * tests/sensor/test-link.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "nvg-cert.h"
#include "nvg-error.h"
#include "nvg-zmq.h"

struct pair {
    void *ctx, *tx, *rx;
};

static int setup(void **state)
{
    static struct pair p;
    p.ctx = zmq_ctx_new();
    p.tx = zmq_socket(p.ctx, ZMQ_PAIR);
    p.rx = zmq_socket(p.ctx, ZMQ_PAIR);
    int zero = 0;
    zmq_setsockopt(p.tx, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(p.rx, ZMQ_LINGER, &zero, sizeof(zero));
    if (zmq_bind(p.rx, "inproc://test-zmq") != 0 || zmq_connect(p.tx, "inproc://test-zmq") != 0)
        return -1;
    *state = &p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    zmq_close(p->tx);
    zmq_close(p->rx);
    zmq_ctx_term(p->ctx);
    return 0;
}

/* Sends a message of n frames "f0", "f1", ... */
static void send_frames(void *sock, int n)
{
    for (int i = 0; i < n; i++) {
        char f[4] = {'f', (char)('0' + i), 0, 0};
        assert_int_equal(zmq_send(sock, f, 2, i + 1 < n ? ZMQ_SNDMORE : 0), 2);
    }
}

/* nvg_zmq_recv_topic into fresh messages; the frames' text in topic_out/body_out. */
static int recv_topic(void *sock, int flags, char topic_out[8], char body_out[8])
{
    zmq_msg_t t, b;
    zmq_msg_init(&t);
    zmq_msg_init(&b);
    int rc = nvg_zmq_recv_topic(sock, &t, &b, flags);
    if (rc == 0) {
        snprintf(topic_out, 8, "%.*s", (int)zmq_msg_size(&t), (const char *)zmq_msg_data(&t));
        snprintf(body_out, 8, "%.*s", (int)zmq_msg_size(&b), (const char *)zmq_msg_data(&b));
    }
    zmq_msg_close(&t);
    zmq_msg_close(&b);
    return rc;
}

static void test_two_frames(void **state)
{
    struct pair *p = *state;
    char t[8], b[8];
    assert_int_equal(recv_topic(p->rx, ZMQ_DONTWAIT, t, b), NVG_EAGAIN);
    send_frames(p->tx, 2);
    assert_int_equal(recv_topic(p->rx, 0, t, b), 0);
    assert_string_equal(t, "f0");
    assert_string_equal(b, "f1");
    assert_int_equal(recv_topic(p->rx, ZMQ_DONTWAIT, t, b), NVG_EAGAIN);
}

/* Every other shape is dropped whole: the next call reads the next message, never a frame left
 * over from this one (netvigil-ctl used to drain only one extra frame). */
static void test_other_shapes_dropped_whole(void **state)
{
    struct pair *p = *state;
    char t[8], b[8];
    for (int n = 1; n <= 6; n++) {
        if (n == 2)
            continue;
        send_frames(p->tx, n);
        send_frames(p->tx, 2);
        assert_int_equal(recv_topic(p->rx, ZMQ_DONTWAIT, t, b), NVG_EMALFORMED);
        assert_int_equal(recv_topic(p->rx, ZMQ_DONTWAIT, t, b), 0);
        assert_string_equal(t, "f0");
        assert_string_equal(b, "f1");
        assert_int_equal(recv_topic(p->rx, ZMQ_DONTWAIT, t, b), NVG_EAGAIN);
    }
}

static void test_dead_socket(void **state)
{
    struct pair *p = *state;
    char t[8], b[8];
    zmq_ctx_shutdown(p->ctx);
    assert_int_equal(recv_topic(p->rx, 0, t, b), NVG_EZMQ);
    assert_int_equal(zmq_errno(), ETERM);
}

static void assert_split(const char *text, const char *host, int port)
{
    char h[NVG_ZMQ_HOST_MAX] = "";
    int p = -1;
    assert_int_equal(nvg_zmq_endpoint_split(text, h, sizeof(h), &p), 0);
    assert_string_equal(h, host);
    assert_int_equal(p, port);
}

static void assert_no_split(const char *text)
{
    char h[NVG_ZMQ_HOST_MAX] = "untouched";
    int p = -1;
    assert_int_equal(nvg_zmq_endpoint_split(text, h, sizeof(h), &p), NVG_EINVAL);
    assert_string_equal(h, "untouched");
    assert_int_equal(p, -1);
}

static void test_endpoint_split(void **state)
{
    (void)state;
    assert_split("localhost", "localhost", 0);
    assert_split("collector.example:7701", "collector.example", 7701);
    assert_split("10.0.0.1:1", "10.0.0.1", 1);
    assert_split("::1", "::1", 0); /* two colons or more: a bare IPv6 literal */
    assert_split("2001:db8::5", "2001:db8::5", 0);
    assert_split("fe80::1%eth0", "fe80::1%eth0", 0);
    assert_split("[::1]", "::1", 0);
    assert_split("[::1]:65535", "::1", 65535);
    assert_split("tcp://127.0.0.1:7700", "127.0.0.1", 7700);
    assert_split("tcp://[::1]:7700", "::1", 7700);
    assert_split("tcp://host", "host", 0);
    assert_split("tcp://::1:7700", "::1", 7700); /* in an endpoint the last colon is the port's */
    assert_split("tcp://10.0.0.1;10.0.0.2:7700", "10.0.0.2", 7700);
    assert_split("tcp://eth0;[::1]:7700", "::1", 7700);

    assert_no_split("");
    assert_no_split(":7700");
    assert_no_split("[]:7700");
    assert_no_split("[::1");
    assert_no_split("[::1]x");
    assert_no_split("[::1]:");
    assert_no_split("host:");
    assert_no_split("host:0");
    assert_no_split("host:65536");
    assert_no_split("host:80x");
    assert_no_split("host: 80");
    assert_no_split("host:-1");
    assert_no_split("a:b");
    assert_no_split("tcp://:7700");
    assert_no_split("tcp://h:99999");
    assert_no_split("ipc:///tmp/x");
    assert_no_split("inproc://x");
    char h[4];
    int p;
    assert_int_equal(nvg_zmq_endpoint_split("abcd", h, sizeof(h), &p), NVG_EINVAL);
    assert_int_equal(nvg_zmq_endpoint_split("abc", h, sizeof(h), &p), 0);
    assert_int_equal(nvg_zmq_endpoint_split(NULL, h, sizeof(h), &p), NVG_EINVAL);
}

static void assert_parse(const char *text, const char *endpoint)
{
    char ep[NVG_ZMQ_ENDPOINT_MAX] = "";
    assert_int_equal(nvg_zmq_endpoint_parse(ep, sizeof(ep), text, 7700), 0);
    assert_string_equal(ep, endpoint);
}

static void test_endpoint_parse(void **state)
{
    (void)state;
    assert_parse("localhost", "tcp://localhost:7700");
    assert_parse("127.0.0.1:7000", "tcp://127.0.0.1:7000");
    assert_parse("::1", "tcp://[::1]:7700");
    assert_parse("[::1]", "tcp://[::1]:7700");
    assert_parse("[::1]:7701", "tcp://[::1]:7701");
    assert_parse("fe80::1%eth0", "tcp://[fe80::1%eth0]:7700");
    /* Endpoints are used as given, checked by zmq_connect. */
    assert_parse("tcp://127.0.0.1:7700", "tcp://127.0.0.1:7700");
    assert_parse("tcp://host", "tcp://host");
    assert_parse("ipc:///run/nvg.sock", "ipc:///run/nvg.sock");
    char ep[NVG_ZMQ_ENDPOINT_MAX];
    assert_int_equal(nvg_zmq_endpoint_parse(ep, sizeof(ep), "host:80x", 7700), NVG_EINVAL);
    assert_int_equal(nvg_zmq_endpoint_parse(ep, sizeof(ep), "", 7700), NVG_EINVAL);
    assert_int_equal(nvg_zmq_endpoint_parse(ep, sizeof(ep), NULL, 7700), NVG_EINVAL);
    assert_int_equal(nvg_zmq_endpoint_parse(ep, 20, "tcp://127.0.0.1:7700", 7700), NVG_EINVAL);
    assert_int_equal(nvg_zmq_endpoint_parse(ep, 20, "127.0.0.1", 7700), NVG_EINVAL);
}

static void test_endpoint_client(void **state)
{
    (void)state;
    char ep[NVG_ZMQ_ENDPOINT_MAX];
    assert_int_equal(nvg_zmq_endpoint_client(ep, sizeof(ep), NULL, "localhost", 7701), 0);
    assert_string_equal(ep, "tcp://localhost:7701");
    assert_int_equal(nvg_zmq_endpoint_client(ep, sizeof(ep), NULL, "::1", 7702), 0);
    assert_string_equal(ep, "tcp://[::1]:7702");
    /* --collector is a host only: no port is read from it. */
    assert_int_equal(nvg_zmq_endpoint_client(ep, sizeof(ep), NULL, "h:1", 7702), 0);
    assert_string_equal(ep, "tcp://[h:1]:7702");
    /* A given endpoint is used as it is, whatever the host. */
    assert_int_equal(nvg_zmq_endpoint_client(ep, sizeof(ep), "ipc:///x", "localhost", 7701), 0);
    assert_string_equal(ep, "ipc:///x");
    assert_int_equal(nvg_zmq_endpoint_client(ep, sizeof(ep), NULL, "", 7701), NVG_EINVAL);
    assert_int_equal(nvg_zmq_endpoint_client(ep, 8, "tcp://h:1", "localhost", 7701), NVG_EINVAL);
}

/* Whether a message of size bytes sent by a CURVE DEALER reaches a CURVE ROUTER whose
 * max_msg_size is cap: the cap is the plaintext's, whatever encryption adds to the frame. */
static bool curve_delivers(int64_t cap, size_t size)
{
    void *ctx = zmq_ctx_new();
    char err[NVG_ERRBUF_SIZE], ep[128];
    struct nvg_cert server, client;
    assert_int_equal(nvg_cert_generate(&server, "collector"), 0);
    assert_int_equal(nvg_cert_generate(&client, "s1"), 0);
    struct nvg_sockopts so = {.max_msg_size = cap, .linger_ms = 0};
    void *router = nvg_zmq_socket(ctx, ZMQ_ROUTER, &so, err);
    assert_non_null(router);
    assert_int_equal(nvg_zmq_curve_server(router, &server, "sensor", err), 0);
    assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof(ep);
    assert_int_equal(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    void *d = nvg_zmq_socket(ctx, ZMQ_DEALER, &so, err);
    assert_non_null(d);
    assert_int_equal(nvg_zmq_curve_client(d, &client, &server, err), 0);
    assert_int_equal(zmq_connect(d, ep), 0);
    uint8_t *buf = calloc(1, size);
    assert_non_null(buf);
    assert_int_equal(zmq_send(d, buf, size, 0), (int)size);
    zmq_pollitem_t it = {.socket = router, .events = ZMQ_POLLIN};
    bool got = zmq_poll(&it, 1, 1000) == 1;
    free(buf);
    zmq_close(d);
    zmq_close(router);
    zmq_ctx_term(ctx);
    return got;
}

static void test_curve_keeps_plaintext_cap(void **state)
{
    (void)state;
    assert_true(curve_delivers(1000, 1000));
    assert_false(curve_delivers(1000, 1001));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_shapes_dropped_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_socket, setup, teardown),
        cmocka_unit_test(test_endpoint_split),
        cmocka_unit_test(test_endpoint_parse),
        cmocka_unit_test(test_endpoint_client),
        cmocka_unit_test(test_curve_keeps_plaintext_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
