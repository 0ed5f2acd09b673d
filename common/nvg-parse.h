/* Values a person types on a command line, parsed one way for every program. Each parser reads
 * the whole string (no leading or trailing blanks, no sign) and says what it did not take
 * instead of guessing. */
#ifndef NVG_PARSE_H
#define NVG_PARSE_H

#include <stdint.h>

#define NVG_KIB ((uint64_t)1 << 10)
#define NVG_MIB ((uint64_t)1 << 20)
#define NVG_GIB ((uint64_t)1 << 30)

/* A size: decimal digits, optionally followed by K, M or G (powers of 1024) and then B or iB,
 * letters in any case: "4096", "512k", "64M", "1GiB", "2kb". A bare number counts units of
 * bare_unit bytes, which the caller's option documents: 1 for bytes (--rotate-size 4096),
 * NVG_MIB for MiB (--buffer-size 64). Returns 0 with *bytes, or NVG_EINVAL (not a size, or
 * more than UINT64_MAX bytes). Ranges (such as "not 0") are the caller's to check. */
int nvg_parse_size(const char *text, uint64_t bare_unit, uint64_t *bytes);

#endif
