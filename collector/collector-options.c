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
#include "clickhouse.h"
#include "metrics.h"
#include "nvg-config.h"
#include "nvg-error.h"
#include "nvg-zmq.h"

/* The ClickHouse sink's options (clickhouse.h), in their place in usage(). */
static void usage_clickhouse(FILE *out)
{
    fprintf(out,
            "  --clickhouse URL       also insert packets, rates, alerts and flows into\n"
            "                         ClickHouse, e.g. http://127.0.0.1:8123/?database=netvigil\n"
            "                         (README \"ClickHouse\"; off by default)\n"
            "  --clickhouse-user NAME    its user (default: ClickHouse's default user)\n"
            "  --clickhouse-password PW  config file only, refused on the command line (ps\n"
            "                         shows it): the user's password\n"
            "  --clickhouse-password-file FILE  the password from FILE's first line\n"
            "  --clickhouse-buffer SIZE  rows waiting for a down or slow server, K/M/G\n"
            "                         suffixes (default 256M; what overflows is dropped and\n"
            "                         counted, clickhouse_dropped)\n"
            "  --clickhouse-retain DAYS  drop day partitions older than DAYS (default 0 = keep)\n"
            "  --no-csv               with --clickhouse: ClickHouse is the only store, no\n"
            "                         packets, rates, flows or alerts CSV (the audit log stays);\n"
            "                         end-of-stream acks wait for the rows to be inserted\n");
}

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
            "  --pcap-max SIZE        largest pcap extraction (netvigil-ctl pcap) passed on,\n"
            "                         K/M/G suffixes (default 64M, 1K..1G); larger: refused\n"
            "  --alerts-config FILE   detector thresholds, rules and allow-lists (alerts.conf,\n"
            "                         README \"Alerts\"; SIGHUP rereads); default: built in\n"
            "  --no-alerts            run no detection (no alerts-*.csv)\n"
            "  --sensor-idle-timeout T   close a sensor connection that sent nothing for T,\n"
            "                         s, ms or m suffix (default 30s, 0 = never)\n"
            "  --control-idle-timeout T  the same for control connections (default 60s)\n"
            "  --config FILE          read options from FILE (INI, section [collector], a key\n"
            "                         per long option); the command line overrides it\n"
            "  --retain-size SIZE     delete the oldest closed files while the output files\n"
            "                         take more than SIZE, K/M/G suffixes (default 0 = off)\n"
            "  --retain-time T        delete closed files older than T, s/m/h/d suffixes\n"
            "                         (default 0 = off)\n"
            "  --min-free PCT%%|SIZE   free-space floor of the output file system: below it no\n"
            "                         packet or flow row is written (counted as write failures,\n"
            "                         a critical \"disk\" alert) (default 5%%, 0 = off)\n"
            "  --compress none|zstd|gzip  compress each file once rotation closed it, to\n"
            "                         NAME.csv.zst or NAME.csv.gz (default none)\n"
            "  --metrics-listen ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
            "                         (127.0.0.1:9464, [::1]:9464; off by default; plain HTTP\n"
            "                         without authentication: another address needs --insecure)\n");
    usage_clickhouse(out);
    fprintf(out, "  -v, --verbose          debug logging\n"
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
    OPT_PCAP_MAX,
    OPT_ALERTS_CONFIG,
    OPT_NO_ALERTS,
    OPT_SENSOR_IDLE,
    OPT_CONTROL_IDLE,
    /* config files (issue 13) */
    OPT_CONFIG,
    OPT_RETAIN_SIZE,
    OPT_RETAIN_TIME,
    OPT_MIN_FREE,
    OPT_COMPRESS,
    OPT_METRICS_LISTEN,
    /* ClickHouse (issue 14) */
    OPT_CLICKHOUSE,
    OPT_CLICKHOUSE_USER,
    OPT_CLICKHOUSE_PASSWORD,
    OPT_CLICKHOUSE_PASSWORD_FILE,
    OPT_CLICKHOUSE_BUFFER,
    OPT_CLICKHOUSE_RETAIN,
    OPT_NO_CSV,
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
    {"pcap-max", required_argument, NULL, OPT_PCAP_MAX},
    {"alerts-config", required_argument, NULL, OPT_ALERTS_CONFIG},
    {"no-alerts", no_argument, NULL, OPT_NO_ALERTS},
    {"sensor-idle-timeout", required_argument, NULL, OPT_SENSOR_IDLE},
    {"control-idle-timeout", required_argument, NULL, OPT_CONTROL_IDLE},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"retain-size", required_argument, NULL, OPT_RETAIN_SIZE},
    {"retain-time", required_argument, NULL, OPT_RETAIN_TIME},
    {"min-free", required_argument, NULL, OPT_MIN_FREE},
    {"compress", required_argument, NULL, OPT_COMPRESS},
    {"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
    {"clickhouse", required_argument, NULL, OPT_CLICKHOUSE},
    {"clickhouse-user", required_argument, NULL, OPT_CLICKHOUSE_USER},
    {"clickhouse-password", required_argument, NULL, OPT_CLICKHOUSE_PASSWORD},
    {"clickhouse-password-file", required_argument, NULL, OPT_CLICKHOUSE_PASSWORD_FILE},
    {"clickhouse-buffer", required_argument, NULL, OPT_CLICKHOUSE_BUFFER},
    {"clickhouse-retain", required_argument, NULL, OPT_CLICKHOUSE_RETAIN},
    {"no-csv", no_argument, NULL, OPT_NO_CSV},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* ---- retention (retention.h) ---- */

/* "30d", "12h", "90m", "45s", "600": seconds. */
static int parse_retain_time(const char *text, int64_t *out_s)
{
    size_t len = strlen(text);
    if (len > 1 && text[len - 1] == 'd') {
        char buf[32];
        if (len >= sizeof(buf))
            return NVG_EINVAL;
        memcpy(buf, text, len - 1);
        buf[len - 1] = '\0';
        int64_t days;
        if (nvg__parse_duration(buf, &days) < 0 || strchr("smh", buf[len - 2]) ||
            days > INT64_MAX / 86400)
            return NVG_EINVAL;
        *out_s = days * 86400;
        return 0;
    }
    return nvg__parse_duration(text, out_s);
}

/* "5%", "0.5%" of the file system, or a size ("2G", "0" = no floor). */
static int parse_min_free(const char *text, double *pct, uint64_t *bytes)
{
    size_t len = strlen(text);
    if (len > 1 && text[len - 1] == '%') {
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        if (errno || end != text + len - 1 || !(v >= 0 && v < 100) || isspace((unsigned char)*text))
            return NVG_EINVAL;
        *pct = v;
        *bytes = 0;
        return 0;
    }
    if (nvg_parse_size(text, 1, bytes) < 0)
        return NVG_EINVAL;
    *pct = 0;
    return 0;
}

static bool apply_retention_opt(struct nvg_collector_options *opts, int c, const char *arg, int *rc)
{
    static const char *const methods[] = {"none", "zstd", "gzip"};
    switch (c) {
    case OPT_RETAIN_SIZE:
        *rc = nvg_parse_size(arg, 1, &opts->retain_size);
        return true;
    case OPT_RETAIN_TIME:
        *rc = parse_retain_time(arg, &opts->retain_time_s);
        return true;
    case OPT_MIN_FREE:
        *rc = parse_min_free(arg, &opts->min_free_pct, &opts->min_free_bytes);
        return true;
    case OPT_COMPRESS:
        *rc = NVG_EINVAL;
        for (int i = 0; i < 3; i++)
            if (strcmp(arg, methods[i]) == 0)
                opts->compress = i, *rc = 0;
        return true;
    }
    return false;
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

/* The ClickHouse options (clickhouse.h); false when c is another. */
static bool apply_clickhouse_opt(struct nvg_collector_options *opts, int c, const char *arg,
                                 int *rc)
{
    switch (c) {
    case OPT_CLICKHOUSE:
        *rc = strncmp(arg, "http://", 7) == 0 || strncmp(arg, "https://", 8) == 0 ? 0 : NVG_EINVAL;
        opts->clickhouse_url = arg;
        return true;
    case OPT_CLICKHOUSE_USER:
        opts->clickhouse_user = arg;
        return true;
    case OPT_CLICKHOUSE_PASSWORD:
        opts->clickhouse_password = arg;
        return true;
    case OPT_CLICKHOUSE_PASSWORD_FILE:
        opts->clickhouse_password_file = arg;
        return true;
    case OPT_CLICKHOUSE_BUFFER:
        *rc = nvg_parse_size(arg, 1, &opts->clickhouse_buffer);
        if (*rc == 0 && opts->clickhouse_buffer < NVG_CH_BUFFER_MIN)
            *rc = NVG_EINVAL;
        return true;
    case OPT_NO_CSV:
        opts->no_csv = true;
        return true;
    case OPT_CLICKHOUSE_RETAIN: {
        char *end;
        errno = 0;
        long v = strtol(arg, &end, 10);
        *rc = errno || end == arg || *end || v < 0 || v > 36500 ? NVG_EINVAL : 0;
        opts->clickhouse_retain_days = (int)v;
        return true;
    }
    }
    return false;
}

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
    if (apply_retention_opt(opts, c, arg, &rc) || apply_metrics_opt(opts, c, arg, &rc))
        return rc < 0 ? -1 : 0;
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
    case OPT_CONFIG:
        break; /* read before everything else: parse_config() */
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
    return rc < 0 ? -1 : 0;
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

static int apply_any(struct nvg_collector_options *opts, int c, const char *arg)
{
    int rc = 0;
    if (c == OPT_PCAP_MAX) {
        rc = nvg_parse_size(arg, 1, &opts->pcap_max);
        return rc < 0 || opts->pcap_max < 1024 || opts->pcap_max > ((uint64_t)1 << 30) ? -1 : 0;
    }
    if (apply_clickhouse_opt(opts, c, arg, &rc))
        return rc < 0 ? -1 : 0;
    return apply_alerts_opt(opts, c, arg) ? 0 : apply_opt(opts, c, arg);
}

const struct option *nvg_collector_long_options(void)
{
    return long_opts;
}

static bool collector_section(const char *name)
{
    return strcmp(name, "collector") == 0;
}

static int config_apply(void *ud, const struct option *o, const char *arg, char *why)
{
    if (apply_any(ud, o->val, arg) == 0)
        return 0;
    snprintf(why, NVG_ERRBUF_SIZE, "invalid value '%s'", arg ? arg : "true");
    return NVG_EINVAL;
}

static void set_defaults(struct nvg_collector_options *opts)
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
        .pcap_max = (uint64_t)64 << 20,
        .sensor_idle_ms = 30000,
        .control_idle_ms = 60000,
        .min_free_pct = 5,
        .clickhouse_buffer = NVG_CH_BUFFER_DEFAULT,
    };
}

/* --config before every other option, so that the command line overrides the file whatever
 * the order; getopt runs over argv twice (it only permutes argv, harmlessly). */
static int parse_config(struct nvg_collector_options *opts, char *err)
{
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(opts->argc, opts->argv, "o:vhV", long_opts, NULL)) != -1)
        if (c == OPT_CONFIG)
            opts->config_path = optarg;
    opterr = 1;
    if (!opts->config_path)
        return 0;
    opts->config = nvg_config_load(opts->config_path, err);
    if (!opts->config)
        return -1;
    static const char *const sections[] = {"collector"};
    return nvg_config_apply(opts->config, long_opts, collector_section, sections, 1, config_apply,
                            opts, err) < 0
               ? -1
               : 0;
}

/* Rules between options, after the file and the command line. */
static int validate(const struct nvg_collector_options *opts, char *err)
{
    if (opts->own_key && !opts->keys_dir) {
        snprintf(err, NVG_ERRBUF_SIZE, "--key needs --keys DIR (the allow-lists)");
        return -1;
    }
    if (!nvg_zmq_is_loopback(opts->bind) && !opts->insecure && !opts->keys_dir) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "refusing to bind to non-loopback address '%.200s' without CURVE keys (traffic "
                 "would be unauthenticated and in clear text); pass --keys DIR, or --insecure "
                 "to do it anyway",
                 opts->bind);
        return -1;
    }
    /* The packet log is what an ack promises and what the sequence positions describe:
     * without it the database must take both roles. */
    if (opts->no_csv && !opts->clickhouse_url) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "--no-csv needs --clickhouse URL: without CSV logs the records must go "
                 "somewhere");
        return -1;
    }
    return 0;
}

int nvg_collector_options_parse(struct nvg_collector_options *opts, int argc, char **argv)
{
    set_defaults(opts);
    opts->argc = argc;
    opts->argv = argv;
    char err[NVG_ERRBUF_SIZE];
    if (parse_config(opts, err) < 0) {
        fprintf(stderr, "netvigil-collector: %s\n", err);
        nvg_collector_options_free(opts);
        return -1;
    }
    optind = 0;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "o:vhV", long_opts, NULL)) != -1) {
        if (c == '?' || c == ':') {
            usage(stderr);
            rc = -1;
        } else if (c == OPT_CLICKHOUSE_PASSWORD) {
            fprintf(stderr, "netvigil-collector: --clickhouse-password: give it in the config "
                            "file or with --clickhouse-password-file (a command line shows in "
                            "ps)\n");
            rc = -1;
        } else if ((rc = apply_any(opts, c, optarg)) < 0) {
            fprintf(stderr, "netvigil-collector: invalid value '%s'\n", optarg);
        }
    }
    if (rc == 0 && optind < argc) {
        fprintf(stderr, "netvigil-collector: unexpected argument '%s'\n", argv[optind]);
        rc = -1;
    }
    if (rc == 0 && validate(opts, err) < 0) {
        fprintf(stderr, "netvigil-collector: %s\n", err);
        rc = -1;
    }
    if (rc != 0) {
        nvg_collector_options_free(opts);
        return rc;
    }
    if (check_metrics_listen(opts) < 0) {
        nvg_collector_options_free(opts);
        return -1;
    }
    if (opts->insecure && !opts->keys_dir && !nvg_zmq_is_loopback(opts->bind))
        fprintf(stderr,
                "netvigil-collector: WARNING: --insecure: anyone who can reach %s can "
                "read every record, inject records and command every sensor\n",
                opts->bind);
    return 0;
}

int nvg_collector_options_reread(const struct nvg_collector_options *cur,
                                 struct nvg_collector_options *next, char err[NVG_ERRBUF_SIZE])
{
    set_defaults(next);
    next->argc = cur->argc;
    next->argv = cur->argv;
    int rc = parse_config(next, err);
    optind = 0;
    opterr = 0;
    int c;
    while (rc == 0 && (c = getopt_long(cur->argc, cur->argv, "o:vhV", long_opts, NULL)) != -1)
        if (c != 'h' && c != 'V' && apply_any(next, c, optarg) < 0)
            rc = -1; /* the command line was fine at start: not reached */
    opterr = 1;
    if (rc == 0 && validate(next, err) < 0)
        rc = -1;
    if (rc < 0)
        nvg_collector_options_free(next);
    return rc;
}

bool nvg_collector_option_on_cmdline(const struct nvg_collector_options *opts, const char *key)
{
    const struct option *o = nvg_config_option(long_opts, key);
    bool found = false;
    optind = 0;
    opterr = 0;
    int c;
    while (o && (c = getopt_long(opts->argc, opts->argv, "o:vhV", long_opts, NULL)) != -1)
        found |= c == o->val;
    opterr = 1;
    return found;
}

void nvg_collector_options_free(struct nvg_collector_options *opts)
{
    nvg_config_free(opts->config);
    opts->config = NULL;
}
