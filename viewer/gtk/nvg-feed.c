/* The feed workers, one per collector, and the feed that holds them: see nvg-feed.h. What
 * several collectors add (names prefixed, statuses merged, requests routed, replies gathered)
 * is in nvg-feed-multi.c. */
#include "nvg-feed.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

#include "nvg-cert.h"
#include "nvg-error.h"
#include "nvg-feed-private.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static void request_free(struct request *r)
{
    g_free(r->sensor);
    g_free(r->filter);
    g_free(r);
}

/* Hands m to the main thread, unless NVG_FEED_QUEUE_BYTES are waiting already: then it is
 * dropped and counted, so a collector that floods us costs a bounded amount of memory. */
static void push(struct nvg_feed_link *feed, struct nvg_feed_msg *m)
{
    g_mutex_lock(&feed->lock);
    gboolean fits = feed->stats.queue_bytes + m->bytes <= NVG_FEED_QUEUE_BYTES;
    if (fits)
        feed->stats.queue_bytes += m->bytes;
    else
        feed->stats.queue_dropped++;
    g_mutex_unlock(&feed->lock);
    if (fits)
        g_async_queue_push(feed->out, m);
    else
        nvg_feed_msg_free(m);
}

void nvg__feed_link_push(struct nvg_feed_link *link, struct nvg_feed_msg *m)
{
    push(link, m);
}

/* feed_rx: it came over the feed, which is therefore alive. */
static void add_counts(struct nvg_feed_link *feed, const struct nvg_feed_parse_counts *c,
                       gboolean feed_rx)
{
    g_mutex_lock(&feed->lock);
    feed->stats.invalid += c->invalid;
    feed->stats.escaped += c->escaped;
    feed->stats.omitted += c->omitted;
    if (feed_rx)
        feed->stats.last_rx_us = g_get_monotonic_time();
    g_mutex_unlock(&feed->lock);
}

static void count_invalid(struct nvg_feed_link *feed)
{
    g_mutex_lock(&feed->lock);
    feed->stats.invalid++;
    g_mutex_unlock(&feed->lock);
}

/* ---- records ------------------------------------------------------------------------------ */

static void take_batch(struct nvg_feed_link *feed, const void *data, size_t len)
{
    struct nvg_feed_parse_counts counts = {0};
    char name[NVG_SENSOR_NAME_MAX + 1], shown[NVG_VIEW_NAME_MAX + 1];
    Netvigil__Batch *b = nvg_feed_parse_batch(feed->arena, data, len, name, &counts);
    if (!b) {
        add_counts(feed, &counts, TRUE);
        nvg_arena_reset(feed->arena);
        return;
    }
    if (feed->label)
        g_snprintf(shown, sizeof(shown), "%s/%s", feed->label, name);
    uint16_t sid = nvg_sensor_names_intern(feed->names, feed->label ? shown : name);
    uint64_t skipped = nvg_feed_skips_batch(&feed->skips, name, b->feed_offset, b->n_records);
    uint64_t bad = 0, dropped = 0, ok = 0;
    g_mutex_lock(&feed->lock);
    for (size_t i = 0; i < b->n_records; i++) {
        if (feed->fill_n >= feed->cap) {
            dropped += b->n_records - i;
            break;
        }
        struct nvg_view_rec *r = &feed->fill[feed->fill_n];
        if (nvg_wire_record_from_pb(b->records[i], &r->pkt) < 0) {
            bad++;
            continue;
        }
        r->sensor = sid;
        feed->fill_n++;
        ok++;
    }
    feed->stats.records += ok;
    feed->stats.records_dropped += dropped;
    feed->stats.records_skipped += skipped;
    feed->stats.invalid += bad;
    feed->stats.escaped += counts.escaped;
    feed->stats.last_rx_us = g_get_monotonic_time();
    g_mutex_unlock(&feed->lock);
    nvg_arena_reset(feed->arena);
}

/* ---- other feed messages ---------------------------------------------------------------- */

static void take_other(struct nvg_feed_link *feed, const char *topic, size_t tlen, const void *data,
                       size_t len)
{
    struct nvg_feed_parse_counts counts = {0};
    int kind = nvg_feed_topic_kind(topic, tlen);
    struct nvg_feed_msg *m = kind >= 0 ? nvg_feed_parse(kind, data, len, &counts) : NULL;
    if (kind < 0)
        counts.invalid++;
    add_counts(feed, &counts, TRUE);
    if (m && feed->label)
        m = nvg__feed_multi_adopt(feed, m);
    if (m)
        push(feed, m);
}

/* Drain the SUB socket (bounded per call so a stop request is seen promptly). */
static void drain_sub(struct nvg_feed_link *feed)
{
    for (int n = 0; n < 512; n++) {
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        int rc = nvg_zmq_recv_topic(feed->sub, &topic, &body, ZMQ_DONTWAIT);
        if (rc == 0) {
            const char *t = zmq_msg_data(&topic);
            size_t tl = zmq_msg_size(&topic);
            if (tl >= strlen(NVG_TOPIC_RECORDS) &&
                memcmp(t, NVG_TOPIC_RECORDS, strlen(NVG_TOPIC_RECORDS)) == 0)
                take_batch(feed, zmq_msg_data(&body), zmq_msg_size(&body));
            else
                take_other(feed, t, tl, zmq_msg_data(&body), zmq_msg_size(&body));
        } else if (rc == NVG_EMALFORMED) {
            count_invalid(feed);
        }
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        if (rc != 0 && rc != NVG_EMALFORMED)
            return;
    }
}

/* ---- control ----------------------------------------------------------------------------- */

static void send_requests(struct nvg_feed_link *feed)
{
    struct request *r;
    while ((r = g_async_queue_try_pop(feed->requests))) {
        Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
        req.protocol_version = NVG_PROTOCOL_VERSION;
        req.id = r->id;
        req.kind = (Netvigil__CommandKind)r->kind;
        req.sensor = r->sensor;
        req.filter = r->filter;
        req.requester = feed->requester;
        req.since_ms = r->since_ms;
        req.limit = r->limit;
        /* ZMQ_IMMEDIATE: with no live connection this fails now instead of queueing a command
         * that would run whenever the collector comes back. */
        int rc = nvg_zmq_send_pb(feed->dealer, &req.base, ZMQ_DONTWAIT);
        struct nvg_feed_msg *m =
            rc >= 0 ? NULL
                    : nvg_feed_msg_new_error(r->id, rc == NVG_EAGAIN
                                                        ? "not connected to the collector's "
                                                          "control socket"
                                                        : nvg_strerror(rc));
        if (m && feed->label)
            m = nvg__feed_multi_reply(feed, m);
        if (m)
            push(feed, m);
        request_free(r);
    }
}

static void drain_dealer(struct nvg_feed_link *feed)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, feed->dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        struct nvg_feed_parse_counts counts = {0};
        struct nvg_feed_msg *r =
            nvg_feed_parse(NVG_FEED_REPLY, zmq_msg_data(&m), zmq_msg_size(&m), &counts);
        zmq_msg_close(&m);
        add_counts(feed, &counts, FALSE);
        if (r && feed->label)
            r = nvg__feed_multi_reply(feed, r);
        if (r)
            push(feed, r);
    }
}

/* ---- link state (socket monitor) ------------------------------------------------------- */

/* The handshake's outcome: refused by ZAP, or failed at the security mechanism (wrong
 * collector key, or only one side uses keys), or through. */
static void on_handshake(struct nvg_feed_link *feed, const struct nvg_monitor_event *ev)
{
    enum nvg_feed_auth auth = ev->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ? NVG_FEED_AUTH_OK
                              : ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                  ? NVG_FEED_AUTH_REFUSED
                                  : NVG_FEED_AUTH_MISMATCH;
    g_mutex_lock(&feed->lock);
    if (feed->stats.auth != auth && auth != NVG_FEED_AUTH_OK)
        g_warning("feed %s: %s (%s %u)", feed->feed_ep,
                  auth == NVG_FEED_AUTH_REFUSED ? "the collector does not accept this key"
                                                : "security handshake failed",
                  ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "ZAP status" : "error", ev->value);
    feed->stats.auth = auth;
    feed->stats.auth_change_us = g_get_monotonic_time();
    g_mutex_unlock(&feed->lock);
}

static void on_monitor_event(void *user, const struct nvg_monitor_event *ev)
{
    struct nvg_feed_link *feed = user;
    if (ev->event & (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)) {
        on_handshake(feed, ev);
        return;
    }
    if (ev->event == ZMQ_EVENT_CONNECT_RETRIED) {
        feed->orphaned_us = 0; /* libzmq reconnects by itself */
        return;
    }
    int was = feed->links > 0;
    if (ev->event == ZMQ_EVENT_CONNECTED)
        feed->links++;
    else if (ev->event == ZMQ_EVENT_DISCONNECTED && feed->links > 0)
        feed->links--;
    else
        return;
    /* What the collector publishes from here on cannot be told from a restarted one's. */
    if (ev->event == ZMQ_EVENT_DISCONNECTED)
        nvg_feed_skips_forget(&feed->skips);
    int up = feed->links > 0;
    feed->orphaned_us = up ? 0 : ev->event == ZMQ_EVENT_DISCONNECTED ? g_get_monotonic_time() : 0;
    g_mutex_lock(&feed->lock);
    feed->stats.link_up = up;
    if (up != was)
        feed->stats.link_change_us = g_get_monotonic_time();
    if (ev->event == ZMQ_EVENT_DISCONNECTED)
        feed->stats.disconnects++;
    g_mutex_unlock(&feed->lock);
    if (!up && was && feed->label)
        nvg__feed_multi_link_down(feed);
}

/* libzmq (4.3) reconnects after a lost connection, but a protocol error (a message over our
 * ZMQ_MAXMSGSIZE, garbage from a hostile collector) ends the session for good: DISCONNECTED
 * comes without CONNECT_RETRIED, and the feed would stay silent for ever. Connecting again
 * on the same socket keeps its subscriptions. */
#define ORPHAN_GRACE_US (1500 * 1000)

static void reconnect_if_orphaned(void *sock, const char *ep, int64_t *orphaned_us,
                                  const char *what)
{
    if (!*orphaned_us || g_get_monotonic_time() - *orphaned_us < ORPHAN_GRACE_US)
        return;
    *orphaned_us = 0;
    g_warning("%s %s: the collector's connection ended on a protocol error (a message over "
              "the size cap?); connecting again",
              what, ep);
    zmq_disconnect(sock, ep);
    if (nvg_zmq_connect(sock, ep) != 0)
        g_warning("%s %s: %s", what, ep, zmq_strerror(zmq_errno()));
}

/* The control DEALER ends the same way on an oversized reply: commands and status requests
 * would then wait for ever. Its link state is not shown; only the reconnect matters. */
static void on_dealer_event(void *user, const struct nvg_monitor_event *ev)
{
    struct nvg_feed_link *feed = user;
    if (ev->event == ZMQ_EVENT_DISCONNECTED)
        feed->dealer_orphaned_us = g_get_monotonic_time();
    else if (ev->event == ZMQ_EVENT_CONNECT_RETRIED || ev->event == ZMQ_EVENT_CONNECTED)
        feed->dealer_orphaned_us = 0;
}

static void reconnect_orphaned(struct nvg_feed_link *feed)
{
    reconnect_if_orphaned(feed->sub, feed->feed_ep, &feed->orphaned_us, "feed");
    reconnect_if_orphaned(feed->dealer, feed->control_ep, &feed->dealer_orphaned_us, "control");
}

static int open_sockets(struct nvg_feed_link *feed, GError **error);

static gpointer worker(gpointer data)
{
    struct nvg_feed_link *feed = data;
    GError *error = NULL;
    int rc = open_sockets(feed, &error);
    g_mutex_lock(&feed->lock);
    feed->ready = rc < 0 ? -1 : 1;
    feed->ready_error = error;
    g_cond_signal(&feed->ready_cond);
    g_mutex_unlock(&feed->lock);
    while (rc == 0 && !g_atomic_int_get(&feed->stop)) {
        /* Monitors last: a missing one (NULL socket) would be polled as fd 0 if before. */
        zmq_pollitem_t it[5] = {
            {.socket = feed->sub, .events = ZMQ_POLLIN},
            {.socket = feed->dealer, .events = ZMQ_POLLIN},
            {.fd = feed->wake_fd, .events = ZMQ_POLLIN},
        };
        int n = 3;
        int mon = feed->monitor ? n : -1, dmon = -1;
        if (feed->monitor)
            it[n++] =
                (zmq_pollitem_t){.socket = nvg_monitor_socket(feed->monitor), .events = ZMQ_POLLIN};
        if (feed->dealer_monitor) {
            dmon = n;
            it[n++] = (zmq_pollitem_t){.socket = nvg_monitor_socket(feed->dealer_monitor),
                                       .events = ZMQ_POLLIN};
        }
        if (zmq_poll(it, n, 500) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            g_warning("feed: zmq_poll: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (it[2].revents & ZMQ_POLLIN) {
            uint64_t v;
            if (read(feed->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                g_warning("feed: eventfd: %s", g_strerror(errno));
            send_requests(feed);
        }
        /* link events first: a connect is then never seen after the data that followed it */
        if (mon >= 0 && (it[mon].revents & ZMQ_POLLIN))
            nvg_monitor_drain(feed->monitor, on_monitor_event, feed);
        if (dmon >= 0 && (it[dmon].revents & ZMQ_POLLIN))
            nvg_monitor_drain(feed->dealer_monitor, on_dealer_event, feed);
        reconnect_orphaned(feed);
        if (it[0].revents & ZMQ_POLLIN)
            drain_sub(feed);
        if (it[1].revents & ZMQ_POLLIN)
            drain_dealer(feed);
    }
    nvg_monitor_free(feed->monitor); /* before the socket it watches */
    nvg_monitor_free(feed->dealer_monitor);
    feed->monitor = feed->dealer_monitor = NULL;
    if (feed->sub)
        zmq_close(feed->sub);
    if (feed->dealer)
        zmq_close(feed->dealer);
    feed->sub = feed->dealer = NULL;
    return NULL;
}

static void requester_name(char *buf, size_t size)
{
    const struct passwd *pw = getpwuid(getuid());
    char host[128] = "?";
    gethostname(host, sizeof(host) - 1);
    g_snprintf(buf, size, "%s@%s (viewer)", pw ? pw->pw_name : "?", host);
}

static const char *const topics[] = {NVG_TOPIC_RECORDS, NVG_TOPIC_RATES,  NVG_TOPIC_STATUS,
                                     NVG_TOPIC_TALKERS, NVG_TOPIC_EVENTS, NVG_TOPIC_ALERTS,
                                     NVG_TOPIC_FLOWS};

/* Runs on the worker: it creates, uses and closes both sockets. */
static int open_sockets(struct nvg_feed_link *feed, GError **error)
{
    char err[NVG_ERRBUF_SIZE];
    /* HWMs in messages of at most NVG_CLIENT_MAX_MSG: what libzmq may buffer for us is bounded
     * (the SUB's 20000 are records batches in practice, drained at once). */
    struct nvg_sockopts sub_opts = {
        .rcvhwm = 20000, .linger_ms = 0, .max_msg_size = NVG_CLIENT_MAX_MSG};
    struct nvg_sockopts dealer_opts = {
        .sndhwm = 100, .rcvhwm = 100, .linger_ms = 0, .max_msg_size = NVG_CLIENT_MAX_MSG};
    feed->sub = nvg_zmq_socket(feed->zctx, ZMQ_SUB, &sub_opts, err);
    if (feed->sub)
        feed->dealer = nvg_zmq_socket(feed->zctx, ZMQ_DEALER, &dealer_opts, err);
    if (!feed->sub || !feed->dealer) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err);
        return -1;
    }
    if (feed->own && (nvg_zmq_curve_client(feed->sub, feed->own, feed->collector, err) < 0 ||
                      nvg_zmq_curve_client(feed->dealer, feed->own, feed->collector, err) < 0)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err);
        return -1;
    }
    int one = 1, ivl = 2000, ttl = 6000, reconnect_max = 2000;
    zmq_setsockopt(feed->dealer, ZMQ_IMMEDIATE, &one, sizeof(one));
    void *socks[2] = {feed->sub, feed->dealer};
    for (int i = 0; i < 2; i++) {
        /* Notice a silent peer (cable pulled) and back off reconnects up to 2 s. */
        zmq_setsockopt(socks[i], ZMQ_HEARTBEAT_IVL, &ivl, sizeof(ivl));
        zmq_setsockopt(socks[i], ZMQ_HEARTBEAT_TIMEOUT, &ttl, sizeof(ttl));
        zmq_setsockopt(socks[i], ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof(reconnect_max));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(topics); i++)
        zmq_setsockopt(feed->sub, ZMQ_SUBSCRIBE, topics[i], strlen(topics[i]));
    /* Connect/disconnect events of the feed socket. Optional: without them the connection
     * state falls back to the silence timeout alone. */
    feed->monitor = nvg_monitor_new(
        feed->zctx, feed->sub,
        ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED |
            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
        err);
    if (!feed->monitor)
        g_warning("feed: no socket monitor (%s): link loss is noticed by silence only", err);
    feed->dealer_monitor = nvg_monitor_new(
        feed->zctx, feed->dealer,
        ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED, err);
    if (!feed->dealer_monitor)
        g_warning("control: no socket monitor (%s): an oversized reply ends commands", err);
    if (nvg_zmq_connect(feed->sub, feed->feed_ep) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "cannot use feed endpoint %s: %s", feed->feed_ep, zmq_strerror(zmq_errno()));
        return -1;
    }
    if (nvg_zmq_connect(feed->dealer, feed->control_ep) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "cannot use control endpoint %s: %s", feed->control_ep,
                    zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static void link_free(struct nvg_feed_link *feed);

static struct nvg_feed_link *link_new(struct nvg_feed *hub, guint index, void *zctx,
                                      const struct nvg_feed_collector *c, guint pending_cap,
                                      struct nvg_sensor_names *names, GError **error)
{
    struct nvg_feed_link *feed = g_new0(struct nvg_feed_link, 1);
    feed->hub = hub;
    feed->index = index;
    feed->label = g_strdup(c->label);
    feed->zctx = zctx;
    if (c->own && c->collector) {
        feed->own = g_memdup2(c->own, sizeof(*c->own));
        feed->collector = g_memdup2(c->collector, sizeof(*c->collector));
    }
    feed->feed_ep = g_strdup(c->feed_ep);
    feed->control_ep = g_strdup(c->control_ep);
    feed->names = names;
    feed->cap = MAX(pending_cap, 1024u);
    feed->fill = g_new(struct nvg_view_rec, feed->cap);
    feed->spare = g_new(struct nvg_view_rec, feed->cap);
    g_mutex_init(&feed->lock);
    feed->out = g_async_queue_new_full((GDestroyNotify)nvg_feed_msg_free);
    feed->requests = g_async_queue_new_full((GDestroyNotify)request_free);
    feed->arena = nvg_arena_new(1u << 20);
    nvg_feed_skips_init(&feed->skips);
    feed->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    requester_name(feed->requester, sizeof(feed->requester));
    if (feed->wake_fd < 0 || !feed->arena) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "out of resources");
        link_free(feed);
        return NULL;
    }
    g_cond_init(&feed->ready_cond);
    feed->thread = g_thread_new("nvg-feed", worker, feed);
    g_mutex_lock(&feed->lock);
    while (feed->ready == 0)
        g_cond_wait(&feed->ready_cond, &feed->lock);
    g_mutex_unlock(&feed->lock);
    if (feed->ready < 0) {
        g_propagate_error(error, feed->ready_error);
        feed->ready_error = NULL;
        link_free(feed);
        return NULL;
    }
    return feed;
}

static void wake(struct nvg_feed_link *feed)
{
    uint64_t one = 1;
    if (write(feed->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        g_warning("feed: eventfd: %s", g_strerror(errno));
}

static void link_free(struct nvg_feed_link *feed)
{
    if (!feed)
        return;
    if (feed->thread) {
        g_atomic_int_set(&feed->stop, 1);
        wake(feed);
        g_thread_join(feed->thread);
    }
    if (feed->wake_fd >= 0)
        close(feed->wake_fd);
    nvg_arena_free(feed->arena);
    g_async_queue_unref(feed->out);
    g_async_queue_unref(feed->requests);
    g_mutex_clear(&feed->lock);
    if (feed->thread)
        g_cond_clear(&feed->ready_cond);
    g_free(feed->fill);
    g_free(feed->spare);
    g_free(feed->feed_ep);
    g_free(feed->control_ep);
    if (feed->own)
        memset(feed->own->secret_key, 0, sizeof(feed->own->secret_key));
    g_free(feed->own);
    g_free(feed->collector);
    g_free(feed->label);
    if (feed->status)
        g_bytes_unref(feed->status);
    g_free(feed);
}

static const struct nvg_view_rec *link_take_records(struct nvg_feed_link *feed, guint *n)
{
    g_mutex_lock(&feed->lock);
    struct nvg_view_rec *full = feed->fill;
    *n = feed->fill_n;
    feed->fill = feed->spare;
    feed->fill_n = 0;
    feed->spare = full;
    g_mutex_unlock(&feed->lock);
    return full;
}

static struct nvg_feed_msg *link_pop(struct nvg_feed_link *feed)
{
    struct nvg_feed_msg *m = g_async_queue_try_pop(feed->out);
    if (m) {
        g_mutex_lock(&feed->lock);
        feed->stats.queue_bytes -= MIN(m->bytes, feed->stats.queue_bytes);
        g_mutex_unlock(&feed->lock);
    }
    return m;
}

static void link_get_stats(struct nvg_feed_link *feed, struct nvg_feed_stats *stats)
{
    g_mutex_lock(&feed->lock);
    *stats = feed->stats;
    g_mutex_unlock(&feed->lock);
}

void nvg__feed_link_queue(struct nvg_feed_link *feed, uint64_t id, int kind, const char *sensor,
                          const char *filter, int64_t since_ms, uint32_t limit)
{
    struct request *r = g_new0(struct request, 1);
    r->id = id;
    r->kind = kind;
    r->sensor = g_strdup(sensor ? sensor : "");
    r->filter = g_strdup(filter ? filter : "");
    r->since_ms = since_ms;
    r->limit = limit;
    g_async_queue_push(feed->requests, r);
    wake(feed);
}

/* ---- the feed: every collector's worker ------------------------------------------------ */

struct nvg_feed *nvg_feed_new_multi(void *zctx, const struct nvg_feed_collector *collectors,
                                    guint n, guint pending_cap, struct nvg_sensor_names *names,
                                    GError **error)
{
    g_return_val_if_fail(n >= 1 && n <= NVG_FEED_MAX_COLLECTORS, NULL);
    struct nvg_feed *hub = g_new0(struct nvg_feed, 1);
    g_mutex_init(&hub->lock);
    nvg__feed_multi_init(hub);
    for (guint i = 0; i < n; i++) {
        hub->links[i] = link_new(hub, i, zctx, &collectors[i], pending_cap, names, error);
        if (!hub->links[i]) {
            nvg_feed_free(hub);
            return NULL;
        }
        hub->n++;
    }
    return hub;
}

struct nvg_feed *nvg_feed_new(void *zctx, const char *feed_ep, const char *control_ep,
                              const struct nvg_cert *own, const struct nvg_cert *collector,
                              guint pending_cap, struct nvg_sensor_names *names, GError **error)
{
    struct nvg_feed_collector c = {NULL, feed_ep, control_ep, own, collector};
    return nvg_feed_new_multi(zctx, &c, 1, pending_cap, names, error);
}

void nvg_feed_free(struct nvg_feed *hub)
{
    if (!hub)
        return;
    for (guint i = 0; i < hub->n; i++)
        link_free(hub->links[i]); /* joins its worker: none is left to touch the hub after */
    nvg__feed_multi_clear(hub);
    g_mutex_clear(&hub->lock);
    g_free(hub);
}

guint nvg_feed_get_n_collectors(struct nvg_feed *hub)
{
    return hub->n;
}

const char *nvg_feed_get_label(struct nvg_feed *hub, guint i)
{
    return i < hub->n ? hub->links[i]->label : NULL;
}

const char *nvg_feed_get_endpoint(struct nvg_feed *hub, guint i)
{
    return i < hub->n ? hub->links[i]->feed_ep : NULL;
}

const struct nvg_view_rec *nvg_feed_take_records(struct nvg_feed *hub, guint i, guint *n)
{
    *n = 0;
    return i < hub->n ? link_take_records(hub->links[i], n) : NULL;
}

struct nvg_feed_msg *nvg_feed_pop(struct nvg_feed *hub)
{
    for (guint k = 0; k < hub->n; k++) {
        guint i = (hub->next_pop + k) % hub->n;
        struct nvg_feed_msg *m = link_pop(hub->links[i]);
        if (m) {
            hub->next_pop = (i + 1) % hub->n; /* round robin: no collector starves another */
            return m;
        }
    }
    return NULL;
}

void nvg_feed_get_collector_stats(struct nvg_feed *hub, guint i, struct nvg_feed_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    if (i < hub->n)
        link_get_stats(hub->links[i], stats);
}

void nvg_feed_get_stats(struct nvg_feed *hub, struct nvg_feed_stats *stats)
{
    link_get_stats(hub->links[0], stats);
    for (guint i = 1; i < hub->n; i++) {
        struct nvg_feed_stats o;
        link_get_stats(hub->links[i], &o);
        stats->records += o.records;
        stats->records_dropped += o.records_dropped;
        stats->records_skipped += o.records_skipped;
        stats->invalid += o.invalid;
        stats->escaped += o.escaped;
        stats->omitted += o.omitted;
        stats->queue_dropped += o.queue_dropped;
        stats->queue_bytes += o.queue_bytes;
        stats->auth = MAX(stats->auth, o.auth);
        stats->auth_change_us = MAX(stats->auth_change_us, o.auth_change_us);
        stats->last_rx_us = MAX(stats->last_rx_us, o.last_rx_us);
        stats->link_up = stats->link_up && o.link_up;
        stats->link_change_us = MAX(stats->link_change_us, o.link_change_us);
        stats->disconnects += o.disconnects;
    }
}
