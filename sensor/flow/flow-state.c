/* Zeek's conn_state and history for our records (README "Conversations" lists the letters).
 *
 * conn_state comes from what each direction sent: SYN, SYN/ACK, FIN, RST (NVG__SEEN_*), as
 * Zeek's conn.log defines the states. Non-TCP conversations are S0 (no reply) or SF. */
#include <string.h>

#include "flow-internal.h"

static void set_state(struct nvg__flow_entry *e, const char *s)
{
    memcpy(e->rec.state, s, strlen(s) + 1);
}

/* The originator's SYN was never answered by a SYN/ACK. */
static const char *state_unanswered(const uint8_t *o, const uint8_t *r)
{
    if (r[0] & NVG__SEEN_RST)
        return "REJ";
    if (o[0] & NVG__SEEN_RST)
        return "RSTOS0";
    if (o[0] & NVG__SEEN_FIN)
        return "SH";
    return "S0";
}

static const char *state_tcp(const struct nvg__flow_entry *e)
{
    uint8_t o = e->seen[0], r = e->seen[1];
    if (!(o & NVG__SEEN_SYN) && (r & NVG__SEEN_SYNACK)) {
        if (r & NVG__SEEN_RST)
            return "RSTRH";
        return (r & NVG__SEEN_FIN) ? "SHR" : "OTH";
    }
    if (!(o & NVG__SEEN_SYN))
        return "OTH"; /* midstream: no handshake seen */
    if (!(r & NVG__SEEN_SYNACK))
        return state_unanswered(&o, &r);
    if (e->first_rst)
        return e->first_rst == 1 ? "RSTO" : "RSTR";
    if ((o & NVG__SEEN_FIN) && (r & NVG__SEEN_FIN))
        return "SF";
    if (o & NVG__SEEN_FIN)
        return "S2";
    if (r & NVG__SEEN_FIN)
        return "S3";
    return "S1";
}

void nvg__flow_state(struct nvg__flow_entry *e)
{
    if (e->key.ip_proto == 6 && (e->rec.flags & NVG_FLOW_HAS_PORTS))
        set_state(e, state_tcp(e));
    else
        set_state(e, e->rec.dir[1].packets ? "SF" : "S0");
}

void nvg__flow_history_add(struct nvg__flow_entry *e, int dir, char letter, uint16_t bit)
{
    if (e->hist_len >= NVG_FLOW_HISTORY_MAX - 1)
        return;
    e->hist_have[dir] |= bit;
    char c = letter;
    if (dir == 1 && c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
    e->rec.history[e->hist_len++] = c;
    e->rec.history[e->hist_len] = '\0';
}
