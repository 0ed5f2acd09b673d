/* The viewer's configuration: what the command line (or later the Connect dialog) says, held
 * once by NvgApplication and read from there by the window. Plain data. */
#ifndef NVG_VIEWER_CONFIG_H
#define NVG_VIEWER_CONFIG_H

#include <glib.h>

struct nvg_viewer_config {
    char *feed_ep, *control_ep; /* the collector's live feed and control endpoints */
    guint ring_size;            /* rows of the packet list, 0 = the store's default */
};

/* dst gets copies of src's strings; dst's old ones are freed. */
void nvg_viewer_config_copy(struct nvg_viewer_config *dst, const struct nvg_viewer_config *src);
/* Frees the strings and zeroes the struct. */
void nvg_viewer_config_clear(struct nvg_viewer_config *config);

#endif
