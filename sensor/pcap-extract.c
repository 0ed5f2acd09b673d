/* See pcap-extract.h. */
#include "pcap-extract.h"

#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-job.h"
#include "capture.h"
#include "link.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-format.h"
#include "nvg-log.h"
#include "nvg-text.h"
#include "pcap-ring.h"
#include "pcapng-writer.h"

#define NS_PER_MS 1000000LL

struct stream {
    uint64_t id; /* 0: none */
    uint8_t *data;
    size_t len;
    uint64_t frames;
    int64_t from_ns, to_ns;
    int64_t used_ms; /* monotonic: the last chunk asked for */
    bool done;       /* its last chunk went out: freed at the next poll */
};

/* A first request while its expression compiles. */
struct waiting {
    struct nvg_bpf_job *job;
    char filter[NVG_TEXT_FILTER_MAX + 1];
    int64_t from_ns, to_ns;
    uint64_t max_bytes;
};

struct nvg_pcap_extract {
    struct nvg_pcap_ring *ring;
    char sensor[NVG_TEXT_SOURCE_MAX + 1], iface[NVG_TEXT_SOURCE_MAX + 1];
    uint32_t snaplen;
    struct waiting w;
    struct stream s;
    uint64_t next_id;
};

struct nvg_pcap_extract *nvg_pcap_extract_new(const struct nvg_pcap_extract_config *cfg)
{
    struct nvg_pcap_extract *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->ring = cfg->ring;
    snprintf(x->sensor, sizeof(x->sensor), "%s", cfg->sensor ? cfg->sensor : "");
    snprintf(x->iface, sizeof(x->iface), "%s", cfg->iface ? cfg->iface : "");
    x->snaplen = cfg->snaplen;
    x->next_id = (uint64_t)nvg_clock_wall_ms() << 12;
    return x;
}

static void drop_stream(struct nvg_pcap_extract *x)
{
    free(x->s.data);
    memset(&x->s, 0, sizeof(x->s));
}

void nvg_pcap_extract_free(struct nvg_pcap_extract *x)
{
    if (!x)
        return;
    nvg_bpf_job_free(x->w.job);
    drop_stream(x);
    free(x);
}

bool nvg_pcap_extract_busy(const struct nvg_pcap_extract *x)
{
    return x && x->w.job;
}

/* ---- building the stream ------------------------------------------------------------------ */

struct build {
    const struct bpf_program *prog; /* NULL: every frame of the span */
    uint8_t *out;                   /* NULL: count only */
    size_t at;
    uint64_t frames;
};

static int add_frame(void *ud, const struct nvg_pcap_ring_frame *f)
{
    struct build *b = ud;
    if (b->prog) {
        struct pcap_pkthdr h = {.caplen = f->caplen, .len = f->wirelen};
        if (!pcap_offline_filter(b->prog, &h, f->data))
            return 0;
    }
    b->at += nvg_pcapng_write_epb(b->out ? b->out + b->at : NULL, f->ts_ns, f->caplen, f->wirelen,
                                  f->data);
    b->frames++;
    return 0;
}

static size_t write_head(const struct nvg_pcap_extract *x, uint8_t *out, const char *filter,
                         int64_t from_ns, int64_t to_ns)
{
    char app[NVG_TEXT_SOURCE_MAX + 64],
        comment[NVG_TEXT_FILTER_MAX + 2 * NVG_TEXT_SOURCE_MAX + 128];
    char from[32], to[32], desc[NVG_TEXT_SOURCE_MAX + 32];
    nvg_format_time_iso(from, from_ns);
    nvg_format_time_iso(to, to_ns);
    snprintf(app, sizeof(app), "netvigil-sensor %s (sensor %s)", NVG_VERSION, x->sensor);
    snprintf(comment, sizeof(comment),
             "netvigil sensor %s on %s: frames captured from %s to %s%s%s%s", x->sensor, x->iface,
             from, to, filter[0] ? ", filter '" : ", no filter", filter, filter[0] ? "'" : "");
    snprintf(desc, sizeof(desc), "netvigil sensor %s", x->sensor);
    struct nvg_pcapng_section sec = {
        .userappl = app,
        .comment = comment,
        .if_name = x->iface,
        .if_description = desc,
        .dlt = nvg_pcap_ring_datalink(x->ring),
        .snaplen = x->snaplen,
    };
    return nvg_pcapng_write_head(out, &sec);
}

static void first_chunk(struct nvg_pcap_extract *x, Netvigil__PcapChunk *c);

/* The stream of the frames of [from_ns, to_ns] that prog passes, as a new session. */
static int build(struct nvg_pcap_extract *x, const struct bpf_program *prog, const char *filter,
                 int64_t from_ns, int64_t to_ns, uint64_t max_bytes, Netvigil__PcapChunk *chunk,
                 char *err, size_t errsize)
{
    struct build b = {.prog = prog};
    b.at = write_head(x, NULL, filter, from_ns, to_ns);
    nvg_pcap_ring_walk(x->ring, from_ns, to_ns, add_frame, &b);
    if (b.at > max_bytes) {
        snprintf(err, errsize,
                 "too large: the extraction is %zu bytes (%" PRIu64 " frames), over the cap of "
                 "%" PRIu64 " bytes; narrow the span or the filter",
                 b.at, b.frames, max_bytes);
        return NVG_ETOOBIG;
    }
    size_t len = b.at;
    uint8_t *data = malloc(len);
    if (!data) {
        snprintf(err, errsize, "out of memory for a %zu-byte extraction", len);
        return NVG_ENOMEM;
    }
    b = (struct build){.prog = prog, .out = data};
    b.at = write_head(x, data, filter, from_ns, to_ns);
    nvg_pcap_ring_walk(x->ring, from_ns, to_ns, add_frame, &b);
    drop_stream(x);
    x->s = (struct stream){.id = ++x->next_id,
                           .data = data,
                           .len = len,
                           .frames = b.frames,
                           .from_ns = from_ns,
                           .to_ns = to_ns,
                           .used_ms = nvg_clock_mono_ms()};
    nvg_log(NVG_LOG_NOTICE, "pcap extraction %" PRIu64 ": %" PRIu64 " frames, %zu bytes%s%s%s",
            x->s.id, b.frames, len, filter[0] ? ", filter '" : "", filter, filter[0] ? "'" : "");
    first_chunk(x, chunk);
    return 0;
}

/* ---- chunks ------------------------------------------------------------------------------- */

static void fill_chunk(struct nvg_pcap_extract *x, uint64_t offset, Netvigil__PcapChunk *c)
{
    size_t n =
        x->s.len - (size_t)offset < NVG_PCAP_CHUNK ? x->s.len - (size_t)offset : NVG_PCAP_CHUNK;
    c->session = x->s.id;
    c->offset = offset;
    c->data.data = x->s.data + offset;
    c->data.len = n;
    c->total_bytes = x->s.len;
    c->frames = x->s.frames;
    c->from_ns = x->s.from_ns;
    c->to_ns = x->s.to_ns;
    x->s.used_ms = nvg_clock_mono_ms();
    x->s.done = offset + n == x->s.len;
}

static void first_chunk(struct nvg_pcap_extract *x, Netvigil__PcapChunk *c)
{
    fill_chunk(x, 0, c);
}

static int next_chunk(struct nvg_pcap_extract *x, const Netvigil__PcapRequest *req,
                      Netvigil__PcapChunk *chunk, char *err, size_t errsize)
{
    if (!x->s.id || x->s.id != req->session || x->s.done) {
        snprintf(err, errsize,
                 "no extraction %" PRIu64 " on this sensor (finished, or idle for more than %d s)",
                 req->session, NVG_PCAP_IDLE_MS / 1000);
        return NVG_ENOTFOUND;
    }
    if (req->offset >= x->s.len) {
        snprintf(err, errsize, "bad request: offset %" PRIu64 " past the stream's %zu bytes",
                 req->offset, x->s.len);
        return NVG_EINVAL;
    }
    fill_chunk(x, req->offset, chunk);
    return 0;
}

/* ---- requests ----------------------------------------------------------------------------- */

/* The span a first request names, on this sensor's clock. */
static int resolve_span(const Netvigil__PcapRequest *req, int64_t *from_ns, int64_t *to_ns,
                        char *err, size_t errsize)
{
    int64_t now = nvg_clock_wall_ns();
    if (req->last_ms) {
        if (req->last_ms > (uint64_t)INT64_MAX / NS_PER_MS / 2) {
            snprintf(err, errsize, "bad request: the span is too long");
            return NVG_EINVAL;
        }
        *to_ns = now;
        *from_ns = now - (int64_t)req->last_ms * NS_PER_MS;
        return 0;
    }
    *from_ns = req->from_ns;
    *to_ns = req->to_ns ? req->to_ns : now;
    if (*from_ns <= 0 || *from_ns > *to_ns) {
        snprintf(err, errsize, "bad request: a span needs from <= to (or last)");
        return NVG_EINVAL;
    }
    return 0;
}

static int start_compile(struct nvg_pcap_extract *x, const char *filter, char *err, size_t errsize)
{
    int dlt = nvg_pcap_ring_datalink(x->ring);
    pcap_t *dead = pcap_open_dead(dlt, x->snaplen ? (int)x->snaplen : 262144);
    if (!dead) {
        snprintf(err, errsize, "cannot compile a filter for link type %d", dlt);
        return NVG_EPCAP;
    }
    char jerr[NVG_ERRBUF_SIZE] = "";
    x->w.job = nvg_bpf_job_start(dead, filter, NULL, PCAP_NETMASK_UNKNOWN, jerr);
    pcap_close(dead); /* the child has its copy */
    if (!x->w.job) {
        snprintf(err, errsize, "%s", jerr);
        return NVG_EPCAP;
    }
    snprintf(x->w.filter, sizeof(x->w.filter), "%s", filter);
    return NVG_LINK_DEFERRED;
}

int nvg_pcap_extract_request(struct nvg_pcap_extract *x, const char *filter,
                             const Netvigil__PcapRequest *req, Netvigil__PcapChunk *chunk,
                             char *err, size_t errsize)
{
    if (req->session)
        return next_chunk(x, req, chunk, err, errsize);
    if (x->w.job) {
        snprintf(err, errsize, "busy: another extraction's filter is compiling; try again");
        return NVG_EAGAIN;
    }
    if (x->s.id && !x->s.done && nvg_clock_mono_ms() - x->s.used_ms < NVG_PCAP_IDLE_MS) {
        snprintf(err, errsize,
                 "busy: another extraction (%zu bytes) is being fetched; try again when it is "
                 "done (or idle for %d s)",
                 x->s.len, NVG_PCAP_IDLE_MS / 1000);
        return NVG_EAGAIN;
    }
    int64_t from_ns, to_ns;
    int rc = resolve_span(req, &from_ns, &to_ns, err, errsize);
    if (rc < 0)
        return rc;
    uint64_t max = req->max_bytes ? req->max_bytes : NVG_PCAP_EXTRACT_DEFAULT;
    x->w.max_bytes = max < NVG_PCAP_EXTRACT_MAX ? max : NVG_PCAP_EXTRACT_MAX;
    x->w.from_ns = from_ns;
    x->w.to_ns = to_ns;
    if (!filter[0] || nvg_pcap_ring_datalink(x->ring) < 0)
        return build(x, NULL, "", from_ns, to_ns, x->w.max_bytes, chunk, err, errsize);
    return start_compile(x, filter, err, errsize);
}

bool nvg_pcap_extract_poll(struct nvg_pcap_extract *x, int *rc, Netvigil__PcapChunk *chunk,
                           char *err, size_t errsize)
{
    if (x->s.id && (x->s.done || nvg_clock_mono_ms() - x->s.used_ms >= NVG_PCAP_IDLE_MS))
        drop_stream(x);
    if (!x->w.job)
        return false;
    if (nvg_bpf_job_poll(x->w.job) == 0) {
        struct bpf_program prog = {0};
        *rc = nvg_bpf_job_result(x->w.job, &prog, err);
        if (*rc == 0) {
            *rc = build(x, &prog, x->w.filter, x->w.from_ns, x->w.to_ns, x->w.max_bytes, chunk, err,
                        errsize);
            free(prog.bf_insns);
        }
    } else if (nvg_bpf_job_age_ms(x->w.job) > NVG_FILTER_BUDGET_MS) {
        snprintf(err, errsize, "filter refused: it did not compile within %d s",
                 NVG_FILTER_BUDGET_MS / 1000);
        *rc = NVG_ETIMEDOUT;
    } else {
        return false;
    }
    nvg_bpf_job_free(x->w.job);
    x->w.job = NULL;
    return true;
}
