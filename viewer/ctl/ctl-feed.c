/* `netvigil-ctl tail`, `rates` and `events`: subscribers on the live feed (PUB 7701).
 *
 * tail subscribes to "rec/" (or "rec/<sensor>") and prints the matching records of each Batch;
 * the printers are in ctl-feed-print.c. The feed is best effort: a subscriber slower than the
 * traffic loses messages at its high-water mark rather than slowing the collector, and the
 * queue libzmq keeps for us is bounded in bytes (NVG_CTL_FEED_QUEUE_BYTES); what we drop or
 * miss is counted and reported on exit. Records the collector published that never reached us
 * show as a "skipped N records of NAME (the subscriber fell behind)" line where they were
 * missed (from each Batch's feed_offset, common/nvg-feed-skip.h) and as a total on exit. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

/* How often the wait wakes up to look at the stop flag and the handshake deadline. */
#define FEED_TICK_MS 200

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int subscribe(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, const char *topic)
{
    int hwm = (int)(NVG_CTL_FEED_QUEUE_BYTES / NVG_CLIENT_MAX_MSG);
    int rc = nvg_ctl_conn_open(ctl, c, ZMQ_SUB, ctl->feed_ep, hwm);
    if (rc)
        return rc;
    if (zmq_setsockopt(c->sock, ZMQ_SUBSCRIBE, topic, strlen(topic)) != 0) {
        fprintf(stderr, "netvigil-ctl: cannot subscribe at %s: %s\n", ctl->feed_ep,
                zmq_strerror(zmq_errno()));
        nvg_ctl_conn_close(c);
        return NVG_CTL_EXIT_FAIL;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return 0;
}

/* Prints the lines of one feed message, at most limit of them (0: no limit); returns how many
 * it printed. */
typedef long (*feed_printer)(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len,
                             long limit);

/* Everything waiting on the socket, up to the line limit; returns the lines printed. */
static long drain(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, struct nvg_ctl_feed *f,
                  feed_printer print, long total)
{
    long printed = 0;
    while (!interrupted && (ctl->count <= 0 || total + printed < ctl->count)) {
        zmq_msg_t t, b;
        zmq_msg_init(&t);
        zmq_msg_init(&b);
        int rc = nvg_zmq_recv_topic(c->sock, &t, &b, ZMQ_DONTWAIT);
        if (rc == 0)
            printed += print(f, stdout, zmq_msg_data(&b), zmq_msg_size(&b),
                             ctl->count > 0 ? ctl->count - total - printed : 0);
        else if (rc == NVG_EMALFORMED)
            nvg_ctl_feed_count_malformed(f);
        zmq_msg_close(&t);
        zmq_msg_close(&b);
        if (rc != 0 && rc != NVG_EMALFORMED)
            break;
    }
    fflush(stdout);
    return printed;
}

/* libzmq dials again within its reconnect interval (100 ms) after a lost connection, except
 * after a protocol error, such as a message over ZMQ_MAXMSGSIZE: then the feed is over for
 * good. (Dialling again ourselves is no cure: a hostile collector would repeat the message,
 * and libzmq 4.3.4 can abort in fq.cpp, "!_more", when a pipe dies between two frames.) */
#define FEED_REDIAL_GRACE_MS 2000

static bool feed_dead(const struct nvg_ctl *ctl, const struct nvg_ctl_conn *c)
{
    if (!c->lost_ms || nvg_clock_mono_ms() - c->lost_ms < FEED_REDIAL_GRACE_MS)
        return false;
    fprintf(stderr,
            "netvigil-ctl: the collector at %s closed the feed and libzmq does not dial again "
            "(a protocol error: a message over the %d MiB cap?)\n",
            ctl->feed_ep, NVG_CLIENT_MAX_MSG >> 20);
    return true;
}

/* Receives and prints until --count lines, a signal, or the collector refusing us; returns the
 * exit status. With keys, a handshake that has not completed within the timeout is an error
 * (the collector holds another key than --collector-key); without, we wait for a collector
 * that is not there yet, as before. */
static int follow(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, struct nvg_ctl_feed *f,
                  feed_printer print)
{
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_STATUS_TIMEOUT_MS;
    int64_t t0 = nvg_clock_mono_ms();
    long total = 0;
    unsigned disconnects = c->disconnects;
    while (!interrupted && (ctl->count <= 0 || total < ctl->count)) {
        int rc = nvg_ctl_conn_wait(ctl, c, FEED_TICK_MS);
        if (rc < 0)
            return -rc;
        if (c->disconnects != disconnects) {
            disconnects = c->disconnects;
            nvg_ctl_feed_reconnected(f);
        }
        if (rc > 0)
            total += drain(ctl, c, f, print, total);
        else if (ctl->keys && !c->handshaken && c->connected && nvg_clock_mono_ms() - t0 >= timeout)
            return nvg_ctl_conn_timed_out(ctl, c, NULL, timeout);
        else if (feed_dead(ctl, c))
            return NVG_CTL_EXIT_FAIL;
    }
    return 0;
}

static int watch(struct nvg_ctl *ctl, const char *topic, feed_printer print)
{
    if (ctl->n_collectors > 1)
        return nvg_ctl_multi_watch(ctl, topic, print);
    struct nvg_ctl_conn c;
    int rc = subscribe(ctl, &c, topic);
    if (rc)
        return rc;
    struct nvg_ctl_feed *f = nvg_ctl_feed_new(&ctl->filter);
    if (!f) {
        nvg_ctl_conn_close(&c);
        return NVG_CTL_EXIT_FAIL;
    }
    rc = follow(ctl, &c, f, print);
    nvg_ctl_conn_close(&c);
    nvg_ctl_feed_report(f, stderr);
    if (c.disconnects)
        fprintf(stderr, "netvigil-ctl: feed: the connection to %s was lost %u time(s)\n",
                ctl->feed_ep, c.disconnects);
    nvg_ctl_feed_free(f);
    return rc;
}

int nvg_ctl_tail(struct nvg_ctl *ctl)
{
    char topic[sizeof(NVG_TOPIC_RECORDS) + NVG_SENSOR_NAME_MAX];
    snprintf(topic, sizeof(topic), "%s%s", NVG_TOPIC_RECORDS, ctl->filter.sensor);
    return watch(ctl, topic, nvg_ctl_feed_batch);
}

int nvg_ctl_rates(struct nvg_ctl *ctl)
{
    return watch(ctl, NVG_TOPIC_RATES, nvg_ctl_feed_rates);
}

int nvg_ctl_events(struct nvg_ctl *ctl)
{
    return watch(ctl, NVG_TOPIC_EVENTS, nvg_ctl_feed_event);
}

int nvg_ctl_flows_live(struct nvg_ctl *ctl)
{
    return watch(ctl, NVG_TOPIC_FLOWS, nvg_ctl_feed_flows);
}

int nvg_ctl_alerts_live(struct nvg_ctl *ctl)
{
    return watch(ctl, NVG_TOPIC_ALERTS, nvg_ctl_feed_alert);
}
