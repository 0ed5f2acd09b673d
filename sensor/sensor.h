/* One running sensor: its capture, pipeline, outputs and (optionally) its collector link.
 * Owned by the capture thread, the only thread of the sensor. */
#ifndef NVG_SENSOR_H
#define NVG_SENSOR_H

#include <signal.h>
#include <stdbool.h>

#include "capture.h"
#include "nvg-cert.h"
#include "nvg-sdnotify.h"
#include "nvg-text.h"
#include "nvg-zmq.h"
#include "pipeline.h"
#include "sensor-options.h"

struct nvg_link;
struct nvg_link_status;
struct nvg_pcap_extract;

enum { NVG_OUT_CSV, NVG_OUT_TEXT, NVG_OUT_ALERTS, NVG_OUT_FLOWS, NVG_OUT_LINK, NVG_OUT_COUNT };

struct nvg_sensor {
    const struct nvg_sensor_opts *opts;
    struct nvg_capture *cap;
    struct nvg_pipeline pl;
    struct nvg_sink *outputs[NVG_OUT_COUNT];
    void *zmq_ctx;
    struct nvg_link *link;                  /* lent from outputs[NVG_OUT_LINK] */
    struct nvg_spool *spool;                /* --spool (remote.c), lent to the link */
    struct nvg_filter_job *filter_job;      /* a set-filter command compiling, NULL when none */
    struct nvg_pcap_ring *pcap_ring;        /* --pcap-ring (remote.c), NULL when off */
    struct nvg_pcap_extract *pcap;          /* COMMAND_PCAP on that ring */
    struct nvg_cert own_key, collector_key; /* --key, --collector-key: lent to the link */
    bool finished;                          /* the capture file has been read to its end */
    char endpoint[NVG_ZMQ_ENDPOINT_MAX];
    char exclude[320]; /* BPF for our own link traffic, "" when none */
    volatile sig_atomic_t *stop;
    /* Live capture that failed (the interface vanished) and is being reopened (recover.c):
     * the reason, since when (monotonic ms; 0 while capturing), and per boot id the time spent
     * down and the reopens that brought it back. */
    char cap_error[NVG_TEXT_ERROR_MAX + 1];
    int64_t down_since_ms;
    uint64_t down_ms, reopens;
    /* The kernel's counters start again with each reopened handle: what the closed handles
     * counted is added to the live handle's, so a heartbeat's counters never go back. */
    struct nvg_capture_stats pcap_base, pcap_last;
    /* systemd (service.c): the notifier, and the records count and time its last status line
     * measured the rate from. */
    struct nvg_sdnotify sd;
    uint64_t sd_records;
    int64_t sd_ms;
};

/* Opens the capture the options ask for (and installs the exclusion, if any); NULL after
 * logging why. */
struct nvg_capture *nvg_sensor_open_capture(struct nvg_sensor *s);
/* The same, with the reason in err (NVG_ERRBUF_SIZE) instead of the log. */
struct nvg_capture *nvg_sensor_open_capture_quiet(struct nvg_sensor *s, char *err);
/* Makes cap the capture signals interrupt (NULL: none). */
void nvg_sensor_set_signal_capture(struct nvg_capture *cap);

/* remote.c: the collector link. _resolve reads --collector into endpoint and exclude before
 * the capture opens (0 without one; -1 after logging why: a usage error). _open adds the link sink
 * to the pipeline (0, or -1 after logging why); _finish delivers what is left (file mode: waits for
 * the collector's acknowledgement) and returns 0 or -1 after logging why; _close frees the zmq
 * context. */
int nvg_remote_resolve(struct nvg_sensor *s);
int nvg_remote_open(struct nvg_sensor *s);
int nvg_remote_finish(struct nvg_sensor *s);
void nvg_remote_close(struct nvg_sensor *s);

/* recover.c: after live capture failed with err (libpcap's message), keeps the link going
 * (state ERROR with err in every heartbeat, commands answered) and reopens the capture with
 * back-off (0.5 s doubling to 30 s) until it works or *stop. Returns 0 once capturing again
 * (the pipeline runs on with the new handle, same boot id), NVG_EAGAIN when stopped first. */
int nvg_sensor_recover(struct nvg_sensor *s, const char *err);
/* Ends the down state after a reopen (by recover or the restart command): time accounted. */
void nvg_sensor_capture_up(struct nvg_sensor *s, bool by_itself);
/* Puts fresh (opened like s->cap, filter copied) in place of s->cap, which is freed. */
void nvg_sensor_swap_capture(struct nvg_sensor *s, struct nvg_capture *fresh);

/* service.c: what systemd (Type=notify) hears of the sensor. _ready once capturing (or
 * stopped as asked), _update with each heartbeat's status (also the watchdog when there is no
 * capture loop turning, as while the capture is down), _stopping as the capture ends. */
void nvg_sensor_service_ready(struct nvg_sensor *s);
void nvg_sensor_service_update(struct nvg_sensor *s, const struct nvg_link_status *st);
void nvg_sensor_service_stopping(struct nvg_sensor *s);

#endif
