/* The viewer's renderer choice: see nvg-renderer.h. */
#include "nvg-renderer.h"

#include <epoxy/gl.h>
#include <gtk/gtk.h>
#include <string.h>

gboolean nvg_renderer_is_software_gl(const char *gl_renderer)
{
    static const char *const software[] = {"llvmpipe", "softpipe", "swrast", "software"};
    if (!gl_renderer)
        return FALSE;
    g_autofree char *lower = g_ascii_strdown(gl_renderer, -1);
    for (gsize i = 0; i < G_N_ELEMENTS(software); i++)
        if (strstr(lower, software[i]))
            return TRUE;
    return FALSE;
}

/* The display's GL_RENDERER string, NULL (with *why) when no GL context can be made. */
static char *probe_gl(const char **why)
{
    GdkDisplay *display = gdk_display_get_default();
    g_autoptr(GError) error = NULL;
    GdkGLContext *ctx = display ? gdk_display_create_gl_context(display, &error) : NULL;
    if (!ctx || !gdk_gl_context_realize(ctx, &error)) {
        *why = error ? g_intern_string(error->message) : "no display";
        g_clear_object(&ctx);
        return NULL;
    }
    gdk_gl_context_make_current(ctx);
    const char *r = (const char *)glGetString(GL_RENDERER);
    char *renderer = g_strdup(r ? r : "");
    gdk_gl_context_clear_current();
    g_object_unref(ctx);
    return renderer;
}

void nvg_renderer_choose(void)
{
    const char *env = g_getenv("GSK_RENDERER");
    if (env && *env) {
        g_message("renderer: %s (GSK_RENDERER is set)", env);
        return;
    }
    const char *why = NULL;
    gint64 t0 = g_get_monotonic_time();
    g_autofree char *gl = probe_gl(&why);
    double ms = (g_get_monotonic_time() - t0) / 1000.0;
    if (!gl) {
        g_message("renderer: GTK's choice (no OpenGL: %s; GTK falls back to cairo)", why);
    } else if (nvg_renderer_is_software_gl(gl)) {
        /* Before any window exists, GTK has not read GSK_RENDERER yet; GTK's own threads (if
         * any) do not read the environment, so setting it here is safe in practice. */
        g_setenv("GSK_RENDERER", "cairo", TRUE);
        g_message("renderer: cairo, as OpenGL is software rendering here (%s: smoother without a "
                  "GPU; probed in %.0f ms); set GSK_RENDERER=gl to use it anyway",
                  gl, ms);
    } else {
        g_message("renderer: GTK's default, OpenGL on %s (probed in %.0f ms; set "
                  "GSK_RENDERER=cairo to override)",
                  gl, ms);
    }
}
