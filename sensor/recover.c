/* Live capture that failed (an interface deleted, a driver gone) is not the end of a sensor in
 * a fleet: the link stays up and tells the collector why (state ERROR, the reason, the time
 * down), commands are still answered, and the capture is reopened with back-off until the
 * interface is back. The boot id stays: nothing was lost in between that the counters do not
 * show, and the collector keeps counting the same stream. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "link.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "privdrop.h"
#include "sensor.h"

#define RETRY_FIRST_MS 500
#define RETRY_MAX_MS 30000

void nvg_sensor_capture_up(struct nvg_sensor *s, bool by_itself)
{
    if (!s->down_since_ms)
        return;
    int64_t down = nvg_clock_mono_ms() - s->down_since_ms;
    s->down_ms += (uint64_t)(down > 0 ? down : 0);
    s->down_since_ms = 0;
    if (!by_itself)
        return;
    s->reopens++;
    nvg_log(NVG_LOG_NOTICE, "capture on %s reopened after %.1f s down (%" PRIu64 " reopen%s)",
            s->opts->iface, (double)down / 1000.0, s->reopens, s->reopens == 1 ? "" : "s");
}

/* One try; 0 once capturing again. The reasons a try fails are the interface's, logged only
 * when they change so a long outage is not a log flood. */
static int try_reopen(struct nvg_sensor *s, char *last, size_t last_size)
{
    bool raised = nvg_privdrop_raise(); /* CAP_NET_RAW, for the packet socket only */
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_capture *fresh = nvg_sensor_open_capture_quiet(s, err);
    if (raised)
        nvg_privdrop_lower();
    if (fresh && nvg_capture_copy_filter(fresh, s->cap, err) < 0) {
        nvg_capture_free(fresh);
        fresh = NULL;
    }
    if (fresh && nvg_capture_paused(s->cap) && nvg_capture_pause(fresh, true, err) < 0) {
        nvg_capture_free(fresh);
        fresh = NULL;
    }
    if (!fresh) {
        if (strcmp(err, last) != 0)
            nvg_log(NVG_LOG_WARNING, "reopening the capture on %s: %s (retrying)", s->opts->iface,
                    err);
        snprintf(last, last_size, "%s", err);
        return NVG_EPCAP;
    }
    s->pcap_base.received += s->pcap_last.received;
    s->pcap_base.dropped += s->pcap_last.dropped;
    s->pcap_base.ifdropped += s->pcap_last.ifdropped;
    s->pcap_last = (struct nvg_capture_stats){0};
    nvg_sensor_swap_capture(s, fresh);
    nvg_sensor_capture_up(s, true);
    return 0;
}

int nvg_sensor_recover(struct nvg_sensor *s, const char *err)
{
    snprintf(s->cap_error, sizeof(s->cap_error), "capture on %s failed: %s", s->opts->iface, err);
    s->down_since_ms = nvg_clock_mono_ms();
    nvg_log(NVG_LOG_ERR,
            "%s (after %" PRIu64 " records); staying connected and reopening it when the "
            "interface is back",
            s->cap_error, s->pl.records);
    /* What was captured before the failure goes out now, not at the next record. */
    if (nvg_pipeline_flush(&s->pl) < 0)
        return NVG_EIO;
    int delay = RETRY_FIRST_MS;
    int64_t next_try = s->down_since_ms + delay;
    char last[NVG_ERRBUF_SIZE] = "";
    while (!*s->stop) {
        int64_t now = nvg_clock_mono_ms();
        nvg_sdnotify_kick(&s->sd, now); /* down, but the sensor's loop is alive */
        if (now >= next_try) {
            if (try_reopen(s, last, sizeof(last)) == 0)
                return 0;
            delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
            next_try = nvg_clock_mono_ms() + delay;
        }
        zmq_pollitem_t items[NVG_LINK_NPOLL];
        nvg_link_pollitems(s->link, items);
        int64_t wait = next_try - nvg_clock_mono_ms();
        int link_wait = nvg_link_timeout_ms(s->link, 0);
        if (link_wait < wait)
            wait = link_wait;
        if (wait > 0)
            zmq_poll(items, NVG_LINK_NPOLL, (long)wait);
        int rc = nvg_pipeline_tick(&s->pl);
        if (rc < 0)
            return rc;
        if (!s->down_since_ms)
            return 0; /* a restart command reopened it */
    }
    return NVG_EAGAIN;
}
