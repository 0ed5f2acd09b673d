/* The compression worker of retention.h: one thread, a bounded queue of closed files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "nvg-error.h"
#include "nvg-log.h"
#include "retention.h"

#define QUEUE_MAX 32
#define IN_CHUNK (256u << 10)
#define ZSTD_LEVEL 3 /* zstd's default: ~3-5x on CSV at hundreds of MB/s */
#define WORKER_STACK (512u << 10)

struct nvg_compressor {
    enum nvg_compress method;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stop;
    char queue[QUEUE_MAX][PATH_MAX];
    size_t head, n;                    /* under mu */
    char current[PATH_MAX];            /* being compressed; under mu */
    struct nvg_compress_counts counts; /* under mu */
};

const char *nvg_compress_suffix(enum nvg_compress method)
{
    return method == NVG_COMPRESS_ZSTD ? ".zst" : method == NVG_COMPRESS_GZIP ? ".gz" : "";
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return NVG_EIO;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* in -> out as one zstd frame. */
static int zstd_stream(int in, int out, char *buf, uint64_t *wrote)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t ocap = ZSTD_CStreamOutSize();
    char *obuf = malloc(ocap);
    int rc = cc && obuf ? 0 : NVG_ENOMEM;
    if (rc == 0)
        ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, ZSTD_LEVEL);
    for (bool last = false; rc == 0 && !last;) {
        ssize_t n = read(in, buf, IN_CHUNK);
        if (n < 0) {
            rc = errno == EINTR ? 0 : NVG_EIO;
            continue;
        }
        last = n == 0;
        ZSTD_inBuffer ib = {buf, (size_t)n, 0};
        size_t left;
        do {
            ZSTD_outBuffer ob = {obuf, ocap, 0};
            left = ZSTD_compressStream2(cc, &ob, &ib, last ? ZSTD_e_end : ZSTD_e_continue);
            if (ZSTD_isError(left) || write_all(out, obuf, ob.pos) < 0)
                rc = NVG_EIO;
            *wrote += ob.pos;
        } while (rc == 0 && (last ? left != 0 : ib.pos < ib.size));
    }
    ZSTD_freeCCtx(cc);
    free(obuf);
    return rc;
}

/* in -> out as one gzip member (RFC 1952), what gzip and Python's gzip read. */
static int gzip_stream(int in, int out, char *buf, uint64_t *wrote)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NVG_ENOMEM;
    unsigned char obuf[64 * 1024];
    int rc = 0;
    for (bool last = false; rc == 0 && !last;) {
        ssize_t n = read(in, buf, IN_CHUNK);
        if (n < 0) {
            rc = errno == EINTR ? 0 : NVG_EIO;
            continue;
        }
        last = n == 0;
        zs.next_in = (unsigned char *)buf;
        zs.avail_in = (unsigned)n;
        int zr;
        do {
            zs.next_out = obuf;
            zs.avail_out = sizeof(obuf);
            zr = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
            size_t got = sizeof(obuf) - zs.avail_out;
            if (zr == Z_STREAM_ERROR || write_all(out, obuf, got) < 0)
                rc = NVG_EIO;
            *wrote += got;
        } while (rc == 0 && (last ? zr != Z_STREAM_END : zs.avail_in > 0));
    }
    deflateEnd(&zs);
    return rc;
}

static void sync_dir_of(const char *path)
{
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The original goes only after its copy is durable under its final name; a crash before the
 * rename leaves NAME.tmp (removed at the next start, NAME compressed again). */
static int finish(const char *path, const char *tmp, const char *dst, int ofd,
                  const struct stat *st)
{
    struct timespec times[2] = {st->st_atim, st->st_mtim}; /* retention ages it by mtime */
    if (fsync(ofd) != 0 || futimens(ofd, times) != 0 || close(ofd) != 0) {
        unlink(tmp);
        return NVG_EIO;
    }
    if (rename(tmp, dst) != 0) {
        unlink(tmp);
        return NVG_EIO;
    }
    sync_dir_of(dst);
    if (unlink(path) != 0 && errno == ENOENT)
        unlink(dst); /* retention deleted the original meanwhile: it wanted this gone too */
    return 0;
}

int nvg_compress_file(enum nvg_compress method, const char *path, uint64_t *in, uint64_t *out)
{
    char tmp[PATH_MAX + 16], dst[PATH_MAX + 8];
    const char *sfx = nvg_compress_suffix(method);
    if (!*sfx || snprintf(dst, sizeof(dst), "%s%s", path, sfx) >= PATH_MAX ||
        snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= PATH_MAX)
        return NVG_EINVAL;
    int ifd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (ifd < 0)
        return errno == ENOENT ? 0 : NVG_EIO; /* deleted by retention first: nothing to do */
    struct stat st;
    int ofd = -1, rc = NVG_ENOMEM;
    char *buf = malloc(IN_CHUNK);
    if (fstat(ifd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = NVG_EIO;
    else if (buf && (ofd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        rc = NVG_EIO;
    else if (buf) {
        *out = 0;
        rc = method == NVG_COMPRESS_ZSTD ? zstd_stream(ifd, ofd, buf, out)
                                         : gzip_stream(ifd, ofd, buf, out);
        *in = (uint64_t)st.st_size;
    }
    free(buf);
    close(ifd);
    if (ofd >= 0 && rc < 0) {
        close(ofd);
        unlink(tmp);
    } else if (ofd >= 0) {
        rc = finish(path, tmp, dst, ofd, &st);
    }
    return rc;
}

static bool take(struct nvg_compressor *z)
{
    pthread_mutex_lock(&z->mu);
    while (!z->stop && z->n == 0)
        pthread_cond_wait(&z->wake, &z->mu);
    bool go = !z->stop;
    if (go) {
        memcpy(z->current, z->queue[z->head], PATH_MAX);
        z->head = (z->head + 1) % QUEUE_MAX;
        z->n--;
    }
    pthread_mutex_unlock(&z->mu);
    return go;
}

static void *worker_main(void *arg)
{
    struct nvg_compressor *z = arg;
    while (take(z)) {
        uint64_t in = 0, out = 0;
        int rc = nvg_compress_file(z->method, z->current, &in, &out);
        int e = errno;
        if (rc < 0)
            nvg_log(NVG_LOG_ERR, "compressing %s failed (%s): the file stays as it is", z->current,
                    strerror(e));
        pthread_mutex_lock(&z->mu);
        if (rc < 0)
            z->counts.failures++;
        else if (in || out) {
            z->counts.files++;
            z->counts.bytes_in += in;
            z->counts.bytes_out += out;
        }
        z->current[0] = '\0';
        pthread_mutex_unlock(&z->mu);
    }
    return NULL;
}

struct nvg_compressor *nvg_compressor_new(enum nvg_compress method, char *err)
{
    struct nvg_compressor *z = calloc(1, sizeof(*z));
    if (!z) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    z->method = method;
    pthread_mutex_init(&z->mu, NULL);
    pthread_cond_init(&z->wake, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    int rc = pthread_create(&z->thread, &attr, worker_main, z);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "compression thread: %s", strerror(rc));
        nvg_compressor_free(z);
        return NULL;
    }
    z->running = true;
    return z;
}

/* Under mu. */
static bool known(const struct nvg_compressor *z, const char *path)
{
    if (strcmp(z->current, path) == 0)
        return true;
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->queue[(z->head + i) % QUEUE_MAX], path) == 0)
            return true;
    return false;
}

bool nvg_compressor_push(struct nvg_compressor *z, const char *path)
{
    if (strlen(path) >= PATH_MAX)
        return false;
    pthread_mutex_lock(&z->mu);
    bool ok = z->n < QUEUE_MAX && !known(z, path);
    if (ok) {
        snprintf(z->queue[(z->head + z->n) % QUEUE_MAX], PATH_MAX, "%s", path);
        z->n++;
        pthread_cond_signal(&z->wake);
    }
    pthread_mutex_unlock(&z->mu);
    return ok;
}

bool nvg_compressor_busy_with(struct nvg_compressor *z, const char *path)
{
    pthread_mutex_lock(&z->mu);
    bool busy = strcmp(z->current, path) == 0;
    pthread_mutex_unlock(&z->mu);
    return busy;
}

void nvg_compressor_counts(struct nvg_compressor *z, struct nvg_compress_counts *out)
{
    pthread_mutex_lock(&z->mu);
    *out = z->counts;
    out->queued = z->n;
    pthread_mutex_unlock(&z->mu);
}

void nvg_compressor_free(struct nvg_compressor *z)
{
    if (!z)
        return;
    if (z->running) {
        pthread_mutex_lock(&z->mu);
        z->stop = true;
        pthread_cond_signal(&z->wake);
        pthread_mutex_unlock(&z->mu);
        pthread_join(z->thread, NULL);
    }
    pthread_mutex_destroy(&z->mu);
    pthread_cond_destroy(&z->wake);
    free(z);
}
