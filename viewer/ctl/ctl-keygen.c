/* `netvigil-ctl keygen NAME [--out DIR]`: a CURVE key pair in ZeroMQ's certificate files
 * (nvg-cert.h), NAME.key to hand to the collector's operator and NAME.key_secret that never
 * leaves this host. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "nvg-error.h"
#include "nvg-text.h"

/* Whether DIR/NAME.ext exists; says so. An existing key is never replaced: a person who meant
 * to rotate a key removes the old one on purpose. */
static bool exists(const char *dir, const char *name, const char *ext)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
    if (access(path, F_OK) != 0)
        return false;
    fprintf(stderr, "netvigil-ctl: keygen: %s already exists; not overwriting a key\n", path);
    return true;
}

int nvg_ctl_keygen(struct nvg_ctl *ctl, const char *name)
{
    if (!nvg_name_valid(name)) {
        char esc[256];
        nvg_ctl_escape(esc, sizeof(esc), name);
        fprintf(stderr,
                "netvigil-ctl: keygen: invalid key name '%s': 1 to %d characters of A-Z a-z "
                "0-9 . _ : @ -\n",
                esc, NVG_NAME_MAX);
        return NVG_CTL_EXIT_USAGE;
    }
    const char *dir = ctl->keygen_dir ? ctl->keygen_dir : ".";
    if (exists(dir, name, ".key") || exists(dir, name, ".key_secret"))
        return NVG_CTL_EXIT_FAIL;
    struct nvg_cert cert;
    char err[NVG_ERRBUF_SIZE];
    int rc = nvg_cert_generate(&cert, name);
    if (rc < 0) {
        fprintf(stderr, "netvigil-ctl: keygen: %s\n",
                rc == NVG_EZMQ ? "this libzmq has no CURVE support" : nvg_strerror(rc));
        return NVG_CTL_EXIT_FAIL;
    }
    rc = nvg_cert_save(&cert, dir, err);
    explicit_bzero(cert.secret_key, sizeof(cert.secret_key));
    if (rc < 0) {
        fprintf(stderr, "netvigil-ctl: keygen: %s\n", err);
        return NVG_CTL_EXIT_FAIL;
    }
    printf("%s/%s.key         public certificate (mode 0644)\n", dir, name);
    printf("%s/%s.key_secret  key pair, stays on this host (mode 0600)\n", dir, name);
    printf("public key: %s\n", cert.public_key);
    printf("next: copy %s.key into the collector's keys directory, under sensors/ (a sensor), "
           "viewers/ (feed and status) or admins/ (also commands), then send it SIGHUP\n",
           name);
    return NVG_CTL_EXIT_OK;
}
