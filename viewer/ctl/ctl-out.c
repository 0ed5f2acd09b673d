/* Strings and numbers from the collector, made safe to print. See ctl-core.h. */
#include <stdint.h>
#include <string.h>

#include "ctl-core.h"
#include "nvg-text.h"

/* Longest peer string we print in full; past it, "...". A hostile collector may send
 * megabytes in one error text; a person reads a few hundred bytes. */
#define PUT_MAX 4096

struct nvg_arena *nvg_ctl_arena_new(void)
{
    struct nvg_arena *a = nvg_arena_new(0);
    if (a)
        nvg_arena_set_limit(a, NVG_CTL_ARENA_LIMIT);
    return a;
}

size_t nvg_ctl_escape(char *dst, size_t size, const char *s)
{
    /* Reading more than 4 bytes per output byte cannot change what fits. */
    size_t len = s ? strnlen(s, 4 * size + 4) : 0;
    return nvg_text_escape(dst, size, s ? s : "", len);
}

void nvg_ctl_put(FILE *out, const char *s, size_t cap)
{
    char buf[PUT_MAX + 1];
    size_t size = cap + 1 < sizeof(buf) ? cap + 1 : sizeof(buf);
    fwrite(buf, 1, nvg_ctl_escape(buf, size, s), out);
}

void nvg_ctl_put_col(FILE *out, const char *s, int width, bool cut)
{
    char buf[1024];
    size_t n = nvg_ctl_escape(buf, sizeof(buf), s);
    /* Escaped text is printable UTF-8: count characters by their lead bytes. */
    int chars = 0;
    size_t end = 0;
    for (; end < n; end++) {
        if (((unsigned char)buf[end] & 0xc0) == 0x80)
            continue;
        if (cut && chars == width)
            break;
        chars++;
    }
    fwrite(buf, 1, end, out);
    for (; chars < width; chars++)
        fputc(' ', out);
}

static size_t utf8_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        return 2;
    if ((c & 0xf0) == 0xe0)
        return 3;
    return (c & 0xf8) == 0xf0 ? 4 : 0;
}

void nvg_ctl_json_str(FILE *out, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    fputc('"', out);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = utf8_len(c);
        if (n && i + n <= len && nvg_text_valid(s + i, n, n)) {
            if (c == '"' || c == '\\')
                fputc('\\', out);
            fwrite(s + i, 1, n, out);
            i += n;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            i++;
        } else {
            fprintf(out, "\\\\x%02x", c);
            i++;
        }
    }
    fputc('"', out);
}

int64_t nvg_ctl_sat_mul(int64_t v, int64_t m)
{
    int64_t r;
    if (__builtin_mul_overflow(v, m, &r))
        return (v < 0) != (m < 0) ? INT64_MIN : INT64_MAX;
    return r;
}

Netvigil__ControlReply *nvg_ctl_reply_unpack(struct nvg_arena *arena, const void *data, size_t len)
{
    nvg_arena_reset(arena);
    return netvigil__control_reply__unpack(nvg_arena_allocator(arena), len, data);
}

bool nvg_ctl_reply_not_allowed(const Netvigil__ControlReply *r)
{
    return r->error && strncmp(r->error, "not allowed", 11) == 0;
}
