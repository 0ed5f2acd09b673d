#include "nvg-outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvg-error.h"

struct nvg_outbuf {
    int fd;
    int err; /* errno of the last failed write, 0 when fine */
    size_t len;
    size_t cap;
    char *buf;
};

struct nvg_outbuf *nvg_outbuf_new(int fd, size_t cap)
{
    struct nvg_outbuf *ob = calloc(1, sizeof(*ob));
    if (!ob)
        return NULL;
    ob->buf = malloc(cap);
    if (!ob->buf) {
        free(ob);
        return NULL;
    }
    ob->fd = fd;
    ob->cap = cap;
    return ob;
}

void nvg_outbuf_free(struct nvg_outbuf *ob)
{
    if (!ob)
        return;
    free(ob->buf);
    free(ob);
}

int nvg_outbuf_flush(struct nvg_outbuf *ob)
{
    size_t done = 0;
    while (done < ob->len) {
        ssize_t n = write(ob->fd, ob->buf + done, ob->len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ob->err = errno;
            break;
        }
        done += (size_t)n;
    }
    /* Keep what was not written at the front, so a later flush (after space was freed, say)
     * can still deliver it. */
    if (done > 0 && done < ob->len)
        memmove(ob->buf, ob->buf + done, ob->len - done);
    ob->len -= done;
    if (ob->len > 0)
        return NVG_EIO;
    ob->err = 0;
    return 0;
}

char *nvg_outbuf_reserve(struct nvg_outbuf *ob, size_t n)
{
    if (n > ob->cap)
        return NULL;
    if (ob->cap - ob->len < n && nvg_outbuf_flush(ob) < 0)
        return NULL;
    return ob->buf + ob->len;
}

void nvg_outbuf_commit(struct nvg_outbuf *ob, size_t n)
{
    ob->len += n;
}

int nvg_outbuf_write(struct nvg_outbuf *ob, const void *data, size_t n)
{
    if (n > ob->cap) {
        int rc = nvg_outbuf_flush(ob);
        if (rc < 0)
            return rc;
        const char *p = data;
        while (n > 0) {
            ssize_t w = write(ob->fd, p, n);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                ob->err = errno;
                return NVG_EIO;
            }
            p += w;
            n -= (size_t)w;
        }
        return 0;
    }
    char *dst = nvg_outbuf_reserve(ob, n);
    if (!dst)
        return NVG_EIO;
    memcpy(dst, data, n);
    ob->len += n;
    return 0;
}

int nvg_outbuf_errno(const struct nvg_outbuf *ob)
{
    return ob->err;
}

size_t nvg_outbuf_pending(const struct nvg_outbuf *ob)
{
    return ob->len;
}
