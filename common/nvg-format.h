/* Text forms of a packet record: the CSV packet-log row (DESIGN.md, "Files the collector
 * writes") and the one-line text form used by --print and netvigil-ctl tail.
 *
 * Formatting writes into a caller's buffer of at least NVG_FORMAT_LINE_MAX bytes and never
 * allocates: it runs once per packet. */
#ifndef NVG_FORMAT_H
#define NVG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "nvg-pkt.h"
#include "nvg-text.h"

/* Longest row either formatter writes, including the sensor field (NVG_SENSOR_NAME_MAX bytes,
 * possibly quoted) and the trailing '\n'. */
/* The sensor name alphabet and cap are nvg_name_valid's (nvg-text.h); this name stays for the
 * buffers sized by it. */
#define NVG_SENSOR_NAME_MAX NVG_NAME_MAX
#define NVG_FORMAT_LINE_MAX 512

/* src_mac and dst_mac came after the first release's columns, so readers that index columns
 * by position keep working; empty when the record has none (NVG_PKT_HAS_MAC). */
#define NVG_CSV_HEADER                                                                             \
    "time,sensor,proto,src,dst,sport,dport,flags,ttl,len,payload,src_mac,dst_mac\n"

/* Cache of the date and time-of-second text ("YYYY-MM-DDTHH:MM:SS") for the last second
 * formatted, so that a stream of rows pays for the calendar arithmetic once per second. Each
 * caller (thread, or stream of rows) keeps its own; zero-initialise it or call _init. The
 * functions without _r use a thread-local cache. */
struct nvg_time_cache {
    int64_t sec; /* second the text is for */
    int valid;
    char text[20];
};

void nvg_time_cache_init(struct nvg_time_cache *tc);

/* ISO 8601 UTC with microseconds, "2024-07-28T18:58:41.123456Z" (27 bytes, NUL-terminated).
 * Nanoseconds are truncated to microseconds, never rounded up into the next second. */
size_t nvg_format_time_iso(char *buf, int64_t ts_ns);

/* Every int64 is a time these write correctly: int64 nanoseconds span 1677-09-21T00:12:43.145224Z
 * .. 2262-04-11T23:47:16.854775Z, so nvg_format_time_iso always writes four-digit years.
 *
 * A whole second (the rates log), "2024-07-28T18:58:41Z": any int64 second, so years outside
 * 0000..9999 are written in ISO 8601's expanded form, a sign and at least four digits
 * ("+292277026596-12-04T15:30:07Z", "-0001-12-31T23:59:59Z"; year 0 is 1 BC). At most
 * NVG_TIME_ISO_SEC_MAX bytes with the NUL. Never overflows, whatever the second. */
#define NVG_TIME_ISO_SEC_MAX 32
size_t nvg_format_time_iso_sec(char *buf, int64_t sec);

/* Decimal digits of v at p, without a NUL; returns the end. For rows built field by field. */
char *nvg_put_u64(char *p, uint64_t v);

/* The second of a time these functions write (either form; a fraction and the 'Z' are
 * optional and ignored) from the n bytes at s: 0, or NVG_EINVAL for anything else (a bad
 * field, a date past the int64-second range). */
int nvg_parse_time_iso_sec(const char *s, size_t n, int64_t *sec);

/* RFC 4180 field: copied as is, or in double quotes with quotes doubled when it holds a comma,
 * quote, CR or LF. A field that starts with '=', '+', '-', '@', TAB or CR is neutralised as
 * OWASP's CSV-injection rule says: quoted, with a single quote in front ("'=1+2"), so that a
 * spreadsheet shows it as text instead of evaluating it. Such a field reads back with the
 * leading quote (a filter "-x" shows as "'-x"): the price of never running a peer's formula.
 * Returns bytes written (NUL-terminated); out must hold 2*len+3 bytes (a neutralised field
 * does not start with a quote, so the extra byte is always there). */
size_t nvg_csv_quote(char *out, const char *field, size_t len);

/* Textual address per inet_ntop for ip_version 4 or 6; empty string otherwise. */
size_t nvg_format_addr(char *buf, const uint8_t *addr, int ip_version);

/* v in decimal with a comma between groups of three digits, "1,234,567", for people to read
 * (status bar, chart labels). NUL-terminated in size bytes: 27 hold any value, a shorter
 * buffer gets the leading characters that fit. Returns the length. */
size_t nvg_format_thousands(char *buf, size_t size, uint64_t v);

/* A rate for a one-line summary: "950", "84.2k", "1.3M" (systemd's status line). */
size_t nvg_format_si(char *buf, size_t size, double v);

/* TCP flags as letters in bit order F S R P A U E C N, e.g. "PA" for PSH+ACK. */
size_t nvg_format_tcp_flags(char *buf, uint16_t flags);

/* One CSV row ending in '\n'. The flags column holds the TCP flag letters, then '~' when
 * the record's time was clamped (NVG_PKT_TIME_CLAMPED: the capture time was out of range and
 * is the nearest one that is not). sensor_csv is the sensor name already passed through
 * nvg_csv_quote (done once per sensor, not per packet). Returns bytes written. */
size_t nvg_format_csv_row(char *buf, const struct nvg_pkt *pkt, const char *sensor_csv,
                          size_t sensor_csv_len);

size_t nvg_format_csv_row_r(struct nvg_time_cache *tc, char *buf, const struct nvg_pkt *pkt,
                            const char *sensor_csv, size_t sensor_csv_len);

/* One text line ending in '\n', e.g.
 * "[2024-07-28 18:58:41.123456] TCP 172.16.211.96:65042 -> 162.255.45.55:443 flags=PA ttl=128
 * len=66 payload=raw". sensor may be NULL (not printed) or a name printed in front. */
/* In order, each part only when the record has it: "[time] ", the sensor name (at most
 * NVG_SENSOR_NAME_MAX bytes, control bytes as '?') and a space, the proto name, " src -> dst"
 * (with ":port" when there are ports, IPv6 then in brackets: "[2001:db8::1]:443"), " vlan=N",
 * " icmp=TYPE/CODE", " flags=LETTERS" ("none" when no flag is set), " ttl=N", always
 * " len=N", " payload=raw|padding", " frag", " time=clamped", " malformed=EVENT" or "
 * truncated=EVENT" (nvg_decode_event_name), " data=HEX" (kept payload bytes). ARP shows its
 * protocol addresses without ports; a record without addresses shows none ("Other len=60"). */
size_t nvg_format_text_line(char *buf, const struct nvg_pkt *pkt, const char *sensor);
size_t nvg_format_text_line_r(struct nvg_time_cache *tc, char *buf, const struct nvg_pkt *pkt,
                              const char *sensor);

#endif
