#include "nvg-viewer-config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nvg-cert.h"
#include "nvg-error.h"
#include "nvg-sensor-names.h"
#include "nvg-wire.h"
#include "nvg-zmq.h"

#define GROUP "collector"

void nvg_viewer_config_copy(struct nvg_viewer_config *dst, const struct nvg_viewer_config *src)
{
    if (dst == src)
        return;
    struct nvg_viewer_config c = *src;
    c.host = g_strdup(src->host);
    c.feed_ep = g_strdup(src->feed_ep);
    c.control_ep = g_strdup(src->control_ep);
    c.key_path = g_strdup(src->key_path);
    c.collector_key_path = g_strdup(src->collector_key_path);
    c.collectors = g_strdupv(src->collectors);
    nvg_viewer_config_clear(dst);
    *dst = c;
}

void nvg_viewer_config_clear(struct nvg_viewer_config *config)
{
    g_free(config->host);
    g_free(config->feed_ep);
    g_free(config->control_ep);
    g_free(config->key_path);
    g_free(config->collector_key_path);
    g_strfreev(config->collectors);
    memset(config, 0, sizeof(*config));
}

gboolean nvg_viewer_config_set_host(struct nvg_viewer_config *config, const char *host,
                                    GError **error)
{
    char h[NVG_ZMQ_HOST_MAX], feed[NVG_ZMQ_ENDPOINT_MAX], control[NVG_ZMQ_ENDPOINT_MAX];
    int port = 0;
    if (!host || nvg_zmq_endpoint_split(host, h, sizeof(h), &port) < 0 || !h[0] || port >= 65535 ||
        strstr(host, "://")) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "'%s' is not a collector: give HOST or HOST:PORT (the feed port)",
                    host ? host : "");
        return FALSE;
    }
    if (!port)
        port = NVG_PORT_FEED;
    if (nvg_zmq_endpoint(feed, sizeof(feed), h, port) < 0 ||
        nvg_zmq_endpoint(control, sizeof(control), h, port + 1) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "host name too long");
        return FALSE;
    }
    g_free(config->host);
    g_free(config->feed_ep);
    g_free(config->control_ep);
    config->host = g_strdup(host);
    config->feed_ep = g_strdup(feed);
    config->control_ep = g_strdup(control);
    return TRUE;
}

gboolean nvg_viewer_config_parse_collector(const char *spec, char **label, char **feed_ep,
                                           char **control_ep, GError **error)
{
    const char *eq = strchr(spec, '=');
    const char *host = eq ? eq + 1 : spec;
    g_autofree char *name = eq ? g_strndup(spec, (gsize)(eq - spec)) : g_strdup(spec);
    if (!name[0] || strlen(name) > NVG_VIEW_LABEL_MAX || strchr(name, '/') ||
        (eq && !nvg_name_valid(name))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "'%s': a collector's NAME is at most %d letters, digits, '.', '_' or '-'", spec,
                    NVG_VIEW_LABEL_MAX);
        return FALSE;
    }
    struct nvg_viewer_config one = {0};
    if (!nvg_viewer_config_set_host(&one, host, error))
        return FALSE;
    *label = g_steal_pointer(&name);
    *feed_ep = g_steal_pointer(&one.feed_ep);
    *control_ep = g_steal_pointer(&one.control_ep);
    nvg_viewer_config_clear(&one);
    return TRUE;
}

gboolean nvg_viewer_config_set_hosts(struct nvg_viewer_config *config, const char *text,
                                     GError **error)
{
    g_auto(GStrv) parts = g_regex_split_simple("[,\\s]+", text ? text : "", 0, 0);
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; parts[i]; i++) {
        char *label, *feed, *control;
        if (!parts[i][0])
            continue;
        if (!nvg_viewer_config_parse_collector(parts[i], &label, &feed, &control, error))
            return FALSE;
        g_free(feed);
        g_free(control);
        if (!g_hash_table_add(labels, label)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "collector '%s' given twice (NAME=HOST tells them apart)", parts[i]);
            return FALSE;
        }
        g_ptr_array_add(list, g_strdup(parts[i]));
    }
    if (list->len == 0 || list->len > NVG_VIEWER_MAX_COLLECTORS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "give 1 to %d collectors, not '%s'", NVG_VIEWER_MAX_COLLECTORS,
                    text ? text : "");
        return FALSE;
    }
    const char *first = list->pdata[0];
    const char *eq = strchr(first, '=');
    if (!nvg_viewer_config_set_host(config, eq ? eq + 1 : first, error))
        return FALSE;
    g_free(config->host);
    config->host = g_strdup(text);
    g_strfreev(config->collectors);
    config->collectors = NULL;
    if (list->len > 1) {
        g_ptr_array_add(list, NULL);
        config->collectors = (char **)g_ptr_array_steal(list, NULL);
    }
    return TRUE;
}

char *nvg_viewer_config_path(void)
{
    char dir[4096];
    if (nvg_cert_default_dir(dir, sizeof(dir)) < 0)
        return NULL;
    return g_build_filename(dir, "viewer.ini", NULL);
}

/* *field = the file's value of key, unless it is set already or the file has none. */
static void load_string(GKeyFile *kf, const char *key, char **field)
{
    char *v = *field ? NULL : g_key_file_get_string(kf, GROUP, key, NULL);
    if (v && *v)
        *field = v;
    else
        g_free(v);
}

gboolean nvg_viewer_config_load(struct nvg_viewer_config *config, const char *path, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *e = NULL;
    /* A file that does not load is the window's to report (nvg-settings: once, in a toast and
     * the log) and to replace; here it only means the defaults. */
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
        return TRUE;
    if (!config->feed_ep && !config->host) {
        g_autofree char *host = g_key_file_get_string(kf, GROUP, "host", NULL);
        if (host && *host && !nvg_viewer_config_set_hosts(config, host, &e)) {
            g_propagate_prefixed_error(error, e, "%s: [" GROUP "] host: ", path);
            return FALSE;
        }
    }
    load_string(kf, "key", &config->key_path);
    load_string(kf, "collector-key", &config->collector_key_path);
    return TRUE;
}

gboolean nvg_viewer_config_write(GKeyFile *kf, const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        int err = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot create %s: %s", dir,
                    g_strerror(err));
        return FALSE;
    }
    gsize len;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
    return g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                    error);
}

gboolean nvg_viewer_config_save(const struct nvg_viewer_config *config, const char *path,
                                GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    /* the other groups (nvg-settings') stay as they are; a file that does not parse goes */
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL)) {
        g_key_file_free(kf);
        kf = g_key_file_new();
        g_key_file_set_comment(kf, NULL, NULL, " netvigil-viewer: what it remembers", NULL);
    }
    g_key_file_set_string(kf, GROUP, "host", config->host ? config->host : "");
    g_key_file_set_string(kf, GROUP, "key", config->key_path ? config->key_path : "");
    g_key_file_set_string(kf, GROUP, "collector-key",
                          config->collector_key_path ? config->collector_key_path : "");
    return nvg_viewer_config_write(kf, path, error);
}

gboolean nvg_viewer_config_collectors(const struct nvg_viewer_config *cfg,
                                      const struct nvg_cert *cert0, gboolean keys,
                                      struct nvg_feed_collector *c, struct nvg_cert *certs,
                                      char **strings, guint *n, char **error)
{
    gboolean dir =
        cfg->collector_key_path && g_file_test(cfg->collector_key_path, G_FILE_TEST_IS_DIR);
    for (*n = 0; cfg->collectors[*n] && *n < NVG_FEED_MAX_COLLECTORS; (*n)++) {
        GError *e = NULL;
        char **s = strings + 3 * *n;
        if (!nvg_viewer_config_parse_collector(cfg->collectors[*n], &s[0], &s[1], &s[2], &e)) {
            *error = g_strdup(e->message);
            g_error_free(e);
            return FALSE;
        }
        c[*n] = (struct nvg_feed_collector){s[0], s[1], s[2], NULL, NULL};
        certs[*n] = *cert0;
        char err[NVG_ERRBUF_SIZE];
        g_autofree char *path =
            dir ? g_strdup_printf("%s/%s.key", cfg->collector_key_path, s[0]) : NULL;
        if (keys && path && nvg_cert_load(path, &certs[*n], err) < 0) {
            *error = g_strdup_printf("keys: collector %s: %s", s[0], err);
            return FALSE;
        }
    }
    return TRUE;
}

char *nvg_viewer_config_first_collector_key(const struct nvg_viewer_config *cfg)
{
    char *label = NULL, *feed = NULL, *control = NULL;
    if (!cfg->collectors || !cfg->collector_key_path ||
        !g_file_test(cfg->collector_key_path, G_FILE_TEST_IS_DIR) ||
        !nvg_viewer_config_parse_collector(cfg->collectors[0], &label, &feed, &control, NULL))
        return g_strdup(cfg->collector_key_path);
    char *path = g_strdup_printf("%s/%s.key", cfg->collector_key_path, label);
    g_free(label);
    g_free(feed);
    g_free(control);
    return path;
}
