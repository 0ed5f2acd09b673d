/* Shared by the fuzz harnesses (tests/fuzz/fuzz-*.c).
 *
 * Each harness defines LLVMFuzzerTestOneInput. Built with NVG_FUZZ=ON (clang, libFuzzer) that
 * is all; built without it, replay-main.c supplies a main() that feeds it every file named on
 * the command line (directories are walked one level), so ctest replays the corpus in every
 * build, sanitizers or not. */
#ifndef NVG_FUZZ_H
#define NVG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test failed: print where and abort (libFuzzer and the replay
 * both report an abort as a crash). Not assert(): it must stay on in release builds. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Harnesses that read several messages from one input split it at this separator (also in
 * the dictionaries), so a corpus file can hold a Hello, batches and an end of stream. */
#define FUZZ_SEP "\xf0NVG\xf0"
#define FUZZ_SEP_LEN 5

/* The next piece of data[*off..size) up to the separator (or the end); false when done. */
static inline int fuzz_next_piece(const uint8_t *data, size_t size, size_t *off,
                                  const uint8_t **piece, size_t *len)
{
    if (*off > size || (*off == size && size != 0))
        return 0;
    const uint8_t *p = data + *off;
    size_t left = size - *off;
    size_t i = 0;
    for (; i + FUZZ_SEP_LEN <= left; i++) {
        if (p[i] == 0xf0 && p[i + 1] == 'N' && p[i + 2] == 'V' && p[i + 3] == 'G' &&
            p[i + 4] == 0xf0)
            break;
    }
    if (i + FUZZ_SEP_LEN > left)
        i = left;
    *piece = p;
    *len = i;
    *off += i == left ? left + 1 : i + FUZZ_SEP_LEN;
    return 1;
}

#endif
