/* import_circus.c - Circus's configuration (circus.ini) into a cirque.yaml: README "Migrating
 * from Circus" has the table. cirqued takes most of Circus's watcher options under their own
 * names, so most values go over as they are; what differs is the rest: [env] and [env:pattern]
 * sections become each watcher's env, stdout_stream.* the stream settings, [socket:x] the
 * sockets: section. Python hooks and plugins cannot run: they are "# dropped:" comments, which
 * make the exit status 1. Circus's semantics are read from its source (circus/config.py,
 * circus/sockets.py, circus/stream/): Circus itself is not installed to compare against. */
#include "import.h"

#include "endpoint.h"
#include "parse.h"
#include "xmalloc.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct circus {
	struct ini ini;
	struct yaml_out *y;           /* the output file */
	struct yaml_out w;            /* the watchers, written aside (sockets come first) */
	char *watchers_text;
	size_t watchers_size;
	struct yaml_out s;            /* the sockets, written aside */
	char *sockets_text;
	size_t sockets_size;
	struct ini_section *flapping; /* an active [plugin:flapping], or NULL */
};

static void append(char **out, size_t *len, const char *text, size_t n)
{
	*out = xreallocarray(*out, *len + n + 1, 1);
	memcpy(*out + *len, text, n);
	*len += n;
	(*out)[*len] = '\0';
}

/* Circus's ((circus.x)) is its $(circus.x), and $WID (deprecated) its $(circus.wid): written as
 * the latter, which cirque knows. In an env
 * value (ENV), a '$' that Circus leaves alone is doubled: Circus replaces only $NAME of capitals
 * (parse_env_dict), cirque also ${NAME} and lower-case names. */
static char *circus_text(const char *text, bool env)
{
	char *out = xstrdup("");
	size_t len = 0;

	for (const char *p = text; *p;) {
		if (strncasecmp(p, "((circus.", 9) == 0 && strstr(p, "))")) {
			const char *end = strstr(p, "))");
			append(&out, &len, "$(", 2);
			append(&out, &len, p + 2, (size_t)(end - p - 2));
			append(&out, &len, ")", 1);
			p = end + 2;
		} else if (strncasecmp(p, "$(circus.sockets.", 17) == 0 && strchr(p, ')')) {
			/* Circus lower-cases socket names, in their references too */
			const char *end = strchr(p, ')');
			append(&out, &len, "$(circus.sockets.", 17);
			for (const char *q = p + 17; q < end; q++) {
				char lower = (char)tolower((unsigned char)*q);
				append(&out, &len, &lower, 1);
			}
			append(&out, &len, ")", 1);
			p = end + 1;
		} else if (!env && strncmp(p, "$WID", 4) == 0 && !isalnum((unsigned char)p[4]) &&
			   p[4] != '_') {
			append(&out, &len, "$(circus.wid)", 13);  /* Circus's deprecated spelling */
			p += 4;
		} else if (*p == '$' && env && strncasecmp(p, "$(circus.", 9) != 0 &&
			   !(p[1] >= 'A' && p[1] <= 'Z')) {
			append(&out, &len, "$$", 2);
			p++;
		} else {
			append(&out, &len, p, 1);
			p++;
		}
	}
	return out;
}


static bool number(const char *text)
{
	char *end;
	if (*text == '\0')
		return false;
	strtod(text, &end);
	return *end == '\0';
}

/* ---- [watcher:x] ---- */

/* Options cirqued takes under Circus's name, with Circus's meaning. */
static const char *const strings[] = { "cmd", "args", "working_dir", "uid", "gid", "executable",
				       "shell_args", "virtualenv", "stop_signal", "umask" };
static const char *const bools[] = { "shell", "send_hup", "stop_children", "singleton",
				     "copy_env", "copy_path", "respawn", "autostart", "on_demand",
				     "close_child_stdin", "close_child_stdout", "close_child_stderr",
				     "use_sockets" };
static const char *const numbers[] = { "numprocesses", "warmup_delay", "max_retry", "priority",
				       "graceful_timeout", "max_age", "max_age_variance" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void write_plain(struct circus *c, int in, struct ini_section *s)
{
	for (size_t i = 0; i < COUNT(strings); i++) {
		const char *v = ini_get(s, strings[i]);
		if (v) {
			char *t = circus_text(v, false);
			yo_string(&c->w, in, strings[i], t);
			free(t);
		}
	}
	for (size_t i = 0; i < COUNT(bools); i++) {
		const char *v = ini_get(s, bools[i]);
		bool b;
		if (v && ini_truthy(v, &b))
			yo_token(&c->w, in, bools[i], "%s", b ? "true" : "false");
		else if (v)
			yo_drop(&c->w, in, s, ini_option(s, bools[i]), "not a boolean (Circus refuses "
				"it too)");
	}
	for (size_t i = 0; i < COUNT(numbers); i++) {
		if (c->flapping && strcmp(numbers[i], "max_retry") == 0)
			continue;  /* write_flapping's */
		const char *v = ini_get(s, numbers[i]);
		if (v && number(v))
			yo_token(&c->w, in, numbers[i], "%s", v);
		else if (v)
			yo_drop(&c->w, in, s, ini_option(s, numbers[i]), "not a number");
	}
	for (size_t i = 0; i < s->count; i++) {
		struct ini_option *o = &s->options[i];
		if (strncmp(o->key, "rlimit_", 7) != 0 || o->used)
			continue;
		o->used = true;  /* an empty value is Circus's RLIM_INFINITY */
		if (o->value[0] == '\0')
			yo_token(&c->w, in, o->key, "unlimited");
		else if (number(o->value))
			yo_token(&c->w, in, o->key, "%s", o->value);
		else
			yo_drop(&c->w, in, s, o, "not a number");
	}
}

/* Circus respawns a process that dies after its start for ever, unless [plugin:flapping] runs:
 * `attempts` deaths within `window` seconds make it stop the processes, retry `retry_in` seconds
 * later, `max_retry` times (each overridden per watcher by flapping.NAME). cirque counts a death
 * within min_uptime of the start as a failed start, towards max_retry (Circus's own max_retry
 * counts failed spawns). check_flapping and flapping_window are read by no Circus of today. */
static struct ini_section *flapping_plugin(struct circus *c)
{
	for (size_t i = 0; i < c->ini.count; i++) {
		struct ini_section *p = &c->ini.sections[i];
		struct ini_option *use = ini_option(p, "use"), *active = ini_option(p, "active");
		bool on = true;
		if (strncmp(p->name, "plugin:", 7) == 0 && use && strstr(use->value, "flapping") &&
		    !(active && ini_truthy(active->value, &on) && !on))
			return p;
	}
	return NULL;
}

/* The flapping setting KEY for watcher S: flapping.KEY, else the plugin's, else DEF. */
static const char *flapping_value(struct circus *c, struct ini_section *s, const char *key,
				  const char *def)
{
	char *name = xasprintf("flapping.%s", key);
	const char *v = ini_get(s, name);
	free(name);
	if (v == NULL && c->flapping) {
		struct ini_option *o = ini_option(c->flapping, key);
		if (o)
			o->used = true;  /* carried into the watchers */
		v = o ? o->value : NULL;
	}
	return v && number(v) ? v : def;
}

static void write_flapping(struct circus *c, int in, struct ini_section *s)
{
	const char *active = ini_get(s, "flapping.active");
	bool on = c->flapping != NULL;

	bool b;
	if (active && on && ini_truthy(active, &b))
		on = b;
	else if (active && on)
		yo_drop(&c->w, in, s, ini_option(s, "flapping.active"), "not a boolean");
	if (on) {
		yo_comment(&c->w, in, "[%s]: a death within `window` of the start is a failed start",
			   c->flapping->name);
		yo_token(&c->w, in, "min_uptime", "%s", flapping_value(c, s, "window", "1"));
		const char *own = ini_get(s, "max_retry");
		if (own)
			yo_drop(&c->w, in, s, ini_option(s, "max_retry"), "cirque has one max_retry: "
				"the flapping plugin's is used");
		yo_token(&c->w, in, "max_retry", "%s", flapping_value(c, s, "max_retry", "5"));
	} else {
		yo_token(&c->w, in, "min_uptime", "0");  /* no flapping detection */
	}
	static const char *const legacy[] = { "check_flapping", "flapping_window",
					      "flapping_attempts", "retry_in" };
	for (size_t i = 0; i < COUNT(legacy); i++)
		if (ini_get(s, legacy[i]))
			yo_drop(&c->w, in, s, ini_option(s, legacy[i]), "read by no Circus of today "
				"(see [plugin:flapping]); cirque: min_uptime and max_retry");
	static const char *const rest[] = { "flapping.attempts", "flapping.retry_in" };
	for (size_t i = 0; i < COUNT(rest); i++)
		if (ini_get(s, rest[i]))
			yo_drop(&c->w, in, s, ini_option(s, rest[i]), "cirque retries a failed start "
				"after a delay that doubles (0.25 s up to 30 s), max_retry times");
}

/* The value of stdout_stream.KEY (marked used), or NULL. */
static const char *stream_get(struct ini_section *s, const char *stream, const char *key)
{
	char *name = xasprintf("%s_stream.%s", stream, key);
	const char *v = ini_get(s, name);
	free(name);
	return v;
}

static struct ini_option *stream_option(struct ini_section *s, const char *stream, const char *key)
{
	char *name = xasprintf("%s_stream.%s", stream, key);
	struct ini_option *o = ini_option(s, name);
	free(name);
	return o;
}

/* Every stdout_stream.* not read yet, dropped with WHY. */
static void drop_stream_rest(struct circus *c, int in, struct ini_section *s, const char *stream,
			     const char *why)
{
	char *prefix = xasprintf("%s_stream.", stream);
	for (size_t i = 0; i < s->count; i++)
		if (!s->options[i].used && strncmp(s->options[i].key, prefix, strlen(prefix)) == 0) {
			s->options[i].used = true;
			yo_drop(&c->w, in, s, &s->options[i], "%s", why);
		}
	free(prefix);
}

static bool has_stream(struct ini_section *s, const char *stream)
{
	char *prefix = xasprintf("%s_stream.", stream);
	bool found = false;
	for (size_t i = 0; i < s->count && !found; i++)
		found = strncmp(s->options[i].key, prefix, strlen(prefix)) == 0;
	free(prefix);
	return found;
}

/* A number option of the stream as KEY (DEF when absent). */
static void stream_count(struct circus *c, int in, struct ini_section *s, const char *stream,
			 const char *key, const char *def)
{
	const char *v = stream_get(s, stream, key);
	if (v && number(v) && strchr(v, '.') == NULL && v[0] != '-')
		yo_token(&c->w, in + 1, key, "%s", v);
	else if (v)
		yo_drop(&c->w, in + 1, s, stream_option(s, stream, key), "not a whole number");
	if (v == NULL || !(number(v) && strchr(v, '.') == NULL && v[0] != '-'))
		yo_token(&c->w, in + 1, key, "%s", def);
}

/* TimedRotatingFileStream's rotate_when/rotate_interval: hourly and daily only. */
static void write_timed(struct circus *c, int in, struct ini_section *s, const char *stream)
{
	const char *when = stream_get(s, stream, "rotate_when");
	const char *interval = stream_get(s, stream, "rotate_interval");
	const char *utc = stream_get(s, stream, "utc");
	const char *rotate = NULL;
	bool b;

	if (interval == NULL || strcmp(interval, "1") == 0) {
		if (when && strcasecmp(when, "H") == 0)
			rotate = "hourly";
		else if (when && (strcasecmp(when, "D") == 0 || strcasecmp(when, "MIDNIGHT") == 0))
			rotate = "daily";
	}
	if (rotate) {
		yo_comment(&c->w, in + 1, "rotate_when = %s: at the turn of each %s (Circus counts "
			   "from the start)", when, rotate[0] == 'h' ? "hour" : "day");
		yo_string(&c->w, in + 1, "rotate", rotate);
	} else {
		if (when)
			yo_drop(&c->w, in + 1, s, stream_option(s, stream, "rotate_when"), "cirque "
				"rotates hourly or daily (rotate_when H or D, rotate_interval 1)");
		if (interval && strcmp(interval, "1") != 0)
			yo_drop(&c->w, in + 1, s, stream_option(s, stream, "rotate_interval"), "cirque "
				"rotates hourly or daily");
	}
	if (utc && ini_truthy(utc, &b) && b)
		yo_drop(&c->w, in + 1, s, stream_option(s, stream, "utc"), "cirque rotates on the "
			"local time");
}

static void write_stream(struct circus *c, int in, struct ini_section *s, const char *stream)
{
	if (!has_stream(s, stream))
		return;
	const char *cls = stream_get(s, stream, "class");
	const char *file = stream_get(s, stream, "filename");
	if (cls && strncmp(cls, "circus.stream.", 14) == 0)
		cls += 14;
	if (cls == NULL && file)
		cls = "FileStream";
	if (cls == NULL)
		cls = "";
	bool to_stdout = strcmp(cls, "StdoutStream") == 0 || strcmp(cls, "FancyStdoutStream") == 0;
	bool timed = strcmp(cls, "TimedRotatingFileStream") == 0;
	struct ini_option *class_option = stream_option(s, stream, "class");
	if (!to_stdout && strcmp(cls, "FileStream") != 0 && !timed &&
	    strcmp(cls, "WatchedFileStream") != 0) {
		if (class_option)  /* the class itself is what is dropped: said and counted */
			class_option->used = false;
		drop_stream_rest(c, in, s, stream, "a Python stream class: cirque writes to a file, "
				 "syslog, its own output, or the event socket (stream.NAME.WID."
				 "stdout), which an event listener can read");
		return;
	}
	if (!to_stdout && file == NULL) {
		if (class_option)
			class_option->used = false;
		drop_stream_rest(c, in, s, stream, "no filename: Circus writes to a temporary file");
		return;
	}
	yo_open(&c->w, in, stream);
	if (to_stdout) {
		yo_comment(&c->w, in + 1, "%s: cirqued's own stdout, the lines as written", cls);
		yo_string(&c->w, in + 1, "file", "/dev/stdout");
		yo_token(&c->w, in + 1, "max_bytes", "0");
		yo_token(&c->w, in + 1, "backup_count", "0");
		if (strcmp(cls, "FancyStdoutStream") == 0 && !stream_get(s, stream, "time_format"))
			yo_string(&c->w, in + 1, "time_format", "%Y-%m-%d %H:%M:%S");
		drop_stream_rest(c, in + 1, s, stream, "FancyStdoutStream's colours and [pid] "
				 "prefix: cirque writes the time only");
	} else {
		char *path = circus_text(file, false);
		yo_string(&c->w, in + 1, "file", path);
		free(path);
		if (strcmp(cls, "WatchedFileStream") == 0) {
			yo_comment(&c->w, in + 1, "WatchedFileStream: after logrotate moves it, "
				   "`cirquectl reopen`");
			yo_token(&c->w, in + 1, "max_bytes", "0");
			yo_token(&c->w, in + 1, "backup_count", "0");
		} else {
			if (timed)
				yo_token(&c->w, in + 1, "max_bytes", "0");
			else
				stream_count(c, in, s, stream, "max_bytes", "0");  /* Circus's default */
			stream_count(c, in, s, stream, "backup_count", "0");
			if (timed)
				write_timed(c, in, s, stream);
		}
	}
	const char *tf = stream_get(s, stream, "time_format");
	if (tf) {
		char *t = circus_text(tf, false);
		size_t n = strlen(t);
		if (n >= 2 && (t[0] == '\'' || t[0] == '"') && t[n - 1] == t[0]) {
			t[n - 1] = '\0';  /* the docs' example quotes it: Circus keeps the quotes */
			memmove(t, t + 1, n - 1);
		}
		yo_string(&c->w, in + 1, "time_format", t);
		free(t);
	}
	drop_stream_rest(c, in + 1, s, stream, "no cirque equivalent");
}

/* Circus's env for watcher NAME: [env], then each [env:patterns] that matches, in order, a later
 * value replacing an earlier one. Written as env:, or nothing. */
static void write_env(struct circus *c, int in, const char *name)
{
	const char **keys = NULL, **values = NULL;
	size_t n = 0;

	for (size_t i = 0; i < c->ini.count; i++) {
		struct ini_section *e = &c->ini.sections[i];
		bool match = strcmp(e->name, "env") == 0;
		if (!match && strncmp(e->name, "env:", 4) == 0) {
			char *list = xstrdup(e->name + 4), *save;
			for (char *p = strtok_r(list, ",", &save); p && !match;
			     p = strtok_r(NULL, ",", &save)) {
				while (isspace((unsigned char)*p))
					p++;
				char *end = p + strlen(p);
				while (end > p && isspace((unsigned char)end[-1]))
					*--end = '\0';
				match = fnmatch(p, name, 0) == 0;
			}
			free(list);
		}
		for (size_t k = 0; match && k < e->count; k++) {
			e->options[k].used = true;
			size_t j = 0;
			while (j < n && strcmp(keys[j], e->options[k].key) != 0)
				j++;
			if (j == n) {
				keys = xreallocarray(keys, n + 1, sizeof(*keys));
				values = xreallocarray(values, n + 1, sizeof(*values));
				keys[n++] = e->options[k].key;
			}
			values[j] = e->options[k].value;
		}
	}
	if (n)
		yo_open(&c->w, in, "env");
	for (size_t j = 0; j < n; j++) {
		char *v = circus_text(values[j], true);
		yo_string(&c->w, in + 1, keys[j], v);
		free(v);
	}
	free(keys);
	free(values);
}

/* cirque's names: letters, digits, - _ . @, not starting with . or -. */
static char *watcher_name(const char *raw)
{
	char *name = xstrdup(raw);
	for (char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.@", *p))
			*p = '_';
	if (name[0] == '.' || name[0] == '-' || name[0] == '\0') {
		char *n = xasprintf("w%s", name);
		free(name);
		name = n;
	}
	return name;
}

/* hooks.NAME = module.function[, ignore_failure]: Python, dropped; cirque's hooks are commands
 * by the same names (but extended_stats). Options of a plugin (PLUGIN.key) are dropped too. */
static void write_hooks(struct circus *c, int in, struct ini_section *s)
{
	static const char *const names[] = { "before_start", "after_start", "before_stop",
					     "after_stop", "before_spawn", "after_spawn",
					     "before_signal", "after_signal", "before_reap",
					     "after_reap" };
	for (size_t i = 0; i < s->count; i++) {
		struct ini_option *o = &s->options[i];
		if (o->used || strchr(o->key, '.') == NULL)
			continue;
		o->used = true;
		bool hook = strncmp(o->key, "hooks.", 6) == 0, known = false;
		for (size_t k = 0; hook && k < COUNT(names); k++)
			known |= strcmp(o->key + 6, names[k]) == 0;
		if (!hook)
			yo_drop(&c->w, in, s, o, "a setting of the Python plugin '%.*s'",
				(int)strcspn(o->key, "."), o->key);
		else if (known)
			yo_drop(&c->w, in, s, o, "a Python hook: cirque's hooks are commands (README "
				"Hooks): hooks: {%s: /path/to/command%s}", o->key + 6,
				strstr(o->value, ",") ? ", ignore_failure: ..." : "");
		else
			yo_drop(&c->w, in, s, o, "a Python hook cirque has no point for");
	}
}

static void write_watcher(struct circus *c, struct ini_section *s)
{
	const char *raw = s->name + 8;
	char *name = watcher_name(raw);
	const int in = 2;

	fputc('\n', c->w.out);
	yo_open(&c->w, 1, name);
	if (strcmp(name, raw) != 0) {
		yo_comment(&c->w, in, "[%s] is %s here: cirque's names are letters, digits, - _ . @",
			   s->name, name);
		c->w.dropped++;
	}
	if (ini_option(s, "cmd") == NULL)
		yo_comment(&c->w, in, "no cmd: Circus refuses it too");
	write_plain(c, in, s);
	write_flapping(c, in, s);
	write_env(c, in, raw);
	write_stream(c, in, s, "stdout");
	write_stream(c, in, s, "stderr");
	write_hooks(c, in, s);
	static const char *const why[][2] = {
		{ "virtualenv_py_ver", "the virtualenv's python finds its own site-packages" },
		{ "env", "Circus ignores it too: [env:NAME] sections give the environment" },
		{ "stdin_socket", "stdin is /dev/null, or the events of an event listener" },
		{ "use_papa", "no papa: cirqued keeps the sockets open across reloads itself" },
	};
	for (size_t i = 0; i < COUNT(why); i++)
		if (ini_get(s, why[i][0]))
			yo_drop(&c->w, in, s, ini_option(s, why[i][0]), "%s", why[i][1]);
	yo_drop_unused(&c->w, in, s, "no cirque equivalent");
	free(name);
}

/* ---- [socket:x] ---- */

static void write_socket(struct circus *c, struct ini_section *s)
{
	char *name = watcher_name(s->name + 7);
	const char *path = ini_get(s, "path"), *host = ini_get(s, "host"), *port = ini_get(s, "port");
	const char *family = ini_get(s, "family"), *type = ini_get(s, "type");
	bool b;

	for (char *p = name; *p; p++)  /* Circus lower-cases socket names */
		*p = (char)tolower((unsigned char)*p);
	if (type && strcasecmp(type, "SOCK_STREAM") != 0) {
		yo_comment(&c->s, 1, "[%s]: type = %s: cirque's sockets are stream sockets only",
			   s->name, type);
		yo_drop_unused(&c->s, 1, s, "socket not carried over");
		free(name);
		return;
	}
	yo_open(&c->s, 1, name);
	if (path) {
		yo_string(&c->s, 2, "path", path);
		const char *umask = ini_get(s, "umask");
		char *end;
		long mask = strtol(umask ? umask : "8", &end, 10);
		if (*end == '\0' && mask >= 0 && mask <= 0777) {
			/* Circus reads it as a decimal number (int("022") is 22): its default, 8, is
			 * octal 010, a mode of 0767 */
			char mode[8];
			snprintf(mode, sizeof(mode), "%04lo", 0777 & ~mask);
			yo_comment(&c->s, 2, "umask %s (Circus reads it as decimal): mode %s",
				   umask ? umask : "8 (its default)", mode);
			yo_string(&c->s, 2, "mode", mode);
		} else {
			yo_drop(&c->s, 2, s, ini_option(s, "umask"), "not a number");
		}
		if (host)
			yo_drop(&c->s, 2, s, ini_option(s, "host"), "a unix socket (path) has no host");
		if (port)
			yo_drop(&c->s, 2, s, ini_option(s, "port"), "a unix socket (path) has no port");
	} else {
		const char *h = host ? host : "localhost";
		if (family && strcasecmp(family, "AF_INET6") == 0 && strcmp(h, "localhost") == 0)
			h = "::1";
		yo_string(&c->s, 2, "host", h);
		if (port && number(port))
			yo_token(&c->s, 2, "port", "%s", port);
		else
			yo_token(&c->s, 2, "port", "8080");  /* Circus's default */
		if (port && !number(port))
			yo_drop(&c->s, 2, s, ini_option(s, "port"), "not a number");
	}
	const char *backlog = ini_get(s, "backlog");
	yo_token(&c->s, 2, "backlog", "%s", backlog && number(backlog) ? backlog : "2048");
	const char *reuse = ini_get(s, "so_reuseport");
	if (reuse && ini_truthy(reuse, &b))
		yo_token(&c->s, 2, "reuseport", "%s", b ? "true" : "false");
	static const char *const why[][2] = {
		{ "replace", "cirqued replaces a unix socket file left behind by a dead daemon" },
		{ "blocking", "the sockets are passed as systemd passes them (blocking)" },
		{ "interface", "no SO_BINDTODEVICE: bind to the interface's address" },
		{ "proto", "the protocol follows from the family" },
		{ "use_papa", "no papa: cirqued keeps the sockets open across reloads itself" },
	};
	for (size_t i = 0; i < COUNT(why); i++)
		if (ini_get(s, why[i][0]))
			yo_drop(&c->s, 2, s, ini_option(s, why[i][0]), "%s", why[i][1]);
	yo_drop_unused(&c->s, 2, s, "no cirque equivalent");
	free(name);
}

/* ---- [circus], [plugin:x] ---- */

static void write_endpoint(struct circus *c, struct ini_section *s, const char *key, bool control)
{
	const char *v = ini_get(s, key);
	const char *why = v ? endpoint_refusal(v, control, false) : NULL;
	if (v && why == NULL)
		yo_string(c->y, 1, key, v);
	else if (v)
		yo_drop(c->y, 1, s, ini_option(s, key), "cirqued refuses it: it %s", why);
}

static void write_daemon(struct circus *c, struct ini_section *s)
{
	struct yaml_out *y = c->y;

	yo_open(y, 0, "cirque");
	write_endpoint(c, s, "endpoint", true);
	write_endpoint(c, s, "pubsub_endpoint", false);
	const char *level = ini_get(s, "loglevel");
	static const char *const levels[] = { "debug", "info", "warning", "error", "critical" };
	bool known = false;
	for (size_t i = 0; level && i < COUNT(levels); i++)
		if (strcasecmp(level, levels[i]) == 0) {
			yo_string(y, 1, "loglevel", levels[i]);
			known = true;
		}
	if (level && !known)
		yo_drop(y, 1, s, ini_option(s, "loglevel"), "not a level cirque knows");
	const char *out = ini_get(s, "logoutput");
	if (out && strcmp(out, "-") == 0)
		yo_string(y, 1, "logoutput", "stdout");  /* Circus's "-" is its stdout */
	else if (out && strstr(out, "://"))
		yo_drop(y, 1, s, ini_option(s, "logoutput"), "cirqued logs to a file, stdout or "
			"stderr (under systemd: the journal)");
	else if (out)
		yo_string(y, 1, "logoutput", out);
	if (ini_get(s, "pidfile"))
		yo_string(y, 1, "pidfile", ini_get(s, "pidfile"));
	const char *umask = ini_get(s, "umask");
	int mask;
	if (umask && parse_umask(umask, &mask) == 0)
		yo_string(y, 1, "umask", umask);
	else if (umask)
		yo_drop(y, 1, s, ini_option(s, "umask"), "not an octal umask");
	if (ini_get(s, "include"))
		yo_comment(y, 1, "include = %s: read, the watchers are below", ini_get(s, "include"));
	if (ini_get(s, "include_dir"))
		yo_comment(y, 1, "include_dir = %s: read, the watchers are below",
			   ini_get(s, "include_dir"));
	yo_unmatched(y, 1, &c->ini);
	static const char *const why[][2] = {
		{ "check_delay", "cirqued does not poll its processes: it learns of each exit at once" },
		{ "stats_endpoint", "no stats stream: cirque-web serves /metrics (Prometheus), "
				    "`cirquectl top` shows CPU and memory" },
		{ "statsd", "no statsd: /metrics of cirque-web (README Observability)" },
		{ "httpd", "cirque-web is the dashboard (README Observability)" },
		{ "httpd_host", "cirque-web's --listen" },
		{ "httpd_port", "cirque-web's --listen" },
		{ "multicast_endpoint", "no multicast discovery" },
		{ "endpoint_owner", "the control socket is 0600, owned by cirqued's user; "
				    "cirque.operator_group gives a group the operator commands" },
		{ "warmup_delay", "per watcher (warmup_delay); watchers of one priority start together" },
		{ "debug", "cirqued --log-level debug" },
		{ "debug_gc", "no Python garbage collector" },
		{ "loggerconfig", "cirqued logs to logoutput with loglevel" },
		{ "fqdn_prefix", "no statsd prefix" },
	};
	for (size_t i = 0; i < COUNT(why); i++)
		if (ini_get(s, why[i][0]))
			yo_drop(y, 1, s, ini_option(s, why[i][0]), "%s", why[i][1]);
	yo_drop_unused(y, 1, s, "no cirque equivalent");
}

static void write_plugin(struct circus *c, struct ini_section *s)
{
	static const char *const instead[][2] = {
		{ "statsd", "cirque-web's /metrics (Prometheus)" },
		{ "watchdog", "a ready probe (README Readiness), max_age" },
		{ "flapping", "min_uptime and max_retry of each watcher" },
		{ "resource_watcher", "memory_max, memory_high, cpu_max of a watcher (cgroups)" },
		{ "http_observer", "an event listener (listen_events) posting what it reads" },
		{ "redis_observer", "an event listener (listen_events)" },
		{ "command_reloader", "`cirquectl reload NAME` from a file watcher (systemd path unit)" },
	};
	const char *use = ini_get(s, "use");
	const char *what = "an event listener (listen_events), cirque-web's /metrics";
	for (size_t i = 0; use && i < COUNT(instead); i++)
		if (strstr(use, instead[i][0]))
			what = instead[i][1];
	yo_comment(c->y, 0, "[%s]: a Python plugin%s%s; cirque has instead: %s", s->name,
		   use ? " " : "", use ? use : "", what);
	if (use)
		ini_option(s, "use")->used = false;
	if (s == c->flapping) {
		yo_comment(c->y, 0, "its window and max_retry are each watcher's min_uptime and "
			   "max_retry below");
		ini_get(s, "window");
		ini_get(s, "max_retry");
		ini_get(s, "active");
	}
	yo_drop_unused(c->y, 0, s, "Python plugins do not run in cirque");
}

/* include and include_dir of [circus] (the main file's), relative to the main file. */
static int read_includes(struct circus *c)
{
	struct ini_section *s = ini_section(&c->ini, "circus");
	if (s == NULL)
		return 0;
	const char *inc = ini_get(s, "include"), *dirs = ini_get(s, "include_dir");
	const char *dir = s->dir, *file = s->file;
	int line = s->line;
	if (inc && ini_include(&c->ini, dir, inc, file, line, NULL) < 0)
		return -1;
	if (dirs == NULL)
		return 0;
	char *list = xstrdup(dirs), *save;
	int rc = 0;
	for (char *d = strtok_r(list, " \t\n", &save); d && rc == 0; d = strtok_r(NULL, " \t\n", &save)) {
		char *pattern = xasprintf("%s/*.ini", d);
		if (ini_include(&c->ini, dir, pattern, file, line, NULL) < 0)
			rc = -1;
		free(pattern);
	}
	free(list);
	return rc;
}

static void write_sections(struct circus *c)
{
	for (size_t i = 0; i < c->ini.count; i++) {
		struct ini_section *s = &c->ini.sections[i];
		if (strncmp(s->name, "watcher:", 8) == 0)
			write_watcher(c, s);
		else if (strncmp(s->name, "socket:", 7) == 0)
			write_socket(c, s);
		else if (strncmp(s->name, "plugin:", 7) == 0)
			write_plugin(c, s);
		else if (strcmp(s->name, "circus") != 0 && strcmp(s->name, "env") != 0 &&
			 strncmp(s->name, "env:", 4) != 0) {
			yo_comment(c->y, 0, "[%s]: a section Circus does not read", s->name);
			yo_drop_unused(c->y, 0, s, "see above");
		}
	}
	/* an [env:x] that matched no watcher */
	for (size_t i = 0; i < c->ini.count; i++) {
		struct ini_section *s = &c->ini.sections[i];
		if (strncmp(s->name, "env", 3) == 0 && (s->name[3] == ':' || s->name[3] == '\0'))
			yo_drop_unused(c->y, 0, s, "no watcher matches the section's name");
	}
}

int import_circus(const char *path, struct yaml_out *y)
{
	struct circus c = { .y = y, .ini = { .circus = true } };
	int rc = IMPORT_FAILED;

	if (ini_load(&c.ini, path, NULL) < 0 || read_includes(&c) < 0) {
		fprintf(stderr, "cirquectl: import: %s\n", c.ini.error);
		ini_free(&c.ini);
		return IMPORT_FAILED;
	}
	c.flapping = flapping_plugin(&c);
	c.w.out = open_memstream(&c.watchers_text, &c.watchers_size);
	c.s.out = open_memstream(&c.sockets_text, &c.sockets_size);
	if (c.w.out == NULL || c.s.out == NULL)
		abort();
	yo_comment(y, 0, "cirque.yaml imported from %s (Circus) by cirquectl import.", path);
	yo_comment(y, 0, "cirqued takes Circus's watcher options under their names. A process that "
		   "dies within");
	yo_comment(y, 0, "min_uptime of its start is a failed start, counted towards max_retry: 0 "
		   "without [plugin:flapping],");
	yo_comment(y, 0, "as Circus then respawns for ever; its window with it.");
	yo_comment(y, 0, "A watcher without stdout_stream/stderr_stream writes to cirqued's output, "
		   "as in Circus, but");
	yo_comment(y, 0, "each line prefixed `name[wid]: ` (cirque's inherit).");
	struct ini_section *daemon = ini_section(&c.ini, "circus");
	if (daemon)
		write_daemon(&c, daemon);
	write_sections(&c);
	fclose(c.w.out);
	fclose(c.s.out);
	if (c.sockets_size)
		fprintf(y->out, "\nsockets:\n%s", c.sockets_text);
	fprintf(y->out, "\nwatchers:%s\n", c.watchers_size ? "" : " {}");
	fputs(c.watchers_text, y->out);
	y->dropped += c.w.dropped + c.s.dropped;
	rc = y->dropped ? IMPORT_DROPPED : IMPORT_ALL;
	free(c.watchers_text);
	free(c.sockets_text);
	ini_free(&c.ini);
	return rc;
}
