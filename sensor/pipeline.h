/* The sensor's per-packet path: capture -> decode -> every sink (the file outputs, the link to
 * the collector), each added with nvg_pipeline_add_sink. Allocates nothing per packet. Sinks
 * with a tick op get it after every dispatch: that is what drives the link's timers and
 * commands. */
#ifndef NVG_PIPELINE_H
#define NVG_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "decode.h"
#include "flow-table.h"
#include "nvg-sdnotify.h"
#include "pcap-ring.h"
#include "sink.h"

#define NVG_PIPELINE_MAX_SINKS 6
#define NVG_PIPELINE_FLUSH_MS 100
#define NVG_PIPELINE_FILE_CHUNK 4096

struct nvg_pipeline {
    struct nvg_capture *cap; /* borrowed */
    struct nvg_decoder dec;
    struct nvg_sink *sinks[NVG_PIPELINE_MAX_SINKS]; /* borrowed */
    unsigned nsinks;
    bool ticking;            /* a sink has a tick op */
    uint64_t count_max;      /* 0: unlimited */
    uint64_t records;        /* records handed to the sinks */
    struct nvg_sink *failed; /* the sink whose emit failed, if any */
    /* Conversations (NULL when off): fed after the sinks' emit, exports go to every sink's
     * flow op. A live link gone quiet still expires them: the table's clock moves on with the
     * monotonic clock from the last packet's time once nothing came for a second. */
    struct nvg_flow_table *flows;
    uint64_t flow_records;
    int64_t flow_mono_ms, flow_base_ns;
    /* --pcap-ring: every frame captured is also kept raw (NULL: off; borrowed) */
    struct nvg_pcap_ring *ring;
    /* systemd's watchdog, kicked on every turn of the capture loop (NULL: none) */
    struct nvg_sdnotify *notify;
};

void nvg_pipeline_init(struct nvg_pipeline *pl, struct nvg_capture *cap, unsigned payload_max,
                       uint64_t count_max);
/* The decoder from zero for link type dlt (a new or restarted capture), payload size kept. */
void nvg_pipeline_reset_decoder(struct nvg_pipeline *pl, int dlt);
int nvg_pipeline_add_sink(struct nvg_pipeline *pl, struct nvg_sink *sink);

/* Turns conversation tracking on (once, before running). 0 or NVG_ENOMEM. */
int nvg_pipeline_enable_flows(struct nvg_pipeline *pl, const struct nvg_flow_config *cfg);
/* The capture ended: every conversation is exported with end=stopped. 0, or NVG_EIO when a
 * sink's flow op failed (pl->failed says which). */
int nvg_pipeline_stop_flows(struct nvg_pipeline *pl);
/* Zeros when tracking is off. */
void nvg_pipeline_flow_counters(const struct nvg_pipeline *pl, struct nvg_flow_counters *c);
/* Frees what the pipeline owns (the flow table); the sinks and capture are borrowed. */
void nvg_pipeline_release(struct nvg_pipeline *pl);

/* Runs until the file ends, count_max records were handled, *stop becomes non-zero (set it
 * and call nvg_capture_break, e.g. from a signal handler) or something fails. Live capture
 * flushes the sinks every NVG_PIPELINE_FLUSH_MS. Returns 0; NVG_EPCAP with libpcap's message
 * in err (records before the failure were handed on); or NVG_EIO when a sink failed
 * (pl->failed says which). Does not flush at the end: call nvg_pipeline_flush. */
int nvg_pipeline_run(struct nvg_pipeline *pl, volatile sig_atomic_t *stop, char *err);

/* Gives every sink with a tick op its tick (timers, commands); on failure returns NVG_EIO and
 * sets pl->failed. */
int nvg_pipeline_tick(struct nvg_pipeline *pl);

/* Flushes every sink; on failure returns NVG_EIO and sets pl->failed. */
int nvg_pipeline_flush(struct nvg_pipeline *pl);

#endif
