/* The sensor's pcap ring (--pcap-ring SIZE): the last SIZE bytes of raw frames, kept in memory
 * so that an operator can ask for the packets themselves after the fact (COMMAND_PCAP,
 * pcap-extract.c). Off by default: payload bytes stay out of the sensor's memory, as they stay
 * off the wire, unless the operator asks.
 *
 * One buffer allocated (and touched) at start; each frame is a 16-byte header (time, captured
 * and wire length) and its bytes, written where the previous one ended and split across the end
 * of the buffer when it must be, so every byte of SIZE holds frames. Adding a frame is two
 * memcpys at most plus the eviction of the oldest frames it needs room from: no allocation, no
 * lock (the capture thread owns the ring; commands run on that thread too). A frame larger
 * than the whole ring is not kept and counted. Frames are of one link type: a frame of another
 * (a restarted capture, a pcapng file that changes type) empties the ring first. */
#ifndef NVG_PCAP_RING_H
#define NVG_PCAP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The smallest ring worth having (a few full-size frames) and the largest we allocate. */
#define NVG_PCAP_RING_MIN ((uint64_t)64 * 1024)
#define NVG_PCAP_RING_MAX ((uint64_t)16 * 1024 * 1024 * 1024)
/* Largest frame kept: libpcap's largest snap length. */
#define NVG_PCAP_RING_FRAME_MAX 262144u

struct nvg_pcap_ring;

struct nvg_pcap_ring_frame {
    int64_t ts_ns; /* capture time, ns since the epoch */
    uint32_t caplen, wirelen;
    const uint8_t *data; /* caplen bytes, lent until the walk's callback returns */
};

struct nvg_pcap_ring_stats {
    uint64_t frames;   /* held now */
    uint64_t bytes;    /* of the ring in use now, headers included */
    uint64_t added;    /* frames kept since start */
    uint64_t evicted;  /* frames overwritten by newer ones */
    uint64_t too_big;  /* frames larger than the ring, not kept */
    uint64_t cleared;  /* frames dropped by a change of link type */
    int64_t oldest_ns; /* time of the oldest frame held (0: empty) */
    int64_t newest_ns; /* ... and of the newest */
};

/* A ring of size bytes (NVG_PCAP_RING_MIN..NVG_PCAP_RING_MAX), its memory touched now so that
 * an overcommitted host fails at start rather than mid-capture. NULL when out of memory or
 * out of range. */
struct nvg_pcap_ring *nvg_pcap_ring_new(uint64_t size);
void nvg_pcap_ring_free(struct nvg_pcap_ring *r);

/* The per-packet path. dlt: the frame's link type. */
void nvg_pcap_ring_add(struct nvg_pcap_ring *r, int dlt, const uint8_t *frame, uint32_t caplen,
                       uint32_t wirelen, int64_t ts_ns);

/* The link type of the frames held (-1 while none has been added). */
int nvg_pcap_ring_datalink(const struct nvg_pcap_ring *r);
uint64_t nvg_pcap_ring_size(const struct nvg_pcap_ring *r);
void nvg_pcap_ring_get_stats(const struct nvg_pcap_ring *r, struct nvg_pcap_ring_stats *st);

/* Calls fn for every frame held captured in [from_ns, to_ns], oldest first, until fn returns
 * non-zero (which is returned); 0 after the last. */
typedef int (*nvg_pcap_ring_fn)(void *ud, const struct nvg_pcap_ring_frame *f);
int nvg_pcap_ring_walk(struct nvg_pcap_ring *r, int64_t from_ns, int64_t to_ns, nvg_pcap_ring_fn fn,
                       void *ud);

#endif
