/* Small helpers of the collector: the wall clock and rate-limited warnings. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

int64_t nvg__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void nvg__ratelog(struct nvg_ratelog *rl, int64_t now_ms, enum nvg_log_level level, const char *fmt,
                  ...)
{
    if (rl->last_ms && now_ms - rl->last_ms < NVG_RATELOG_INTERVAL_MS) {
        rl->suppressed++;
        return;
    }
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (rl->suppressed)
        nvg_log(level, "%s (and %llu more like it in the last %d s)", text,
                (unsigned long long)rl->suppressed, NVG_RATELOG_INTERVAL_MS / 1000);
    else
        nvg_log(level, "%s", text);
    rl->last_ms = now_ms;
    rl->suppressed = 0;
}
