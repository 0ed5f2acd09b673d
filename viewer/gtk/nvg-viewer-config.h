/* The viewer's configuration: what the command line (or later the Connect dialog) says, held
 * once by NvgApplication and read from there by the window. Plain data. */
#ifndef NVG_VIEWER_CONFIG_H
#define NVG_VIEWER_CONFIG_H

#include <glib.h>

#include "nvg-cert.h"
#include "nvg-feed.h"

#define NVG_VIEWER_MAX_COLLECTORS 16 /* NVG_FEED_MAX_COLLECTORS */

struct nvg_viewer_config {
    char *host;                 /* as typed: "HOST" or "HOST:FEEDPORT"; NULL: endpoints given */
    char *feed_ep, *control_ep; /* the collector's live feed and control endpoints */
    char *key_path;             /* --key FILE.key_secret; NULL: the default, if any */
    char *collector_key_path;   /* --collector-key FILE.key; NULL: the default, if any */
    guint ring_size;            /* rows of the packet list, 0 = the store's default */
    /* Several collectors (--collector given more than once, or a list in the Connect dialog):
     * each "[NAME=]HOST[:PORT]"; feed_ep and control_ep are then the first one's. NULL: one. */
    char **collectors;
};

/* One collector of a list, "[NAME=]HOST[:PORT]": its label (NAME, else HOST[:PORT] as
 * given; at most NVG_VIEW_LABEL_MAX, no '/') and endpoints (as nvg_viewer_config_set_host).
 * FALSE with error set for one that is not. The strings are newly allocated. */
gboolean nvg_viewer_config_parse_collector(const char *spec, char **label, char **feed_ep,
                                           char **control_ep, GError **error);
/* text is one collector or several, separated by commas or spaces: sets host (text as given),
 * feed_ep, control_ep (the first's) and, for several, collectors. FALSE with error set (config
 * unchanged) when one is not a collector or two have the same label. */
gboolean nvg_viewer_config_set_hosts(struct nvg_viewer_config *config, const char *text,
                                     GError **error);

/* dst gets copies of src's strings; dst's old ones are freed. */
void nvg_viewer_config_copy(struct nvg_viewer_config *dst, const struct nvg_viewer_config *src);
/* Frees the strings and zeroes the struct. */
void nvg_viewer_config_clear(struct nvg_viewer_config *config);

/* host is "HOST", "HOST:PORT", "[V6]:PORT" (nvg_zmq_endpoint_split): the feed is tcp://HOST:PORT
 * (default 7701) and control the next port up (7702), as a collector binds them. Sets host,
 * feed_ep and control_ep; FALSE with error set (config unchanged) for a host that is not one. */
gboolean nvg_viewer_config_set_host(struct nvg_viewer_config *config, const char *host,
                                    GError **error);

/* The file the Connect dialog remembers its choice in: $XDG_CONFIG_HOME/netvigil/viewer.ini
 * (newly allocated), NULL when there is no config directory. */
char *nvg_viewer_config_path(void);
/* Reads host, key and collector-key of [collector] from path into the fields still NULL (the
 * command line wins). A missing file, or one that does not parse, is no error here (the
 * defaults; nvg-settings reports and replaces it); FALSE with error set for a host that is not
 * one. */
gboolean nvg_viewer_config_load(struct nvg_viewer_config *config, const char *path, GError **error);
/* Writes host, key and collector-key to path's [collector] (creating its directory, mode
 * 0700), keeping the file's other groups; atomically (a temporary file renamed over it). */
/* kf into path (its directory made, 0700): whole or not at all, mode 0600 (both viewer.ini's
 * writers, this file's [collector] group and nvg-settings' groups). */
gboolean nvg_viewer_config_write(GKeyFile *kf, const char *path, GError **error);
gboolean nvg_viewer_config_save(const struct nvg_viewer_config *config, const char *path,
                                GError **error);

/* Several collectors (config->collectors): each one's label, endpoints and public key (cert0,
 * the one given for all, or NAME.key in the directory given as the collector key) into c and
 * certs, their strings into strings (3 per collector, the caller frees them), *n of them.
 * FALSE with *error set (newly allocated). */
gboolean nvg_viewer_config_collectors(const struct nvg_viewer_config *cfg,
                                      const struct nvg_cert *cert0, gboolean keys,
                                      struct nvg_feed_collector *c, struct nvg_cert *certs,
                                      char **strings, guint *n, char **error);
/* The first collector's key for nvg_cert_load_client: with a directory, NAME.key in it
 * (newly allocated). */
char *nvg_viewer_config_first_collector_key(const struct nvg_viewer_config *cfg);

#endif
