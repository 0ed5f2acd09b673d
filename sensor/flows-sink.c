/* See flows-sink.h. Packets pass through untouched; only the flow op writes. */
#include "flows-sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvg-error.h"
#include "nvg-flow.h"
#include "nvg-format.h"
#include "nvg-outbuf.h"

#define OUTBUF_SIZE (256u << 10)

struct flows_sink {
    struct nvg_sink base;
    struct nvg_outbuf *ob;
    int fd;
    bool own_fd;
    size_t sensor_len;
    char sensor[2 * NVG_SENSOR_NAME_MAX + 3]; /* CSV-quoted */
};

static int flows_fail(struct flows_sink *s)
{
    s->base.sys_errno = nvg_outbuf_errno(s->ob);
    if (s->base.sys_errno == 0)
        s->base.sys_errno = EIO;
    return NVG_EIO;
}

static int flows_emit(struct nvg_sink *sink, const struct nvg_pkt *pkt)
{
    (void)sink;
    (void)pkt;
    return 0;
}

static int flows_flow(struct nvg_sink *sink, const struct nvg_flow *flow)
{
    struct flows_sink *s = (struct flows_sink *)sink;
    char *dst = nvg_outbuf_reserve(s->ob, NVG_FLOW_CSV_LINE_MAX);
    if (!dst)
        return flows_fail(s);
    nvg_outbuf_commit(s->ob, nvg_flow_format_csv(dst, flow, s->sensor, s->sensor_len));
    return 0;
}

static int flows_flush(struct nvg_sink *sink)
{
    struct flows_sink *s = (struct flows_sink *)sink;
    return nvg_outbuf_flush(s->ob) < 0 ? flows_fail(s) : 0;
}

static void flows_free(struct nvg_sink *sink)
{
    struct flows_sink *s = (struct flows_sink *)sink;
    nvg_outbuf_free(s->ob);
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    free(s);
}

static const struct nvg_sink_ops flows_ops = {
    .emit = flows_emit, .flush = flows_flush, .free = flows_free, .flow = flows_flow};

struct nvg_sink *nvg_flows_sink_new(const char *path, const char *sensor_name, char *err)
{
    bool is_stdout = strcmp(path, "-") == 0;
    int fd = is_stdout ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot open flows output %s: %s", path, strerror(errno));
        return NULL;
    }
    struct flows_sink *s = calloc(1, sizeof(*s));
    if (s)
        s->ob = nvg_outbuf_new(fd, OUTBUF_SIZE);
    if (!s || !s->ob) {
        free(s);
        if (!is_stdout)
            close(fd);
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    s->base.ops = &flows_ops;
    s->fd = fd;
    s->own_fd = !is_stdout;
    snprintf(s->base.what, sizeof(s->base.what), "flows output %s", is_stdout ? "(stdout)" : path);
    s->sensor_len =
        nvg_csv_quote(s->sensor, sensor_name, strnlen(sensor_name, NVG_SENSOR_NAME_MAX));
    if (nvg_outbuf_write(s->ob, NVG_FLOW_CSV_HEADER, sizeof(NVG_FLOW_CSV_HEADER) - 1) < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "writing %s: %s", s->base.what,
                 strerror(nvg_outbuf_errno(s->ob)));
        flows_free(&s->base);
        return NULL;
    }
    return &s->base;
}
