/* fuzz_parse.c - libFuzzer target: every value parser of parse.c, and text.c's escaping and
 * base64, on arbitrary text. The first byte picks the parser, the rest is its input
 * (NUL-terminated, as the loader passes it). */
#include "parse.h"
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *lookup(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "HOME") == 0 ? "/root" : strlen(name) % 2 ? "x" : NULL;
}

/* text.c: escaping never yields a control byte; base64 gives back every byte. */
static void run_text(const char *text)
{
	size_t len = strlen(text), back_len = 0;
	char *escaped = text_escape_dup(text, len, 0), *encoded = base64_encode(text, len);
	char *back = encoded ? base64_decode(encoded, &back_len) : NULL;

	for (const char *p = escaped; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	if (encoded && (back == NULL || back_len != len || memcmp(back, text, len) != 0))
		abort();
	if (text_incomplete_tail(text, len) > 3)
		abort();
	json_decref(text_to_json(text, len));
	free(escaped);
	free(encoded);
	free(back);
	free(base64_decode(text, &back_len));
}

static void run_parser(unsigned which, const char *text)
{
	double seconds;
	unsigned long long n;
	long l;
	bool b;
	int mask;
	char **words = NULL, *s;
	const char *error;
	char *sockets[] = { "web", "a", "" };

	switch (which % 11) {
	case 0: parse_duration(text, &seconds); break;
	case 1: signal_name(parse_signal(text)); break;
	case 2: parse_size(text, &n); break;
	case 3: parse_long(text, &l); break;
	case 4: parse_bool(text, &b); break;
	case 5: parse_umask(text, &mask); break;
	case 6: rlimit_name(parse_rlimit_name(text)); parse_rlimit_value(text, &n); break;
	case 7:
		if (split_words(text, &words, &error) >= 0) {
			char **more = NULL;
			if (split_words(text, &more, &error) >= 0)
				append_words(&words, more);
		}
		free_words(words);
		break;
	case 8: free(expand_vars(text, lookup, NULL, NULL)); break;
	case 9: free(substitute_vars(text, 42, NULL, 0)); break;
	default:
		s = substitute_vars(text, 7, sockets, 3);
		free(s);
		run_text(text);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size == 0)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	run_parser(data[0], text);
	free(text);
	return 0;
}
