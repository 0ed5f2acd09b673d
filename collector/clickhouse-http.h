/* ClickHouse's HTTP interface through libcurl (Debian libcurl4-openssl-dev: keep-alive, TLS,
 * timeouts and basic authentication that a hand-written client would have to get right). Used
 * by the sink's thread only: one handle, one connection kept open between requests. */
#ifndef NVG_CLICKHOUSE_HTTP_H
#define NVG_CLICKHOUSE_HTTP_H

#include <stddef.h>

#include "nvg-error.h"

/* --clickhouse URL taken apart: the endpoint (scheme, host, port, path), the database named by
 * its `database=` parameter ("default" without one) and the other parameters, kept for every
 * request (settings such as insert_quorum=2). */
struct nvg_ch_url {
    char base[512];   /* http://127.0.0.1:8123/ */
    char params[512]; /* "" or "a=1&b=2" */
    char db[64];      /* [A-Za-z0-9_], since it is written into SQL */
    char shown[1200]; /* base and params, without anything user:password@ a URL carries */
};

/* 0, or NVG_EINVAL with why in err. */
int nvg_ch_url_parse(const char *url, struct nvg_ch_url *out, char err[NVG_ERRBUF_SIZE]);

/* Call once, before any thread starts (curl_global_init is not thread-safe). */
int nvg_ch_http_global_init(void);

struct nvg_ch_http;

/* user/password NULL: none (ClickHouse's "default" user). NULL when out of memory. */
struct nvg_ch_http *nvg_ch_http_new(const struct nvg_ch_url *url, const char *user,
                                    const char *password);
void nvg_ch_http_free(struct nvg_ch_http *h);

enum nvg_ch_result {
    NVG_CH_OK = 0,
    NVG_CH_DOWN,    /* no answer: refused, reset, timed out (retry) */
    NVG_CH_REFUSED, /* the server answered with an error (text in err) */
};

/* POST sql as the `query` parameter, body (may be NULL) as the request body; the answer's
 * first resp_size - 1 bytes into resp (may be NULL), NUL-terminated. err: why, on failure. */
enum nvg_ch_result nvg_ch_http_post(struct nvg_ch_http *h, const char *sql, const void *body,
                                    size_t len, char *resp, size_t resp_size, char err[256]);

#endif
