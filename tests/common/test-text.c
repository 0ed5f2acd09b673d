/* common/nvg-text: the name alphabet, printable UTF-8 with caps, and escaping for logs and
 * terminals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nvg-text.h"

static bool valid(const char *s, size_t cap)
{
    return nvg_text_valid(s, strlen(s), cap);
}

static void test_names(void **state)
{
    (void)state;
    assert_true(nvg_name_valid("s1"));
    assert_true(nvg_name_valid("host-a.example.org"));
    assert_true(nvg_name_valid("a:b@c_d-e.f"));
    char max[NVG_NAME_MAX + 2];
    memset(max, 'a', NVG_NAME_MAX);
    max[NVG_NAME_MAX] = '\0';
    assert_true(nvg_name_valid(max));
    max[NVG_NAME_MAX] = 'a', max[NVG_NAME_MAX + 1] = '\0';
    assert_false(nvg_name_valid(max));
    assert_false(nvg_name_valid(""));
    assert_false(nvg_name_valid("=HYPERLINK(\"x\")"));
    assert_false(nvg_name_valid("s1\xe2\x80\x8b")); /* U+200B: a lookalike of "s1" */
    assert_false(nvg_name_valid("s\xff"));
    assert_false(nvg_name_valid("a b"));
    assert_false(nvg_name_valid("a,b"));
    assert_false(nvg_name_valid("a\"b"));
    assert_false(nvg_name_valid("a/b"));
    assert_false(nvg_name_valid("bad\nname"));
}

static void test_text_valid(void **state)
{
    (void)state;
    assert_true(valid("", 10));
    assert_true(valid("eth0", 255));
    assert_true(valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 255)); /* é € 😀 */
    assert_true(valid("udp port 53 and not (tcp)", 1023));
    assert_false(valid("12345", 4)); /* cap */
    assert_true(valid("1234", 4));
    assert_false(valid("\n<0>forged", 255));
    assert_false(valid("tab\there", 255));
    assert_false(valid("esc\x1b]0;title\x07", 255));
    assert_false(valid("del\x7f", 255));
    assert_false(valid("c1\xc2\x85", 255));       /* U+0085 NEL */
    assert_false(valid("\xc0\xaf", 255));         /* overlong '/' */
    assert_false(valid("\xed\xa0\x80", 255));     /* surrogate */
    assert_false(valid("\xf4\x90\x80\x80", 255)); /* above U+10FFFF */
    assert_false(valid("\xe2\x82", 255));         /* truncated */
    assert_false(valid("\x80", 255));             /* lone continuation */
    assert_false(valid("rlo\xe2\x80\xae", 255));  /* U+202E */
    assert_false(valid("bom\xef\xbb\xbf", 255));  /* U+FEFF */
    assert_false(valid("iso\xe2\x81\xa6x", 255)); /* U+2066 */
    assert_false(nvg_text_valid("a\0b", 3, 255)); /* embedded NUL */
}

static void check_escape(const char *in, size_t size, const char *want)
{
    char out[256];
    size_t n = nvg_text_escape(out, size, in, strlen(in));
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_escape(void **state)
{
    (void)state;
    check_escape("plain", 64, "plain");
    check_escape("\n<0>forged", 64, "\\x0a<0>forged");
    check_escape("back\\slash", 64, "back\\\\slash");
    check_escape("\x1b[2J", 64, "\\x1b[2J");
    check_escape("caf\xc3\xa9", 64, "caf\xc3\xa9");
    check_escape("s1\xe2\x80\x8b", 64, "s1\\xe2\\x80\\x8b");
    check_escape("\xff\xfe", 64, "\\xff\\xfe");
    /* Too small: cut at a character boundary with "...", always terminated. */
    check_escape("abcdefghij", 8, "abcd...");
    check_escape("abcdefg", 8, "abcdefg");
    check_escape("\n\n\n", 8, "\\x0a...");
    check_escape("abc", 1, "");
    char worst[NVG_TEXT_ESCAPED_SIZE(4)];
    assert_int_equal(nvg_text_escape(worst, sizeof(worst), "\x01\x02\x03\x04", 4), 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_text_valid),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
