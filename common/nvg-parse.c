/* Command-line values. See nvg-parse.h. */
#include "nvg-parse.h"

#include <strings.h>

#include "nvg-error.h"

/* Whole-string unsigned decimal; *end at the first non-digit. */
static int parse_digits(const char *s, uint64_t *v, const char **end)
{
    if (*s < '0' || *s > '9')
        return NVG_EINVAL;
    uint64_t n = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (n > (UINT64_MAX - d) / 10)
            return NVG_EINVAL;
        n = n * 10 + d;
    }
    *v = n;
    *end = s;
    return 0;
}

static uint64_t suffix_unit(char c)
{
    switch (c) {
    case 'k':
    case 'K':
        return NVG_KIB;
    case 'm':
    case 'M':
        return NVG_MIB;
    case 'g':
    case 'G':
        return NVG_GIB;
    default:
        return 0;
    }
}

int nvg_parse_size(const char *text, uint64_t bare_unit, uint64_t *bytes)
{
    uint64_t v;
    const char *end;
    if (!text || bare_unit == 0 || parse_digits(text, &v, &end) < 0)
        return NVG_EINVAL;
    uint64_t unit = bare_unit;
    if (*end) {
        unit = suffix_unit(*end++);
        if (!unit || (*end && strcasecmp(end, "B") != 0 && strcasecmp(end, "iB") != 0))
            return NVG_EINVAL;
    }
    if (v > UINT64_MAX / unit)
        return NVG_EINVAL;
    *bytes = v * unit;
    return 0;
}
