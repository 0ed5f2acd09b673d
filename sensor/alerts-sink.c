/* See alerts-sink.h. */
#include "alerts-sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvg-alert-wire.h"
#include "nvg-clock.h"
#include "nvg-detect.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-outbuf.h"

#define NS 1000000000LL

struct alerts_sink {
    struct nvg_sink base;
    struct nvg_detect *engine;
    struct nvg_outbuf *ob;
    int fd;
    bool own_fd;
    int64_t last_ns;      /* newest record time */
    int64_t last_wall_ms; /* the wall clock when it came */
    int64_t ticked_sec;   /* last record second the engine was ticked at */
    char name[NVG_NAME_MAX + 1];
};

static const char *sensor_name(void *ud, unsigned index)
{
    struct alerts_sink *a = ud;
    return index == 0 ? a->name : "";
}

static void on_alert(const struct nvg_alert *alert, void *ud)
{
    struct alerts_sink *a = ud;
    struct nvg_alert_pb pb;
    /* The time an alert is "emitted" here is the record time the engine has reached. */
    nvg_alert_to_pb(alert, a->last_ns / 1000000, sensor_name, a, &pb);
    char *dst = nvg_outbuf_reserve(a->ob, NVG_ALERT_LINE_MAX);
    if (dst)
        nvg_outbuf_commit(a->ob, nvg_alert_format_line(dst, &pb.pb));
}

/* The engine is ticked once per second of record time, as the records cross it. */
static int alerts_emit(struct nvg_sink *sink, const struct nvg_pkt *pkt)
{
    struct alerts_sink *a = (struct alerts_sink *)sink;
    nvg_detect_record(a->engine, 0, pkt);
    if (pkt->ts_ns > a->last_ns && !(pkt->flags & NVG_PKT_TIME_CLAMPED)) {
        a->last_ns = pkt->ts_ns;
        a->last_wall_ms = nvg_clock_mono_ms();
        int64_t sec = pkt->ts_ns / NS;
        if (sec != a->ticked_sec) {
            a->ticked_sec = sec;
            nvg_detect_tick(a->engine, sec * NS, on_alert, a);
        }
    }
    return 0;
}

/* Live capture that went quiet: record time moves on with the clock, so alerts end. */
static int alerts_tick(struct nvg_sink *sink)
{
    struct alerts_sink *a = (struct alerts_sink *)sink;
    if (!a->last_ns)
        return 0;
    int64_t since = nvg_clock_mono_ms() - a->last_wall_ms;
    if (since >= 1000)
        nvg_detect_tick(a->engine, a->last_ns + since * 1000000, on_alert, a);
    return 0;
}

static int alerts_flush(struct nvg_sink *sink)
{
    struct alerts_sink *a = (struct alerts_sink *)sink;
    if (nvg_outbuf_flush(a->ob) < 0) {
        a->base.sys_errno = nvg_outbuf_errno(a->ob) ? nvg_outbuf_errno(a->ob) : EIO;
        return NVG_EIO;
    }
    return 0;
}

/* The end of the capture ends every alert still open. */
static void alerts_free(struct nvg_sink *sink)
{
    struct alerts_sink *a = (struct alerts_sink *)sink;
    if (a->engine && a->ob) {
        nvg_detect_flush(a->engine, on_alert, a);
        if (alerts_flush(sink) < 0)
            nvg_log(NVG_LOG_ERR, "writing %s: %s", a->base.what, strerror(a->base.sys_errno));
    }
    nvg_detect_free(a->engine);
    nvg_outbuf_free(a->ob);
    if (a->own_fd && a->fd >= 0)
        close(a->fd);
    free(a);
}

static const struct nvg_sink_ops alerts_ops = {
    .emit = alerts_emit, .flush = alerts_flush, .free = alerts_free, .tick = alerts_tick};

static struct nvg_detect *new_engine(const char *rules_path, char *err)
{
    struct nvg_detect_rules *rules = malloc(sizeof(*rules));
    if (!rules) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    nvg_detect_rules_default(rules);
    /* A bad file: err says file, line and why. */
    struct nvg_detect *d = NULL;
    if (!rules_path || nvg_detect_rules_load(rules_path, rules, err) == 0) {
        d = nvg_detect_new(NULL, rules);
        if (!d)
            snprintf(err, NVG_ERRBUF_SIZE, "out of memory (detection tables)");
    }
    free(rules);
    return d;
}

struct nvg_sink *nvg_alerts_sink_new(const char *path, const char *rules_path,
                                     const char *sensor_name_, char *err)
{
    struct alerts_sink *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    a->fd = -1;
    a->base.ops = &alerts_ops;
    snprintf(a->name, sizeof(a->name), "%s", sensor_name_);
    a->engine = new_engine(rules_path, err);
    if (!a->engine) {
        alerts_free(&a->base);
        return NULL;
    }
    bool is_stdout = strcmp(path, "-") == 0;
    a->fd = is_stdout ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    a->own_fd = !is_stdout;
    if (a->fd < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot open alerts output %s: %s", path, strerror(errno));
        alerts_free(&a->base);
        return NULL;
    }
    a->ob = nvg_outbuf_new(a->fd, 256u << 10);
    if (!a->ob) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        alerts_free(&a->base);
        return NULL;
    }
    snprintf(a->base.what, sizeof(a->base.what), "alerts output %s", is_stdout ? "(stdout)" : path);
    return &a->base;
}
