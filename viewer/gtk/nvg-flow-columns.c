/* The Conversations page's columns: see nvg-flow-columns.h. */
#include "nvg-flow-columns.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "nvg-format.h"

enum col {
    COL_PROTO,
    COL_ORIG,
    COL_RESP,
    COL_STATE,
    COL_HISTORY,
    COL_PKTS_OUT,
    COL_BYTES_OUT,
    COL_PKTS_IN,
    COL_BYTES_IN,
    COL_RATE,
    COL_DURATION,
    COL_RTT,
    COL_RETRANS_OUT,
    COL_RETRANS_IN,
    COL_END,
    COL_SENSOR,
    COL_SEEN,
    COL_COUNT
};

static const struct {
    const char *title;
    int width; /* 0: expands */
    gboolean numeric;
} cols[COL_COUNT] = {
    [COL_PROTO] = {"Proto", 64, FALSE},       [COL_ORIG] = {"Originator", 0, FALSE},
    [COL_RESP] = {"Responder", 0, FALSE},     [COL_STATE] = {"State", 64, FALSE},
    [COL_HISTORY] = {"History", 96, FALSE},   [COL_PKTS_OUT] = {"Pkts →", 72, TRUE},
    [COL_BYTES_OUT] = {"Bytes →", 84, TRUE},  [COL_PKTS_IN] = {"Pkts ←", 72, TRUE},
    [COL_BYTES_IN] = {"Bytes ←", 84, TRUE},   [COL_RATE] = {"Rate", 92, TRUE},
    [COL_DURATION] = {"Duration", 80, TRUE},  [COL_RTT] = {"RTT ms", 72, TRUE},
    [COL_RETRANS_OUT] = {"Retr →", 64, TRUE}, [COL_RETRANS_IN] = {"Retr ←", 64, TRUE},
    [COL_END] = {"End", 72, FALSE},           [COL_SENSOR] = {"Sensor", 96, FALSE},
    [COL_SEEN] = {"Last seen", 80, TRUE},
};

int nvg_flow_sort_parse(const char *name, enum nvg_flow_sort *key)
{
    static const char *const names[NVG_FLOW_SORT_COUNT] = {"bytes", "rate", "duration", "rtt",
                                                           "retrans"};
    for (int i = 0; i < NVG_FLOW_SORT_COUNT; i++) {
        if (g_strcmp0(name, names[i]) == 0) {
            *key = (enum nvg_flow_sort)i;
            return 0;
        }
    }
    return -1;
}

void nvg_flow_format_bytes(char *buf, size_t size, double v, const char *unit)
{
    static const char *const prefix[] = {"", "k", "M", "G", "T", "P"};
    int i = 0;
    while (v >= 1000 && i < (int)G_N_ELEMENTS(prefix) - 1) {
        v /= 1000;
        i++;
    }
    if (i == 0)
        g_snprintf(buf, size, "%.0f %s", v, unit);
    else
        g_snprintf(buf, size, "%.*f %s%s", v < 10 ? 2 : v < 100 ? 1 : 0, v, prefix[i], unit);
}

static void format_endpoint(char *buf, size_t size, const struct nvg_flow *f, const uint8_t *addr,
                            uint16_t port)
{
    char a[48];
    nvg_format_addr(a, addr, f->ip_version);
    if (!(f->flags & NVG_FLOW_HAS_PORTS))
        g_strlcpy(buf, a, size);
    else if (f->ip_version == 6)
        g_snprintf(buf, size, "[%s]:%u", a, port);
    else
        g_snprintf(buf, size, "%s:%u", a, port);
}

static void format_duration(char *buf, size_t size, double s)
{
    if (s < 60)
        g_snprintf(buf, size, "%.1f s", s);
    else if (s < 3600)
        g_snprintf(buf, size, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else if (s < 1e9)
        g_snprintf(buf, size, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    else
        g_strlcpy(buf, "—", size);
}

static void format_clock(char *buf, size_t size, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, size, "%H:%M:%S", &tm))
        g_strlcpy(buf, "?", size);
}

static void number(char *buf, size_t size, uint64_t v)
{
    nvg_format_thousands(buf, size, v);
}

/* The text of one cell: every string here is ours or passed nvg_flow_from_pb / nvg-feed-parse
 * (and labels never take markup). */
static void cell_text(enum col col, const struct nvg_flow_row *r, char *buf, size_t size)
{
    const struct nvg_flow *f = &r->flow;
    double rtt;
    switch (col) {
    case COL_PROTO:
        g_strlcpy(buf, nvg_proto_name((enum nvg_proto)f->proto), size);
        break;
    case COL_ORIG:
        format_endpoint(buf, size, f, f->orig, f->orig_port);
        break;
    case COL_RESP:
        format_endpoint(buf, size, f, f->resp, f->resp_port);
        break;
    case COL_STATE:
        g_strlcpy(buf, f->state[0] ? f->state : "—", size);
        break;
    case COL_HISTORY:
        g_strlcpy(buf, f->history[0] ? f->history : "—", size);
        break;
    case COL_PKTS_OUT:
    case COL_PKTS_IN:
        number(buf, size, f->dir[col == COL_PKTS_IN].packets);
        break;
    case COL_BYTES_OUT:
    case COL_BYTES_IN:
        nvg_flow_format_bytes(buf, size, (double)f->dir[col == COL_BYTES_IN].bytes, "B");
        break;
    case COL_RATE:
        nvg_flow_format_bytes(buf, size, r->rate, "B/s");
        break;
    case COL_DURATION:
        format_duration(buf, size, nvg_flow_row_duration(r));
        break;
    case COL_RTT:
        rtt = nvg_flow_row_rtt_ms(r);
        if (rtt < 0)
            g_strlcpy(buf, "—", size);
        else
            g_snprintf(buf, size, "%.3f", rtt);
        break;
    case COL_RETRANS_OUT:
    case COL_RETRANS_IN:
        number(buf, size, f->dir[col == COL_RETRANS_IN].retransmissions);
        break;
    case COL_END:
        g_strlcpy(buf, nvg_flow_end_name((enum nvg_flow_end)f->end), size);
        break;
    case COL_SENSOR:
        g_strlcpy(buf, r->sensor, size);
        break;
    default:
        format_clock(buf, size, r->seen_ms);
        break;
    }
}

static void cell_setup(GtkSignalListItemFactory *fac, GtkListItem *li, gpointer data)
{
    enum col col = GPOINTER_TO_INT(data);
    GtkWidget *l = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(l), cols[col].numeric ? 1.0f : 0.0f);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    if (cols[col].numeric)
        gtk_widget_add_css_class(l, "numeric");
    gtk_list_item_set_child(li, l);
}

static void cell_bind(GtkSignalListItemFactory *fac, GtkListItem *li, gpointer data)
{
    enum col col = GPOINTER_TO_INT(data);
    const struct nvg_flow_row *r = nvg_flow_item_get(gtk_list_item_get_item(li));
    GtkWidget *l = gtk_list_item_get_child(li);
    char text[128];
    cell_text(col, r, text, sizeof(text));
    gtk_label_set_text(GTK_LABEL(l), text);
    if (col == COL_ORIG || col == COL_RESP || col == COL_HISTORY)
        gtk_widget_set_tooltip_text(l, text); /* ellipsized IPv6 addresses stay readable */
    gboolean lossy = (col == COL_RETRANS_OUT || col == COL_RETRANS_IN) &&
                     r->flow.dir[col == COL_RETRANS_IN].retransmissions > 0;
    if (lossy)
        gtk_widget_add_css_class(l, "warning");
    else
        gtk_widget_remove_css_class(l, "warning");
}

static double sort_value(enum nvg_flow_sort key, const struct nvg_flow_row *r)
{
    switch (key) {
    case NVG_FLOW_SORT_RATE:
        return r->rate;
    case NVG_FLOW_SORT_DURATION:
        return nvg_flow_row_duration(r);
    case NVG_FLOW_SORT_RTT:
        return nvg_flow_row_rtt_ms(r); /* unknown (-1) below every known one */
    case NVG_FLOW_SORT_RETRANS:
        return (double)nvg_flow_row_retrans(r);
    default:
        return (double)nvg_flow_row_bytes(r);
    }
}

static int compare(gconstpointer a, gconstpointer b, gpointer data)
{
    enum nvg_flow_sort key = GPOINTER_TO_INT(data);
    double x = sort_value(key, nvg_flow_item_get((NvgFlowItem *)a)),
           y = sort_value(key, nvg_flow_item_get((NvgFlowItem *)b));
    return x < y ? GTK_ORDERING_SMALLER : x > y ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

/* Either direction's column sorts by the conversation's total. */
static int sort_key_of(enum col col)
{
    switch (col) {
    case COL_BYTES_OUT:
    case COL_BYTES_IN:
        return NVG_FLOW_SORT_BYTES;
    case COL_RATE:
        return NVG_FLOW_SORT_RATE;
    case COL_DURATION:
        return NVG_FLOW_SORT_DURATION;
    case COL_RTT:
        return NVG_FLOW_SORT_RTT;
    case COL_RETRANS_OUT:
    case COL_RETRANS_IN:
        return NVG_FLOW_SORT_RETRANS;
    default:
        return -1;
    }
}

void nvg_flow_columns_add(GtkColumnView *cv, GtkColumnViewColumn *sortable[NVG_FLOW_SORT_COUNT])
{
    for (int col = 0; col < COL_COUNT; col++) {
        GtkListItemFactory *fac = gtk_signal_list_item_factory_new();
        g_signal_connect(fac, "setup", G_CALLBACK(cell_setup), GINT_TO_POINTER(col));
        g_signal_connect(fac, "bind", G_CALLBACK(cell_bind), GINT_TO_POINTER(col));
        GtkColumnViewColumn *c = gtk_column_view_column_new(cols[col].title, fac);
        gtk_column_view_column_set_resizable(c, TRUE);
        gtk_column_view_column_set_expand(c, cols[col].width == 0);
        gtk_column_view_column_set_fixed_width(c, cols[col].width ? cols[col].width : 150);
        int key = sort_key_of((enum col)col);
        if (key >= 0) {
            GtkSorter *s = GTK_SORTER(gtk_custom_sorter_new(compare, GINT_TO_POINTER(key), NULL));
            gtk_column_view_column_set_sorter(c, s);
            g_object_unref(s);
            if (!sortable[key])
                sortable[key] = c;
        }
        gtk_column_view_append_column(cv, c);
        g_object_unref(c);
    }
}
