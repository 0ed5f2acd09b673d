/* The packet list's columns, without GTK: their ids and titles, the column layout (order,
 * widths, visibility, sort) and its text form, and the sort keys of a record.
 *
 * Layout text (the packets page's "column-layout" property, for remembered settings):
 *
 *   time:140,sensor,!proto,src,dst:220,sport,dport,flags,ttl,len,payload;sort=len:desc
 *
 * the columns in display order, NAME or NAME:WIDTH (pixels; no width = from the font), '!'
 * before a hidden one; then ";sort=NAME:asc|desc" when sorted. Columns the text leaves out are
 * appended visible (a later version's new column shows up in an old layout).
 *
 * Sort order: Time by capture time, Source / Destination by address (none < IPv4 < IPv6, then
 * numerically), ports, TTL and Length numerically (a row without the field first), the text
 * columns (Sensor, Protocol, Flags, Payload) by the text shown (bytewise). Ties keep arrival
 * order, in both directions. */
#ifndef NVG_PACKET_COLUMNS_H
#define NVG_PACKET_COLUMNS_H

#include <glib.h>

#include "nvg-feed.h"
#include "nvg-sensor-names.h"

G_BEGIN_DECLS

enum nvg_packet_column {
    NVG_COL_TIME,
    NVG_COL_SENSOR,
    NVG_COL_PROTO,
    NVG_COL_SRC,
    NVG_COL_DST,
    NVG_COL_SPORT,
    NVG_COL_DPORT,
    NVG_COL_FLAGS,
    NVG_COL_TTL,
    NVG_COL_LEN,
    NVG_COL_PAYLOAD,
    NVG_N_PACKET_COLUMNS
};
#define NVG_COL_NONE (-1) /* unsorted: arrival order */

/* Widths a user may give a column (pixels). */
#define NVG_COL_WIDTH_MIN 24
#define NVG_COL_WIDTH_MAX 1200

/* "time", "sensor", ... (the layout text's names); NULL out of range. */
const char *nvg_packet_column_name(int column);
/* "Time (UTC)", "Sensor", ...; NULL out of range. */
const char *nvg_packet_column_title(int column);
/* NVG_COL_NONE when unknown. */
int nvg_packet_column_from_name(const char *name);

struct nvg_column_layout {
    guint8 order[NVG_N_PACKET_COLUMNS]; /* a permutation of the columns: display order */
    gint16 width[NVG_N_PACKET_COLUMNS]; /* by column; -1 = from the font */
    gboolean visible[NVG_N_PACKET_COLUMNS];
    int sort_column; /* NVG_COL_NONE or a column */
    gboolean descending;
};

void nvg_column_layout_init(struct nvg_column_layout *l);
gboolean nvg_column_layout_equal(const struct nvg_column_layout *a,
                                 const struct nvg_column_layout *b);
/* The text form (free it). */
char *nvg_column_layout_to_string(const struct nvg_column_layout *l);
/* Parse text into *l. FALSE with *error set (and *l untouched) on an unknown or repeated column,
 * a width out of NVG_COL_WIDTH_MIN..MAX, every column hidden, or a bad sort part. "" = default. */
gboolean nvg_column_layout_parse(struct nvg_column_layout *l, const char *text, GError **error);
/* Display position of column (0..), -1 when it is not in the order (never for a valid layout). */
int nvg_column_layout_position(const struct nvg_column_layout *l, int column);
/* Move column by delta display positions (clamped); FALSE when it did not move. */
gboolean nvg_column_layout_move(struct nvg_column_layout *l, int column, int delta);
guint nvg_column_layout_n_visible(const struct nvg_column_layout *l);

/* ---- sort keys ---------------------------------------------------------------------------- */

/* A record's key in one column: k[] compares as unsigned words, most significant first; abs
 * (the record's arrival number) breaks ties. */
struct nvg_sort_key {
    guint64 k[3];
    guint64 abs;
};

/* Sensor names ranked by name, so that a sensor sorts by one number: rank[id]. */
struct nvg_sensor_ranks {
    guint16 rank[NVG_VIEW_MAX_SENSORS];
    guint n; /* ids 0..n-1 ranked */
};
/* Rank ids 0..n-1 (n at most NVG_VIEW_MAX_SENSORS) by their names. */
void nvg_sensor_ranks_update(struct nvg_sensor_ranks *r, const struct nvg_sensor_names *names,
                             guint n);

void nvg_sort_key_make(struct nvg_sort_key *key, int column, const struct nvg_view_rec *rec,
                       const struct nvg_sensor_ranks *ranks, guint64 abs);
/* <0, 0, >0; descending reverses the keys but not the tie on abs. */
static inline int nvg_sort_key_cmp(const struct nvg_sort_key *a, const struct nvg_sort_key *b,
                                   gboolean descending)
{
    for (int i = 0; i < 3; i++) {
        if (a->k[i] != b->k[i]) {
            int c = a->k[i] < b->k[i] ? -1 : 1;
            return descending ? -c : c;
        }
    }
    return a->abs < b->abs ? -1 : a->abs > b->abs;
}
/* Sort keys in place (qsort; the key's abs makes it deterministic). */
void nvg_sort_keys(struct nvg_sort_key *keys, gsize n, gboolean descending);

G_END_DECLS

#endif
