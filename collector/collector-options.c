#include "collector-options.h"

#include "nvg-parse.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "budget.h"
#include "metrics.h"
#include "nvg-error.h"
#include "nvg-parse.h"
#include "nvg-zmq.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: netvigil-collector [OPTION]...\n"
            "Collect packet records from netvigil sensors, log them to CSV, aggregate them and\n"
            "republish them on a live feed.\n\n"
            "  --bind ADDR            address to bind the sockets to (default 127.0.0.1)\n"
            "  --keys DIR             CURVE on every socket: DIR/collector.key_secret is this\n"
            "                         collector's key pair; DIR/sensors/*.key, DIR/viewers/*.key\n"
            "                         and DIR/admins/*.key the peers it lets in (SIGHUP rereads)\n"
            "  --key FILE             with --keys: this collector's key pair from FILE instead\n"
            "                         of DIR/collector.key_secret (a systemd credential)\n"
            "  --insecure             allow a non-loopback bind without CURVE keys\n"
            "  --sensor-port N        sensor link port (default 7700)\n"
            "  --feed-port N          live feed port (default 7701)\n"
            "  --control-port N       control port (default 7702)\n"
            "  -o, --out DIR          output directory (default ./netvigil-data)\n"
            "  --rotate-size SIZE     start a new file after SIZE bytes, K/M/G suffixes\n"
            "                         (default 256M, 0 = never)\n"
            "  --rotate-interval T    start a new file every T, s/m/h suffixes (default 1h, 0 = "
            "never)\n"
            "  --talkers-interval T   top-talkers interval (default 10s)\n"
            "  --command-timeout T    how long a sensor has to answer a command, s or ms\n"
            "                         suffix (default 3s, at most 60s)\n"
            "  --memory-budget SIZE   what slow or hostile peers may make the collector hold\n"
            "                         in queues, K/M/G suffixes (default 256M, at least 16M)\n"
            "  --alerts-config FILE   detector thresholds, rules and allow-lists (alerts.conf,\n"
            "                         README \"Alerts\"; SIGHUP rereads); default: built in\n"
            "  --no-alerts            run no detection (no alerts-*.csv)\n"
            "  --sensor-idle-timeout T   close a sensor connection that sent nothing for T,\n"
            "                         s, ms or m suffix (default 30s, 0 = never)\n"
            "  --control-idle-timeout T  the same for control connections (default 60s)\n"
            "  --metrics-listen ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
            "                         (127.0.0.1:9464, [::1]:9464; off by default; plain HTTP\n"
            "                         without authentication: another address needs --insecure)\n"
            "  -v, --verbose          debug logging\n"
            "  -h, --help             show this help\n"
            "  -V, --version          show the version\n");
}

int nvg__parse_duration(const char *text, int64_t *out_s)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || v < 0)
        return NVG_EINVAL;
    long long mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    if (*end || v > INT64_MAX / mul)
        return NVG_EINVAL;
    *out_s = v * mul;
    return 0;
}

static int parse_port(const char *text, int *port)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end || v < 1 || v > 65535)
        return NVG_EINVAL;
    *port = (int)v;
    return 0;
}

/* "3s", "3", "1500ms": 1 ms .. 60 s. */
static int parse_timeout_ms(const char *text, int *ms)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || v <= 0)
        return NVG_EINVAL;
    if (strcmp(end, "ms") != 0) {
        if (*end && strcmp(end, "s") != 0)
            return NVG_EINVAL;
        if (v > 60)
            return NVG_EINVAL;
        v *= 1000;
    }
    if (v > 60000)
        return NVG_EINVAL;
    *ms = (int)v;
    return 0;
}

/* "30s", "30", "500ms", "5m", "0": 0 .. 24 h in ms. */
static int parse_idle_ms(const char *text, int *ms)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || v < 0)
        return NVG_EINVAL;
    long long mul = 1000;
    if (strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "m") == 0)
        mul = 60000;
    else if (*end && strcmp(end, "s") != 0)
        return NVG_EINVAL;
    if (v > 86400000LL / mul)
        return NVG_EINVAL;
    *ms = (int)(v * mul);
    return 0;
}

enum {
    OPT_BIND = 256,
    OPT_INSECURE,
    OPT_KEYS,
    OPT_KEY,
    OPT_SENSOR_PORT,
    OPT_FEED_PORT,
    OPT_CONTROL_PORT,
    OPT_ROTATE_SIZE,
    OPT_ROTATE_INTERVAL,
    OPT_TALKERS_INTERVAL,
    OPT_COMMAND_TIMEOUT,
    OPT_MEMORY_BUDGET,
    OPT_ALERTS_CONFIG,
    OPT_NO_ALERTS,
    OPT_SENSOR_IDLE,
    OPT_CONTROL_IDLE,
    OPT_METRICS_LISTEN,
};

static const struct option long_opts[] = {
    {"bind", required_argument, NULL, OPT_BIND},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"keys", required_argument, NULL, OPT_KEYS},
    {"key", required_argument, NULL, OPT_KEY},
    {"sensor-port", required_argument, NULL, OPT_SENSOR_PORT},
    {"feed-port", required_argument, NULL, OPT_FEED_PORT},
    {"control-port", required_argument, NULL, OPT_CONTROL_PORT},
    {"out", required_argument, NULL, 'o'},
    {"rotate-size", required_argument, NULL, OPT_ROTATE_SIZE},
    {"rotate-interval", required_argument, NULL, OPT_ROTATE_INTERVAL},
    {"talkers-interval", required_argument, NULL, OPT_TALKERS_INTERVAL},
    {"command-timeout", required_argument, NULL, OPT_COMMAND_TIMEOUT},
    {"memory-budget", required_argument, NULL, OPT_MEMORY_BUDGET},
    {"alerts-config", required_argument, NULL, OPT_ALERTS_CONFIG},
    {"no-alerts", no_argument, NULL, OPT_NO_ALERTS},
    {"sensor-idle-timeout", required_argument, NULL, OPT_SENSOR_IDLE},
    {"control-idle-timeout", required_argument, NULL, OPT_CONTROL_IDLE},
    {"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int invalid_value(const char *arg)
{
    fprintf(stderr, "netvigil-collector: invalid value '%s'\n", arg);
    return -1;
}

/* The metrics option (metrics.h); false when c is another. */
static bool apply_metrics_opt(struct nvg_collector_options *opts, int c, const char *arg, int *rc)
{
    if (c != OPT_METRICS_LISTEN)
        return false;
    struct sockaddr_storage addr;
    socklen_t len;
    *rc = nvg_metrics_parse_listen(arg, &addr, &len, NULL);
    opts->metrics_listen = arg;
    return true;
}

/* One option; returns 0, 1 (help/version done) or -1 (bad value, message printed). */
/* The detection options; false when c is another. */
static bool apply_alerts_opt(struct nvg_collector_options *opts, int c, const char *arg)
{
    if (c == OPT_ALERTS_CONFIG)
        opts->alerts_config = arg;
    else if (c == OPT_NO_ALERTS)
        opts->no_alerts = true;
    return c == OPT_ALERTS_CONFIG || c == OPT_NO_ALERTS;
}

static int apply_opt(struct nvg_collector_options *opts, int c, const char *arg)
{
    int rc = 0;
    if (apply_metrics_opt(opts, c, arg, &rc))
        return rc < 0 ? invalid_value(arg) : 0;
    switch (c) {
    case OPT_BIND:
    case OPT_KEYS:
    case OPT_KEY:
        *(c == OPT_BIND ? &opts->bind : c == OPT_KEYS ? &opts->keys_dir : &opts->own_key) = arg;
        break;
    case OPT_SENSOR_PORT:
    case OPT_FEED_PORT:
    case OPT_CONTROL_PORT:
        rc = parse_port(arg, c == OPT_SENSOR_PORT ? &opts->sensor_port
                             : c == OPT_FEED_PORT ? &opts->feed_port
                                                  : &opts->control_port);
        break;
    case 'o':
        opts->out_dir = arg;
        break;
    case OPT_ROTATE_SIZE:
        rc = nvg_parse_size(arg, 1, &opts->rotate_size);
        break;
    case OPT_ROTATE_INTERVAL:
        rc = nvg__parse_duration(arg, &opts->rotate_interval_s);
        break;
    case OPT_TALKERS_INTERVAL:
        rc = nvg__parse_duration(arg, &opts->talkers_interval_s);
        if (rc == 0 && opts->talkers_interval_s == 0)
            rc = NVG_EINVAL;
        break;
    case OPT_COMMAND_TIMEOUT:
        rc = parse_timeout_ms(arg, &opts->command_timeout_ms);
        break;
    case OPT_MEMORY_BUDGET:
        rc = nvg_parse_size(arg, 1, &opts->memory_budget);
        if (rc == 0 && opts->memory_budget < NVG_BUDGET_MIN)
            rc = NVG_EINVAL;
        break;
    case OPT_SENSOR_IDLE:
    case OPT_CONTROL_IDLE:
        rc = parse_idle_ms(arg,
                           c == OPT_SENSOR_IDLE ? &opts->sensor_idle_ms : &opts->control_idle_ms);
        break;
    case 'v':
    case OPT_INSECURE:
        *(c == 'v' ? &opts->verbose : &opts->insecure) = true;
        break;
    case 'h':
        usage(stdout);
        return 1;
    case 'V':
        printf("netvigil-collector %s\n", NVG_VERSION);
        return 1;
    default:
        usage(stderr);
        return -1;
    }
    return rc < 0 ? invalid_value(arg) : 0;
}

/* /metrics is plain HTTP without authentication whatever --keys says (CURVE covers the ZeroMQ
 * sockets only), so an address that is not loopback takes --insecure even with keys. */
static int check_metrics_listen(const struct nvg_collector_options *opts)
{
    bool loopback;
    struct sockaddr_storage addr;
    socklen_t len;
    if (!opts->metrics_listen ||
        nvg_metrics_parse_listen(opts->metrics_listen, &addr, &len, &loopback) < 0 || loopback)
        return 0;
    if (!opts->insecure) {
        fprintf(stderr,
                "netvigil-collector: refusing to serve the metrics on non-loopback address '%s': "
                "it is plain HTTP without authentication (--keys protects the ZeroMQ sockets, "
                "not this); use a loopback address behind a TLS proxy, or pass --insecure to do "
                "it anyway\n",
                opts->metrics_listen);
        return -1;
    }
    fprintf(stderr,
            "netvigil-collector: WARNING: --insecure: anyone who can reach %s can read the "
            "metrics (sensor names, counts)\n",
            opts->metrics_listen);
    return 0;
}

int nvg_collector_options_parse(struct nvg_collector_options *opts, int argc, char **argv)
{
    *opts = (struct nvg_collector_options){
        .bind = "127.0.0.1",
        .sensor_port = 7700,
        .feed_port = 7701,
        .control_port = 7702,
        .out_dir = "./netvigil-data",
        .rotate_size = 256ull << 20,
        .rotate_interval_s = 3600,
        .talkers_interval_s = 10,
        .command_timeout_ms = 3000,
        .memory_budget = NVG_BUDGET_DEFAULT,
        .sensor_idle_ms = 30000,
        .control_idle_ms = 60000,
    };
    int c;
    while ((c = getopt_long(argc, argv, "o:vhV", long_opts, NULL)) != -1) {
        int rc = apply_alerts_opt(opts, c, optarg) ? 0 : apply_opt(opts, c, optarg);
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "netvigil-collector: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (opts->own_key && !opts->keys_dir) {
        fprintf(stderr, "netvigil-collector: --key needs --keys DIR (the allow-lists)\n");
        return -1;
    }
    if (!nvg_zmq_is_loopback(opts->bind) && !opts->insecure && !opts->keys_dir) {
        fprintf(stderr,
                "netvigil-collector: refusing to bind to non-loopback address '%s' without "
                "CURVE keys (traffic would be unauthenticated and in clear text); pass "
                "--keys DIR, or --insecure to do it anyway\n",
                opts->bind);
        return -1;
    }
    if (check_metrics_listen(opts) < 0)
        return -1;
    if (opts->insecure && !opts->keys_dir && !nvg_zmq_is_loopback(opts->bind))
        fprintf(stderr,
                "netvigil-collector: WARNING: --insecure: anyone who can reach %s can "
                "read every record, inject records and command every sensor\n",
                opts->bind);
    return 0;
}
