/* What control.c and control-pcap.c share: the control object, its requests in flight and the
 * few calls between them. Internal to the control socket; see control.h for the contract. */
#ifndef NVG_CONTROL_INTERNAL_H
#define NVG_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "nvg-ratelog.h"
#include "nvg-text.h"
#include "quota.h"

#define MAX_ENVELOPE 3
#define ENVELOPE_FRAME_MAX 256 /* ZeroMQ routing ids are at most 255 bytes */
#define PENDING_MAX 1024       /* requests in flight, all peers; PEERS_MAX x the per-peer quota */
#define PEERS_MAX 128
#define TARGETS_MAX 16384 /* sensors waited for, all requests together */
#define FILTER_MAX NVG_TEXT_FILTER_MAX
#define WHO_MAX 512
#define SENSOR_ERROR_MAX (NVG_TEXT_ERROR_MAX + 1) /* a sensor's error text kept per target */
#define COMMAND_BURST 20.0
#define COMMAND_PER_S 5.0
#define STATUS_BURST 4.0
#define STATUS_PER_S 2.0

struct envelope {
    uint8_t part[MAX_ENVELOPE][ENVELOPE_FRAME_MAX];
    size_t len[MAX_ENVELOPE];
    int n; /* frames before the body */
};

enum target_state { TARGET_WAITING, TARGET_DONE };

struct target {
    char sensor[NVG_SENSOR_NAME_MAX + 1];
    uint64_t cmd_id;
    uint8_t rid[NVG_ROUTING_ID_MAX];
    size_t rid_len;
    enum target_state state;
    bool ok, sent;
    char error[SENSOR_ERROR_MAX];
};

struct pending {
    bool used;
    uint64_t req_id;
    Netvigil__CommandKind kind;
    char filter[FILTER_MAX + 1];
    /* COMMAND_PCAP: the request as sent to the sensor (max_bytes capped), and while its
     * reply is handled the chunk it brought (lent, NULL otherwise) */
    Netvigil__PcapRequest pcap;
    const Netvigil__PcapChunk *chunk;
    char who[WHO_MAX];
    char peer[128]; /* nvg_peer_describe: the audit's coalescing key */
    struct envelope env;
    int64_t deadline_ms;
    size_t n, waiting;
    struct target *t;
};

/* The request at hand: who sent it and what it says. */
struct request {
    const struct envelope *env;
    const Netvigil__ControlRequest *req;
    struct nvg_peer peer;
    char peer_text[128];
    char who[WHO_MAX];
};

struct nvg_control {
    void *control, *router;
    struct nvg_sensor_table *sensors;
    struct nvg_audit *audit;
    int64_t *now_ms;
    int command_timeout_ms;
    nvg_control_status_fn status;
    void *status_ud;
    bool keys;
    struct nvg_security_counters *security;
    struct nvg_budget *budget;
    struct nvg_quota *quota;
    struct pending *slot; /* PENDING_MAX */
    size_t used, targets_waiting;
    uint64_t next_cmd_id;
    uint64_t pcap_max; /* --pcap-max */
    struct nvg_control_counters counts;
    struct nvg_ratelog rl_rejected, rl_stray, rl_budget, rl_oversized;
};

/* control-pcap.c: a COMMAND_PCAP request's own checks and quota (NULL: route it, with
 * p->pcap to fill once its slot is taken), and its audit row once its sensor answered. */
const char *nvg__control_pcap_admit(struct nvg_control *ctl, const struct request *q,
                                    uint64_t **counter);
void nvg__control_pcap_prepare(struct nvg_control *ctl, const struct request *q, struct pending *p);
void nvg__control_pcap_audit(struct nvg_control *ctl, const struct pending *p,
                             const struct target *t, const char *error);

#endif
