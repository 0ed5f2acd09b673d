/* See clickhouse-http.h. */
#include "clickhouse-http.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 2000L
/* A whole request: 100k rows are a few MB, a healthy server takes them in well under a
 * second; past this the server is as good as down and the batch is tried again later. */
#define REQUEST_TIMEOUT_MS 30000L

struct nvg_ch_http {
    CURL *curl;
    struct curl_slist *headers;
    const struct nvg_ch_url *url;
    char *user, *password;
    char *resp;
    size_t resp_len, resp_size;
};

static bool db_name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= sizeof(((struct nvg_ch_url *)0)->db))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* One "key=value" of the query string: the database is taken out, credentials are refused (a
 * URL is on the command line, where ps shows it), anything else is kept. */
static int take_param(struct nvg_ch_url *u, const char *p, size_t n, char *err)
{
    if (n > 9 && strncmp(p, "database=", 9) == 0) {
        if (!db_name_ok(p + 9, n - 9)) {
            snprintf(err, NVG_ERRBUF_SIZE,
                     "--clickhouse: the database name must be 1-63 of [A-Za-z0-9_]");
            return NVG_EINVAL;
        }
        memcpy(u->db, p + 9, n - 9);
        u->db[n - 9] = '\0';
        return 0;
    }
    if ((n >= 5 && strncmp(p, "user=", 5) == 0) || (n >= 9 && strncmp(p, "password=", 9) == 0)) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "--clickhouse: no credentials in the URL (ps shows it): set clickhouse-user "
                 "and clickhouse-password in the config file");
        return NVG_EINVAL;
    }
    size_t have = strlen(u->params);
    if (have + n + 2 > sizeof(u->params)) {
        snprintf(err, NVG_ERRBUF_SIZE, "--clickhouse: URL parameters too long");
        return NVG_EINVAL;
    }
    snprintf(u->params + have, sizeof(u->params) - have, "%s%.*s", have ? "&" : "", (int)n, p);
    return 0;
}

static int parse_params(struct nvg_ch_url *u, const char *q, char *err)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n && take_param(u, q, n, err) < 0)
            return NVG_EINVAL;
        q += n + (q[n] == '&');
    }
    return 0;
}

int nvg_ch_url_parse(const char *url, struct nvg_ch_url *out, char err[NVG_ERRBUF_SIZE])
{
    memset(out, 0, sizeof(*out));
    size_t scheme = strncmp(url, "http://", 7) == 0 ? 7 : strncmp(url, "https://", 8) == 0 ? 8 : 0;
    if (!scheme) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "--clickhouse: an http:// or https:// URL, e.g. "
                 "http://127.0.0.1:8123/?database=netvigil");
        return NVG_EINVAL;
    }
    size_t base_len = strcspn(url, "?");
    size_t host_len = strcspn(url + scheme, "/?");
    if (host_len == 0 || memchr(url + scheme, '@', host_len)) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 host_len ? "--clickhouse: no user:password@ in the URL (ps shows it): set "
                            "clickhouse-user and clickhouse-password in the config file"
                          : "--clickhouse: the URL has no host");
        return NVG_EINVAL;
    }
    bool slash = base_len > scheme + host_len;
    if (base_len + 2 > sizeof(out->base)) {
        snprintf(err, NVG_ERRBUF_SIZE, "--clickhouse: URL too long");
        return NVG_EINVAL;
    }
    snprintf(out->base, sizeof(out->base), "%.*s%s", (int)base_len, url, slash ? "" : "/");
    snprintf(out->db, sizeof(out->db), "default");
    if (url[base_len] == '?' && parse_params(out, url + base_len + 1, err) < 0)
        return NVG_EINVAL;
    snprintf(out->shown, sizeof(out->shown), "%s?database=%s%s%s", out->base, out->db,
             out->params[0] ? "&" : "", out->params);
    return 0;
}

int nvg_ch_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : NVG_EIO;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
    struct nvg_ch_http *h = ud;
    size_t n = size * nmemb;
    if (h->resp && h->resp_len + 1 < h->resp_size) {
        size_t take = h->resp_size - 1 - h->resp_len;
        take = take < n ? take : n;
        memcpy(h->resp + h->resp_len, data, take);
        h->resp_len += take;
        h->resp[h->resp_len] = '\0';
    }
    return n; /* the rest of a long answer is read and dropped */
}

struct nvg_ch_http *nvg_ch_http_new(const struct nvg_ch_url *url, const char *user,
                                    const char *password)
{
    struct nvg_ch_http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->url = url;
    h->curl = curl_easy_init();
    /* Without this curl waits up to a second for "100 Continue" before a large body. */
    h->headers = curl_slist_append(NULL, "Expect:");
    h->user = user ? strdup(user) : NULL;
    h->password = password ? strdup(password) : NULL;
    if (!h->curl || !h->headers || (user && !h->user) || (password && !h->password)) {
        nvg_ch_http_free(h);
        return NULL;
    }
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a thread of its own: no SIGALRM */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (h->user || h->password) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, h->user ? h->user : "default");
        curl_easy_setopt(c, CURLOPT_PASSWORD, h->password ? h->password : "");
    }
    return h;
}

void nvg_ch_http_free(struct nvg_ch_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    free(h->user);
    if (h->password) {
        memset(h->password, 0, strlen(h->password));
        free(h->password);
    }
    free(h);
}

/* The request URL: base?params&query=SQL (an insert's data is the body) or base?params (the
 * SQL is the body). */
static int request_url(struct nvg_ch_http *h, const char *sql, bool in_url, char *buf, size_t size)
{
    char *esc = NULL;
    if (in_url && !(esc = curl_easy_escape(h->curl, sql, 0)))
        return NVG_ENOMEM;
    const char *p = h->url->params;
    int n = snprintf(buf, size, "%s?%s%s%s%s", h->url->base, p, *p && esc ? "&" : "",
                     esc ? "query=" : "", esc ? esc : "");
    curl_free(esc);
    return n < 0 || (size_t)n >= size ? NVG_EINVAL : 0;
}

enum nvg_ch_result nvg_ch_http_post(struct nvg_ch_http *h, const char *sql, const void *body,
                                    size_t len, char *resp, size_t resp_size, char err[256])
{
    char url[2048];
    if (request_url(h, sql, body != NULL, url, sizeof(url)) < 0) {
        snprintf(err, 256, "request URL too long");
        return NVG_CH_REFUSED;
    }
    char discard[512];
    h->resp = resp ? resp : discard;
    h->resp_size = resp ? resp_size : sizeof(discard);
    h->resp_len = 0;
    h->resp[0] = '\0';
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : (const void *)sql);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : strlen(sql)));
    CURLcode rc = curl_easy_perform(c);
    h->resp = NULL;
    if (rc != CURLE_OK) {
        snprintf(err, 256, "%s", curl_easy_strerror(rc));
        return NVG_CH_DOWN;
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200)
        return NVG_CH_OK;
    const char *text = resp ? resp : discard;
    snprintf(err, 256, "HTTP %ld: %.*s", code, (int)strcspn(text, "\n"), text);
    /* 5xx without ClickHouse's "Code: N" is a proxy or a server going down: try again. */
    return code >= 500 && !strstr(text, "Code:") ? NVG_CH_DOWN : NVG_CH_REFUSED;
}
