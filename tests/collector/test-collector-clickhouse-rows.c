/* Unit tests of the sensor column read back from RowBinary rows (collector/clickhouse-rows.c):
 * --no-csv counts the rows ClickHouse dropped after queueing them per sensor by walking their
 * block, so the walkers must agree with the encoders byte for byte, for every name length and
 * string length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clickhouse-rows.h"

static void name_of(char *buf, size_t len, char c)
{
    memset(buf, c, len);
    buf[len] = '\0';
}

static void test_packet_rows(void **state)
{
    (void)state;
    static uint8_t block[64 * (NVG_CH_PACKET_ROW_MAX)];
    size_t len = 0;
    for (size_t n = 1; n <= NVG_NAME_MAX; n++) {
        char name[NVG_NAME_MAX + 1];
        name_of(name, n, (char)('a' + n % 26));
        struct nvg_ch_name cn;
        nvg_ch_name_set(&cn, name);
        struct nvg_pkt pkt;
        memset(&pkt, 0, sizeof(pkt));
        pkt.ts_ns = (int64_t)n * 1000000007;
        pkt.ip_version = n % 2 ? 4 : 6;
        pkt.flags = 0xffff;
        len += nvg_ch_row_packet(block + len, &cn, &pkt);
    }
    size_t off = 0, rows = 0;
    while (off < len) {
        const uint8_t *nm;
        size_t nl, row = nvg_ch_packet_row_sensor(block + off, len - off, &nm, &nl);
        assert_true(row > 0);
        rows++;
        assert_int_equal(nl, rows);
        assert_int_equal(nm[0], 'a' + rows % 26);
        off += row;
    }
    assert_int_equal(off, len);
    assert_int_equal(rows, NVG_NAME_MAX);
    const uint8_t *nm;
    size_t nl;
    assert_int_equal(nvg_ch_packet_row_sensor(block, 20, &nm, &nl), 0); /* a torn row */
}

static void test_flow_rows(void **state)
{
    (void)state;
    static uint8_t block[64 * (NVG_CH_FLOW_ROW_MAX)];
    size_t len = 0;
    for (size_t n = 1; n <= NVG_NAME_MAX; n++) {
        char name[NVG_NAME_MAX + 1];
        name_of(name, n, 'x');
        struct nvg_ch_name cn;
        nvg_ch_name_set(&cn, name);
        struct nvg_flow f;
        memset(&f, 0, sizeof(f));
        f.ip_version = n % 2 ? 4 : 6;
        name_of(f.state, n % NVG_FLOW_STATE_MAX, 'S');
        name_of(f.history, n % NVG_FLOW_HISTORY_MAX, 'h');
        len += nvg_ch_row_flow(block + len, &cn, &f);
    }
    size_t off = 0, rows = 0;
    while (off < len) {
        const uint8_t *nm;
        size_t nl, row = nvg_ch_flow_row_sensor(block + off, len - off, &nm, &nl);
        assert_true(row > 0);
        rows++;
        assert_int_equal(nl, rows);
        assert_int_equal(nm[nl - 1], 'x');
        off += row;
    }
    assert_int_equal(off, len);
    assert_int_equal(rows, NVG_NAME_MAX);
    const uint8_t *nm;
    size_t nl;
    assert_int_equal(nvg_ch_flow_row_sensor(block, len > 100 ? 100 : len, &nm, &nl), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_rows),
        cmocka_unit_test(test_flow_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
