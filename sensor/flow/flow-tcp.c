/* TCP of one conversation: Wireshark's sequence analysis, the handshake RTT, Zeek's state.
 *
 * nvg__tcp_analyze follows tcp_analyze_sequence_number of Wireshark's packet-tcp.c (4.0) step
 * by step, with its quirks kept on purpose so that the counts agree with tshark's
 * tcp.analysis.* frame by frame: 0 stands for "not yet" in nextseq and maxseqtobeacked (a real
 * sequence number 0 is taken as unset there too), time differences are unsigned (a capture
 * whose clock goes back makes them huge, not negative), sequence comparisons wrap (RFC 1982).
 * Our own code, written from reading theirs; README "Conversations" says where the two can
 * still differ. */
#include <string.h>

#include "flow-internal.h"

#define LT_SEQ(a, b) ((int32_t)((a) - (b)) < 0)
#define LE_SEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define GT_SEQ(a, b) ((int32_t)((b) - (a)) < 0)

#define SYN_FIN_RST (NVG_TCP_SYN | NVG_TCP_FIN | NVG_TCP_RST)
#define FAST_RETRANS_WINDOW_NS 20000000u /* a fast retransmission follows dup ACKs within 20 ms */
#define OOO_DEFAULT_NS 3000000u          /* out-of-order threshold before the RTT is known */

void nvg__tcp_init(struct nvg__tcp *tcp)
{
    memset(tcp, 0, sizeof(*tcp));
    for (int i = 0; i < 2; i++) {
        tcp->d[i].window = UINT32_MAX;
        tcp->d[i].win_scale = NVG__WS_UNKNOWN;
    }
}

/* The checks before "finished_fwd": probes, zero window, keep-alive, window full and the
 * duplicate ACK. */
static unsigned analyze_fwd(struct nvg__tcp_dir *fwd, const struct nvg__tcp_dir *rev,
                            const struct nvg_l4_info *l4, uint16_t flags)
{
    uint32_t seq = l4->seq, ack = l4->ack, seglen = l4->payload_len, window = l4->window;
    unsigned ta = 0;
    if (seglen == 1 && seq == fwd->nextseq && rev->window == 0)
        return NVG__TA_ZWP;
    if (window == 0 && !(flags & SYN_FIN_RST))
        ta |= NVG__TA_ZERO_WINDOW;
    if ((seglen == 0 || seglen == 1) && seq == fwd->nextseq - 1 && !(flags & SYN_FIN_RST))
        ta |= NVG__TA_KEEP_ALIVE;
    if (seglen > 0 && rev->win_scale != NVG__WS_UNKNOWN && !(flags & SYN_FIN_RST)) {
        unsigned shift = rev->win_scale == NVG__WS_NONE ? 0 : (unsigned)rev->win_scale;
        if (seq + seglen == rev->lastack + (rev->window << shift))
            ta |= NVG__TA_WINDOW_FULL;
    }
    bool same = seglen == 0 && seq == fwd->nextseq && ack == fwd->lastack && !(flags & SYN_FIN_RST);
    if (same && window && window == fwd->window && (rev->lastsegmentflags & NVG__TA_KEEP_ALIVE))
        return ta; /* keep-alive ACK */
    if (same && window == 0 && window == fwd->window && (rev->lastsegmentflags & NVG__TA_ZWP))
        return ta; /* zero window probe ACK */
    if (same && window && window == fwd->window) {
        fwd->dupacknum++;
        ta |= NVG__TA_DUP_ACK;
    }
    return ta;
}

/* Retransmission, fast retransmission, out-of-order, spurious retransmission: a segment
 * with data (or SYN or FIN) that does not advance the sequence. */
static unsigned analyze_retrans(const struct nvg__tcp *tcp, const struct nvg__tcp_dir *fwd,
                                const struct nvg__tcp_dir *rev, const struct nvg_l4_info *l4,
                                uint16_t flags, int64_t ts, unsigned ta)
{
    uint32_t seq = l4->seq, seglen = l4->payload_len;
    if (!(seglen > 0 || (flags & (NVG_TCP_SYN | NVG_TCP_FIN))) || (ta & NVG__TA_KEEP_ALIVE))
        return 0;
    bool not_advanced = fwd->nextseq && LT_SEQ(seq, fwd->nextseq);
    if (seglen > 1 && fwd->nextseq - 1 == seq)
        not_advanced = false; /* new data after a possible zero window probe */
    /* Already acknowledged data: spurious, checked first as in Wireshark 4.0. */
    if (seglen > 0 && rev->lastack && LE_SEQ(seq + seglen, rev->lastack))
        return NVG__TA_SPURIOUS;
    uint64_t t = (uint64_t)ts - (uint64_t)rev->lastacktime;
    if (not_advanced && rev->dupacknum >= 2 && rev->lastack == seq && t < FAST_RETRANS_WINDOW_NS)
        return NVG__TA_FAST_RETRANS;
    t = (uint64_t)ts - (uint64_t)fwd->nextseqtime;
    uint64_t ooo_thres = tcp->ts_first_rtt ? (uint64_t)tcp->ts_first_rtt : OOO_DEFAULT_NS;
    uint32_t end = seq + seglen + ((flags & (NVG_TCP_SYN | NVG_TCP_FIN)) ? 1 : 0);
    if (not_advanced && t < ooo_thres && fwd->nextseq != end)
        return NVG__TA_OOO;
    return not_advanced ? NVG__TA_RETRANS : 0;
}

unsigned nvg__tcp_analyze(struct nvg__tcp *tcp, int dir, const struct nvg_l4_info *l4,
                          uint16_t flags, int64_t ts)
{
    struct nvg__tcp_dir *fwd = &tcp->d[dir], *rev = &tcp->d[!dir];
    uint32_t seq = l4->seq, ack = l4->ack, seglen = l4->payload_len;
    if (!fwd->base_set) {
        fwd->base_seq = (flags & NVG_TCP_SYN) ? seq : seq - 1;
        fwd->base_set = true;
    }
    if (!rev->base_set && (flags & NVG_TCP_ACK)) {
        rev->base_seq = ack - 1;
        rev->base_set = true;
    }
    unsigned ta = analyze_fwd(fwd, rev, l4, flags);
    if (ack != fwd->lastack)
        fwd->dupacknum = 0;
    if (rev->maxseqtobeacked && GT_SEQ(ack, rev->maxseqtobeacked) && (flags & NVG_TCP_ACK))
        rev->maxseqtobeacked = rev->nextseq; /* "ACKed unseen segment": not counted here */
    if (!(ta & NVG__TA_ZWP))
        ta |= analyze_retrans(tcp, fwd, rev, l4, flags, ts, ta);

    uint32_t nextseq = seq + seglen;
    if (seglen || (flags & (NVG_TCP_SYN | NVG_TCP_FIN))) {
        if (flags & (NVG_TCP_SYN | NVG_TCP_FIN))
            nextseq++;
    }
    if ((GT_SEQ(nextseq, fwd->nextseq) || !fwd->nextseq) && !(ta & NVG__TA_ZWP)) {
        fwd->nextseq = nextseq;
        fwd->nextseqtime = ts;
    }
    if ((seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked) && !(ta & NVG__TA_ZWP))
        fwd->maxseqtobeacked = fwd->nextseq;
    fwd->window = l4->window;
    fwd->lastack = ack;
    fwd->lastacktime = ts;
    fwd->lastsegmentflags = (uint16_t)ta;
    return ta;
}

/* Wireshark's verify_tcp_window_scaling: a handshake without the option on both SYNs means
 * that the windows are not scaled (NVG__WS_NONE). */
static void verify_window_scaling(struct nvg__tcp *tcp, int dir, bool synack)
{
    if (tcp->d[dir].win_scale == NVG__WS_UNKNOWN) {
        tcp->d[dir].win_scale = NVG__WS_NONE;
        tcp->d[!dir].win_scale = NVG__WS_NONE;
    } else if (synack && tcp->d[!dir].win_scale == NVG__WS_NONE) {
        tcp->d[dir].win_scale = NVG__WS_NONE;
    }
}

void nvg__tcp_handshake(struct nvg__flow_entry *e, int dir, const struct nvg_l4_info *l4,
                        uint16_t flags, int64_t ts)
{
    struct nvg__tcp *tcp = &e->tcp;
    if ((flags & (NVG_TCP_SYN | NVG_TCP_ACK)) == NVG_TCP_ACK && tcp->ts_mru_syn &&
        !tcp->ts_first_rtt) {
        tcp->ts_first_rtt = ts - tcp->ts_mru_syn;
        /* The halves add up to Wireshark's tcp.analysis.initial_rtt (SYN to this ACK). */
        if (tcp->ts_synack) {
            e->rec.rtt_server_ns = tcp->ts_synack - tcp->ts_mru_syn;
            e->rec.rtt_client_ns = ts - tcp->ts_synack;
            e->rec.flags |= NVG_FLOW_HAS_RTT_SERVER | NVG_FLOW_HAS_RTT_CLIENT;
        }
    }
    if (!(flags & NVG_TCP_SYN))
        return;
    if (flags & NVG_TCP_ACK) {
        tcp->ts_synack = ts;
        if (tcp->ts_mru_syn && !tcp->ts_first_rtt) {
            e->rec.rtt_server_ns = ts - tcp->ts_mru_syn;
            e->rec.flags |= NVG_FLOW_HAS_RTT_SERVER;
        }
    } else
        tcp->ts_mru_syn = ts;
    if (l4->wscale >= 0)
        tcp->d[dir].win_scale = l4->wscale;
    verify_window_scaling(tcp, dir, flags & NVG_TCP_ACK);
}
