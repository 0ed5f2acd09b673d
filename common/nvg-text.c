#include "nvg-text.h"

#include <stdint.h>
#include <string.h>

bool nvg_name_valid(const char *s)
{
    size_t len = strnlen(s, NVG_NAME_MAX + 1);
    if (len == 0 || len > NVG_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !strchr("._:@-", c))
            return false;
    }
    return true;
}

/* Decodes one UTF-8 character at s (n > 0 bytes left). Returns its length with *cp set, or 0
 * for a byte that does not start a well-formed shortest-form character (overlong forms,
 * surrogates, above U+10FFFF, truncated sequences). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t min, c;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, min = 0x80, c = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, min = 0x800, c = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, min = 0x10000, c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Characters that are valid UTF-8 but must not reach a log, a terminal or a spreadsheet cell:
 * controls, and the invisible ones that reorder or hide text. */
static bool unprintable(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) ||
           (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

bool nvg_text_valid(const char *s, size_t len, size_t cap)
{
    if (len > cap)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t n = utf8_decode(p + i, len - i, &c);
        if (n == 0 || unprintable(c))
            return false;
        i += n;
    }
    return true;
}

/* One character of src at i as nvg_text_escape writes it: piece (up to 4 bytes) and its length;
 * returns the source bytes it stands for. */
static size_t escape_piece(const unsigned char *p, size_t left, char piece[4], size_t *plen)
{
    static const char hex[] = "0123456789abcdef";
    uint32_t c;
    size_t n = utf8_decode(p, left, &c);
    if (n == 0 || unprintable(c)) {
        /* One byte at a time, so a bad multi-byte sequence shows all its bytes. */
        piece[0] = '\\', piece[1] = 'x', piece[2] = hex[p[0] >> 4], piece[3] = hex[p[0] & 15];
        *plen = 4;
        return 1;
    }
    if (c == '\\') {
        piece[0] = piece[1] = '\\';
        *plen = 2;
        return 1;
    }
    memcpy(piece, p, n);
    *plen = n;
    return n;
}

/* Bytes nvg_text_escape writes for src, without the NUL. */
static size_t escaped_len(const unsigned char *p, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        char piece[4];
        size_t plen;
        i += escape_piece(p + i, len - i, piece, &plen);
        o += plen;
    }
    return o;
}

size_t nvg_text_escape(char *dst, size_t size, const char *src, size_t len)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0;
    /* Whether the rest is known to fit whole: then no room is kept for "...". */
    bool fits = false;
    for (size_t i = 0; i < len;) {
        char piece[4];
        size_t plen;
        size_t n = escape_piece(p + i, len - i, piece, &plen);
        if (!fits && o + plen + 3 >= size) {
            fits = o + escaped_len(p + i, len - i) < size;
            if (!fits) {
                size_t dots = size - 1 - o < 3 ? size - 1 - o : 3;
                memcpy(dst + o, "...", dots), o += dots;
                break;
            }
        }
        memcpy(dst + o, piece, plen), o += plen;
        i += n;
    }
    dst[o] = '\0';
    return o;
}
