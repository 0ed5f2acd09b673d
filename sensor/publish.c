#include "publish.h"

#include <stdlib.h>
#include <string.h>

#include "nvg-error.h"
#include "nvg-log.h"

struct publish {
    struct nvg_sink base;
    struct nvg_link *link;
};

/* Refusal or a dead socket ends the capture; a file read interrupted by SIGINT is left to the
 * stop flag, and a live batch dropped on a full link is already counted by the link. */
static int check(struct publish *pub, int rc)
{
    if (rc == NVG_EVERSION || rc == NVG_EZMQ || rc == NVG_EPERM) {
        snprintf(pub->base.what, sizeof(pub->base.what), "link to the collector (%s)",
                 nvg_link_error(pub->link));
        return rc;
    }
    return 0;
}

static int publish_emit(struct nvg_sink *sink, const struct nvg_pkt *pkt)
{
    struct publish *pub = (struct publish *)sink;
    return check(pub, nvg_link_add(pub->link, pkt));
}

static int publish_flow(struct nvg_sink *sink, const struct nvg_flow *flow)
{
    struct publish *pub = (struct publish *)sink;
    return check(pub, nvg_link_add_flow(pub->link, flow));
}

static int publish_flush(struct nvg_sink *sink)
{
    (void)sink;
    return 0; /* batches close on their own clock (tick), and at the end with nvg_link_finish */
}

static int publish_tick(struct nvg_sink *sink)
{
    struct publish *pub = (struct publish *)sink;
    return check(pub, nvg_link_tick(pub->link, 0));
}

static void publish_free(struct nvg_sink *sink)
{
    struct publish *pub = (struct publish *)sink;
    nvg_link_free(pub->link);
    free(pub);
}

static const struct nvg_sink_ops publish_ops = {
    .emit = publish_emit,
    .flush = publish_flush,
    .free = publish_free,
    .tick = publish_tick,
    .flow = publish_flow,
};

struct nvg_sink *nvg_publish_new(void *zmq_ctx, const char *endpoint,
                                 const struct nvg_link_info *info, const struct nvg_link_opts *opts,
                                 char *err)
{
    struct publish *pub = calloc(1, sizeof(*pub));
    if (!pub) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    pub->link = nvg_link_new(zmq_ctx, endpoint, info, opts, err);
    if (!pub->link) {
        free(pub);
        return NULL;
    }
    pub->base.ops = &publish_ops;
    snprintf(pub->base.what, sizeof(pub->base.what), "link to the collector at %s", endpoint);
    return &pub->base;
}

struct nvg_link *nvg_publish_link(struct nvg_sink *sink)
{
    return ((struct publish *)sink)->link;
}
