#include "config-reload.h"

#include <inttypes.h>
#include <string.h>

#include "nvg-log.h"
#include "retention.h"

/* The keys a reload applies (below); any other key whose value changed needs a restart. */
static const char *const runtime_keys[] = {"rotate-size", "rotate-interval", "alerts-config",
                                           "verbose",     "retain-size",     "retain-time",
                                           "min-free"};

static bool is_runtime(const char *key)
{
    for (size_t i = 0; i < sizeof(runtime_keys) / sizeof(runtime_keys[0]); i++)
        if (strcmp(runtime_keys[i], key) == 0)
            return true;
    return false;
}

/* The file's value of key, a no-argument option as "true" or absent, so that "no" and a
 * missing key compare equal. */
static const char *file_value(const struct nvg_config *cfg, const struct option *o)
{
    static const char *const sections[] = {"collector"};
    const char *v = nvg_config_get(cfg, sections, 1, o->name);
    if (o->has_arg == no_argument)
        return v && nvg_config_bool(v) == 1 ? "true" : NULL;
    return v;
}

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Keys whose file value changed: a run-time key against the previous reading (the apply_*
 * functions say what they applied), any other against the file the collector started with, so
 * a pending restart is said again at every SIGHUP until it happens. */
static int report_changed_keys(const struct nvg_collector_options *live,
                               const struct nvg_config *next)
{
    const struct nvg_config *start = live->config;
    while (start && start->prev)
        start = start->prev;
    int pending = 0;
    for (const struct option *o = nvg_collector_long_options(); o->name; o++) {
        if (!nvg_config_option(nvg_collector_long_options(), o->name))
            continue;
        bool runtime = is_runtime(o->name);
        const struct nvg_config *base = runtime ? live->config : start;
        if (same(base ? file_value(base, o) : NULL, file_value(next, o)))
            continue;
        if (nvg_collector_option_on_cmdline(live, o->name)) {
            nvg_log(NVG_LOG_NOTICE,
                    "SIGHUP: %s: set on the command line, the file's value is not used", o->name);
        } else if (!runtime) {
            nvg_log(NVG_LOG_WARNING, "SIGHUP: %s: needs a restart, not applied", o->name);
            pending++;
        }
    }
    return pending;
}

static int apply_rotation(struct nvg_collector_options *live,
                          const struct nvg_collector_options *next,
                          const struct nvg_reload_targets *t)
{
    int applied = 0;
    char names[200] = "";
    for (size_t i = 0; i < NVG_RELOAD_MAX_LOGS; i++)
        if (t->logs[i]) {
            nvg_csv_writer_set_rotation(t->logs[i], next->rotate_size, next->rotate_interval_s);
            size_t n = strlen(names);
            snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", t->log_names[i]);
        }
    if (next->rotate_size != live->rotate_size) {
        nvg_log(NVG_LOG_NOTICE,
                "SIGHUP: rotate-size = %" PRIu64 " bytes (was %" PRIu64 "), "
                "applied to the logs: %s",
                next->rotate_size, live->rotate_size, names);
        applied++;
    }
    if (next->rotate_interval_s != live->rotate_interval_s) {
        nvg_log(NVG_LOG_NOTICE,
                "SIGHUP: rotate-interval = %" PRId64 " s (was %" PRId64 "), "
                "applied to the logs: %s",
                next->rotate_interval_s, live->rotate_interval_s, names);
        applied++;
    }
    live->rotate_size = next->rotate_size;
    live->rotate_interval_s = next->rotate_interval_s;
    return applied;
}

/* Always rereads the rules (SIGHUP's meaning for alerts.conf), from the new path if it moved. */
static int apply_alerts(struct nvg_collector_options *live,
                        const struct nvg_collector_options *next,
                        const struct nvg_reload_targets *t)
{
    if (same(live->alerts_config, next->alerts_config)) {
        nvg_alerts_reload(t->alerts);
        return 0;
    }
    if (live->no_alerts) {
        nvg_log(NVG_LOG_NOTICE, "SIGHUP: alerts-config: detection is off (--no-alerts)");
    } else if (nvg_alerts_reload_from(t->alerts, next->alerts_config) < 0) {
        nvg_log(NVG_LOG_ERR, "SIGHUP: alerts-config: %s not applied, still %s",
                next->alerts_config ? next->alerts_config : "(defaults)",
                live->alerts_config ? live->alerts_config : "the defaults");
        nvg_alerts_reload(t->alerts);
        return 0;
    }
    nvg_log(NVG_LOG_NOTICE, "SIGHUP: alerts-config = %s (was %s), applied",
            next->alerts_config ? next->alerts_config : "(defaults)",
            live->alerts_config ? live->alerts_config : "(defaults)");
    live->alerts_config = next->alerts_config;
    return 1;
}

static int apply_verbose(struct nvg_collector_options *live,
                         const struct nvg_collector_options *next)
{
    if (live->verbose == next->verbose)
        return 0;
    nvg_log_set_level(next->verbose ? NVG_LOG_DEBUG : NVG_LOG_INFO);
    nvg_log(NVG_LOG_NOTICE, "SIGHUP: verbose = %s, applied", next->verbose ? "true" : "false");
    live->verbose = next->verbose;
    return 1;
}

/* retain-size, retain-time, min-free: the retention module takes them at its next tick. */
static int apply_retention(struct nvg_collector_options *live,
                           const struct nvg_collector_options *next,
                           const struct nvg_reload_targets *t)
{
    int applied = 0;
    if (live->retain_size != next->retain_size) {
        nvg_log(NVG_LOG_NOTICE,
                "SIGHUP: retain-size = %" PRIu64 " bytes (was %" PRIu64 "), applied",
                next->retain_size, live->retain_size);
        applied++;
    }
    if (live->retain_time_s != next->retain_time_s) {
        nvg_log(NVG_LOG_NOTICE, "SIGHUP: retain-time = %" PRId64 " s (was %" PRId64 "), applied",
                next->retain_time_s, live->retain_time_s);
        applied++;
    }
    if (live->min_free_pct != next->min_free_pct || live->min_free_bytes != next->min_free_bytes) {
        if (next->min_free_pct > 0)
            nvg_log(NVG_LOG_NOTICE, "SIGHUP: min-free = %g%%, applied", next->min_free_pct);
        else
            nvg_log(NVG_LOG_NOTICE, "SIGHUP: min-free = %" PRIu64 " bytes, applied",
                    next->min_free_bytes);
        applied++;
    }
    if (!applied || !t->retention)
        return applied;
    live->retain_size = next->retain_size;
    live->retain_time_s = next->retain_time_s;
    live->min_free_pct = next->min_free_pct;
    live->min_free_bytes = next->min_free_bytes;
    struct nvg_retention_limits l = {live->retain_size, live->retain_time_s, live->min_free_pct,
                                     live->min_free_bytes};
    nvg_retention_set_limits(t->retention, &l);
    return applied;
}

bool nvg_config_reload(struct nvg_collector_options *live, const struct nvg_reload_targets *t)
{
    if (!live->config_path) {
        nvg_log(NVG_LOG_NOTICE, "SIGHUP: no --config file to reread");
        return false;
    }
    struct nvg_collector_options next;
    char err[NVG_ERRBUF_SIZE];
    if (nvg_collector_options_reread(live, &next, err) < 0) {
        nvg_log(NVG_LOG_ERR, "SIGHUP: %s; the configuration in force stays", err);
        return false;
    }
    int pending = report_changed_keys(live, next.config);
    int applied = apply_rotation(live, &next, t);
    applied += apply_verbose(live, &next);
    applied += apply_retention(live, &next, t);
    int moved = apply_alerts(live, &next, t);
    applied += moved;
    /* live now points into both readings: keep the older alive behind the newer. */
    next.config->prev = live->config;
    live->config = next.config;
    nvg_log(NVG_LOG_NOTICE, "SIGHUP: reread %s: %d change(s) applied, %d need a restart",
            live->config_path, applied, pending);
    return true;
}
