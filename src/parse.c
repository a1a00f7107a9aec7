/* parse.c - pure parsers for configuration values. No I/O, no global state: unit-tested. */
#include "parse.h"
#include "xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

int parse_duration(const char *text, double *seconds)
{
	static const struct { const char *suffix; double scale; } units[] = {
		{ "", 1 }, { "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 },
	};
	char *end;
	double value;

	if (text == NULL || *text == '\0' || isspace((unsigned char)*text))
		return -1;
	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || end == text || !isfinite(value) || value < 0)
		return -1;
	/* strtod accepts "inf", "nan" and hex; only plain decimals are durations. */
	for (const char *p = text; p < end; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			if (!isfinite(value * units[i].scale))  /* "1e308" written out, in days */
				return -1;
			*seconds = value * units[i].scale;
			return 0;
		}
	}
	return -1;
}

static const struct { const char *name; int number; } signal_table[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
	{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

bool signal_number_valid(long long number)
{
	/* SIGRTMIN is a call: glibc keeps the first real-time signals (32, 33) for its threads. */
	return (number >= 1 && number <= 31) || (number >= SIGRTMIN && number <= SIGRTMAX);
}

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (without "SIG") -> the signal; -1 if not one of them
 * or beyond the real-time range. */
static int parse_realtime_signal(const char *text)
{
	bool from_min = strncasecmp(text, "RTMIN", 5) == 0;
	long offset = 0;

	if (!from_min && strncasecmp(text, "RTMAX", 5) != 0)
		return -1;
	text += 5;
	if (*text) {
		if (*text != (from_min ? '+' : '-') || !isdigit((unsigned char)text[1]) ||
		    parse_long(text + 1, &offset) < 0 || offset > SIGRTMAX - SIGRTMIN)
			return -1;
	}
	return from_min ? SIGRTMIN + (int)offset : SIGRTMAX - (int)offset;
}

int parse_signal(const char *text)
{
	long number;

	if (text == NULL)
		return -1;
	if (parse_long(text, &number) == 0)
		return signal_number_valid(number) ? (int)number : -1;
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	for (size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
		if (strcasecmp(text, signal_table[i].name) == 0)
			return signal_table[i].number;
	return parse_realtime_signal(text);
}

const char *signal_name(int signum)
{
	static const char *const realtime[] = {
		"RTMIN", "RTMIN+1", "RTMIN+2", "RTMIN+3", "RTMIN+4", "RTMIN+5", "RTMIN+6",
		"RTMIN+7", "RTMIN+8", "RTMIN+9", "RTMIN+10", "RTMIN+11", "RTMIN+12", "RTMIN+13",
		"RTMIN+14", "RTMIN+15", "RTMIN+16", "RTMIN+17", "RTMIN+18", "RTMIN+19", "RTMIN+20",
		"RTMIN+21", "RTMIN+22", "RTMIN+23", "RTMIN+24", "RTMIN+25", "RTMIN+26", "RTMIN+27",
		"RTMIN+28", "RTMIN+29", "RTMIN+30", "RTMIN+31",
	};

	for (size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
		if (signal_table[i].number == signum)
			return signal_table[i].name;
	if (signum >= SIGRTMIN && signum <= SIGRTMAX &&
	    (size_t)(signum - SIGRTMIN) < sizeof(realtime) / sizeof(realtime[0]))
		return realtime[signum - SIGRTMIN];
	return NULL;
}

int parse_size(const char *text, unsigned long long *bytes)
{
	static const struct { const char *suffix; int shift; } units[] = {
		{ "", 0 }, { "b", 0 }, { "k", 10 }, { "kb", 10 }, { "kib", 10 }, { "m", 20 },
		{ "mb", 20 }, { "mib", 20 }, { "g", 30 }, { "gb", 30 }, { "gib", 30 },
		{ "t", 40 }, { "tb", 40 }, { "tib", 40 },
	};
	unsigned long long value;
	char *end;

	if (text == NULL || !isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			if (units[i].shift && value > (~0ULL >> units[i].shift))
				return -1;
			*bytes = value << units[i].shift;
			return 0;
		}
	}
	return -1;
}

int parse_long(const char *text, long *value)
{
	char *end;
	long v;

	if (text == NULL || *text == '\0' || isspace((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*value = v;
	return 0;
}

int parse_bool(const char *text, bool *value)
{
	static const char *const truths[] = { "true", "yes", "on" };
	static const char *const lies[] = { "false", "no", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(text, truths[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, lies[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return -1;
}

int parse_umask(const char *text, int *mask)
{
	char *end;
	long v;

	if (text == NULL || *text == '\0')
		return -1;
	for (const char *p = text; *p; p++)
		if (*p < '0' || *p > '7')
			return -1;
	errno = 0;
	v = strtol(text, &end, 8);
	if (errno != 0 || *end != '\0' || v > 0777)
		return -1;
	*mask = (int)v;
	return 0;
}

static const struct { const char *name; int resource; } limits[] = {
	{ "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE }, { "locks", RLIMIT_LOCKS },
	{ "memlock", RLIMIT_MEMLOCK }, { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC }, { "rss", RLIMIT_RSS },
	{ "rtprio", RLIMIT_RTPRIO }, { "rttime", RLIMIT_RTTIME },
	{ "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK },
	};

int parse_rlimit_name(const char *text)
{
	if (strncasecmp(text, "RLIMIT_", 7) == 0)
		text += 7;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (strcasecmp(text, limits[i].name) == 0)
			return limits[i].resource;
	return -1;
}

const char *rlimit_name(int resource)
{
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (limits[i].resource == resource)
			return limits[i].name;
	return "unknown";
}

int parse_rlimit_value(const char *text, unsigned long long *value)
{
	char *end;
	unsigned long long v;

	if (strcasecmp(text, "unlimited") == 0 || strcasecmp(text, "infinity") == 0) {
		*value = RLIM_INFINITY;
		return 0;
	}
	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*value = v;
	return 0;
}

/* A growable string used by the word splitter and the expanders. */
struct strbuf {
	char *data;
	size_t len, cap;
};

static void sb_put(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 32;
		while (cap < sb->len + n + 1)
			cap *= 2;
		sb->data = xreallocarray(sb->data, cap, 1);
		sb->cap = cap;
	}
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

static void sb_putc(struct strbuf *sb, char c) { sb_put(sb, &c, 1); }

/* Takes the finished string (never NULL) and resets the buffer. */
static char *sb_take(struct strbuf *sb)
{
	char *s;

	s = sb->data ? sb->data : xstrdup("");
	*sb = (struct strbuf){ 0 };
	return s;
}

void free_words(char **words)
{
	if (words == NULL)
		return;
	for (char **w = words; *w; w++)
		free(*w);
	free(words);
}

bool same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void push_word(char ***words, int *count, char *word)
{
	char **grown;

	grown = xreallocarray(*words, (size_t)*count + 2, sizeof(char *));
	grown[(*count)++] = word;
	grown[*count] = NULL;
	*words = grown;
}

int split_words(const char *text, char ***words_out, const char **error)
{
	enum { BLANK, WORD, SINGLE, DOUBLE } mode = BLANK;
	struct strbuf sb = { 0 };
	char **words = NULL;
	int count = 0;
	const char *p;

	*error = NULL;
	words = xcalloc(1, sizeof(char *));
	for (p = text; *p; p++) {
		char c = *p;
		switch (mode) {
		case BLANK:
		case WORD:
			if (c == ' ' || c == '\t' || c == '\n') {
				if (mode == WORD)
					push_word(&words, &count, sb_take(&sb));
				mode = BLANK;
				continue;
			}
			if (c == '\\' && p[1] == '\n') {  /* a line continuation separates nothing */
				p++;
				continue;
			}
			mode = WORD;
			if (c == '\'') {
				mode = SINGLE;
			} else if (c == '"') {
				mode = DOUBLE;
			} else if (c == '\\') {
				if (p[1] == '\0') {
					*error = "trailing backslash";
					goto fail;
				}
				p++;
				if (*p != '\n')
					sb_putc(&sb, *p);
			} else {
				sb_putc(&sb, c);
			}
			break;
		case SINGLE:
			if (c == '\'')
				mode = WORD;
			else
				sb_putc(&sb, c);
			break;
		case DOUBLE:
			if (c == '"') {
				mode = WORD;
			} else if (c == '\\' && p[1] && strchr("\"\\$`", p[1])) {
				sb_putc(&sb, *++p);
			} else {
				sb_putc(&sb, c);
			}
			break;
		}
	}
	if (mode == SINGLE || mode == DOUBLE) {
		*error = mode == SINGLE ? "unterminated single quote" : "unterminated double quote";
		goto fail;
	}
	/* An empty quoted word ('' or "") is still a word, so WORD mode decides, not the length. */
	if (mode == WORD)
		push_word(&words, &count, sb_take(&sb));
	*words_out = words;
	return count;
fail:
	free(sb_take(&sb));
	free_words(words);
	return -1;
}

int append_words(char ***words, char **extra)
{
	int count = 0, more = 0;
	char **grown;

	while ((*words)[count])
		count++;
	while (extra[more])
		more++;
	grown = xreallocarray(*words, (size_t)(count + more + 1), sizeof(char *));
	memcpy(grown + count, extra, sizeof(char *) * (size_t)(more + 1));
	free(extra);
	*words = grown;
	return count + more;
}

static bool is_name_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool is_name_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* The '}' that closes the "${" whose contents start at START (braces nest), or NULL. */
static const char *closing_brace(const char *start)
{
	int depth = 1;

	for (const char *p = start; *p; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}

char *expand_vars(const char *text, env_lookup_fn lookup, env_unset_fn unset, void *arg)
{
	struct strbuf sb = { 0 };
	char name[256];

	for (const char *p = text; *p; p++) {
		const char *start, *end, *name_end, *value, *fallback = NULL;
		size_t n;
		bool empty_is_unset = false;

		if (*p != '$' || (p[1] != '{' && p[1] != '$' && !is_name_start(p[1]))) {
			sb_putc(&sb, *p);
			continue;
		}
		if (p[1] == '$') {
			sb_putc(&sb, '$');
			p++;
			continue;
		}
		if (p[1] == '{') {
			start = p + 2;
			end = closing_brace(start);
			for (name_end = start; name_end < end && is_name_char(*name_end); name_end++)
				;
			if (end == NULL || name_end == start)
				goto bad;
			if (name_end[0] == ':' && name_end[1] == '-') {  /* ${VAR:-default} */
				empty_is_unset = true;
				fallback = name_end + 2;
			} else if (name_end[0] == '-') {  /* ${VAR-default} */
				fallback = name_end + 1;
			} else if (name_end != end) {
				goto bad;  /* ${VAR:?}, ${VAR+x}...: not ours to guess */
			}
			p = end;
		} else {
			start = p + 1;
			for (name_end = start; is_name_char(*name_end); name_end++)
				;
			end = name_end;
			p = end - 1;
		}
		n = (size_t)(name_end - start);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, start, n);
		name[n] = '\0';
		value = lookup(name, arg);
		if (fallback && (value == NULL || (empty_is_unset && *value == '\0'))) {
			char *inner = xstrndup(fallback, (size_t)(end - fallback));
			char *expanded = expand_vars(inner, lookup, unset, arg);
			free(inner);
			if (expanded == NULL)
				goto bad;
			sb_put(&sb, expanded, strlen(expanded));
			free(expanded);
			continue;
		}
		if (value)
			sb_put(&sb, value, strlen(value));
		else if (unset)
			unset(name, arg);
	}
	return sb_take(&sb);
bad:
	free(sb_take(&sb));
	return NULL;
}

size_t env_reference_at(const char *p, char *name, size_t size)
{
	static const char *const markers[] = { "$(circus.env.", "$(cirque.env." };
	const size_t marker_len = strlen(markers[0]);
	size_t n = 0;

	if (strncasecmp(p, markers[0], marker_len) != 0 &&
	    strncasecmp(p, markers[1], marker_len) != 0)
		return 0;
	p += marker_len;
	while (is_name_char(p[n]))
		n++;
	if (n == 0 || p[n] != ')' || n >= size)
		return 0;
	memcpy(name, p, n);
	name[n] = '\0';
	return marker_len + n + 1;
}

char *substitute_env_references(const char *text, env_lookup_fn lookup, void *arg)
{
	struct strbuf sb = { 0 };
	char name[256];
	const char *value;
	size_t len;

	for (const char *p = text; *p;) {
		if ((len = env_reference_at(p, name, sizeof(name))) > 0 &&
		    (value = lookup(name, arg)) != NULL) {
			sb_put(&sb, value, strlen(value));
			p += len;
		} else {
			sb_putc(&sb, *p++);
		}
	}
	return sb_take(&sb);
}

size_t socket_marker_len(const char *p)
{
	static const char *const markers[] = { "$(circus.sockets.", "$(cirque.sockets." };
	const size_t marker_len = strlen(markers[0]);

	return strncasecmp(p, markers[0], marker_len) == 0 ||
	       strncasecmp(p, markers[1], marker_len) == 0 ? marker_len : 0;
}

/* Length of the "$(circus.sockets.NAME)" at P naming SOCKETS[i] (*index = i), 0 if none. */
static size_t socket_marker_at(const char *p, char *const *sockets, int nsockets, int *index)
{
	const size_t marker_len = socket_marker_len(p);

	if (marker_len == 0)
		return 0;
	for (int i = 0; i < nsockets; i++) {
		size_t len = strlen(sockets[i]);
		if (strncmp(p + marker_len, sockets[i], len) == 0 && p[marker_len + len] == ')') {
			*index = i;
			return marker_len + len + 1;
		}
	}
	return 0;
}

char *substitute_vars(const char *text, int wid, char *const *sockets, int nsockets)
{
	static const char *const wid_markers[] = { "$(circus.wid)", "$(cirque.wid)" };
	const size_t wid_len = strlen(wid_markers[0]);
	struct strbuf sb = { 0 };
	char number[16];
	size_t len;
	int index;

	for (const char *p = text; *p;) {
		if (strncasecmp(p, wid_markers[0], wid_len) == 0 ||
		    strncasecmp(p, wid_markers[1], wid_len) == 0) {
			snprintf(number, sizeof(number), "%d", wid);
			sb_put(&sb, number, strlen(number));
			p += wid_len;
		} else if ((len = socket_marker_at(p, sockets, nsockets, &index)) > 0) {
			snprintf(number, sizeof(number), "%d", 3 + index);  /* SD_LISTEN_FDS_START */
			sb_put(&sb, number, strlen(number));
			p += len;
		} else {
			sb_putc(&sb, *p++);
		}
	}
	return sb_take(&sb);
}

int daemon_stream_fd(const char *path)
{
	static const struct { const char *path; int fd; } names[] = {
		{ "/dev/stdout", 1 }, { "/dev/fd/1", 1 }, { "/proc/self/fd/1", 1 },
		{ "/dev/stderr", 2 }, { "/dev/fd/2", 2 }, { "/proc/self/fd/2", 2 },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(path, names[i].path) == 0)
			return names[i].fd;
	return 0;
}

enum placeholder { PH_NONE, PH_NAME, PH_WID, PH_ENV, PH_UNKNOWN };

/* The placeholder at P, if any: its kind and its length (*LEN). A { or $( that starts no
 * placeholder ("{", "{a b}", "$(date)") is a literal character. */
static enum placeholder placeholder_at(const char *p, size_t *len)
{
	static const char *const prefixes[] = { "$(circus.", "$(cirque." };
	const size_t prefix_len = strlen(prefixes[0]);
	const char *word, *end;
	char name[32];
	size_t n;

	if (p[0] == '{' && is_name_start(p[1])) {
		word = p + 1;
		for (end = word; is_name_char(*end); end++)
			;
		if (*end != '}')
			return PH_NONE;
	} else if (strncasecmp(p, prefixes[0], prefix_len) == 0 ||
		   strncasecmp(p, prefixes[1], prefix_len) == 0) {
		word = p + prefix_len;
		end = strchr(word, ')');
		if (end == NULL)
			return PH_NONE;
		if (strncasecmp(word, "env.", 4) == 0) {
			*len = (size_t)(end + 1 - p);
			return PH_ENV;
		}
	} else {
		return PH_NONE;
	}
	*len = (size_t)(end + 1 - p);
	n = (size_t)(end - word);
	if (n >= sizeof(name))
		return PH_UNKNOWN;
	memcpy(name, word, n);
	name[n] = '\0';
	/* {name} and {wid} as written; $(circus.wid) in any case, as in cmd. */
	if (p[0] == '{' ? strcmp(name, "name") == 0 : strcasecmp(name, "name") == 0)
		return PH_NAME;
	if (p[0] == '{' ? strcmp(name, "wid") == 0 : strcasecmp(name, "wid") == 0)
		return PH_WID;
	return PH_UNKNOWN;
}

int log_path_check(const char *path, char *why, size_t size)
{
	size_t len;

	for (const char *p = path; *p; p++) {
		if (placeholder_at(p, &len) != PH_UNKNOWN)
			continue;
		snprintf(why, size, "unknown placeholder %.*s (known: {name}, {wid}, $(circus.name), "
			 "$(circus.wid), $(circus.env.NAME))", (int)(len > 64 ? 64 : len), p);
		return -1;
	}
	return 0;
}

char *log_path_expand(const char *path, const char *name, int wid)
{
	struct strbuf sb = { 0 };
	char number[16];
	size_t len;

	for (const char *p = path; *p;) {
		switch (placeholder_at(p, &len)) {
		case PH_NAME:
			sb_put(&sb, name, strlen(name));
			break;
		case PH_WID:
			snprintf(number, sizeof(number), "%d", wid);
			sb_put(&sb, number, strlen(number));
			break;
		default:  /* kept as written: the load refused unknown ones */
			len = 1;
			sb_putc(&sb, *p);
			break;
		}
		p += len;
	}
	return sb_take(&sb);
}

bool log_path_per_process(const char *path)
{
	size_t len;

	for (const char *p = path; p && *p; p++)
		if (placeholder_at(p, &len) == PH_WID)
			return true;
	return false;
}

int parse_tcp_address(const char *host, const char *port, struct sockaddr_storage *addr,
		      socklen_t *len, char *why, size_t size)
{
	struct sockaddr_in *in = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	char inner[INET6_ADDRSTRLEN + 2];
	size_t host_len = strlen(host);
	long number;

	memset(addr, 0, sizeof(*addr));
	if (parse_long(port, &number) < 0 || number < 1 || number > 65535) {
		snprintf(why, size, "'%s' is not a port (1-65535)", port);
		return -1;
	}
	if (strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		if (strcmp(host, "localhost") == 0)
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)number);
		*len = sizeof(*in);
		return 0;
	}
	if (host_len > 2 && host[0] == '[' && host[host_len - 1] == ']' &&
	    host_len - 2 < sizeof(inner)) {
		memcpy(inner, host + 1, host_len - 2);
		inner[host_len - 2] = '\0';
		host = inner;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)number);
		*len = sizeof(*in6);
		return 0;
	}
	snprintf(why, size, "'%s' is not a numeric IPv4 or IPv6 address (host names are not "
		 "resolved, as resolving could block the daemon: give an address such as 127.0.0.1 "
		 "or ::1)", host);
	return -1;
}

bool words_equal(char **a, char **b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return *a == NULL && *b == NULL;
}
