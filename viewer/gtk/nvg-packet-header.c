/* NvgPacketHeader: the packet list's column titles (see nvg-packet-row.h), drawn with the
 * rows' geometry, and the place the user edits the column layout: a click on a title sorts, a
 * drag on a title's right edge resizes, the secondary button opens the columns menu. */
#include "nvg-packet-row-private.h"
#include "nvg-packet-row.h"

#define EDGE_GRAB 5 /* pixels either side of a column's right edge that start a resize */

struct _NvgPacketHeader {
    GtkWidget parent_instance;
    NvgPacketLayout *layout;
    gulong layout_handler;
    struct nvg__fields fields;
    gboolean titles_dirty;
    int resize_column, resize_start_w; /* -1 when not resizing */
    int menu_column;                   /* the column the menu was opened on */
    GtkWidget *menu;                   /* GtkPopoverMenu, a child */
    GSimpleActionGroup *actions;
};

G_DEFINE_FINAL_TYPE(NvgPacketHeader, nvg_packet_header, GTK_TYPE_WIDGET)

static const struct nvg_column_layout *header_layout(NvgPacketHeader *self)
{
    return self->layout ? nvg_packet_layout_get(self->layout) : nvg__default_layout();
}

static void slots(NvgPacketHeader *self, struct nvg__slots *s)
{
    nvg__slots_at(nvg__row_geometry(GTK_WIDGET(self)), header_layout(self),
                  gtk_widget_get_width(GTK_WIDGET(self)), s);
}

/* The column under x, NVG_COL_NONE past the last one. */
static int column_at(NvgPacketHeader *self, double x)
{
    struct nvg__slots s;
    slots(self, &s);
    for (int i = 0; i < s.n; i++)
        if (x >= s.x[i] && x < s.x[i] + s.w[i])
            return s.col[i];
    return NVG_COL_NONE;
}

/* The slot whose right edge is within EDGE_GRAB of x, -1 if none. */
static int edge_at(NvgPacketHeader *self, double x, struct nvg__slots *s)
{
    slots(self, s);
    for (int i = 0; i < s->n; i++)
        if (ABS(x - (s->x[i] + s->w[i])) <= EDGE_GRAB)
            return i;
    return -1;
}

/* ---- drawing ------------------------------------------------------------------------------- */

static void header_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *min,
                           int *nat, int *min_baseline, int *nat_baseline)
{
    nvg__measure(widget, header_layout(NVG_PACKET_HEADER(widget)), orientation, NVG__HEADER_PAD_Y,
                 min, nat);
}

static void set_titles(NvgPacketHeader *self)
{
    const struct nvg_column_layout *l = header_layout(self);
    for (int c = 0; c < NVG__N_COLS; c++) {
        const char *title = nvg_packet_column_title(c);
        g_autofree char *sorted = NULL;
        if (c == l->sort_column)
            sorted = g_strconcat(title, l->descending ? " \u25BE" : " \u25B4", NULL);
        pango_layout_set_text(self->fields.layout[c], sorted ? sorted : title, -1);
    }
    self->titles_dirty = FALSE;
}

static void header_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    NvgPacketHeader *self = NVG_PACKET_HEADER(widget);
    int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
    struct nvg__slots s;
    slots(self, &s);
    if (nvg__fields_prepare(&self->fields, widget, TRUE, &s) || self->titles_dirty)
        set_titles(self);
    GdkRGBA fg, line;
    nvg__fg_color(widget, &fg);
    nvg__draw_separators(snapshot, &s, height, &fg, 0.15f);
    line = fg;
    line.alpha *= 0.18f;
    gtk_snapshot_append_color(snapshot, &line,
                              &GRAPHENE_RECT_INIT(0, (float)height - 1, (float)width, 1));
    nvg__fields_draw(&self->fields, snapshot, &s, (height - nvg__row_geometry(widget)->line_h) / 2,
                     &fg);
}

/* "Columns: Time (UTC), Sensor, ..., Payload" (the shown ones, in order), "; sorted by Length,
 * descending" when sorted: the titles are drawn, so the header says them. */
static void update_label(NvgPacketHeader *self)
{
    const struct nvg_column_layout *l = header_layout(self);
    GString *s = g_string_new("Columns: ");
    for (int i = 0, n = 0; i < NVG__N_COLS; i++) {
        if (l->visible[l->order[i]])
            g_string_append_printf(s, "%s%s", n++ ? ", " : "",
                                   nvg_packet_column_title(l->order[i]));
    }
    if (l->sort_column != NVG_COL_NONE)
        g_string_append_printf(s, "; sorted by %s, %s", nvg_packet_column_title(l->sort_column),
                               l->descending ? "descending" : "ascending");
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, s->str, -1);
    g_string_free(s, TRUE);
}

/* ---- the columns menu ---------------------------------------------------------------------- */

static void sync_actions(NvgPacketHeader *self)
{
    const struct nvg_column_layout *l = header_layout(self);
    for (int c = 0; c < NVG__N_COLS; c++) {
        g_autofree char *name = g_strconcat("show-", nvg_packet_column_name(c), NULL);
        GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self->actions), name);
        g_simple_action_set_state(G_SIMPLE_ACTION(a), g_variant_new_boolean(l->visible[c]));
        /* the last visible column stays */
        g_simple_action_set_enabled(G_SIMPLE_ACTION(a),
                                    !l->visible[c] || nvg_column_layout_n_visible(l) > 1);
    }
    int pos = nvg_column_layout_position(l, self->menu_column);
    GAction *left = g_action_map_lookup_action(G_ACTION_MAP(self->actions), "move-left");
    GAction *right = g_action_map_lookup_action(G_ACTION_MAP(self->actions), "move-right");
    g_simple_action_set_enabled(G_SIMPLE_ACTION(left), pos > 0);
    g_simple_action_set_enabled(G_SIMPLE_ACTION(right), pos >= 0 && pos < NVG__N_COLS - 1);
}

static GMenuModel *build_menu(NvgPacketHeader *self)
{
    GMenu *menu = g_menu_new();
    if (self->menu_column != NVG_COL_NONE) {
        const char *title = nvg_packet_column_title(self->menu_column);
        GMenu *sort = g_menu_new();
        g_autofree char *asc = g_strdup_printf("Sort by %s, _Ascending", title);
        g_autofree char *desc = g_strdup_printf("Sort by %s, _Descending", title);
        g_menu_append(sort, asc, "columns.sort-asc");
        g_menu_append(sort, desc, "columns.sort-desc");
        g_menu_append(sort, "Arrival _Order (unsorted)", "columns.unsort");
        g_menu_append_section(menu, NULL, G_MENU_MODEL(sort));
        g_object_unref(sort);
        GMenu *move = g_menu_new();
        g_autofree char *left = g_strdup_printf("Move %s _Left", title);
        g_autofree char *right = g_strdup_printf("Move %s _Right", title);
        g_menu_append(move, left, "columns.move-left");
        g_menu_append(move, right, "columns.move-right");
        g_menu_append_section(menu, NULL, G_MENU_MODEL(move));
        g_object_unref(move);
    }
    GMenu *show = g_menu_new();
    for (int c = 0; c < NVG__N_COLS; c++) {
        g_autofree char *action = g_strconcat("columns.show-", nvg_packet_column_name(c), NULL);
        g_menu_append(show, nvg_packet_column_title(c), action);
    }
    g_menu_append_section(menu, "Shown Columns", G_MENU_MODEL(show));
    g_object_unref(show);
    GMenu *reset = g_menu_new();
    g_menu_append(reset, "Reset _Columns", "columns.reset");
    g_menu_append_section(menu, NULL, G_MENU_MODEL(reset));
    g_object_unref(reset);
    return G_MENU_MODEL(menu);
}

static void popup_menu(NvgPacketHeader *self, double x, double y)
{
    self->menu_column = column_at(self, x);
    sync_actions(self);
    g_autoptr(GMenuModel) model = build_menu(self);
    gtk_popover_menu_set_menu_model(GTK_POPOVER_MENU(self->menu), model);
    gtk_popover_set_pointing_to(GTK_POPOVER(self->menu), &(GdkRectangle){(int)x, (int)y, 1, 1});
    gtk_popover_popup(GTK_POPOVER(self->menu));
}

static void act_show(GSimpleAction *a, GVariant *state, gpointer data)
{
    NvgPacketHeader *self = data;
    const char *name = g_action_get_name(G_ACTION(a)) + strlen("show-");
    if (self->layout)
        nvg_packet_layout_set_visible(self->layout, nvg_packet_column_from_name(name),
                                      g_variant_get_boolean(state));
    sync_actions(self);
}

static void act_sort(GSimpleAction *a, GVariant *p, gpointer data)
{
    NvgPacketHeader *self = data;
    const char *name = g_action_get_name(G_ACTION(a));
    if (!self->layout)
        return;
    if (strcmp(name, "unsort") == 0)
        nvg_packet_layout_set_sort(self->layout, NVG_COL_NONE, FALSE);
    else if (self->menu_column != NVG_COL_NONE)
        nvg_packet_layout_set_sort(self->layout, self->menu_column, strcmp(name, "sort-desc") == 0);
}

static void act_move(GSimpleAction *a, GVariant *p, gpointer data)
{
    NvgPacketHeader *self = data;
    if (self->layout && self->menu_column != NVG_COL_NONE)
        nvg_packet_layout_move(self->layout, self->menu_column,
                               strcmp(g_action_get_name(G_ACTION(a)), "move-left") == 0 ? -1 : 1);
}

static void act_reset(GSimpleAction *a, GVariant *p, gpointer data)
{
    NvgPacketHeader *self = data;
    if (!self->layout)
        return;
    struct nvg_column_layout l;
    nvg_column_layout_init(&l);
    /* the columns, not the sort: that has its own items */
    l.sort_column = header_layout(self)->sort_column;
    l.descending = header_layout(self)->descending;
    nvg_packet_layout_set(self->layout, &l);
}

static void add_actions(NvgPacketHeader *self)
{
    static const GActionEntry entries[] = {
        {"sort-asc", act_sort, NULL, NULL, NULL, {0}},
        {"sort-desc", act_sort, NULL, NULL, NULL, {0}},
        {"unsort", act_sort, NULL, NULL, NULL, {0}},
        {"move-left", act_move, NULL, NULL, NULL, {0}},
        {"move-right", act_move, NULL, NULL, NULL, {0}},
        {"reset", act_reset, NULL, NULL, NULL, {0}},
    };
    self->actions = g_simple_action_group_new();
    g_action_map_add_action_entries(G_ACTION_MAP(self->actions), entries, G_N_ELEMENTS(entries),
                                    self);
    for (int c = 0; c < NVG__N_COLS; c++) {
        g_autofree char *name = g_strconcat("show-", nvg_packet_column_name(c), NULL);
        GSimpleAction *a = g_simple_action_new_stateful(name, NULL, g_variant_new_boolean(TRUE));
        g_signal_connect(a, "change-state", G_CALLBACK(act_show), self);
        g_action_map_add_action(G_ACTION_MAP(self->actions), G_ACTION(a));
        g_object_unref(a);
    }
    gtk_widget_insert_action_group(GTK_WIDGET(self), "columns", G_ACTION_GROUP(self->actions));
}

/* ---- pointer ------------------------------------------------------------------------------- */

static void on_click(GtkGestureClick *g, int n_press, double x, double y, NvgPacketHeader *self)
{
    guint button = gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(g));
    if (button == GDK_BUTTON_SECONDARY) {
        popup_menu(self, x, y);
        return;
    }
    int c = column_at(self, x);
    if (self->layout && c != NVG_COL_NONE && self->resize_column < 0 &&
        edge_at(self, x, &(struct nvg__slots){0}) < 0)
        nvg_packet_layout_cycle_sort(self->layout, c);
}

static void on_drag_begin(GtkGestureDrag *g, double x, double y, NvgPacketHeader *self)
{
    struct nvg__slots s;
    int i = edge_at(self, x, &s);
    if (i < 0 || !self->layout) {
        gtk_gesture_set_state(GTK_GESTURE(g), GTK_EVENT_SEQUENCE_DENIED);
        return;
    }
    self->resize_column = s.col[i];
    self->resize_start_w = s.w[i];
    gtk_gesture_set_state(GTK_GESTURE(g), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void on_drag_update(GtkGestureDrag *g, double dx, double dy, NvgPacketHeader *self)
{
    if (self->resize_column >= 0)
        nvg_packet_layout_set_width(self->layout, self->resize_column,
                                    self->resize_start_w + (int)dx);
}

static void on_drag_end(GtkGestureDrag *g, double dx, double dy, NvgPacketHeader *self)
{
    self->resize_column = -1;
}

static void on_motion(GtkEventControllerMotion *m, double x, double y, NvgPacketHeader *self)
{
    struct nvg__slots s;
    gboolean edge = self->resize_column >= 0 || edge_at(self, x, &s) >= 0;
    gtk_widget_set_cursor_from_name(GTK_WIDGET(self), edge ? "col-resize" : NULL);
}

static void add_controllers(NvgPacketHeader *self)
{
    GtkGesture *click = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), 0);
    g_signal_connect(click, "released", G_CALLBACK(on_click), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
    GtkGesture *drag = gtk_gesture_drag_new();
    g_signal_connect(drag, "drag-begin", G_CALLBACK(on_drag_begin), self);
    g_signal_connect(drag, "drag-update", G_CALLBACK(on_drag_update), self);
    g_signal_connect(drag, "drag-end", G_CALLBACK(on_drag_end), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));
    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
    gtk_widget_add_controller(GTK_WIDGET(self), motion);
}

/* ---- GObject ------------------------------------------------------------------------------- */

static void on_layout_changed(NvgPacketLayout *layout, NvgPacketHeader *self)
{
    self->titles_dirty = TRUE;
    update_label(self);
    sync_actions(self);
    gtk_widget_queue_resize(GTK_WIDGET(self));
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void nvg_packet_header_set_layout(NvgPacketHeader *self, NvgPacketLayout *layout)
{
    g_return_if_fail(NVG_IS_PACKET_HEADER(self));
    if (nvg_packet_layout_follow(&self->layout, &self->layout_handler, layout,
                                 G_CALLBACK(on_layout_changed), self))
        on_layout_changed(layout, self);
}

static void header_size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
    gtk_popover_present(GTK_POPOVER(NVG_PACKET_HEADER(widget)->menu));
}

static void nvg_packet_header_dispose(GObject *object)
{
    NvgPacketHeader *self = NVG_PACKET_HEADER(object);
    nvg_packet_header_set_layout(self, NULL);
    g_clear_pointer(&self->menu, gtk_widget_unparent);
    g_clear_object(&self->actions);
    nvg__fields_clear(&self->fields);
    G_OBJECT_CLASS(nvg_packet_header_parent_class)->dispose(object);
}

static void nvg_packet_header_class_init(NvgPacketHeaderClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = nvg_packet_header_dispose;
    wc->measure = header_measure;
    wc->snapshot = header_snapshot;
    wc->size_allocate = header_size_allocate;
    gtk_widget_class_set_css_name(wc, "packetheader");
}

static void nvg_packet_header_init(NvgPacketHeader *self)
{
    nvg__fields_init(&self->fields);
    self->resize_column = -1;
    self->menu_column = NVG_COL_NONE;
    self->menu = gtk_popover_menu_new_from_model(NULL);
    gtk_widget_set_parent(self->menu, GTK_WIDGET(self));
    gtk_popover_set_has_arrow(GTK_POPOVER(self->menu), FALSE);
    gtk_widget_set_halign(self->menu, GTK_ALIGN_START);
    add_actions(self);
    add_controllers(self);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self),
                                "Click a title to sort (ascending, descending, arrival order); "
                                "drag a title's right edge to resize; right-click for the "
                                "columns menu (show, hide, move)");
    update_label(self);
}

GtkWidget *nvg_packet_header_new(void)
{
    return g_object_new(NVG_TYPE_PACKET_HEADER, NULL);
}
