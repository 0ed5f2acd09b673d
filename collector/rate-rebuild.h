/* Crash consistency of the rates log with the packet log.
 *
 * The rates of a second are written only once the second closes (rate-window.h) and then sit
 * in the rates writer's buffer for up to a second, while the packet rows they count reach the
 * disk within the flush interval: a collector killed with SIGKILL leaves packet rows whose
 * seconds have no rates rows. At start-up, before any new record is counted,
 * nvg_rate_rebuild compares the two logs and writes the missing rates rows.
 *
 * What a rebuild can know, per sensor (rows are told apart by the sensor field's text):
 *  - its last rates second L: the newest second in the tail of the rates log (seconds at the
 *    ends of the int64-nanosecond range, where clamped times land, do not count: one clamped
 *    record would hide every later second);
 *  - seconds before L are taken as complete (their rates were written before L's);
 *  - seconds after L have no rates rows at all: every packet row of them is rebuilt;
 *  - L itself may be partly written (a write that stopped inside the second's rows): its packet
 *    rows per protocol minus its rates rows per protocol are rebuilt, never a negative count,
 *    so nothing already in the rates log is counted twice.
 * Rows reach the packet log in arrival order and arrive at most a second or so out of order,
 * so the packet log is read backwards from its end and a sensor is complete once a row more
 * than NVG_RATE_REBUILD_DISORDER_S before its L has been read; the reading stops when every
 * sensor met that has rates is complete, or after a byte budget (then older rows are not
 * checked and the log says so). A sensor with no rates row in the tail of the rates log (it
 * was killed within its first seconds) has all its rows rebuilt up to where the reading
 * stopped. Records in the packet log whose rates could not be rebuilt (a row that does not
 * parse, a rebuilt row the rates writer refused) are counted as lost.
 *
 * The rebuilt rows are ordinary rates rows (rows with the same key add up), in time order per
 * sensor, at the start of the rates file this process opened. Running it twice after the same
 * crash writes nothing the second time. */
#ifndef NVG_RATE_REBUILD_H
#define NVG_RATE_REBUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "csv-writer.h"

#define NVG_RATE_REBUILD_DISORDER_S 4
#define NVG_RATE_REBUILD_PACKET_BUDGET (64ull << 20) /* bytes of packet log read at most */
#define NVG_RATE_REBUILD_RATES_BUDGET (8ull << 20)   /* bytes of rates log read at most */

struct nvg_rate_rebuild_result {
    uint64_t rebuilt;      /* records whose rates rows were written */
    uint64_t lost;         /* records in the packet log whose rates could not be rebuilt */
    uint64_t rows;         /* rates rows written */
    uint64_t packet_bytes; /* of the packet log read */
    uint64_t rates_bytes;  /* of the rates log read */
    bool budget_hit;       /* stopped by the budget: older packet rows were not checked */
};

/* Compare DIR/packets-*.csv with DIR/rates-*.csv (the file rates is writing excluded) and
 * write the missing rates rows into rates, then flush it. Budgets of 0 mean the defaults.
 * Logs what it did. 0, or a negative NVG_E* (out of memory, unreadable directory) with *res
 * holding what was done. */
int nvg_rate_rebuild(const char *dir, struct nvg_csv_writer *rates, uint64_t packet_budget,
                     uint64_t rates_budget, struct nvg_rate_rebuild_result *res);

#endif
