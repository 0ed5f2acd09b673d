/* See rate-rebuild.h. Start-up work only: allocation is fine here. */
#include "rate-rebuild.h"

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
#include "nvg-format.h"
#include "nvg-log.h"
#include "nvg-pkt.h"
#include "rate-window.h"

#define CHUNK (1u << 20)
#define LINE_MAX_BYTES 1024 /* longer than any row we write: a longer "line" is not ours */
#define FIELD_MAX 160       /* a quoted, neutralised sensor name is at most 129 bytes */

/* ---- the logs' files, oldest first ------------------------------------------------------ */

struct log_file {
    char stamp[20];
    unsigned long long n;
    char name[256];
};

static int cmp_log_file(const void *a, const void *b)
{
    const struct log_file *x = a, *y = b;
    int c = strcmp(x->stamp, y->stamp);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

/* PREFIX-YYYYMMDDTHHMMSSZ-N.csv, as csv-writer names them; in the order they were written. */
static int list_logs(const char *dir, const char *prefix, struct log_file **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NVG_EIO;
    size_t cap = 0, plen = strlen(prefix);
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        size_t len = strlen(s);
        if (len >= sizeof((*out)->name) || strncmp(s, prefix, plen) != 0 || s[plen] != '-' ||
            len < plen + 1 + 16 + 2 + 4 || strcmp(s + len - 4, ".csv") != 0 || s[plen + 17] != '-')
            continue;
        char *end;
        unsigned long long num = strtoull(s + plen + 18, &end, 10);
        if (end != s + len - 4)
            continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct log_file *v = realloc(*out, nc * sizeof(*v));
            if (!v) {
                rc = NVG_ENOMEM;
                break;
            }
            *out = v;
            cap = nc;
        }
        struct log_file *f = &(*out)[(*n)++];
        memcpy(f->stamp, s + plen + 1, 16);
        f->stamp[16] = '\0';
        f->n = num;
        memcpy(f->name, s, len + 1);
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof(**out), cmp_log_file);
    return rc;
}

/* ---- reading a file backwards, whole lines ------------------------------------------------ */

typedef void (*line_fn)(void *ud, const char *line, size_t len);

struct back_reader {
    int fd;
    off_t pos;      /* bytes before this are still to be read */
    char *buf;      /* CHUNK + LINE_MAX_BYTES */
    size_t pending; /* the start of a line whose head is in the part still to be read */
    char pend[LINE_MAX_BYTES];
};

/* One chunk before the last one read: every line that is now whole goes to fn, the newest
 * first. Returns the bytes read, 0 at the start of the file, or <0. */
static ssize_t back_read(struct back_reader *r, line_fn fn, void *ud)
{
    if (r->pos == 0)
        return 0;
    size_t want = r->pos > (off_t)CHUNK ? CHUNK : (size_t)r->pos;
    off_t at = r->pos - (off_t)want;
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(r->fd, r->buf + got, want - got, at + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return NVG_EIO;
        got += (size_t)k;
    }
    memcpy(r->buf + got, r->pend, r->pending);
    size_t len = got + r->pending;
    r->pos = at;
    /* Lines from the end; the part before the first newline continues in the next chunk. */
    size_t end = len;
    for (size_t i = len; i > 0; i--) {
        if (r->buf[i - 1] != '\n')
            continue;
        if (end > i)
            fn(ud, r->buf + i, end - i);
        end = i - 1;
    }
    if (r->pos == 0) {
        if (end > 0)
            fn(ud, r->buf, end);
        r->pending = 0;
    } else if (end <= sizeof(r->pend)) {
        memcpy(r->pend, r->buf, end);
        r->pending = end;
    } else {
        r->pending = 0; /* no row of ours is that long: not a row */
    }
    return (ssize_t)want;
}

/* ---- what was found, per sensor and per (sensor, second, proto) ------------------------- */

struct sensor {
    char field[FIELD_MAX]; /* the sensor column's text as written (quoted when it was) */
    size_t field_len;
    bool has_rates;   /* a rates row in the tail of the rates log */
    bool in_packets;  /* a row in the part of the packet log read */
    bool complete;    /* a packet row well before last_sec was read */
    int64_t last_sec; /* L: the newest rates second */
    uint64_t last_packets[NVG_PROTO_COUNT], last_bytes[NVG_PROTO_COUNT]; /* L's rates rows */
};

struct cell {
    int64_t sec;
    uint32_t sensor; /* index + 1; 0 = empty */
    uint32_t proto;
    uint64_t packets, bytes;
};

struct rebuild {
    struct sensor *s;
    size_t ns, cap_s, last_hit;
    struct cell *cells;
    size_t ncells, cap_cells; /* cap_cells: a power of two */
    uint64_t unparsed;        /* packet rows that do not parse */
    bool oom;
};

static struct sensor *find_sensor(struct rebuild *rb, const char *f, size_t len)
{
    if (rb->last_hit < rb->ns && rb->s[rb->last_hit].field_len == len &&
        memcmp(rb->s[rb->last_hit].field, f, len) == 0)
        return &rb->s[rb->last_hit];
    for (size_t i = 0; i < rb->ns; i++)
        if (rb->s[i].field_len == len && memcmp(rb->s[i].field, f, len) == 0) {
            rb->last_hit = i;
            return &rb->s[i];
        }
    if (rb->ns == rb->cap_s) {
        size_t nc = rb->cap_s ? rb->cap_s * 2 : 16;
        struct sensor *v = realloc(rb->s, nc * sizeof(*v));
        if (!v) {
            rb->oom = true;
            return NULL;
        }
        rb->s = v;
        rb->cap_s = nc;
    }
    struct sensor *s = &rb->s[rb->ns];
    memset(s, 0, sizeof(*s));
    memcpy(s->field, f, len);
    s->field_len = len;
    rb->last_hit = rb->ns++;
    return s;
}

static uint64_t cell_hash(uint32_t sensor, int64_t sec, uint32_t proto)
{
    uint64_t h = (uint64_t)sec * 0x9E3779B97F4A7C15ull;
    h ^= ((uint64_t)sensor << 8 | proto) * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 29);
}

static bool grow_cells(struct rebuild *rb)
{
    size_t nc = rb->cap_cells ? rb->cap_cells * 2 : 1024;
    struct cell *v = calloc(nc, sizeof(*v));
    if (!v)
        return false;
    for (size_t i = 0; i < rb->cap_cells; i++) {
        struct cell *c = &rb->cells[i];
        if (!c->sensor)
            continue;
        size_t j = cell_hash(c->sensor, c->sec, c->proto) & (nc - 1);
        while (v[j].sensor)
            j = (j + 1) & (nc - 1);
        v[j] = *c;
    }
    free(rb->cells);
    rb->cells = v;
    rb->cap_cells = nc;
    return true;
}

static void count_cell(struct rebuild *rb, size_t si, int64_t sec, int proto, uint64_t bytes)
{
    if (rb->ncells * 2 >= rb->cap_cells && !grow_cells(rb)) {
        rb->oom = true;
        return;
    }
    uint32_t sensor = (uint32_t)si + 1;
    size_t j = cell_hash(sensor, sec, (uint32_t)proto) & (rb->cap_cells - 1);
    for (;; j = (j + 1) & (rb->cap_cells - 1)) {
        struct cell *c = &rb->cells[j];
        if (!c->sensor) {
            *c = (struct cell){sec, sensor, (uint32_t)proto, 0, 0};
            rb->ncells++;
        } else if (c->sensor != sensor || c->sec != sec || c->proto != (uint32_t)proto) {
            continue;
        }
        c->packets++;
        c->bytes += bytes;
        return;
    }
}

/* ---- rows ------------------------------------------------------------------------------- */

/* The next field of a row at *p (the sensor field may be quoted; no other field is). */
static bool next_field(const char **p, const char *end, const char **f, size_t *len)
{
    const char *s = *p;
    if (s > end)
        return false;
    if (s < end && *s == '"') {
        const char *q = s + 1;
        for (;;) {
            while (q < end && *q != '"')
                q++;
            if (q >= end)
                return false;
            if (q + 1 < end && q[1] == '"') {
                q += 2;
                continue;
            }
            q++;
            break;
        }
        if (q < end && *q != ',')
            return false;
        *f = s;
        *len = (size_t)(q - s);
        *p = q + 1;
        return true;
    }
    const char *c = memchr(s, ',', (size_t)(end - s));
    *f = s;
    *len = (size_t)((c ? c : end) - s);
    *p = (c ? c : end) + 1;
    return true;
}

static bool parse_u64(const char *f, size_t len, uint64_t *v)
{
    if (len == 0 || len > 20)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (f[i] < '0' || f[i] > '9')
            return false;
        unsigned d = (unsigned)(f[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

static int parse_proto(const char *f, size_t len)
{
    char name[16];
    if (len == 0 || len >= sizeof(name))
        return -1;
    memcpy(name, f, len);
    name[len] = '\0';
    return nvg_proto_from_name(name);
}

/* Seconds where clamped times land: never a sensor's last rates second. */
static bool limit_second(int64_t sec)
{
    return sec == nvg_rate_window_second_of(INT64_MIN) ||
           sec == nvg_rate_window_second_of(INT64_MAX);
}

static bool is_header(const char *line, size_t len)
{
    return len >= 5 && memcmp(line, "time,", 5) == 0;
}

/* time,sensor,proto,packets,bytes */
static void on_rates_row(void *ud, const char *line, size_t len)
{
    struct rebuild *rb = ud;
    if (is_header(line, len))
        return;
    const char *p = line, *end = line + len, *f[5];
    size_t fl[5];
    for (int i = 0; i < 5; i++)
        if (!next_field(&p, end, &f[i], &fl[i]))
            return;
    int64_t sec;
    uint64_t pk, by;
    int proto = parse_proto(f[2], fl[2]);
    if (fl[1] >= FIELD_MAX || nvg_parse_time_iso_sec(f[0], fl[0], &sec) < 0 || proto < 0 ||
        !parse_u64(f[3], fl[3], &pk) || !parse_u64(f[4], fl[4], &by) || limit_second(sec))
        return; /* not a row this rebuild can use; the packet side decides */
    struct sensor *s = find_sensor(rb, f[1], fl[1]);
    if (!s)
        return;
    if (!s->has_rates || sec > s->last_sec) {
        s->has_rates = true;
        s->last_sec = sec;
        memset(s->last_packets, 0, sizeof(s->last_packets));
        memset(s->last_bytes, 0, sizeof(s->last_bytes));
    }
    if (sec == s->last_sec) {
        s->last_packets[proto] += pk;
        s->last_bytes[proto] += by;
    }
}

/* time,sensor,proto,src,dst,sport,dport,flags,ttl,len,payload */
static void on_packet_row(void *ud, const char *line, size_t len)
{
    struct rebuild *rb = ud;
    if (is_header(line, len))
        return;
    const char *p = line, *end = line + len, *f[10];
    size_t fl[10];
    int64_t sec;
    uint64_t wire;
    int proto = -1;
    bool ok = true;
    for (int i = 0; i < 10 && ok; i++)
        ok = next_field(&p, end, &f[i], &fl[i]);
    if (ok)
        proto = parse_proto(f[2], fl[2]);
    if (!ok || fl[1] >= FIELD_MAX || proto < 0 || nvg_parse_time_iso_sec(f[0], fl[0], &sec) < 0 ||
        !parse_u64(f[9], fl[9], &wire)) {
        rb->unparsed++;
        return;
    }
    struct sensor *s = find_sensor(rb, f[1], fl[1]);
    if (!s)
        return;
    s->in_packets = true;
    if (limit_second(sec))
        return; /* clamped times: their rates rows are not told apart (see the header) */
    if (s->has_rates) {
        /* A subtraction of two seconds from the int64-ns range: no overflow. */
        if (sec < s->last_sec - NVG_RATE_REBUILD_DISORDER_S)
            s->complete = true;
        if (sec < s->last_sec)
            return;
    }
    count_cell(rb, (size_t)(s - rb->s), sec, proto, wire);
}

/* Every sensor met in the packet log that has rates is complete (and there is one). */
static bool packets_done(const struct rebuild *rb)
{
    bool any = false;
    for (size_t i = 0; i < rb->ns; i++) {
        const struct sensor *s = &rb->s[i];
        if (!s->in_packets || !s->has_rates)
            continue;
        if (!s->complete)
            return false;
        any = true;
    }
    return any;
}

/* Read the files of one log newest first, backwards, until done() or the budget is spent.
 * Returns true when the budget stopped it. */
static bool read_log(const char *dir, const struct log_file *v, size_t n, const char *skip,
                     uint64_t budget, uint64_t *used, line_fn fn, struct rebuild *rb,
                     bool (*done)(const struct rebuild *))
{
    struct back_reader r;
    r.buf = malloc(CHUNK + LINE_MAX_BYTES);
    if (!r.buf) {
        rb->oom = true;
        return false;
    }
    bool hit = false;
    for (size_t i = n; i-- > 0 && !hit && !rb->oom && !(done && done(rb));) {
        if (skip && strcmp(v[i].name, skip) == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, v[i].name);
        r.fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r.fd < 0) {
            nvg_log(NVG_LOG_WARNING, "rates rebuild: cannot read %s: %s", path, strerror(errno));
            continue;
        }
        struct stat st;
        r.pos = fstat(r.fd, &st) == 0 ? st.st_size : 0;
        r.pending = 0;
        for (;;) {
            if (*used >= budget) {
                hit = r.pos > 0 || i > 0;
                break;
            }
            ssize_t k = back_read(&r, fn, rb);
            if (k <= 0) {
                if (k < 0)
                    nvg_log(NVG_LOG_WARNING, "rates rebuild: cannot read %s: %s", path,
                            strerror(errno));
                break;
            }
            *used += (uint64_t)k;
            if (rb->oom || (done && done(rb)))
                break;
        }
        close(r.fd);
    }
    free(r.buf);
    return hit;
}

/* ---- the missing rows ------------------------------------------------------------------- */

static int cmp_cell(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;
    if (x->sensor != y->sensor)
        return x->sensor < y->sensor ? -1 : 1;
    if (x->sec != y->sec)
        return x->sec < y->sec ? -1 : 1;
    return x->proto < y->proto ? -1 : x->proto > y->proto;
}

static bool write_row(struct nvg_csv_writer *w, const struct sensor *s, int64_t sec, int proto,
                      uint64_t packets, uint64_t bytes)
{
    size_t cap = NVG_TIME_ISO_SEC_MAX + FIELD_MAX + 64;
    char *row = nvg_csv_writer_reserve(w, cap);
    if (!row) {
        nvg_csv_writer_count_rows(w, 0, 1);
        return false;
    }
    char iso[NVG_TIME_ISO_SEC_MAX];
    nvg_format_time_iso_sec(iso, sec);
    int n = snprintf(row, cap, "%s,%.*s,%s,%" PRIu64 ",%" PRIu64 "\n", iso, (int)s->field_len,
                     s->field, nvg_proto_name(proto), packets, bytes);
    nvg_csv_writer_commit(w, (size_t)n);
    nvg_csv_writer_count_rows(w, 1, 0);
    return true;
}

static void write_missing(struct rebuild *rb, struct nvg_csv_writer *w,
                          struct nvg_rate_rebuild_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < rb->cap_cells; i++)
        if (rb->cells[i].sensor)
            rb->cells[n++] = rb->cells[i];
    if (n) /* qsort with the NULL of an empty table is undefined */
        qsort(rb->cells, n, sizeof(*rb->cells), cmp_cell);
    for (size_t i = 0; i < n; i++) {
        const struct cell *c = &rb->cells[i];
        const struct sensor *s = &rb->s[c->sensor - 1];
        uint64_t pk = c->packets, by = c->bytes;
        if (s->has_rates && c->sec == s->last_sec) {
            uint64_t had_pk = s->last_packets[c->proto], had_by = s->last_bytes[c->proto];
            pk = pk > had_pk ? pk - had_pk : 0;
            by = by > had_by ? by - had_by : 0;
        }
        if (pk == 0)
            continue;
        if (write_row(w, s, c->sec, (int)c->proto, pk, by)) {
            res->rebuilt += pk;
            res->rows++;
        } else {
            res->lost += pk;
        }
    }
    rb->cap_cells = 0; /* the table is now a sorted array */
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int nvg_rate_rebuild(const char *dir, struct nvg_csv_writer *rates, uint64_t packet_budget,
                     uint64_t rates_budget, struct nvg_rate_rebuild_result *res)
{
    memset(res, 0, sizeof(*res));
    if (!packet_budget)
        packet_budget = NVG_RATE_REBUILD_PACKET_BUDGET;
    if (!rates_budget)
        rates_budget = NVG_RATE_REBUILD_RATES_BUDGET;
    struct rebuild rb;
    memset(&rb, 0, sizeof(rb));
    struct log_file *rv = NULL, *pv = NULL;
    size_t rn = 0, pn = 0;
    int rc = list_logs(dir, "rates", &rv, &rn);
    if (rc == 0)
        rc = list_logs(dir, "packets", &pv, &pn);
    if (rc == 0) {
        read_log(dir, rv, rn, base_name(nvg_csv_writer_path(rates)), rates_budget,
                 &res->rates_bytes, on_rates_row, &rb, NULL);
        res->budget_hit = read_log(dir, pv, pn, NULL, packet_budget, &res->packet_bytes,
                                   on_packet_row, &rb, packets_done);
        if (rb.oom)
            rc = NVG_ENOMEM;
        else
            write_missing(&rb, rates, res);
    }
    res->lost += rb.unparsed;
    if (res->rows && nvg_csv_writer_flush(rates) < 0)
        nvg_log(NVG_LOG_WARNING, "rates rebuild: the rebuilt rows are not on disk yet");
    if (rc < 0)
        nvg_log(NVG_LOG_ERR, "rates rebuild in %s: %s", dir, nvg_strerror(rc));
    if (res->rebuilt || res->lost)
        nvg_log(NVG_LOG_NOTICE,
                "rates rebuilt from the packet log: %" PRIu64 " record(s) in %" PRIu64
                " row(s); %" PRIu64 " record(s) lost (%" PRIu64 " unreadable rows); read %" PRIu64
                " bytes of packets, %" PRIu64 " of rates",
                res->rebuilt, res->rows, res->lost, rb.unparsed, res->packet_bytes,
                res->rates_bytes);
    if (res->budget_hit)
        nvg_log(NVG_LOG_WARNING,
                "rates rebuild stopped after %" PRIu64 " bytes of the packet log: older rows "
                "were not checked against the rates log",
                res->packet_bytes);
    free(rb.s);
    free(rb.cells);
    free(rv);
    free(pv);
    return rc;
}
