/* Fuzz netvigil-ctl's feed printers (viewer/ctl/ctl-feed-print.c, ctl-flows.c): Batch (tail),
 * RateBatch (rates), Event (events) and FlowBatch (flows) bodies, each unpacked into ctl's capped
 * arena and printed, with the drop counters and the per-sensor sequence-gap table carried from one
 * message to the next as in a real subscription.
 *
 * Input: pieces separated by FUZZ_SEP; in each the first byte picks the printer (modulo 5: 0
 * batch, 1 rates, 2 event, 3 a message that is not topic + body, 4 flows, with its sort key
 * and JSON or lines from the byte's upper bits) and the second the line limit (0 = none),
 * the rest is the body. Checked: a printer never prints more lines than its
 * limit, the counters add up, and every printed line, the report included, is printable UTF-8
 * (fuzz-ctl-common.h). */
#include "ctl-core.h"
#include "fuzz-ctl-common.h"

#define MAX_PIECES 64

typedef long (*printer)(struct nvg_ctl_feed *f, FILE *out, const void *data, size_t len,
                        long limit);

static long count_lines(const char *buf, size_t len)
{
    long n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    return n;
}

static void one_piece(struct nvg_ctl_feed *f, const uint8_t *piece, size_t len)
{
    static const printer printers[] = {nvg_ctl_feed_batch, nvg_ctl_feed_rates, nvg_ctl_feed_event,
                                       NULL, nvg_ctl_feed_flows};
    if (len < 2)
        return;
    unsigned which = piece[0] % 5;
    nvg_ctl_flows_setup((enum nvg_ctl_sort)(piece[0] / 5 % 5), piece[0] / 25 % 2);
    if (which == 3) {
        nvg_ctl_feed_count_malformed(f);
        return;
    }
    long limit = piece[1] % 8;
    char *buf;
    size_t blen;
    FILE *out = fuzz_ctl_open(&buf, &blen);
    long n = printers[which](f, out, piece + 2, len - 2, limit);
    FUZZ_CHECK(fflush(out) == 0);
    FUZZ_CHECK(n >= 0 && (limit == 0 || n <= limit || which == 2));
    FUZZ_CHECK(count_lines(buf, blen) == n);
    fuzz_ctl_check_output(out, &buf, &blen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nvg_ctl_feed *f = nvg_ctl_feed_new(NULL);
    FUZZ_CHECK(f != NULL);
    size_t off = 0;
    const uint8_t *piece;
    size_t len;
    unsigned pieces = 0;
    for (int i = 0; i < MAX_PIECES && fuzz_next_piece(data, size, &off, &piece, &len); i++) {
        one_piece(f, piece, len);
        pieces += len >= 2 && piece[0] % 5 != 3;
    }
    struct nvg_ctl_feed_counts c;
    nvg_ctl_feed_counts(f, &c);
    FUZZ_CHECK(c.messages == pieces && c.dropped <= c.messages);
    char *buf;
    size_t blen;
    FILE *out = fuzz_ctl_open(&buf, &blen);
    nvg_ctl_feed_report(f, out);
    fuzz_ctl_check_output(out, &buf, &blen);
    nvg_ctl_feed_free(f);
    return 0;
}
