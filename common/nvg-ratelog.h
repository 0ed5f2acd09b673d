/* Rate-limited log messages. A message that a peer, a packet or a failing disk can repeat as
 * fast as it likes is printed at most once per interval, and the next one says how many it
 * stands for, so the log stays readable without hiding that something keeps happening.
 *
 * A struct nvg_ratelog is plain state, zero-initialised (or NVG_RATELOG_INIT) and kept by its
 * owner, one per kind of message; like the owner it belongs to one thread. The clock is the
 * caller's (wall or monotonic milliseconds, the same one on every call). */
#ifndef NVG_RATELOG_H
#define NVG_RATELOG_H

#include <stdbool.h>
#include <stdint.h>

#include "nvg-log.h"

#define NVG_RATELOG_DEFAULT_MS 5000

struct nvg_ratelog {
    int64_t interval_ms; /* 0 = NVG_RATELOG_DEFAULT_MS */
    int64_t last_ms;     /* when the last message went out */
    uint64_t suppressed; /* refused since then */
    bool printed;        /* one went out at least once */
};

#define NVG_RATELOG_INIT(ms) ((struct nvg_ratelog){.interval_ms = (ms)})

/* Whether a message may go out at now_ms: the first one always, then once interval_ms has
 * passed since the last one. On true, *suppressed (may be NULL) is how many were refused in
 * between, and counting starts again; on false the refusal is counted. */
bool nvg_ratelog_allow(struct nvg_ratelog *rl, int64_t now_ms, uint64_t *suppressed);

/* nvg_log() gated by nvg_ratelog_allow(). A message that stands for refused ones ends in
 * " (and N more like it in the last S s)". The text is cut at 511 bytes. */
void nvg_ratelog_log(struct nvg_ratelog *rl, int64_t now_ms, enum nvg_log_level level,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
