/* sensors.state: the sequence positions saved beside the packet log (see sensors.h). */
#include "sensors.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvg-error.h"
#include "nvg-text.h"

/* ---- state file --------------------------------------------------------------------------
 * Version 2, every line ending in '\n', single spaces, decimal numbers without signs or
 * leading zeros:
 *
 *   netvigil-sensors-state 2
 *   log LENGTH NAME                  (the packet log the positions belong to; optional)
 *   sensor BOOT SEQ RECORDS LOST WFAIL UNKNOWN NAME     (one per validated sensor)
 *   end COUNT CHECKSUM               (sensor lines; FNV-1a 64 of every byte before "end", hex)
 *
 * A hand edit, a torn write or random bytes fail the checksum or the syntax, and the loader
 * then restores nothing. Written to a temporary file, fsync'ed, renamed, directory fsync'ed. */

#define STATE_MAGIC "netvigil-sensors-state 2\n"
#define STATE_MAX_BYTES ((size_t)NVG_SENSORS_MAX * 256 + 1024)

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void nvg_sensor_table_mark_durable(struct nvg_sensor_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        struct nvg_sensor_entry *s = t->v[i];
        s->durable = (struct nvg_seq_pos){
            .valid = s->have_boot && s->validated,
            .history_unknown = s->history_unknown,
            .boot_id = s->boot_id,
            .last_seq = s->last_seq,
            .boot_records = s->boot_records,
            .boot_batches_lost = s->boot_batches_lost,
            .boot_write_failures = s->boot_write_failures,
        };
    }
}

static void state_paths(const char *dir, char *path, size_t psize, char *tmp, size_t tsize)
{
    snprintf(path, psize, "%s/sensors.state", dir);
    snprintf(tmp, tsize, "%s/sensors.state.tmp", dir);
}

/* The whole text into buf (STATE_MAX_BYTES); its length, or -1 when it does not fit. */
static int format_state(const struct nvg_sensor_table *t, const char *log_name, uint64_t log_length,
                        char *buf, size_t size)
{
    size_t len = 0, count = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int n_ = snprintf(buf + len, size - len, __VA_ARGS__);                                     \
        if (n_ < 0 || (size_t)n_ >= size - len)                                                    \
            return -1;                                                                             \
        len += (size_t)n_;                                                                         \
    } while (0)
    PUT("%s", STATE_MAGIC);
    if (log_name && *log_name)
        PUT("log %" PRIu64 " %s\n", log_length, log_name);
    for (size_t i = 0; i < t->n; i++) {
        const struct nvg_seq_pos *d = &t->v[i]->durable;
        if (!d->valid)
            continue;
        PUT("sensor %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %s\n",
            d->boot_id, d->last_seq, d->boot_records, d->boot_batches_lost, d->boot_write_failures,
            d->history_unknown ? 1 : 0, t->v[i]->name);
        count++;
    }
    uint64_t sum = fnv1a(buf, len);
    PUT("end %zu %016" PRIx64 "\n", count, sum);
#undef PUT
    return (int)len;
}

int nvg_sensor_state_prepare(const struct nvg_sensor_table *t, const char *dir,
                             const char *log_name, uint64_t log_length)
{
    char path[4096], tmp[4200];
    state_paths(dir, path, sizeof(path), tmp, sizeof(tmp));
    char *buf = malloc(STATE_MAX_BYTES);
    if (!buf) {
        errno = ENOMEM;
        return NVG_EIO;
    }
    int len = format_state(t, log_name, log_length, buf, STATE_MAX_BYTES);
    int rc = NVG_EIO, fd = -1;
    if (len < 0) {
        errno = EOVERFLOW;
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        goto out;
    for (size_t done = 0; done < (size_t)len;) {
        ssize_t n = write(fd, buf + done, (size_t)len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out;
        done += (size_t)n;
    }
    if (fsync(fd) != 0)
        goto out;
    rc = 0;
out:;
    int e = errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0) {
        rc = NVG_EIO;
        e = errno;
    }
    if (rc != 0 && fd >= 0)
        unlink(tmp); /* a full disk gets its pages back */
    free(buf);
    errno = e;
    return rc;
}

int nvg_sensor_state_commit(const char *dir)
{
    char path[4096], tmp[4200];
    state_paths(dir, path, sizeof(path), tmp, sizeof(tmp));
    if (rename(tmp, path) != 0)
        return NVG_EIO;
    /* The rename itself must survive a power loss, or the old state comes back with a log
     * that already holds rows it does not know. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return NVG_EIO;
    int rc = fsync(dfd) == 0 ? 0 : NVG_EIO;
    int e = errno;
    close(dfd);
    errno = e;
    return rc;
}

int nvg_sensor_state_save(const struct nvg_sensor_table *t, const char *dir, const char *log_name,
                          uint64_t log_length)
{
    int rc = nvg_sensor_state_prepare(t, dir, log_name, log_length);
    return rc == 0 ? nvg_sensor_state_commit(dir) : rc;
}

/* ---- loading: every check before anything is restored ----------------------------------- */

struct parsed_sensor {
    struct nvg_seq_pos pos;
    const char *name; /* into the loaded text, NUL-terminated */
};

/* A decimal number without sign or leading zero, then the separator sep; advances *p. */
static bool take_u64(char **p, char sep, uint64_t *v)
{
    char *q = *p;
    if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9'))
        return false;
    uint64_t x = 0;
    for (; *q >= '0' && *q <= '9'; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    if (*q != sep)
        return false;
    *v = x;
    *p = q + 1;
    return true;
}

static bool log_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 12 || len >= 256 || strncmp(n, "packets-", 8) != 0 ||
        strcmp(n + len - 4, ".csv") != 0)
        return false;
    for (const char *c = n; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '.' || *c == '_'))
            return false;
    return true;
}

#define REJECT(...)                                                                                \
    do {                                                                                           \
        snprintf(info->why, sizeof(info->why), __VA_ARGS__);                                       \
        return false;                                                                              \
    } while (0)

/* The log line against the file it names: not longer than the file, ending on a line, and the
 * file no more than one flush longer (what a crash between the flush and the rename leaves). */
static bool check_log_length(const char *dir, struct nvg_state_info *info)
{
    char path[4400];
    snprintf(path, sizeof(path), "%s/%s", dir, info->log_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return true; /* removed by retention or by hand: nothing to cut */
        REJECT("cannot open %.200s: %s", (const char *)info->log_name, strerror(errno));
    }
    struct stat st;
    char last = 0;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    uint64_t size = ok ? (uint64_t)st.st_size : 0;
    if (ok && info->log_length > 0 && info->log_length <= size)
        ok = pread(fd, &last, 1, (off_t)info->log_length - 1) == 1;
    close(fd);
    if (!ok)
        REJECT("%.200s is not a readable regular file", info->log_name);
    if (info->log_length > size)
        REJECT("log length %" PRIu64 " is past the end of %.200s (%" PRIu64 " bytes)",
               info->log_length, (const char *)info->log_name, size);
    if (info->log_length == 0 || last != '\n')
        REJECT("log length %" PRIu64 " of %.200s does not end a line", info->log_length,
               info->log_name);
    if (info->max_growth && size - info->log_length > info->max_growth)
        REJECT("%.200s is %" PRIu64 " bytes longer than the saved length, more than one flush",
               (const char *)info->log_name, size - info->log_length);
    return true;
}

static bool parse_sensor_line(char *p, struct parsed_sensor *ps, struct nvg_state_info *info,
                              int lineno)
{
    uint64_t unknown;
    struct nvg_seq_pos *d = &ps->pos;
    if (!take_u64(&p, ' ', &d->boot_id) || !take_u64(&p, ' ', &d->last_seq) ||
        !take_u64(&p, ' ', &d->boot_records) || !take_u64(&p, ' ', &d->boot_batches_lost) ||
        !take_u64(&p, ' ', &d->boot_write_failures) || !take_u64(&p, ' ', &unknown) || unknown > 1)
        REJECT("line %d: bad numbers in a sensor line", lineno);
    if (!nvg_name_valid(p))
        REJECT("line %d: invalid sensor name", lineno);
    d->valid = true;
    d->history_unknown = unknown == 1;
    ps->name = p;
    return true;
}

/* Checks the whole text; fills info and ps (up to NVG_SENSORS_MAX). */
static bool parse_state(char *buf, size_t len, const char *dir, struct nvg_state_info *info,
                        struct parsed_sensor *ps, size_t *nps)
{
    size_t ml = strlen(STATE_MAGIC);
    if (len < ml || memcmp(buf, STATE_MAGIC, ml) != 0)
        REJECT("no \"netvigil-sensors-state 2\" first line");
    if (memchr(buf, '\0', len))
        REJECT("a NUL byte");
    if (buf[len - 1] != '\n')
        REJECT("the last line is torn (no newline)");
    char *end_line = NULL;
    for (char *q = buf + len - 1; q > buf; q--)
        if (q[-1] == '\n') {
            end_line = q;
            break;
        }
    if (!end_line || strncmp(end_line, "end ", 4) != 0)
        REJECT("no \"end\" line (torn?)");
    uint64_t count, sum;
    char *p = end_line + 4;
    char *hex = NULL;
    if (!take_u64(&p, ' ', &count))
        REJECT("bad \"end\" line");
    sum = strtoull(p, &hex, 16);
    if (hex != p + 16 || *hex != '\n' || hex + 1 != buf + len)
        REJECT("bad \"end\" line");
    if (fnv1a(buf, (size_t)(end_line - buf)) != sum)
        REJECT("checksum mismatch (edited, torn or overwritten)");
    *end_line = '\0';
    int lineno = 1;
    *nps = 0;
    for (char *line = buf + ml; *line; lineno++) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        if (strncmp(line, "log ", 4) == 0 && lineno == 1 && !info->log_name[0]) {
            char *q = line + 4;
            if (!take_u64(&q, ' ', &info->log_length) || !log_name_ok(q))
                REJECT("line 2: bad log line");
            snprintf(info->log_name, sizeof(info->log_name), "%s", q);
        } else if (strncmp(line, "sensor ", 7) == 0) {
            if (*nps >= NVG_SENSORS_MAX)
                REJECT("more than %d sensors", NVG_SENSORS_MAX);
            if (!parse_sensor_line(line + 7, &ps[*nps], info, lineno + 1))
                return false;
            for (size_t i = 0; i < *nps; i++)
                if (strcmp(ps[i].name, ps[*nps].name) == 0)
                    REJECT("line %d: sensor '%s' twice", lineno + 1, ps[i].name);
            (*nps)++;
        } else {
            REJECT("line %d: not a log or sensor line", lineno + 1);
        }
        line = nl + 1;
    }
    if (count != *nps)
        REJECT("\"end\" counts %" PRIu64 " sensors, the file has %zu", count, *nps);
    return !info->log_name[0] || check_log_length(dir, info);
}

/* The file's bytes (regular, at most STATE_MAX_BYTES) into a new buffer; NULL with why. */
static char *read_state(const char *path, size_t *len, struct nvg_state_info *info)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            info->result = NVG_STATE_NONE;
            return NULL;
        }
        snprintf(info->why, sizeof(info->why), "cannot open it: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0) {
        snprintf(info->why, sizeof(info->why), "fstat: %s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(info->why, sizeof(info->why), "not a regular file");
    } else if (st.st_size == 0) {
        snprintf(info->why, sizeof(info->why), "empty");
    } else if ((uint64_t)st.st_size > STATE_MAX_BYTES) {
        snprintf(info->why, sizeof(info->why), "%lld bytes, more than a state can be",
                 (long long)st.st_size);
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        snprintf(info->why, sizeof(info->why), "out of memory");
    } else {
        ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
        if (n != st.st_size) {
            snprintf(info->why, sizeof(info->why), "read: %s",
                     n < 0 ? strerror(errno) : "short read");
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            *len = (size_t)n;
        }
    }
    close(fd);
    return buf;
}

void nvg_sensor_state_load(struct nvg_sensor_table *t, const char *dir, struct nvg_state_info *info)
{
    char path[4096], tmp[4200];
    state_paths(dir, path, sizeof(path), tmp, sizeof(tmp));
    info->result = NVG_STATE_REJECTED;
    info->sensors = 0;
    info->log_name[0] = '\0';
    info->log_length = 0;
    info->why[0] = '\0';
    size_t len = 0, nps = 0;
    char *buf = read_state(path, &len, info);
    if (!buf)
        return;
    struct parsed_sensor *ps = calloc(NVG_SENSORS_MAX, sizeof(*ps));
    if (!ps) {
        snprintf(info->why, sizeof(info->why), "out of memory");
    } else if (!parse_state(buf, len, dir, info, ps, &nps)) {
        info->log_name[0] = '\0';
        info->log_length = 0;
    } else {
        info->result = NVG_STATE_LOADED;
        for (size_t i = 0; i < nps; i++) {
            struct nvg_sensor_entry *s = nvg_sensor_table_get(t, ps[i].name);
            if (!s)
                continue;
            const struct nvg_seq_pos *d = &ps[i].pos;
            s->validated = true;
            nvg_sensor_entry_set_boot(s, d->boot_id);
            s->last_seq = d->last_seq;
            s->boot_records = d->boot_records;
            s->boot_batches_lost = d->boot_batches_lost;
            s->boot_write_failures = d->boot_write_failures;
            s->history_unknown = d->history_unknown;
            s->durable = *d;
            info->sensors++;
        }
    }
    free(ps);
    free(buf);
}
