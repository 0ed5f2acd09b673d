/* Capture timestamps as nanoseconds since the epoch (UTC). */
#ifndef NVG_TIME_H
#define NVG_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NVG_NS_PER_SEC 1000000000LL

/* A pcap timestamp (seconds plus a fraction in microseconds, or in nanoseconds when the handle
 * has nanosecond precision) as ns since the epoch. A fraction of a second or more (some
 * writers produce one) carries into the seconds instead of being cut off. A time int64 ns
 * cannot hold (pcapng allows 64-bit stamps: year 3000 and beyond) saturates to INT64_MAX or
 * INT64_MIN, and a negative fraction (no writer means one) counts as 0; both set *clamped,
 * which is left alone otherwise. Never signed overflow. */
static inline int64_t nvg_time_from_pcap(int64_t sec, int64_t frac, bool nano, bool *clamped)
{
    if (frac < 0) {
        frac = 0;
        *clamped = true;
    }
    int64_t ns, frac_ns;
    if (__builtin_mul_overflow(frac, nano ? 1 : 1000, &frac_ns) ||
        __builtin_mul_overflow(sec, NVG_NS_PER_SEC, &ns) ||
        __builtin_add_overflow(ns, frac_ns, &ns)) {
        *clamped = true;
        return sec < 0 ? INT64_MIN : INT64_MAX;
    }
    return ns;
}

/* Classic pcap stores seconds as an unsigned 32-bit number (good until 2106) but libpcap hands
 * them over sign-extended, so 2038 onwards would read as before 1970 (tshark shows 2074 for a
 * stamp that would come out as 1937). For classic pcap files only: a pcapng second is signed
 * (if_tsoffset may put it before 1970), and so is a live capture's. */
static inline int64_t nvg_pcap_file_seconds(int64_t sec)
{
    return sec < 0 && sec >= INT32_MIN ? sec + ((int64_t)1 << 32) : sec;
}

/* Whether ts_ns is one of the two ends of the range, where saturation lands. A record from the
 * network with such a time is flagged NVG_PKT_TIME_CLAMPED even when its sender did not say so
 * (an exact stamp of 2262-04-11T23:47:16.854775807Z is flagged too: it cannot be told apart). */
static inline bool nvg_time_at_limit(int64_t ts_ns)
{
    return ts_ns == INT64_MIN || ts_ns == INT64_MAX;
}

#endif
