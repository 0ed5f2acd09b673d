/* The audit trail of sensor commands: who asked which sensor to do what, and what came of it.
 *
 * One outcome = one row of OUT/audit-*.csv (RFC 4180, time,requester,sensor,command,filter,
 * outcome), written through at once (commands are rare and a trail that a crash can lose is no
 * trail), one log line on stderr, and one Event (kind "command") on the live feed so every
 * viewer sees who stopped what. */
#ifndef NVG_AUDIT_H
#define NVG_AUDIT_H

#include "collector-options.h"
#include "fanout.h"

struct nvg_audit;

/* Opens the first OUT/audit-*.csv (after cutting back files a crash left torn), rotating like
 * the packet log. feed is lent and must outlive the audit. NULL with the reason in err
 * (NVG_ERRBUF_SIZE). */
struct nvg_audit *nvg_audit_new(const struct nvg_collector_options *o, struct nvg_fanout *feed,
                                char *err);
void nvg_audit_free(struct nvg_audit *a);

/* One outcome; error NULL = ok. filter is "" for commands without one. */
void nvg_audit_record(struct nvg_audit *a, const char *requester, const char *sensor,
                      const char *command, const char *filter, const char *error);
/* Path of the current audit file ("" without an audit). */
const char *nvg_audit_path(const struct nvg_audit *a);

#endif
