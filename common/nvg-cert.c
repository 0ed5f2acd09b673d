#include "nvg-cert.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "nvg-error.h"

/* Certificates are a few hundred bytes; anything far larger is not one. */
#define CERT_FILE_MAX 65536

static int read_small_file(const char *path, char *buf, size_t size, bool *group_other_access,
                           char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot open %s: %s", path, strerror(errno));
        return NVG_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, NVG_ERRBUF_SIZE, "%s is not a regular file", path);
        close(fd);
        return NVG_EIO;
    }
    *group_other_access = (st.st_mode & (S_IRWXG | S_IRWXO)) != 0;
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, size - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, NVG_ERRBUF_SIZE, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return NVG_EIO;
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used == size - 1) {
            snprintf(err, NVG_ERRBUF_SIZE, "%s is too large to be a certificate", path);
            close(fd);
            return NVG_EMALFORMED;
        }
    }
    close(fd);
    buf[used] = '\0';
    return 0;
}

/* "key = value", "key = \"value\"" or "key = 'value'": value into out (size bytes). Returns
 * false when the line is not of that shape or the value does not fit. */
static bool zpl_value(const char *line, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    if (strncmp(line, key, klen) != 0)
        return false;
    const char *p = line + klen;
    p += strspn(p, " \t");
    if (*p++ != '=')
        return false;
    p += strspn(p, " \t");
    size_t len;
    if (*p == '"' || *p == '\'') {
        const char *close = strchr(p + 1, *p);
        if (!close)
            return false;
        len = (size_t)(close - p - 1), p++;
    } else {
        len = strcspn(p, " \t#");
    }
    if (len >= size)
        return false;
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

struct zpl_fields {
    char name[NVG_NAME_MAX + 2]; /* one more: a too-long name is caught by nvg_name_valid */
    char public_key[NVG_CERT_Z85_LEN + 2];
    char secret_key[NVG_CERT_Z85_LEN + 2];
    bool has_name, has_public, has_secret;
};

/* ZPL (ZeroMQ RFC 4): a section name at column 0, its properties indented below it. Only the
 * three properties a certificate needs are read; the rest is ignored, as zcert does. */
static void zpl_parse(char *text, struct zpl_fields *f)
{
    char section[16] = "";
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        size_t indent = strspn(line, " \t");
        char *p = line + indent;
        if (*p == '\0' || *p == '#')
            continue;
        if (indent == 0) {
            snprintf(section, sizeof(section), "%.*s", (int)strcspn(p, " \t=#"), p);
            continue;
        }
        if (strcmp(section, "metadata") == 0)
            f->has_name |= zpl_value(p, "name", f->name, sizeof(f->name));
        else if (strcmp(section, "curve") == 0) {
            f->has_public |= zpl_value(p, "public-key", f->public_key, sizeof(f->public_key));
            f->has_secret |= zpl_value(p, "secret-key", f->secret_key, sizeof(f->secret_key));
        }
    }
}

static bool z85_key_ok(const char *z85)
{
    uint8_t raw[32];
    return strlen(z85) == NVG_CERT_Z85_LEN && zmq_z85_decode(raw, z85) != NULL;
}

/* The file name without its directory and ".key" / ".key_secret". */
static void name_from_path(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    const char *ext = strstr(base, ".key");
    if (ext && (strcmp(ext, ".key") == 0 || strcmp(ext, ".key_secret") == 0))
        len = (size_t)(ext - base);
    snprintf(out, size, "%.*s", (int)len, base);
}

static int cert_check(const char *path, struct zpl_fields *f, bool loose_mode, char *err)
{
    if (!f->has_public || !z85_key_ok(f->public_key)) {
        snprintf(err, NVG_ERRBUF_SIZE, "%s: no valid curve public-key (40 Z85 characters)", path);
        return NVG_EMALFORMED;
    }
    if (f->has_secret) {
        char derived[NVG_CERT_Z85_LEN + 1];
        if (!z85_key_ok(f->secret_key) || zmq_curve_public(derived, f->secret_key) != 0 ||
            strcmp(derived, f->public_key) != 0) {
            snprintf(err, NVG_ERRBUF_SIZE, "%s: the secret-key does not match the public-key",
                     path);
            return NVG_EMALFORMED;
        }
        if (loose_mode) {
            snprintf(err, NVG_ERRBUF_SIZE,
                     "%s holds a secret key but group or others may access it: chmod 600 %s", path,
                     path);
            return NVG_EPERM;
        }
    }
    if (!f->has_name || f->name[0] == '\0')
        name_from_path(path, f->name, sizeof(f->name));
    if (!nvg_name_valid(f->name)) {
        snprintf(err, NVG_ERRBUF_SIZE,
                 "%s: the certificate name must be 1-%d characters of A-Z a-z 0-9 . _ : @ -", path,
                 NVG_NAME_MAX);
        return NVG_EMALFORMED;
    }
    return 0;
}

int nvg_cert_load(const char *path, struct nvg_cert *cert, char *err)
{
    char buf[CERT_FILE_MAX];
    bool loose_mode;
    int rc = read_small_file(path, buf, sizeof(buf), &loose_mode, err);
    if (rc < 0)
        return rc;
    struct zpl_fields f = {0};
    zpl_parse(buf, &f);
    rc = cert_check(path, &f, loose_mode, err);
    explicit_bzero(buf, sizeof(buf));
    if (rc == 0) {
        memset(cert, 0, sizeof(*cert));
        memcpy(cert->name, f.name, strlen(f.name) + 1);
        memcpy(cert->public_key, f.public_key, NVG_CERT_Z85_LEN + 1);
        if (f.has_secret)
            memcpy(cert->secret_key, f.secret_key, NVG_CERT_Z85_LEN + 1);
    }
    explicit_bzero(&f, sizeof(f));
    return rc;
}

bool nvg_cert_has_secret(const struct nvg_cert *cert)
{
    return cert->secret_key[0] != '\0';
}

int nvg_cert_generate(struct nvg_cert *cert, const char *name)
{
    if (!nvg_name_valid(name))
        return NVG_EINVAL;
    memset(cert, 0, sizeof(*cert));
    if (zmq_curve_keypair(cert->public_key, cert->secret_key) != 0)
        return NVG_EZMQ;
    memcpy(cert->name, name, strlen(name) + 1);
    return 0;
}

static int write_cert_file(const char *path, mode_t mode, const struct nvg_cert *cert, bool secret,
                           char *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot create %s: %s", path, strerror(errno));
        return NVG_EIO;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", gmtime_r(&now, &tm));
    char text[1024];
    int len =
        snprintf(text, sizeof(text),
                 "#   ****  Generated on %s UTC by netvigil  ****\n"
                 "#   ZeroMQ CURVE %s Certificate\n"
                 "#   %s\n\n"
                 "metadata\n    name = \"%s\"\ncurve\n    public-key = \"%s\"\n",
                 stamp, secret ? "**Secret**" : "Public",
                 secret ? "DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."
                        : "Exchange securely, or use a secure mechanism to verify the "
                          "contents of this file after exchange.",
                 cert->name, cert->public_key);
    if (secret)
        len += snprintf(text + len, sizeof(text) - (size_t)len, "    secret-key = \"%s\"\n",
                        cert->secret_key);
    bool ok = fchmod(fd, mode) == 0 && write(fd, text, (size_t)len) == len && fsync(fd) == 0;
    int saved = errno;
    explicit_bzero(text, sizeof(text));
    if (close(fd) != 0 && ok)
        ok = false, saved = errno;
    if (!ok) {
        snprintf(err, NVG_ERRBUF_SIZE, "cannot write %s: %s", path, strerror(saved));
        unlink(path);
        return NVG_EIO;
    }
    return 0;
}

int nvg_cert_save(const struct nvg_cert *cert, const char *dir, char *err)
{
    if (!nvg_cert_has_secret(cert) || !nvg_name_valid(cert->name)) {
        snprintf(err, NVG_ERRBUF_SIZE, "no key pair to save");
        return NVG_EINVAL;
    }
    char pub[4096], sec[4096];
    if (snprintf(pub, sizeof(pub), "%s/%s.key", dir, cert->name) >= (int)sizeof(pub) ||
        snprintf(sec, sizeof(sec), "%s/%s.key_secret", dir, cert->name) >= (int)sizeof(sec)) {
        snprintf(err, NVG_ERRBUF_SIZE, "directory name too long");
        return NVG_EINVAL;
    }
    int rc = write_cert_file(sec, 0600, cert, true, err);
    if (rc == 0 && (rc = write_cert_file(pub, 0644, cert, false, err)) < 0)
        unlink(sec);
    return rc;
}

int nvg_cert_default_dir(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, size, "%s/netvigil", xdg);
    else if (home && home[0])
        n = snprintf(buf, size, "%s/.config/netvigil", home);
    else
        return NVG_ENOTFOUND;
    return n < 0 || (size_t)n >= size ? NVG_EINVAL : 0;
}

/* The one *.key_secret in dir into path: 1 found, 0 none, NVG_EINVAL several. */
static int find_default_secret(const char *dir, char *path, size_t size, char *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 11 || strcmp(e->d_name + len - 11, ".key_secret") != 0)
            continue;
        if (found++) {
            snprintf(err, NVG_ERRBUF_SIZE,
                     "several *.key_secret files in %.400s: choose one with --key", dir);
            closedir(d);
            return NVG_EINVAL;
        }
        snprintf(path, size, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    return found;
}

int nvg_cert_load_client(const char *key_path, const char *collector_key_path, bool use_defaults,
                         struct nvg_cert *own, struct nvg_cert *collector, char *err)
{
    char dir[4096], def_key[4352], def_collector[4352];
    if (use_defaults && nvg_cert_default_dir(dir, sizeof(dir)) == 0) {
        if (!key_path) {
            int rc = find_default_secret(dir, def_key, sizeof(def_key), err);
            if (rc < 0)
                return rc;
            key_path = rc ? def_key : NULL;
        }
        snprintf(def_collector, sizeof(def_collector), "%s/collector.key", dir);
        if (!collector_key_path && access(def_collector, F_OK) == 0)
            collector_key_path = def_collector;
    }
    if (!key_path && !collector_key_path)
        return 0;
    if (!key_path || !collector_key_path) {
        snprintf(err, NVG_ERRBUF_SIZE, "CURVE needs both keys: %s",
                 key_path ? "--collector-key FILE.key (the collector's public certificate)"
                          : "--key FILE.key_secret (this client's own key pair)");
        return NVG_EINVAL;
    }
    int rc = nvg_cert_load(key_path, own, err);
    if (rc == 0 && !nvg_cert_has_secret(own)) {
        snprintf(err, NVG_ERRBUF_SIZE, "%.400s has no secret key: --key wants a .key_secret file",
                 key_path);
        rc = NVG_EINVAL;
    }
    if (rc == 0)
        rc = nvg_cert_load(collector_key_path, collector, err);
    if (rc == 0)
        memset(collector->secret_key, 0, sizeof(collector->secret_key)); /* never needed */
    return rc < 0 ? rc : 1;
}
