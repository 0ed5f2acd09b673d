/* `netvigil-ctl tail` and `rates`: subscribers on the live feed (PUB 7701).
 *
 * tail subscribes to "rec/" (or "rec/<sensor>"), unpacks each Batch into an arena, filters the
 * records and prints their text lines. The feed is best effort: a subscriber slower than the
 * traffic loses messages at its high-water mark rather than slowing the collector. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-error.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void *subscribe(struct nvg_ctl *ctl, const char *topic)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.rcvhwm = 10000, .linger_ms = 0};
    void *sock = nvg_zmq_socket(ctl->zctx, ZMQ_SUB, &so, err);
    if (!sock) {
        fprintf(stderr, "netvigil-ctl: %s\n", err);
        return NULL;
    }
    if (zmq_setsockopt(sock, ZMQ_SUBSCRIBE, topic, strlen(topic)) != 0 ||
        zmq_connect(sock, ctl->feed_ep) != 0) {
        fprintf(stderr, "netvigil-ctl: cannot subscribe at %s: %s\n", ctl->feed_ep,
                zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return NULL;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return sock;
}

/* One [topic][body] message; returns 1 with both, 0 on interrupt or a dead socket, -1 on a
 * message of another shape (dropped whole). */
static int recv_feed(void *sock, zmq_msg_t *topic, zmq_msg_t *body)
{
    while (!interrupted) {
        int rc = nvg_zmq_recv_topic(sock, topic, body, 0);
        if (rc == NVG_EMALFORMED)
            return -1;
        if (rc == 0)
            return interrupted ? 0 : 1;
        if (rc != NVG_EAGAIN)
            return 0;
    }
    return 0;
}

/* Print the matching records of one batch; returns the number printed. */
static long print_batch(struct nvg_ctl *ctl, struct nvg_arena *arena, struct nvg_time_cache *tc,
                        const zmq_msg_t *body, long limit)
{
    ProtobufCAllocator *alloc = nvg_arena_allocator(arena);
    Netvigil__Batch *b = netvigil__batch__unpack(alloc, zmq_msg_size((zmq_msg_t *)body),
                                                 zmq_msg_data((zmq_msg_t *)body));
    long printed = 0;
    if (b && b->sensor) {
        char line[NVG_FORMAT_LINE_MAX];
        for (size_t i = 0; i < b->n_records && (limit <= 0 || printed < limit); i++) {
            struct nvg_pkt pkt;
            if (nvg_wire_record_from_pb(b->records[i], &pkt) < 0 ||
                !nvg_filter_match(&ctl->filter, b->sensor, &pkt))
                continue;
            size_t n = nvg_format_text_line_r(tc, line, &pkt, b->sensor);
            fwrite(line, 1, n, stdout);
            printed++;
        }
    }
    if (b)
        netvigil__batch__free_unpacked(b, alloc);
    nvg_arena_reset(arena);
    return printed;
}

/* Prints the lines of one feed message, at most limit of them (0: no limit); returns how many
 * it printed. */
typedef long (*feed_printer)(void *state, const zmq_msg_t *body, long limit);

/* Receives and prints until --count lines, a signal or the end of the feed; closes sock. */
static void follow(struct nvg_ctl *ctl, void *sock, feed_printer print, void *state)
{
    long total = 0;
    zmq_msg_t t, b;
    while (ctl->count <= 0 || total < ctl->count) {
        zmq_msg_init(&t);
        zmq_msg_init(&b);
        int rc = recv_feed(sock, &t, &b);
        if (rc > 0)
            total += print(state, &b, ctl->count > 0 ? ctl->count - total : 0);
        zmq_msg_close(&t);
        zmq_msg_close(&b);
        if (rc == 0)
            break;
        fflush(stdout);
    }
    zmq_close(sock);
}

struct tail_state {
    struct nvg_ctl *ctl;
    struct nvg_arena *arena;
    struct nvg_time_cache *tc;
};

static long print_tail(void *state, const zmq_msg_t *body, long limit)
{
    struct tail_state *st = state;
    return print_batch(st->ctl, st->arena, st->tc, body, limit);
}

int nvg_ctl_tail(struct nvg_ctl *ctl)
{
    char topic[sizeof(NVG_TOPIC_RECORDS) + NVG_SENSOR_NAME_MAX];
    snprintf(topic, sizeof(topic), "%s%s", NVG_TOPIC_RECORDS, ctl->filter.sensor);
    void *sock = subscribe(ctl, topic);
    struct nvg_arena *arena = nvg_arena_new(1u << 20);
    if (!sock || !arena) {
        nvg_arena_free(arena);
        if (sock)
            zmq_close(sock);
        return 1;
    }
    struct nvg_time_cache tc;
    nvg_time_cache_init(&tc);
    struct tail_state st = {ctl, arena, &tc};
    follow(ctl, sock, print_tail, &st);
    nvg_arena_free(arena);
    return 0;
}

static long print_rates(void *state, const zmq_msg_t *body, long limit)
{
    Netvigil__RateBatch *rb = netvigil__rate_batch__unpack(NULL, zmq_msg_size((zmq_msg_t *)body),
                                                           zmq_msg_data((zmq_msg_t *)body));
    long printed = 0;
    for (size_t i = 0; rb && i < rb->n_samples && (limit <= 0 || printed < limit); i++) {
        const Netvigil__RateSample *s = rb->samples[i];
        char iso[32];
        nvg_format_time_iso(iso, s->time_s * 1000000000LL);
        memcpy(iso + 19, "Z", 2);
        printf("%s %s %s packets=%" PRIu64 " bytes=%" PRIu64 "\n", iso, s->sensor,
               nvg_proto_name((enum nvg_proto)s->proto), s->packets, s->bytes);
        printed++;
    }
    if (rb)
        netvigil__rate_batch__free_unpacked(rb, NULL);
    return printed;
}

int nvg_ctl_rates(struct nvg_ctl *ctl)
{
    void *sock = subscribe(ctl, NVG_TOPIC_RATES);
    if (!sock)
        return 1;
    follow(ctl, sock, print_rates, NULL);
    return 0;
}

/* Text from the network, printed on a terminal: control characters become '?'. */
static void put_clean(const char *s)
{
    for (; s && *s; s++)
        putchar(((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s);
}

static long print_event(void *state, const zmq_msg_t *body, long limit)
{
    Netvigil__Event *ev = netvigil__event__unpack(NULL, zmq_msg_size((zmq_msg_t *)body),
                                                  zmq_msg_data((zmq_msg_t *)body));
    if (!ev)
        return 0;
    char iso[40];
    nvg_format_time_iso(iso, ev->time_ms * 1000000LL);
    printf("%s %s sensor=", iso, ev->kind && *ev->kind ? ev->kind : "event");
    put_clean(ev->sensor);
    if (ev->requester && *ev->requester) {
        printf(" by=");
        put_clean(ev->requester);
    }
    printf(" ");
    put_clean(ev->text);
    putchar('\n');
    netvigil__event__free_unpacked(ev, NULL);
    return 1;
}

int nvg_ctl_events(struct nvg_ctl *ctl)
{
    void *sock = subscribe(ctl, NVG_TOPIC_EVENTS);
    if (!sock)
        return 1;
    follow(ctl, sock, print_event, NULL);
    return 0;
}
