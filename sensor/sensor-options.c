#include "sensor-options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvg-config.h"
#include "nvg-error.h"
#include "nvg-parse.h"
#include "pcap-ring.h"
#include "privdrop.h"
#include "spool.h"

enum {
    OPT_NO_PROMISC = 256,
    OPT_CSV,
    OPT_PRINT,
    OPT_ALERTS,
    OPT_ALERTS_CONFIG,
    OPT_COUNT,
    OPT_PAYLOAD,
    OPT_HELP,
    OPT_VERSION,
    OPT_BATCH_SIZE,
    OPT_BATCH_MS,
    OPT_STOPPED,
    OPT_USER,
    OPT_SECCOMP,
    OPT_KEY,
    OPT_COLLECTOR_KEY,
    OPT_FLOWS,
    OPT_NO_FLOWS,
    OPT_FLOW_TABLE,
    OPT_FLOW_IDLE,
    OPT_FLOW_TCP,
    OPT_FLOW_SYN,
    OPT_FLOW_CLOSED,
    OPT_FLOW_ACTIVE,
    /* config files (issue 13) */
    OPT_CONFIG,
    /* the disk spool (issue 14) */
    OPT_SPOOL,
    OPT_SPOOL_SIZE,
    /* raw frames for extraction (issue 15) */
    OPT_PCAP_RING,
};

static const struct option long_opts[] = {
    {"interface", required_argument, NULL, 'i'},
    {"read", required_argument, NULL, 'r'},
    {"filter", required_argument, NULL, 'f'},
    {"name", required_argument, NULL, 'n'},
    {"snaplen", required_argument, NULL, 's'},
    {"buffer-size", required_argument, NULL, 'B'},
    {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
    {"csv", required_argument, NULL, OPT_CSV},
    {"print", no_argument, NULL, OPT_PRINT},
    {"alerts", required_argument, NULL, OPT_ALERTS},
    {"alerts-config", required_argument, NULL, OPT_ALERTS_CONFIG},
    {"count", required_argument, NULL, OPT_COUNT},
    {"payload", required_argument, NULL, OPT_PAYLOAD},
    {"collector", required_argument, NULL, 'c'},
    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
    {"batch-ms", required_argument, NULL, OPT_BATCH_MS},
    {"stopped", no_argument, NULL, OPT_STOPPED},
    {"user", required_argument, NULL, OPT_USER},
    {"seccomp", required_argument, NULL, OPT_SECCOMP},
    {"key", required_argument, NULL, OPT_KEY},
    {"collector-key", required_argument, NULL, OPT_COLLECTOR_KEY},
    {"flows", required_argument, NULL, OPT_FLOWS},
    {"no-flows", no_argument, NULL, OPT_NO_FLOWS},
    {"flow-table", required_argument, NULL, OPT_FLOW_TABLE},
    {"flow-idle-timeout", required_argument, NULL, OPT_FLOW_IDLE},
    {"flow-tcp-timeout", required_argument, NULL, OPT_FLOW_TCP},
    {"flow-syn-timeout", required_argument, NULL, OPT_FLOW_SYN},
    {"flow-closed-timeout", required_argument, NULL, OPT_FLOW_CLOSED},
    {"flow-active-timeout", required_argument, NULL, OPT_FLOW_ACTIVE},
    {"spool", required_argument, NULL, OPT_SPOOL},
    {"spool-size", required_argument, NULL, OPT_SPOOL_SIZE},
    {"pcap-ring", required_argument, NULL, OPT_PCAP_RING},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage_end(FILE *f)
{
    fputs("SIGINT/SIGTERM stop the capture, flush the outputs and print capture statistics.\n"
          "Exit status: 0 success, 1 capture or output error (including a truncated file),\n"
          "2 usage error or bad filter expression, 3 the collector does not accept this\n"
          "sensor's key (or the CURVE handshake failed: wrong --collector-key).\n",
          f);
}

/* The collector link's options, in the middle of the help. */
static void usage_link(FILE *f)
{
    fprintf(f,
            "  -c, --collector ENDPOINT  send records to the collector at ENDPOINT, e.g.\n"
            "                         tcp://127.0.0.1:7700 (HOST or HOST:PORT also work; the\n"
            "                         sensor's own traffic to it is never captured)\n"
            "      --batch-size N     records per batch to the collector (1..%d, default %d)\n"
            "      --batch-ms MS      a batch is sent at most MS ms after its first record\n"
            "                         (1..10000, default %d)\n"
            "      --stopped          start with recording stopped; wait for a start command\n"
            "      --spool DIR        live with -c: keep the batches the link cannot take\n"
            "                         (collector down or slow) in DIR and send them, in order,\n"
            "                         when it is back; kept across restarts (see the man page)\n"
            "      --spool-size SIZE  the spool's disk space at most; bytes, or K/M/G suffixes\n"
            "                         (default 1G); a batch past it is dropped and counted\n"
            "      --pcap-ring SIZE   with -c: keep the last SIZE bytes of raw frames in memory\n"
            "                         (K/M/G suffixes, 64K..16G; default off: no payload is\n"
            "                         kept) for admins to extract as pcapng (netvigil-ctl pcap)\n"
            "      --key FILE         own CURVE key pair (NAME.key_secret, mode 0600): encrypt\n"
            "                         the link and authenticate to the collector\n"
            "      --collector-key FILE  the collector's public key (collector.key)\n",
            NVG_BATCH_MAX, NVG_BATCH_DEFAULT, NVG_BATCH_MS_DEFAULT);
}

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s (-i IFACE | -r FILE) [options] [FILTER EXPRESSION...]\n"
            "Capture packets, decode them into records, and send them to a collector and/or\n"
            "write them as CSV and text.\n"
            "\n"
            "  -i, --interface IFACE  capture live on IFACE (\"any\" for all interfaces)\n"
            "  -r, --read FILE        read a pcap or pcapng file (\"-\" for stdin)\n"
            "                         exactly one of -i and -r is required\n"
            "  -f, --filter EXPR      BPF pre-filter, tcpdump syntax; arguments left after\n"
            "                         the options are taken as the filter too\n"
            "  -n, --name NAME        sensor name: 1 to %d letters, digits and . _ : @ -\n"
            "                         (default: the host name)\n"
            "  -s, --snaplen BYTES    bytes captured per frame (default %d)\n"
            "  -B, --buffer-size SIZE kernel capture ring; a bare number is MiB, or give a\n"
            "                         suffix: 512k, 64M, 1G (default 32M)\n"
            "      --no-promisc       do not put the interface into promiscuous mode\n",
            prog, NVG_NAME_MAX, NVG_SNAPLEN_DEFAULT);
    usage_link(f);
    fprintf(f,
            "      --user USER        started as root: become USER once the capture and the\n"
            "                         link are open (default nobody), keeping only CAP_NET_RAW\n"
            "                         for restarts; --user root stays root\n"
            "      --seccomp MODE     system-call allow-list: kill (default: a call outside it\n"
            "                         kills the sensor), log (only logged), off\n"
            "      --csv FILE         write the CSV packet log to FILE (\"-\" for stdout)\n"
            "      --print            print one text line per packet to stdout (the default\n"
            "                         when neither -c, --csv, --alerts nor --flows is given)\n"
            "      --alerts FILE      run the collector's detectors here and write one line per\n"
            "                         alert event to FILE (\"-\" for stdout)\n"
            "      --alerts-config FILE  detector thresholds and rules (alerts.conf)\n"
            "      --count N          stop after N packets\n"
            "      --payload N        keep the first N payload bytes per record (0..%d,\n"
            "                         default 0)\n"
            "      --flows FILE       write conversation records as flows CSV to FILE (\"-\"\n"
            "                         for stdout); conversations are tracked with -c or --flows\n"
            "      --no-flows         do not track conversations\n"
            "      --flow-table N     conversations held at once (default %u, %zu bytes each)\n"
            "      --flow-idle-timeout S    UDP, ICMP, other IP: end after S s idle (default 30)\n"
            "      --flow-tcp-timeout S     established TCP: end after S s idle (default 300)\n"
            "      --flow-syn-timeout S     TCP not answered: end after S s (default 30)\n"
            "      --flow-closed-timeout S  TCP after FINs or RST: end after S s (default 5)\n"
            "      --flow-active-timeout S  an update of a conversation every S s (default 60,\n"
            "                         0: none)\n"
            "      --config FILE      read options from FILE (INI: [sensor], then the section\n"
            "                         named after the interface; a key per long option); the\n"
            "                         command line overrides it\n"
            "      --help             show this help\n"
            "      --version          show the version\n"
            "\n",
            NVG_PAYLOAD_MAX, NVG_FLOW_CAPACITY_DEFAULT, nvg_flow_table_entry_bytes());
    usage_end(f);
}

__attribute__((format(printf, 2, 3))) static int fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, NVG_ERRBUF_SIZE, fmt, ap);
    va_end(ap);
    return NVG_EINVAL;
}

/* Whole-string unsigned decimal in [min, max]. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

uint64_t nvg_options_parse_size(const char *s)
{
    uint64_t v;
    if (nvg_parse_size(s, NVG_MIB, &v) < 0 || v == 0 || v > (uint64_t)INT32_MAX)
        return 0; /* libpcap takes an int */
    return v;
}

/* The collector knows a sensor by its name (and, with keys, by its certificate's name), so
 * it comes from the same small alphabet as every name: no lookalikes, no markup. */
static int set_name(struct nvg_sensor_opts *o, const char *name, char *err)
{
    size_t len = strlen(name);
    if (len == 0)
        return fail(err, "--name: the sensor name must not be empty");
    if (len > NVG_NAME_MAX)
        return fail(err, "--name: the sensor name is %zu bytes, at most %d are allowed", len,
                    NVG_NAME_MAX);
    if (!nvg_name_valid(name))
        return fail(err,
                    "--name: a sensor name may only hold letters, digits and . _ : @ - "
                    "(1 to %d of them)",
                    NVG_NAME_MAX);
    memcpy(o->name, name, len + 1);
    return 0;
}

/* The filter travels in Hello and status messages, whose receivers refuse anything longer
 * or not printable UTF-8; a long filter is also what makes libpcap's compiler slow. */
static int check_filter(const char *expr, char *err)
{
    size_t len = strlen(expr);
    if (len > NVG_TEXT_FILTER_MAX)
        return fail(err, "filter expression is %zu bytes, at most %d are allowed", len,
                    NVG_TEXT_FILTER_MAX);
    if (!nvg_text_valid(expr, len, NVG_TEXT_FILTER_MAX))
        return fail(err, "filter expression has control characters or is not valid UTF-8");
    return 0;
}

/* The host name as a default sensor name: cut to NVG_NAME_MAX, any byte outside the name
 * alphabet replaced by '-' (host names rarely have one). */
static void default_name(struct nvg_sensor_opts *o)
{
    char host[256];
    if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
        strcpy(host, "sensor");
    host[sizeof(host) - 1] = '\0';
    host[NVG_NAME_MAX] = '\0';
    for (char *c = host; *c; c++) {
        char one[2] = {*c, '\0'};
        if (!nvg_name_valid(one))
            *c = '-';
    }
    memcpy(o->name, host, strlen(host) + 1);
}

/* Timeouts in whole seconds, up to a day; only the active timeout may be 0 (off). */
static int flow_timeout(struct nvg_sensor_opts *o, int c, const char *arg, char *err)
{
    static const char *const names[] = {"idle", "tcp", "syn", "closed", "active"};
    int k = c - OPT_FLOW_IDLE;
    uint64_t v;
    if (parse_u64(arg, c == OPT_FLOW_ACTIVE ? 0 : 1, 86400, &v) < 0)
        return fail(err, "--flow-%s-timeout: '%s' is not a number of seconds from %d to 86400",
                    names[k], arg, c == OPT_FLOW_ACTIVE ? 0 : 1);
    int64_t *dst[] = {&o->flow.idle_ns, &o->flow.tcp_ns, &o->flow.syn_ns, &o->flow.closed_ns,
                      &o->flow.active_ns};
    *dst[k] = (int64_t)v * NVG_FLOW_SEC;
    return 0;
}

static int pcap_ring_option(struct nvg_sensor_opts *o, const char *arg, char *err)
{
    uint64_t v;
    if (nvg_parse_size(arg, 1, &v) < 0 || v < NVG_PCAP_RING_MIN || v > NVG_PCAP_RING_MAX)
        return fail(err, "--pcap-ring: '%s' is not a size from 64K to 16G (e.g. 256M)", arg);
    o->pcap_ring = v;
    return 0;
}

static int handle_number_option(struct nvg_sensor_opts *o, int c, const char *arg, char *err)
{
    uint64_t v;
    switch (c) {
    case 's':
        if (parse_u64(arg, 1, NVG_SNAPLEN_MAX, &v) < 0)
            return fail(err, "--snaplen: '%s' is not a number from 1 to %d", arg, NVG_SNAPLEN_MAX);
        o->snaplen = (int)v;
        return 0;
    case 'B':
        o->buffer_bytes = nvg_options_parse_size(arg);
        if (o->buffer_bytes == 0)
            return fail(err, "--buffer-size: '%s' is not a size such as 64 (MiB), 512k or 1G", arg);
        return 0;
    case OPT_COUNT:
        if (parse_u64(arg, 1, UINT64_MAX, &v) < 0)
            return fail(err, "--count: '%s' is not a positive number", arg);
        o->count = v;
        return 0;
    case OPT_BATCH_SIZE:
        if (parse_u64(arg, 1, NVG_BATCH_MAX, &v) < 0)
            return fail(err, "--batch-size: '%s' is not a number from 1 to %d", arg, NVG_BATCH_MAX);
        o->batch_max = (unsigned)v;
        return 0;
    case OPT_BATCH_MS:
        if (parse_u64(arg, 1, 10000, &v) < 0)
            return fail(err, "--batch-ms: '%s' is not a number from 1 to 10000", arg);
        o->batch_ms = (int)v;
        return 0;
    case OPT_NO_FLOWS:
        o->no_flows = true;
        return 0;
    case OPT_CONFIG:
        return 0; /* read before every other option: apply_config() */
    case OPT_SPOOL:
        o->spool_dir = arg;
        return 0;
    case OPT_SPOOL_SIZE:
        if (nvg_parse_size(arg, 1, &v) < 0 || v < NVG_SPOOL_SIZE_MIN)
            return fail(err, "--spool-size: '%s' is not a size of at least 64K (e.g. 512M, 1G)",
                        arg);
        o->spool_size = v;
        return 0;
    case OPT_FLOW_TABLE:
        if (parse_u64(arg, 1, NVG_FLOW_CAPACITY_MAX, &v) < 0)
            return fail(err, "--flow-table: '%s' is not a number from 1 to %u", arg,
                        NVG_FLOW_CAPACITY_MAX);
        o->flow.capacity = (uint32_t)v;
        return 0;
    case OPT_FLOW_IDLE:
    case OPT_FLOW_TCP:
    case OPT_FLOW_SYN:
    case OPT_FLOW_CLOSED:
    case OPT_FLOW_ACTIVE:
        return flow_timeout(o, c, arg, err);
    case OPT_PAYLOAD:
        if (parse_u64(arg, 0, NVG_PAYLOAD_MAX, &v) < 0)
            return fail(err, "--payload: '%s' is not a number from 0 to %d", arg, NVG_PAYLOAD_MAX);
        o->payload = (unsigned)v;
        return 0;
    }
    return fail(err, "internal error: option %d", c);
}

/* One option; NVG_OPTS_HELP for --help/--version, 0 to go on, or a negative error. */
static int handle_option(struct nvg_sensor_opts *o, int c, const char *arg, FILE *out,
                         const char *prog, char *err)
{
    switch (c) {
    case 'i':
        o->iface = arg;
        return 0;
    case 'r':
        o->file = arg;
        return 0;
    case 'f':
        o->filter = arg;
        return check_filter(arg, err);
    case 'n':
        return set_name(o, arg, err);
    case OPT_NO_PROMISC:
        o->promisc = false;
        return 0;
    case OPT_CSV:
        o->csv_path = arg;
        return 0;
    case OPT_PRINT:
        o->print = true;
        return 0;
    case OPT_ALERTS:
        o->alerts_path = arg;
        return 0;
    case OPT_ALERTS_CONFIG:
        o->alerts_config = arg;
        return 0;
    case 'c':
        o->collector = arg;
        return 0;
    case OPT_STOPPED:
        o->stopped = true;
        return 0;
    case OPT_USER:
        o->user = arg;
        return 0;
    case OPT_SECCOMP:
        o->seccomp = nvg_seccomp_mode_parse(arg);
        if (o->seccomp < 0)
            return fail(err, "--seccomp: '%s' is not kill, log or off", arg);
        return 0;
    case OPT_KEY:
        o->key = arg;
        return 0;
    case OPT_COLLECTOR_KEY:
        o->collector_key = arg;
        return 0;
    case OPT_FLOWS:
        o->flows_path = arg;
        return 0;
    case OPT_HELP:
        usage(out, prog);
        return NVG_OPTS_HELP;
    case OPT_VERSION:
        fprintf(out, "netvigil-sensor %s\n", NVG_VERSION);
        return NVG_OPTS_HELP;
    default:
        return c == OPT_PCAP_RING ? pcap_ring_option(o, arg, err)
                                  : handle_number_option(o, c, arg, err);
    }
}

/* Arguments left after the options form the filter expression, as with tcpdump. */
static int join_filter(struct nvg_sensor_opts *o, int argc, char **argv, int first, char *err)
{
    if (first >= argc)
        return 0;
    if (o->filter)
        return fail(err, "a filter was given with -f and as arguments ('%s'); use one",
                    argv[first]);
    size_t len = 0;
    for (int i = first; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (len + (len ? 1 : 0) + n > NVG_TEXT_FILTER_MAX)
            return fail(err, "filter expression is longer than %d bytes", NVG_TEXT_FILTER_MAX);
        if (len)
            o->filter_buf[len++] = ' ';
        memcpy(o->filter_buf + len, argv[i], n);
        len += n;
    }
    o->filter_buf[len] = '\0';
    o->filter = o->filter_buf;
    return check_filter(o->filter, err);
}

/* Reading a file waits for the collector instead (back-pressure): it has nothing to spool. */
static int validate_spool(struct nvg_sensor_opts *o, char *err)
{
    if (o->spool_size && !o->spool_dir)
        return fail(err, "--spool-size without --spool: give the spool's directory");
    if (o->spool_dir && (!o->collector || o->file))
        return fail(err, "--spool is for live capture to a collector (-i IFACE -c ENDPOINT); "
                         "reading a file waits for the collector and loses nothing");
    if (o->spool_dir && !o->spool_size)
        o->spool_size = NVG_SPOOL_SIZE_DEFAULT;
    if (o->pcap_ring && !o->collector)
        return fail(err, "--pcap-ring without -c: frames are extracted through a collector");
    return 0;
}

static int validate(struct nvg_sensor_opts *o, char *err)
{
    if (o->iface && o->file)
        return fail(err, "-i and -r cannot be used together: capture live or read a file");
    if (!o->iface && !o->file)
        return fail(err, "nothing to capture: give -i IFACE (e.g. -i any) or -r FILE");
    if (o->print && o->csv_path && strcmp(o->csv_path, "-") == 0)
        return fail(err, "--print and --csv - both write to stdout; use one");
    if (o->print && o->alerts_path && strcmp(o->alerts_path, "-") == 0)
        return fail(err, "--print and --alerts - both write to stdout; use one");
    if (o->alerts_config && !o->alerts_path)
        return fail(err, "--alerts-config without --alerts: the rules are for the sensor's own "
                         "detection (a collector has its own --alerts-config)");
    if (o->flows_path && strcmp(o->flows_path, "-") == 0 &&
        ((o->print) || (o->csv_path && strcmp(o->csv_path, "-") == 0) ||
         (o->alerts_path && strcmp(o->alerts_path, "-") == 0)))
        return fail(err, "--flows - and another output both write to stdout; use one");
    if (o->flows_path && o->no_flows)
        return fail(err, "--flows and --no-flows contradict each other");
    if (!o->csv_path && !o->collector && !o->alerts_path && !o->flows_path)
        o->print = true;
    o->flows = (o->collector || o->flows_path) && !o->no_flows;
    if (!o->key != !o->collector_key)
        return fail(err, "--key and --collector-key go together: CURVE needs both");
    if (o->key && !o->collector)
        return fail(err, "--key without -c: keys are for the link to a collector");
    if (o->name[0] == '\0')
        default_name(o);
    return validate_spool(o, err);
}

static void opts_init(struct nvg_sensor_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->snaplen = NVG_SNAPLEN_DEFAULT;
    o->buffer_bytes = NVG_BUFFER_DEFAULT;
    o->promisc = true;
    o->batch_max = NVG_BATCH_DEFAULT;
    o->batch_ms = NVG_BATCH_MS_DEFAULT;
    o->user = NVG_PRIVDROP_DEFAULT_USER;
    o->seccomp = NVG_SECCOMP_KILL;
    nvg_flow_config_default(&o->flow);
}

/* The option getopt_long just complained about, for the message. */
static const char *bad_option(int argc, char **argv, char *buf)
{
    if (optopt > 0 && optopt < 256) {
        buf[0] = '-';
        buf[1] = (char)optopt;
        buf[2] = '\0';
        return buf;
    }
    return argv[optind - 1 < argc ? optind - 1 : argc - 1];
}

static const char *empty_option(int c)
{
    for (const struct option *lo = long_opts; lo->name; lo++)
        if (lo->val == c)
            return lo->name;
    return "?";
}

/* Every config read, freed at exit: the options of any parse point into them. */
static struct nvg_config *configs;

static void free_configs(void)
{
    nvg_config_free(configs);
    configs = NULL;
}

/* [sensor] for every instance; any other section names an interface (netvigil-sensor@IFACE). */
static bool sensor_section(const char *name)
{
    size_t n = strlen(name);
    if (strcmp(name, "sensor") == 0)
        return true;
    if (n == 0 || n >= 16) /* IFNAMSIZ */
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("._:@-", *c))
            return false;
    return true;
}

static int config_apply(void *ud, const struct option *lo, const char *arg, char *why)
{
    struct nvg_sensor_opts *o = ud;
    int rc = handle_option(o, lo->val, arg, NULL, "netvigil-sensor", why);
    if (rc < 0 && !why[0])
        snprintf(why, NVG_ERRBUF_SIZE, "invalid value '%s'", arg ? arg : "true");
    return rc < 0 ? rc : 0;
}

/* --config before every other option, so that the command line overrides the file whatever the
 * order; the interface (-i, or the file's [sensor] interface) picks the [IFACE] section. */
static int apply_config(struct nvg_sensor_opts *o, int argc, char **argv, char *err)
{
    const char *path = NULL, *iface = NULL;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":i:r:f:n:s:B:c:", long_opts, NULL)) != -1)
        if (c == OPT_CONFIG || c == 'i')
            *(c == OPT_CONFIG ? &path : &iface) = optarg;
    if (!path)
        return 0;
    struct nvg_config *cfg = nvg_config_load(path, err);
    if (!cfg)
        return NVG_EINVAL;
    if (!configs)
        atexit(free_configs);
    cfg->prev = configs;
    configs = cfg;
    const char *sections[2] = {"sensor", NULL};
    sections[1] = iface ? iface : nvg_config_get(cfg, sections, 1, "interface");
    return nvg_config_apply(cfg, long_opts, sensor_section, sections, 2, config_apply, o, err);
}

const struct option *nvg_sensor_long_options(void)
{
    return long_opts;
}

int nvg_options_parse(struct nvg_sensor_opts *o, int argc, char **argv, FILE *out, char *err)
{
    opts_init(o);
    err[0] = '\0';
    int rc = apply_config(o, argc, argv, err);
    if (rc < 0)
        return rc;
    /* Arguments left after the options replace the file's filter, as -f does. */
    const char *file_filter = o->filter;
    o->filter = NULL;
    optind = 0; /* glibc: full re-initialisation, so parsing can run more than once */
    opterr = 0;
    char buf[3];
    int c;
    while ((c = getopt_long(argc, argv, ":i:r:f:n:s:B:c:", long_opts, NULL)) != -1) {
        if (c == '?')
            return fail(err, "unknown option '%s' (see --help)", bad_option(argc, argv, buf));
        if (c == ':')
            return fail(err, "option '%s' needs an argument", bad_option(argc, argv, buf));
        if (optarg && optarg[0] == '\0' && c != 'f')
            return fail(err, "option --%s needs a non-empty argument", empty_option(c));
        rc = handle_option(o, c, optarg, out, "netvigil-sensor", err);
        if (rc != 0)
            return rc;
    }
    rc = join_filter(o, argc, argv, optind, err);
    if (rc < 0)
        return rc;
    if (!o->filter)
        o->filter = file_filter;
    return validate(o, err);
}
