/* Privilege drop and the seccomp allow-list. See privdrop.h. */
#include "privdrop.h"

#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "nvg-error.h"

int nvg_seccomp_mode_parse(const char *text)
{
    if (strcmp(text, "kill") == 0)
        return NVG_SECCOMP_KILL;
    if (strcmp(text, "log") == 0)
        return NVG_SECCOMP_LOG;
    if (strcmp(text, "off") == 0)
        return NVG_SECCOMP_OFF;
    return -1;
}

static int change_user(const char *user, char *err)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    int e = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
    if (!found) {
        snprintf(err, NVG_ERRBUF_SIZE, "--user: no user '%s'%s%s", user, e ? ": " : "",
                 e ? strerror(e) : "");
        return NVG_ENOTFOUND;
    }
    if (pw.pw_uid == 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "--user: '%s' has uid 0; say --user root to keep root",
                 user);
        return NVG_EPERM;
    }
    capng_clear(CAPNG_SELECT_BOTH);
    capng_update(CAPNG_ADD, CAPNG_PERMITTED, CAP_NET_RAW);
    int rc = capng_change_id((int)pw.pw_uid, (int)pw.pw_gid,
                             CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
    if (rc != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot switch to user '%s' (libcap-ng error %d: %s)", user,
                 rc, strerror(errno));
        return NVG_EPERM;
    }
    return 0;
}

/* Not root: keep CAP_NET_RAW (permitted only) if we hold it, nothing else. Lowering needs no
 * privilege; the bounding set stays (changing it needs CAP_SETPCAP), but with no-new-privs
 * and nothing permitted it grants nothing. */
static int keep_net_raw(char *err)
{
    if (capng_get_caps_process() != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot read this process's capabilities");
        return NVG_EPERM;
    }
    bool raw = capng_have_capability(CAPNG_PERMITTED, CAP_NET_RAW);
    capng_clear(CAPNG_SELECT_CAPS);
    if (raw)
        capng_update(CAPNG_ADD, CAPNG_PERMITTED, CAP_NET_RAW);
    if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot drop capabilities: %s", strerror(errno));
        return NVG_EPERM;
    }
    return 0;
}

int nvg_privdrop_apply(const char *user, bool *dropped, char *err)
{
    if (dropped)
        *dropped = false;
    if (!user)
        user = NVG_PRIVDROP_DEFAULT_USER;
    int rc = 0;
    if (geteuid() != 0)
        rc = keep_net_raw(err);
    else if (strcmp(user, "root") != 0 && (rc = change_user(user, err)) == 0 && dropped)
        *dropped = true;
    if (rc < 0)
        return rc;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot set no-new-privs: %s", strerror(errno));
        return NVG_EPERM;
    }
    return 0;
}

bool nvg_privdrop_raise(void)
{
    if (capng_get_caps_process() != 0 || capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_RAW) ||
        !capng_have_capability(CAPNG_PERMITTED, CAP_NET_RAW))
        return false;
    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_NET_RAW);
    return capng_apply(CAPNG_SELECT_CAPS) == 0;
}

void nvg_privdrop_lower(void)
{
    if (capng_get_caps_process() != 0)
        return;
    capng_update(CAPNG_DROP, CAPNG_EFFECTIVE, CAP_NET_RAW);
    capng_apply(CAPNG_SELECT_CAPS);
}

/* ---- seccomp -------------------------------------------------------------------------------- */

/* Every call the sensor makes once confined. Found with strace -f -c over each mode (live
 * with stop, start, set-filter (one with a host name: a DNS lookup in the compiler child),
 * restart and SIGTERM; a file to a collector with end of stream, --stopped then start; a
 * file to --csv, --print, stdin; CURVE accepted and refused), less what only start-up makes
 * (execve, arch_prctl, setresuid, setgroups, seccomp, ...), plus the few a test run does not reach:
 * thread and process exit, a full disk (ftruncate), a write interrupted (writev, nanosleep).
 * Grouped by who makes it; a name the architecture does not have is skipped. */
static const char *const allowed[] = {
    /* memory, threads, time, signals (glibc, libzmq's I/O threads) */
    "brk",
    "mmap",
    "munmap",
    "mprotect",
    "madvise",
    "mlock", /* libsodium locks CURVE key material in memory */
    "munlock",
    "futex",
    "set_robust_list",
    "rseq",
    "clone",
    "clone3",
    "exit",
    "exit_group",
    "gettid",
    "getpid",
    "tgkill",
    "sched_yield", /* also LeakSanitizer's, at exit */
    "sched_getaffinity",
    "clock_gettime",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "restart_syscall",
    "getrandom",
    "uname",
    "geteuid",
    "prlimit64",
    /* libzmq's threads set their scheduling as they start, which may be after the filter is
     * in (they are started just before it): a non-root sensor was killed there */
    "sched_getparam",
    "sched_getscheduler",
    "sched_setscheduler",
    /* files: the outputs (nvg-outbuf), libpcap's reads of /proc and /sys, the resolver's files */
    "read",
    "write",
    "writev",
    "pread64",
    "openat",
    "close",
    "fstat",
    "newfstatat",
    "fstatfs",
    "lseek",
    "fcntl",
    "ftruncate",
    "access",
    "ioctl",
    /* the spool (--spool): replay.pos rewritten in place, segments deleted or set aside */
    "pwrite64",
    "unlinkat",
    "renameat",
    "renameat2",
    /* waiting: zmq_poll, libpcap's poll, libzmq's epoll and its eventfd mailboxes */
    "poll",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "eventfd2",
    "pipe2",
    /* sockets: ZeroMQ over TCP, the packet socket (reopen: socket, bind, ioctl, setsockopt
     * for the ring and the filter), the resolver (sendmmsg, recvfrom) */
    "socket",
    "connect",
    "bind",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "sendto",
    "recvfrom",
    "sendmmsg",
    /* sd_notify (libsystemd): READY, STATUS, WATCHDOG; it compares real and effective ids
     * to decide whether to send credentials */
    "sendmsg",
    "getuid",
    "getgid",
    "getegid",
    /* the filter compiler child, and raising CAP_NET_RAW around a reopen */
    "wait4",
    "kill",
    "prctl",
    "capget",
    "capset",
};

int nvg_seccomp_apply(enum nvg_seccomp_mode mode, char *err)
{
    if (mode == NVG_SECCOMP_OFF)
        return 0;
#ifdef __SANITIZE_ADDRESS__
    /* ASan and LeakSanitizer make calls of their own (sigaltstack, getppid, ptrace of the
     * leak check's tracer, ...) that the sensor never makes: a sanitizer build only logs. */
    mode = NVG_SECCOMP_LOG;
#endif
    scmp_filter_ctx ctx =
        seccomp_init(mode == NVG_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        snprintf(err, NVG_ERRBUF_SIZE, "seccomp: cannot create a filter");
        return NVG_EPERM;
    }
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (size_t i = 0; rc == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr != __NR_SCMP_ERROR)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "seccomp: cannot install the allow-list: %s", strerror(-rc));
        return NVG_EPERM;
    }
    return 0;
}
