/* `netvigil-ctl status`: one STATUS request on the control socket, printed as a table or as
 * JSON. A collector that does not answer within the timeout is an error, never a hang. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl.h"
#include "nvg-error.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

static void human_rate(char *buf, size_t size, double v)
{
    if (v >= 1e9)
        snprintf(buf, size, "%.1fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, size, "%.1fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, size, "%.1fk", v / 1e3);
    else
        snprintf(buf, size, "%.0f", v);
}

static void last_seen(char *buf, size_t size, int64_t ms)
{
    if (!ms) {
        snprintf(buf, size, "never");
        return;
    }
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_table(const Netvigil__CollectorStatus *st)
{
    printf("%-16s %-8s %-16s %-16s %8s %8s %23s  %s\n", "SENSOR", "STATE", "SOURCE", "FILTER",
           "PKT/S", "BYTES/S", "DROPS KERN/SENS/LINK/COLL", "LAST SEEN");
    for (size_t i = 0; i < st->n_sensors; i++) {
        const Netvigil__SensorSummary *s = st->sensors[i];
        const Netvigil__SensorStatus *h = s->last_status;
        char pps[16], bps[16], seen[32], drops[64];
        human_rate(pps, sizeof(pps), s->packets_per_s);
        human_rate(bps, sizeof(bps), s->bytes_per_s);
        last_seen(seen, sizeof(seen), s->last_seen_ms);
        snprintf(drops, sizeof(drops), "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
                 h->pcap_dropped + h->pcap_ifdropped, h->records_dropped, s->batches_lost,
                 s->write_failures);
        printf("%-16s %-8s %-16.16s %-16.16s %8s %8s %23s  %s\n", h->sensor,
               nvg_wire_summary_state(s), h->source, h->filter[0] ? h->filter : "-", pps, bps,
               drops, seen);
    }
    printf("collector: %" PRIu64 " records written, %" PRIu64 " write failures, %" PRIu64
           " rejected messages (malformed %" PRIu64 ", unknown %" PRIu64 ", refused %" PRIu64
           ", invalid batches %" PRIu64 "), %" PRIu64 " disconnects\n",
           st->records_written, st->write_failures, st->rejected_messages, st->malformed_messages,
           st->unknown_messages, st->refused_messages, st->invalid_batches, st->disconnects);
    printf("control: %" PRIu64 " commands sent, %" PRIu64 " timed out, %" PRIu64
           " requests rejected; audit log %s\n",
           st->commands_sent, st->commands_timed_out, st->control_rejected,
           st->audit_file && *st->audit_file ? st->audit_file : "-");
}

void nvg_ctl_json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

#define JU(name, v) printf(",\"%s\":%" PRIu64, name, (uint64_t)(v))

static void print_json_sensor(const Netvigil__SensorSummary *s)
{
    const Netvigil__SensorStatus *h = s->last_status;
    printf("{\"sensor\":");
    nvg_ctl_json_str(h->sensor);
    printf(",\"state\":");
    nvg_ctl_json_str(nvg_wire_summary_state(s));
    printf(",\"connected\":%s,\"source\":", s->connected ? "true" : "false");
    nvg_ctl_json_str(h->source);
    printf(",\"filter\":");
    nvg_ctl_json_str(h->filter);
    printf(",\"boot_id\":\"%016" PRIx64 "\"", h->boot_id);
    printf(",\"packets_per_s\":%.1f,\"bytes_per_s\":%.1f", s->packets_per_s, s->bytes_per_s);
    JU("records_received", s->records_received);
    JU("batches_received", s->batches_received);
    JU("batches_lost", s->batches_lost);
    JU("invalid_batches", s->invalid_batches);
    JU("last_batch_seq", s->last_batch_seq);
    JU("boot_records_received", s->boot_records_received);
    JU("kernel_drops", h->pcap_dropped + h->pcap_ifdropped);
    JU("pcap_dropped", h->pcap_dropped);
    JU("pcap_ifdropped", h->pcap_ifdropped);
    JU("sensor_drops", h->records_dropped);
    JU("link_drops", s->batches_lost);
    JU("write_failures", s->write_failures);
    JU("records_sent", h->records_sent);
    printf(",\"last_seen_ms\":%" PRId64 "}", s->last_seen_ms);
}

static void print_json(const Netvigil__CollectorStatus *st)
{
    printf("{\"uptime_ms\":%" PRId64, st->uptime_ms);
    JU("records_written", st->records_written);
    JU("write_failures", st->write_failures);
    JU("rejected_messages", st->rejected_messages);
    JU("malformed_messages", st->malformed_messages);
    JU("unknown_messages", st->unknown_messages);
    JU("refused_messages", st->refused_messages);
    JU("invalid_batches", st->invalid_batches);
    JU("disconnects", st->disconnects);
    JU("commands_sent", st->commands_sent);
    JU("commands_timed_out", st->commands_timed_out);
    JU("control_rejected", st->control_rejected);
    printf(",\"audit_file\":");
    nvg_ctl_json_str(st->audit_file);
    printf(",\"packets_file\":");
    nvg_ctl_json_str(st->packets_file);
    printf(",\"rates_file\":");
    nvg_ctl_json_str(st->rates_file);
    printf(",\"sensors\":[");
    for (size_t i = 0; i < st->n_sensors; i++) {
        if (i)
            putchar(',');
        print_json_sensor(st->sensors[i]);
    }
    printf("]}\n");
}

int nvg_ctl_status(struct nvg_ctl *ctl)
{
    void *sock = nvg_ctl_control_socket(ctl);
    if (!sock)
        return 1;
    int timeout = ctl->timeout_ms > 0 ? ctl->timeout_ms : NVG_CTL_STATUS_TIMEOUT_MS;
    Netvigil__ControlRequest req = NETVIGIL__CONTROL_REQUEST__INIT;
    req.kind = NETVIGIL__COMMAND_KIND__COMMAND_STATUS;
    Netvigil__ControlReply *r = nvg_ctl_request(ctl, sock, &req, timeout);
    zmq_close(sock);
    if (!r) {
        fprintf(stderr,
                "netvigil-ctl: no answer from the collector at %s within %d ms (not "
                "running or not reachable?)\n",
                ctl->control_ep, timeout);
        return 1;
    }
    int rc = 0;
    if (!r->ok || !r->status) {
        fprintf(stderr, "netvigil-ctl: the collector refused: %s\n",
                r->error && *r->error ? r->error : "(no reason)");
        rc = 1;
    } else if (ctl->json) {
        print_json(r->status);
    } else {
        print_table(r->status);
    }
    netvigil__control_reply__free_unpacked(r, NULL);
    return rc;
}
