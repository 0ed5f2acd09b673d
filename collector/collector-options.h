/* Command-line options of netvigil-collector. */
#ifndef NVG_COLLECTOR_OPTIONS_H
#define NVG_COLLECTOR_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

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
    const char *alerts_config; /* --alerts-config; NULL = the built-in defaults */
    bool no_alerts;
    int sensor_idle_ms;         /* a sensor connection silent this long is closed; 0 = never */
    int control_idle_ms;        /* the same for control connections */
    const char *metrics_listen; /* --metrics-listen ADDR:PORT; NULL = no /metrics */
    bool insecure;
    bool verbose;
};

/* Parse argv into opts. Returns 0 to run, 1 when --help/--version was printed (exit 0), or -1
 * after printing an error (exit 2). */
int nvg_collector_options_parse(struct nvg_collector_options *opts, int argc, char **argv);

/* "90s", "5m", "1h", "2" (seconds). */
int nvg__parse_duration(const char *text, int64_t *out_s);

#endif
