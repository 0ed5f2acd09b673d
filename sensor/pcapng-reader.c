#include "pcapng-reader.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/dlt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-error.h"
#include "nvg-time.h"

#define BT_SHB NVG_PCAPNG_MAGIC
#define BT_IDB 1u
#define BT_PB 2u /* obsolete Packet Block */
#define BT_SPB 3u
#define BT_EPB 6u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14
/* Type, length and trailing length. */
#define BLOCK_OVERHEAD 12u
/* Byte-order magic, versions and section length: what a section header cannot do without. */
#define SHB_FIXED 16u
#define IDB_FIXED 8u
#define EPB_FIXED 20u /* the obsolete Packet Block's fixed part is as long */
#define SPB_FIXED 4u

struct iface {
    int dlt;
    uint32_t snaplen;     /* 0: no limit */
    uint64_t units_per_s; /* if_tsresol */
    int64_t offset_s;     /* if_tsoffset */
};

struct nvg_pcapng {
    FILE *fp;
    bool swap;          /* the section's byte order is not ours */
    bool failed;        /* a read failed: msg says why, for every later call */
    uint64_t off;       /* file offset of the next block */
    uint64_t block_off; /* offset of the block being parsed, for messages */
    uint8_t *buf;       /* the current block after its type and length */
    size_t buf_size;
    struct iface *ifs;
    uint32_t nifs, ifs_size;
    int first_dlt;
    int dlts[NVG_PCAPNG_MAX_DLTS];
    unsigned ndlts;
    bool pending; /* open read the first frame ahead: next hands it out */
    struct nvg_pcapng_frame first;
    char name[256];
    char msg[NVG_ERRBUF_SIZE];
};

__attribute__((format(printf, 3, 4))) static int fail(struct nvg_pcapng *r, uint64_t off,
                                                      const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(r->msg, sizeof(r->msg), "%.255s: byte %" PRIu64 ": %s", r->name, off, why);
    r->failed = true;
    return NVG_EPCAP;
}

static uint16_t rd16(const struct nvg_pcapng *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t rd32(const struct nvg_pcapng *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return r->swap ? __builtin_bswap32(v) : v;
}

static uint64_t rd64(const struct nvg_pcapng *r, const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return r->swap ? __builtin_bswap64(v) : v;
}

int64_t nvg_pcapng_time_ns(uint64_t ts, uint64_t units_per_s, int64_t offset_s, bool *clamped)
{
    if (units_per_s == 0)
        units_per_s = 1;
    uint64_t whole = ts / units_per_s;
    /* frac < units_per_s <= 2^63, so the product fits 128 bits. */
    int64_t frac_ns =
        (int64_t)((unsigned __int128)(ts % units_per_s) * NVG_NS_PER_SEC / units_per_s);
    int64_t sec;
    if (whole > INT64_MAX || __builtin_add_overflow((int64_t)whole, offset_s, &sec)) {
        /* Past any int64 second: nvg_time_from_pcap saturates it the same way. */
        sec = whole > INT64_MAX || offset_s > 0 ? INT64_MAX : INT64_MIN;
    }
    return nvg_time_from_pcap(sec, frac_ns, true, clamped);
}

/* Reads exactly n bytes; 1, 0 when the file ended first (*got says how many came), or
 * NVG_EPCAP on a read error. */
static int read_exact(struct nvg_pcapng *r, void *dst, size_t n, size_t *got)
{
    *got = fread(dst, 1, n, r->fp);
    if (*got == n)
        return 1;
    if (ferror(r->fp))
        return fail(r, r->off, "read error: %s", strerror(errno));
    return 0;
}

static int grow(struct nvg_pcapng *r, size_t need)
{
    if (need <= r->buf_size)
        return 0;
    size_t size = r->buf_size ? r->buf_size : 4096;
    while (size < need)
        size *= 2;
    if (size > NVG_PCAPNG_MAX_BLOCK)
        size = NVG_PCAPNG_MAX_BLOCK;
    uint8_t *b = realloc(r->buf, size);
    if (!b)
        return fail(r, r->block_off, "out of memory for a block of %zu bytes", need);
    r->buf = b;
    r->buf_size = size;
    return 0;
}

/* A section header says its byte order in the 4 bytes after the length, which therefore
 * cannot be read before them. They go to the front of the buffer. */
static int read_byte_order(struct nvg_pcapng *r)
{
    size_t got;
    int rc = read_exact(r, r->buf, 4, &got);
    if (rc <= 0)
        return rc < 0 ? rc : fail(r, r->block_off, "truncated section header block");
    uint32_t magic;
    memcpy(&magic, r->buf, 4);
    if (magic == BYTE_ORDER_MAGIC)
        r->swap = false;
    else if (magic == __builtin_bswap32(BYTE_ORDER_MAGIC))
        r->swap = true;
    else
        return fail(r, r->block_off, "section header with a bad byte-order magic 0x%08" PRIx32,
                    magic);
    return 0;
}

static int check_length(struct nvg_pcapng *r, uint32_t type, uint32_t len)
{
    if (len < BLOCK_OVERHEAD)
        return fail(r, r->block_off, "block total length %" PRIu32 " is below the minimum 12", len);
    if (len % 4)
        return fail(r, r->block_off, "block total length %" PRIu32 " is not a multiple of 4", len);
    if (len > NVG_PCAPNG_MAX_BLOCK)
        return fail(r, r->block_off, "block total length %" PRIu32 " is over the limit of %u bytes",
                    len, NVG_PCAPNG_MAX_BLOCK);
    if (type == BT_SHB && len < BLOCK_OVERHEAD + SHB_FIXED)
        return fail(r, r->block_off,
                    "section header block total length %" PRIu32 " is below the minimum 28", len);
    return 0;
}

/* The next block: 1 with its type and body (between the length and the trailing length),
 * 0 at a clean end of file, NVG_EPCAP. */
static int read_block(struct nvg_pcapng *r, uint32_t *type, uint32_t *body_len)
{
    uint8_t hdr[8];
    size_t got;
    r->block_off = r->off;
    int rc = read_exact(r, hdr, sizeof(hdr), &got);
    if (rc < 0)
        return rc;
    if (rc == 0 && got == 0)
        return 0;
    if (rc == 0)
        return fail(r, r->off, "truncated block header: %zu of 8 bytes", got);
    uint32_t raw_type;
    memcpy(&raw_type, hdr, 4);
    /* 0x0A0D0D0A reads the same in both byte orders. */
    bool shb = raw_type == BT_SHB;
    if (r->off == 0 && !shb)
        return fail(r, 0, "not a pcapng file: it does not start with a section header block");
    size_t have = 0;
    if (shb && (grow(r, 4) < 0 || (rc = read_byte_order(r)) < 0))
        return r->failed ? NVG_EPCAP : rc;
    have = shb ? 4 : 0;
    *type = rd32(r, hdr);
    uint32_t len = rd32(r, hdr + 4);
    if (check_length(r, *type, len) < 0 || grow(r, len - 8) < 0)
        return NVG_EPCAP;
    rc = read_exact(r, r->buf + have, len - 8 - have, &got);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return fail(r, r->block_off, "truncated block: %zu of %" PRIu32 " bytes", 8 + have + got,
                    len);
    uint32_t trailer = rd32(r, r->buf + len - 12);
    if (trailer != len)
        return fail(r, r->block_off,
                    "trailing block length %" PRIu32 " differs from the leading %" PRIu32, trailer,
                    len);
    *body_len = len - BLOCK_OVERHEAD;
    r->off += len;
    return 1;
}

static int parse_shb(struct nvg_pcapng *r, uint32_t body_len)
{
    (void)body_len; /* check_length saw to SHB_FIXED */
    uint16_t major = rd16(r, r->buf + 4), minor = rd16(r, r->buf + 6);
    if (major != 1)
        return fail(r, r->block_off, "section version %u.%u is not supported (only 1.x)", major,
                    minor);
    r->nifs = 0; /* interface numbers are per section */
    return 0;
}

static int if_tsresol(struct nvg_pcapng *r, uint8_t v, uint64_t *units)
{
    unsigned e = v & 0x7f;
    if (v & 0x80) {
        if (e > 63)
            return fail(r, r->block_off, "if_tsresol 2^-%u is finer than 64 bits hold", e);
        *units = (uint64_t)1 << e;
        return 0;
    }
    if (e > 19)
        return fail(r, r->block_off, "if_tsresol 10^-%u is finer than 64 bits hold", e);
    *units = 1;
    while (e--)
        *units *= 10;
    return 0;
}

/* The options from pos to end; only if_tsresol and if_tsoffset matter here. */
static int idb_options(struct nvg_pcapng *r, uint32_t pos, uint32_t end, struct iface *ifc)
{
    while (end - pos >= 4) {
        uint16_t code = rd16(r, r->buf + pos), len = rd16(r, r->buf + pos + 2);
        if (code == OPT_ENDOFOPT)
            break;
        if (len > end - pos - 4)
            return fail(r, r->block_off, "option %u of length %u runs past the end of the block",
                        code, len);
        const uint8_t *v = r->buf + pos + 4;
        if (code == OPT_IF_TSRESOL && len >= 1 && if_tsresol(r, v[0], &ifc->units_per_s) < 0)
            return NVG_EPCAP;
        if (code == OPT_IF_TSOFFSET && len >= 8)
            ifc->offset_s = (int64_t)rd64(r, v);
        uint32_t padded = ((uint32_t)len + 3u) & ~3u;
        if (padded > end - pos - 4)
            break; /* the last option's padding may be left out */
        pos += 4 + padded;
    }
    return 0;
}

static void note_dlt(struct nvg_pcapng *r, int dlt)
{
    if (r->first_dlt < 0)
        r->first_dlt = dlt;
    for (unsigned i = 0; i < r->ndlts; i++)
        if (r->dlts[i] == dlt)
            return;
    if (r->ndlts < NVG_PCAPNG_MAX_DLTS)
        r->dlts[r->ndlts++] = dlt;
}

/* libpcap's DLT_ for a file's LINKTYPE_: the same number but for raw IP (101 in files, 12 or
 * 14 as a DLT_), so that names and filters match what libpcap says of the same link. */
static int linktype_to_dlt(uint16_t lt)
{
    return lt == 101 ? DLT_RAW : (int)lt;
}

static int parse_idb(struct nvg_pcapng *r, uint32_t body_len)
{
    if (body_len < IDB_FIXED)
        return fail(r, r->block_off,
                    "interface description block of %" PRIu32 " bytes is "
                    "too short",
                    body_len + BLOCK_OVERHEAD);
    if (r->nifs >= NVG_PCAPNG_MAX_IFACES)
        return fail(r, r->block_off, "more than %u interfaces in one section",
                    NVG_PCAPNG_MAX_IFACES);
    if (r->nifs == r->ifs_size) {
        uint32_t size = r->ifs_size ? r->ifs_size * 2 : 8;
        struct iface *n = realloc(r->ifs, size * sizeof(*n));
        if (!n)
            return fail(r, r->block_off, "out of memory for interface %" PRIu32, r->nifs);
        r->ifs = n;
        r->ifs_size = size;
    }
    struct iface ifc = {
        .dlt = linktype_to_dlt(rd16(r, r->buf)),
        .snaplen = rd32(r, r->buf + 4),
        .units_per_s = 1000000, /* microseconds unless if_tsresol says otherwise */
    };
    if (idb_options(r, IDB_FIXED, body_len, &ifc) < 0)
        return NVG_EPCAP;
    r->ifs[r->nifs++] = ifc;
    note_dlt(r, ifc.dlt);
    return 0;
}

static int interface_of(struct nvg_pcapng *r, uint32_t id, const struct iface **ifc)
{
    if (id >= r->nifs)
        return fail(r, r->block_off,
                    "packet on interface %" PRIu32 " but the section describes %" PRIu32, id,
                    r->nifs);
    *ifc = &r->ifs[id];
    return 0;
}

/* Enhanced and obsolete Packet Blocks: the same fields but for the interface id's width. */
static int parse_packet(struct nvg_pcapng *r, uint32_t type, uint32_t body_len,
                        struct nvg_pcapng_frame *f)
{
    if (body_len < EPB_FIXED)
        return fail(r, r->block_off, "packet block of %" PRIu32 " bytes is too short",
                    body_len + BLOCK_OVERHEAD);
    const uint8_t *b = r->buf;
    uint32_t id = type == BT_EPB ? rd32(r, b) : rd16(r, b);
    const struct iface *ifc = NULL;
    if (interface_of(r, id, &ifc) < 0)
        return NVG_EPCAP;
    uint32_t caplen = rd32(r, b + 12);
    if (caplen > body_len - EPB_FIXED)
        return fail(r, r->block_off,
                    "captured length %" PRIu32 " is more than the block's %" PRIu32 " bytes",
                    caplen, body_len - EPB_FIXED);
    uint64_t ts = (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8);
    *f = (struct nvg_pcapng_frame){.data = b + EPB_FIXED,
                                   .caplen = caplen,
                                   .wirelen = rd32(r, b + 16),
                                   .dlt = ifc->dlt,
                                   .iface = id};
    f->ts_ns = nvg_pcapng_time_ns(ts, ifc->units_per_s, ifc->offset_s, &f->time_clamped);
    return 1;
}

/* A Simple Packet Block belongs to the section's first interface and has no time stamp: its
 * captured length is what the block holds, at most the original length and the snap length. */
static int parse_spb(struct nvg_pcapng *r, uint32_t body_len, struct nvg_pcapng_frame *f)
{
    if (body_len < SPB_FIXED)
        return fail(r, r->block_off, "simple packet block of %" PRIu32 " bytes is too short",
                    body_len + BLOCK_OVERHEAD);
    const struct iface *ifc = NULL;
    if (interface_of(r, 0, &ifc) < 0)
        return NVG_EPCAP;
    uint32_t wirelen = rd32(r, r->buf);
    uint32_t caplen = body_len - SPB_FIXED;
    if (wirelen < caplen)
        caplen = wirelen;
    if (ifc->snaplen && ifc->snaplen < caplen)
        caplen = ifc->snaplen;
    *f = (struct nvg_pcapng_frame){
        .data = r->buf + SPB_FIXED, .caplen = caplen, .wirelen = wirelen, .dlt = ifc->dlt};
    return 1;
}

/* Reads blocks up to the next frame: 1 with *f, 0 at the end, NVG_EPCAP. */
static int read_frame(struct nvg_pcapng *r, struct nvg_pcapng_frame *f)
{
    for (;;) {
        uint32_t type = 0, body_len = 0;
        int rc = read_block(r, &type, &body_len);
        if (rc <= 0)
            return rc;
        switch (type) {
        case BT_SHB:
            rc = parse_shb(r, body_len);
            break;
        case BT_IDB:
            rc = parse_idb(r, body_len);
            break;
        case BT_EPB:
        case BT_PB:
            return parse_packet(r, type, body_len, f);
        case BT_SPB:
            return parse_spb(r, body_len, f);
        default:
            rc = 0; /* name resolution, statistics, secrets, custom: not ours to read */
            break;
        }
        if (rc < 0)
            return rc;
    }
}

int nvg_pcapng_next(struct nvg_pcapng *r, struct nvg_pcapng_frame *f, char *err)
{
    int rc;
    if (r->failed) {
        rc = NVG_EPCAP;
    } else if (r->pending) {
        r->pending = false;
        *f = r->first;
        return 1;
    } else {
        rc = read_frame(r, f);
    }
    if (rc < 0 && err)
        snprintf(err, NVG_ERRBUF_SIZE, "%s", r->msg);
    return rc;
}

struct nvg_pcapng *nvg_pcapng_open_stream(FILE *fp, const char *name, char *err)
{
    struct nvg_pcapng *r = calloc(1, sizeof(*r));
    if (!r) {
        fclose(fp);
        snprintf(err, NVG_ERRBUF_SIZE, "%s: out of memory", name);
        return NULL;
    }
    r->fp = fp;
    r->first_dlt = -1;
    snprintf(r->name, sizeof(r->name), "%s", name);
    int rc = read_frame(r, &r->first);
    if (rc == 0 && r->off == 0)
        rc = fail(r, 0, "empty file");
    if (rc < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "%s", r->msg);
        nvg_pcapng_close(r);
        return NULL;
    }
    r->pending = rc == 1;
    return r;
}

struct nvg_pcapng *nvg_pcapng_open(const char *path, char *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, NVG_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
        return NULL;
    }
    return nvg_pcapng_open_stream(fp, path, err);
}

void nvg_pcapng_close(struct nvg_pcapng *r)
{
    if (!r)
        return;
    if (r->fp)
        fclose(r->fp);
    free(r->buf);
    free(r->ifs);
    free(r);
}

int nvg_pcapng_first_dlt(const struct nvg_pcapng *r)
{
    return r->first_dlt;
}

unsigned nvg_pcapng_link_types(const struct nvg_pcapng *r, int *out, unsigned max)
{
    for (unsigned i = 0; i < r->ndlts && i < max; i++)
        out[i] = r->dlts[i];
    return r->ndlts;
}

bool nvg_pcapng_file_is_pcapng(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    uint8_t b[4];
    bool yes =
        fread(b, 1, 4, fp) == 4 && b[0] == 0x0A && b[1] == 0x0D && b[2] == 0x0D && b[3] == 0x0A;
    fclose(fp);
    return yes;
}
