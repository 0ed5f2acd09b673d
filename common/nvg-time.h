/* Capture timestamps as nanoseconds since the epoch (UTC). */
#ifndef NVG_TIME_H
#define NVG_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NVG_NS_PER_SEC 1000000000LL

/* A pcap timestamp (seconds plus a fraction in microseconds, or in nanoseconds when the handle
 * has nanosecond precision) as ns since the epoch. A fraction of a second or more (some
 * writers produce one) carries into the seconds instead of being cut off. */
static inline int64_t nvg_time_from_pcap(int64_t sec, int64_t frac, bool nano)
{
    return sec * NVG_NS_PER_SEC + (nano ? frac : frac * 1000);
}

#endif
