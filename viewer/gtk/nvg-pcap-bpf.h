/* The Packets page's display filter (struct nvg_filter, already checked) as a BPF expression for
 * a sensor's pcap ring (netvigil-ctl pcap -f), so that "Save packets as pcapng…" extracts the
 * frames the list shows. GLib-free, unit-tested (tests/viewer/test-pcap-bpf.c).
 *
 * What maps: the protocol (as the decoder names it: TCP, UDP, ICMP, ICMPv6, ARP, other IPv4,
 * other IPv6, no IP at all), source and destination networks (one way or both), the port.
 * Every term also matches behind one VLAN tag ("E or (vlan and E)"), as the decoder reads
 * through tags. The sensor and the time span are not BPF: they choose the sensor and the
 * span of the request. What does not map (NVG_PCAP_BPF_NOTE): frames behind two or more VLAN
 * tags, or behind MPLS labels, which the decoder reads through and BPF does not. */
#ifndef NVG_PCAP_BPF_H
#define NVG_PCAP_BPF_H

#include <stddef.h>

#include "nvg-filter.h"

/* Longer than any expression nvg_pcap_bpf_from_filter writes (two networks both ways, twice). */
#define NVG_PCAP_BPF_MAX 1024 /* NVG_TEXT_FILTER_MAX + 1, what ctl's -f takes */

#define NVG_PCAP_BPF_NOTE                                                                          \
    "Frames behind two or more VLAN tags or behind MPLS labels do not match the BPF filter "       \
    "(the list reads through them)."

/* The BPF expression for f into bpf (size >= NVG_PCAP_BPF_MAX): "" when f lets every packet
 * through (the sensor and time fields aside). Returns the length written. */
size_t nvg_pcap_bpf_from_filter(const struct nvg_filter *f, char *bpf, size_t size);

#endif
