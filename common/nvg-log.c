#include "nvg-log.h"

#include <stdarg.h>
#include <stdio.h>

/* Set once at start-up before any thread exists; read-only afterwards. */
static enum nvg_log_level max_level = NVG_LOG_INFO;
static const char *log_ident = "netvigil";

void nvg_log_set_level(enum nvg_log_level max)
{
    max_level = max;
}

void nvg_log_set_ident(const char *ident)
{
    log_ident = ident;
}

void nvg_log(enum nvg_log_level level, const char *fmt, ...)
{
    if (level > max_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fprintf per line so concurrent threads do not interleave within a line. */
    fprintf(stderr, "<%d>%s: %s\n", (int)level, log_ident, line);
}
