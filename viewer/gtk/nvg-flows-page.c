#include "nvg-flows-page.h"

#include <string.h>

#include "nvg-filter-fields.h"
#include "nvg-flow-wire.h"
#include "nvg-format.h"
#include "nvg-label-table.h"
#include "nvg-text.h"
#include "nvg-view-filter.h"

/* Request ids of this page: above NvgAlertsPage's (1 << 62 + its count) and NvgSensorsPage's
 * (from 1), so the window can tell whose a reply is. */
#define REQUEST_ID_BASE ((guint64)1 << 63)
#define HOSTS_POLL_MS 1000
/* No answer for this long: ask again (the collector may have restarted, the reply be lost). */
#define HOSTS_TIMEOUT_US (5 * G_USEC_PER_SEC)
/* More than shown, so that the viewer's ordering by the 60 s figure has the candidates (the
 * collector orders by the 10 s one). */
#define HOSTS_ASKED 50

struct _NvgFlowsPage {
    NvgPage parent_instance;

    /* template children */
    GtkDropDown *proto_drop;
    GtkEntry *src_entry, *dst_entry, *port_entry;
    GtkButton *filter_button, *clear_button;
    GtkLabel *filter_error, *caption_label, *empty_title, *empty_label, *hosts_caption;
    GtkStack *list_stack;
    GtkScrolledWindow *list_scroll;
    GtkColumnView *column_view;
    GtkGrid *hosts_grid;

    struct nvg_feed *feed; /* borrowed; NULL: none */
    NvgFlowStore *store;
    GtkCustomFilter *filter;
    GtkFilterListModel *filtered;
    GtkSortListModel *sorted;
    GtkSingleSelection *selection;
    GtkColumnViewColumn *sortable[NVG_FLOW_SORT_COUNT];
    struct nvg_filter flt;         /* the display filter in force */
    struct nvg_view_fields fields; /* ... as text: what nvg-settings keeps */

    guint hosts_id, caption_id, head_id;
    gboolean to_head;                    /* a new order: show its head once sorted */
    guint64 next_request, hosts_request; /* the request waiting for its answer, 0 = none */
    gint64 hosts_t0;
    char **hosts_lines;
};

G_DEFINE_FINAL_TYPE(NvgFlowsPage, nvg_flows_page, NVG_TYPE_PAGE)

enum { PROP_0, PROP_FEED, N_PROPS };
static GParamSpec *props[N_PROPS];

/* ---- the list ------------------------------------------------------------------------------ */

static gboolean update_caption(gpointer data)
{
    NvgFlowsPage *self = data;
    self->caption_id = 0;
    guint listed = g_list_model_get_n_items(G_LIST_MODEL(self->filtered));
    guint held = g_list_model_get_n_items(G_LIST_MODEL(self->store));
    GString *s = g_string_new(NULL);
    g_string_printf(s, "%u listed · %u active · %u held", listed,
                    nvg_flow_store_get_active(self->store), held);
    guint64 dropped = nvg_flow_store_get_dropped(self->store);
    if (dropped)
        g_string_append_printf(s, " · %" G_GUINT64_FORMAT " oldest dropped (list holds %u)",
                               dropped, nvg_flow_store_get_capacity(self->store));
    if (g_strcmp0(gtk_label_get_text(self->caption_label), s->str) != 0)
        gtk_label_set_text(self->caption_label, s->str);
    g_string_free(s, TRUE);
    gtk_stack_set_visible_child_name(self->list_stack, listed ? "list" : "empty");
    gtk_label_set_text(self->empty_title,
                       held ? "No conversation matches" : "No conversations yet");
    gtk_widget_set_visible(GTK_WIDGET(self->empty_label), held == 0);
    return G_SOURCE_REMOVE;
}

/* Coalesced: a burst of records updates the caption once. */
static void on_listed_changed(GListModel *m, guint pos, guint removed, guint added,
                              NvgFlowsPage *self)
{
    if (!self->caption_id)
        self->caption_id = g_timeout_add(100, update_caption, self);
}

void nvg_flows_page_take_flows(NvgFlowsPage *self, const Netvigil__FlowBatch *fb)
{
    g_return_if_fail(NVG_IS_FLOWS_PAGE(self));
    const char *sensor = fb->sensor && *fb->sensor ? fb->sensor : "?";
    struct nvg_flow *v = g_new(struct nvg_flow, MAX(fb->n_flows, 1));
    size_t n = 0;
    for (size_t i = 0; i < fb->n_flows; i++) /* nvg-feed-parse kept only records that pass; */
        n += nvg_flow_from_pb(fb->flows[i], &v[n]) == 0; /* checked again, the gate is cheap */
    nvg_flow_store_apply_batch(self->store, sensor, v, n, g_get_real_time() / 1000);
    g_free(v);
}

/* As `netvigil-ctl flows` (ctl-flows-print.c): a conversation is a packet from orig to resp. */
static gboolean flow_match(gpointer item, gpointer data)
{
    NvgFlowsPage *self = data;
    const struct nvg_flow_row *r = nvg_flow_item_get(item);
    const struct nvg_flow *f = &r->flow;
    struct nvg_filter flt = self->flt;
    const char *scope = nvg_page_get_sensor(NVG_PAGE(self));
    if (!flt.sensor[0] && scope[0])
        g_strlcpy(flt.sensor, scope, sizeof(flt.sensor));
    return nvg_flow_filter_match(&flt, r->sensor, f);
}

static void nvg_flows_page_sensor_changed(NvgPage *page)
{
    NvgFlowsPage *self = NVG_FLOWS_PAGE(page);
    if (self->filtered) /* not after dispose */
        gtk_filter_changed(GTK_FILTER(self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static gboolean on_head_due(gpointer data)
{
    NvgFlowsPage *self = data;
    self->head_id = 0;
    GtkAdjustment *v = gtk_scrolled_window_get_vadjustment(self->list_scroll);
    gtk_adjustment_set_value(v, gtk_adjustment_get_lower(v));
    return G_SOURCE_REMOVE;
}

/* After the view laid the new order out: before, it would put its anchor row back in sight. */
static void scroll_to_head(NvgFlowsPage *self)
{
    if (!self->head_id)
        self->head_id = g_timeout_add(100, on_head_due, self);
}

/* A new order: show its head (the heaviest), not wherever the old order left the view. The
 * view keeps its top row in sight as rows move, so the head is shown again once the
 * incremental sort is over. */
static void on_sort_changed(GtkSorter *sorter, GtkSorterChange change, NvgFlowsPage *self)
{
    self->to_head = TRUE;
    scroll_to_head(self);
}

static void on_sort_pending(GtkSortListModel *m, GParamSpec *pspec, NvgFlowsPage *self)
{
    if (self->to_head && gtk_sort_list_model_get_pending(m) == 0) {
        self->to_head = FALSE;
        scroll_to_head(self);
    }
}

void nvg_flows_page_sort(NvgFlowsPage *self, enum nvg_flow_sort key)
{
    g_return_if_fail(NVG_IS_FLOWS_PAGE(self) && (unsigned)key < NVG_FLOW_SORT_COUNT);
    gtk_column_view_sort_by_column(self->column_view, self->sortable[key], GTK_SORT_DESCENDING);
}

/* ---- the display filter -------------------------------------------------------------------- */

static struct nvg_filter_widgets filter_widgets(NvgFlowsPage *self)
{
    return (struct nvg_filter_widgets){self->proto_drop, self->src_entry, self->dst_entry,
                                       self->port_entry, NULL};
}

static void write_fields(NvgFlowsPage *self, const struct nvg_view_fields *f)
{
    struct nvg_filter_widgets w = filter_widgets(self);
    nvg_filter_widgets_write(&w, f);
}

static unsigned apply_fields(NvgFlowsPage *self, const struct nvg_view_fields *fields)
{
    struct nvg_filter f;
    unsigned bad = nvg_view_filter_compile(fields, &f);
    struct nvg_filter_widgets w = filter_widgets(self);
    nvg_filter_widgets_mark(&w, bad);
    gtk_widget_set_visible(GTK_WIDGET(self->filter_error), bad != 0);
    if (bad) {
        gtk_label_set_text(self->filter_error,
                           "Not applied: protocol, addresses (IP or CIDR) or port (0-65535) "
                           "not understood");
        return bad;
    }
    self->flt = f;
    self->fields = *fields;
    gtk_filter_changed(GTK_FILTER(self->filter), GTK_FILTER_CHANGE_DIFFERENT);
    return 0;
}

static void on_filter_clicked(GtkWidget *button, NvgFlowsPage *self)
{
    struct nvg_view_fields f;
    nvg_view_fields_clear(&f);
    struct nvg_filter_widgets w = filter_widgets(self);
    nvg_filter_widgets_read(&w, &f);
    apply_fields(self, &f);
}

static void on_clear_clicked(GtkWidget *w, NvgFlowsPage *self)
{
    struct nvg_view_fields f;
    nvg_view_fields_clear(&f);
    write_fields(self, &f);
    apply_fields(self, &f);
}

gboolean nvg_flows_page_apply_filter_spec(NvgFlowsPage *self, const char *spec, GError **error)
{
    g_return_val_if_fail(NVG_IS_FLOWS_PAGE(self), FALSE);
    struct nvg_view_fields f;
    unsigned bad = nvg_view_fields_parse(spec, &f);
    if (!bad) {
        write_fields(self, &f);
        bad = apply_fields(self, &f);
    }
    if (bad)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "conversation filter %s not applied (fields 0x%x)", spec, bad);
    return bad == 0;
}

char *nvg_flows_page_dup_filter_spec(NvgFlowsPage *self)
{
    g_return_val_if_fail(NVG_IS_FLOWS_PAGE(self), NULL);
    return nvg_view_fields_to_spec(&self->fields);
}

/* ---- activation ------------------------------------------------------------------------------ */

static int64_t floor_sec(int64_t ns)
{
    return ns >= 0 ? ns / 1000000000 : -((-(ns + 1)) / 1000000000) - 1;
}

/* The packet display filter of a conversation: its protocol, originator and responder either
 * way round (both directions), the
 * responder's port, its sensor and its time span (whole seconds, TO's second included; open at
 * the end while it goes on, since its packets are still coming). */
static char *flow_spec(const struct nvg_flow_row *r)
{
    const struct nvg_flow *f = &r->flow;
    char o[48], d[48], from[NVG_TIME_ISO_SEC_MAX], to[NVG_TIME_ISO_SEC_MAX] = "";
    nvg_format_addr(o, f->orig, f->ip_version);
    nvg_format_addr(d, f->resp, f->ip_version);
    nvg_format_time_iso_sec(from, floor_sec(f->first_ns));
    if (f->end != NVG_FLOW_ACTIVE)
        nvg_format_time_iso_sec(to, floor_sec(f->last_ns));
    g_autofree char *proto = g_ascii_strdown(nvg_proto_name((enum nvg_proto)f->proto), -1);
    GString *s = g_string_new(NULL);
    g_string_printf(s, "proto=%s;src=%s;dst=%s;dir=both", proto, o, d);
    if (f->flags & NVG_FLOW_HAS_PORTS)
        g_string_append_printf(s, ";port=%u", f->resp_port);
    if (nvg_name_valid(r->sensor)) /* an escaped name matches no record */
        g_string_append_printf(s, ";sensor=%s", r->sensor);
    g_string_append_printf(s, ";time=%s..%s", from, to);
    return g_string_free(s, FALSE);
}

static void on_activate(GtkColumnView *cv, guint pos, NvgFlowsPage *self)
{
    g_autoptr(NvgFlowItem) item = g_list_model_get_item(G_LIST_MODEL(self->sorted), pos);
    if (!item)
        return;
    g_autofree char *spec = flow_spec(nvg_flow_item_get(item));
    g_info("flows: conversation %" G_GUINT64_FORMAT " activated: display filter %s",
           nvg_flow_item_get(item)->flow.id, spec);
    gtk_widget_activate_action(GTK_WIDGET(self), "app.apply-filter", "s", spec);
    gtk_widget_activate_action(GTK_WIDGET(self), "app.show-page", "s", "packets");
}

gboolean nvg_flows_page_activate(NvgFlowsPage *self, const char *sensor, guint64 id)
{
    g_return_val_if_fail(NVG_IS_FLOWS_PAGE(self), FALSE);
    GListModel *m = G_LIST_MODEL(self->sorted);
    for (guint i = 0; i < g_list_model_get_n_items(m); i++) {
        g_autoptr(NvgFlowItem) item = g_list_model_get_item(m, i);
        const struct nvg_flow_row *r = nvg_flow_item_get(item);
        if (r->flow.id != id || strcmp(r->sensor, sensor) != 0)
            continue;
        gtk_single_selection_set_selected(self->selection, i);
        g_signal_emit_by_name(self->column_view, "activate", i); /* as Enter would */
        return TRUE;
    }
    return FALSE;
}

/* ---- per-host bandwidth ---------------------------------------------------------------------- */

static gboolean on_hosts_poll(gpointer data)
{
    NvgFlowsPage *self = data;
    gint64 now = g_get_monotonic_time();
    /* only while someone looks: the collector answers every viewer's poll */
    if (!self->feed || !gtk_widget_get_mapped(GTK_WIDGET(self)) ||
        (self->hosts_request && now - self->hosts_t0 < HOSTS_TIMEOUT_US))
        return G_SOURCE_CONTINUE;
    self->hosts_request = REQUEST_ID_BASE + ++self->next_request;
    self->hosts_t0 = now;
    nvg_feed_request_hosts(self->feed, self->hosts_request, HOSTS_ASKED);
    return G_SOURCE_CONTINUE;
}

static gboolean host_usable(const Netvigil__HostTotal *h)
{
    return (h->addr.len == 4 && h->ip_version == 4) || (h->addr.len == 16 && h->ip_version == 6);
}

static double host_rate(const Netvigil__HostTotal *h)
{
    return h->in_per_s_60s + h->out_per_s_60s;
}

static int host_cmp(gconstpointer a, gconstpointer b)
{
    double x = host_rate(*(Netvigil__HostTotal *const *)a),
           y = host_rate(*(Netvigil__HostTotal *const *)b);
    return x < y ? 1 : x > y ? -1 : 0;
}

static void host_row(NvgFlowsPage *self, int row, const Netvigil__HostTotal *h, GPtrArray *lines)
{
    char addr[48], in[32], out[32], conv[32], retr[32], total[32];
    nvg_format_addr(addr, h->addr.data, (int)h->ip_version);
    nvg_flow_format_bytes(in, sizeof(in), h->in_per_s_60s, "B/s");
    nvg_flow_format_bytes(out, sizeof(out), h->out_per_s_60s, "B/s");
    nvg_format_thousands(conv, sizeof(conv), h->conversations);
    if (h->tcp_frames)
        g_snprintf(retr, sizeof(retr), "%.2f %%",
                   100.0 * (double)h->tcp_retransmissions / (double)h->tcp_frames);
    else
        g_strlcpy(retr, "—", sizeof(retr));
    double bytes = (double)h->bytes_in + (double)h->bytes_out;
    nvg_flow_format_bytes(total, sizeof(total), bytes, "B");
    const char *cells[] = {addr, in, out, conv, retr, total};
    for (int c = 0; c < (int)G_N_ELEMENTS(cells); c++)
        nvg_label_table_cell(self->hosts_grid, c, row, cells[c], c > 0, c == 0);
    g_ptr_array_add(lines,
                    g_strdup_printf("%s %.0f %.0f", addr, h->in_per_s_60s, h->out_per_s_60s));
}

static void show_hosts(NvgFlowsPage *self, const Netvigil__ControlReply *r)
{
    static const char *const titles[] = {"Host",          "In (60 s)", "Out (60 s)",
                                         "Conversations", "TCP retr.", "Bytes in+out"};
    g_autofree Netvigil__HostTotal **v = g_new(Netvigil__HostTotal *, r->n_hosts + 1);
    size_t usable = 0;
    for (size_t i = 0; i < r->n_hosts; i++)
        if (host_usable(r->hosts[i])) /* a host we cannot name is no answer to "who" */
            v[usable++] = r->hosts[i];
    qsort(v, usable, sizeof(*v), host_cmp);
    nvg_label_table_clear(self->hosts_grid);
    nvg_label_table_header(self->hosts_grid, titles, G_N_ELEMENTS(titles), 1, 5, 1u << 0);
    GPtrArray *lines = g_ptr_array_new();
    size_t n = MIN(usable, (size_t)NVG_FLOWS_HOSTS_SHOWN);
    for (size_t i = 0; i < n; i++)
        host_row(self, (int)i + 1, v[i], lines);
    g_ptr_array_add(lines, NULL);
    g_strfreev(self->hosts_lines);
    self->hosts_lines = (char **)g_ptr_array_free(lines, FALSE);
    const Netvigil__HostTable *t = r->host_table;
    g_autofree char *cap = g_strdup_printf(
        "Bytes/s over the last 60 s (the collector's figure nearest the chart windows), all "
        "sensors · %" G_GUINT64_FORMAT " hosts tracked%s",
        t ? t->tracked : (guint64)r->n_hosts, n ? "" : " · no conversation records yet");
    gtk_label_set_text(self->hosts_caption, cap);
}

gboolean nvg_flows_page_reply(NvgFlowsPage *self, const struct nvg_feed_msg *m)
{
    g_return_val_if_fail(NVG_IS_FLOWS_PAGE(self), FALSE);
    if (m->request_id < REQUEST_ID_BASE)
        return FALSE;
    if (m->request_id != self->hosts_request)
        return TRUE; /* an earlier poll's, after a timeout */
    self->hosts_request = 0;
    const Netvigil__ControlReply *r = (const Netvigil__ControlReply *)m->pb;
    if (!r || !r->ok) {
        g_autofree char *why = g_strdup_printf("Per-host totals not available: %s",
                                               !r ? (m->error ? m->error : "failed")
                                                  : (r->error && *r->error ? r->error : "refused"));
        gtk_label_set_text(self->hosts_caption, why);
        return TRUE;
    }
    show_hosts(self, r);
    return TRUE;
}

void nvg_flows_page_set_feed(NvgFlowsPage *self, struct nvg_feed *feed)
{
    g_return_if_fail(NVG_IS_FLOWS_PAGE(self));
    if (self->feed == feed)
        return;
    self->feed = feed;
    self->hosts_request = 0;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FEED]);
}

char **nvg_flows_page_get_hosts(NvgFlowsPage *self)
{
    g_return_val_if_fail(NVG_IS_FLOWS_PAGE(self), NULL);
    return g_strdupv(self->hosts_lines ? self->hosts_lines : (char *[]){NULL});
}

/* ---- GObject --------------------------------------------------------------------------------- */

static void nvg_flows_page_dispose(GObject *object)
{
    NvgFlowsPage *self = NVG_FLOWS_PAGE(object);
    g_clear_handle_id(&self->hosts_id, g_source_remove);
    g_clear_handle_id(&self->caption_id, g_source_remove);
    g_clear_handle_id(&self->head_id, g_source_remove);
    GtkSorter *sorter = self->column_view ? gtk_column_view_get_sorter(self->column_view) : NULL;
    if (sorter)
        g_signal_handlers_disconnect_by_data(sorter, self);
    if (self->column_view)
        gtk_column_view_set_model(self->column_view, NULL); /* unbinds every cell */
    g_clear_object(&self->selection);
    g_clear_object(&self->sorted);
    g_clear_object(&self->filtered);
    g_clear_object(&self->store);
    g_clear_pointer(&self->hosts_lines, g_strfreev);
    self->feed = NULL;
    G_OBJECT_CLASS(nvg_flows_page_parent_class)->dispose(object);
}

static void nvg_flows_page_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    if (id == PROP_FEED)
        g_value_set_pointer(value, NVG_FLOWS_PAGE(object)->feed);
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void nvg_flows_page_set_property(GObject *object, guint id, const GValue *value,
                                        GParamSpec *pspec)
{
    if (id == PROP_FEED)
        nvg_flows_page_set_feed(NVG_FLOWS_PAGE(object), g_value_get_pointer(value));
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

#define CHILD(name) gtk_widget_class_bind_template_child(wc, NvgFlowsPage, name)

static void nvg_flows_page_class_init(NvgFlowsPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = nvg_flows_page_dispose;
    oc->get_property = nvg_flows_page_get_property;
    oc->set_property = nvg_flows_page_set_property;
    NVG_PAGE_CLASS(klass)->sensor_changed = nvg_flows_page_sensor_changed;
    props[PROP_FEED] = g_param_spec_pointer(
        "feed", NULL, NULL, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    gtk_widget_class_set_template_from_resource(wc, "/org/netvigil/Viewer/nvg-flows-page.ui");
    CHILD(proto_drop);
    CHILD(src_entry);
    CHILD(dst_entry);
    CHILD(port_entry);
    CHILD(filter_button);
    CHILD(clear_button);
    CHILD(filter_error);
    CHILD(caption_label);
    CHILD(empty_title);
    CHILD(empty_label);
    CHILD(hosts_caption);
    CHILD(list_stack);
    CHILD(list_scroll);
    CHILD(column_view);
    CHILD(hosts_grid);
}

static void connect_signals(NvgFlowsPage *self)
{
    g_signal_connect(self->column_view, "activate", G_CALLBACK(on_activate), self);
    g_signal_connect(self->filtered, "items-changed", G_CALLBACK(on_listed_changed), self);
    g_signal_connect(self->filter_button, "clicked", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->clear_button, "clicked", G_CALLBACK(on_clear_clicked), self);
    g_signal_connect(self->src_entry, "activate", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->dst_entry, "activate", G_CALLBACK(on_filter_clicked), self);
    g_signal_connect(self->port_entry, "activate", G_CALLBACK(on_filter_clicked), self);
}

static void nvg_flows_page_init(NvgFlowsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    nvg_filter_init(&self->flt);
    self->store = nvg_flow_store_new(0);
    self->filter = gtk_custom_filter_new(flow_match, self, NULL);
    self->filtered = gtk_filter_list_model_new(G_LIST_MODEL(g_object_ref(self->store)),
                                               GTK_FILTER(self->filter));
    nvg_flow_columns_add(self->column_view, self->sortable);
    GtkSorter *sorter = gtk_column_view_get_sorter(self->column_view);
    self->sorted = gtk_sort_list_model_new(G_LIST_MODEL(g_object_ref(self->filtered)),
                                           sorter ? g_object_ref(sorter) : NULL);
    /* a resort of 20,000 rows in steps: the main loop keeps drawing and draining meanwhile */
    gtk_sort_list_model_set_incremental(self->sorted, TRUE);
    if (sorter)
        g_signal_connect_object(sorter, "changed", G_CALLBACK(on_sort_changed), self, 0);
    g_signal_connect(self->sorted, "notify::pending", G_CALLBACK(on_sort_pending), self);
    self->selection = gtk_single_selection_new(G_LIST_MODEL(g_object_ref(self->sorted)));
    gtk_single_selection_set_autoselect(self->selection, FALSE);
    gtk_single_selection_set_can_unselect(self->selection, TRUE);
    gtk_column_view_set_model(self->column_view, GTK_SELECTION_MODEL(self->selection));
    connect_signals(self);
    self->hosts_id = g_timeout_add(HOSTS_POLL_MS, on_hosts_poll, self);
    update_caption(self);
}

GtkWidget *nvg_flows_page_new(struct nvg_feed *feed)
{
    return g_object_new(NVG_TYPE_FLOWS_PAGE, "feed", feed, NULL);
}

NvgFlowStore *nvg_flows_page_get_store(NvgFlowsPage *self)
{
    g_return_val_if_fail(NVG_IS_FLOWS_PAGE(self), NULL);
    return self->store;
}

GListModel *nvg_flows_page_get_model(NvgFlowsPage *self)
{
    g_return_val_if_fail(NVG_IS_FLOWS_PAGE(self), NULL);
    return G_LIST_MODEL(self->sorted);
}
