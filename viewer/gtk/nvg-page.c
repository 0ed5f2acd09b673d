#include "nvg-page.h"

typedef struct {
    char *sensor; /* "" = all sensors */
} NvgPagePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(NvgPage, nvg_page, GTK_TYPE_BOX)

enum { PROP_0, PROP_SENSOR, N_PROPS };
static GParamSpec *props[N_PROPS];

void nvg_page_set_sensor(NvgPage *self, const char *sensor)
{
    g_return_if_fail(NVG_IS_PAGE(self));
    NvgPagePrivate *priv = nvg_page_get_instance_private(self);
    if (!sensor)
        sensor = "";
    if (g_str_equal(priv->sensor, sensor))
        return;
    g_free(priv->sensor);
    priv->sensor = g_strdup(sensor);
    if (NVG_PAGE_GET_CLASS(self)->sensor_changed)
        NVG_PAGE_GET_CLASS(self)->sensor_changed(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SENSOR]);
}

const char *nvg_page_get_sensor(NvgPage *self)
{
    g_return_val_if_fail(NVG_IS_PAGE(self), "");
    NvgPagePrivate *priv = nvg_page_get_instance_private(self);
    return priv->sensor;
}

void nvg_page_toast(NvgPage *self, const char *text)
{
    gtk_widget_activate_action(GTK_WIDGET(self), "window.toast", "s", text);
}

/* Runs after the concrete page's dispose (which chains up last), so the page's own state goes
 * before the widgets of its template do. */
static void nvg_page_dispose(GObject *object)
{
    gtk_widget_dispose_template(GTK_WIDGET(object), G_OBJECT_TYPE(object));
    G_OBJECT_CLASS(nvg_page_parent_class)->dispose(object);
}

static void nvg_page_finalize(GObject *object)
{
    NvgPagePrivate *priv = nvg_page_get_instance_private(NVG_PAGE(object));
    g_free(priv->sensor);
    G_OBJECT_CLASS(nvg_page_parent_class)->finalize(object);
}

static void nvg_page_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    if (id == PROP_SENSOR)
        g_value_set_string(value, nvg_page_get_sensor(NVG_PAGE(object)));
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void nvg_page_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
    if (id == PROP_SENSOR)
        nvg_page_set_sensor(NVG_PAGE(object), g_value_get_string(value));
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void nvg_page_class_init(NvgPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = nvg_page_dispose;
    oc->finalize = nvg_page_finalize;
    oc->get_property = nvg_page_get_property;
    oc->set_property = nvg_page_set_property;
    props[PROP_SENSOR] =
        g_param_spec_string("sensor", NULL, NULL, "",
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
}

static void nvg_page_init(NvgPage *self)
{
    NvgPagePrivate *priv = nvg_page_get_instance_private(self);
    priv->sensor = g_strdup("");
}
