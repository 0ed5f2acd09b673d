/* ZeroMQ helpers: sockets with explicit limits, endpoints, one protobuf per frame. See
 * nvg-zmq.h. Nothing here keeps state, so every function is safe to call from any thread (each
 * socket, as always, from the one thread that owns it). */
#define _GNU_SOURCE /* pthread_setattr_default_np */
#include "nvg-zmq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <zmq.h>

#include "nvg-cert.h"
#include "nvg-error.h"
#include "nvg-wire.h"

static void set_err(char *err, const char *what)
{
    if (err)
        snprintf(err, NVG_ERRBUF_SIZE, "%s: %s", what, zmq_strerror(zmq_errno()));
}

static int set_intervals(void *sock, int heartbeat_ms, int handshake_ms)
{
    if (heartbeat_ms > 0) {
        int timeout = 3 * heartbeat_ms;
        if (zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &heartbeat_ms, sizeof(int)) != 0 ||
            zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof(int)) != 0 ||
            zmq_setsockopt(sock, ZMQ_HEARTBEAT_TTL, &timeout, sizeof(int)) != 0)
            return -1;
    }
    if (handshake_ms > 0 && zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &handshake_ms, sizeof(int)))
        return -1;
    return 0;
}

/* More threads than libzmq will start (one I/O thread and the reaper), all alive at once:
 * if these can be made, so can libzmq's right after they are gone. */
#define PREFLIGHT_THREADS 3

struct preflight {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool released;
};

static void *preflight_thread(void *arg)
{
    struct preflight *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->released)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int preflight(char *err)
{
    struct preflight p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
    pthread_t t[PREFLIGHT_THREADS];
    int started = 0, rc = 0;
    while (started < PREFLIGHT_THREADS &&
           (rc = pthread_create(&t[started], NULL, preflight_thread, &p)) == 0)
        started++;
    pthread_mutex_lock(&p.mu);
    p.released = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    if (started < PREFLIGHT_THREADS) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "cannot start ZeroMQ's threads: %s (is ulimit -v or ulimit -u too small?)",
                 strerror(rc));
        return -1;
    }
    return 0;
}

static int set_thread_stack(size_t size, char *err)
{
    pthread_attr_t attr;
    int rc = pthread_getattr_default_np(&attr);
    if (rc == 0) {
        rc = pthread_attr_setstacksize(&attr, size);
        if (rc == 0)
            rc = pthread_setattr_default_np(&attr);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0)
        snprintf(err, NVG_ERRBUF_SIZE, "thread stack size %zu: %s", size, strerror(rc));
    return rc == 0 ? 0 : -1;
}

void *nvg_zmq_ctx_new(size_t thread_stack, char *err)
{
    if ((thread_stack && set_thread_stack(thread_stack, err) < 0) || preflight(err) < 0)
        return NULL;
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot create the ZeroMQ context: %s",
                 zmq_strerror(zmq_errno()));
        return NULL;
    }
    /* The first socket starts the threads; its failure is reported, not asserted. */
    void *probe = zmq_socket(ctx, ZMQ_PAIR);
    if (!probe) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot start the ZeroMQ context: %s",
                 zmq_strerror(zmq_errno()));
        zmq_ctx_term(ctx);
        return NULL;
    }
    zmq_close(probe);
    return ctx;
}

void *nvg_zmq_socket(void *ctx, int type, const struct nvg_sockopts *opts, char *err)
{
    void *sock = zmq_socket(ctx, type);
    if (!sock) {
        set_err(err, "zmq_socket");
        return NULL;
    }
    int linger = opts ? opts->linger_ms : 0;
    int64_t maxmsg = opts && opts->max_msg_size > 0 ? opts->max_msg_size : NVG_MAX_MSG_SIZE;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0) {
        set_err(err, "zmq_setsockopt LINGER/MAXMSGSIZE");
        goto fail;
    }
    if (opts && set_intervals(sock, opts->heartbeat_ms, opts->handshake_ms) != 0) {
        set_err(err, "zmq_setsockopt HEARTBEAT/HANDSHAKE_IVL");
        goto fail;
    }
    if (opts && opts->sndhwm > 0 &&
        zmq_setsockopt(sock, ZMQ_SNDHWM, &opts->sndhwm, sizeof(opts->sndhwm)) != 0) {
        set_err(err, "zmq_setsockopt SNDHWM");
        goto fail;
    }
    if (opts && opts->rcvhwm > 0 &&
        zmq_setsockopt(sock, ZMQ_RCVHWM, &opts->rcvhwm, sizeof(opts->rcvhwm)) != 0) {
        set_err(err, "zmq_setsockopt RCVHWM");
        goto fail;
    }
    return sock;
fail:
    zmq_close(sock);
    return NULL;
}

int nvg_zmq_endpoint(char *buf, size_t size, const char *host, int port)
{
    if (!buf || !host || !*host || port < 0 || port > 65535)
        return NVG_EINVAL;
    bool v6 = strchr(host, ':') != NULL && host[0] != '[';
    int n = snprintf(buf, size, v6 ? "tcp://[%s]:%d" : "tcp://%s:%d", host, port);
    if (n < 0 || (size_t)n >= size)
        return NVG_EINVAL;
    return 0;
}

int nvg_zmq_connect(void *sock, const char *endpoint)
{
    /* A socket only reaches IPv6 addresses with ZMQ_IPV6 on; turning it on for host names
     * would make "localhost" resolve to ::1 first and miss a collector on 127.0.0.1 (the
     * default), so only literal IPv6 endpoints get it. */
    if (strncmp(endpoint, "tcp://", 6) == 0 && strchr(endpoint, '[')) {
        int one = 1;
        if (zmq_setsockopt(sock, ZMQ_IPV6, &one, sizeof(one)) != 0)
            return -1;
    }
    return zmq_connect(sock, endpoint);
}

/* Where the host and the port are in "HOST", "HOST:PORT", "[V6]", "[V6]:PORT", a bare IPv6
 * literal or an endpoint "SCHEME://[SOURCE;]HOST:PORT". */
struct hostport {
    const char *host;
    size_t len;
    const char *port; /* after the port's colon; NULL when there is none */
    bool junk;        /* something other than ":PORT" after "[V6]" */
};

static bool find_host(const char *s, struct hostport *hp)
{
    bool endpoint = false;
    const char *scheme = strstr(s, "://");
    if (scheme) {
        endpoint = true;
        s = scheme + 3;
    }
    const char *semi = strchr(s, ';'); /* connect "tcp://SOURCE;DEST:PORT": DEST counts */
    if (semi)
        s = semi + 1;
    hp->port = NULL;
    hp->junk = false;
    if (s[0] == '[') {
        const char *close = strchr(s + 1, ']');
        if (!close)
            return false;
        hp->host = s + 1;
        hp->len = (size_t)(close - hp->host);
        if (close[1] == ':')
            hp->port = close + 2;
        else
            hp->junk = close[1] != '\0';
        return true;
    }
    /* One colon separates a port; more make a bare IPv6 literal, except in an endpoint, where
     * the last one always does. */
    const char *colon = strchr(s, ':');
    const char *last = strrchr(s, ':');
    hp->host = s;
    if (last && (endpoint || colon == last)) {
        hp->len = (size_t)(last - s);
        hp->port = last + 1;
    } else {
        hp->len = strlen(s);
    }
    return true;
}

static int parse_port(const char *s, int *port)
{
    int v = 0;
    if (!*s)
        return NVG_EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || (v = v * 10 + (*s - '0')) > 65535)
            return NVG_EINVAL;
    }
    if (v == 0)
        return NVG_EINVAL;
    *port = v;
    return 0;
}

int nvg_zmq_endpoint_split(const char *text, char *host, size_t size, int *port)
{
    struct hostport hp;
    const char *scheme = text ? strstr(text, "://") : NULL;
    if (!text || (scheme && strncmp(text, "tcp://", 6) != 0) || !find_host(text, &hp) || hp.junk ||
        hp.len == 0 || hp.len >= size)
        return NVG_EINVAL;
    int p = 0;
    if (hp.port && parse_port(hp.port, &p) < 0)
        return NVG_EINVAL;
    memcpy(host, hp.host, hp.len);
    host[hp.len] = '\0';
    *port = p;
    return 0;
}

int nvg_zmq_endpoint_parse(char *buf, size_t size, const char *text, int default_port)
{
    if (!text)
        return NVG_EINVAL;
    if (strstr(text, "://")) {
        int n = snprintf(buf, size, "%s", text);
        return n < 0 || (size_t)n >= size ? NVG_EINVAL : 0;
    }
    char host[NVG_ZMQ_HOST_MAX];
    int port;
    if (nvg_zmq_endpoint_split(text, host, sizeof(host), &port) < 0)
        return NVG_EINVAL;
    return nvg_zmq_endpoint(buf, size, host, port ? port : default_port);
}

int nvg_zmq_endpoint_client(char *buf, size_t size, const char *given, const char *host, int port)
{
    if (!given)
        return nvg_zmq_endpoint(buf, size, host, port);
    int n = snprintf(buf, size, "%s", given);
    return n < 0 || (size_t)n >= size ? NVG_EINVAL : 0;
}

/* The host of a peer or address (see find_host) into out, without a zone: only the address
 * matters here, so a malformed port is no reason to look elsewhere. */
static bool extract_host(const char *s, char *out, size_t size)
{
    struct hostport hp;
    if (!find_host(s, &hp) || hp.len == 0 || hp.len >= size)
        return false;
    memcpy(out, hp.host, hp.len);
    out[hp.len] = '\0';
    char *zone = strchr(out, '%'); /* fe80::1%lo */
    if (zone)
        *zone = '\0';
    return true;
}

bool nvg_zmq_is_loopback(const char *s)
{
    if (!s)
        return false;
    if (strncmp(s, "inproc://", 9) == 0 || strncmp(s, "ipc://", 6) == 0)
        return true; /* never leaves the host */
    if (strstr(s, "://") && strncmp(s, "tcp://", 6) != 0)
        return false; /* pgm, epgm, udp, ...: multicast or network-wide */
    char host[NVG_ZMQ_HOST_MAX];
    if (!extract_host(s, host, sizeof(host)))
        return false;
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0 ||
        strcmp(host, "lo") == 0)
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        return memcmp(a6.s6_addr, mapped, 12) == 0 && a6.s6_addr[12] == 127;
    }
    return false;
}

int nvg_zmq_send_pb(void *sock, const ProtobufCMessage *msg, int flags)
{
    /* Packed straight into the message libzmq will own: one allocation (libzmq's, which it makes
     * for any frame above 33 bytes even with zmq_send) and no copy. */
    size_t len = protobuf_c_message_get_packed_size(msg);
    if (len > NVG_MAX_MSG_SIZE)
        return NVG_ETOOBIG;
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, len) != 0)
        return NVG_ENOMEM;
    protobuf_c_message_pack(msg, zmq_msg_data(&m));
    if (zmq_msg_send(&m, sock, flags) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&m);
        return (e == EAGAIN || e == EINTR) ? NVG_EAGAIN : NVG_EZMQ;
    }
    return 0;
}

int nvg_zmq_send_buf(void *sock, const void *data, size_t len, int flags)
{
    if (zmq_send(sock, data, len, flags) < 0) {
        int e = zmq_errno();
        return (e == EAGAIN || e == EINTR) ? NVG_EAGAIN : NVG_EZMQ;
    }
    return 0;
}

static int recv_error(void)
{
    int e = zmq_errno();
    return (e == EAGAIN || e == EINTR) ? NVG_EAGAIN : NVG_EZMQ;
}

int nvg_zmq_recv_topic(void *sock, zmq_msg_t *topic, zmq_msg_t *body, int flags)
{
    if (zmq_msg_recv(topic, sock, flags) < 0)
        return recv_error();
    if (!zmq_msg_more(topic))
        return NVG_EMALFORMED;
    /* The other frames are here already: a message arrives whole or not at all. */
    if (zmq_msg_recv(body, sock, ZMQ_DONTWAIT) < 0)
        return recv_error() == NVG_EZMQ ? NVG_EZMQ : NVG_EMALFORMED;
    if (!zmq_msg_more(body))
        return 0;
    /* Extra frames: drop the whole message, every frame of it. */
    zmq_msg_t extra;
    zmq_msg_init(&extra);
    int more = 1;
    while (more && zmq_msg_recv(&extra, sock, ZMQ_DONTWAIT) >= 0)
        more = zmq_msg_more(&extra);
    zmq_msg_close(&extra);
    return NVG_EMALFORMED;
}

/* libzmq checks ZMQ_MAXMSGSIZE against the frame it decodes, and under CURVE that frame is the
 * MESSAGE command around the ciphertext: "\x07MESSAGE", an 8-byte nonce, the 16-byte MAC and
 * the flags byte. Without this allowance a message of exactly the cap we mean is refused (and
 * its connection closed) only when encryption is on. */
#define NVG_CURVE_FRAME_OVERHEAD 33

static int allow_curve_overhead(void *sock)
{
    int64_t cap = 0;
    size_t len = sizeof(cap);
    if (zmq_getsockopt(sock, ZMQ_MAXMSGSIZE, &cap, &len) != 0)
        return -1;
    if (cap <= 0)
        return 0;
    cap += NVG_CURVE_FRAME_OVERHEAD;
    return zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &cap, sizeof(cap));
}

int nvg_zmq_curve_server(void *sock, const struct nvg_cert *own, const char *zap_domain, char *err)
{
    if (!nvg_cert_has_secret(own) || !zap_domain || !*zap_domain) {
        snprintf(err, NVG_ERRBUF_SIZE, "a CURVE server needs its own secret key and a ZAP domain");
        return NVG_EINVAL;
    }
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, own->secret_key, NVG_CERT_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, zap_domain, strlen(zap_domain)) != 0 ||
        allow_curve_overhead(sock) != 0) {
        set_err(err, "CURVE server options");
        return NVG_EZMQ;
    }
    return 0;
}

int nvg_zmq_curve_client(void *sock, const struct nvg_cert *own, const struct nvg_cert *server,
                         char *err)
{
    if (!nvg_cert_has_secret(own) || !server->public_key[0]) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "a CURVE client needs its own secret key and the "
                 "collector's public key");
        return NVG_EINVAL;
    }
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server->public_key, NVG_CERT_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, own->public_key, NVG_CERT_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, own->secret_key, NVG_CERT_Z85_LEN) != 0 ||
        allow_curve_overhead(sock) != 0) {
        set_err(err, "CURVE client options");
        return NVG_EZMQ;
    }
    return 0;
}
