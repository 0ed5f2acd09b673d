/* What one control peer may ask for: requests in flight and a token bucket per kind of
 * request, so one client (or one hostile script) cannot take the capacity every operator
 * shares.
 *
 * Peers are connections (ROUTER routing ids): a rogue on the same host as the operator, or
 * behind the same key, still has quotas of its own. The table is bounded; a peer with nothing
 * in flight is forgotten first (least recently heard from), and its quotas start afresh when it
 * comes back, which gives a reconnecting client no more than a new one gets. */
#ifndef NVG_QUOTA_H
#define NVG_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A token bucket: up to burst tokens, refilled at per_s a second. */
struct nvg_bucket {
    double tokens;
    int64_t last_ms;
    bool started;
};

/* Take one token at now_ms; false (nothing taken) when the bucket is empty. */
bool nvg_bucket_take(struct nvg_bucket *b, double burst, double per_s, int64_t now_ms);

#define NVG_QUOTA_RID_MAX 256

struct nvg_quota_peer {
    uint8_t rid[NVG_QUOTA_RID_MAX];
    size_t rid_len;
    unsigned in_flight; /* requests of this peer waiting for sensors */
    struct nvg_bucket commands, status;
    struct nvg_bucket hosts; /* COMMAND_HOSTS apart: a viewer polls it beside the status */
    struct nvg_bucket pcap;  /* the chunks of a pcap extraction after its first request */
    int64_t last_ms;
};

struct nvg_quota;

/* Room for max_peers peers. NULL when out of memory. */
struct nvg_quota *nvg_quota_new(size_t max_peers);
void nvg_quota_free(struct nvg_quota *q);
/* The peer with routing id rid, created if need be (forgetting an idle one when the table is
 * full); NULL when every tracked peer has requests in flight. The pointer is valid until the
 * next call. */
struct nvg_quota_peer *nvg_quota_peer(struct nvg_quota *q, const uint8_t *rid, size_t rid_len,
                                      int64_t now_ms);
/* The tracked peer with routing id rid, or NULL (for the end of a request in flight). */
struct nvg_quota_peer *nvg_quota_find(struct nvg_quota *q, const uint8_t *rid, size_t rid_len);
size_t nvg_quota_count(const struct nvg_quota *q);

#endif
