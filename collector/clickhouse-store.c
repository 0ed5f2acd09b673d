/* See clickhouse-store.h. */
#include "clickhouse-store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-log.h"
#include "nvg-ratelog.h"

struct nvg_ch_store {
    struct nvg_clickhouse *ch;
    struct nvg_sensor_table *sensors;
    struct nvg_ingest *ingest;
    const char *dir;
    struct nvg_ratelog rl_save;
    uint64_t mark; /* packet rows queued when the positions were taken */
    bool taken;    /* the sensors' durable positions were taken and wait for the sink */
};

struct nvg_ch_store *nvg_ch_store_new(struct nvg_clickhouse *ch, struct nvg_sensor_table *sensors,
                                      struct nvg_ingest *ingest, const char *dir)
{
    struct nvg_ch_store *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->ch = ch;
    st->sensors = sensors;
    st->ingest = ingest;
    st->dir = dir;
    st->rl_save = NVG_RATELOG_INIT(10000);
    return st;
}

void nvg_ch_store_free(struct nvg_ch_store *st)
{
    free(st);
}

void nvg_ch_store_tick(struct nvg_ch_store *st)
{
    if (st)
        nvg_ingest_durable(st->ingest);
}

/* A failed save keeps the state dirty: the next second takes the positions again. */
static void save(struct nvg_ch_store *st, int64_t now_ms)
{
    if (nvg_sensor_state_save(st->sensors, st->dir, NULL, 0) == 0)
        return;
    st->sensors->state_dirty = true;
    nvg_ratelog_log(&st->rl_save, now_ms, NVG_LOG_ERR, "cannot save %s/sensors.state: %s", st->dir,
                    strerror(errno));
}

void nvg_ch_store_second(struct nvg_ch_store *st, int64_t now_ms)
{
    if (!st)
        return;
    if (st->taken && nvg_clickhouse_done(st->ch, NVG_CH_PACKETS) >= st->mark) {
        st->taken = false;
        save(st, now_ms);
    }
    /* Every accounted batch has its rows queued or counted by now (ingest hands them over
     * with the batch): the mark covers them. */
    if (!st->taken && st->sensors->state_dirty) {
        nvg_sensor_table_mark_durable(st->sensors);
        st->sensors->state_dirty = false;
        st->mark = nvg_clickhouse_queued(st->ch, NVG_CH_PACKETS);
        st->taken = true;
    }
}

void nvg_ch_store_finish(struct nvg_ch_store *st)
{
    if (!st)
        return;
    nvg_clickhouse_stop(st->ch); /* then every queued row is done */
    nvg_ingest_finish(st->ingest);
    nvg_sensor_table_mark_durable(st->sensors);
    st->taken = false;
    save(st, 0);
}
