/* Sensor names of the viewer, interned to small ids so that a ring row stays plain data.
 *
 * Append-only and bounded: the feed threads (one per collector) intern under a lock, any thread
 * reads. An entry, once published, never changes, so readers need no lock. Id 0 is "?" (the
 * table was full). With several collectors a name is COLLECTOR/SENSOR (nvg-feed.h). */
#ifndef NVG_SENSOR_NAMES_H
#define NVG_SENSOR_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "nvg-format.h"

#define NVG_VIEW_MAX_SENSORS 1024
/* A collector's label (--collector NAME=HOST) and a name as the viewer shows it:
 * LABEL/SENSOR with several collectors, SENSOR with one. */
#define NVG_VIEW_LABEL_MAX 32
#define NVG_VIEW_NAME_MAX (NVG_VIEW_LABEL_MAX + 1 + NVG_SENSOR_NAME_MAX)

struct nvg_sensor_names;

struct nvg_sensor_names *nvg_sensor_names_new(void);
void nvg_sensor_names_free(struct nvg_sensor_names *names);
/* Writer side (one thread): the id of name, adding it when new; 0 when the table is full or
 * the name is empty or longer than NVG_VIEW_NAME_MAX. */
uint16_t nvg_sensor_names_intern(struct nvg_sensor_names *names, const char *name);
/* Any thread. Unknown ids read as "?". */
const char *nvg_sensor_names_get(const struct nvg_sensor_names *names, uint16_t id);
/* The name already quoted for a CSV field (nvg_csv_quote). */
const char *nvg_sensor_names_csv(const struct nvg_sensor_names *names, uint16_t id, size_t *len);

#endif
