/* A page's empty state, as the GNOME HIG draws one (AdwStatusPage's layout, from plain GTK
 * widgets): a large dimmed icon, a title saying what is missing, and a line saying why and what
 * brings it. The Sensors, Traffic and Alerts pages put one in a GtkStack beside their content. */
#ifndef NVG_EMPTY_STATE_H
#define NVG_EMPTY_STATE_H

#include <gtk/gtk.h>

/* A new floating widget; its title and text labels are named "empty-title", "empty-text". */
GtkWidget *nvg_empty_state_new(const char *icon_name, const char *title, const char *text);
/* Shows "empty" or "content" of stack; says so in the log (what) when it changes. */
void nvg_empty_state_show(GtkStack *stack, gboolean empty, const char *what);

#endif
