/* What the viewer remembers (nvg-settings): every field comes back from viewer.ini; a save keeps
 * the Connect dialog's [collector] group and any other; the recent list is newest first, moves a
 * collector up instead of listing it twice and drops the oldest past its bound; a file that does
 * not parse, or a value of the wrong type, is an error with the defaults in hand; a value out of
 * range falls back alone; the file is written with mode 0600. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-settings.h"
#include "nvg-viewer-config.h"

static char *tmp_path(char **dir)
{
    *dir = g_dir_make_tmp("nvg-settings-XXXXXX", NULL);
    assert_non_null(*dir);
    return g_build_filename(*dir, "netvigil", "viewer.ini", NULL);
}

static void remove_tree(char *dir, char *path)
{
    g_unlink(path);
    g_autofree char *aside = g_strdup_printf("%s.corrupt", path);
    g_unlink(aside);
    g_autofree char *sub = g_path_get_dirname(path);
    g_rmdir(sub);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

static void write_file(const char *path, const char *text)
{
    g_autofree char *sub = g_path_get_dirname(path);
    g_mkdir_with_parents(sub, 0700);
    assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void test_round_trip(void **state)
{
    (void)state;
    char *dir, *path = tmp_path(&dir);
    struct nvg_settings s, back;
    nvg_settings_init(&s);
    nvg_settings_init(&back);
    s.width = 1111;
    s.height = 777;
    s.maximized = TRUE;
    s.page = g_strdup("traffic");
    s.packet_filter = g_strdup("proto=udp;port=53");
    s.flow_filter = g_strdup("proto=tcp;src=10.0.0.0/8");
    s.chart_bytes = TRUE;
    s.chart_window = 900;
    s.column_layout = g_strdup("time:120,src:200,-payload");
    nvg_settings_add_recent(&s, "east=10.0.1.5, west=10.0.2.5", "/k/dir", "/k/me.key_secret");
    nvg_settings_add_recent(&s, "localhost", NULL, NULL);
    assert_true(nvg_settings_save(&s, path, NULL));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(nvg_settings_load(&back, path, NULL));
    assert_int_equal(back.width, 1111);
    assert_int_equal(back.height, 777);
    assert_true(back.maximized);
    assert_string_equal(back.page, "traffic");
    assert_string_equal(back.packet_filter, "proto=udp;port=53");
    assert_string_equal(back.flow_filter, "proto=tcp;src=10.0.0.0/8");
    assert_true(back.chart_bytes);
    assert_int_equal(back.chart_window, 900);
    assert_string_equal(back.column_layout, "time:120,src:200,-payload");
    assert_int_equal(back.n_recent, 2);
    assert_string_equal(back.recent[0].host, "localhost");
    assert_string_equal(back.recent[0].key, "");
    assert_string_equal(back.recent[1].host, "east=10.0.1.5, west=10.0.2.5");
    assert_string_equal(back.recent[1].collector_key, "/k/dir");
    assert_string_equal(back.recent[1].key, "/k/me.key_secret");
    g_autofree char *a = nvg_settings_to_data(&s), *b = nvg_settings_to_data(&back);
    assert_string_equal(a, b);
    nvg_settings_clear(&s);
    nvg_settings_clear(&back);
    assert_null(back.page);
    remove_tree(dir, path);
}

/* The Connect dialog's [collector] and nvg-settings' groups share one file: neither save loses
 * the other's. */
static void test_shared_file(void **state)
{
    (void)state;
    char *dir, *path = tmp_path(&dir);
    struct nvg_viewer_config c = {0};
    assert_true(nvg_viewer_config_set_host(&c, "collector.example:7801", NULL));
    assert_true(nvg_viewer_config_save(&c, path, NULL));
    struct nvg_settings s, back;
    nvg_settings_init(&s);
    nvg_settings_init(&back);
    s.page = g_strdup("alerts");
    assert_true(nvg_settings_save(&s, path, NULL));
    struct nvg_viewer_config loaded = {0};
    assert_true(nvg_viewer_config_load(&loaded, path, NULL));
    assert_string_equal(loaded.host, "collector.example:7801");
    assert_true(nvg_viewer_config_save(&c, path, NULL));
    assert_true(nvg_settings_load(&back, path, NULL));
    assert_string_equal(back.page, "alerts");
    nvg_viewer_config_clear(&loaded);
    nvg_viewer_config_clear(&c);
    nvg_settings_clear(&s);
    nvg_settings_clear(&back);
    remove_tree(dir, path);
}

static void test_recent_bound(void **state)
{
    (void)state;
    struct nvg_settings s;
    nvg_settings_init(&s);
    for (int i = 0; i < NVG_SETTINGS_RECENT_MAX + 3; i++) {
        char host[32];
        g_snprintf(host, sizeof(host), "host-%d", i);
        nvg_settings_add_recent(&s, host, "", "");
    }
    assert_int_equal(s.n_recent, NVG_SETTINGS_RECENT_MAX);
    assert_string_equal(s.recent[0].host, "host-10");
    assert_string_equal(s.recent[NVG_SETTINGS_RECENT_MAX - 1].host, "host-3");
    nvg_settings_add_recent(&s, "host-5", "ck", "k"); /* moves up with its new keys */
    assert_int_equal(s.n_recent, NVG_SETTINGS_RECENT_MAX);
    assert_string_equal(s.recent[0].host, "host-5");
    assert_string_equal(s.recent[0].key, "k");
    assert_string_equal(s.recent[1].host, "host-10");
    for (guint i = 1; i < s.n_recent; i++)
        assert_string_not_equal(s.recent[i].host, "host-5");
    nvg_settings_add_recent(&s, "", "", ""); /* nothing */
    assert_string_equal(s.recent[0].host, "host-5");
    nvg_settings_clear(&s);
    assert_int_equal(s.n_recent, 0);
}

static void test_corrupt(void **state)
{
    (void)state;
    char *dir, *path = tmp_path(&dir);
    const char *bad[] = {
        "\x01\xff\xfe not a key file [[[\n", "[window]\nwidth=wide\n",
        "[window]\nmaximized=perhaps\n",     "[traffic]\nwindow=-x\n",
        "[window\npage=traffic\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        write_file(path, bad[i]);
        struct nvg_settings s;
        nvg_settings_init(&s);
        s.page = g_strdup("stale");
        GError *e = NULL;
        assert_false(nvg_settings_load(&s, path, &e));
        assert_non_null(e);
        g_error_free(e);
        assert_null(s.page); /* the defaults */
        assert_int_equal(s.width, 0);
        assert_int_equal(s.chart_window, 60);
        /* and the Connect dialog's reading takes it as no file at all */
        struct nvg_viewer_config c = {0};
        assert_true(nvg_viewer_config_load(&c, path, NULL));
        assert_null(c.host);
        nvg_settings_clear(&s);
    }
    /* out of range: that key's default alone */
    write_file(path, "[window]\nwidth=50\nheight=700\npage=flows\n[traffic]\nwindow=7\n"
                     "unit=bytes\n");
    struct nvg_settings s;
    nvg_settings_init(&s);
    assert_true(nvg_settings_load(&s, path, NULL));
    assert_int_equal(s.width, 0);
    assert_int_equal(s.height, 700);
    assert_string_equal(s.page, "flows");
    assert_int_equal(s.chart_window, 60);
    assert_true(s.chart_bytes);
    /* a save over a file that does not parse replaces it whole */
    write_file(path, "\x01\xff garbage");
    assert_true(nvg_settings_save(&s, path, NULL));
    struct nvg_settings back;
    nvg_settings_init(&back);
    assert_true(nvg_settings_load(&back, path, NULL));
    assert_string_equal(back.page, "flows");
    nvg_settings_clear(&s);
    nvg_settings_clear(&back);
    /* a missing file: defaults, no error */
    g_unlink(path);
    nvg_settings_init(&s);
    assert_true(nvg_settings_load(&s, path, NULL));
    assert_null(s.page);
    remove_tree(dir, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_shared_file),
        cmocka_unit_test(test_recent_bound),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
