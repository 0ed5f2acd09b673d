/* Who may connect: the collector's ZAP handler (ZeroMQ RFC 27) and its allow-lists.
 *
 * With --keys DIR, DIR/collector.key_secret is the collector's own CURVE pair and
 * DIR/sensors/NAME.key, DIR/viewers/NAME.key, DIR/admins/NAME.key are the public certificates it
 * lets in, with that role. Every CURVE handshake on the three sockets asks this handler, which
 * answers by the client's public key and the socket's ZAP domain: "sensor" (7700) admits
 * sensor keys only, "feed" (7701) and "control" (7702) viewer and admin keys only. An accepted
 * peer gets its certificate name as User-Id and its role as the "Role" metadata property, which
 * libzmq attaches to every message of the connection (peer.h reads them). A key listed twice,
 * or one public key under two names or roles, is refused at load: a list must say one thing.
 *
 * Revocation (SIGHUP, nvg_auth_reload): the new lists take effect for every new handshake at
 * once. libzmq cannot close one peer of a ROUTER, so the connections of a revoked key are cut
 * at the TCP level: main.c tracks the accepted connections' descriptors (socket monitors) and
 * shuts down those whose peer address is one the revoked key authenticated from. A good peer
 * on the same address is cut too; it reconnects and re-authenticates by itself within its
 * reconnect interval (a sensor's batches in flight on that connection are then counted as
 * lost by the sequence accounting, never silently missing). The revoked key's handshakes fail
 * from then on, so it stays out.
 *
 * One object, owned by the collector's thread, like its REP socket. */
#ifndef NVG_AUTH_H
#define NVG_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "nvg-cert.h"
#include "peer.h"

struct nvg_auth;

/* The ZAP domains of the collector's sockets. */
#define NVG_ZAP_DOMAIN_SENSOR "sensor"
#define NVG_ZAP_DOMAIN_FEED "feed"
#define NVG_ZAP_DOMAIN_CONTROL "control"

/* Loads DIR (and the own key pair from own_key, or DIR/collector.key_secret when NULL) and
 * binds the ZAP handler on ctx; call before any socket of ctx binds. counters
 * is lent (keys_unknown, mechanism_refused, role_refused are counted here). NULL with the
 * reason in err (NVG_ERRBUF_SIZE). */
struct nvg_auth *nvg_auth_new(void *ctx, const char *dir, const char *own_key,
                              struct nvg_security_counters *counters, char *err);
void nvg_auth_free(struct nvg_auth *auth);

/* The collector's own key pair, for nvg_zmq_curve_server. */
const struct nvg_cert *nvg_auth_own_cert(const struct nvg_auth *auth);

/* The REP socket, for zmq_poll (ZMQ_POLLIN), and answering what is waiting (at most burst). */
void *nvg_auth_socket(const struct nvg_auth *auth);
void nvg_auth_drain(struct nvg_auth *auth, int burst);

/* Called by nvg_auth_reload with each peer address (as ZAP saw it) of a key that lost its
 * access, so that the caller cuts those connections. */
typedef void (*nvg_auth_revoked_fn)(void *ud, const char *address);

/* Reads DIR again. On success the new lists replace the old, revoked(ud, address) is called
 * for the addresses of every key that is gone or changed role, and the number of keys revoked
 * is returned. On error (a list that does not load) the old lists stay, and NVG_E* is returned
 * with the reason in err. */
int nvg_auth_reload(struct nvg_auth *auth, nvg_auth_revoked_fn revoked, void *ud, char *err);

/* Whether key_name is in the current lists with that role (a cheap per-message check). */
bool nvg_auth_key_allowed(const struct nvg_auth *auth, const char *key_name, enum nvg_role role);

/* Number of keys in the lists, per role (for the start-up log line). */
size_t nvg_auth_count(const struct nvg_auth *auth, enum nvg_role role);

#endif
