/* What link.c and link-events.c share: the link's state and the few calls between them.
 * Internal to the sensor link; see link.h for the contract. */
#ifndef NVG_LINK_INTERNAL_H
#define NVG_LINK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "link.h"
#include "nvg-error.h"
#include "nvg-ratelog.h"
#include "nvg-text.h"
#include "nvg-wire.h"

#define NS_PER_MS 1000000LL
#define RETRY_MS 100       /* pending Hello / replies are retried this often */
#define EOS_RESEND_MS 1000 /* EndOfStream is re-sent this often until acknowledged */
#define WARN_INTERVAL_MS 10000
#define PENDING_MAX 8 /* command replies waiting for room on a full link */

/* Conversation records per batch at most (link-flows.c). */
#define NVG_LINK_FLOWS_MAX 256
struct nvg__link_flows;

struct pending {
    uint8_t *data;
    size_t len;
};

struct nvg_link {
    void *sock;                  /* DEALER to the collector */
    struct nvg_monitor *monitor; /* the DEALER's connect events */
    char *endpoint;
    char *sensor, *source, *version, *filter;
    uint64_t boot_id;
    /* The boot id the collector was last told in a Hello: an earlier one while the spool
     * replays that boot's batches (heartbeats wait meanwhile), else boot_id. */
    uint64_t announced_boot;
    enum nvg_link_mode mode;
    struct nvg_link_opts opts;

    struct nvg_batch_encoder *enc;
    struct nvg__link_flows *flows; /* of the batch being built */
    int64_t batch_open_ns;         /* when the current batch got its first record */
    int64_t start_ns;
    int64_t next_hb_ns;
    int64_t next_retry_ns;
    struct nvg_ratelog rl_rejected; /* messages from the collector we could not take */
    struct nvg_ratelog rl_drops;    /* batches dropped on a full link */
    uint64_t warned_drops;
    bool hello_pending;
    bool refused;
    bool connected;
    bool curve;                      /* opts has both keys */
    bool handshaken;                 /* the current connection finished its handshake */
    bool key_refused;                /* ZAP said no, or the mechanisms differ: give up */
    struct nvg_ratelog rl_handshake; /* "no CURVE handshake" warnings */
    int64_t next_wait_note_ns;       /* file mode: when to say again that we are waiting */

    bool eos_waiting;
    bool ack_received;
    Netvigil__EndOfStreamAck ack;

    struct pending pending[PENDING_MAX];
    int n_pending;
    bool deferred; /* a command whose reply comes from nvg_link_command_done */
    uint64_t deferred_id;

    struct nvg_link_stats st;
    char error[NVG_ERRBUF_SIZE];
    char status_error[NVG_TEXT_ERROR_MAX + 1]; /* a heartbeat's error text, capped */
};

void nvg__link_send_hello(struct nvg_link *link);
/* The reply to command id with a fresh status (and, when rc is 0, pcap: NULL for none). */
void nvg__link_reply(struct nvg_link *link, uint64_t id, int rc, const char *err,
                     Netvigil__PcapChunk *pcap);
/* The reply to the deferred command, when its job ended (rc, err as nvg__link_reply; err NULL or
 * "": rc's text). NVG_EINVAL when none is deferred. */
int nvg__link_deferred_done(struct nvg_link *link, int rc, const char *err,
                            Netvigil__PcapChunk *pcap);
/* link-pcap.c: COMMAND_PCAP, through opts.pcap_cb. */
void nvg__link_pcap_command(struct nvg_link *link, const Netvigil__Command *cmd);
void nvg__link_send_eos(struct nvg_link *link);

/* link-flows.c: the flows of the batch being built. _take hands them to the encoder for the
 * pack at hand and returns their number; the batch is then free for new ones. */
struct nvg__link_flows *nvg__link_flows_new(void);
void nvg__link_flows_free(struct nvg__link_flows *fl);
size_t nvg__link_flows_take(struct nvg_link *link);

/* link-spool.c: the spool (opts.spool) on the link, live mode. _batch takes the batch packed
 * as last_seq + 1 (spooled: seq taken; no room: dropped and counted like a full link); _tick
 * writes what is staged and replays while the link has room; _announce says Hello under the
 * boot id the collector must hear next (false while that Hello waits for room). */
void nvg__link_spool_batch(struct nvg_link *link, const uint8_t *data, size_t len, size_t n,
                           size_t nf);
void nvg__link_spool_tick(struct nvg_link *link);
bool nvg__link_spool_wants(const struct nvg_link *link);
uint64_t nvg__link_wanted_boot(const struct nvg_link *link);

/* link-events.c: the DEALER with its limits, CURVE and monitor (0 or an NVG_E* with the
 * reason in err), and the monitor's events (connects, handshakes, refusals). */
int nvg__link_open_sockets(struct nvg_link *link, void *ctx, char *err);
void nvg__link_recv_monitor(struct nvg_link *link);

#endif
