/* NvgPage: what every page of the window shares (NvgPacketsPage, NvgSensorsPage,
 * NvgTrafficPage, and the pages to come): the "sensor" property the header bar's sensor
 * selector sets ("" = all sensors), toasts, and a dispose that disposes the concrete page's
 * template.
 *
 * A page subclasses NvgPage, builds itself from its own template, overrides sensor_changed to
 * follow the selection, and clears its own state in its dispose before chaining up. */
#ifndef NVG_PAGE_H
#define NVG_PAGE_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NVG_TYPE_PAGE (nvg_page_get_type())
G_DECLARE_DERIVABLE_TYPE(NvgPage, nvg_page, NVG, PAGE, GtkBox)

struct _NvgPageClass {
    GtkBoxClass parent_class;
    /* The "sensor" property changed; the new value is nvg_page_get_sensor(). */
    void (*sensor_changed)(NvgPage *self);
};

/* "" or NULL = all sensors. Notifies "sensor" and calls sensor_changed when it changes. */
void nvg_page_set_sensor(NvgPage *self, const char *sensor);
/* Never NULL: "" = all sensors. */
const char *nvg_page_get_sensor(NvgPage *self);

/* A short message for the person, through the "window.toast" action: the window shows it, a page
 * outside one has nobody to show it to. */
void nvg_page_toast(NvgPage *self, const char *text);

G_END_DECLS

#endif
