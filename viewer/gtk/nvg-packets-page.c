#include "nvg-packets-page.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "nvg-filter-fields.h"
#include "nvg-format.h"
#include "nvg-packet-item.h"
#include "nvg-packet-layout.h"
#include "nvg-packet-row.h"
#include "nvg-pcap-export.h"
#include "nvg-view-filter.h"

struct _NvgPacketsPage {
    NvgPage parent_instance;

    /* template children */
    GtkDropDown *proto_drop;
    GtkEntry *src_entry, *dst_entry, *port_entry;
    GtkToggleButton *both_ways_toggle;
    GtkButton *filter_button;
    GtkButton *time_chip; /* shows fields.time, a span no entry edits; a click drops it */
    GtkLabel *time_label;
    GtkLabel *filter_error;
    GtkListView *list_view;
    GtkLabel *details_label;
    NvgPacketHeader *header;
    GtkWidget *sort_bar;
    GtkLabel *sort_label;
    GtkButton *unsort_button;

    guint ring_size;
    const struct nvg_sensor_names *names; /* borrowed */
    NvgPacketStore *store;
    GtkSingleSelection *selection;
    struct nvg_view_fields fields; /* applied display filter (text) */
    struct nvg_filter filter;      /* ... compiled */
    gboolean paused, follow;
    guint64 missed_paused;

    NvgPacketLayout *layout;
    guint64 reorder_selected; /* the selected record's number while the store reorders; 0 none */
    gboolean reordering;
    GActionMap *app; /* weak: where the page's D-Bus actions live */
};

G_DEFINE_FINAL_TYPE(NvgPacketsPage, nvg_packets_page, NVG_TYPE_PAGE)

enum { PROP_0, PROP_RING_SIZE, PROP_SENSOR_NAMES, PROP_COLUMN_LAYOUT, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_FOLLOW_TAIL, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- packet list rows ----------------------------------------------------------------------- */

/* One NvgPacketRow widget per row (not a cell widget per field): binding is a pointer swap, and
 * re-binding a row that keeps its record (its position moved after a front trim) is a no-op. */
static void row_setup(GtkSignalListItemFactory *f, GtkListItem *li, NvgPacketsPage *self)
{
    GtkWidget *row = nvg_packet_row_new();
    nvg_packet_row_set_layout(NVG_PACKET_ROW(row), self->layout);
    gtk_list_item_set_child(li, row);
}

static void row_bind(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    nvg_packet_row_set_item(NVG_PACKET_ROW(gtk_list_item_get_child(li)),
                            gtk_list_item_get_item(li));
}

static void setup_list(NvgPacketsPage *self)
{
    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_signal_connect(f, "setup", G_CALLBACK(row_setup), self);
    g_signal_connect(f, "bind", G_CALLBACK(row_bind), NULL);
    gtk_list_view_set_factory(self->list_view, f);
    g_object_unref(f);
}

/* ---- details pane --------------------------------------------------------------------------- */

static void opt_uint(char *buf, size_t size, gboolean has, unsigned v)
{
    if (has)
        g_snprintf(buf, size, "%u", v);
    else
        g_strlcpy(buf, "—", size);
}

static void show_details(NvgPacketsPage *self, NvgPacketItem *item)
{
    if (!item) {
        gtk_label_set_markup(
            self->details_label,
            "<span alpha=\"60%\">Select a packet to see all of its fields.</span>");
        return;
    }
    const struct nvg_pkt *p = nvg_packet_item_get_pkt(item);
    char iso[40], src[64], dst[64], flags[32] = "—", line[NVG_FORMAT_LINE_MAX];
    char sport[16], dport[16], ttl[16], vlan[16], icmp[32] = "—";
    gboolean ports = (p->flags & NVG_PKT_HAS_PORTS) != 0;
    nvg_format_time_iso(iso, p->ts_ns);
    nvg_format_addr(src, p->src, p->ip_version);
    nvg_format_addr(dst, p->dst, p->ip_version);
    if (p->flags & NVG_PKT_HAS_TCPFLAGS)
        nvg_format_tcp_flags(flags, p->tcp_flags);
    if (p->flags & NVG_PKT_HAS_ICMP)
        g_snprintf(icmp, sizeof(icmp), "type %u code %u", p->icmp_type, p->icmp_code);
    opt_uint(sport, sizeof(sport), ports, p->sport);
    opt_uint(dport, sizeof(dport), ports, p->dport);
    opt_uint(ttl, sizeof(ttl), p->flags & NVG_PKT_HAS_TTL, p->ttl);
    opt_uint(vlan, sizeof(vlan), p->flags & NVG_PKT_HAS_VLAN, p->vlan_id);
    nvg_format_text_line(line, p, nvg_packet_item_get_sensor(item));
    g_strchomp(line);
    GString *hex = g_string_new(NULL);
    for (int i = 0; i < p->payload_len; i++)
        g_string_append_printf(hex, "%02x%s", p->payload[i], (i % 16 == 15) ? " " : "");
    const char *decode = p->flags & NVG_PKT_MALFORMED   ? "malformed"
                         : p->flags & NVG_PKT_TRUNCATED ? "truncated"
                                                        : "ok";
    char *m = g_markup_printf_escaped(
        "<b>Record</b>       #%" G_GUINT64_FORMAT " from sensor <b>%s</b>\n"
        "<b>Time</b>         %s\n"
        "<b>Protocol</b>     %s  (IPv%u, IP protocol %u)\n"
        "<b>Source</b>       %s   <b>port</b> %s\n"
        "<b>Destination</b>  %s   <b>port</b> %s\n"
        "<b>TCP flags</b>    %s   <b>ICMP</b> %s   <b>TTL</b> %s   <b>VLAN</b> %s\n"
        "<b>Length</b>       %u on the wire, %u captured   <b>Payload</b> %s %s\n"
        "<b>Decoding</b>     %s%s%s%s\n"
        "<b>Text form</b>    %s",
        nvg_packet_item_get_number(item), nvg_packet_item_get_sensor(item), iso,
        nvg_proto_name(p->proto), p->ip_version, p->ip_proto == 255 ? 0u : p->ip_proto,
        src[0] ? src : "—", sport, dst[0] ? dst : "—", dport, flags, icmp, ttl, vlan, p->wire_len,
        p->cap_len, p->payload_kind ? nvg_payload_kind_name(p->payload_kind) : "none", hex->str,
        decode, (p->flags & NVG_PKT_FRAGMENT) ? ", IP fragment" : "", p->event ? ", event " : "",
        p->event ? nvg_decode_event_name(p->event) : "", line);
    gtk_label_set_markup(self->details_label, m);
    g_free(m);
    g_string_free(hex, TRUE);
}

static void on_selected(GtkSingleSelection *sel, GParamSpec *pspec, NvgPacketsPage *self)
{
    if (!self->reordering)
        show_details(self, gtk_single_selection_get_selected_item(sel));
}

/* ---- follow, pause, records ------------------------------------------------------------------ */

static void real_follow_tail(NvgPacketsPage *self)
{
    /* "list.scroll-to-item": GTK 4.8 has no gtk_list_view_scroll_to() (4.12) */
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->store));
    if (n)
        gtk_widget_activate_action(GTK_WIDGET(self->list_view), "list.scroll-to-item", "u", n - 1);
}

static gboolean sorted(NvgPacketsPage *self)
{
    return nvg_packet_layout_get(self->layout)->sort_column != NVG_COL_NONE;
}

/* Sorted, the newest row is anywhere: Follow waits for arrival order (the sort bar says so). */
static void follow_tail(NvgPacketsPage *self)
{
    if (!sorted(self))
        g_signal_emit(self, signals[SIGNAL_FOLLOW_TAIL], 0);
}

void nvg_packets_page_set_follow(NvgPacketsPage *self, gboolean follow)
{
    self->follow = follow;
    if (follow && !self->paused)
        follow_tail(self);
}

void nvg_packets_page_set_paused(NvgPacketsPage *self, gboolean paused)
{
    self->paused = paused;
    if (!paused)
        nvg_packets_page_set_follow(self, self->follow);
}

void nvg_packets_page_append(NvgPacketsPage *self, const struct nvg_view_rec *recs, guint n)
{
    if (self->paused) {
        self->missed_paused += n;
    } else if (n) {
        nvg_packet_store_append(self->store, recs, n);
        if (self->follow)
            follow_tail(self);
    }
}

void nvg_packets_page_clear_list(NvgPacketsPage *self)
{
    nvg_packet_store_clear(self->store);
}

void nvg_packets_page_get_counts(NvgPacketsPage *self, struct nvg_packets_page_counts *counts)
{
    nvg_packet_store_get_counts(self->store, &counts->list);
    counts->capacity = nvg_packet_store_get_capacity(self->store);
    counts->missed_paused = self->missed_paused;
    counts->paused = self->paused;
}

GListModel *nvg_packets_page_get_model(NvgPacketsPage *self)
{
    return G_LIST_MODEL(self->store);
}

NvgPacketItem *nvg_packets_page_get_selected_item(NvgPacketsPage *self)
{
    return gtk_single_selection_get_selected_item(self->selection);
}

/* ---- display filter ------------------------------------------------------------------------ */

static struct nvg_filter_widgets filter_widgets(NvgPacketsPage *self)
{
    return (struct nvg_filter_widgets){self->proto_drop, self->src_entry, self->dst_entry,
                                       self->port_entry, self->both_ways_toggle};
}

static void read_fields(NvgPacketsPage *self, struct nvg_view_fields *f)
{
    nvg_view_fields_clear(f);
    struct nvg_filter_widgets w = filter_widgets(self);
    nvg_filter_widgets_read(&w, f);
    g_strlcpy(f->sensor, self->fields.sensor, sizeof(f->sensor));
    g_strlcpy(f->time, self->fields.time, sizeof(f->time));
}

static void write_fields(NvgPacketsPage *self, const struct nvg_view_fields *f)
{
    struct nvg_filter_widgets w = filter_widgets(self);
    nvg_filter_widgets_write(&w, f);
    gtk_widget_set_visible(GTK_WIDGET(self->time_chip), f->time[0] != '\0');
    if (f->time[0]) {
        /* "2024-07-28T18:58:41Z..2024-07-28T18:59:02Z" as "18:58:41 – 18:59:02": the date
         * is the alert's, the hours are what a user compares with the list. */
        g_auto(GStrv) side = g_strsplit(f->time, "..", 2);
        char from[16] = "…", to[16] = "…";
        if (side[0] && strlen(side[0]) >= 19)
            g_strlcpy(from, side[0] + 11, 9);
        if (side[0] && side[1] && strlen(side[1]) >= 19)
            g_strlcpy(to, side[1] + 11, 9);
        g_autofree char *text = g_strdup_printf("%s – %s", from, to);
        gtk_label_set_text(self->time_label, text);
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->time_chip), f->time);
    }
}

static void show_filter_error(NvgPacketsPage *self, unsigned bad)
{
    struct nvg_filter_widgets w = filter_widgets(self);
    nvg_filter_widgets_mark(&w, bad);
    if (!bad) {
        gtk_widget_set_visible(GTK_WIDGET(self->filter_error), FALSE);
        return;
    }
    GString *s = g_string_new("Not applied: ");
    if (bad & NVG_VIEW_FIELD_PROTO)
        g_string_append(s, "unknown protocol; ");
    if (bad & NVG_VIEW_FIELD_SRC)
        g_string_append(
            s, "source must be an IPv4/IPv6 address or CIDR (10.0.0.0/8, 2001:db8::/32); ");
    if (bad & NVG_VIEW_FIELD_DST)
        g_string_append(s, "destination must be an IPv4/IPv6 address or CIDR; ");
    if (bad & NVG_VIEW_FIELD_PORT)
        g_string_append(s, "port must be a number from 0 to 65535; ");
    if (bad & NVG_VIEW_FIELD_SENSOR)
        g_string_append(s, "sensor name too long; ");
    if (bad & NVG_VIEW_FIELD_TIME)
        g_string_append(s, "time must be FROM..TO in ISO 8601 UTC (either side may be empty); ");
    if (bad & NVG_VIEW_FIELD_DIR)
        g_string_append(s, "dir must be \"both\" or empty; ");
    if (bad & NVG_VIEW_FIELD_SPEC)
        g_string_append(
            s, "use key=value items (proto, src, dst, port, sensor, time, dir) separated by ';'; ");
    g_string_truncate(s, s->len - 2);
    gtk_label_set_text(self->filter_error, s->str);
    gtk_widget_set_visible(GTK_WIDGET(self->filter_error), TRUE);
    g_string_free(s, TRUE);
}

/* The display filter, scoped to the page's sensor unless it names one itself. */
static void refilter(NvgPacketsPage *self)
{
    struct nvg_filter f = self->filter;
    const char *sensor = nvg_page_get_sensor(NVG_PAGE(self));
    if (!f.sensor[0] && sensor[0])
        g_strlcpy(f.sensor, sensor, sizeof(f.sensor));
    nvg_packet_store_set_filter(self->store, &f);
    if (self->follow && !self->paused)
        follow_tail(self);
}

/* Compile and apply fields; on error mark the fields and keep the current filter. */
static unsigned apply_fields(NvgPacketsPage *self, const struct nvg_view_fields *fields)
{
    struct nvg_filter f;
    unsigned bad = nvg_view_filter_compile(fields, &f);
    show_filter_error(self, bad);
    if (bad)
        return bad;
    self->fields = *fields;
    self->filter = f;
    refilter(self);
    return 0;
}

static void on_filter_clicked(GtkWidget *w, NvgPacketsPage *self)
{
    struct nvg_view_fields f;
    read_fields(self, &f);
    apply_fields(self, &f);
}

static void on_time_chip_clicked(GtkWidget *w, NvgPacketsPage *self)
{
    struct nvg_view_fields f;
    read_fields(self, &f);
    f.time[0] = '\0';
    write_fields(self, &f);
    apply_fields(self, &f);
}

gboolean nvg_packets_page_apply_filter_spec(NvgPacketsPage *self, const char *spec, GError **error)
{
    struct nvg_view_fields f;
    unsigned bad = nvg_view_fields_parse(spec, &f);
    write_fields(self, &f);
    if (!bad)
        bad = apply_fields(self, &f);
    else
        show_filter_error(self, bad);
    if (bad) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "invalid display filter '%s'",
                    spec);
        return FALSE;
    }
    return TRUE;
}

char *nvg_packets_page_dup_filter_spec(NvgPacketsPage *self)
{
    return nvg_view_fields_to_spec(&self->fields);
}

void nvg_packets_page_clear_filter(NvgPacketsPage *self)
{
    struct nvg_view_fields f;
    nvg_view_fields_clear(&f);
    write_fields(self, &f);
    apply_fields(self, &f);
}

void nvg_packets_page_focus_filter(NvgPacketsPage *self)
{
    gtk_widget_grab_focus(GTK_WIDGET(self->src_entry));
}

static void nvg_packets_page_sensor_changed(NvgPage *page)
{
    refilter(NVG_PACKETS_PAGE(page));
}

/* ---- export --------------------------------------------------------------------------------- */

gboolean nvg_packets_page_export(NvgPacketsPage *self, const char *path, GError **error)
{
    g_autofree char *tmp = g_strdup_printf("%s.part", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot write %s: %s", tmp,
                    g_strerror(e));
        return FALSE;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    fputs(NVG_CSV_HEADER, f);
    struct nvg_time_cache tc;
    nvg_time_cache_init(&tc);
    char row[NVG_FORMAT_LINE_MAX];
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->store));
    for (guint i = 0; i < n; i++) {
        const struct nvg_view_rec *r = nvg_packet_store_peek(self->store, i);
        size_t slen;
        const char *scsv = nvg_sensor_names_csv(self->names, r->sensor, &slen);
        size_t len = nvg_format_csv_row_r(&tc, row, &r->pkt, scsv, slen);
        fwrite(row, 1, len, f);
    }
    gboolean ok = !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (!ok || g_rename(tmp, path) != 0) {
        int e = errno;
        g_unlink(tmp);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot write %s: %s", path,
                    g_strerror(e));
        return FALSE;
    }
    g_autofree char *msg = g_strdup_printf("Exported %u rows to %s", n, path);
    nvg_page_toast(NVG_PAGE(self), msg);
    return TRUE;
}

static void on_export_response(GtkNativeDialog *dialog, int response, NvgPacketsPage *self)
{
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = file ? g_file_get_path(file) : NULL;
        g_autoptr(GError) error = NULL;
        if (path && !nvg_packets_page_export(self, path, &error))
            nvg_page_toast(NVG_PAGE(self), error->message);
    }
    g_object_unref(dialog);
}

void nvg_packets_page_export_dialog(NvgPacketsPage *self)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    GtkFileChooserNative *d = gtk_file_chooser_native_new(
        "Export Shown Rows", GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
        GTK_FILE_CHOOSER_ACTION_SAVE, "_Export", "_Cancel");
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *name = g_date_time_format(now, "netvigil-%Y%m%d-%H%M%S.csv");
    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(d), name);
    GtkFileFilter *csv = gtk_file_filter_new();
    gtk_file_filter_set_name(csv, "CSV files");
    gtk_file_filter_add_pattern(csv, "*.csv");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), csv);
    g_object_unref(csv);
    g_signal_connect(d, "response", G_CALLBACK(on_export_response), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

/* ---- columns and sort ------------------------------------------------------------------- */

/* The store replaces every row when sorted rows change: keep the selected record selected. */
static void on_reorder(NvgPacketStore *store, gboolean done, NvgPacketsPage *self)
{
    if (!done) {
        NvgPacketItem *it = gtk_single_selection_get_selected_item(self->selection);
        self->reorder_selected = it ? nvg_packet_item_get_number(it) : 0;
        self->reordering = TRUE;
        if (it)
            gtk_single_selection_set_selected(self->selection, GTK_INVALID_LIST_POSITION);
        return;
    }
    guint pos = self->reorder_selected ? nvg_packet_store_find(self->store, self->reorder_selected)
                                       : G_MAXUINT;
    if (pos != G_MAXUINT)
        gtk_single_selection_set_selected(self->selection, pos);
    self->reordering = FALSE;
    if (self->reorder_selected && pos == G_MAXUINT)
        show_details(self, NULL); /* it left the ring */
    self->reorder_selected = 0;
}

static void set_app_state(NvgPacketsPage *self, const char *name, GVariant *state)
{
    GAction *a = self->app ? g_action_map_lookup_action(self->app, name) : NULL;
    if (a)
        g_simple_action_set_state(G_SIMPLE_ACTION(a), state);
    else
        g_variant_unref(g_variant_ref_sink(state));
}

/* Follow cannot work on a sorted list: its toggle is off limits (the sort bar says why). */
static void enable_follow(NvgPacketsPage *self, gboolean enabled)
{
    GAction *a = self->app ? g_action_map_lookup_action(self->app, "follow") : NULL;
    if (G_IS_SIMPLE_ACTION(a))
        g_simple_action_set_enabled(G_SIMPLE_ACTION(a), enabled);
}

static void log_sort_timing(NvgPacketsPage *self, int column, gboolean desc)
{
    struct nvg_packet_store_sort_timing t;
    nvg_packet_store_get_sort_timing(self->store, &t);
    g_info("sorted %u rows by %s (%s) in %.1f ms: keys copied in %.1f ms and the result applied "
           "in %.1f ms on the main loop, sorted in %.1f ms in a worker thread",
           t.rows, nvg_packet_column_name(column), desc ? "desc" : "asc", t.total_us / 1000.0,
           t.snapshot_us / 1000.0, t.apply_us / 1000.0, t.thread_us / 1000.0);
    set_app_state(self, "packet-sort-status",
                  g_variant_new("(bsudd)", FALSE, nvg_packet_column_name(column), t.rows,
                                t.total_us / 1000.0, MAX(t.snapshot_us, t.apply_us) / 1000.0));
}

static void on_sort_changed(NvgPacketStore *store, NvgPacketsPage *self)
{
    gboolean desc, sorting;
    int column = nvg_packet_store_get_sort(store, &desc, &sorting);
    gtk_widget_set_visible(self->sort_bar, column != NVG_COL_NONE);
    enable_follow(self, column == NVG_COL_NONE);
    if (column == NVG_COL_NONE) {
        set_app_state(self, "packet-sort-status", g_variant_new("(bsudd)", FALSE, "", 0, 0.0, 0.0));
        return;
    }
    const char *title = nvg_packet_column_title(column), *dir = desc ? "descending" : "ascending";
    g_autofree char *text =
        sorting ? g_strdup_printf("Sorting by %s, %s…", title, dir)
                : g_strdup_printf("Sorted by %s, %s: new packets are put in their place; Follow "
                                  "is off until the list is back in arrival order",
                                  title, dir);
    gtk_label_set_text(self->sort_label, text);
    if (sorting) {
        set_app_state(self, "packet-sort-status",
                      g_variant_new("(bsudd)", TRUE, nvg_packet_column_name(column), 0, 0.0, 0.0));
        return;
    }
    log_sort_timing(self, column, desc);
    /* a new order starts at its top, as in other sortable lists */
    if (g_list_model_get_n_items(G_LIST_MODEL(self->store)))
        gtk_widget_activate_action(GTK_WIDGET(self->list_view), "list.scroll-to-item", "u", 0);
}

static void on_layout_changed(NvgPacketLayout *layout, NvgPacketsPage *self)
{
    const struct nvg_column_layout *l = nvg_packet_layout_get(layout);
    gboolean desc;
    int column = nvg_packet_store_get_sort(self->store, &desc, NULL);
    if (column != l->sort_column || (column != NVG_COL_NONE && !desc != !l->descending)) {
        nvg_packet_store_set_sort(self->store, l->sort_column, l->descending);
        if (l->sort_column == NVG_COL_NONE && self->follow && !self->paused)
            follow_tail(self);
    }
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_COLUMN_LAYOUT]);
    set_app_state(self, "packet-columns",
                  g_variant_new_take_string(nvg_column_layout_to_string(l)));
}

char *nvg_packets_page_dup_column_layout(NvgPacketsPage *self)
{
    return nvg_column_layout_to_string(nvg_packet_layout_get(self->layout));
}

gboolean nvg_packets_page_set_column_layout(NvgPacketsPage *self, const char *text, GError **error)
{
    struct nvg_column_layout l;
    if (!nvg_column_layout_parse(&l, text, error))
        return FALSE;
    nvg_packet_layout_set(self->layout, &l);
    return TRUE;
}

static void on_unsort_clicked(GtkButton *b, NvgPacketsPage *self)
{
    nvg_packet_layout_set_sort(self->layout, NVG_COL_NONE, FALSE);
}

/* app.packet-columns (state: the layout text; setting it applies one) and
 * app.packet-sort-status (read only: sorting?, column, rows, ms to sort, longest main-loop
 * part in ms), so that tests and the benchmark reach the page over D-Bus. */
static void change_columns(GSimpleAction *a, GVariant *v, gpointer data)
{
    g_autoptr(GError) error = NULL;
    if (!nvg_packets_page_set_column_layout(data, g_variant_get_string(v, NULL), &error))
        g_message("packet-columns: %s", error->message);
}

static void change_none(GSimpleAction *a, GVariant *v, gpointer data)
{
}

static void add_app_actions(GtkWidget *widget, NvgPacketsPage *self)
{
    GtkRoot *root = gtk_widget_get_root(widget);
    GtkApplication *app = GTK_IS_WINDOW(root) ? gtk_window_get_application(GTK_WINDOW(root)) : NULL;
    if (self->app || !app || g_action_map_lookup_action(G_ACTION_MAP(app), "packet-columns"))
        return;
    const GActionEntry entries[] = {
        {"packet-columns", NULL, NULL, "''", change_columns, {0}},
        {"packet-sort-status", NULL, NULL, "(false, '', uint32 0, 0.0, 0.0)", change_none, {0}},
    };
    g_action_map_add_action_entries(G_ACTION_MAP(app), entries, G_N_ELEMENTS(entries), self);
    self->app = G_ACTION_MAP(app);
    g_object_add_weak_pointer(G_OBJECT(app), (gpointer *)&self->app);
    on_layout_changed(self->layout, self);
    on_sort_changed(self->store, self);
}

static void remove_app_actions(NvgPacketsPage *self)
{
    if (!self->app)
        return;
    g_action_map_remove_action(self->app, "packet-columns");
    g_action_map_remove_action(self->app, "packet-sort-status");
    enable_follow(self, TRUE);
    g_object_remove_weak_pointer(G_OBJECT(self->app), (gpointer *)&self->app);
    self->app = NULL;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void nvg_packets_page_constructed(GObject *object)
{
    NvgPacketsPage *self = NVG_PACKETS_PAGE(object);
    G_OBJECT_CLASS(nvg_packets_page_parent_class)->constructed(object);
    self->store = nvg_packet_store_new(self->ring_size, self->names);
    self->selection = gtk_single_selection_new(G_LIST_MODEL(g_object_ref(self->store)));
    gtk_single_selection_set_autoselect(self->selection, FALSE);
    gtk_single_selection_set_can_unselect(self->selection, TRUE);
    g_signal_connect(self->selection, "notify::selected-item", G_CALLBACK(on_selected), self);
    gtk_list_view_set_model(self->list_view, GTK_SELECTION_MODEL(self->selection));
    g_signal_connect(self->store, "reorder", G_CALLBACK(on_reorder), self);
    g_signal_connect(self->store, "sort-changed", G_CALLBACK(on_sort_changed), self);
    g_signal_connect(self->layout, "changed", G_CALLBACK(on_layout_changed), self);
}

static void nvg_packets_page_dispose(GObject *object)
{
    NvgPacketsPage *self = NVG_PACKETS_PAGE(object);
    remove_app_actions(self);
    if (self->list_view)
        gtk_list_view_set_model(self->list_view, NULL);
    if (self->store)
        g_signal_handlers_disconnect_by_data(self->store, self);
    if (self->layout)
        g_signal_handlers_disconnect_by_data(self->layout, self);
    g_clear_object(&self->selection);
    g_clear_object(&self->store);
    g_clear_object(&self->layout);
    G_OBJECT_CLASS(nvg_packets_page_parent_class)->dispose(object);
}

static void nvg_packets_page_get_property(GObject *object, guint id, GValue *value,
                                          GParamSpec *pspec)
{
    NvgPacketsPage *self = NVG_PACKETS_PAGE(object);
    switch (id) {
    case PROP_RING_SIZE:
        g_value_set_uint(value, self->ring_size);
        break;
    case PROP_SENSOR_NAMES:
        g_value_set_pointer(value, (gpointer)self->names);
        break;
    case PROP_COLUMN_LAYOUT:
        g_value_take_string(value, nvg_packets_page_dup_column_layout(self));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void nvg_packets_page_set_property(GObject *object, guint id, const GValue *value,
                                          GParamSpec *pspec)
{
    NvgPacketsPage *self = NVG_PACKETS_PAGE(object);
    switch (id) {
    case PROP_RING_SIZE:
        self->ring_size = g_value_get_uint(value);
        break;
    case PROP_SENSOR_NAMES:
        self->names = g_value_get_pointer(value);
        break;
    case PROP_COLUMN_LAYOUT: {
        g_autoptr(GError) error = NULL;
        if (!nvg_packets_page_set_column_layout(self, g_value_get_string(value), &error))
            g_message("%s; the columns stay as they are", error->message);
        break;
    }
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void install_properties(GObjectClass *oc)
{
    const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                  G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
    props[PROP_RING_SIZE] = g_param_spec_uint("ring-size", NULL, NULL, 0, G_MAXUINT, 0, construct);
    props[PROP_SENSOR_NAMES] = g_param_spec_pointer("sensor-names", NULL, NULL, construct);
    props[PROP_COLUMN_LAYOUT] =
        g_param_spec_string("column-layout", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
}

static void nvg_packets_page_class_init(NvgPacketsPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->constructed = nvg_packets_page_constructed;
    oc->dispose = nvg_packets_page_dispose;
    oc->get_property = nvg_packets_page_get_property;
    oc->set_property = nvg_packets_page_set_property;
    install_properties(oc);
    NVG_PAGE_CLASS(klass)->sensor_changed = nvg_packets_page_sensor_changed;
    signals[SIGNAL_FOLLOW_TAIL] = g_signal_new_class_handler(
        "follow-tail", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
        G_CALLBACK(real_follow_tail), NULL, NULL, NULL, G_TYPE_NONE, 0);
    g_type_ensure(NVG_TYPE_PACKET_HEADER);
    g_type_ensure(NVG_TYPE_PCAP_BUTTON);
    gtk_widget_class_set_template_from_resource(wc, "/org/netvigil/Viewer/nvg-packets-page.ui");
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, proto_drop);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, src_entry);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, dst_entry);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, both_ways_toggle);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, port_entry);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, filter_button);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, time_chip);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, time_label);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, filter_error);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, list_view);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, details_label);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, header);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, sort_bar);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, sort_label);
    gtk_widget_class_bind_template_child(wc, NvgPacketsPage, unsort_button);
}

static void nvg_packets_page_init(NvgPacketsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    nvg_filter_init(&self->filter);
    self->layout = nvg_packet_layout_new();
    nvg_packet_header_set_layout(self->header, self->layout);
    setup_list(self);
    g_signal_connect(self->unsort_button, "clicked", G_CALLBACK(on_unsort_clicked), self);
    g_signal_connect(self, "realize", G_CALLBACK(add_app_actions), self);
    g_signal_connect(self->filter_button, "clicked", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->time_chip, "clicked", G_CALLBACK(on_time_chip_clicked), self);
    g_signal_connect(self->src_entry, "activate", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->dst_entry, "activate", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->both_ways_toggle, "toggled", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->port_entry, "activate", G_CALLBACK(on_filter_clicked), self);
    /* Space toggles pause while the list has the focus (not in entries, where it types). */
    GtkEventController *sc = gtk_shortcut_controller_new();
    gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(sc),
                                         gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_space, 0),
                                                          gtk_named_action_new("app.pause")));
    gtk_widget_add_controller(GTK_WIDGET(self->list_view), sc);
    show_details(self, NULL);
}

GtkWidget *nvg_packets_page_new(guint ring_size, const struct nvg_sensor_names *names)
{
    return g_object_new(NVG_TYPE_PACKETS_PAGE, "ring-size", ring_size, "sensor-names", names, NULL);
}
