/* NvgWindow: packet list, display filters, export, status bar, connection state, and the
 * 50 ms drain that moves the feed worker's output into the widgets. Fleet parts (sensors,
 * control, events, chart, talkers) are in nvg-window-fleet.c. */
#include "nvg-window-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "nvg-format.h"
#include "nvg-packet-item.h"
#include "nvg-packet-row.h"

#define DRAIN_INTERVAL_MS 50                /* at most 20 list updates per second */
#define CONN_SILENT_US (3 * G_USEC_PER_SEC) /* the collector publishes status every second */
#define MAX_MSGS_PER_DRAIN 400

enum { CONN_CONNECTING, CONN_OK, CONN_RECONNECTING, CONN_FAILED };

G_DEFINE_FINAL_TYPE(NvgWindow, nvg_window, GTK_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_CONNECTION, N_PROPS };
static GParamSpec *props[N_PROPS];

/* ---- packet list rows ----------------------------------------------------------------------- */

/* One NvgPacketRow widget per row (not a cell widget per field): binding is a pointer swap, and
 * re-binding a row that keeps its record (its position moved after a front trim) is a no-op. */
static void row_setup(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    gtk_list_item_set_child(li, nvg_packet_row_new());
}

static void row_bind(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    nvg_packet_row_set_item(NVG_PACKET_ROW(gtk_list_item_get_child(li)),
                            gtk_list_item_get_item(li));
}

static void setup_list(NvgWindow *self)
{
    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_signal_connect(f, "setup", G_CALLBACK(row_setup), NULL);
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

static void show_details(NvgWindow *self, NvgPacketItem *item)
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

static void on_selected(GtkSingleSelection *sel, GParamSpec *pspec, NvgWindow *self)
{
    show_details(self, gtk_single_selection_get_selected_item(sel));
}

/* Follow: bring the newest row into view (after each drain that added rows). */
static void follow_tail(NvgWindow *self)
{
    /* "list.scroll-to-item": GTK 4.8 has no gtk_list_view_scroll_to() (4.12) */
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->store));
    if (n)
        gtk_widget_activate_action(GTK_WIDGET(self->list_view), "list.scroll-to-item", "u", n - 1);
}

void nvg_window_set_follow(NvgWindow *self, gboolean follow)
{
    self->follow = follow;
    if (follow && !self->paused)
        follow_tail(self);
}

void nvg_window_set_paused(NvgWindow *self, gboolean paused)
{
    self->paused = paused;
    if (!paused)
        nvg_window_set_follow(self, self->follow);
}

void nvg_window_clear_list(NvgWindow *self)
{
    nvg_packet_store_clear(self->store);
}

/* ---- display filter ------------------------------------------------------------------------ */

static const char *const proto_choices[] = {"",    "tcp",  "udp",  "icmp", "icmpv6",
                                            "arp", "ipv4", "ipv6", "other"};

static void mark(GtkWidget *w, gboolean bad)
{
    if (bad)
        gtk_widget_add_css_class(w, "error");
    else
        gtk_widget_remove_css_class(w, "error");
}

static void read_fields(NvgWindow *self, struct nvg_view_fields *f)
{
    nvg_view_fields_clear(f);
    guint p = gtk_drop_down_get_selected(self->proto_drop);
    g_strlcpy(f->proto, p < G_N_ELEMENTS(proto_choices) ? proto_choices[p] : "", sizeof(f->proto));
    g_autofree char *src =
        g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->src_entry))));
    g_autofree char *dst =
        g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->dst_entry))));
    g_autofree char *port =
        g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->port_entry))));
    /* Too long to fit is invalid anyway: keep a marker that fails to parse. */
    if (g_strlcpy(f->src, src, sizeof(f->src)) >= sizeof(f->src))
        g_strlcpy(f->src, "?", sizeof(f->src));
    if (g_strlcpy(f->dst, dst, sizeof(f->dst)) >= sizeof(f->dst))
        g_strlcpy(f->dst, "?", sizeof(f->dst));
    if (g_strlcpy(f->port, port, sizeof(f->port)) >= sizeof(f->port))
        g_strlcpy(f->port, "?", sizeof(f->port));
    g_strlcpy(f->sensor, self->fields.sensor, sizeof(f->sensor));
}

static void write_fields(NvgWindow *self, const struct nvg_view_fields *f)
{
    guint sel = 0;
    for (guint i = 1; i < G_N_ELEMENTS(proto_choices); i++)
        if (g_ascii_strcasecmp(f->proto, proto_choices[i]) == 0)
            sel = i;
    gtk_drop_down_set_selected(self->proto_drop, sel);
    gtk_editable_set_text(GTK_EDITABLE(self->src_entry), f->src);
    gtk_editable_set_text(GTK_EDITABLE(self->dst_entry), f->dst);
    gtk_editable_set_text(GTK_EDITABLE(self->port_entry), f->port);
}

static void show_filter_error(NvgWindow *self, unsigned bad)
{
    mark(GTK_WIDGET(self->proto_drop), bad & NVG_VIEW_FIELD_PROTO);
    mark(GTK_WIDGET(self->src_entry), bad & NVG_VIEW_FIELD_SRC);
    mark(GTK_WIDGET(self->dst_entry), bad & NVG_VIEW_FIELD_DST);
    mark(GTK_WIDGET(self->port_entry), bad & NVG_VIEW_FIELD_PORT);
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
    if (bad & NVG_VIEW_FIELD_SPEC)
        g_string_append(s,
                        "use key=value items (proto, src, dst, port, sensor) separated by ';'; ");
    g_string_truncate(s, s->len - 2);
    gtk_label_set_text(self->filter_error, s->str);
    gtk_widget_set_visible(GTK_WIDGET(self->filter_error), TRUE);
    g_string_free(s, TRUE);
}

void nvg__window_refilter(NvgWindow *self)
{
    struct nvg_filter f = self->filter;
    if (!f.sensor[0] && self->selected && self->selected[0])
        g_strlcpy(f.sensor, self->selected, sizeof(f.sensor));
    nvg_packet_store_set_filter(self->store, &f);
    if (self->follow && !self->paused)
        follow_tail(self);
}

/* Compile and apply fields; on error mark the fields and keep the current filter. */
static unsigned apply_fields(NvgWindow *self, const struct nvg_view_fields *fields)
{
    struct nvg_filter f;
    unsigned bad = nvg_view_filter_compile(fields, &f);
    show_filter_error(self, bad);
    if (bad)
        return bad;
    self->fields = *fields;
    self->filter = f;
    nvg__window_refilter(self);
    return 0;
}

static void on_filter_clicked(GtkWidget *w, NvgWindow *self)
{
    struct nvg_view_fields f;
    read_fields(self, &f);
    apply_fields(self, &f);
}

gboolean nvg_window_apply_filter_spec(NvgWindow *self, const char *spec, GError **error)
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

void nvg_window_clear_filter(NvgWindow *self)
{
    struct nvg_view_fields f;
    nvg_view_fields_clear(&f);
    write_fields(self, &f);
    apply_fields(self, &f);
}

void nvg_window_show_page(NvgWindow *self, const char *name)
{
    if (gtk_stack_get_child_by_name(self->stack, name))
        gtk_stack_set_visible_child_name(self->stack, name);
}

void nvg_window_focus_filter(NvgWindow *self)
{
    gtk_stack_set_visible_child_name(self->stack, "packets");
    gtk_widget_grab_focus(GTK_WIDGET(self->src_entry));
}

/* ---- export --------------------------------------------------------------------------------- */

gboolean nvg_window_export(NvgWindow *self, const char *path, GError **error)
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
    nvg__window_toast(self, msg);
    return TRUE;
}

static void on_export_response(GtkNativeDialog *dialog, int response, NvgWindow *self)
{
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = file ? g_file_get_path(file) : NULL;
        g_autoptr(GError) error = NULL;
        if (path && !nvg_window_export(self, path, &error))
            nvg__window_toast(self, error->message);
    }
    g_object_unref(dialog);
}

void nvg_window_export_dialog(NvgWindow *self)
{
    GtkFileChooserNative *d = gtk_file_chooser_native_new(
        "Export Shown Rows", GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_SAVE, "_Export", "_Cancel");
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

/* ---- toast, status bar, connection ------------------------------------------------------- */

static gboolean hide_toast(gpointer data)
{
    NvgWindow *self = data;
    gtk_revealer_set_reveal_child(self->toast_revealer, FALSE);
    self->toast_id = 0;
    return G_SOURCE_REMOVE;
}

void nvg__window_toast(NvgWindow *self, const char *text)
{
    gtk_label_set_text(self->toast_label, text);
    gtk_revealer_set_reveal_child(self->toast_revealer, TRUE);
    if (self->toast_id)
        g_source_remove(self->toast_id);
    self->toast_id = g_timeout_add_seconds(4, hide_toast, self);
}

static void set_label(GtkLabel *l, const char *text)
{
    if (g_strcmp0(gtk_label_get_text(l), text) != 0)
        gtk_label_set_text(l, text);
}

static void grouped(char *buf, size_t size, guint64 v)
{
    char raw[32];
    int n = g_snprintf(raw, sizeof(raw), "%" G_GUINT64_FORMAT, v), o = 0;
    for (int i = 0; i < n && (size_t)o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
}

static void update_status_bar(NvgWindow *self, const struct nvg_feed_stats *fs)
{
    struct nvg_packet_store_counts c;
    nvg_packet_store_get_counts(self->store, &c);
    char a[32], b[32], text[200];
    grouped(a, sizeof(a), c.shown);
    grouped(b, sizeof(b), c.in_ring);
    g_snprintf(text, sizeof(text), "Rows shown %s of %s", a, b);
    set_label(self->status_shown, text);
    grouped(a, sizeof(a), fs->records);
    g_snprintf(text, sizeof(text), "Received %s", a);
    set_label(self->status_received, text);
    char r[32];
    nvg_rate_format_si(r, sizeof(r), self->feed_rate);
    g_snprintf(text, sizeof(text), "Feed %s records/s", r);
    set_label(self->status_rate, text);
    guint64 not_shown = c.overwritten + fs->records_dropped + self->missed_paused;
    text[0] = '\0';
    if (not_shown || fs->invalid) {
        grouped(a, sizeof(a), not_shown);
        g_snprintf(text, sizeof(text), "%s not in the list (ring of %u%s)%s", a,
                   nvg_packet_store_get_capacity(self->store), self->paused ? ", paused" : "",
                   fs->invalid ? ", invalid messages seen" : "");
    } else if (self->paused) {
        g_snprintf(text, sizeof(text), "Paused");
    }
    set_label(self->status_dropped, text);
}

static const char *const conn_names[] = {
    [CONN_CONNECTING] = "connecting",
    [CONN_OK] = "connected",
    [CONN_RECONNECTING] = "reconnecting",
    [CONN_FAILED] = "failed",
};

const char *nvg_window_get_connection(NvgWindow *self)
{
    g_return_val_if_fail(NVG_IS_WINDOW(self), NULL);
    return self->conn_state >= 0 ? conn_names[self->conn_state] : conn_names[CONN_CONNECTING];
}

/* The badge and the "connection" property (app.connection's state) both come from here. */
static void set_conn_state(NvgWindow *self, int state, gint64 away_s)
{
    static const char *const classes[] = {"conn-ok", "conn-wait", "conn-lost"};
    const char *cls = state == CONN_OK       ? classes[0]
                      : state == CONN_FAILED ? classes[2]
                                             : classes[1];
    char text[80];
    switch (state) {
    case CONN_OK:
        g_strlcpy(text, "● Connected", sizeof(text));
        break;
    case CONN_CONNECTING:
        g_strlcpy(text, "Connecting…", sizeof(text));
        break;
    case CONN_RECONNECTING:
        if (away_s > 0)
            g_snprintf(text, sizeof(text), "Reconnecting… (collector away %" G_GINT64_FORMAT " s)",
                       away_s);
        else
            g_strlcpy(text, "Reconnecting…", sizeof(text));
        break;
    default:
        g_strlcpy(text, "Not connected", sizeof(text));
        break;
    }
    set_label(self->conn_label, text);
    if (state != self->conn_state) {
        for (int i = 0; i < 3; i++)
            gtk_widget_remove_css_class(GTK_WIDGET(self->conn_label), classes[i]);
        gtk_widget_add_css_class(GTK_WIDGET(self->conn_label), cls);
        g_info("feed %s: %s", self->config.feed_ep,
               state == CONN_OK       ? "connected"
               : state == CONN_FAILED ? "failed"
                                      : "waiting");
        self->conn_state = state;
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTION]);
    }
}

/* connected: the feed link is up and a message came over it within CONN_SILENT_US (the
 * collector publishes its status every second). reconnecting: it was connected once and the
 * link dropped (noticed at once through the socket monitor) or went silent; ZeroMQ reconnects
 * by itself (backing off up to 2 s) and the state returns to connected with the next message. */
static void update_connection(NvgWindow *self, const struct nvg_feed_stats *fs, gint64 now)
{
    if (!self->feed) {
        set_conn_state(self, CONN_FAILED, 0);
        return;
    }
    gboolean ever = fs->last_rx_us != 0 || fs->disconnects != 0;
    /* with a monitor, data counts only when it came after the latest (re)connect */
    gboolean link_ok =
        fs->link_change_us == 0 || (fs->link_up && fs->last_rx_us >= fs->link_change_us);
    if (link_ok && fs->last_rx_us && now - fs->last_rx_us < CONN_SILENT_US)
        set_conn_state(self, CONN_OK, 0);
    else if (!ever)
        set_conn_state(self, CONN_CONNECTING, 0);
    else {
        gint64 since = fs->last_rx_us;
        if (!fs->link_up && fs->link_change_us > since)
            since = fs->link_change_us;
        set_conn_state(self, CONN_RECONNECTING, since ? (now - since) / G_USEC_PER_SEC : 0);
    }
}

/* ---- the drain -------------------------------------------------------------------------- */

static gboolean drain(gpointer data)
{
    NvgWindow *self = data;
    gint64 t0 = g_get_monotonic_time();
    struct nvg_feed_stats fs = {0};
    if (self->feed) {
        guint n;
        const struct nvg_view_rec *recs = nvg_feed_take_records(self->feed, &n);
        if (self->paused) {
            self->missed_paused += n;
        } else if (n) {
            gint64 a0 = g_get_monotonic_time();
            nvg_packet_store_append(self->store, recs, n);
            gint64 a1 = g_get_monotonic_time();
            if (self->follow)
                follow_tail(self);
            self->stats_max_append = MAX(self->stats_max_append, a1 - a0);
            self->stats_max_follow = MAX(self->stats_max_follow, g_get_monotonic_time() - a1);
        }
        if (n && self->stats && !self->stats_feed_t0) {
            self->stats_feed_t0 = t0;
            self->stats_max_stall = 0;
            self->stats_frames_at_feed = self->stats_frames;
        }
        struct nvg_feed_msg *m;
        for (int i = 0; i < MAX_MSGS_PER_DRAIN && (m = nvg_feed_pop(self->feed)); i++) {
            nvg__window_fleet_message(self, m);
            nvg_feed_msg_free(m);
        }
        nvg_feed_get_stats(self->feed, &fs);
    }
    if (t0 - self->rate_t0 >= G_USEC_PER_SEC) {
        self->feed_rate =
            (double)(fs.records - self->rate_n0) * G_USEC_PER_SEC / (t0 - self->rate_t0);
        self->rate_t0 = t0;
        self->rate_n0 = fs.records;
        nvg__window_fleet_tick(self);
    }
    update_connection(self, &fs, t0);
    update_status_bar(self, &fs);
    self->stats_max_drain = MAX(self->stats_max_drain, g_get_monotonic_time() - t0);
    return G_SOURCE_CONTINUE;
}

/* ---- NVG_VIEWER_STATS ------------------------------------------------------------------- */

static gboolean stats_tick(gpointer data)
{
    NvgWindow *self = data;
    gint64 now = g_get_monotonic_time();
    if (self->stats_last_tick) {
        self->stats_max_stall = MAX(self->stats_max_stall, now - self->stats_last_tick);
        /* steady state: after the first 2 s of feed (the first rows create the row widgets) */
        if (self->stats_feed_t0 && now - self->stats_feed_t0 > 2 * G_USEC_PER_SEC)
            self->stats_max_stall_steady =
                MAX(self->stats_max_stall_steady, now - self->stats_last_tick);
    }
    self->stats_last_tick = now;
    return G_SOURCE_CONTINUE;
}

static void on_after_paint(GdkFrameClock *clock, NvgWindow *self)
{
    self->stats_frames++;
}

static void on_realize(GtkWidget *w, NvgWindow *self)
{
    if (self->stats)
        g_signal_connect(gtk_widget_get_frame_clock(w), "after-paint", G_CALLBACK(on_after_paint),
                         self);
}

static long vm_kb(const char *key)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
        return -1;
    const char *p = strstr(text, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

void nvg_window_print_stats(NvgWindow *self)
{
    if (!self->stats)
        return;
    gint64 now = g_get_monotonic_time();
    gint64 since = self->stats_feed_t0 ? self->stats_feed_t0 : self->stats_t0;
    double secs = (double)(now - since) / G_USEC_PER_SEC;
    struct nvg_feed_stats fs = {0};
    if (self->feed)
        nvg_feed_get_stats(self->feed, &fs);
    struct nvg_packet_store_counts c;
    nvg_packet_store_get_counts(self->store, &c);
    /* the tick runs every 10 ms: a gap above that is a stall of the main loop */
    printf("viewer-stats: seconds=%.1f max_stall_ms=%.1f steady_max_stall_ms=%.1f "
           "max_drain_ms=%.1f frames=%" G_GUINT64_FORMAT " fps=%.1f records=%" G_GUINT64_FORMAT
           " dropped_handover=%" G_GUINT64_FORMAT
           " in_ring=%u shown=%u vmrss_kb=%ld vmhwm_kb=%ld max_append_ms=%.1f max_follow_ms=%.1f\n",
           secs, self->stats_max_stall / 1000.0, self->stats_max_stall_steady / 1000.0,
           self->stats_max_drain / 1000.0, self->stats_frames - self->stats_frames_at_feed,
           secs > 0 ? (self->stats_frames - self->stats_frames_at_feed) / secs : 0.0, fs.records,
           fs.records_dropped, c.in_ring, c.shown, vm_kb("VmRSS:"), vm_kb("VmHWM:"),
           self->stats_max_append / 1000.0, self->stats_max_follow / 1000.0);
    fflush(stdout);
}

/* ---- GObject ----------------------------------------------------------------------------- */

static void nvg_window_dispose(GObject *object)
{
    NvgWindow *self = NVG_WINDOW(object);
    if (self->store && self->stats) {
        nvg_window_print_stats(self);
        self->stats = FALSE;
    }
    g_clear_handle_id(&self->drain_id, g_source_remove);
    g_clear_handle_id(&self->stats_tick_id, g_source_remove);
    g_clear_handle_id(&self->toast_id, g_source_remove);
    nvg_feed_free(self->feed); /* joins the worker: no more producers after this */
    self->feed = NULL;
    if (self->list_view)
        gtk_list_view_set_model(self->list_view, NULL);
    nvg__window_fleet_dispose(self);
    gtk_widget_dispose_template(GTK_WIDGET(self), NVG_TYPE_WINDOW);
    g_clear_object(&self->selection);
    g_clear_object(&self->store);
    G_OBJECT_CLASS(nvg_window_parent_class)->dispose(object);
}

static void nvg_window_finalize(GObject *object)
{
    NvgWindow *self = NVG_WINDOW(object);
    nvg_sensor_names_free(self->names);
    g_free(self->config.feed_ep);
    g_free(self->config.control_ep);
    g_free(self->feed_error);
    G_OBJECT_CLASS(nvg_window_parent_class)->finalize(object);
}

static void nvg_window_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    switch (id) {
    case PROP_CONNECTION:
        g_value_set_string(value, nvg_window_get_connection(NVG_WINDOW(object)));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void nvg_window_class_init(NvgWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = nvg_window_dispose;
    oc->finalize = nvg_window_finalize;
    oc->get_property = nvg_window_get_property;
    props[PROP_CONNECTION] =
        g_param_spec_string("connection", NULL, NULL, "connecting",
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    g_type_ensure(NVG_TYPE_RATE_CHART);
    g_type_ensure(NVG_TYPE_PACKET_HEADER);
    gtk_widget_class_set_template_from_resource(wc, "/org/netvigil/Viewer/nvg-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(wc, NvgWindow, name)
    CHILD(sensor_selector);
    CHILD(conn_label);
    CHILD(stack);
    CHILD(toast_revealer);
    CHILD(toast_label);
    CHILD(proto_drop);
    CHILD(src_entry);
    CHILD(dst_entry);
    CHILD(port_entry);
    CHILD(filter_button);
    CHILD(filter_error);
    CHILD(list_scroll);
    CHILD(list_view);
    CHILD(details_label);
    CHILD(target_label);
    CHILD(start_button);
    CHILD(stop_button);
    CHILD(restart_button);
    CHILD(bpf_button);
    CHILD(bpf_entry);
    CHILD(result_label);
    CHILD(sensors_grid);
    CHILD(events_list);
    CHILD(metric_drop);
    CHILD(window_drop);
    CHILD(chart);
    CHILD(talkers_caption);
    CHILD(talkers_grid);
    CHILD(status_shown);
    CHILD(status_received);
    CHILD(status_rate);
    CHILD(status_dropped);
    CHILD(status_endpoint);
#undef CHILD
}

static void nvg_window_init(NvgWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->names = nvg_sensor_names_new();
    self->selected = g_strdup("");
    self->conn_state = -1;
    nvg_filter_init(&self->filter);
    setup_list(self);
    g_signal_connect(self->filter_button, "clicked", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->src_entry, "activate", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->dst_entry, "activate", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->port_entry, "activate", G_CALLBACK(on_filter_clicked), self);
    /* Space toggles pause while the list has the focus (not in entries, where it types). */
    GtkEventController *sc = gtk_shortcut_controller_new();
    gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(sc),
                                         gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_space, 0),
                                                          gtk_named_action_new("app.pause")));
    gtk_widget_add_controller(GTK_WIDGET(self->list_view), sc);
    g_signal_connect(self, "realize", G_CALLBACK(on_realize), self);
    show_details(self, NULL);
}

NvgWindow *nvg_window_new(GtkApplication *app, const struct nvg_viewer_config *config)
{
    NvgWindow *self = g_object_new(NVG_TYPE_WINDOW, "application", app, NULL);
    self->config.feed_ep = g_strdup(config->feed_ep);
    self->config.control_ep = g_strdup(config->control_ep);
    self->config.ring_size = config->ring_size;
    self->config.zctx = config->zctx;
    self->store = nvg_packet_store_new(config->ring_size, self->names);
    self->selection = gtk_single_selection_new(G_LIST_MODEL(g_object_ref(self->store)));
    gtk_single_selection_set_autoselect(self->selection, FALSE);
    gtk_single_selection_set_can_unselect(self->selection, TRUE);
    g_signal_connect(self->selection, "notify::selected-item", G_CALLBACK(on_selected), self);
    gtk_list_view_set_model(self->list_view, GTK_SELECTION_MODEL(self->selection));

    char ep[700];
    g_snprintf(ep, sizeof(ep), "feed %s · control %s", config->feed_ep, config->control_ep);
    gtk_label_set_text(self->status_endpoint, ep);
    gtk_window_set_title(GTK_WINDOW(self), "netvigil");

    GError *error = NULL;
    /* hand-over buffer: ~0.65 s of a 100k records/s feed, never more than the ring can show */
    guint pending = MIN(nvg_packet_store_get_capacity(self->store), 65536u);
    self->feed = nvg_feed_new(config->zctx, config->feed_ep, config->control_ep, pending,
                              self->names, &error);
    if (!self->feed) {
        self->feed_error = g_strdup(error->message);
        g_warning("%s", error->message);
        g_error_free(error);
    }
    nvg__window_fleet_init(self);
    self->stats = g_getenv("NVG_VIEWER_STATS") && g_str_equal(g_getenv("NVG_VIEWER_STATS"), "1");
    self->stats_t0 = g_get_monotonic_time();
    if (self->stats)
        self->stats_tick_id = g_timeout_add(10, stats_tick, self);
    self->rate_t0 = g_get_monotonic_time();
    self->drain_id = g_timeout_add(DRAIN_INTERVAL_MS, drain, self);
    return self;
}
