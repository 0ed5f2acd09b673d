/* netvigil-sensor: capture packets (live or from a file), pre-filter them with BPF, decode
 * them into records, and send them to the collector and/or write them as CSV and text. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts-sink.h"
#include "capture.h"
#include "decode.h"
#include "flows-sink.h"
#include "link.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "output.h"
#include "pipeline.h"
#include "privdrop.h"
#include "sensor-options.h"
#include "sensor.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define EXIT_KEY 3 /* the collector refused our key, or the CURVE handshake failed */
#define LIVE_TIMEOUT_MS 100

static volatile sig_atomic_t stop_requested;
static struct nvg_capture *signal_capture;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (signal_capture)
        nvg_capture_break(signal_capture); /* pcap_breakloop is safe in a signal handler */
}

void nvg_sensor_set_signal_capture(struct nvg_capture *cap)
{
    /* Signals stay blocked while the pointer changes, so a handler never sees a freed one. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    signal_capture = cap;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The sensor reads its config file at start only (a filter changes through set-filter, keys
 * and the capture need a restart): SIGHUP, which `kill -HUP` or a habit of `systemctl reload`
 * sends, says so instead of ending the capture as its default action would. */
static void on_hangup(int sig)
{
    (void)sig;
    static const char msg[] = "<5>netvigil-sensor: SIGHUP: nothing is reloaded while running; "
                              "restart the sensor to apply a changed config\n";
    ssize_t rc = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)rc;
}

static void install_signals(struct nvg_capture *cap)
{
    nvg_sensor_set_signal_capture(cap);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: let a blocking poll return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hangup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    /* A closed pipe shows up as EPIPE from write(2) and is reported, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
}

struct nvg_capture *nvg_sensor_open_capture_quiet(struct nvg_sensor *s, char *err)
{
    const struct nvg_sensor_opts *o = s->opts;
    struct nvg_capture *cap;
    if (o->file) {
        cap = nvg_capture_open_file(o->file, err, NULL);
    } else {
        struct nvg_capture_params par = {
            .iface = o->iface,
            .snaplen = o->snaplen,
            .buffer_bytes = o->buffer_bytes,
            .promisc = o->promisc,
            /* With a link the dispatch also paces batches, commands and heartbeats. */
            .timeout_ms =
                o->collector && o->batch_ms < LIVE_TIMEOUT_MS ? o->batch_ms : LIVE_TIMEOUT_MS,
        };
        cap = nvg_capture_open_live(&par, err, NULL);
    }
    if (!cap)
        return NULL;
    /* Only a live capture can see our own link; a file is what it is. */
    if (!o->file && s->exclude[0] && nvg_capture_set_exclude(cap, s->exclude, err) < 0) {
        nvg_capture_free(cap);
        return NULL;
    }
    return cap;
}

struct nvg_capture *nvg_sensor_open_capture(struct nvg_sensor *s)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_capture *cap = nvg_sensor_open_capture_quiet(s, err);
    if (!cap)
        nvg_log(NVG_LOG_ERR, "%s", err);
    return cap;
}

static void warn_unknown_link(struct nvg_capture *cap)
{
    if (nvg_decode_link_supported(nvg_capture_datalink(cap)))
        return;
    char text[256];
    nvg_capture_datalink_text(cap, text, sizeof(text));
    nvg_log(NVG_LOG_WARNING,
            "link type %s is not decoded: every frame is recorded as Other with its time and "
            "length",
            text);
}

/* The conversation table and --flows; 0, or -1 after logging why. */
static int open_flows(struct nvg_sensor *s)
{
    const struct nvg_sensor_opts *o = s->opts;
    char err[NVG_ERRBUF_SIZE];
    if (!o->flows)
        return 0;
    if (nvg_pipeline_enable_flows(&s->pl, &o->flow) < 0) {
        nvg_log(NVG_LOG_ERR, "no memory for a flow table of %u conversations", o->flow.capacity);
        return -1;
    }
    if (!o->flows_path)
        return 0;
    s->outputs[NVG_OUT_FLOWS] = nvg_flows_sink_new(o->flows_path, o->name, err);
    if (!s->outputs[NVG_OUT_FLOWS]) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return -1;
    }
    return nvg_pipeline_add_sink(&s->pl, s->outputs[NVG_OUT_FLOWS]) < 0 ? -1 : 0;
}

/* Creates the file outputs asked for; 0, or -1 after logging why. */
static int open_outputs(struct nvg_sensor *s)
{
    const struct nvg_sensor_opts *o = s->opts;
    char err[NVG_ERRBUF_SIZE];
    if (o->csv_path) {
        s->outputs[NVG_OUT_CSV] = nvg_output_csv_new(o->csv_path, o->name, err);
        if (!s->outputs[NVG_OUT_CSV]) {
            nvg_log(NVG_LOG_ERR, "%s", err);
            return -1;
        }
        nvg_pipeline_add_sink(&s->pl, s->outputs[NVG_OUT_CSV]);
    }
    if (o->print)
        s->outputs[NVG_OUT_TEXT] = nvg_output_text_new(NULL, err);
    if (o->alerts_path && (!o->print || s->outputs[NVG_OUT_TEXT]))
        s->outputs[NVG_OUT_ALERTS] =
            nvg_alerts_sink_new(o->alerts_path, o->alerts_config, o->name, err);
    if ((o->print && !s->outputs[NVG_OUT_TEXT]) ||
        (o->alerts_path && !s->outputs[NVG_OUT_ALERTS])) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return -1;
    }
    for (int i = NVG_OUT_TEXT; i <= NVG_OUT_ALERTS; i++)
        if (s->outputs[i])
            nvg_pipeline_add_sink(&s->pl, s->outputs[i]);
    return open_flows(s);
}

static void report_sink_failure(const struct nvg_sink *sink, uint64_t records)
{
    nvg_log(NVG_LOG_ERR, "writing %s failed after %" PRIu64 " records: %s", sink->what, records,
            strerror(sink->sys_errno));
}

static void report_read_error(const struct nvg_sensor_opts *o, const char *err, uint64_t records)
{
    if (o->file && strstr(err, "truncated"))
        nvg_log(NVG_LOG_ERR, "capture file %s truncated after %" PRIu64 " records: %s", o->file,
                records, err);
    else
        nvg_log(NVG_LOG_ERR, "capture on %s failed after %" PRIu64 " records: %s",
                o->file ? o->file : o->iface, records, err);
}

static void report_stats(struct nvg_capture *cap, const struct nvg_pipeline *pl)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_capture_stats st;
    if (nvg_capture_is_live(cap)) {
        if (nvg_capture_stats(cap, &st, err) == 0)
            nvg_log(NVG_LOG_INFO,
                    "%" PRIu64 " packets received by filter, %" PRIu64 " dropped by kernel, "
                    "%" PRIu64 " dropped by interface",
                    st.received, st.dropped, st.ifdropped);
        else
            nvg_log(NVG_LOG_WARNING, "no capture statistics: %s", err);
    }
    uint64_t flagged = 0;
    for (int ev = NVG_EV_NONE + 1; ev < NVG_EV_COUNT; ev++)
        flagged += pl->dec.events[ev];
    nvg_log(NVG_LOG_INFO,
            "%" PRIu64 " packets processed, %" PRIu64 " flagged malformed or truncated",
            pl->records, flagged);
    if (pl->flows) {
        struct nvg_flow_counters fc;
        nvg_pipeline_flow_counters(pl, &fc);
        nvg_log(NVG_LOG_INFO,
                "%" PRIu64 " conversations, %" PRIu64 " flow records exported, %" PRIu64
                " evicted early (table full)",
                fc.created, fc.exported, fc.evicted);
    }
}

static int drop_privileges(const struct nvg_sensor_opts *o)
{
    char err[NVG_ERRBUF_SIZE];
    bool dropped;
    if (nvg_privdrop_apply(o->user, &dropped, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return -1;
    }
    if (dropped)
        nvg_log(NVG_LOG_INFO, "running as user %s; CAP_NET_RAW kept for restarts", o->user);
    return 0;
}

/* Opens the outputs and the link, then confines the sensor: no root, CAP_NET_RAW permitted
 * only, the seccomp allow-list. Capabilities are per thread, so the order matters for the
 * ZeroMQ threads the link starts: root drops after them (a uid change strips every thread
 * that did not ask to keep its capabilities: they end with none), a non-root sensor before
 * them (so that they are born with nothing effective). 0, or -1 after logging why. */
static int open_and_confine(struct nvg_sensor *s)
{
    const struct nvg_sensor_opts *o = s->opts;
    bool root = geteuid() == 0;
    if (open_outputs(s) < 0 || (!root && drop_privileges(o) < 0) || nvg_remote_open(s) < 0 ||
        (root && drop_privileges(o) < 0))
        return -1;
    char err[NVG_ERRBUF_SIZE];
    if (nvg_seccomp_apply(o->seccomp, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return -1;
    }
    return 0;
}

/* Runs the capture to its end; returns the exit status. */
static int run(struct nvg_sensor *s)
{
    const struct nvg_sensor_opts *o = s->opts;
    char err[NVG_ERRBUF_SIZE] = "";
    nvg_pipeline_init(&s->pl, s->cap, o->payload, o->count);
    if (open_and_confine(s) < 0)
        return EXIT_RUNTIME;
    if (o->stopped && nvg_capture_pause(s->cap, true, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return EXIT_RUNTIME;
    }
    nvg_sensor_service_ready(s);
    int status = EXIT_SUCCESS;
    int rc;
    /* A live sensor in a fleet outlives its interface: it reports the failure and reopens. */
    while ((rc = nvg_pipeline_run(&s->pl, s->stop, err)) == NVG_EPCAP && !o->file && s->link) {
        rc = nvg_sensor_recover(s, err);
        if (rc != 0)
            break;
    }
    nvg_sensor_service_stopping(s);
    if (rc == NVG_EPCAP) {
        report_read_error(o, err, s->pl.records);
        status = EXIT_RUNTIME;
    }
    /* The conversations still open end with the capture (end=stopped). */
    if (rc != NVG_EIO && nvg_pipeline_stop_flows(&s->pl) < 0)
        rc = NVG_EIO;
    /* Flush even after a failure: every record before it is delivered to the other sinks. */
    const struct nvg_sink *failed = rc == NVG_EIO ? s->pl.failed : NULL;
    if (nvg_pipeline_flush(&s->pl) < 0 && !failed)
        failed = s->pl.failed;
    bool key_refused = s->link && nvg_link_key_refused(s->link); /* already said why */
    if (failed && !(key_refused && failed == s->outputs[NVG_OUT_LINK]))
        report_sink_failure(failed, s->pl.records);
    if (failed)
        status = EXIT_RUNTIME;
    if (!(failed && failed == s->outputs[NVG_OUT_LINK]) && nvg_remote_finish(s) < 0)
        status = EXIT_RUNTIME;
    if (s->link && nvg_link_key_refused(s->link))
        status = EXIT_KEY;
    report_stats(s->cap, &s->pl);
    return status;
}

int main(int argc, char **argv)
{
    nvg_log_set_ident("netvigil-sensor");
    struct nvg_sensor_opts opts;
    char err[NVG_ERRBUF_SIZE];
    int rc = nvg_options_parse(&opts, argc, argv, stdout, err);
    if (rc == NVG_OPTS_HELP)
        return EXIT_SUCCESS;
    if (rc < 0) {
        fprintf(stderr, "netvigil-sensor: %s\nTry 'netvigil-sensor --help'.\n", err);
        return EXIT_USAGE;
    }
    struct nvg_sensor s = {.opts = &opts, .stop = &stop_requested};
    nvg_sdnotify_init(&s.sd);
    /* The exclusion of our own link is known before the capture opens, so the filter is
     * compiled once, with it, and a filter that fails only combined is a bad filter too. */
    if (nvg_remote_resolve(&s) < 0)
        return EXIT_USAGE;
    s.cap = nvg_sensor_open_capture(&s);
    if (!s.cap)
        return EXIT_RUNTIME;
    if (opts.filter && nvg_capture_set_filter(s.cap, opts.filter, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        nvg_capture_free(s.cap);
        return EXIT_USAGE;
    }
    install_signals(s.cap);
    warn_unknown_link(s.cap);
    int status = run(&s);
    nvg_sensor_set_signal_capture(NULL);
    for (int i = 0; i < NVG_OUT_COUNT; i++)
        nvg_sink_free(s.outputs[i]);
    nvg_pipeline_release(&s.pl);
    nvg_remote_close(&s);
    nvg_capture_free(s.cap);
    return status;
}
