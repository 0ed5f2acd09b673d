/* The packet list's columns: see nvg-packet-columns.h. */
#include "nvg-packet-columns.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "nvg-format.h"

static const struct {
    const char *name, *title;
} columns[NVG_N_PACKET_COLUMNS] = {
    [NVG_COL_TIME] = {"time", "Time (UTC)"},
    [NVG_COL_SENSOR] = {"sensor", "Sensor"},
    [NVG_COL_PROTO] = {"proto", "Protocol"},
    [NVG_COL_SRC] = {"src", "Source"},
    [NVG_COL_DST] = {"dst", "Destination"},
    [NVG_COL_SPORT] = {"sport", "Src port"},
    [NVG_COL_DPORT] = {"dport", "Dst port"},
    [NVG_COL_FLAGS] = {"flags", "Flags"},
    [NVG_COL_TTL] = {"ttl", "TTL"},
    [NVG_COL_LEN] = {"len", "Length"},
    [NVG_COL_PAYLOAD] = {"payload", "Payload"},
};

const char *nvg_packet_column_name(int column)
{
    return column >= 0 && column < NVG_N_PACKET_COLUMNS ? columns[column].name : NULL;
}

const char *nvg_packet_column_title(int column)
{
    return column >= 0 && column < NVG_N_PACKET_COLUMNS ? columns[column].title : NULL;
}

int nvg_packet_column_from_name(const char *name)
{
    for (int c = 0; c < NVG_N_PACKET_COLUMNS; c++)
        if (strcmp(name, columns[c].name) == 0)
            return c;
    return NVG_COL_NONE;
}

/* ---- layout ------------------------------------------------------------------------------- */

void nvg_column_layout_init(struct nvg_column_layout *l)
{
    for (int c = 0; c < NVG_N_PACKET_COLUMNS; c++) {
        l->order[c] = (guint8)c;
        l->width[c] = -1;
        l->visible[c] = TRUE;
    }
    l->sort_column = NVG_COL_NONE;
    l->descending = FALSE;
}

gboolean nvg_column_layout_equal(const struct nvg_column_layout *a,
                                 const struct nvg_column_layout *b)
{
    for (int c = 0; c < NVG_N_PACKET_COLUMNS; c++)
        if (a->order[c] != b->order[c] || a->width[c] != b->width[c] ||
            !a->visible[c] != !b->visible[c])
            return FALSE;
    return a->sort_column == b->sort_column &&
           (a->sort_column == NVG_COL_NONE || !a->descending == !b->descending);
}

char *nvg_column_layout_to_string(const struct nvg_column_layout *l)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < NVG_N_PACKET_COLUMNS; i++) {
        int c = l->order[i];
        g_string_append_printf(s, "%s%s%s", i ? "," : "", l->visible[c] ? "" : "!",
                               columns[c].name);
        if (l->width[c] >= 0)
            g_string_append_printf(s, ":%d", l->width[c]);
    }
    if (l->sort_column != NVG_COL_NONE)
        g_string_append_printf(s, ";sort=%s:%s", columns[l->sort_column].name,
                               l->descending ? "desc" : "asc");
    return g_string_free(s, FALSE);
}

static gboolean bad(GError **error, const char *what, const char *item)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "column layout: %s '%s'", what,
                item);
    return FALSE;
}

static gboolean parse_width(const char *text, gint16 *width)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < NVG_COL_WIDTH_MIN || v > NVG_COL_WIDTH_MAX)
        return FALSE;
    *width = (gint16)v;
    return TRUE;
}

/* "NAME:asc" / "NAME:desc" after "sort=". */
static gboolean parse_sort(struct nvg_column_layout *l, const char *item, GError **error)
{
    if (!g_str_has_prefix(item, "sort="))
        return bad(error, "unknown part", item);
    g_auto(GStrv) kv = g_strsplit(item + 5, ":", 2);
    int c = kv[0] ? nvg_packet_column_from_name(kv[0]) : NVG_COL_NONE;
    if (c == NVG_COL_NONE || !kv[1] || (strcmp(kv[1], "asc") && strcmp(kv[1], "desc")))
        return bad(error, "bad sort", item);
    l->sort_column = c;
    l->descending = strcmp(kv[1], "desc") == 0;
    return TRUE;
}

static gboolean parse_columns(struct nvg_column_layout *l, const char *list, GError **error)
{
    gboolean seen[NVG_N_PACKET_COLUMNS] = {FALSE};
    int n = 0;
    g_auto(GStrv) items = g_strsplit(list, ",", -1);
    for (int i = 0; items[i]; i++) {
        const char *item = items[i];
        gboolean hidden = item[0] == '!';
        g_auto(GStrv) nw = g_strsplit(item + hidden, ":", 2);
        int c = nw[0] ? nvg_packet_column_from_name(nw[0]) : NVG_COL_NONE;
        if (c == NVG_COL_NONE)
            return bad(error, "unknown column", item);
        if (seen[c])
            return bad(error, "repeated column", item);
        seen[c] = TRUE;
        l->order[n++] = (guint8)c;
        l->visible[c] = !hidden;
        l->width[c] = -1;
        if (nw[1] && !parse_width(nw[1], &l->width[c]))
            return bad(error,
                       "width must be " G_STRINGIFY(NVG_COL_WIDTH_MIN) "..." G_STRINGIFY(
                           NVG_COL_WIDTH_MAX) " in",
                       item);
    }
    for (int c = 0; c < NVG_N_PACKET_COLUMNS; c++) {
        if (!seen[c]) {
            l->order[n++] = (guint8)c;
            l->visible[c] = TRUE;
            l->width[c] = -1;
        }
    }
    if (nvg_column_layout_n_visible(l) == 0)
        return bad(error, "every column hidden in", list);
    return TRUE;
}

gboolean nvg_column_layout_parse(struct nvg_column_layout *l, const char *text, GError **error)
{
    struct nvg_column_layout out;
    nvg_column_layout_init(&out);
    g_auto(GStrv) parts = g_strsplit(text ? text : "", ";", -1);
    for (int i = 0; parts[i]; i++) {
        g_strstrip(parts[i]);
        if (!parts[i][0])
            continue;
        gboolean ok = i == 0 && !g_str_has_prefix(parts[i], "sort=")
                          ? parse_columns(&out, parts[i], error)
                          : parse_sort(&out, parts[i], error);
        if (!ok)
            return FALSE;
    }
    *l = out;
    return TRUE;
}

int nvg_column_layout_position(const struct nvg_column_layout *l, int column)
{
    for (int i = 0; i < NVG_N_PACKET_COLUMNS; i++)
        if (l->order[i] == column)
            return i;
    return -1;
}

gboolean nvg_column_layout_move(struct nvg_column_layout *l, int column, int delta)
{
    int from = nvg_column_layout_position(l, column);
    if (from < 0)
        return FALSE;
    int to = CLAMP(from + delta, 0, NVG_N_PACKET_COLUMNS - 1);
    if (to == from)
        return FALSE;
    int step = to > from ? 1 : -1;
    for (int i = from; i != to; i += step)
        l->order[i] = l->order[i + step];
    l->order[to] = (guint8)column;
    return TRUE;
}

guint nvg_column_layout_n_visible(const struct nvg_column_layout *l)
{
    guint n = 0;
    for (int c = 0; c < NVG_N_PACKET_COLUMNS; c++)
        n += l->visible[c] != 0;
    return n;
}

/* ---- sort keys ---------------------------------------------------------------------------- */

static gint cmp_names(gconstpointer a, gconstpointer b, gpointer names)
{
    return strcmp(nvg_sensor_names_get(names, *(const guint16 *)a),
                  nvg_sensor_names_get(names, *(const guint16 *)b));
}

void nvg_sensor_ranks_update(struct nvg_sensor_ranks *r, const struct nvg_sensor_names *names,
                             guint n)
{
    guint16 ids[NVG_VIEW_MAX_SENSORS] = {0};
    n = MIN(n, NVG_VIEW_MAX_SENSORS);
    for (guint i = 0; i < n; i++)
        ids[i] = (guint16)i;
    g_qsort_with_data(ids, (gint)n, sizeof(ids[0]), cmp_names, (gpointer)names);
    for (guint i = 0; i < n; i++)
        r->rank[ids[i]] = (guint16)i;
    r->n = n;
}

/* Text as three big-endian words: their order is strcmp's for texts up to 24 bytes. */
static void pack_text(guint64 k[3], const char *text)
{
    k[0] = k[1] = k[2] = 0;
    for (int i = 0; i < 24 && text[i]; i++)
        k[i / 8] |= (guint64)(guint8)text[i] << (56 - 8 * (i % 8));
}

static guint64 be64(const guint8 *p)
{
    guint64 v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void addr_key(guint64 k[3], const guint8 *addr, guint8 ip_version)
{
    if (ip_version == 4) {
        k[0] = 1;
        k[1] = (guint64)addr[0] << 24 | (guint64)addr[1] << 16 | (guint64)addr[2] << 8 | addr[3];
    } else if (ip_version == 6) {
        k[0] = 2;
        k[1] = be64(addr);
        k[2] = be64(addr + 8);
    }
}

static void optional(guint64 k[3], gboolean has, guint64 v)
{
    k[0] = has ? 1 : 0;
    k[1] = has ? v : 0;
}

void nvg_sort_key_make(struct nvg_sort_key *key, int column, const struct nvg_view_rec *rec,
                       const struct nvg_sensor_ranks *ranks, guint64 abs)
{
    const struct nvg_pkt *p = &rec->pkt;
    guint64 *k = key->k;
    char text[16];
    k[0] = k[1] = k[2] = 0;
    key->abs = abs;
    switch ((enum nvg_packet_column)column) {
    case NVG_COL_TIME:
        k[0] = (guint64)p->ts_ns ^ (G_GUINT64_CONSTANT(1) << 63);
        break;
    case NVG_COL_SENSOR:
        k[0] = rec->sensor < ranks->n ? ranks->rank[rec->sensor] : ranks->rank[0];
        break;
    case NVG_COL_PROTO:
        pack_text(k, nvg_proto_name(p->proto));
        break;
    case NVG_COL_SRC:
        addr_key(k, p->src, p->ip_version);
        break;
    case NVG_COL_DST:
        addr_key(k, p->dst, p->ip_version);
        break;
    case NVG_COL_SPORT:
        optional(k, p->flags & NVG_PKT_HAS_PORTS, p->sport);
        break;
    case NVG_COL_DPORT:
        optional(k, p->flags & NVG_PKT_HAS_PORTS, p->dport);
        break;
    case NVG_COL_FLAGS:
        if (p->flags & NVG_PKT_HAS_TCPFLAGS) {
            nvg_format_tcp_flags(text, p->tcp_flags);
            pack_text(k, text);
        }
        break;
    case NVG_COL_TTL:
        optional(k, p->flags & NVG_PKT_HAS_TTL, p->ttl);
        break;
    case NVG_COL_LEN:
        k[0] = p->wire_len;
        break;
    case NVG_COL_PAYLOAD:
        if (p->payload_kind != NVG_PAYLOAD_NONE)
            pack_text(k, nvg_payload_kind_name(p->payload_kind));
        break;
    case NVG_N_PACKET_COLUMNS:
        break;
    }
}

static int cmp_asc(const void *a, const void *b)
{
    return nvg_sort_key_cmp(a, b, FALSE);
}

static int cmp_desc(const void *a, const void *b)
{
    return nvg_sort_key_cmp(a, b, TRUE);
}

void nvg_sort_keys(struct nvg_sort_key *keys, gsize n, gboolean descending)
{
    qsort(keys, n, sizeof(*keys), descending ? cmp_desc : cmp_asc);
}
