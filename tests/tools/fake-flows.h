/* nvg-fake-sensor's conversation records (--flows N, --bad-flows N): a deterministic stream
 * of synthetic flow records riding in the fake sensor's batches, spread over them like the
 * records, and hostile ones the collector must refuse and count. */
#ifndef FAKE_FLOWS_H
#define FAKE_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netvigil.pb-c.h"
#include "nvg-flow.h"
#include "nvg-wire.h"

struct fake_flows_opts {
    uint64_t flows; /* --flows N */
    int bad;        /* --bad-flows N: in one batch before the stream */
};

/* 1 when c (getopt's) is one of ours ('L' --flows, 'W' --bad-flows), else 0. */
int fake_flows_opt(struct fake_flows_opts *o, int c, const char *arg);

/* Flow j of the stream, the first one starting at start_ns: tests/collector/test_flows.py
 * predicts nothing from it but reads the CSV back, so only the shape matters: TCP and UDP,
 * IPv4 and some IPv6, every sixth pair an update then the final export of one conversation. */
void fake_flow_gen(uint64_t j, int64_t start_ns, struct nvg_flow *f);

struct fake_flows;
struct fake_flows *fake_flows_new(const struct fake_flows_opts *o, int64_t start_ns);
void fake_flows_free(struct fake_flows *ff);

typedef void (*fake_flush_fn)(void *ud, struct nvg_batch_encoder *enc);
/* Adds the flows due once done of total records are in the batches (all when done == total),
 * calling flush(ud) when the batch has no room. */
void fake_flows_due(struct fake_flows *ff, struct nvg_batch_encoder *enc, uint64_t done,
                    uint64_t total, fake_flush_fn flush, void *ud);
/* The --bad-flows records: another format, a 5-byte address, a 4 KiB history, in turn. */
void fake_flows_hostile(struct fake_flows *ff, struct nvg_batch_encoder *enc);
/* Hand the held flows to the encoder for the pack at hand; then _done says whether that batch
 * was sent or skipped on purpose. Returns their number. */
size_t fake_flows_take(struct fake_flows *ff, struct nvg_batch_encoder *enc);
void fake_flows_done(struct fake_flows *ff, bool sent);
/* Flow records in batches sent, the --skip-seq ones included: they play batches lost in
 * transit (EndOfStream.flows). */
uint64_t fake_flows_sent(const struct fake_flows *ff);
/* Whether the ack counts the flows as sent: the good ones taken, the bad ones refused. A line
 * saying so goes to line. */
bool fake_flows_ack_ok(const struct fake_flows *ff, const Netvigil__EndOfStreamAck *a, char *line,
                       size_t size);

#endif
