/* The detection engine: packet records in, alerts with a life (start, updates, end) out.
 *
 * One call per record (nvg_detect_record) updates fixed-size tables chosen at creation and
 * never allocates; one call about once a second (nvg_detect_tick) emits what started, what
 * changed and what ended. Time comes from the records (capture time), so the engine runs the
 * same over a live stream and over a capture file. Not thread-safe: one engine per thread.
 *
 * Windows are tumbling: a tracked key's window starts at its first event and restarts when
 * the window has passed (Zeek's SumStats epochs do the same). Distinct ports and hosts are
 * counted with linear-counting bitmaps (1024 bits), so counts above a few hundred are
 * estimates (about 3% at 1,000). When a table is full the least recently seen entry of the
 * probe window is evicted and counted in nvg_detect_stats. */
#ifndef NVG_DETECT_H
#define NVG_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvg-error.h"
#include "nvg-pkt.h"

/* X(NAME, "name", default severity) */
#define NVG_DETECTORS(X)                                                                           \
    X(PORTSCAN, "portscan", NVG_SEV_MEDIUM)                                                        \
    X(SWEEP, "sweep", NVG_SEV_MEDIUM)                                                              \
    X(SYNFLOOD, "synflood", NVG_SEV_HIGH)                                                          \
    X(UDPFLOOD, "udpflood", NVG_SEV_HIGH)                                                          \
    X(ICMPFLOOD, "icmpflood", NVG_SEV_HIGH)                                                        \
    X(RATE, "rate", NVG_SEV_MEDIUM) /* per-target rate far above its own baseline */               \
    X(BRUTEFORCE, "bruteforce", NVG_SEV_HIGH)                                                      \
    X(POLICY, "policy", NVG_SEV_MEDIUM)                                                            \
    X(ARPSPOOF, "arpspoof", NVG_SEV_HIGH)                                                          \
    X(ARPSTORM, "arpstorm", NVG_SEV_MEDIUM) /* gratuitous-ARP storm */                             \
    X(THRESHOLD, "threshold", NVG_SEV_MEDIUM)                                                      \
    X(DISK, "disk", NVG_SEV_CRITICAL) /* the collector's own: free space below --min-free */

enum nvg_severity { NVG_SEV_LOW = 1, NVG_SEV_MEDIUM, NVG_SEV_HIGH, NVG_SEV_CRITICAL };

enum nvg_detector {
#define NVG__DET_ENUM(name, text, sev) NVG_DET_##name,
    NVG_DETECTORS(NVG__DET_ENUM)
#undef NVG__DET_ENUM
        NVG_DET_COUNT
};

enum nvg_alert_event { NVG_ALERT_START = 1, NVG_ALERT_UPDATE, NVG_ALERT_END };

#define NVG_ALERT_TARGETS 4 /* targets listed by address; n_targets counts them all */
#define NVG_ALERT_SENSORS 4 /* sensor indexes listed; sensors (a bit mask) has them all < 64 */
#define NVG_ALERT_SUMMARY 192
#define NVG_RULE_NAME 32

/* One alert event. The engine fills it and lends it to the callback for the call only. */
struct nvg_alert {
    uint64_t id;         /* unique in this engine, increasing; same id for start/update/end */
    uint8_t event;       /* enum nvg_alert_event */
    uint8_t severity;    /* enum nvg_severity */
    uint8_t detector;    /* enum nvg_detector */
    uint8_t ip_version;  /* of src and targets: 4 or 6 (ARP: 4) */
    uint8_t proto;       /* enum nvg_proto of the traffic (0 when mixed) */
    uint16_t port;       /* the port concerned (sweep, brute force, flood), 0 when none */
    uint8_t probe_kinds; /* port scan: SYN 1, FIN 2, NULL 4, Xmas 8, UDP 16 (or-ed) */
    uint8_t src[16];     /* the source (attacker); for floods from many sources: all zeros */
    uint8_t targets[NVG_ALERT_TARGETS][16];
    uint8_t n_listed;               /* entries of targets[] in use */
    uint32_t n_targets;             /* distinct targets (an estimate past a few hundred) */
    uint8_t mac_old[6], mac_new[6]; /* ARP spoofing: the IP's first MAC and the new claimant */
    uint64_t sensors;               /* bit i: sensor index i saw it (indexes < 64) */
    uint16_t sensor_list[NVG_ALERT_SENSORS];
    uint8_t n_sensors;         /* entries of sensor_list[] in use */
    int64_t first_ns, last_ns; /* record times of the first and last evidence */
    uint64_t packets, bytes;   /* evidence counted since the alert started */
    uint64_t count;            /* the detector's measure: ports, hosts, attempts, peak packets/s */
    uint64_t closed;           /* port scan: probes refused (RST, ICMP port unreachable) */
    char rule[NVG_RULE_NAME];  /* policy/threshold rule name, else "" */
    char summary[NVG_ALERT_SUMMARY]; /* one line for humans */
};

typedef void (*nvg_alert_fn)(const struct nvg_alert *alert, void *ud);

const char *nvg_detector_name(enum nvg_detector det);
int nvg_detector_from_name(const char *name); /* -1 when unknown */
const char *nvg_severity_name(enum nvg_severity sev);
const char *nvg_alert_event_name(enum nvg_alert_event ev);

/* ---- Rules (alerts.conf) ---- */

#define NVG_DETECT_MAX_RULES 64 /* policy rules, threshold rules, allow-list entries: each */
#define NVG_DETECT_MAX_CIDRS 12 /* addresses in one src/dst term */

struct nvg_cidr {
    uint8_t addr[16];
    uint8_t version; /* 4 or 6 */
    uint8_t bits;
};

struct nvg_cidr_set {
    struct nvg_cidr c[NVG_DETECT_MAX_CIDRS];
    uint8_t n;
    bool negate; /* "!a,b": matches addresses outside every entry */
};

/* What a policy or threshold rule selects; an unset term matches everything. */
struct nvg_match {
    int proto; /* enum nvg_proto, -1: any */
    int sport; /* -1: any */
    int dport; /* -1: any */
    struct nvg_cidr_set src, dst;
};

struct nvg_rule {
    char name[NVG_RULE_NAME];
    struct nvg_match m;
    uint8_t severity;
    uint64_t pps, bps; /* threshold rules: limit in packets/s or bytes/s (0: not set) */
};

struct nvg_detect_rules {
    bool enabled[NVG_DET_COUNT];
    /* [portscan] */
    unsigned scan_ports;    /* distinct failed ports of one target (Zeek: 15) */
    int64_t scan_window_ns; /* Zeek: 5 min */
    /* [sweep] */
    unsigned sweep_hosts; /* distinct hosts failed on one port / ICMP echo / ARP (Zeek: 25) */
    int64_t sweep_window_ns;
    /* [synflood] [udpflood] [icmpflood] */
    unsigned syn_rate;            /* SYN/s to one target */
    double syn_ack_ratio;         /* ... with fewer ACK segments than this fraction of the SYNs */
    unsigned udp_rate, icmp_rate; /* packets/s to one target */
    /* [rate] */
    double rate_factor; /* this many times the target's own average */
    unsigned rate_min_pps;
    uint64_t rate_min_bps;
    unsigned rate_warmup_s; /* seconds of history before a baseline counts */
    /* [bruteforce] */
    unsigned bf_attempts; /* connection attempts from one source to one auth service */
    int64_t bf_window_ns;
    uint8_t bf_ports[65536 / 8]; /* bit per port */
    /* [arpspoof] [arpstorm] */
    int64_t arp_hold_ns; /* how long an IP's MAC binding is trusted */
    unsigned garp_rate;  /* gratuitous ARPs per second */
    /* [alerts] */
    int64_t update_ns; /* at most one update per alert per this */
    int64_t quiet_ns;  /* an alert ends after this long without evidence */
    /* [allow], [policy], [threshold] */
    struct nvg_cidr allow[NVG_DETECT_MAX_RULES];
    unsigned n_allow;
    struct nvg_rule policy[NVG_DETECT_MAX_RULES];
    unsigned n_policy;
    struct nvg_rule threshold[NVG_DETECT_MAX_RULES];
    unsigned n_threshold;
};

/* The documented defaults (README "Alerts"). */
void nvg_detect_rules_default(struct nvg_detect_rules *rules);
/* Defaults, then the file. On error *rules is untouched and err says "file:line: reason". */
int nvg_detect_rules_load(const char *path, struct nvg_detect_rules *rules,
                          char err[NVG_ERRBUF_SIZE]);
/* The same from a string (tests); name is used in messages. */
int nvg_detect_rules_parse(const char *text, const char *name, struct nvg_detect_rules *rules,
                           char err[NVG_ERRBUF_SIZE]);

/* ---- Engine ---- */

/* Table sizes (entries, rounded up to powers of two); 0 takes the default. They bound the
 * engine's memory: nvg_detect_stats().memory_bytes. */
struct nvg_detect_config {
    unsigned pairs;   /* source->target pairs: port scans, brute force (default 16384) */
    unsigned sweeps;  /* source+port keys: sweeps (default 8192) */
    unsigned targets; /* per-target rates: floods, baselines (default 8192) */
    unsigned arp;     /* IP->MAC bindings (default 4096) */
    unsigned alerts;  /* alerts alive at once (default 1024) */
};

struct nvg_detect_stats {
    uint64_t records;
    uint64_t pair_evictions, sweep_evictions, target_evictions, arp_evictions;
    uint64_t alerts_shed; /* evidence for a new alert dropped: alert table full */
    uint64_t suppressed;  /* evidence from allow-listed sources */
    uint64_t started, updated, ended;
    unsigned active;
    size_t memory_bytes; /* everything the engine allocated at creation; constant */
};

struct nvg_detect;

/* rules may be NULL (defaults). Returns NULL on allocation failure. */
struct nvg_detect *nvg_detect_new(const struct nvg_detect_config *cfg,
                                  const struct nvg_detect_rules *rules);
void nvg_detect_free(struct nvg_detect *d);
/* Swaps the rules in place (SIGHUP); tables and alerts live on. Threshold-rule state follows
 * rule names. */
void nvg_detect_set_rules(struct nvg_detect *d, const struct nvg_detect_rules *rules);
/* sensor: the caller's index for the sensor that captured the record (< 64 for the mask). */
void nvg_detect_record(struct nvg_detect *d, unsigned sensor, const struct nvg_pkt *pkt);
/* Emits alerts that started, changed or ended by now_ns (record time or wall clock). */
void nvg_detect_tick(struct nvg_detect *d, int64_t now_ns, nvg_alert_fn fn, void *ud);
/* Ends every alert (shutdown, end of a capture file). */
void nvg_detect_flush(struct nvg_detect *d, nvg_alert_fn fn, void *ud);
void nvg_detect_stats(const struct nvg_detect *d, struct nvg_detect_stats *st);

#endif
