/* The sensor's disk spool. See spool.h for the format and the contract. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "spool-internal.h"

/* ---- files -------------------------------------------------------------------------------- */

void nvg__spool_seg_name(char *buf, size_t size, uint64_t num, bool corrupt)
{
    snprintf(buf, size, SEG_PREFIX "%016" PRIx64 SEG_SUFFIX "%s", num, corrupt ? ".corrupt" : "");
}

int nvg__spool_open_seg(struct nvg_spool *sp, uint64_t num, int flags)
{
    char name[64];
    nvg__spool_seg_name(name, sizeof(name), num, false);
    return openat(sp->dirfd, name, flags | O_CLOEXEC, 0600);
}

bool nvg__spool_pread(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return true;
}

static bool full_write(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void write_pos(struct nvg_spool *sp, uint64_t num, uint64_t off)
{
    uint8_t b[POS_BYTES] = {0};
    put64(b, num);
    put64(b + 8, off);
    put32(b + 16, crc(b, 16, 0));
    /* One pwrite of 24 bytes in one page: a killed sensor leaves the old or the new one. */
    if (sp->posfd >= 0 && pwrite(sp->posfd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
        sp->st.write_errors++;
}

static void make_header(const struct nvg_spool *sp, uint64_t boot, uint8_t *h)
{
    memset(h, 0, NVG_SPOOL_HEADER_BYTES);
    memcpy(h, MAGIC, 8);
    put32(h + 8, VERSION);
    put32(h + 12, NVG_SPOOL_HEADER_BYTES);
    put64(h + 16, boot);
    put64(h + 24, (uint64_t)nvg_clock_wall_ns());
    size_t n = strlen(sp->sensor);
    put32(h + 32, (uint32_t)n);
    memcpy(h + 36, sp->sensor, n);
    put32(h + 124, crc(h, 124, 0));
}

/* ---- the segment list --------------------------------------------------------------------- */

struct seg *nvg__spool_add_seg(struct nvg_spool *sp)
{
    if (sp->nsegs == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 16;
        struct seg *v = realloc(sp->segs, cap * sizeof(*v));
        if (!v)
            return NULL;
        sp->segs = v;
        sp->cap = cap;
    }
    struct seg *s = &sp->segs[sp->nsegs++];
    memset(s, 0, sizeof(*s));
    return s;
}

void nvg__spool_set_aside(struct nvg_spool *sp, uint64_t num, const char *why)
{
    char from[64], to[72];
    nvg__spool_seg_name(from, sizeof(from), num, false);
    nvg__spool_seg_name(to, sizeof(to), num, true);
    sp->st.set_aside++;
    if (renameat(sp->dirfd, from, sp->dirfd, to) != 0)
        nvg_log(NVG_LOG_ERR, "spool %s: cannot set %s aside (%s): %s", sp->dir, from, why,
                strerror(errno));
    else
        nvg_log(NVG_LOG_WARNING, "spool %s: %s set aside as %s: %s", sp->dir, from, to, why);
}

/* segs[0] has been replayed to its end and is not being appended to: delete or set aside. */
static void retire_head(struct nvg_spool *sp)
{
    struct seg *s = &sp->segs[0];
    if (sp->rfd >= 0 && sp->rfd_num == s->num) {
        close(sp->rfd);
        sp->rfd = -1;
    }
    sp->st.bytes -= s->end <= sp->st.bytes ? s->end : sp->st.bytes;
    if (s->corrupt) {
        nvg__spool_set_aside(sp, s->num, "damaged after its last valid frame");
    } else {
        char name[64];
        nvg__spool_seg_name(name, sizeof(name), s->num, false);
        if (unlinkat(sp->dirfd, name, 0) != 0)
            nvg_log(NVG_LOG_WARNING, "spool %s: cannot delete %s: %s", sp->dir, name,
                    strerror(errno));
    }
    memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*sp->segs));
    sp->nsegs--;
}

/* Whether segs[0] is the segment this process appends to (more frames may come). */
static bool head_is_tail(const struct nvg_spool *sp)
{
    return sp->wfd >= 0 && sp->nsegs == 1;
}

void nvg__spool_reap(struct nvg_spool *sp)
{
    while (sp->nsegs > 0 && sp->segs[0].read >= sp->segs[0].end && !head_is_tail(sp))
        retire_head(sp);
}

/* ---- open / close ------------------------------------------------------------------------- */

static uint64_t segment_size(const struct nvg_spool_opts *o, uint64_t max)
{
    uint64_t s = o->segment_bytes ? o->segment_bytes : max / 4;
    if (s < SEG_MIN)
        s = SEG_MIN;
    return s > NVG_SPOOL_SEGMENT_MAX ? NVG_SPOOL_SEGMENT_MAX : s;
}

static int open_dir(struct nvg_spool *sp, char *err)
{
    if (mkdir(sp->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, NVG_ERRBUF_SIZE, "spool %s: cannot create it: %s", sp->dir, strerror(errno));
        return NVG_EIO;
    }
    sp->dirfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sp->dirfd < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "spool %s: %s", sp->dir, strerror(errno));
        return NVG_EIO;
    }
    sp->posfd = openat(sp->dirfd, POS_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (sp->posfd < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "spool %s: cannot open %s: %s", sp->dir, POS_FILE,
                 strerror(errno));
        return NVG_EIO;
    }
    return 0;
}

struct nvg_spool *nvg_spool_open(const struct nvg_spool_opts *o, char *err)
{
    if (!o || !o->dir || !o->sensor || strlen(o->sensor) > NVG_NAME_MAX || !o->sensor[0]) {
        snprintf(err, NVG_ERRBUF_SIZE, "spool: a directory and a sensor name are required");
        return NULL;
    }
    struct nvg_spool *sp = calloc(1, sizeof(*sp));
    if (!sp) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    sp->dirfd = sp->wfd = sp->rfd = sp->posfd = -1;
    sp->max_bytes = o->max_bytes ? o->max_bytes : NVG_SPOOL_SIZE_DEFAULT;
    sp->seg_max = segment_size(o, sp->max_bytes);
    sp->frame_max = o->frame_max ? o->frame_max : DEFAULT_FRAME_MAX;
    sp->rl_write = NVG_RATELOG_INIT(WARN_MS);
    sp->rl_drop = NVG_RATELOG_INIT(WARN_MS);
    snprintf(sp->sensor, sizeof(sp->sensor), "%s", o->sensor);
    sp->dir = strdup(o->dir);
    sp->stage = malloc(NVG_SPOOL_STAGE_BYTES);
    sp->rbuf = malloc(sp->frame_max);
    if (!sp->dir || !sp->stage || !sp->rbuf) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        nvg_spool_close(sp);
        return NULL;
    }
    /* Touched now, so that the first batch spooled takes no page faults on the capture path. */
    memset(sp->stage, 0, NVG_SPOOL_STAGE_BYTES);
    if (open_dir(sp, err) != 0 || nvg__spool_recover(sp, err) != 0) {
        nvg_spool_close(sp);
        return NULL;
    }
    return sp;
}

void nvg_spool_close(struct nvg_spool *sp)
{
    if (!sp)
        return;
    if (sp->stage_len && nvg_spool_write(sp) != 0)
        nvg_log(NVG_LOG_ERR, "spool %s: %" PRIu64 " staged bytes could not be written", sp->dir,
                (uint64_t)sp->stage_len);
    if (sp->wfd >= 0)
        close(sp->wfd);
    if (sp->rfd >= 0)
        close(sp->rfd);
    if (sp->posfd >= 0)
        close(sp->posfd);
    if (sp->dirfd >= 0)
        close(sp->dirfd);
    free(sp->segs);
    free(sp->stage);
    free(sp->rbuf);
    free(sp->dir);
    free(sp);
}

int nvg_spool_chown(struct nvg_spool *sp, uid_t uid, gid_t gid, char *err)
{
    bool ok = fchown(sp->dirfd, uid, gid) == 0 && fchown(sp->posfd, uid, gid) == 0;
    for (size_t i = 0; ok && i < sp->nsegs; i++) {
        char name[64];
        nvg__spool_seg_name(name, sizeof(name), sp->segs[i].num, false);
        ok = fchownat(sp->dirfd, name, uid, gid, 0) == 0;
    }
    if (!ok) {
        snprintf(err, NVG_ERRBUF_SIZE, "spool %s: cannot hand it to uid %u: %s", sp->dir,
                 (unsigned)uid, strerror(errno));
        return NVG_EPERM;
    }
    return 0;
}

/* ---- appending ---------------------------------------------------------------------------- */

bool nvg_spool_empty(const struct nvg_spool *sp)
{
    return sp->st.batches == 0;
}

bool nvg_spool_head_boot(const struct nvg_spool *sp, uint64_t *boot_id)
{
    for (size_t i = 0; i < sp->nsegs; i++) {
        if (sp->segs[i].batches) {
            *boot_id = sp->segs[i].boot;
            return true;
        }
    }
    if (sp->stage_len == 0)
        return false;
    *boot_id = get64(sp->stage); /* nothing on disk: the oldest staged one */
    return true;
}

static int refuse(struct nvg_spool *sp, uint32_t records, int rc)
{
    sp->st.dropped_batches++;
    sp->st.dropped_records += records;
    if (nvg_ratelog_allow(&sp->rl_drop, nvg_clock_mono_ms(), NULL))
        nvg_log(NVG_LOG_WARNING,
                "spool %s %s: dropped %" PRIu64 " batches (%" PRIu64 " records) so far", sp->dir,
                rc == NVG_EAGAIN ? "cannot write fast enough" : "full", sp->st.dropped_batches,
                sp->st.dropped_records);
    return rc;
}

int nvg_spool_append(struct nvg_spool *sp, uint64_t boot_id, uint64_t seq, uint32_t records,
                     uint32_t flows, const void *data, size_t len)
{
    uint64_t frame = NVG_SPOOL_FRAME_HEADER + (uint64_t)len;
    bool new_seg =
        !sp->tail_open || sp->tail_boot != boot_id ||
        (sp->tail_bytes + frame > sp->seg_max && sp->tail_bytes > NVG_SPOOL_HEADER_BYTES);
    uint64_t need = frame + (new_seg ? NVG_SPOOL_HEADER_BYTES : 0);
    if (len > sp->frame_max || sp->st.bytes + need > sp->max_bytes)
        return refuse(sp, records, NVG_ETOOBIG);
    if (sp->stage_len + STAGE_PREFIX + frame > NVG_SPOOL_STAGE_BYTES)
        return refuse(sp, records, NVG_EAGAIN);
    uint8_t *p = sp->stage + sp->stage_len;
    put64(p, boot_id);
    put32(p + 8, new_seg);
    put32(p + 12, (uint32_t)frame);
    uint8_t *h = p + STAGE_PREFIX;
    put32(h, (uint32_t)len);
    put32(h + 4, 0); /* computed by the writer, off the per-packet path */
    put64(h + 8, seq);
    put32(h + 16, records);
    put32(h + 20, flows);
    memcpy(h + NVG_SPOOL_FRAME_HEADER, data, len);
    sp->stage_len += STAGE_PREFIX + (size_t)frame;
    if (new_seg) {
        sp->tail_open = true;
        sp->tail_boot = boot_id;
        sp->tail_bytes = NVG_SPOOL_HEADER_BYTES;
    }
    sp->tail_bytes += frame;
    sp->st.bytes += need;
    sp->st.batches++;
    sp->st.records += records;
    sp->st.spooled++;
    return 0;
}

/* A new segment file for boot, with its header; it becomes the one appended to. */
static int start_segment(struct nvg_spool *sp, uint64_t boot)
{
    uint8_t h[NVG_SPOOL_HEADER_BYTES];
    make_header(sp, boot, h);
    int fd = nvg__spool_open_seg(sp, sp->next_num, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (fd < 0)
        return NVG_EIO;
    struct seg *s = nvg__spool_add_seg(sp);
    if (!s || !full_write(fd, h, sizeof(h))) {
        if (s)
            sp->nsegs--;
        close(fd);
        char name[64];
        nvg__spool_seg_name(name, sizeof(name), sp->next_num, false);
        unlinkat(sp->dirfd, name, 0);
        return NVG_EIO;
    }
    *s = (struct seg){.num = sp->next_num++,
                      .boot = boot,
                      .end = NVG_SPOOL_HEADER_BYTES,
                      .read = NVG_SPOOL_HEADER_BYTES};
    if (sp->wfd >= 0)
        close(sp->wfd);
    sp->wfd = fd;
    return 0;
}

/* Writes one staged frame at p (its prefix first); false when the write failed. */
static bool write_staged(struct nvg_spool *sp, uint8_t *p)
{
    uint64_t boot = get64(p);
    bool new_seg = get32(p + 8) != 0;
    uint32_t frame = get32(p + 12);
    uint8_t *h = p + STAGE_PREFIX;
    if ((new_seg || sp->wfd < 0) && start_segment(sp, boot) != 0)
        return false;
    put32(p + 8, 0); /* the segment exists now, whatever happens to the frame */
    struct seg *s = &sp->segs[sp->nsegs - 1];
    uint32_t len = get32(h);
    put32(h + 4, frame_crc(h, h + NVG_SPOOL_FRAME_HEADER, len));
    if (!full_write(sp->wfd, h, frame)) {
        /* A partial frame would read as torn: take it back and try again later. */
        if (ftruncate(sp->wfd, (off_t)s->end) != 0)
            nvg_log(NVG_LOG_ERR, "spool %s: cannot take back a partial write: %s", sp->dir,
                    strerror(errno));
        return false;
    }
    s->end += frame;
    s->batches++;
    s->records += get32(h + 16);
    return true;
}

int nvg_spool_write(struct nvg_spool *sp)
{
    size_t done = 0;
    int rc = 0;
    while (done < sp->stage_len) {
        uint8_t *p = sp->stage + done;
        if (!write_staged(sp, p)) {
            int e = errno;
            sp->st.write_errors++;
            nvg_ratelog_log(&sp->rl_write, nvg_clock_mono_ms(), NVG_LOG_ERR,
                            "spool %s: write failed (%s); the batches stay staged and are tried "
                            "again",
                            sp->dir, strerror(e));
            rc = NVG_EIO;
            break;
        }
        done += STAGE_PREFIX + get32(p + 12);
    }
    if (done) {
        memmove(sp->stage, sp->stage + done, sp->stage_len - done);
        sp->stage_len -= done;
    }
    nvg__spool_reap(sp);
    return rc;
}

/* ---- replay ------------------------------------------------------------------------------- */

/* segs[0] is damaged where its next frame should be: what is left of it is lost. */
static void drop_rest(struct nvg_spool *sp, struct seg *s, const char *why)
{
    nvg_log(NVG_LOG_ERR,
            "spool %s: segment %016" PRIx64 " at byte %" PRIu64 ": %s; its last %" PRIu64
            " batches are lost",
            sp->dir, s->num, s->read, why, s->batches);
    count_cut(sp, s->batches, s->records, s->end - s->read);
    sp->st.batches -= s->batches;
    sp->st.records -= s->records;
    s->batches = s->records = 0;
    s->read = s->end;
    s->corrupt = true;
}

/* Reads the frame at segs[0].read into rbuf; false when it is damaged (then handled). */
static bool read_frame(struct nvg_spool *sp, struct seg *s)
{
    if (sp->rfd < 0 || sp->rfd_num != s->num) {
        if (sp->rfd >= 0)
            close(sp->rfd);
        sp->rfd = nvg__spool_open_seg(sp, s->num, O_RDONLY);
        sp->rfd_num = s->num;
        if (sp->rfd < 0) {
            drop_rest(sp, s, strerror(errno));
            return false;
        }
    }
    uint8_t h[NVG_SPOOL_FRAME_HEADER];
    uint32_t len = 0;
    bool ok = nvg__spool_pread(sp->rfd, h, sizeof(h), s->read) &&
              (len = get32(h)) <= sp->frame_max && s->read + sizeof(h) + len <= s->end &&
              nvg__spool_pread(sp->rfd, sp->rbuf, len, s->read + sizeof(h)) &&
              frame_crc(h, sp->rbuf, len) == get32(h + 4);
    if (!ok) {
        drop_rest(sp, s, "unreadable or its CRC fails");
        return false;
    }
    sp->frame = (struct nvg_spool_frame){.boot_id = s->boot,
                                         .seq = get64(h + 8),
                                         .records = get32(h + 16),
                                         .flows = get32(h + 20),
                                         .data = sp->rbuf,
                                         .len = len};
    return true;
}

int nvg_spool_peek(struct nvg_spool *sp, struct nvg_spool_frame *f)
{
    if (!sp->have_frame) {
        nvg__spool_reap(sp);
        for (;;) {
            if (sp->nsegs == 0 || sp->segs[0].read >= sp->segs[0].end)
                return 0;
            if (read_frame(sp, &sp->segs[0]))
                break;
            nvg__spool_reap(sp);
        }
        sp->have_frame = true;
    }
    *f = sp->frame;
    return 1;
}

void nvg_spool_pop(struct nvg_spool *sp)
{
    if (!sp->have_frame)
        return;
    struct seg *s = &sp->segs[0];
    uint64_t frame = NVG_SPOOL_FRAME_HEADER + sp->frame.len;
    s->read += frame;
    s->batches--;
    s->records -= sp->frame.records;
    sp->st.batches--;
    sp->st.records -= sp->frame.records;
    sp->st.replayed++;
    sp->have_frame = false;
    write_pos(sp, s->num, s->read);
    nvg__spool_reap(sp);
}

void nvg_spool_get_stats(const struct nvg_spool *sp, struct nvg_spool_stats *st)
{
    *st = sp->st;
}

const char *nvg_spool_dir(const struct nvg_spool *sp)
{
    return sp->dir;
}
