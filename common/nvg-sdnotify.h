/* Telling systemd how a service is doing (Type=notify units): READY once it serves, STOPPING
 * when it begins to shut down, RELOADING around a SIGHUP, WATCHDOG while its main loop turns,
 * and a STATUS line for `systemctl status`. Through libsystemd's sd_notify: outside systemd
 * ($NOTIFY_SOCKET unset) every call is a no-op.
 *
 * A struct nvg_sdnotify belongs to the thread that runs the program's main loop: the watchdog
 * proves that loop is alive, so it must be kicked from there and nowhere else. */
#ifndef NVG_SDNOTIFY_H
#define NVG_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct nvg_sdnotify {
    bool on;             /* $NOTIFY_SOCKET was set */
    int64_t watchdog_ms; /* WatchdogSec, 0 when off */
    int64_t next_kick_ms;
    char status[256]; /* the last STATUS sent: an unchanged line is not sent again */
};

/* Reads $NOTIFY_SOCKET and the watchdog's $WATCHDOG_USEC / $WATCHDOG_PID. */
void nvg_sdnotify_init(struct nvg_sdnotify *n);
/* READY=1 with a first status line. */
void nvg_sdnotify_ready(struct nvg_sdnotify *n, const char *status);
void nvg_sdnotify_reloading(struct nvg_sdnotify *n);
void nvg_sdnotify_stopping(struct nvg_sdnotify *n, const char *status);
/* STATUS=, when it changed. */
void nvg_sdnotify_status(struct nvg_sdnotify *n, const char *status);
/* WATCHDOG=1 when half the watchdog interval has passed since the last one (mono: the
 * caller's monotonic milliseconds). Cheap enough to call on every turn of a loop. */
void nvg__sdnotify_watchdog(struct nvg_sdnotify *n, int64_t mono_ms);
static inline void nvg_sdnotify_kick(struct nvg_sdnotify *n, int64_t mono_ms)
{
    if (n && n->watchdog_ms && mono_ms >= n->next_kick_ms)
        nvg__sdnotify_watchdog(n, mono_ms);
}

#endif
