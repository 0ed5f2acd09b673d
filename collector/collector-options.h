/* Command-line options of netvigil-collector. */
#ifndef NVG_COLLECTOR_OPTIONS_H
#define NVG_COLLECTOR_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "nvg-config.h"

struct nvg_collector_options {
    const char *bind; /* address the three sockets bind to */
    int sensor_port;
    int feed_port;
    int control_port;
    const char *out_dir;
    uint64_t rotate_size;      /* bytes; 0 = never by size */
    int64_t rotate_interval_s; /* 0 = never by time */
    int64_t talkers_interval_s;
    int command_timeout_ms;    /* a sensor that has not answered a command by then: timed out */
    const char *own_key;       /* --key: own key pair; NULL = keys_dir/collector.key_secret */
    const char *keys_dir;      /* --keys: CURVE + allow-lists (auth.h); NULL = no keys */
    uint64_t memory_budget;    /* bytes peers may make the collector hold (budget.h) */
    uint64_t pcap_max;         /* --pcap-max: the largest pcap extraction passed on */
    const char *alerts_config; /* --alerts-config; NULL = the built-in defaults */
    bool no_alerts;
    int sensor_idle_ms;         /* a sensor connection silent this long is closed; 0 = never */
    int control_idle_ms;        /* the same for control connections */
    const char *metrics_listen; /* --metrics-listen ADDR:PORT; NULL = no /metrics */
    bool insecure;
    bool verbose;
    /* --config (issue 13): the file, and the strings its values live in (options point into
     * them); argv is kept to lay the command line over a reread file on SIGHUP. */
    const char *config_path; /* NULL: no file */
    struct nvg_config *config;
    int argc;
    char **argv;
    /* Retention (retention.h): 0 = off. min_free: a percentage of the file system when
     * min_free_pct > 0, else bytes (both 0 = no floor). compress: enum nvg_compress. */
    uint64_t retain_size;
    int64_t retain_time_s;
    double min_free_pct;
    uint64_t min_free_bytes;
    int compress;
    /* The ClickHouse sink (clickhouse.h): clickhouse_url NULL = none. The password is read
     * from the config file or clickhouse_password_file, never from the command line. */
    const char *clickhouse_url;
    const char *clickhouse_user;
    const char *clickhouse_password;
    const char *clickhouse_password_file;
    uint64_t clickhouse_buffer;
    int clickhouse_retain_days;
    bool no_csv; /* --no-csv: ClickHouse is the only store of records, rates, flows, alerts */
};

/* Parse argv into opts. Returns 0 to run, 1 when --help/--version was printed (exit 0), or -1
 * after printing an error (exit 2). */
int nvg_collector_options_parse(struct nvg_collector_options *opts, int argc, char **argv);
/* SIGHUP: the options as they would be at a start now (defaults, cur's --config file reread,
 * cur's command line over it) into next, printing nothing. 0, or -1 with "FILE:LINE: reason"
 * in err (next then owns nothing). */
int nvg_collector_options_reread(const struct nvg_collector_options *cur,
                                 struct nvg_collector_options *next, char err[NVG_ERRBUF_SIZE]);
/* Whether the command line sets the option of key (the file's value cannot win). */
bool nvg_collector_option_on_cmdline(const struct nvg_collector_options *opts, const char *key);
/* Frees the config strings (and older readings chained to them). */
void nvg_collector_options_free(struct nvg_collector_options *opts);
/* The getopt table: the option list and the config keys (tests, reload). */
const struct option *nvg_collector_long_options(void);

/* "90s", "5m", "1h", "2" (seconds). */
int nvg__parse_duration(const char *text, int64_t *out_s);

#endif
