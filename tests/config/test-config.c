/* Config files (issue 13): every long option of the collector and the sensor through a file
 * gives the options struct the command line gives; precedence, errors with FILE:LINE,
 * booleans, duplicates, sections, and the collector's reread for SIGHUP.
 *
 * The options come from the programs' own getopt tables (not a copy), so an option added later
 * is tested without touching this file, as long as one of the sample values fits it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "collector-options.h"
#include "nvg-config.h"
#include "sensor-options.h"

/* Tried in order for a required-argument option: the first that the command line accepts and
 * that changes the struct from the defaults is used. */
static const char *const samples[] = {
    "2",
    "3",
    "100",
    "17M",
    "64M",
    "90s",
    "5m",
    "1500ms",
    "2h",
    "1d",
    "10%",
    "log",
    "zstd",
    "gzip",
    "127.0.0.2",
    "sensor2",
    "udp",
    "/tmp/nvg-x",
    "::1",
    "true",
    "tcp://127.0.0.1:7700",
    "127.0.0.1:9100",
    "http://127.0.0.1:8123/?database=netvigil",
};

/* Options some others need, tried when an option is refused alone (the same through argv and
 * through the file). */
static const char *const companions[][8] = {
    {NULL},
    {"read", "x.pcap", NULL},
    {"keys", "/tmp/k", NULL},
    {"read", "x.pcap", "alerts", "/tmp/a", NULL},
    {"read", "x.pcap", "collector", "tcp://127.0.0.1:7700", NULL},
    {"read", "x.pcap", "collector", "tcp://127.0.0.1:7700", "collector-key", "/tmp/c", NULL},
    {"read", "x.pcap", "collector", "tcp://127.0.0.1:7700", "key", "/tmp/s", NULL},
    {"interface", "lo", "collector", "tcp://127.0.0.1:7700", NULL},
    {"interface", "lo", "collector", "tcp://127.0.0.1:7700", "spool", "/tmp/nvg-x", NULL},
    {"clickhouse", "http://127.0.0.1:8123/?database=netvigil", NULL},
};
#define NCOMP (sizeof(companions) / sizeof(companions[0]))

/* Every argv string lives here, so a pointer into it is told from one into a config. */
static char arena[65536];
static size_t arena_used;

static char *keep(const char *s)
{
    size_t n = strlen(s) + 1;
    assert_true(arena_used + n <= sizeof(arena));
    char *p = memcpy(arena + arena_used, s, n);
    arena_used += n;
    return p;
}

static bool in_arena(const void *p)
{
    return (const char *)p >= arena && (const char *)p < arena + sizeof(arena);
}

static char conf_path[64];

static void write_file(const char *text)
{
    FILE *f = fopen(conf_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Byte equality, except that a pointer the argv side holds into the arena may be a pointer to
 * the same string on the file side. */
static bool same_struct(const void *argv_side, const void *file_side, size_t size, char *why)
{
    const unsigned char *a = argv_side, *b = file_side;
    for (size_t off = 0; off + sizeof(void *) <= size; off += sizeof(void *)) {
        if (memcmp(a + off, b + off, sizeof(void *)) == 0)
            continue;
        const char *pa, *pb;
        memcpy(&pa, a + off, sizeof(pa));
        memcpy(&pb, b + off, sizeof(pb));
        if (in_arena(pa) && pb && !in_arena(pb) && strcmp(pa, pb) == 0)
            continue;
        snprintf(why, 200, "differs at byte offset %zu", off);
        return false;
    }
    size_t tail = size % sizeof(void *);
    if (tail && memcmp(a + size - tail, b + size - tail, tail) != 0) {
        snprintf(why, 200, "differs in the last %zu bytes", tail);
        return false;
    }
    return true;
}

/* ---- the two programs behind one interface ---- */

struct prog {
    const char *name, *section;
    const struct option *(*table)(void);
    size_t size;
    /* 0 on success, the struct in out */
    int (*parse)(void *out, int argc, char **argv);
};

/* The configs of the structs being compared, freed once they are. */
static struct nvg_config *held[8];
static size_t nheld;

static void free_held(void)
{
    while (nheld)
        nvg_config_free(held[--nheld]);
}

static int collector_parse(void *out, int argc, char **argv)
{
    struct nvg_collector_options *o = out;
    memset(o, 0, sizeof(*o));
    int rc = nvg_collector_options_parse(o, argc, argv);
    if (o->config) {
        assert_true(nheld < 8);
        held[nheld++] = o->config;
    }
    /* What only says where the options came from. */
    o->config = NULL;
    o->config_path = NULL;
    o->argc = 0;
    o->argv = NULL;
    return rc;
}

static int sensor_parse(void *out, int argc, char **argv)
{
    char err[NVG_ERRBUF_SIZE];
    memset(out, 0, sizeof(struct nvg_sensor_opts));
    return nvg_options_parse(out, argc, argv, stdout, err);
}

static const struct prog progs[] = {
    {"netvigil-collector", "collector", nvg_collector_long_options,
     sizeof(struct nvg_collector_options), collector_parse},
    {"netvigil-sensor", "sensor", nvg_sensor_long_options, sizeof(struct nvg_sensor_opts),
     sensor_parse},
};

/* argv: the companions, then --name [value]. */
static int build_argv(char **argv, const struct prog *p, const char *const *comp, const char *name,
                      const char *value)
{
    int argc = 0;
    argv[argc++] = keep(p->name);
    for (size_t i = 0; comp[i]; i += 2) {
        char opt[64];
        snprintf(opt, sizeof(opt), "--%s", comp[i]);
        argv[argc++] = keep(opt);
        argv[argc++] = keep(comp[i + 1]);
    }
    if (name) {
        char opt[64];
        snprintf(opt, sizeof(opt), "--%s", name);
        argv[argc++] = keep(opt);
        if (value)
            argv[argc++] = keep(value);
    }
    argv[argc] = NULL;
    return argc;
}

static void build_file(const struct prog *p, const char *const *comp, const char *name,
                       const char *value)
{
    char text[1024];
    int n = snprintf(text, sizeof(text), "# generated\n[%s]\n", p->section);
    for (size_t i = 0; comp[i]; i += 2)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "%s = %s\n", comp[i], comp[i + 1]);
    snprintf(text + n, sizeof(text) - (size_t)n, "%s = %s\n", name, value);
    write_file(text);
}

struct pair {
    unsigned char argv_side[sizeof(struct nvg_sensor_opts) + sizeof(struct nvg_collector_options)];
    unsigned char file_side[sizeof(struct nvg_sensor_opts) + sizeof(struct nvg_collector_options)];
    unsigned char base[sizeof(struct nvg_sensor_opts) + sizeof(struct nvg_collector_options)];
};

/* One option through argv and through the file; false when this value or companion set does
 * not fit (the command line refuses it, or it changes nothing). */
static bool try_option(const struct prog *p, const struct option *o, const char *value,
                       const char *const *comp, struct pair *s, bool *done)
{
    char *argv[32];
    char why[200];
    int argc = build_argv(argv, p, comp, NULL, NULL);
    bool base = p->parse(s->base, argc, argv) == 0; /* -i alone: nothing valid without it */
    argc = build_argv(argv, p, comp, o->name, value);
    if (p->parse(s->argv_side, argc, argv) != 0)
        return false;
    if (base && same_struct(s->base, s->argv_side, p->size, why))
        return false; /* the value is the default: proves nothing */
    build_file(p, comp, o->name, value ? value : "true");
    char *fargv[] = {keep(p->name), keep("--config"), keep(conf_path), NULL};
    int rc = p->parse(s->file_side, 3, fargv);
    if (rc != 0)
        fail_msg("%s: --%s %s works on the command line, not in the file", p->name, o->name,
                 value ? value : "");
    if (!same_struct(s->argv_side, s->file_side, p->size, why))
        fail_msg("%s: --%s %s: the file's struct %s", p->name, o->name, value ? value : "", why);
    *done = true;
    return true;
}

/* A secret is a key of the file only: refused on the command line (ps shows it), taken from
 * the file. */
static bool file_only(const struct prog *p, const struct option *o, struct pair *s)
{
    static const char *const names[] = {"clickhouse-password"};
    const char *const comp[] = {"clickhouse", "http://127.0.0.1:8123/?database=netvigil", NULL};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(o->name, names[i]) != 0)
            continue;
        char *argv[32];
        int argc = build_argv(argv, p, comp, o->name, "s3cret");
        if (p->parse(s->argv_side, argc, argv) == 0)
            fail_msg("%s: --%s is taken on the command line", p->name, o->name);
        build_file(p, comp, o->name, "s3cret");
        char *fargv[] = {keep(p->name), keep("--config"), keep(conf_path), NULL};
        if (p->parse(s->file_side, 3, fargv) != 0)
            fail_msg("%s: %s is refused in the file", p->name, o->name);
        return true;
    }
    return false;
}

static void every_option(const struct prog *p)
{
    static struct pair s;
    int tested = 0;
    for (const struct option *o = p->table(); o->name; o++) {
        if (!nvg_config_option(p->table(), o->name))
            continue; /* help, version, config */
        if (file_only(p, o, &s)) {
            tested++;
            arena_used = 0;
            free_held();
            continue;
        }
        bool done = false;
        for (size_t c = 0; c < NCOMP && !done; c++) {
            if (o->has_arg == no_argument) {
                try_option(p, o, NULL, companions[c], &s, &done);
                continue;
            }
            for (size_t v = 0; v < sizeof(samples) / sizeof(samples[0]) && !done; v++)
                try_option(p, o, samples[v], companions[c], &s, &done);
        }
        if (!done)
            fail_msg("%s: no sample value fits --%s: add one to samples[] in %s", p->name, o->name,
                     __FILE__);
        tested++;
        arena_used = 0;
        free_held();
    }
    print_message("%s: %d options compared through argv and through the file\n", p->name, tested);
    assert_true(tested >= 15);
}

static void test_collector_every_option(void **state)
{
    (void)state;
    every_option(&progs[0]);
}

static void test_sensor_every_option(void **state)
{
    (void)state;
    every_option(&progs[1]);
}

/* ---- the collector: precedence, booleans, duplicates, errors, reread ---- */

static int cparse(struct nvg_collector_options *o, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return nvg_collector_options_parse(o, argc, argv);
}

static void test_command_line_wins(void **state)
{
    (void)state;
    write_file("[collector]\nrotate-size = 1M\nfeed-port = 9001\n");
    struct nvg_collector_options o;
    char *before[] = {"c", "--rotate-size", "2M", "--config", conf_path, NULL};
    assert_int_equal(cparse(&o, before), 0);
    assert_int_equal(o.rotate_size, 2u << 20);
    assert_int_equal(o.feed_port, 9001);
    nvg_collector_options_free(&o);
    char *after[] = {"c", "--config", conf_path, "--rotate-size", "3M", NULL};
    assert_int_equal(cparse(&o, after), 0);
    assert_int_equal(o.rotate_size, 3u << 20);
    nvg_collector_options_free(&o);
}

static void test_bools_and_duplicates(void **state)
{
    (void)state;
    static const char *const yes[] = {"true", "yes", "1", "on", "TRUE", "Yes"};
    static const char *const no[] = {"false", "no", "0", "off", "False"};
    char text[128];
    char *argv[] = {"c", "--config", conf_path, NULL};
    struct nvg_collector_options o;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        snprintf(text, sizeof(text), "[collector]\nno-alerts = %s\n", yes[i]);
        write_file(text);
        assert_int_equal(cparse(&o, argv), 0);
        assert_true(o.no_alerts);
        nvg_collector_options_free(&o);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        snprintf(text, sizeof(text), "[collector]\nno-alerts = %s\n", no[i]);
        write_file(text);
        assert_int_equal(cparse(&o, argv), 0);
        assert_false(o.no_alerts);
        nvg_collector_options_free(&o);
    }
    /* The last of a key given twice wins, a flag's false included. */
    write_file(
        "[collector]\nno-alerts = true\nrotate-size = 1M\nno-alerts = no\nrotate-size = 5M\n");
    assert_int_equal(cparse(&o, argv), 0);
    assert_false(o.no_alerts);
    assert_int_equal(o.rotate_size, 5u << 20);
    nvg_collector_options_free(&o);
}

/* The message of a reread over a bad file (the start-up prints the same to stderr). */
static void expect_error(const char *text, const char *fragment)
{
    write_file("[collector]\n");
    struct nvg_collector_options cur, next;
    char *argv[] = {"c", "--config", conf_path, NULL};
    assert_int_equal(cparse(&cur, argv), 0);
    write_file(text);
    char err[NVG_ERRBUF_SIZE] = "";
    assert_int_equal(nvg_collector_options_reread(&cur, &next, err), -1);
    char want[256];
    snprintf(want, sizeof(want), "%s:%s", conf_path, fragment);
    if (!strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
    assert_int_not_equal(cparse(&next, argv), 0); /* and the start refuses it too */
    nvg_collector_options_free(&cur);
}

static void test_errors_name_file_line_key(void **state)
{
    (void)state;
    expect_error("[collector]\nbind = 127.0.0.1\n\nrotate-sise = 3\n",
                 "4: unknown key 'rotate-sise'");
    expect_error("[collector]\nrotate-size = 1x\n", "2: key 'rotate-size': invalid value '1x'");
    expect_error("[collector]\nsensor-port = 70000\n", "2: key 'sensor-port': invalid value");
    expect_error("# c\n[collectr]\n", "2: unknown section '[collectr]'");
    expect_error("[collector]\n[sensor]\nbind = x\n", "2: unknown section '[sensor]'");
    expect_error("[collector]\nno-alerts = maybe\n", "2: key 'no-alerts': 'maybe' is not true");
    expect_error("[collector]\nhelp = true\n", "2: unknown key 'help'");
    expect_error("[collector]\nversion = true\n", "2: unknown key 'version'");
    expect_error("[collector]\nconfig = /etc/x\n", "2: unknown key 'config'");
    expect_error("bind = 127.0.0.1\n", "1: 'bind' outside a [section]");
    expect_error("[collector]\nbind 127.0.0.1\n", "2: syntax error");
    expect_error("[collector]\nout =\n", "2: key 'out' needs a value");
    expect_error("[collector]\nout = /tmp\n  continued\n", "3: indented line");
    char long_line[400] = "[collector]\nout = ";
    memset(long_line + strlen(long_line), 'a', 250);
    strcat(long_line, "\n");
    expect_error(long_line, "2: line longer than");
    /* The options' own rules, after the file. */
    write_file("[collector]\nkey = /tmp/k\n");
    struct nvg_collector_options o;
    char *argv[] = {"c", "--config", conf_path, NULL};
    assert_int_equal(cparse(&o, argv), -1);
    char *missing[] = {"c", "--config", "/nonexistent/collector.conf", NULL};
    assert_int_equal(cparse(&o, missing), -1);
}

static void test_reread(void **state)
{
    (void)state;
    write_file("[collector]\nrotate-size = 1M\nrotate-interval = 1h\n");
    struct nvg_collector_options cur, next;
    char *argv[] = {"c", "--config", conf_path, "--rotate-interval", "5m", NULL};
    assert_int_equal(cparse(&cur, argv), 0);
    write_file("[collector]\nrotate-size = 4M\nrotate-interval = 2h\nbind = localhost\n");
    char err[NVG_ERRBUF_SIZE];
    assert_int_equal(nvg_collector_options_reread(&cur, &next, err), 0);
    assert_int_equal(next.rotate_size, 4u << 20);
    assert_int_equal(next.rotate_interval_s, 300); /* the command line still wins */
    assert_string_equal(next.bind, "localhost");
    assert_true(nvg_collector_option_on_cmdline(&cur, "rotate-interval"));
    assert_false(nvg_collector_option_on_cmdline(&cur, "rotate-size"));
    assert_true(nvg_config_owns(next.config, next.bind));
    nvg_collector_options_free(&next);
    nvg_collector_options_free(&cur);
}

/* ---- the sensor: [sensor] and [IFACE], the filter ---- */

struct sparsed {
    struct nvg_sensor_opts o;
    char err[NVG_ERRBUF_SIZE];
    int rc;
};

static void sparse(struct sparsed *r, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    r->err[0] = '\0';
    r->rc = nvg_options_parse(&r->o, argc, argv, stdout, r->err);
}

static void test_sensor_sections(void **state)
{
    (void)state;
    static struct sparsed r;
    write_file("[sensor]\ncount = 3\nbatch-ms = 20\n[eth0]\ncount = 5\nno-promisc = yes\n"
               "[eth1]\nbatch-size = 7\n");
    char *eth0[] = {"s", "--config", conf_path, "-i", "eth0", NULL};
    sparse(&r, eth0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.o.count, 5);
    assert_int_equal(r.o.batch_ms, 20);
    assert_false(r.o.promisc);
    assert_int_equal(r.o.batch_max, NVG_BATCH_DEFAULT); /* [eth1] is not eth0's */
    char *eth2[] = {"s", "--interface", "eth2", "--config", conf_path, NULL};
    sparse(&r, eth2);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.o.count, 3);
    assert_true(r.o.promisc);
    char *cmd[] = {"s", "--config", conf_path, "-i", "eth0", "--count", "9", NULL};
    sparse(&r, cmd);
    assert_int_equal(r.o.count, 9);
    /* The interface from [sensor] picks its section too. */
    write_file("[sensor]\ninterface = eth1\n[eth1]\ncount = 4\n");
    char *plain[] = {"s", "--config", conf_path, NULL};
    sparse(&r, plain);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.o.iface, "eth1");
    assert_int_equal(r.o.count, 4);
    /* Keys are checked in every section, used or not; section names are interface names. */
    write_file("[sensor]\ncount = 3\n[eth1]\ncuont = 4\n");
    sparse(&r, eth0);
    assert_int_equal(r.rc, NVG_EINVAL);
    assert_non_null(strstr(r.err, ":4: unknown key 'cuont'"));
    write_file("[sensor]\ncount = 3\n[not an interface]\n");
    sparse(&r, eth0);
    assert_int_equal(r.rc, NVG_EINVAL);
    assert_non_null(strstr(r.err, ":3: unknown section '[not an interface]'"));
    write_file("[eth0]\ncount = x\n");
    sparse(&r, eth0);
    assert_non_null(strstr(r.err, ":2: key 'count': --count: 'x' is not a positive number"));
}

static void test_sensor_filter(void **state)
{
    (void)state;
    static struct sparsed r;
    write_file("[sensor]\nfilter = udp port 53\n");
    char *file_only[] = {"s", "--config", conf_path, "-r", "x", NULL};
    sparse(&r, file_only);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.o.filter, "udp port 53");
    /* Filter arguments replace the file's, like -f does. */
    char *args[] = {"s", "--config", conf_path, "-r", "x", "tcp", "port", "80", NULL};
    sparse(&r, args);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.o.filter, "tcp port 80");
    char *dash_f[] = {"s", "--config", conf_path, "-r", "x", "-f", "icmp", NULL};
    sparse(&r, dash_f);
    assert_string_equal(r.o.filter, "icmp");
}

static int setup(void **state)
{
    (void)state;
    snprintf(conf_path, sizeof(conf_path), "/tmp/nvg-test-config-%d.conf", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(conf_path);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collector_every_option),
        cmocka_unit_test(test_sensor_every_option),
        cmocka_unit_test(test_command_line_wins),
        cmocka_unit_test(test_bools_and_duplicates),
        cmocka_unit_test(test_errors_name_file_line_key),
        cmocka_unit_test(test_reread),
        cmocka_unit_test(test_sensor_sections),
        cmocka_unit_test(test_sensor_filter),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
