#include "nvg-empty-state.h"

GtkWidget *nvg_empty_state_new(const char *icon_name, const char *title, const char *text)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
    gtk_widget_set_valign(box, GTK_ALIGN_CENTER);
    gtk_widget_set_halign(box, GTK_ALIGN_CENTER);
    g_object_set(box, "margin-start", 24, "margin-end", 24, "margin-top", 24, "margin-bottom", 24,
                 NULL);
    GtkWidget *icon = gtk_image_new_from_icon_name(icon_name);
    gtk_image_set_pixel_size(GTK_IMAGE(icon), 64);
    gtk_widget_add_css_class(icon, "dim-label");
    gtk_box_append(GTK_BOX(box), icon);
    GtkWidget *t = gtk_label_new(title);
    gtk_widget_set_name(t, "empty-title");
    gtk_widget_add_css_class(t, "title-2");
    gtk_label_set_wrap(GTK_LABEL(t), TRUE);
    gtk_box_append(GTK_BOX(box), t);
    GtkWidget *d = gtk_label_new(text);
    gtk_widget_set_name(d, "empty-text");
    gtk_label_set_wrap(GTK_LABEL(d), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(d), 60);
    gtk_label_set_justify(GTK_LABEL(d), GTK_JUSTIFY_CENTER);
    gtk_widget_add_css_class(d, "dim-label");
    gtk_box_append(GTK_BOX(box), d);
    return box;
}

void nvg_empty_state_show(GtkStack *stack, gboolean empty, const char *what)
{
    const char *want = empty ? "empty" : "content";
    if (g_strcmp0(gtk_stack_get_visible_child_name(stack), want) == 0)
        return;
    gtk_stack_set_visible_child_name(stack, want);
    g_debug("empty state: %s %s", what, empty ? "shown" : "hidden");
}
