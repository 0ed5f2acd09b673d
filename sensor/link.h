/* The sensor side of the sensor link (DESIGN.md "Sockets and messages"): a DEALER socket that
 * connects out to the collector's ROUTER (port 7700), sends Hello, Batches of packet records and
 * a SensorStatus heartbeat, answers Commands, and in file mode ends with an end-of-stream
 * handshake.
 *
 * Single-threaded: the thread that calls nvg_link_new owns the link and its sockets and makes
 * every other call. Nothing here blocks in live mode; in file mode sends block (back-pressure)
 * in slices of send_timeout_ms, giving up when *opts.interrupted becomes non-zero.
 *
 * Sequence numbers: seq counts the batches handed to the socket, 1, 2, 3 ... per boot id. A batch
 * the sensor drops itself (live mode, link full) does NOT take a sequence number: it is counted
 * in records_dropped / batches_dropped of the SensorStatus heartbeat ("sensor" loss), while a
 * sequence gap at the collector means batches lost in transit ("link" loss), e.g. in flight
 * when the collector was killed.
 *
 * Hello is sent on start and again on every (re)connection (a socket monitor on an inproc PAIR
 * owned by the same thread reports ZMQ_EVENT_CONNECTED). Every Batch carries sensor name and
 * boot id and every heartbeat the full identity, so the collector can attribute any message,
 * even one that overtook the Hello after a reconnect. */
#ifndef NVG_LINK_H
#define NVG_LINK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "netvigil.pb-c.h"
#include "nvg-clock.h"
#include "nvg-pkt.h"

struct nvg_cert;

enum nvg_link_mode {
    NVG_LINK_LIVE = 0, /* never waits for the network: a full link drops and counts */
    NVG_LINK_FILE = 1, /* back-pressure, loses nothing, ends with the end-of-stream handshake */
};

/* Who we are; copied by nvg_link_new. */
struct nvg_link_info {
    const char *sensor; /* required */
    uint64_t boot_id;   /* random per process start (and per restart) */
    enum nvg_link_mode mode;
    const char *source;  /* interface name or file path; NULL = "" */
    const char *filter;  /* filter at start; later ones come from the status callback */
    const char *version; /* software version; NULL = NVG_VERSION */
};

/* What only the caller knows, asked for each heartbeat, Hello and command reply. Strings are
 * lent until the callback's caller returns. Fields left alone keep the defaults shown. */
struct nvg_link_status {
    Netvigil__SensorState state; /* NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING */
    uint64_t pcap_received;      /* pcap_stats ps_recv, ps_drop, ps_ifdrop: 0 */
    uint64_t pcap_dropped;
    uint64_t pcap_ifdropped;
    const char *filter;       /* active filter; NULL = the last one known */
    const char *error;        /* last capture error (state ERROR); NULL = none */
    uint64_t capture_down_ms; /* time the capture was in ERROR, this boot id: 0 */
    uint64_t capture_reopens; /* times it came back by itself: 0 */
    /* The flow table's counters (SensorStatus flows_active/exported/evicted): 0 without one. */
    uint64_t flows_active;
    uint64_t flows_exported;
    uint64_t flows_evicted;
};
typedef void (*nvg_link_status_fn)(void *user, struct nvg_link_status *st);

/* Runs a Command from the collector (START, STOP, RESTART, SET_FILTER; STATUS is answered by
 * the link itself). Return 0 for ok, or a negative NVG_E* with the text for the requester in
 * err (errsize bytes, e.g. libpcap's compile message). The reply carries a fresh status. The
 * callback may call nvg_link_restart; it must not call nvg_link_finish or nvg_link_free. */
typedef int (*nvg_link_command_fn)(void *user, Netvigil__CommandKind kind, const char *filter,
                                   char *err, size_t errsize);
/* What a command callback returns for a command that finishes later (a filter compiling off
 * the capture path): the reply waits for nvg_link_command_done. One at a time. */
#define NVG_LINK_DEFERRED 1
/* Runs a COMMAND_PCAP (pcap-extract.h): filter is the BPF expression, req the span and the
 * chunk asked for. Returns like a command callback; when 0, chunk (its data lent until the
 * callback's caller returns) goes with the reply. NVG_LINK_DEFERRED: the reply waits for
 * nvg_link_pcap_done. */
typedef int (*nvg_link_pcap_fn)(void *user, const char *filter, const Netvigil__PcapRequest *req,
                                Netvigil__PcapChunk *chunk, char *err, size_t errsize);
/* Called at the start of every nvg_link_tick: where the caller finishes deferred work. */
typedef void (*nvg_link_tick_fn)(void *user);

struct nvg_link_opts {
    size_t batch_max;    /* records per batch; 0 = 1024 (at most NVG_BATCH_MAX_RECORDS) */
    int batch_ms;        /* a batch closes this long after its first record; 0 = 50 */
    int sndhwm;          /* batches queued in the socket; 0 = 64 */
    int heartbeat_ms;    /* SensorStatus period; 0 = 1000 */
    int send_timeout_ms; /* file mode: blocking-send slice between interrupt checks; 0 = 100 */
    /* File mode gives up waiting (send, finish) once *interrupted != 0 (a SIGINT flag). */
    const volatile sig_atomic_t *interrupted;
    nvg_link_status_fn status_cb;   /* NULL: state RUNNING, no pcap counters */
    nvg_link_command_fn command_cb; /* NULL: commands other than STATUS get an error reply */
    nvg_link_tick_fn tick_cb;       /* NULL: none */
    nvg_link_pcap_fn pcap_cb;       /* NULL: COMMAND_PCAP gets "keeps no packets" */
    /* CURVE to the collector: both, lent until nvg_link_free (NULL, NULL: no encryption). */
    const struct nvg_cert *own_key;       /* must hold a secret key */
    const struct nvg_cert *collector_key; /* the collector's public certificate */
    void *user;                           /* passed to the callbacks */
    /* Live mode: where batches go while the link is down or full, and from where they are
     * replayed in order (spool.h); lent until nvg_link_free. NULL: such batches are dropped
     * and counted. See "Spool" below. */
    struct nvg_spool *spool;
};

/* Spool. With opts.spool a live batch that finds the link not connected or its queue full
 * is appended to the spool with its sequence number (it takes one, as a sent batch does), and
 * while the spool holds anything every new batch goes behind it, so the collector sees one
 * sequence in order. Each tick writes what the spool staged and, while connected, replays the
 * oldest batches (at most 64 or 8 MiB a tick, never waiting: a full queue ends the turn).
 * Batches of an earlier boot id (a restarted sensor, a restart command) are replayed under a
 * Hello of that boot id, and heartbeats and the status in command replies wait until they
 * are through, because a message of the newer boot id would make the collector take the
 * rest for a restart with a false loss; then a Hello of the current boot id follows. A batch
 * the spool has no room for is dropped and counted in records_dropped as without a spool. */

/* A connection that has not finished its handshake by then is closed and retried, with a
 * warning when CURVE is on (a wrong collector key makes the collector fall silent). */
#define NVG_LINK_HANDSHAKE_MS 5000

struct nvg_link_stats {
    uint64_t batches_sent; /* handed to the socket (each took a sequence number) */
    uint64_t records_sent;
    uint64_t batches_dropped; /* dropped by the sensor: link full (live) or interrupted (file) */
    uint64_t records_dropped;
    uint64_t flows_sent;    /* conversation records in the batches sent */
    uint64_t flows_dropped; /* ... in the batches dropped */
    uint64_t last_seq;
    uint64_t rejected; /* malformed or unexpected messages from the collector */
    uint64_t commands; /* commands executed */
    uint64_t connects; /* (re)connections seen */
};

struct nvg_spool_stats; /* spool.h */

struct nvg_link;

/* Connects (asynchronously: the collector need not be up) to endpoint, e.g.
 * "tcp://127.0.0.1:7700". ctx is the process's one zmq context, borrowed. NULL on error with the
 * reason in err (NVG_ERRBUF_SIZE bytes); then no callback ever runs. */
struct nvg_link *nvg_link_new(void *ctx, const char *endpoint, const struct nvg_link_info *info,
                              const struct nvg_link_opts *opts, char *err);
/* Closes the sockets (linger 100 ms) without flushing; call _finish first to deliver. */
void nvg_link_free(struct nvg_link *link);

/* The per-packet path: copies pkt into the current batch (no allocation) and sends the batch
 * when it holds batch_max records. Returns 0 (also when live mode dropped the batch: that is
 * counted, not an error), NVG_EAGAIN (file mode: interrupted before the batch could be sent;
 * it is counted as dropped), NVG_EVERSION (the collector refused us, see nvg_link_error) or
 * NVG_EZMQ (the socket failed, e.g. the context was terminated). */
int nvg_link_add(struct nvg_link *link, const struct nvg_pkt *pkt);
struct nvg_flow; /* common/flow/nvg-flow.h */
/* A conversation the flow table exported: copied into the current batch (no allocation),
 * where it counts toward the batch's byte cap; a batch that has no room left for it is sent
 * first. Same results as _add. */
int nvg_link_add_flow(struct nvg_link *link, const struct nvg_flow *flow);
/* Send the current batch now, if it holds any record. Same results as _add. */
int nvg_link_flush(struct nvg_link *link);

/* Housekeeping; call after every poll wake-up and at least every nvg_link_timeout_ms: closes a
 * batch older than batch_ms, sends pending Hello and heartbeats, handles messages from the
 * collector (commands run the command callback here, nowhere else). now_ns from
 * nvg_clock_mono_ns(), or 0 to let the link read the clock. Returns 0, NVG_EVERSION (refused:
 * the caller should exit with an error showing nvg_link_error), NVG_EAGAIN or NVG_EZMQ as
 * for _add. */
int nvg_link_tick(struct nvg_link *link, int64_t now_ns);
/* Milliseconds until _tick has something to do (next batch deadline, heartbeat, retry). */
int nvg_link_timeout_ms(const struct nvg_link *link, int64_t now_ns);

/* The link's sockets for zmq_poll next to other items (e.g. pcap's selectable fd). events are
 * set to ZMQ_POLLIN; when either has revents, call nvg_link_tick. */
#define NVG_LINK_NPOLL 2
void nvg_link_pollitems(struct nvg_link *link, zmq_pollitem_t items[NVG_LINK_NPOLL]);

/* End of stream. Sends the last batch; in file mode then sends EndOfStream{boot_id, last_seq,
 * records, flows} and waits for the collector's EndOfStreamAck, re-sending EndOfStream every
 * second and on every reconnect (a restarted collector). Returns 0 only when the ack counts
 * exactly the records and the flows sent; NVG_EIO when it counts a different number (nvg_link_error
 * names both), NVG_ETIMEDOUT after timeout_ms (< 0: no limit), NVG_EAGAIN when interrupted,
 * NVG_EVERSION when refused. Live mode only flushes (without waiting) and returns. */
int nvg_link_finish(struct nvg_link *link, int timeout_ms);

/* Replies to the deferred command: rc 0 (ok) or a negative NVG_E* with err for the requester.
 * NVG_EINVAL when no command is deferred. */
int nvg_link_command_done(struct nvg_link *link, int rc, const char *err);
/* The same for a deferred COMMAND_PCAP, with its chunk when rc is 0 (data lent for the call). */
int nvg_link_pcap_done(struct nvg_link *link, int rc, const char *err, Netvigil__PcapChunk *chunk);

/* A fresh start (the RESTART command): sends the current batch, then continues under boot_id
 * with seq, counters and uptime reset, and announces itself with a new Hello. */
int nvg_link_restart(struct nvg_link *link, uint64_t boot_id);

void nvg_link_get_stats(const struct nvg_link *link, struct nvg_link_stats *stats);
/* Whether the link gave up because the collector refused our key (ZAP) or the handshake
 * failed (a collector with keys and a sensor without, or the other way round). Every call
 * then returns NVG_EPERM, with the reason in nvg_link_error. */
bool nvg_link_key_refused(const struct nvg_link *link);
/* A connection to the collector is up (with keys: its handshake done too). */
bool nvg_link_connected(const struct nvg_link *link);
/* Text of the last failure (refusal, ack mismatch, timeout); "" when none. */
const char *nvg_link_error(const struct nvg_link *link);

#endif
