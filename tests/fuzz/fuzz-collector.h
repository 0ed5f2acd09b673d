/* An in-process collector for the ingest and control harnesses: the real struct nvg_collector
 * with its three sockets on inproc:// endpoints, CSV logs and audit trail in a temporary
 * directory, and two peers: a sensor (DEALER on the sensor ROUTER) and a client (DEALER on the
 * control ROUTER). Messages go through ZeroMQ exactly as from the network, and the collector's
 * public drain functions (nvg_ingest_drain, nvg_control_drain) handle them.
 *
 * State is reset between inputs (sensor table, counters, requests in flight), so an input
 * reproduces on its own. The directory is removed at exit. */
#ifndef NVG_FUZZ_COLLECTOR_H
#define NVG_FUZZ_COLLECTOR_H

#include <stddef.h>

#include "collector.h"

struct fuzz_collector {
    struct nvg_collector c;
    struct nvg_collector_options opts;
    char dir[64];
    void *sensor; /* DEALER -> c.router, routing id "fuzz-sensor" */
    void *client; /* DEALER -> c.control, routing id "fuzz-client" */
    unsigned long inputs;
};

#define FUZZ_SENSOR_RID "fuzz-sensor"

/* The collector, created on first use; aborts when it cannot be set up. */
struct fuzz_collector *fuzz_collector_get(void);
/* Forget what the previous input left: sensors and counters (its rates went out in
 * fuzz_collector_end). */
void fuzz_collector_begin(struct fuzz_collector *f);
/* After an input: time out the requests in flight, run the periodic work once (rates, status,
 * talkers, flush), and read whatever the collector sent to the two peers. */
void fuzz_collector_end(struct fuzz_collector *f);

/* Send frames (each frame[i] of len[i] bytes) as one multipart message. */
void fuzz_send(void *sock, const void *const *frame, const size_t *len, int n);
/* Read and drop everything queued on sock. */
void fuzz_drain_peer(void *sock);

#endif
