/* The printers of `netvigil-ctl flows` and `hosts` (ctl-flows.c has the commands), apart so
 * that the fuzz harnesses link them without sockets.
 *
 * flows follows the feed topic "flow": each FlowBatch is unpacked into the feed's capped
 * arena, every record validated (nvg_flow_from_pb; a bad one is dropped and counted as
 * malformed), matched against the display filter, and the batch's records printed sorted by
 * --sort, heaviest first: one line each, or with --json one object per line. The filter takes
 * a conversation as a packet from orig to resp: --src matches the initiator, --dst the
 * responder, --port either port, --proto the protocol, --sensor the sensor.
 *
 * hosts asks COMMAND_HOSTS once and prints the per-host totals, sorted by --sort. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-core.h"
#include "nvg-feed-skip.h"
#include "nvg-flow-wire.h"
#include "nvg-text.h"

static enum nvg_ctl_sort sort_key; /* of the command at hand */

static double flow_key(const struct nvg_flow *f)
{
    double bytes = (double)f->dir[0].bytes + (double)f->dir[1].bytes;
    double dur = (double)(f->last_ns - f->first_ns) / 1e9;
    switch (sort_key) {
    case NVG_CTL_SORT_RATE:
        return dur > 0 ? bytes / dur : bytes;
    case NVG_CTL_SORT_DURATION:
        return dur;
    case NVG_CTL_SORT_RTT:
        return (f->flags & NVG_FLOW_HAS_RTT_SERVER) && (f->flags & NVG_FLOW_HAS_RTT_CLIENT)
                   ? (double)f->rtt_server_ns + (double)f->rtt_client_ns
                   : -1;
    case NVG_CTL_SORT_RETRANS:
        return (double)f->dir[0].retransmissions + (double)f->dir[1].retransmissions;
    default:
        return bytes;
    }
}

static int by_key(const void *a, const void *b)
{
    double x = flow_key(a), y = flow_key(b);
    return x < y ? 1 : x > y ? -1 : 0;
}

static void json_flow(FILE *out, const char *sensor, const struct nvg_flow *f)
{
    char o[48], r[48];
    nvg_format_addr(o, f->orig, f->ip_version);
    nvg_format_addr(r, f->resp, f->ip_version);
    fputs("{\"sensor\":", out);
    nvg_ctl_json_str(out, sensor);
    fprintf(out,
            ",\"id\":%" PRIu64 ",\"update\":%" PRIu32 ",\"end\":\"%s\",\"proto\":\"%s\","
            "\"first_ns\":%" PRId64 ",\"last_ns\":%" PRId64 ",\"orig\":\"%s\",\"orig_port\":%u,"
            "\"resp\":\"%s\",\"resp_port\":%u,\"orig_packets\":%" PRIu64 ",\"orig_bytes\":%" PRIu64
            ",\"resp_packets\":%" PRIu64 ",\"resp_bytes\":%" PRIu64 ",\"orig_retrans\":%" PRIu32
            ",\"resp_retrans\":%" PRIu32,
            f->id, f->export_seq, nvg_flow_end_name((enum nvg_flow_end)f->end),
            nvg_proto_name((enum nvg_proto)f->proto), f->first_ns, f->last_ns, o, f->orig_port, r,
            f->resp_port, f->dir[0].packets, f->dir[0].bytes, f->dir[1].packets, f->dir[1].bytes,
            f->dir[0].retransmissions, f->dir[1].retransmissions);
    if ((f->flags & NVG_FLOW_HAS_RTT_SERVER) && (f->flags & NVG_FLOW_HAS_RTT_CLIENT))
        fprintf(out, ",\"rtt_ns\":%" PRId64, f->rtt_server_ns + f->rtt_client_ns);
    fputs(",\"state\":", out);
    nvg_ctl_json_str(out, f->state);
    fputs(",\"history\":", out);
    nvg_ctl_json_str(out, f->history);
    fputs("}\n", out);
}

static bool json_out;

long nvg_ctl_feed_flows(struct nvg_ctl_feed *feed, FILE *out, const void *data, size_t len,
                        long limit)
{
    Netvigil__FlowBatch *fb = netvigil__flow_batch__unpack(nvg_ctl_feed_arena(feed), len, data);
    char sensor[NVG_NAME_MAX + 1] = "?";
    if (!fb) {
        nvg_ctl_feed_count_malformed(feed);
        return 0;
    }
    if (fb->sensor && nvg_name_valid(fb->sensor))
        snprintf(sensor, sizeof(sensor), "%s", fb->sensor);
    /* On stderr: stdout stays one flow per line (JSON included). */
    uint64_t skipped =
        nvg_feed_skips_batch(nvg_ctl_feed_skips(feed), sensor, fb->feed_offset, fb->n_flows);
    if (skipped)
        fprintf(stderr,
                "netvigil-ctl: skipped %" PRIu64
                " conversation records of %s (the subscriber fell behind)\n",
                skipped, sensor);
    struct nvg_flow *v = fb->n_flows ? malloc(fb->n_flows * sizeof(*v)) : NULL;
    size_t n = 0;
    for (size_t i = 0; v && i < fb->n_flows; i++) {
        if (nvg_flow_from_pb(fb->flows[i], &v[n]) != 0)
            nvg_ctl_feed_count_malformed(feed);
        else if (nvg_flow_filter_match(nvg_ctl_feed_filter(feed), sensor, &v[n]))
            n++;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), by_key);
    long printed = 0;
    char line[NVG_FLOW_LINE_MAX];
    for (size_t i = 0; i < n && (limit <= 0 || printed < limit); i++, printed++) {
        if (json_out)
            json_flow(out, sensor, &v[i]);
        else
            fwrite(line, 1, nvg_flow_format_line(line, &v[i], sensor), out);
    }
    free(v);
    return printed;
}

void nvg_ctl_flows_setup(enum nvg_ctl_sort sort, bool json)
{
    sort_key = sort;
    json_out = json;
}

/* ---- hosts ----------------------------------------------------------------------------- */

static double host_key(const Netvigil__HostTotal *h)
{
    switch (sort_key) {
    case NVG_CTL_SORT_RATE:
        return h->in_per_s_10s + h->out_per_s_10s;
    case NVG_CTL_SORT_RETRANS:
        return h->tcp_frames ? (double)h->tcp_retransmissions / (double)h->tcp_frames : 0;
    case NVG_CTL_SORT_DURATION: /* conversations: what a host has instead of a duration */
        return (double)h->conversations;
    default:
        return (double)h->bytes_in + (double)h->bytes_out;
    }
}

static int host_cmp(const void *a, const void *b)
{
    double x = host_key(*(Netvigil__HostTotal *const *)a),
           y = host_key(*(Netvigil__HostTotal *const *)b);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* A hostile collector's NaN or infinity would make the JSON invalid. */
static double finite_or_0(double v)
{
    return isfinite(v) ? v : 0;
}

static void print_host(FILE *out, const Netvigil__HostTotal *h, bool json)
{
    char a[48] = "?";
    if ((h->ip_version == 4 && h->addr.len == 4) || (h->ip_version == 6 && h->addr.len == 16)) {
        uint8_t raw[16] = {0};
        memcpy(raw, h->addr.data, h->addr.len);
        nvg_format_addr(a, raw, (int)h->ip_version);
    }
    double ratio = h->tcp_frames ? (double)h->tcp_retransmissions / (double)h->tcp_frames : 0;
    if (json)
        fprintf(out,
                "{\"host\":\"%s\",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
                ",\"in_per_s_10s\":%.1f,\"out_per_s_10s\":%.1f,\"in_per_s_60s\":%.1f,"
                "\"out_per_s_60s\":%.1f,\"conversations\":%" PRIu64 ",\"tcp_frames\":%" PRIu64
                ",\"tcp_retransmissions\":%" PRIu64 ",\"error\":%" PRIu64 "}\n",
                a, h->bytes_in, h->bytes_out, finite_or_0(h->in_per_s_10s),
                finite_or_0(h->out_per_s_10s), finite_or_0(h->in_per_s_60s),
                finite_or_0(h->out_per_s_60s), h->conversations, h->tcp_frames,
                h->tcp_retransmissions, h->error);
    else
        fprintf(out, "%-39s %14" PRIu64 " %14" PRIu64 " %12.0f %12.0f %8" PRIu64 " %7.3f%%\n", a,
                h->bytes_in, h->bytes_out, h->in_per_s_10s, h->out_per_s_10s, h->conversations,
                100.0 * ratio);
}

void nvg_ctl_hosts_print(FILE *out, Netvigil__ControlReply *r, enum nvg_ctl_sort sort, bool json)
{
    sort_key = sort;
    size_t n = 0;
    for (size_t i = 0; i < r->n_hosts; i++)
        if (r->hosts[i])
            r->hosts[n++] = r->hosts[i];
    if (n > 1)
        qsort(r->hosts, n, sizeof(*r->hosts), host_cmp);
    if (!json)
        fprintf(out, "%-39s %14s %14s %12s %12s %8s %8s\n", "HOST", "BYTES_IN", "BYTES_OUT",
                "IN_B/S_10S", "OUT_B/S_10S", "CONVS", "RETRANS");
    for (size_t i = 0; i < n; i++)
        print_host(out, r->hosts[i], json);
    const Netvigil__HostTable *t = r->host_table;
    if (t && !json)
        fprintf(out,
                "(%" PRIu64 " of at most %u hosts tracked, %" PRIu64 " evicted, %" PRIu64
                " conversation records, %" PRIu64 " counted whole past the id cache)\n",
                t->tracked, t->capacity, t->evictions, t->flows, t->uncached_updates);
}
