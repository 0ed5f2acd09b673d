#include "nvg-config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libinih hands lines to its handler without their numbers (INI_HANDLER_LINENO is 0 in
 * Debian's build), so the file is served to it line by line from memory by our own reader,
 * which counts them and catches what libinih would take silently: a line longer than its
 * buffer (cut in two) and an indented line (glued to the previous value). */
struct load {
    struct nvg_config *c;
    const char *text, *pos, *end;
    int line;
    int section_line; /* of the last [section] header */
    char why[200];    /* first reason, for the line libinih reports */
    int why_line;
};

__attribute__((format(printf, 2, 3))) static int fail_at(struct load *l, const char *fmt, ...)
{
    if (!l->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->why, sizeof(l->why), fmt, ap);
        va_end(ap);
        l->why_line = l->line;
    }
    return 0;
}

static bool indented_content(const char *s, size_t n)
{
    if (n == 0 || (s[0] != ' ' && s[0] != '\t'))
        return false;
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i < n && s[i] != '\n' && s[i] != '\r' && s[i] != ';' && s[i] != '#';
}

/* Sections are checked even when they hold no key (libinih reports only keys). */
static void add_section(struct load *l, const char *name)
{
    struct nvg_config *c = l->c;
    const char *end = strchr(name, ']');
    l->section_line = l->line;
    if (!end)
        return; /* libinih reports the line */
    if (c->nsections == c->sections_cap) {
        size_t cap = c->sections_cap ? c->sections_cap * 2 : 8;
        struct nvg_config_section *v = realloc(c->sections, cap * sizeof(*v));
        if (!v) {
            fail_at(l, "out of memory");
            return;
        }
        c->sections = v;
        c->sections_cap = cap;
    }
    struct nvg_config_section *sec = &c->sections[c->nsections];
    sec->name = strndup(name, (size_t)(end - name));
    sec->line = l->line;
    if (sec->name)
        c->nsections++;
    else
        fail_at(l, "out of memory");
}

static char *reader(char *str, int num, void *stream)
{
    struct load *l = stream;
    if (l->pos >= l->end)
        return NULL;
    const char *nl = memchr(l->pos, '\n', (size_t)(l->end - l->pos));
    size_t n = nl ? (size_t)(nl - l->pos) + 1 : (size_t)(l->end - l->pos);
    l->line++;
    if (n > (size_t)num - 1) {
        fail_at(l, "line longer than %d bytes", num - 2);
        n = (size_t)num - 1;
    } else if (indented_content(l->pos, n)) {
        fail_at(l, "indented line (continuation lines are not supported)");
    }
    memcpy(str, l->pos, n);
    str[n] = '\0';
    if (str[strspn(str, " \t")] == '[')
        add_section(l, str + strspn(str, " \t") + 1);
    l->pos += nl ? (size_t)(nl - l->pos) + 1 : n;
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct load *l = user;
    struct nvg_config *c = l->c;
    if (!section[0])
        return fail_at(l, "'%s' outside a [section]", name);
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct nvg_config_entry *v = realloc(c->v, cap * sizeof(*v));
        if (!v)
            return fail_at(l, "out of memory");
        c->v = v;
        c->cap = cap;
    }
    struct nvg_config_entry *e = &c->v[c->n];
    *e = (struct nvg_config_entry){strdup(section), strdup(name), strdup(value), l->line,
                                   l->section_line};
    if (!e->section || !e->key || !e->value) {
        free(e->section);
        free(e->key);
        free(e->value);
        return fail_at(l, "out of memory");
    }
    c->n++;
    return 1;
}

static char *read_all(const char *path, size_t *len, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, NVG_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(NVG_CONFIG_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, NVG_CONFIG_MAX_BYTES + 1, f) : 0;
    int bad = !buf ? ENOMEM : ferror(f) ? EIO : 0;
    fclose(f);
    if (bad || n > NVG_CONFIG_MAX_BYTES) {
        snprintf(err, NVG_ERRBUF_SIZE, "%s: %s", path,
                 bad ? strerror(bad) : "larger than 1 MiB, not a config file");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

struct nvg_config *nvg_config_load(const char *path, char err[NVG_ERRBUF_SIZE])
{
    size_t len;
    char *text = read_all(path, &len, err);
    if (!text)
        return NULL;
    struct nvg_config *c = calloc(1, sizeof(*c));
    struct load l = {.c = c, .text = text, .pos = text, .end = text + len};
    int rc = -2;
    if (c && (c->path = strdup(path)))
        rc = ini_parse_stream(reader, &l, handler, &l);
    free(text);
    if (rc == 0 && l.why[0])
        rc = l.why_line; /* a reader complaint on a line libinih accepted */
    if (rc != 0) {
        if (rc < 0)
            snprintf(err, NVG_ERRBUF_SIZE, "%s: out of memory", path);
        else
            snprintf(err, NVG_ERRBUF_SIZE, "%s:%d: %s", path, l.why[0] ? l.why_line : rc,
                     l.why[0] ? l.why : "syntax error (expected [section] or key = value)");
        nvg_config_free(c);
        return NULL;
    }
    return c;
}

void nvg_config_free(struct nvg_config *c)
{
    while (c) {
        struct nvg_config *prev = c->prev;
        for (size_t i = 0; i < c->n; i++) {
            free(c->v[i].section);
            free(c->v[i].key);
            free(c->v[i].value);
        }
        for (size_t i = 0; i < c->nsections; i++)
            free(c->sections[i].name);
        free(c->sections);
        free(c->v);
        free(c->path);
        free(c);
        c = prev;
    }
}

bool nvg_config_owns(const struct nvg_config *c, const void *p)
{
    const char *q = p;
    for (; c; c = c->prev)
        for (size_t i = 0; i < c->n; i++) {
            const char *s = c->v[i].value;
            if (q >= s && q <= s + strlen(s))
                return true;
        }
    return false;
}

int nvg_config_bool(const char *value)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0)
            return 1;
        if (strcasecmp(value, no[i]) == 0)
            return 0;
    }
    return -1;
}

const struct option *nvg_config_option(const struct option *table, const char *key)
{
    if (!strcmp(key, "help") || !strcmp(key, "version") || !strcmp(key, "config"))
        return NULL;
    for (const struct option *o = table; o->name; o++)
        if (strcmp(o->name, key) == 0)
            return o;
    return NULL;
}

/* Position of e in the applying order: its section's index, or -1 when not applied. */
static int rank(const struct nvg_config_entry *e, const char *const *sections, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sections[i] && strcmp(e->section, sections[i]) == 0)
            return (int)i;
    return -1;
}

/* Whether a later entry in the applying order sets the same key. */
static bool replaced(const struct nvg_config *c, size_t at, int r, const char *const *sections,
                     size_t n)
{
    for (size_t j = 0; j < c->n; j++) {
        int rj = rank(&c->v[j], sections, n);
        if (j != at && rj >= 0 && strcmp(c->v[j].key, c->v[at].key) == 0 &&
            (rj > r || (rj == r && j > at)))
            return true;
    }
    return false;
}

static int check(const struct nvg_config *c, const struct option *table,
                 nvg_config_section_fn section_ok, char *err)
{
    for (size_t i = 0; i < c->nsections; i++)
        if (!section_ok(c->sections[i].name)) {
            snprintf(err, NVG_ERRBUF_SIZE, "%s:%d: unknown section '[%s]'", c->path,
                     c->sections[i].line, c->sections[i].name);
            return NVG_EINVAL;
        }
    for (size_t i = 0; i < c->n; i++) {
        const struct nvg_config_entry *e = &c->v[i];
        const struct option *o = nvg_config_option(table, e->key);
        if (!o) {
            snprintf(err, NVG_ERRBUF_SIZE, "%s:%d: unknown key '%s'", c->path, e->line, e->key);
            return NVG_EINVAL;
        }
        if (o->has_arg == no_argument && nvg_config_bool(e->value) < 0) {
            snprintf(err, NVG_ERRBUF_SIZE, "%s:%d: key '%s': '%s' is not true or false", c->path,
                     e->line, e->key, e->value);
            return NVG_EINVAL;
        }
        if (o->has_arg != no_argument && !e->value[0]) {
            snprintf(err, NVG_ERRBUF_SIZE, "%s:%d: key '%s' needs a value", c->path, e->line,
                     e->key);
            return NVG_EINVAL;
        }
    }
    return 0;
}

int nvg_config_apply(const struct nvg_config *c, const struct option *table,
                     nvg_config_section_fn section_ok, const char *const *sections,
                     size_t nsections, nvg_config_apply_fn fn, void *ud, char err[NVG_ERRBUF_SIZE])
{
    int rc = check(c, table, section_ok, err);
    for (size_t s = 0; rc == 0 && s < nsections; s++)
        for (size_t i = 0; rc == 0 && i < c->n; i++) {
            const struct nvg_config_entry *e = &c->v[i];
            if (rank(e, sections, nsections) != (int)s ||
                replaced(c, i, (int)s, sections, nsections))
                continue;
            const struct option *o = nvg_config_option(table, e->key);
            bool flag = o->has_arg == no_argument;
            if (flag && nvg_config_bool(e->value) == 0)
                continue;
            char why[NVG_ERRBUF_SIZE] = "";
            rc = fn(ud, o, flag ? NULL : e->value, why);
            if (rc < 0)
                snprintf(err, NVG_ERRBUF_SIZE, "%s:%d: key '%s': %.300s", c->path, e->line, e->key,
                         why[0] ? why : "invalid value");
        }
    return rc;
}

const char *nvg_config_get(const struct nvg_config *c, const char *const *sections,
                           size_t nsections, const char *key)
{
    const char *v = NULL;
    for (size_t s = 0; s < nsections; s++)
        for (size_t i = 0; i < c->n; i++)
            if (rank(&c->v[i], sections, nsections) == (int)s && !strcmp(c->v[i].key, key))
                v = c->v[i].value;
    return v;
}
