/* The spool's segment format (sensor/spool.c): batches appended come back in order with their
 * sequence numbers, across a reopen; the replay position survives a reopen; a torn tail is cut
 * and counted; a header that is not ours is set aside; damage in the middle of a segment keeps
 * the batches before it and sets the segment aside after them; the size bound refuses and
 * counts; another sensor's spool is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvg-error.h"
#include "spool.h"

#define SENSOR "spool-test"
#define PAYLOAD 1000

static char dir[64];

static void make_payload(uint8_t *p, size_t len, uint64_t seq)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seq * 31 + i);
}

static struct nvg_spool *open_spool(uint64_t max, uint64_t seg)
{
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_spool_opts o = {
        .dir = dir, .sensor = SENSOR, .max_bytes = max, .segment_bytes = seg};
    struct nvg_spool *sp = nvg_spool_open(&o, err);
    if (!sp)
        fail_msg("open: %s", err);
    return sp;
}

static void append_n(struct nvg_spool *sp, uint64_t boot, uint64_t first, int n)
{
    uint8_t p[PAYLOAD];
    for (int i = 0; i < n; i++) {
        make_payload(p, sizeof(p), first + (uint64_t)i);
        assert_int_equal(nvg_spool_append(sp, boot, first + (uint64_t)i, 10, 1, p, sizeof(p)), 0);
    }
    assert_int_equal(nvg_spool_write(sp), 0);
}

/* Replays n batches, checking boot, sequence and bytes; returns the next sequence number. */
static uint64_t replay_n(struct nvg_spool *sp, uint64_t boot, uint64_t first, int n)
{
    uint8_t want[PAYLOAD];
    for (int i = 0; i < n; i++) {
        struct nvg_spool_frame f;
        assert_int_equal(nvg_spool_peek(sp, &f), 1);
        assert_int_equal(f.boot_id, boot);
        assert_int_equal(f.seq, first + (uint64_t)i);
        assert_int_equal(f.records, 10);
        assert_int_equal(f.flows, 1);
        assert_int_equal(f.len, PAYLOAD);
        make_payload(want, sizeof(want), f.seq);
        assert_memory_equal(f.data, want, PAYLOAD);
        nvg_spool_pop(sp);
    }
    return first + (uint64_t)n;
}

/* The segment files, sorted by name, into names (at most max). */
static int list(char names[][128], int max, const char *suffix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t l = strlen(e->d_name), s = strlen(suffix);
        if (strncmp(e->d_name, "seg-", 4) == 0 && l > s && strcmp(e->d_name + l - s, suffix) == 0)
            snprintf(names[n++], 128, "%.63s/%.63s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, 128, (int (*)(const void *, const void *))strcmp);
    return n;
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/nvg-spool-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_append_reopen(void **state)
{
    (void)state;
    struct nvg_spool *sp = open_spool(0, 64 << 10);
    assert_true(nvg_spool_empty(sp));
    append_n(sp, 7, 1, 100); /* ~100 KB: two segments of 64 KiB */
    struct nvg_spool_stats st;
    nvg_spool_get_stats(sp, &st);
    assert_int_equal(st.batches, 100);
    assert_int_equal(st.records, 1000);
    uint64_t boot;
    assert_true(nvg_spool_head_boot(sp, &boot));
    assert_int_equal(boot, 7);
    replay_n(sp, 7, 1, 30);
    nvg_spool_close(sp);

    char names[8][128];
    assert_int_equal(list(names, 8, ".nvgspool"), 2);
    sp = open_spool(0, 64 << 10); /* a restarted sensor: the rest, from where replay stopped */
    nvg_spool_get_stats(sp, &st);
    assert_int_equal(st.batches, 70);
    assert_int_equal(st.recovered_batches, 70);
    append_n(sp, 8, 1, 5); /* a new boot id: a segment of its own, behind */
    assert_true(nvg_spool_head_boot(sp, &boot));
    assert_int_equal(boot, 7);
    replay_n(sp, 7, 31, 70);
    assert_true(nvg_spool_head_boot(sp, &boot));
    assert_int_equal(boot, 8);
    replay_n(sp, 8, 1, 5);
    assert_true(nvg_spool_empty(sp));
    struct nvg_spool_frame f;
    assert_int_equal(nvg_spool_peek(sp, &f), 0);
    nvg_spool_close(sp);
    /* Replayed segments are deleted; only the last one (appended to until the end) stays. */
    assert_int_equal(list(names, 8, ".nvgspool"), 1);
    sp = open_spool(0, 64 << 10);
    assert_true(nvg_spool_empty(sp));
    nvg_spool_close(sp);
    assert_int_equal(list(names, 8, ".nvgspool"), 0);
}

static void test_torn_tail(void **state)
{
    (void)state;
    struct nvg_spool *sp = open_spool(0, 0);
    append_n(sp, 9, 1, 20);
    nvg_spool_close(sp);
    char names[8][128];
    assert_int_equal(list(names, 8, ".nvgspool"), 1);
    off_t size = file_size(names[0]);
    /* What a sensor killed in the middle of writing the 20th batch leaves. */
    assert_int_equal(truncate(names[0], size - 300), 0);
    sp = open_spool(0, 0);
    struct nvg_spool_stats st;
    nvg_spool_get_stats(sp, &st);
    assert_int_equal(st.batches, 19);
    assert_int_equal(st.cut_batches, 1);
    assert_int_equal(st.cut_records, 10);
    assert_int_equal(st.cut_bytes, NVG_SPOOL_FRAME_HEADER + PAYLOAD - 300);
    assert_int_equal(file_size(names[0]), size - (NVG_SPOOL_FRAME_HEADER + PAYLOAD));
    replay_n(sp, 9, 1, 19);
    assert_true(nvg_spool_empty(sp));
    nvg_spool_close(sp);

    /* Torn inside a frame header: cut too, records unknown. */
    sp = open_spool(0, 0);
    append_n(sp, 10, 1, 3);
    nvg_spool_close(sp);
    int n = list(names, 8, ".nvgspool");
    assert_true(n >= 1);
    size = file_size(names[n - 1]);
    assert_int_equal(truncate(names[n - 1], size - PAYLOAD - 10), 0);
    sp = open_spool(0, 0);
    nvg_spool_get_stats(sp, &st);
    assert_int_equal(st.batches, 2);
    assert_int_equal(st.cut_batches, 1);
    assert_int_equal(st.cut_records, 0);
    replay_n(sp, 10, 1, 2);
    nvg_spool_close(sp);
}

static void test_corrupt(void **state)
{
    (void)state;
    struct nvg_spool *sp = open_spool(0, 64 << 10);
    append_n(sp, 11, 1, 100); /* two segments */
    nvg_spool_close(sp);
    char names[8][128];
    assert_int_equal(list(names, 8, ".nvgspool"), 2);
    /* A header that is not ours: the first segment is set aside whole. */
    int fd = open(names[0], O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "XXXX", 4, 0), 4);
    /* And a byte flipped in the middle of the second: its batches before it are kept. */
    close(fd);
    fd = open(names[1], O_WRONLY);
    off_t at = NVG_SPOOL_HEADER_BYTES + 5 * (NVG_SPOOL_FRAME_HEADER + PAYLOAD) + 40;
    assert_int_equal(pwrite(fd, "\xff", 1, at), 1);
    close(fd);
    sp = open_spool(0, 64 << 10);
    struct nvg_spool_stats st;
    nvg_spool_get_stats(sp, &st);
    assert_int_equal(st.set_aside, 1);
    assert_int_equal(st.batches, 5);
    struct nvg_spool_frame f;
    assert_int_equal(nvg_spool_peek(sp, &f), 1);
    uint64_t first = f.seq;
    assert_true(first > 1);
    replay_n(sp, 11, first, 5);
    assert_true(nvg_spool_empty(sp));
    nvg_spool_get_stats(sp, &st);
    assert_int_equal(st.set_aside, 2); /* the second, once its good batches were replayed */
    nvg_spool_close(sp);
    assert_int_equal(list(names, 8, ".corrupt"), 2);
    assert_int_equal(list(names, 8, ".nvgspool"), 0);
}

static void test_size_bound(void **state)
{
    (void)state;
    uint64_t max = 256 << 10;
    struct nvg_spool *sp = open_spool(max, 0);
    uint8_t p[PAYLOAD] = {0};
    int taken = 0, refused = 0;
    for (uint64_t seq = 1; seq <= 400; seq++) {
        make_payload(p, sizeof(p), (uint64_t)taken + 1);
        int rc = nvg_spool_append(sp, 12, (uint64_t)taken + 1, 10, 1, p, sizeof(p));
        if (rc == 0)
            taken++;
        else {
            assert_int_equal(rc, NVG_ETOOBIG);
            refused++;
        }
        if (seq % 50 == 0)
            assert_int_equal(nvg_spool_write(sp), 0);
    }
    assert_int_equal(nvg_spool_write(sp), 0);
    struct nvg_spool_stats st;
    nvg_spool_get_stats(sp, &st);
    assert_true(st.bytes <= max);
    assert_int_equal(st.dropped_batches, (uint64_t)refused);
    assert_int_equal(st.dropped_records, (uint64_t)refused * 10);
    assert_int_equal(st.batches, (uint64_t)taken);
    assert_true(refused > 0 && taken > 200);
    char names[16][128];
    int n = list(names, 16, ".nvgspool");
    off_t total = 0;
    for (int i = 0; i < n; i++)
        total += file_size(names[i]);
    assert_int_equal((uint64_t)total, st.bytes);
    /* Replaying frees room once a segment is through. */
    replay_n(sp, 12, 1, taken / 2);
    assert_int_equal(nvg_spool_write(sp), 0);
    assert_int_equal(nvg_spool_append(sp, 12, (uint64_t)taken + 1, 10, 0, p, sizeof(p)), 0);
    nvg_spool_close(sp);
}

static void test_other_sensor(void **state)
{
    (void)state;
    struct nvg_spool *sp = open_spool(0, 0);
    append_n(sp, 13, 1, 1);
    nvg_spool_close(sp);
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_spool_opts o = {.dir = dir, .sensor = "another"};
    assert_null(nvg_spool_open(&o, err));
    assert_non_null(strstr(err, "spool-test"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_sensor, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
