/* Prometheus metrics (issue 13): GET /metrics on --metrics-listen ADDR:PORT, in the text
 * exposition format 0.0.4, served by libmicrohttpd on a thread of its own.
 *
 * Serving never waits for the collector's thread and the collector's thread never waits for a
 * scrape: once a second (nvg_metrics_tick, from the 100 ms tick) the main thread renders the
 * whole text from the modules' own counters -- the ones status.c reads for `netvigil-ctl
 * status`, through the same getters; there is no second set of counters -- into a buffer of
 * its own and swaps it in under a mutex held for a pointer swap. The HTTP thread copies the
 * latest text under the same mutex and answers with the copy. A scrape is therefore at most
 * about a second stale.
 *
 * What a hostile client can make it hold is bounded: a few connections in all and per address
 * (NVG_METRICS_CONNECTIONS, NVG_METRICS_PER_IP), each with a small request memory
 * (NVG_METRICS_REQUEST_MEMORY: a larger request is refused by libmicrohttpd), an idle timeout
 * (NVG_METRICS_TIMEOUT_S, which also ends a reader that stopped reading), and the response
 * copies in flight at once within NVG_METRICS_INFLIGHT_MAX bytes (beyond it: 503). Only GET
 * and HEAD of /metrics are answered (others: 405 or 404).
 *
 * The endpoint has no authentication and no TLS: --keys protects the ZeroMQ sockets, not
 * this. So an address that is not loopback is refused unless --insecure is given, with or
 * without --keys (collector-options.c); behind a TLS reverse proxy or a firewall is how to
 * expose it. */
#ifndef NVG_METRICS_H
#define NVG_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "connections.h"
#include "status.h"

#define NVG_METRICS_CONNECTIONS 16
#define NVG_METRICS_PER_IP 8
#define NVG_METRICS_REQUEST_MEMORY (16u << 10)
#define NVG_METRICS_TIMEOUT_S 10
#define NVG_METRICS_INFLIGHT_MAX (16u << 20)
#define NVG_METRICS_RENDER_MS 1000

struct nvg_metrics;

/* "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464", "localhost:9464" (127.0.0.1). 0, or
 * NVG_EINVAL for anything else (no host names, no missing port). *loopback (may be NULL):
 * whether the address never leaves the host. */
int nvg_metrics_parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len,
                             bool *loopback);

/* Listen on listen (NULL: metrics off, *out NULL, returns 0) and render from the modules
 * status reads (lent: they and conns must outlive it), out_dir for its free space. 0, or <0
 * with the reason logged (the address taken, no memory). */
int nvg_metrics_start(struct nvg_metrics **out, const char *listen, const char *out_dir,
                      struct nvg_status *status, const struct nvg_connections *conns);
/* From the collector's tick: renders the text when it is NVG_METRICS_RENDER_MS old. NULL ok. */
void nvg_metrics_tick(struct nvg_metrics *m, int64_t now_ms);
/* Stops the HTTP thread (answers in flight are cut), then frees. NULL ok. */
void nvg_metrics_free(struct nvg_metrics *m);

/* ---- rendering (metrics-render.c), main thread ------------------------------------------ */

/* A growing text; oom once a growth failed (the text is then incomplete). */
struct nvg_metrics_buf {
    char *p;
    size_t len, cap;
    bool oom;
};

/* What the HTTP side counts about itself (atomics there, copied for the render). */
struct nvg_metrics_http_counters {
    uint64_t scrapes, not_found, not_allowed, busy;
};

/* The whole exposition into b (emptied first, its memory kept). False when out of memory. */
bool nvg_metrics_render(struct nvg_metrics_buf *b, struct nvg_status *status,
                        const struct nvg_connections *conns, const char *out_dir,
                        const struct nvg_metrics_http_counters *http);
void nvg_metrics_buf_free(struct nvg_metrics_buf *b);

#endif
