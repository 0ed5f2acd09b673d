/* ZeroMQ helpers shared by every program: sockets with explicit limits, endpoints, sending one
 * packed protobuf as one frame and receiving topic + body messages. A socket stays with the thread
 * that created it.
 *
 * Thread-safety: these functions keep no state of their own (no static or per-thread buffers),
 * so any thread may call them, each on the sockets it owns. */
#ifndef NVG_ZMQ_H
#define NVG_ZMQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>
#include <zmq.h>

struct nvg_sockopts {
    int sndhwm; /* messages; 0 = libzmq default */
    int rcvhwm;
    int linger_ms;
    int64_t max_msg_size; /* ZMQ_MAXMSGSIZE in bytes: what this socket may receive; 0 =
                           * NVG_MAX_MSG_SIZE. A peer that sends more is disconnected. */
    int heartbeat_ms;     /* ZMQ_HEARTBEAT_IVL; the peer is dropped after 3 silent intervals
                           * (ZMQ_HEARTBEAT_TIMEOUT), so dead and idle connections are reaped.
                           * 0 = no heartbeats. */
    int handshake_ms;     /* ZMQ_HANDSHAKE_IVL: a connection that has not finished its (CURVE)
                           * handshake by then is closed; 0 = libzmq default (30 s) */
};

/* A context whose threads are started here, with stacks of thread_stack bytes, rather than
 * at the first zmq_socket(): libzmq starts its I/O and reaper threads there and aborts the
 * process when pthread_create fails (under ulimit -v, or -u). Here a failure is an error:
 * NULL with the reason in err (NVG_ERRBUF_SIZE). thread_stack becomes the default for every
 * thread the process starts later without attributes (0 keeps glibc's, RLIMIT_STACK). */
void *nvg_zmq_ctx_new(size_t thread_stack, char *err);

/* A socket of type with LINGER, HWMs, ZMQ_MAXMSGSIZE and the heartbeat and handshake
 * intervals set; NULL on error with the reason in err (NVG_ERRBUF_SIZE). */
void *nvg_zmq_socket(void *ctx, int type, const struct nvg_sockopts *opts, char *err);

/* Room for an endpoint and for a host name or address in it. */
#define NVG_ZMQ_ENDPOINT_MAX 300
#define NVG_ZMQ_HOST_MAX 256

/* "tcp://HOST:PORT", bracketing IPv6 literals. Returns 0 or NVG_EINVAL (too long). */
int nvg_zmq_endpoint(char *buf, size_t size, const char *host, int port);

/* The one reading of what a person names a peer or an address by: "HOST", "HOST:PORT",
 * "[V6]", "[V6]:PORT", a bare IPv6 literal ("::1", "fe80::1%eth0"), or a tcp endpoint
 * "tcp://[SOURCE;]HOST:PORT". host gets the host without brackets (a zone stays), *port the
 * port, 0 when text gives none. Returns 0, or NVG_EINVAL: no host, a host of size bytes or
 * more, an unclosed bracket or text after it, a port that is not 1..65535, another transport
 * (ipc://, inproc://, ...: no host to name). */
int nvg_zmq_endpoint_split(const char *text, char *host, size_t size, int *port);

/* What to connect to for text (sensor -c): an endpoint (anything with "://") as it is, or the
 * other forms of _split completed to "tcp://HOST:PORT", with default_port when text names no
 * port. Returns 0 or NVG_EINVAL (as _split, or too long for size). */
int nvg_zmq_endpoint_parse(char *buf, size_t size, const char *text, int default_port);

/* One of a collector's sockets, as a client names it: the endpoint given (--feed-endpoint,
 * --control-endpoint) as it is, or when given is NULL tcp://HOST:port (--collector HOST).
 * Returns 0 or NVG_EINVAL (too long, or an empty host). */
int nvg_zmq_endpoint_client(char *buf, size_t size, const char *given, const char *host, int port);

/* Whether an address/endpoint names the loopback (127.0.0.0/8, ::1, localhost). */
bool nvg_zmq_is_loopback(const char *host_or_endpoint);

/* Pack msg and send it as one frame (flags: ZMQ_SNDMORE/ZMQ_DONTWAIT). The message is packed
 * straight into the zmq_msg_t that libzmq then owns: no buffer of ours, no copy, and the one
 * allocation libzmq makes for any frame above 33 bytes anyway (a reusable buffer would not save
 * it, only add a copy). Returns 0, NVG_EAGAIN (would block with ZMQ_DONTWAIT, the socket's
 * ZMQ_SNDTIMEO expired, or a signal interrupted the send: check your stop flag and retry),
 * NVG_ETOOBIG (above NVG_MAX_MSG_SIZE), NVG_ENOMEM or NVG_EZMQ (zmq_errno() has the detail,
 * e.g. EHOSTUNREACH from a ROUTER_MANDATORY socket). */
int nvg_zmq_send_pb(void *sock, const ProtobufCMessage *msg, int flags);

/* Already packed bytes (e.g. from nvg_batch_encoder_pack) as one frame; the same results. */
int nvg_zmq_send_buf(void *sock, const void *data, size_t len, int flags);

/* Receives one feed message: a topic frame and one body frame (one protobuf). topic and body
 * are zmq_msg_init'ed by the caller, who closes both whatever the result. flags: 0 waits,
 * ZMQ_DONTWAIT does not. Returns 0 with both filled; NVG_EAGAIN when no message is waiting
 * (ZMQ_DONTWAIT) or a signal interrupted the wait (check the stop flag and call again);
 * NVG_EMALFORMED for a message of one frame or more than two, whose frames have all been
 * drained so that the next call starts on the next message (count it as dropped); NVG_EZMQ
 * when the socket failed (zmq_errno(): ETERM, ...). */
int nvg_zmq_recv_topic(void *sock, zmq_msg_t *topic, zmq_msg_t *body, int flags);

/* zmq_connect, with ZMQ_IPV6 on when endpoint is a literal IPv6 one ("tcp://[::1]:7702").
 * Same result as zmq_connect. */
int nvg_zmq_connect(void *sock, const char *endpoint);

struct nvg_cert;
/* CURVE server side on sock, after nvg_zmq_socket and before its bind: own must hold a secret
 * key. The socket's ZMQ_MAXMSGSIZE grows by CURVE's framing, so the cap stays the plaintext's.
 * zap_domain names the socket to the ZAP handler (ZMQ_ZAP_DOMAIN), which decides per domain which
 * roles may connect. Returns 0, or NVG_EINVAL / NVG_EZMQ with the reason in err. */
int nvg_zmq_curve_server(void *sock, const struct nvg_cert *own, const char *zap_domain, char *err);
/* CURVE client side on sock, after nvg_zmq_socket and before its connect: own must hold a secret
 * key; server is the collector's public certificate. Same results. */
int nvg_zmq_curve_client(void *sock, const struct nvg_cert *own, const struct nvg_cert *server,
                         char *err);

#endif
