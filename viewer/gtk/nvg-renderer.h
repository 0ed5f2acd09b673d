/* The GSK renderer the viewer's windows use. GTK 4.8 picks OpenGL whenever a GL context can be
 * made, even when that GL is Mesa's software rasterizer (llvmpipe, softpipe, swrast: VMs,
 * remote desktops, Xvfb), where the cairo renderer is the faster one (bench-viewer.sh at
 * 100,000 records/s: 84-155 ms stalls and 10-15 frames/s with GL on llvmpipe, 32 ms and 39
 * frames/s with cairo). */
#ifndef NVG_RENDERER_H
#define NVG_RENDERER_H

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when an OpenGL renderer string names a software rasterizer. */
gboolean nvg_renderer_is_software_gl(const char *gl_renderer);

/* Call after gtk_init() and before the first window is realized: unless the user set
 * GSK_RENDERER, probe the display's OpenGL and choose cairo for a software one (by setting
 * GSK_RENDERER, which GTK reads when it makes the first renderer). Logs the choice and why. */
void nvg_renderer_choose(void);

G_END_DECLS

#endif
