/* collector/quota.c and the audit's coalescing of refused requests: token buckets, the bounded
 * table of control peers, and one audit row per peer and second for a flood of refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "nvg-error.h"
#include "quota.h"

static void test_bucket(void **state)
{
    (void)state;
    struct nvg_bucket b = {0};
    for (int i = 0; i < 20; i++)
        assert_true(nvg_bucket_take(&b, 20, 5, 1000));
    assert_false(nvg_bucket_take(&b, 20, 5, 1000));
    assert_false(nvg_bucket_take(&b, 20, 5, 1199)); /* 0.995 tokens */
    assert_true(nvg_bucket_take(&b, 20, 5, 1200));
    assert_false(nvg_bucket_take(&b, 20, 5, 1200));
    /* A long pause refills up to the burst, no more. */
    int n = 0;
    while (nvg_bucket_take(&b, 20, 5, 100000))
        n++;
    assert_int_equal(n, 20);
    /* A clock that goes back gives nothing. */
    assert_false(nvg_bucket_take(&b, 20, 5, 50000));
}

static void test_peers(void **state)
{
    (void)state;
    struct nvg_quota *q = nvg_quota_new(2);
    struct nvg_quota_peer *a = nvg_quota_peer(q, (const uint8_t *)"a", 1, 10);
    a->in_flight = 1;
    struct nvg_quota_peer *b = nvg_quota_peer(q, (const uint8_t *)"b", 1, 20);
    assert_true(nvg_quota_peer(q, (const uint8_t *)"a", 1, 30) == a);
    assert_int_equal(nvg_quota_count(q), 2);
    /* Full: a newcomer takes the idle peer, never one with requests in flight. */
    struct nvg_quota_peer *c = nvg_quota_peer(q, (const uint8_t *)"c", 1, 40);
    assert_true(c == b);
    assert_int_equal(c->in_flight, 0);
    assert_false(c->commands.started); /* fresh quotas */
    c->in_flight = 1;
    assert_null(nvg_quota_peer(q, (const uint8_t *)"d", 1, 50));
    assert_null(nvg_quota_find(q, (const uint8_t *)"b", 1));
    nvg_quota_free(q);
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void test_coalesce(void **state)
{
    (void)state;
    char dir[] = "/tmp/nvg-test-audit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct nvg_collector_options o = {.out_dir = dir};
    char err[NVG_ERRBUF_SIZE];
    struct nvg_audit *a = nvg_audit_new(&o, NULL, err);
    assert_non_null(a);
    /* 1000 refusals from one peer in one second: the first row, then one summary. */
    for (int i = 0; i < 1000; i++)
        nvg_audit_refused(a, "anonymous@10.0.0.9", "anonymous@10.0.0.9 (says \"x\")", "s1",
                          "set-filter", "busy: too many commands", 5000 + i % 1000);
    assert_int_equal(nvg_audit_rows(a), 1);
    nvg_audit_tick(a, 5999);
    assert_int_equal(nvg_audit_rows(a), 1);
    nvg_audit_tick(a, 6000);
    assert_int_equal(nvg_audit_rows(a), 2);
    nvg_audit_tick(a, 7000);
    assert_int_equal(nvg_audit_rows(a), 2);
    /* Another peer has rows of its own. */
    nvg_audit_refused(a, "key:bob@10.0.0.3", "key:bob@10.0.0.3", "s1", "stop", "not allowed", 7000);
    nvg_audit_refused(a, "anonymous@10.0.0.9", "anonymous@10.0.0.9", "s1", "stop", "busy", 7000);
    assert_int_equal(nvg_audit_rows(a), 4);
    char path[512];
    snprintf(path, sizeof(path), "%s", nvg_audit_path(a));
    nvg_audit_free(a);
    assert_int_equal(count_lines(path), 1 + 4); /* header + rows */
    FILE *f = fopen(path, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "999 more request(s) refused in this second"));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_peers),
        cmocka_unit_test(test_coalesce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
