/* Fuzz the conversation table (sensor/flow/) fed by the decoder.
 *
 * Input: [link][capacity][frame][SEP][dt][frame][SEP]... : pieces split by FUZZ_SEP; the first
 * byte picks the link type (as fuzz-decode), the second the table's capacity (1..16), and each
 * later piece starts with a time step (0..255 ms, so that timeouts and the 3 ms / 20 ms / RTT
 * thresholds are crossed) followed by one frame. The table is small and its timeouts short, so
 * eviction, expiry, updates and port reuse all happen. Every export is checked (counts,
 * NUL-terminated state and history, the end reason), and at the end the counters: every
 * conversation created is exported with end=stopped or earlier, and none is left. */
#include <string.h>

#include "decode.h"
#include "flow-table.h"
#include "fuzz.h"
#include "nvg-flow.h"

static const int link_types[] = {1, 101, 113, 276, 0, 228, 229};
#define N_LINK (sizeof(link_types) / sizeof(link_types[0]))

struct tally {
    uint64_t records, finals;
};

static int check_flow(void *ud, const struct nvg_flow *f)
{
    struct tally *t = ud;
    FUZZ_CHECK(f->end < NVG_FLOW_END_COUNT);
    FUZZ_CHECK(memchr(f->state, '\0', sizeof(f->state)) != NULL);
    FUZZ_CHECK(memchr(f->history, '\0', sizeof(f->history)) != NULL);
    FUZZ_CHECK(f->dir[0].packets + f->dir[1].packets > 0);
    FUZZ_CHECK(f->ip_version == 4 || f->ip_version == 6);
    FUZZ_CHECK(f->dir[0].retransmissions <= f->dir[0].packets);
    FUZZ_CHECK(f->dir[1].duplicate_acks <= f->dir[1].packets);
    FUZZ_CHECK(f->last_ns >= f->first_ns);
    char line[NVG_FLOW_CSV_LINE_MAX];
    FUZZ_CHECK(nvg_flow_format_csv(line, f, "fuzz", 4) < NVG_FLOW_CSV_LINE_MAX);
    char text[NVG_FLOW_LINE_MAX];
    FUZZ_CHECK(nvg_flow_format_line(text, f, "fuzz") < NVG_FLOW_LINE_MAX);
    t->records++;
    if (f->end != NVG_FLOW_ACTIVE)
        t->finals++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct tally tally = {0, 0};
    struct nvg_flow_config cfg;
    nvg_flow_config_default(&cfg);
    cfg.capacity = 1u + data[1] % 16u;
    cfg.idle_ns = 300 * 1000000LL;
    cfg.syn_ns = 200 * 1000000LL;
    cfg.closed_ns = 100 * 1000000LL;
    cfg.tcp_ns = 900 * 1000000LL;
    cfg.active_ns = 500 * 1000000LL;
    struct nvg_flow_table *t = nvg_flow_table_new(&cfg, check_flow, &tally);
    FUZZ_CHECK(t != NULL);
    struct nvg_decoder dec;
    nvg_decoder_init(&dec, link_types[data[0] % N_LINK], 0);
    int64_t ts = 1722193121000000000LL;
    size_t off = 2;
    const uint8_t *piece;
    size_t len;
    while (fuzz_next_piece(data, size, &off, &piece, &len)) {
        if (len == 0)
            continue;
        ts += (int64_t)piece[0] * 1000000LL;
        uint32_t caplen = (uint32_t)(len - 1);
        uint8_t *frame = malloc(caplen ? caplen : 1);
        FUZZ_CHECK(frame != NULL);
        memcpy(frame, piece + 1, caplen);
        struct nvg_pkt pkt;
        nvg_decode(&dec, caplen ? frame : NULL, caplen, caplen, ts, &pkt);
        FUZZ_CHECK(nvg_flow_table_packet(t, &pkt, &dec.l4) == 0);
        free(frame);
    }
    FUZZ_CHECK(nvg_flow_table_stop(t) == 0);
    struct nvg_flow_counters c;
    nvg_flow_table_counters(t, &c);
    FUZZ_CHECK(c.active == 0);
    FUZZ_CHECK(c.exported == tally.records);
    FUZZ_CHECK(tally.finals == c.created);
    FUZZ_CHECK(c.evicted <= c.created);
    nvg_flow_table_free(t);
    return 0;
}
