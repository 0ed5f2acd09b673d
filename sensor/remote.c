/* The sensor's side of the fleet: connecting to the collector, reporting status, and running
 * the commands that come down the link (start, stop, restart, set-filter). Commands arrive in
 * the pipeline's tick, between two capture dispatches, so they can change the capture safely. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>

#include "link.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "nvg-time.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"
#include "pcap-extract.h"
#include "pcap-ring.h"
#include "privdrop.h"
#include "publish.h"
#include "sensor.h"
#include "spool.h"

static uint64_t new_boot_id(void)
{
    uint64_t id = 0;
    while (id == 0) {
        if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
            int64_t ns = nvg_clock_wall_ns();
            id = (uint64_t)(ns / NVG_NS_PER_SEC) * 1000000007u ^ (uint64_t)(ns % NVG_NS_PER_SEC) ^
                 (uint64_t)getpid();
        }
    }
    return id;
}

/* "tcp://H:P" as given, or HOST / HOST:PORT / [V6]:PORT completed to an endpoint. Also fills
 * the BPF that keeps our own link traffic out of the capture when the endpoint names a port:
 * with the host too when it is an address. */
static int resolve_endpoint(struct nvg_sensor *s, const char *arg)
{
    if (nvg_zmq_endpoint_parse(s->endpoint, sizeof(s->endpoint), arg, NVG_PORT_SENSOR) < 0)
        return -1;
    char host[NVG_ZMQ_HOST_MAX];
    int port;
    if (nvg_zmq_endpoint_split(s->endpoint, host, sizeof(host), &port) < 0 || port == 0)
        return 0; /* not tcp, or no port: zmq_connect will say what is wrong with it */
    unsigned char addr[16];
    bool literal = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    if (literal)
        snprintf(s->exclude, sizeof(s->exclude), "tcp port %d and host %s", port, host);
    else
        snprintf(s->exclude, sizeof(s->exclude), "tcp port %d", port);
    return 0;
}

static void on_status(void *user, struct nvg_link_status *st)
{
    struct nvg_sensor *s = user;
    if (s->down_since_ms)
        st->state = NETVIGIL__SENSOR_STATE__SENSOR_STATE_ERROR;
    else if (nvg_capture_paused(s->cap))
        st->state = NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED;
    else if (s->finished)
        st->state = NETVIGIL__SENSOR_STATE__SENSOR_STATE_FINISHED;
    else
        st->state = NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING;
    st->filter = nvg_capture_filter(s->cap);
    if (s->down_since_ms)
        st->error = s->cap_error;
    st->capture_down_ms =
        s->down_ms + (s->down_since_ms ? (uint64_t)(nvg_clock_mono_ms() - s->down_since_ms) : 0);
    st->capture_reopens = s->reopens;
    struct nvg_capture_stats cs;
    char err[NVG_ERRBUF_SIZE];
    /* A failed handle's counters are not to be trusted: the last good ones stand meanwhile. */
    if (!s->down_since_ms && nvg_capture_is_live(s->cap) &&
        nvg_capture_stats(s->cap, &cs, err) == 0)
        s->pcap_last = cs;
    st->pcap_received = s->pcap_base.received + s->pcap_last.received;
    st->pcap_dropped = s->pcap_base.dropped + s->pcap_last.dropped;
    st->pcap_ifdropped = s->pcap_base.ifdropped + s->pcap_last.ifdropped;
    struct nvg_flow_counters fc;
    nvg_pipeline_flow_counters(&s->pl, &fc); /* zeros without a flow table */
    st->flows_active = fc.active;
    st->flows_exported = fc.exported;
    st->flows_evicted = fc.evicted;
    nvg_sensor_service_update(s, st);
}

void nvg_sensor_swap_capture(struct nvg_sensor *s, struct nvg_capture *fresh)
{
    struct nvg_capture *old = s->cap;
    nvg_sensor_set_signal_capture(fresh);
    s->cap = fresh;
    s->pl.cap = fresh;
    if (nvg_capture_datalink(fresh) != nvg_capture_datalink(old))
        nvg_pipeline_reset_decoder(&s->pl, nvg_capture_datalink(fresh));
    nvg_capture_free(old);
}

/* Closes the capture and opens it again: counters start from zero and the sensor announces a
 * fresh start under a new boot id. The filter and the exclusion carry over. */
static int restart_capture(struct nvg_sensor *s, char *err, size_t errsize)
{
    bool raised = nvg_privdrop_raise(); /* CAP_NET_RAW, for the packet socket only */
    struct nvg_capture *fresh = nvg_sensor_open_capture(s);
    if (raised)
        nvg_privdrop_lower();
    if (!fresh) {
        snprintf(err, errsize, "could not reopen the capture (see the sensor's log)");
        return NVG_EPCAP;
    }
    char ferr[NVG_ERRBUF_SIZE];
    if (nvg_capture_copy_filter(fresh, s->cap, ferr) < 0) {
        snprintf(err, errsize, "%s", ferr);
        nvg_capture_free(fresh);
        return NVG_EFILTER;
    }
    /* A restart is a fresh start: the decoder and every per-boot counter from zero. */
    nvg_sensor_swap_capture(s, fresh);
    nvg_pipeline_reset_decoder(&s->pl, nvg_capture_datalink(fresh));
    s->finished = false;
    s->pl.records = 0;
    nvg_sensor_capture_up(s, false);
    s->down_ms = s->reopens = 0;
    s->pcap_base = s->pcap_last = (struct nvg_capture_stats){0};
    uint64_t boot = new_boot_id();
    nvg_log(NVG_LOG_NOTICE, "capture restarted by command; new boot id %016llx",
            (unsigned long long)boot);
    return nvg_link_restart(s->link, boot);
}

/* set-filter: the compile runs in a child (capture.h), the reply comes from on_tick. */
static int start_filter(struct nvg_sensor *s, const char *filter, char *err, size_t errsize)
{
    if (s->filter_job) {
        snprintf(err, errsize, "busy: the filter '%.64s' is still compiling; try again",
                 nvg_filter_job_expr(s->filter_job));
        return NVG_EAGAIN;
    }
    if (nvg_pcap_extract_busy(s->pcap)) {
        snprintf(err, errsize, "busy: a pcap extraction's filter is compiling; try again");
        return NVG_EAGAIN;
    }
    char cerr[NVG_ERRBUF_SIZE] = "";
    int rc = nvg_capture_compile(s->cap, filter, &s->filter_job, cerr);
    if (rc < 0) {
        snprintf(err, errsize, "%s", cerr);
        nvg_log(NVG_LOG_NOTICE, "command set-filter: %s", cerr);
        return rc;
    }
    return NVG_LINK_DEFERRED;
}

static int on_pcap(void *user, const char *filter, const Netvigil__PcapRequest *req,
                   Netvigil__PcapChunk *chunk, char *err, size_t errsize)
{
    struct nvg_sensor *s = user;
    if (!s->pcap) {
        snprintf(err, errsize, "the sensor is stopping");
        return NVG_EAGAIN;
    }
    if (s->filter_job) {
        snprintf(err, errsize, "busy: a set-filter is compiling; try again");
        return NVG_EAGAIN;
    }
    return nvg_pcap_extract_request(s->pcap, filter, req, chunk, err, errsize);
}

/* Finishes a set-filter whose compile ended or ran over its budget, or a pcap extraction's. */
static void on_tick(void *user)
{
    struct nvg_sensor *s = user;
    if (s->pcap) {
        Netvigil__PcapChunk chunk = NETVIGIL__PCAP_CHUNK__INIT;
        char perr[NVG_ERRBUF_SIZE] = "";
        int prc;
        if (nvg_pcap_extract_poll(s->pcap, &prc, &chunk, perr, sizeof(perr)))
            nvg_link_pcap_done(s->link, prc, perr, &chunk);
    }
    if (!s->filter_job)
        return;
    char err[NVG_ERRBUF_SIZE] = "";
    int rc;
    if (nvg_filter_job_poll(s->filter_job) == 0) {
        rc = nvg_capture_apply(s->cap, s->filter_job, err);
    } else if (nvg_filter_job_age_ms(s->filter_job) > NVG_FILTER_BUDGET_MS) {
        snprintf(err, sizeof(err),
                 "filter refused: it did not compile within %d s (the filter in force stays)",
                 NVG_FILTER_BUDGET_MS / 1000);
        rc = NVG_ETIMEDOUT;
    } else {
        return;
    }
    nvg_filter_job_free(s->filter_job);
    s->filter_job = NULL;
    nvg_log(NVG_LOG_NOTICE, "command set-filter: %s", rc < 0 ? err : "ok");
    nvg_link_command_done(s->link, rc, err);
}

static int on_command(void *user, Netvigil__CommandKind kind, const char *filter, char *err,
                      size_t errsize)
{
    struct nvg_sensor *s = user;
    char cerr[NVG_ERRBUF_SIZE] = "";
    int rc;
    if (s->down_since_ms && kind != NETVIGIL__COMMAND_KIND__COMMAND_RESTART) {
        /* The handle is dead: a filter or pause set on it would be lost or fail strangely. */
        snprintf(err, errsize,
                 "capture is down (%s); it reopens by itself when the interface is back, or "
                 "try restart",
                 s->cap_error);
        return NVG_EPCAP;
    }
    switch (kind) {
    case NETVIGIL__COMMAND_KIND__COMMAND_STOP:
        rc = nvg_capture_pause(s->cap, true, cerr);
        break;
    case NETVIGIL__COMMAND_KIND__COMMAND_START:
        rc = nvg_capture_pause(s->cap, false, cerr);
        break;
    case NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER:
        return start_filter(s, filter ? filter : "", err, errsize);
    case NETVIGIL__COMMAND_KIND__COMMAND_RESTART:
        return restart_capture(s, err, errsize);
    default:
        snprintf(err, errsize, "command %d is not supported by this sensor", (int)kind);
        return NVG_EINVAL;
    }
    if (rc < 0)
        snprintf(err, errsize, "%s", cerr);
    nvg_log(NVG_LOG_NOTICE, "command %s: %s", nvg_wire_command_name(kind), rc < 0 ? cerr : "ok");
    return rc;
}

int nvg_remote_resolve(struct nvg_sensor *s)
{
    const struct nvg_sensor_opts *o = s->opts;
    if (!o->collector || resolve_endpoint(s, o->collector) == 0)
        return 0;
    nvg_log(NVG_LOG_ERR,
            "--collector: '%s' is not an endpoint such as tcp://HOST:7700 or HOST[:PORT]",
            o->collector);
    return -1;
}

/* A root sensor becomes --user once the link is open: the spool must be that user's, since
 * it creates and deletes segments from then on. */
static int give_spool(struct nvg_sensor *s, char *err)
{
    const char *user = s->opts->user;
    if (geteuid() != 0 || !user || strcmp(user, "root") == 0)
        return 0;
    struct passwd pw, *found = NULL;
    char buf[4096];
    getpwnam_r(user, &pw, buf, sizeof(buf), &found);
    if (!found)
        return 0; /* the privilege drop says what is wrong with the user */
    return nvg_spool_chown(s->spool, pw.pw_uid, pw.pw_gid, err);
}

/* --spool: opened (and recovered) before the link, which replays it; 0 or -1 after logging. */
static int open_spool(struct nvg_sensor *s)
{
    const struct nvg_sensor_opts *o = s->opts;
    if (!o->spool_dir)
        return 0;
    char err[NVG_ERRBUF_SIZE];
    struct nvg_spool_opts so = {.dir = o->spool_dir, .sensor = o->name, .max_bytes = o->spool_size};
    s->spool = nvg_spool_open(&so, err);
    if (!s->spool || give_spool(s, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return -1;
    }
    struct nvg_spool_stats st;
    nvg_spool_get_stats(s->spool, &st);
    nvg_log(NVG_LOG_INFO,
            "spool %s (at most %" PRIu64 " bytes): %" PRIu64 " batches (%" PRIu64
            " records) from earlier runs to replay; %" PRIu64 " torn or damaged batches cut",
            o->spool_dir, o->spool_size, st.batches, st.records, st.cut_batches);
    return 0;
}

/* --pcap-ring: the ring on the capture path and the extractor that reads it. */
static int open_pcap_ring(struct nvg_sensor *s)
{
    const struct nvg_sensor_opts *o = s->opts;
    if (!o->pcap_ring)
        return 0;
    s->pcap_ring = nvg_pcap_ring_new(o->pcap_ring);
    struct nvg_pcap_extract_config cfg = {
        .ring = s->pcap_ring,
        .sensor = o->name,
        .iface = o->file ? o->file : o->iface,
        .snaplen = (uint32_t)o->snaplen,
    };
    s->pcap = s->pcap_ring ? nvg_pcap_extract_new(&cfg) : NULL;
    if (!s->pcap) {
        nvg_log(NVG_LOG_ERR, "--pcap-ring: cannot allocate %" PRIu64 " bytes", o->pcap_ring);
        return -1;
    }
    s->pl.ring = s->pcap_ring;
    nvg_log(NVG_LOG_INFO, "pcap ring: the last %" PRIu64 " bytes of frames kept for extraction",
            o->pcap_ring);
    return 0;
}

int nvg_remote_open(struct nvg_sensor *s)
{
    const struct nvg_sensor_opts *o = s->opts;
    if (!o->collector)
        return 0;
    char err[NVG_ERRBUF_SIZE];
    /* Read now: a secret key is root's (mode 0600), and this runs before the drop. */
    int keys =
        nvg_cert_load_client(o->key, o->collector_key, false, &s->own_key, &s->collector_key, err);
    if (keys < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return -1;
    }
    if (open_spool(s) < 0 || open_pcap_ring(s) < 0)
        return -1;
    s->zmq_ctx = zmq_ctx_new();
    if (!s->zmq_ctx) {
        nvg_log(NVG_LOG_ERR, "cannot create a ZeroMQ context: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    struct nvg_link_info info = {
        .sensor = o->name,
        .boot_id = new_boot_id(),
        .mode = o->file ? NVG_LINK_FILE : NVG_LINK_LIVE,
        .source = o->file ? o->file : o->iface,
        .filter = o->filter ? o->filter : "",
    };
    struct nvg_link_opts lo = {
        .batch_max = o->batch_max,
        .batch_ms = o->batch_ms,
        .interrupted = s->stop,
        .status_cb = on_status,
        .command_cb = on_command,
        .tick_cb = on_tick,
        .pcap_cb = s->pcap ? on_pcap : NULL,
        .own_key = keys ? &s->own_key : NULL,
        .collector_key = keys ? &s->collector_key : NULL,
        .user = s,
        .spool = s->spool,
    };
    s->outputs[NVG_OUT_LINK] = nvg_publish_new(s->zmq_ctx, s->endpoint, &info, &lo, err);
    if (!s->outputs[NVG_OUT_LINK]) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return -1;
    }
    s->link = nvg_publish_link(s->outputs[NVG_OUT_LINK]);
    nvg_pipeline_add_sink(&s->pl, s->outputs[NVG_OUT_LINK]);
    nvg_log(NVG_LOG_INFO, "sending records to %s as sensor '%s'%s%s", s->endpoint, o->name,
            keys ? ", CURVE with key " : "", keys ? s->own_key.name : "");
    return 0;
}

static void log_spool(const struct nvg_sensor *s)
{
    if (!s->spool)
        return;
    struct nvg_spool_stats st;
    nvg_spool_get_stats(s->spool, &st);
    nvg_log(NVG_LOG_INFO,
            "spool %s: %" PRIu64 " batches spooled, %" PRIu64 " replayed, %" PRIu64
            " batches (%" PRIu64 " records, %" PRIu64 " bytes) left for the next start, %" PRIu64
            " records dropped (no room), %" PRIu64 " batches cut",
            nvg_spool_dir(s->spool), st.spooled, st.replayed, st.batches, st.records, st.bytes,
            st.dropped_records, st.cut_batches);
}

int nvg_remote_finish(struct nvg_sensor *s)
{
    if (!s->link)
        return 0;
    if (s->filter_job) {
        nvg_filter_job_free(s->filter_job);
        s->filter_job = NULL;
        nvg_link_command_done(s->link, NVG_EAGAIN, "the sensor is stopping");
    }
    if (nvg_pcap_extract_busy(s->pcap)) {
        nvg_pcap_extract_free(s->pcap);
        s->pcap = NULL;
        nvg_link_pcap_done(s->link, NVG_EAGAIN, "the sensor is stopping", NULL);
    }
    s->finished = s->opts->file != NULL;
    int rc = nvg_link_finish(s->link, -1);
    log_spool(s);
    if (rc == 0)
        return 0;
    if (rc == NVG_EAGAIN)
        nvg_log(NVG_LOG_WARNING, "interrupted before the collector acknowledged every record");
    else
        nvg_log(NVG_LOG_ERR, "link to the collector: %s", nvg_link_error(s->link));
    return -1;
}

void nvg_remote_close(struct nvg_sensor *s)
{
    nvg_filter_job_free(s->filter_job);
    s->filter_job = NULL;
    s->pl.ring = NULL;
    nvg_pcap_extract_free(s->pcap);
    s->pcap = NULL;
    nvg_pcap_ring_free(s->pcap_ring);
    s->pcap_ring = NULL;
    /* The link's sockets are closed by freeing its sink, before the context is terminated. */
    if (s->zmq_ctx)
        zmq_ctx_term(s->zmq_ctx);
    s->zmq_ctx = NULL;
    nvg_spool_close(s->spool); /* after the link that borrowed it */
    s->spool = NULL;
}
