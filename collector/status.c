/* The collector's CollectorStatus, for the feed (once a second) and `status` requests. */
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "nvg-error.h"

int nvg_status_build(struct nvg_collector *c, Netvigil__CollectorStatus *st,
                     struct nvg_status_storage *store)
{
    size_t n = c->sensors.n;
    memset(store, 0, sizeof(*store));
    netvigil__collector_status__init(st);
    if (n) {
        /* Once a second or per request: allocation is fine here. */
        store->sums = calloc(n, sizeof(*store->sums));
        store->sum_ptrs = calloc(n, sizeof(*store->sum_ptrs));
        store->hbs = calloc(n, sizeof(*store->hbs));
        if (!store->sums || !store->sum_ptrs || !store->hbs) {
            nvg_status_release(store);
            return NVG_ENOMEM;
        }
    }
    int64_t now = nvg__wall_ms();
    for (size_t i = 0; i < n; i++) {
        nvg_sensor_entry_summary(c->sensors.v[i], now, &store->sums[i], &store->hbs[i]);
        store->sum_ptrs[i] = &store->sums[i];
    }
    st->n_sensors = n;
    st->sensors = store->sum_ptrs;
    const struct nvg_ingest_counters *ik = nvg_ingest_counters(c->ingest);
    const struct nvg_control_counters *ck = nvg_control_counters(c->ctl);
    st->malformed_messages = ik->malformed + ck->malformed;
    st->unknown_messages = ik->unknown + ck->unknown;
    st->refused_messages = ik->refused + ck->refused;
    st->invalid_batches = ik->invalid_batches;
    st->disconnects = c->c.disconnects;
    st->rejected_messages =
        st->malformed_messages + st->unknown_messages + st->refused_messages + st->invalid_batches;
    st->records_written = nvg_csv_writer_rows_written(c->packets);
    st->write_failures =
        nvg_csv_writer_rows_failed(c->packets) + nvg_csv_writer_rows_failed(c->rates_csv);
    st->uptime_ms = now - c->start_ms;
    st->packets_file = (char *)nvg_csv_writer_path(c->packets);
    st->rates_file = (char *)nvg_csv_writer_path(c->rates_csv);
    st->control_rejected = ck->rejected;
    st->commands_sent = ck->commands_sent;
    st->commands_timed_out = ck->commands_timed_out;
    st->audit_file = (char *)nvg_audit_path(c->audit);
    return 0;
}

void nvg_status_publish(struct nvg_collector *c)
{
    Netvigil__CollectorStatus st;
    struct nvg_status_storage store;
    if (nvg_status_build(c, &st, &store) < 0)
        return;
    nvg_fanout_pb(c->feed, NVG_TOPIC_STATUS, &st.base);
    nvg_status_release(&store);
}

void nvg_status_release(struct nvg_status_storage *store)
{
    free(store->sums);
    free(store->sum_ptrs);
    free(store->hbs);
    memset(store, 0, sizeof(*store));
}

const Netvigil__CollectorStatus *nvg_status_lend(void *ud)
{
    struct nvg_collector *c = ud;
    nvg_status_release(&c->status_store);
    if (nvg_status_build(c, &c->status_msg, &c->status_store) < 0)
        return NULL;
    return &c->status_msg;
}
