/* The collector link as a sink of the capture pipeline: records go into batches on the link,
 * and the pipeline's ticks drive the link's timers, heartbeats and incoming commands. */
#ifndef NVG_PUBLISH_H
#define NVG_PUBLISH_H

#include "link.h"
#include "sink.h"

/* NULL on error with the reason in err (NVG_ERRBUF_SIZE bytes). */
struct nvg_sink *nvg_publish_new(void *zmq_ctx, const char *endpoint,
                                 const struct nvg_link_info *info, const struct nvg_link_opts *opts,
                                 char *err);
/* The link inside the sink (lent). */
struct nvg_link *nvg_publish_link(struct nvg_sink *sink);

#endif
