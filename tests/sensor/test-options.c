/* Unit tests for sensor/sensor-options.c: netvigil-sensor's command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nvg-error.h"
#include "sensor-options.h"

struct parsed {
    struct nvg_sensor_opts o;
    char err[NVG_ERRBUF_SIZE];
    char out[8192];
    int rc;
};

/* Parses a NULL-terminated argument list (argv[0] is added). */
static int parse(struct parsed *r, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "netvigil-sensor";
    va_list ap;
    va_start(ap, r);
    char *a;
    while ((a = va_arg(ap, char *)) != NULL && argc < 31)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    memset(r->out, 0, sizeof(r->out));
    FILE *out = fmemopen(r->out, sizeof(r->out) - 1, "w");
    assert_non_null(out);
    r->rc = nvg_options_parse(&r->o, argc, argv, out, r->err);
    fclose(out);
    return r->rc;
}

static void expect_error(struct parsed *r, const char *fragment)
{
    assert_int_equal(r->rc, NVG_EINVAL);
    if (!strstr(r->err, fragment))
        fail_msg("error '%s' does not mention '%s'", r->err, fragment);
}

static void test_defaults(void **state)
{
    (void)state;
    struct parsed r;
    assert_int_equal(parse(&r, "-i", "lo", NULL), NVG_OPTS_RUN);
    assert_string_equal(r.o.iface, "lo");
    assert_null(r.o.file);
    assert_null(r.o.filter);
    assert_int_equal(r.o.snaplen, 262144);
    assert_int_equal(r.o.buffer_bytes, 32u << 20);
    assert_true(r.o.promisc);
    assert_null(r.o.csv_path);
    assert_true(r.o.print); /* implied when no output is chosen */
    assert_int_equal(r.o.count, 0);
    assert_int_equal(r.o.payload, 0);
    char host[256] = "";
    gethostname(host, sizeof(host));
    host[NVG_SENSOR_NAME_MAX] = '\0';
    if (host[0])
        assert_string_equal(r.o.name, host);
    assert_true(strlen(r.o.name) > 0);
}

static void test_all_options(void **state)
{
    (void)state;
    struct parsed r;
    assert_int_equal(parse(&r, "--read", "x.pcap", "--filter", "tcp port 80", "--name", "edge-1",
                           "--snaplen", "96", "--buffer-size", "64", "--no-promisc", "--csv",
                           "out.csv", "--print", "--count", "1000", "--payload", "16", NULL),
                     NVG_OPTS_RUN);
    assert_string_equal(r.o.file, "x.pcap");
    assert_string_equal(r.o.filter, "tcp port 80");
    assert_string_equal(r.o.name, "edge-1");
    assert_int_equal(r.o.snaplen, 96);
    assert_int_equal(r.o.buffer_bytes, 64u << 20);
    assert_false(r.o.promisc);
    assert_string_equal(r.o.csv_path, "out.csv");
    assert_true(r.o.print);
    assert_int_equal(r.o.count, 1000);
    assert_int_equal(r.o.payload, 16);

    assert_int_equal(parse(&r, "-r", "-", "-f", "udp", "-n", "a,b", "-s", "65535", "-B", "512k",
                           "--csv", "-", NULL),
                     NVG_OPTS_RUN);
    assert_string_equal(r.o.file, "-");
    assert_string_equal(r.o.name, "a,b");
    assert_int_equal(r.o.snaplen, 65535);
    assert_int_equal(r.o.buffer_bytes, 512u << 10);
    assert_false(r.o.print); /* --csv alone: no text */
    assert_int_equal(parse(&r, "--interface=eth0", "--csv=-", NULL), NVG_OPTS_RUN);
    assert_string_equal(r.o.iface, "eth0");
    assert_string_equal(r.o.csv_path, "-");
}

static void test_filter_from_arguments(void **state)
{
    (void)state;
    struct parsed r;
    assert_int_equal(parse(&r, "-i", "lo", "tcp", "and", "port", "443", NULL), NVG_OPTS_RUN);
    assert_string_equal(r.o.filter, "tcp and port 443");
    assert_int_equal(parse(&r, "icmp", "-i", "lo", NULL), NVG_OPTS_RUN);
    assert_string_equal(r.o.filter, "icmp");
    parse(&r, "-i", "lo", "-f", "tcp", "udp", NULL);
    expect_error(&r, "filter");
    assert_int_equal(parse(&r, "-i", "lo", "-f", "", NULL), NVG_OPTS_RUN);
    assert_string_equal(r.o.filter, "");
}

static void test_source_required(void **state)
{
    (void)state;
    struct parsed r;
    parse(&r, "-i", "lo", "-r", "x.pcap", NULL);
    expect_error(&r, "-i and -r");
    parse(&r, "--csv", "x.csv", NULL);
    expect_error(&r, "-i IFACE");
    parse(&r, NULL);
    expect_error(&r, "-r FILE");
}

static void test_bad_values(void **state)
{
    (void)state;
    struct parsed r;
    parse(&r, "-i", "lo", "-s", "0", NULL);
    expect_error(&r, "--snaplen");
    parse(&r, "-i", "lo", "-s", "262145", NULL);
    expect_error(&r, "--snaplen");
    parse(&r, "-i", "lo", "-s", "12x", NULL);
    expect_error(&r, "--snaplen");
    parse(&r, "-i", "lo", "--count", "0", NULL);
    expect_error(&r, "--count");
    parse(&r, "-i", "lo", "--count", "-5", NULL);
    expect_error(&r, "--count");
    parse(&r, "-i", "lo", "--payload", "65", NULL);
    expect_error(&r, "--payload");
    parse(&r, "-i", "lo", "-B", "0", NULL);
    expect_error(&r, "--buffer-size");
    parse(&r, "-i", "lo", "-B", "3T", NULL);
    expect_error(&r, "--buffer-size");
    parse(&r, "-i", "lo", "-B", "4G", NULL); /* past what libpcap's int takes */
    expect_error(&r, "--buffer-size");
    parse(&r, "-i", "", NULL);
    expect_error(&r, "interface");
    parse(&r, "-i", "lo", "--csv", "", NULL);
    expect_error(&r, "csv");
}

static void test_names(void **state)
{
    (void)state;
    struct parsed r;
    char name[NVG_SENSOR_NAME_MAX + 2];
    memset(name, 'n', sizeof(name));
    name[NVG_SENSOR_NAME_MAX] = '\0';
    assert_int_equal(parse(&r, "-i", "lo", "-n", name, NULL), NVG_OPTS_RUN);
    assert_string_equal(r.o.name, name);
    name[NVG_SENSOR_NAME_MAX] = 'n';
    name[NVG_SENSOR_NAME_MAX + 1] = '\0';
    parse(&r, "-i", "lo", "-n", name, NULL);
    expect_error(&r, "at most 63");
    parse(&r, "-i", "lo", "--name=", NULL);
    expect_error(&r, "name");
    assert_int_equal(parse(&r, "-i", "lo", "-n", "quote\"d\nname", NULL), NVG_OPTS_RUN);
    assert_string_equal(r.o.name, "quote\"d\nname");
}

static void test_outputs(void **state)
{
    (void)state;
    struct parsed r;
    parse(&r, "-i", "lo", "--csv", "-", "--print", NULL);
    expect_error(&r, "stdout");
    assert_int_equal(parse(&r, "-i", "lo", "--csv", "f.csv", "--print", NULL), NVG_OPTS_RUN);
    assert_true(r.o.print);
}

static void test_usage_errors(void **state)
{
    (void)state;
    struct parsed r;
    parse(&r, "-i", "lo", "--bogus", NULL);
    expect_error(&r, "--bogus");
    parse(&r, "-i", "lo", "-x", NULL);
    expect_error(&r, "-x");
    parse(&r, "-i", NULL);
    expect_error(&r, "needs an argument");
    parse(&r, "-i", "lo", "--count", NULL);
    expect_error(&r, "needs an argument");
}

static void test_help_version(void **state)
{
    (void)state;
    struct parsed r;
    assert_int_equal(parse(&r, "--help", NULL), NVG_OPTS_HELP);
    assert_non_null(strstr(r.out, "Usage: netvigil-sensor"));
    assert_non_null(strstr(r.out, "--buffer-size"));
    assert_non_null(strstr(r.out, "--payload"));
    assert_int_equal(parse(&r, "--version", NULL), NVG_OPTS_HELP);
    assert_non_null(strstr(r.out, "netvigil-sensor " NVG_VERSION));
}

static void test_parse_size(void **state)
{
    (void)state;
    assert_int_equal(nvg_options_parse_size("1"), 1u << 20);
    assert_int_equal(nvg_options_parse_size("2k"), 2048);
    assert_int_equal(nvg_options_parse_size("2KiB"), 2048);
    assert_int_equal(nvg_options_parse_size("3M"), 3u << 20);
    assert_int_equal(nvg_options_parse_size("1G"), 1u << 30);
    assert_int_equal(nvg_options_parse_size("1GB"), 1u << 30);
    assert_int_equal(nvg_options_parse_size(""), 0);
    assert_int_equal(nvg_options_parse_size("k"), 0);
    assert_int_equal(nvg_options_parse_size("1Mx"), 0);
    assert_int_equal(nvg_options_parse_size("2048"), 0); /* 2 GiB: past INT32_MAX */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_options),
        cmocka_unit_test(test_filter_from_arguments),
        cmocka_unit_test(test_source_required),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_parse_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
