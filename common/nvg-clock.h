/* The two clocks every program reads: the wall clock (CLOCK_REALTIME) for what is shown, logged
 * or sent, and the monotonic clock (CLOCK_MONOTONIC) for deadlines, intervals and timeouts,
 * which must not jump when the wall clock is set. Inline: some callers read a clock per batch.
 *
 * Capture timestamps (pcap time to ns) are in nvg-time.h. */
#ifndef NVG_CLOCK_H
#define NVG_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t nvg__clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Nanoseconds since the epoch (UTC). */
static inline int64_t nvg_clock_wall_ns(void)
{
    return nvg__clock_ns(CLOCK_REALTIME);
}

/* Milliseconds since the epoch (UTC), truncated. */
static inline int64_t nvg_clock_wall_ms(void)
{
    return nvg_clock_wall_ns() / 1000000;
}

/* Nanoseconds on the monotonic clock (an arbitrary origin: compare, never show). */
static inline int64_t nvg_clock_mono_ns(void)
{
    return nvg__clock_ns(CLOCK_MONOTONIC);
}

static inline int64_t nvg_clock_mono_ms(void)
{
    return nvg_clock_mono_ns() / 1000000;
}

#endif
