/* Rate-limited log messages. See nvg-ratelog.h. */
#include "nvg-ratelog.h"

#include <stdarg.h>
#include <stdio.h>

static int64_t interval(const struct nvg_ratelog *rl)
{
    return rl->interval_ms > 0 ? rl->interval_ms : NVG_RATELOG_DEFAULT_MS;
}

bool nvg_ratelog_allow(struct nvg_ratelog *rl, int64_t now_ms, uint64_t *suppressed)
{
    if (rl->printed && now_ms - rl->last_ms < interval(rl)) {
        rl->suppressed++;
        return false;
    }
    if (suppressed)
        *suppressed = rl->suppressed;
    rl->printed = true;
    rl->last_ms = now_ms;
    rl->suppressed = 0;
    return true;
}

void nvg_ratelog_log(struct nvg_ratelog *rl, int64_t now_ms, enum nvg_log_level level,
                     const char *fmt, ...)
{
    uint64_t suppressed;
    if (!nvg_ratelog_allow(rl, now_ms, &suppressed))
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (suppressed)
        nvg_log(level, "%s (and %llu more like it in the last %d s)", text,
                (unsigned long long)suppressed, (int)(interval(rl) / 1000));
    else
        nvg_log(level, "%s", text);
}
