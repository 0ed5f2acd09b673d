/* SIGHUP with --config (issue 13): reread the file, apply what can change at run time, say
 * what needs a restart. */
#ifndef NVG_CONFIG_RELOAD_H
#define NVG_CONFIG_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "alerts.h"
#include "collector-options.h"
#include "csv-writer.h"

#define NVG_RELOAD_MAX_LOGS 8

/* What a reload changes, lent by main.c. */
struct nvg_reload_targets {
    struct nvg_csv_writer *logs[NVG_RELOAD_MAX_LOGS]; /* rotation limits; NULL entries skipped */
    const char *log_names[NVG_RELOAD_MAX_LOGS];
    struct nvg_alerts *alerts;
    struct nvg_retention *retention; /* retain-size, retain-time, min-free */
};

/* Rereads live->config_path (nothing to do without one) and applies the keys that changed into
 * the running collector and *live, one log line each; a bad file or set of options keeps
 * everything in force (logged with FILE:LINE). Returns true when it (re)loaded the alert rules,
 * so the caller does not reread them a second time. */
bool nvg_config_reload(struct nvg_collector_options *live, const struct nvg_reload_targets *t);

#endif
