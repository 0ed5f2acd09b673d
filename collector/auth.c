#include "auth.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-ratelog.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
/* Far above any fleet; bounds what a directory full of files can make us hold. */
#define AUTH_KEYS_MAX 16384
/* Peer addresses remembered per key, for revocation: the most recent ones. */
#define AUTH_ADDRS 4

struct auth_key {
    char name[NVG_NAME_MAX + 1];
    uint8_t public_key[32];
    enum nvg_role role;
    char addrs[AUTH_ADDRS][64];
    unsigned next_addr;
};

struct key_list {
    struct auth_key *v;
    size_t n;
};

struct nvg_auth {
    void *zap;
    char dir[4096];
    struct nvg_cert own;
    struct key_list keys;
    struct nvg_security_counters *sec;
    struct nvg_ratelog rl;
};

static const struct {
    const char *subdir;
    enum nvg_role role;
} role_dirs[] = {
    {"sensors", NVG_ROLE_SENSOR},
    {"viewers", NVG_ROLE_VIEWER},
    {"admins", NVG_ROLE_ADMIN},
};

static struct auth_key *find_by_public(const struct key_list *l, const uint8_t *pub)
{
    for (size_t i = 0; i < l->n; i++)
        if (memcmp(l->v[i].public_key, pub, 32) == 0)
            return &l->v[i];
    return NULL;
}

static const struct auth_key *find_by_name(const struct key_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    return NULL;
}

static int add_key(struct key_list *l, const char *path, enum nvg_role role, char *err)
{
    struct nvg_cert cert;
    int rc = nvg_cert_load(path, &cert, err);
    if (rc < 0)
        return rc;
    uint8_t pub[32];
    zmq_z85_decode(pub, cert.public_key);
    const struct auth_key *same = find_by_public(l, pub);
    if (same || find_by_name(l, cert.name)) {
        snprintf(err, NVG_ERRBUF_SIZE, "%.300s: %s is already in the allow-lists%s", path,
                 same ? "this public key" : "this name",
                 same ? " (under another name or role)" : "");
        return NVG_EINVAL;
    }
    if (l->n == AUTH_KEYS_MAX) {
        snprintf(err, NVG_ERRBUF_SIZE, "more than %d keys in the allow-lists", AUTH_KEYS_MAX);
        return NVG_EINVAL;
    }
    struct auth_key *k = &l->v[l->n++];
    memset(k, 0, sizeof(*k));
    memcpy(k->name, cert.name, sizeof(k->name));
    memcpy(k->public_key, pub, 32);
    k->role = role;
    return 0;
}

static int load_role_dir(struct key_list *l, const char *dir, const char *subdir,
                         enum nvg_role role, char *err)
{
    char path[4352];
    snprintf(path, sizeof(path), "%s/%s", dir, subdir);
    DIR *d = opendir(path);
    if (!d)
        return 0; /* a role nobody has: an empty list */
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || strcmp(e->d_name + len - 4, ".key") != 0)
            continue;
        char file[4608];
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        rc = add_key(l, file, role, err);
    }
    closedir(d);
    return rc;
}

static int load_lists(const char *dir, struct key_list *out, char *err)
{
    out->v = calloc(AUTH_KEYS_MAX, sizeof(*out->v));
    out->n = 0;
    if (!out->v) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NVG_ENOMEM;
    }
    for (size_t i = 0; i < sizeof(role_dirs) / sizeof(role_dirs[0]); i++) {
        int rc = load_role_dir(out, dir, role_dirs[i].subdir, role_dirs[i].role, err);
        if (rc < 0) {
            free(out->v);
            out->v = NULL;
            return rc;
        }
    }
    return 0;
}

struct nvg_auth *nvg_auth_new(void *ctx, const char *dir, const char *own_key,
                              struct nvg_security_counters *counters, char *err)
{
    struct nvg_auth *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    a->sec = counters;
    a->rl.interval_ms = 10000;
    snprintf(a->dir, sizeof(a->dir), "%s", dir);
    char own_path[4352];
    if (own_key)
        snprintf(own_path, sizeof(own_path), "%s", own_key);
    else
        snprintf(own_path, sizeof(own_path), "%s/collector.key_secret", dir);
    if (nvg_cert_load(own_path, &a->own, err) < 0 || load_lists(dir, &a->keys, err) < 0)
        goto fail;
    if (!nvg_cert_has_secret(&a->own)) {
        snprintf(err, NVG_ERRBUF_SIZE, "%.300s has no secret key", own_path);
        goto fail;
    }
    a->zap = zmq_socket(ctx, ZMQ_REP);
    int linger = 0;
    if (!a->zap || zmq_setsockopt(a->zap, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_bind(a->zap, ZAP_ENDPOINT) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot start the ZAP handler: %s",
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    return a;
fail:
    nvg_auth_free(a);
    return NULL;
}

void nvg_auth_free(struct nvg_auth *a)
{
    if (!a)
        return;
    if (a->zap)
        zmq_close(a->zap);
    free(a->keys.v);
    explicit_bzero(&a->own, sizeof(a->own));
    free(a);
}

const struct nvg_cert *nvg_auth_own_cert(const struct nvg_auth *a)
{
    return &a->own;
}

void *nvg_auth_socket(const struct nvg_auth *a)
{
    return a->zap;
}

/* One ZAP request: version, request id, domain, address, identity, mechanism, credentials. */
struct zap_request {
    zmq_msg_t f[7];
    int n;
};

static int recv_request(void *zap, struct zap_request *r)
{
    r->n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, zap, r->n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            return r->n == 0 ? 0 : -1;
        }
        more = zmq_msg_more(&m);
        if (r->n < 7)
            r->f[r->n++] = m;
        else
            zmq_msg_close(&m);
    }
    return 1;
}

static bool frame_is(zmq_msg_t *m, const char *text)
{
    size_t len = strlen(text);
    return zmq_msg_size(m) == len && memcmp(zmq_msg_data(m), text, len) == 0;
}

static void frame_text(zmq_msg_t *m, char *out, size_t size)
{
    size_t len = zmq_msg_size(m) < size - 1 ? zmq_msg_size(m) : size - 1;
    memcpy(out, zmq_msg_data(m), len);
    out[len] = '\0';
}

static bool role_fits_domain(enum nvg_role role, zmq_msg_t *domain)
{
    if (frame_is(domain, NVG_ZAP_DOMAIN_SENSOR))
        return role == NVG_ROLE_SENSOR;
    if (frame_is(domain, NVG_ZAP_DOMAIN_FEED) || frame_is(domain, NVG_ZAP_DOMAIN_CONTROL))
        return role == NVG_ROLE_VIEWER || role == NVG_ROLE_ADMIN;
    return false; /* no or another domain: we enforce domains, libzmq's option is draft-only */
}

/* The reply's metadata frame (ZMTP: name length byte, name, 4-byte length, value). */
static size_t role_metadata(uint8_t *buf, const char *role)
{
    size_t nlen = strlen(NVG_PEER_ROLE_PROPERTY), vlen = strlen(role), o = 0;
    buf[o++] = (uint8_t)nlen;
    memcpy(buf + o, NVG_PEER_ROLE_PROPERTY, nlen), o += nlen;
    buf[o++] = 0, buf[o++] = 0, buf[o++] = 0, buf[o++] = (uint8_t)vlen;
    memcpy(buf + o, role, vlen), o += vlen;
    return o;
}

static void send_reply(void *zap, zmq_msg_t *request_id, bool ok, const struct auth_key *k)
{
    uint8_t meta[64];
    size_t mlen = ok ? role_metadata(meta, nvg_role_name(k->role)) : 0;
    const char *status = ok ? "200" : "400", *text = ok ? "OK" : "not allowed";
    zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(zap, zmq_msg_data(request_id), zmq_msg_size(request_id), ZMQ_SNDMORE);
    zmq_send(zap, status, 3, ZMQ_SNDMORE);
    zmq_send(zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(zap, ok ? k->name : "", ok ? strlen(k->name) : 0, ZMQ_SNDMORE);
    zmq_send(zap, meta, mlen, 0);
}

static void remember_address(struct auth_key *k, const char *addr)
{
    for (unsigned i = 0; i < AUTH_ADDRS; i++)
        if (strcmp(k->addrs[i], addr) == 0)
            return;
    snprintf(k->addrs[k->next_addr++ % AUTH_ADDRS], sizeof(k->addrs[0]), "%s", addr);
}

/* The decision for one request; counts and logs (rate-limited) a refusal. */
static struct auth_key *decide(struct nvg_auth *a, struct zap_request *r)
{
    char domain[32], addr[64];
    frame_text(&r->f[2], domain, sizeof(domain));
    frame_text(&r->f[3], addr, sizeof(addr));
    const char *why;
    struct auth_key *k = NULL;
    if (!frame_is(&r->f[5], "CURVE") || r->n != 7 || zmq_msg_size(&r->f[6]) != 32) {
        a->sec->mechanism_refused++;
        why = "not a CURVE client";
    } else if (!(k = find_by_public(&a->keys, zmq_msg_data(&r->f[6])))) {
        a->sec->keys_unknown++;
        why = "a key in none of the allow-lists";
    } else if (!role_fits_domain(k->role, &r->f[2])) {
        a->sec->role_refused++;
        why = "a key whose role may not use this socket";
        k = NULL;
    } else {
        remember_address(k, addr);
        return k;
    }
    char shown_domain[NVG_TEXT_ESCAPED_SIZE(32)];
    nvg_text_escape(shown_domain, sizeof(shown_domain), domain, strlen(domain));
    nvg_ratelog_log(&a->rl, nvg_clock_mono_ms(), NVG_LOG_WARNING,
                    "refused a connection from %s to the %s socket: %s", addr, shown_domain, why);
    return NULL;
}

void nvg_auth_drain(struct nvg_auth *a, int burst)
{
    for (int i = 0; i < burst; i++) {
        struct zap_request r;
        int rc = recv_request(a->zap, &r);
        if (rc == 0)
            return;
        if (rc > 0 && r.n >= 6 && frame_is(&r.f[0], "1.0")) {
            struct auth_key *k = decide(a, &r);
            send_reply(a->zap, &r.f[1], k != NULL, k);
        } else if (rc > 0 && r.n >= 2) {
            /* libzmq itself sent it: still answer, or the REP socket stays stuck. */
            send_reply(a->zap, &r.f[1], false, NULL);
        }
        for (int f = 0; f < r.n; f++)
            zmq_msg_close(&r.f[f]);
    }
}

int nvg_auth_reload(struct nvg_auth *a, nvg_auth_revoked_fn revoked, void *ud, char *err)
{
    struct key_list fresh;
    int rc = load_lists(a->dir, &fresh, err);
    if (rc < 0)
        return rc;
    int gone = 0;
    for (size_t i = 0; i < a->keys.n; i++) {
        struct auth_key *old = &a->keys.v[i];
        struct auth_key *now = find_by_public(&fresh, old->public_key);
        if (now && now->role == old->role && strcmp(now->name, old->name) == 0) {
            memcpy(now->addrs, old->addrs, sizeof(now->addrs));
            now->next_addr = old->next_addr;
            continue;
        }
        gone++;
        nvg_log(NVG_LOG_NOTICE, "key %s (%s) revoked: closing its connections", old->name,
                nvg_role_name(old->role));
        for (unsigned j = 0; j < AUTH_ADDRS; j++)
            if (old->addrs[j][0])
                revoked(ud, old->addrs[j]);
    }
    free(a->keys.v);
    a->keys = fresh;
    return gone;
}

bool nvg_auth_key_allowed(const struct nvg_auth *a, const char *key_name, enum nvg_role role)
{
    const struct auth_key *k = find_by_name(&a->keys, key_name);
    return k && k->role == role;
}

size_t nvg_auth_count(const struct nvg_auth *a, enum nvg_role role)
{
    size_t n = 0;
    for (size_t i = 0; i < a->keys.n; i++)
        n += a->keys.v[i].role == role;
    return n;
}
