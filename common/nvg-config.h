/* Config files (issue 13): an INI file (libinih) read into (section, key, value, line)
 * entries, then fed through a program's own command-line parser, so that every long option
 * is a key of the same name and the getopt table stays the one list of options.
 *
 * The file owns every string it hands out: options structs keep `const char *`s into it, so a
 * config lives until the program exits (nvg_config_free). A reread config is chained in front
 * of the one it replaces (prev) rather than freeing it, since options still in force may point
 * into the older one. */
#ifndef NVG_CONFIG_H
#define NVG_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "nvg-error.h"

#define NVG_CONFIG_MAX_BYTES (1u << 20) /* a bigger file is refused, not read */

struct nvg_config_entry {
    char *section;
    char *key;
    char *value;
    int line;
    int section_line; /* the line of its [section] header */
};

struct nvg_config_section {
    char *name;
    int line;
};

struct nvg_config {
    char *path;
    struct nvg_config_entry *v;
    size_t n, cap;
    struct nvg_config_section *sections; /* every [section] header, keys or not */
    size_t nsections, sections_cap;
    struct nvg_config *prev; /* an older reading still referenced; freed with this one */
};

/* Reads and parses path. NULL with "PATH:LINE: reason" (or "PATH: reason") in err. Lines are
 * at most 199 bytes (libinih's), continuation lines are refused, and a key must sit inside a
 * [section]; which sections and keys are valid is the caller's (nvg_config_apply). */
struct nvg_config *nvg_config_load(const char *path, char err[NVG_ERRBUF_SIZE]);
/* Frees c and every reading chained behind it. NULL is fine. */
void nvg_config_free(struct nvg_config *c);
/* Whether p points into a string c (or one chained behind it) owns. */
bool nvg_config_owns(const struct nvg_config *c, const void *p);

/* "true", "yes", "1", "on" -> 1; "false", "no", "0", "off" -> 0; anything else -> -1. */
int nvg_config_bool(const char *value);

/* The long option of key in a getopt table, or NULL. "help", "version" and "config" are never
 * keys. */
const struct option *nvg_config_option(const struct option *table, const char *key);

/* The program's parser for one option: arg is the value (NULL for a no-argument option set
 * to true). Returns 0, or <0 with the reason in why (NVG_ERRBUF_SIZE). */
typedef int (*nvg_config_apply_fn)(void *ud, const struct option *opt, const char *arg, char *why);
/* Whether a section name is one the program reads. */
typedef bool (*nvg_config_section_fn)(const char *section);

/* Checks every entry (its section with section_ok, its key against table, a no-argument
 * option's boolean), then applies the entries of sections[0..nsections) in that order, a key
 * given again later in the order replacing the earlier one (an option set to false is not
 * applied: the default stays). Returns 0, or <0 with "PATH:LINE: reason" in err. */
int nvg_config_apply(const struct nvg_config *c, const struct option *table,
                     nvg_config_section_fn section_ok, const char *const *sections,
                     size_t nsections, nvg_config_apply_fn fn, void *ud, char err[NVG_ERRBUF_SIZE]);

/* The value of key in the last of sections that sets it, or NULL (before applying: the
 * sensor's interface, which picks its [IFACE] section). */
const char *nvg_config_get(const struct nvg_config *c, const char *const *sections,
                           size_t nsections, const char *key);

#endif
