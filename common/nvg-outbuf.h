/* A large output buffer in front of a file descriptor: rows are formatted straight into it and
 * written with few, large write(2) calls. Write errors (a full disk, a closed pipe) are kept and
 * reported; a failed flush keeps the unwritten bytes so nothing is silently lost. The contents
 * are lines: when a write to a regular file stops short inside a line, the file is cut back to
 * its last whole line and that line stays buffered, so the file never ends in a torn line.
 * In whole mode (nvg_outbuf_set_whole) a flush that stops short is undone entirely: the file
 * keeps the length it had before the flush, so it only ever ends where a flush ended. */
#ifndef NVG_OUTBUF_H
#define NVG_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct nvg_outbuf;

/* fd is borrowed (not closed by _free). cap is the buffer size in bytes. */
struct nvg_outbuf *nvg_outbuf_new(int fd, size_t cap);
void nvg_outbuf_free(struct nvg_outbuf *ob);

/* Room for at least n more bytes, flushing first if needed; NULL when a flush failed. */
char *nvg_outbuf_reserve(struct nvg_outbuf *ob, size_t n);
/* Count n bytes written at the pointer _reserve returned. */
void nvg_outbuf_commit(struct nvg_outbuf *ob, size_t n);
int nvg_outbuf_write(struct nvg_outbuf *ob, const void *data, size_t n);
/* Write everything buffered; 0 or a negative NVG_E* (errno kept in nvg_outbuf_errno). */
int nvg_outbuf_flush(struct nvg_outbuf *ob);
int nvg_outbuf_errno(const struct nvg_outbuf *ob);
size_t nvg_outbuf_pending(const struct nvg_outbuf *ob);
/* The pending bytes (nvg_outbuf_pending of them), e.g. to count the lines a failed close
 * loses. */
const char *nvg_outbuf_data(const struct nvg_outbuf *ob);
/* Whole mode: a flush writes all that is buffered or (on a regular file) nothing. */
void nvg_outbuf_set_whole(struct nvg_outbuf *ob, bool whole);
/* Forget what is buffered (its loss is the caller's to count). */
void nvg_outbuf_discard(struct nvg_outbuf *ob);

#endif
