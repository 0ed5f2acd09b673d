/* What spool.c and spool-recover.c share: the spool's state, the byte layout's helpers and
 * the few calls between them. Internal to the spool; see spool.h for the contract. */
#ifndef NVG_SPOOL_INTERNAL_H
#define NVG_SPOOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "nvg-ratelog.h"
#include "nvg-text.h"
#include "spool.h"

#define MAGIC "NVGSPOOL"
#define VERSION 1
#define NAME_BYTES 64
#define POS_FILE "replay.pos"
#define POS_BYTES 24
#define SEG_PREFIX "seg-"
#define SEG_SUFFIX ".nvgspool"
#define SEG_MIN ((uint64_t)64 << 10)
#define DEFAULT_FRAME_MAX ((size_t)2 << 20)
/* What staging keeps in front of each frame: the boot id and whether a segment starts here. */
#define STAGE_PREFIX 16
#define WARN_MS 10000

struct seg {
    uint64_t num, boot;
    uint64_t end;              /* bytes of header and whole, valid frames */
    uint64_t read;             /* offset of the next frame to replay */
    uint64_t batches, records; /* not replayed yet */
    bool corrupt;              /* damage after end: set aside once replayed */
};

struct nvg_spool {
    char *dir;
    int dirfd;
    char sensor[NVG_NAME_MAX + 1];
    uint64_t max_bytes, seg_max;
    size_t frame_max;
    struct seg *segs; /* oldest first */
    size_t nsegs, cap;
    int wfd; /* the newest segment, open for append; -1: none this process */
    int rfd; /* segs[0], open for replay; -1: none */
    uint64_t rfd_num;
    int posfd;
    uint64_t next_num;
    uint8_t *stage;
    size_t stage_len;
    bool tail_open; /* the accounting's view of the newest segment, staging included */
    uint64_t tail_boot, tail_bytes;
    uint8_t *rbuf;
    bool have_frame;
    struct nvg_spool_frame frame;
    struct nvg_spool_stats st;
    struct nvg_ratelog rl_write, rl_drop;
};

/* ---- little-endian fields -------------------------------------------------------------- */

static inline void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline uint32_t crc(const uint8_t *p, size_t n, uint32_t seed)
{
    return (uint32_t)crc32(seed, p, (uInt)n);
}

/* The CRC of a frame: its header after the CRC field, then the payload. */
static inline uint32_t frame_crc(const uint8_t *hdr, const uint8_t *payload, size_t len)
{
    uint32_t c = crc(hdr + 8, NVG_SPOOL_FRAME_HEADER - 8, 0);
    return crc(payload, len, c);
}

static inline void count_cut(struct nvg_spool *sp, uint64_t batches, uint64_t records,
                             uint64_t bytes)
{
    sp->st.cut_batches += batches;
    sp->st.cut_records += records;
    sp->st.cut_bytes += bytes;
}

/* spool.c */
void nvg__spool_seg_name(char *buf, size_t size, uint64_t num, bool corrupt);
int nvg__spool_open_seg(struct nvg_spool *sp, uint64_t num, int flags);
bool nvg__spool_pread(int fd, void *buf, size_t n, uint64_t off);
void nvg__spool_set_aside(struct nvg_spool *sp, uint64_t num, const char *why);
struct seg *nvg__spool_add_seg(struct nvg_spool *sp);
/* Retires the segments at the head that are replayed to their end (not the one appended to). */
void nvg__spool_reap(struct nvg_spool *sp);

/* spool-recover.c: reads DIR at open (every segment checked, torn tails cut, damage set aside,
 * replay.pos applied): 0, or an error with the reason in err. */
int nvg__spool_recover(struct nvg_spool *sp, char *err);

#endif
