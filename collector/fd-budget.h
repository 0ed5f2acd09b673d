/* The collector's file descriptors: how many peers may hold one, so that the collector's own
 * files always find a free descriptor and libzmq never runs out.
 *
 * libzmq 4.3's TCP listener treats accept() = EMFILE like a connection reset by the peer: it
 * reports ZMQ_EVENT_ACCEPT_FAILED and returns, and since the pending connection is still in
 * the kernel's queue, its (level-triggered) poller calls it again at once: a full core spent
 * on accept4 for as long as the descriptors stay exhausted. Nothing in libzmq's API stops a
 * listener without closing every connection it accepted (zmq_unbind terminates them), so the
 * collector never lets it get there: every accepted connection is admitted only while the
 * descriptors in use stay below limit - headroom, and cut at once otherwise (the peer sees a
 * closed connection and retries later). The headroom holds the collector's files (packet and
 * rates logs and their successors at rotation, audit, the state's temporary file) and one
 * burst of accepts: the listen backlog is made small so that a burst is bounded. Control
 * connections get a few descriptors more than sensors and subscribers, so an operator can
 * still ask for status when sensors take everything.
 *
 * Cutting alone would be a loop too: a refused ZeroMQ client reconnects every 100 ms, and each
 * round costs a connection, a session and a cut (with 80 refused clients: most of a core). So
 * after a refusal the socket is held: a socket filter that drops every packet is attached to
 * its listeners (libzmq keeps them open and polled, but no connection completes and none
 * queues, so there is nothing to accept), and the clients' kernels retry their SYNs with
 * back-off. Once a second the hold is checked and lifted when descriptors are free again.
 *
 * Should EMFILE happen anyway (another thread's descriptors, a burst larger than the headroom),
 * a reserve descriptor (/dev/null) is closed, the listener's queue is accepted and closed, and
 * the reserve is opened again: the classic way out of the accept spin.
 *
 * Owned by connections.c, on the collector's thread. */
#ifndef NVG_FD_BUDGET_H
#define NVG_FD_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Descriptors kept for the collector's own files: packet log, rates log and audit log, each
 * with its successor during a rotation, the state's temporary file, the /proc/self/fd scan. */
#define NVG_FD_FILES_HEADROOM 8
/* More for control connections than for the others. */
#define NVG_FD_CONTROL_EXTRA 4

struct nvg_fd_budget {
    int limit;      /* RLIMIT_NOFILE (soft) at start, capped at INT_MAX */
    int backlog;    /* ZMQ_BACKLOG for every listener */
    int headroom;   /* never given to peers */
    int reserve_fd; /* /dev/null held for the EMFILE way out; -1 while not held */
    int base;       /* descriptors that are not peers', at the last count */
};

/* Reads the limit, sizes backlog and headroom from it, opens the reserve, counts the base. */
void nvg_fd_budget_init(struct nvg_fd_budget *b, size_t peers);
void nvg_fd_budget_free(struct nvg_fd_budget *b);

/* Descriptors open in this process (/proc/self/fd), or -1 when that cannot be read. */
int nvg_fd_budget_count(void);

/* The most peers there may be (control: on the control socket), with the base as counted. */
int nvg_fd_budget_peer_max(const struct nvg_fd_budget *b, bool control);

/* Whether a peer just accepted on descriptor fd may stay, peers counting every tracked peer
 * (this one included). Counts /proc/self/fd only when the estimate comes near the limit. */
bool nvg_fd_budget_admit(struct nvg_fd_budget *b, size_t peers, int fd, bool control);

/* Once a second: the base counted again, the reserve opened again if it was spent. */
void nvg_fd_budget_refresh(struct nvg_fd_budget *b, size_t peers);

/* Attaches (on) or detaches the drop-everything filter on listener; 0 or -1 (errno). */
int nvg_fd_budget_hold(int listener, bool on);

/* Whether descriptors are free enough again to lift a hold (with some margin under the limit,
 * so a hold is not lifted for one free descriptor and put back at the next accept). */
bool nvg_fd_budget_room(struct nvg_fd_budget *b, size_t peers, bool control);

/* The EMFILE way out for listener: reserve closed, the queue accepted and closed (at most a
 * bounded number), reserve opened again. Returns how many connections were closed. */
int nvg_fd_budget_drain(struct nvg_fd_budget *b, int listener);

/* Under a limit on the address space (ulimit -v, LimitAS=): whether margin more bytes can
 * still be mapped once start-up is done. libzmq aborts the process when an allocation for a
 * new connection fails, so a collector started with almost nothing left would die at its
 * first peer; it had better refuse to start. Returns 0, or -1 with the reason in err
 * (NVG_ERRBUF_SIZE). A memory budget above what is left is only warned about. */
int nvg_limits_check_memory(size_t margin, uint64_t memory_budget, char *err);

#endif
