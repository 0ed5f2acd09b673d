/* tail, rates, events, alerts and flows over several collectors: one SUB socket per collector,
 * all created, polled and closed by the main thread, each with its own printer state (batch
 * sequences and feed offsets are per collector: sensor names are unique per collector only).
 *
 * What a collector's messages print is gathered per drain and written with each line prefixed
 * "[LABEL] " (a JSON object gets "collector" as its first member), so lines of two collectors
 * never interleave mid-line. Each drain takes at most DRAIN_MAX messages of one collector, so
 * a busy one cannot starve the others.
 *
 * Collectors come and go on their own: one not reachable within the timeout is said once on
 * stderr ("collector B: no answer") while the others print on, a lost connection is said when
 * it happens and a return when it comes back (libzmq dials again by itself); either makes the
 * exit status NVG_CTL_EXIT_PARTIAL. A collector that refuses our key or handshake is said and
 * dropped. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

#define FEED_TICK_MS 200
#define DRAIN_MAX 64

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct source {
    const struct nvg_ctl_collector *coll;
    struct nvg_ctl_conn c;
    struct nvg_ctl_feed *f;
    bool open, dead;
    bool absent; /* said to be away (no answer, or lost), not yet back */
    bool said_no_answer;
    unsigned disconnects; /* seen so far */
};

static int open_source(struct nvg_ctl *ctl, struct source *s, const char *topic)
{
    int hwm = (int)(NVG_CTL_FEED_QUEUE_BYTES / NVG_CLIENT_MAX_MSG);
    int rc = nvg_ctl_conn_open_to(ctl, &s->c, ZMQ_SUB, s->coll->feed_ep, hwm, &s->coll->cert);
    if (rc)
        return rc;
    s->open = true;
    if (zmq_setsockopt(s->c.sock, ZMQ_SUBSCRIBE, topic, strlen(topic)) != 0) {
        fprintf(stderr, "netvigil-ctl: cannot subscribe at %s: %s\n", s->coll->feed_ep,
                zmq_strerror(zmq_errno()));
        return NVG_CTL_EXIT_FAIL;
    }
    s->f = nvg_ctl_feed_new(&ctl->filter);
    return s->f ? 0 : NVG_CTL_EXIT_FAIL;
}

/* One collector's waiting messages (at most DRAIN_MAX, and the line limit), labelled onto
 * stdout; returns the lines printed. */
static long drain(struct nvg_ctl *ctl, struct source *s, nvg_ctl_feed_printer print, long total)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return 0;
    long printed = 0;
    for (int n = 0; n < DRAIN_MAX && (ctl->count <= 0 || total + printed < ctl->count); n++) {
        zmq_msg_t t, b;
        zmq_msg_init(&t);
        zmq_msg_init(&b);
        int rc = nvg_zmq_recv_topic(s->c.sock, &t, &b, ZMQ_DONTWAIT);
        if (rc == 0)
            printed += print(s->f, mem, zmq_msg_data(&b), zmq_msg_size(&b),
                             ctl->count > 0 ? ctl->count - total - printed : 0);
        else if (rc == NVG_EMALFORMED)
            nvg_ctl_feed_count_malformed(s->f);
        zmq_msg_close(&t);
        zmq_msg_close(&b);
        if (rc != 0 && rc != NVG_EMALFORMED)
            break;
    }
    fclose(mem);
    nvg_ctl_put_labelled(stdout, s->coll->label, buf, len);
    fflush(stdout);
    free(buf);
    return printed;
}

/* What the monitor said since the last look, said on stderr; false once the source is out
 * for good (our key refused, a failed handshake). */
static bool watch_link(struct nvg_ctl *ctl, struct source *s, int64_t waited_ms, int timeout,
                       bool *partial)
{
    const char *label = s->coll->label;
    if (nvg_ctl_conn_events(ctl, &s->c) < 0) {
        fprintf(stderr, "netvigil-ctl: collector %s: dropped (see above); the others go on\n",
                label);
        *partial = true;
        return false;
    }
    if (s->c.disconnects != s->disconnects) {
        s->disconnects = s->c.disconnects;
        nvg_ctl_feed_reconnected(s->f);
        if (!s->c.up && !s->absent)
            fprintf(stderr, "netvigil-ctl: collector %s: connection lost (%s); the others go on\n",
                    label, s->coll->feed_ep);
        s->absent = s->absent || !s->c.up;
        *partial = true;
    }
    if (s->c.up && s->absent) {
        fprintf(stderr, "netvigil-ctl: collector %s: connected again\n", label);
        s->absent = false;
    }
    if (!s->c.connected && !s->said_no_answer && waited_ms >= timeout) {
        fprintf(stderr,
                "netvigil-ctl: collector %s: no answer (%s not reachable within %d ms); the "
                "others go on\n",
                label, s->coll->feed_ep, timeout);
        s->said_no_answer = s->absent = *partial = true;
    }
    if (ctl->keys && s->c.connected && !s->c.handshaken && waited_ms >= timeout) {
        nvg_ctl_conn_timed_out(ctl, &s->c, NULL, timeout);
        *partial = true;
        return false;
    }
    return true;
}

static void close_source(struct source *s)
{
    if (s->f) {
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        if (mem) {
            nvg_ctl_feed_report(s->f, mem);
            fclose(mem);
            nvg_ctl_put_labelled(stderr, s->coll->label, buf, len);
        }
        free(buf);
    }
    nvg_ctl_feed_free(s->f);
    s->f = NULL;
    if (s->open)
        nvg_ctl_conn_close(&s->c);
    s->open = false;
}

static bool selected(const struct nvg_ctl *ctl, const struct nvg_ctl_collector *c)
{
    const char *sc = ctl->sensor_collector;
    if (!sc)
        return true;
    size_t len = (size_t)(strchr(sc, '/') - sc);
    return strlen(c->label) == len && strncmp(c->label, sc, len) == 0;
}

/* Polls every live source until --count lines or a signal; returns the exit status. */
static int follow(struct nvg_ctl *ctl, struct source *src, size_t n, nvg_ctl_feed_printer print)
{
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_STATUS_TIMEOUT_MS;
    int64_t t0 = nvg_clock_mono_ms();
    long total = 0;
    bool partial = false;
    while (!interrupted && (ctl->count <= 0 || total < ctl->count)) {
        zmq_pollitem_t it[2 * NVG_CTL_MAX_COLLECTORS];
        size_t k = 0, live = 0;
        for (size_t i = 0; i < n; i++) {
            if (src[i].dead)
                continue;
            it[k++] = (zmq_pollitem_t){.socket = src[i].c.sock, .events = ZMQ_POLLIN};
            it[k++] =
                (zmq_pollitem_t){.socket = nvg_ctl_conn_monitor(&src[i].c), .events = ZMQ_POLLIN};
            live++;
        }
        if (!live)
            return NVG_CTL_EXIT_FAIL;       /* every collector is out, each said why */
        zmq_poll(it, (int)k, FEED_TICK_MS); /* a signal: the loop looks at its flag */
        int64_t waited = nvg_clock_mono_ms() - t0;
        for (size_t i = 0, j = 0; i < n; i++) {
            if (src[i].dead)
                continue;
            bool readable = it[2 * j++].revents & ZMQ_POLLIN;
            src[i].dead = !watch_link(ctl, &src[i], waited, timeout, &partial);
            if (!src[i].dead && readable && (ctl->count <= 0 || total < ctl->count))
                total += drain(ctl, &src[i], print, total);
        }
    }
    return partial ? NVG_CTL_EXIT_PARTIAL : NVG_CTL_EXIT_OK;
}

int nvg_ctl_multi_watch(struct nvg_ctl *ctl, const char *topic, nvg_ctl_feed_printer print)
{
    struct source src[NVG_CTL_MAX_COLLECTORS];
    size_t n = 0;
    int rc = 0;
    memset(src, 0, sizeof(src));
    for (size_t i = 0; i < ctl->n_collectors && !rc; i++) {
        if (!selected(ctl, &ctl->collectors[i]))
            continue;
        src[n].coll = &ctl->collectors[i];
        rc = open_source(ctl, &src[n++], topic);
    }
    if (!rc) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        rc = follow(ctl, src, n, print);
    }
    for (size_t i = 0; i < n; i++)
        close_source(&src[i]);
    return rc;
}
