/* The audit trail of sensor commands: who asked which sensor to do what, and what came of it.
 *
 * One outcome = one row of OUT/audit-*.csv (RFC 4180, time,requester,sensor,command,filter,
 * outcome), written through at once (commands are rare and a trail that a crash can lose is no
 * trail), one log line on stderr, and one Event (kind "command") on the live feed so every
 * viewer sees who stopped what.
 *
 * The requester is who the collector knows the peer to be (nvg_peer_describe: the key that
 * authenticated and the address), followed by what the client says it is, quoted, when it says
 * anything: `anonymous@127.0.0.1 (says "carol@laptop")`. Peer text is data: CSV fields are
 * neutralised (nvg_csv_quote), log lines escaped (nvg_log).
 *
 * Refused requests (not allowed, over quota) are coalesced so a flood cannot fill the disk:
 * per peer and second, the first is written as it comes, the rest become one row
 * "N more request(s) refused in this second" when the second is over. */
#ifndef NVG_AUDIT_H
#define NVG_AUDIT_H

#include "collector-options.h"
#include "fanout.h"

#include <stdint.h>

struct nvg_audit;
struct nvg_csv_writer;

/* Opens the first OUT/audit-*.csv (after cutting back files a crash left torn), rotating like
 * the packet log. feed is lent and must outlive the audit. NULL with the reason in err
 * (NVG_ERRBUF_SIZE). */
struct nvg_audit *nvg_audit_new(const struct nvg_collector_options *o, struct nvg_fanout *feed,
                                char *err);
void nvg_audit_free(struct nvg_audit *a);

/* One outcome; error NULL = ok. filter is "" for commands without one. */
void nvg_audit_record(struct nvg_audit *a, const char *requester, const char *sensor,
                      const char *command, const char *filter, const char *error);
/* The same with detail (our own text, e.g. a pcap extraction's bytes and span) after the
 * outcome: "ok: DETAIL" or "error: ERROR (DETAIL)"; NULL: none. */
void nvg_audit_record_detail(struct nvg_audit *a, const char *requester, const char *sensor,
                             const char *command, const char *filter, const char *error,
                             const char *detail);
/* A refused request of the peer known as peer (the coalescing key, nvg_peer_describe). */
void nvg_audit_refused(struct nvg_audit *a, const char *peer, const char *requester,
                       const char *sensor, const char *command, const char *error, int64_t now_ms);
/* Write the coalesced rows of seconds that are over; call often. */
void nvg_audit_tick(struct nvg_audit *a, int64_t now_ms);
/* Rows written so far (for tests). */
uint64_t nvg_audit_rows(const struct nvg_audit *a);
/* Path of the current audit file ("" without an audit). */
struct nvg_csv_writer *nvg_audit_log(const struct nvg_audit *a); /* SIGHUP: rotation limits */
const char *nvg_audit_path(const struct nvg_audit *a);

#endif
