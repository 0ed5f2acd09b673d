/* The disk spool on the sensor link (issue 14): batches the link could not take go to the
 * spool with their sequence numbers, and come back out of it, oldest first, when the link has
 * room. See link.h "Spool" for the contract and spool.h for the files. */
#include <inttypes.h>

#include "link-internal.h"
#include "nvg-log.h"
#include "nvg-zmq.h"
#include "spool.h"

/* Replay per tick at most: the capture thread does bounded work between two dispatches. The
 * socket's queue (sndhwm batches) usually ends a turn first. */
#define REPLAY_FRAMES_MAX 64
#define REPLAY_BYTES_MAX ((size_t)8 << 20)

uint64_t nvg__link_wanted_boot(const struct nvg_link *link)
{
    uint64_t boot;
    if (link->opts.spool && nvg_spool_head_boot(link->opts.spool, &boot))
        return boot;
    return link->boot_id;
}

bool nvg__link_spool_wants(const struct nvg_link *link)
{
    /* Behind whatever the spool holds, and behind the Hello that must precede our own boot. */
    return !nvg_spool_empty(link->opts.spool) || link->announced_boot != link->boot_id;
}

void nvg__link_spool_batch(struct nvg_link *link, const uint8_t *data, size_t len, size_t n,
                           size_t nf)
{
    int rc = nvg_spool_append(link->opts.spool, link->boot_id, link->st.last_seq + 1, (uint32_t)n,
                              (uint32_t)nf, data, len);
    if (rc == 0) {
        link->st.last_seq++;
        return;
    }
    /* No room: dropped like a batch on a full link without a spool (no sequence number). */
    link->st.batches_dropped++;
    link->st.records_dropped += n;
    link->st.flows_dropped += nf;
}

/* Hello under the boot id of the next batch to replay (or our own once the spool is through);
 * false while that Hello waits for room. */
static bool announce(struct nvg_link *link)
{
    uint64_t want = nvg__link_wanted_boot(link);
    if (link->announced_boot != want) {
        if (want != link->boot_id)
            nvg_log(NVG_LOG_INFO,
                    "link to %s: replaying spooled batches of boot id %016" PRIx64
                    " (heartbeats wait until they are through)",
                    link->endpoint, want);
        else
            nvg_log(NVG_LOG_INFO, "link to %s: spooled batches of earlier boot ids replayed",
                    link->endpoint);
        link->announced_boot = want;
        link->hello_pending = true;
    }
    if (link->hello_pending)
        nvg__link_send_hello(link);
    return !link->hello_pending;
}

void nvg__link_spool_tick(struct nvg_link *link)
{
    struct nvg_spool *sp = link->opts.spool;
    if (!sp || link->mode != NVG_LINK_LIVE)
        return;
    nvg_spool_write(sp); /* failures are counted and logged there, and retried next tick */
    if (!nvg_link_connected(link))
        return;
    size_t bytes = 0;
    for (int i = 0; i < REPLAY_FRAMES_MAX && bytes < REPLAY_BYTES_MAX; i++) {
        struct nvg_spool_frame f;
        if (!announce(link) || nvg_spool_peek(sp, &f) <= 0 || f.boot_id != link->announced_boot)
            return;
        if (nvg_zmq_send_buf(link->sock, f.data, f.len, ZMQ_DONTWAIT) != 0)
            return; /* full (or gone): the frame stays first in line */
        if (f.boot_id == link->boot_id) {
            link->st.batches_sent++;
            link->st.records_sent += f.records;
            link->st.flows_sent += f.flows;
        }
        nvg_spool_pop(sp);
        bytes += f.len;
    }
}
