/* See control.h. */
#include "control.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-ratelog.h"
#include "nvg-zmq.h"

#define MAX_ENVELOPE 3
#define ENVELOPE_FRAME_MAX 256 /* ZeroMQ routing ids are at most 255 bytes */
#define PENDING_MAX 64         /* requests in flight; one more is refused at once */
#define FILTER_MAX 1023        /* fits a heartbeat's filter field */
#define REQUESTER_MAX 128      /* what the client says it is, before the peer address */
#define WHO_MAX (REQUESTER_MAX + 80)
#define SENSOR_ERROR_MAX 512 /* a sensor's error text kept per target */

struct envelope {
    uint8_t part[MAX_ENVELOPE][ENVELOPE_FRAME_MAX];
    size_t len[MAX_ENVELOPE];
    int n; /* frames before the body */
};

enum target_state { TARGET_WAITING, TARGET_DONE };

struct target {
    char sensor[NVG_SENSOR_NAME_MAX + 1];
    uint64_t cmd_id;
    uint8_t rid[NVG_ROUTING_ID_MAX];
    size_t rid_len;
    enum target_state state;
    bool ok;
    char error[SENSOR_ERROR_MAX];
};

struct pending {
    bool used;
    uint64_t req_id;
    Netvigil__CommandKind kind;
    char filter[FILTER_MAX + 1];
    char who[WHO_MAX];
    struct envelope env;
    int64_t deadline_ms;
    size_t n, waiting;
    struct target *t;
};

struct nvg_control {
    void *control, *router;
    struct nvg_sensor_table *sensors;
    struct nvg_audit *audit;
    int64_t *now_ms;
    int command_timeout_ms;
    nvg_control_status_fn status;
    void *status_ud;
    struct pending slot[PENDING_MAX];
    size_t used;
    uint64_t next_cmd_id;
    struct nvg_control_counters counts;
    struct nvg_ratelog rl_rejected, rl_stray;
};

/* ---- replies ----------------------------------------------------------------------------- */

static void send_reply(struct nvg_control *ctl, const struct envelope *env,
                       Netvigil__ControlReply *r)
{
    r->protocol_version = NVG_PROTOCOL_VERSION;
    /* A requester that went away is no error: ROUTER drops what it cannot route. */
    for (int i = 0; i < env->n; i++)
        if (zmq_send(ctl->control, env->part[i], env->len[i], ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            return;
    nvg_zmq_send_pb(ctl->control, &r->base, ZMQ_DONTWAIT);
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
    nvg_ratelog_log(&ctl->rl_rejected, *ctl->now_ms, NVG_LOG_WARNING,
                    "control request rejected: %s (%" PRIu64 " so far)", error,
                    ctl->counts.rejected);
    if (env)
        reply_error(ctl, env, id, error);
}

static void reply_status(struct nvg_control *ctl, const struct envelope *env, uint64_t id)
{
    const Netvigil__CollectorStatus *st = ctl->status(ctl->status_ud);
    if (!st) {
        reply_error(ctl, env, id, "out of memory");
        return;
    }
    Netvigil__ControlReply r = NETVIGIL__CONTROL_REPLY__INIT;
    r.id = id;
    r.ok = true;
    r.status = (Netvigil__CollectorStatus *)st; /* only packed */
    send_reply(ctl, env, &r);
}

/* ---- requests in flight ------------------------------------------------------------------ */

static void target_done(struct nvg_control *ctl, struct pending *p, struct target *t,
                        const char *error)
{
    if (t->state == TARGET_DONE)
        return;
    t->state = TARGET_DONE;
    t->ok = error == NULL;
    snprintf(t->error, sizeof(t->error), "%s", error ? error : "");
    p->waiting--;
    nvg_audit_record(ctl->audit, p->who, t->sensor, nvg_wire_command_name(p->kind),
                     p->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER ? p->filter : "", error);
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
        /* One sensor named and it failed: that is also the request's answer. */
        if (p->n == 1 && !p->t[0].ok)
            r.error = p->t[0].error;
    }
    send_reply(ctl, &p->env, &r);
    free(res);
    free(ptrs);
    free(p->t);
    memset(p, 0, sizeof(*p));
    ctl->used--;
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
    return s->last_seen_ms && now_ms - s->last_seen_ms < NVG_SENSOR_CONNECTED_MS &&
           s->routing_id_len > 0;
}

/* Send the Command of target t; NULL when it left, else why not. */
static const char *send_command(struct nvg_control *ctl, struct pending *p, struct target *t)
{
    Netvigil__Command cmd = NETVIGIL__COMMAND__INIT;
    cmd.id = t->cmd_id = ctl->next_cmd_id++;
    cmd.kind = p->kind;
    cmd.filter = p->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER ? p->filter : (char *)"";
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

/* Fill target t for sensor name; returns the immediate error, or NULL (command sent). */
static const char *start_target(struct nvg_control *ctl, struct pending *p, struct target *t,
                                const char *name, char *buf, size_t size)
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
    memcpy(t->rid, s->routing_id, s->routing_id_len);
    t->rid_len = s->routing_id_len;
    return send_command(ctl, p, t);
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
        const char *err = start_target(ctl, p, &p->t[k], tn, buf, sizeof(buf));
        if (err)
            target_done(ctl, p, &p->t[k], err);
        k++;
    }
}

static void route_command(struct nvg_control *ctl, const struct envelope *env,
                          const Netvigil__ControlRequest *req, const char *who)
{
    const char *name = req->sensor ? req->sensor : "";
    const char *filter = req->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER ? req->filter : "";
    struct pending *p = free_slot(ctl);
    if (!p) {
        char err[128];
        snprintf(err, sizeof(err), "busy: %d requests already in flight; try again", PENDING_MAX);
        reject(ctl, env, req->id, err);
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
        nvg_audit_record(ctl->audit, who, name[0] ? name : "(all)",
                         nvg_wire_command_name(req->kind), filter, why);
        reply_error(ctl, env, req->id, why);
        return;
    }
    memset(p, 0, sizeof(*p));
    p->used = true;
    ctl->used++;
    p->req_id = req->id;
    p->kind = req->kind;
    snprintf(p->filter, sizeof(p->filter), "%s", filter);
    snprintf(p->who, sizeof(p->who), "%s", who);
    p->env = *env;
    p->t = t;
    p->n = p->waiting = n;
    p->deadline_ms = *ctl->now_ms + ctl->command_timeout_ms;
    nvg_log(NVG_LOG_INFO, "control: request %" PRIu64 " from %s: %s on %s", req->id, who,
            nvg_wire_command_name(req->kind), name[0] ? name : "all connected sensors");
    start_targets(ctl, p, name);
    if (p->waiting == 0)
        complete(ctl, p);
}

/* ---- validating a request ---------------------------------------------------------------- */

static bool has_control_chars(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* "requester text (peer address)", with control characters replaced and the length capped. */
static void make_who(char *who, size_t size, const char *requester, const char *peer)
{
    char r[REQUESTER_MAX + 1];
    size_t i = 0;
    for (const char *s = requester ? requester : ""; *s && i < REQUESTER_MAX; s++)
        r[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    r[i] = '\0';
    if (peer && *peer)
        snprintf(who, size, "%s (%s)", i ? r : "unknown", peer);
    else
        snprintf(who, size, "%s", i ? r : "unknown");
}

/* The error text for a command request that must not go out, or NULL. */
static const char *check_command(const Netvigil__ControlRequest *req)
{
    const char *name = req->sensor ? req->sensor : "";
    const char *filter = req->filter ? req->filter : "";
    if (name[0] && !nvg_sensor_name_ok(name))
        return "bad request: invalid sensor name (1-64 bytes, no control characters)";
    if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER) {
        if (!filter[0] && !req->clear_filter)
            return "bad request: set-filter needs a filter expression (or clear_filter)";
        if (filter[0] && req->clear_filter)
            return "bad request: clear_filter with a filter expression";
        if (strlen(filter) > FILTER_MAX)
            return "bad request: filter expression longer than 1023 bytes";
        if (has_control_chars(filter))
            return "bad request: control characters in the filter expression";
    }
    return NULL;
}

static void handle_request(struct nvg_control *ctl, const struct envelope *env, zmq_msg_t *body)
{
    Netvigil__ControlRequest *req =
        netvigil__control_request__unpack(NULL, zmq_msg_size(body), zmq_msg_data(body));
    if (!req) {
        ctl->counts.malformed++;
        reject(ctl, env, 0, "malformed request: not a ControlRequest");
        return;
    }
    const char *bad;
    if (req->protocol_version != NVG_PROTOCOL_VERSION) {
        char err[128];
        snprintf(err, sizeof(err),
                 "protocol version %u is not supported; this collector "
                 "speaks version %u",
                 req->protocol_version, NVG_PROTOCOL_VERSION);
        ctl->counts.refused++;
        reject(ctl, env, req->id, err);
    } else if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_STATUS) {
        reply_status(ctl, env, req->id);
    } else if (req->kind < NETVIGIL__COMMAND_KIND__COMMAND_START ||
               req->kind > NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER) {
        char err[64];
        snprintf(err, sizeof(err), "bad request: unknown command kind %d", (int)req->kind);
        ctl->counts.unknown++;
        reject(ctl, env, req->id, err);
    } else if ((bad = check_command(req)) != NULL) {
        reject(ctl, env, req->id, bad);
    } else {
        char who[WHO_MAX];
        make_who(who, sizeof(who), req->requester, zmq_msg_gets(body, "Peer-Address"));
        route_command(ctl, env, req, who);
    }
    netvigil__control_request__free_unpacked(req, NULL);
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
    if (bad || env.n == 0) {
        ctl->counts.malformed++;
        char why[96];
        snprintf(why, sizeof(why), "bad envelope (%d frames)", frames);
        /* A reply needs at least the routing id, which a ROUTER always puts first. */
        reject(ctl, env.n ? &env : NULL, 0, why);
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
    ctl->control = cfg->control;
    ctl->router = cfg->router;
    ctl->sensors = cfg->sensors;
    ctl->audit = cfg->audit;
    ctl->now_ms = cfg->now_ms;
    ctl->command_timeout_ms = cfg->command_timeout_ms;
    ctl->status = cfg->status;
    ctl->status_ud = cfg->status_ud;
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
                target_done(ctl, p, &p->t[k], "no reply yet: the collector is shutting down");
        complete(ctl, p);
    }
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
    if (!s)
        return;
    nvg_sensor_entry_seen(s, t->rid, t->rid_len, *ctl->now_ms);
    nvg_sensor_entry_set_boot(s, st->boot_id);
    nvg_sensor_entry_store_status(s, st);
}

void nvg_control_command_reply(struct nvg_control *ctl, const uint8_t *rid, size_t rid_len,
                               const Netvigil__CommandReply *r)
{
    struct target *t = NULL;
    struct pending *p = find_command(ctl, r->id, &t);
    if (!p || t->rid_len != rid_len || memcmp(t->rid, rid, rid_len) != 0) {
        /* Late (after its timeout), or from a link the command was not sent to. */
        nvg_ratelog_log(&ctl->rl_stray, *ctl->now_ms, NVG_LOG_INFO,
                        "command reply %" PRIu64 " matches no command in flight (late?); ignored",
                        r->id);
        return;
    }
    store_reply_status(ctl, t, r->status);
    if (r->ok) {
        target_done(ctl, p, t, NULL);
    } else {
        const char *e = r->error && r->error[0] ? r->error : "the sensor refused (no reason given)";
        target_done(ctl, p, t, e);
    }
    if (p->waiting == 0)
        complete(ctl, p);
}

void nvg_control_tick(struct nvg_control *ctl, int64_t now_ms)
{
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
                target_done(ctl, p, &p->t[k], msg);
            }
        }
        complete(ctl, p);
    }
}

const struct nvg_control_counters *nvg_control_counters(const struct nvg_control *ctl)
{
    return &ctl->counts;
}
