/* See retention.h. */
#include "retention.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "collector-options.h"
#include "nvg-detect.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-ratelog.h"

#define OPEN_MAX_FILES 16 /* writers with a file open: five logs, room for more */
#define LIST_EVERY_MS 10000
#define HYST_MIN (64u << 10)
#define NAME_MAX_LEN 200
#define FLOOR_LOGS 2

static const char *const prefixes[] = {"packets", "rates", "audit", "alerts", "flows"};

enum kind { PLAIN, ZST, GZ, TMP };

struct file {
    char name[NAME_MAX_LEN];
    char stamp[17];
    uint64_t n, size;
    int64_t mtime_s;
    enum kind kind;
    bool open;
};

struct nvg_retention {
    char *dir;
    struct nvg_retention_limits limits;
    enum nvg_compress compress;
    struct {
        const struct nvg_csv_writer *w;
        char name[NAME_MAX_LEN];
    } open[OPEN_MAX_FILES];
    bool started, list_due;
    int64_t next_list_ms;
    struct nvg_alerts *alerts;
    struct nvg_csv_writer *floor_logs[FLOOR_LOGS];
    uint64_t failed_seen[FLOOR_LOGS]; /* their rows_failed when last looked at, below the floor */
    uint64_t alert_id, episode_rows;
    struct nvg_compressor *z;
    struct nvg_ratelog rl_delete, rl_floor, rl_stat;
    uint64_t deleted_unlogged, deleted_unlogged_bytes;
    struct nvg_retention_stats stats;
};

/* ---- which files are ours ---------------------------------------------------------------- */

/* PREFIX-YYYYMMDDTHHMMSSZ-N.csv[.zst|.gz][.tmp], as csv-writer names them. */
static bool parse_name(const char *s, struct file *f)
{
    size_t len = strlen(s);
    if (len >= sizeof(f->name))
        return false;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t pl = strlen(prefixes[i]);
        if (strncmp(s, prefixes[i], pl) != 0 || s[pl] != '-' || len < pl + 1 + 16 + 2 + 4 ||
            s[pl + 17] != '-')
            continue;
        char *end;
        errno = 0;
        unsigned long long num = strtoull(s + pl + 18, &end, 10);
        if (errno || end == s + pl + 18 || strncmp(end, ".csv", 4) != 0)
            return false;
        const char *ext = end + 4;
        f->kind = !*ext                                                 ? PLAIN
                  : !strcmp(ext, ".zst")                                ? ZST
                  : !strcmp(ext, ".gz")                                 ? GZ
                  : !strcmp(ext, ".zst.tmp") || !strcmp(ext, ".gz.tmp") ? TMP
                                                                        : (enum kind) - 1;
        if ((int)f->kind < 0)
            return false;
        memcpy(f->stamp, s + pl + 1, 16);
        f->stamp[16] = '\0';
        f->n = num;
        memcpy(f->name, s, len + 1);
        return true;
    }
    return false;
}

static int cmp_age(const void *a, const void *b)
{
    const struct file *x = a, *y = b;
    int c = strcmp(x->stamp, y->stamp);
    if (c)
        return c;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void on_file(void *ud, const struct nvg_csv_writer *w, enum nvg_csv_file_event ev,
                    const char *path)
{
    struct nvg_retention *r = ud;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int slot = -1;
    for (int i = 0; i < OPEN_MAX_FILES; i++)
        if (r->open[i].w == w || (slot < 0 && !r->open[i].w && ev == NVG_CSV_OPENED))
            slot = i;
    if (ev == NVG_CSV_ROTATED)
        r->list_due = true;
    if (slot < 0)
        return;
    if (ev == NVG_CSV_OPENED) {
        r->open[slot].w = w;
        snprintf(r->open[slot].name, sizeof(r->open[slot].name), "%s", base);
    } else if (ev == NVG_CSV_CLOSED) {
        r->open[slot].w = NULL;
        r->open[slot].name[0] = '\0';
    }
}

static bool is_open(const struct nvg_retention *r, const char *name)
{
    for (int i = 0; i < OPEN_MAX_FILES; i++)
        if (r->open[i].w && strcmp(r->open[i].name, name) == 0)
            return true;
    return false;
}

/* Our files, oldest first; NULL with *n 0 when there are none or memory is short. */
static struct file *list_files(struct nvg_retention *r, size_t *n)
{
    *n = 0;
    DIR *d = opendir(r->dir);
    if (!d)
        return NULL;
    struct file *v = NULL, f;
    size_t cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!parse_name(e->d_name, &f))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (*n == cap) {
            struct file *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        f.size = (uint64_t)st.st_size;
        f.mtime_s = st.st_mtim.tv_sec;
        f.open = is_open(r, f.name);
        v[(*n)++] = f;
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_age);
    return v;
}

/* ---- deleting and compressing ------------------------------------------------------------ */

static void deleted(struct nvg_retention *r, const struct file *f, const char *why, int64_t now_ms)
{
    r->stats.files_deleted++;
    r->stats.bytes_deleted += f->size;
    r->deleted_unlogged++;
    r->deleted_unlogged_bytes += f->size;
    if (!nvg_ratelog_allow(&r->rl_delete, now_ms, NULL))
        return;
    nvg_log(NVG_LOG_NOTICE,
            "retention: deleted %s (%s); %" PRIu64 " file(s), %" PRIu64
            " bytes deleted since the last such message",
            f->name, why, r->deleted_unlogged, r->deleted_unlogged_bytes);
    r->deleted_unlogged = r->deleted_unlogged_bytes = 0;
}

static bool remove_file(struct nvg_retention *r, struct file *f, const char *why, int64_t now_ms)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", r->dir, f->name);
    if (unlink(path) != 0) {
        if (errno != ENOENT)
            nvg_ratelog_log(&r->rl_stat, now_ms, NVG_LOG_ERR, "retention: cannot delete %s: %s",
                            path, strerror(errno));
        return false;
    }
    deleted(r, f, why, now_ms);
    return true;
}

/* A crash mid-compression: the copy is incomplete, the original (kept) is queued again. */
static void drop_leftover(struct nvg_retention *r, const struct file *f)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", r->dir, f->name);
    if (unlink(path) == 0)
        nvg_log(NVG_LOG_WARNING,
                "removed %s, left by a compression that did not finish; "
                "its original is kept and compressed again",
                path);
}

static void apply_limits(struct nvg_retention *r, struct file *v, size_t n, uint64_t *total,
                         int64_t now_ms)
{
    const struct nvg_retention_limits *l = &r->limits;
    int64_t now_s = now_ms / 1000;
    for (size_t i = 0; l->retain_time_s && i < n; i++)
        if (!v[i].open && v[i].kind != TMP && now_s - v[i].mtime_s > l->retain_time_s &&
            remove_file(r, &v[i], "older than --retain-time", now_ms)) {
            *total -= v[i].size;
            v[i].size = 0;
            v[i].kind = TMP; /* gone: skipped below */
        }
    for (size_t i = 0; l->retain_size && *total > l->retain_size && i < n; i++)
        if (!v[i].open && v[i].kind != TMP && remove_file(r, &v[i], "over --retain-size", now_ms)) {
            *total -= v[i].size;
            v[i].kind = TMP;
        }
}

static void queue_compression(struct nvg_retention *r, const struct file *v, size_t n)
{
    for (size_t i = 0; r->z && i < n; i++) {
        if (v[i].open || v[i].kind != PLAIN)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", r->dir, v[i].name);
        nvg_compressor_push(r->z, path); /* full: the next listing offers it again */
    }
}

static void list_and_apply(struct nvg_retention *r, int64_t now_ms, bool startup)
{
    r->list_due = false;
    r->next_list_ms = now_ms + LIST_EVERY_MS;
    size_t n;
    struct file *v = list_files(r, &n);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].kind == TMP && startup)
            drop_leftover(r, &v[i]);
        if (v[i].kind != TMP)
            total += v[i].size;
    }
    apply_limits(r, v, n, &total, now_ms);
    queue_compression(r, v, n);
    uint64_t files = 0;
    for (size_t i = 0; i < n; i++)
        files += v[i].kind != TMP;
    r->stats.dir_files = files;
    r->stats.dir_bytes = total;
    free(v);
}

/* ---- the free-space floor ---------------------------------------------------------------- */

static void disk_alert(struct nvg_retention *r, enum nvg_alert_event ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void disk_alert(struct nvg_retention *r, enum nvg_alert_event ev, const char *fmt, ...)
{
    struct nvg_alert a;
    memset(&a, 0, sizeof(a));
    a.id = r->alert_id;
    a.event = (uint8_t)ev;
    a.severity = NVG_SEV_CRITICAL;
    a.detector = NVG_DET_DISK;
    a.first_ns = a.last_ns = (int64_t)time(NULL) * 1000000000LL;
    a.count = r->episode_rows;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a.summary, sizeof(a.summary), fmt, ap);
    va_end(ap);
    r->alert_id = nvg_alerts_emit_own(r->alerts, &a);
    nvg_log(ev == NVG_ALERT_START ? NVG_LOG_ERR : NVG_LOG_NOTICE, "%s", a.summary);
}

static void set_refusing(struct nvg_retention *r, bool on)
{
    for (int i = 0; i < FLOOR_LOGS; i++)
        if (r->floor_logs[i]) {
            nvg_csv_writer_set_refusing(r->floor_logs[i], on);
            r->failed_seen[i] = nvg_csv_writer_rows_failed(r->floor_logs[i]);
        }
    r->stats.below_floor = on;
}

/* Rows the logs refused since the last look: below the floor every refusal is the floor's. */
static void count_refused(struct nvg_retention *r)
{
    for (int i = 0; i < FLOOR_LOGS; i++) {
        if (!r->floor_logs[i])
            continue;
        uint64_t f = nvg_csv_writer_rows_failed(r->floor_logs[i]);
        if (f > r->failed_seen[i]) {
            r->stats.rows_refused += f - r->failed_seen[i];
            r->episode_rows += f - r->failed_seen[i];
        }
        r->failed_seen[i] = f;
    }
}

static void check_floor(struct nvg_retention *r, int64_t now_ms)
{
    struct statvfs vfs;
    if (statvfs(r->dir, &vfs) != 0) {
        nvg_ratelog_log(&r->rl_stat, now_ms, NVG_LOG_ERR, "statvfs %s: %s", r->dir,
                        strerror(errno));
        return;
    }
    uint64_t size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    const struct nvg_retention_limits *l = &r->limits;
    uint64_t floor =
        l->min_free_pct > 0 ? (uint64_t)((double)size * l->min_free_pct / 100) : l->min_free_bytes;
    uint64_t hyst = floor / 20 > HYST_MIN ? floor / 20 : HYST_MIN;
    r->stats.free_bytes = avail;
    r->stats.floor_bytes = floor;
    if (r->stats.below_floor)
        count_refused(r);
    if (!r->stats.below_floor && floor && avail < floor) {
        set_refusing(r, true);
        r->stats.floor_episodes++;
        r->episode_rows = 0;
        r->alert_id = 0;
        disk_alert(r, NVG_ALERT_START,
                   "free space on %.60s is %" PRIu64 " KiB, below the floor of %" PRIu64
                   " KiB (--min-free): packet and flow rows are not written",
                   r->dir, avail >> 10, floor >> 10);
    } else if (r->stats.below_floor && (!floor || avail >= floor + hyst)) {
        set_refusing(r, false);
        disk_alert(r, NVG_ALERT_END,
                   "free space on %.60s is back to %" PRIu64 " KiB: writing again; %" PRIu64
                   " row(s) were not written below the floor",
                   r->dir, avail >> 10, r->episode_rows);
    } else if (r->stats.below_floor) {
        nvg_ratelog_log(&r->rl_floor, now_ms, NVG_LOG_ERR,
                        "%s: below the free-space floor (%" PRIu64 " KiB free, floor %" PRIu64
                        " KiB): %" PRIu64 " row(s) not written so far",
                        r->dir, avail >> 10, floor >> 10, r->episode_rows);
    }
}

/* ---- the module -------------------------------------------------------------------------- */

struct nvg_retention *nvg_retention_new(const struct nvg_retention_config *cfg, char *err)
{
    struct nvg_retention *r = calloc(1, sizeof(*r));
    if (!r || !(r->dir = strdup(cfg->dir))) {
        free(r);
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    r->limits = cfg->limits;
    r->compress = cfg->compress;
    r->rl_delete = NVG_RATELOG_INIT(1000);
    r->rl_floor = NVG_RATELOG_INIT(10000);
    r->rl_stat = NVG_RATELOG_INIT(10000);
    nvg_csv_writer_set_file_hook(on_file, r);
    return r;
}

struct nvg_retention *nvg_retention_from_options(const struct nvg_collector_options *o, char *err)
{
    struct nvg_retention_config rc = {
        .dir = o->out_dir,
        .limits = {o->retain_size, o->retain_time_s, o->min_free_pct, o->min_free_bytes},
        .compress = (enum nvg_compress)o->compress,
    };
    return nvg_retention_new(&rc, err);
}

int nvg_retention_start(struct nvg_retention *r, struct nvg_alerts *alerts,
                        struct nvg_csv_writer *packets, struct nvg_csv_writer *flows)
{
    r->alerts = alerts;
    r->floor_logs[0] = packets;
    r->floor_logs[1] = flows;
    int rc = 0;
    if (r->compress != NVG_COMPRESS_NONE) {
        char err[NVG_ERRBUF_SIZE];
        r->z = nvg_compressor_new(r->compress, err);
        if (!r->z) {
            nvg_log(NVG_LOG_ERR, "--compress: %s; files stay uncompressed", err);
            rc = NVG_ENOMEM;
        }
    }
    r->started = true;
    int64_t now = (int64_t)time(NULL) * 1000;
    list_and_apply(r, now, true);
    check_floor(r, now);
    return rc;
}

void nvg_retention_tick(struct nvg_retention *r, int64_t now_ms)
{
    if (!r || !r->started)
        return;
    check_floor(r, now_ms);
    if (r->list_due || now_ms >= r->next_list_ms || now_ms < r->next_list_ms - LIST_EVERY_MS)
        list_and_apply(r, now_ms, false);
    if (r->z) {
        struct nvg_compress_counts k;
        nvg_compressor_counts(r->z, &k);
        r->stats.files_compressed = k.files;
        r->stats.compress_failures = k.failures;
        r->stats.compress_bytes_in = k.bytes_in;
        r->stats.compress_bytes_out = k.bytes_out;
        r->stats.compress_queued = k.queued;
    }
}

void nvg_retention_set_limits(struct nvg_retention *r, const struct nvg_retention_limits *l)
{
    r->limits = *l;
    r->list_due = true;
    if (l->min_free_pct > 0)
        nvg_log(NVG_LOG_NOTICE,
                "retention limits: size %" PRIu64 " bytes, time %" PRId64 " s, floor %.3g%%",
                l->retain_size, l->retain_time_s, l->min_free_pct);
    else
        nvg_log(NVG_LOG_NOTICE,
                "retention limits: size %" PRIu64 " bytes, time %" PRId64 " s, floor %" PRIu64
                " bytes",
                l->retain_size, l->retain_time_s, l->min_free_bytes);
}

const struct nvg_retention_stats *nvg_retention_stats(const struct nvg_retention *r)
{
    return &r->stats;
}

const struct nvg_retention_limits *nvg_retention_limits(const struct nvg_retention *r)
{
    return &r->limits;
}

enum nvg_compress nvg_retention_method(const struct nvg_retention *r)
{
    return r->compress;
}

void nvg_retention_free(struct nvg_retention *r)
{
    if (!r)
        return;
    nvg_compressor_free(r->z);
    if (r->stats.below_floor) {
        count_refused(r);
        set_refusing(r, false);
        disk_alert(r, NVG_ALERT_END,
                   "collector stopping below the free-space floor of %.60s; %" PRIu64
                   " row(s) were not written",
                   r->dir, r->episode_rows);
    }
    nvg_csv_writer_set_file_hook(NULL, NULL);
    free(r->dir);
    free(r);
}
