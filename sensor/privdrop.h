/* The sensor confines itself once its capture, outputs and link are open (DESIGN.md "Security
 * model"): it stops being root, keeps only what reopening the capture needs, and installs a
 * seccomp allow-list of the system calls it makes.
 *
 * Capabilities: CAP_NET_RAW alone, in the permitted set, raised into the effective set only
 * around a reopen (the restart command). Nothing else is needed: libpcap opens a packet
 * socket (CAP_NET_RAW), and promiscuous mode (PACKET_ADD_MEMBERSHIP), the ring
 * (PACKET_RX_RING) and filters (SO_ATTACH_FILTER) are options of that socket, which need no
 * CAP_NET_ADMIN (checked by tests/sensor/privdrop.py). Capabilities are per thread: the
 * ZeroMQ threads already running when root changes its uid lose all of theirs (they never
 * asked to keep them); threads started later, like a non-root sensor's, inherit the main
 * thread's (CAP_NET_RAW permitted, none effective).
 *
 * Everything here runs on the capture thread, the only one that ever changes credentials. */
#ifndef NVG_PRIVDROP_H
#define NVG_PRIVDROP_H

#include <stdbool.h>

#define NVG_PRIVDROP_DEFAULT_USER "nobody"

enum nvg_seccomp_mode {
    NVG_SECCOMP_KILL = 0, /* a call outside the list kills the process (SIGSYS, core) */
    NVG_SECCOMP_LOG,      /* allowed, but logged by the kernel (audit): to find a missing one */
    NVG_SECCOMP_OFF,
};

/* Parses "kill", "log", "off"; -1 for anything else. */
int nvg_seccomp_mode_parse(const char *text);

/* Started as root: switches to user (its uid and gid, no supplementary groups, an empty
 * bounding set) keeping CAP_NET_RAW permitted only; user "root" keeps root as it is (like
 * tcpdump -Z root). Not root: keeps CAP_NET_RAW permitted if it was, drops every other
 * capability (effective, permitted, inheritable and so ambient). Either way sets
 * PR_SET_NO_NEW_PRIVS. Returns 0, or NVG_ENOTFOUND (no such user) / NVG_EPERM with the reason
 * in err (NVG_ERRBUF_SIZE bytes). *dropped (may be NULL) tells whether the uid changed. */
int nvg_privdrop_apply(const char *user, bool *dropped, char *err);

/* Raises CAP_NET_RAW into the effective set for a reopen; true when it did (then call
 * _lower after), false when there was nothing to raise (still root, or never had it). */
bool nvg_privdrop_raise(void);
void nvg_privdrop_lower(void);

/* Installs the allow-list on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC). Needs
 * no-new-privs (set by _apply) or root. Returns 0 or NVG_EPERM with the reason in err. */
int nvg_seccomp_apply(enum nvg_seccomp_mode mode, char *err);

#endif
