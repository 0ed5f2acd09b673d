/* Shared by the netvigil-ctl harnesses (fuzz-ctl-reply.c, fuzz-ctl-feed.c): what ctl prints
 * from a collector's bytes must be safe on a terminal. */
#ifndef FUZZ_CTL_COMMON_H
#define FUZZ_CTL_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "nvg-text.h"

/* A memory stream to print into; fuzz_ctl_check_output closes it. */
static inline FILE *fuzz_ctl_open(char **buf, size_t *len)
{
    FILE *out = open_memstream(buf, len);
    FUZZ_CHECK(out != NULL);
    return out;
}

/* Every line is printable UTF-8 (nvg_text_valid: no control byte, no C1, bidi or zero-width
 * character, no invalid sequence): nothing the collector sent can steer the terminal. */
static inline void fuzz_ctl_check_output(FILE *out, char **bufp, const size_t *len)
{
    FUZZ_CHECK(fclose(out) == 0); /* sets *bufp and *len for good */
    char *buf = *bufp;
    size_t start = 0;
    for (size_t i = 0; i <= *len; i++) {
        if (i == *len || buf[i] == '\n') {
            FUZZ_CHECK(nvg_text_valid(buf + start, i - start, (size_t)-1));
            start = i + 1;
        }
    }
    free(buf);
}

#endif
