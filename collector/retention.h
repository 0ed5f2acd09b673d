/* Keeping the disk from filling (issue 13): retention limits, a free-space floor, and the
 * compression of closed files.
 *
 * Retention: the collector's files in its output directory (packets-, rates-, audit-, alerts-
 * and flows-YYYYMMDDTHHMMSSZ-N.csv, and their .csv.zst / .csv.gz) are listed at start-up, after
 * every rotation and every 10 s. Files closed more than --retain-time ago (their mtime, which
 * compression keeps) are deleted, then the oldest (by the time in the name, then N) while the
 * files take more than --retain-size. A file a writer has open is never deleted, nor counted
 * out: it may keep the directory above the limit until it rotates. Each deletion is counted
 * (files, bytes) and logged, rate-limited.
 *
 * The floor (--min-free, a percentage of the file system or a size) is checked with statvfs
 * every tick (100 ms), never per row. Below it the packet and flow logs refuse new rows
 * (csv-writer's refusing mode: the rows are counted as write failures per sensor, exactly as
 * for a full disk, and in rows_refused here), rows already accepted still reach the file
 * whole, and a critical "disk" alert starts; it ends, and rows are written again, once free
 * space is back above the floor plus a hysteresis (a twentieth of the floor, at least 64 KiB).
 * The floor deletes nothing: only the retention limits decide what goes.
 *
 * Compression (--compress zstd|gzip) runs on a thread of its own with a bounded queue of file
 * names, fed by the listing (so a full queue only delays a file): NAME.csv is written to
 * NAME.csv.zst.tmp (one standard zstd frame; gzip: one gzip member), fsync'ed, given the
 * original's mtime, renamed to NAME.csv.zst, the directory fsync'ed, then NAME.csv removed.
 * At start-up leftover *.tmp files (a crash mid-compression) are removed and their originals,
 * kept, are queued again. Everything here runs on the main thread but the compression. */
#ifndef NVG_RETENTION_H
#define NVG_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "alerts.h"
#include "csv-writer.h"

enum nvg_compress { NVG_COMPRESS_NONE, NVG_COMPRESS_ZSTD, NVG_COMPRESS_GZIP };

struct nvg_retention_limits {
    uint64_t retain_size;    /* bytes of our files in the directory, 0 = no limit */
    int64_t retain_time_s;   /* 0 = no limit */
    double min_free_pct;     /* > 0: the floor as a percentage of the file system */
    uint64_t min_free_bytes; /* else the floor in bytes; both 0 = no floor */
};

struct nvg_retention_stats {
    uint64_t files_deleted, bytes_deleted;
    uint64_t rows_refused; /* packet and flow rows not written below the floor */
    uint64_t files_compressed, compress_failures;
    uint64_t compress_bytes_in, compress_bytes_out;
    uint64_t compress_queued;         /* waiting for the worker now */
    uint64_t dir_files, dir_bytes;    /* our files at the last listing */
    uint64_t free_bytes, floor_bytes; /* at the last check; floor 0 = none */
    uint64_t floor_episodes;          /* times writing stopped at the floor */
    bool below_floor;
};

struct nvg_retention_config {
    const char *dir;
    struct nvg_retention_limits limits;
    enum nvg_compress compress;
};

struct nvg_retention;

struct nvg_collector_options;

/* Before the first log is opened: it installs csv-writer's file hook to know which files are
 * open. NULL with the reason in err (NVG_ERRBUF_SIZE). */
struct nvg_retention *nvg_retention_new(const struct nvg_retention_config *cfg, char *err);
/* The same from the command line (--retain-size, --retain-time, --min-free, --compress). */
struct nvg_retention *nvg_retention_from_options(const struct nvg_collector_options *o, char *err);
/* After the start-up repairs read the old files (rates rebuilt): leftover *.tmp removed, the
 * first listing, the compression thread started. alerts (may be NULL) gets the disk alert;
 * packets and flows (may be NULL) are the logs refused below the floor. 0 or NVG_ENOMEM. */
int nvg_retention_start(struct nvg_retention *r, struct nvg_alerts *alerts,
                        struct nvg_csv_writer *packets, struct nvg_csv_writer *flows);
/* Every tick (about 100 ms). */
void nvg_retention_tick(struct nvg_retention *r, int64_t now_ms);
/* SIGHUP: new limits, applied at once (the next tick checks the floor and lists the files). */
void nvg_retention_set_limits(struct nvg_retention *r, const struct nvg_retention_limits *l);
/* Main thread; refreshed by each tick. */
const struct nvg_retention_stats *nvg_retention_stats(const struct nvg_retention *r);
const struct nvg_retention_limits *nvg_retention_limits(const struct nvg_retention *r);
enum nvg_compress nvg_retention_method(const struct nvg_retention *r);
/* Stops the compression thread (the file at hand finishes or is left as *.tmp for the next
 * start), ends an open disk alert, removes the hook. Before the alerts module is freed. */
void nvg_retention_free(struct nvg_retention *r);

/* ---- compress.c: the worker (used by retention.c) ---- */

struct nvg_compressor;
struct nvg_compress_counts {
    uint64_t files, failures, bytes_in, bytes_out, queued;
};
struct nvg_compressor *nvg_compressor_new(enum nvg_compress method, char *err);
/* Queue the path of a closed file; false when the queue is full or it is queued or
 * being compressed already. */
bool nvg_compressor_push(struct nvg_compressor *z, const char *path);
bool nvg_compressor_busy_with(struct nvg_compressor *z, const char *path);
void nvg_compressor_counts(struct nvg_compressor *z, struct nvg_compress_counts *out);
void nvg_compressor_free(struct nvg_compressor *z);
/* One file, synchronously (the worker's step; tests). 0, or <0 with the original kept. */
int nvg_compress_file(enum nvg_compress method, const char *path, uint64_t *in, uint64_t *out);
const char *nvg_compress_suffix(enum nvg_compress method); /* ".zst", ".gz", "" */

#endif
