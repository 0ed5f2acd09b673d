/* Logging to stderr with syslog-style "<N>" prefixes, so journald keeps the level. */
#ifndef NVG_LOG_H
#define NVG_LOG_H

enum nvg_log_level {
    NVG_LOG_ERR = 3,
    NVG_LOG_WARNING = 4,
    NVG_LOG_NOTICE = 5,
    NVG_LOG_INFO = 6,
    NVG_LOG_DEBUG = 7,
};

/* Messages above this level are not printed (default NVG_LOG_INFO). */
void nvg_log_set_level(enum nvg_log_level max);
/* Program name put in front of each line; the string is not copied. */
void nvg_log_set_ident(const char *ident);
void nvg_log(enum nvg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
