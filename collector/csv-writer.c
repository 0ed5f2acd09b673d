#define _GNU_SOURCE /* memrchr */
#include "csv-writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-outbuf.h"

struct nvg_csv_writer {
    struct nvg_csv_writer_config cfg;
    char *dir;
    char *prefix;
    char *header;
    char path[4096];
    int fd;
    struct nvg_outbuf *ob;
    uint64_t file_bytes; /* written + buffered for the current file */
    int64_t opened_ms;
    int64_t last_flush_ms;
    int64_t last_err_log_ms;
    uint64_t files; /* files opened so far; also the -N in the name */
    bool in_group;
    uint64_t rows_in, rows_refused, rows_dropped;
    uint64_t committed_total, flushed_total;
    uint64_t rotations; /* files closed complete and replaced by a new one */
    int64_t last_sync_log_ms;
    bool unsynced; /* a flush wrote without fdatasync since the last one with it */
    bool refusing;
};

static nvg_csv_file_fn file_hook;
static void *file_hook_ud;

void nvg_csv_writer_set_file_hook(nvg_csv_file_fn fn, void *ud)
{
    file_hook = fn;
    file_hook_ud = ud;
}

static void file_event(const struct nvg_csv_writer *w, enum nvg_csv_file_event ev, const char *path)
{
    if (file_hook)
        file_hook(file_hook_ud, w, ev, path);
}

/* The file's name inside dir. */
static const char *base_name(const struct nvg_csv_writer *w)
{
    const char *slash = strrchr(w->path, '/');
    return slash ? slash + 1 : w->path;
}

static int64_t wall_ms(void);
static int flush_now(struct nvg_csv_writer *w, int64_t now_ms, bool sync);

/* A new file gets its header at once, so the first durable point of a file is known before
 * any row can reach it (crash recovery cuts back to it). A failed write keeps the header
 * buffered for the next flush. */
static void write_header(struct nvg_csv_writer *w)
{
    size_t hlen = strlen(w->header);
    nvg_outbuf_write(w->ob, w->header, hlen);
    w->file_bytes = hlen;
    w->committed_total += hlen;
    flush_now(w, wall_ms(), true);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A compressed copy of an older file with this name (retention.h): a restart in the second of
 * that file's name must not reuse it, or its compression would replace the older copy. */
static bool compressed_exists(const char *path)
{
    static const char *const sfx[] = {".zst", ".gz"};
    for (size_t i = 0; i < 2; i++) {
        char alt[4200];
        struct stat st;
        snprintf(alt, sizeof(alt), "%s%s", path, sfx[i]);
        if (lstat(alt, &st) == 0)
            return true;
    }
    return false;
}

/* Open the next file, O_EXCL so a restarted collector never appends to (or truncates) an
 * older file that happens to have the same second in its name. */
static int open_next(struct nvg_csv_writer *w, char *err)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    for (int tries = 0; tries < 1000; tries++) {
        w->files++;
        snprintf(w->path, sizeof(w->path), "%s/%s-%s-%llu.csv", w->dir, w->prefix, stamp,
                 (unsigned long long)w->files);
        int fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 && compressed_exists(w->path)) {
            close(fd);
            unlink(w->path);
            continue;
        }
        if (fd >= 0) {
            w->fd = fd;
            w->file_bytes = 0;
            w->opened_ms = wall_ms();
            file_event(w, NVG_CSV_OPENED, w->path);
            return 0;
        }
        if (errno != EEXIST) {
            if (err)
                snprintf(err, NVG_ERRBUF_SIZE, "%.400s: %s", w->path, strerror(errno));
            return NVG_EIO;
        }
    }
    if (err)
        snprintf(err, NVG_ERRBUF_SIZE, "%.400s: too many files with the same name", w->path);
    return NVG_EIO;
}

static int start_file(struct nvg_csv_writer *w, char *err)
{
    int rc = open_next(w, err);
    if (rc < 0)
        return rc;
    if (w->ob) {
        nvg_outbuf_free(w->ob);
        w->ob = NULL;
    }
    w->ob = nvg_outbuf_new(w->fd, w->cfg.buffer_size);
    if (w->ob)
        nvg_outbuf_set_whole(w->ob, w->cfg.on_durable != NULL);
    if (!w->ob) {
        if (err)
            snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NVG_ENOMEM;
    }
    write_header(w);
    return 0;
}

struct nvg_csv_writer *nvg_csv_writer_new(const struct nvg_csv_writer_config *cfg, char *err)
{
    struct nvg_csv_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->cfg = *cfg;
    if (w->cfg.buffer_size < 64 * 1024)
        w->cfg.buffer_size = 64 * 1024;
    w->fd = -1;
    w->dir = strdup(cfg->dir);
    w->prefix = strdup(cfg->prefix);
    w->header = strdup(cfg->header);
    if (!w->dir || !w->prefix || !w->header || start_file(w, err) < 0) {
        nvg_csv_writer_free(w);
        return NULL;
    }
    w->last_flush_ms = wall_ms();
    return w;
}

static void log_write_error(struct nvg_csv_writer *w, int64_t now_ms)
{
    if (now_ms - w->last_err_log_ms < 1000)
        return;
    w->last_err_log_ms = now_ms;
    int e = nvg_outbuf_errno(w->ob);
    nvg_log(NVG_LOG_ERR, "writing %s failed: %s (%zu bytes kept for retry)", w->path,
            e ? strerror(e) : "the buffer is full", nvg_outbuf_pending(w->ob));
}

/* Rows of the buffer (lines), less the header while it is still there. */
static uint64_t pending_rows(const struct nvg_csv_writer *w, const char **first)
{
    size_t pending = nvg_outbuf_pending(w->ob);
    const char *p = nvg_outbuf_data(w->ob), *end = p + pending;
    uint64_t rows = 0;
    if (pending && w->file_bytes - pending < strlen(w->header)) {
        /* The header never made it: it is the first line, not a row. */
        const char *nl = memchr(p, '\n', pending);
        p = nl ? nl + 1 : end;
    }
    if (first)
        *first = p;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        rows++;
        p++;
    }
    return rows;
}

/* Outside a group only (a group is never split between the file and the buffer). With an
 * owner: its record of the new length is prepared first, the data synced after, then the
 * record made current; see csv-writer.h. */
static int flush_now(struct nvg_csv_writer *w, int64_t now_ms, bool sync)
{
    if (w->in_group)
        return 0;
    size_t pending = nvg_outbuf_pending(w->ob);
    bool hook = w->cfg.on_durable != NULL;
    if (hook && w->cfg.on_durable(w->cfg.on_durable_ud, NVG_CSV_PREPARE, sync, base_name(w),
                                  w->file_bytes) < 0)
        return NVG_EIO; /* the owner logged why */
    if (nvg_outbuf_flush(w->ob) < 0) {
        log_write_error(w, now_ms);
        return NVG_EIO;
    }
    w->flushed_total += pending;
    if (!hook)
        return 0;
    /* The record about to name this length must not outlive the rows across a power loss. */
    bool to_sync = pending || w->unsynced;
    w->unsynced = sync ? false : to_sync;
    if (sync && to_sync && fdatasync(w->fd) != 0 && now_ms - w->last_sync_log_ms >= 1000) {
        w->last_sync_log_ms = now_ms;
        nvg_log(NVG_LOG_ERR, "fdatasync %s: %s", w->path, strerror(errno));
    }
    w->cfg.on_durable(w->cfg.on_durable_ud, NVG_CSV_DURABLE, sync, base_name(w), w->file_bytes);
    return 0;
}

int nvg_csv_writer_flush(struct nvg_csv_writer *w)
{
    if (!w)
        return 0;
    int64_t now = wall_ms();
    w->last_flush_ms = now;
    return flush_now(w, now, true);
}

void nvg_csv_writer_free(struct nvg_csv_writer *w)
{
    if (!w)
        return;
    if (w->ob) {
        w->in_group = false;
        if (flush_now(w, wall_ms(), true) < 0 && nvg_outbuf_pending(w->ob) > 0) {
            /* The file ends on its last whole row (nvg_outbuf cuts a torn one back); the rows
             * still buffered are lost: say how many. */
            size_t pending = nvg_outbuf_pending(w->ob);
            uint64_t rows = pending_rows(w, NULL);
            w->rows_dropped += rows;
            nvg_log(NVG_LOG_ERR,
                    "closing %s: %zu bytes (%" PRIu64 " rows) could not be written: %s; "
                    "they are lost",
                    w->path, pending, rows,
                    nvg_outbuf_errno(w->ob) ? strerror(nvg_outbuf_errno(w->ob))
                                            : "its durable point could not be saved");
        }
        nvg_outbuf_free(w->ob);
    }
    if (w->fd >= 0) {
        close(w->fd);
        file_event(w, NVG_CSV_CLOSED, w->path);
    }
    free(w->dir);
    free(w->prefix);
    free(w->header);
    free(w);
}

uint64_t nvg_csv_writer_drop_pending(struct nvg_csv_writer *w, nvg_csv_row_fn fn, void *ud)
{
    if (!w)
        return 0;
    const char *p;
    uint64_t rows = pending_rows(w, &p);
    size_t pending = nvg_outbuf_pending(w->ob);
    const char *end = nvg_outbuf_data(w->ob) + pending;
    while (fn && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        fn(ud, p, (size_t)(nl - p));
        p = nl + 1;
    }
    w->rows_dropped += rows;
    w->file_bytes -= pending;
    w->committed_total -= pending;
    nvg_outbuf_discard(w->ob);
    return rows;
}

void nvg_csv_writer_begin_group(struct nvg_csv_writer *w, size_t max_bytes)
{
    if (!w)
        return;
    if (max_bytes > w->cfg.buffer_size)
        max_bytes = w->cfg.buffer_size; /* cannot be kept whole: at least start empty */
    size_t pending = nvg_outbuf_pending(w->ob);
    if (pending && w->cfg.buffer_size - pending < max_bytes)
        flush_now(w, wall_ms(), false); /* on a boundary: the last chance before the group */
    w->in_group = true;
}

void nvg_csv_writer_end_group(struct nvg_csv_writer *w)
{
    if (!w)
        return;
    w->in_group = false;
}

char *nvg_csv_writer_reserve(struct nvg_csv_writer *w, size_t n)
{
    if (!w)
        return NULL;
    /* Outside a group every row is a boundary: flush here (with the owner's record) rather
     * than inside nvg_outbuf. Inside a group never: a row that finds no room is refused. */
    if (w->refusing)
        return NULL; /* the free-space floor: counted by the caller, logged by retention */
    size_t pending = nvg_outbuf_pending(w->ob);
    if (n > w->cfg.buffer_size || (w->in_group && w->cfg.buffer_size - pending < n)) {
        log_write_error(w, wall_ms());
        return NULL;
    }
    if (pending && w->cfg.buffer_size - pending < n)
        flush_now(w, wall_ms(), false);
    char *p = nvg_outbuf_reserve(w->ob, n);
    if (!p)
        log_write_error(w, wall_ms());
    return p;
}

void nvg_csv_writer_commit(struct nvg_csv_writer *w, size_t n)
{
    nvg_outbuf_commit(w->ob, n);
    w->file_bytes += n;
    w->committed_total += n;
}

/* Only after everything reached the old file: a file is closed complete or not at all. */
static void rotate(struct nvg_csv_writer *w)
{
    if (nvg_csv_writer_flush(w) < 0)
        return;
    int old_fd = w->fd;
    char old_path[sizeof(w->path)];
    memcpy(old_path, w->path, sizeof(old_path));
    char err[NVG_ERRBUF_SIZE];
    if (open_next(w, err) < 0) {
        nvg_log(NVG_LOG_ERR, "rotating %s: %s; keeping the current file", old_path, err);
        w->fd = old_fd;
        memcpy(w->path, old_path, sizeof(old_path));
        w->opened_ms = wall_ms(); /* retry at the next interval, not in a tight loop */
        return;
    }
    close(old_fd);
    file_event(w, NVG_CSV_ROTATED, old_path);
    nvg_outbuf_free(w->ob);
    w->ob = nvg_outbuf_new(w->fd, w->cfg.buffer_size);
    if (!w->ob)
        abort(); /* a few MiB at rotation time; nothing sensible is left to do */
    nvg_outbuf_set_whole(w->ob, w->cfg.on_durable != NULL);
    write_header(w);
    w->rotations++;
    nvg_log(NVG_LOG_INFO, "rotated %s -> %s", old_path, w->path);
}

void nvg_csv_writer_maybe_rotate(struct nvg_csv_writer *w)
{
    if (!w)
        return;
    if (w->cfg.rotate_size && w->file_bytes >= w->cfg.rotate_size)
        rotate(w);
}

void nvg_csv_writer_set_rotation(struct nvg_csv_writer *w, uint64_t size, int64_t interval_s)
{
    if (!w)
        return;
    w->cfg.rotate_size = size;
    w->cfg.rotate_interval_s = interval_s;
}

void nvg_csv_writer_tick(struct nvg_csv_writer *w, int64_t now_ms)
{
    if (!w)
        return;
    if (w->cfg.rotate_interval_s && now_ms - w->opened_ms >= w->cfg.rotate_interval_s * 1000 &&
        w->file_bytes > strlen(w->header)) {
        rotate(w);
        return;
    }
    if (now_ms - w->last_flush_ms >= 1000 || now_ms < w->last_flush_ms)
        nvg_csv_writer_flush(w);
}

const char *nvg_csv_writer_path(const struct nvg_csv_writer *w)
{
    return w ? w->path : "";
}

const char *nvg_csv_writer_prefix(const struct nvg_csv_writer *w)
{
    return w ? w->prefix : "";
}

void nvg_csv_writer_set_refusing(struct nvg_csv_writer *w, bool refusing)
{
    if (!w)
        return;
    w->refusing = refusing;
}

size_t nvg_csv_writer_buffer_size(const struct nvg_csv_writer *w)
{
    return w ? w->cfg.buffer_size : 0;
}

void nvg_csv_writer_count_rows(struct nvg_csv_writer *w, uint64_t written, uint64_t failed)
{
    if (!w)
        return;
    w->rows_in += written;
    w->rows_refused += failed;
}

uint64_t nvg_csv_writer_rows_pending(const struct nvg_csv_writer *w)
{
    return w ? pending_rows(w, NULL) : 0;
}

uint64_t nvg_csv_writer_rows_written(const struct nvg_csv_writer *w)
{
    if (!w)
        return 0;
    uint64_t gone = w->rows_dropped + pending_rows(w, NULL);
    return w->rows_in > gone ? w->rows_in - gone : 0;
}

uint64_t nvg_csv_writer_rows_failed(const struct nvg_csv_writer *w)
{
    return w ? w->rows_refused + w->rows_dropped : 0;
}

uint64_t nvg_csv_writer_committed_bytes(const struct nvg_csv_writer *w)
{
    return w ? w->committed_total : 0;
}

uint64_t nvg_csv_writer_flushed_bytes(const struct nvg_csv_writer *w)
{
    return w ? w->flushed_total : 0;
}

/* Cut one file back to its last '\n'. Returns 1 when it was cut, 0 when fine, <0 on error. */
static int repair_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return NVG_EIO;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        char buf[4096];
        off_t end = st.st_size;
        while (end > 0) {
            off_t start = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
            ssize_t n = pread(fd, buf, (size_t)(end - start), start);
            if (n <= 0) {
                rc = NVG_EIO;
                break;
            }
            char *nl = memrchr(buf, '\n', (size_t)n);
            if (nl) {
                end = start + (nl - buf) + 1;
                break;
            }
            end = start;
        }
        if (rc == 0 && end < st.st_size) {
            rc = ftruncate(fd, end) == 0 ? 1 : NVG_EIO;
            if (rc == 1)
                nvg_log(NVG_LOG_WARNING, "%s ended in a torn line (crash?): cut %lld bytes", path,
                        (long long)(st.st_size - end));
        }
    }
    close(fd);
    return rc;
}

int nvg_csv_repair_dir(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t plen = strlen(prefix);
    int repaired = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < plen + 5 || strncmp(e->d_name, prefix, plen) != 0 || e->d_name[plen] != '-' ||
            strcmp(e->d_name + len - 4, ".csv") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (repair_file(path) == 1)
            repaired++;
    }
    closedir(d);
    return repaired;
}

int64_t nvg_csv_cut_back(const char *dir, const char *prefix, const char *name, uint64_t length)
{
    size_t plen = strlen(prefix), len = strlen(name);
    /* Only a plain name of our own files: the state file is input too. */
    if (len < plen + 5 || strncmp(name, prefix, plen) != 0 || name[plen] != '-' ||
        strcmp(name + len - 4, ".csv") != 0 || strchr(name, '/'))
        return NVG_EINVAL;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : NVG_EIO;
    struct stat st;
    int64_t cut = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        cut = NVG_EIO;
    } else if ((uint64_t)st.st_size < length) {
        nvg_log(NVG_LOG_WARNING,
                "%s: %" PRIu64 " bytes shorter than the saved sequence positions say (a power "
                "loss after the last synced flush?): rows counted as received are missing",
                path, length - (uint64_t)st.st_size);
        cut = NVG_ETRUNC;
    } else if ((uint64_t)st.st_size > length) {
        if (ftruncate(fd, (off_t)length) == 0) {
            cut = (int64_t)((uint64_t)st.st_size - length);
            nvg_log(NVG_LOG_WARNING,
                    "%s: cut %" PRId64 " bytes written after the last saved "
                    "sequence positions (their batches count as lost)",
                    path, cut);
        } else {
            cut = NVG_EIO;
        }
    }
    close(fd);
    return cut;
}

uint64_t nvg_csv_writer_rotations(const struct nvg_csv_writer *w)
{
    return w ? w->rotations : 0;
}
