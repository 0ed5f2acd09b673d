/* nvg-e2e-sub: a subscriber on the collector's live feed for the end-to-end tests.
 *
 *   nvg-e2e-sub FEED_ENDPOINT SECONDS
 *
 * Subscribes to every topic and prints one line per thing received, flushed at once, until
 * SECONDS have passed or SIGINT/SIGTERM:
 *
 *   rec SENSOR RECORDS                          a record batch (topic rec/SENSOR)
 *   rate TIME_S SENSOR PROTO PACKETS BYTES      one rate sample (PROTO as in the CSV)
 *   status SENSOR RECORDS_RECEIVED BATCHES_LOST a sensor in a collector status message
 *   status-end                                  after the sensors of one status message
 *   other TOPIC                                 anything else (talkers, events, alerts)
 *   bad TOPIC                                   a body that does not parse
 *
 * The test reads these lines; the first status-end tells it the subscription is live. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-pkt.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t mono_ms(void)
{
    return nvg_clock_mono_ms();
}

static bool topic_is(const char *t, size_t tlen, const char *prefix, bool exact)
{
    size_t plen = strlen(prefix);
    if (exact ? tlen != plen : tlen < plen)
        return false;
    return memcmp(t, prefix, plen) == 0;
}

static void handle(const char *t, size_t tlen, const uint8_t *body, size_t blen)
{
    if (topic_is(t, tlen, NVG_TOPIC_RECORDS, false)) {
        Netvigil__Batch *b = netvigil__batch__unpack(NULL, blen, body);
        if (!b) {
            printf("bad %.*s\n", (int)tlen, t);
            return;
        }
        printf("rec %s %zu\n", b->sensor ? b->sensor : "", b->n_records);
        netvigil__batch__free_unpacked(b, NULL);
    } else if (topic_is(t, tlen, NVG_TOPIC_RATES, true)) {
        Netvigil__RateBatch *rb = netvigil__rate_batch__unpack(NULL, blen, body);
        if (!rb) {
            printf("bad %.*s\n", (int)tlen, t);
            return;
        }
        for (size_t i = 0; i < rb->n_samples; i++) {
            const Netvigil__RateSample *s = rb->samples[i];
            printf("rate %" PRId64 " %s %s %" PRIu64 " %" PRIu64 "\n", s->time_s,
                   s->sensor ? s->sensor : "", nvg_proto_name((enum nvg_proto)s->proto), s->packets,
                   s->bytes);
        }
        netvigil__rate_batch__free_unpacked(rb, NULL);
    } else if (topic_is(t, tlen, NVG_TOPIC_STATUS, true)) {
        Netvigil__CollectorStatus *st = netvigil__collector_status__unpack(NULL, blen, body);
        if (!st) {
            printf("bad %.*s\n", (int)tlen, t);
            return;
        }
        for (size_t i = 0; i < st->n_sensors; i++) {
            const Netvigil__SensorSummary *s = st->sensors[i];
            const char *name =
                s->last_status && s->last_status->sensor ? s->last_status->sensor : "";
            printf("status %s %" PRIu64 " %" PRIu64 "\n", name, s->records_received,
                   s->batches_lost);
        }
        printf("status-end\n");
        netvigil__collector_status__free_unpacked(st, NULL);
    } else {
        printf("other %.*s\n", (int)tlen, t);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nvg-e2e-sub FEED_ENDPOINT SECONDS\n");
        return 2;
    }
    int64_t deadline = mono_ms() + (int64_t)(atof(argv[2]) * 1000);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    void *ctx = zmq_ctx_new();
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.rcvhwm = 100000, .linger_ms = 0};
    void *sock = ctx ? nvg_zmq_socket(ctx, ZMQ_SUB, &so, err) : NULL;
    if (!sock) {
        fprintf(stderr, "nvg-e2e-sub: %s\n", ctx ? err : "zmq_ctx_new failed");
        return 1;
    }
    if (zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0) != 0 || nvg_zmq_connect(sock, argv[1]) != 0) {
        fprintf(stderr, "nvg-e2e-sub: %s: %s\n", argv[1], zmq_strerror(zmq_errno()));
        return 1;
    }
    while (!stop) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            break;
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&it, 1, left < 200 ? left : 200);
        if (rc < 0 && zmq_errno() != EINTR)
            break;
        if (rc <= 0)
            continue;
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&topic, sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&topic) &&
            zmq_msg_recv(&body, sock, ZMQ_DONTWAIT) >= 0) {
            handle(zmq_msg_data(&topic), zmq_msg_size(&topic), zmq_msg_data(&body),
                   zmq_msg_size(&body));
            while (zmq_msg_more(&body) && zmq_msg_recv(&body, sock, ZMQ_DONTWAIT) >= 0) {
            }
        }
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        fflush(stdout);
    }
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}
