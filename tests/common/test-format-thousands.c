/* Unit tests of the digit grouping for people (common/nvg-format.c nvg_format_thousands), the
 * one the viewer's status bar and rate chart print. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nvg-format.h"

static void assert_grouped(uint64_t v, const char *want)
{
    char buf[32];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(nvg_format_thousands(buf, sizeof(buf), v), strlen(want));
    assert_string_equal(buf, want);
}

static void test_groups(void **state)
{
    (void)state;
    assert_grouped(0, "0");
    assert_grouped(7, "7");
    assert_grouped(999, "999");
    assert_grouped(1000, "1,000");
    assert_grouped(12345, "12,345");
    assert_grouped(123456, "123,456");
    assert_grouped(1234567, "1,234,567");
    assert_grouped(1000000000, "1,000,000,000");
    assert_grouped(UINT64_MAX, "18,446,744,073,709,551,615");
}

/* Against a plain reference: the digits of %llu with the commas taken out, and commas exactly
 * every three digits from the right. */
static void test_against_printf(void **state)
{
    (void)state;
    uint64_t v = 1;
    for (int i = 0; i < 2000; i++) {
        char want[32], got[32], plain[32];
        snprintf(want, sizeof(want), "%" PRIu64, v);
        size_t n = nvg_format_thousands(got, sizeof(got), v);
        size_t k = 0;
        for (size_t j = 0; j < n; j++) {
            if (got[j] == ',') {
                assert_int_equal((n - j - 1) % 4, 3);
                continue;
            }
            plain[k++] = got[j];
        }
        plain[k] = '\0';
        assert_string_equal(plain, want);
        v = v * 3 + (uint64_t)i;
    }
}

static void test_small_buffers(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(nvg_format_thousands(buf, 0, 5), 0);
    assert_int_equal(nvg_format_thousands(buf, 1, 5), 0);
    assert_string_equal(buf, "");
    assert_int_equal(nvg_format_thousands(buf, 3, 5), 1);
    assert_string_equal(buf, "5");
    /* The leading characters that fit, never past size. */
    assert_int_equal(nvg_format_thousands(buf, 8, 1234567), 7);
    assert_string_equal(buf, "1,234,5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_against_printf),
        cmocka_unit_test(test_small_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
