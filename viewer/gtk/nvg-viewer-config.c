#include "nvg-viewer-config.h"

#include <string.h>

void nvg_viewer_config_copy(struct nvg_viewer_config *dst, const struct nvg_viewer_config *src)
{
    if (dst == src)
        return;
    struct nvg_viewer_config c = *src;
    c.feed_ep = g_strdup(src->feed_ep);
    c.control_ep = g_strdup(src->control_ep);
    nvg_viewer_config_clear(dst);
    *dst = c;
}

void nvg_viewer_config_clear(struct nvg_viewer_config *config)
{
    g_free(config->feed_ep);
    g_free(config->control_ep);
    memset(config, 0, sizeof(*config));
}
