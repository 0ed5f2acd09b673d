/* The sensor's file outputs as sinks: the CSV packet log and the text lines of --print. */
#ifndef NVG_SENSOR_OUTPUT_H
#define NVG_SENSOR_OUTPUT_H

#include "sink.h"

/* path "-" is stdout. The CSV header is written at once. NULL on failure with the reason
 * in err (NVG_ERRBUF_SIZE bytes). */
struct nvg_sink *nvg_output_csv_new(const char *path, const char *sensor_name, char *err);
/* Text lines on stdout; sensor_name may be NULL (not printed). */
struct nvg_sink *nvg_output_text_new(const char *sensor_name, char *err);

#endif
