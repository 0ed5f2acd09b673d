/* netvigil-sensor: capture packets (live or from a file), pre-filter them with BPF, decode
 * them into records and write the records as CSV and/or text lines. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "decode.h"
#include "nvg-error.h"
#include "nvg-log.h"
#include "options.h"
#include "output.h"
#include "pipeline.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
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

static void install_signals(struct nvg_capture *cap)
{
    signal_capture = cap;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: let a blocking poll return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed pipe shows up as EPIPE from write(2) and is reported, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
}

static struct nvg_capture *open_capture(const struct nvg_sensor_opts *o)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_capture *cap;
    if (o->file) {
        cap = nvg_capture_open_file(o->file, err, NULL);
    } else {
        struct nvg_capture_params par = {
            .iface = o->iface,
            .snaplen = o->snaplen,
            .buffer_bytes = o->buffer_bytes,
            .promisc = o->promisc,
            .timeout_ms = LIVE_TIMEOUT_MS,
        };
        cap = nvg_capture_open_live(&par, err, NULL);
    }
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

/* Creates the sinks asked for; 0, or -1 after logging why. */
static int open_outputs(const struct nvg_sensor_opts *o, struct nvg_pipeline *pl,
                        struct nvg_sink **sinks)
{
    char err[NVG_ERRBUF_SIZE];
    if (o->csv_path) {
        sinks[0] = nvg_output_csv_new(o->csv_path, o->name, err);
        if (!sinks[0]) {
            nvg_log(NVG_LOG_ERR, "%s", err);
            return -1;
        }
        nvg_pipeline_add_sink(pl, sinks[0]);
    }
    if (o->print) {
        sinks[1] = nvg_output_text_new(NULL, err);
        if (!sinks[1]) {
            nvg_log(NVG_LOG_ERR, "%s", err);
            return -1;
        }
        nvg_pipeline_add_sink(pl, sinks[1]);
    }
    return 0;
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
}

/* Runs the capture to its end; returns the exit status. */
static int capture_and_write(const struct nvg_sensor_opts *o, struct nvg_capture *cap)
{
    struct nvg_pipeline pl;
    struct nvg_sink *sinks[2] = {NULL, NULL};
    char err[NVG_ERRBUF_SIZE] = "";
    int status = EXIT_SUCCESS;
    nvg_pipeline_init(&pl, cap, o->payload, o->count);
    if (open_outputs(o, &pl, sinks) < 0) {
        status = EXIT_RUNTIME;
        goto out;
    }
    int rc = nvg_pipeline_run(&pl, &stop_requested, err);
    if (rc == NVG_EPCAP) {
        report_read_error(o, err, pl.records);
        status = EXIT_RUNTIME;
    }
    /* Flush even after a failure: every record before it is delivered to the other sinks. */
    const struct nvg_sink *failed = rc == NVG_EIO ? pl.failed : NULL;
    if (nvg_pipeline_flush(&pl) < 0 && !failed)
        failed = pl.failed;
    if (failed) {
        report_sink_failure(failed, pl.records);
        status = EXIT_RUNTIME;
    }
    report_stats(cap, &pl);
out:
    nvg_sink_free(sinks[0]);
    nvg_sink_free(sinks[1]);
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
    struct nvg_capture *cap = open_capture(&opts);
    if (!cap)
        return EXIT_RUNTIME;
    if (opts.filter && nvg_capture_set_filter(cap, opts.filter, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        nvg_capture_free(cap);
        return EXIT_USAGE;
    }
    install_signals(cap);
    warn_unknown_link(cap);
    int status = capture_and_write(&opts, cap);
    signal_capture = NULL;
    nvg_capture_free(cap);
    return status;
}
