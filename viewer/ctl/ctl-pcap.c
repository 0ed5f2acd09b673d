/* `netvigil-ctl pcap SENSOR (--last T | --from T [--to T]) [-f EXPR] -o FILE`: the frames of a
 * sensor's pcap ring (its --pcap-ring) as a pcapng file, through the collector's control
 * socket (admin keys only).
 *
 * The first request names the span and the filter; the sensor answers with the stream's size
 * and its first chunk, and each next request asks for the chunk at the offset written so far,
 * so nothing is queued anywhere beyond one chunk. The file is written as FILE.part and renamed
 * once complete: an interrupted or refused extraction leaves no FILE that looks whole. "-" as
 * FILE writes the stream to stdout (e.g. into `wireshark -k -i -`); the summary then goes to
 * stderr. Every chunk is checked against what the first reply announced (session, offset,
 * total size), since the collector is a peer like any other. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-wire.h"

/* What we accept as a whole stream: the collector caps it (64M by default), this only keeps a
 * hostile collector from filling the disk. */
#define PCAP_STREAM_MAX ((uint64_t)4 << 30)

struct sink {
    int fd;
    const char *path; /* the final name; NULL for stdout */
    char part[4096];
};

static int open_sink(struct sink *s, const char *path)
{
    s->path = strcmp(path, "-") == 0 ? NULL : path;
    if (!s->path) {
        s->fd = STDOUT_FILENO;
        return 0;
    }
    if (snprintf(s->part, sizeof(s->part), "%s.part", path) >= (int)sizeof(s->part)) {
        fprintf(stderr, "netvigil-ctl: pcap: output path too long\n");
        return -1;
    }
    /* Packet bytes are the most sensitive thing netvigil handles: owner-only. */
    s->fd = open(s->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        fprintf(stderr, "netvigil-ctl: pcap: cannot create %s: %s\n", s->part, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_all(struct sink *s, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(s->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "netvigil-ctl: pcap: writing %s: %s\n", s->path ? s->part : "stdout",
                    strerror(errno));
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ok: rename into place; else remove what was written. */
static int close_sink(struct sink *s, bool ok)
{
    if (!s->path)
        return ok ? 0 : -1;
    if (ok && fsync(s->fd) < 0)
        ok = false;
    if (close(s->fd) < 0)
        ok = false;
    if (ok && rename(s->part, s->path) == 0)
        return 0;
    unlink(s->part);
    return -1;
}

/* The reply's error, its sensor's when the request had none; the exit status. */
static int refused(const Netvigil__ControlReply *r, const char *sensor)
{
    const char *e = r->error && r->error[0] ? r->error : NULL;
    if (!e && r->n_results == 1 && r->results[0] && r->results[0]->error)
        e = r->results[0]->error;
    fprintf(stderr, "netvigil-ctl: pcap from %s: ", sensor);
    nvg_ctl_put(stderr, e ? e : "refused (no reason given)", 1024);
    fputc('\n', stderr);
    return nvg_ctl_reply_not_allowed(r) ? NVG_CTL_EXIT_NOT_ALLOWED : NVG_CTL_EXIT_FAIL;
}

/* The chunk r brings must continue the stream at *written (the first one sets *head). */
static const char *check_chunk(const Netvigil__ControlReply *r, Netvigil__PcapChunk *head,
                               uint64_t written)
{
    const Netvigil__PcapChunk *c = r->pcap;
    if (!c || !c->session)
        return "the reply holds no pcap chunk";
    if (written == 0) {
        if (c->total_bytes == 0 || c->total_bytes > PCAP_STREAM_MAX)
            return "the announced stream size is out of range";
        *head = *c;
    }
    if (c->session != head->session || c->total_bytes != head->total_bytes)
        return "a chunk of another stream";
    if (c->offset != written || c->data.len == 0 || c->data.len > head->total_bytes - written)
        return "a chunk out of place";
    return NULL;
}

static void summary(const struct nvg_ctl *ctl, const char *sensor, const Netvigil__PcapChunk *h,
                    const char *path)
{
    FILE *out = strcmp(path, "-") == 0 ? stderr : stdout;
    char from[32], to[32];
    nvg_format_time_iso(from, h->from_ns);
    nvg_format_time_iso(to, h->to_ns);
    if (ctl->json) {
        fprintf(out, "{\"sensor\":");
        nvg_ctl_json_str(out, sensor);
        fprintf(out,
                ",\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"from_ns\":%" PRId64
                ",\"to_ns\":%" PRId64 ",\"file\":",
                h->frames, h->total_bytes, h->from_ns, h->to_ns);
        nvg_ctl_json_str(out, path);
        fprintf(out, "}\n");
        return;
    }
    fprintf(out, "%s: %" PRIu64 " frames, %" PRIu64 " bytes captured from %s to %s -> %s\n", sensor,
            h->frames, h->total_bytes, from, to, path);
}

/* Requests chunk after chunk into s; the exit status. */
static int transfer(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, const struct nvg_ctl_pcap *pc,
                    struct sink *s, Netvigil__PcapChunk *head)
{
    Netvigil__PcapRequest pr = NETVIGIL__PCAP_REQUEST__INIT;
    pr.from_ns = pc->from_ns;
    pr.to_ns = pc->to_ns;
    pr.last_ms = pc->last_ms;
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_PCAP;
    req.sensor = (char *)pc->sensor;
    req.filter = (char *)(pc->filter ? pc->filter : "");
    req.pcap = &pr;
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_COMMAND_TIMEOUT_MS;
    uint64_t written = 0;
    int rc = NVG_CTL_EXIT_FAIL;
    for (;;) {
        struct nvg_arena *arena = nvg_ctl_arena_new();
        if (!arena)
            return NVG_CTL_EXIT_FAIL;
        req.id = 0;
        Netvigil__ControlReply *r = nvg_ctl_request(ctl, c, arena, &req, "pcap", timeout, &rc);
        const char *bad = r && r->ok ? check_chunk(r, head, written) : NULL;
        if (r && !r->ok)
            rc = refused(r, pc->sensor);
        else if (bad)
            fprintf(stderr, "netvigil-ctl: pcap from %s: %s\n", pc->sensor, bad);
        else if (r && write_all(s, r->pcap->data.data, r->pcap->data.len) == 0)
            written += r->pcap->data.len;
        bool go_on = r && r->ok && !bad && written == r->pcap->offset + r->pcap->data.len;
        nvg_arena_free(arena);
        if (!go_on)
            return rc ? rc : NVG_CTL_EXIT_FAIL;
        if (written == head->total_bytes)
            return NVG_CTL_EXIT_OK;
        pr.session = head->session;
        pr.offset = written;
        pr.from_ns = pr.to_ns = 0;
        pr.last_ms = 0;
    }
}

int nvg_ctl_pcap(struct nvg_ctl *ctl, const struct nvg_ctl_pcap *pc)
{
    if (ctl->n_collectors > 1) {
        fprintf(stderr, "netvigil-ctl: pcap talks to the one collector of the sensor: give "
                        "--collector once\n");
        return NVG_CTL_EXIT_USAGE;
    }
    struct nvg_ctl_conn c;
    int rc = nvg_ctl_conn_open(ctl, &c, ZMQ_DEALER, ctl->control_ep, 4);
    if (rc)
        return rc;
    struct sink s;
    if (open_sink(&s, pc->out) < 0) {
        nvg_ctl_conn_close(&c);
        return NVG_CTL_EXIT_FAIL;
    }
    Netvigil__PcapChunk head = NETVIGIL__PCAP_CHUNK__INIT;
    rc = transfer(ctl, &c, pc, &s, &head);
    nvg_ctl_conn_close(&c);
    if (close_sink(&s, rc == 0) < 0 && rc == 0) {
        fprintf(stderr, "netvigil-ctl: pcap: cannot finish %s: %s\n", pc->out, strerror(errno));
        rc = NVG_CTL_EXIT_FAIL;
    }
    if (rc == 0)
        summary(ctl, pc->sensor, &head, pc->out);
    return rc;
}
