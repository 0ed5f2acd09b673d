/* Strings from peers are data, never markup: the alphabet of names, the shape of every other wire
 * string, and escaping for the places (logs, terminals) where a control byte would be obeyed
 * rather than shown.
 *
 * Names (sensor names, key names) come from a small ASCII alphabet so that no name can be a
 * lookalike of another ("s1" and "s1\u200b"), a spreadsheet formula or a path. Other strings
 * (source, version, error, filter) are free text: valid UTF-8, printable, and capped. */
#ifndef NVG_TEXT_H
#define NVG_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest name: [A-Za-z0-9._:@-]{1,63}. */
#define NVG_NAME_MAX 63

/* Caps, in bytes, on the free-text strings of the wire contract. */
#define NVG_TEXT_SOURCE_MAX 255  /* Hello/SensorStatus source: interface or file path */
#define NVG_TEXT_VERSION_MAX 63  /* software_version */
#define NVG_TEXT_ERROR_MAX 255   /* error texts of replies and statuses */
#define NVG_TEXT_FILTER_MAX 1023 /* capture filters */

/* Whether s is a valid name: 1..NVG_NAME_MAX bytes of [A-Za-z0-9._:@-]. */
bool nvg_name_valid(const char *s);

/* Whether s (len bytes, not necessarily terminated) is printable UTF-8 of at most cap bytes:
 * well-formed shortest-form UTF-8 without surrogates, no NUL, no C0 or C1 control characters,
 * no DEL, and none of the invisible format characters that make text lie about itself (zero
 * width U+200B..U+200F, bidirectional overrides U+202A..U+202E and U+2066..U+2069, U+2028/9,
 * U+FEFF). An empty string is valid. */
bool nvg_text_valid(const char *s, size_t len, size_t cap);

/* Copies src (len bytes) into dst (size bytes, size >= 1; always terminated) so that it can be
 * printed anywhere: printable UTF-8 is kept, a backslash becomes "\\", every other byte (control
 * characters, DEL, invalid UTF-8, the format characters nvg_text_valid refuses) becomes "\xHH".
 * When dst is too small the copy ends at a character boundary with "...". Returns strlen(dst). */
size_t nvg_text_escape(char *dst, size_t size, const char *src, size_t len);

/* Room for nvg_text_escape of n bytes without truncation: every byte may become 4. */
#define NVG_TEXT_ESCAPED_SIZE(n) (4 * (n) + 1)

#endif
