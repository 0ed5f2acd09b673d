/* The sensor's disk spool (issue 14): batches a live sensor could not hand to its collector
 * link (not connected, or its send queue full) are kept on disk, already encoded with their
 * sequence numbers, and replayed oldest first once the link has room, so that the collector's
 * log ends up complete across an outage.
 *
 * Layout of DIR: append-only segment files seg-NNNNNNNNNNNNNNNN.nvgspool (NNN the segment
 * number in hex, increasing), each of one boot id, and replay.pos, the replay position.
 *
 *   segment header (128 bytes, little-endian):
 *     0 magic "NVGSPOOL" | 8 u32 version (1) | 12 u32 header length (128) | 16 u64 boot id
 *     24 i64 created (wall ns) | 32 u32 name length | 36 name (64 bytes, NUL padded)
 *     100 reserved (zero) | 124 u32 CRC-32 (zlib) of bytes 0..123
 *   frame (one batch), 24 bytes then the batch as it goes on the wire:
 *     0 u32 payload length | 4 u32 CRC-32 of bytes 8..23 and the payload | 8 u64 sequence
 *     16 u32 records | 20 u32 conversation records
 *   replay.pos (24 bytes): u64 segment number | u64 offset of the next frame | u32 CRC-32 of
 *     the 16 bytes before | u32 zero. Rewritten in place (pwrite) after every replayed batch.
 *
 * Durability: the sensor never fsyncs. A segment is written with plain write(2), so what a
 * killed or crashed sensor wrote is in the page cache and survives it; a power loss or kernel
 * crash can lose what the kernel had not written back yet (vm.dirty_expire_centisecs, 30 s by
 * default), and the CRCs make sure such a loss is found and cut, never replayed as garbage.
 *
 * At open every segment is read through: a frame cut short at a segment's end (a sensor
 * killed in the middle of a write) is cut off (ftruncate) and counted; a header that is not
 * ours, or a frame whose CRC fails with data after it, marks the segment corrupt: its valid
 * frames before the damage are replayed, then it is renamed NAME.corrupt (set aside, logged,
 * never deleted by us). A spool of another sensor name is refused.
 *
 * Cost on the capture thread: _append (the per-packet path, once per batch) only copies the
 * batch into a preallocated staging buffer; _write (the tick) writes what is staged, at most
 * NVG_SPOOL_STAGE_BYTES per call, with the CRCs computed there; _peek reads one frame back
 * (pread, normally from the page cache). Nothing allocates after _open but the segment list
 * when it grows (tick path).
 *
 * Single-threaded: the capture thread owns the spool. */
#ifndef NVG_SPOOL_H
#define NVG_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NVG_SPOOL_SIZE_DEFAULT ((uint64_t)1 << 30)
#define NVG_SPOOL_SIZE_MIN ((uint64_t)64 << 10)
#define NVG_SPOOL_SEGMENT_MAX ((uint64_t)16 << 20) /* a segment's size at most (one frame more) */
#define NVG_SPOOL_STAGE_BYTES ((size_t)8 << 20)    /* staged between two ticks at most */
#define NVG_SPOOL_HEADER_BYTES 128
#define NVG_SPOOL_FRAME_HEADER 24

struct nvg_spool_opts {
    const char *dir;    /* created (0700) when missing */
    const char *sensor; /* the name segments are written under; another name's spool is refused */
    uint64_t max_bytes; /* segments and staging together; 0 = NVG_SPOOL_SIZE_DEFAULT */
    uint64_t segment_bytes; /* 0 = max_bytes / 4 within [64 KiB, NVG_SPOOL_SEGMENT_MAX] */
    size_t frame_max;       /* largest batch taken; 0 = 2 MiB (NVG_LINK_MAX_MSG) */
};

struct nvg_spool_stats {
    uint64_t bytes;   /* disk held now: segment files (replayed frames too, until their
                       * segment is deleted) and staging: what max_bytes bounds */
    uint64_t batches; /* held now, not yet replayed */
    uint64_t records;
    uint64_t spooled;  /* batches taken by _append, this process */
    uint64_t replayed; /* batches _pop'ed, this process */
    /* Refused by _append (the size bound, staging full while the disk cannot keep up, or a
     * batch above frame_max): the caller drops them. */
    uint64_t dropped_batches, dropped_records;
    /* Lost from the spool: torn tails cut at open, frames behind a corruption (records as far
     * as their headers could be read). */
    uint64_t cut_batches, cut_records, cut_bytes;
    uint64_t set_aside;         /* segments renamed *.corrupt */
    uint64_t write_errors;      /* failed writes, retried on the next _write */
    uint64_t recovered_batches; /* found at open, from earlier runs */
};

/* One batch read back for replay; data lent until _pop or the next _peek. */
struct nvg_spool_frame {
    uint64_t boot_id, seq;
    uint32_t records, flows;
    const uint8_t *data;
    size_t len;
};

struct nvg_spool;

/* Opens (and recovers) the spool; NULL with the reason in err (NVG_ERRBUF_SIZE bytes). */
struct nvg_spool *nvg_spool_open(const struct nvg_spool_opts *opts, char *err);
/* Writes what is staged, closes the files. The spool stays on disk for the next open. */
void nvg_spool_close(struct nvg_spool *sp);
/* Hands DIR and its files to uid:gid (a root sensor about to become --user). 0 or NVG_EPERM. */
int nvg_spool_chown(struct nvg_spool *sp, uid_t uid, gid_t gid, char *err);

/* Nothing held: no batch on disk or staged. */
bool nvg_spool_empty(const struct nvg_spool *sp);
/* The boot id of the oldest batch held; false when empty. */
bool nvg_spool_head_boot(const struct nvg_spool *sp, uint64_t *boot_id);

/* Takes a copy of one encoded batch (the per-packet path: a copy into staging, no I/O). 0, or
 * NVG_ETOOBIG (no room under max_bytes, or above frame_max) / NVG_EAGAIN (staging full), both
 * counted in dropped_*. */
int nvg_spool_append(struct nvg_spool *sp, uint64_t boot_id, uint64_t seq, uint32_t records,
                     uint32_t flows, const void *data, size_t len);
/* Writes staged batches to the segments (the tick path). 0, or NVG_EIO when a write failed:
 * the batches stay staged and the next call tries again (counted, logged rate-limited). */
int nvg_spool_write(struct nvg_spool *sp);

/* The oldest batch written: 1 with *f, 0 when none is on disk (staged ones wait for _write). */
int nvg_spool_peek(struct nvg_spool *sp, struct nvg_spool_frame *f);
/* The batch _peek returned has been handed to the link: forget it (replay.pos moves on; a
 * segment replayed to its end is deleted, or set aside when corrupt). */
void nvg_spool_pop(struct nvg_spool *sp);

void nvg_spool_get_stats(const struct nvg_spool *sp, struct nvg_spool_stats *st);
const char *nvg_spool_dir(const struct nvg_spool *sp);

#endif
