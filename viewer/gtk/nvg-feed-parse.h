/* What the viewer accepts from its collector, checked before any widget sees it. The collector
 * is a peer like any other: it may be compromised, or not ours at all.
 *
 * Every message is unpacked into its own arena with a cap that fits the largest legitimate one
 * of its kind, so a small message cannot make the viewer allocate without bound (protobuf-c
 * allocates a whole struct for a 2-byte empty sub-message). Then it is made safe to show:
 *  - a sub-message the viewer relies on is there (a sensor summary without its status is left
 *    out and counted);
 *  - repeated fields are capped (sensors, talkers, results) and the rest counted as omitted;
 *  - every string is printable UTF-8 within its cap (nvg-text.h), names are of the name
 *    alphabet: anything else is replaced by its escaped form (nvg_text_escape), so GTK always
 *    gets valid UTF-8 and nothing is ever taken as markup or a control sequence;
 *  - times are clamped to 0..NVG_FEED_TIME_S_MAX seconds (and ms), rates to finite values >= 0,
 *    so the viewer's time arithmetic cannot overflow.
 * GLib-only (no GTK): fuzzed by tests/fuzz/fuzz-viewer-feed.c. */
#ifndef NVG_FEED_PARSE_H
#define NVG_FEED_PARSE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "netvigil.pb-c.h"
#include "nvg-format.h"
#include "nvg-wire.h"

enum nvg_feed_kind {
    NVG_FEED_STATUS,  /* pb: Netvigil__CollectorStatus */
    NVG_FEED_RATES,   /* pb: Netvigil__RateBatch */
    NVG_FEED_TALKERS, /* pb: Netvigil__TopTalkers */
    NVG_FEED_EVENT,   /* pb: Netvigil__Event */
    NVG_FEED_REPLY,   /* pb: Netvigil__ControlReply, or NULL with error set */
    NVG_FEED_ALERT,   /* pb: Netvigil__Alert (topic "alert"): one event of an alert's life */
    NVG_FEED_FLOW,    /* pb: Netvigil__FlowBatch (topic "flow"): every record it keeps passed
                       * nvg_flow_from_pb (the others left out, counted omitted) */
    NVG_FEED_KINDS
};

/* Caps on repeated fields: a real collector sends at most 1024 sensors (its table) and its top
 * 10 talkers. */
#define NVG_FEED_MAX_SENSORS 1024
#define NVG_FEED_MAX_TALKERS 64
#define NVG_FEED_MAX_RESULTS 1024
/* An alert lists up to 4 targets and sensors (the collector's own cap); a COMMAND_ALERTS reply
 * holds the events the collector kept, which fit its 4 MiB message cap. */
#define NVG_FEED_MAX_ALERT_LIST 16
#define NVG_FEED_MAX_ALERTS 20000
/* A FlowBatch carries at most 256 records (the link's batches, collector/flows.c); a
 * COMMAND_HOSTS reply at most 1000 hosts (ControlRequest.limit's cap). */
#define NVG_FEED_MAX_FLOWS 1024
#define NVG_FEED_MAX_HOSTS 1000
/* Later than any real clock (year ~36800), small enough that ms and us fit in int64. */
#define NVG_FEED_TIME_S_MAX ((int64_t)1 << 40)

struct nvg_feed_msg {
    enum nvg_feed_kind kind;
    ProtobufCMessage *pb;    /* lives in arena */
    struct nvg_arena *arena; /* owned: holds pb and its strings */
    size_t bytes;            /* memory the message holds, for the byte budgets */
    uint64_t request_id;     /* NVG_FEED_REPLY */
    char *error;             /* NVG_FEED_REPLY without pb: why the request went nowhere */
    guint omitted;           /* sub-messages left out (unusable, or over a cap) */
};

/* A reply that never reached the collector (pb NULL, error set). */
struct nvg_feed_msg *nvg_feed_msg_new_error(uint64_t request_id, const char *error);
void nvg_feed_msg_free(struct nvg_feed_msg *msg);

struct nvg_feed_parse_counts {
    uint64_t invalid; /* refused whole: does not parse, or needs more memory than its cap */
    uint64_t escaped; /* strings shown escaped: not printable UTF-8, too long, not a name */
    uint64_t omitted; /* sub-messages left out */
};

/* The kind a feed topic carries; -1 for a topic the viewer does not show (records too: see
 * nvg_feed_parse_batch). */
int nvg_feed_topic_kind(const char *topic, size_t len);

/* Unpacks and checks one message of kind; NULL (counted invalid) when it is unusable. */
struct nvg_feed_msg *nvg_feed_parse(enum nvg_feed_kind kind, const void *data, size_t len,
                                    struct nvg_feed_parse_counts *counts);

/* A records batch, unpacked into arena (the caller resets it): NULL (counted invalid) when it
 * does not parse or names no sensor. name gets the sensor's name, escaped when it is not of the
 * name alphabet. The records are still to be checked one by one (nvg_wire_record_from_pb). */
Netvigil__Batch *nvg_feed_parse_batch(struct nvg_arena *arena, const void *data, size_t len,
                                      char name[NVG_SENSOR_NAME_MAX + 1],
                                      struct nvg_feed_parse_counts *counts);

#endif
