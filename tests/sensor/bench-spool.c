/* What the spool costs the capture thread (sensor/spool.h): N batches of LEN bytes appended
 * (the per-packet path's share: a copy into staging), written 4 to a tick (the tick's share),
 * then replayed (peek + pop: pread and replay.pos). Prints the mean, p99 and max of each.
 * Usage: bench-spool DIR [LEN [N]]; DIR is emptied first by the caller. Not a ctest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-clock.h"
#include "spool.h"

#define PER_TICK 4

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, int64_t *v, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)v[i];
    qsort(v, (size_t)n, sizeof(*v), cmp);
    printf("%-22s mean %8.1f us  p99 %8.1f us  max %8.1f us\n", what, sum / n / 1e3,
           (double)v[n * 99 / 100] / 1e3, (double)v[n - 1] / 1e3);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-spool DIR [LEN [N]]\n");
        return 2;
    }
    size_t len = argc > 2 ? (size_t)atol(argv[2]) : 61440;
    int n = argc > 3 ? atoi(argv[3]) : 4000;
    char err[512];
    struct nvg_spool_opts o = {.dir = argv[1], .sensor = "bench", .max_bytes = (uint64_t)8 << 30};
    struct nvg_spool *sp = nvg_spool_open(&o, err);
    uint8_t *p = malloc(len);
    int64_t *app = calloc((size_t)n, sizeof(int64_t)), *wr = calloc((size_t)n, sizeof(int64_t));
    int64_t *rd = calloc((size_t)n, sizeof(int64_t));
    if (!sp || !p || !app || !wr || !rd) {
        fprintf(stderr, "%s\n", sp ? "out of memory" : err);
        return 1;
    }
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 7);
    int nw = 0;
    for (int i = 0; i < n; i++) {
        int64_t t0 = nvg_clock_mono_ns();
        nvg_spool_append(sp, 1, (uint64_t)i + 1, 1024, 0, p, len);
        app[i] = nvg_clock_mono_ns() - t0;
        if ((i + 1) % PER_TICK == 0) {
            t0 = nvg_clock_mono_ns();
            nvg_spool_write(sp);
            wr[nw++] = nvg_clock_mono_ns() - t0;
        }
    }
    nvg_spool_write(sp);
    for (int i = 0; i < n; i++) {
        struct nvg_spool_frame f;
        int64_t t0 = nvg_clock_mono_ns();
        if (nvg_spool_peek(sp, &f) != 1) {
            fprintf(stderr, "replay stopped at %d\n", i);
            return 1;
        }
        nvg_spool_pop(sp);
        rd[i] = nvg_clock_mono_ns() - t0;
    }
    printf("%d batches of %zu bytes (%.0f MB)\n", n, len, (double)len * n / 1e6);
    report("append (per batch)", app, n);
    report("write (4 per tick)", wr, nw);
    report("replay (peek + pop)", rd, n);
    nvg_spool_close(sp);
    free(p);
    free(app);
    free(wr);
    free(rd);
    return 0;
}
