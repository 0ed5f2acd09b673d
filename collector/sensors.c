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
#include "nvg-log.h"
#include "nvg-text.h"

#define TALKER_COUNTERS 256

static void entry_free(struct nvg_sensor_entry *s);

void nvg_sensor_table_init(struct nvg_sensor_table *t, nvg_rate_window_emit_fn rates_emit,
                           void *owner)
{
    memset(t, 0, sizeof(*t));
    t->rates_emit = rates_emit;
    t->owner = owner;
}

void nvg_sensor_table_free(struct nvg_sensor_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        entry_free(t->v[i]);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

const char *nvg_claim_error_text(enum nvg_claim_error e)
{
    switch (e) {
    case NVG_CLAIM_OK:
        return "ok";
    case NVG_CLAIM_TAKEN:
        return "the name is pinned to another connection that is alive";
    case NVG_CLAIM_PER_LINK:
        return "this connection already speaks for another sensor";
    case NVG_CLAIM_FULL:
        return "the sensor table is full of connected sensors";
    case NVG_CLAIM_BAD_NAME:
        return "invalid sensor name";
    case NVG_CLAIM_NO_MEMORY:
        break;
    }
    return "out of memory";
}

struct nvg_sensor_entry *nvg_sensor_table_find(const struct nvg_sensor_table *t, const char *name)
{
    /* Linear: called per batch, not per record, and fleets are tens to hundreds. */
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i]->name, name) == 0)
            return t->v[i];
    return NULL;
}

struct nvg_sensor_entry *nvg_sensor_table_find_boot(const struct nvg_sensor_table *t,
                                                    uint64_t boot_id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i]->have_boot && t->v[i]->boot_id == boot_id)
            return t->v[i];
    return NULL;
}

static struct nvg_sensor_entry *sensor_new(struct nvg_sensor_table *t, const char *name)
{
    struct nvg_sensor_entry *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->talkers = nvg_talkers_new(TALKER_COUNTERS);
    if (!s->talkers) {
        free(s);
        return NULL;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->name_csv_len = nvg_csv_quote(s->name_csv, s->name, strlen(s->name));
    s->topic_len = (size_t)snprintf(s->topic, sizeof(s->topic), "%s%s", NVG_TOPIC_RECORDS, name);
    s->owner = t->owner;
    s->maybe_unknown = t->history_unknown;
    nvg_rate_window_init(&s->rates, t->rates_emit, s);
    return s;
}

static void entry_free(struct nvg_sensor_entry *s)
{
    nvg_talkers_free(s->talkers);
    free(s);
}

void nvg_sensor_table_remove(struct nvg_sensor_table *t, struct nvg_sensor_entry *s)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->v[i] != s)
            continue;
        /* Its open seconds go out now; the rates callback copies the name it is given. */
        nvg_rate_window_flush(&s->rates);
        memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
        t->n--;
        if (s->validated)
            t->state_dirty = true;
        entry_free(s);
        t->events++;
        return;
    }
}

bool nvg_sensor_entry_alive(const struct nvg_sensor_entry *s, int64_t now_ms)
{
    return s->pinned && s->last_seen_ms && now_ms - s->last_seen_ms < NVG_SENSOR_PIN_MS;
}

/* The entry to drop for a new one: never validated before validated, silent before alive,
 * least recently heard first; a connected validated sensor never. */
static struct nvg_sensor_entry *victim(const struct nvg_sensor_table *t, int64_t now_ms)
{
    struct nvg_sensor_entry *best = NULL;
    int best_class = 3;
    for (size_t i = 0; i < t->n; i++) {
        struct nvg_sensor_entry *s = t->v[i];
        bool alive = nvg_sensor_entry_alive(s, now_ms);
        int cls = !s->validated ? (alive ? 1 : 0) : (alive ? 3 : 2);
        if (cls < best_class || (cls == best_class && best && s->last_seen_ms < best->last_seen_ms))
            best = s, best_class = cls;
    }
    return best_class < 3 ? best : NULL;
}

/* A new entry for name (valid, not in the table); NULL with *why. */
static struct nvg_sensor_entry *add(struct nvg_sensor_table *t, const char *name, int64_t now_ms,
                                    enum nvg_claim_error *why)
{
    if (t->n >= NVG_SENSORS_MAX) {
        struct nvg_sensor_entry *v = victim(t, now_ms);
        if (!v) {
            *why = NVG_CLAIM_FULL;
            return NULL;
        }
        nvg_log(NVG_LOG_INFO, "sensor table full: forgetting '%s' for '%s'", v->name, name);
        nvg_sensor_table_remove(t, v);
    }
    *why = NVG_CLAIM_NO_MEMORY;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        struct nvg_sensor_entry **v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    struct nvg_sensor_entry *s = sensor_new(t, name);
    if (!s)
        return NULL;
    t->v[t->n++] = s;
    *why = NVG_CLAIM_OK;
    nvg_log(NVG_LOG_DEBUG, "new sensor '%s'", s->name);
    return s;
}

struct nvg_sensor_entry *nvg_sensor_table_get(struct nvg_sensor_table *t, const char *name)
{
    struct nvg_sensor_entry *s = nvg_sensor_table_find(t, name);
    enum nvg_claim_error why;
    if (s || !nvg_name_valid(name))
        return s;
    return add(t, name, 0, &why);
}

bool nvg_sensor_entry_pinned_to(const struct nvg_sensor_entry *s, const uint8_t *rid,
                                size_t rid_len)
{
    return s->pinned && s->routing_id_len == rid_len && memcmp(s->routing_id, rid, rid_len) == 0;
}

/* How many names rid speaks for, other than except. */
static size_t names_of(const struct nvg_sensor_table *t, const uint8_t *rid, size_t rid_len,
                       const struct nvg_sensor_entry *except, int64_t now_ms)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->v[i] != except && nvg_sensor_entry_pinned_to(t->v[i], rid, rid_len) &&
             nvg_sensor_entry_alive(t->v[i], now_ms);
    return n;
}

static void pin(struct nvg_sensor_table *t, struct nvg_sensor_entry *s, const uint8_t *rid,
                size_t rid_len, const char *key_name, const char *address)
{
    memcpy(s->routing_id, rid, rid_len);
    s->routing_id_len = rid_len;
    s->pinned = true;
    snprintf(s->key_name, sizeof(s->key_name), "%s", key_name ? key_name : "");
    snprintf(s->peer_address, sizeof(s->peer_address), "%s", address ? address : "");
    t->events++;
}

struct nvg_sensor_entry *nvg_sensor_table_claim(struct nvg_sensor_table *t, const char *name,
                                                const uint8_t *rid, size_t rid_len,
                                                const char *key_name, const char *address,
                                                int64_t now_ms, enum nvg_claim_error *why)
{
    *why = NVG_CLAIM_OK;
    struct nvg_sensor_entry *s = nvg_sensor_table_find(t, name);
    if (s && nvg_sensor_entry_pinned_to(s, rid, rid_len))
        return s;
    if (!s && !nvg_name_valid(name)) {
        *why = NVG_CLAIM_BAD_NAME;
        return NULL;
    }
    if (rid_len == 0 || rid_len > NVG_ROUTING_ID_MAX) {
        *why = NVG_CLAIM_NO_MEMORY;
        return NULL;
    }
    if (s && nvg_sensor_entry_alive(s, now_ms)) {
        *why = NVG_CLAIM_TAKEN;
        return NULL;
    }
    if (names_of(t, rid, rid_len, s, now_ms) >= NVG_SENSOR_NAMES_PER_LINK) {
        *why = NVG_CLAIM_PER_LINK;
        return NULL;
    }
    if (!s && !(s = add(t, name, now_ms, why)))
        return NULL;
    if (!s->last_seen_ms)
        s->last_seen_ms = now_ms; /* the age of an entry that never speaks again */
    pin(t, s, rid, rid_len, key_name, address);
    return s;
}

struct nvg_sensor_entry *nvg_sensor_table_find_pinned(const struct nvg_sensor_table *t,
                                                      uint64_t boot_id, const uint8_t *rid,
                                                      size_t rid_len)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i]->have_boot && t->v[i]->boot_id == boot_id &&
            nvg_sensor_entry_pinned_to(t->v[i], rid, rid_len))
            return t->v[i];
    return NULL;
}

void nvg_sensor_entry_release(struct nvg_sensor_table *t, struct nvg_sensor_entry *s)
{
    if (s->pinned)
        t->events++;
    s->pinned = false;
}

size_t nvg_sensor_table_expire(struct nvg_sensor_table *t, int64_t now_ms)
{
    size_t gone = 0;
    for (size_t i = t->n; i-- > 0;) {
        struct nvg_sensor_entry *s = t->v[i];
        if (!s->validated && now_ms - s->last_seen_ms >= NVG_SENSOR_UNVALIDATED_TTL_MS) {
            nvg_sensor_table_remove(t, s);
            gone++;
        }
    }
    return gone;
}

void nvg_sensor_entry_seen(struct nvg_sensor_entry *s, int64_t now_ms)
{
    s->last_seen_ms = now_ms;
}

bool nvg_sensor_entry_seq_plausible(const struct nvg_sensor_entry *s, uint64_t seq)
{
    return seq != 0 && (seq <= s->last_seq || seq - s->last_seq <= NVG_SENSOR_SEQ_GAP_MAX);
}

void nvg_sensor_entry_set_boot(struct nvg_sensor_entry *s, uint64_t boot_id)
{
    if (s->have_boot && s->boot_id == boot_id)
        return;
    if (s->have_boot)
        nvg_log(NVG_LOG_INFO, "sensor '%s' restarted (boot id %016" PRIx64 " -> %016" PRIx64 ")",
                s->name, s->boot_id, boot_id);
    nvg_rate_window_flush(&s->rates);
    /* A boot that starts while this collector runs has no unknown past. */
    if (s->have_boot)
        s->maybe_unknown = false;
    s->have_boot = true;
    s->boot_id = boot_id;
    s->last_seq = 0;
    s->boot_records = 0;
    s->boot_batches_lost = 0;
    s->boot_write_failures = 0;
    s->history_unknown = false;
    s->eos_held = false; /* the old stream's sensor is gone: nobody waits for that ack */
}

static void add_sat(uint64_t *x, uint64_t v)
{
    *x = *x > UINT64_MAX - v ? UINT64_MAX : *x + v;
}

uint64_t nvg_sensor_entry_account_seq(struct nvg_sensor_entry *s, uint64_t seq)
{
    uint64_t lost = 0;
    if (s->maybe_unknown && s->last_seq == 0 && seq > 1) {
        /* The previous collector may have written batches 1..seq-1 (the log has them, the
         * state that said so is gone): unknown, never a false loss. */
        s->history_unknown = true;
        nvg_log(NVG_LOG_NOTICE,
                "sensor '%s': first batch seen is seq %" PRIu64 " of boot %016" PRIx64
                "; without a trusted sensors.state its earlier batches are not counted "
                "(history unknown)",
                s->name, seq, s->boot_id);
        s->last_seq = seq - 1;
    }
    s->maybe_unknown = false;
    if (seq > s->last_seq + 1 && s->last_seq < UINT64_MAX)
        lost = seq - s->last_seq - 1;
    else if (seq <= s->last_seq)
        nvg_log(NVG_LOG_WARNING,
                "sensor '%s': batch seq %" PRIu64 " after %" PRIu64 " (replayed or reordered)",
                s->name, seq, s->last_seq);
    if (seq > s->last_seq)
        s->last_seq = seq;
    add_sat(&s->batches_lost, lost);
    add_sat(&s->boot_batches_lost, lost);
    if (lost)
        nvg_log(NVG_LOG_WARNING, "sensor '%s': %" PRIu64 " batch(es) lost before seq %" PRIu64,
                s->name, lost, seq);
    return lost;
}

uint64_t nvg_sensor_entry_account_tail(struct nvg_sensor_entry *s, uint64_t last_seq)
{
    /* A last_seq at or below what arrived claims nothing lost (never a negative loss). */
    if (last_seq <= s->last_seq)
        return 0;
    uint64_t lost = last_seq - s->last_seq;
    s->last_seq = last_seq;
    add_sat(&s->batches_lost, lost);
    add_sat(&s->boot_batches_lost, lost);
    nvg_log(NVG_LOG_WARNING, "sensor '%s': %" PRIu64 " batch(es) lost at the end of its stream",
            s->name, lost);
    return lost;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void nvg_sensor_entry_store_status(struct nvg_sensor_entry *s, const Netvigil__SensorStatus *st)
{
    struct nvg_sensor_heartbeat *hb = &s->hb;
    hb->valid = true;
    hb->state = st->state;
    hb->mode = st->mode;
    hb->pcap_received = st->pcap_received;
    hb->pcap_dropped = st->pcap_dropped;
    hb->pcap_ifdropped = st->pcap_ifdropped;
    hb->batches_sent = st->batches_sent;
    hb->records_sent = st->records_sent;
    hb->records_dropped = st->records_dropped;
    hb->batches_dropped = st->batches_dropped;
    hb->uptime_ms = st->uptime_ms;
    hb->last_seq = st->last_seq;
    copy_str(hb->source, sizeof(hb->source), st->source);
    copy_str(hb->filter, sizeof(hb->filter), st->filter);
    copy_str(hb->version, sizeof(hb->version), st->software_version);
    copy_str(hb->error, sizeof(hb->error), st->error);
    s->mode = st->mode;
    nvg_rate_window_set_record_time_only(&s->rates,
                                         st->mode == NETVIGIL__CAPTURE_MODE__CAPTURE_FILE);
}

void nvg_sensor_entry_summary(const struct nvg_sensor_entry *s, int64_t now_ms,
                              Netvigil__SensorSummary *sum, Netvigil__SensorStatus *hb_out)
{
    const struct nvg_sensor_heartbeat *hb = &s->hb;
    netvigil__sensor_status__init(hb_out);
    /* The strings are lent from s: the summary lives only until it is packed. */
    hb_out->sensor = (char *)s->name;
    hb_out->boot_id = s->boot_id;
    hb_out->state = hb->state;
    hb_out->mode = s->mode;
    hb_out->source = (char *)hb->source;
    hb_out->filter = (char *)hb->filter;
    hb_out->pcap_received = hb->pcap_received;
    hb_out->pcap_dropped = hb->pcap_dropped;
    hb_out->pcap_ifdropped = hb->pcap_ifdropped;
    hb_out->batches_sent = hb->batches_sent;
    hb_out->records_sent = hb->records_sent;
    hb_out->records_dropped = hb->records_dropped;
    hb_out->batches_dropped = hb->batches_dropped;
    hb_out->uptime_ms = hb->uptime_ms;
    hb_out->software_version = (char *)hb->version;
    hb_out->last_seq = hb->last_seq;
    hb_out->error = (char *)hb->error;

    netvigil__sensor_summary__init(sum);
    sum->last_status = hb_out;
    sum->connected = s->last_seen_ms && now_ms - s->last_seen_ms < NVG_SENSOR_CONNECTED_MS;
    sum->key_name = (char *)s->key_name;
    sum->peer_address = (char *)s->peer_address;
    sum->last_seen_ms = s->last_seen_ms;
    sum->records_received = s->records_received;
    sum->batches_received = s->batches_received;
    sum->batches_lost = s->batches_lost;
    sum->write_failures = s->write_failures;
    sum->packets_per_s = s->pps;
    sum->bytes_per_s = s->bps;
    sum->invalid_batches = s->invalid_batches;
    sum->last_batch_seq = s->last_seq;
    sum->boot_records_received = s->boot_records;
    sum->history_unknown = s->history_unknown;
}

void nvg_sensor_entry_update_speed(struct nvg_sensor_entry *s, int64_t now_ms)
{
    if (s->prev_ms && now_ms > s->prev_ms) {
        double dt = (double)(now_ms - s->prev_ms) / 1000.0;
        s->pps = (double)(s->records_received - s->prev_records) / dt;
        s->bps = (double)(s->bytes_received - s->prev_bytes) / dt;
    }
    s->prev_ms = now_ms;
    s->prev_records = s->records_received;
    s->prev_bytes = s->bytes_received;
}

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
static int format_state(const struct nvg_sensor_table *t, const char *log_name,
                        uint64_t log_length, char *buf, size_t size)
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
            d->boot_id, d->last_seq, d->boot_records, d->boot_batches_lost,
            d->boot_write_failures, d->history_unknown ? 1 : 0, t->v[i]->name);
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
        !take_u64(&p, ' ', &d->boot_write_failures) || !take_u64(&p, ' ', &unknown) ||
        unknown > 1)
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

void nvg_sensor_state_load(struct nvg_sensor_table *t, const char *dir,
                           struct nvg_state_info *info)
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
