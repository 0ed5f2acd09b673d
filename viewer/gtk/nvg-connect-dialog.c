#include "nvg-connect-dialog.h"

struct dialog {
    GtkWindow *window;
    GtkEntry *host, *collector_key, *key;
    struct nvg_settings recent; /* a copy: the collectors connected to lately */
};

static void dialog_free(gpointer data)
{
    struct dialog *d = data;
    nvg_settings_clear(&d->recent);
    g_free(d);
}

/* Choosing a recent collector fills the three fields with what it was connected with. */
static void on_recent(GtkDropDown *drop, GParamSpec *pspec, struct dialog *d)
{
    guint i = gtk_drop_down_get_selected(drop);
    if (i == 0 || i > d->recent.n_recent)
        return; /* the "Choose…" line */
    const struct nvg_recent_collector *r = &d->recent.recent[i - 1];
    gtk_editable_set_text(GTK_EDITABLE(d->host), r->host);
    gtk_editable_set_text(GTK_EDITABLE(d->collector_key), r->collector_key);
    gtk_editable_set_text(GTK_EDITABLE(d->key), r->key);
}

static void add_recent_row(GtkGrid *grid, int row, struct dialog *d)
{
    GtkStringList *items = gtk_string_list_new((const char *const[]){"Choose…", NULL});
    for (guint i = 0; i < d->recent.n_recent; i++) {
        const struct nvg_recent_collector *r = &d->recent.recent[i];
        g_autofree char *item =
            g_strdup_printf("%s%s", r->host, *r->key || *r->collector_key ? " · with keys" : "");
        gtk_string_list_append(items, item);
    }
    GtkWidget *l = gtk_label_new_with_mnemonic("_Recent");
    gtk_label_set_xalign(GTK_LABEL(l), 1);
    gtk_grid_attach(grid, l, 0, row, 1, 1);
    GtkWidget *drop = gtk_drop_down_new(G_LIST_MODEL(items), NULL);
    gtk_widget_set_tooltip_text(drop, "Collectors connected to lately, with their keys");
    gtk_label_set_mnemonic_widget(GTK_LABEL(l), drop);
    g_signal_connect(drop, "notify::selected", G_CALLBACK(on_recent), d);
    gtk_grid_attach(grid, drop, 1, row, 2, 1);
}

static void on_chosen(GtkNativeDialog *chooser, int response, GtkEntry *entry)
{
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser));
        g_autofree char *path = file ? g_file_get_path(file) : NULL;
        if (path)
            gtk_editable_set_text(GTK_EDITABLE(entry), path);
    }
    g_object_unref(chooser);
}

/* GTK 4.8 has no GtkFileDialog (4.10): the native chooser. */
static void on_choose(GtkButton *button, GtkEntry *entry)
{
    GtkWindow *top = GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(button)));
    GtkFileChooserNative *c =
        gtk_file_chooser_native_new(gtk_widget_get_tooltip_text(GTK_WIDGET(button)), top,
                                    GTK_FILE_CHOOSER_ACTION_OPEN, "_Choose", "_Cancel");
    GtkFileFilter *keys = gtk_file_filter_new();
    gtk_file_filter_set_name(keys, "Key files");
    gtk_file_filter_add_pattern(keys, "*.key");
    gtk_file_filter_add_pattern(keys, "*.key_secret");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(c), keys);
    g_object_unref(keys);
    g_signal_connect(c, "response", G_CALLBACK(on_chosen), entry);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(c));
}

static void on_connect(GtkButton *button, struct dialog *d)
{
    const char *host = gtk_editable_get_text(GTK_EDITABLE(d->host));
    GVariant *p =
        g_variant_new("(sss)", host, gtk_editable_get_text(GTK_EDITABLE(d->collector_key)),
                      gtk_editable_get_text(GTK_EDITABLE(d->key)));
    GtkWindow *parent = gtk_window_get_transient_for(d->window);
    gtk_widget_activate_action_variant(GTK_WIDGET(parent), "app.connect", p);
    gtk_window_destroy(d->window);
}

/* One labelled row of the form; a file row gets a "Choose…" button. */
static GtkEntry *add_row(GtkGrid *grid, int row, const char *label, const char *text,
                         const char *placeholder, const char *choose_title)
{
    GtkWidget *l = gtk_label_new_with_mnemonic(label);
    gtk_label_set_xalign(GTK_LABEL(l), 1);
    gtk_grid_attach(grid, l, 0, row, 1, 1);
    GtkWidget *e = gtk_entry_new();
    gtk_editable_set_text(GTK_EDITABLE(e), text ? text : "");
    gtk_entry_set_placeholder_text(GTK_ENTRY(e), placeholder);
    gtk_widget_set_hexpand(e, TRUE);
    gtk_label_set_mnemonic_widget(GTK_LABEL(l), e);
    gtk_grid_attach(grid, e, 1, row, 1, 1);
    if (choose_title) {
        GtkWidget *b = gtk_button_new_with_label("Choose…");
        gtk_widget_set_tooltip_text(b, choose_title);
        g_signal_connect(b, "clicked", G_CALLBACK(on_choose), e);
        gtk_grid_attach(grid, b, 2, row, 1, 1);
    }
    return GTK_ENTRY(e);
}

static GtkWidget *buttons(struct dialog *d)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_set_halign(box, GTK_ALIGN_END);
    GtkWidget *cancel = gtk_button_new_with_mnemonic("_Cancel");
    g_signal_connect_swapped(cancel, "clicked", G_CALLBACK(gtk_window_destroy), d->window);
    GtkWidget *connect = gtk_button_new_with_mnemonic("C_onnect");
    gtk_widget_add_css_class(connect, "suggested-action");
    g_signal_connect(connect, "clicked", G_CALLBACK(on_connect), d);
    gtk_box_append(GTK_BOX(box), cancel);
    gtk_box_append(GTK_BOX(box), connect);
    gtk_window_set_default_widget(d->window, connect);
    return box;
}

void nvg_connect_dialog_present(GtkWindow *parent, const struct nvg_viewer_config *config,
                                const struct nvg_settings *remembered)
{
    struct dialog *d = g_new0(struct dialog, 1);
    nvg_settings_init(&d->recent);
    if (remembered)
        nvg_settings_copy(&d->recent, remembered);
    d->window = GTK_WINDOW(gtk_window_new());
    g_object_set_data_full(G_OBJECT(d->window), "nvg-connect-dialog", d, dialog_free);
    gtk_window_set_title(d->window, "Connect to Collector");
    gtk_window_set_transient_for(d->window, parent);
    gtk_window_set_modal(d->window, TRUE);
    gtk_window_set_default_size(d->window, 560, -1);
    gtk_widget_set_name(GTK_WIDGET(d->window), "connect-dialog");

    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
    g_object_set(box, "margin-start", 18, "margin-end", 18, "margin-top", 18, "margin-bottom", 18,
                 NULL);
    GtkWidget *intro = gtk_label_new("One collector, or a list of them separated by commas "
                                     "(NAME=host labels a collector's sensors NAME/SENSOR). "
                                     "The collector's public key (with several: a directory of "
                                     "NAME.key, or one key for all) and your own key pair, as "
                                     "`netvigil-ctl keygen` writes them. Leave both empty for a "
                                     "collector without keys (or the defaults in "
                                     "~/.config/netvigil/).");
    gtk_label_set_wrap(GTK_LABEL(intro), TRUE);
    gtk_label_set_xalign(GTK_LABEL(intro), 0);
    gtk_widget_add_css_class(intro, "dim-label");
    gtk_box_append(GTK_BOX(box), intro);
    GtkGrid *grid = GTK_GRID(gtk_grid_new());
    gtk_grid_set_row_spacing(grid, 8);
    gtk_grid_set_column_spacing(grid, 8);
    int row = 0;
    if (d->recent.n_recent)
        add_recent_row(grid, row++, d);
    d->host = add_row(grid, row++, "_Collector", config->host ? config->host : "localhost",
                      "host[:port], or several: east=host1, west=host2:7711", NULL);
    gtk_entry_set_activates_default(d->host, TRUE);
    d->collector_key = add_row(grid, row++, "Collector _key", config->collector_key_path,
                               "collector.key", "The collector's public key");
    d->key = add_row(grid, row, "_Own key", config->key_path, "NAME.key_secret",
                     "Your key pair (.key_secret)");

    gtk_box_append(GTK_BOX(box), GTK_WIDGET(grid));
    gtk_box_append(GTK_BOX(box), buttons(d));
    gtk_window_set_child(d->window, box);
    gtk_window_present(d->window);
}
