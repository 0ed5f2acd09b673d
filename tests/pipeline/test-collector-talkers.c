/* Unit tests of the bounded top-talkers table (collector/talkers.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "talkers.h"

static void v4(uint8_t *a, uint32_t x)
{
    a[0] = (uint8_t)(x >> 24), a[1] = (uint8_t)(x >> 16), a[2] = (uint8_t)(x >> 8), a[3] = (uint8_t)x;
}

static void test_exact_when_few(void **state)
{
    (void)state;
    struct nvg_talkers *t = nvg_talkers_new(16);
    uint8_t a[16] = {0};
    for (uint32_t i = 1; i <= 10; i++) {
        v4(a, 0x0a000000 + i);
        for (uint32_t k = 0; k < i; k++)
            nvg_talkers_add(t, a, 4, 100);
    }
    struct nvg_talker top[3];
    assert_int_equal(nvg_talkers_top(t, top, 3), 3);
    assert_int_equal(top[0].bytes, 1000);
    assert_int_equal(top[0].packets, 10);
    assert_int_equal(top[0].addr[3], 10);
    assert_int_equal(top[1].bytes, 900);
    assert_int_equal(top[2].bytes, 800);
    assert_int_equal(top[0].error, 0);
    nvg_talkers_reset(t);
    assert_int_equal(nvg_talkers_top(t, top, 3), 0);
    nvg_talkers_free(t);
}

static void test_heavy_hitters_survive_churn(void **state)
{
    (void)state;
    struct nvg_talkers *t = nvg_talkers_new(64);
    uint8_t a[16] = {0}, big1[16] = {0}, big2[16] = {0};
    big1[0] = 0x20, big1[1] = 0x01, big1[15] = 1;
    big2[0] = 0x20, big2[1] = 0x01, big2[15] = 2;
    /* 100k one-off sources (far more than the counters) interleaved with two heavy ones. */
    for (uint32_t i = 0; i < 100000; i++) {
        v4(a, 0xc0000000 + i);
        nvg_talkers_add(t, a, 4, 100);
        if (i % 10 == 0)
            nvg_talkers_add(t, big1, 6, 1500);
        if (i % 20 == 0)
            nvg_talkers_add(t, big2, 6, 1500);
    }
    assert_true(nvg_talkers_count(t) <= 64);
    struct nvg_talker top[2];
    assert_int_equal(nvg_talkers_top(t, top, 2), 2);
    assert_memory_equal(top[0].addr, big1, 16);
    assert_memory_equal(top[1].addr, big2, 16);
    /* Space-saving bound: the true count (15e6 and 7.5e6) <= reported <= true + error. */
    assert_true(top[0].bytes >= 15000000 && top[0].bytes - top[0].error <= 15000000);
    assert_true(top[1].bytes >= 7500000 && top[1].bytes - top[1].error <= 7500000);
    nvg_talkers_free(t);
}

static void test_ignores_non_ip(void **state)
{
    (void)state;
    struct nvg_talkers *t = nvg_talkers_new(4);
    uint8_t a[16] = {0};
    nvg_talkers_add(t, a, 0, 100);
    assert_int_equal(nvg_talkers_count(t), 0);
    nvg_talkers_free(t);
    nvg_talkers_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_when_few),
        cmocka_unit_test(test_heavy_hitters_survive_churn),
        cmocka_unit_test(test_ignores_non_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
