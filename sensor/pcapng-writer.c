/* See pcapng-writer.h. */
#include "pcapng-writer.h"

#include <pcap/pcap.h>
#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define OPTION_TEXT_MAX 4096 /* longer option text is cut: an option length is 16 bits */

/* LINKTYPE_* values are DLT_* values except where platforms disagreed on a DLT number (the
 * list in libpcap's pcap-common.c); of those, a live capture here only gives DLT_RAW. */
static uint16_t linktype_of(int dlt)
{
    if (dlt == DLT_RAW || dlt == 14)
        return 101; /* LINKTYPE_RAW */
    return (uint16_t)dlt;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* Writes v at out + at when out is not NULL; returns at + the bytes. */
static size_t put32(uint8_t *out, size_t at, uint32_t v)
{
    if (out)
        memcpy(out + at, &v, 4);
    return at + 4;
}

static size_t put16(uint8_t *out, size_t at, uint16_t v)
{
    if (out)
        memcpy(out + at, &v, 2);
    return at + 2;
}

static size_t put_bytes(uint8_t *out, size_t at, const void *p, size_t len)
{
    if (out) {
        memcpy(out + at, p, len);
        memset(out + at + len, 0, pad4(len) - len);
    }
    return at + pad4(len);
}

static size_t put_option(uint8_t *out, size_t at, uint16_t code, const void *p, size_t len)
{
    if (!p)
        return at;
    at = put16(out, at, code);
    at = put16(out, at, (uint16_t)len);
    return put_bytes(out, at, p, len);
}

static size_t put_text(uint8_t *out, size_t at, uint16_t code, const char *text)
{
    if (!text || !text[0])
        return at;
    return put_option(out, at, code, text, strnlen(text, OPTION_TEXT_MAX));
}

/* The block's total length, at its start and at its end, once its body is written. */
static size_t close_block(uint8_t *out, size_t start, size_t at)
{
    uint32_t total = (uint32_t)(at + 4 - start);
    put32(out, start + 4, total);
    return put32(out, at, total);
}

static size_t write_shb(uint8_t *out, size_t at, const struct nvg_pcapng_section *s)
{
    size_t start = at;
    at = put32(out, at, BT_SHB);
    at = put32(out, at, 0); /* length, filled by close_block */
    at = put32(out, at, BYTE_ORDER_MAGIC);
    at = put16(out, at, 1); /* version 1.0 */
    at = put16(out, at, 0);
    at = put32(out, at, 0xFFFFFFFFu); /* section length: not given */
    at = put32(out, at, 0xFFFFFFFFu);
    at = put_text(out, at, OPT_COMMENT, s->comment);
    at = put_text(out, at, SHB_USERAPPL, s->userappl);
    at = put32(out, at, OPT_END);
    return close_block(out, start, at);
}

static size_t write_idb(uint8_t *out, size_t at, const struct nvg_pcapng_section *s)
{
    size_t start = at;
    at = put32(out, at, BT_IDB);
    at = put32(out, at, 0);
    at = put16(out, at, linktype_of(s->dlt));
    at = put16(out, at, 0);
    at = put32(out, at, s->snaplen);
    at = put_text(out, at, IF_NAME, s->if_name);
    at = put_text(out, at, IF_DESCRIPTION, s->if_description);
    uint8_t nanoseconds = 9;
    at = put_option(out, at, IF_TSRESOL, &nanoseconds, 1);
    at = put32(out, at, OPT_END);
    return close_block(out, start, at);
}

size_t nvg_pcapng_write_head(uint8_t *out, const struct nvg_pcapng_section *s)
{
    size_t at = write_shb(out, 0, s);
    return write_idb(out, at, s);
}

size_t nvg_pcapng_write_epb(uint8_t *out, int64_t ts_ns, uint32_t caplen, uint32_t wirelen,
                            const uint8_t *data)
{
    uint64_t ts = ts_ns < 0 ? 0 : (uint64_t)ts_ns;
    size_t at = put32(out, 0, BT_EPB);
    at = put32(out, at, 0);
    at = put32(out, at, 0); /* interface 0 */
    at = put32(out, at, (uint32_t)(ts >> 32));
    at = put32(out, at, (uint32_t)ts);
    at = put32(out, at, caplen);
    at = put32(out, at, wirelen);
    at = put_bytes(out, at, data, caplen);
    return close_block(out, 0, at);
}
