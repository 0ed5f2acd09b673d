/* An in-process collector for the ingest and control harnesses: the real modules wired as
 * collector/main.c wires them, with the three sockets on inproc:// endpoints, CSV logs and
 * audit trail in a temporary directory, and two peers: a sensor (DEALER on the sensor ROUTER)
 * and a client (DEALER on the control ROUTER). Messages go through ZeroMQ exactly as from the
 * network, and the modules' drain functions (nvg_ingest_drain, nvg_control_drain) handle them.
 *
 * What decides how an input is handled is reset between inputs (the sensor table, and the
 * requests in flight, answered at the end of each input), so an input reproduces on its own;
 * the modules' counters run on, as they only feed status. The directory is removed at exit. */
#ifndef NVG_FUZZ_COLLECTOR_H
#define NVG_FUZZ_COLLECTOR_H

#include <stddef.h>

#include "audit.h"
#include "budget.h"
#include "collector-options.h"
#include "control.h"
#include "csv-writer.h"
#include "fanout.h"
#include "ingest.h"
#include "nvg-clock.h"
#include "nvg-ratelog.h"
#include "sensors.h"
#include "status.h"

/* What collector/main.c's struct collector holds, minus the monitor and sensors.state. */
struct fuzz_collector {
    struct nvg_collector_options opts;
    char dir[64];
    void *zctx;
    void *router, *pub, *control; /* the collector's sockets */
    struct nvg_csv_writer *packets, *rates;
    struct nvg_sensor_table sensors;
    struct nvg_fanout *feed;
    struct nvg_audit *audit;
    struct nvg_hosts *hosts;
    struct nvg_flow_log *flows;
    struct nvg_control *ctl;
    struct nvg_ingest *ingest;
    struct nvg_status *status;
    int64_t start_ms, now_ms;
    uint64_t disconnects; /* stays 0: no monitor */
    struct nvg_ratelog rl_write;
    struct nvg_security_counters security;
    void *sensor; /* DEALER -> router, routing id "fuzz-sensor" */
    void *client; /* DEALER -> control, routing id "fuzz-client" */
    unsigned long inputs;
};

#define FUZZ_SENSOR_RID "fuzz-sensor"

/* The collector, created on first use; aborts when it cannot be set up. */
struct fuzz_collector *fuzz_collector_get(void);
/* Forget the sensors the previous input left (its rates went out in fuzz_collector_end). */
void fuzz_collector_begin(struct fuzz_collector *f);
/* After an input: time out the requests in flight, run the periodic work once (rates, status,
 * talkers, flush), and read whatever the collector sent to the two peers. */
void fuzz_collector_end(struct fuzz_collector *f);

/* Send frames (each frame[i] of len[i] bytes) as one multipart message. */
void fuzz_send(void *sock, const void *const *frame, const size_t *len, int n);
/* Read and drop everything queued on sock. */
void fuzz_drain_peer(void *sock);

#endif
