/* An alert event between the engine, the wire and text: the Alert message the collector
 * publishes (feed topic "alert", ControlReply.alerts), the row of alerts-*.csv and the line
 * `netvigil-ctl alerts` and `netvigil-sensor --alerts` print. The CSV row and the text line are
 * made from the Alert message, so every reader of an alert sees the same thing. */
#ifndef NVG_ALERT_WIRE_H
#define NVG_ALERT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "netvigil.pb-c.h"
#include "nvg-detect.h"
#include "nvg-text.h"

/* An Alert message with the storage its pointers use: fill it in place, never copy it. */
struct nvg_alert_pb {
    Netvigil__Alert pb;
    ProtobufCBinaryData targets[NVG_ALERT_TARGETS];
    char *sensor_ptrs[NVG_ALERT_SENSORS];
    char sensor_names[NVG_ALERT_SENSORS][NVG_NAME_MAX + 1];
    uint8_t src[16], target_bytes[NVG_ALERT_TARGETS][16], mac_old[6], mac_new[6];
    char detector[16], rule[NVG_RULE_NAME], summary[NVG_ALERT_SUMMARY];
};

/* name(ud, i): the name of sensor index i as the engine was given it ("" when unknown). */
typedef const char *(*nvg_alert_sensor_name_fn)(void *ud, unsigned index);

void nvg_alert_to_pb(const struct nvg_alert *a, int64_t time_ms, nvg_alert_sensor_name_fn name,
                     void *ud, struct nvg_alert_pb *out);

#define NVG_ALERT_CSV_HEADER                                                                       \
    "time,id,event,severity,detector,src,targets,target_count,proto,port,sensors,first,last,"      \
    "packets,bytes,count,closed,rule,summary\n"
/* Enough for any row or line: the fields are bounded by the Alert's caps (4 targets of 39
 * bytes, 4 sensor names quoted, a 192-byte summary quoted, times and numbers). */
#define NVG_ALERT_LINE_MAX 2048

/* One row of alerts-*.csv ending in '\n' (RFC 4180; peer strings neutralised as in every CSV
 * the collector writes; targets and sensors separated by spaces). Returns its length, 0 when
 * the message holds something out of range (a peer's Alert: the caller counts it). */
size_t nvg_alert_format_csv(char *buf, const Netvigil__Alert *a);
/* "2024-07-28T18:58:41Z start high portscan #12 [s1] 10.0.0.5 scanned ..." with '\n'.
 * Printable only: peer strings pass through nvg_text's escaping. */
size_t nvg_alert_format_line(char *buf, const Netvigil__Alert *a);

const char *nvg_alert_severity_text(Netvigil__Severity sev);
const char *nvg_alert_event_text(Netvigil__AlertEvent ev);

#endif
