/* The spool's recovery at open: every segment read through, its CRCs checked, a torn tail cut,
 * damage set aside, the replay position applied. See spool.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvg-error.h"
#include "nvg-log.h"
#include "spool-internal.h"

static bool parse_seg_name(const char *name, uint64_t *num)
{
    size_t n = strlen(name);
    size_t want = strlen(SEG_PREFIX) + 16 + strlen(SEG_SUFFIX);
    if (n != want || strncmp(name, SEG_PREFIX, strlen(SEG_PREFIX)) != 0 ||
        strcmp(name + n - strlen(SEG_SUFFIX), SEG_SUFFIX) != 0)
        return false;
    uint64_t v = 0;
    for (const char *c = name + strlen(SEG_PREFIX); c < name + strlen(SEG_PREFIX) + 16; c++) {
        int d = *c >= '0' && *c <= '9' ? *c - '0' : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *num = v;
    return true;
}

static bool read_pos(struct nvg_spool *sp, uint64_t *num, uint64_t *off)
{
    uint8_t b[POS_BYTES];
    if (sp->posfd < 0 || !nvg__spool_pread(sp->posfd, b, sizeof(b), 0) ||
        get32(b + 16) != crc(b, 16, 0))
        return false;
    *num = get64(b);
    *off = get64(b + 8);
    return true;
}

/* The header's boot id and sensor name; false when it is not a version-1 header of ours. */
static bool parse_header(const uint8_t *h, uint64_t *boot, char name[NAME_BYTES + 1])
{
    uint32_t n = get32(h + 32);
    if (memcmp(h, MAGIC, 8) != 0 || get32(h + 8) != VERSION ||
        get32(h + 12) != NVG_SPOOL_HEADER_BYTES || get32(h + 124) != crc(h, 124, 0) || n == 0 ||
        n > NVG_NAME_MAX)
        return false;
    *boot = get64(h + 16);
    memcpy(name, h + 36, n);
    name[n] = '\0';
    return true;
}

/* What the walk of one segment found. */
struct walk {
    uint64_t end, batches, records;
    uint64_t done_batches, done_records; /* before the replay position */
    bool at_boundary;                    /* the replay position is a frame's start or the end */
    bool torn, corrupt;
    uint32_t torn_records; /* of the torn frame, when its header was whole */
};

/* Checks the frame at off (its header in h); false, with w->torn or w->corrupt, when bad. */
static bool check_frame(struct nvg_spool *sp, int fd, uint64_t size, uint64_t off, const uint8_t *h,
                        struct walk *w)
{
    uint32_t len = get32(h);
    if (len > sp->frame_max) {
        w->corrupt = true; /* a length we never write: no telling where the next one is */
        return false;
    }
    w->torn_records = get32(h + 16);
    if (size - off - NVG_SPOOL_FRAME_HEADER < len) {
        w->torn = true;
        return false;
    }
    if (!nvg__spool_pread(fd, sp->rbuf, len, off + NVG_SPOOL_FRAME_HEADER) ||
        frame_crc(h, sp->rbuf, len) != get32(h + 4)) {
        bool last = off + NVG_SPOOL_FRAME_HEADER + len == size;
        w->torn = last;
        w->corrupt = !last;
        return false;
    }
    return true;
}

/* Reads a segment frame by frame from its header on, checking every CRC. */
static void walk_frames(struct nvg_spool *sp, int fd, uint64_t size, uint64_t pos_off,
                        struct walk *w)
{
    uint64_t off = NVG_SPOOL_HEADER_BYTES;
    *w = (struct walk){0};
    uint8_t h[NVG_SPOOL_FRAME_HEADER];
    while (off < size) {
        if (off == pos_off)
            w->at_boundary = true;
        if (size - off < NVG_SPOOL_FRAME_HEADER || !nvg__spool_pread(fd, h, sizeof(h), off)) {
            w->torn = true;
            w->torn_records = 0;
            break;
        }
        if (!check_frame(sp, fd, size, off, h, w))
            break;
        w->batches++;
        w->records += get32(h + 16);
        if (off < pos_off) {
            w->done_batches++;
            w->done_records += get32(h + 16);
        }
        off += NVG_SPOOL_FRAME_HEADER + get32(h);
    }
    w->end = off;
    if (pos_off == off)
        w->at_boundary = true;
}

/* Where replay starts in segment num, after the walk: replay.pos names the segment replayed
 * last and how far. A position that is not a frame boundary (a damaged replay.pos) replays
 * the segment from its start, which may repeat batches: said so. */
static uint64_t replay_start(struct nvg_spool *sp, uint64_t num, uint64_t pos_num, uint64_t pos_off,
                             struct walk *w)
{
    if (num > pos_num)
        return NVG_SPOOL_HEADER_BYTES;
    if (num < pos_num || pos_off >= w->end) {
        w->batches = w->records = 0;
        return w->end;
    }
    if (!w->at_boundary) {
        nvg_log(NVG_LOG_WARNING,
                "spool %s: replay position %" PRIu64 " in segment %016" PRIx64
                " is not a batch boundary: replaying the segment from its start (the collector "
                "may see some batches twice)",
                sp->dir, pos_off, num);
        return NVG_SPOOL_HEADER_BYTES;
    }
    w->batches -= w->done_batches;
    w->records -= w->done_records;
    return pos_off;
}

static void cut_tail(struct nvg_spool *sp, int fd, uint64_t num, uint64_t size,
                     const struct walk *w)
{
    count_cut(sp, 1, w->torn_records, size - w->end);
    nvg_log(NVG_LOG_WARNING,
            "spool %s: segment %016" PRIx64 " ends in a torn batch (%" PRIu64
            " bytes, %u records; the sensor was killed mid-write?): cut off",
            sp->dir, num, size - w->end, w->torn_records);
    if (ftruncate(fd, (off_t)w->end) != 0)
        nvg_log(NVG_LOG_ERR, "spool %s: cannot cut segment %016" PRIx64 ": %s", sp->dir, num,
                strerror(errno));
}

/* The header of segment num (open as fd): 1 when it is ours, 0 when it was set aside, or an
 * error (another sensor's spool) with the reason in err. */
static int check_header(struct nvg_spool *sp, int fd, uint64_t num, uint64_t size, uint64_t *boot,
                        char *err)
{
    uint8_t h[NVG_SPOOL_HEADER_BYTES];
    char name[NAME_BYTES + 1];
    if (size < sizeof(h) || !nvg__spool_pread(fd, h, sizeof(h), 0) ||
        !parse_header(h, boot, name)) {
        count_cut(sp, 0, 0, size);
        nvg__spool_set_aside(sp, num, "not a netvigil spool segment header (version 1)");
        return 0;
    }
    if (strcmp(name, sp->sensor) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "spool %s holds the batches of sensor '%s', not of '%s': give this sensor a "
                 "--spool directory of its own",
                 sp->dir, name, sp->sensor);
        return NVG_EINVAL;
    }
    return 1;
}

/* One segment found at open: checked, its torn tail cut, added to the list (or set aside). */
static int recover_seg(struct nvg_spool *sp, uint64_t num, uint64_t pos_num, uint64_t pos_off,
                       char *err)
{
    int fd = nvg__spool_open_seg(sp, num, O_RDWR);
    struct stat stb;
    if (fd < 0 || fstat(fd, &stb) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "spool %s: cannot open segment %016" PRIx64 ": %s", sp->dir,
                 num, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NVG_EIO;
    }
    uint64_t size = (uint64_t)stb.st_size, boot = 0;
    int rc = check_header(sp, fd, num, size, &boot, err);
    if (rc <= 0) {
        close(fd);
        return rc;
    }
    struct walk w;
    walk_frames(sp, fd, size, num == pos_num ? pos_off : 0, &w);
    if (w.torn)
        cut_tail(sp, fd, num, size, &w);
    close(fd);
    if (w.corrupt) {
        count_cut(sp, 0, 0, size - w.end);
        nvg_log(NVG_LOG_WARNING,
                "spool %s: segment %016" PRIx64 " is damaged at byte %" PRIu64
                ": the batches before it are replayed, then it is set aside",
                sp->dir, num, w.end);
    }
    uint64_t read = replay_start(sp, num, pos_num, pos_off, &w);
    struct seg *s = nvg__spool_add_seg(sp);
    if (!s) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NVG_ENOMEM;
    }
    *s = (struct seg){.num = num,
                      .boot = boot,
                      .end = w.end,
                      .read = read,
                      .batches = w.batches,
                      .records = w.records,
                      .corrupt = w.corrupt};
    sp->st.bytes += s->end;
    sp->st.batches += s->batches;
    sp->st.records += s->records;
    sp->st.recovered_batches += s->batches;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The segment numbers in DIR, sorted; NULL with *n = 0 when there are none. */
static uint64_t *list_segs(struct nvg_spool *sp, size_t *n, char *err)
{
    int fd = dup(sp->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        snprintf(err, NVG_ERRBUF_SIZE, "spool %s: %s", sp->dir, strerror(errno));
        return NULL;
    }
    uint64_t *v = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t num;
        if (!parse_seg_name(e->d_name, &num))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        v[(*n)++] = num;
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_u64);
    return v;
}

int nvg__spool_recover(struct nvg_spool *sp, char *err)
{
    uint64_t pos_num = 0, pos_off = 0;
    /* Numbers start at 1 and are never reused while replay.pos may name one. */
    sp->next_num = 1;
    if (read_pos(sp, &pos_num, &pos_off))
        sp->next_num = pos_num + 1;
    else
        pos_num = pos_off = 0;
    size_t n = 0;
    err[0] = '\0';
    uint64_t *nums = list_segs(sp, &n, err);
    if (!nums && err[0])
        return NVG_EIO;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = recover_seg(sp, nums[i], pos_num, pos_off, err);
        if (nums[i] >= sp->next_num)
            sp->next_num = nums[i] + 1;
    }
    free(nums);
    if (rc == 0)
        nvg__spool_reap(sp); /* what earlier runs replayed to the end */
    return rc;
}
