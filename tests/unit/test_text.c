/* test_text.c - unit tests for src/text.c: escaping for people, UTF-8 checks, base64. */
#include "check.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* text_escape of LEN bytes (strlen when LEN is -1) with KEEP; lives until the next call. */
static const char *escaped(const char *data, long len, unsigned keep)
{
	static char out[1024];

	text_escape(out, sizeof(out), data, len < 0 ? strlen(data) : (size_t)len, keep);
	return out;
}

/* base64_decode's bytes as a string (NULs shown as '@'), or "(rejected)". */
static const char *decoded(const char *text)
{
	static char out[256];
	size_t len = 0;
	char *bytes = base64_decode(text, &len);

	if (bytes == NULL)
		return "(rejected)";
	for (size_t i = 0; i < len && i < sizeof(out) - 1; i++)
		out[i] = bytes[i] ? bytes[i] : '@';
	out[len < sizeof(out) - 1 ? len : sizeof(out) - 1] = '\0';
	free(bytes);
	return out;
}

TEST(escape_plain_text_unchanged)
{
	CHECK_STR(escaped("hello, world", -1, 0), "hello, world");
	CHECK_STR(escaped("", -1, 0), "");
	CHECK_STR(escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", -1, 0),
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* A backslash stays: escaping what is escaped already changes nothing. */
	CHECK_STR(escaped("C:\\dir \\x1b", -1, 0), "C:\\dir \\x1b");
	CHECK_STR(escaped(escaped("a\033b", -1, 0), -1, 0), "a\\x1bb");
}

TEST(escape_controls)
{
	CHECK_STR(escaped("a\033[31mred", -1, 0), "a\\x1b[31mred");
	CHECK_STR(escaped("nul\0end", 7, 0), "nul\\x00end");
	CHECK_STR(escaped("t\tn\nr\r", -1, 0), "t\\tn\\nr\\r");
	CHECK_STR(escaped("bel\a del\x7f", -1, 0), "bel\\x07 del\\x7f");
	CHECK_STR(escaped("\x01\x1f", -1, 0), "\\x01\\x1f");
	/* C1 controls (U+0080..U+009F), CSI among them: escaped byte by byte. */
	CHECK_STR(escaped("c1\xc2\x9b" "2J", -1, 0), "c1\\xc2\\x9b2J");
	CHECK_STR(escaped("\xc2\x80\xc2\x9f\xc2\xa0", -1, 0), "\\xc2\\x80\\xc2\\x9f\xc2\xa0");
}

TEST(escape_keep)
{
	CHECK_STR(escaped("a\tb\nc\r", -1, TEXT_KEEP_TAB), "a\tb\\nc\\r");
	CHECK_STR(escaped("a\tb\nc\r", -1, TEXT_KEEP_NEWLINE), "a\\tb\nc\\r");
	CHECK_STR(escaped("a\tb\nc\033", -1, TEXT_KEEP_TAB | TEXT_KEEP_NEWLINE), "a\tb\nc\\x1b");
}

TEST(escape_invalid_utf8)
{
	CHECK_STR(escaped("bad\xff\xfe", -1, 0), "bad\\xff\\xfe");
	CHECK_STR(escaped("\x80", -1, 0), "\\x80");                  /* a lone continuation */
	CHECK_STR(escaped("\xc3", -1, 0), "\\xc3");                  /* cut short */
	CHECK_STR(escaped("\xc3(", -1, 0), "\\xc3(");
	CHECK_STR(escaped("\xc0\xaf", -1, 0), "\\xc0\\xaf");         /* overlong '/' */
	CHECK_STR(escaped("\xe0\x80\xaf", -1, 0), "\\xe0\\x80\\xaf");  /* overlong */
	CHECK_STR(escaped("\xed\xa0\x80", -1, 0), "\\xed\\xa0\\x80");  /* a UTF-16 surrogate */
	CHECK_STR(escaped("\xf4\x90\x80\x80", -1, 0), "\\xf4\\x90\\x80\\x80");  /* > U+10FFFF */
	CHECK_STR(escaped("\xf5\x80", -1, 0), "\\xf5\\x80");
	CHECK_STR(escaped("\xe2\x82", -1, 0), "\\xe2\\x82");
	CHECK_STR(escaped("\xf4\x8f\xbf\xbf", -1, 0), "\xf4\x8f\xbf\xbf");  /* U+10FFFF itself */
}

TEST(escape_bounded)
{
	char out[8];

	/* Stops before what does not fit: never half an escape, never half a character. */
	CHECK_INT(text_escape(out, sizeof(out), "abcdefghij", 10, 0), 7);
	CHECK_STR(out, "abcdefg");
	CHECK_INT(text_escape(out, sizeof(out), "abcde\033", 6, 0), 5);
	CHECK_STR(out, "abcde");
	CHECK_INT(text_escape(out, sizeof(out), "abcde\xc3\xa9", 7, 0), 7);
	CHECK_STR(out, "abcde\xc3\xa9");
	CHECK_INT(text_escape(out, sizeof(out), "abcdef\xc3\xa9", 8, 0), 6);
	CHECK_STR(out, "abcdef");
	CHECK_INT(text_escape(out, 1, "abc", 3, 0), 0);
	CHECK_STR(out, "");
	CHECK_INT(text_escape(out, 0, "abc", 3, 0), 0);
}

TEST(escape_dup)
{
	char *s = text_escape_dup("\0\0\0", 3, 0);

	CHECK_STR(s, "\\x00\\x00\\x00");
	free(s);
	s = text_escape_dup("", 0, 0);
	CHECK_STR(s, "");
	free(s);
}

TEST(incomplete_tail)
{
	CHECK_INT(text_incomplete_tail("abc", 3), 0);
	CHECK_INT(text_incomplete_tail("", 0), 0);
	CHECK_INT(text_incomplete_tail("ab\xc3", 3), 1);
	CHECK_INT(text_incomplete_tail("ab\xc3\xa9", 4), 0);
	CHECK_INT(text_incomplete_tail("ab\xe2\x82", 4), 2);
	CHECK_INT(text_incomplete_tail("ab\xe2", 3), 1);
	CHECK_INT(text_incomplete_tail("ab\xf0\x9f\x98", 5), 3);
	CHECK_INT(text_incomplete_tail("\xf0\x9f\x98\x80", 4), 0);
	/* Bytes that can never become a character are not kept. */
	CHECK_INT(text_incomplete_tail("ab\xff", 3), 0);
	CHECK_INT(text_incomplete_tail("ab\x80", 3), 0);
	CHECK_INT(text_incomplete_tail("ab\xe0\x80", 4), 0);  /* overlong from its second byte */
	CHECK_INT(text_incomplete_tail("ab\xc3(", 4), 0);
}

TEST(to_json)
{
	json_t *s = text_to_json("nul\0\033end", 8);

	CHECK_INT(json_string_length(s), 8);
	CHECK(memcmp(json_string_value(s), "nul\0\033end", 8) == 0);
	json_decref(s);
	s = text_to_json("bad\xff\xfe caf\xc3\xa9", 11);
	CHECK_STR(json_string_value(s), "bad\xef\xbf\xbd\xef\xbf\xbd caf\xc3\xa9");
	json_decref(s);
	s = text_to_json("", 0);
	CHECK_STR(json_string_value(s), "");
	json_decref(s);
}

TEST(base64)
{
	char *s;

	s = base64_encode("", 0); CHECK_STR(s, ""); free(s);
	s = base64_encode("f", 1); CHECK_STR(s, "Zg=="); free(s);
	s = base64_encode("fo", 2); CHECK_STR(s, "Zm8="); free(s);
	s = base64_encode("foo", 3); CHECK_STR(s, "Zm9v"); free(s);
	s = base64_encode("foobar", 6); CHECK_STR(s, "Zm9vYmFy"); free(s);
	s = base64_encode("\0\xff\xfe", 3); CHECK_STR(s, "AP/+"); free(s);
	CHECK_STR(decoded(""), "");
	CHECK_STR(decoded("Zg=="), "f");
	CHECK_STR(decoded("Zm8="), "fo");
	CHECK_STR(decoded("Zm9vYmFy"), "foobar");
	CHECK_STR(decoded("AEEA"), "@A@");
	CHECK_STR(decoded("Zg="), "(rejected)");
	CHECK_STR(decoded("Zm9"), "(rejected)");
	CHECK_STR(decoded("Zm9v!mFy"), "(rejected)");
	CHECK_STR(decoded("Zg==Zg=="), "(rejected)");
	CHECK_STR(decoded("Z=g="), "(rejected)");
	CHECK_STR(decoded("===="), "(rejected)");
}

TEST(base64_round_trip)
{
	char bytes[256];

	for (int i = 0; i < 256; i++)
		bytes[i] = (char)i;
	for (size_t len = 0; len <= sizeof(bytes); len += 37) {
		char *text = base64_encode(bytes, len);
		size_t back_len = 12345;
		char *back = text ? base64_decode(text, &back_len) : NULL;
		CHECK(back != NULL && back_len == len && memcmp(back, bytes, len) == 0);
		free(text);
		free(back);
	}
}

int main(void)
{
	RUN(escape_plain_text_unchanged);
	RUN(escape_controls);
	RUN(escape_keep);
	RUN(escape_invalid_utf8);
	RUN(escape_bounded);
	RUN(escape_dup);
	RUN(incomplete_tail);
	RUN(to_json);
	RUN(base64);
	RUN(base64_round_trip);
	return check_summary();
}
