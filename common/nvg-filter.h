/* The display filter both clients apply to the live feed (`netvigil-ctl tail`, the viewer's
 * Packets page): protocol, source / destination network, port, sensor. Parsing is separate from
 * matching so both can be unit-tested. */
#ifndef NVG_FILTER_H
#define NVG_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "nvg-format.h"
#include "nvg-pkt.h"

struct nvg_filter_net {
    bool set;
    uint8_t ip_version; /* 4 or 6 */
    uint8_t addr[16];   /* masked to prefix */
    uint8_t prefix;     /* bits */
};

struct nvg_filter {
    int proto; /* enum nvg_proto, -1 = any */
    struct nvg_filter_net src, dst;
    int port; /* -1 = any; matches sport or dport */
    /* src and dst match either way round: both directions of a conversation. */
    bool both_ways;
    char sensor[NVG_SENSOR_NAME_MAX + 1]; /* "" = any */
    /* Capture time span: from_ns <= ts_ns < to_ns; INT64_MIN / INT64_MAX leave a side open
     * (a record at INT64_MAX, a clamped time, then matches an open end). */
    int64_t from_ns, to_ns;
};

void nvg_filter_init(struct nvg_filter *f);
/* "10.0.0.0/8", "2001:db8::1", "192.168.1.7". Returns 0 or NVG_EINVAL. */
int nvg_filter_parse_net(const char *text, struct nvg_filter_net *net);
int nvg_filter_parse_port(const char *text, int *port);
/* "tcp", "UDP", "icmpv6", ... Returns 0 or NVG_EINVAL. */
int nvg_filter_parse_proto(const char *text, int *proto);
/* "FROM..TO", each side an ISO 8601 UTC time as the CSV and rates log write it (a fraction
 * and the 'Z' optional, the fraction ignored: whole seconds, TO's second included) or empty
 * for an open side ("2024-07-28T18:58:41Z.."). Returns 0 or NVG_EINVAL. */
int nvg_filter_parse_span(const char *text, int64_t *from_ns, int64_t *to_ns);
bool nvg_filter_match(const struct nvg_filter *f, const char *sensor, const struct nvg_pkt *pkt);

#endif
