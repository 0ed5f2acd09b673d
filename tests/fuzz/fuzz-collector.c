/* See fuzz-collector.h. Mirrors collector/main.c (open_sockets, open_files, open_modules,
 * shutdown) with the sockets on inproc://, no monitor and no sensors.state; keep the two in
 * step. */
#include "fuzz-collector.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "fuzz.h"
#include "nvg-error.h"
#include "nvg-zmq.h"

#define EP_SENSOR "inproc://fuzz-sensor"
#define EP_FEED "inproc://fuzz-feed"
#define EP_CONTROL "inproc://fuzz-control"
/* Start the logs afresh every so many inputs, so a long fuzzing run does not fill the disk. */
#define RECYCLE_EVERY 2048

static struct fuzz_collector *fc;

/* As in main.c: the table's rates callback reaches ingest through the harness. */
static void rate_closed(void *ud, int64_t sec, int proto, uint64_t packets, uint64_t bytes)
{
    struct nvg_sensor_entry *s = ud;
    struct fuzz_collector *f = s->owner;
    nvg_ingest_rate_closed(f->ingest, s, sec, proto, packets, bytes);
}

static const uint8_t *status_for_control(void *ud, const Netvigil__ControlRequest *req, size_t *len,
                                         unsigned *field)
{
    struct fuzz_collector *f = ud;
    if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_HOSTS) {
        *field = 0;
        return nvg_hosts_packed(f->hosts, f->now_ms, req->limit, len);
    }
    *field = 6; /* no detection here: an alerts request gets the status's bytes, still valid */
    return nvg_status_packed(f->status, f->now_ms, len);
}

static void remove_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void open_control_ingest(struct fuzz_collector *f)
{
    struct nvg_control_config cc = {
        .control = f->control,
        .router = f->router,
        .sensors = &f->sensors,
        .audit = f->audit,
        .command_timeout_ms = f->opts.command_timeout_ms,
        .status = status_for_control,
        .status_ud = f,
        .now_ms = &f->now_ms,
        .memory_budget = NVG_BUDGET_DEFAULT,
        .security = &f->security,
    };
    f->ctl = nvg_control_new(&cc);
    FUZZ_CHECK(f->ctl != NULL);
    struct nvg_ingest_config ic = {
        .router = f->router,
        .sensors = &f->sensors,
        .packets = f->packets,
        .rates = f->rates,
        .feed = f->feed,
        .flows = f->flows,
        .control = f->ctl,
        .now_ms = &f->now_ms,
        .write_log = &f->rl_write,
        .security = &f->security,
    };
    f->ingest = nvg_ingest_new(&ic);
    FUZZ_CHECK(f->ingest != NULL);
}

/* The logs and every module that holds one. */
static void open_files(struct fuzz_collector *f)
{
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_csv_writer_config pk = {
        .dir = f->dir,
        .prefix = "packets",
        .header = NVG_CSV_HEADER,
        .buffer_size = 1u << 20,
    };
    struct nvg_csv_writer_config rt = pk;
    rt.prefix = "rates";
    rt.header = "time,sensor,proto,packets,bytes\n";
    rt.buffer_size = 64u << 10;
    f->packets = nvg_csv_writer_new(&pk, err);
    FUZZ_CHECK(f->packets != NULL);
    f->rates = nvg_csv_writer_new(&rt, err);
    FUZZ_CHECK(f->rates != NULL);
    f->audit = nvg_audit_new(&f->opts, f->feed, err);
    FUZZ_CHECK(f->audit != NULL);
    f->hosts = nvg_hosts_new(0);
    FUZZ_CHECK(f->hosts != NULL);
    struct nvg_flow_log_config flc = {.dir = f->dir, .feed = f->feed, .hosts = f->hosts};
    f->flows = nvg_flow_log_new(&flc, err);
    FUZZ_CHECK(f->flows != NULL);
    open_control_ingest(f);
    struct nvg_status_config sc = {
        .sensors = &f->sensors,
        .ingest = f->ingest,
        .control = f->ctl,
        .audit = f->audit,
        .packets = f->packets,
        .rates = f->rates,
        .disconnects = &f->disconnects,
        .security = &f->security,
        .feed = f->feed,
        .flows = f->flows,
        .hosts = f->hosts,
        .start_ms = f->start_ms,
    };
    f->status = nvg_status_new(&sc);
    FUZZ_CHECK(f->status != NULL);
}

static void close_files(struct fuzz_collector *f)
{
    nvg_status_free(f->status);
    nvg_ingest_free(f->ingest);
    nvg_control_free(f->ctl);
    nvg_audit_free(f->audit);
    nvg_csv_writer_free(f->packets);
    nvg_csv_writer_free(f->rates);
    nvg_flow_log_free(f->flows);
    nvg_hosts_free(f->hosts);
    f->flows = NULL;
    f->hosts = NULL;
    f->status = NULL;
    f->ingest = NULL;
    f->ctl = NULL;
    f->audit = NULL;
    f->packets = f->rates = NULL;
}

static void *peer(struct fuzz_collector *f, const char *ep, const char *rid)
{
    void *s = zmq_socket(f->zctx, ZMQ_DEALER);
    FUZZ_CHECK(s != NULL);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    FUZZ_CHECK(zmq_setsockopt(s, ZMQ_ROUTING_ID, rid, strlen(rid)) == 0);
    FUZZ_CHECK(zmq_connect(s, ep) == 0);
    return s;
}

static void open_sockets(struct fuzz_collector *f)
{
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_sockopts in = {.rcvhwm = 4096, .sndhwm = 1000, .linger_ms = 0};
    struct nvg_sockopts feed = {.sndhwm = 4096, .linger_ms = 0};
    struct nvg_sockopts ctl = {.rcvhwm = 1000, .sndhwm = 1000, .linger_ms = 0};
    f->router = nvg_zmq_socket(f->zctx, ZMQ_ROUTER, &in, err);
    f->pub = nvg_zmq_socket(f->zctx, ZMQ_PUB, &feed, err);
    f->control = nvg_zmq_socket(f->zctx, ZMQ_ROUTER, &ctl, err);
    FUZZ_CHECK(f->router && f->pub && f->control);
    int one = 1;
    FUZZ_CHECK(zmq_setsockopt(f->router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) == 0);
    FUZZ_CHECK(zmq_bind(f->router, EP_SENSOR) == 0);
    FUZZ_CHECK(zmq_bind(f->pub, EP_FEED) == 0);
    FUZZ_CHECK(zmq_bind(f->control, EP_CONTROL) == 0);
    struct nvg_fanout_config feed_cfg = {
        .pub = f->pub,
        .sensors = &f->sensors,
        .memory_budget = NVG_BUDGET_DEFAULT,
        .security = &f->security,
    };
    f->feed = nvg_fanout_new(&feed_cfg);
    FUZZ_CHECK(f->feed != NULL);
    f->sensor = peer(f, EP_SENSOR, FUZZ_SENSOR_RID);
    f->client = peer(f, EP_CONTROL, "fuzz-client");
}

static void teardown(void)
{
    struct fuzz_collector *f = fc;
    if (!f)
        return;
    close_files(f);
    nvg_fanout_free(f->feed);
    nvg_sensor_table_free(&f->sensors);
    zmq_close(f->sensor);
    zmq_close(f->client);
    zmq_close(f->router);
    zmq_close(f->pub);
    zmq_close(f->control);
    zmq_ctx_term(f->zctx);
    remove_files(f->dir);
    rmdir(f->dir);
    free(f);
    fc = NULL;
}

struct fuzz_collector *fuzz_collector_get(void)
{
    if (fc)
        return fc;
    struct fuzz_collector *f = calloc(1, sizeof(*f));
    FUZZ_CHECK(f != NULL);
    /* Quiet: every rejected input would log a warning. */
    nvg_log_set_level((enum nvg_log_level)0);
    snprintf(f->dir, sizeof(f->dir), "/tmp/nvg-fuzz-XXXXXX");
    FUZZ_CHECK(mkdtemp(f->dir) != NULL);
    f->opts.bind = "127.0.0.1";
    f->opts.out_dir = f->dir;
    f->opts.talkers_interval_s = 10;
    f->opts.command_timeout_ms = 5000;
    f->start_ms = nvg_clock_wall_ms();
    nvg_sensor_table_init(&f->sensors, rate_closed, f);
    f->zctx = zmq_ctx_new();
    FUZZ_CHECK(f->zctx != NULL);
    open_sockets(f);
    open_files(f);
    fc = f;
    atexit(teardown);
    return f;
}

void fuzz_collector_begin(struct fuzz_collector *f)
{
    if (++f->inputs % RECYCLE_EVERY == 0) {
        close_files(f);
        remove_files(f->dir);
        open_files(f);
    }
    nvg_sensor_table_free(&f->sensors);
    nvg_sensor_table_init(&f->sensors, rate_closed, f);
    f->now_ms = nvg_clock_wall_ms();
}

void fuzz_collector_end(struct fuzz_collector *f)
{
    int64_t now = nvg_clock_wall_ms();
    /* Far past every deadline: each request in flight is answered and its slot freed. */
    nvg_control_tick(f->ctl, now + 24 * 3600 * 1000LL);
    for (size_t i = 0; i < f->sensors.n; i++) {
        nvg_rate_window_tick(&f->sensors.v[i]->rates, now);
        nvg_rate_window_flush(&f->sensors.v[i]->rates);
        nvg_sensor_entry_update_speed(f->sensors.v[i], now + 1000);
    }
    nvg_fanout_rates(f->feed);
    nvg_status_publish(f->status);
    nvg_fanout_talkers(f->feed, now / 1000 - 10, 10);
    nvg_csv_writer_flush(f->packets);
    nvg_csv_writer_flush(f->rates);
    fuzz_drain_peer(f->sensor);
    fuzz_drain_peer(f->client);
}

void fuzz_send(void *sock, const void *const *frame, const size_t *len, int n)
{
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(zmq_send(sock, frame[i], len[i], i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
}

void fuzz_drain_peer(void *sock)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
        zmq_msg_close(&m);
        if (rc < 0)
            return;
    }
}
