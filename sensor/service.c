/* The sensor as systemd sees it (netvigil-sensor@.service, Type=notify): READY once the
 * capture is open and the sensor confined, a status line from each heartbeat for `systemctl
 * status`, STOPPING as the capture ends. The watchdog is kicked by the capture loop itself
 * (pipeline.c) and by the reopen loop while the interface is gone (recover.c): both are where
 * a hung sensor would hang. */
#include <inttypes.h>
#include <stdio.h>

#include "link.h"
#include "nvg-clock.h"
#include "nvg-format.h"
#include "sensor.h"

static const char *source(const struct nvg_sensor *s)
{
    return s->opts->iface ? s->opts->iface : s->opts->file ? s->opts->file : "?";
}

void nvg_sensor_service_ready(struct nvg_sensor *s)
{
    char line[sizeof(s->sd.status)];
    snprintf(line, sizeof(line), "%s %s",
             nvg_capture_paused(s->cap) ? "stopped on" : "capturing on", source(s));
    s->sd_records = s->pl.records;
    s->sd_ms = nvg_clock_mono_ms();
    s->pl.notify = &s->sd;
    nvg_sdnotify_ready(&s->sd, line);
}

/* "eth0: 12.3k packets/s, 0 dropped by the kernel, 0 by the link, collector connected" */
static void running_line(struct nvg_sensor *s, const struct nvg_link_status *st, char *line,
                         size_t size)
{
    int64_t now = nvg_clock_mono_ms();
    if (now - s->sd_ms < 1000)
        return; /* too soon to measure: the last line stands */
    /* A restart command counts records from 0 again: that second counts what came since. */
    uint64_t since = s->pl.records >= s->sd_records ? s->pl.records - s->sd_records : s->pl.records;
    double pps = (double)since * 1000.0 / (double)(now - s->sd_ms);
    s->sd_records = s->pl.records;
    s->sd_ms = now;
    char rate[16];
    nvg_format_si(rate, sizeof(rate), pps);
    struct nvg_link_stats ls = {0};
    if (s->link)
        nvg_link_get_stats(s->link, &ls);
    snprintf(line, size,
             "%s: %s packets/s, %" PRIu64 " dropped by the kernel, %" PRIu64
             " by the link, collector %s",
             source(s), rate, st->pcap_dropped + st->pcap_ifdropped, ls.records_dropped,
             s->link && nvg_link_connected(s->link) ? "connected" : "not connected");
}

void nvg_sensor_service_update(struct nvg_sensor *s, const struct nvg_link_status *st)
{
    if (!s->sd.on)
        return;
    char line[sizeof(s->sd.status)];
    snprintf(line, sizeof(line), "%s", s->sd.status);
    switch (st->state) {
    case NETVIGIL__SENSOR_STATE__SENSOR_STATE_ERROR:
        snprintf(line, sizeof(line), "%.200s; reopening", s->cap_error);
        break;
    case NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED:
        snprintf(line, sizeof(line), "stopped on %s (by command or --stopped)", source(s));
        break;
    case NETVIGIL__SENSOR_STATE__SENSOR_STATE_FINISHED:
        snprintf(line, sizeof(line), "finished reading %s", source(s));
        break;
    default:
        running_line(s, st, line, sizeof(line));
        break;
    }
    nvg_sdnotify_status(&s->sd, line);
}

void nvg_sensor_service_stopping(struct nvg_sensor *s)
{
    char line[sizeof(s->sd.status)];
    snprintf(line, sizeof(line), "stopping: %" PRIu64 " packets processed", s->pl.records);
    nvg_sdnotify_stopping(&s->sd, line);
}
