/* Command-line options of netvigil-sensor. */
#ifndef NVG_SENSOR_OPTIONS_H
#define NVG_SENSOR_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow-table.h"
#include "nvg-format.h"
#include "nvg-text.h"

#define NVG_SNAPLEN_DEFAULT 262144
#define NVG_SNAPLEN_MAX 262144
#define NVG_BUFFER_DEFAULT (32u << 20) /* kernel ring, bytes */
#define NVG_BATCH_MAX 32768            /* NVG_BATCH_MAX_RECORDS of the wire encoder */
#define NVG_BATCH_DEFAULT 1024
#define NVG_BATCH_MS_DEFAULT 50

struct nvg_sensor_opts {
    const char *iface;           /* -i, live capture */
    const char *file;            /* -r, read a capture file ("-" is stdin) */
    const char *filter;          /* -f or the remaining arguments joined (printable UTF-8, at most
                                  * NVG_TEXT_FILTER_MAX bytes); NULL when none */
    char name[NVG_NAME_MAX + 1]; /* nvg_name_valid */
    int snaplen;
    uint64_t buffer_bytes;
    bool promisc;
    const char *csv_path;        /* --csv, "-" is stdout; NULL when off */
    bool print;                  /* --print (also implied when no other output is asked for) */
    const char *alerts_path;     /* --alerts, "-" is stdout; NULL when off */
    const char *alerts_config;   /* --alerts-config; NULL = the built-in rules */
    uint64_t count;              /* --count, 0 is unlimited */
    unsigned payload;            /* --payload, bytes of payload kept per record */
    const char *collector;       /* -c, endpoint or HOST[:PORT]; NULL: no link */
    unsigned batch_max;          /* --batch-size */
    int batch_ms;                /* --batch-ms */
    bool stopped;                /* --stopped */
    const char *user;            /* --user: who to become when started as root ("root": stay) */
    int seccomp;                 /* --seccomp: enum nvg_seccomp_mode */
    const char *key;             /* --key FILE.key_secret: CURVE to the collector; NULL: none */
    const char *collector_key;   /* --collector-key FILE.key */
    const char *flows_path;      /* --flows, "-" is stdout; NULL when off */
    bool no_flows;               /* --no-flows */
    bool flows;                  /* conversations tracked: (-c or --flows) and not --no-flows */
    struct nvg_flow_config flow; /* --flow-table, --flow-*-timeout */
    const char *spool_dir;       /* --spool: live batches the link cannot take; NULL: none */
    uint64_t spool_size;         /* --spool-size, bytes; 0 until given (NVG_SPOOL_SIZE_DEFAULT) */
    uint64_t pcap_ring;          /* --pcap-ring, bytes of raw frames kept; 0: off */
    char filter_buf[NVG_TEXT_FILTER_MAX + 1];
};

enum {
    NVG_OPTS_RUN = 0,  /* options are fine, capture */
    NVG_OPTS_HELP = 1, /* --help or --version printed; exit 0 */
};

/* Parses argv into *o (fully initialised first). Returns NVG_OPTS_RUN, NVG_OPTS_HELP, or a
 * negative NVG_E* with a one-line reason in err (NVG_ERRBUF_SIZE bytes). Help and version text
 * go to out. Restartable: each call parses from scratch. */
int nvg_options_parse(struct nvg_sensor_opts *o, int argc, char **argv, FILE *out, char *err);
/* With --config FILE the file's options come first ([sensor], then [IFACE] for -i IFACE), the
 * command line over them; its strings stay until exit. */

/* The getopt table: the option list and the config keys (tests). */
const struct option *nvg_sensor_long_options(void);

/* --buffer-size: nvg_parse_size() with bare numbers in MiB ("64", "16M", "512k", "1G"), from
 * 1 byte to INT32_MAX (libpcap takes an int). Returns bytes, or 0 when invalid. */
uint64_t nvg_options_parse_size(const char *s);

#endif
