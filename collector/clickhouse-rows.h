/* The ClickHouse sink's tables (clickhouse.h): their CREATE statements and their rows in
 * RowBinary, ClickHouse's row format without any per-value framing (little-endian numbers,
 * LEB128-prefixed strings), so a row costs a few stores and no formatting.
 *
 * Every encoder writes one whole row and returns its length; the caller gives it at least the
 * table's NVG_CH_*_ROW_MAX bytes (strings are cut to their caps, enums mapped into the values
 * the table declares), so the per-record path checks nothing and a hostile value can never
 * make ClickHouse refuse a batch. The column lists are README's "ClickHouse" schema. */
#ifndef NVG_CLICKHOUSE_ROWS_H
#define NVG_CLICKHOUSE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "netvigil.pb-c.h"
#include "nvg-flow.h"
#include "nvg-pkt.h"
#include "nvg-text.h"

enum nvg_ch_table { NVG_CH_PACKETS, NVG_CH_RATES, NVG_CH_ALERTS, NVG_CH_FLOWS, NVG_CH_TABLES };

/* A sensor name as its RowBinary string (one length byte: names are at most 63 bytes), made
 * once per batch and copied into each row. */
struct nvg_ch_name {
    uint8_t len;
    uint8_t bytes[1 + NVG_NAME_MAX];
};

#define NVG_CH_NAME_MAX (1 + NVG_NAME_MAX)
#define NVG_CH_PACKET_ROW_MAX (96 + NVG_CH_NAME_MAX)
#define NVG_CH_RATE_ROW_MAX (32 + NVG_CH_NAME_MAX)
#define NVG_CH_FLOW_ROW_MAX (256 + NVG_CH_NAME_MAX)
#define NVG_CH_ALERT_ROW_MAX 1024
#define NVG_CH_ROW_MAX NVG_CH_ALERT_ROW_MAX

const char *nvg_ch_table_name(enum nvg_ch_table t);
/* "CREATE TABLE IF NOT EXISTS db.table (...) ENGINE = MergeTree ..." into buf; its length, or
 * 0 when it does not fit. */
size_t nvg_ch_create_table(char *buf, size_t size, const char *db, enum nvg_ch_table t);

void nvg_ch_name_set(struct nvg_ch_name *n, const char *name);
size_t nvg_ch_row_packet(uint8_t *p, const struct nvg_ch_name *sensor, const struct nvg_pkt *pkt);
size_t nvg_ch_row_rate(uint8_t *p, const struct nvg_ch_name *sensor, int64_t sec, int proto,
                       uint64_t packets, uint64_t bytes);
size_t nvg_ch_row_flow(uint8_t *p, const struct nvg_ch_name *sensor, const struct nvg_flow *f);
size_t nvg_ch_row_alert(uint8_t *p, const Netvigil__Alert *a);
/* The sensor of the packet (flow) row at p (of avail bytes): its name in *name, *len bytes;
 * returns the row's length, 0 when p does not start a whole row. For rows dropped after
 * queueing. */
size_t nvg_ch_packet_row_sensor(const uint8_t *p, size_t avail, const uint8_t **name, size_t *len);
size_t nvg_ch_flow_row_sensor(const uint8_t *p, size_t avail, const uint8_t **name, size_t *len);

#endif
