/* netvigil-collector: one thread owns every socket and file.
 *
 * main.c owns the three sockets, their monitors (connections.h), the ZAP handler (auth.h, with
 * --keys), the security counters, the sensor table, and the packet
 * and rates logs with the sequence positions saved beside them (sensors.state). It creates the
 * modules (fanout, audit, control, ingest, status) and lends each what it uses.
 *
 * The loop polls the sensor ROUTER, the control ROUTER, the ZAP handler and the monitors, drains
 * what is ready in bounded bursts (so control requests are never starved by a flood of
 * batches), and every 100 ms does the periodic work: flush the CSV logs once a second, close
 * due seconds of the rates, publish status and talkers. Sequence positions are saved right
 * after each flush of the packet log (packets_durable), never ahead of it. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

#include "alerts.h"
#include "audit.h"
#include "auth.h"
#include "budget.h"
#include "clickhouse-store.h"
#include "clickhouse.h"
#include "collector-options.h"
#include "config-reload.h"
#include "connections.h"
#include "control.h"
#include "csv-writer.h"
#include "fanout.h"
#include "fd-budget.h"
#include "flows.h"
#include "hosts.h"
#include "ingest.h"
#include "metrics.h"
#include "nvg-clock.h"
#include "nvg-error.h"
#include "nvg-format.h"
#include "nvg-monitor.h"
#include "nvg-ratelog.h"
#include "nvg-sdnotify.h"
#include "nvg-zmq.h"
#include "rate-rebuild.h"
#include "retention.h"
#include "sensors.h"
#include "status.h"

#define BURST 256
#define TICK_MS 100
/* libzmq's two threads only poll and move frames; glibc's default (RLIMIT_STACK, 8 MiB each)
 * would make a small ulimit -v fail at start for stacks never used. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NVG_COLLECTOR_THREAD_STACK (2u << 20)
#else
#define NVG_COLLECTOR_THREAD_STACK (512u << 10)
#endif
/* Address space a started collector must still have (fd-budget.h): four sensors sending as
 * fast as they can took 8 MiB more than start-up. */
#define NVG_COLLECTOR_RUN_MARGIN (16u << 20)

/* Everything the collector's thread owns. */
struct collector {
    struct nvg_collector_options *opts; /* SIGHUP changes what can change at run time */
    void *zctx;
    void *router;                  /* 7700: sensors */
    void *pub;                     /* 7701: live feed */
    void *control;                 /* 7702: control requests */
    struct nvg_connections *conns; /* the three sockets' monitors */
    struct nvg_auth *auth;         /* the ZAP handler and allow-lists; NULL without --keys */
    struct nvg_security_counters security; /* lent to every module that refuses something */
    struct nvg_csv_writer *packets;
    struct nvg_csv_writer *rates_csv;
    struct nvg_sensor_table sensors;
    struct nvg_fanout *feed;
    struct nvg_alerts *alerts;
    struct nvg_hosts *hosts;
    struct nvg_flow_log *flows;
    struct nvg_audit *audit;
    struct nvg_control *ctl;
    struct nvg_ingest *ingest;
    struct nvg_status *status;
    struct nvg_retention *retention;
    struct nvg_metrics *metrics;       /* NULL without --metrics-listen */
    struct nvg_clickhouse *clickhouse; /* NULL without --clickhouse */
    struct nvg_ch_store *store;        /* --no-csv: acks and positions follow ClickHouse */
    struct nvg_sdnotify sd;            /* systemd: ready, status line, watchdog */
    int64_t start_ms;
    /* The wall clock as of the message at hand: the ingest and control drains refresh it per
     * message; packets_durable, called from ingest's writes and from main's flushes, reads it. */
    int64_t now_ms;
    uint64_t disconnects; /* of sensor links, from the monitor */
    /* The packet log's last durable point that sensors.state records. */
    char state_log_name[256];
    uint64_t state_log_length;
    bool state_prepared;         /* sensors.state.tmp holds the point the flush at hand reaches */
    bool state_unsynced;         /* sensors.state was last renamed without fsync */
    struct nvg_ratelog rl_write; /* shared with ingest's packet-log failures */
};

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else
        stop_requested = 1;
}

static int bind_one(void *sock, const char *host, int port, const char *what)
{
    char ep[300];
    if (nvg_zmq_endpoint(ep, sizeof(ep), host, port) < 0 || zmq_bind(sock, ep) != 0) {
        nvg_log(NVG_LOG_ERR, "cannot bind the %s socket to %s: %s", what, ep,
                zmq_strerror(zmq_errno()));
        return NVG_EZMQ;
    }
    nvg_log(NVG_LOG_INFO, "%s socket on %s", what, ep);
    return 0;
}

/* libzmq binds interface names and addresses, not host names: "localhost" means both loopback
 * addresses, as it does for a client that resolves it. A host without IPv6 keeps 127.0.0.1. */
static int bind_socket(void *sock, const char *host, int port, const char *what)
{
    if (strcmp(host, "localhost") != 0)
        return bind_one(sock, host, port, what);
    int rc = bind_one(sock, "127.0.0.1", port, what);
    if (rc == 0 && bind_one(sock, "::1", port, what) != 0)
        nvg_log(NVG_LOG_WARNING, "the %s socket listens on 127.0.0.1 only (no IPv6 loopback)",
                what);
    return rc;
}

/* CURVE with the ZAP domain of each socket, and IPv6 where the bind address is one. */
static int secure_sockets(struct collector *c)
{
    char err[NVG_ERRBUF_SIZE];
    int v6 = strchr(c->opts->bind, ':') != NULL || strcmp(c->opts->bind, "localhost") == 0;
    void *socks[3] = {c->router, c->pub, c->control};
    const char *domains[3] = {NVG_ZAP_DOMAIN_SENSOR, NVG_ZAP_DOMAIN_FEED, NVG_ZAP_DOMAIN_CONTROL};
    for (int i = 0; i < 3; i++) {
        if (zmq_setsockopt(socks[i], ZMQ_IPV6, &v6, sizeof(v6)) != 0) {
            nvg_log(NVG_LOG_ERR, "ZMQ_IPV6: %s", zmq_strerror(zmq_errno()));
            return NVG_EZMQ;
        }
        if (c->auth &&
            nvg_zmq_curve_server(socks[i], nvg_auth_own_cert(c->auth), domains[i], err) < 0) {
            nvg_log(NVG_LOG_ERR, "%s", err);
            return NVG_EZMQ;
        }
    }
    return 0;
}

static int open_sockets(struct collector *c)
{
    char err[NVG_ERRBUF_SIZE];
    const struct nvg_collector_options *o = c->opts;
    /* High-water marks from the memory budget (budget.h): per peer, a share of it in messages
     * of the largest size the socket carries, so no peer's queue outgrows its share. */
    uint64_t mb = o->memory_budget;
    struct nvg_sockopts in = {
        .rcvhwm = nvg_budget_hwm(NVG_BUDGET_LINK_SHARE(mb), NVG_LINK_MAX_MSG, 8, 4096),
        .sndhwm = 1000,
        .linger_ms = 0};
    struct nvg_sockopts feed = {
        .sndhwm = nvg_budget_hwm(NVG_BUDGET_FEED_SHARE(mb), NVG_LINK_MAX_MSG, 8, 4096),
        .linger_ms = 0};
    struct nvg_sockopts ctl = {
        .rcvhwm = nvg_budget_hwm(NVG_BUDGET_CONTROL_SHARE(mb), NVG_CONTROL_SOCKET_MAX_MSG, 4, 1000),
        .sndhwm = 1000,
        .linger_ms = 500,
        .max_msg_size = NVG_CONTROL_SOCKET_MAX_MSG};
    if (!(c->router = nvg_zmq_socket(c->zctx, ZMQ_ROUTER, &in, err)) ||
        !(c->pub = nvg_zmq_socket(c->zctx, ZMQ_PUB, &feed, err)) ||
        !(c->control = nvg_zmq_socket(c->zctx, ZMQ_ROUTER, &ctl, err))) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return NVG_EZMQ;
    }
    /* The monitors come before the binds so that no event is missed. */
    void *const socks[NVG_CONN_COUNT] = {c->router, c->pub, c->control};
    c->conns = nvg_connections_new(c->zctx, socks, &c->security, &c->disconnects);
    if (!c->conns) {
        nvg_log(NVG_LOG_ERR, "out of memory");
        return NVG_ENOMEM;
    }
    nvg_connections_set_idle(c->conns, o->sensor_idle_ms, o->control_idle_ms);
    if (secure_sockets(c) < 0 || bind_socket(c->router, o->bind, o->sensor_port, "sensor") < 0 ||
        bind_socket(c->pub, o->bind, o->feed_port, "feed") < 0 ||
        bind_socket(c->control, o->bind, o->control_port, "control") < 0)
        return NVG_EZMQ;
    /* Commands go out on the sensor ROUTER: an unroutable id must fail the send (the
     * requester is told the sensor is not connected) instead of vanishing. */
    int one = 1;
    if (zmq_setsockopt(c->router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) != 0) {
        nvg_log(NVG_LOG_ERR, "ZMQ_ROUTER_MANDATORY: %s", zmq_strerror(zmq_errno()));
        return NVG_EZMQ;
    }
    return 0;
}

static void cut_revoked(void *ud, const char *address)
{
    struct collector *c = ud;
    int cut = nvg_connections_cut(c->conns, address);
    c->security.revoked_disconnects += (uint64_t)cut;
    if (cut)
        nvg_log(NVG_LOG_NOTICE, "closed %d connection(s) from %s", cut, address);
}

/* SIGHUP: the config file (config-reload.h), the alert rules, and the allow-lists when there
 * are keys. */
static void reload_files_and_keys(struct collector *c)
{
    struct nvg_reload_targets t = {
        .logs = {c->packets, c->rates_csv, nvg_flow_log_writer(c->flows), nvg_alerts_log(c->alerts),
                 nvg_audit_log(c->audit)},
        .log_names = {"packets", "rates", "flows", "alerts", "audit"},
        .alerts = c->alerts,
        .retention = c->retention,
    };
    if (!nvg_config_reload(c->opts, &t))
        nvg_alerts_reload(c->alerts);
    if (!c->auth) {
        nvg_log(NVG_LOG_NOTICE, "SIGHUP: running without --keys, no allow-lists to reload");
        return;
    }
    char err[NVG_ERRBUF_SIZE];
    int revoked = nvg_auth_reload(c->auth, cut_revoked, c, err);
    if (revoked < 0)
        nvg_log(NVG_LOG_ERR, "SIGHUP: keeping the previous allow-lists: %s", err);
    else
        nvg_log(NVG_LOG_NOTICE,
                "SIGHUP: allow-lists reloaded: %zu sensor, %zu viewer, %zu admin key(s); %d "
                "revoked",
                nvg_auth_count(c->auth, NVG_ROLE_SENSOR), nvg_auth_count(c->auth, NVG_ROLE_VIEWER),
                nvg_auth_count(c->auth, NVG_ROLE_ADMIN), revoked);
}

static void reload(struct collector *c)
{
    reload_requested = 0;
    nvg_sdnotify_reloading(&c->sd);
    reload_files_and_keys(c);
    nvg_sdnotify_ready(&c->sd, c->sd.status);
}

/* A closed second of a sensor's rates. The table holds sensors (those of sensors.state) before
 * ingest exists, so its callback reaches ingest through the collector. */
static void rate_closed(void *ud, int64_t sec, int proto, uint64_t packets, uint64_t bytes)
{
    struct nvg_sensor_entry *s = ud;
    struct collector *c = s->owner;
    if (c->ingest) /* without it nothing was counted, so nothing closes */
        nvg_ingest_rate_closed(c->ingest, s, sec, proto, packets, bytes);
}

/* Before any record is counted: the rates rows a crash left out, from the packet log. */
static void rebuild_rates(struct collector *c)
{
    if (!c->rates_csv)
        return; /* --no-csv: no packet log to rebuild from */
    struct nvg_rate_rebuild_result r;
    nvg_rate_rebuild(c->opts->out_dir, c->rates_csv, 0, 0, &r);
    c->sensors.rate_records_rebuilt += r.rebuilt;
    c->sensors.rate_records_lost += r.lost;
}

/* The packet log's durable point (csv-writer.h): before a flush, the state naming the length
 * the log will have is written to sensors.state.tmp (fsync'ed when the flush syncs) -- if that
 * fails (a full disk) the flush does not happen, so the log never holds rows the saved state
 * does not know and the saved length never lags what is in the file; after it the state is
 * renamed into place. After a synced flush (the log fdatasync'ed) held end-of-stream acks
 * whose rows are now in the file go out: an ack promises rows on disk. */
static int packets_durable(void *ud, enum nvg_csv_phase phase, bool synced, const char *name,
                           uint64_t length)
{
    struct collector *c = ud;
    if (phase == NVG_CSV_PREPARE) {
        bool same = !c->sensors.state_dirty && length == c->state_log_length &&
                    strcmp(name, c->state_log_name) == 0 && !(synced && c->state_unsynced);
        nvg_sensor_table_mark_durable(&c->sensors);
        c->state_prepared = false;
        if (same)
            return 0;
        if (nvg_sensor_state_prepare(&c->sensors, c->opts->out_dir, name, length, synced) < 0) {
            nvg_ratelog_log(&c->rl_write, c->now_ms, NVG_LOG_ERR,
                            "cannot save %s/sensors.state: %s; the packet log waits (its rows "
                            "stay buffered, counted as pending)",
                            c->opts->out_dir, strerror(errno));
            return NVG_EIO;
        }
        c->state_prepared = true;
        return 0;
    }
    if (c->state_prepared) {
        c->state_prepared = false;
        if (nvg_sensor_state_commit(c->opts->out_dir, synced) == 0) {
            c->sensors.state_dirty = false;
            c->state_unsynced = !synced;
            snprintf(c->state_log_name, sizeof(c->state_log_name), "%s", name);
            c->state_log_length = length;
        } else {
            c->sensors.state_dirty = true;
            nvg_ratelog_log(&c->rl_write, c->now_ms, NVG_LOG_ERR,
                            "cannot save %s/sensors.state (rename): %s", c->opts->out_dir,
                            strerror(errno));
        }
    }
    if (c->ingest && synced)
        nvg_ingest_durable(c->ingest);
    return 0;
}

/* Rows past the saved positions are cut (their batches count as lost); a log shorter than
 * them makes the positions worthless, as a corrupt state would. */
static void cut_back_packets(struct collector *c, const char *log_name, uint64_t log_length)
{
    const char *dir = c->opts->out_dir;
    int64_t rc = nvg_csv_cut_back(dir, "packets", log_name, log_length);
    if (rc == NVG_ETRUNC) {
        nvg_sensor_table_forget_history(&c->sensors);
        nvg_log(NVG_LOG_WARNING,
                "%s/sensors.state names more rows than %s holds: sensors resume with unknown "
                "history (no loss is claimed for what came before this start)",
                dir, log_name);
    } else if (rc < 0) {
        nvg_log(NVG_LOG_WARNING, "cannot cut %s/%s back to its saved length", dir, log_name);
    }
}

static int open_files(struct collector *c, char *err)
{
    const struct nvg_collector_options *o = c->opts;
    if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot create %s: %s", o->out_dir, strerror(errno));
        return NVG_EIO;
    }
    if (!(c->retention = nvg_retention_from_options(o, err))) /* sees every log opened */
        return NVG_ENOMEM;
    /* Positions first: rows written after the saved ones belong to batches the restart will
     * count as lost, so they are cut from the log (then every log ends on a whole line). */
    char log_name[256];
    uint64_t log_length;
    const char *why;
    int loaded = nvg_sensor_state_load(&c->sensors, o->out_dir, log_name, sizeof(log_name),
                                       &log_length, &why);
    if (loaded > 0)
        nvg_log(NVG_LOG_INFO, "resumed the sequence positions of %d sensor(s)", loaded);
    if (c->sensors.history_unknown)
        /* The packet log is the truth: nothing is cut, and no batch counts as lost for what
         * happened before this start. */
        nvg_log(NVG_LOG_WARNING,
                "%s/sensors.state %s%s%s: keeping every log as it is; sensors resume with "
                "unknown history (no loss is claimed for what came before this start)",
                o->out_dir, why, loaded == NVG_EIO ? ": " : "",
                loaded == NVG_EIO ? strerror(errno) : "");
    else if (log_name[0])
        cut_back_packets(c, log_name, log_length);
    nvg_csv_repair_dir(o->out_dir, "packets");
    nvg_csv_repair_dir(o->out_dir, "rates");
    if (o->no_csv)
        return 0; /* no packet or rates log: ClickHouse is the store (clickhouse-store.h) */
    struct nvg_csv_writer_config pk = {
        .dir = o->out_dir,
        .prefix = "packets",
        .header = NVG_CSV_HEADER,
        .rotate_size = o->rotate_size,
        .rotate_interval_s = o->rotate_interval_s,
        .buffer_size = 4u << 20,
        .on_durable = packets_durable,
        .on_durable_ud = c,
    };
    struct nvg_csv_writer_config rt = pk;
    rt.on_durable = NULL;
    rt.on_durable_ud = NULL;
    rt.prefix = "rates";
    rt.header = "time,sensor,proto,packets,bytes\n";
    rt.buffer_size = 256u << 10;
    c->packets = nvg_csv_writer_new(&pk, err);
    if (!c->packets)
        return NVG_EIO;
    c->rates_csv = nvg_csv_writer_new(&rt, err);
    if (!c->rates_csv)
        return NVG_EIO;
    return 0;
}

/* For STATUS requests: control gets the status through this, not from the status module
 * (which reads control's counters). */
static const uint8_t *status_for_control(void *ud, const Netvigil__ControlRequest *req, size_t *len,
                                         unsigned *field)
{
    struct collector *c = ud;
    if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_HOSTS) {
        *field = 0; /* packed with their tags */
        return nvg_hosts_packed(c->hosts, c->now_ms, req->limit, len);
    }
    if (req->kind == NETVIGIL__COMMAND_KIND__COMMAND_ALERTS) {
        bool oom;
        *field = 0; /* the entries carry their own tags */
        const uint8_t *p = nvg_alerts_packed_since(c->alerts, req->since_ms, len, &oom);
        return oom ? NULL : p ? p : (const uint8_t *)"";
    }
    *field = 6;
    return nvg_status_packed(c->status, c->now_ms, len);
}

/* control is lent to ingest, which passes it the CommandReplies. */
static int open_control_ingest(struct collector *c)
{
    struct nvg_control_config cc = {
        .control = c->control,
        .router = c->router,
        .sensors = &c->sensors,
        .audit = c->audit,
        .command_timeout_ms = c->opts->command_timeout_ms,
        .status = status_for_control,
        .status_ud = c,
        .now_ms = &c->now_ms,
        .keys = c->auth != NULL,
        .memory_budget = c->opts->memory_budget,
        .security = &c->security,
        .pcap_max = c->opts->pcap_max,
    };
    c->ctl = nvg_control_new(&cc);
    if (!c->ctl)
        return NVG_ENOMEM;
    struct nvg_ingest_config ic = {
        .router = c->router,
        .sensors = &c->sensors,
        .packets = c->packets,
        .rates = c->rates_csv,
        .feed = c->feed,
        .alerts = c->alerts,
        .flows = c->flows,
        .control = c->ctl,
        .clickhouse = c->clickhouse,
        .now_ms = &c->now_ms,
        .write_log = &c->rl_write,
        .keys = c->auth != NULL,
        .security = &c->security,
    };
    c->ingest = nvg_ingest_new(&ic);
    return c->ingest ? 0 : NVG_ENOMEM;
}

/* Last: it reads every other module. */
static int open_status(struct collector *c)
{
    struct nvg_status_config sc = {
        .sensors = &c->sensors,
        .ingest = c->ingest,
        .control = c->ctl,
        .audit = c->audit,
        .packets = c->packets,
        .rates = c->rates_csv,
        .disconnects = &c->disconnects,
        .security = &c->security,
        .keys = c->auth != NULL,
        .feed = c->feed,
        .alerts = c->alerts,
        .flows = c->flows,
        .hosts = c->hosts,
        .retention = c->retention,
        .clickhouse = c->clickhouse,
        .csv_off = c->opts->no_csv,
        .start_ms = c->start_ms,
    };
    c->status = nvg_status_new(&sc);
    return c->status ? 0 : NVG_ENOMEM;
}

/* The conversation log and the host totals it feeds (issue 12). */
static int open_flows(struct collector *c, char *err)
{
    c->hosts = nvg_hosts_new(0);
    if (!c->hosts) {
        snprintf(err, NVG_ERRBUF_SIZE, "out of memory");
        return NVG_ENOMEM;
    }
    struct nvg_flow_log_config fc = {
        .dir = c->opts->out_dir,
        .rotate_size = c->opts->rotate_size,
        .rotate_interval_s = c->opts->rotate_interval_s,
        .feed = c->feed,
        .hosts = c->hosts,
        .clickhouse = c->clickhouse,
        .no_csv = c->opts->no_csv,
    };
    c->flows = nvg_flow_log_new(&fc, err);
    return c->flows ? 0 : NVG_EIO;
}

/* The ClickHouse sink, before the modules that hand it rows. */
static int open_clickhouse(struct collector *c, char *err)
{
    const struct nvg_collector_options *o = c->opts;
    if (!o->clickhouse_url)
        return 0;
    struct nvg_clickhouse_config cc = {
        .url = o->clickhouse_url,
        .user = o->clickhouse_user,
        .password = o->clickhouse_password,
        .password_file = o->clickhouse_password_file,
        .buffer_size = o->clickhouse_buffer,
        .retain_days = o->clickhouse_retain_days,
        .return_lost = o->no_csv,
    };
    c->clickhouse = nvg_clickhouse_new(&cc, err);
    return c->clickhouse ? 0 : NVG_EINVAL;
}

static int open_modules(struct collector *c)
{
    char err[NVG_ERRBUF_SIZE] = "";
    if (open_clickhouse(c, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return NVG_EINVAL;
    }
    struct nvg_fanout_config fc = {
        .pub = c->pub,
        .sensors = &c->sensors,
        .memory_budget = c->opts->memory_budget,
        .security = &c->security,
        .conns = c->conns,
    };
    c->feed = nvg_fanout_new(&fc);
    if (!c->feed) {
        nvg_log(NVG_LOG_ERR, "out of memory");
        return NVG_ENOMEM;
    }
    struct nvg_alerts_config ac = {
        .out_dir = c->opts->out_dir,
        .rotate_size = c->opts->rotate_size,
        .rotate_interval_s = c->opts->rotate_interval_s,
        .rules_path = c->opts->alerts_config,
        .disabled = c->opts->no_alerts,
        .no_csv = c->opts->no_csv,
        .feed = c->feed,
        .clickhouse = c->clickhouse,
    };
    c->alerts = nvg_alerts_new(&ac, err);
    if (!c->alerts) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return NVG_EIO;
    }
    if (open_flows(c, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return NVG_EIO;
    }
    c->audit = nvg_audit_new(c->opts, c->feed, err);
    if (!c->audit) {
        nvg_log(NVG_LOG_ERR, "%s", err);
        return NVG_EIO;
    }
    if (open_control_ingest(c) < 0 || open_status(c) < 0 ||
        (c->opts->no_csv &&
         !(c->store = nvg_ch_store_new(c->clickhouse, &c->sensors, c->ingest, c->opts->out_dir)))) {
        nvg_log(NVG_LOG_ERR, "out of memory");
        return NVG_ENOMEM;
    }
    return 0;
}

struct ticker {
    int64_t next_tick, next_second, talkers_start_s;
};

/* `systemctl status` shows this line: "3 sensors (2 connected), 84.2k records/s". */
static void service_status(struct collector *c, int64_t now, char *line, size_t size)
{
    size_t alive = 0;
    double pps = 0;
    uint64_t unwritten = 0;
    for (size_t i = 0; i < c->sensors.n; i++) {
        const struct nvg_sensor_entry *s = c->sensors.v[i];
        alive += nvg_sensor_entry_alive(s, now);
        pps += s->pps;
        unwritten += s->write_failures;
    }
    char rate[16];
    nvg_format_si(rate, sizeof(rate), pps);
    int n = snprintf(line, size, "%zu sensor%s (%zu connected), %s records/s", c->sensors.n,
                     c->sensors.n == 1 ? "" : "s", alive, rate);
    if (unwritten && n > 0 && (size_t)n < size)
        snprintf(line + n, size - (size_t)n, "; %" PRIu64 " rows not written", unwritten);
}

static void every_second(struct collector *c, int64_t now)
{
    for (size_t i = 0; i < c->sensors.n; i++)
        nvg_sensor_entry_update_speed(c->sensors.v[i], now);
    nvg_csv_writer_tick(c->packets, now);
    nvg_csv_writer_tick(c->rates_csv, now);
    nvg_csv_writer_tick(nvg_flow_log_writer(c->flows), now);
    nvg_alerts_second(c->alerts, now);
    nvg_ch_store_second(c->store, now);
    nvg_connections_tick(c->conns); /* idle peers, descriptors */
    nvg_status_publish(c->status);
    char line[sizeof(c->sd.status)];
    service_status(c, now, line, sizeof(line));
    nvg_sdnotify_status(&c->sd, line);
}

static void tick(struct collector *c, struct ticker *t, int64_t now)
{
    for (size_t i = 0; i < c->sensors.n; i++)
        nvg_rate_window_tick(&c->sensors.v[i]->rates, now);
    nvg_fanout_rates(c->feed);
    nvg_alerts_tick(c->alerts);
    nvg_retention_tick(c->retention, now);
    nvg_metrics_tick(c->metrics, now);
    nvg_clickhouse_tick(c->clickhouse, now);
    nvg_ch_store_tick(c->store);
    if (now >= t->next_second) {
        every_second(c, now);
        t->next_second = now + 1000;
    }
    int64_t iv = c->opts->talkers_interval_s;
    if (now / 1000 >= t->talkers_start_s + iv) {
        nvg_fanout_talkers(c->feed, t->talkers_start_s, (uint32_t)iv);
        t->talkers_start_s = now / 1000 / iv * iv;
    }
}

static void run(struct collector *c)
{
    zmq_pollitem_t items[3 + NVG_CONN_COUNT] = {
        {.socket = c->router, .events = ZMQ_POLLIN},
        {.socket = c->control, .events = ZMQ_POLLIN},
        /* Without keys, fd -1: a NULL socket means "poll .fd", and fd 0 is stdin, which
         * under systemd is /dev/null, always readable: the loop would spin. */
        {.socket = c->auth ? nvg_auth_socket(c->auth) : NULL, .fd = -1, .events = ZMQ_POLLIN},
    };
    int nitems = 3 + nvg_connections_poll_items(c->conns, items + 3);
    int64_t now = nvg_clock_wall_ms();
    int64_t iv = c->opts->talkers_interval_s;
    struct ticker t = {now + TICK_MS, now + 1000, now / 1000 / iv * iv};
    while (!stop_requested) {
        int rc = zmq_poll(items, nitems, TICK_MS);
        if (rc < 0 && zmq_errno() != EINTR) {
            nvg_log(NVG_LOG_ERR, "zmq_poll: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (rc > 0) {
            if (items[0].revents & ZMQ_POLLIN)
                nvg_ingest_drain(c->ingest, BURST);
            if (items[1].revents & ZMQ_POLLIN)
                nvg_control_drain(c->ctl, BURST);
            if (c->auth && (items[2].revents & ZMQ_POLLIN))
                nvg_auth_drain(c->auth, BURST);
            nvg_connections_drain(c->conns);
        }
        if (reload_requested)
            reload(c);
        now = nvg_clock_wall_ms();
        nvg_sdnotify_kick(&c->sd, nvg_clock_mono_ms()); /* this loop turns: we are alive */
        nvg_control_tick(c->ctl, now);
        if (now >= t.next_tick || now < t.next_tick - 10 * TICK_MS) {
            tick(c, &t, now);
            t.next_tick = now + TICK_MS;
        }
    }
}

/* Close every open second, write everything, remember where each sensor is. */
static void shutdown_collector(struct collector *c)
{
    nvg_metrics_free(c->metrics); /* first: its text is a stopping collector's */
    /* Answers the requests in flight: needs the sockets and the audit. */
    nvg_control_free(c->ctl);
    nvg_audit_free(c->audit);
    for (size_t i = 0; i < c->sensors.n; i++)
        nvg_rate_window_flush(&c->sensors.v[i]->rates);
    if (c->feed)
        nvg_fanout_rates(c->feed);
    /* Rows that cannot reach the disk now are counted per sensor and reported in the held
     * end-of-stream acks; the router lingers so those acks leave before it closes. */
    if (c->ingest && !c->store)
        nvg_ingest_finish(c->ingest);
    nvg_retention_free(c->retention); /* ends its disk alert */
    nvg_alerts_free(c->alerts);       /* ends the open alerts: on the feed and in their log */
    if (c->router) {
        int linger = 1000;
        zmq_setsockopt(c->router, ZMQ_LINGER, &linger, sizeof(linger));
    }
    nvg_csv_writer_free(c->packets); /* its last flush saves the sequence positions */
    nvg_csv_writer_free(c->rates_csv);
    nvg_flow_log_free(c->flows);
    nvg_ch_store_finish(c->store); /* --no-csv: the acks wait for the sink's drain */
    nvg_ch_store_free(c->store);
    nvg_clickhouse_free(c->clickhouse); /* after every module that hands it rows */
    nvg_hosts_free(c->hosts);
    nvg_status_free(c->status);
    nvg_ingest_free(c->ingest);
    nvg_fanout_free(c->feed);
    nvg_sensor_table_free(&c->sensors);
    nvg_connections_free(c->conns); /* before the sockets it watches */
    if (c->router)
        zmq_close(c->router);
    if (c->pub)
        zmq_close(c->pub);
    if (c->control)
        zmq_close(c->control);
    nvg_auth_free(c->auth); /* its REP socket is the context's too */
    if (c->zctx)
        zmq_ctx_term(c->zctx);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    struct nvg_collector_options opts;
    int rc = nvg_collector_options_parse(&opts, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    nvg_log_set_ident("netvigil-collector");
    if (opts.verbose)
        nvg_log_set_level(NVG_LOG_DEBUG);
    install_signals();

    struct collector c;
    memset(&c, 0, sizeof(c));
    c.opts = &opts;
    c.start_ms = nvg_clock_wall_ms();
    nvg_sdnotify_init(&c.sd);
    nvg_sensor_table_init(&c.sensors, rate_closed, &c);
    char err[NVG_ERRBUF_SIZE] = "";
    int status = 1;
    c.zctx = nvg_zmq_ctx_new(NVG_COLLECTOR_THREAD_STACK, err);
    if (!c.zctx) {
        nvg_log(NVG_LOG_ERR, "%s", err);
    } else if (open_files(&c, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
    } else if (opts.keys_dir &&
               !(c.auth = nvg_auth_new(c.zctx, opts.keys_dir, opts.own_key, &c.security, err))) {
        nvg_log(NVG_LOG_ERR, "--keys %s: %s", opts.keys_dir, err);
    } else if (open_sockets(&c) < 0) {
        /* logged */
    } else if (open_modules(&c) < 0 || nvg_metrics_start(&c.metrics, opts.metrics_listen,
                                                         opts.out_dir, c.status, c.conns) < 0) {
        /* logged */
    } else if (nvg_limits_check_memory(NVG_COLLECTOR_RUN_MARGIN, opts.memory_budget, err) < 0) {
        nvg_log(NVG_LOG_ERR, "%s", err);
    } else {
        rebuild_rates(&c);
        nvg_retention_start(c.retention, c.alerts, c.packets, nvg_flow_log_writer(c.flows));
        nvg_log(NVG_LOG_NOTICE, "collector %s running, writing to %s", NVG_VERSION, opts.out_dir);
        if (c.auth)
            nvg_log(
                NVG_LOG_NOTICE, "CURVE on every socket: %zu sensor, %zu viewer, %zu admin key(s)",
                nvg_auth_count(c.auth, NVG_ROLE_SENSOR), nvg_auth_count(c.auth, NVG_ROLE_VIEWER),
                nvg_auth_count(c.auth, NVG_ROLE_ADMIN));
        char line[sizeof(c.sd.status)];
        service_status(&c, nvg_clock_wall_ms(), line, sizeof(line));
        nvg_sdnotify_ready(&c.sd, line);
        run(&c);
        nvg_log(NVG_LOG_NOTICE, "stopping: flushing and closing the logs");
        nvg_sdnotify_stopping(&c.sd, "stopping: flushing and closing the logs");
        status = 0;
    }
    shutdown_collector(&c);
    nvg_collector_options_free(&opts);
    return status;
}
