/* Unit tests of the command-line value parsers (common/nvg-parse.c), with both contracts the
 * programs use: bare numbers in bytes (collector --rotate-size) and in MiB (sensor
 * --buffer-size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-error.h"
#include "nvg-parse.h"

static uint64_t size_or_fail(const char *text, uint64_t bare_unit)
{
    uint64_t v = 12345;
    assert_int_equal(nvg_parse_size(text, bare_unit, &v), 0);
    return v;
}

static void assert_not_size(const char *text)
{
    uint64_t v = 12345;
    assert_int_equal(nvg_parse_size(text, 1, &v), NVG_EINVAL);
    assert_int_equal(nvg_parse_size(text, NVG_MIB, &v), NVG_EINVAL);
    assert_int_equal(v, 12345); /* untouched */
}

static void test_bare_unit(void **state)
{
    (void)state;
    assert_int_equal(size_or_fail("4096", 1), 4096);
    assert_int_equal(size_or_fail("0", 1), 0);
    assert_int_equal(size_or_fail("64", NVG_MIB), 64u << 20);
    assert_int_equal(size_or_fail("0", NVG_MIB), 0);
    /* A suffix means the same whatever the bare unit. */
    assert_int_equal(size_or_fail("3k", 1), 3072);
    assert_int_equal(size_or_fail("3k", NVG_MIB), 3072);
}

static void test_suffixes(void **state)
{
    (void)state;
    assert_int_equal(size_or_fail("256M", 1), 268435456);
    assert_int_equal(size_or_fail("2k", 1), 2048);
    assert_int_equal(size_or_fail("2K", 1), 2048);
    assert_int_equal(size_or_fail("2KiB", 1), 2048);
    assert_int_equal(size_or_fail("2kib", 1), 2048);
    assert_int_equal(size_or_fail("2KB", 1), 2048);
    assert_int_equal(size_or_fail("2kb", 1), 2048);
    assert_int_equal(size_or_fail("1G", 1), 1u << 30);
    assert_int_equal(size_or_fail("1GB", 1), 1u << 30);
    assert_int_equal(size_or_fail("1gib", 1), 1u << 30);
    assert_int_equal(size_or_fail("5m", 1), 5u << 20);
}

static void test_limits(void **state)
{
    (void)state;
    assert_int_equal(size_or_fail("18446744073709551615", 1), UINT64_MAX);
    assert_int_equal(size_or_fail("17179869183G", 1), (uint64_t)17179869183 << 30);
    assert_not_size("18446744073709551616");
    assert_not_size("17179869184G"); /* 2^64 bytes */
    uint64_t v;
    assert_int_equal(nvg_parse_size("17592186044416", NVG_MIB, &v), NVG_EINVAL); /* 2^44 MiB */
}

static void test_not_sizes(void **state)
{
    (void)state;
    assert_not_size("");
    assert_not_size("k");
    assert_not_size("M");
    assert_not_size("1Mx");
    assert_not_size("1MiBx");
    assert_not_size("1B"); /* B only after K, M or G */
    assert_not_size("1T");
    assert_not_size("1 M");
    assert_not_size(" 1");
    assert_not_size("1 ");
    assert_not_size("+1");
    assert_not_size("-1");
    assert_not_size(" -1");
    assert_not_size("0x10");
    assert_not_size("1.5G");
    uint64_t v;
    assert_int_equal(nvg_parse_size(NULL, 1, &v), NVG_EINVAL);
    assert_int_equal(nvg_parse_size("1", 0, &v), NVG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bare_unit),
        cmocka_unit_test(test_suffixes),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_not_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
