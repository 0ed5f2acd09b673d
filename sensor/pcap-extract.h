/* COMMAND_PCAP on the sensor: frames of the pcap ring (pcap-ring.h) picked by time span and
 * BPF expression, written as one pcapng stream (pcapng-writer.h) and handed out in chunks.
 *
 * A first request (session 0) compiles the expression in a child (bpf-job.h: the compiler can
 * take seconds or hang on a DNS lookup, and the capture thread must not), for a dead handle of
 * the ring's link type: the program then runs in user space (pcap_offline_filter) on stored
 * frames, where the kernel-only extensions a live handle's code may use would not work. It
 * then sizes the stream first (a pass over the ring that only counts), refuses one over the
 * request's max_bytes with the size in the message, and writes it into one buffer of exactly
 * that size: a snapshot, so the frames the capture adds or evicts meanwhile cannot tear the
 * stream while it is fetched. The reply carries the first chunk; the client fetches the
 * others by (session, offset). One extraction at a time; its buffer is freed after its last
 * chunk, or once nobody asked for a chunk for NVG_PCAP_IDLE_MS. Everything runs on the capture
 * thread, between two dispatches. */
#ifndef NVG_PCAP_EXTRACT_H
#define NVG_PCAP_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netvigil.pb-c.h"

#define NVG_PCAP_CHUNK ((size_t)1024 * 1024)
#define NVG_PCAP_IDLE_MS 30000
/* The sensor's own cap on one stream (a request may ask for less, the collector caps it). */
#define NVG_PCAP_EXTRACT_MAX ((uint64_t)1024 * 1024 * 1024)
#define NVG_PCAP_EXTRACT_DEFAULT ((uint64_t)64 * 1024 * 1024)

struct nvg_pcap_ring;

struct nvg_pcap_extract_config {
    struct nvg_pcap_ring *ring; /* lent, outlives the extractor */
    const char *sensor;         /* for the section header; copied */
    const char *iface;          /* the capture's source; copied */
    uint32_t snaplen;
};

struct nvg_pcap_extract;

struct nvg_pcap_extract *nvg_pcap_extract_new(const struct nvg_pcap_extract_config *cfg);
void nvg_pcap_extract_free(struct nvg_pcap_extract *x);

/* A COMMAND_PCAP: 0 with chunk filled (data lent until the next call), NVG_LINK_DEFERRED (the
 * expression compiles: _poll finishes it), or a negative NVG_E* with the reason in err. */
int nvg_pcap_extract_request(struct nvg_pcap_extract *x, const char *filter,
                             const Netvigil__PcapRequest *req, Netvigil__PcapChunk *chunk,
                             char *err, size_t errsize);
/* Call every tick: frees a finished or idle stream, and when a deferred request is done (its
 * compile ended or ran over its budget) returns true with *rc, chunk and err for
 * nvg_link_pcap_done. */
bool nvg_pcap_extract_poll(struct nvg_pcap_extract *x, int *rc, Netvigil__PcapChunk *chunk,
                           char *err, size_t errsize);
/* A request waits for its compile. */
bool nvg_pcap_extract_busy(const struct nvg_pcap_extract *x);

#endif
