/* See control.h. */
#include "control.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "budget.h"
#include "connections.h"
#include "control-check.h"
#include "control-internal.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-ratelog.h"
#include "nvg-text.h"
#include "nvg-zmq.h"
#include "quota.h"

/* ---- replies ----------------------------------------------------------------------------- */

static void over_budget(struct nvg_control *ctl, size_t len)
{
    ctl->security->budget_dropped++;
    nvg_ratelog_log(&ctl->rl_budget, *ctl->now_ms, NVG_LOG_WARNING,
                    "control: dropped a %zu-byte reply, the replies' memory share (%" PRIu64
                    " bytes) is held by peers that do not read (%" PRIu64 " dropped so far)",
                    len, nvg_budget_limit(ctl->budget), ctl->security->budget_dropped);
}

/* The envelope, then body (a charged message, taken). */
static void send_frames(struct nvg_control *ctl, const struct envelope *env, zmq_msg_t *body)
{
    /* A requester that went away is no error: ROUTER drops what it cannot route. */
    for (int i = 0; i < env->n; i++) {
        if (zmq_send(ctl->control, env->part[i], env->len[i], ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(body);
            return;
        }
    }
    if (zmq_msg_send(body, ctl->control, ZMQ_DONTWAIT) < 0)
        zmq_msg_close(body);
}

static void send_reply(struct nvg_control *ctl, const struct envelope *env,
                       Netvigil__ControlReply *r)
{
    r->protocol_version = NVG_PROTOCOL_VERSION;
    size_t len = netvigil__control_reply__get_packed_size(r);
    zmq_msg_t m;
    if (nvg_budget_msg(ctl->budget, &m, len) < 0) {
        over_budget(ctl, len);
        return;
    }
    netvigil__control_reply__pack(r, zmq_msg_data(&m));
    send_frames(ctl, env, &m);
}

static void reply_error(struct nvg_control *ctl, const struct envelope *env, uint64_t id,
                        const char *error)
{
    Netvigil__ControlReply r = NETVIGIL__CONTROL_REPLY__INIT;
    r.id = id;
    r.ok = false;
    r.error = (char *)error;
    send_reply(ctl, env, &r);
}

/* A request we will not act on: answered, counted, logged (rate-limited). */
static void reject(struct nvg_control *ctl, const struct envelope *env, uint64_t id,
                   const char *error)
{
    ctl->counts.rejected++;
    ctl->sensors->events++;
    nvg_ratelog_log(&ctl->rl_rejected, *ctl->now_ms, NVG_LOG_WARNING,
                    "control request rejected: %s (%" PRIu64 " so far)", error,
                    ctl->counts.rejected);
    if (env)
        reply_error(ctl, env, id, error);
}

/* A request refused before it reached a sensor (bad, not allowed, over quota): rejected, and
 * in the audit trail (coalesced per peer and second). counter may be NULL; q->req is NULL for
 * a request that did not unpack, and command then says what it was. */
static void refuse_as(struct nvg_control *ctl, const struct request *q, uint64_t *counter,
                      const char *command, const char *error)
{
    if (counter)
        (*counter)++;
    const Netvigil__ControlRequest *req = q->req;
    const char *sensor = req && req->sensor && req->sensor[0] ? req->sensor : "(all)";
    if (req && !command)
        command = nvg_wire_command_name(req->kind);
    nvg_audit_refused(ctl->audit, q->peer_text, q->who, sensor, command ? command : "?", error,
                      *ctl->now_ms);
    reject(ctl, q->env, req ? req->id : 0, error);
}

static void refuse(struct nvg_control *ctl, const struct request *q, uint64_t *counter,
                   const char *error)
{
    refuse_as(ctl, q, counter, NULL, error);
}

/* ControlReply{version, id, ok, status or alerts} with the body as already packed: protobuf
 * embeds a message as its bytes (field 6, length-delimited), so they are appended, not
 * re-encoded; the alerts come with their tags (field 0). */
static void reply_status(struct nvg_control *ctl, const struct request *q)
{
    const struct envelope *env = q->env;
    uint64_t id = q->req->id;
    size_t slen;
    unsigned field = 6;
    const uint8_t *st = ctl->status(ctl->status_ud, q->req, &slen, &field);
    if (!st) {
        reply_error(ctl, env, id, "out of memory");
        return;
    }
    Netvigil__ControlReply r = NETVIGIL__CONTROL_REPLY__INIT;
    r.protocol_version = NVG_PROTOCOL_VERSION;
    r.id = id;
    r.ok = true;
    size_t head = netvigil__control_reply__get_packed_size(&r);
    uint8_t tag[11] = {(uint8_t)((field << 3) | 2)};
    size_t tlen = field ? 1 : 0;
    for (uint64_t v = slen; field && tlen < sizeof(tag); v >>= 7) {
        tag[tlen++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f)
            break;
    }
    zmq_msg_t m;
    if (nvg_budget_msg(ctl->budget, &m, head + tlen + slen) < 0) {
        over_budget(ctl, head + tlen + slen);
        reply_error(ctl, env, id, "busy: too many unread replies; read them, then ask again");
        return;
    }
    uint8_t *p = zmq_msg_data(&m);
    netvigil__control_reply__pack(&r, p);
    memcpy(p + head, tag, tlen);
    memcpy(p + head + tlen, st, slen);
    send_frames(ctl, env, &m);
}

/* ---- requests in flight ------------------------------------------------------------------ */

/* The sensor no longer waits for this command: its per-sensor count goes down. */
static void unwait(struct nvg_control *ctl, struct target *t)
{
    if (!t->sent)
        return;
    t->sent = false;
    ctl->targets_waiting--;
    struct nvg_sensor_entry *s = nvg_sensor_table_find(ctl->sensors, t->sensor);
    if (s && s->commands_waiting)
        s->commands_waiting--;
}

/* refused: the outcome is a quota refusal, audited coalesced. */
static void target_done(struct nvg_control *ctl, struct pending *p, struct target *t,
                        const char *error, bool refused)
{
    if (t->state == TARGET_DONE)
        return;
    t->state = TARGET_DONE;
    t->ok = error == NULL;
    snprintf(t->error, sizeof(t->error), "%s", error ? error : "");
    p->waiting--;
    unwait(ctl, t);
    if (refused)
        nvg_audit_refused(ctl->audit, p->peer, p->who, t->sensor, nvg_wire_command_name(p->kind),
                          error, *ctl->now_ms);
    else if (p->kind == NETVIGIL__COMMAND_KIND__COMMAND_PCAP)
        nvg__control_pcap_audit(ctl, p, t, error);
    else
        nvg_audit_record(ctl->audit, p->who, t->sensor, nvg_wire_command_name(p->kind),
                         p->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER ? p->filter : "",
                         error);
}

static void release_slot(struct nvg_control *ctl, struct pending *p)
{
    struct nvg_quota_peer *qp = nvg_quota_find(ctl->quota, p->env.part[0], p->env.len[0]);
    if (qp && qp->in_flight)
        qp->in_flight--;
    free(p->t);
    memset(p, 0, sizeof(*p));
    ctl->used--;
    ctl->sensors->events++;
}

/* Every target has its outcome: answer the requester and free the slot. */
static void complete(struct nvg_control *ctl, struct pending *p)
{
    Netvigil__SensorResult *res = calloc(p->n, sizeof(*res));
    Netvigil__SensorResult **ptrs = calloc(p->n, sizeof(*ptrs));
    Netvigil__ControlReply r = NETVIGIL__CONTROL_REPLY__INIT;
    r.id = p->req_id;
    if (!res || !ptrs) {
        r.error = (char *)"out of memory (the commands were sent; see the audit log)";
    } else {
        r.ok = p->n > 0;
        for (size_t i = 0; i < p->n; i++) {
            netvigil__sensor_result__init(&res[i]);
            res[i].sensor = p->t[i].sensor;
            res[i].ok = p->t[i].ok;
            res[i].error = p->t[i].error;
            ptrs[i] = &res[i];
            r.ok = r.ok && p->t[i].ok;
        }
        r.n_results = p->n;
        r.results = ptrs;
        r.pcap = r.ok ? (Netvigil__PcapChunk *)p->chunk : NULL;
        /* One sensor named and it failed: that is also the request's answer. */
        if (p->n == 1 && !p->t[0].ok)
            r.error = p->t[0].error;
    }
    send_reply(ctl, &p->env, &r);
    free(res);
    free(ptrs);
    release_slot(ctl, p);
}

static struct pending *free_slot(struct nvg_control *ctl)
{
    if (ctl->used >= PENDING_MAX)
        return NULL;
    for (size_t i = 0; i < PENDING_MAX; i++)
        if (!ctl->slot[i].used)
            return &ctl->slot[i];
    return NULL;
}

static void format_timeout(char *buf, size_t size, int ms)
{
    if (ms % 1000 == 0)
        snprintf(buf, size, "timed out after %d s", ms / 1000);
    else
        snprintf(buf, size, "timed out after %.1f s", ms / 1000.0);
}

/* ---- routing a command ------------------------------------------------------------------- */

static bool connected(const struct nvg_sensor_entry *s, int64_t now_ms)
{
    return nvg_sensor_entry_alive(s, now_ms) && s->routing_id_len > 0;
}

/* Send the Command of target t; NULL when it left, else why not. */
static const char *send_command(struct nvg_control *ctl, struct pending *p, struct target *t)
{
    Netvigil__Command cmd = NETVIGIL__COMMAND__INIT;
    cmd.id = t->cmd_id = ctl->next_cmd_id++;
    cmd.kind = p->kind;
    bool pcap = p->kind == NETVIGIL__COMMAND_KIND__COMMAND_PCAP;
    cmd.filter = p->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER || pcap ? p->filter : "";
    cmd.pcap = pcap ? &p->pcap : NULL;
    Netvigil__CollectorMessage m = NETVIGIL__COLLECTOR_MESSAGE__INIT;
    m.protocol_version = NVG_PROTOCOL_VERSION;
    m.body_case = NETVIGIL__COLLECTOR_MESSAGE__BODY_COMMAND;
    m.command = &cmd;
    /* ROUTER_MANDATORY (main.c sets it): an unroutable id fails here instead of vanishing. */
    if (zmq_send(ctl->router, t->rid, t->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        nvg_zmq_send_pb(ctl->router, &m.base, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        if (e == EHOSTUNREACH)
            return "not connected: its link to the collector is closed";
        if (e == EAGAIN)
            return "its link is full (the sensor is not reading); command not sent";
        return "could not send the command on its link";
    }
    ctl->counts.commands_sent++;
    return NULL;
}

/* Fill target t for sensor name; returns the immediate error, or NULL (command sent). *busy:
 * the error is a quota refusal. */
static const char *start_target(struct nvg_control *ctl, struct pending *p, struct target *t,
                                const char *name, char *buf, size_t size, bool *busy)
{
    snprintf(t->sensor, sizeof(t->sensor), "%s", name);
    t->state = TARGET_WAITING;
    struct nvg_sensor_entry *s = nvg_sensor_table_find(ctl->sensors, name);
    if (!s) {
        snprintf(buf, size, "unknown sensor '%s': no sensor of that name has connected", name);
        return buf;
    }
    if (!connected(s, *ctl->now_ms)) {
        if (s->last_seen_ms)
            snprintf(buf, size, "not connected: last heard from %.1f s ago",
                     (double)(*ctl->now_ms - s->last_seen_ms) / 1000.0);
        else
            snprintf(buf, size, "not connected since the collector started");
        return buf;
    }
    if (s->commands_waiting >= CONTROL_SENSOR_IN_FLIGHT || ctl->targets_waiting >= TARGETS_MAX) {
        *busy = true;
        snprintf(buf, size, "busy: %u commands already wait for this sensor's answer; try again",
                 s->commands_waiting);
        return buf;
    }
    memcpy(t->rid, s->routing_id, s->routing_id_len);
    t->rid_len = s->routing_id_len;
    const char *err = send_command(ctl, p, t);
    if (!err) {
        t->sent = true;
        s->commands_waiting++;
        ctl->targets_waiting++;
    }
    return err;
}

/* Start every target: the one named, or every connected sensor. */
static void start_targets(struct nvg_control *ctl, struct pending *p, const char *name)
{
    char buf[256];
    size_t k = 0;
    for (size_t i = 0; k < p->n && (name[0] ? k == 0 : i < ctl->sensors->n); i++) {
        const char *tn = name;
        if (!name[0]) {
            if (!connected(ctl->sensors->v[i], *ctl->now_ms))
                continue;
            tn = ctl->sensors->v[i]->name;
        }
        bool busy = false;
        const char *err = start_target(ctl, p, &p->t[k], tn, buf, sizeof(buf), &busy);
        if (busy)
            ctl->security->quota_refused++;
        if (err)
            target_done(ctl, p, &p->t[k], err, busy);
        k++;
    }
}

static void route_command(struct nvg_control *ctl, const struct request *q)
{
    const Netvigil__ControlRequest *req = q->req;
    const char *name = req->sensor ? req->sensor : "";
    bool takes_filter = req->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER ||
                        req->kind == NETVIGIL__COMMAND_KIND__COMMAND_PCAP;
    const char *filter = takes_filter && req->filter ? req->filter : "";
    struct pending *p = free_slot(ctl);
    if (!p) {
        refuse(ctl, q, &ctl->security->quota_refused,
               "busy: the collector has too many requests in flight; try again");
        return;
    }
    size_t n = 1;
    if (!name[0]) {
        n = 0;
        for (size_t i = 0; i < ctl->sensors->n; i++)
            n += connected(ctl->sensors->v[i], *ctl->now_ms);
    }
    const char *why = n == 0 ? "no sensor is connected" : NULL;
    struct target *t = n ? calloc(n, sizeof(*t)) : NULL;
    if (n && !t)
        why = "out of memory";
    if (why) {
        nvg_audit_record(ctl->audit, q->who, name[0] ? name : "(all)",
                         nvg_wire_command_name(req->kind), filter, why);
        reply_error(ctl, q->env, req->id, why);
        return;
    }
    memset(p, 0, sizeof(*p));
    p->used = true;
    ctl->used++;
    struct nvg_quota_peer *qp = nvg_quota_find(ctl->quota, q->env->part[0], q->env->len[0]);
    if (qp)
        qp->in_flight++;
    p->req_id = req->id;
    p->kind = req->kind;
    snprintf(p->filter, sizeof(p->filter), "%s", filter);
    snprintf(p->who, sizeof(p->who), "%s", q->who);
    snprintf(p->peer, sizeof(p->peer), "%s", q->peer_text);
    p->env = *q->env;
    p->t = t;
    p->n = p->waiting = n;
    p->deadline_ms = *ctl->now_ms + ctl->command_timeout_ms;
    if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_PCAP)
        nvg__control_pcap_prepare(ctl, q, p);
    nvg_log(NVG_LOG_INFO, "control: request %" PRIu64 " from %s: %s on %s", req->id, q->who,
            nvg_wire_command_name(req->kind), name[0] ? name : "all connected sensors");
    start_targets(ctl, p, name);
    if (p->waiting == 0)
        complete(ctl, p);
}

/* FORGET: drop a sensor that is not connected, its accounting and its pin. */
static void forget(struct nvg_control *ctl, const struct request *q)
{
    const char *name = q->req->sensor ? q->req->sensor : "";
    char buf[256];
    const char *error = NULL;
    struct nvg_sensor_entry *s = nvg_sensor_table_find(ctl->sensors, name);
    if (!s) {
        snprintf(buf, sizeof(buf), "unknown sensor '%s'", name);
        error = buf;
    } else if (nvg_sensor_entry_alive(s, *ctl->now_ms)) {
        snprintf(buf, sizeof(buf),
                 "not forgotten: '%s' is connected and would be back at its next heartbeat; "
                 "stop its process first (it can be forgotten %d s after it goes silent)",
                 name, NVG_SENSOR_PIN_MS / 1000);
        error = buf;
    } else {
        nvg_sensor_table_remove(ctl->sensors, s);
    }
    nvg_audit_record(ctl->audit, q->who, name, "forget", "", error);
    Netvigil__SensorResult res = NETVIGIL__SENSOR_RESULT__INIT, *rp = &res;
    res.sensor = (char *)name;
    res.ok = error == NULL;
    res.error = (char *)(error ? error : "");
    Netvigil__ControlReply r = NETVIGIL__CONTROL_REPLY__INIT;
    r.id = q->req->id;
    r.ok = error == NULL;
    r.error = (char *)(error ? error : "");
    r.n_results = 1;
    r.results = &rp;
    send_reply(ctl, q->env, &r);
    ctl->sensors->events++;
}

/* ---- handling a request ------------------------------------------------------------------ */

static void handle_status_request(struct nvg_control *ctl, const struct request *q)
{
    char buf[160];
    const char *no = nvg__control_not_allowed(&q->peer, NVG_RIGHT_READ, buf, sizeof(buf));
    if (no) {
        refuse(ctl, q, &ctl->security->command_refused, no);
        return;
    }
    struct nvg_quota_peer *qp =
        nvg_quota_peer(ctl->quota, q->env->part[0], q->env->len[0], *ctl->now_ms);
    bool hosts = q->req->kind == NETVIGIL__COMMAND_KIND__COMMAND_HOSTS;
    struct nvg_bucket *b = qp ? (hosts ? &qp->hosts : &qp->status) : NULL;
    if (!b || !nvg_bucket_take(b, STATUS_BURST, STATUS_PER_S, *ctl->now_ms)) {
        refuse(ctl, q, &ctl->security->quota_refused,
               "busy: status asked too often on this connection (4 at once, then 2 a second); "
               "it changes once a second");
        return;
    }
    reply_status(ctl, q);
}

static void handle_command(struct nvg_control *ctl, const struct request *q)
{
    char buf[160];
    bool strings;
    const char *bad = nvg__control_check_command(q->req, &strings);
    if (bad) {
        refuse(ctl, q, strings ? &ctl->security->invalid_strings : NULL, bad);
        return;
    }
    const char *no = nvg__control_not_allowed(&q->peer, NVG_RIGHT_COMMAND, buf, sizeof(buf));
    if (no) {
        refuse(ctl, q, &ctl->security->command_refused, no);
        return;
    }
    if (q->req->kind == NETVIGIL__COMMAND_KIND__COMMAND_PCAP) {
        uint64_t *counter = NULL;
        const char *why = nvg__control_pcap_admit(ctl, q, &counter);
        if (why)
            refuse(ctl, q, counter, why);
        else
            route_command(ctl, q);
        return;
    }
    struct nvg_quota_peer *qp =
        nvg_quota_peer(ctl->quota, q->env->part[0], q->env->len[0], *ctl->now_ms);
    if (!qp) {
        refuse(ctl, q, &ctl->security->quota_refused,
               "busy: too many clients have requests in flight; try again");
    } else if (qp->in_flight >= CONTROL_PEER_IN_FLIGHT) {
        refuse(ctl, q, &ctl->security->quota_refused,
               "busy: 8 requests of this connection already wait for sensors; try again");
    } else if (!nvg_bucket_take(&qp->commands, COMMAND_BURST, COMMAND_PER_S, *ctl->now_ms)) {
        refuse(ctl, q, &ctl->security->quota_refused,
               "busy: too many commands from this connection (20 at once, then 5 a second)");
    } else if (q->req->kind == NETVIGIL__COMMAND_KIND__COMMAND_FORGET) {
        forget(ctl, q);
    } else {
        route_command(ctl, q);
    }
}

static void handle_request(struct nvg_control *ctl, const struct envelope *env, zmq_msg_t *body)
{
    const uint8_t *data = zmq_msg_data(body);
    size_t len = zmq_msg_size(body);
    Netvigil__ControlRequest *req = netvigil__control_request__unpack(NULL, len, data);
    struct request q = {.env = env, .req = req};
    nvg_peer_from_msg(body, ctl->keys, &q.peer);
    nvg__control_who(&q.peer, NULL, q.peer_text, sizeof(q.peer_text), q.who, sizeof(q.who));
    if (!req) {
        refuse_as(ctl, &q, &ctl->counts.malformed, "(malformed)",
                  "malformed request: not a ControlRequest");
        return;
    }
    char buf[160];
    const char *bad = nvg__control_check_wire(&netvigil__control_request__descriptor, data, len,
                                              buf, sizeof(buf));
    if (bad) {
        /* The requester stays out of who: it may be the very string that is bad. */
        refuse(ctl, &q, &ctl->security->invalid_strings, bad);
        netvigil__control_request__free_unpacked(req, NULL);
        return;
    }
    nvg__control_who(&q.peer, req->requester, q.peer_text, sizeof(q.peer_text), q.who,
                     sizeof(q.who));
    if (req->protocol_version != NVG_PROTOCOL_VERSION) {
        char err[128];
        snprintf(err, sizeof(err),
                 "protocol version %u is not supported; this collector "
                 "speaks version %u",
                 req->protocol_version, NVG_PROTOCOL_VERSION);
        refuse(ctl, &q, &ctl->counts.refused, err);
    } else if (nvg__control_is_read(req->kind)) {
        handle_status_request(ctl, &q);
    } else if (!nvg__control_is_command(req->kind)) {
        char err[64];
        snprintf(err, sizeof(err), "bad request: unknown command kind %d", (int)req->kind);
        refuse(ctl, &q, &ctl->counts.unknown, err);
    } else {
        handle_command(ctl, &q);
    }
    netvigil__control_request__free_unpacked(req, NULL);
}

/* Over the application's cap but under the socket's: read (libzmq would have closed the
 * connection without a word), so it can be answered, counted and logged. */
static void refuse_oversized(struct nvg_control *ctl, const struct envelope *env, zmq_msg_t *body)
{
    struct request q = {.env = env};
    nvg_peer_from_msg(body, ctl->keys, &q.peer);
    nvg__control_who(&q.peer, NULL, q.peer_text, sizeof(q.peer_text), q.who, sizeof(q.who));
    char err[128];
    snprintf(err, sizeof(err), "request too large: %zu bytes, at most %d are read",
             zmq_msg_size(body), NVG_CONTROL_MAX_MSG);
    nvg_ratelog_log(&ctl->rl_oversized, *ctl->now_ms, NVG_LOG_WARNING,
                    "control: refused a %zu-byte request from %s, over the %d-byte cap "
                    "(%" PRIu64 " so far)",
                    zmq_msg_size(body), q.peer_text, NVG_CONTROL_MAX_MSG,
                    ctl->counts.oversized + 1);
    refuse_as(ctl, &q, &ctl->counts.oversized, "(too large)", err);
}

/* Read one multipart request; everything before the last frame is the envelope (the routing id
 * and, from REQ peers, an empty delimiter), the last frame the body. */
static int recv_one(struct nvg_control *ctl)
{
    struct envelope env = {.n = 0};
    zmq_msg_t body;
    zmq_msg_init(&body);
    int frames = 0, bad = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, ctl->control, frames == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        frames++;
        if (!more) {
            zmq_msg_move(&body, &m);
        } else if (env.n < MAX_ENVELOPE && zmq_msg_size(&m) <= ENVELOPE_FRAME_MAX) {
            memcpy(env.part[env.n], zmq_msg_data(&m), zmq_msg_size(&m));
            env.len[env.n++] = zmq_msg_size(&m);
        } else {
            bad = 1;
        }
        zmq_msg_close(&m);
    }
    if (frames == 0) {
        zmq_msg_close(&body);
        return 0;
    }
    *ctl->now_ms = nvg_clock_wall_ms();
    nvg_connections_note(&body); /* not idle */
    if (bad || env.n == 0) {
        char why[96];
        snprintf(why, sizeof(why), "bad envelope (%d frames)", frames);
        /* A reply needs at least the routing id, which a ROUTER always puts first. */
        struct request q = {.env = env.n ? &env : NULL};
        nvg_peer_from_msg(&body, ctl->keys, &q.peer);
        nvg__control_who(&q.peer, NULL, q.peer_text, sizeof(q.peer_text), q.who, sizeof(q.who));
        refuse_as(ctl, &q, &ctl->counts.malformed, "(bad envelope)", why);
    } else if (zmq_msg_size(&body) > NVG_CONTROL_MAX_MSG) {
        refuse_oversized(ctl, &env, &body);
    } else {
        handle_request(ctl, &env, &body);
    }
    zmq_msg_close(&body);
    return 1;
}

/* ---- public ------------------------------------------------------------------------------ */

struct nvg_control *nvg_control_new(const struct nvg_control_config *cfg)
{
    struct nvg_control *ctl = calloc(1, sizeof(*ctl));
    if (!ctl)
        return NULL;
    ctl->slot = calloc(PENDING_MAX, sizeof(*ctl->slot));
    ctl->quota = nvg_quota_new(PEERS_MAX);
    ctl->budget = nvg_budget_new(NVG_BUDGET_CONTROL_SHARE(cfg->memory_budget));
    if (!ctl->slot || !ctl->quota || !ctl->budget) {
        free(ctl->slot);
        nvg_quota_free(ctl->quota);
        nvg_budget_release(ctl->budget);
        free(ctl);
        return NULL;
    }
    ctl->control = cfg->control;
    ctl->router = cfg->router;
    ctl->sensors = cfg->sensors;
    ctl->audit = cfg->audit;
    ctl->now_ms = cfg->now_ms;
    ctl->command_timeout_ms = cfg->command_timeout_ms;
    ctl->status = cfg->status;
    ctl->status_ud = cfg->status_ud;
    ctl->keys = cfg->keys;
    ctl->security = cfg->security;
    ctl->pcap_max = cfg->pcap_max ? cfg->pcap_max : NVG_CONTROL_PCAP_MAX_DEFAULT;
    /* Unique for this process, and apart from the ids of earlier collector processes. */
    ctl->next_cmd_id = (uint64_t)nvg_clock_wall_ms() << 16;
    return ctl;
}

void nvg_control_free(struct nvg_control *ctl)
{
    if (!ctl)
        return;
    for (size_t i = 0; i < PENDING_MAX; i++) {
        struct pending *p = &ctl->slot[i];
        if (!p->used)
            continue;
        for (size_t k = 0; k < p->n; k++)
            if (p->t[k].state == TARGET_WAITING)
                target_done(ctl, p, &p->t[k], "no reply yet: the collector is shutting down",
                            false);
        complete(ctl, p);
    }
    free(ctl->slot);
    nvg_quota_free(ctl->quota);
    nvg_budget_release(ctl->budget); /* lives on while libzmq holds replies charged to it */
    free(ctl);
}

int nvg_control_drain(struct nvg_control *ctl, int max)
{
    int done = 0;
    while (done < max && recv_one(ctl) > 0)
        done++;
    return done;
}

static struct pending *find_command(struct nvg_control *ctl, uint64_t cmd_id, struct target **t)
{
    if (ctl->used == 0)
        return NULL;
    for (size_t i = 0; i < PENDING_MAX; i++) {
        struct pending *p = &ctl->slot[i];
        if (!p->used)
            continue;
        for (size_t k = 0; k < p->n; k++) {
            if (p->t[k].cmd_id == cmd_id && p->t[k].state == TARGET_WAITING) {
                *t = &p->t[k];
                return p;
            }
        }
    }
    return NULL;
}

/* The status a reply carries is the sensor's state right after the command: `status` shows a
 * stopped sensor as stopped at once, not at its next heartbeat. */
static void store_reply_status(struct nvg_control *ctl, const struct target *t,
                               const Netvigil__SensorStatus *st)
{
    if (!st || !st->sensor || strcmp(st->sensor, t->sensor) != 0)
        return;
    struct nvg_sensor_entry *s = nvg_sensor_table_find(ctl->sensors, t->sensor);
    if (!s || !nvg_sensor_entry_pinned_to(s, t->rid, t->rid_len))
        return;
    nvg_sensor_entry_seen(s, *ctl->now_ms);
    nvg_sensor_entry_set_boot(s, st->boot_id);
    nvg_sensor_entry_store_status(s, st);
}

void nvg_control_command_reply(struct nvg_control *ctl, const uint8_t *rid, size_t rid_len,
                               const Netvigil__CommandReply *r)
{
    struct target *t = NULL;
    struct pending *p = find_command(ctl, r->id, &t);
    if (r->id == 0)
        return; /* the answer to ingest's probe of a pinned link (ingest.c) */
    if (!p || t->rid_len != rid_len || memcmp(t->rid, rid, rid_len) != 0) {
        /* Late (after its timeout), or from a link the command was not sent to. */
        nvg_ratelog_log(&ctl->rl_stray, *ctl->now_ms, NVG_LOG_INFO,
                        "command reply %" PRIu64 " matches no command in flight (late?); ignored",
                        r->id);
        return;
    }
    store_reply_status(ctl, t, r->status);
    if (p->kind == NETVIGIL__COMMAND_KIND__COMMAND_PCAP && r->ok &&
        (!r->pcap || r->pcap->data.len > NVG_CONTROL_PCAP_CHUNK_MAX)) {
        target_done(ctl, p, t, "the sensor answered without a valid pcap chunk", false);
        complete(ctl, p);
        return;
    }
    p->chunk = r->pcap;
    if (r->ok) {
        target_done(ctl, p, t, NULL, false);
    } else {
        const char *e = r->error && r->error[0] ? r->error : "the sensor refused (no reason given)";
        target_done(ctl, p, t, e, false);
    }
    if (p->waiting == 0)
        complete(ctl, p);
}

void nvg_control_tick(struct nvg_control *ctl, int64_t now_ms)
{
    nvg_audit_tick(ctl->audit, now_ms);
    if (ctl->used == 0)
        return;
    char msg[64];
    format_timeout(msg, sizeof(msg), ctl->command_timeout_ms);
    for (size_t i = 0; i < PENDING_MAX; i++) {
        struct pending *p = &ctl->slot[i];
        if (!p->used || now_ms < p->deadline_ms)
            continue;
        for (size_t k = 0; k < p->n; k++) {
            if (p->t[k].state == TARGET_WAITING) {
                ctl->counts.commands_timed_out++;
                target_done(ctl, p, &p->t[k], msg, false);
            }
        }
        complete(ctl, p);
    }
}

const struct nvg_control_counters *nvg_control_counters(const struct nvg_control *ctl)
{
    return &ctl->counts;
}
