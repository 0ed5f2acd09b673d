#include "nvg-filter-fields.h"

static const char *const proto_choices[] = {"",    "tcp",  "udp",  "icmp", "icmpv6",
                                            "arp", "ipv4", "ipv6", "other"};

static void read_entry(GtkEntry *entry, char *field, size_t size)
{
    g_autofree char *text = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(entry))));
    if (g_strlcpy(field, text, size) >= size)
        g_strlcpy(field, "?", size);
}

void nvg_filter_widgets_read(const struct nvg_filter_widgets *w, struct nvg_view_fields *f)
{
    guint p = gtk_drop_down_get_selected(w->proto);
    g_strlcpy(f->proto, p < G_N_ELEMENTS(proto_choices) ? proto_choices[p] : "", sizeof(f->proto));
    read_entry(w->src, f->src, sizeof(f->src));
    read_entry(w->dst, f->dst, sizeof(f->dst));
    read_entry(w->port, f->port, sizeof(f->port));
    if (w->both_ways)
        g_strlcpy(f->dir, gtk_toggle_button_get_active(w->both_ways) ? "both" : "", sizeof(f->dir));
}

void nvg_filter_widgets_write(const struct nvg_filter_widgets *w, const struct nvg_view_fields *f)
{
    guint sel = 0;
    for (guint i = 1; i < G_N_ELEMENTS(proto_choices); i++)
        if (g_ascii_strcasecmp(f->proto, proto_choices[i]) == 0)
            sel = i;
    gtk_drop_down_set_selected(w->proto, sel);
    gtk_editable_set_text(GTK_EDITABLE(w->src), f->src);
    gtk_editable_set_text(GTK_EDITABLE(w->dst), f->dst);
    gtk_editable_set_text(GTK_EDITABLE(w->port), f->port);
    if (w->both_ways)
        gtk_toggle_button_set_active(w->both_ways, f->dir[0] != '\0');
}

static void mark(GtkWidget *w, gboolean bad)
{
    if (bad)
        gtk_widget_add_css_class(w, "error");
    else
        gtk_widget_remove_css_class(w, "error");
}

void nvg_filter_widgets_mark(const struct nvg_filter_widgets *w, unsigned bad)
{
    mark(GTK_WIDGET(w->proto), bad & NVG_VIEW_FIELD_PROTO);
    mark(GTK_WIDGET(w->src), bad & NVG_VIEW_FIELD_SRC);
    mark(GTK_WIDGET(w->dst), bad & NVG_VIEW_FIELD_DST);
    mark(GTK_WIDGET(w->port), bad & NVG_VIEW_FIELD_PORT);
    if (w->both_ways)
        mark(GTK_WIDGET(w->both_ways), bad & NVG_VIEW_FIELD_DIR);
}
