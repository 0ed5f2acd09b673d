/* netvigil-ctl with several collectors (--collector given more than once): the requests that
 * take one reply (status, sensor commands, hosts, alerts --since) go to every collector at
 * once, and what comes back is merged.
 *
 * Each collector's request runs on a thread of its own that creates, uses and closes its one
 * DEALER socket (nvg_ctl_request, as with one collector), so a collector that does not answer
 * costs one timeout, not one per collector; the main thread prints once every thread is
 * joined. A collector that does not answer (or refuses us) is said on stderr ("collector B: no
 * answer") and in the output, the others' answers are printed, and the exit status is
 * NVG_CTL_EXIT_PARTIAL.
 *
 * A command naming a sensor is routed: every collector is asked for its status first, and the
 * command goes to the one whose table holds the sensor. A name on several collectors is
 * refused as ambiguous (sensor names are unique per collector only); COLLECTOR/SENSOR picks
 * one without asking. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-alert-wire.h"
#include "nvg-clock.h"
#include "nvg-wire.h"

struct job {
    struct nvg_ctl *ctl;
    const struct nvg_ctl_collector *coll;
    Netvigil__ControlRequest req;
    const char *what; /* for the messages: the command, NULL for a query */
    int timeout_ms;
    struct nvg_arena *arena;
    Netvigil__ControlReply *reply; /* in arena; NULL: status says why */
    int status;
    pthread_t thread;
    bool threaded;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    struct nvg_ctl_conn c;
    j->status =
        nvg_ctl_conn_open_to(j->ctl, &c, ZMQ_DEALER, j->coll->control_ep, 4, &j->coll->cert);
    if (j->status)
        return NULL;
    j->arena = nvg_ctl_arena_new();
    if (j->arena)
        j->reply =
            nvg_ctl_request(j->ctl, &c, j->arena, &j->req, j->what, j->timeout_ms, &j->status);
    else
        j->status = NVG_CTL_EXIT_FAIL;
    nvg_ctl_conn_close(&c);
    return NULL;
}

/* req (a template: each job gets its copy) to the collectors of idx (n of them), all at once;
 * returns when each has answered or timed out. */
static void run_jobs(struct nvg_ctl *ctl, struct job *jobs, const size_t *idx, size_t n,
                     const Netvigil__ControlRequest *req, const char *what, int timeout_ms)
{
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (struct job){.ctl = ctl,
                               .coll = &ctl->collectors[idx[i]],
                               .req = *req,
                               .what = what,
                               .timeout_ms = timeout_ms};
        jobs[i].threaded = pthread_create(&jobs[i].thread, NULL, run_job, &jobs[i]) == 0;
        if (!jobs[i].threaded)
            run_job(&jobs[i]); /* no thread to be had: one after the other */
    }
    for (size_t i = 0; i < n; i++)
        if (jobs[i].threaded)
            pthread_join(jobs[i].thread, NULL);
}

static void free_jobs(struct job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        nvg_arena_free(jobs[i].arena);
}

static size_t all_collectors(const struct nvg_ctl *ctl, size_t *idx)
{
    for (size_t i = 0; i < ctl->n_collectors; i++)
        idx[i] = i;
    return ctl->n_collectors;
}

static int query_timeout(const struct nvg_ctl *ctl)
{
    return ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_STATUS_TIMEOUT_MS;
}

/* Whether the job got a usable reply; else why not, in words, into why. A refusal sets the
 * job's status as nvg_ctl_refused would. */
static bool job_ok(struct job *j, char *why, size_t size)
{
    if (j->reply && j->reply->ok)
        return true;
    if (j->reply) {
        char reason[512];
        nvg_ctl_escape(reason, sizeof(reason),
                       j->reply->error && *j->reply->error ? j->reply->error : "(no reason)");
        snprintf(why, size, "refused: %s", reason);
        j->status =
            nvg_ctl_reply_not_allowed(j->reply) ? NVG_CTL_EXIT_NOT_ALLOWED : NVG_CTL_EXIT_FAIL;
        return false;
    }
    snprintf(why, size, "%s",
             j->status == NVG_CTL_EXIT_KEY_REFUSED ? "does not accept this key"
             : j->status == NVG_CTL_EXIT_HANDSHAKE ? "CURVE handshake failed"
                                                   : "no answer");
    return false;
}

/* Said on stderr (and on also, unless NULL) for each collector that failed (with
 * answered_ok, only for those that did not answer: the others' replies were printed); returns
 * the exit status of the whole: 0, PARTIAL when some answered, else the first failure's. */
static int report_failures(struct job *jobs, size_t n, FILE *also, bool answered_ok)
{
    size_t failed = 0;
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        char why[600];
        if ((answered_ok && jobs[i].reply) || job_ok(&jobs[i], why, sizeof(why)))
            continue;
        fprintf(stderr, "netvigil-ctl: collector %s: %s\n", jobs[i].coll->label, why);
        if (also)
            fprintf(also, "[%s] %s (%s)\n", jobs[i].coll->label, why, jobs[i].coll->control_ep);
        first = failed++ ? first : jobs[i].status ? jobs[i].status : NVG_CTL_EXIT_FAIL;
    }
    return failed == 0 ? NVG_CTL_EXIT_OK : failed < n ? NVG_CTL_EXIT_PARTIAL : first;
}

void nvg_ctl_put_labelled(FILE *out, const char *label, const char *text, size_t len)
{
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t line = nl ? (size_t)(nl - text) + 1 : len;
        if (text[0] == '{') {
            fputs("{\"collector\":", out);
            nvg_ctl_json_str(out, label);
            fputs(text[1] == '}' ? "" : ",", out);
            fwrite(text + 1, 1, line - 1, out);
        } else {
            fprintf(out, "[%s] ", label);
            fwrite(text, 1, line, out);
        }
        text += line;
        len -= line;
    }
}

/* What print writes, into a buffer, then labelled onto stdout. */
#define LABELLED(label, print)                                                                     \
    do {                                                                                           \
        char *buf_ = NULL;                                                                         \
        size_t len_ = 0;                                                                           \
        FILE *mem_ = open_memstream(&buf_, &len_);                                                 \
        if (mem_) {                                                                                \
            FILE *out = mem_;                                                                      \
            print;                                                                                 \
            fclose(mem_);                                                                          \
            nvg_ctl_put_labelled(stdout, label, buf_, len_);                                       \
        }                                                                                          \
        free(buf_);                                                                                \
    } while (0)

/* ---- status ----------------------------------------------------------------------------- */

static const Netvigil__CollectorStatus *status_of(const struct job *j)
{
    return j->reply && j->reply->ok ? j->reply->status : NULL;
}

static void status_table(struct job *jobs, size_t n)
{
    int width = 9; /* "COLLECTOR" */
    for (size_t i = 0; i < n; i++) {
        int w = (int)strlen(jobs[i].coll->label);
        width = w > width ? w : width;
    }
    nvg_ctl_status_print_header(stdout, width);
    for (size_t i = 0; i < n; i++) {
        const Netvigil__CollectorStatus *st = status_of(&jobs[i]);
        for (size_t k = 0; st && k < st->n_sensors; k++)
            if (st->sensors[k])
                nvg_ctl_status_print_row(stdout, st->sensors[k], jobs[i].coll->label, width);
    }
    for (size_t i = 0; i < n; i++) {
        const Netvigil__CollectorStatus *st = status_of(&jobs[i]);
        if (st)
            LABELLED(jobs[i].coll->label, nvg_ctl_status_print_footer(out, st));
    }
}

static void status_json(struct job *jobs, size_t n)
{
    fputs("{\"collectors\":[", stdout);
    for (size_t i = 0; i < n; i++) {
        const Netvigil__CollectorStatus *st = status_of(&jobs[i]);
        char why[600] = "";
        fprintf(stdout, "%s{\"collector\":", i ? "," : "");
        nvg_ctl_json_str(stdout, jobs[i].coll->label);
        fputs(",\"control_endpoint\":", stdout);
        nvg_ctl_json_str(stdout, jobs[i].coll->control_ep);
        fprintf(stdout, ",\"answered\":%s", st ? "true" : "false");
        if (!st && !job_ok(&jobs[i], why, sizeof(why))) {
            fputs(",\"error\":", stdout);
            nvg_ctl_json_str(stdout, why);
        }
        if (st) {
            fputs(",\"status\":", stdout);
            nvg_ctl_status_print_json(stdout, st);
        }
        fputc('}', stdout);
    }
    fputs("],\"sensors\":[", stdout);
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        const Netvigil__CollectorStatus *st = status_of(&jobs[i]);
        for (size_t k = 0; st && k < st->n_sensors; k++) {
            if (!st->sensors[k])
                continue;
            fputs(sep, stdout);
            nvg_ctl_status_print_json_sensor(stdout, st->sensors[k], jobs[i].coll->label);
            sep = ",";
        }
    }
    fputs("]}\n", stdout);
}

int nvg_ctl_multi_status(struct nvg_ctl *ctl)
{
    struct job jobs[NVG_CTL_MAX_COLLECTORS];
    size_t idx[NVG_CTL_MAX_COLLECTORS] = {0}, n = all_collectors(ctl, idx);
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_STATUS;
    run_jobs(ctl, jobs, idx, n, &req, NULL, query_timeout(ctl));
    for (size_t i = 0; i < n; i++)
        if (jobs[i].reply && jobs[i].reply->ok && !jobs[i].reply->status)
            jobs[i].reply->ok = false; /* an answer without a status is no status */
    if (ctl->json)
        status_json(jobs, n);
    else
        status_table(jobs, n);
    int rc = report_failures(jobs, n, ctl->json ? NULL : stdout, false);
    free_jobs(jobs, n);
    return rc;
}

/* ---- hosts, alerts --since: one reply each, printed labelled -------------------------------- */

static int labelled_queries(struct nvg_ctl *ctl, const Netvigil__ControlRequest *req,
                            void (*print)(struct nvg_ctl *ctl, FILE *out,
                                          Netvigil__ControlReply *r))
{
    struct job jobs[NVG_CTL_MAX_COLLECTORS];
    size_t idx[NVG_CTL_MAX_COLLECTORS] = {0}, n = all_collectors(ctl, idx);
    run_jobs(ctl, jobs, idx, n, req, NULL, query_timeout(ctl));
    for (size_t i = 0; i < n; i++)
        if (jobs[i].reply && jobs[i].reply->ok)
            LABELLED(jobs[i].coll->label, print(ctl, out, jobs[i].reply));
    int rc = report_failures(jobs, n, NULL, false);
    free_jobs(jobs, n);
    return rc;
}

static void print_hosts(struct nvg_ctl *ctl, FILE *out, Netvigil__ControlReply *r)
{
    nvg_ctl_hosts_print(out, r, ctl->sort, ctl->json);
}

int nvg_ctl_multi_hosts(struct nvg_ctl *ctl)
{
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_HOSTS;
    req.limit = ctl->count > 0 && ctl->count <= 1000 ? (uint32_t)ctl->count : 0;
    return labelled_queries(ctl, &req, print_hosts);
}

static void print_alerts(struct nvg_ctl *ctl, FILE *out, Netvigil__ControlReply *r)
{
    char line[NVG_ALERT_LINE_MAX];
    size_t shown = 0;
    for (size_t i = 0; i < r->n_alerts && (ctl->count <= 0 || (long)shown < ctl->count); i++)
        if (r->alerts[i]) {
            fwrite(line, 1, nvg_alert_format_line(line, r->alerts[i]), out);
            shown++;
        }
}

int nvg_ctl_multi_alerts_since(struct nvg_ctl *ctl)
{
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_ALERTS;
    req.since_ms = nvg_clock_wall_ms() - ctl->since_s * 1000;
    return labelled_queries(ctl, &req, print_alerts);
}

/* ---- sensor commands -------------------------------------------------------------------- */

/* The command to the collectors of idx; each one's result table labelled. Returns the worst
 * result of those that answered, else PARTIAL when some did not, else the first failure. */
static int send_command(struct nvg_ctl *ctl, const size_t *idx, size_t n,
                        const Netvigil__ControlRequest *req)
{
    struct job jobs[NVG_CTL_MAX_COLLECTORS];
    char what[1200];
    nvg_ctl_describe_command(what, sizeof(what), req);
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_COMMAND_TIMEOUT_MS;
    run_jobs(ctl, jobs, idx, n, req, what, timeout);
    int worst = NVG_CTL_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        Netvigil__ControlReply *r = jobs[i].reply;
        if (!r)
            continue;
        int rc = NVG_CTL_EXIT_OK;
        LABELLED(jobs[i].coll->label,
                 rc = nvg_ctl_result_print(out, r, what, req->kind, ctl->json));
        if (rc == NVG_CTL_EXIT_NOT_ALLOWED)
            fprintf(stderr,
                    "netvigil-ctl: collector %s: %s: not allowed for key %s (commands "
                    "need an admin key)\n",
                    jobs[i].coll->label, what, ctl->keys ? ctl->own.name : "(none)");
        worst = rc > worst ? rc : worst;
    }
    int missing = report_failures(jobs, n, NULL, true);
    free_jobs(jobs, n);
    return worst ? worst : missing;
}

static bool holds(const Netvigil__CollectorStatus *st, const char *sensor)
{
    for (size_t k = 0; st && k < st->n_sensors; k++) {
        const Netvigil__SensorSummary *s = st->sensors[k];
        if (s && s->last_status && s->last_status->sensor &&
            strcmp(s->last_status->sensor, sensor) == 0)
            return true;
    }
    return false;
}

/* The collectors whose table holds sensor, into idx; the ones that did not answer are said. */
static int locate(struct nvg_ctl *ctl, const char *sensor, size_t *idx, size_t *n_found)
{
    struct job jobs[NVG_CTL_MAX_COLLECTORS];
    size_t all[NVG_CTL_MAX_COLLECTORS] = {0}, n = all_collectors(ctl, all);
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_STATUS;
    run_jobs(ctl, jobs, all, n, &req, NULL, query_timeout(ctl));
    *n_found = 0;
    for (size_t i = 0; i < n; i++)
        if (holds(status_of(&jobs[i]), sensor))
            idx[(*n_found)++] = all[i];
    int rc = report_failures(jobs, n, NULL, false);
    free_jobs(jobs, n);
    return rc;
}

static int route_named(struct nvg_ctl *ctl, Netvigil__ControlRequest *req)
{
    size_t idx[NVG_CTL_MAX_COLLECTORS], n;
    int asked = locate(ctl, req->sensor, idx, &n);
    if (n > 1) {
        fprintf(stderr, "netvigil-ctl: sensor %s is on %zu collectors (", req->sensor, n);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "%s%s", i ? ", " : "", ctl->collectors[idx[i]].label);
        fprintf(stderr, "): ambiguous, name one as COLLECTOR/%s\n", req->sensor);
        return NVG_CTL_EXIT_USAGE;
    }
    if (n == 0) {
        fprintf(stderr, "netvigil-ctl: sensor %s: no collector %s holds it\n", req->sensor,
                asked ? "that answered" : "");
        return NVG_CTL_EXIT_FAIL;
    }
    if (asked)
        fprintf(stderr,
                "netvigil-ctl: sensor %s found on %s only among the collectors that "
                "answered\n",
                req->sensor, ctl->collectors[idx[0]].label);
    return send_command(ctl, idx, 1, req);
}

int nvg_ctl_multi_command(struct nvg_ctl *ctl, Netvigil__CommandKind kind, const char *sensor,
                          const char *filter)
{
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = kind;
    req.sensor = (char *)(sensor ? sensor : "");
    req.filter = (char *)(filter ? filter : "");
    req.clear_filter = kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER && !filter;
    const char *slash = strchr(req.sensor, '/');
    if (slash) {
        size_t len = (size_t)(slash - req.sensor);
        for (size_t i = 0; i < ctl->n_collectors; i++) {
            if (strlen(ctl->collectors[i].label) != len ||
                strncmp(ctl->collectors[i].label, req.sensor, len) != 0)
                continue;
            req.sensor = (char *)slash + 1;
            if (!req.sensor[0] || strlen(req.sensor) > NVG_SENSOR_NAME_MAX)
                break;
            return send_command(ctl, &i, 1, &req);
        }
        fprintf(stderr, "netvigil-ctl: '%s': no such COLLECTOR/SENSOR (collectors:", sensor);
        for (size_t i = 0; i < ctl->n_collectors; i++)
            fprintf(stderr, " %s", ctl->collectors[i].label);
        fprintf(stderr, ")\n");
        return NVG_CTL_EXIT_USAGE;
    }
    if (req.sensor[0])
        return route_named(ctl, &req);
    size_t idx[NVG_CTL_MAX_COLLECTORS] = {0}, n = all_collectors(ctl, idx);
    return send_command(ctl, idx, n, &req);
}
