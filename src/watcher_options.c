/* watcher_options.c - a watcher's options: parsed one by one, then resolved together (cmd + args
 * + shell, uid + gid, env), compared on reload and freed. */
#include "watcher_options.h"

#include "config_sockets.h"
#include "parse.h"
#include "yaml_node.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

extern char **environ;

/* Options are first gathered raw, then resolved together (cmd + args + shell, uid + gid, ...). */
struct watcher_draft {
	struct watcher_config *wc;
	yaml_node_t *key_node;        /* the watcher's name, for errors about what is missing */
	yaml_node_t *cmd_node, *args_node, *uid_node, *gid_node, *env_node, *numprocesses_node;
	char **args;                  /* from a list-valued args: taken literally, not split */
	char *args_text;              /* from a string-valued args: split like cmd */
	char *uid_text, *gid_text;
};

typedef int (*watcher_key_fn)(struct loader *ld, const char *path, yaml_node_t *v,
			      struct watcher_draft *d);

static int opt_cmd(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{
	d->cmd_node = v;
	return get_string(ld, path, v, &d->wc->cmd);
}

static int opt_args(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{
	int n = 0;

	d->args_node = v;
	if (v->type == YAML_SCALAR_NODE)
		return get_string(ld, path, v, &d->args_text);
	if (v->type != YAML_SEQUENCE_NODE) {
		add_error(ld, v, "%s: must be a string or a list of strings", path);
		return -1;
	}
	d->args = calloc((size_t)(v->data.sequence.items.top - v->data.sequence.items.start) + 1,
			 sizeof(char *));
	if (d->args == NULL)
		return -1;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(ld, *it);
		const char *s = scalar(item);
		if (s == NULL) {
			add_error(ld, item, "%s: each argument must be a string", path);
			return -1;
		}
		d->args[n++] = strdup(s);
	}
	return 0;
}

static int opt_shell(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return get_bool(ld, path, v, &d->wc->shell); }
static int opt_copy_env(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return get_bool(ld, path, v, &d->wc->copy_env); }
static int opt_stop_children(struct loader *ld, const char *path, yaml_node_t *v,
			     struct watcher_draft *d)
{ return get_bool(ld, path, v, &d->wc->stop_children); }
static int opt_respawn(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return get_bool(ld, path, v, &d->wc->respawn); }
static int opt_autostart(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return get_bool(ld, path, v, &d->wc->autostart); }
static int opt_singleton(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return get_bool(ld, path, v, &d->wc->singleton); }
static int opt_working_dir(struct loader *ld, const char *path, yaml_node_t *v,
			   struct watcher_draft *d)
{ return get_string(ld, path, v, &d->wc->working_dir); }
static int opt_umask(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return get_umask(ld, path, v, &d->wc->umask); }
static int opt_graceful_timeout(struct loader *ld, const char *path, yaml_node_t *v,
				struct watcher_draft *d)
{ return get_duration(ld, path, v, &d->wc->graceful_timeout); }
static int opt_warmup_delay(struct loader *ld, const char *path, yaml_node_t *v,
			    struct watcher_draft *d)
{ return get_duration(ld, path, v, &d->wc->warmup_delay); }
static int opt_max_age(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return get_duration(ld, path, v, &d->wc->max_age); }
static int opt_max_age_variance(struct loader *ld, const char *path, yaml_node_t *v,
				struct watcher_draft *d)
{ return get_duration(ld, path, v, &d->wc->max_age_variance); }
static int opt_stop_signal(struct loader *ld, const char *path, yaml_node_t *v,
			   struct watcher_draft *d)
{ return get_signal(ld, path, v, &d->wc->stop_signal); }

static int opt_numprocesses(struct loader *ld, const char *path, yaml_node_t *v,
			    struct watcher_draft *d)
{
	long n;

	d->numprocesses_node = v;
	if (get_int(ld, path, v, 0, &n) < 0)
		return -1;
	if (n > 100000) {
		add_error(ld, v, "%s: %ld is more processes than cirque allows (100000)", path, n);
		return -1;
	}
	d->wc->numprocesses = (int)n;
	return 0;
}

static int opt_priority(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{
	long n;

	if (get_int(ld, path, v, -1000000, &n) < 0)
		return -1;
	if (n > 1000000) {
		add_error(ld, v, "%s: must be between -1000000 and 1000000", path);
		return -1;
	}
	d->wc->priority = (int)n;
	return 0;
}

static int opt_max_retry(struct loader *ld, const char *path, yaml_node_t *v,
			 struct watcher_draft *d)
{
	long n;

	if (get_int(ld, path, v, -1, &n) < 0)
		return -1;
	d->wc->max_retry = n > 1000000 ? 1000000 : (int)n;
	return 0;
}

static int opt_uid(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{
	d->uid_node = v;
	return get_string(ld, path, v, &d->uid_text);
}

static int opt_gid(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{
	d->gid_node = v;
	return get_string(ld, path, v, &d->gid_text);
}

static int opt_env(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{
	if (v->type != YAML_MAPPING_NODE && !is_null(v)) {
		add_error(ld, v, "%s: must be a mapping of NAME: value", path);
		return -1;
	}
	d->env_node = v;
	return 0;
}

static int opt_rlimits(struct loader *ld, const char *path, yaml_node_t *v,
		       struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;

	if (is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		add_error(ld, v, "%s: must be a mapping such as {nofile: 4096}", path);
		return -1;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *key = node_at(ld, p->key), *value = node_at(ld, p->value);
		const char *name = scalar(key), *text = scalar(value);
		unsigned long long limit;
		int resource;

		if (is_duplicate_key(ld, path, v, p))
			continue;
		if (name == NULL || (resource = parse_rlimit_name(name)) < 0) {
			add_error(ld, key, "%s: unknown resource limit '%s' (known: as, core, cpu, "
				  "data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, "
				  "rtprio, rttime, sigpending, stack)", path, name ? name : "");
			continue;
		}
		if (text == NULL || parse_rlimit_value(text, &limit) < 0) {
			add_error(ld, value, "%s.%s: must be a non-negative integer or 'unlimited'",
				  path, name);
			continue;
		}
		struct rlimit_setting *grown =
			realloc(wc->rlimits, sizeof(*grown) * (size_t)(wc->nrlimits + 1));
		if (grown == NULL)
			return -1;
		wc->rlimits = grown;
		wc->rlimits[wc->nrlimits++] = (struct rlimit_setting){ resource, limit };
	}
	return 0;
}

/* --- stdout: / stderr: ------------------------------------------------------------------------ */

static int syslog_facility(const char *name)
{
	static const struct { const char *name; int facility; } facilities[] = {
		{ "user", LOG_USER }, { "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 },
	};
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	return -1;
}

struct stream_draft {
	struct stream_config *sc;
	bool is_stderr;
	bool saw_kind;                /* file:, syslog: or merge: given */
};

static void visit_stream_key(struct loader *ld, const char *parent, yaml_node_t *key,
			     yaml_node_t *value, void *arg)
{
	struct stream_draft *d = arg;
	struct stream_config *sc = d->sc;
	const char *name = scalar(key), *text = scalar(value);
	char path[512];
	long n;

	if (name == NULL)
		return;
	snprintf(path, sizeof(path), "%s.%s", parent, name);
	if (strcmp(name, "file") == 0) {
		sc->kind = STREAM_FILE;
		d->saw_kind = true;
		if (get_string(ld, path, value, &sc->path) == 0 && sc->path[0] == '\0')
			add_error(ld, value, "%s: must not be empty", path);
	} else if (strcmp(name, "max_bytes") == 0) {
		if (text == NULL || parse_size(text, &sc->max_bytes) < 0)
			add_error(ld, value, "%s: must be a size such as 10MB, 512k or 1048576", path);
	} else if (strcmp(name, "backup_count") == 0) {
		if (get_int(ld, path, value, 0, &n) == 0)
			sc->backup_count = n > 1000 ? 1000 : (int)n;
	} else if (strcmp(name, "time_format") == 0) {
		get_string(ld, path, value, &sc->time_format);
	} else if (strcmp(name, "rotate") == 0) {
		if (text && strcmp(text, "daily") == 0)
			sc->rotate = ROTATE_DAILY;
		else if (text && strcmp(text, "hourly") == 0)
			sc->rotate = ROTATE_HOURLY;
		else if (text && strcmp(text, "never") == 0)
			sc->rotate = ROTATE_NONE;
		else
			add_error(ld, value, "%s: must be daily, hourly or never", path);
	} else if (strcmp(name, "syslog") == 0) {
		sc->kind = STREAM_SYSLOG;
		d->saw_kind = true;
		bool on = true;
		if (text && !is_null(value) && parse_bool(text, &on) < 0)
			add_error(ld, value, "%s: must be true", path);
	} else if (strcmp(name, "facility") == 0) {
		if (text == NULL || (sc->facility = syslog_facility(text)) < 0)
			add_error(ld, value, "%s: must be user, daemon or local0..local7", path);
	} else if (strcmp(name, "tag") == 0) {
		get_string(ld, path, value, &sc->tag);
	} else if (strcmp(name, "merge") == 0 && d->is_stderr) {
		sc->kind = STREAM_MERGE;
		d->saw_kind = true;
		if (text == NULL || strcmp(text, "stdout") != 0)
			add_error(ld, value, "%s: only 'stdout' can be merged into", path);
	} else {
		add_error(ld, key, "%s: unknown key '%s' (file, max_bytes, backup_count, rotate, "
			  "time_format, syslog, facility, tag%s)", parent, name,
			  d->is_stderr ? ", merge" : "");
	}
}

static int opt_stream(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d,
		      int which)
{
	struct stream_config *sc = &d->wc->streams[which];
	struct stream_draft sd = { sc, which == 1, false };
	const char *text = scalar(v);

	if (text) {
		if (strcmp(text, "inherit") == 0)
			sc->kind = STREAM_INHERIT;
		else if (strcmp(text, "null") == 0 || strcmp(text, "/dev/null") == 0 || is_null(v))
			sc->kind = STREAM_NULL;
		else if (strcmp(text, "syslog") == 0)
			sc->kind = STREAM_SYSLOG;
		else if (strcmp(text, "stdout") == 0 && which == 1)
			sc->kind = STREAM_MERGE;
		else
			add_error(ld, v, "%s: must be inherit, null, syslog%s, or a mapping such as "
				  "{file: /var/log/x.log}", path, which == 1 ? ", stdout" : "");
		return 0;
	}
	walk_mapping(ld, path, v, visit_stream_key, &sd);
	if (!sd.saw_kind)
		add_error(ld, v, "%s: needs file:, syslog: or merge:", path);
	return 0;
}

static int opt_stdout(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return opt_stream(ld, path, v, d, 0); }
static int opt_stderr(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return opt_stream(ld, path, v, d, 1); }

/* ready: notify | {delay: 2s} | {tcp: 8080} | {tcp: "127.0.0.1:8080"} | {unix: PATH} |
 * {notify: true} */
static int opt_ready(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;
	const char *text = scalar(v);
	yaml_node_pair_t *pair;
	yaml_node_t *value;
	const char *kind;
	char sub[512];
	long port;

	if (text && strcmp(text, "notify") == 0) {
		wc->ready = READY_NOTIFY;
		return 0;
	}
	if (v->type != YAML_MAPPING_NODE ||
	    v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1) {
		add_error(ld, v, "%s: must be notify, or one of {delay: 2s}, {tcp: PORT or HOST:PORT}, "
			  "{unix: PATH}", path);
		return -1;
	}
	pair = v->data.mapping.pairs.start;
	kind = scalar(node_at(ld, pair->key));
	value = node_at(ld, pair->value);
	text = scalar(value);
	snprintf(sub, sizeof(sub), "%s.%s", path, kind ? kind : "?");
	if (kind && strcmp(kind, "delay") == 0) {
		wc->ready = READY_DELAY;
		return get_duration(ld, sub, value, &wc->ready_delay);
	}
	if (kind && strcmp(kind, "notify") == 0) {
		wc->ready = READY_NOTIFY;
		return 0;
	}
	if (kind && strcmp(kind, "unix") == 0) {
		wc->ready = READY_UNIX;
		if (get_string(ld, sub, value, &wc->ready_path) < 0)
			return -1;
		if (strlen(wc->ready_path) >= 108) {
			add_error(ld, value, "%s: a unix socket path has at most 107 characters", sub);
			return -1;
		}
		return 0;
	}
	if (kind && strcmp(kind, "tcp") == 0) {
		const char *colon = text ? strrchr(text, ':') : NULL;
		wc->ready = READY_TCP;
		free(wc->ready_host);
		wc->ready_host = colon ? strndup(text, (size_t)(colon - text)) : strdup("127.0.0.1");
		if (text == NULL || parse_long(colon ? colon + 1 : text, &port) < 0 || port < 1 ||
		    port > 65535) {
			add_error(ld, value, "%s: must be a port (1-65535) or HOST:PORT", sub);
			return -1;
		}
		wc->ready_port = (int)port;
		return 0;
	}
	add_error(ld, node_at(ld, pair->key), "%s: unknown readiness '%s' (delay, tcp, unix, notify)",
		  path, kind ? kind : "");
	return -1;
}

static int opt_ready_timeout(struct loader *ld, const char *path, yaml_node_t *v,
			     struct watcher_draft *d)
{
	if (get_duration(ld, path, v, &d->wc->ready_timeout) < 0)
		return -1;
	if (d->wc->ready_timeout <= 0) {
		add_error(ld, v, "%s: must be more than 0", path);
		return -1;
	}
	return 0;
}

static int opt_use_sockets(struct loader *ld, const char *path, yaml_node_t *v,
			   struct watcher_draft *d)
{
	return parse_use_sockets(ld, path, v, d->wc);
}

static const struct { const char *key; watcher_key_fn fn; } watcher_keys[] = {
	{ "use_sockets", opt_use_sockets },
	{ "ready", opt_ready }, { "ready_timeout", opt_ready_timeout },
	{ "stdout", opt_stdout }, { "stderr", opt_stderr },
	{ "cmd", opt_cmd }, { "args", opt_args }, { "shell", opt_shell },
	{ "numprocesses", opt_numprocesses }, { "working_dir", opt_working_dir },
	{ "env", opt_env }, { "copy_env", opt_copy_env }, { "uid", opt_uid }, { "gid", opt_gid },
	{ "umask", opt_umask }, { "rlimits", opt_rlimits },
	{ "graceful_timeout", opt_graceful_timeout }, { "stop_signal", opt_stop_signal },
	{ "stop_children", opt_stop_children }, { "respawn", opt_respawn },
	{ "autostart", opt_autostart }, { "priority", opt_priority },
	{ "singleton", opt_singleton }, { "warmup_delay", opt_warmup_delay },
	{ "max_retry", opt_max_retry }, { "max_age", opt_max_age },
	{ "max_age_variance", opt_max_age_variance },
};

static void visit_watcher_key(struct loader *ld, const char *parent, yaml_node_t *key,
			      yaml_node_t *value, void *arg)
{
	const char *name = scalar(key);
	char path[512];

	if (name == NULL)  /* walk_mapping passes only string keys */
		return;

	snprintf(path, sizeof(path), "%s.%s", parent, name);
	for (size_t i = 0; i < sizeof(watcher_keys) / sizeof(watcher_keys[0]); i++) {
		if (strcmp(name, watcher_keys[i].key) == 0) {
			watcher_keys[i].fn(ld, path, value, arg);
			return;
		}
	}
	add_error(ld, key, "%s: unknown key '%s'", parent, name);
}

/* --- resolution of options that depend on each other ------------------------------------------ */

static const char *lookup_daemon_env(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

static int env_set(char ***env, int *count, const char *name, const char *value)
{
	size_t len = strlen(name);
	char *entry;

	if (asprintf(&entry, "%s=%s", name, value) < 0)
		return -1;
	for (int i = 0; i < *count; i++) {
		if (strncmp((*env)[i], name, len) == 0 && (*env)[i][len] == '=') {
			free((*env)[i]);
			(*env)[i] = entry;
			return 0;
		}
	}
	char **grown = realloc(*env, sizeof(char *) * (size_t)(*count + 2));
	if (grown == NULL) {
		free(entry);
		return -1;
	}
	grown[(*count)++] = entry;
	grown[*count] = NULL;
	*env = grown;
	return 0;
}

static void resolve_env(struct loader *ld, const char *path, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;
	int count = 0;

	wc->env = calloc(1, sizeof(char *));
	if (wc->env == NULL)
		return;
	if (wc->copy_env)
		for (char **e = environ; *e; e++) {
			char *eq = strchr(*e, '=');
			if (eq == NULL)
				continue;
			char *name = strndup(*e, (size_t)(eq - *e));
			if (name)
				env_set(&wc->env, &count, name, eq + 1);
			free(name);
		}
	if (d->env_node == NULL || d->env_node->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = d->env_node->data.mapping.pairs.start;
	     p < d->env_node->data.mapping.pairs.top; p++) {
		yaml_node_t *key = node_at(ld, p->key), *value = node_at(ld, p->value);
		const char *name = scalar(key), *text = scalar(value);
		char *expanded;

		if (name == NULL || *name == '\0' || strchr(name, '=')) {
			add_error(ld, key, "%s.env: invalid variable name '%s'", path, name ? name : "");
			continue;
		}
		char env_path[512];
		snprintf(env_path, sizeof(env_path), "%s.env", path);
		if (is_duplicate_key(ld, env_path, d->env_node, p))
			continue;
		if (text == NULL) {
			add_error(ld, value, "%s.env.%s: must be a string", path, name);
			continue;
		}
		expanded = is_null(value) ? strdup("") : expand_vars(text, lookup_daemon_env, NULL);
		if (expanded == NULL) {
			add_error(ld, value, "%s.env.%s: unterminated ${", path, name);
			continue;
		}
		env_set(&wc->env, &count, name, expanded);
		free(expanded);
	}
}

static void resolve_argv(struct loader *ld, const char *path, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;
	const char *error;
	char **extra = NULL;

	if (wc->cmd == NULL) {
		if (d->cmd_node == NULL)
			add_error(ld, d->key_node, "%s: missing required key 'cmd'", path);
		return;
	}
	if (d->args) {
		/* Keep a readable copy for messages and comparisons. */
		size_t len = 0;
		for (char **a = d->args; *a; a++)
			len += strlen(*a) + 1;
		wc->args = calloc(1, len + 1);
		for (char **a = d->args; wc->args && *a; a++) {
			if (a != d->args)
				strcat(wc->args, " ");
			strcat(wc->args, *a);
		}
	} else if (d->args_text) {
		wc->args = strdup(d->args_text);
	}
	if (wc->cmd[strspn(wc->cmd, " \t\n")] == '\0') {
		add_error(ld, d->cmd_node, "%s.cmd: is empty", path);
		return;
	}
	if (wc->shell) {
		char *script = NULL;
		if (asprintf(&script, "%s%s%s", wc->cmd, wc->args ? " " : "",
			     wc->args ? wc->args : "") < 0)
			return;
		wc->argv = calloc(4, sizeof(char *));
		if (wc->argv) {
			wc->argv[0] = strdup("/bin/sh");
			wc->argv[1] = strdup("-c");
			wc->argv[2] = script;
		} else {
			free(script);
		}
		return;
	}
	if (split_words(wc->cmd, &wc->argv, &error) < 0) {
		add_error(ld, d->cmd_node, "%s.cmd: %s", path, error);
		return;
	}
	if (wc->argv[0] == NULL) {
		add_error(ld, d->cmd_node, "%s.cmd: is empty", path);
		return;
	}
	if (d->args) {
		extra = d->args;
		d->args = NULL;
	} else if (d->args_text && split_words(d->args_text, &extra, &error) < 0) {
		add_error(ld, d->args_node, "%s.args: %s", path, error);
		return;
	}
	if (extra && append_words(&wc->argv, extra) < 0)
		free_words(extra);
}

/* A uid or gid given as a number: 0 .. 2^32-2 ((uid_t)-1 means "unchanged" to the kernel). */
static bool valid_id_number(const char *text, long *number)
{
	return parse_long(text, number) == 0 && *number >= 0 && *number < (long)(uid_t)-1;
}

static int lookup_user(const char *text, struct passwd *out, char *buf, size_t buflen)
{
	struct passwd *found = NULL;
	long number;

	if (parse_long(text, &number) == 0) {
		if (valid_id_number(text, &number))
			getpwuid_r((uid_t)number, out, buf, buflen, &found);
	} else {
		getpwnam_r(text, out, buf, buflen, &found);
	}
	return found ? 0 : -1;
}

static void resolve_ids(struct loader *ld, const char *path, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;
	char buf[4096];
	struct passwd pw;
	long number;
	bool have_user = false;

	if (d->uid_text == NULL && d->gid_text == NULL)
		return;
	if (d->uid_text) {
		if (lookup_user(d->uid_text, &pw, buf, sizeof(buf)) == 0) {
			have_user = true;
			wc->uid = pw.pw_uid;
			wc->gid = pw.pw_gid;
		} else if (valid_id_number(d->uid_text, &number)) {
			wc->uid = (uid_t)number;  /* a uid without a passwd entry: allowed, no groups */
			wc->gid = (gid_t)number;
		} else if (parse_long(d->uid_text, &number) == 0) {
			add_error(ld, d->uid_node, "%s.uid: %s is out of range", path, d->uid_text);
			return;
		} else {
			add_error(ld, d->uid_node, "%s.uid: unknown user '%s'", path, d->uid_text);
			return;
		}
	} else {
		wc->uid = geteuid();
	}
	if (d->gid_text) {
		struct group gr, *found = NULL;
		if (valid_id_number(d->gid_text, &number))
			wc->gid = (gid_t)number;
		else if (parse_long(d->gid_text, &number) == 0) {
			add_error(ld, d->gid_node, "%s.gid: %s is out of range", path, d->gid_text);
			return;
		} else if (getgrnam_r(d->gid_text, &gr, buf, sizeof(buf), &found) == 0 && found)
			wc->gid = gr.gr_gid;
		else {
			add_error(ld, d->gid_node, "%s.gid: unknown group '%s'", path, d->gid_text);
			return;
		}
	} else if (!d->uid_text) {
		wc->gid = getegid();
	}
	if (geteuid() != 0) {
		if (wc->uid != geteuid() || wc->gid != getegid()) {
			add_error(ld, d->uid_node ? d->uid_node : d->gid_node,
				  "%s: uid/gid can only be changed when cirqued runs as root", path);
			return;
		}
		return;  /* already those ids: nothing to drop */
	}
	wc->set_ids = true;
	if (have_user) {
		/* Supplementary groups are computed now: initgroups() is not safe between vfork and exec. */
		int n = 64;
		for (int tries = 0; tries < 4; tries++) {
			gid_t *groups = malloc(sizeof(gid_t) * (size_t)n);
			int want = n;
			if (groups == NULL)
				return;
			if (getgrouplist(pw.pw_name, wc->gid, groups, &want) >= 0) {
				wc->groups = groups;
				wc->ngroups = want;
				return;
			}
			free(groups);
			n = want > n ? want : n * 2;
		}
	}
}

static void resolve_watcher(struct loader *ld, const char *path, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;

	resolve_argv(ld, path, d);
	resolve_env(ld, path, d);
	resolve_ids(ld, path, d);
	char cmd_path[300];
	snprintf(cmd_path, sizeof(cmd_path), "%s.cmd", path);
	check_socket_vars(ld, d->cmd_node ? cmd_path : path, d->cmd_node ? d->cmd_node : d->key_node,
			  wc);
	if (wc->singleton && wc->numprocesses > 1)
		add_error(ld, d->numprocesses_node, "%s.numprocesses: a singleton watcher runs at most "
			  "one process", path);
}

static struct watcher_config *watcher_config_new(const char *name, const char *origin)
{
	struct watcher_config *wc = calloc(1, sizeof(*wc));

	if (wc == NULL)
		return NULL;
	wc->name = strdup(name);
	wc->origin = strdup(origin);
	/* Circus's defaults. */
	wc->numprocesses = 1;
	wc->umask = -1;
	wc->graceful_timeout = 30;
	wc->stop_signal = SIGTERM;
	wc->respawn = true;
	wc->autostart = true;
	wc->max_retry = 5;
	wc->max_age_variance = 30;
	wc->ready = READY_DELAY;
	wc->ready_delay = 1;
	wc->ready_timeout = 60;
	for (int i = 0; i < 2; i++) {
		/* supervisord's defaults for files; inherit when nothing is configured */
		wc->streams[i].kind = STREAM_INHERIT;
		wc->streams[i].max_bytes = 50ULL << 20;
		wc->streams[i].backup_count = 10;
		wc->streams[i].facility = LOG_DAEMON;
	}
	return wc;
}

/* A watcher's name goes into paths ({name} in a log file), event topics and cirquectl's
 * name:wid, so it keeps to characters that mean nothing there (ASCII, whatever the locale). A
 * first '.' would allow "." and "..", a path that leaves its directory; a first '-' reads as an
 * option. */
#define WATCHER_NAME_MAX 128
#define WATCHER_NAME_RULE "letters, digits, '-', '_', '.', '@', not first '-' or '.'; at most 128"

static bool valid_watcher_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > WATCHER_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9');
		if (!alnum && !strchr("-_.@", *p))
			return false;
	}
	return true;
}

void load_watcher(struct loader *ld, const char *parent, yaml_node_t *key, yaml_node_t *value,
		  void *arg)
{
	const char *name = scalar(key);
	char path[256], origin[512];
	struct watcher_draft d = { 0 };
	struct config *config = ld->config;

	if (name == NULL)  /* walk_mapping passes only string keys */
		return;

	(void)arg;
	snprintf(path, sizeof(path), "%s.%s", parent, name);
	if (!valid_watcher_name(name)) {
		add_error(ld, key, "%s: invalid watcher name '%s' (allowed: " WATCHER_NAME_RULE ")",
			  parent, name);
		return;
	}
	struct watcher_config *earlier = config_find_watcher(config, name);
	if (earlier) {
		add_error(ld, key, "%s: duplicate watcher name '%s' (first defined at %s)", parent,
			  name, earlier->origin);
		return;
	}
	snprintf(origin, sizeof(origin), "%s:%zu", ld->file, key->start_mark.line + 1);
	d.wc = watcher_config_new(name, origin);
	d.key_node = key;
	if (d.wc == NULL)
		return;
	if (value->type != YAML_MAPPING_NODE) {
		add_error(ld, value, "%s: must be a mapping of options (at least cmd)", path);
		watcher_config_free(d.wc);
		return;
	}
	struct raw_budget budget = { 0 };
	d.wc->raw = node_to_json(ld, value, 0, &budget);
	if (budget.exceeded) {  /* checked first: the option handlers walk the same nodes */
		add_error(ld, value, "%s: nested too deeply or too large (at most %d levels and %d "
			  "values; a recursive YAML alias?)", path, RAW_MAX_DEPTH, RAW_MAX_NODES);
		watcher_config_free(d.wc);
		return;
	}
	walk_mapping(ld, path, value, visit_watcher_key, &d);
	resolve_watcher(ld, path, &d);
	free_words(d.args);
	free(d.args_text);
	free(d.uid_text);
	free(d.gid_text);
	struct watcher_config **grown =
		realloc(config->watchers, sizeof(*grown) * (size_t)(config->nwatchers + 1));
	if (grown == NULL) {
		watcher_config_free(d.wc);
		return;
	}
	config->watchers = grown;
	config->watchers[config->nwatchers++] = d.wc;
}

struct watcher_config *config_find_watcher(const struct config *config, const char *name)
{
	for (int i = 0; i < config->nwatchers; i++)
		if (strcmp(config->watchers[i]->name, name) == 0)
			return config->watchers[i];
	return NULL;
}

void watcher_config_free(struct watcher_config *wc)
{
	if (wc == NULL)
		return;
	free(wc->name);
	free(wc->origin);
	free(wc->cmd);
	free(wc->args);
	free_words(wc->argv);
	free(wc->working_dir);
	free_words(wc->env);
	free(wc->groups);
	free(wc->rlimits);
	for (int i = 0; i < 2; i++) {
		free(wc->streams[i].path);
		free(wc->streams[i].time_format);
		free(wc->streams[i].tag);
	}
	json_decref(wc->raw);
	free_words(wc->use_sockets);
	free(wc->ready_host);
	free(wc->ready_path);
	free(wc);
}

static bool words_equal(char **a, char **b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return *a == NULL && *b == NULL;
}

/* Field by field: the struct has padding, so memcmp would compare garbage. */
static bool rlimits_equal(const struct watcher_config *a, const struct watcher_config *b)
{
	if (a->nrlimits != b->nrlimits)
		return false;
	for (int i = 0; i < a->nrlimits; i++)
		if (a->rlimits[i].resource != b->rlimits[i].resource ||
		    a->rlimits[i].value != b->rlimits[i].value)
			return false;
	return true;
}

static bool streams_equal(const struct stream_config *a, const struct stream_config *b)
{
	return a->kind == b->kind && same_text(a->path, b->path) && a->max_bytes == b->max_bytes &&
	       a->backup_count == b->backup_count && a->rotate == b->rotate &&
	       same_text(a->time_format, b->time_format) && a->facility == b->facility &&
	       same_text(a->tag, b->tag);
}

bool watcher_config_same_processes(const struct watcher_config *a,
				   const struct watcher_config *b)
{
	return same_text(a->name, b->name) && words_equal(a->argv, b->argv) &&
	       a->shell == b->shell && same_text(a->working_dir, b->working_dir) &&
	       words_equal(a->env, b->env) && a->copy_env == b->copy_env &&
	       a->set_ids == b->set_ids && a->uid == b->uid && a->gid == b->gid &&
	       a->ngroups == b->ngroups &&
	       (a->ngroups == 0 ||
		memcmp(a->groups, b->groups, sizeof(gid_t) * (size_t)a->ngroups) == 0) &&
	       a->umask == b->umask && rlimits_equal(a, b) && a->ready == b->ready &&
	       streams_equal(&a->streams[0], &b->streams[0]) &&
	       streams_equal(&a->streams[1], &b->streams[1]) &&
	       words_equal(a->use_sockets, b->use_sockets) &&
	       a->use_all_sockets == b->use_all_sockets;
}

bool watcher_config_equal(const struct watcher_config *a, const struct watcher_config *b,
			  bool ignore_count)
{
	return watcher_config_same_processes(a, b) &&
	       (ignore_count || a->numprocesses == b->numprocesses) &&
	       a->graceful_timeout == b->graceful_timeout && a->stop_signal == b->stop_signal &&
	       a->stop_children == b->stop_children && a->respawn == b->respawn &&
	       a->autostart == b->autostart && a->singleton == b->singleton &&
	       a->priority == b->priority && a->warmup_delay == b->warmup_delay &&
	       a->max_retry == b->max_retry && a->max_age == b->max_age &&
	       a->max_age_variance == b->max_age_variance && a->ready_delay == b->ready_delay &&
	       same_text(a->ready_host, b->ready_host) && a->ready_port == b->ready_port &&
	       same_text(a->ready_path, b->ready_path) && a->ready_timeout == b->ready_timeout;
}
