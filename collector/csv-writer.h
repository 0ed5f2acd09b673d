/* A CSV log that rotates: rows go into a large buffer in front of
 * DIR/PREFIX-YYYYMMDDTHHMMSSZ-N.csv, written with big write(2) calls.
 *
 * Rows are reserved and committed whole, so the buffer (and every write of it) holds only
 * complete rows; rotation happens only after a successful flush, so a closed file never ends
 * in a torn line. A failed write (ENOSPC, EIO) keeps the unwritten rows in the buffer for the
 * next try; rows that do not fit meanwhile are refused and counted by the caller as write
 * failures.
 *
 * Durability hook: rows may be grouped (begin_group/end_group, e.g. the rows of one batch).
 * Whenever everything committed outside a group has reached the file through write(2) -- after
 * a flush at a group boundary, and when a new file has been started with its header written --
 * on_durable is told the file's name and length. A group that does not fit in the free part of
 * the buffer makes the writer flush before the group starts, so a full buffer never splits a
 * group in the normal case; a group bigger than the whole buffer may be split, and such a
 * mid-group flush is not reported. What has been reported can be trusted to be on disk
 * (barring a system crash: no fsync) and to end on a group boundary. */
#ifndef NVG_CSV_WRITER_H
#define NVG_CSV_WRITER_H

#include <stddef.h>
#include <stdint.h>

/* name: the file's name inside dir; length: its bytes, all written, ending on a row and group
 * boundary. */
typedef void (*nvg_csv_durable_fn)(void *ud, const char *name, uint64_t length);

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
/* Flush and close; what cannot be written is lost (and logged). */
void nvg_csv_writer_free(struct nvg_csv_writer *w);

/* Rows up to end_group belong together (see above); max_bytes bounds what they may take.
 * Groups do not nest. */
void nvg_csv_writer_begin_group(struct nvg_csv_writer *w, size_t max_bytes);
void nvg_csv_writer_end_group(struct nvg_csv_writer *w);

/* Room for one row (or several consecutive rows) of up to n bytes, or NULL while the disk
 * refuses writes or n exceeds the buffer. */
char *nvg_csv_writer_reserve(struct nvg_csv_writer *w, size_t n);
void nvg_csv_writer_commit(struct nvg_csv_writer *w, size_t n);

/* Row boundary: rotate when the file has reached rotate_size (call after a group of rows). */
void nvg_csv_writer_maybe_rotate(struct nvg_csv_writer *w);
/* Write what is buffered. 0 or NVG_EIO (logged, rate-limited). */
int nvg_csv_writer_flush(struct nvg_csv_writer *w);
/* Periodic work (call often): flush once a second, rotate by time. */
void nvg_csv_writer_tick(struct nvg_csv_writer *w, int64_t now_ms);

/* Row accounting, for status. The writer sees bytes, so its caller counts the rows: written
 * went into the buffer, failed found no room there. */
void nvg_csv_writer_count_rows(struct nvg_csv_writer *w, uint64_t written, uint64_t failed);
uint64_t nvg_csv_writer_rows_written(const struct nvg_csv_writer *w);
uint64_t nvg_csv_writer_rows_failed(const struct nvg_csv_writer *w);

const char *nvg_csv_writer_path(const struct nvg_csv_writer *w);
size_t nvg_csv_writer_buffer_size(const struct nvg_csv_writer *w);

/* Crash recovery for files a killed process left behind: cut every DIR/PREFIX-*.csv that does
 * not end in '\n' back to its last complete line. Returns the number of files repaired. */
int nvg_csv_repair_dir(const char *dir, const char *prefix);

/* Crash recovery against a durability record: cut DIR/NAME (a file of this prefix) back to
 * length bytes when it is longer -- rows written after the last durable point that was
 * recorded. Returns the bytes cut (0 when none or no such file), or <0 on error. */
int64_t nvg_csv_cut_back(const char *dir, const char *prefix, const char *name, uint64_t length);

#endif
