/* Unit tests of the rate-limited log (common/nvg-ratelog.c): the gate, its count of refusals,
 * and the text of the message that stands for them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nvg-ratelog.h"

static void test_first_always_then_per_interval(void **state)
{
    (void)state;
    struct nvg_ratelog rl = NVG_RATELOG_INIT(1000);
    uint64_t n = 99;
    /* The first message goes out whatever the clock reads, even 0 (a monotonic clock just after
     * boot). */
    assert_true(nvg_ratelog_allow(&rl, 0, &n));
    assert_int_equal(n, 0);
    assert_false(nvg_ratelog_allow(&rl, 1, &n));
    assert_false(nvg_ratelog_allow(&rl, 999, NULL));
    assert_int_equal(rl.suppressed, 2);
    assert_true(nvg_ratelog_allow(&rl, 1000, &n));
    assert_int_equal(n, 2);
    assert_int_equal(rl.suppressed, 0);
    /* The interval counts from the last message that went out, not from the first refusal. */
    assert_false(nvg_ratelog_allow(&rl, 1999, NULL));
    assert_true(nvg_ratelog_allow(&rl, 2000, &n));
    assert_int_equal(n, 1);
}

static void test_default_interval(void **state)
{
    (void)state;
    struct nvg_ratelog rl = {0};
    assert_true(nvg_ratelog_allow(&rl, 1700000000000, NULL));
    assert_false(nvg_ratelog_allow(&rl, 1700000000000 + NVG_RATELOG_DEFAULT_MS - 1, NULL));
    assert_true(nvg_ratelog_allow(&rl, 1700000000000 + NVG_RATELOG_DEFAULT_MS, NULL));
}

/* What nvg_ratelog_log writes to stderr while fn runs. */
static char *captured_stderr(void (*fn)(struct nvg_ratelog *), struct nvg_ratelog *rl)
{
    char path[] = "/tmp/nvg-test-ratelog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    assert_int_equal(dup2(fd, 2), 2);
    fn(rl);
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    static char buf[4096];
    ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    assert_true(len >= 0);
    buf[len] = '\0';
    return buf;
}

static void log_three_bursts(struct nvg_ratelog *rl)
{
    for (int i = 0; i < 4; i++)
        nvg_ratelog_log(rl, 10000 + i, NVG_LOG_WARNING, "bad message %d from '%s'", i, "s1");
    nvg_ratelog_log(rl, 15000, NVG_LOG_ERR, "bad message %d", 4);
    nvg_ratelog_log(rl, 30000, NVG_LOG_ERR, "quiet %s", "again");
}

static void test_log_text(void **state)
{
    (void)state;
    nvg_log_set_ident("test-ratelog");
    struct nvg_ratelog rl = {0};
    const char *out = captured_stderr(log_three_bursts, &rl);
    assert_string_equal(out, "<4>test-ratelog: bad message 0 from 's1'\n"
                             "<3>test-ratelog: bad message 4 (and 3 more like it in the last 5 s)\n"
                             "<3>test-ratelog: quiet again\n");
}

static void log_with_interval(struct nvg_ratelog *rl)
{
    nvg_ratelog_log(rl, 0, NVG_LOG_WARNING, "x");
    nvg_ratelog_log(rl, 1, NVG_LOG_WARNING, "x");
    nvg_ratelog_log(rl, 10000, NVG_LOG_WARNING, "y");
}

static void test_log_says_its_interval(void **state)
{
    (void)state;
    nvg_log_set_ident("test-ratelog");
    struct nvg_ratelog rl = NVG_RATELOG_INIT(10000);
    const char *out = captured_stderr(log_with_interval, &rl);
    assert_string_equal(out, "<4>test-ratelog: x\n"
                             "<4>test-ratelog: y (and 1 more like it in the last 10 s)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_always_then_per_interval),
        cmocka_unit_test(test_default_interval),
        cmocka_unit_test(test_log_text),
        cmocka_unit_test(test_log_says_its_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
