/* The sensor's disk spool. See spool.h for the format and the contract. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-ratelog.h"
#include "nvg-text.h"

#define MAGIC "NVGSPOOL"
#define VERSION 1
#define NAME_BYTES 64
#define POS_FILE "replay.pos"
#define POS_BYTES 24
#define SEG_PREFIX "seg-"
#define SEG_SUFFIX ".nvgspool"
#define SEG_MIN ((uint64_t)64 << 10)
#define DEFAULT_FRAME_MAX ((size_t)2 << 20)
/* What staging keeps in front of each frame: the boot id and whether a segment starts here. */
#define STAGE_PREFIX 16
#define WARN_MS 10000

struct seg {
    uint64_t num, boot;
    uint64_t end;              /* bytes of header and whole, valid frames */
    uint64_t read;             /* offset of the next frame to replay */
    uint64_t batches, records; /* not replayed yet */
    bool corrupt;              /* damage after end: set aside once replayed */
};

struct nvg_spool {
    char *dir;
    int dirfd;
    char sensor[NVG_NAME_MAX + 1];
    uint64_t max_bytes, seg_max;
    size_t frame_max;
    struct seg *segs; /* oldest first */
    size_t nsegs, cap;
    int wfd;           /* the newest segment, open for append; -1: none this process */
    int rfd;           /* segs[0], open for replay; -1: none */
    uint64_t rfd_num;
    int posfd;
    uint64_t next_num;
    uint8_t *stage;
    size_t stage_len;
    bool tail_open; /* the accounting's view of the newest segment, staging included */
    uint64_t tail_boot, tail_bytes;
    uint8_t *rbuf;
    bool have_frame;
    struct nvg_spool_frame frame;
    struct nvg_spool_stats st;
    struct nvg_ratelog rl_write, rl_drop;
};

/* ---- little-endian fields -------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t crc(const uint8_t *p, size_t n, uint32_t seed)
{
    return (uint32_t)crc32(seed, p, (uInt)n);
}

/* The CRC of a frame: its header after the CRC field, then the payload. */
static uint32_t frame_crc(const uint8_t *hdr, const uint8_t *payload, size_t len)
{
    uint32_t c = crc(hdr + 8, NVG_SPOOL_FRAME_HEADER - 8, 0);
    return crc(payload, len, c);
}

/* ---- files -------------------------------------------------------------------------------- */

static void seg_name(char *buf, size_t size, uint64_t num, bool corrupt)
{
    snprintf(buf, size, SEG_PREFIX "%016" PRIx64 SEG_SUFFIX "%s", num, corrupt ? ".corrupt" : "");
}

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

static int open_seg(struct nvg_spool *sp, uint64_t num, int flags)
{
    char name[64];
    seg_name(name, sizeof(name), num, false);
    return openat(sp->dirfd, name, flags | O_CLOEXEC, 0600);
}

static bool full_pread(int fd, void *buf, size_t n, uint64_t off)
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

static bool read_pos(struct nvg_spool *sp, uint64_t *num, uint64_t *off)
{
    uint8_t b[POS_BYTES];
    if (sp->posfd < 0 || !full_pread(sp->posfd, b, sizeof(b), 0) ||
        get32(b + 16) != crc(b, 16, 0))
        return false;
    *num = get64(b);
    *off = get64(b + 8);
    return true;
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

/* The header's boot id and sensor name; false when it is not a version-1 header of ours. */
static bool parse_header(const uint8_t *h, uint64_t *boot, char name[NAME_BYTES + 1])
{
    uint32_t n = get32(h + 32);
    if (memcmp(h, MAGIC, 8) != 0 || get32(h + 8) != VERSION ||
        get32(h + 12) != NVG_SPOOL_HEADER_BYTES || get32(h + 124) != crc(h, 124, 0) ||
        n == 0 || n > NVG_NAME_MAX)
        return false;
    *boot = get64(h + 16);
    memcpy(name, h + 36, n);
    name[n] = '\0';
    return true;
}

/* ---- the segment list --------------------------------------------------------------------- */

static struct seg *add_seg(struct nvg_spool *sp)
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

static void set_aside(struct nvg_spool *sp, uint64_t num, const char *why)
{
    char from[64], to[72];
    seg_name(from, sizeof(from), num, false);
    seg_name(to, sizeof(to), num, true);
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
        set_aside(sp, s->num, "damaged after its last valid frame");
    } else {
        char name[64];
        seg_name(name, sizeof(name), s->num, false);
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

static void reap(struct nvg_spool *sp)
{
    while (sp->nsegs > 0 && sp->segs[0].read >= sp->segs[0].end && !head_is_tail(sp))
        retire_head(sp);
}

/* ---- recovery ----------------------------------------------------------------------------- */

/* What the walk of one segment found. */
struct walk {
    uint64_t end, batches, records;
    uint64_t done_batches, done_records; /* before the replay position */
    bool at_boundary;                    /* the replay position is a frame's start or the end */
    bool torn, corrupt;
    uint32_t torn_records; /* of the torn frame, when its header was whole */
};

/* Checks the frame at off (its header in h); false, with w->torn or w->corrupt, when bad. */
static bool check_frame(struct nvg_spool *sp, int fd, uint64_t size, uint64_t off,
                        const uint8_t *h, struct walk *w)
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
    if (!full_pread(fd, sp->rbuf, len, off + NVG_SPOOL_FRAME_HEADER) ||
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
        if (size - off < NVG_SPOOL_FRAME_HEADER || !full_pread(fd, h, sizeof(h), off)) {
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

static void count_cut(struct nvg_spool *sp, uint64_t batches, uint64_t records, uint64_t bytes)
{
    sp->st.cut_batches += batches;
    sp->st.cut_records += records;
    sp->st.cut_bytes += bytes;
}

/* Where replay starts in segment num, after the walk: replay.pos names the segment replayed
 * last and how far. A position that is not a frame boundary (a damaged replay.pos) replays
 * the segment from its start, which may repeat batches: said so. */
static uint64_t replay_start(struct nvg_spool *sp, uint64_t num, uint64_t pos_num,
                             uint64_t pos_off, struct walk *w)
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
static int check_header(struct nvg_spool *sp, int fd, uint64_t num, uint64_t size,
                        uint64_t *boot, char *err)
{
    uint8_t h[NVG_SPOOL_HEADER_BYTES];
    char name[NAME_BYTES + 1];
    if (size < sizeof(h) || !full_pread(fd, h, sizeof(h), 0) || !parse_header(h, boot, name)) {
        count_cut(sp, 0, 0, size);
        set_aside(sp, num, "not a netvigil spool segment header (version 1)");
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
    int fd = open_seg(sp, num, O_RDWR);
    struct stat stb;
    if (fd < 0 || fstat(fd, &stb) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "spool %s: cannot open segment %016" PRIx64 ": %s",
                 sp->dir, num, strerror(errno));
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
    struct seg *s = add_seg(sp);
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

static int recover(struct nvg_spool *sp, char *err)
{
    uint64_t pos_num = 0, pos_off = 0;
    if (!read_pos(sp, &pos_num, &pos_off))
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
        reap(sp); /* what earlier runs replayed to the end */
    return rc;
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
    if (open_dir(sp, err) != 0 || recover(sp, err) != 0) {
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
        seg_name(name, sizeof(name), sp->segs[i].num, false);
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
    bool new_seg = !sp->tail_open || sp->tail_boot != boot_id ||
                   (sp->tail_bytes + frame > sp->seg_max &&
                    sp->tail_bytes > NVG_SPOOL_HEADER_BYTES);
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
    int fd = open_seg(sp, sp->next_num, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (fd < 0)
        return NVG_EIO;
    struct seg *s = add_seg(sp);
    if (!s || !full_write(fd, h, sizeof(h))) {
        if (s)
            sp->nsegs--;
        close(fd);
        char name[64];
        seg_name(name, sizeof(name), sp->next_num, false);
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
    reap(sp);
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
        sp->rfd = open_seg(sp, s->num, O_RDONLY);
        sp->rfd_num = s->num;
        if (sp->rfd < 0) {
            drop_rest(sp, s, strerror(errno));
            return false;
        }
    }
    uint8_t h[NVG_SPOOL_FRAME_HEADER];
    uint32_t len = 0;
    bool ok = full_pread(sp->rfd, h, sizeof(h), s->read) && (len = get32(h)) <= sp->frame_max &&
              s->read + sizeof(h) + len <= s->end &&
              full_pread(sp->rfd, sp->rbuf, len, s->read + sizeof(h)) &&
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
        reap(sp);
        for (;;) {
            if (sp->nsegs == 0 || sp->segs[0].read >= sp->segs[0].end)
                return 0;
            if (read_frame(sp, &sp->segs[0]))
                break;
            reap(sp);
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
    reap(sp);
}

void nvg_spool_get_stats(const struct nvg_spool *sp, struct nvg_spool_stats *st)
{
    *st = sp->st;
}

const char *nvg_spool_dir(const struct nvg_spool *sp)
{
    return sp->dir;
}
