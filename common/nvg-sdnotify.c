/* sd_notify through libsystemd (Debian libsystemd-dev): the protocol is a datagram on a
 * socket named by the environment, simple enough to write by hand, but libsystemd also
 * handles the abstract namespace, vsock and the credentials checks as systemd changes them. */
#include "nvg-sdnotify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "nvg-log.h"

void nvg_sdnotify_init(struct nvg_sdnotify *n)
{
    memset(n, 0, sizeof(*n));
    const char *sock = getenv("NOTIFY_SOCKET");
    n->on = sock && *sock;
    uint64_t usec = 0;
    /* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is us */
    if (n->on && sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
        n->watchdog_ms = (int64_t)(usec / 1000);
}

static void send_state(struct nvg_sdnotify *n, const char *state)
{
    int rc = sd_notify(0, state);
    if (rc < 0)
        nvg_log(NVG_LOG_WARNING, "sd_notify: %s", strerror(-rc));
}

void nvg_sdnotify_status(struct nvg_sdnotify *n, const char *status)
{
    if (!n || !n->on || !strcmp(status, n->status))
        return;
    snprintf(n->status, sizeof(n->status), "%s", status);
    char msg[sizeof(n->status) + 16];
    snprintf(msg, sizeof(msg), "STATUS=%s", n->status);
    send_state(n, msg);
}

void nvg_sdnotify_ready(struct nvg_sdnotify *n, const char *status)
{
    if (!n || !n->on)
        return;
    nvg_sdnotify_status(n, status);
    send_state(n, "READY=1");
    if (n->watchdog_ms)
        nvg_log(NVG_LOG_INFO, "systemd watchdog: %lld ms", (long long)n->watchdog_ms);
}

void nvg_sdnotify_reloading(struct nvg_sdnotify *n)
{
    if (n && n->on)
        send_state(n, "RELOADING=1");
}

void nvg_sdnotify_stopping(struct nvg_sdnotify *n, const char *status)
{
    if (!n || !n->on)
        return;
    send_state(n, "STOPPING=1");
    nvg_sdnotify_status(n, status);
}

void nvg__sdnotify_watchdog(struct nvg_sdnotify *n, int64_t mono_ms)
{
    n->next_kick_ms = mono_ms + n->watchdog_ms / 2;
    send_state(n, "WATCHDOG=1");
}
