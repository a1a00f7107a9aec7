/* text.c - escaping for people, UTF-8 checks and base64 for JSON (see text.h). Pure: unit-tested. */
#include "text.h"
#include "xmalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 character S starts if the AVAIL bytes there (1 or more) are a valid
 * beginning of one (no overlong form, no UTF-16 surrogate, nothing beyond U+10FFFF); else 0. */
static size_t utf8_expected_length(const unsigned char *s, size_t avail)
{
	unsigned char low = 0x80, high = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		low = 0xa0;
	else if (s[0] == 0xed)
		high = 0x9f;
	else if (s[0] == 0xf0)
		low = 0x90;
	else if (s[0] == 0xf4)
		high = 0x8f;
	if (avail > 1 && (s[1] < low || s[1] > high))
		return 0;
	for (size_t i = 2; i < n && i < avail; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The length of the whole valid UTF-8 character at S, 0 if there is none. */
static size_t utf8_length(const unsigned char *s, size_t len)
{
	size_t n = utf8_expected_length(s, len);

	return n <= len ? n : 0;
}

/* A control character: C0, DEL, or C1 (U+0080..U+009F, which is 0xc2 0x80..0x9f). */
static bool is_control(const unsigned char *s, size_t n)
{
	return (n == 1 && (s[0] < 0x20 || s[0] == 0x7f)) || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

/* The next piece of output for the text at S: the character as it is, or the escape of its first
 * byte. Returns the piece's length in PIECE (at least 5 bytes), *used the bytes of S it covers. */
static size_t next_piece(const unsigned char *s, size_t len, unsigned keep, char *piece,
			 size_t *used)
{
	size_t n = utf8_length(s, len);

	if (n > 0 && !is_control(s, n)) {
		memcpy(piece, s, n);
		*used = n;
		return n;
	}
	*used = 1;
	if ((s[0] == '\t' && (keep & TEXT_KEEP_TAB)) || (s[0] == '\n' && (keep & TEXT_KEEP_NEWLINE))) {
		piece[0] = (char)s[0];
		return 1;
	}
	if (s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		piece[0] = '\\';
		piece[1] = s[0] == '\t' ? 't' : s[0] == '\n' ? 'n' : 'r';
		return 2;
	}
	snprintf(piece, 5, "\\x%02x", s[0]);
	return 4;
}

size_t text_escape(char *out, size_t size, const char *data, size_t len, unsigned keep)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t written = 0, used;
	char piece[8];

	if (size == 0)
		return 0;
	for (size_t i = 0; i < len; i += used) {
		size_t n = next_piece(s + i, len - i, keep, piece, &used);
		if (written + n >= size)
			break;
		memcpy(out + written, piece, n);
		written += n;
	}
	out[written] = '\0';
	return written;
}

char *text_escape_dup(const char *data, size_t len, unsigned keep)
{
	char *out;

	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	out = xmalloc(len * 4 + 1);  /* every byte as \xHH at most */
	text_escape(out, len * 4 + 1, data, len, keep);
	return out;
}

size_t text_incomplete_tail(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;

	for (size_t back = 1; back <= 3 && back <= len; back++) {
		const unsigned char *start = s + len - back;
		if ((*start & 0xc0) == 0x80)
			continue;  /* a continuation byte: its lead is further back */
		size_t n = utf8_expected_length(start, back);
		return n > back ? back : 0;
	}
	return 0;
}

json_t *text_to_json(const char *data, size_t len)
{
	static const char replacement[] = "\xef\xbf\xbd";  /* U+FFFD */
	const unsigned char *s = (const unsigned char *)data;
	json_t *exact = json_stringn(data, len);
	char *copy;
	size_t n = 0;

	if (exact || len > SIZE_MAX / 3)
		return exact;
	copy = xmalloc(len * 3);
	for (size_t i = 0; i < len;) {
		size_t k = utf8_length(s + i, len - i);
		if (k == 0) {
			memcpy(copy + n, replacement, 3);
			n += 3;
			i++;
		} else {
			memcpy(copy + n, s + i, k);
			n += k;
			i += k;
		}
	}
	exact = json_stringn(copy, n);
	free(copy);
	return exact;
}

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;
	char *out, *o;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2)
		return NULL;
	out = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t group = (uint32_t)s[i] << 16;
		if (i + 1 < len)
			group |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < len)
			group |= s[i + 2];
		*o++ = base64_alphabet[group >> 18];
		*o++ = base64_alphabet[(group >> 12) & 63];
		*o++ = i + 1 < len ? base64_alphabet[(group >> 6) & 63] : '=';
		*o++ = i + 2 < len ? base64_alphabet[group & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* The value of one base64 digit, -1 if C is not one. */
static int base64_value(char c)
{
	const char *at = c ? strchr(base64_alphabet, c) : NULL;

	return at ? (int)(at - base64_alphabet) : -1;
}

char *base64_decode(const char *text, size_t *len)
{
	size_t text_len = strlen(text), n = 0;
	char *out;

	if (text_len % 4 != 0)
		return NULL;
	out = xmalloc(text_len / 4 * 3 + 1);
	for (size_t i = 0; i < text_len; i += 4) {
		bool last = i + 4 == text_len;
		int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
		uint32_t group = 0;
		for (int k = 0; k < 4; k++) {
			int v = k >= 4 - pad ? 0 : base64_value(text[i + k]);
			if (v < 0) {  /* not a digit, or '=' where a digit must be */
				free(out);
				return NULL;
			}
			group = group << 6 | (uint32_t)v;
		}
		out[n++] = (char)(group >> 16);
		if (pad < 2)
			out[n++] = (char)(group >> 8);
		if (pad < 1)
			out[n++] = (char)group;
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/* Edit distance between A and B ignoring case, or LIMIT + 1 once it is known to exceed LIMIT. */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b), row[64], best;

	if (la >= sizeof(row) / sizeof(row[0]) || lb >= sizeof(row) / sizeof(row[0]))
		return limit + 1;  /* no option is that long: not a typo of one */
	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];
		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t d = diagonal + cost;
			if (above + 1 < d)
				d = above + 1;
			if (row[j - 1] + 1 < d)
				d = row[j - 1] + 1;
			row[j] = d;
			diagonal = above;
			if (d < best)
				best = d;
		}
		if (best > limit)
			return limit + 1;
	}
	return row[lb];
}

const char *did_you_mean(const char *word, const char *const *keys, size_t n)
{
	static char hint[160];
	size_t best = 3, len = strlen(word);
	const char *found = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, keys[i], 2);
		if (d < best && d < len) {
			best = d;
			found = keys[i];
		}
	}
	if (found == NULL)
		return "";
	snprintf(hint, sizeof(hint), " (did you mean '%s'?)", found);
	return hint;
}
