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
 * and the capture time in ns since the epoch. */
typedef void (*nvg_capture_fn)(void *ctx, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                               int64_t ts_ns);

/* Return NULL on failure with the reason (interface or file name, libpcap's text) in err
 * (NVG_ERRBUF_SIZE bytes); *rc (may be NULL) gets NVG_ENOTFOUND, NVG_EPERM or NVG_EPCAP. */
struct nvg_capture *nvg_capture_open_live(const struct nvg_capture_params *p, char *err, int *rc);
struct nvg_capture *nvg_capture_open_file(const char *path, char *err, int *rc);
void nvg_capture_free(struct nvg_capture *cap);

/* Compiles expr (tcpdump syntax; NULL or "" accepts everything) and installs it. On failure
 * returns NVG_EFILTER with libpcap's message in err and keeps the filter in force. While
 * paused the new filter is checked and kept, and goes into force on resume. */
int nvg_capture_set_filter(struct nvg_capture *cap, const char *expr, char *err);
/* Traffic to leave out whatever the filter says (tcpdump syntax; NULL or "" for none), such
 * as the sensor's own connection to the collector, which would otherwise feed on itself when
 * capturing the interface it leaves by. Applied at once and to every later filter. */
int nvg_capture_set_exclude(struct nvg_capture *cap, const char *expr, char *err);
/* Stop (install a reject-all filter) or resume (reinstall the last filter). */
int nvg_capture_pause(struct nvg_capture *cap, bool paused, char *err);
bool nvg_capture_paused(const struct nvg_capture *cap);
/* The filter expression last set ("" for none). */
const char *nvg_capture_filter(const struct nvg_capture *cap);

int nvg_capture_datalink(const struct nvg_capture *cap);
/* "EN10MB (Ethernet)"-style name of the link type, for messages. */
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
