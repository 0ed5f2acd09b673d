/* netvigil-ctl: shared bits of the command-line client. */
#ifndef NVG_CTL_H
#define NVG_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl-core.h"
#include "netvigil.pb-c.h"
#include "nvg-cert.h"
#include "nvg-filter.h"
#include "nvg-zmq.h"

#define NVG_CTL_STATUS_TIMEOUT_MS 3000
/* Longer than the collector's default command timeout (3 s), so its per-sensor "timed out"
 * results reach us. */
#define NVG_CTL_COMMAND_TIMEOUT_MS 5000

/* What a subscriber lets libzmq queue for it at most while it prints: RCVHWM is a count of
 * messages, so it is this budget over the largest message the socket accepts. */
#define NVG_CTL_FEED_QUEUE_BYTES ((int64_t)64 * 1024 * 1024)

/* Several collectors (--collector given more than once): each with its label, endpoints and
 * public key; ctl-multi.c merges what they say. */
#define NVG_CTL_MAX_COLLECTORS 16
#define NVG_CTL_LABEL_MAX 64

struct nvg_ctl_collector {
    char label[NVG_CTL_LABEL_MAX + 1]; /* NAME of NAME=HOST, else HOST[:PORT] as typed */
    char feed_ep[NVG_ZMQ_ENDPOINT_MAX];
    char control_ep[NVG_ZMQ_ENDPOINT_MAX];
    const char *key_path; /* its --collector-key; NULL: the default */
    struct nvg_cert cert; /* its public key, when keys are on */
};

/* pcap: what to extract (ctl-pcap.c). */
struct nvg_ctl_pcap {
    const char *sensor;
    const char *filter;     /* -f EXPR; NULL: every frame of the span */
    const char *out;        /* -o FILE, "-" for stdout */
    int64_t from_ns, to_ns; /* --from, --to (0: now) */
    uint64_t last_ms;       /* --last */
};

struct nvg_ctl {
    void *zctx;
    char feed_ep[NVG_ZMQ_ENDPOINT_MAX];
    char control_ep[NVG_ZMQ_ENDPOINT_MAX];
    int timeout_ms;      /* request timeout; 0 = the command's default */
    char requester[256]; /* for the audit trail; default user@host */
    bool json;
    struct nvg_filter filter;
    long count;      /* tail/rates: stop after this many lines, 0 = never */
    int64_t since_s; /* alerts --since, -1 = live */
    enum nvg_ctl_sort sort;
    const char *key_path, *collector_key_path; /* --key, --collector-key */
    const char *keygen_dir;                    /* keygen --out */
    bool keys;                                 /* CURVE: own and collector loaded */
    struct nvg_cert own, collector;
    /* --collector given more than once; with one, feed_ep and control_ep are all there is. */
    struct nvg_ctl_collector collectors[NVG_CTL_MAX_COLLECTORS];
    size_t n_collectors;
    const char *sensor_collector; /* tail --sensor COLLECTOR/SENSOR: that collector only */
    struct nvg_ctl_pcap pcap;     /* pcap's options */
};

/* ctl-conn.c: one socket to the collector with its CURVE keys and a monitor that tells a
 * refused key, a failed handshake and a silent one apart. */
struct nvg_ctl_conn {
    void *sock;
    struct nvg_monitor *mon;
    const char *ep;
    bool connected;            /* TCP connection made at least once */
    bool up;                   /* connected now (until the monitor says it was lost) */
    bool handshaken;           /* ZMTP/CURVE handshake completed at least once */
    unsigned handshake_closed; /* connections closed before the handshake completed */
    unsigned unreadable;       /* replies we could not unpack */
    unsigned disconnects;      /* connections lost after they were made */
    int64_t lost_ms;           /* when the last one was lost, while libzmq has not dialled
                                * again; 0 otherwise */
    int verdict;               /* an exit status once the collector refused us, else 0 */
};

/* Loads the keys (--key, --collector-key, defaults from $XDG_CONFIG_HOME/netvigil/). Returns
 * 0, or the exit status after printing why. */
int nvg_ctl_load_keys(struct nvg_ctl *ctl);
/* A socket of type (ZMQ_SUB / ZMQ_DEALER) on ep with the client's message cap, rcvhwm, CURVE
 * when keys are loaded, and a monitor; connected. Returns 0, or the exit status after
 * printing why. */
int nvg_ctl_conn_open(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, int type, const char *ep,
                      int rcvhwm);
/* The same with server as the collector's public key (one collector of several). */
int nvg_ctl_conn_open_to(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, int type, const char *ep,
                         int rcvhwm, const struct nvg_cert *server);
/* Reads the socket monitor's pending events into c without waiting: 0, or minus the exit
 * status after printing that the collector refused our key or the handshake. */
int nvg_ctl_conn_events(struct nvg_ctl *ctl, struct nvg_ctl_conn *c);
/* The monitor's socket, for a zmq_poll over several connections. */
void *nvg_ctl_conn_monitor(const struct nvg_ctl_conn *c);
void nvg_ctl_conn_close(struct nvg_ctl_conn *c);
/* Waits up to ms for the socket to be readable while watching the connection: 1 readable, 0
 * not yet (timeout or a signal), or minus the exit status after printing that the collector
 * refused our key or the handshake. */
int nvg_ctl_conn_wait(struct nvg_ctl *ctl, struct nvg_ctl_conn *c, long ms);
/* Prints why nothing came within timeout_ms (what: the command, NULL for status) — no
 * collector, or with keys a handshake that never completed — and returns the exit status. */
int nvg_ctl_conn_timed_out(struct nvg_ctl *ctl, const struct nvg_ctl_conn *c, const char *what,
                           int timeout_ms);

void nvg_ctl_default_requester(char *buf, size_t size);
/* Sends req on a DEALER conn (fills version, id when 0, requester when empty) and waits up to
 * timeout_ms for the reply with its id, unpacked into arena. NULL after printing why, with
 * *status the exit status. */
Netvigil__ControlReply *nvg_ctl_request(struct nvg_ctl *ctl, struct nvg_ctl_conn *c,
                                        struct nvg_arena *arena, Netvigil__ControlRequest *req,
                                        const char *what, int timeout_ms, int *status);

/* A reply's refusal on stderr ("the collector refused: REASON"); returns the exit status. */
int nvg_ctl_refused(const Netvigil__ControlReply *r);
/* One request on a fresh control connection, the status timeout unless --timeout: the reply
 * (ok), unpacked into *arena, or NULL after printing why (no answer, refused), with *status the
 * exit status. The caller frees *arena (NULL-safe) either way. */
Netvigil__ControlReply *nvg_ctl_query(struct nvg_ctl *ctl, Netvigil__ControlRequest *req,
                                      struct nvg_arena **arena, int *status);

/* ctl-control.c: start / stop / restart / set-filter / forget on one sensor (sensor non-empty)
 * or all (a set-filter with filter NULL clears the filter: capture everything); prints the
 * per-sensor results. Returns the exit status: 0 only when every targeted sensor said ok. */
int nvg_ctl_command(struct nvg_ctl *ctl, Netvigil__CommandKind kind, const char *sensor,
                    const char *filter);
/* "stop s1", "filter 'udp' on all sensors", ...: what req asks, for messages. */
void nvg_ctl_describe_command(char *what, size_t size, const Netvigil__ControlRequest *req);

/* ctl-multi.c: the same commands over several collectors (n_collectors > 1): status merged
 * with a COLLECTOR column, commands routed to the collector that holds the named sensor (or
 * to every one), one-reply queries (hosts, alerts --since) per collector. A collector that
 * does not answer is said on stderr while the others' answers are printed; the exit status
 * is then NVG_CTL_EXIT_PARTIAL. */
int nvg_ctl_multi_status(struct nvg_ctl *ctl);
int nvg_ctl_multi_command(struct nvg_ctl *ctl, Netvigil__CommandKind kind, const char *sensor,
                          const char *filter);
int nvg_ctl_multi_hosts(struct nvg_ctl *ctl);
int nvg_ctl_multi_alerts_since(struct nvg_ctl *ctl);
/* ctl-multi-feed.c: tail, rates, events, alerts and flows merged from every collector, each
 * line prefixed "[LABEL] " (JSON objects get a "collector" member). */
struct nvg_ctl_feed;
typedef long (*nvg_ctl_feed_printer)(struct nvg_ctl_feed *f, FILE *out, const void *data,
                                     size_t len, long limit);
int nvg_ctl_multi_watch(struct nvg_ctl *ctl, const char *topic, nvg_ctl_feed_printer print);
/* Writes text (len bytes, whole lines) to out with each line prefixed "[label] ", or a line
 * that is a JSON object as {"collector":"label",...}. */
void nvg_ctl_put_labelled(FILE *out, const char *label, const char *text, size_t len);

/* ctl-status.c */
int nvg_ctl_status(struct nvg_ctl *ctl);
/* ctl-feed.c */
int nvg_ctl_tail(struct nvg_ctl *ctl);
int nvg_ctl_rates(struct nvg_ctl *ctl);
/* Events of the feed (commands and who sent them, sensors connecting, ...). */
int nvg_ctl_events(struct nvg_ctl *ctl);
int nvg_ctl_alerts_live(struct nvg_ctl *ctl);
int nvg_ctl_flows_live(struct nvg_ctl *ctl);
/* ctl-flows.c: conversations live (sorted per batch), per-host totals (one reply). */
int nvg_ctl_flows(struct nvg_ctl *ctl);
int nvg_ctl_hosts(struct nvg_ctl *ctl);
/* ctl-alerts.c: live, or the kept events of the last since_s. */
int nvg_ctl_alerts(struct nvg_ctl *ctl);

/* ctl-pcap.c: the frames of pc->sensor's pcap ring into pc->out; the exit status. */
int nvg_ctl_pcap(struct nvg_ctl *ctl, const struct nvg_ctl_pcap *pc);

/* ctl-keygen.c: `keygen NAME` into ctl->keygen_dir (default "."). Returns the exit status. */
int nvg_ctl_keygen(struct nvg_ctl *ctl, const char *name);

#endif
