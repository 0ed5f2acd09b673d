#define _GNU_SOURCE /* memrchr */
#include "nvg-outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvg-error.h"

struct nvg_outbuf {
    int fd;
    int err; /* errno of the last failed write, 0 when fine */
    bool whole;
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

/* A write that stopped short (a full disk takes what fits, then fails) may have ended inside a
 * line. For a regular file, cut the file back to the end of the last whole line written and
 * count only that much as done: the file never ends in a torn line, and the rest (which starts
 * on a line) stays buffered for the retry. A pipe or terminal keeps what it got. */
static size_t cut_torn_line(struct nvg_outbuf *ob, size_t done)
{
    if (done == 0 || ob->buf[done - 1] == '\n')
        return done;
    struct stat st;
    if (fstat(ob->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return done;
    const char *nl = memrchr(ob->buf, '\n', done);
    size_t keep = nl ? (size_t)(nl - ob->buf) + 1 : 0;
    off_t end = lseek(ob->fd, 0, SEEK_CUR);
    if (end < (off_t)(done - keep))
        return done;
    off_t cut = end - (off_t)(done - keep);
    if (ftruncate(ob->fd, cut) != 0 || lseek(ob->fd, cut, SEEK_SET) != cut)
        return done;
    return keep;
}

/* Whole mode: undo the part of a flush that went out, so the file ends where the last complete
 * flush ended (a group boundary the writer's owner recorded). When the cut itself fails, fall
 * back to the line rule: what stays in the file then is counted as written. */
static size_t undo_partial(struct nvg_outbuf *ob, size_t done)
{
    struct stat st;
    if (done == 0 || fstat(ob->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return done;
    off_t end = lseek(ob->fd, 0, SEEK_CUR);
    if (end < (off_t)done)
        return cut_torn_line(ob, done);
    off_t cut = end - (off_t)done;
    if (ftruncate(ob->fd, cut) != 0 || lseek(ob->fd, cut, SEEK_SET) != cut)
        return cut_torn_line(ob, done);
    return 0;
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
    if (done < ob->len)
        done = ob->whole ? undo_partial(ob, done) : cut_torn_line(ob, done);
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

const char *nvg_outbuf_data(const struct nvg_outbuf *ob)
{
    return ob->buf;
}

size_t nvg_outbuf_pending(const struct nvg_outbuf *ob)
{
    return ob->len;
}

void nvg_outbuf_set_whole(struct nvg_outbuf *ob, bool whole)
{
    ob->whole = whole;
}

void nvg_outbuf_discard(struct nvg_outbuf *ob)
{
    ob->len = 0;
}
