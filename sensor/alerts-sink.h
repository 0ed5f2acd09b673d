/* --alerts FILE: the collector's detection engine run by the sensor itself over what it
 * captures, its alerts printed one line each (FILE "-" is stdout). A capture file can be checked
 * without a collector; the engine runs on the records' own times. */
#ifndef NVG_SENSOR_ALERTS_SINK_H
#define NVG_SENSOR_ALERTS_SINK_H

#include "sink.h"

/* rules_path: alerts.conf, NULL for the defaults. NULL on failure with the reason in err. */
struct nvg_sink *nvg_alerts_sink_new(const char *path, const char *rules_path,
                                     const char *sensor_name, char *err);

#endif
