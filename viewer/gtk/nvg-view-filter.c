#include "nvg-view-filter.h"

#include <string.h>

void nvg_view_fields_clear(struct nvg_view_fields *fields)
{
    memset(fields, 0, sizeof(*fields));
}

static int copy_trimmed(char *dst, size_t size, const char *src)
{
    g_autofree char *t = g_strstrip(g_strdup(src));
    if (strlen(t) >= size)
        return -1;
    memcpy(dst, t, strlen(t) + 1);
    return 0;
}

static unsigned set_field(struct nvg_view_fields *f, const char *key, const char *value)
{
    static const struct {
        const char *key;
        size_t off, size;
        unsigned bit;
    } keys[] = {
#define K(k, m, b)                                                                                 \
    {k, offsetof(struct nvg_view_fields, m), sizeof(((struct nvg_view_fields *)0)->m), b}
        K("proto", proto, NVG_VIEW_FIELD_PROTO),    K("src", src, NVG_VIEW_FIELD_SRC),
        K("dst", dst, NVG_VIEW_FIELD_DST),          K("port", port, NVG_VIEW_FIELD_PORT),
        K("sensor", sensor, NVG_VIEW_FIELD_SENSOR), K("time", time, NVG_VIEW_FIELD_TIME),
        K("dir", dir, NVG_VIEW_FIELD_DIR),
#undef K
    };
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (g_ascii_strcasecmp(key, keys[i].key) != 0)
            continue;
        return copy_trimmed((char *)f + keys[i].off, keys[i].size, value) < 0 ? keys[i].bit : 0;
    }
    return NVG_VIEW_FIELD_SPEC;
}

unsigned nvg_view_fields_parse(const char *spec, struct nvg_view_fields *fields)
{
    nvg_view_fields_clear(fields);
    unsigned bad = 0;
    g_auto(GStrv) items = g_strsplit_set(spec ? spec : "", ";,", -1);
    for (char **it = items; *it; it++) {
        g_autofree char *item = g_strstrip(g_strdup(*it));
        if (!*item)
            continue;
        char *eq = strchr(item, '=');
        if (!eq) {
            bad |= NVG_VIEW_FIELD_SPEC;
            continue;
        }
        *eq = '\0';
        bad |= set_field(fields, g_strstrip(item), eq + 1);
    }
    return bad;
}

char *nvg_view_fields_to_spec(const struct nvg_view_fields *f)
{
    GString *s = g_string_new(NULL);
    const char *keys[] = {"proto", "src", "dst", "port", "sensor", "time", "dir"};
    const char *vals[] = {f->proto, f->src, f->dst, f->port, f->sensor, f->time, f->dir};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        if (vals[i][0])
            g_string_append_printf(s, "%s%s=%s", s->len ? ";" : "", keys[i], vals[i]);
    return g_string_free(s, FALSE);
}

unsigned nvg_view_filter_compile(const struct nvg_view_fields *fields, struct nvg_filter *f)
{
    struct nvg_filter out;
    unsigned bad = 0;
    nvg_filter_init(&out);
    if (fields->proto[0] && g_ascii_strcasecmp(fields->proto, "any") != 0 &&
        nvg_filter_parse_proto(fields->proto, &out.proto) < 0)
        bad |= NVG_VIEW_FIELD_PROTO;
    if (fields->src[0] && nvg_filter_parse_net(fields->src, &out.src) < 0)
        bad |= NVG_VIEW_FIELD_SRC;
    if (fields->dst[0] && nvg_filter_parse_net(fields->dst, &out.dst) < 0)
        bad |= NVG_VIEW_FIELD_DST;
    if (fields->port[0] && nvg_filter_parse_port(fields->port, &out.port) < 0)
        bad |= NVG_VIEW_FIELD_PORT;
    if (fields->time[0] && nvg_filter_parse_span(fields->time, &out.from_ns, &out.to_ns) < 0)
        bad |= NVG_VIEW_FIELD_TIME;
    if (fields->dir[0] && g_ascii_strcasecmp(fields->dir, "both") != 0)
        bad |= NVG_VIEW_FIELD_DIR;
    out.both_ways = fields->dir[0] != '\0';
    if (fields->sensor[0]) {
        if (strlen(fields->sensor) > NVG_SENSOR_NAME_MAX)
            bad |= NVG_VIEW_FIELD_SENSOR;
        else
            g_strlcpy(out.sensor, fields->sensor, sizeof(out.sensor));
    }
    if (!bad)
        *f = out;
    return bad;
}
