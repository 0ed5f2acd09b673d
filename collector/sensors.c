#include "sensors.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
    s->history_unknown = t->history_unknown;
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
    if (s->have_boot) {
        nvg_log(NVG_LOG_INFO, "sensor '%s' restarted (boot id %016" PRIx64 " -> %016" PRIx64 ")",
                s->name, s->boot_id, boot_id);
        s->history_unknown = false; /* a new boot id seen arrive: it starts in front of us */
    }
    nvg_rate_window_flush(&s->rates);
    s->have_boot = true;
    s->boot_id = boot_id;
    s->last_seq = 0;
    s->boot_records = 0;
    s->boot_batches_lost = 0;
    s->boot_write_failures = 0;
    s->boot_flows = s->boot_flows_refused = s->boot_flows_write_failures = 0;
    s->boot_flows_whole = true;
}

static void add_sat(uint64_t *x, uint64_t v)
{
    *x = *x > UINT64_MAX - v ? UINT64_MAX : *x + v;
}

uint64_t nvg_sensor_entry_account_seq(struct nvg_sensor_entry *s, uint64_t seq)
{
    uint64_t lost = 0;
    if (s->history_unknown && s->last_seq == 0) {
        /* Batches before this one may be in the log from before our start: no false loss. */
        if (seq == 1)
            s->history_unknown = false;
        s->last_seq = seq;
        return 0;
    }
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
    /* A last_seq at or below what arrived claims nothing lost (never a negative loss); with no
     * history, nothing seen yet proves nothing either. */
    if (last_seq <= s->last_seq || (s->history_unknown && s->last_seq == 0))
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
    hb->capture_down_ms = st->capture_down_ms;
    hb->capture_reopens = st->capture_reopens;
    hb->flows_active = st->flows_active;
    hb->flows_exported = st->flows_exported;
    hb->flows_evicted = st->flows_evicted;
    hb->flows_dropped = st->flows_dropped;
    hb->spool_bytes = st->spool_bytes;
    hb->spool_batches = st->spool_batches;
    hb->spooled_total = st->spooled_total;
    hb->replayed_total = st->replayed_total;
    hb->spool_dropped = st->spool_dropped;
    hb->spool_cut = st->spool_cut;
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
    hb_out->capture_down_ms = hb->capture_down_ms;
    hb_out->capture_reopens = hb->capture_reopens;
    hb_out->flows_active = hb->flows_active;
    hb_out->flows_exported = hb->flows_exported;
    hb_out->flows_evicted = hb->flows_evicted;
    hb_out->flows_dropped = hb->flows_dropped;
    hb_out->spool_bytes = hb->spool_bytes;
    hb_out->spool_batches = hb->spool_batches;
    hb_out->spooled_total = hb->spooled_total;
    hb_out->replayed_total = hb->replayed_total;
    hb_out->spool_dropped = hb->spool_dropped;
    hb_out->spool_cut = hb->spool_cut;
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
    sum->history_unknown = s->history_unknown;
    sum->boot_records_received = s->boot_records;
    sum->flows_received = s->flows_received;
    sum->flows_refused = s->flows_refused;
    sum->flows_write_failures = s->flows_write_failures;
    sum->boot_flows_received = s->boot_flows;
    sum->flows_missing = s->flows_missing;
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
 * First line "log LENGTH NAME": the packet log file the positions belong to and its length.
 * Then one line per validated sensor: "boot_id last_seq boot_records boot_batches_lost name".
 * Names are nvg_name_valid (no space, no control character), so a line is unambiguous; a line
 * with any other name is skipped on load. Written to a temporary file and renamed,
 * so a crash leaves the old or the new state, never half of one. */

void nvg_sensor_table_mark_durable(struct nvg_sensor_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        struct nvg_sensor_entry *s = t->v[i];
        s->durable = (struct nvg_seq_pos){
            .valid = s->have_boot && s->validated,
            .boot_id = s->boot_id,
            .last_seq = s->last_seq,
            .boot_records = s->boot_records,
            .boot_batches_lost = s->boot_batches_lost,
        };
    }
}

/* FNV-1a, 64 bits: the state file's checksum catches a torn or hand-edited file, not an
 * attacker (who can write our directory can write the logs too). */
static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
    return h;
}

#define FNV_SEED 0xcbf29ce484222325ULL
#define STATE_MAGIC "netvigil-state 2\n"

/* Appends one formatted line to buf (size), folding it into *sum; false when it does not fit. */
__attribute__((format(printf, 5, 6))) static bool put_line(char *buf, size_t size, size_t *len,
                                                           uint64_t *sum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - *len)
        return false;
    *sum = fnv1a(*sum, buf + *len, (size_t)n);
    *len += (size_t)n;
    return true;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

int nvg_sensor_state_prepare(const struct nvg_sensor_table *t, const char *dir,
                             const char *log_name, uint64_t log_length, bool sync)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/sensors.state", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    size_t size = 64 + 4096 + t->n * (NVG_SENSOR_NAME_MAX + 100), len = 0;
    char *buf = malloc(size);
    if (!buf) {
        errno = ENOMEM;
        return NVG_ENOMEM;
    }
    uint64_t sum = FNV_SEED;
    bool ok = put_line(buf, size, &len, &sum, "%s", STATE_MAGIC);
    if (log_name && *log_name)
        ok = ok && put_line(buf, size, &len, &sum, "log %" PRIu64 " %s\n", log_length, log_name);
    for (size_t i = 0; ok && i < t->n; i++) {
        const struct nvg_sensor_entry *s = t->v[i];
        const struct nvg_seq_pos *d = &s->durable;
        if (d->valid)
            ok = put_line(buf, size, &len, &sum,
                          "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", d->boot_id,
                          d->last_seq, d->boot_records, d->boot_batches_lost, s->name);
    }
    ok = ok && put_line(buf, size, &len, &sum, "end %016" PRIx64 "\n", sum);
    int saved_errno = ok ? 0 : ENOBUFS;
    int fd = ok ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    /* Written whole and on disk before _commit renames it over the old one: a crash leaves the
     * old state or the new one, never half of one. */
    if (fd < 0 || write_all(fd, buf, len) != 0 || (sync && fsync(fd) != 0)) {
        saved_errno = saved_errno ? saved_errno : errno;
        ok = false;
    }
    if (fd >= 0 && close(fd) != 0 && ok) {
        saved_errno = errno;
        ok = false;
    }
    free(buf);
    if (!ok) {
        unlink(tmp);
        errno = saved_errno;
        return NVG_EIO;
    }
    return 0;
}

int nvg_sensor_state_commit(const char *dir, bool sync)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/sensors.state", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return NVG_EIO;
    }
    /* The rename on disk too, or a power loss could bring back the old state. */
    int dfd = sync ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int nvg_sensor_state_save(const struct nvg_sensor_table *t, const char *dir, const char *log_name,
                          uint64_t log_length)
{
    if (nvg_sensor_state_prepare(t, dir, log_name, log_length, true) < 0)
        return NVG_EIO;
    return nvg_sensor_state_commit(dir, true);
}

/* One sensor line: "boot seq records lost NAME" with a valid name and nothing else. */
static bool parse_sensor_line(const char *line, struct nvg_seq_pos *pos, const char **name)
{
    uint64_t v[4];
    const char *p = line;
    for (int i = 0; i < 4; i++) {
        if (*p < '0' || *p > '9')
            return false;
        char *end;
        errno = 0;
        v[i] = strtoull(p, &end, 10);
        if (errno || *end != ' ')
            return false;
        p = end + 1;
    }
    if (!nvg_name_valid(p))
        return false;
    *pos = (struct nvg_seq_pos){.valid = true,
                                .boot_id = v[0],
                                .last_seq = v[1],
                                .boot_records = v[2],
                                .boot_batches_lost = v[3]};
    *name = p;
    return true;
}

/* Checks the whole file before any of it is used: magic first line, strict lines, the
 * checksum on the last. why says what failed. */
static bool state_valid(char *text, size_t len, const char **why)
{
    if (len < sizeof(STATE_MAGIC) - 1 || memcmp(text, STATE_MAGIC, sizeof(STATE_MAGIC) - 1) != 0) {
        *why = "not a netvigil state file (first line)";
        return false;
    }
    if (text[len - 1] != '\n') {
        *why = "torn (no end of line at the end)";
        return false;
    }
    char *last = text + len - 1;
    while (last > text && last[-1] != '\n')
        last--;
    uint64_t want;
    char tail;
    if (sscanf(last, "end %16" SCNx64 "%c", &want, &tail) != 2 || tail != '\n' ||
        strlen(last) != 4 + 16 + 1) {
        *why = "torn or edited (no checksum line at the end)";
        return false;
    }
    if (fnv1a(FNV_SEED, text, (size_t)(last - text)) != want) {
        *why = "torn or edited (checksum does not match)";
        return false;
    }
    *last = '\0';
    return true;
}

/* Keeps a state file that failed validation beside the logs for whoever looks into it; the
 * next save writes a fresh one. */
static void set_aside(const char *path)
{
    char aside[4200];
    snprintf(aside, sizeof(aside), "%s.rejected-%lld", path, (long long)time(NULL));
    if (rename(path, aside) == 0)
        nvg_log(NVG_LOG_WARNING, "kept the rejected state as %s", aside);
}

static bool dir_has_logs(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)))
        found = strncmp(e->d_name, "packets-", 8) == 0;
    closedir(d);
    return found;
}

#define STATE_MAX_BYTES ((size_t)NVG_SENSORS_MAX * (NVG_SENSOR_NAME_MAX + 100) + 8192)

static void no_history(struct nvg_sensor_table *t, const char **why, const char *reason)
{
    t->history_unknown = true;
    for (size_t i = 0; i < t->n; i++)
        t->v[i]->history_unknown = true;
    *why = reason;
}

void nvg_sensor_table_forget_history(struct nvg_sensor_table *t)
{
    const char *why;
    for (size_t i = 0; i < t->n; i++) { /* back to what a rejected state restores: names */
        struct nvg_sensor_entry *s = t->v[i];
        s->have_boot = false;
        s->boot_id = s->last_seq = s->boot_records = s->boot_batches_lost = 0;
        s->durable = (struct nvg_seq_pos){0};
    }
    no_history(t, &why, "");
}

/* The whole file into *text (NUL-terminated, malloc'd): NVG_ENOTFOUND when missing, NVG_EIO
 * (errno set) when it cannot be read, is not a regular file or is larger than any state. */
static int read_state(const char *path, char **text, size_t *len)
{
    *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? NVG_ENOTFOUND : NVG_EIO;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) != 0)
        e = errno;
    else if (!S_ISREG(st.st_mode))
        e = EISDIR;
    else if ((size_t)st.st_size > STATE_MAX_BYTES)
        e = EFBIG;
    else if (!(*text = malloc((size_t)st.st_size + 1)))
        e = ENOMEM;
    else if (read(fd, *text, (size_t)st.st_size) != (ssize_t)st.st_size)
        e = errno ? errno : EIO;
    close(fd);
    if (e) {
        free(*text);
        *text = NULL;
        errno = e;
        return NVG_EIO;
    }
    *len = (size_t)st.st_size;
    (*text)[*len] = '\0';
    return 0;
}

int nvg_sensor_state_load(struct nvg_sensor_table *t, const char *dir, char *log_name,
                          size_t log_name_size, uint64_t *log_length, const char **why)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/sensors.state", dir);
    if (log_name_size)
        log_name[0] = '\0';
    *log_length = 0;
    *why = NULL;
    char *text;
    size_t len;
    int rc = read_state(path, &text, &len);
    if (rc == NVG_ENOTFOUND) {
        if (dir_has_logs(dir))
            no_history(t, why, "missing, but packet logs are there");
        return 0;
    }
    if (rc < 0) {
        int e = errno;
        no_history(t, why, "cannot be read");
        t->state_rejected++;
        errno = e;
        return NVG_EIO;
    }
    const char *reason;
    if (!state_valid(text, len, &reason)) {
        free(text);
        set_aside(path);
        no_history(t, why, reason);
        t->state_rejected++;
        return NVG_EMALFORMED;
    }
    int loaded = 0;
    char *save = NULL;
    for (char *line = strtok_r(text + sizeof(STATE_MAGIC) - 1, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        struct nvg_seq_pos pos;
        const char *name;
        uint64_t length;
        int off = 0;
        if (strncmp(line, "log ", 4) == 0 &&
            sscanf(line + 4, "%" SCNu64 " %n", &length, &off) == 1 && off > 0 &&
            strlen(line + 4 + off) < log_name_size) {
            snprintf(log_name, log_name_size, "%s", line + 4 + off);
            *log_length = length;
            continue;
        }
        struct nvg_sensor_entry *s;
        if (!parse_sensor_line(line, &pos, &name) || !(s = nvg_sensor_table_get(t, name)))
            continue; /* checksummed, so only a name this build refuses */
        s->validated = true;
        nvg_sensor_entry_set_boot(s, pos.boot_id);
        s->last_seq = pos.last_seq;
        s->boot_records = pos.boot_records;
        s->boot_batches_lost = pos.boot_batches_lost;
        s->boot_flows_whole = false; /* flow counts are not in the state */
        s->durable = pos;
        loaded++;
    }
    free(text);
    return loaded;
}
