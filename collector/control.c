/* The control socket (ROUTER, 7702): requests from netvigil-ctl and the viewer.
 *
 * A request is [routing id][optional empty delimiter (REQ peers)][ControlRequest]; the reply
 * goes back with the same envelope. Only STATUS is answered here for now. The commands that
 * act on sensors (start, stop, restart, set-filter) are routed down the sensor link from
 * issue 4 on: they go into route_command(), which will look the target up in c->sensors
 * (struct nvg_sensor keeps each sensor's routing id), send a Command, and answer once every
 * target replied or timed out. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "collector.h"
#include "nvg-zmq.h"

#define MAX_ENVELOPE 3

struct envelope {
    zmq_msg_t part[MAX_ENVELOPE];
    int n; /* frames before the body */
};

static void send_reply(struct nvg_collector *c, struct envelope *env, Netvigil__ControlReply *r)
{
    r->protocol_version = NVG_PROTOCOL_VERSION;
    for (int i = 0; i < env->n; i++)
        if (zmq_send(c->control, zmq_msg_data(&env->part[i]), zmq_msg_size(&env->part[i]),
                     ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            return;
    nvg_zmq_send_pb(c->control, &r->base, ZMQ_DONTWAIT);
}

static void reply_error(struct nvg_collector *c, struct envelope *env, uint64_t id,
                        const char *error)
{
    Netvigil__ControlReply r = NETVIGIL__CONTROL_REPLY__INIT;
    r.id = id;
    r.ok = false;
    r.error = (char *)error;
    send_reply(c, env, &r);
}

static void reply_status(struct nvg_collector *c, struct envelope *env, uint64_t id)
{
    Netvigil__ControlReply r = NETVIGIL__CONTROL_REPLY__INIT;
    Netvigil__CollectorStatus st;
    struct nvg_status_storage store;
    if (nvg_status_build(c, &st, &store) < 0) {
        reply_error(c, env, id, "out of memory");
        return;
    }
    r.id = id;
    r.ok = true;
    r.status = &st;
    send_reply(c, env, &r);
    nvg_status_release(&store);
}

/* Issue 4 fills this in. */
static void route_command(struct nvg_collector *c, struct envelope *env,
                          const Netvigil__ControlRequest *req)
{
    nvg_log(NVG_LOG_INFO, "control: '%s' asked for command %d on '%s': not implemented yet",
            req->requester ? req->requester : "", (int)req->kind,
            req->sensor && *req->sensor ? req->sensor : "(all)");
    reply_error(c, env, req->id, "not implemented yet: sensor commands arrive with the control "
                                 "plane (issue 4)");
}

static void handle_request(struct nvg_collector *c, struct envelope *env, zmq_msg_t *body)
{
    Netvigil__ControlRequest *req =
        netvigil__control_request__unpack(NULL, zmq_msg_size(body), zmq_msg_data(body));
    if (!req) {
        c->c.malformed++;
        nvg__ratelog(&c->rl_malformed, c->now_ms, NVG_LOG_WARNING,
                     "malformed control request");
        reply_error(c, env, 0, "malformed request: not a ControlRequest");
        return;
    }
    if (req->protocol_version != NVG_PROTOCOL_VERSION) {
        char err[128];
        snprintf(err, sizeof(err), "protocol version %u is not supported; this collector "
                 "speaks version %u", req->protocol_version, NVG_PROTOCOL_VERSION);
        c->c.refused++;
        reply_error(c, env, req->id, err);
    } else if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_STATUS) {
        reply_status(c, env, req->id);
    } else if (req->kind >= NETVIGIL__COMMAND_KIND__COMMAND_START &&
               req->kind <= NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER) {
        route_command(c, env, req);
    } else {
        c->c.unknown++;
        reply_error(c, env, req->id, "unknown command kind");
    }
    netvigil__control_request__free_unpacked(req, NULL);
}

/* Read one multipart request; everything up to and including an empty frame (or just the
 * routing id) is the envelope, the last frame the body. */
static int recv_one(struct nvg_collector *c)
{
    struct envelope env = {.n = 0};
    zmq_msg_t body;
    zmq_msg_init(&body);
    int frames = 0, bad = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->control, frames == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        frames++;
        if (!more) {
            zmq_msg_move(&body, &m);
        } else if (env.n < MAX_ENVELOPE) {
            zmq_msg_init(&env.part[env.n]);
            zmq_msg_move(&env.part[env.n++], &m);
        } else {
            bad = 1;
        }
        zmq_msg_close(&m);
    }
    if (frames == 0) {
        zmq_msg_close(&body);
        return 0;
    }
    c->now_ms = nvg__wall_ms();
    if (bad || env.n == 0) {
        c->c.malformed++;
        nvg__ratelog(&c->rl_malformed, c->now_ms, NVG_LOG_WARNING,
                     "control request with a bad envelope (%d frames)", frames);
    } else {
        handle_request(c, &env, &body);
    }
    for (int i = 0; i < env.n; i++)
        zmq_msg_close(&env.part[i]);
    zmq_msg_close(&body);
    return 1;
}

int nvg_control_drain(struct nvg_collector *c, int max)
{
    int done = 0;
    while (done < max && recv_one(c) > 0)
        done++;
    return done;
}
