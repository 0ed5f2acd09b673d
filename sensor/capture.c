#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf-job.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-text.h"
#include "nvg-time.h"
#include "pcapng-reader.h"

struct nvg_capture {
    pcap_t *p;                 /* NULL when ng reads the file */
    struct nvg_pcapng *ng;     /* a pcapng file of several link types, which libpcap refuses */
    int frame_dlt;             /* link type of the frame being handed on */
    volatile sig_atomic_t brk; /* ng: nvg_capture_break asked to stop */
    uint64_t handed;           /* a file libpcap reads: frames handed on so far */
    bool live;
    bool nano;
    bool classic; /* a classic pcap file: its seconds are unsigned 32-bit */
    bool paused;
    int timeout_ms; /* live: how long the kernel may hold a block of frames */
    int fd;         /* live: pcap's selectable descriptor */
    bpf_u_int32 netmask;
    /* The program of filter and exclusion combined: in force, or put back on resume. Ours
     * (bf_insns from malloc); accept-all until a filter is set. */
    struct bpf_program prog;
    char *filter;   /* last expression set, "" for none */
    char *exclude;  /* traffic never captured (our own link to the collector), NULL for none */
    char name[256]; /* interface or file, for messages */
};

__attribute__((format(printf, 2, 3))) static void set_err(char *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, NVG_ERRBUF_SIZE, fmt, ap);
    va_end(ap);
}

struct nvg_filter_job {
    struct nvg_bpf_job *job;
    char *expr;
};

static struct nvg_capture *capture_new(pcap_t *p, struct nvg_pcapng *ng, const char *name,
                                       bool live)
{
    struct nvg_capture *cap = calloc(1, sizeof(*cap));
    if (!cap)
        return NULL;
    cap->filter = strdup("");
    cap->prog.bf_insns = malloc(sizeof(struct bpf_insn));
    if (!cap->filter || !cap->prog.bf_insns) {
        free(cap->filter);
        free(cap->prog.bf_insns);
        free(cap);
        return NULL;
    }
    /* What an empty expression compiles to: accept the whole frame. */
    u_int snap = p ? (u_int)pcap_snapshot(p) : NVG_PCAPNG_MAX_BLOCK;
    cap->prog.bf_insns[0] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, snap);
    cap->prog.bf_len = 1;
    cap->p = p;
    cap->ng = ng;
    cap->frame_dlt = p ? pcap_datalink(p) : nvg_pcapng_first_dlt(ng);
    cap->live = live;
    cap->netmask = PCAP_NETMASK_UNKNOWN;
    snprintf(cap->name, sizeof(cap->name), "%s", name);
    return cap;
}

void nvg_capture_free(struct nvg_capture *cap)
{
    if (!cap)
        return;
    if (cap->p)
        pcap_close(cap->p);
    nvg_pcapng_close(cap->ng);
    free(cap->filter);
    free(cap->exclude);
    free(cap->prog.bf_insns);
    free(cap);
}

/* libpcap 1.10 takes a pcapng file only when all its interfaces have one link type (and one
 * snap length), and says so in these words when it meets an interface of another (on reading
 * the first packet when the interfaces come first, as they usually do): such a file is for
 * our own reader. */
static bool refused_for_link_types(const char *pcap_err)
{
    /* Merged files often differ in snap length too, which libpcap refuses the same way. */
    return strstr(pcap_err, "different from the type of the first interface") ||
           strstr(pcap_err, "different from the snapshot length of the first interface");
}

/* Whether libpcap refuses path at its first packet for that reason: a second handle reads it,
 * so that the one kept is untouched. */
static bool refused_at_first_packet(const char *path)
{
    if (!nvg_pcapng_file_is_pcapng(path))
        return false;
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline(path, ebuf);
    if (!p)
        return false;
    struct pcap_pkthdr *h;
    const u_char *bytes;
    bool refused =
        pcap_next_ex(p, &h, &bytes) == PCAP_ERROR && refused_for_link_types(pcap_geterr(p));
    pcap_close(p);
    return refused;
}

static struct nvg_capture *open_mixed_pcapng(const char *path, char *err, int *rc)
{
    char ebuf[NVG_ERRBUF_SIZE];
    struct nvg_pcapng *ng = nvg_pcapng_open(path, ebuf);
    if (!ng) {
        set_err(err, "cannot read capture file %s (a pcapng of several link types): %s", path,
                ebuf);
        if (rc)
            *rc = NVG_EPCAP;
        return NULL;
    }
    struct nvg_capture *cap = capture_new(NULL, ng, path, false);
    if (!cap) {
        nvg_pcapng_close(ng);
        set_err(err, "%s: out of memory", path);
        if (rc)
            *rc = NVG_ENOMEM;
    }
    return cap;
}

struct nvg_capture *nvg_capture_open_file(const char *path, char *err, int *rc)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (p && refused_at_first_packet(path)) {
        pcap_close(p);
        return open_mixed_pcapng(path, err, rc);
    }
    if (!p) {
        set_err(err, "cannot read capture file %s: %s", path, ebuf);
        if (rc)
            *rc = NVG_EPCAP;
        return NULL;
    }
    struct nvg_capture *cap = capture_new(p, NULL, path, false);
    if (!cap) {
        pcap_close(p);
        set_err(err, "%s: out of memory", path);
        if (rc)
            *rc = NVG_ENOMEM;
        return NULL;
    }
    cap->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    /* libpcap gives a pcapng file its section's version (1.x), a classic file 2.4. Only the
     * classic seconds need reading as unsigned: pcapng's if_tsoffset makes a negative second
     * (before 1970) legitimate. */
    cap->classic = pcap_major_version(p) == 2;
    return cap;
}

/* Settings made between pcap_create and pcap_activate. */
static int configure(pcap_t *p, const struct nvg_capture_params *par, char *err)
{
    if (pcap_set_snaplen(p, par->snaplen) != 0 || pcap_set_promisc(p, par->promisc) != 0 ||
        pcap_set_timeout(p, par->timeout_ms) != 0 ||
        pcap_set_buffer_size(p, (int)par->buffer_bytes) != 0) {
        set_err(err, "%s: cannot configure capture: %s", par->iface, pcap_geterr(p));
        return NVG_EPCAP;
    }
    /* Nanosecond time stamps where the platform has them; microseconds otherwise. */
    (void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
    return 0;
}

static int activate_error(pcap_t *p, int status, const char *iface, char *err)
{
    const char *detail = pcap_geterr(p);
    switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        set_err(err, "no such interface '%s' (%s)", iface, detail);
        return NVG_ENOTFOUND;
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        set_err(err,
                "permission denied capturing on '%s': run as root or with CAP_NET_RAW "
                "(%s)",
                iface, detail);
        return NVG_EPERM;
    case PCAP_ERROR_IFACE_NOT_UP:
        set_err(err, "interface '%s' is not up", iface);
        return NVG_EPCAP;
    default:
        set_err(err, "cannot capture on '%s': %s%s%s", iface, pcap_statustostr(status),
                detail[0] ? ": " : "", detail);
        return NVG_EPCAP;
    }
}

struct nvg_capture *nvg_capture_open_live(const struct nvg_capture_params *par, char *err, int *rc)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    int code = NVG_EPCAP;
    pcap_t *p = pcap_create(par->iface, ebuf);
    if (!p) {
        set_err(err, "cannot capture on '%s': %s", par->iface, ebuf);
        goto fail;
    }
    if ((code = configure(p, par, err)) < 0)
        goto fail;
    int status = pcap_activate(p);
    if (status < 0) {
        code = activate_error(p, status, par->iface, err);
        goto fail;
    }
    if (status > 0)
        nvg_log(NVG_LOG_WARNING, "%s: %s (%s)", par->iface, pcap_statustostr(status),
                pcap_geterr(p));
    struct nvg_capture *cap = capture_new(p, NULL, par->iface, true);
    if (!cap) {
        set_err(err, "%s: out of memory", par->iface);
        code = NVG_ENOMEM;
        goto fail;
    }
    cap->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    cap->timeout_ms = par->timeout_ms;
    /* The kernel releases a block of frames only once it holds one, so on a quiet interface a
     * blocking read would never return: wait on the descriptor with our own timeout instead,
     * and read without blocking. */
    cap->fd = pcap_get_selectable_fd(p);
    if (cap->fd < 0 || pcap_setnonblock(p, 1, ebuf) != 0) {
        set_err(err, "%s: cannot wait for frames with a timeout: %s", par->iface,
                cap->fd < 0 ? "no selectable descriptor" : ebuf);
        nvg_capture_free(cap);
        if (rc)
            *rc = NVG_EPCAP;
        return NULL;
    }
    bpf_u_int32 net, mask;
    if (pcap_lookupnet(par->iface, &net, &mask, ebuf) == 0)
        cap->netmask = mask;
    return cap;
fail:
    if (p)
        pcap_close(p);
    if (rc)
        *rc = code;
    return NULL;
}

/* ---- filters ------------------------------------------------------------------------------ */

int nvg_capture_compile(struct nvg_capture *cap, const char *expr, struct nvg_filter_job **out,
                        char *err)
{
    *out = NULL;
    if (!expr)
        expr = "";
    size_t len = strlen(expr);
    if (len > NVG_TEXT_FILTER_MAX) {
        set_err(err, "filter refused: it is %zu bytes, at most %d are allowed", len,
                NVG_TEXT_FILTER_MAX);
        return NVG_ETOOBIG;
    }
    if (!nvg_text_valid(expr, len, NVG_TEXT_FILTER_MAX)) {
        set_err(err, "filter refused: it has control characters or is not valid UTF-8");
        return NVG_EFILTER;
    }
    if (cap->ng && (*expr || cap->exclude)) {
        /* One BPF program is for one link type: libpcap cannot compile for this file. */
        set_err(err,
                "filter refused: %s has interfaces of several link types, and a capture filter "
                "is compiled for one: read it without one",
                cap->name);
        return NVG_EFILTER;
    }
    struct nvg_filter_job *fj = calloc(1, sizeof(*fj));
    if (!fj || !(fj->expr = strdup(expr))) {
        free(fj);
        set_err(err, "out of memory");
        return NVG_ENOMEM;
    }
    if (cap->ng) {
        *out = fj; /* nothing to compile: no job, the empty filter */
        return 0;
    }
    fj->job = nvg_bpf_job_start(cap->p, expr, cap->exclude, cap->netmask, err);
    if (!fj->job) {
        nvg_filter_job_free(fj);
        return NVG_EPCAP;
    }
    *out = fj;
    return 0;
}

int nvg_filter_job_poll(struct nvg_filter_job *fj)
{
    return fj->job ? nvg_bpf_job_poll(fj->job) : 0;
}

int nvg_filter_job_wait(struct nvg_filter_job *fj, int timeout_ms)
{
    return fj->job ? nvg_bpf_job_wait(fj->job, timeout_ms) : 0;
}

int64_t nvg_filter_job_age_ms(const struct nvg_filter_job *fj)
{
    return fj->job ? nvg_bpf_job_age_ms(fj->job) : 0;
}

const char *nvg_filter_job_expr(const struct nvg_filter_job *fj)
{
    return fj->expr;
}

void nvg_filter_job_free(struct nvg_filter_job *fj)
{
    if (!fj)
        return;
    nvg_bpf_job_free(fj->job);
    free(fj->expr);
    free(fj);
}

/* Makes prog (taken) the capture's program, in force unless paused; on failure prog is
 * freed and the old program stays. */
static int take_program(struct nvg_capture *cap, struct bpf_program *prog, const char *what,
                        char *err)
{
    if (!cap->paused && pcap_setfilter(cap->p, prog) != 0) {
        set_err(err, "cannot install filter '%s': %s", what, pcap_geterr(cap->p));
        free(prog->bf_insns);
        return NVG_EFILTER;
    }
    free(cap->prog.bf_insns);
    cap->prog = *prog;
    return 0;
}

/* A capture read by ng has no program: an empty filter is all it can take. */
static int set_empty_filter(struct nvg_capture *cap, char *err)
{
    char *copy = strdup("");
    if (!copy) {
        set_err(err, "out of memory");
        return NVG_ENOMEM;
    }
    free(cap->filter);
    cap->filter = copy;
    return 0;
}

int nvg_capture_apply(struct nvg_capture *cap, struct nvg_filter_job *fj, char *err)
{
    if (nvg_filter_job_poll(fj) != 0) {
        set_err(err, "the filter is still compiling");
        return NVG_EAGAIN;
    }
    if (!fj->job != !cap->p) {
        set_err(err, "the capture was reopened while the filter compiled; set it again");
        return NVG_EAGAIN;
    }
    if (!fj->job)
        return set_empty_filter(cap, err);
    if (nvg_bpf_job_datalink(fj->job) != pcap_datalink(cap->p)) {
        set_err(err, "the capture was reopened with another link type while the filter "
                     "compiled; set it again");
        return NVG_EAGAIN;
    }
    char *copy = strdup(fj->expr);
    struct bpf_program prog;
    int rc = copy ? nvg_bpf_job_result(fj->job, &prog, err) : NVG_ENOMEM;
    if (rc == 0)
        rc = take_program(cap, &prog, fj->expr, err);
    if (rc < 0) {
        if (!copy)
            set_err(err, "out of memory");
        free(copy);
        return rc;
    }
    free(cap->filter);
    cap->filter = copy;
    return 0;
}

int nvg_capture_set_filter(struct nvg_capture *cap, const char *expr, char *err)
{
    struct nvg_filter_job *fj;
    int rc = nvg_capture_compile(cap, expr, &fj, err);
    if (rc < 0)
        return rc;
    if (nvg_filter_job_wait(fj, NVG_FILTER_BUDGET_MS) != 0) {
        set_err(err, "filter refused: it did not compile within %d s", NVG_FILTER_BUDGET_MS / 1000);
        rc = NVG_ETIMEDOUT;
    } else {
        rc = nvg_capture_apply(cap, fj, err);
    }
    nvg_filter_job_free(fj);
    return rc;
}

int nvg_capture_set_exclude(struct nvg_capture *cap, const char *expr, char *err)
{
    char *copy = expr && *expr ? strdup(expr) : NULL;
    if (expr && *expr && !copy) {
        set_err(err, "out of memory");
        return NVG_ENOMEM;
    }
    char *old = cap->exclude;
    cap->exclude = copy;
    int rc = nvg_capture_set_filter(cap, cap->filter, err);
    if (rc < 0) {
        cap->exclude = old;
        free(copy);
        return rc;
    }
    free(old);
    return 0;
}

int nvg_capture_copy_filter(struct nvg_capture *dst, const struct nvg_capture *src, char *err)
{
    if (!dst->p || !src->p || pcap_datalink(dst->p) != pcap_datalink(src->p) ||
        pcap_snapshot(dst->p) != pcap_snapshot(src->p))
        return nvg_capture_set_filter(dst, src->filter, err);
    size_t bytes = src->prog.bf_len * sizeof(struct bpf_insn);
    struct bpf_program prog = {src->prog.bf_len, malloc(bytes)};
    char *copy = strdup(src->filter);
    if (!prog.bf_insns || !copy) {
        free(prog.bf_insns);
        free(copy);
        set_err(err, "out of memory");
        return NVG_ENOMEM;
    }
    memcpy(prog.bf_insns, src->prog.bf_insns, bytes);
    int rc = take_program(dst, &prog, src->filter, err);
    if (rc < 0) {
        free(copy);
        return rc;
    }
    free(dst->filter);
    dst->filter = copy;
    return 0;
}

int nvg_capture_pause(struct nvg_capture *cap, bool paused, char *err)
{
    if (paused == cap->paused)
        return 0;
    if (cap->ng) {
        cap->paused = paused; /* dispatch skips the frames, as a reject-all program would */
        return 0;
    }
    if (!paused) {
        /* The program kept from the last compile: resuming compiles nothing. */
        if (pcap_setfilter(cap->p, &cap->prog) != 0) {
            set_err(err, "cannot resume capture: %s", pcap_geterr(cap->p));
            return NVG_EPCAP;
        }
        cap->paused = false;
        return 0;
    }
    /* One instruction: accept 0 bytes, i.e. drop every frame (in the kernel when live). */
    struct bpf_insn reject = BPF_STMT(BPF_RET | BPF_K, 0);
    struct bpf_program prog = {1, &reject};
    if (pcap_setfilter(cap->p, &prog) != 0) {
        set_err(err, "cannot pause capture: %s", pcap_geterr(cap->p));
        return NVG_EPCAP;
    }
    cap->paused = true;
    return 0;
}

bool nvg_capture_paused(const struct nvg_capture *cap)
{
    return cap->paused;
}

const char *nvg_capture_filter(const struct nvg_capture *cap)
{
    return cap->filter;
}

int nvg_capture_datalink(const struct nvg_capture *cap)
{
    return cap->frame_dlt;
}

int nvg_capture_frame_dlt(const struct nvg_capture *cap)
{
    return cap->frame_dlt;
}

/* "several (3 link types: EN10MB, LINUX_SLL, RAW)": those met so far. */
static void several_text(const struct nvg_capture *cap, char *buf, size_t len)
{
    int dlts[NVG_PCAPNG_MAX_DLTS];
    unsigned n = nvg_pcapng_link_types(cap->ng, dlts, NVG_PCAPNG_MAX_DLTS);
    int w = snprintf(buf, len, "several (%u link types:", n);
    for (unsigned i = 0; i < n && w >= 0 && (size_t)w < len; i++) {
        const char *name = pcap_datalink_val_to_name(dlts[i]);
        char num[16];
        snprintf(num, sizeof(num), "%d", dlts[i]);
        w += snprintf(buf + w, len - (size_t)w, "%s %s", i ? "," : "", name ? name : num);
    }
    if (w >= 0 && (size_t)w < len)
        snprintf(buf + w, len - (size_t)w, ")");
}

void nvg_capture_datalink_text(const struct nvg_capture *cap, char *buf, size_t len)
{
    if (cap->ng) {
        several_text(cap, buf, len);
        return;
    }
    int dlt = pcap_datalink(cap->p);
    const char *name = pcap_datalink_val_to_name(dlt);
    const char *desc = pcap_datalink_val_to_description(dlt);
    if (name)
        snprintf(buf, len, "%s (%s, %d)", name, desc ? desc : "no description", dlt);
    else
        snprintf(buf, len, "%d (not known to libpcap)", dlt);
}

bool nvg_capture_is_live(const struct nvg_capture *cap)
{
    return cap->live;
}

struct trampoline {
    nvg_capture_fn fn;
    void *ctx;
    bool nano;
    bool classic;
    uint64_t *handed;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    const struct trampoline *t = (const struct trampoline *)user;
    bool clamped = false;
    int64_t sec = (int64_t)h->ts.tv_sec;
    if (t->classic)
        sec = nvg_pcap_file_seconds(sec);
    int64_t ts = nvg_time_from_pcap(sec, (int64_t)h->ts.tv_usec, t->nano, &clamped);
    (*t->handed)++;
    t->fn(t->ctx, bytes, h->caplen, h->len, ts, clamped);
}

/* pcap_dispatch's contract for our reader: a break is seen between frames, and reported at
 * once when no frame was handed on yet, else by the next call; paused frames are read and
 * skipped, as libpcap's reject-all program does. */
static int ng_dispatch(struct nvg_capture *cap, int max, nvg_capture_fn fn, void *ctx, char *err)
{
    int n = 0;
    while (max <= 0 || n < max) {
        if (cap->brk) {
            if (n)
                return n;
            cap->brk = 0;
            return NVG_EAGAIN;
        }
        struct nvg_pcapng_frame f;
        int rc = nvg_pcapng_next(cap->ng, &f, err);
        if (rc < 0)
            return NVG_EPCAP;
        if (rc == 0)
            break;
        cap->frame_dlt = f.dlt;
        if (cap->paused)
            continue;
        fn(ctx, f.data, f.caplen, f.wirelen, f.ts_ns, f.time_clamped);
        n++;
    }
    return n;
}

/* Our reader on the file libpcap reads, past the frames libpcap handed on; NULL with the
 * reason in ebuf. Through libpcap's descriptor, not the path: the sensor may have given up
 * the rights that opened it (and the seccomp list has fcntl, not dup). */
static struct nvg_pcapng *reader_after(const struct nvg_capture *cap, char *ebuf)
{
    FILE *src = pcap_file(cap->p), *fp = NULL;
    int fd = src ? fcntl(fileno(src), F_DUPFD_CLOEXEC, 0) : -1;
    if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0 || !(fp = fdopen(fd, "rb"))) {
        snprintf(ebuf, NVG_ERRBUF_SIZE, "%s: %s", cap->name, src ? strerror(errno) : "no file");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct nvg_pcapng *ng = nvg_pcapng_open_stream(fp, cap->name, ebuf);
    for (uint64_t i = 0; ng && i < cap->handed; i++) {
        struct nvg_pcapng_frame f;
        int rc = nvg_pcapng_next(ng, &f, ebuf);
        if (rc == 1)
            continue;
        if (rc == 0)
            snprintf(ebuf, NVG_ERRBUF_SIZE, "it has fewer frames than libpcap read");
        nvg_pcapng_close(ng);
        ng = NULL;
    }
    return ng;
}

/* libpcap met an interface of another link type after some frames (a later section, or an
 * interface described after the first packets): our reader takes over at the next frame.
 * done: frames this dispatch handed on before. */
static int switch_to_reader(struct nvg_capture *cap, int max, nvg_capture_fn fn, void *ctx,
                            char *err, int done)
{
    if (cap->filter[0] || cap->exclude) {
        set_err(err, "%s: %s: a capture filter cannot serve a file of several link types",
                cap->name, pcap_geterr(cap->p));
        return NVG_EPCAP;
    }
    char ebuf[NVG_ERRBUF_SIZE];
    struct nvg_pcapng *ng = reader_after(cap, ebuf);
    if (!ng) {
        set_err(err, "%s: %s; netvigil's pcapng reader failed too: %s", cap->name,
                pcap_geterr(cap->p), ebuf);
        return NVG_EPCAP;
    }
    nvg_log(NVG_LOG_INFO,
            "%s: an interface of another link type after %" PRIu64 " frames: read on with "
            "netvigil's pcapng reader",
            cap->name, cap->handed);
    pcap_close(cap->p);
    cap->p = NULL;
    cap->ng = ng;
    int n = ng_dispatch(cap, max > 0 ? max - done : max, fn, ctx, err);
    return n < 0 ? n : n + done;
}

int nvg_capture_dispatch(struct nvg_capture *cap, int max, nvg_capture_fn fn, void *ctx, char *err)
{
    if (cap->ng)
        return ng_dispatch(cap, max, fn, ctx, err);
    struct trampoline t = {fn, ctx, cap->nano, cap->classic, &cap->handed};
    if (cap->live) {
        /* Once the kernel has said the interface went down, libpcap asks to be called on a
         * short timeout even with nothing to read: that call is where it finds the interface
         * gone. Without it a removal that reached us as a single socket error (both kernel
         * notifications taken at once, as on a loaded machine) would go unseen for ever. */
        const struct timeval *required = pcap_get_required_select_timeout(cap->p);
        int timeout = cap->timeout_ms;
        if (required) {
            long ms = (long)required->tv_sec * 1000 + (long)required->tv_usec / 1000;
            timeout = ms < 1 ? 1 : ms < timeout ? (int)ms : timeout;
        }
        struct pollfd pfd = {.fd = cap->fd, .events = POLLIN};
        int ready = poll(&pfd, 1, timeout);
        if (ready < 0 && errno == EINTR)
            return NVG_EAGAIN;
        if (ready < 0) {
            set_err(err, "%s: waiting for frames: %s", cap->name, strerror(errno));
            return NVG_EPCAP;
        }
        if (ready == 0 && !required)
            return 0;
    }
    uint64_t before = cap->handed;
    int n = pcap_dispatch(cap->p, max > 0 ? max : -1, on_packet, (u_char *)&t);
    if (n == PCAP_ERROR_BREAK)
        return NVG_EAGAIN;
    if (n < 0 && !cap->live && refused_for_link_types(pcap_geterr(cap->p)))
        return switch_to_reader(cap, max, fn, ctx, err, (int)(cap->handed - before));
    if (n < 0) {
        set_err(err, "%s", pcap_geterr(cap->p));
        return NVG_EPCAP;
    }
    return n;
}

int nvg_capture_drain(struct nvg_capture *cap, int max, nvg_capture_fn fn, void *ctx, char *err)
{
    if (!cap->live)
        return 0;
    if (pcap_setnonblock(cap->p, 1, err ? err : (char[PCAP_ERRBUF_SIZE]){0}) != 0)
        return NVG_EPCAP;
    struct trampoline t = {fn, ctx, cap->nano, cap->classic, &cap->handed};
    int64_t end_ns = nvg_clock_mono_ns() + ((int64_t)cap->timeout_ms + 20) * 1000000;
    int total = 0;
    for (;;) {
        int n = pcap_dispatch(cap->p, max > 0 ? max - total : -1, on_packet, (u_char *)&t);
        if (n == PCAP_ERROR_BREAK)
            continue; /* the break that ended the capture, reported once */
        if (n < 0) {
            set_err(err, "%s", pcap_geterr(cap->p));
            return NVG_EPCAP;
        }
        total += n;
        if (max > 0 && total >= max)
            break;
        if (nvg_clock_mono_ns() >= end_ns)
            break;
        if (n == 0)
            nanosleep(&(struct timespec){0, 5 * 1000000}, NULL);
    }
    return total;
}

void nvg_capture_break(struct nvg_capture *cap)
{
    if (cap->ng)
        cap->brk = 1;
    else
        pcap_breakloop(cap->p);
}

int nvg_capture_stats(struct nvg_capture *cap, struct nvg_capture_stats *st, char *err)
{
    struct pcap_stat ps;
    if (!cap->live) {
        set_err(err, "no kernel counters when reading a file");
        return NVG_EINVAL;
    }
    if (pcap_stats(cap->p, &ps) != 0) {
        set_err(err, "%s: %s", cap->name, pcap_geterr(cap->p));
        return NVG_EPCAP;
    }
    st->received = ps.ps_recv;
    st->dropped = ps.ps_drop;
    st->ifdropped = ps.ps_ifdrop;
    return 0;
}
