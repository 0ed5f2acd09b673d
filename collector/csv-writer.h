/* A CSV log that rotates: rows go into a large buffer in front of
 * DIR/PREFIX-YYYYMMDDTHHMMSSZ-N.csv, written with big write(2) calls.
 *
 * Rows are reserved and committed whole, so the buffer (and every write of it) holds only
 * complete rows; rotation happens only after a successful flush, so a closed file never ends
 * in a torn line. A failed write (ENOSPC, EIO) keeps the unwritten rows in the buffer for the
 * next try; rows that do not fit meanwhile are refused and counted by the caller as write
 * failures.
 *
 * Durability hook (on_durable, the packet log): rows may be grouped (begin_group/end_group, the
 * rows of one batch). The writer flushes only outside a group -- inside one, a row that finds
 * no room is refused -- and each flush writes everything buffered or nothing (nvg_outbuf's
 * whole mode), so the file always ends on a group boundary where a flush ended. Before a flush
 * the owner is told the length the file will have (NVG_CSV_PREPARE: it writes its record of
 * that point; a failure keeps the rows buffered and writes nothing, so the file never runs
 * ahead of that record); after it the owner is told again (NVG_CSV_DURABLE: it makes the record
 * current). A row counts as written (rows_written) only once a flush took it.
 *
 * Two kinds of flush: nvg_csv_writer_flush (the owner's, once a second, at an end of stream,
 * before a rotation) fdatasyncs the file before DURABLE and says synced; a flush because the
 * buffer is full does not (synced false): the record then holds against a crash of the
 * process, and a power loss can take at most what came since the last synced flush. A sync
 * per full buffer cost more than the whole write: three syncs per 4 MiB at 400 MB/s.
 *
 * A log switched off (--no-csv) is a NULL writer: every call takes it and does nothing (counts
 * and sizes 0, the path ""), so its owner's calls stay as they are -- except that reserve
 * returns NULL, so an owner that counts refusals as write failures must skip a NULL writer. */
#ifndef NVG_CSV_WRITER_H
#define NVG_CSV_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nvg_csv_phase { NVG_CSV_PREPARE, NVG_CSV_DURABLE };
/* name: the file's name inside dir; length: its bytes once the flush at hand is done, ending on
 * a group boundary; synced: whether this flush fdatasyncs (the owner syncs its record too).
 * PREPARE returns 0 to go ahead (<0: do not write now); DURABLE's return is ignored. */
typedef int (*nvg_csv_durable_fn)(void *ud, enum nvg_csv_phase phase, bool synced, const char *name,
                                  uint64_t length);

struct nvg_csv_writer_config {
    const char *dir;
    const char *prefix;        /* "packets", "rates", "audit" */
    const char *header;        /* first line of every file, with '\n' */
    uint64_t rotate_size;      /* bytes, 0 = never */
    int64_t rotate_interval_s; /* 0 = never */
    size_t buffer_size;
    nvg_csv_durable_fn on_durable; /* optional */
    void *on_durable_ud;
};

struct nvg_csv_writer;

/* Opens the first file. NULL with the reason in err (NVG_ERRBUF_SIZE). */
struct nvg_csv_writer *nvg_csv_writer_new(const struct nvg_csv_writer_config *cfg, char *err);
/* Flush and close; what cannot be written is lost (and logged; see _drop_pending to count it). */
void nvg_csv_writer_free(struct nvg_csv_writer *w);

/* Rows up to end_group belong together (see above); max_bytes bounds what they may take.
 * Groups do not nest. */
void nvg_csv_writer_begin_group(struct nvg_csv_writer *w, size_t max_bytes);
void nvg_csv_writer_end_group(struct nvg_csv_writer *w);

/* Room for one row (or several consecutive rows) of up to n bytes, or NULL while the disk
 * refuses writes, n exceeds the buffer, or (inside a group) the buffer is full. */
char *nvg_csv_writer_reserve(struct nvg_csv_writer *w, size_t n);
void nvg_csv_writer_commit(struct nvg_csv_writer *w, size_t n);

/* Row boundary: rotate when the file has reached rotate_size (call after a group of rows). */
void nvg_csv_writer_maybe_rotate(struct nvg_csv_writer *w);
/* SIGHUP: new rotation limits (0 = never), in force from the next row boundary or tick; the
 * current file counts toward them (already past a smaller size: it rotates at the next row). */
void nvg_csv_writer_set_rotation(struct nvg_csv_writer *w, uint64_t size, int64_t interval_s);
/* Write what is buffered. 0 or NVG_EIO (logged, rate-limited). */
int nvg_csv_writer_flush(struct nvg_csv_writer *w);
/* Periodic work (call often): flush once a second, rotate by time. */
void nvg_csv_writer_tick(struct nvg_csv_writer *w, int64_t now_ms);

/* Row accounting, for status. The writer sees bytes, so its caller counts the rows: written
 * went into the buffer, failed found no room there. rows_written is what reached the file,
 * rows_pending what waits in the buffer (counted from its bytes, so call it once a second, not
 * per row), rows_failed what was refused or dropped. */
void nvg_csv_writer_count_rows(struct nvg_csv_writer *w, uint64_t written, uint64_t failed);
uint64_t nvg_csv_writer_rows_written(const struct nvg_csv_writer *w);
uint64_t nvg_csv_writer_rows_failed(const struct nvg_csv_writer *w);
uint64_t nvg_csv_writer_rows_pending(const struct nvg_csv_writer *w);

/* Bytes committed and bytes flushed since the writer was made (every file): a row committed
 * when committed_bytes was X is in the file once flushed_bytes >= X. */
uint64_t nvg_csv_writer_committed_bytes(const struct nvg_csv_writer *w);
uint64_t nvg_csv_writer_flushed_bytes(const struct nvg_csv_writer *w);
/* Rotations done (a file closed complete and the next one opened), for the metrics. */
uint64_t nvg_csv_writer_rotations(const struct nvg_csv_writer *w);

/* At shutdown, after a last flush failed: call fn for every buffered row (a pending header is
 * not one), count them as failed and forget them, so that the close writes nothing the count
 * calls lost. Returns the rows dropped. */
typedef void (*nvg_csv_row_fn)(void *ud, const char *row, size_t len);
uint64_t nvg_csv_writer_drop_pending(struct nvg_csv_writer *w, nvg_csv_row_fn fn, void *ud);

const char *nvg_csv_writer_path(const struct nvg_csv_writer *w);
const char *nvg_csv_writer_prefix(const struct nvg_csv_writer *w);

/* Files opened and closed, for retention and compression (retention.h). One hook for every
 * writer of the process, so modules that own a log need not know about retention: OPENED with
 * the new file's path, ROTATED with the path of the file rotation just closed (complete),
 * CLOSED with the last file's path when the writer is freed. Set it before the first writer
 * is made and from the thread that owns the writers. */
enum nvg_csv_file_event { NVG_CSV_OPENED, NVG_CSV_ROTATED, NVG_CSV_CLOSED };
typedef void (*nvg_csv_file_fn)(void *ud, const struct nvg_csv_writer *w,
                                enum nvg_csv_file_event ev, const char *path);
void nvg_csv_writer_set_file_hook(nvg_csv_file_fn fn, void *ud);

/* While refusing, reserve returns NULL (the caller counts the rows as write failures, as for a
 * full disk) and what is buffered still reaches the file: the free-space floor. */
void nvg_csv_writer_set_refusing(struct nvg_csv_writer *w, bool refusing);
size_t nvg_csv_writer_buffer_size(const struct nvg_csv_writer *w);

/* Crash recovery for files a killed process left behind: cut every DIR/PREFIX-*.csv that does
 * not end in '\n' back to its last complete line (compressed files, *.csv.zst and *.csv.gz,
 * are never touched: they were written whole, see retention.h). Returns the number of files
 * repaired. */
int nvg_csv_repair_dir(const char *dir, const char *prefix);

/* Crash recovery against a durability record: cut DIR/NAME (a file of this prefix) back to
 * length bytes when it is longer -- rows written after the last durable point that was
 * recorded. Returns the bytes cut (0 when none or no such file), NVG_ETRUNC when the file is
 * shorter than length (a power loss took rows written after the last synced flush: the record
 * cannot be trusted), or another <0 on error. */
int64_t nvg_csv_cut_back(const char *dir, const char *prefix, const char *name, uint64_t length);

#endif
