#include "nvg-filter.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-error.h"
#include "nvg-format.h"

void nvg_filter_init(struct nvg_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->proto = -1;
    f->port = -1;
    f->from_ns = INT64_MIN;
    f->to_ns = INT64_MAX;
}

static void mask_addr(uint8_t *addr, int bytes, int prefix)
{
    for (int i = 0; i < bytes; i++) {
        int keep = prefix - 8 * i;
        if (keep >= 8)
            continue;
        addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

int nvg_filter_parse_net(const char *text, struct nvg_filter_net *net)
{
    char buf[INET6_ADDRSTRLEN + 8];
    if (strlen(text) >= sizeof(buf))
        return NVG_EINVAL;
    strcpy(buf, text);
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        prefix = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end || prefix < 0)
            return NVG_EINVAL;
    }
    memset(net, 0, sizeof(*net));
    if (inet_pton(AF_INET, buf, net->addr) == 1)
        net->ip_version = 4;
    else if (inet_pton(AF_INET6, buf, net->addr) == 1)
        net->ip_version = 6;
    else
        return NVG_EINVAL;
    int bits = net->ip_version == 4 ? 32 : 128;
    if (prefix > bits)
        return NVG_EINVAL;
    net->prefix = (uint8_t)(prefix < 0 ? bits : prefix);
    mask_addr(net->addr, bits / 8, net->prefix);
    net->set = true;
    return 0;
}

int nvg_filter_parse_port(const char *text, int *port)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end || v < 0 || v > 65535)
        return NVG_EINVAL;
    *port = (int)v;
    return 0;
}

int nvg_filter_parse_proto(const char *text, int *proto)
{
    int p = nvg_proto_from_name(text);
    if (p < 0)
        return NVG_EINVAL;
    *proto = p;
    return 0;
}

/* One side of a span, in ns: the second's start, or the next second's for the end side. */
static int span_side(const char *s, size_t n, bool end, int64_t *ns)
{
    int64_t sec;
    /* The time parser stops reading after the seconds: keep junk ("Z x") out here. */
    if (strspn(s, "0123456789+-:.TZ") < n || nvg_parse_time_iso_sec(s, n, &sec) < 0)
        return NVG_EINVAL;
    if (end && sec < INT64_MAX)
        sec++;
    /* Seconds past the int64-nanosecond range are the nearest time a record can hold. */
    const int64_t lim = INT64_MAX / 1000000000;
    *ns = sec > lim ? INT64_MAX : sec < -lim ? INT64_MIN : sec * 1000000000;
    return 0;
}

int nvg_filter_parse_span(const char *text, int64_t *from_ns, int64_t *to_ns)
{
    const char *dots = strstr(text, "..");
    if (!dots)
        return NVG_EINVAL;
    int64_t from = INT64_MIN, to = INT64_MAX;
    size_t nfrom = (size_t)(dots - text), nto = strlen(dots + 2);
    if (nfrom && span_side(text, nfrom, false, &from) < 0)
        return NVG_EINVAL;
    if (nto && span_side(dots + 2, nto, true, &to) < 0)
        return NVG_EINVAL;
    if (nfrom && nto && from >= to)
        return NVG_EINVAL;
    *from_ns = from;
    *to_ns = to;
    return 0;
}

static bool net_match(const struct nvg_filter_net *net, int ip_version, const uint8_t *addr)
{
    if (!net->set)
        return true;
    if (ip_version != net->ip_version)
        return false;
    uint8_t a[16];
    int bytes = ip_version == 4 ? 4 : 16;
    memcpy(a, addr, (size_t)bytes);
    mask_addr(a, bytes, net->prefix);
    return memcmp(a, net->addr, (size_t)bytes) == 0;
}

bool nvg_filter_match(const struct nvg_filter *f, const char *sensor, const struct nvg_pkt *pkt)
{
    if (f->proto >= 0 && pkt->proto != f->proto)
        return false;
    /* The topic prefix "rec/ab" also delivers "rec/abc": compare the name itself. */
    if (f->sensor[0] && strcmp(f->sensor, sensor) != 0)
        return false;
    if (pkt->ts_ns < f->from_ns || (f->to_ns != INT64_MAX && pkt->ts_ns >= f->to_ns))
        return false;
    if (f->port >= 0 &&
        (!(pkt->flags & NVG_PKT_HAS_PORTS) || (pkt->sport != f->port && pkt->dport != f->port)))
        return false;
    if (net_match(&f->src, pkt->ip_version, pkt->src) &&
        net_match(&f->dst, pkt->ip_version, pkt->dst))
        return true;
    return f->both_ways && net_match(&f->src, pkt->ip_version, pkt->dst) &&
           net_match(&f->dst, pkt->ip_version, pkt->src);
}
