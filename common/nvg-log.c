#include "nvg-log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvg-text.h"

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
    /* Peer strings end up in log lines: a newline or "<0>" of theirs must not start a forged
     * journald line, nor an escape sequence reach an operator's terminal. */
    char shown[NVG_TEXT_ESCAPED_SIZE(sizeof(line))];
    nvg_text_escape(shown, sizeof(shown), line, strlen(line));
    /* One fprintf per line so concurrent threads do not interleave within a line. */
    fprintf(stderr, "<%d>%s: %s\n", (int)level, log_ident, shown);
}
