/* One running sensor: its capture, pipeline, outputs and (optionally) its collector link.
 * Owned by the capture thread, the only thread of the sensor. */
#ifndef NVG_SENSOR_H
#define NVG_SENSOR_H

#include <signal.h>
#include <stdbool.h>

#include "capture.h"
#include "nvg-cert.h"
#include "nvg-zmq.h"
#include "pipeline.h"
#include "sensor-options.h"

struct nvg_link;

enum { NVG_OUT_CSV, NVG_OUT_TEXT, NVG_OUT_LINK, NVG_OUT_COUNT };

struct nvg_sensor {
    const struct nvg_sensor_opts *opts;
    struct nvg_capture *cap;
    struct nvg_pipeline pl;
    struct nvg_sink *outputs[NVG_OUT_COUNT];
    void *zmq_ctx;
    struct nvg_link *link;                  /* lent from outputs[NVG_OUT_LINK] */
    struct nvg_filter_job *filter_job;      /* a set-filter command compiling, NULL when none */
    struct nvg_cert own_key, collector_key; /* --key, --collector-key: lent to the link */
    bool finished;                          /* the capture file has been read to its end */
    char endpoint[NVG_ZMQ_ENDPOINT_MAX];
    char exclude[320]; /* BPF for our own link traffic, "" when none */
    volatile sig_atomic_t *stop;
};

/* Opens the capture the options ask for (and installs the exclusion, if any); NULL after
 * logging why. */
struct nvg_capture *nvg_sensor_open_capture(struct nvg_sensor *s);
/* Makes cap the capture signals interrupt (NULL: none). */
void nvg_sensor_set_signal_capture(struct nvg_capture *cap);

/* remote.c: the collector link. _open adds the link sink to the pipeline (0, or -1 after
 * logging why); _finish delivers what is left (file mode: waits for the collector's
 * acknowledgement) and returns 0 or -1 after logging why; _close frees the zmq context. */
int nvg_remote_open(struct nvg_sensor *s);
int nvg_remote_finish(struct nvg_sensor *s);
void nvg_remote_close(struct nvg_sensor *s);

#endif
