/* The libpcap side of the sensor: opening an interface or a capture file, the BPF pre-filter
 * (which can be changed, paused and resumed while capturing), the dispatch loop and the
 * kernel's counters. Nothing here decodes or formats. */
#ifndef NVG_CAPTURE_H
#define NVG_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nvg_capture;

struct nvg_capture_params {
    const char *iface;
    int snaplen;
    uint64_t buffer_bytes; /* kernel ring */
    bool promisc;
    int timeout_ms; /* how long the kernel may hold a block of frames */
};

struct nvg_capture_stats {
    uint64_t received;  /* ps_recv */
    uint64_t dropped;   /* ps_drop: no room in the ring */
    uint64_t ifdropped; /* ps_ifdrop: dropped by the interface or driver */
};

/* Called once per frame with its bytes (valid only during the call), captured and wire length
 * and the capture time in ns since the epoch; time_clamped when the file's stamp could not be
 * represented and ts_ns is the nearest time that can (nvg_time_from_pcap). */
typedef void (*nvg_capture_fn)(void *ctx, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                               int64_t ts_ns, bool time_clamped);

/* Return NULL on failure with the reason (interface or file name, libpcap's text) in err
 * (NVG_ERRBUF_SIZE bytes); *rc (may be NULL) gets NVG_ENOTFOUND, NVG_EPERM or NVG_EPCAP. */
struct nvg_capture *nvg_capture_open_live(const struct nvg_capture_params *p, char *err, int *rc);
/* A file is read by libpcap, or, when libpcap refuses it as a pcapng whose interfaces have
 * several link types, by our own reader (pcapng-reader.h). Such a file takes no capture
 * filter (one BPF program is for one link type): setting one is NVG_EFILTER. */
struct nvg_capture *nvg_capture_open_file(const char *path, char *err, int *rc);
void nvg_capture_free(struct nvg_capture *cap);

/* How long a filter may take to compile (libpcap's optimiser; a host name is a DNS lookup)
 * before it is refused. */
#define NVG_FILTER_BUDGET_MS 2000

/* A filter compiling off the capture path (bpf-job.h: a child process), so that capture goes
 * on meanwhile. One job belongs to the thread that started it. */
struct nvg_filter_job;

/* Starts compiling expr (tcpdump syntax; NULL or "" accepts everything; with the exclusion)
 * for cap. Returns 0 with *job, NVG_ETOOBIG (more than NVG_TEXT_FILTER_MAX bytes),
 * NVG_EFILTER (control characters, invalid UTF-8) or NVG_EPCAP, with the reason in err. */
int nvg_capture_compile(struct nvg_capture *cap, const char *expr, struct nvg_filter_job **job,
                        char *err);
/* NVG_EAGAIN while compiling, 0 once done. Never waits. */
int nvg_filter_job_poll(struct nvg_filter_job *job);
/* Waits up to timeout_ms: 0 done, NVG_ETIMEDOUT. */
int nvg_filter_job_wait(struct nvg_filter_job *job, int timeout_ms);
int64_t nvg_filter_job_age_ms(const struct nvg_filter_job *job);
const char *nvg_filter_job_expr(const struct nvg_filter_job *job);
/* Stops a compile still running (the child is killed) and frees the job. NULL does nothing. */
void nvg_filter_job_free(struct nvg_filter_job *job);
/* Installs what a finished job compiled (in force unless paused) and makes its expression
 * the filter. cap may be a reopened capture (restart) with the same link type. On failure
 * (NVG_EFILTER with libpcap's message, NVG_EAGAIN: not finished or link type changed,
 * NVG_EPCAP) the filter in force stays. The job stays the caller's. */
int nvg_capture_apply(struct nvg_capture *cap, struct nvg_filter_job *job, char *err);

/* Compiles and installs expr, waiting for the compile up to NVG_FILTER_BUDGET_MS (at start-up,
 * before capture begins; NVG_ETIMEDOUT past it). Other results as _compile and _apply; while
 * paused the new filter is checked and kept, and goes into force on resume. */
int nvg_capture_set_filter(struct nvg_capture *cap, const char *expr, char *err);
/* A reopened capture takes src's filter: the compiled program itself when the link type and
 * snap length are the same (nothing is compiled), else compiled again (_set_filter). */
int nvg_capture_copy_filter(struct nvg_capture *dst, const struct nvg_capture *src, char *err);
/* Traffic to leave out whatever the filter says (tcpdump syntax; NULL or "" for none), such
 * as the sensor's own connection to the collector, which would otherwise feed on itself when
 * capturing the interface it leaves by. Applied at once and to every later filter. */
int nvg_capture_set_exclude(struct nvg_capture *cap, const char *expr, char *err);
/* Stop (install a reject-all filter) or resume (reinstall the last compiled program; nothing
 * is compiled). */
int nvg_capture_pause(struct nvg_capture *cap, bool paused, char *err);
bool nvg_capture_paused(const struct nvg_capture *cap);
/* The filter expression last set ("" for none). */
const char *nvg_capture_filter(const struct nvg_capture *cap);

/* The capture's link type. A pcapng file whose interfaces have several link types (which
 * libpcap refuses: sensor/pcapng-reader.h reads it) has one per frame: this is then the link
 * type of the frame being handed on (of the first interface before the first frame). */
int nvg_capture_datalink(const struct nvg_capture *cap);
/* The link type of the frame being handed to an nvg_capture_fn (for the pipeline, which
 * decodes each frame by its own link type). */
int nvg_capture_frame_dlt(const struct nvg_capture *cap);
/* "EN10MB (Ethernet)"-style name of the link type, for messages; "several (3 link types:
 * EN10MB, LINUX_SLL, RAW)" for a file of several. */
void nvg_capture_datalink_text(const struct nvg_capture *cap, char *buf, size_t len);
bool nvg_capture_is_live(const struct nvg_capture *cap);

/* Hands up to max frames (max <= 0: as many as are ready, or the whole rest of a file) to fn.
 * Returns the number of frames handled (0: a live timeout or, for a file, the end), NVG_EAGAIN
 * when nvg_capture_break stopped it, or NVG_EPCAP with libpcap's message in err (a file cut
 * short, an interface gone). Frames handled before an error have been passed to fn. */
int nvg_capture_dispatch(struct nvg_capture *cap, int max, nvg_capture_fn fn, void *ctx, char *err);
/* After a stop: hands on the frames the kernel still holds (live capture; up to max when
 * max > 0), waiting one block timeout for the last partly filled block to be released, so a
 * stop loses nothing that was captured. Returns frames handled or NVG_EPCAP. */
int nvg_capture_drain(struct nvg_capture *cap, int max, nvg_capture_fn fn, void *ctx, char *err);
/* Makes the running or next dispatch return NVG_EAGAIN. Safe in a signal handler. */
void nvg_capture_break(struct nvg_capture *cap);

/* The kernel's counters (live capture only); NVG_EINVAL for a file. */
int nvg_capture_stats(struct nvg_capture *cap, struct nvg_capture_stats *st, char *err);

#endif
