/* See metrics.h. The HTTP side: libmicrohttpd's own polling thread, and the hand-over of the
 * text the main thread renders. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"

/* libmicrohttpd's thread only parses requests and copies the text. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NVG_METRICS_STACK (1u << 20)
#else
#define NVG_METRICS_STACK (256u << 10)
#endif
#define LOG_INTERVAL_MS 10000

struct nvg_metrics {
    struct MHD_Daemon *daemon;
    struct nvg_status *status;
    const struct nvg_connections *conns;
    char *out_dir;
    /* The main thread renders into back and swaps it with front under mu; the HTTP thread
     * copies front under mu. */
    pthread_mutex_t mu;
    struct nvg_metrics_buf front, back;
    int64_t rendered_ms;
    bool rendered;
    /* Counted by the HTTP thread, read by the render. */
    _Atomic uint64_t scrapes, not_found, not_allowed, busy;
    _Atomic size_t inflight; /* bytes of response copies libmicrohttpd still holds */
    _Atomic int64_t last_log_ms;
};

/* One answer's copy of the text; the free callback gives its bytes back to the budget. */
struct answer {
    struct nvg_metrics *m;
    size_t len;
    char text[];
};

static bool parse_port(const char *s, uint16_t *port)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 65535 || s[0] == '+' || s[0] == '-')
        return false;
    *port = (uint16_t)v;
    return true;
}

int nvg_metrics_parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len,
                             bool *loopback)
{
    char host[64];
    const char *colon;
    memset(addr, 0, sizeof(*addr));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
            return NVG_EINVAL;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || (size_t)(colon - text) >= sizeof(host) || memchr(text, ':', colon - text))
            return NVG_EINVAL;
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        if (strcasecmp(host, "localhost") == 0)
            strcpy(host, "127.0.0.1");
    }
    uint16_t port;
    if (!parse_port(colon + 1, &port))
        return NVG_EINVAL;
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
    bool lo;
    if (text[0] != '[' && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof(*a4);
        lo = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    } else if (text[0] == '[' && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof(*a6);
        lo = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) ||
             (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) && a6->sin6_addr.s6_addr[12] == 127);
    } else {
        return NVG_EINVAL;
    }
    if (loopback)
        *loopback = lo;
    return 0;
}

/* ---- the HTTP thread ----------------------------------------------------------------------- */

/* libmicrohttpd's complaints (a peer over the limits, a torn request) come at a hostile
 * client's pace: one line per LOG_INTERVAL_MS at most. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct nvg_metrics *m = cls;
    int64_t now = nvg_clock_mono_ms(), last = atomic_load(&m->last_log_ms);
    if (now - last < LOG_INTERVAL_MS ||
        !atomic_compare_exchange_strong(&m->last_log_ms, &last, now))
        return;
    char line[256];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    nvg_log(NVG_LOG_NOTICE, "metrics: %s (such lines are limited to one per %d s)", line,
            LOG_INTERVAL_MS / 1000);
}

static void answer_free(void *cls)
{
    struct answer *a = cls;
    atomic_fetch_sub(&a->m->inflight, a->len);
    free(a);
}

static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned code, const char *body,
                                    const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return rc;
}

/* A copy of the latest text, charged to the in-flight budget; NULL (counted busy) over it. */
static struct answer *copy_text(struct nvg_metrics *m)
{
    pthread_mutex_lock(&m->mu);
    size_t len = m->front.len;
    size_t before = atomic_fetch_add(&m->inflight, len);
    struct answer *a = NULL;
    /* One answer always fits, so a text larger than the budget is still served. */
    if (before == 0 || before + len <= NVG_METRICS_INFLIGHT_MAX)
        a = malloc(sizeof(*a) + len + 1);
    if (a) {
        a->m = m;
        a->len = len;
        memcpy(a->text, m->front.p ? m->front.p : "", len);
    }
    pthread_mutex_unlock(&m->mu);
    if (!a)
        atomic_fetch_sub(&m->inflight, len);
    return a;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    struct nvg_metrics *m = cls;
    /* Answered on the first call, with the headers: a body is never read (the connection is
     * closed after the answer when one was sent). */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        atomic_fetch_add(&m->not_allowed, 1);
        return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
    }
    if (strcmp(url, "/metrics") != 0) {
        atomic_fetch_add(&m->not_found, 1);
        return reply_static(conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
                            NULL);
    }
    struct answer *a = copy_text(m);
    if (!a) {
        atomic_fetch_add(&m->busy, 1);
        return reply_static(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy, try again\n", NULL);
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback_cls(a->len, a->text, answer_free, a);
    if (!r) {
        answer_free(a);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    atomic_fetch_add(&m->scrapes, 1);
    return rc;
}

/* ---- the main thread ----------------------------------------------------------------------- */

static void render_now(struct nvg_metrics *m, int64_t now_ms)
{
    struct nvg_metrics_http_counters http = {
        .scrapes = atomic_load(&m->scrapes),
        .not_found = atomic_load(&m->not_found),
        .not_allowed = atomic_load(&m->not_allowed),
        .busy = atomic_load(&m->busy),
    };
    m->rendered_ms = now_ms;
    m->rendered = true;
    /* Out of memory: the previous text stays, a second staler. */
    if (!nvg_metrics_render(&m->back, m->status, m->conns, m->out_dir, &http))
        return;
    pthread_mutex_lock(&m->mu);
    struct nvg_metrics_buf t = m->front;
    m->front = m->back;
    m->back = t;
    pthread_mutex_unlock(&m->mu);
}

void nvg_metrics_tick(struct nvg_metrics *m, int64_t now_ms)
{
    if (!m)
        return;
    if (!m->rendered || now_ms - m->rendered_ms >= NVG_METRICS_RENDER_MS || now_ms < m->rendered_ms)
        render_now(m, now_ms);
}

static struct MHD_Daemon *listen_on(struct nvg_metrics *m, const struct sockaddr_storage *addr)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (addr->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The logger first, or libmicrohttpd logs what comes before it its own way. */
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER,
                            on_mhd_log, m, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)NVG_METRICS_CONNECTIONS,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)NVG_METRICS_PER_IP,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)NVG_METRICS_TIMEOUT_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)NVG_METRICS_REQUEST_MEMORY,
                            MHD_OPTION_THREAD_STACK_SIZE, (size_t)NVG_METRICS_STACK,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)16,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
}

int nvg_metrics_start(struct nvg_metrics **out, const char *listen, const char *out_dir,
                      struct nvg_status *status, const struct nvg_connections *conns)
{
    *out = NULL;
    if (!listen)
        return 0;
    struct sockaddr_storage addr;
    socklen_t len;
    if (nvg_metrics_parse_listen(listen, &addr, &len, NULL) < 0) {
        nvg_log(NVG_LOG_ERR, "--metrics-listen %s: not ADDR:PORT", listen);
        return NVG_EINVAL;
    }
    struct nvg_metrics *m = calloc(1, sizeof(*m));
    if (!m || !(m->out_dir = strdup(out_dir))) {
        free(m);
        nvg_log(NVG_LOG_ERR, "out of memory");
        return NVG_ENOMEM;
    }
    m->status = status;
    m->conns = conns;
    atomic_store(&m->last_log_ms, INT64_MIN / 2);
    pthread_mutex_init(&m->mu, NULL);
    /* A first text before the first scrape can come. */
    render_now(m, nvg_clock_wall_ms());
    m->daemon = listen_on(m, &addr);
    if (!m->daemon) {
        nvg_log(NVG_LOG_ERR, "cannot serve the metrics on %s: %s", listen, strerror(errno));
        nvg_metrics_free(m);
        return NVG_EIO;
    }
    nvg_log(NVG_LOG_INFO, "metrics on http://%s/metrics", listen);
    *out = m;
    return 0;
}

void nvg_metrics_free(struct nvg_metrics *m)
{
    if (!m)
        return;
    if (m->daemon)
        MHD_stop_daemon(m->daemon); /* frees the answers in flight, which count on m */
    pthread_mutex_destroy(&m->mu);
    nvg_metrics_buf_free(&m->front);
    nvg_metrics_buf_free(&m->back);
    free(m->out_dir);
    free(m);
}
