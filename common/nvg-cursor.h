/* Bounds-checked reads over captured bytes.
 *
 * Every decoder reads packet bytes through a cursor instead of casting them to structs: a read
 * that would pass the end fails and leaves the cursor unchanged, so no layer can read outside
 * the captured length. */
#ifndef NVG_CURSOR_H
#define NVG_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct nvg_cursor {
    const uint8_t *p;
    size_t left;
};

static inline struct nvg_cursor nvg_cur_init(const uint8_t *p, size_t len)
{
    struct nvg_cursor c = {p, len};
    return c;
}

static inline bool nvg_cur_has(const struct nvg_cursor *c, size_t n)
{
    return c->left >= n;
}

static inline bool nvg_cur_skip(struct nvg_cursor *c, size_t n)
{
    if (c->left < n)
        return false;
    c->p += n;
    c->left -= n;
    return true;
}

static inline bool nvg_cur_u8(struct nvg_cursor *c, uint8_t *v)
{
    if (c->left < 1)
        return false;
    *v = c->p[0];
    c->p += 1;
    c->left -= 1;
    return true;
}

static inline bool nvg_cur_be16(struct nvg_cursor *c, uint16_t *v)
{
    if (c->left < 2)
        return false;
    *v = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    c->left -= 2;
    return true;
}

static inline bool nvg_cur_be32(struct nvg_cursor *c, uint32_t *v)
{
    if (c->left < 4)
        return false;
    *v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) |
         (uint32_t)c->p[3];
    c->p += 4;
    c->left -= 4;
    return true;
}

static inline bool nvg_cur_copy(struct nvg_cursor *c, void *dst, size_t n)
{
    if (c->left < n)
        return false;
    memcpy(dst, c->p, n);
    c->p += n;
    c->left -= n;
    return true;
}

/* Peek without consuming; offset is from the cursor position. */
static inline bool nvg_cur_peek8(const struct nvg_cursor *c, size_t off, uint8_t *v)
{
    if (c->left <= off)
        return false;
    *v = c->p[off];
    return true;
}

static inline bool nvg_cur_peek16(const struct nvg_cursor *c, size_t off, uint16_t *v)
{
    if (c->left < 2 || c->left - 2 < off)
        return false;
    *v = (uint16_t)((c->p[off] << 8) | c->p[off + 1]);
    return true;
}

/* Limit the cursor to the first n bytes (a declared length); never grows it. */
static inline void nvg_cur_limit(struct nvg_cursor *c, size_t n)
{
    if (n < c->left)
        c->left = n;
}

#endif
