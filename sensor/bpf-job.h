/* A capture filter compiled off the capture path. libpcap's compiler can take long: its
 * optimiser grows faster than cubically with the expression (4 KiB of "port N or ..." took 9 s,
 * 16 KiB more than 45 s), and a host name in the expression is a DNS lookup. So the sensor
 * compiles in a child process forked for the purpose: the child has a copy of the capture
 * handle, so the code is exactly what the live handle would generate (libpcap's Linux-specific
 * code generation flags, such as in-kernel VLAN tag access, come with the copy; a
 * pcap_open_dead handle would lose them), nothing is shared with the capture thread, and a
 * compile over its time budget is really stopped (SIGKILL), not left running in a thread.
 *
 * Internal to the sensor's capture module (capture.c); the rest of the sensor sees it through
 * capture.h. One job belongs to the thread that started it. */
#ifndef NVG_BPF_JOB_H
#define NVG_BPF_JOB_H

#include <pcap/pcap.h>
#include <stdint.h>

/* Largest program a child may hand back (the kernel takes 4096; libpcap filters in user space
 * beyond that). */
#define NVG_BPF_JOB_MAX_INSNS 65536

struct nvg_bpf_job;

/* Forks a child that compiles expr (and, when exclude is not NULL, "(expr) and not (exclude)")
 * for p with netmask. NULL with the reason in err (NVG_ERRBUF_SIZE) when the child cannot be
 * started. */
struct nvg_bpf_job *nvg_bpf_job_start(pcap_t *p, const char *expr, const char *exclude,
                                      bpf_u_int32 netmask, char *err);
/* Reads what the child wrote so far, without waiting. NVG_EAGAIN while it compiles; 0 once
 * it has finished (whatever the outcome: see _result). */
int nvg_bpf_job_poll(struct nvg_bpf_job *job);
/* Waits up to timeout_ms for the child: 0 finished, NVG_ETIMEDOUT. */
int nvg_bpf_job_wait(struct nvg_bpf_job *job, int timeout_ms);
/* Milliseconds since the job started. */
int64_t nvg_bpf_job_age_ms(const struct nvg_bpf_job *job);
/* The outcome of a finished job: 0 with *prog (the caller frees it with free(prog->bf_insns)),
 * or NVG_EFILTER with libpcap's message in err, or NVG_EPCAP when the child died or wrote
 * nonsense. */
int nvg_bpf_job_result(struct nvg_bpf_job *job, struct bpf_program *prog, char *err);
/* The link type the job compiled for. */
int nvg_bpf_job_datalink(const struct nvg_bpf_job *job);
/* Kills a child still running, reaps it, frees everything. NULL does nothing. */
void nvg_bpf_job_free(struct nvg_bpf_job *job);

#endif
