/* The viewer's display filter: the text of its fields (Protocol, Source, Destination, Port,
 * Sensor), the "key=value;..." form of app.apply-filter, and the compiled matcher, which is
 * netvigil-ctl's (ctl-filter.h) so that both clients filter the same way. */
#ifndef NVG_VIEW_FILTER_H
#define NVG_VIEW_FILTER_H

#include <glib.h>

#include "nvg-filter.h"

enum nvg_view_field {
    NVG_VIEW_FIELD_PROTO = 1u << 0,
    NVG_VIEW_FIELD_SRC = 1u << 1,
    NVG_VIEW_FIELD_DST = 1u << 2,
    NVG_VIEW_FIELD_PORT = 1u << 3,
    NVG_VIEW_FIELD_SENSOR = 1u << 4,
    NVG_VIEW_FIELD_SPEC = 1u << 5, /* the spec itself: unknown key, missing '=' */
    NVG_VIEW_FIELD_TIME = 1u << 6,
    NVG_VIEW_FIELD_DIR = 1u << 7,
};

/* What the user typed; each field is trimmed, "" means any. */
struct nvg_view_fields {
    char proto[16];
    char src[64];
    char dst[64];
    char port[16];
    char sensor[NVG_SENSOR_NAME_MAX + 1];
    char time[64]; /* "FROM..TO" (nvg_filter_parse_span), e.g. an alert's evidence */
    char dir[8];   /* "both": source and destination either way round; "" one way */
};

void nvg_view_fields_clear(struct nvg_view_fields *fields);
/* "proto=udp;src=10.0.0.0/8;dst=::1;port=53;sensor=web-1;
 * time=2024-07-28T18:58:41Z..2024-07-28T18:59:00Z;dir=both" (any order, any subset, ';' or ','
 * between items, "" = everything). Only splits and copies: values are checked by _compile.
 * Returns 0, or the NVG_VIEW_FIELD_* bits of what is wrong (unknown key, value too long). */
unsigned nvg_view_fields_parse(const char *spec, struct nvg_view_fields *fields);
/* Back to the spec form (fields that are set only). Free with g_free. */
char *nvg_view_fields_to_spec(const struct nvg_view_fields *fields);

/* Check every field and build the matcher. Returns 0, or the NVG_VIEW_FIELD_* bits of the
 * invalid fields, in which case f is untouched. "any" (or "") is any protocol. */
unsigned nvg_view_filter_compile(const struct nvg_view_fields *fields, struct nvg_filter *f);

#endif
