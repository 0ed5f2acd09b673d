#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvg-error.h"
#include "nvg-format.h"
#include "nvg-outbuf.h"

#define OUTBUF_SIZE (1u << 20)

struct output {
    struct nvg_sink base;
    struct nvg_outbuf *ob;
    int fd;
    bool own_fd;
    bool with_name; /* text: print the sensor name */
    struct nvg_time_cache tc;
    size_t sensor_len;
    char sensor[2 * NVG_SENSOR_NAME_MAX + 3]; /* CSV: quoted; text: as is */
};

static int output_fail(struct output *o)
{
    o->base.sys_errno = nvg_outbuf_errno(o->ob);
    if (o->base.sys_errno == 0)
        o->base.sys_errno = EIO;
    return NVG_EIO;
}

static int csv_emit(struct nvg_sink *sink, const struct nvg_pkt *pkt)
{
    struct output *o = (struct output *)sink;
    char *dst = nvg_outbuf_reserve(o->ob, NVG_FORMAT_LINE_MAX);
    if (!dst)
        return output_fail(o);
    nvg_outbuf_commit(o->ob, nvg_format_csv_row_r(&o->tc, dst, pkt, o->sensor, o->sensor_len));
    return 0;
}

static int text_emit(struct nvg_sink *sink, const struct nvg_pkt *pkt)
{
    struct output *o = (struct output *)sink;
    char *dst = nvg_outbuf_reserve(o->ob, NVG_FORMAT_LINE_MAX);
    if (!dst)
        return output_fail(o);
    nvg_outbuf_commit(o->ob,
                      nvg_format_text_line_r(&o->tc, dst, pkt, o->with_name ? o->sensor : NULL));
    return 0;
}

static int output_flush(struct nvg_sink *sink)
{
    struct output *o = (struct output *)sink;
    if (nvg_outbuf_flush(o->ob) < 0)
        return output_fail(o);
    return 0;
}

static void output_free(struct nvg_sink *sink)
{
    struct output *o = (struct output *)sink;
    nvg_outbuf_free(o->ob);
    if (o->own_fd && o->fd >= 0)
        close(o->fd);
    free(o);
}

static const struct nvg_sink_ops csv_ops = {
    .emit = csv_emit, .flush = output_flush, .free = output_free};
static const struct nvg_sink_ops text_ops = {
    .emit = text_emit, .flush = output_flush, .free = output_free};

static struct output *output_new(const struct nvg_sink_ops *ops, int fd, bool own_fd, char *err)
{
    struct output *o = calloc(1, sizeof(*o));
    if (o)
        o->ob = nvg_outbuf_new(fd, OUTBUF_SIZE);
    if (!o || !o->ob) {
        free(o);
        if (own_fd)
            close(fd);
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    o->base.ops = ops;
    o->fd = fd;
    o->own_fd = own_fd;
    nvg_time_cache_init(&o->tc);
    return o;
}

struct nvg_sink *nvg_output_csv_new(const char *path, const char *sensor_name, char *err)
{
    bool is_stdout = strcmp(path, "-") == 0;
    int fd = is_stdout ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot open CSV output %s: %s", path, strerror(errno));
        return NULL;
    }
    struct output *o = output_new(&csv_ops, fd, !is_stdout, err);
    if (!o)
        return NULL;
    snprintf(o->base.what, sizeof(o->base.what), "CSV output %s", is_stdout ? "(stdout)" : path);
    size_t len = strnlen(sensor_name, NVG_SENSOR_NAME_MAX);
    o->sensor_len = nvg_csv_quote(o->sensor, sensor_name, len);
    if (nvg_outbuf_write(o->ob, NVG_CSV_HEADER, sizeof(NVG_CSV_HEADER) - 1) < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "writing %s: %s", o->base.what,
                 strerror(nvg_outbuf_errno(o->ob)));
        output_free(&o->base);
        return NULL;
    }
    return &o->base;
}

struct nvg_sink *nvg_output_text_new(const char *sensor_name, char *err)
{
    struct output *o = output_new(&text_ops, STDOUT_FILENO, false, err);
    if (!o)
        return NULL;
    snprintf(o->base.what, sizeof(o->base.what), "text output (stdout)");
    if (sensor_name) {
        o->with_name = true;
        snprintf(o->sensor, sizeof(o->sensor), "%.*s", NVG_SENSOR_NAME_MAX, sensor_name);
        o->sensor_len = strlen(o->sensor);
    }
    return &o->base;
}
