/* --flows FILE: the conversation records the flow table exports, as flows CSV
 * (NVG_FLOW_CSV_HEADER, the same columns as the collector's flows-*.csv; FILE "-" is stdout),
 * without a collector. */
#ifndef NVG_SENSOR_FLOWS_SINK_H
#define NVG_SENSOR_FLOWS_SINK_H

#include "sink.h"

/* NULL on failure with the reason in err (NVG_ERRBUF_SIZE bytes). The header is written at
 * once. */
struct nvg_sink *nvg_flows_sink_new(const char *path, const char *sensor_name, char *err);

#endif
