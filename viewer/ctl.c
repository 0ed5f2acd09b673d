/* netvigil-ctl: the command-line client of a collector.
 *
 *   netvigil-ctl [--collector HOST] status [--json]
 *   netvigil-ctl [--collector HOST] tail [--proto P] [--src NET] [--dst NET] [--port N]
 *                                        [--sensor NAME] [--count N]
 *   netvigil-ctl [--collector HOST] rates [--count N]
 *
 * Commands that act on sensors (start, stop, restart, filter) arrive with the control plane;
 * they will be one more entry in the command table below. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: netvigil-ctl [OPTION]... COMMAND\n"
            "Watch a netvigil collector.\n\n"
            "Commands:\n"
            "  status                 sensors, rates and losses at every hop\n"
            "  tail                   print packet records as they arrive\n"
            "  rates                  print per-second rates as they are closed\n\n"
            "Options:\n"
            "  --collector HOST       collector host (default localhost)\n"
            "  --feed-endpoint EP     live feed endpoint (default tcp://HOST:7701)\n"
            "  --control-endpoint EP  control endpoint (default tcp://HOST:7702)\n"
            "  --timeout MS           status request timeout (default 3000)\n"
            "  --json                 status as JSON\n"
            "  --proto P              tail: only this protocol (tcp, udp, icmp, icmpv6, arp, ...)\n"
            "  --src ADDR[/PREFIX]    tail: only from this address or network\n"
            "  --dst ADDR[/PREFIX]    tail: only to this address or network\n"
            "  --port N               tail: only with this source or destination port\n"
            "  --sensor NAME          tail: only from this sensor\n"
            "  --count N              tail, rates: stop after N lines\n"
            "  -h, --help             show this help\n"
            "  -V, --version          show the version\n");
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
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

struct parsed {
    const char *host, *feed, *control;
};

static int bad(const char *what, const char *value)
{
    fprintf(stderr, "netvigil-ctl: invalid %s '%s'\n", what, value);
    return -1;
}

static int apply_opt(struct nvg_ctl *ctl, struct parsed *p, int c, const char *arg)
{
    char *end;
    switch (c) {
    case OPT_COLLECTOR: p->host = arg; return 0;
    case OPT_FEED: p->feed = arg; return 0;
    case OPT_CONTROL: p->control = arg; return 0;
    case OPT_JSON: ctl->json = true; return 0;
    case OPT_TIMEOUT:
        ctl->timeout_ms = (int)strtol(arg, &end, 10);
        return (*end || ctl->timeout_ms <= 0) ? bad("timeout", arg) : 0;
    case OPT_PROTO:
        return nvg_ctl_parse_proto(arg, &ctl->filter.proto) < 0 ? bad("protocol", arg) : 0;
    case OPT_SRC:
        return nvg_ctl_parse_net(arg, &ctl->filter.src) < 0 ? bad("source", arg) : 0;
    case OPT_DST:
        return nvg_ctl_parse_net(arg, &ctl->filter.dst) < 0 ? bad("destination", arg) : 0;
    case OPT_PORT:
        return nvg_ctl_parse_port(arg, &ctl->filter.port) < 0 ? bad("port", arg) : 0;
    case OPT_SENSOR:
        if (strlen(arg) == 0 || strlen(arg) > NVG_SENSOR_NAME_MAX)
            return bad("sensor name", arg);
        snprintf(ctl->filter.sensor, sizeof(ctl->filter.sensor), "%s", arg);
        return 0;
    case OPT_COUNT:
        ctl->count = strtol(arg, &end, 10);
        return (*end || ctl->count <= 0) ? bad("count", arg) : 0;
    case 'h': usage(stdout); return 1;
    case 'V': printf("netvigil-ctl %s\n", NVG_VERSION); return 1;
    default: usage(stderr); return -1;
    }
}

static int endpoints(struct nvg_ctl *ctl, const struct parsed *p)
{
    const char *host = p->host ? p->host : "localhost";
    if (p->feed)
        snprintf(ctl->feed_ep, sizeof(ctl->feed_ep), "%s", p->feed);
    else if (nvg_zmq_endpoint(ctl->feed_ep, sizeof(ctl->feed_ep), host, NVG_PORT_FEED) < 0)
        return bad("collector host", host);
    if (p->control)
        snprintf(ctl->control_ep, sizeof(ctl->control_ep), "%s", p->control);
    else if (nvg_zmq_endpoint(ctl->control_ep, sizeof(ctl->control_ep), host,
                              NVG_PORT_CONTROL) < 0)
        return bad("collector host", host);
    return 0;
}

static const struct {
    const char *name;
    int (*run)(struct nvg_ctl *ctl);
} commands[] = {
    {"status", nvg_ctl_status},
    {"tail", nvg_ctl_tail},
    {"rates", nvg_ctl_rates},
};

int main(int argc, char **argv)
{
    struct nvg_ctl ctl = {.timeout_ms = 3000};
    struct parsed p = {0};
    nvg_ctl_filter_init(&ctl.filter);
    int c;
    while ((c = getopt_long(argc, argv, "hV", long_opts, NULL)) != -1) {
        int rc = apply_opt(&ctl, &p, c, optarg);
        if (rc != 0)
            return rc > 0 ? 0 : 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "netvigil-ctl: expected one command (status, tail, rates); see --help\n");
        return 2;
    }
    if (endpoints(&ctl, &p) < 0)
        return 2;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[optind], commands[i].name) != 0)
            continue;
        ctl.zctx = zmq_ctx_new();
        if (!ctl.zctx)
            return 1;
        int rc = commands[i].run(&ctl);
        zmq_ctx_term(ctl.zctx);
        return rc;
    }
    fprintf(stderr, "netvigil-ctl: unknown command '%s'; see --help\n", argv[optind]);
    return 2;
}
