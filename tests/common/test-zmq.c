/* Unit tests of the ZeroMQ helpers (common/nvg-zmq.c): the topic + body receive. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_shapes_dropped_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_socket, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
