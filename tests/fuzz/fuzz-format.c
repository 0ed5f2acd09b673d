/* Fuzz the record formatters (common/nvg-format.c) with records no decoder would make.
 *
 * Input: [struct nvg_pkt bytes (sizeof, zero-filled when short)][sensor name (at most
 * NVG_SENSOR_NAME_MAX bytes, up to the first NUL; commas, quotes and newlines welcome)].
 * Every field may be out of range (proto, payload_kind, payload_len, event, ip_version, any
 * ts_ns). Checked: both forms stay under NVG_FORMAT_LINE_MAX, end in their only '\n', hold no
 * NUL; the CSV row parses (RFC 4180) into exactly the 13 header fields with the sensor name
 * intact; the cached date text gives the same row as a fresh cache. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "nvg-format.h"

#define CSV_FIELDS 13

/* Splits one RFC 4180 record (ending in '\n'); returns the number of fields, -1 when it is not
 * one well-formed record. field 1 (the sensor) is unquoted into sensor. */
static int csv_fields(const char *row, size_t len, char *sensor, size_t *sensor_len)
{
    int fields = 0;
    size_t i = 0;
    for (;;) {
        size_t flen = 0;
        char *out = fields == 1 ? sensor : NULL;
        if (i < len && row[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    return -1; /* unterminated quote */
                if (row[i] == '"') {
                    if (i + 1 < len && row[i + 1] == '"') {
                        if (out)
                            out[flen] = '"';
                        flen++;
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (out)
                    out[flen] = row[i];
                flen++;
                i++;
            }
        } else {
            while (i < len && row[i] != ',' && row[i] != '\n') {
                if (row[i] == '"' || row[i] == '\r')
                    return -1; /* a quote or CR in an unquoted field */
                if (out)
                    out[flen] = row[i];
                flen++;
                i++;
            }
        }
        if (fields == 1)
            *sensor_len = flen;
        fields++;
        if (i >= len)
            return -1; /* no record end */
        if (row[i] == '\n')
            return i + 1 == len ? fields : -1;
        if (row[i] != ',')
            return -1; /* text after a closing quote */
        i++;
    }
}

static void check_line(const char *buf, size_t n)
{
    FUZZ_CHECK(n > 0 && n < NVG_FORMAT_LINE_MAX);
    FUZZ_CHECK(strlen(buf) == n);
    FUZZ_CHECK(buf[n - 1] == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nvg_pkt pkt;
    memset(&pkt, 0, sizeof(pkt));
    size_t take = size < sizeof(pkt) ? size : sizeof(pkt);
    memcpy(&pkt, data, take);
    char sensor[NVG_SENSOR_NAME_MAX + 1];
    size_t slen = 0;
    for (size_t i = take; i < size && slen < NVG_SENSOR_NAME_MAX && data[i]; i++)
        sensor[slen++] = (char)data[i];
    sensor[slen] = '\0';

    char quoted[2 * NVG_SENSOR_NAME_MAX + 3];
    size_t qlen = nvg_csv_quote(quoted, sensor, slen);
    FUZZ_CHECK(qlen <= 2 * slen + 2 && strlen(quoted) == qlen);

    /* CSV row, fresh cache. */
    char row[NVG_FORMAT_LINE_MAX];
    struct nvg_time_cache tc;
    nvg_time_cache_init(&tc);
    size_t n = nvg_format_csv_row_r(&tc, row, &pkt, quoted, qlen);
    check_line(row, n);
    char back[NVG_FORMAT_LINE_MAX];
    size_t back_len = 0;
    FUZZ_CHECK(csv_fields(row, n, back, &back_len) == CSV_FIELDS);
    FUZZ_CHECK(back_len == slen && memcmp(back, sensor, slen) == 0);

    /* Same row from a cache that holds another second, and from the thread's cache. */
    struct nvg_pkt other = pkt;
    other.ts_ns =
        pkt.ts_ns > INT64_MIN + 2000000000LL ? pkt.ts_ns - 1000000000LL : pkt.ts_ns + 1000000000LL;
    char row2[NVG_FORMAT_LINE_MAX];
    nvg_format_csv_row_r(&tc, row2, &other, quoted, qlen);
    FUZZ_CHECK(nvg_format_csv_row_r(&tc, row2, &pkt, quoted, qlen) == n);
    FUZZ_CHECK(memcmp(row, row2, n + 1) == 0);
    FUZZ_CHECK(nvg_format_csv_row(row2, &pkt, quoted, qlen) == n);
    FUZZ_CHECK(memcmp(row, row2, n + 1) == 0);

    /* Text line, with and without a sensor: one line, control bytes never reach it. */
    char line[NVG_FORMAT_LINE_MAX];
    n = nvg_format_text_line(line, &pkt, sensor);
    check_line(line, n);
    FUZZ_CHECK(memchr(line, '\n', n) == line + n - 1);
    n = nvg_format_text_line(line, &pkt, NULL);
    check_line(line, n);

    /* The small pieces. */
    char addr[64];
    FUZZ_CHECK(nvg_format_addr(addr, pkt.src, pkt.ip_version) < 40);
    FUZZ_CHECK(nvg_format_tcp_flags(addr, pkt.tcp_flags) <= 9);
    char iso[32];
    FUZZ_CHECK(nvg_format_time_iso(iso, pkt.ts_ns) == 27);
    return 0;
}
