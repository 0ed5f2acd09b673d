#include "nvg-first-run.h"

/* The README's first command, and a collector alone as the packages and the binary start it. */
#define START_HINT                                                                                 \
    "From a netvigil checkout (Debian 12, as root): a collector, a sensor on loopback and "        \
    "a viewer"
#define START_CHECKOUT "bash deploy/run-local.sh"
#define START_PACKAGE_HINT "With the netvigil-collector package installed"
#define START_PACKAGE "sudo systemctl start netvigil-collector"
#define START_BINARY_HINT "Or a collector by hand, listening on this machine only"
#define START_BINARY "netvigil-collector -o ~/netvigil-data"

struct _NvgFirstRun {
    GtkBox parent_instance;
    GtkImage *icon;
    GtkLabel *title, *description;
    GtkWidget *start_box; /* how to start a collector: only while nothing answers */
};

G_DEFINE_FINAL_TYPE(NvgFirstRun, nvg_first_run, GTK_TYPE_BOX)

static GtkLabel *add_label(GtkBox *box, const char *text, const char *css_class)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(l), 70);
    gtk_label_set_justify(GTK_LABEL(l), GTK_JUSTIFY_CENTER);
    if (css_class)
        gtk_widget_add_css_class(l, css_class);
    gtk_box_append(box, l);
    return GTK_LABEL(l);
}

/* A hint and its command, selectable so that it can be copied into a terminal. */
static void add_command(GtkBox *box, const char *hint, const char *command)
{
    GtkLabel *h = add_label(box, hint, "dim-label");
    gtk_label_set_xalign(h, 0);
    gtk_label_set_justify(h, GTK_JUSTIFY_LEFT);
    GtkLabel *c = add_label(box, command, "first-run-command");
    /* selectable to copy it, not focusable: the focus would select it whole on show */
    gtk_label_set_selectable(c, TRUE);
    gtk_widget_set_focusable(GTK_WIDGET(c), FALSE);
    gtk_label_set_xalign(c, 0);
    gtk_widget_set_margin_bottom(GTK_WIDGET(c), 6);
}

static GtkWidget *start_commands(void)
{
    GtkBox *box = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 4));
    gtk_widget_set_halign(GTK_WIDGET(box), GTK_ALIGN_CENTER);
    GtkLabel *heading = add_label(box, "To start a collector on this machine", "heading");
    gtk_label_set_xalign(heading, 0);
    add_command(box, START_HINT, START_CHECKOUT);
    add_command(box, START_PACKAGE_HINT, START_PACKAGE);
    add_command(box, START_BINARY_HINT, START_BINARY);
    return GTK_WIDGET(box);
}

static void nvg_first_run_class_init(NvgFirstRunClass *klass)
{
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "firstrun");
    gtk_widget_class_set_accessible_role(GTK_WIDGET_CLASS(klass), GTK_ACCESSIBLE_ROLE_GROUP);
}

static void nvg_first_run_init(NvgFirstRun *self)
{
    GtkBox *box = GTK_BOX(self);
    gtk_orientable_set_orientation(GTK_ORIENTABLE(self), GTK_ORIENTATION_VERTICAL);
    gtk_box_set_spacing(box, 12);
    gtk_widget_set_valign(GTK_WIDGET(self), GTK_ALIGN_CENTER);
    gtk_widget_set_halign(GTK_WIDGET(self), GTK_ALIGN_CENTER);
    g_object_set(self, "margin-start", 36, "margin-end", 36, "margin-top", 24, "margin-bottom", 24,
                 NULL);
    self->icon = GTK_IMAGE(gtk_image_new_from_icon_name("network-offline-symbolic"));
    gtk_image_set_pixel_size(self->icon, 128);
    gtk_widget_add_css_class(GTK_WIDGET(self->icon), "dim-label");
    gtk_widget_set_margin_bottom(GTK_WIDGET(self->icon), 12);
    gtk_box_append(box, GTK_WIDGET(self->icon));
    self->title = add_label(box, "", "title-1");
    self->description = add_label(box, "", NULL);
    gtk_label_set_max_width_chars(self->description, 90);
    self->start_box = start_commands();
    gtk_widget_set_margin_top(self->start_box, 12);
    gtk_box_append(box, self->start_box);
    GtkWidget *connect = gtk_button_new_with_mnemonic("C_onnect to Collector…");
    gtk_actionable_set_action_name(GTK_ACTIONABLE(connect), "app.connect-dialog");
    gtk_widget_add_css_class(connect, "suggested-action");
    gtk_widget_add_css_class(connect, "pill");
    gtk_widget_set_halign(connect, GTK_ALIGN_CENTER);
    gtk_widget_set_margin_top(connect, 12);
    gtk_box_append(box, connect);
    /* the suggested action has the focus when the page shows: Enter opens the dialog */
    g_signal_connect_swapped(self, "map", G_CALLBACK(gtk_widget_grab_focus), connect);
    nvg_first_run_set(self, NVG_FIRST_RUN_NO_ANSWER, "", NULL);
}

GtkWidget *nvg_first_run_new(void)
{
    return g_object_new(NVG_TYPE_FIRST_RUN, NULL);
}

void nvg_first_run_set(NvgFirstRun *self, enum nvg_first_run_reason reason, const char *where,
                       const char *detail)
{
    g_return_if_fail(NVG_IS_FIRST_RUN(self));
    static const char *const titles[] = {
        [NVG_FIRST_RUN_NO_ANSWER] = "No Collector Answers",
        [NVG_FIRST_RUN_REFUSED] = "The Collector Refused This Viewer",
        [NVG_FIRST_RUN_MISMATCH] = "No Secure Connection to the Collector",
        [NVG_FIRST_RUN_FAILED] = "The Viewer Cannot Connect",
    };
    static const char *const explanations[] = {
        [NVG_FIRST_RUN_NO_ANSWER] = "It connects by itself as soon as a collector answers there.",
        [NVG_FIRST_RUN_REFUSED] = "The collector does not accept this viewer's key: its "
                                  "administrator copies the key into the collector's viewers/ "
                                  "(or admins/) directory and reloads it.",
        [NVG_FIRST_RUN_MISMATCH] = "The collector's key is not the one given, or only one side "
                                   "uses keys.",
        [NVG_FIRST_RUN_FAILED] = "",
    };
    g_autofree char *text =
        g_strdup_printf("The viewer is trying to connect to %s.\n%s%s",
                        where && *where ? where : "?", detail ? detail : "", explanations[reason]);
    /* the window calls this on every drain while the page shows: only changes relayout */
    if (g_strcmp0(gtk_label_get_text(self->title), titles[reason]) != 0)
        gtk_label_set_text(self->title, titles[reason]);
    if (g_strcmp0(gtk_label_get_text(self->description), text) != 0)
        gtk_label_set_text(self->description, text);
    gtk_image_set_from_icon_name(self->icon,
                                 reason == NVG_FIRST_RUN_NO_ANSWER ? "network-offline-symbolic"
                                 : reason == NVG_FIRST_RUN_FAILED  ? "dialog-warning-symbolic"
                                                                   : "dialog-password-symbolic");
    gtk_widget_set_visible(self->start_box, reason == NVG_FIRST_RUN_NO_ANSWER);
}

const char *nvg_first_run_get_title(NvgFirstRun *self)
{
    return gtk_label_get_text(self->title);
}

const char *nvg_first_run_get_description(NvgFirstRun *self)
{
    return gtk_label_get_text(self->description);
}
