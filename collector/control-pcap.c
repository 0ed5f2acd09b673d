/* COMMAND_PCAP on the control socket: who may extract, how often, and the audit row. Routing
 * is control.c's, as for any command to one sensor: the request goes down as a Command with
 * its PcapRequest (max_bytes capped by --pcap-max), and the sensor's CommandReply brings the
 * chunk that control.c puts in the ControlReply (ControlReply.pcap). Only a first request
 * (session 0) is audited when it succeeds, with the stream's size, frames and span: the
 * chunks after it are its transfer. A chunk that fails is audited too. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "control-internal.h"
#include "nvg-format.h"

/* Chunks of an extraction already admitted: the client asks for each after the last arrived,
 * so this only bounds a client that asks without reading. */
#define PCAP_BURST 64.0
#define PCAP_PER_S 64.0

const char *nvg__control_pcap_admit(struct nvg_control *ctl, const struct request *q,
                                    uint64_t **counter)
{
    const Netvigil__ControlRequest *req = q->req;
    *counter = NULL;
    if (!req->sensor || !req->sensor[0])
        return "bad request: pcap extracts from one sensor: name it";
    if (!req->pcap)
        return "bad request: pcap needs a span (from and to, or last)";
    struct nvg_quota_peer *qp =
        nvg_quota_peer(ctl->quota, q->env->part[0], q->env->len[0], *ctl->now_ms);
    *counter = &ctl->security->quota_refused;
    if (!qp)
        return "busy: too many clients have requests in flight; try again";
    if (qp->in_flight >= CONTROL_PEER_IN_FLIGHT)
        return "busy: 8 requests of this connection already wait for sensors; try again";
    if (req->pcap->session) {
        if (!nvg_bucket_take(&qp->pcap, PCAP_BURST, PCAP_PER_S, *ctl->now_ms))
            return "busy: pcap chunks asked too fast on this connection (64 a second)";
    } else if (!nvg_bucket_take(&qp->commands, COMMAND_BURST, COMMAND_PER_S, *ctl->now_ms)) {
        return "busy: too many commands from this connection (20 at once, then 5 a second)";
    }
    *counter = NULL;
    return NULL;
}

void nvg__control_pcap_prepare(struct nvg_control *ctl, const struct request *q, struct pending *p)
{
    const Netvigil__PcapRequest *in = q->req->pcap;
    netvigil__pcap_request__init(&p->pcap);
    p->pcap.from_ns = in->from_ns;
    p->pcap.to_ns = in->to_ns;
    p->pcap.last_ms = in->last_ms;
    p->pcap.session = in->session;
    p->pcap.offset = in->offset;
    p->pcap.max_bytes =
        in->max_bytes && in->max_bytes < ctl->pcap_max ? in->max_bytes : ctl->pcap_max;
}

static void format_span(char *buf, size_t size, int64_t from_ns, int64_t to_ns)
{
    char from[32], to[32];
    nvg_format_time_iso(from, from_ns);
    nvg_format_time_iso(to, to_ns);
    snprintf(buf, size, "%s to %s", from, to);
}

void nvg__control_pcap_audit(struct nvg_control *ctl, const struct pending *p,
                             const struct target *t, const char *error)
{
    const Netvigil__PcapRequest *rq = &p->pcap;
    if (rq->session && !error)
        return;
    char span[80], detail[200], command[64];
    const Netvigil__PcapChunk *c = error ? NULL : p->chunk;
    if (c)
        format_span(span, sizeof(span), c->from_ns, c->to_ns);
    else if (rq->last_ms)
        snprintf(span, sizeof(span), "the last %.3f s", (double)rq->last_ms / 1000.0);
    else
        format_span(span, sizeof(span), rq->from_ns, rq->to_ns);
    if (c)
        snprintf(detail, sizeof(detail), "%" PRIu64 " bytes, %" PRIu64 " frames, %s",
                 c->total_bytes, c->frames, span);
    else
        snprintf(detail, sizeof(detail), "%s, at most %" PRIu64 " bytes", span, rq->max_bytes);
    if (rq->session)
        snprintf(command, sizeof(command), "pcap (chunk at %" PRIu64 ")", rq->offset);
    else
        snprintf(command, sizeof(command), "pcap");
    nvg_audit_record_detail(ctl->audit, p->who, t->sensor, command, p->filter, error, detail);
}
