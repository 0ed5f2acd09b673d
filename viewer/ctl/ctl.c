/* netvigil-ctl: the command-line client of a collector.
 *
 *   netvigil-ctl [--collector HOST] status [--json]
 *   netvigil-ctl [--collector HOST] tail [--proto P] [--src NET] [--dst NET] [--port N]
 *                                        [--sensor NAME] [--count N]
 *   netvigil-ctl [--collector HOST] rates [--count N]
 *   netvigil-ctl [--collector HOST] events [--count N]
 *   netvigil-ctl [--collector HOST] alerts [--since T] [--count N]
 *   netvigil-ctl [--collector HOST] start|stop|restart [SENSOR]
 *   netvigil-ctl [--collector HOST] filter [SENSOR] EXPR
 *   netvigil-ctl [--collector HOST] forget SENSOR
 *   netvigil-ctl [--collector HOST] pcap SENSOR (--last T | --from T [--to T]) [-f EXPR] -o FILE
 *   netvigil-ctl keygen NAME [--out DIR]
 *
 * --collector may be repeated: every command then runs against each collector (ctl-multi.c,
 * ctl-multi-feed.c) and merges what they answer.
 *
 * With --key / --collector-key (or defaults in $XDG_CONFIG_HOME/netvigil/) every socket to the
 * collector runs CURVE; a collector that refuses the key is reported as such (ctl-conn.c).
 *
 * The sensor commands go to the collector's control socket, which routes them down each
 * sensor's link and answers with one result per sensor; the exit status is 0 only when every
 * targeted sensor said ok. */
#define _GNU_SOURCE /* strptime, timegm */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static void usage_commands(FILE *out)
{
    fprintf(out, "Usage: netvigil-ctl [OPTION]... COMMAND\n"
                 "Watch a netvigil collector and steer its sensors.\n\n"
                 "Commands:\n"
                 "  status                 sensors, rates and losses at every hop\n"
                 "  tail                   print packet records as they arrive\n"
                 "  rates                  print per-second rates as they are closed\n"
                 "  events                 print feed events: who sent which command, sensors\n"
                 "                         connecting, ...\n"
                 "  alerts                 print alerts as they start, change and end; with\n"
                 "                         --since T the ones the collector kept from the last T\n"
                 "  flows                  print conversation records as sensors export them,\n"
                 "                         each batch sorted by --sort; tail's filters apply\n"
                 "                         (--src the initiator, --dst the responder)\n"
                 "  hosts                  per-host totals: bytes in/out, bytes/s, conversations,\n"
                 "                         TCP retransmission ratio (--count N: the top N)\n"
                 "  start [SENSOR]         start recording on SENSOR (default: every connected\n"
                 "                         sensor)\n"
                 "  stop [SENSOR]          stop recording; the sensor stays connected\n"
                 "  restart [SENSOR]       reopen the capture, reset its counters\n"
                 "  clear-filter [SENSOR]  remove the capture filter: capture everything\n"
                 "  filter [SENSOR] EXPR   replace the capture filter (tcpdump syntax); with one\n"
                 "                         argument, EXPR for every sensor\n"
                 "  forget SENSOR          drop SENSOR's entry from the collector's table (admin)\n"
                 "  pcap SENSOR -o FILE    the frames SENSOR's pcap ring holds for --last T or\n"
                 "                         --from T [--to T], and -f EXPR (BPF), as a pcapng\n"
                 "                         file (admin; \"-o -\": to stdout, e.g. piped into\n"
                 "                         Wireshark reading its standard input)\n"
                 "  keygen NAME            write a CURVE key pair: NAME.key (public, for the\n"
                 "                         collector's sensors/, viewers/ or admins/) and\n"
                 "                         NAME.key_secret (mode 0600, stays here)\n\n");
}

static void usage(FILE *out)
{
    usage_commands(out);
    fprintf(out,
            "Options:\n"
            "  --collector [NAME=]HOST[:PORT]  collector host (default localhost), PORT its\n"
            "                         feed port (default 7701; control is PORT+1). Repeat it\n"
            "                         to watch several collectors at once: status merges\n"
            "                         their sensors (COLLECTOR column), feeds are merged with\n"
            "                         each line prefixed [NAME], commands go to the collector\n"
            "                         that holds the sensor (COLLECTOR/SENSOR picks one when\n"
            "                         a name is on several). NAME labels it (default: HOST[:PORT]\n"
            "                         as typed)\n"
            "  --feed-endpoint EP     live feed endpoint (default tcp://HOST:7701)\n"
            "  --control-endpoint EP  control endpoint (default tcp://HOST:7702)\n"
            "  --timeout MS           request timeout (default 3000 for status, 5000 for\n"
            "                         sensor commands, above the collector's 3 s)\n"
            "  --requester TEXT       who is asking, for the audit trail (default user@host)\n"
            "  --key FILE.key_secret  this client's key pair (CURVE); default: the one\n"
            "                         *.key_secret in $XDG_CONFIG_HOME/netvigil/\n"
            "  --collector-key FILE.key  the collector's public certificate; default:\n"
            "                         $XDG_CONFIG_HOME/netvigil/collector.key. With several\n"
            "                         collectors: once for all, once per --collector (in\n"
            "                         their order), or a directory holding NAME.key for each\n"
            "  --out DIR              keygen: where to write the files (default .)\n"
            "  --json                 status and command results as JSON\n"
            "  --proto P              tail: only this protocol (tcp, udp, icmp, icmpv6, arp, ...)\n"
            "  --src ADDR[/PREFIX]    tail: only from this address or network\n"
            "  --dst ADDR[/PREFIX]    tail: only to this address or network\n"
            "  --port N               tail: only with this source or destination port\n"
            "  --sensor NAME          tail: only from this sensor (COLLECTOR/NAME: of that\n"
            "                         collector only)\n"
            "  --count N              tail, rates, events, alerts: stop after N lines\n"
            "  --since T              alerts: the kept events of the last T (90s, 5m, 1h)\n"
            "  --last T               pcap: the last T of the sensor's clock (30s, 5m, 1h)\n"
            "  --from T, --to T       pcap: the span, ISO 8601 UTC (2024-07-28T18:58:41.5Z) or\n"
            "                         seconds since the epoch (1722193121.5); --to default now\n"
            "  -f, --filter EXPR      pcap: only the frames this BPF expression matches\n"
            "  -o FILE                pcap: the pcapng file to write (\"-\": stdout)\n"
            "  --sort KEY             flows: bytes, rate, duration, rtt or retrans; hosts:\n"
            "                         bytes, rate (10 s), retrans (ratio), duration (convs)\n"
            "  -h, --help             show this help\n"
            "  -V, --version          show the version\n\n"
            "Exit status: 0 ok; 1 a command failed or no answer; 2 bad arguments or key\n"
            "files; 3 the collector does not accept this key; 4 CURVE handshake failed or\n"
            "never completed (wrong --collector-key, keys on one side only); 5 not allowed\n"
            "for this key's role (commands need an admin key); 6 with several collectors,\n"
            "some did not answer (or failed): the others' results are shown.\n");
}

enum {
    OPT_COLLECTOR = 256,
    OPT_FEED,
    OPT_CONTROL,
    OPT_TIMEOUT,
    OPT_JSON,
    OPT_PROTO,
    OPT_SRC,
    OPT_DST,
    OPT_PORT,
    OPT_SENSOR,
    OPT_COUNT,
    OPT_REQUESTER,
    OPT_KEY,
    OPT_COLLECTOR_KEY,
    OPT_OUT,
    OPT_SINCE,
    OPT_SORT,
    OPT_LAST,
    OPT_FROM,
    OPT_TO,
};

static const struct option long_opts[] = {
    {"collector", required_argument, NULL, OPT_COLLECTOR},
    {"feed-endpoint", required_argument, NULL, OPT_FEED},
    {"control-endpoint", required_argument, NULL, OPT_CONTROL},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"json", no_argument, NULL, OPT_JSON},
    {"proto", required_argument, NULL, OPT_PROTO},
    {"src", required_argument, NULL, OPT_SRC},
    {"dst", required_argument, NULL, OPT_DST},
    {"port", required_argument, NULL, OPT_PORT},
    {"sensor", required_argument, NULL, OPT_SENSOR},
    {"count", required_argument, NULL, OPT_COUNT},
    {"requester", required_argument, NULL, OPT_REQUESTER},
    {"key", required_argument, NULL, OPT_KEY},
    {"collector-key", required_argument, NULL, OPT_COLLECTOR_KEY},
    {"out", required_argument, NULL, OPT_OUT},
    {"since", required_argument, NULL, OPT_SINCE},
    {"sort", required_argument, NULL, OPT_SORT},
    {"last", required_argument, NULL, OPT_LAST},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"filter", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

struct parsed {
    const char *hosts[NVG_CTL_MAX_COLLECTORS];
    size_t n_hosts;
    const char *collector_keys[NVG_CTL_MAX_COLLECTORS];
    size_t n_collector_keys;
    const char *feed, *control;
};

static int bad(const char *what, const char *value)
{
    fprintf(stderr, "netvigil-ctl: invalid %s '%s'\n", what, value);
    return -1;
}

/* "90s", "5m", "1h", "2d" or bare seconds. */
static int parse_since(const char *arg, int64_t *out_s)
{
    char *end;
    long long v = strtoll(arg, &end, 10);
    long long mul = *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 1;
    if (*end == 's' || mul > 1)
        end++;
    if (end == arg || *end || v < 0 || v > INT32_MAX)
        return bad("duration", arg);
    *out_s = v * mul;
    return 0;
}

/* A pcap span's end: ISO 8601 UTC with an optional fraction, or seconds since the epoch. */
static int parse_time(const char *arg, int64_t *out_ns)
{
    struct tm tm = {0};
    const char *frac = NULL;
    char *end;
    int64_t sec;
    if (strchr(arg, 'T')) {
        end = strptime(arg, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end)
            return bad("time (2024-07-28T18:58:41.5Z)", arg);
        sec = (int64_t)timegm(&tm);
        frac = *end == '.' ? end + 1 : NULL;
    } else {
        long long v = strtoll(arg, &end, 10);
        if (end == arg || v <= 0 || v > INT32_MAX * 4LL)
            return bad("time (seconds since the epoch)", arg);
        sec = v;
        frac = *end == '.' ? end + 1 : NULL;
    }
    int64_t ns = 0, scale = 100000000;
    for (end = (char *)(frac ? frac : end); frac && *end >= '0' && *end <= '9'; end++) {
        ns += (*end - '0') * scale;
        scale /= 10;
    }
    if (*end == 'Z' && strchr(arg, 'T'))
        end++;
    if (*end || sec <= 0)
        return bad("time", arg);
    *out_ns = sec * 1000000000LL + ns;
    return 0;
}

static int pcap_opt(struct nvg_ctl *ctl, int c, const char *arg)
{
    int64_t s;
    switch (c) {
    case OPT_LAST:
        if (parse_since(arg, &s) < 0 || s == 0)
            return s == 0 ? bad("--last (at least 1s)", arg) : -1;
        ctl->pcap.last_ms = (uint64_t)s * 1000;
        return 0;
    case OPT_FROM:
        return parse_time(arg, &ctl->pcap.from_ns);
    case OPT_TO:
        return parse_time(arg, &ctl->pcap.to_ns);
    case 'f':
        if (strlen(arg) > NVG_TEXT_FILTER_MAX)
            return bad("-f (at most 1023 bytes)", arg);
        ctl->pcap.filter = arg;
        return 0;
    default: /* 'o' */
        ctl->pcap.out = arg;
        return 0;
    }
}

static int parse_sort(const char *arg, enum nvg_ctl_sort *out)
{
    static const char *const names[] = {"bytes", "rate", "duration", "rtt", "retrans"};
    for (int i = 0; i < 5; i++)
        if (strcmp(arg, names[i]) == 0) {
            *out = (enum nvg_ctl_sort)i;
            return 0;
        }
    return bad("--sort (bytes, rate, duration, rtt, retrans)", arg);
}

/* --collector and --collector-key, both repeatable. */
static int collector_opt(struct parsed *p, int c, const char *arg)
{
    if (c == OPT_COLLECTOR_KEY) {
        if (p->n_collector_keys == NVG_CTL_MAX_COLLECTORS)
            return bad("--collector-key (one per --collector at most)", arg);
        p->collector_keys[p->n_collector_keys++] = arg;
        return 0;
    }
    if (p->n_hosts == NVG_CTL_MAX_COLLECTORS) {
        fprintf(stderr, "netvigil-ctl: at most %d --collector\n", NVG_CTL_MAX_COLLECTORS);
        return -1;
    }
    p->hosts[p->n_hosts++] = arg;
    return 0;
}

static int apply_opt(struct nvg_ctl *ctl, struct parsed *p, int c, const char *arg)
{
    char *end;
    if (c == OPT_SINCE || c == OPT_SORT)
        return c == OPT_SINCE ? parse_since(arg, &ctl->since_s) : parse_sort(arg, &ctl->sort);
    if (c == OPT_COLLECTOR || c == OPT_COLLECTOR_KEY)
        return collector_opt(p, c, arg);
    if (c == OPT_LAST || c == OPT_FROM || c == OPT_TO || c == 'f' || c == 'o')
        return pcap_opt(ctl, c, arg);
    switch (c) {
    case OPT_FEED:
        p->feed = arg;
        return 0;
    case OPT_CONTROL:
        p->control = arg;
        return 0;
    case OPT_JSON:
        ctl->json = true;
        return 0;
    case OPT_TIMEOUT:
        ctl->timeout_ms = (int)strtol(arg, &end, 10);
        return (*end || ctl->timeout_ms <= 0) ? bad("timeout", arg) : 0;
    case OPT_PROTO:
        return nvg_filter_parse_proto(arg, &ctl->filter.proto) < 0 ? bad("protocol", arg) : 0;
    case OPT_SRC:
        return nvg_filter_parse_net(arg, &ctl->filter.src) < 0 ? bad("source", arg) : 0;
    case OPT_DST:
        return nvg_filter_parse_net(arg, &ctl->filter.dst) < 0 ? bad("destination", arg) : 0;
    case OPT_PORT:
        return nvg_filter_parse_port(arg, &ctl->filter.port) < 0 ? bad("port", arg) : 0;
    case OPT_SENSOR:
        ctl->sensor_collector = strchr(arg, '/') ? arg : NULL;
        arg = ctl->sensor_collector ? strchr(arg, '/') + 1 : arg;
        if (strlen(arg) == 0 || strlen(arg) > NVG_SENSOR_NAME_MAX)
            return bad("sensor name", arg);
        snprintf(ctl->filter.sensor, sizeof(ctl->filter.sensor), "%s", arg);
        return 0;
    case OPT_COUNT:
        ctl->count = strtol(arg, &end, 10);
        return (*end || ctl->count <= 0) ? bad("count", arg) : 0;
    case OPT_REQUESTER:
        if (strlen(arg) == 0 || strlen(arg) >= sizeof(ctl->requester))
            return bad("requester", arg);
        snprintf(ctl->requester, sizeof(ctl->requester), "%s", arg);
        return 0;
    case OPT_KEY:
        ctl->key_path = arg;
        return 0;
    case OPT_OUT:
        ctl->keygen_dir = arg;
        return 0;
    case 'h':
        usage(stdout);
        return 1;
    case 'V':
        printf("netvigil-ctl %s\n", NVG_VERSION);
        return 1;
    default:
        usage(stderr);
        return -1;
    }
}

/* One --collector [NAME=]HOST[:PORT] into c: PORT is the feed port, control the next one up,
 * as a collector binds them (and as the viewer's --collector reads it). */
static int parse_collector(const char *arg, struct nvg_ctl_collector *c)
{
    const char *eq = strchr(arg, '=');
    const char *host = eq ? eq + 1 : arg;
    size_t label_len = eq ? (size_t)(eq - arg) : strlen(arg);
    char h[NVG_ZMQ_HOST_MAX];
    int port = 0;
    if (label_len == 0 || label_len > NVG_CTL_LABEL_MAX || strstr(host, "://") ||
        nvg_zmq_endpoint_split(host, h, sizeof(h), &port) < 0 || !h[0] || port >= 65535)
        return bad("collector ([NAME=]HOST[:PORT])", arg);
    snprintf(c->label, sizeof(c->label), "%.*s", (int)label_len, arg);
    if ((eq && !nvg_name_valid(c->label)) || strchr(c->label, '/'))
        return bad("collector name (letters, digits, '.', '_', '-')", c->label);
    port = port ? port : NVG_PORT_FEED;
    if (nvg_zmq_endpoint(c->feed_ep, sizeof(c->feed_ep), h, port) < 0 ||
        nvg_zmq_endpoint(c->control_ep, sizeof(c->control_ep), h, port + 1) < 0)
        return bad("collector host", host);
    return 0;
}

/* Each collector's --collector-key: the one given for all, the i-th of one per collector, or
 * NAME.key in the directory given. */
static int collector_keys(struct nvg_ctl *ctl, const struct parsed *p, char paths[][4096])
{
    size_t n = ctl->n_collectors, nk = p->n_collector_keys;
    if (nk > 1 && nk != n) {
        fprintf(stderr,
                "netvigil-ctl: %zu --collector-key for %zu --collector: give one for all, or "
                "one per collector in their order, or a directory of NAME.key\n",
                nk, n);
        return -1;
    }
    struct stat sb;
    bool dir = nk == 1 && stat(p->collector_keys[0], &sb) == 0 && S_ISDIR(sb.st_mode);
    for (size_t i = 0; i < n; i++) {
        const char *given = nk == 0 ? NULL : p->collector_keys[nk == 1 ? 0 : i];
        if (dir && snprintf(paths[i], 4096, "%s/%s.key", given, ctl->collectors[i].label) >= 4096)
            return bad("--collector-key directory", given);
        ctl->collectors[i].key_path = dir ? paths[i] : given;
    }
    ctl->collector_key_path = n ? ctl->collectors[0].key_path : NULL;
    return 0;
}

static int endpoints(struct nvg_ctl *ctl, const struct parsed *p)
{
    if (p->n_hosts > 1 && (p->feed || p->control)) {
        fprintf(stderr, "netvigil-ctl: --feed-endpoint and --control-endpoint name one "
                        "collector; with several, give each as --collector HOST[:PORT]\n");
        return -1;
    }
    for (size_t i = 0; i < p->n_hosts; i++) {
        if (parse_collector(p->hosts[i], &ctl->collectors[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(ctl->collectors[i].label, ctl->collectors[j].label) == 0)
                return bad("collector (named twice; NAME=HOST tells them apart)", p->hosts[i]);
    }
    ctl->n_collectors = p->n_hosts ? p->n_hosts : 1;
    if (!p->n_hosts)
        parse_collector("localhost", &ctl->collectors[0]);
    const struct nvg_ctl_collector *c0 = &ctl->collectors[0];
    /* an endpoint given replaces the one --collector implies, the other stays */
    const char *feed = p->feed ? p->feed : c0->feed_ep;
    const char *control = p->control ? p->control : c0->control_ep;
    if (snprintf(ctl->feed_ep, sizeof(ctl->feed_ep), "%s", feed) >= (int)sizeof(ctl->feed_ep))
        return bad("feed endpoint", feed);
    if (snprintf(ctl->control_ep, sizeof(ctl->control_ep), "%s", control) >=
        (int)sizeof(ctl->control_ep))
        return bad("control endpoint", control);
    if (ctl->sensor_collector) {
        size_t len = (size_t)(strchr(ctl->sensor_collector, '/') - ctl->sensor_collector);
        bool known = false;
        for (size_t i = 0; i < ctl->n_collectors; i++)
            known |= strlen(ctl->collectors[i].label) == len &&
                     strncmp(ctl->collectors[i].label, ctl->sensor_collector, len) == 0;
        if (!known)
            return bad("--sensor (no such collector)", ctl->sensor_collector);
    }
    return 0;
}

static const struct {
    const char *name;
    int (*run)(struct nvg_ctl *ctl);
} watchers[] = {
    {"status", nvg_ctl_status}, {"tail", nvg_ctl_tail},     {"rates", nvg_ctl_rates},
    {"events", nvg_ctl_events}, {"alerts", nvg_ctl_alerts}, {"flows", nvg_ctl_flows},
    {"hosts", nvg_ctl_hosts},
};

static const struct {
    const char *name;
    Netvigil__CommandKind kind;
} sensor_commands[] = {
    {"start", NETVIGIL__COMMAND_KIND__COMMAND_START},
    {"stop", NETVIGIL__COMMAND_KIND__COMMAND_STOP},
    {"restart", NETVIGIL__COMMAND_KIND__COMMAND_RESTART},
    {"filter", NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER},
    /* A set-filter with no expression, spelled out so that an empty shell variable cannot
     * open the capture to everything by accident. */
    {"clear-filter", NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER},
};

/* Check the arguments of a sensor command; returns 0 with *sensor and *filter set, or -1. */
static int command_args(Netvigil__CommandKind kind, int nargs, char **args, const char **sensor,
                        const char **filter)
{
    *sensor = "";
    *filter = "";
    if (kind == NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER) {
        if (nargs < 1 || nargs > 2) {
            fprintf(stderr, "netvigil-ctl: usage: filter [SENSOR] EXPR (quote EXPR)\n");
            return -1;
        }
        *filter = args[nargs - 1];
        if (nargs == 2)
            *sensor = args[0];
        if (!**filter) {
            fprintf(stderr, "netvigil-ctl: filter: the expression is empty\n");
            return -1;
        }
    } else if (nargs > 1) {
        fprintf(stderr, "netvigil-ctl: usage: start|stop|restart|clear-filter [SENSOR]\n");
        return -1;
    } else if (nargs == 1) {
        *sensor = args[0];
    }
    /* COLLECTOR/SENSOR: ctl-multi.c checks the two parts */
    size_t max =
        strchr(*sensor, '/') ? NVG_CTL_LABEL_MAX + 1 + NVG_SENSOR_NAME_MAX : NVG_SENSOR_NAME_MAX;
    if (strlen(*sensor) > max ||
        (nargs && !**sensor && kind != NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER))
        return bad("sensor name", *sensor);
    return 0;
}

/* forget SENSOR: one named sensor, never "all". */
static int run_forget(struct nvg_ctl *ctl, int nargs, char **args)
{
    if (nargs != 1 || !args[0][0]) {
        fprintf(stderr, "netvigil-ctl: usage: forget SENSOR\n");
        return NVG_CTL_EXIT_USAGE;
    }
    if (strlen(args[0]) > NVG_CTL_LABEL_MAX + 1 + NVG_SENSOR_NAME_MAX)
        return bad("sensor name", args[0]) < 0 ? NVG_CTL_EXIT_USAGE : 0;
    return nvg_ctl_command(ctl, NETVIGIL__COMMAND_KIND__COMMAND_FORGET, args[0], "");
}

/* pcap SENSOR: one named sensor, a span, an output. */
static int run_pcap(struct nvg_ctl *ctl, int nargs, char **args)
{
    struct nvg_ctl_pcap *pc = &ctl->pcap;
    const char *why = NULL;
    if (nargs != 1 || !args[0][0] || strchr(args[0], '/'))
        why = "usage: pcap SENSOR (--last T | --from T [--to T]) [-f EXPR] -o FILE";
    else if (!pc->out)
        why = "pcap: -o FILE is required (\"-o -\" for stdout)";
    else if (!pc->last_ms == !pc->from_ns)
        why = "pcap: give --last T or --from T [--to T]";
    else if (pc->last_ms && pc->to_ns)
        why = "pcap: --to goes with --from, not with --last";
    else if (pc->to_ns && pc->to_ns < pc->from_ns)
        why = "pcap: --to is before --from";
    else if (strlen(args[0]) > NVG_SENSOR_NAME_MAX)
        why = "pcap: sensor name too long";
    if (why) {
        fprintf(stderr, "netvigil-ctl: %s\n", why);
        return NVG_CTL_EXIT_USAGE;
    }
    pc->sensor = args[0];
    return nvg_ctl_pcap(ctl, pc);
}

static int run_command(struct nvg_ctl *ctl, const char *name, int nargs, char **args)
{
    for (size_t i = 0; i < sizeof(watchers) / sizeof(watchers[0]); i++) {
        if (strcmp(name, watchers[i].name) != 0)
            continue;
        if (nargs != 0) {
            fprintf(stderr, "netvigil-ctl: %s takes no arguments; see --help\n", name);
            return NVG_CTL_EXIT_USAGE;
        }
        return watchers[i].run(ctl);
    }
    if (strcmp(name, "forget") == 0)
        return run_forget(ctl, nargs, args);
    if (strcmp(name, "pcap") == 0)
        return run_pcap(ctl, nargs, args);
    for (size_t i = 0; i < sizeof(sensor_commands) / sizeof(sensor_commands[0]); i++) {
        if (strcmp(name, sensor_commands[i].name) != 0)
            continue;
        const char *sensor, *filter;
        if (strcmp(name, "clear-filter") == 0) {
            if (command_args(NETVIGIL__COMMAND_KIND__COMMAND_START, nargs, args, &sensor, &filter) <
                0)
                return NVG_CTL_EXIT_USAGE;
            return nvg_ctl_command(ctl, sensor_commands[i].kind, sensor, NULL);
        }
        if (command_args(sensor_commands[i].kind, nargs, args, &sensor, &filter) < 0)
            return NVG_CTL_EXIT_USAGE;
        return nvg_ctl_command(ctl, sensor_commands[i].kind, sensor, filter);
    }
    fprintf(stderr, "netvigil-ctl: unknown command '%s'; see --help\n", name);
    return NVG_CTL_EXIT_USAGE;
}

/* Commands that talk to the collector: endpoints, keys, one context for the process. */
static int run_remote(struct nvg_ctl *ctl, const struct parsed *p, int nargs, char **args)
{
    char key_paths[NVG_CTL_MAX_COLLECTORS][4096];
    if (endpoints(ctl, p) < 0 || collector_keys(ctl, p, key_paths) < 0)
        return NVG_CTL_EXIT_USAGE;
    int rc = nvg_ctl_load_keys(ctl);
    if (rc)
        return rc;
    ctl->zctx = zmq_ctx_new();
    if (!ctl->zctx)
        return NVG_CTL_EXIT_FAIL;
    rc = run_command(ctl, args[0], nargs - 1, args + 1);
    explicit_bzero(&ctl->own, sizeof(ctl->own));
    zmq_ctx_term(ctl->zctx);
    return rc;
}

int main(int argc, char **argv)
{
    struct nvg_ctl ctl = {.timeout_ms = 0, .since_s = -1};
    struct parsed p = {0};
    nvg_filter_init(&ctl.filter);
    nvg_ctl_default_requester(ctl.requester, sizeof(ctl.requester));
    int c;
    while ((c = getopt_long(argc, argv, "hVf:o:", long_opts, NULL)) != -1) {
        int rc = apply_opt(&ctl, &p, c, optarg);
        if (rc != 0)
            return rc > 0 ? 0 : NVG_CTL_EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(
            stderr,
            "netvigil-ctl: expected a command (status, tail, rates, events, alerts, flows, hosts, "
            "start, "
            "stop, restart, filter, clear-filter, forget, pcap, keygen); see --help\n");
        return NVG_CTL_EXIT_USAGE;
    }
    if (strcmp(argv[optind], "keygen") == 0) {
        if (argc - optind != 2) {
            fprintf(stderr, "netvigil-ctl: usage: keygen NAME [--out DIR]\n");
            return NVG_CTL_EXIT_USAGE;
        }
        return nvg_ctl_keygen(&ctl, argv[optind + 1]);
    }
    return run_remote(&ctl, &p, argc - optind, argv + optind);
}
