/* The viewer's configuration (nvg-viewer-config): a collector named by host or host:port gives
 * the feed and the control endpoint (the next port up); what the Connect dialog remembers in
 * viewer.ini comes back, and the command line's choice wins over it. And the feed parser's
 * checks on a status (nvg-feed-parse): a summary without its status is left out, a bad name is
 * shown escaped. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-feed-parse.h"
#include "nvg-viewer-config.h"

static void test_set_host(void **state)
{
    (void)state;
    struct nvg_viewer_config c = {0};
    assert_true(nvg_viewer_config_set_host(&c, "collector.example", NULL));
    assert_string_equal(c.feed_ep, "tcp://collector.example:7701");
    assert_string_equal(c.control_ep, "tcp://collector.example:7702");
    assert_true(nvg_viewer_config_set_host(&c, "10.1.2.3:9001", NULL));
    assert_string_equal(c.feed_ep, "tcp://10.1.2.3:9001");
    assert_string_equal(c.control_ep, "tcp://10.1.2.3:9002");
    assert_true(nvg_viewer_config_set_host(&c, "[::1]:7801", NULL));
    assert_string_equal(c.feed_ep, "tcp://[::1]:7801");
    assert_string_equal(c.host, "[::1]:7801");
    const char *bad[] = {"", "host:0", "host:65535", "tcp://h:1", "[::1", "h:x"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *e = NULL;
        assert_false(nvg_viewer_config_set_host(&c, bad[i], &e));
        assert_non_null(e);
        g_error_free(e);
        assert_string_equal(c.feed_ep, "tcp://[::1]:7801"); /* unchanged */
    }
    nvg_viewer_config_clear(&c);
    assert_null(c.feed_ep);
}

static void test_save_load(void **state)
{
    (void)state;
    g_autofree char *dir = g_dir_make_tmp("nvg-viewer-config-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "netvigil", "viewer.ini", NULL);
    struct nvg_viewer_config c = {.key_path = g_strdup("/k/me.key_secret"),
                                  .collector_key_path = g_strdup("/k/collector.key")};
    assert_true(nvg_viewer_config_set_host(&c, "c1:7801", NULL));
    assert_true(nvg_viewer_config_save(&c, path, NULL));

    struct nvg_viewer_config back = {0};
    assert_true(nvg_viewer_config_load(&back, path, NULL));
    assert_string_equal(back.feed_ep, "tcp://c1:7801");
    assert_string_equal(back.key_path, "/k/me.key_secret");
    assert_string_equal(back.collector_key_path, "/k/collector.key");
    nvg_viewer_config_clear(&back);

    /* the command line's endpoints and keys win */
    struct nvg_viewer_config cli = {.feed_ep = g_strdup("tcp://x:1"),
                                    .key_path = g_strdup("/other.key_secret")};
    assert_true(nvg_viewer_config_load(&cli, path, NULL));
    assert_string_equal(cli.feed_ep, "tcp://x:1");
    assert_string_equal(cli.key_path, "/other.key_secret");
    nvg_viewer_config_clear(&cli);

    /* no file: nothing to load, no error */
    struct nvg_viewer_config none = {0};
    assert_true(nvg_viewer_config_load(&none, "/nonexistent/viewer.ini", NULL));
    assert_null(none.feed_ep);
    nvg_viewer_config_clear(&c);
    g_unlink(path);
    g_autofree char *sub = g_path_get_dirname(path);
    g_rmdir(sub);
    g_rmdir(dir);
}

static void test_parse_status(void **state)
{
    (void)state;
    Netvigil__SensorStatus good = NETVIGIL__SENSOR_STATUS__INIT;
    good.sensor = "s1";
    Netvigil__SensorStatus bad = NETVIGIL__SENSOR_STATUS__INIT;
    bad.sensor = "s\xff<b>\x1b";
    bad.source = "\xc3\x28";
    Netvigil__SensorSummary s[3] = {NETVIGIL__SENSOR_SUMMARY__INIT, NETVIGIL__SENSOR_SUMMARY__INIT,
                                    NETVIGIL__SENSOR_SUMMARY__INIT};
    s[1].last_status = &good;
    s[2].last_status = &bad;
    s[2].last_seen_ms = INT64_MAX;
    Netvigil__SensorSummary *list[3] = {&s[0], &s[1], &s[2]};
    Netvigil__CollectorStatus st = NETVIGIL__COLLECTOR_STATUS__INIT;
    st.n_sensors = 3;
    st.sensors = list;
    uint8_t buf[512];
    size_t len = netvigil__collector_status__pack(&st, buf);
    struct nvg_feed_parse_counts c = {0};
    struct nvg_feed_msg *m = nvg_feed_parse(NVG_FEED_STATUS, buf, len, &c);
    assert_non_null(m);
    const Netvigil__CollectorStatus *got = (const Netvigil__CollectorStatus *)m->pb;
    assert_int_equal(got->n_sensors, 2); /* the one without a status is left out */
    assert_int_equal(m->omitted, 1);
    assert_string_equal(got->sensors[0]->last_status->sensor, "s1");
    assert_string_equal(got->sensors[1]->last_status->sensor, "s\\xff<b>\\x1b");
    assert_string_equal(got->sensors[1]->last_status->source, "\\xc3(");
    assert_true(got->sensors[1]->last_seen_ms <= NVG_FEED_TIME_S_MAX * 1000);
    assert_int_equal(c.escaped, 2);
    nvg_feed_msg_free(m);
    /* not a status at all */
    c = (struct nvg_feed_parse_counts){0};
    assert_null(nvg_feed_parse(NVG_FEED_STATUS, "\xff\xff\xff", 3, &c));
    assert_int_equal(c.invalid, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_host),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_parse_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
