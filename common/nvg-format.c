/* CSV and text forms of a packet record.
 *
 * This runs once per packet at millions of packets per second, so it avoids the C library's
 * formatting: no snprintf, strftime or inet_ntop per row. Digits come from a two-digit table,
 * the calendar text of a second is computed once and cached, and addresses are written by hand
 * (the IPv6 form is byte-for-byte what glibc's inet_ntop prints; tests/common/test-format.c checks
 * that). */
#include "nvg-format.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "nvg-error.h"

#define NS_PER_SEC 1000000000LL
#define SEC_PER_DAY 86400LL

static const char digits2[201] = "00010203040506070809"
                                 "10111213141516171819"
                                 "20212223242526272829"
                                 "30313233343536373839"
                                 "40414243444546474849"
                                 "50515253545556575859"
                                 "60616263646566676869"
                                 "70717273747576777879"
                                 "80818283848586878889"
                                 "90919293949596979899";

static const char hexdigits[] = "0123456789abcdef";

/* ---- numbers ------------------------------------------------------------------------------ */

static inline char *put2(char *p, unsigned v)
{
    memcpy(p, digits2 + 2 * v, 2);
    return p + 2;
}

/* Decimal without leading zeros. */
static inline char *put_u32(char *p, uint32_t v)
{
    unsigned n;
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    if (v < 100)
        return put2(p, v);
    if (v < 1000)
        n = 3;
    else if (v < 10000)
        n = 4;
    else if (v < 100000)
        n = 5;
    else if (v < 1000000)
        n = 6;
    else if (v < 10000000)
        n = 7;
    else if (v < 100000000)
        n = 8;
    else if (v < 1000000000)
        n = 9;
    else
        n = 10;
    char *end = p + n;
    char *q = end;
    while (v >= 100) {
        q -= 2;
        memcpy(q, digits2 + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, digits2 + 2 * v, 2);
    } else {
        *--q = (char)('0' + v);
    }
    return end;
}

static inline char *put_u8(char *p, unsigned v)
{
    if (v >= 100) {
        *p++ = (char)('0' + v / 100);
        return put2(p, v % 100);
    }
    if (v >= 10)
        return put2(p, v);
    *p = (char)('0' + v);
    return p + 1;
}

static inline char *put_hex16(char *p, unsigned v)
{
    if (v >= 0x1000)
        *p++ = hexdigits[v >> 12];
    if (v >= 0x100)
        *p++ = hexdigits[(v >> 8) & 0xf];
    if (v >= 0x10)
        *p++ = hexdigits[(v >> 4) & 0xf];
    *p++ = hexdigits[v & 0xf];
    return p;
}

/* ---- time --------------------------------------------------------------------------------- */

/* Proleptic Gregorian date of a day number (days since 1970-01-01), by counting 400-year eras
 * that start on March 1st, so that the leap day is the last day of a year. */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    days += 719468; /* days from 0000-03-01 to 1970-01-01 */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);                       /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int64_t)yoe + era * 400 + (*month <= 2);
}

static void split_ns(int64_t ts_ns, int64_t *sec, uint32_t *usec)
{
    int64_t s = ts_ns / NS_PER_SEC;
    int64_t ns = ts_ns % NS_PER_SEC;
    if (ns < 0) {
        ns += NS_PER_SEC;
        s -= 1;
    }
    *sec = s;
    *usec = (uint32_t)(ns / 1000); /* truncate, never round into the next second */
}

static void cache_fill(struct nvg_time_cache *tc, int64_t sec)
{
    int64_t days = sec / SEC_PER_DAY;
    int64_t rem = sec % SEC_PER_DAY;
    if (rem < 0) {
        rem += SEC_PER_DAY;
        days -= 1;
    }
    int64_t year;
    unsigned month, day;
    civil_from_days(days, &year, &month, &day);
    /* Every int64 nanosecond lies in 1677-09-21 .. 2262-04-11: the year has four digits. */
    unsigned y = (unsigned)year;
    char *p = tc->text;
    p = put2(p, y / 100);
    p = put2(p, y % 100);
    *p++ = '-';
    p = put2(p, month);
    *p++ = '-';
    p = put2(p, day);
    *p++ = 'T';
    unsigned r = (unsigned)rem;
    p = put2(p, r / 3600);
    *p++ = ':';
    p = put2(p, (r / 60) % 60);
    *p++ = ':';
    p = put2(p, r % 60);
    *p = '\0';
    tc->sec = sec;
    tc->valid = 1;
}

void nvg_time_cache_init(struct nvg_time_cache *tc)
{
    memset(tc, 0, sizeof(*tc));
}

/* Writes "YYYY-MM-DD?HH:MM:SS.uuuuuu" (26 bytes) with sep between date and time. */
static inline char *put_time(char *p, struct nvg_time_cache *tc, int64_t ts_ns, char sep)
{
    int64_t sec;
    uint32_t usec;
    split_ns(ts_ns, &sec, &usec);
    if (!tc->valid || tc->sec != sec)
        cache_fill(tc, sec);
    memcpy(p, tc->text, 19);
    p[10] = sep;
    p[19] = '.';
    p = put2(p + 20, usec / 10000);
    p = put2(p, (usec / 100) % 100);
    return put2(p, usec % 100);
}

static _Thread_local struct nvg_time_cache thread_cache;

size_t nvg_format_time_iso(char *buf, int64_t ts_ns)
{
    char *p = put_time(buf, &thread_cache, ts_ns, 'T');
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - buf);
}

/* Digits of v (any uint64) at p, at least min_digits of them (zero-padded). */
static char *put_u64_min(char *p, uint64_t v, int min_digits)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < min_digits)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *nvg_put_u64(char *p, uint64_t v)
{
    return v <= UINT32_MAX ? put_u32(p, (uint32_t)v) : put_u64_min(p, v, 1);
}

size_t nvg_format_time_iso_sec(char *buf, int64_t sec)
{
    /* Floor division, written so that INT64_MIN does not overflow. */
    int64_t days = sec / SEC_PER_DAY;
    int64_t rem = sec % SEC_PER_DAY;
    if (rem < 0) {
        rem += SEC_PER_DAY;
        days -= 1;
    }
    int64_t year;
    unsigned month, day;
    civil_from_days(days, &year, &month, &day);
    char *p = buf;
    if (year < 0 || year > 9999) {
        /* ISO 8601 expanded years: a sign, then the digits (year 0 is 1 BC). */
        *p++ = year < 0 ? '-' : '+';
        p = put_u64_min(p, year < 0 ? 0 - (uint64_t)year : (uint64_t)year, 4);
    } else {
        p = put_u64_min(p, (uint64_t)year, 4);
    }
    *p++ = '-';
    p = put2(p, month);
    *p++ = '-';
    p = put2(p, day);
    *p++ = 'T';
    unsigned r = (unsigned)rem;
    p = put2(p, r / 3600);
    *p++ = ':';
    p = put2(p, (r / 60) % 60);
    *p++ = ':';
    p = put2(p, r % 60);
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - buf);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the inverse of civil_from_days). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

static bool get_num(const char **s, const char *end, int digits, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < digits; i++, (*s)++) {
        if (*s >= end || **s < '0' || **s > '9')
            return false;
        *v = *v * 10 + (unsigned)(**s - '0');
    }
    return true;
}

static bool get_sep(const char **s, const char *end, char c)
{
    if (*s >= end || **s != c)
        return false;
    (*s)++;
    return true;
}

int nvg_parse_time_iso_sec(const char *s, size_t n, int64_t *sec)
{
    const char *end = s + n;
    bool neg = false;
    int max_digits = 4;
    if (s < end && (*s == '+' || *s == '-')) {
        neg = *s == '-';
        max_digits = 12; /* the years of every int64 second */
        s++;
    }
    int64_t year = 0;
    int digits = 0;
    while (s < end && *s >= '0' && *s <= '9' && digits < max_digits) {
        year = year * 10 + (*s++ - '0');
        digits++;
    }
    unsigned mo, d, h, mi, se;
    if (digits < 4 || !get_sep(&s, end, '-') || !get_num(&s, end, 2, &mo) ||
        !get_sep(&s, end, '-') || !get_num(&s, end, 2, &d) || !get_sep(&s, end, 'T') ||
        !get_num(&s, end, 2, &h) || !get_sep(&s, end, ':') || !get_num(&s, end, 2, &mi) ||
        !get_sep(&s, end, ':') || !get_num(&s, end, 2, &se))
        return NVG_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return NVG_EINVAL;
    /* What follows the seconds: the end, 'Z', or a fraction (ignored: whole seconds). */
    if (s < end && *s != 'Z' && *s != '.')
        return NVG_EINVAL;
    int64_t days = days_from_civil(neg ? -year : year, mo, d);
    int64_t tod = (int64_t)(h * 3600 + mi * 60 + se);
    /* Before 1970 count from the next midnight back, so that the first second of INT64_MIN's
     * day does not overflow on the way. */
    if (days < 0) {
        days += 1;
        tod -= SEC_PER_DAY;
    }
    int64_t t;
    if (__builtin_mul_overflow(days, (int64_t)SEC_PER_DAY, &t) ||
        __builtin_add_overflow(t, tod, &t))
        return NVG_EINVAL;
    *sec = t;
    return 0;
}

/* ---- addresses ---------------------------------------------------------------------------- */

static inline char *put_ipv4(char *p, const uint8_t *a)
{
    p = put_u8(p, a[0]);
    *p++ = '.';
    p = put_u8(p, a[1]);
    *p++ = '.';
    p = put_u8(p, a[2]);
    *p++ = '.';
    return put_u8(p, a[3]);
}

/* RFC 5952 text as glibc's inet_ntop writes it: lowercase hex without leading zeros, the
 * longest run (first on a tie) of two or more zero words shown as "::", and a dotted quad tail
 * for IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses. */
static char *put_ipv6(char *p, const uint8_t *a)
{
    unsigned w[8];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; i++) {
        w[i] = (unsigned)(a[2 * i] << 8 | a[2 * i + 1]);
        if (w[i] == 0) {
            if (cur < 0) {
                cur = i;
                cur_len = 0;
            }
            if (++cur_len > best_len) {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur = -1;
        }
    }
    if (best_len < 2)
        best = -1;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                *p++ = ':';
            continue;
        }
        if (i != 0)
            *p++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
            return put_ipv4(p, a + 12);
        p = put_hex16(p, w[i]);
    }
    if (best >= 0 && best + best_len == 8)
        *p++ = ':';
    return p;
}

static inline char *put_addr(char *p, const uint8_t *addr, int ip_version)
{
    if (ip_version == 4)
        return put_ipv4(p, addr);
    if (ip_version == 6)
        return put_ipv6(p, addr);
    return p;
}

size_t nvg_format_addr(char *buf, const uint8_t *addr, int ip_version)
{
    char *p = put_addr(buf, addr, ip_version);
    *p = '\0';
    return (size_t)(p - buf);
}

/* ---- small fields ------------------------------------------------------------------------- */

static inline char *put_flags(char *p, unsigned flags)
{
    static const char letters[9] = {'F', 'S', 'R', 'P', 'A', 'U', 'E', 'C', 'N'};
    for (unsigned i = 0; i < 9; i++)
        if (flags & (1u << i))
            *p++ = letters[i];
    return p;
}

size_t nvg_format_tcp_flags(char *buf, uint16_t flags)
{
    char *p = put_flags(buf, flags);
    *p = '\0';
    return (size_t)(p - buf);
}

size_t nvg_format_thousands(char *buf, size_t size, uint64_t v)
{
    if (size == 0)
        return 0;
    char rev[20]; /* digits, last first */
    int n = 0;
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = rev[n - 1 - i];
    }
    buf[o] = '\0';
    return o;
}

size_t nvg_format_si(char *buf, size_t size, double v)
{
    const char *unit = v >= 1e9 ? "G" : v >= 1e6 ? "M" : v >= 1e3 ? "k" : "";
    double shown = v >= 1e9 ? v / 1e9 : v >= 1e6 ? v / 1e6 : v >= 1e3 ? v / 1e3 : v;
    int n = snprintf(buf, size, "%.*f%s", *unit ? 1 : 0, shown, unit);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size ? size - 1 : 0;
}

/* Cells a spreadsheet would evaluate: OWASP's list of formula triggers. */
static bool csv_formula_start(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

size_t nvg_csv_quote(char *out, const char *field, size_t len)
{
    bool neutralise = len > 0 && csv_formula_start(field[0]);
    bool quote = neutralise;
    for (size_t i = 0; i < len && !quote; i++) {
        char c = field[i];
        quote = c == ',' || c == '"' || c == '\r' || c == '\n';
    }
    if (!quote) {
        memcpy(out, field, len);
        out[len] = '\0';
        return len;
    }
    char *p = out;
    *p++ = '"';
    if (neutralise)
        *p++ = '\'';
    for (size_t i = 0; i < len; i++) {
        if (field[i] == '"')
            *p++ = '"';
        *p++ = field[i];
    }
    *p++ = '"';
    *p = '\0';
    return (size_t)(p - out);
}

struct name_text {
    const char *s;
    size_t len;
};

#define NT(str)                                                                                    \
    {                                                                                              \
        str, sizeof(str) - 1                                                                       \
    }
static const struct name_text proto_text[NVG_PROTO_COUNT] = {
    [NVG_PROTO_OTHER] = NT("Other"),   [NVG_PROTO_IPV4] = NT("IPv4"), [NVG_PROTO_IPV6] = NT("IPv6"),
    [NVG_PROTO_TCP] = NT("TCP"),       [NVG_PROTO_UDP] = NT("UDP"),   [NVG_PROTO_ICMP] = NT("ICMP"),
    [NVG_PROTO_ICMPV6] = NT("ICMPv6"), [NVG_PROTO_ARP] = NT("ARP"),
};
static const struct name_text payload_text[3] = {
    [NVG_PAYLOAD_NONE] = NT(""),
    [NVG_PAYLOAD_RAW] = NT("raw"),
    [NVG_PAYLOAD_PADDING] = NT("padding"),
};
#undef NT

static inline char *put_name(char *p, const struct name_text *t)
{
    memcpy(p, t->s, t->len);
    return p + t->len;
}

static inline const struct name_text *proto_of(const struct nvg_pkt *pkt)
{
    return &proto_text[pkt->proto < NVG_PROTO_COUNT ? pkt->proto : NVG_PROTO_OTHER];
}

static inline const struct name_text *payload_of(const struct nvg_pkt *pkt)
{
    return &payload_text[pkt->payload_kind <= NVG_PAYLOAD_PADDING ? pkt->payload_kind : 0];
}

/* ---- CSV row ------------------------------------------------------------------------------ */

/* "02:00:5e:10:00:01": lower-case hex, as tshark and ip(8) print them. */
static char *put_mac(char *p, const uint8_t *mac)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 6; i++) {
        if (i)
            *p++ = ':';
        *p++ = hex[mac[i] >> 4];
        *p++ = hex[mac[i] & 15];
    }
    return p;
}

size_t nvg_format_csv_row_r(struct nvg_time_cache *tc, char *buf, const struct nvg_pkt *pkt,
                            const char *sensor_csv, size_t sensor_csv_len)
{
    char *p = put_time(buf, tc, pkt->ts_ns, 'T');
    *p++ = 'Z';
    *p++ = ',';
    memcpy(p, sensor_csv, sensor_csv_len);
    p += sensor_csv_len;
    *p++ = ',';
    p = put_name(p, proto_of(pkt));
    *p++ = ',';
    p = put_addr(p, pkt->src, pkt->ip_version);
    *p++ = ',';
    p = put_addr(p, pkt->dst, pkt->ip_version);
    *p++ = ',';
    if (pkt->flags & NVG_PKT_HAS_PORTS) {
        p = put_u32(p, pkt->sport);
        *p++ = ',';
        p = put_u32(p, pkt->dport);
    } else {
        *p++ = ',';
    }
    *p++ = ',';
    if (pkt->flags & NVG_PKT_HAS_TCPFLAGS)
        p = put_flags(p, pkt->tcp_flags);
    /* The flags column is the one that describes the record rather than a header field: a
     * time that had to be clamped is marked there, after the letters, so the time column stays
     * plain ISO 8601 for every reader. */
    if (pkt->flags & NVG_PKT_TIME_CLAMPED)
        *p++ = '~';
    *p++ = ',';
    if (pkt->flags & NVG_PKT_HAS_TTL)
        p = put_u8(p, pkt->ttl);
    *p++ = ',';
    p = put_u32(p, pkt->wire_len);
    *p++ = ',';
    p = put_name(p, payload_of(pkt));
    *p++ = ',';
    if (pkt->flags & NVG_PKT_HAS_MAC)
        p = put_mac(p, pkt->src_mac);
    *p++ = ',';
    if (pkt->flags & NVG_PKT_HAS_MAC)
        p = put_mac(p, pkt->dst_mac);
    *p++ = '\n';
    *p = '\0';
    return (size_t)(p - buf);
}

size_t nvg_format_csv_row(char *buf, const struct nvg_pkt *pkt, const char *sensor_csv,
                          size_t sensor_csv_len)
{
    return nvg_format_csv_row_r(&thread_cache, buf, pkt, sensor_csv, sensor_csv_len);
}

/* ---- text line ---------------------------------------------------------------------------- */

static inline char *put_lit(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}
#define PUT_LIT(p, s) put_lit((p), (s), sizeof(s) - 1)

static char *put_endpoint(char *p, const struct nvg_pkt *pkt, const uint8_t *addr, uint16_t port)
{
    bool ports = (pkt->flags & NVG_PKT_HAS_PORTS) != 0;
    if (ports && pkt->ip_version == 6)
        *p++ = '[';
    p = put_addr(p, addr, pkt->ip_version);
    if (!ports)
        return p;
    if (pkt->ip_version == 6)
        *p++ = ']';
    *p++ = ':';
    return put_u32(p, port);
}

/* Printable copy of the sensor name, at most NVG_SENSOR_NAME_MAX bytes, control bytes as '?'. */
static char *put_sensor_text(char *p, const char *sensor)
{
    for (size_t i = 0; i < NVG_SENSOR_NAME_MAX && sensor[i]; i++) {
        unsigned char c = (unsigned char)sensor[i];
        *p++ = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    *p++ = ' ';
    return p;
}

/* The optional fields after the addresses: vlan, icmp, flags, ttl. */
static char *put_text_details(char *p, const struct nvg_pkt *pkt)
{
    if (pkt->flags & NVG_PKT_HAS_VLAN) {
        p = PUT_LIT(p, " vlan=");
        p = put_u32(p, pkt->vlan_id);
    }
    if (pkt->flags & NVG_PKT_HAS_ICMP) {
        p = PUT_LIT(p, " icmp=");
        p = put_u8(p, pkt->icmp_type);
        *p++ = '/';
        p = put_u8(p, pkt->icmp_code);
    }
    if (pkt->flags & NVG_PKT_HAS_TCPFLAGS) {
        p = PUT_LIT(p, " flags=");
        if (pkt->tcp_flags & 0x1ff)
            p = put_flags(p, pkt->tcp_flags);
        else
            p = PUT_LIT(p, "none");
    }
    if (pkt->flags & NVG_PKT_HAS_TTL) {
        p = PUT_LIT(p, " ttl=");
        p = put_u8(p, pkt->ttl);
    }
    return p;
}

/* The fields after len: payload kind, fragment, decode trouble, payload bytes. */
static char *put_text_tail(char *p, const struct nvg_pkt *pkt)
{
    if (pkt->payload_kind != NVG_PAYLOAD_NONE) {
        p = PUT_LIT(p, " payload=");
        p = put_name(p, payload_of(pkt));
    }
    if (pkt->flags & NVG_PKT_FRAGMENT)
        p = PUT_LIT(p, " frag");
    if (pkt->flags & NVG_PKT_TIME_CLAMPED)
        p = PUT_LIT(p, " time=clamped");
    if (pkt->flags & (NVG_PKT_MALFORMED | NVG_PKT_TRUNCATED)) {
        if (pkt->flags & NVG_PKT_MALFORMED)
            p = PUT_LIT(p, " malformed=");
        else
            p = PUT_LIT(p, " truncated=");
        const char *ev = nvg_decode_event_name(pkt->event);
        p = put_lit(p, ev, strlen(ev));
    }
    unsigned n = pkt->payload_len <= NVG_PAYLOAD_MAX ? pkt->payload_len : NVG_PAYLOAD_MAX;
    if (n > 0) {
        p = PUT_LIT(p, " data=");
        for (unsigned i = 0; i < n; i++) {
            *p++ = hexdigits[pkt->payload[i] >> 4];
            *p++ = hexdigits[pkt->payload[i] & 0xf];
        }
    }
    return p;
}

size_t nvg_format_text_line_r(struct nvg_time_cache *tc, char *buf, const struct nvg_pkt *pkt,
                              const char *sensor)
{
    char *p = buf;
    *p++ = '[';
    p = put_time(p, tc, pkt->ts_ns, ' ');
    *p++ = ']';
    *p++ = ' ';
    if (sensor)
        p = put_sensor_text(p, sensor);
    p = put_name(p, proto_of(pkt));
    if (pkt->ip_version == 4 || pkt->ip_version == 6) {
        *p++ = ' ';
        p = put_endpoint(p, pkt, pkt->src, pkt->sport);
        p = PUT_LIT(p, " -> ");
        p = put_endpoint(p, pkt, pkt->dst, pkt->dport);
    }
    p = put_text_details(p, pkt);
    p = PUT_LIT(p, " len=");
    p = put_u32(p, pkt->wire_len);
    p = put_text_tail(p, pkt);
    *p++ = '\n';
    *p = '\0';
    return (size_t)(p - buf);
}

size_t nvg_format_text_line(char *buf, const struct nvg_pkt *pkt, const char *sensor)
{
    return nvg_format_text_line_r(&thread_cache, buf, pkt, sensor);
}
