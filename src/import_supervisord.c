/* import_supervisord.c - supervisord's configuration into a cirque.yaml: the sections and their
 * options, mapped to cirque's (README "Migrating from supervisord" has the table). What has no
 * equivalent is written as a "# dropped:" comment where it would have gone, and counted: the
 * exit status is 1 then. Sockets come first in cirque's file (the main file's `sockets:`), so
 * the watchers are written aside (a memory stream) and appended after them. */
#include "import.h"

#include "parse.h"
#include "xmalloc.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Where a %(...)s goes: what becomes of %(ENV_X)s and %(process_num)d there. */
enum where {
	IN_CMD,                       /* cmd, working_dir, a log path: $(circus.env.X), $(circus.wid) */
	IN_ENV,                       /* an env value: ${X} (cirque expands it), '$' doubled */
	AT_IMPORT,                    /* anywhere else: the value now, from this environment */
};

/* The names %(...)s knows in a section. */
struct vars {
	const char *here;             /* the directory of the section's file */
	const char *program;          /* program_name (NULL outside a program) */
	const char *group;            /* group_name */
	long numprocs;
	bool used_process_num;        /* set by expand: the wid stands in for it */
	bool lost_format;             /* a %(process_num)02d: the padding is lost */
};

struct importer {
	struct ini ini;
	struct yaml_out *y;           /* the output file */
	struct yaml_out w;            /* the watchers, written aside */
	char *watchers_text;
	size_t watchers_size;
	struct yaml_out s;            /* the sockets, written aside */
	char *sockets_text;
	size_t sockets_size;
	char *childlogdir;            /* [supervisord] childlogdir: where AUTO logs go */
	char **daemon_keys, **daemon_values; /* [supervisord]'s environment=, which every child
					 * inherits (supervisord's own) */
	size_t daemon_count;
	char **names;                 /* the watcher names written, to keep them unique */
	size_t nnames;
	char error[1024];
};

static void fail(struct importer *im, const struct ini_section *s, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct importer *im, const struct ini_section *s, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(im->error, sizeof(im->error), "%s:%d: [%s] ", s->file, line, s->name);

	va_start(ap, fmt);
	vsnprintf(im->error + n, sizeof(im->error) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- %(name)s ---- */

static void append(char **out, size_t *len, const char *text, size_t n)
{
	*out = xreallocarray(*out, *len + n + 1, 1);
	memcpy(*out + *len, text, n);
	*len += n;
	(*out)[*len] = '\0';
}

/* supervisord's expansions (Python's % with a dict): %(name)FLAGSconv, %% for '%'. Returns the
 * text, or NULL with ERR (a name it does not know, a bad format: supervisord refuses those). */
static char *expand(const char *text, struct vars *v, enum where where, const char **err)
{
	char *out = xstrdup("");
	size_t len = 0;
	char number[32];

	for (const char *p = text; *p;) {
		if (*p == '$' && where == IN_ENV) {
			append(&out, &len, "$$", 2);
			p++;
			continue;
		}
		if (*p != '%') {
			append(&out, &len, p, 1);
			p++;
			continue;
		}
		if (p[1] == '%') {
			append(&out, &len, "%", 1);
			p += 2;
			continue;
		}
		const char *close = p[1] == '(' ? strchr(p, ')') : NULL;
		if (close == NULL) {
			*err = "a '%' that is no %(name)s (write %% for a '%')";
			free(out);
			return NULL;
		}
		char *name = xstrndup(p + 2, (size_t)(close - p - 2));
		const char *spec = close + 1;
		size_t flags = strspn(spec, "#0- +0123456789.");
		char conv = spec[flags];
		if (conv == '\0' || !strchr("sdirfgeuxXoc", conv)) {
			*err = "a %(name) without its conversion (s, d...)";
			free(name);
			free(out);
			return NULL;
		}
		p = spec + flags + 1;
		const char *value = NULL;
		char *owned = NULL;
		if (strcmp(name, "here") == 0) {
			value = v->here;
		} else if (strcmp(name, "program_name") == 0 && v->program) {
			value = v->program;
		} else if (strcmp(name, "group_name") == 0 && v->group) {
			value = v->group;
		} else if (strcmp(name, "host_node_name") == 0) {
			static char host[HOST_NAME_MAX + 1];
			gethostname(host, sizeof(host));
			value = host;  /* cirque has none: this host's, at import */
		} else if (strcmp(name, "numprocs") == 0 && v->program) {
			snprintf(number, sizeof(number), "%ld", v->numprocs);
			value = number;
		} else if (strcmp(name, "process_num") == 0 && v->program && where != AT_IMPORT) {
			value = "$(circus.wid)";
			v->used_process_num = true;
			v->lost_format |= flags > 0;
		} else if (strncmp(name, "ENV_", 4) == 0 && where == IN_CMD) {
			value = owned = xasprintf("$(circus.env.%s)", name + 4);
		} else if (strncmp(name, "ENV_", 4) == 0 && where == IN_ENV) {
			value = owned = xasprintf("${%s}", name + 4);
		} else if (strncmp(name, "ENV_", 4) == 0) {
			value = getenv(name + 4);
		}
		free(name);
		if (value == NULL) {
			*err = "an unknown %(name)s (or one not known here)";
			free(out);
			return NULL;
		}
		append(&out, &len, value, strlen(value));
		free(owned);
	}
	return out;
}

/* ---- values ---- */


/* supervisord's byte_size: "50MB", "1KB", "1GB" (units of 1024) or a number. */
static bool byte_size(const char *text, unsigned long long *bytes)
{
	char *end;
	unsigned long long n = strtoull(text, &end, 10);
	if (end == text)
		return false;
	if (strcasecmp(end, "KB") == 0)
		n <<= 10;
	else if (strcasecmp(end, "MB") == 0)
		n <<= 20;
	else if (strcasecmp(end, "GB") == 0)
		n <<= 30;
	else if (*end)
		return false;
	*bytes = n;
	return true;
}

static bool integer(const char *text, long *value)
{
	return parse_long(text, value) == 0;
}

/* ---- the sections ---- */

/* A boolean option: written as KEY, or dropped with why when it is no boolean. */
static void map_bool(struct importer *im, int indent, struct ini_section *s, const char *name,
		     const char *key)
{
	const char *text = ini_get(s, name);
	bool b;
	if (text == NULL)
		return;
	if (ini_truthy(text, &b))
		yo_token(&im->w, indent, key, "%s", b ? "true" : "false");
	else
		yo_drop(&im->w, indent, s, ini_option(s, name), "not a boolean");
}

/* A non-negative integer option: its value, or -1 (dropped with a comment) when it is none. */
static long get_count(struct importer *im, int indent, struct ini_section *s, const char *name)
{
	const char *text = ini_get(s, name);
	long n;
	if (text == NULL)
		return -2;
	if (integer(text, &n) && n >= 0)
		return n;
	yo_drop(&im->w, indent, s, ini_option(s, name), "not a whole number");
	return -1;
}

/* supervisord's environment= syntax, as its dict_of_key_value_pairs reads it: Python 3's
 * non-POSIX shlex (a quoted string keeps its quotes, which are then stripped from each value;
 * '#' starts a comment to the end of the line, inside a word too, which goes on after it; words
 * of ASCII letters, digits and _/.+-():, a quote inside one included; any other character, a
 * UTF-8 one whole, a token of its own) giving KEY = VALUE triples, each followed by one
 * separator token (the comma). Returns the number of tokens, or -1 (a quote not closed). */
static bool env_word_char(char c)
{
	return isalnum((unsigned char)c) && (unsigned char)c < 0x80 ? true : c && strchr("_/.+-():", c);
}

/* The length of a %(name)s (or %%) at P, 0 if none: supervisord expands it before it splits
 * the pairs, so it is part of the word here (expanded afterwards, per value). */
static size_t expansion_len(const char *p)
{
	if (p[0] != '%')
		return 0;
	if (p[1] == '%')
		return 2;
	const char *end = p[1] == '(' ? strchr(p + 2, ')') : NULL;
	if (end == NULL)
		return 0;
	end++;
	end += strspn(end, "#0- +123456789");
	return isalpha((unsigned char)*end) ? (size_t)(end + 1 - p) : 0;
}

static int env_tokens(const char *text, char ***tokens)
{
	size_t n = 0;
	*tokens = NULL;
	for (const char *p = text; *p;) {
		if (strchr(" \t\r\n", *p)) {
			p++;
			continue;
		}
		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		char *token = NULL;
		size_t len = 0;
		if (*p == '"' || *p == '\'') {
			const char *end = strchr(p + 1, *p);
			if (end == NULL)
				goto bad;  /* "No closing quotation" */
			token = xstrndup(p, (size_t)(end + 1 - p));
			p = end + 1;
		} else if (env_word_char(*p) || expansion_len(p)) {
			token = xstrdup("");
			while (env_word_char(*p) || *p == '"' || *p == '\'' || *p == '#' ||
			       expansion_len(p)) {
				size_t x = expansion_len(p);
				if (x) {
					append(&token, &len, p, x);
					p += x;
					continue;
				}
				if (*p == '#') {  /* the comment is skipped, the word goes on */
					p += strcspn(p, "\n");
					p += *p == '\n';
					continue;
				}
				append(&token, &len, p, 1);
				p++;
			}
		} else {  /* a character of its own: '=', ',', 'é' */
			size_t width = 1;
			while ((unsigned char)*p >= 0xc0 && ((unsigned char)p[width] & 0xc0) == 0x80)
				width++;
			token = xstrndup(p, width);
			p += width;
		}
		*tokens = xreallocarray(*tokens, n + 2, sizeof(char *));
		(*tokens)[n++] = token;
		(*tokens)[n] = NULL;
	}
	return (int)n;
bad:
	for (size_t i = 0; i < n; i++)
		free((*tokens)[i]);
	free(*tokens);
	*tokens = NULL;
	return -1;
}

/* VALUE without the quotes around it (Python's strip('\'"'): any of them, at both ends). */
static char *strip_quotes(const char *value)
{
	size_t n = strlen(value);
	while (*value == '"' || *value == '\'')
		value++, n--;
	while (n > 0 && (value[n - 1] == '"' || value[n - 1] == '\''))
		n--;
	return xstrndup(value, n);
}

/* Adds the pairs of S's environment= to the lists KEYS/VALUES (expanded, a later key replacing
 * an earlier one). Returns false with WHY when supervisord would refuse it (it refuses the
 * file: so does the import). */
static bool read_env(struct ini_section *s, struct vars *v, char ***keys, char ***values,
		     size_t *count, const char **why)
{
	const char *text = ini_get(s, "environment");
	char **tokens;
	int n;
	bool ok = true;

	if (text == NULL)
		return true;
	if ((n = env_tokens(text, &tokens)) < 0) {
		*why = "no closing quotation (an inline ` ;` comment cut it?)";
		return false;
	}
	for (int i = 0; i < n && ok; i += 4) {
		if (i + 2 >= n || strcmp(tokens[i + 1], "=") != 0) {
			*why = "not KEY=\"value\",KEY2=value (quote values with other characters "
			       "than letters, digits and _/.+-():)";
			ok = false;
			break;
		}
		const char *err;
		char *raw = strip_quotes(tokens[i + 2]);
		char *value = expand(raw, v, IN_ENV, &err);
		free(raw);
		if (value == NULL) {
			*why = err;
			ok = false;
			break;
		}
		size_t k;
		for (k = 0; k < *count && strcmp((*keys)[k], tokens[i]) != 0; k++)
			;
		if (k == *count) {
			*keys = xreallocarray(*keys, *count + 1, sizeof(char *));
			*values = xreallocarray(*values, *count + 1, sizeof(char *));
			(*keys)[(*count)++] = xstrdup(tokens[i]);
		} else {
			free((*values)[k]);
		}
		(*values)[k] = value;
	}
	for (int i = 0; i < n; i++)
		free(tokens[i]);
	free(tokens);
	return ok;
}

static int write_env(struct importer *im, int indent, struct ini_section *s, struct vars *v)
{
	const char *why;
	char **keys = NULL, **values = NULL;
	size_t count = 0;

	for (size_t i = 0; i < im->daemon_count; i++) {
		keys = xreallocarray(keys, count + 1, sizeof(char *));
		values = xreallocarray(values, count + 1, sizeof(char *));
		keys[count] = xstrdup(im->daemon_keys[i]);
		values[count++] = xstrdup(im->daemon_values[i]);
	}
	bool ok = read_env(s, v, &keys, &values, &count, &why);
	if (!ok)
		fail(im, s, ini_option(s, "environment")->line, "environment: %s", why);
	if (ok && count) {
		yo_open(&im->w, indent, "env");
		for (size_t i = 0; i < count; i++)
			yo_string(&im->w, indent + 1, keys[i], values[i]);
	}
	for (size_t i = 0; i < count; i++) {
		free(keys[i]);
		free(values[i]);
	}
	free(keys);
	free(values);
	return ok ? 0 : -1;
}

/* ---- streams ---- */

/* cirque writes the daemon's own stdout and stderr, never rotating them. */
static bool is_daemon_stream(const char *path)
{
	static const char *const paths[] = { "/dev/stdout", "/dev/stderr", "/dev/fd/1",
					     "/dev/fd/2", "/proc/self/fd/1", "/proc/self/fd/2" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(path, paths[i]) == 0)
			return true;
	return false;
}

static char *option_name(const char *stream, const char *suffix)
{
	return xasprintf("%s_%s", stream, suffix);
}

/* Drops STREAM_SUFFIX when present, with WHY. */
static void drop_if(struct importer *im, int indent, struct ini_section *s, const char *stream,
		    const char *suffix, const char *why)
{
	char *name = option_name(stream, suffix);
	if (ini_get(s, name))
		yo_drop(&im->w, indent, s, ini_option(s, name), "%s", why);
	free(name);
}

/* Where AUTO puts a log (supervisord: childlogdir, a new name at each start, removed). */
static char *auto_log(struct importer *im, const char *stream)
{
	return xasprintf("%s/{name}-{wid}-%s.log", im->childlogdir ? im->childlogdir :
			 "/var/log/cirque", stream);
}

/* The file's rotation: max_bytes, backup_count. */
static void write_rotation(struct importer *im, int indent, struct ini_section *s,
			   const char *stream, bool daemon_stream)
{
	char *name = option_name(stream, "logfile_maxbytes");
	const char *text = ini_get(s, name);
	unsigned long long bytes;
	long n;

	if (daemon_stream) {  /* never rotated in cirque (nor, in practice, in supervisord) */
		yo_token(&im->w, indent, "max_bytes", "0");
		yo_token(&im->w, indent, "backup_count", "0");
		if (text && (!byte_size(text, &bytes) || bytes != 0))
			yo_drop(&im->w, indent, s, ini_option(s, name), "cirqued never rotates its "
				"own %s", stream);
		free(name);
		drop_if(im, indent, s, stream, "logfile_backups", "not rotated");
		return;
	}
	if (text && byte_size(text, &bytes))
		yo_token(&im->w, indent, "max_bytes", "%llu", bytes);
	else if (text)
		yo_drop(&im->w, indent, s, ini_option(s, name), "not a size (50MB, 1KB)");
	free(name);
	name = option_name(stream, "logfile_backups");
	text = ini_get(s, name);
	if (text && integer(text, &n) && n >= 0)
		yo_token(&im->w, indent, "backup_count", "%ld", n);
	else if (text)
		yo_drop(&im->w, indent, s, ini_option(s, name), "not a whole number");
	free(name);
}

static void write_stream(struct importer *im, int indent, struct ini_section *s, struct vars *v,
			 const char *stream, bool merged)
{
	char *name = option_name(stream, "logfile");
	const char *file = ini_get(s, name);
	char *syslog_name = option_name(stream, "syslog");
	const char *syslog_text = ini_get(s, syslog_name);
	bool to_syslog = false;

	if (merged) {  /* redirect_stderr: stderr goes where stdout goes */
		yo_open(&im->w, indent, "stderr");
		yo_string(&im->w, indent + 1, "merge", "stdout");
		const char *why = "redirect_stderr is true: stderr goes to stdout's log (supervisord "
				  "ignores it too)";
		static const char *const suffixes[] = { "logfile", "logfile_maxbytes",
							"logfile_backups", "syslog" };
		for (size_t i = 0; i < 4; i++)
			drop_if(im, indent, s, stream, suffixes[i], why);
		goto done;
	}
	if (syslog_text && !ini_truthy(syslog_text, &to_syslog))
		yo_drop(&im->w, indent, s, ini_option(s, syslog_name), "not a boolean");
	if (file == NULL || strcmp(file, "syslog") == 0) {
		if (to_syslog || file) {
			yo_token(&im->w, indent, stream, "syslog");
		} else {
			yo_comment(&im->w, indent, "no %s_logfile (AUTO): cirque's inherit, to cirqued's "
				   "%s (`cirquectl tail`)", stream, stream);
		}
		drop_if(im, indent, s, stream, "logfile_maxbytes", "no log file here to rotate");
		drop_if(im, indent, s, stream, "logfile_backups", "no log file here to rotate");
		goto done;
	}
	if (strcmp(file, "NONE") == 0) {
		/* supervisord 4 still sends it to syslog when asked: NONE only means no file */
		yo_token(&im->w, indent, stream, to_syslog ? "syslog" : "null");
		drop_if(im, indent, s, stream, "logfile_maxbytes", "NONE: no log file");
		drop_if(im, indent, s, stream, "logfile_backups", "NONE: no log file");
		goto done;
	}
	char *path;
	if (strcmp(file, "AUTO") == 0) {
		path = auto_log(im, stream);
		yo_comment(&im->w, indent, "AUTO: a file of its own per process under %s (childlogdir, "
			   "else cirque's choice); it is kept across restarts, unlike supervisord's",
			   im->childlogdir ? im->childlogdir : "/var/log/cirque");
	} else {
		const char *err;
		if ((path = expand(file, v, IN_CMD, &err)) == NULL) {
			yo_drop(&im->w, indent, s, ini_option(s, name), "%s", err);
			goto done;
		}
	}
	if (to_syslog)
		yo_drop(&im->w, indent, s, ini_option(s, syslog_name), "a stream goes to one place "
			"in cirque: the file is kept");
	yo_open(&im->w, indent, stream);
	yo_string(&im->w, indent + 1, "file", path);
	write_rotation(im, indent + 1, s, stream, is_daemon_stream(path));
	free(path);
done:
	drop_if(im, indent, s, stream, "capture_maxbytes", "no capture mode (PROCESS_COMMUNICATION "
		"events) in cirque");
	drop_if(im, indent, s, stream, "events_enabled", "cirque publishes every line on its event "
		"socket anyway (stream.NAME.WID.stdout|stderr)");
	free(name);
	free(syslog_name);
}

/* ---- programs ---- */

/* supervisord's event types and cirque's events that carry the same news. */
static const struct {
	const char *type, *events;
} event_map[] = {
	{ "PROCESS_STATE", "spawn kill reap" },
	{ "PROCESS_STATE_STARTING", "spawn" },
	{ "PROCESS_STATE_BACKOFF", "reap" },     /* a failed start: it exited (reap) */
	{ "PROCESS_STATE_STOPPING", "kill" },
	{ "PROCESS_STATE_EXITED", "reap" },
	{ "PROCESS_STATE_STOPPED", "reap" },
	{ "PROCESS_GROUP_ADDED", "add" },
	{ "PROCESS_GROUP_REMOVED", "remove" },
};

/* events= as cirque's listen_events; the types without an equivalent are dropped. */
static void write_listener(struct importer *im, int indent, struct ini_section *s)
{
	const char *text = ini_get(s, "events");
	char *list = xstrdup(text ? text : "");
	char *chosen = xstrdup(""), *unmapped = xstrdup("");
	bool all = false;

	for (char *save, *t = strtok_r(list, " ,\t\n", &save); t; t = strtok_r(NULL, " ,\t\n",
									  &save)) {
		bool found = strcmp(t, "EVENT") == 0;
		all |= found;
		for (size_t i = 0; i < sizeof(event_map) / sizeof(event_map[0]) && !found; i++) {
			if (strcmp(t, event_map[i].type) != 0)
				continue;
			found = true;
			char *words = xstrdup(event_map[i].events);
			for (char *s2, *e = strtok_r(words, " ", &s2); e; e = strtok_r(NULL, " ", &s2)) {
				char *padded = xasprintf(" %s ", e), *have = xasprintf(" %s ", chosen);
				if (!strstr(have, padded)) {
					char *more = xasprintf("%s%s%s", chosen, *chosen ? " " : "", e);
					free(chosen);
					chosen = more;
				}
				free(padded);
				free(have);
			}
			free(words);
		}
		if (!found) {
			char *more = xasprintf("%s%s%s", unmapped, *unmapped ? ", " : "", t);
			free(unmapped);
			unmapped = more;
		}
	}
	yo_comment(&im->w, indent, "an event listener: cirque writes each event as a JSON line on "
		   "its stdin; supervisord's READY / RESULT protocol is not spoken (README \"Event "
		   "listeners\")");
	if (*unmapped)
		yo_drop(&im->w, indent, s, ini_option(s, "events"), "no cirque event for %s (cirque's: "
			"spawn, reap, kill, start, stop, reload, updated, add, remove, hook)", unmapped);
	if (!all && *chosen == '\0')
		yo_comment(&im->w, indent, "none of its events has a cirque equivalent: it hears "
			   "every event");
	/* buffer_size (events waiting for it, 10) is cirque's queue (lines, default 1000) */
	long queue = get_count(im, indent, s, "buffer_size");
	if (queue > 0) {
		yo_open(&im->w, indent, "listen_events");
		yo_token(&im->w, indent + 1, "queue", "%ld", queue);
		indent++;
	}
	if (all || *chosen == '\0') {
		if (queue <= 0)
			yo_token(&im->w, indent, "listen_events", "true");
	} else {
		yo_open(&im->w, indent, queue > 0 ? "events" : "listen_events");
		char *save;
		for (char *e = strtok_r(chosen, " ", &save); e; e = strtok_r(NULL, " ", &save))
			yo_item(&im->w, indent + 1, e);
	}
	if (queue > 0)
		indent--;
	if (ini_get(s, "result_handler"))
		yo_drop(&im->w, indent, s, ini_option(s, "result_handler"), "no RESULT in cirque's "
			"protocol");
	free(list);
	free(chosen);
	free(unmapped);
}

/* [fcgi-program:x] socket=tcp://host:port | unix:///path -> sockets.x, and use_sockets. */
static void write_fcgi_socket(struct importer *im, int indent, struct ini_section *s,
			      const char *name, struct vars *v)
{
	const char *text = ini_get(s, "socket");
	const char *err;
	char *url = text ? expand(text, v, AT_IMPORT, &err) : NULL;

	if (url == NULL) {
		if (text)
			yo_drop(&im->w, indent, s, ini_option(s, "socket"), "%s", err);
		return;
	}
	yo_open(&im->s, 1, name);
	if (strncmp(url, "unix://", 7) == 0) {
		yo_string(&im->s, 2, "path", url + 7);
		const char *mode = ini_get(s, "socket_mode");
		if (mode)
			yo_string(&im->s, 2, "mode", mode);
	} else {
		const char *hostport = strncmp(url, "tcp://", 6) == 0 ? url + 6 : url;
		const char *colon = strrchr(hostport, ':');
		long port;
		char *host = colon ? xstrndup(hostport, (size_t)(colon - hostport)) : NULL;
		if (host == NULL || !integer(colon + 1, &port)) {
			yo_comment(&im->s, 2, "socket = %s: not tcp://HOST:PORT nor unix:///PATH", url);
			yo_drop(&im->w, indent, s, ini_option(s, "socket"), "not tcp://HOST:PORT nor "
				"unix:///PATH");
			free(host);
			free(url);
			return;
		}
		if (host[0] == '[') {  /* [::1] */
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		yo_string(&im->s, 2, "host", host);
		yo_token(&im->s, 2, "port", "%ld", port);
		free(host);
	}
	long backlog = get_count(im, indent, s, "socket_backlog");
	if (backlog > 0)
		yo_token(&im->s, 2, "backlog", "%ld", backlog);
	if (ini_get(s, "socket_owner"))
		yo_drop(&im->w, indent, s, ini_option(s, "socket_owner"), "a unix socket's group is "
			"sockets.%s.group (its owner is cirqued's user)", name);
	yo_open(&im->w, indent, "use_sockets");
	yo_item(&im->w, indent + 1, name);
	yo_comment(&im->w, indent, "supervisord passes the socket as stdin (fd 0, FastCGI's way); "
		   "cirque passes it as fd 3 with LISTEN_FDS (systemd's way), $(circus.sockets.%s) "
		   "in cmd gives the number", name);
	im->w.dropped++;  /* a difference the program may notice: counted */
	free(url);
}

/* cirque's watcher names: letters, digits, - _ . @; at most 128; not starting with . or -;
 * not "all". */
static char *watcher_name(const char *name)
{
	char *out = xstrndup(name, 128);
	for (char *p = out; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.@", *p))
			*p = '_';
	if (strcasecmp(out, "all") == 0) {  /* cirque's word for every watcher */
		char *fixed = xasprintf("%s_", out);
		free(out);
		out = fixed;
	}
	if (out[0] == '.' || out[0] == '-' || out[0] == '\0') {
		char *fixed = xasprintf("_%s", out);
		free(out);
		out = fixed;
	}
	return out;
}

/* NAME, or NAME_2, NAME_3... when a watcher has it already (cirque's names are unique
 * ignoring case; supervisord's are not). Takes NAME; the result is the caller's. */
static char *unique_name(struct importer *im, char *name)
{
	char *base = xstrdup(name);
	for (int k = 2;; k++) {
		size_t i;
		for (i = 0; i < im->nnames && strcasecmp(im->names[i], name) != 0; i++)
			;
		if (i == im->nnames)
			break;
		free(name);
		name = xasprintf("%s_%d", base, k);
	}
	free(base);
	im->names = xreallocarray(im->names, im->nnames + 1, sizeof(char *));
	im->names[im->nnames++] = xstrdup(name);
	return name;
}

/* An option expanded in place WHERE: its value, or NULL (dropped with the reason). */
static char *get_expanded(struct importer *im, int indent, struct ini_section *s,
			  const char *option, struct vars *v, enum where where)
{
	const char *text = ini_get(s, option), *err;
	char *value = text ? expand(text, v, where, &err) : NULL;
	if (text && value == NULL)
		yo_drop(&im->w, indent, s, ini_option(s, option), "%s", err);
	return value;
}

static void write_restart(struct importer *im, int indent, struct ini_section *s)
{
	const char *text = ini_get(s, "autorestart");
	bool b;
	if (text == NULL || strcasecmp(text, "unexpected") == 0)
		yo_token(&im->w, indent, "restart", "on-failure");  /* supervisord's default */
	else if (ini_truthy(text, &b))
		yo_token(&im->w, indent, "restart", "%s", b ? "always" : "never");
	else
		yo_drop(&im->w, indent, s, ini_option(s, "autorestart"), "true, false or unexpected");
}

/* How the processes stop: stopsignal, stopwaitsecs, stopasgroup/killasgroup. */
static void write_stop(struct importer *im, int indent, struct ini_section *s)
{
	const char *sig = ini_get(s, "stopsignal");
	if (sig && parse_signal(sig) > 0)
		yo_string(&im->w, indent, "stop_signal", signal_name(parse_signal(sig)));
	else if (sig)
		yo_drop(&im->w, indent, s, ini_option(s, "stopsignal"), "not a signal");
	long wait = get_count(im, indent, s, "stopwaitsecs");
	yo_token(&im->w, indent, "graceful_timeout", "%ld", wait >= 0 ? wait : 10);
	bool stop_group = false, kill_group = false;
	const char *text;
	if ((text = ini_get(s, "stopasgroup")) && !ini_truthy(text, &stop_group))
		yo_drop(&im->w, indent, s, ini_option(s, "stopasgroup"), "not a boolean");
	if ((text = ini_get(s, "killasgroup")) && !ini_truthy(text, &kill_group))
		yo_drop(&im->w, indent, s, ini_option(s, "killasgroup"), "not a boolean");
	if (kill_group && !stop_group)
		yo_comment(&im->w, indent, "killasgroup alone: in cirque the stop signal goes to the "
			   "group too");
	if (stop_group || kill_group)
		yo_token(&im->w, indent, "stop_children", "true");
}

/* process_name, numprocs_start: cirque names processes name:wid, wid 1..numprocesses. */
static void note_process_names(struct importer *im, int indent, struct ini_section *s,
			       struct vars *v)
{
	const char *pname = ini_get(s, "process_name");
	const char *start = ini_get(s, "numprocs_start");
	long first = 0;

	if (pname && strcmp(pname, "%(program_name)s") != 0 &&
	    strcmp(pname, "%(program_name)s_%(process_num)02d") != 0 &&
	    strcmp(pname, "%(program_name)s_%(process_num)d") != 0 &&
	    strcmp(pname, "%(program_name)s-%(process_num)d") != 0)
		yo_drop(&im->w, indent, s, ini_option(s, "process_name"), "cirque names the "
			"processes %s:1, %s:2... (name:wid)", v->program, v->program);
	else if (pname)
		yo_comment(&im->w, indent, "process_name = %s: here %s:1, %s:2... (name:wid)", pname,
			   v->program, v->program);
	if (start && !(integer(start, &first) && first >= 0)) {
		yo_drop(&im->w, indent, s, ini_option(s, "numprocs_start"), "not a whole number");
		return;
	}
	if (v->used_process_num && first != 1) {
		yo_comment(&im->w, indent, "%%(process_num)d became $(circus.wid), which counts from "
			   "1: supervisord's counted from %ld (numprocs_start)", first);
		im->w.dropped++;
	}
	if (v->lost_format) {
		yo_comment(&im->w, indent, "%%(process_num) with a width (02d): $(circus.wid) is not "
			   "padded");
		im->w.dropped++;
	}
}

static int write_program(struct importer *im, struct ini_section *s, const char *kind,
			  const char *group, long group_priority)
{
	const char *raw_name = s->name + strlen(kind) + 1;
	char *name = unique_name(im, watcher_name(raw_name));
	struct vars v = { .here = s->dir, .program = raw_name, .group = group ? group : raw_name,
			  .numprocs = 1 };
	const int in = 2;

	fputc('\n', im->w.out);
	yo_open(&im->w, 1, name);
	if (strcmp(name, raw_name) != 0) {
		/* a name operators type: counted, so that the exit status tells */
		yo_comment(&im->w, in, "[%s] is %s here: cirque's names are letters, digits, - _ . "
			   "@, not all, and unique ignoring case", s->name, name);
		im->w.dropped++;
	}
	long n = get_count(im, in, s, "numprocs");
	if (n > 0)
		v.numprocs = n;
	char *cmd = get_expanded(im, in, s, "command", &v, IN_CMD);
	if (cmd) {
		/* continuation lines keep their '\n': a blank to shlex and to cirque, kept inside
		 * quotes by both */
		char **words;
		const char *why;
		if (split_words(cmd, &words, &why) < 0) {  /* supervisord's shlex refuses it too */
			fail(im, s, ini_option(s, "command")->line, "command: %s (an inline ` ;` or "
			     "` #` comment cut it?)", why);
			free(cmd);
			free(name);
			return -1;
		}
		free_words(words);
		yo_string(&im->w, in, "cmd", cmd);
		free(cmd);
	}
	if (v.numprocs > 1)
		yo_token(&im->w, in, "numprocesses", "%ld", v.numprocs);
	yo_token(&im->w, in, "copy_env", "true");
	if (write_env(im, in, s, &v) < 0) {
		free(name);
		return -1;
	}
	char *dir = get_expanded(im, in, s, "directory", &v, IN_CMD);
	if (dir)
		yo_string(&im->w, in, "working_dir", dir);
	free(dir);
	char *user = get_expanded(im, in, s, "user", &v, AT_IMPORT);
	if (user)
		yo_string(&im->w, in, "uid", user);
	free(user);
	const char *umask_text = ini_get(s, "umask");
	int mask;
	if (umask_text && parse_umask(umask_text, &mask) == 0)
		yo_string(&im->w, in, "umask", umask_text);
	else if (umask_text)
		yo_drop(&im->w, in, s, ini_option(s, "umask"), "not an octal umask");
	map_bool(im, in, s, "autostart", "autostart");
	write_restart(im, in, s);
	const char *codes = ini_get(s, "exitcodes");
	if (codes && codes[strspn(codes, "0123456789, ")] == '\0')
		yo_string(&im->w, in, "exitcodes", codes);
	else if (codes)
		yo_drop(&im->w, in, s, ini_option(s, "exitcodes"), "not a list of numbers");
	long startsecs = get_count(im, in, s, "startsecs");
	if (startsecs >= 0) {
		yo_open(&im->w, in, "ready");
		yo_token(&im->w, in + 1, "delay", "%ld", startsecs);
	}
	yo_token(&im->w, in, "min_uptime", "0");
	long retries = get_count(im, in, s, "startretries");
	yo_token(&im->w, in, "max_retry", "%ld", retries >= 0 ? retries : 3);
	write_stop(im, in, s);
	const char *prio_text = ini_get(s, "priority");
	long prio = strcmp(kind, "eventlistener") == 0 ? -1 : 999;  /* supervisord's defaults */
	if (prio_text && !integer(prio_text, &prio))
		yo_drop(&im->w, in, s, ini_option(s, "priority"), "not a number");
	else if (prio_text == NULL && group_priority != LONG_MIN)
		prio = group_priority;
	/* supervisord starts the lowest first and stops it last; cirque the highest: 999 - p keeps
	 * the order and makes supervisord's default (999) cirque's (0) */
	if (999 - prio != 0)
		yo_token(&im->w, in, "priority", "%ld", 999 - prio);
	bool merged = false;
	const char *redirect = ini_get(s, "redirect_stderr");
	if (redirect && !ini_truthy(redirect, &merged))
		yo_drop(&im->w, in, s, ini_option(s, "redirect_stderr"), "not a boolean");
	write_stream(im, in, s, &v, "stdout", false);
	write_stream(im, in, s, &v, "stderr", merged);
	if (strcmp(kind, "eventlistener") == 0)
		write_listener(im, in, s);
	if (strcmp(kind, "fcgi-program") == 0)
		write_fcgi_socket(im, in, s, name, &v);
	note_process_names(im, in, s, &v);
	if (ini_get(s, "serverurl"))
		yo_drop(&im->w, in, s, ini_option(s, "serverurl"), "no XML-RPC server in cirque; "
			"the child has CIRQUE_WATCHER and CIRQUE_WID");
	yo_drop_unused(&im->w, in, s, "no cirque equivalent");
	free(name);
	return 0;
}

/* ---- [supervisord] and the other sections ---- */

static int on_include(struct ini *ini, struct ini_section *s)
{
	if (strcmp(s->name, "include") != 0)
		return 0;
	const char *files = ini_get(s, "files");
	struct vars v = { .here = s->dir };
	const char *err = "no files= in [include]";
	char *expanded = files ? expand(files, &v, AT_IMPORT, &err) : NULL;
	if (expanded == NULL) {
		snprintf(ini->error, sizeof(ini->error), "%s:%d: [include] files: %s", s->file,
			 s->line, err);
		return -1;
	}
	/* supervisord reads the [include] of the main file only; cirque follows them all, and
	 * refuses a loop */
	int n = ini_include(ini, s->dir, expanded, s->file, s->line, on_include);
	free(expanded);
	return n < 0 ? -1 : 0;
}

static const char *cirque_loglevel(const char *level)
{
	static const char *const map[][2] = {
		{ "critical", "critical" }, { "error", "error" }, { "warn", "warning" },
		{ "warning", "warning" }, { "info", "info" }, { "debug", "debug" },
		{ "trace", "debug" }, { "blather", "debug" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(level, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* [supervisord] -> cirque: (what cirqued itself does). Returns 0, or -1 with im->error. */
static int write_daemon(struct importer *im, struct ini_section *s)
{
	struct yaml_out *y = im->y;
	struct vars v = { .here = s->dir };
	const char *err;
	char *text;

	yo_open(y, 0, "cirque");
	if (ini_get(s, "logfile") && (text = expand(ini_get(s, "logfile"), &v, AT_IMPORT, &err))) {
		yo_string(y, 1, "logoutput", text);
		free(text);
	}
	const char *level = ini_get(s, "loglevel");
	if (level && cirque_loglevel(level))
		yo_string(y, 1, "loglevel", cirque_loglevel(level));
	else if (level)
		yo_drop(y, 1, s, ini_option(s, "loglevel"), "not one of supervisord's levels");
	if (ini_get(s, "pidfile") && (text = expand(ini_get(s, "pidfile"), &v, AT_IMPORT, &err))) {
		yo_string(y, 1, "pidfile", text);
		free(text);
	}
	const char *umask_text = ini_get(s, "umask");
	int mask;
	if (umask_text && parse_umask(umask_text, &mask) == 0)
		yo_string(y, 1, "umask", umask_text);
	else if (umask_text)
		yo_drop(y, 1, s, ini_option(s, "umask"), "not an octal umask");
	if (ini_get(s, "childlogdir"))
		im->childlogdir = expand(ini_get(s, "childlogdir"), &v, AT_IMPORT, &err);
	if (im->childlogdir)
		yo_comment(y, 1, "childlogdir = %s: where the AUTO logs go", im->childlogdir);
	const char *bad;
	if (!read_env(s, &v, &im->daemon_keys, &im->daemon_values, &im->daemon_count, &bad)) {
		fail(im, s, ini_option(s, "environment")->line, "environment: %s", bad);
		return -1;
	}
	if (im->daemon_count)
		yo_comment(y, 1, "environment: supervisord's own, which its children inherit: in "
			   "each watcher's env below");
	static const char *const why[][2] = {
		{ "nodaemon", "cirqued always runs in the foreground (systemd, a container)" },
		{ "minfds", "LimitNOFILE= in cirqued's systemd unit: cirqued raises its soft limit to "
			    "the hard one" },
		{ "minprocs", "LimitNPROC= in cirqued's systemd unit" },
		{ "logfile_maxbytes", "cirqued does not rotate its log: logrotate, then `cirquectl "
				      "reopen`" },
		{ "logfile_backups", "cirqued does not rotate its log: logrotate" },
		{ "user", "run cirqued as that user (User= in its unit)" },
		{ "directory", "WorkingDirectory= in cirqued's unit; each watcher has working_dir" },
		{ "nocleanup", "cirque's AUTO logs are plain files, never cleaned" },
		{ "identifier", "no XML-RPC identification in cirque" },
		{ "strip_ansi", "cirque writes the bytes as the program wrote them" },
		{ "silent", "cirqued logs to logoutput; --log-level" },
	};
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (ini_get(s, why[i][0]))
			yo_drop(y, 1, s, ini_option(s, why[i][0]), "%s", why[i][1]);
	yo_drop_unused(y, 1, s, "no cirque equivalent");
	return 0;
}

/* A section that cirque answers otherwise: its options as comments, with what to use. */
static void write_other(struct importer *im, struct ini_section *s)
{
	static const char *const why[][2] = {
		{ "unix_http_server", "cirque's control socket is ZeroMQ: cirque.endpoint (default "
				      "ipc:///run/cirque/control.sock, 0600 root), read by cirquectl" },
		{ "inet_http_server", "no HTTP control: cirque-web serves the dashboard and /metrics; "
				      "a tcp:// endpoint with CURVE keys for remote cirquectl" },
		{ "supervisorctl", "cirquectl finds cirqued's endpoint in its config file (-c FILE)" },
		{ "rpcinterface:", "no XML-RPC: cirque's protocol is JSON over ZeroMQ, Circus's" },
		{ "ctlplugin:", "no supervisorctl plugins" },
	};
	const char *reason = "a section cirque does not know";
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (strncmp(s->name, why[i][0], strlen(why[i][0])) == 0)
			reason = why[i][1];
	yo_comment(im->y, 0, "[%s]: %s", s->name, reason);
	if (s->count == 0) {  /* an empty section is dropped too */
		im->y->dropped++;
		return;
	}
	yo_drop_unused(im->y, 0, s, "see above");
}

/* [group:x] for program NAME: the group, its priority (LONG_MIN: none). */
static const char *group_of(struct importer *im, const char *program, long *priority)
{
	*priority = LONG_MIN;
	for (size_t i = 0; i < im->ini.count; i++) {
		struct ini_section *g = &im->ini.sections[i];
		const char *programs = strncmp(g->name, "group:", 6) == 0 ? ini_get(g, "programs") : NULL;
		if (programs == NULL)
			continue;
		char *list = xstrdup(programs), *save;
		bool found = false;
		for (char *t = strtok_r(list, ", \t\n", &save); t && !found;
		     t = strtok_r(NULL, ", \t\n", &save))
			found = strcmp(t, program) == 0;
		free(list);
		if (found) {
			const char *p = ini_get(g, "priority");
			if (p && !integer(p, priority))
				*priority = LONG_MIN;
			return g->name + 6;
		}
	}
	return NULL;
}

static void write_group(struct importer *im, struct ini_section *s)
{
	const char *programs = ini_get(s, "programs");
	ini_get(s, "priority");
	fputc('\n', im->w.out);
	yo_comment(&im->w, 1, "[%s]: programs %s. cirque has no groups: `cirquectl start NAME...` "
		   "with the names; its priority is their priority (unless they have their own)",
		   s->name, programs ? programs : "(none)");
	yo_drop_unused(&im->w, 1, s, "no cirque equivalent");
}

static const char *program_kind(const char *section)
{
	static const char *const kinds[] = { "program", "fcgi-program", "eventlistener" };
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(kinds[i]);
		if (strncmp(section, kinds[i], n) == 0 && section[n] == ':')
			return kinds[i];
	}
	return NULL;
}

/* Every section, in file order: programs into the watchers, the rest as comments. */
static int write_sections(struct importer *im)
{
	for (size_t i = 0; i < im->ini.count; i++) {
		struct ini_section *s = &im->ini.sections[i];
		const char *kind = program_kind(s->name);
		long group_priority;
		if (kind && ini_option(s, "command") == NULL) {
			fail(im, s, s->line, "no command= (supervisord refuses it too)");
			return -1;
		}
		if (kind) {
			const char *group = group_of(im, s->name + strlen(kind) + 1, &group_priority);
			if (write_program(im, s, kind, group, group_priority) < 0)
				return -1;
		} else if (strncmp(s->name, "group:", 6) == 0) {
			write_group(im, s);
		} else if (strcmp(s->name, "include") == 0) {
			yo_comment(im->y, 0, "[include] files = %s (read: their sections are below)",
				   ini_get(s, "files"));
			if (s == ini_section(&im->ini, "include"))  /* once, for every file */
				yo_unmatched(im->y, 0, &im->ini);
		} else if (strcmp(s->name, "supervisord") != 0) {
			write_other(im, s);
		}
	}
	return 0;
}

int import_supervisord(const char *path, struct yaml_out *y)
{
	struct importer im = { .y = y };
	int rc = IMPORT_FAILED;

	if (ini_load(&im.ini, path, on_include) < 0) {
		fprintf(stderr, "cirquectl: import: %s\n", im.ini.error);
		ini_free(&im.ini);
		return IMPORT_FAILED;
	}
	im.w.out = open_memstream(&im.watchers_text, &im.watchers_size);
	im.s.out = open_memstream(&im.sockets_text, &im.sockets_size);
	if (im.w.out == NULL || im.s.out == NULL)
		abort();
	yo_comment(y, 0, "cirque.yaml imported from %s (supervisord) by cirquectl import.", path);
	yo_comment(y, 0, "As in supervisord, every watcher copies cirqued's environment (copy_env), "
		   "and a process that");
	yo_comment(y, 0, "dies after its start is restarted without limit (min_uptime: 0). cirque "
		   "sets CIRQUE_WATCHER and");
	yo_comment(y, 0, "CIRQUE_WID in the environment, not SUPERVISOR_PROCESS_NAME and kin.");
	struct ini_section *daemon = ini_section(&im.ini, "supervisord");
	if ((daemon == NULL || write_daemon(&im, daemon) == 0) && write_sections(&im) == 0)
		rc = IMPORT_ALL;
	fclose(im.w.out);
	fclose(im.s.out);
	if (rc == IMPORT_ALL) {
		if (im.sockets_size)
			fprintf(y->out, "\nsockets:\n%s", im.sockets_text);
		fprintf(y->out, "\nwatchers:%s\n", im.watchers_size ? "" : " {}");
		fputs(im.watchers_text, y->out);
		y->dropped += im.w.dropped + im.s.dropped;
		rc = y->dropped ? IMPORT_DROPPED : IMPORT_ALL;
	} else {
		fprintf(stderr, "cirquectl: import: %s\n", im.error);
	}
	free(im.watchers_text);
	free(im.sockets_text);
	free(im.childlogdir);
	for (size_t i = 0; i < im.daemon_count; i++) {
		free(im.daemon_keys[i]);
		free(im.daemon_values[i]);
	}
	free(im.daemon_keys);
	for (size_t i = 0; i < im.nnames; i++)
		free(im.names[i]);
	free(im.names);
	free(im.daemon_values);
	ini_free(&im.ini);
	return rc;
}
