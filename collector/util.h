/* Small helpers of the collector: the wall clock and rate-limited warnings. */
#ifndef NVG_COLLECTOR_UTIL_H
#define NVG_COLLECTOR_UTIL_H

#include <stdint.h>

#include "nvg-log.h"

#define NVG_RATELOG_INTERVAL_MS 5000

/* A warning printed at most once per interval, with the number of repeats it stood for. */
struct nvg_ratelog {
    int64_t last_ms;
    uint64_t suppressed;
};

int64_t nvg__wall_ms(void);
void nvg__ratelog(struct nvg_ratelog *rl, int64_t now_ms, enum nvg_log_level level, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

#endif
