#include "nvg-sensor-names.h"

#include <glib.h>
#include <string.h>

#include "nvg-format.h"

struct entry {
    char name[NVG_VIEW_NAME_MAX + 1];
    char csv[2 * NVG_VIEW_NAME_MAX + 3];
    size_t csv_len;
};

struct nvg_sensor_names {
    GMutex writers; /* one feed thread per collector interns */
    gint count;     /* published entries; read with g_atomic_int_get */
    struct entry e[NVG_VIEW_MAX_SENSORS];
};

static void fill(struct entry *e, const char *name)
{
    size_t len = strlen(name);
    memcpy(e->name, name, len + 1);
    e->csv_len = nvg_csv_quote(e->csv, name, len);
}

struct nvg_sensor_names *nvg_sensor_names_new(void)
{
    struct nvg_sensor_names *n = g_new0(struct nvg_sensor_names, 1);
    fill(&n->e[0], "?");
    n->count = 1;
    g_mutex_init(&n->writers);
    return n;
}

void nvg_sensor_names_free(struct nvg_sensor_names *names)
{
    if (names)
        g_mutex_clear(&names->writers);
    g_free(names);
}

uint16_t nvg_sensor_names_intern(struct nvg_sensor_names *names, const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > NVG_VIEW_NAME_MAX)
        return 0;
    g_mutex_lock(&names->writers);
    gint count = g_atomic_int_get(&names->count);
    uint16_t id = 0;
    for (gint i = 1; i < count && !id; i++)
        if (strcmp(names->e[i].name, name) == 0)
            id = (uint16_t)i;
    if (!id && count < NVG_VIEW_MAX_SENSORS) {
        fill(&names->e[count], name);
        g_atomic_int_set(&names->count, count + 1); /* publishes the entry (full barrier) */
        id = (uint16_t)count;
    }
    g_mutex_unlock(&names->writers);
    return id;
}

const char *nvg_sensor_names_get(const struct nvg_sensor_names *names, uint16_t id)
{
    if (id >= g_atomic_int_get((gint *)&names->count))
        id = 0;
    return names->e[id].name;
}

const char *nvg_sensor_names_csv(const struct nvg_sensor_names *names, uint16_t id, size_t *len)
{
    if (id >= g_atomic_int_get((gint *)&names->count))
        id = 0;
    *len = names->e[id].csv_len;
    return names->e[id].csv;
}
