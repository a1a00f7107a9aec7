/* text.h - bytes from children and clients, made safe to show and carried whole in JSON.
 *
 * What a child writes (its output, an sd_notify STATUS=, its command line) and what a client sends
 * may hold terminal escape sequences, NULs and bytes that are not UTF-8. Shown to a person (by
 * cirquectl, in the daemon's log) they are escaped; in JSON they travel exactly (base64) or as
 * valid UTF-8 text. */
#ifndef CIRQUE_TEXT_H
#define CIRQUE_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Characters text_escape may leave as they are (where a line or a column is expected). */
enum {
	TEXT_KEEP_TAB = 1,
	TEXT_KEEP_NEWLINE = 2,
};

/* Writes DATA (LEN bytes) into OUT (SIZE bytes, NUL-terminated when SIZE > 0) with every control
 * character (C0, DEL, C1) and every byte that is not part of valid UTF-8 escaped: \t, \n, \r,
 * else \xHH (a C1 character is escaped byte by byte). Other text, valid UTF-8 included, is
 * copied; a backslash is not escaped, so escaping twice changes nothing. KEEP (TEXT_KEEP_*)
 * lists characters to copy as they are. What does not fit is left out whole: an escape or a
 * character is never cut. Returns the length written (without the NUL). */
size_t text_escape(char *out, size_t size, const char *data, size_t len, unsigned keep);
/* The same into a new string. */
char *text_escape_dup(const char *data, size_t len, unsigned keep);

/* How many bytes at the end of DATA (0 to 3) begin a UTF-8 character that is not complete yet:
 * a reader of a stream in pieces keeps them for the next piece rather than escape them. */
size_t text_incomplete_tail(const char *data, size_t len);

/* A JSON string of DATA: exact when DATA is valid UTF-8 (NULs included), else with each byte
 * that is not replaced by U+FFFD. Never NULL unless out of memory. */
json_t *text_to_json(const char *data, size_t len);

/* Standard base64 (RFC 4648, padded): every byte, whatever it is, in a JSON-safe string. */
char *base64_encode(const char *data, size_t len);
/* Decodes TEXT into a new buffer (*len bytes, plus a NUL not counted); NULL if TEXT is not
 * well-formed base64 or memory is short. */
char *base64_decode(const char *text, size_t *len);

/* " (did you mean 'numprocesses'?)" for a WORD one or two edits (case aside) from one of the
 * N KEYS, else "". In a static buffer. */
const char *did_you_mean(const char *word, const char *const *keys, size_t n);

#endif
