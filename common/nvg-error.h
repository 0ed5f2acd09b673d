/* Error codes: functions return 0 or a negative NVG_E*. One X-macro list generates the codes
 * (NVG_E<NAME>) and their texts (nvg_strerror()). */
#ifndef NVG_ERROR_H
#define NVG_ERROR_H

#define NVG_ERRBUF_SIZE 512

#define NVG_ERRNO_MAP(X)                                                                           \
    X(INVAL, "invalid argument")                                                                   \
    X(NOMEM, "out of memory")                                                                      \
    X(IO, "input/output error")                                                                    \
    X(PCAP, "capture error")                                                                       \
    X(FILTER, "bad capture filter")                                                                \
    X(TRUNC, "truncated input")                                                                    \
    X(MALFORMED, "malformed input")                                                                \
    X(PROTO, "protocol error")                                                                     \
    X(VERSION, "protocol version mismatch")                                                        \
    X(TOOBIG, "message too big")                                                                   \
    X(AGAIN, "try again")                                                                          \
    X(TIMEDOUT, "timed out")                                                                       \
    X(NOTFOUND, "not found")                                                                       \
    X(ZMQ, "messaging error")                                                                      \
    X(PERM, "permission denied")

enum nvg_errno {
    NVG_OK = 0,
#define NVG__ERR_ENUM(name, text) NVG_E##name,
    NVG__FIRST_ERR = -1000,
    NVG_ERRNO_MAP(NVG__ERR_ENUM)
#undef NVG__ERR_ENUM
};

const char *nvg_strerror(int err);

#endif
