/* Where records go after decoding. The capture loop hands every record to each sink in turn:
 * the CSV and text outputs (output.c) and the link that batches records for the collector
 * (publish.c). */
#ifndef NVG_SINK_H
#define NVG_SINK_H

#include "nvg-pkt.h"

struct nvg_sink;
struct nvg_flow; /* common/flow/nvg-flow.h */

struct nvg_sink_ops {
    /* Per record: must not allocate or block for long. 0 or a negative NVG_E*. */
    int (*emit)(struct nvg_sink *sink, const struct nvg_pkt *pkt);
    /* Push out what is buffered (called about every 100 ms in live capture and at the end). */
    int (*flush)(struct nvg_sink *sink);
    void (*free)(struct nvg_sink *sink);
    /* Optional: called after every capture dispatch (at least every few tens of ms in live
     * capture, every chunk of a file) for timers and incoming messages. 0 or a negative
     * NVG_E*, which stops the capture. */
    int (*tick)(struct nvg_sink *sink);
    /* Optional: a conversation the flow table exported (sensor/flow/: an end, an update, an
     * eviction). Called on the capture thread between records; must not block for long. 0 or
     * a negative NVG_E*, which stops the capture like emit's. */
    int (*flow)(struct nvg_sink *sink, const struct nvg_flow *flow);
};

/* Implementations embed this as their first member. */
struct nvg_sink {
    const struct nvg_sink_ops *ops;
    char what[300]; /* e.g. "CSV output out.csv", for messages */
    int sys_errno;  /* errno of the last failure, 0 if none */
};

static inline void nvg_sink_free(struct nvg_sink *sink)
{
    if (sink)
        sink->ops->free(sink);
}

#endif
