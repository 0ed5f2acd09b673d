#include "pipeline.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "nvg-clock.h"
#include "nvg-error.h"

void nvg_pipeline_init(struct nvg_pipeline *pl, struct nvg_capture *cap, unsigned payload_max,
                       uint64_t count_max)
{
    memset(pl, 0, sizeof(*pl));
    pl->cap = cap;
    pl->count_max = count_max;
    pl->dec.payload_max = payload_max;
    nvg_pipeline_reset_decoder(pl, nvg_capture_datalink(cap));
}

void nvg_pipeline_reset_decoder(struct nvg_pipeline *pl, int dlt)
{
    nvg_decoder_init(&pl->dec, dlt, pl->dec.payload_max);
    pl->dec.macs = true; /* records carry MACs: ARP spoofing detection needs them */
}

int nvg_pipeline_add_sink(struct nvg_pipeline *pl, struct nvg_sink *sink)
{
    if (pl->nsinks >= NVG_PIPELINE_MAX_SINKS)
        return NVG_EINVAL;
    pl->sinks[pl->nsinks++] = sink;
    if (sink->ops->tick)
        pl->ticking = true;
    return 0;
}

/* The flow table's export: every sink with a flow op gets the record. */
static int flow_export(void *ud, const struct nvg_flow *flow)
{
    struct nvg_pipeline *pl = ud;
    for (unsigned i = 0; i < pl->nsinks; i++) {
        struct nvg_sink *s = pl->sinks[i];
        if (s->ops->flow && s->ops->flow(s, flow) < 0) {
            if (!pl->failed)
                pl->failed = s;
            return NVG_EIO;
        }
    }
    return 0;
}

int nvg_pipeline_enable_flows(struct nvg_pipeline *pl, const struct nvg_flow_config *cfg)
{
    if (pl->flows)
        return 0;
    pl->flows = nvg_flow_table_new(cfg, flow_export, pl);
    if (!pl->flows)
        return NVG_ENOMEM;
    /* Every dispatch ends with a flush (nvg_pipeline_run), so nothing waits past it. */
    nvg_flow_table_set_lookahead(pl->flows, true);
    return 0;
}

int nvg_pipeline_stop_flows(struct nvg_pipeline *pl)
{
    if (!pl->flows)
        return 0;
    return nvg_flow_table_stop(pl->flows) < 0 ? NVG_EIO : 0;
}

void nvg_pipeline_flow_counters(const struct nvg_pipeline *pl, struct nvg_flow_counters *c)
{
    if (pl->flows)
        nvg_flow_table_counters(pl->flows, c);
    else
        memset(c, 0, sizeof(*c));
}

void nvg_pipeline_release(struct nvg_pipeline *pl)
{
    nvg_flow_table_free(pl->flows);
    pl->flows = NULL;
}

/* Live capture: once nothing came for a second, conversations time out on the wall clock. */
static int flow_tick(struct nvg_pipeline *pl)
{
    int64_t mono = nvg_clock_mono_ms();
    if (pl->records != pl->flow_records || pl->flow_mono_ms == 0) {
        pl->flow_records = pl->records;
        pl->flow_mono_ms = mono;
        pl->flow_base_ns = nvg_flow_table_now(pl->flows);
        return 0;
    }
    int64_t quiet = mono - pl->flow_mono_ms;
    if (quiet < 1000 || pl->flow_base_ns == 0)
        return 0;
    return nvg_flow_table_expire(pl->flows, pl->flow_base_ns + quiet * 1000000);
}

static void on_frame(void *ctx, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                     int64_t ts_ns, bool time_clamped)
{
    struct nvg_pipeline *pl = ctx;
    if (pl->failed)
        return;
    struct nvg_pkt pkt;
    /* A pcapng file may change link type from one frame to the next; the counters go on. */
    pl->dec.dlt = nvg_capture_frame_dlt(pl->cap);
    if (pl->ring)
        nvg_pcap_ring_add(pl->ring, pl->dec.dlt, frame, caplen, wirelen, ts_ns);
    nvg_decode(&pl->dec, frame, caplen, wirelen, ts_ns, &pkt);
    if (time_clamped)
        pkt.flags |= NVG_PKT_TIME_CLAMPED;
    for (unsigned i = 0; i < pl->nsinks; i++) {
        if (pl->sinks[i]->ops->emit(pl->sinks[i], &pkt) < 0) {
            pl->failed = pl->sinks[i];
            nvg_capture_break(pl->cap);
            return;
        }
    }
    if (pl->flows && nvg_flow_table_packet(pl->flows, &pkt, &pl->dec.l4) < 0) {
        nvg_capture_break(pl->cap);
        return;
    }
    pl->records++;
}

/* Frames to ask for in the next dispatch: what --count leaves (0: done), or -1 for all. A
 * file is read in chunks so that sinks with timers get their ticks. */
static int64_t next_batch(const struct nvg_pipeline *pl)
{
    int64_t chunk = pl->ticking ? NVG_PIPELINE_FILE_CHUNK : -1;
    if (!pl->count_max)
        return chunk;
    uint64_t left = pl->count_max - pl->records;
    if (chunk > 0 && left > (uint64_t)chunk)
        return chunk;
    return left > INT_MAX ? INT_MAX : (int64_t)left;
}

int nvg_pipeline_tick(struct nvg_pipeline *pl)
{
    for (unsigned i = 0; i < pl->nsinks; i++) {
        struct nvg_sink *s = pl->sinks[i];
        if (s->ops->tick && s->ops->tick(s) < 0) {
            pl->failed = s;
            return NVG_EIO;
        }
    }
    return 0;
}

int nvg_pipeline_run(struct nvg_pipeline *pl, volatile sig_atomic_t *stop, char *err)
{
    bool live = nvg_capture_is_live(pl->cap);
    int64_t last_flush = nvg_clock_mono_ms();
    while (!*stop) {
        if (pl->notify)
            nvg_sdnotify_kick(pl->notify, nvg_clock_mono_ms());
        if (!live && pl->ticking && nvg_capture_paused(pl->cap)) {
            /* A stopped file read waits for a start instead of reading on into the void. */
            if (nvg_pipeline_tick(pl) < 0)
                return NVG_EIO;
            nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
            continue;
        }
        int64_t max = next_batch(pl);
        if (max == 0)
            break;
        int n = nvg_capture_dispatch(pl->cap, (int)max, on_frame, pl, err);
        if (pl->failed || (pl->flows && nvg_flow_table_flush(pl->flows) < 0))
            return NVG_EIO;
        if (pl->ticking && nvg_pipeline_tick(pl) < 0)
            return NVG_EIO;
        if (live && pl->flows && flow_tick(pl) < 0)
            return NVG_EIO;
        if (n == NVG_EAGAIN)
            continue; /* a stop request or a command; the loop condition decides */
        if (n < 0)
            return n;
        if (n == 0 && !live)
            break; /* end of file */
        if (live && nvg_clock_mono_ms() - last_flush >= NVG_PIPELINE_FLUSH_MS) {
            if (nvg_pipeline_flush(pl) < 0)
                return NVG_EIO;
            last_flush = nvg_clock_mono_ms();
        }
    }
    if (live && *stop) {
        uint64_t left = pl->count_max ? pl->count_max - pl->records : 0;
        int64_t max = !pl->count_max ? -1 : left > INT_MAX ? INT_MAX : (int64_t)left;
        if (max != 0) {
            int n = nvg_capture_drain(pl->cap, (int)max, on_frame, pl, err);
            if (pl->failed || (pl->flows && nvg_flow_table_flush(pl->flows) < 0))
                return NVG_EIO;
            if (n < 0)
                return n;
        }
    }
    return 0;
}

int nvg_pipeline_flush(struct nvg_pipeline *pl)
{
    int rc = 0;
    for (unsigned i = 0; i < pl->nsinks; i++) {
        if (pl->sinks[i]->ops->flush(pl->sinks[i]) < 0 && rc == 0) {
            pl->failed = pl->sinks[i];
            rc = NVG_EIO;
        }
    }
    return rc;
}
