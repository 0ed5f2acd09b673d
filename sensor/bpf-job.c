/* Filter compilation in a child process. See bpf-job.h for why. */
#define _GNU_SOURCE /* pipe2 */
#include "bpf-job.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-text.h"

/* What the child writes: this header, then count instructions (ok) or count message bytes. */
struct reply_head {
    uint32_t ok;
    uint32_t count;
};

#define MSG_MAX 1024
#define QUOTE_MAX 80 /* bytes of a long expression quoted in an error message */

struct nvg_bpf_job {
    pid_t pid; /* 0 once reaped */
    int fd;    /* read end, -1 once the child closed its end */
    int datalink;
    int64_t start_ms;
    uint8_t *buf;
    size_t len, cap;
    bool malformed; /* the child wrote more than it may */
};

/* ---- the child ------------------------------------------------------------------------------ */

static void write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(1); /* the parent gave up on us */
        p += n;
        len -= (size_t)n;
    }
}

/* libpcap's reason is kept whole and the quote of the expression shrinks to make room, so the
 * message fits the wire's cap on error texts (NVG_TEXT_ERROR_MAX) without losing the reason.
 * with: the exclusion the expression was combined with, NULL when it failed on its own. */
static void child_fail(int fd, const char *expr, const char *with, const char *why)
{
    char quoted[QUOTE_MAX + 4], excl[QUOTE_MAX + 4], msg[MSG_MAX];
    size_t fixed = strlen("bad filter expression '': ") + strlen(why) +
                   (with ? strlen(" (combined with 'not ()')") + 24 : 0);
    size_t room = fixed < NVG_TEXT_ERROR_MAX - 16 ? NVG_TEXT_ERROR_MAX - fixed : 16;
    if (room > QUOTE_MAX)
        room = QUOTE_MAX;
    nvg_text_escape(quoted, room + 1, expr, strlen(expr));
    if (with)
        nvg_text_escape(excl, 24 + 1, with, strlen(with));
    int n =
        snprintf(msg, sizeof(msg), "bad filter expression '%s'%s%s%s: %s", quoted,
                 with ? " (combined with 'not (" : "", with ? excl : "", with ? ")')" : "", why);
    struct reply_head h = {0, (uint32_t)(n < 0 ? 0 : n >= MSG_MAX ? MSG_MAX - 1 : n)};
    write_all(fd, &h, sizeof(h));
    write_all(fd, msg, h.count);
    _exit(0);
}

/* The user's expression is compiled on its own first so that a syntax error is reported
 * against what the user wrote, not against the combined text. The combined text is sized to
 * what it holds: no cap below the expression's own. */
static void child_run(int fd, pcap_t *p, const char *expr, const char *exclude, bpf_u_int32 netmask)
{
    /* Die with the sensor, and on the terminal's Ctrl-C, not in the sensor's handler. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    struct bpf_program prog;
    if (pcap_compile(p, &prog, expr, 1, netmask) != 0)
        child_fail(fd, expr, NULL, pcap_geterr(p));
    if (exclude) {
        pcap_freecode(&prog);
        size_t size = strlen(expr) + strlen(exclude) + 32;
        char *combined = malloc(size);
        if (!combined)
            child_fail(fd, expr, exclude, "out of memory");
        if (*expr)
            snprintf(combined, size, "(%s) and not (%s)", expr, exclude);
        else
            snprintf(combined, size, "not (%s)", exclude);
        if (pcap_compile(p, &prog, combined, 1, netmask) != 0)
            child_fail(fd, expr, exclude, pcap_geterr(p));
        free(combined);
    }
    if (prog.bf_len > NVG_BPF_JOB_MAX_INSNS) {
        char why[128];
        snprintf(why, sizeof(why), "it compiles to %u instructions, more than %d", prog.bf_len,
                 NVG_BPF_JOB_MAX_INSNS);
        child_fail(fd, expr, NULL, why);
    }
    struct reply_head h = {1, prog.bf_len};
    write_all(fd, &h, sizeof(h));
    write_all(fd, prog.bf_insns, (size_t)prog.bf_len * sizeof(struct bpf_insn));
    _exit(0); /* no atexit handlers, no stdio flush: those belong to the sensor */
}

/* ---- the parent ----------------------------------------------------------------------------- */

struct nvg_bpf_job *nvg_bpf_job_start(pcap_t *p, const char *expr, const char *exclude,
                                      bpf_u_int32 netmask, char *err)
{
    struct nvg_bpf_job *job = calloc(1, sizeof(*job));
    int fds[2];
    if (!job || pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot compile the filter: %s", strerror(errno));
        free(job);
        return NULL;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_run(fds[1], p, expr, exclude, netmask);
    }
    close(fds[1]);
    if (pid < 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot start the filter compiler: %s", strerror(errno));
        close(fds[0]);
        job->fd = -1;
        job->pid = pid > 0 ? pid : 0;
        nvg_bpf_job_free(job);
        return NULL;
    }
    job->pid = pid;
    job->fd = fds[0];
    job->datalink = pcap_datalink(p);
    job->start_ms = nvg_clock_mono_ms();
    return job;
}

static void reap(struct nvg_bpf_job *job)
{
    if (job->pid <= 0)
        return;
    while (waitpid(job->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    job->pid = 0;
}

static bool grow(struct nvg_bpf_job *job)
{
    const size_t limit =
        sizeof(struct reply_head) + NVG_BPF_JOB_MAX_INSNS * sizeof(struct bpf_insn);
    if (job->len < job->cap)
        return true;
    if (job->cap >= limit) {
        job->malformed = true;
        return false;
    }
    size_t cap = job->cap ? job->cap * 2 : 4096;
    uint8_t *b = realloc(job->buf, cap < limit ? cap : limit);
    if (!b) {
        job->malformed = true;
        return false;
    }
    job->buf = b;
    job->cap = cap < limit ? cap : limit;
    return true;
}

int nvg_bpf_job_poll(struct nvg_bpf_job *job)
{
    while (job->fd >= 0) {
        if (!grow(job))
            break;
        ssize_t n = read(job->fd, job->buf + job->len, job->cap - job->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return NVG_EAGAIN;
        if (n <= 0)
            break; /* end of file: the child is done (or died) */
        job->len += (size_t)n;
    }
    if (job->fd >= 0)
        close(job->fd);
    job->fd = -1;
    if (job->malformed && job->pid > 0)
        kill(job->pid, SIGKILL);
    reap(job);
    return 0;
}

int nvg_bpf_job_wait(struct nvg_bpf_job *job, int timeout_ms)
{
    int64_t end = nvg_clock_mono_ms() + timeout_ms;
    for (;;) {
        if (nvg_bpf_job_poll(job) == 0)
            return 0;
        int64_t left = end - nvg_clock_mono_ms();
        if (left <= 0)
            return NVG_ETIMEDOUT;
        struct pollfd pfd = {.fd = job->fd, .events = POLLIN};
        poll(&pfd, 1, (int)left);
    }
}

int64_t nvg_bpf_job_age_ms(const struct nvg_bpf_job *job)
{
    return nvg_clock_mono_ms() - job->start_ms;
}

int nvg_bpf_job_datalink(const struct nvg_bpf_job *job)
{
    return job->datalink;
}

int nvg_bpf_job_result(struct nvg_bpf_job *job, struct bpf_program *prog, char *err)
{
    struct reply_head h;
    if (job->fd >= 0 || job->malformed || job->len < sizeof(h)) {
        snprintf(err, NVG_ERRBUF_SIZE, "the filter compiler failed (no result)");
        return NVG_EPCAP;
    }
    memcpy(&h, job->buf, sizeof(h));
    size_t body = job->len - sizeof(h);
    const uint8_t *data = job->buf + sizeof(h);
    if (!h.ok && h.count == body && body < MSG_MAX) {
        snprintf(err, NVG_ERRBUF_SIZE, "%.*s", (int)body, (const char *)data);
        return NVG_EFILTER;
    }
    if (!h.ok || h.count == 0 || body != (size_t)h.count * sizeof(struct bpf_insn)) {
        snprintf(err, NVG_ERRBUF_SIZE, "the filter compiler failed (bad result)");
        return NVG_EPCAP;
    }
    prog->bf_insns = malloc(body);
    if (!prog->bf_insns) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NVG_ENOMEM;
    }
    memcpy(prog->bf_insns, data, body);
    prog->bf_len = h.count;
    return 0;
}

void nvg_bpf_job_free(struct nvg_bpf_job *job)
{
    if (!job)
        return;
    if (job->pid > 0)
        kill(job->pid, SIGKILL);
    reap(job);
    if (job->fd >= 0)
        close(job->fd);
    free(job->buf);
    free(job);
}
