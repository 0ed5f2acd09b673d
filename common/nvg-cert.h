/* CURVE key pairs in ZeroMQ's certificate files (ZPL, as CZMQ's zcert and pyzmq's zmq.auth write
 * them): NAME.key holds the public key, NAME.key_secret the public and the secret key.
 *
 *     metadata
 *         name = "NAME"
 *     curve
 *         public-key = "<40 Z85 characters>"
 *         secret-key = "<40 Z85 characters>"      (NAME.key_secret only)
 *
 * A certificate's name is its metadata name, or the file name without ".key"/".key_secret" when
 * the metadata has none (pyzmq writes none); either way it must be a valid name (nvg-text.h).
 * It is the identity a collector's allow-list knows the key by. */
#ifndef NVG_CERT_H
#define NVG_CERT_H

#include <stdbool.h>
#include <stddef.h>

#include "nvg-text.h"

#define NVG_CERT_Z85_LEN 40 /* a 32-byte key in Z85 */

struct nvg_cert {
    char name[NVG_NAME_MAX + 1];
    char public_key[NVG_CERT_Z85_LEN + 1];
    char secret_key[NVG_CERT_Z85_LEN + 1]; /* "" when loaded from a public certificate */
};

/* Loads path (a .key or .key_secret file). A file with a secret key must not be readable or
 * writable by group or other (NVG_EPERM: "chmod 600 ..."); its public key must match the secret
 * one. Returns 0, or NVG_EIO (cannot read), NVG_EPERM, NVG_EMALFORMED (not a certificate, a key
 * that is not 40 Z85 characters, keys that do not match, a name that is not valid), with the
 * reason naming path in err (NVG_ERRBUF_SIZE). */
int nvg_cert_load(const char *path, struct nvg_cert *cert, char *err);

/* Whether cert holds a secret key (loaded from a .key_secret file or generated). */
bool nvg_cert_has_secret(const struct nvg_cert *cert);

/* A fresh key pair named name. Returns 0, NVG_EINVAL (name not valid) or NVG_EZMQ (libzmq
 * built without CURVE). */
int nvg_cert_generate(struct nvg_cert *cert, const char *name);

/* Writes DIR/NAME.key (mode 0644) and DIR/NAME.key_secret (mode 0600, created so: never
 * readable by others, not even for a moment). Refuses to replace an existing file. Returns 0,
 * NVG_EINVAL (cert has no secret), or NVG_EIO with the reason in err. */
int nvg_cert_save(const struct nvg_cert *cert, const char *dir, char *err);

/* The keys of a client (sensor, ctl, viewer): own key pair from key_path (--key
 * FILE.key_secret) and the collector's public certificate from collector_key_path
 * (--collector-key FILE.key). With use_defaults (ctl, viewer), a path left NULL comes from
 * $XDG_CONFIG_HOME/netvigil/ (~/.config/netvigil/): collector.key, and the one *.key_secret
 * file there. Returns 1 with both loaded, 0 when no key is configured at all (neither option
 * nor, with use_defaults, any default file: the client connects without CURVE), or < 0 with
 * the reason in err: one of the two missing, a file that does not load (nvg_cert_load),
 * several *.key_secret files to choose from. */
int nvg_cert_load_client(const char *key_path, const char *collector_key_path, bool use_defaults,
                         struct nvg_cert *own, struct nvg_cert *collector, char *err);

/* The directory the defaults come from, into buf (size bytes). Returns 0, or NVG_ENOTFOUND
 * (neither $XDG_CONFIG_HOME nor $HOME is set) / NVG_EINVAL (too long). */
int nvg_cert_default_dir(char *buf, size_t size);

#endif
