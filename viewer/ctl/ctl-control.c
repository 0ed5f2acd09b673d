/* netvigil-ctl's side of the control socket (DEALER to the collector's ROUTER, 7702): one
 * request, one reply with the same id, a bounded wait; and the sensor commands
 * (start, stop, restart, filter) with their per-sensor result table.
 *
 * The collector answers a command once every targeted sensor has answered or its command
 * timeout (default 3 s) has passed, so our own wait for commands is longer (5 s by default):
 * a sensor that timed out shows as such instead of the whole request failing. */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-time.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

void nvg_ctl_default_requester(char *buf, size_t size)
{
    const struct passwd *pw = getpwuid(getuid());
    char host[128] = "?";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(buf, size, "%s@%s", pw ? pw->pw_name : "?", host);
}

void *nvg_ctl_control_socket(struct nvg_ctl *ctl)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_sockopts so = {.linger_ms = 0};
    void *sock = nvg_zmq_socket(ctl->zctx, ZMQ_DEALER, &so, err);
    if (!sock || zmq_connect(sock, ctl->control_ep) != 0) {
        fprintf(stderr, "netvigil-ctl: cannot connect to %s: %s\n", ctl->control_ep,
                sock ? zmq_strerror(zmq_errno()) : err);
        if (sock)
            zmq_close(sock);
        return NULL;
    }
    return sock;
}

static uint64_t new_id(void)
{
    int64_t ns = nvg_clock_wall_ns();
    uint64_t id = ((uint64_t)(ns / NVG_NS_PER_SEC) << 32) ^ ((uint64_t)(ns % NVG_NS_PER_SEC) << 8) ^
                  (uint64_t)getpid();
    return id ? id : 1;
}

Netvigil__ControlReply *nvg_ctl_request(struct nvg_ctl *ctl, void *sock,
                                        Netvigil__ControlRequest *req, int timeout_ms)
{
    req->protocol_version = NVG_PROTOCOL_VERSION;
    if (!req->id)
        req->id = new_id();
    if (!req->requester || !req->requester[0]) /* _INIT sets "" */
        req->requester = ctl->requester;
    int64_t t0 = nvg_clock_mono_ms();
    /* The DEALER queues the request until the connection is up; a collector that is not there
     * shows as no answer within the timeout. */
    if (nvg_zmq_send_pb(sock, &req->base, ZMQ_DONTWAIT) < 0)
        return NULL;
    for (;;) {
        long left = (long)(timeout_ms - (nvg_clock_mono_ms() - t0));
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        if (left <= 0 || zmq_poll(&it, 1, left) <= 0)
            return NULL;
        zmq_msg_t m;
        zmq_msg_init(&m);
        Netvigil__ControlReply *r = NULL;
        if (zmq_msg_recv(&m, sock, 0) >= 0)
            r = netvigil__control_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (r && r->id == req->id)
            return r;
        /* A request error the collector could not tie to our id (e.g. it could not parse the
         * request) still answers us: no other request is in flight on this socket. */
        if (r && r->id == 0 && !r->ok && r->n_results == 0)
            return r;
        if (r)
            netvigil__control_reply__free_unpacked(r, NULL);
    }
}

/* ---- sensor commands --------------------------------------------------------------------- */

static void print_json(const Netvigil__ControlReply *r, const char *command)
{
    printf("{\"command\":");
    nvg_ctl_json_str(command);
    printf(",\"id\":%" PRIu64 ",\"ok\":%s,\"error\":", r->id, r->ok ? "true" : "false");
    nvg_ctl_json_str(r->error);
    printf(",\"results\":[");
    for (size_t i = 0; i < r->n_results; i++) {
        const Netvigil__SensorResult *s = r->results[i];
        printf("%s{\"sensor\":", i ? "," : "");
        nvg_ctl_json_str(s->sensor);
        printf(",\"ok\":%s,\"error\":", s->ok ? "true" : "false");
        nvg_ctl_json_str(s->error);
        putchar('}');
    }
    printf("]}\n");
}

/* One line per sensor; the error text is printed whole (it may be long: libpcap's message). */
static void print_table(const Netvigil__ControlReply *r, const char *what)
{
    size_t ok = 0, width = 6;
    for (size_t i = 0; i < r->n_results; i++) {
        size_t w = strlen(r->results[i]->sensor ? r->results[i]->sensor : "");
        width = w > width ? w : width;
        ok += r->results[i]->ok;
    }
    if (r->n_results == 0) {
        printf("%s: failed: %s\n", what, r->error && *r->error ? r->error : "(no reason given)");
        return;
    }
    printf("%s: %zu of %zu sensor(s) ok\n", what, ok, r->n_results);
    printf("%-*s  %s\n", (int)width, "SENSOR", "RESULT");
    for (size_t i = 0; i < r->n_results; i++) {
        const Netvigil__SensorResult *s = r->results[i];
        if (s->ok)
            printf("%-*s  ok\n", (int)width, s->sensor);
        else
            printf("%-*s  error: %s\n", (int)width, s->sensor,
                   s->error && *s->error ? s->error : "(no reason given)");
    }
}

static bool all_ok(const Netvigil__ControlReply *r)
{
    if (!r->ok || r->n_results == 0)
        return false;
    for (size_t i = 0; i < r->n_results; i++)
        if (!r->results[i]->ok)
            return false;
    return true;
}

int nvg_ctl_command(struct nvg_ctl *ctl, Netvigil__CommandKind kind, const char *sensor,
                    const char *filter)
{
    void *sock = nvg_ctl_control_socket(ctl);
    if (!sock)
        return 1;
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = kind;
    req.sensor = (char *)(sensor ? sensor : "");
    req.filter = (char *)(filter ? filter : "");
    req.clear_filter = kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER && !filter;
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_COMMAND_TIMEOUT_MS;
    Netvigil__ControlReply *r = nvg_ctl_request(ctl, sock, &req, timeout);
    zmq_close(sock);

    char what[1200];
    if (req.clear_filter)
        snprintf(what, sizeof(what), "clear-filter on %s%s", req.sensor[0] ? "" : "all sensors",
                 req.sensor);
    else if (kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER)
        snprintf(what, sizeof(what), "filter '%s' on %s%s", req.filter,
                 req.sensor[0] ? "" : "all sensors", req.sensor);
    else
        snprintf(what, sizeof(what), "%s %s%s", nvg_wire_command_name(kind),
                 req.sensor[0] ? "" : "all sensors", req.sensor);
    if (!r) {
        fprintf(stderr,
                "netvigil-ctl: %s: no answer from the collector at %s within %d ms (not "
                "running or not reachable?)\n",
                what, ctl->control_ep, timeout);
        return 1;
    }
    bool ok = all_ok(r);
    if (ctl->json)
        print_json(r, what);
    else
        print_table(r, what);
    netvigil__control_reply__free_unpacked(r, NULL);
    return ok ? 0 : 1;
}
