/* See fake-flows.h. */
#include "fake-flows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-flow-wire.h"
#include "nvg-pkt.h"

#define SLOTS 1024

struct fake_flows {
    struct fake_flows_opts o;
    int64_t start_ns;
    uint64_t next;  /* next flow of the stream */
    size_t n, held; /* in the batch being built; taken for the pack at hand */
    uint64_t sent, skipped, bad_sent, bad_held;
    char long_history[4096];
    struct nvg_flow slots[SLOTS];
    Netvigil__FlowRecord pbs[SLOTS];
    Netvigil__FlowDirection dirs[SLOTS][2];
    Netvigil__FlowRecord *ptrs[SLOTS];
    uint8_t five[5];
};

int fake_flows_opt(struct fake_flows_opts *o, int c, const char *arg)
{
    if (c == 'L')
        o->flows = strtoull(arg, NULL, 10);
    else if (c == 'W')
        o->bad = atoi(arg);
    else
        return 0;
    return 1;
}

static void gen_dirs(uint64_t j, bool tcp, double part, struct nvg_flow *f)
{
    struct nvg_flow_dir *o = &f->dir[0], *r = &f->dir[1];
    o->packets = (uint64_t)((double)(10 + j % 50) * part);
    o->bytes = o->packets * 100 + j % 100;
    r->packets = (uint64_t)((double)(8 + j % 40) * part);
    r->bytes = r->packets * 1000 + j % 1000;
    o->payload_bytes = o->bytes / 2;
    r->payload_bytes = r->bytes / 2;
    if (tcp) {
        o->tcp_flags = NVG_TCP_SYN | NVG_TCP_ACK | NVG_TCP_FIN | NVG_TCP_PSH;
        r->tcp_flags = NVG_TCP_SYN | NVG_TCP_ACK | NVG_TCP_FIN;
        o->retransmissions = (uint32_t)((double)(j % 7) * part);
        r->retransmissions = (uint32_t)((double)(j % 3) * part);
        o->duplicate_acks = (uint32_t)(j % 2);
    }
}

void fake_flow_gen(uint64_t j, int64_t start_ns, struct nvg_flow *f)
{
    memset(f, 0, sizeof(*f));
    /* Pairs (6k+4, 6k+5): the update and the final export of one conversation. */
    bool update = j % 6 == 4, final_of_pair = j % 6 == 5;
    uint64_t c = final_of_pair ? j - 1 : j;
    bool tcp = c % 4 != 3, v6 = c % 10 == 9;
    f->id = c + 1;
    f->export_seq = final_of_pair ? 1 : 0;
    f->end = update ? NVG_FLOW_ACTIVE : tcp ? NVG_FLOW_FIN : NVG_FLOW_IDLE;
    f->ip_version = v6 ? 6 : 4;
    f->proto = tcp ? NVG_PROTO_TCP : NVG_PROTO_UDP;
    f->ip_proto = tcp ? 6 : 17;
    f->flags = NVG_FLOW_HAS_PORTS;
    f->first_ns = start_ns + (int64_t)c * 1000000;
    f->last_ns = f->first_ns + (update ? 1000000000 : 2000000000);
    if (v6) {
        memcpy(f->orig, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
        f->orig[14] = (uint8_t)(c >> 8), f->orig[15] = (uint8_t)c;
        memcpy(f->resp, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
        f->resp[15] = 0xff;
    } else {
        memcpy(f->orig, (uint8_t[]){10, 1, (uint8_t)(c >> 8), (uint8_t)c}, 4);
        memcpy(f->resp, (uint8_t[]){192, 168, (uint8_t)(c % 3), 1}, 4);
    }
    f->orig_port = (uint16_t)((tcp ? 40000 : 33000) + c % 1000);
    f->resp_port = tcp ? 443 : 53;
    gen_dirs(c, tcp, update ? 0.5 : 1.0, f);
    if (tcp) {
        f->flags |= NVG_FLOW_HAS_RTT_SERVER | NVG_FLOW_HAS_RTT_CLIENT;
        f->rtt_server_ns = 1000000 + (int64_t)(c % 1000) * 1000;
        f->rtt_client_ns = 500000;
        snprintf(f->state, sizeof(f->state), "%s", update ? "S1" : "SF");
        snprintf(f->history, sizeof(f->history), "%s", update ? "ShADad" : "ShADadFf");
    } else {
        snprintf(f->state, sizeof(f->state), "SF");
        snprintf(f->history, sizeof(f->history), "Dd");
    }
}

struct fake_flows *fake_flows_new(const struct fake_flows_opts *o, int64_t start_ns)
{
    struct fake_flows *ff = calloc(1, sizeof(*ff));
    if (!ff)
        return NULL;
    ff->o = *o;
    ff->start_ns = start_ns;
    memset(ff->long_history, 'S', sizeof(ff->long_history) - 1);
    memcpy(ff->five, (uint8_t[]){1, 2, 3, 4, 5}, 5);
    for (size_t i = 0; i < SLOTS; i++)
        ff->ptrs[i] = &ff->pbs[i];
    return ff;
}

void fake_flows_free(struct fake_flows *ff)
{
    free(ff);
}

static bool add(struct fake_flows *ff, struct nvg_batch_encoder *enc, const struct nvg_flow *f,
                size_t extra)
{
    if (ff->n == SLOTS || !nvg_batch_encoder_reserve_extra(enc, NVG_FLOW_PACKED_MAX + extra))
        return false;
    ff->slots[ff->n] = *f;
    nvg_flow_to_pb(&ff->slots[ff->n], &ff->pbs[ff->n], ff->dirs[ff->n]);
    ff->n++;
    return true;
}

void fake_flows_due(struct fake_flows *ff, struct nvg_batch_encoder *enc, uint64_t done,
                    uint64_t total, fake_flush_fn flush, void *ud)
{
    uint64_t due = done >= total ? ff->o.flows : ff->o.flows * done / total;
    struct nvg_flow f;
    while (ff->next < due) {
        fake_flow_gen(ff->next, ff->start_ns, &f);
        if (!add(ff, enc, &f, 0)) {
            flush(ud, enc);
            continue;
        }
        ff->next++;
    }
}

void fake_flows_hostile(struct fake_flows *ff, struct nvg_batch_encoder *enc)
{
    struct nvg_flow f;
    for (int i = 0; i < ff->o.bad; i++) {
        fake_flow_gen((uint64_t)i, ff->start_ns, &f);
        if (!add(ff, enc, &f, sizeof(ff->long_history)))
            break; /* one batch's worth at most */
        Netvigil__FlowRecord *pb = &ff->pbs[ff->n - 1];
        if (i % 3 == 0)
            pb->format = NVG_FLOW_FORMAT + 1;
        else if (i % 3 == 1)
            pb->orig = (ProtobufCBinaryData){5, ff->five};
        else
            pb->history = ff->long_history;
        ff->bad_held++;
    }
}

size_t fake_flows_take(struct fake_flows *ff, struct nvg_batch_encoder *enc)
{
    nvg_batch_encoder_set_flows(enc, ff->n ? ff->ptrs : NULL, ff->n);
    ff->held = ff->n;
    ff->n = 0;
    return ff->held;
}

void fake_flows_done(struct fake_flows *ff, bool sent)
{
    if (sent) {
        ff->sent += ff->held;
        ff->bad_sent += ff->bad_held;
    } else {
        ff->skipped += ff->held;
    }
    ff->held = ff->bad_held = 0;
}

uint64_t fake_flows_sent(const struct fake_flows *ff)
{
    return ff->sent + ff->skipped; /* as a sensor counts a batch lost in transit: sent */
}

bool fake_flows_ack_ok(const struct fake_flows *ff, const Netvigil__EndOfStreamAck *a, char *line,
                       size_t size)
{
    snprintf(line, size,
             "ack flows_received=%" PRIu64 " flows_refused=%" PRIu64
             " flows_write_failures=%" PRIu64 " flows_partial=%d flows_sent=%" PRIu64
             " bad=%" PRIu64 " skipped=%" PRIu64,
             a->flows_received, a->flows_refused, a->flows_write_failures, (int)a->flows_partial,
             ff->sent, ff->bad_sent, ff->skipped);
    return a->flows_received == ff->sent - ff->bad_sent && a->flows_refused == ff->bad_sent;
}
