/* collector/auth.c: the ZAP handler's answers (RFC 27) by key, mechanism and domain, the
 * counters of each refusal, reload and revocation, and the allow-lists' consistency rules.
 * The test plays libzmq's side: a REQ socket on inproc://zeromq.zap.01 in the same context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "auth.h"
#include "nvg-cert.h"
#include "nvg-error.h"

struct fixture {
    char dir[64];
    void *ctx, *req;
    struct nvg_auth *auth;
    struct nvg_security_counters sec;
    struct nvg_cert collector, s1, alice, bob, stranger;
};

struct reply {
    char status[8], user[64];
    uint8_t meta[128];
    size_t meta_len;
};

static void save_key(const char *dir, const char *sub, const struct nvg_cert *c)
{
    char path[256], err[NVG_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    mkdir(path, 0755);
    assert_int_equal(nvg_cert_save(c, path, err), 0);
    /* The allow-lists hold public certificates only. */
    snprintf(path, sizeof(path), "%s/%s/%s.key_secret", dir, sub, c->name);
    if (strcmp(sub, ".") != 0)
        unlink(path);
}

static void remove_key(const char *dir, const char *sub, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s/%s.key", dir, sub, name);
    assert_int_equal(unlink(path), 0);
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    snprintf(f.dir, sizeof(f.dir), "/tmp/nvg-auth-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    assert_int_equal(nvg_cert_generate(&f.collector, "collector"), 0);
    assert_int_equal(nvg_cert_generate(&f.s1, "s1"), 0);
    assert_int_equal(nvg_cert_generate(&f.alice, "alice"), 0);
    assert_int_equal(nvg_cert_generate(&f.bob, "bob"), 0);
    assert_int_equal(nvg_cert_generate(&f.stranger, "stranger"), 0);
    save_key(f.dir, ".", &f.collector);
    save_key(f.dir, "sensors", &f.s1);
    save_key(f.dir, "admins", &f.alice);
    save_key(f.dir, "viewers", &f.bob);
    f.ctx = zmq_ctx_new();
    char err[NVG_ERRBUF_SIZE];
    f.auth = nvg_auth_new(f.ctx, f.dir, NULL, &f.sec, err);
    if (!f.auth)
        fail_msg("nvg_auth_new: %s", err);
    f.req = zmq_socket(f.ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt(f.req, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_connect(f.req, "inproc://zeromq.zap.01"), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    zmq_close(f->req);
    nvg_auth_free(f->auth);
    zmq_ctx_term(f->ctx);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* One request as libzmq sends it; credentials NULL for a NULL-mechanism client. */
static void ask(struct fixture *f, const char *domain, const char *addr, const char *mechanism,
                const struct nvg_cert *key, struct reply *r)
{
    uint8_t pub[32];
    if (key)
        assert_non_null(zmq_z85_decode(pub, key->public_key));
    zmq_send(f->req, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(f->req, "7", 1, ZMQ_SNDMORE);
    zmq_send(f->req, domain, strlen(domain), ZMQ_SNDMORE);
    zmq_send(f->req, addr, strlen(addr), ZMQ_SNDMORE);
    zmq_send(f->req, "", 0, ZMQ_SNDMORE);
    if (key) {
        zmq_send(f->req, mechanism, strlen(mechanism), ZMQ_SNDMORE);
        zmq_send(f->req, pub, sizeof(pub), 0);
    } else {
        zmq_send(f->req, mechanism, strlen(mechanism), 0);
    }
    nvg_auth_drain(f->auth, 4);
    char frames[6][128];
    int sizes[6], n = 0, more = 1;
    while (more && n < 6) {
        zmq_pollitem_t it = {.socket = f->req, .events = ZMQ_POLLIN};
        assert_int_equal(zmq_poll(&it, 1, 1000), 1);
        sizes[n] = zmq_recv(f->req, frames[n], sizeof(frames[n]), 0);
        assert_true(sizes[n] >= 0 && sizes[n] <= (int)sizeof(frames[n]));
        size_t len = sizeof(more);
        zmq_getsockopt(f->req, ZMQ_RCVMORE, &more, &len);
        n++;
    }
    assert_int_equal(n, 6);
    assert_int_equal(sizes[0], 3);
    assert_memory_equal(frames[1], "7", 1); /* the request id comes back */
    snprintf(r->status, sizeof(r->status), "%.*s", sizes[2], frames[2]);
    snprintf(r->user, sizeof(r->user), "%.*s", sizes[4], frames[4]);
    r->meta_len = (size_t)sizes[5];
    memcpy(r->meta, frames[5], r->meta_len);
}

/* The "Role" property in a ZMTP metadata frame, or "" when there is none. */
static const char *role_of(const struct reply *r)
{
    static char role[32];
    role[0] = '\0';
    if (r->meta_len < 5 || r->meta[0] != 4 || memcmp(r->meta + 1, "Role", 4) != 0)
        return role;
    size_t vlen = (size_t)r->meta[8] | (size_t)r->meta[7] << 8;
    if (9 + vlen <= r->meta_len && vlen < sizeof(role))
        snprintf(role, sizeof(role), "%.*s", (int)vlen, (const char *)r->meta + 9);
    return role;
}

static void test_accepts_by_role_and_domain(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    ask(f, "sensor", "10.0.0.2", "CURVE", &f->s1, &r);
    assert_string_equal(r.status, "200");
    assert_string_equal(r.user, "s1");
    assert_string_equal(role_of(&r), "sensor");
    ask(f, "feed", "10.0.0.3", "CURVE", &f->bob, &r);
    assert_string_equal(r.status, "200");
    assert_string_equal(role_of(&r), "viewer");
    ask(f, "control", "10.0.0.4", "CURVE", &f->alice, &r);
    assert_string_equal(r.status, "200");
    assert_string_equal(r.user, "alice");
    assert_string_equal(role_of(&r), "admin");
    assert_int_equal(f->sec.keys_unknown + f->sec.role_refused + f->sec.mechanism_refused, 0);
    assert_int_equal(nvg_auth_count(f->auth, NVG_ROLE_SENSOR), 1);
    assert_int_equal(nvg_auth_count(f->auth, NVG_ROLE_VIEWER), 1);
    assert_int_equal(nvg_auth_count(f->auth, NVG_ROLE_ADMIN), 1);
    assert_true(nvg_auth_key_allowed(f->auth, "alice", NVG_ROLE_ADMIN));
    assert_false(nvg_auth_key_allowed(f->auth, "alice", NVG_ROLE_VIEWER));
    assert_false(nvg_auth_key_allowed(f->auth, "nobody", NVG_ROLE_SENSOR));
}

static void test_refusals_counted_by_reason(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    ask(f, "sensor", "10.0.0.9", "CURVE", &f->stranger, &r);
    assert_string_equal(r.status, "400");
    assert_string_equal(r.user, "");
    assert_int_equal(r.meta_len, 0);
    assert_int_equal(f->sec.keys_unknown, 1);
    /* A known key on a socket its role may not use, both ways. */
    ask(f, "control", "10.0.0.2", "CURVE", &f->s1, &r);
    assert_string_equal(r.status, "400");
    ask(f, "sensor", "10.0.0.3", "CURVE", &f->bob, &r);
    assert_string_equal(r.status, "400");
    assert_int_equal(f->sec.role_refused, 2);
    /* No or an unknown domain is never a way around the roles. */
    ask(f, "", "10.0.0.4", "CURVE", &f->alice, &r);
    assert_string_equal(r.status, "400");
    assert_int_equal(f->sec.role_refused, 3);
    ask(f, "sensor", "10.0.0.5", "NULL", NULL, &r);
    assert_string_equal(r.status, "400");
    ask(f, "control", "10.0.0.5", "PLAIN", NULL, &r);
    assert_string_equal(r.status, "400");
    assert_int_equal(f->sec.mechanism_refused, 2);
}

struct revoked {
    int calls;
    char last[64];
};

static void on_revoked(void *ud, const char *address)
{
    struct revoked *rv = ud;
    rv->calls++;
    snprintf(rv->last, sizeof(rv->last), "%s", address);
}

static void test_reload_revokes_by_address(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    char err[NVG_ERRBUF_SIZE];
    ask(f, "feed", "192.0.2.7", "CURVE", &f->bob, &r);
    assert_string_equal(r.status, "200");
    remove_key(f->dir, "viewers", "bob");
    struct revoked rv = {0};
    assert_int_equal(nvg_auth_reload(f->auth, on_revoked, &rv, err), 1);
    assert_int_equal(rv.calls, 1);
    assert_string_equal(rv.last, "192.0.2.7");
    ask(f, "feed", "192.0.2.7", "CURVE", &f->bob, &r);
    assert_string_equal(r.status, "400");
    assert_false(nvg_auth_key_allowed(f->auth, "bob", NVG_ROLE_VIEWER));
    /* A key that stays keeps its access across the reload. */
    ask(f, "control", "192.0.2.8", "CURVE", &f->alice, &r);
    assert_string_equal(r.status, "200");
}

static void test_role_change_is_a_revocation(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    char err[NVG_ERRBUF_SIZE];
    ask(f, "control", "192.0.2.9", "CURVE", &f->alice, &r);
    remove_key(f->dir, "admins", "alice");
    save_key(f->dir, "viewers", &f->alice);
    struct revoked rv = {0};
    assert_int_equal(nvg_auth_reload(f->auth, on_revoked, &rv, err), 1);
    assert_string_equal(rv.last, "192.0.2.9");
    ask(f, "control", "192.0.2.9", "CURVE", &f->alice, &r);
    assert_string_equal(r.status, "200");
    assert_string_equal(role_of(&r), "viewer");
}

static void test_bad_reload_keeps_the_lists(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    char err[NVG_ERRBUF_SIZE], path[256];
    snprintf(path, sizeof(path), "%s/viewers/broken.key", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("not a certificate\n", fp);
    fclose(fp);
    struct revoked rv = {0};
    assert_true(nvg_auth_reload(f->auth, on_revoked, &rv, err) < 0);
    assert_non_null(strstr(err, "broken.key"));
    assert_int_equal(rv.calls, 0);
    ask(f, "feed", "10.0.0.3", "CURVE", &f->bob, &r);
    assert_string_equal(r.status, "200");
    /* The same public key under two names is refused too. */
    unlink(path);
    struct nvg_cert twin = f->s1;
    snprintf(twin.name, sizeof(twin.name), "s1-twin");
    save_key(f->dir, "sensors", &twin);
    assert_true(nvg_auth_reload(f->auth, on_revoked, &rv, err) < 0);
    ask(f, "sensor", "10.0.0.2", "CURVE", &f->s1, &r);
    assert_string_equal(r.status, "200");
    assert_string_equal(r.user, "s1");
}

/* Garbled requests (as only a bug in libzmq or a hostile inproc peer would send) still get an
 * answer, so the REP socket never wedges, and never a 200. */
static void test_garbled_request_answered(void **state)
{
    struct fixture *f = *state;
    zmq_send(f->req, "9.9", 3, ZMQ_SNDMORE);
    zmq_send(f->req, "7", 1, ZMQ_SNDMORE);
    zmq_send(f->req, "sensor", 6, 0);
    nvg_auth_drain(f->auth, 4);
    char buf[64];
    int more = 1, n = 0, status = -1;
    while (more) {
        zmq_pollitem_t it = {.socket = f->req, .events = ZMQ_POLLIN};
        assert_int_equal(zmq_poll(&it, 1, 1000), 1);
        int len = zmq_recv(f->req, buf, sizeof(buf), 0);
        if (n == 2)
            status = len == 3 && memcmp(buf, "400", 3) == 0;
        size_t sz = sizeof(more);
        zmq_getsockopt(f->req, ZMQ_RCVMORE, &more, &sz);
        n++;
    }
    assert_int_equal(status, 1);
    struct reply r;
    ask(f, "sensor", "10.0.0.2", "CURVE", &f->s1, &r);
    assert_string_equal(r.status, "200");
}

static void test_own_key_elsewhere(void **state)
{
    struct fixture *f = *state;
    char err[NVG_ERRBUF_SIZE], own[256], cmd[600];
    snprintf(own, sizeof(own), "%s/collector.key_secret", f->dir);
    snprintf(cmd, sizeof(cmd), "mv '%s' '%s.moved'", own, own);
    assert_int_equal(system(cmd), 0);
    void *ctx = zmq_ctx_new();
    struct nvg_security_counters sec = {0};
    assert_null(nvg_auth_new(ctx, f->dir, NULL, &sec, err));
    assert_non_null(strstr(err, "collector.key_secret"));
    strcat(own, ".moved");
    struct nvg_auth *a = nvg_auth_new(ctx, f->dir, own, &sec, err);
    assert_non_null(a);
    assert_string_equal(nvg_auth_own_cert(a)->public_key, f->collector.public_key);
    nvg_auth_free(a);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accepts_by_role_and_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_counted_by_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_revokes_by_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_change_is_a_revocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_reload_keeps_the_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbled_request_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_key_elsewhere, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
