#define _GNU_SOURCE /* accept4 */
#include "fd-budget.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nvg-error.h"
#include "nvg-log.h"

/* Per drain: a backlog's worth and then some, not an unbounded loop on the collector's
 * thread. */
#define DRAIN_MAX 256
/* Free descriptors a held socket needs before it takes connections again. */
#define HOLD_MARGIN 2

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int open_reserve(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int nvg_fd_budget_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

void nvg_fd_budget_init(struct nvg_fd_budget *b, size_t peers)
{
    struct rlimit rl;
    b->limit = INT_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)INT_MAX)
        b->limit = (int)rl.rlim_cur;
    /* A burst of accepts lands in the headroom before the collector's thread can cut it, so
     * the queue that feeds a burst is kept small when descriptors are few. */
    b->backlog = clamp(b->limit / 16, 8, 128);
    b->headroom = NVG_FD_FILES_HEADROOM + b->backlog + 1;
    b->reserve_fd = open_reserve();
    b->base = 0;
    nvg_fd_budget_refresh(b, peers);
}

void nvg_fd_budget_free(struct nvg_fd_budget *b)
{
    if (b->reserve_fd >= 0)
        close(b->reserve_fd);
    b->reserve_fd = -1;
}

int nvg_fd_budget_peer_max(const struct nvg_fd_budget *b, bool control)
{
    long max = (long)b->limit - b->headroom - b->base - (control ? 0 : NVG_FD_CONTROL_EXTRA);
    return max < 0 ? 0 : max > INT_MAX ? INT_MAX : (int)max;
}

void nvg_fd_budget_refresh(struct nvg_fd_budget *b, size_t peers)
{
    if (b->reserve_fd < 0)
        b->reserve_fd = open_reserve();
    int n = nvg_fd_budget_count();
    if (n >= 0)
        b->base = n > (long)peers ? n - (int)peers : 0;
}

bool nvg_fd_budget_admit(struct nvg_fd_budget *b, size_t peers, int fd, bool control)
{
    long room = (long)b->limit - b->headroom - (control ? 0 : NVG_FD_CONTROL_EXTRA);
    /* accept() returns the lowest free descriptor: every one below fd is in use. */
    long used = (long)b->base + (long)peers;
    if (used < (long)fd + 1)
        used = (long)fd + 1;
    if (used + 2 < room)
        return true;
    int n = nvg_fd_budget_count();
    if (n < 0)
        return used <= room;
    b->base = n > (long)peers ? n - (int)peers : 0;
    return n <= room;
}

int nvg_fd_budget_hold(int listener, bool on)
{
    int unused = 0; /* the kernel wants an int's worth of option even for a detach */
    if (!on)
        return setsockopt(listener, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused));
    /* "ret #0": no byte of any packet is accepted, SYNs and handshake ACKs included. */
    static struct sock_filter drop[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog prog = {.len = 1, .filter = drop};
    return setsockopt(listener, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

bool nvg_fd_budget_room(struct nvg_fd_budget *b, size_t peers, bool control)
{
    long room = (long)b->limit - b->headroom - (control ? 0 : NVG_FD_CONTROL_EXTRA);
    int n = nvg_fd_budget_count();
    if (n < 0)
        n = b->base + (int)peers;
    return n + HOLD_MARGIN <= room;
}

int nvg_fd_budget_drain(struct nvg_fd_budget *b, int listener)
{
    /* libzmq leaves its listener blocking (it accepts only when epoll says so): an accept
     * here racing libzmq's for the last queued connection would block the collector. Non-
     * blocking suits libzmq too, which takes EAGAIN as a failed accept and polls again. */
    int fl = fcntl(listener, F_GETFL);
    if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(listener, F_SETFL, fl | O_NONBLOCK) != 0))
        return 0;
    if (b->reserve_fd >= 0) {
        close(b->reserve_fd);
        b->reserve_fd = -1;
    }
    int n = 0;
    while (n < DRAIN_MAX) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        close(fd);
        n++;
    }
    b->reserve_fd = open_reserve();
    return n;
}

static uint64_t mapped_bytes(void)
{
    unsigned long long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%llu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

int nvg_limits_check_memory(size_t margin, uint64_t memory_budget, char *err)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    /* PROT_NONE costs no memory but counts against RLIMIT_AS like any mapping. */
    void *p = mmap(NULL, margin, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED)
        munmap(p, margin);
    uint64_t used = mapped_bytes();
    if (p == MAP_FAILED) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "the address space limit (ulimit -v %llu KiB) leaves less than %zu MiB for "
                 "connections after start-up (%llu KiB mapped); raise it (LimitAS=)",
                 (unsigned long long)(rl.rlim_cur >> 10), margin >> 20,
                 (unsigned long long)(used >> 10));
        return -1;
    }
    if (used < rl.rlim_cur && memory_budget > rl.rlim_cur - used)
        nvg_log(NVG_LOG_WARNING,
                "the memory budget (%llu MiB) is more than the address space left under ulimit "
                "-v (%llu MiB): peers could make an allocation fail; lower --memory-budget",
                (unsigned long long)(memory_budget >> 20),
                (unsigned long long)((rl.rlim_cur - used) >> 20));
    return 0;
}
