/* watcher_options.c - a watcher's options: the table (watcher_options.h), the parsers of the
 * options the types do not cover, and the resolution of options that depend on each other
 * (cmd + args + shell, uid + gid, env). */
#include "watcher_options.h"

#include "config_hooks.h"
#include "config_sockets.h"
#include "deps.h"
#include "parse.h"
#include "yaml_node.h"
#include "xmalloc.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

extern char **environ;

#define MAX_PROCESSES 100000

/* Options are first gathered raw, then resolved together (cmd + args + shell, uid + gid, ...). */
struct watcher_draft {
	struct watcher_config *wc;
	yaml_node_t *key_node;        /* the watcher's name, for errors about what is missing */
	yaml_node_t *cmd_node, *args_node, *uid_node, *gid_node, *env_node, *numprocesses_node;
	char **args;                  /* from a list-valued args: taken literally, not split */
	char *args_text;              /* from a string-valued args: split like cmd */
	char *uid_text, *gid_text;
	yaml_node_t *respawn_node, *restart_node;  /* respawn maps onto restart: checked together */
	yaml_node_t *ready_exit_node; /* ready: exit, which a restart after success contradicts */
	bool respawn;                 /* respawn's value, when respawn_node */
	yaml_node_t *stream_node[2];  /* stdout:, stderr: as given */
	yaml_node_t *close_node[2];   /* close_child_stdout:, close_child_stderr: as given */
	bool close_stream[2];         /* their values */
	yaml_node_t *shell_args_node, *virtualenv_node, *close_stdin_node, *on_demand_node;
};

/* --- parsers of the options the types do not cover -------------------------------------------- */

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
	d->args = xcalloc((size_t)(v->data.sequence.items.top - v->data.sequence.items.start) + 1,
			 sizeof(char *));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(ld, *it);
		const char *s = scalar(item);
		if (s == NULL) {
			add_error(ld, item, "%s: each argument must be a string", path);
			return -1;
		}
		d->args[n++] = xstrdup(s);
	}
	return 0;
}

static int opt_numprocesses(struct loader *ld, const char *path, yaml_node_t *v,
			    struct watcher_draft *d)
{
	long n;

	d->numprocesses_node = v;
	if (get_int(ld, path, v, 0, &n) < 0)
		return -1;
	if (n > MAX_PROCESSES) {
		add_error(ld, v, "%s: %ld is more processes than cirque allows (%d)", path, n,
			  MAX_PROCESSES);
		return -1;
	}
	d->wc->numprocesses = (int)n;
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

/* One limit, from rlimits: or from Circus's flat rlimit_X: the same limit from both is refused
 * at NODE, the second one written. */
static void add_rlimit(struct loader *ld, const char *path, yaml_node_t *node, int resource,
		       unsigned long long limit, struct watcher_config *wc)
{
	for (int i = 0; i < wc->nrlimits; i++) {
		if (wc->rlimits[i].resource == resource) {
			add_error(ld, node, "%s: the limit %s is given twice, in rlimits: and as "
				  "rlimit_%s: keep one", path, rlimit_name(resource),
				  rlimit_name(resource));
			return;
		}
	}
	wc->rlimits = xreallocarray(wc->rlimits, (size_t)wc->nrlimits + 1, sizeof(*wc->rlimits));
	wc->rlimits[wc->nrlimits++] = (struct rlimit_setting){ resource, limit };
}

/* Circus's rlimit_nofile: 4096, one key per limit: as rlimits: {nofile: 4096}. */
static void opt_rlimit_flat(struct loader *ld, const char *path, yaml_node_t *v, int resource,
			    struct watcher_draft *d)
{
	const char *text = scalar(v);
	unsigned long long limit;

	if (text == NULL || is_null(v) || parse_rlimit_value(text, &limit) < 0) {
		add_error(ld, v, "%s: must be a non-negative integer or 'unlimited'", path);
		return;
	}
	add_rlimit(ld, path, v, resource, limit, d->wc);
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
		char entry_path[512];
		snprintf(entry_path, sizeof(entry_path), "%s.%s", path, name);
		add_rlimit(ld, entry_path, key, resource, limit, wc);
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
	yaml_node_t *rotation[3];     /* max_bytes, backup_count, rotate as given (NULL: not) */
};

/* file: PATH, checked for unknown placeholders; /dev/stdout and the like name the daemon's
 * own stdout or stderr (a pipe under docker, which no path through /proc reopens). */
static void stream_file(struct loader *ld, const char *path, yaml_node_t *value,
			struct stream_config *sc)
{
	char why[256];

	sc->kind = STREAM_FILE;
	if (get_string(ld, path, value, &sc->path) < 0)
		return;
	if (sc->path[0] == '\0')
		add_error(ld, value, "%s: must not be empty", path);
	else if (log_path_check(sc->path, why, sizeof(why)) < 0)
		add_error(ld, value, "%s: %s", path, why);
	else if ((sc->daemon_fd = daemon_stream_fd(sc->path)) != 0)
		sc->kind = STREAM_DAEMON;
	else if (strcmp(sc->path, "/dev/null") == 0)
		sc->kind = STREAM_NULL;  /* as stdout: /dev/null (a device is never opened) */
}

/* The daemon's own stdout or stderr is never rotated: a rotation option that would rotate it
 * is refused rather than ignored (supervisord fails on it at the first rotation). */
static void check_daemon_stream(struct loader *ld, const char *parent, struct stream_draft *d)
{
	static const char *const names[] = { "max_bytes", "backup_count", "rotate" };
	const struct stream_config *sc = d->sc;
	bool rotates[3] = { sc->max_bytes > 0, sc->backup_count > 0, sc->rotate != ROTATE_NONE };

	if (sc->kind != STREAM_DAEMON)
		return;
	for (int i = 0; i < 3; i++)
		if (d->rotation[i] && rotates[i])
			add_error(ld, d->rotation[i], "%s.%s: %s is the daemon's own %s (a pipe or a "
				  "terminal), which is never rotated: remove %s%s", parent, names[i],
				  sc->path, sc->daemon_fd == 1 ? "stdout" : "stderr", names[i],
				  i == 2 ? "" : " (or set it to 0)");
}

/* file:, syslog: and merge: say where the stream goes: one of them only. */
static void claim_kind(struct loader *ld, const char *parent, yaml_node_t *key,
		       struct stream_draft *d)
{
	if (d->saw_kind)
		add_error(ld, key, "%s: file:, syslog: and merge: are alternatives: keep one",
			  parent);
	d->saw_kind = true;
}

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
		claim_kind(ld, parent, key, d);
		stream_file(ld, path, value, sc);
	} else if (strcmp(name, "max_bytes") == 0) {
		d->rotation[0] = value;
		if (text == NULL || parse_size(text, &sc->max_bytes) < 0)
			add_error(ld, value, "%s: must be a size such as 10MB, 512k or 1048576", path);
	} else if (strcmp(name, "backup_count") == 0) {
		d->rotation[1] = value;
		if (get_int(ld, path, value, 0, &n) == 0)
			sc->backup_count = n > 1000 ? 1000 : (int)n;
	} else if (strcmp(name, "time_format") == 0) {
		get_string(ld, path, value, &sc->time_format);
	} else if (strcmp(name, "rotate") == 0) {
		d->rotation[2] = value;
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
		claim_kind(ld, parent, key, d);
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
		claim_kind(ld, parent, key, d);
		if (text == NULL || strcmp(text, "stdout") != 0)
			add_error(ld, value, "%s: only 'stdout' can be merged into", path);
	} else {
		static const char *const keys[] = { "file", "max_bytes", "backup_count", "rotate",
						    "time_format", "syslog", "facility", "tag",
						    "merge" };
		add_error(ld, key, "%s: unknown key '%s'%s (file, max_bytes, backup_count, rotate, "
			  "time_format, syslog, facility, tag%s)", parent, name,
			  did_you_mean(name, keys, d->is_stderr ? 9 : 8),
			  d->is_stderr ? ", merge" : "");
	}
}

static int opt_stream(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d,
		      int which)
{
	struct stream_config *sc = &d->wc->streams[which];
	struct stream_draft sd = { sc, which == 1, false, { NULL, NULL, NULL } };
	const char *text = scalar(v);

	d->stream_node[which] = v;
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
	check_daemon_stream(ld, path, &sd);
	return 0;
}

static int opt_stdout(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return opt_stream(ld, path, v, d, 0); }
static int opt_stderr(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{ return opt_stream(ld, path, v, d, 1); }

/* Circus's close_child_stdout / close_child_stderr: true is stdout: null (stderr: null); they
 * are resolved with stdout: and stderr: (resolve_close_streams). */
static int opt_close_stream(struct loader *ld, const char *path, yaml_node_t *v,
			    struct watcher_draft *d, int which)
{
	d->close_node[which] = v;
	return get_bool(ld, path, v, &d->close_stream[which]);
}
static int opt_close_stdout(struct loader *ld, const char *path, yaml_node_t *v,
			    struct watcher_draft *d)
{ return opt_close_stream(ld, path, v, d, 0); }
static int opt_close_stderr(struct loader *ld, const char *path, yaml_node_t *v,
			    struct watcher_draft *d)
{ return opt_close_stream(ld, path, v, d, 1); }
static int opt_close_stdin(struct loader *ld, const char *path, yaml_node_t *v,
			   struct watcher_draft *d)
{
	d->close_stdin_node = v;
	return get_bool(ld, path, v, &d->wc->close_child_stdin);
}

static int opt_on_demand(struct loader *ld, const char *path, yaml_node_t *v,
			 struct watcher_draft *d)
{
	d->on_demand_node = v;
	return get_bool(ld, path, v, &d->wc->on_demand);
}

static int opt_shell_args(struct loader *ld, const char *path, yaml_node_t *v,
			  struct watcher_draft *d)
{
	d->shell_args_node = v;
	return get_string(ld, path, v, &d->wc->shell_args);
}

/* An absolute directory: its bin/ goes first in PATH (resolve_virtualenv). */
static int opt_virtualenv(struct loader *ld, const char *path, yaml_node_t *v,
			  struct watcher_draft *d)
{
	if (get_string(ld, path, v, &d->wc->virtualenv) < 0)
		return -1;
	if (d->wc->virtualenv[0] != '/') {
		add_error(ld, v, "%s: must be an absolute path (the virtualenv's root directory)",
			  path);
		return -1;
	}
	d->virtualenv_node = v;
	return 0;
}

/* Circus picks the virtualenv's site-packages by Python version; here the interpreter of the
 * virtualenv's bin/, first in PATH, finds its own: accepted, with a warning. */
static int opt_virtualenv_py_ver(struct loader *ld, const char *path, yaml_node_t *v,
				 struct watcher_draft *d)
{
	(void)d;
	add_error_line(&ld->config->load_warnings,
		       xasprintf("%s:%zu:%zu: warning: %s: ignored: the virtualenv's own python "
				 "(its bin/ is first in PATH) finds its site-packages", ld->file,
				 v->start_mark.line + 1, v->start_mark.column + 1, path));
	return 0;
}

/* The probe's address as a process with worker id 1 would have it: checked at load time, so
 * that a mistake shows there and not as a process that is never ready. $(circus.sockets.NAME)
 * is refused: it stands for a descriptor number in the child, not for a port or a path. */
static char *sample_probe_text(struct loader *ld, const char *path, yaml_node_t *value,
			       const char *text)
{
	for (const char *p = strstr(text, "$("); p; p = strstr(p + 2, "$(")) {
		if (socket_marker_len(p) > 0) {
			add_error(ld, value, "%s: $(circus.sockets.NAME) is a descriptor number in the "
				  "child, not an address to probe (only $(circus.wid) is substituted "
				  "here)", path);
			return NULL;
		}
	}
	return substitute_vars(text, 1, NULL, 0);
}

static int opt_ready_unix(struct loader *ld, const char *path, yaml_node_t *value,
			  struct watcher_config *wc)
{
	char *sample;
	size_t len;

	wc->ready = READY_UNIX;
	free(wc->ready_path);
	wc->ready_path = NULL;
	if (get_string(ld, path, value, &wc->ready_path) < 0)
		return -1;
	if ((sample = sample_probe_text(ld, path, value, wc->ready_path)) == NULL)
		return -1;
	len = strlen(sample);
	free(sample);
	if (len >= 108) {
		add_error(ld, value, "%s: a unix socket path has at most 107 characters", path);
		return -1;
	}
	return 0;
}

/* The probe's host and port as worker 1 would have them: each error points at its own node. */
static int check_tcp_probe(struct loader *ld, const char *host_path, yaml_node_t *host_node,
			   const char *port_path, yaml_node_t *port_node,
			   const struct watcher_config *wc)
{
	char *host = NULL, *port, why[256];
	struct sockaddr_storage addr;
	socklen_t len;
	long number;
	int rc = -1;

	port = sample_probe_text(ld, port_path, port_node, wc->ready_port);
	if (port == NULL)
		return -1;
	if (parse_long(port, &number) < 0 || number < 1 || number > 65535) {
		add_error(ld, port_node, "%s: '%s' is not a port (1-65535)%s", port_path, port,
			  strstr(wc->ready_port, "$(") ? " (with $(circus.wid) = 1)" : "");
	} else if ((host = sample_probe_text(ld, host_path, host_node, wc->ready_host)) != NULL) {
		if (parse_tcp_address(host, port, &addr, &len, why, sizeof(why)) < 0)
			add_error(ld, host_node, "%s: %s%s", host_path, why,
				  strstr(wc->ready_host, "$(") ? " (with $(circus.wid) = 1)" : "");
		else
			rc = 0;
	}
	free(host);
	free(port);
	return rc;
}

struct tcp_draft {
	yaml_node_t *host, *port;
};

static void visit_tcp_key(struct loader *ld, const char *parent, yaml_node_t *key,
			  yaml_node_t *value, void *arg)
{
	struct tcp_draft *d = arg;
	const char *name = scalar(key);

	if (strcmp(name, "host") == 0)
		d->host = value;
	else if (strcmp(name, "port") == 0)
		d->port = value;
	else
		add_error(ld, key, "%s: unknown key '%s' (host, port)", parent, name);
}

/* {tcp: PORT}, {tcp: "HOST:PORT"} ("[::1]:PORT" for IPv6) or {tcp: {host: HOST, port: PORT}}:
 * numeric addresses only (127.0.0.1 by default). */
static int opt_ready_tcp(struct loader *ld, const char *path, yaml_node_t *value,
			 struct watcher_config *wc)
{
	struct tcp_draft d = { value, value };
	const char *text;

	wc->ready = READY_TCP;
	free(wc->ready_host);
	free(wc->ready_port);
	wc->ready_host = wc->ready_port = NULL;
	if (value->type == YAML_MAPPING_NODE) {
		d.host = d.port = NULL;
		walk_mapping(ld, path, value, visit_tcp_key, &d);
		const char *host = d.host ? scalar(d.host) : "127.0.0.1";
		const char *port = d.port ? scalar(d.port) : NULL;
		if (port == NULL || is_null(d.port) || host == NULL || is_null(d.host)) {
			add_error(ld, d.port && port == NULL ? d.port : d.host && host == NULL ? d.host
				  : value, "%s: needs port: (1-65535), and host: a numeric address if "
				  "not 127.0.0.1", path);
			return -1;
		}
		char host_path[560], port_path[560];
		snprintf(host_path, sizeof(host_path), "%s.host", path);
		snprintf(port_path, sizeof(port_path), "%s.port", path);
		wc->ready_host = xstrdup(host);
		wc->ready_port = xstrdup(port);
		return check_tcp_probe(ld, host_path, d.host ? d.host : value, port_path, d.port, wc);
	}
	text = scalar(value);
	const char *colon = text ? strrchr(text, ':') : NULL;
	if (text == NULL || is_null(value) || (colon ? colon[1] : text[0]) == '\0') {
		add_error(ld, value, "%s: must be a port (1-65535), HOST:PORT or {host: HOST, port: "
			  "PORT}", path);
		return -1;
	}
	wc->ready_host = colon ? xstrndup(text, (size_t)(colon - text)) : xstrdup("127.0.0.1");
	wc->ready_port = xstrdup(colon ? colon + 1 : text);
	return check_tcp_probe(ld, path, value, path, value, wc);
}

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

	if (text && strcmp(text, "notify") == 0) {
		wc->ready = READY_NOTIFY;
		return 0;
	}
	if (text && strcmp(text, "exit") == 0) {
		wc->ready = READY_EXIT;
		d->ready_exit_node = v;
		return 0;
	}
	if (v->type != YAML_MAPPING_NODE ||
	    v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1) {
		add_error(ld, v, "%s: must be notify, exit (a job), or one of {delay: 2s}, {tcp: PORT "
			  "or HOST:PORT}, {tcp: {host: HOST, port: PORT}}, {unix: PATH}", path);
		return -1;
	}
	pair = v->data.mapping.pairs.start;
	kind = scalar(node_at(ld, pair->key));
	value = node_at(ld, pair->value);
	snprintf(sub, sizeof(sub), "%s.%s", path, kind ? kind : "?");
	if (kind && strcmp(kind, "delay") == 0) {
		wc->ready = READY_DELAY;
		return get_duration(ld, sub, value, &wc->ready_delay);
	}
	if (kind && strcmp(kind, "notify") == 0) {
		wc->ready = READY_NOTIFY;
		return 0;
	}
	if (kind && strcmp(kind, "unix") == 0)
		return opt_ready_unix(ld, sub, value, wc);
	if (kind && strcmp(kind, "tcp") == 0)
		return opt_ready_tcp(ld, sub, value, wc);
	add_error(ld, node_at(ld, pair->key), "%s: unknown readiness '%s' (delay, tcp, unix, notify)",
		  path, kind ? kind : "");
	return -1;
}

static int opt_hooks(struct loader *ld, const char *path, yaml_node_t *v, struct watcher_draft *d)
{
	return parse_watcher_hooks(ld, path, v, d->wc);
}

/* One name of a depends_on or restart_with list, at NODE: a watcher's name (checked against
 * the others once all are read, deps.c), not the watcher itself, not twice. */
static int add_dependency(struct loader *ld, const char *path, yaml_node_t *node,
			  const char *name, struct watcher_draft *d, struct dep_list *list)
{
	if (*name == '\0') {
		add_error(ld, node, "%s: each entry must be a watcher name", path);
		return -1;
	}
	if (strcasecmp(name, d->wc->name) == 0) {
		add_error(ld, node, "%s: a watcher cannot depend on itself ('%s')", path, name);
		return -1;
	}
	if (dep_list_has(list, name)) {
		add_error(ld, node, "%s: '%s' is listed twice", path, name);
		return -1;
	}
	char *where = strdup_printf("%s:%zu:%zu: %s", ld->file, node->start_mark.line + 1,
				    node->start_mark.column + 1, path);
	dep_list_add(list, name, where);
	free(where);
	return 0;
}

/* A list of watcher names, or one string of names separated by commas or spaces (what `set`
 * sends from a command line: "db, cache"). */
static int parse_dependencies(struct loader *ld, const char *path, yaml_node_t *v,
			      struct watcher_draft *d, struct dep_list *list)
{
	if (v->type == YAML_SCALAR_NODE && !is_null(v)) {
		char *text = xstrdup(scalar(v)), *save = NULL;
		int rc = 0;
		for (char *tok = strtok_r(text, ", \t", &save); tok && rc == 0;
		     tok = strtok_r(NULL, ", \t", &save))
			rc = add_dependency(ld, path, v, tok, d, list);
		free(text);
		return rc;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		add_error(ld, v, "%s: must be a list of watcher names", path);
		return -1;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = node_at(ld, *it);
		const char *name = scalar(item);
		if (name == NULL || is_null(item)) {
			add_error(ld, item, "%s: each entry must be a watcher name", path);
			return -1;
		}
		if (add_dependency(ld, path, item, name, d, list) < 0)
			return -1;
	}
	return 0;
}

static int opt_depends_on(struct loader *ld, const char *path, yaml_node_t *v,
			  struct watcher_draft *d)
{
	return parse_dependencies(ld, path, v, d, &d->wc->depends_on);
}

static int opt_restart_with(struct loader *ld, const char *path, yaml_node_t *v,
			    struct watcher_draft *d)
{
	return parse_dependencies(ld, path, v, d, &d->wc->restart_with);
}

static int opt_use_sockets(struct loader *ld, const char *path, yaml_node_t *v,
			   struct watcher_draft *d)
{
	return parse_use_sockets(ld, path, v, d->wc);
}

/* respawn (Circus) is restart's true/false: always or never. Both are resolved together
 * (resolve_restart), so that either may come first in the mapping. */
static int opt_respawn(struct loader *ld, const char *path, yaml_node_t *v,
		       struct watcher_draft *d)
{
	if (get_bool(ld, path, v, &d->respawn) < 0)
		return -1;
	d->respawn_node = v;
	return 0;
}

static const char *const restart_names[] = {
	[RESTART_ALWAYS] = "always", [RESTART_ON_FAILURE] = "on-failure", [RESTART_NEVER] = "never",
};

/* restart: always | on-failure | never */
static int opt_restart(struct loader *ld, const char *path, yaml_node_t *v,
		       struct watcher_draft *d)
{
	const char *text = scalar(v);

	for (int i = RESTART_ALWAYS; i <= RESTART_NEVER; i++) {
		if (text && !is_null(v) && strcmp(text, restart_names[i]) == 0) {
			d->wc->restart = i;
			d->restart_node = v;
			return 0;
		}
	}
	add_error(ld, v, "%s: must be always, on-failure or never", path);
	return -1;
}

static const char *const replace_names[] = {
	[REPLACE_NEW_FIRST] = "new-first", [REPLACE_STOP_FIRST] = "stop-first",
};

/* replace: new-first | stop-first */
static int opt_replace(struct loader *ld, const char *path, yaml_node_t *v,
		       struct watcher_draft *d)
{
	const char *text = scalar(v);

	for (int i = REPLACE_NEW_FIRST; i <= REPLACE_STOP_FIRST; i++) {
		if (text && !is_null(v) && strcmp(text, replace_names[i]) == 0) {
			d->wc->replace = i;
			return 0;
		}
	}
	add_error(ld, v, "%s: must be new-first or stop-first", path);
	return -1;
}

/* One exit status 0..255 from TEXT (an item of exitcodes), added to CODES. */
static int add_exit_code(const char *text, struct exit_codes *codes)
{
	long n;

	if (text == NULL || parse_long(text, &n) < 0 || n < 0 || n > 255)
		return -1;
	codes->bits[n / 8] |= (unsigned char)(1u << (n % 8));
	return 0;
}

/* exitcodes: [0, 2] | 0 | "0,2" (supervisord's way). An empty list: every exit is unexpected. */
static int opt_exitcodes(struct loader *ld, const char *path, yaml_node_t *v,
			 struct watcher_draft *d)
{
	struct exit_codes codes = { 0 };
	const char *text = scalar(v);
	static const char *const rule = "must be a list of exit statuses 0..255, such as [0, 2]";

	if (text && !is_null(v)) {
		char *copy = xstrdup(text), *save = NULL;
		int rc = 0;
		for (char *item = strtok_r(copy, ", ", &save); item && rc == 0;
		     item = strtok_r(NULL, ", ", &save))
			rc = add_exit_code(item, &codes);
		free(copy);
		if (rc < 0) {
			add_error(ld, v, "%s: %s", path, rule);
			return -1;
		}
	} else if (v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *item = node_at(ld, *it);
			if (add_exit_code(scalar(item), &codes) < 0) {
				add_error(ld, item, "%s: %s", path, rule);
				return -1;
			}
		}
	} else if (!is_null(v)) {
		add_error(ld, v, "%s: %s", path, rule);
		return -1;
	}
	d->wc->exitcodes = codes;
	return 0;
}

/* --- listen_events: ------------------------------------------------------------------------- */

const char *const listen_event_names[LISTEN_EVENT_COUNT] = {
	[LISTEN_SPAWN] = "spawn", [LISTEN_REAP] = "reap", [LISTEN_KILL] = "kill",
	[LISTEN_START] = "start", [LISTEN_STOP] = "stop", [LISTEN_RELOAD] = "reload",
	[LISTEN_UPDATED] = "updated", [LISTEN_ADD] = "add", [LISTEN_REMOVE] = "remove",
	[LISTEN_HOOK] = "hook",
};

#define LISTEN_ALL ((1u << LISTEN_EVENT_COUNT) - 1)

int listen_event_find(const char *name)
{
	for (int i = 0; i < LISTEN_EVENT_COUNT; i++)
		if (strcmp(name, listen_event_names[i]) == 0)
			return i;
	return -1;
}

/* One event name (or all) of ITEM into *BITS; an unknown one is an error at its mark. */
static int listen_event_item(struct loader *ld, const char *path, yaml_node_t *item,
			     unsigned *bits)
{
	const char *text = scalar(item);
	int bit;

	if (text && strcmp(text, "all") == 0) {
		*bits = LISTEN_ALL;
		return 0;
	}
	if (text == NULL || is_null(item) || (bit = listen_event_find(text)) < 0) {
		add_error(ld, item, "%s: unknown event '%s'%s (spawn, reap, kill, start, stop, reload, "
			  "updated, add, remove, hook, or all)", path, text ? text : "",
			  text ? did_you_mean(text, (const char *const *)listen_event_names,
					      LISTEN_EVENT_COUNT) : "");
		return -1;
	}
	*bits |= 1u << bit;
	return 0;
}

/* true | all | false | an event name | a list of them: the events of listen_events. */
static int listen_event_set(struct loader *ld, const char *path, yaml_node_t *v, unsigned *bits)
{
	const char *text = scalar(v);
	bool on;
	int rc = 0;

	*bits = 0;
	if (is_null(v))
		return 0;  /* as false */
	if (text && parse_bool(text, &on) == 0) {
		*bits = on ? LISTEN_ALL : 0;
		return 0;
	}
	if (text)
		return listen_event_item(ld, path, v, bits);
	if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start) {
		add_error(ld, v, "%s: must be true, all, or a list of events such as [spawn, reap]",
			  path);
		return -1;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		if (listen_event_item(ld, path, node_at(ld, *it), bits) < 0)
			rc = -1;
	return rc;
}

/* watchers: [NAME, ...]: whose events (names as written; a watcher added later counts). */
static int listen_watchers(struct loader *ld, const char *path, yaml_node_t *v, char ***out)
{
	const char *text = scalar(v);
	size_t n = 0;

	if (text && !is_null(v)) {
		*out = xcalloc(2, sizeof(char *));
		(*out)[0] = xstrdup(text);
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		add_error(ld, v, "%s: must be a list of watcher names", path);
		return -1;
	}
	*out = xcalloc((size_t)(v->data.sequence.items.top - v->data.sequence.items.start) + 1,
		       sizeof(char *));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(ld, *it);
		if (scalar(item) == NULL || is_null(item)) {
			add_error(ld, item, "%s: each item must be a watcher name", path);
			return -1;
		}
		(*out)[n++] = xstrdup(scalar(item));
	}
	return 0;
}

static void visit_listen_key(struct loader *ld, const char *parent, yaml_node_t *key,
			     yaml_node_t *value, void *arg)
{
	struct listen_config *lc = arg;
	const char *name = scalar(key);
	char path[512];
	long n;

	snprintf(path, sizeof(path), "%s.%s", parent, name);
	if (strcmp(name, "events") == 0) {
		if (listen_event_set(ld, path, value, &lc->events) == 0 && lc->events == 0)
			add_error(ld, value, "%s: false listens to nothing: remove listen_events",
				  path);
	} else if (strcmp(name, "watchers") == 0) {
		free_words(lc->watchers);
		lc->watchers = NULL;
		listen_watchers(ld, path, value, &lc->watchers);
	} else if (strcmp(name, "queue") == 0) {
		if (get_int(ld, path, value, 1, &n) == 0)
			lc->queue = n > LISTEN_QUEUE_MAX ? LISTEN_QUEUE_MAX : (int)n;
	} else {
		static const char *const keys[] = { "events", "watchers", "queue" };
		add_error(ld, key, "%s: unknown key '%s'%s (events, watchers, queue)", parent, name,
			  did_you_mean(name, keys, 3));
	}
}

/* listen_events: true | all | [spawn, reap] | {events: ..., watchers: [...], queue: N} */
static int opt_listen_events(struct loader *ld, const char *path, yaml_node_t *v,
			     struct watcher_draft *d)
{
	struct listen_config *lc = &d->wc->listen;

	if (v->type != YAML_MAPPING_NODE)
		return listen_event_set(ld, path, v, &lc->events);
	lc->events = LISTEN_ALL;
	walk_mapping(ld, path, v, visit_listen_key, lc);
	return 0;
}

static void listen_init(struct watcher_config *wc)
{ wc->listen.queue = LISTEN_QUEUE_DEFAULT; }
static void listen_free(struct watcher_config *wc)
{ free_words(wc->listen.watchers); }
/* Whether its stdin is the events: a change of that replaces the processes. */
static bool listening_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return (a->listen.events != 0) == (b->listen.events != 0); }
/* The filter and the queue apply in place. */
static bool listen_equal(const struct watcher_config *a, const struct watcher_config *b)
{
	return a->listen.events == b->listen.events && a->listen.queue == b->listen.queue &&
	       words_equal(a->listen.watchers, b->listen.watchers);
}
/* false, or {events: [...], watchers: [...] or null (all), queue: N}. */
static void listen_json(const struct watcher_config *wc, json_t *out)
{
	const struct listen_config *lc = &wc->listen;
	json_t *events, *watchers = json_null(), *value;

	if (lc->events == 0) {
		json_object_set_new(out, "listen_events", json_false());
		return;
	}
	events = json_array();
	for (int i = 0; i < LISTEN_EVENT_COUNT; i++)
		if (lc->events & (1u << i))
			json_array_append_new(events, json_string(listen_event_names[i]));
	if (lc->watchers) {
		watchers = json_array();
		for (char **name = lc->watchers; *name; name++)
			json_array_append_new(watchers, json_string(*name));
	}
	value = json_pack("{s:o, s:o, s:i}", "events", events, "watchers", watchers, "queue",
			  lc->queue);
	json_object_set_new(out, "listen_events", value);
}

/* --- hooks of the options the types do not cover --------------------------------------------- */

/* cmd and args: what counts is the argv they resolve to, not how it was written. */
static bool argv_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return words_equal(a->argv, b->argv); }
static void free_args(struct watcher_config *wc)
{
	free(wc->args);
	free_words(wc->argv);
}
/* As written: a string stays a string, a list a list (Circus's args). */
static void args_json(const struct watcher_config *wc, json_t *out)
{
	json_t *raw_args = json_object_get(wc->raw, "args");

	json_object_set_new(out, "args", raw_args ? json_deep_copy(raw_args) : json_array());
}

static bool env_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return words_equal(a->env, b->env); }
static void free_env(struct watcher_config *wc)
{ free_words(wc->env); }
static void env_json(const struct watcher_config *wc, json_t *out)
{
	json_t *env = json_object();

	for (char **e = wc->env; e && *e; e++) {
		char *eq = strchr(*e, '=');
		if (eq) {
			char *name = xstrndup(*e, (size_t)(eq - *e));
			json_object_set_new(env, name, json_string(eq + 1));
			free(name);
		}
	}
	json_object_set_new(out, "env", env);
}

/* uid and gid resolve together: ids and supplementary groups. */
static bool ids_equal(const struct watcher_config *a, const struct watcher_config *b)
{
	return a->set_ids == b->set_ids && a->uid == b->uid && a->gid == b->gid &&
	       a->ngroups == b->ngroups &&
	       (a->ngroups == 0 ||
		memcmp(a->groups, b->groups, sizeof(gid_t) * (size_t)a->ngroups) == 0);
}
static void free_groups(struct watcher_config *wc)
{ free(wc->groups); }
static void uid_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "uid", wc->set_ids ? json_integer(wc->uid) : json_null()); }
static void gid_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "gid", wc->set_ids ? json_integer(wc->gid) : json_null()); }

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
static void free_rlimits(struct watcher_config *wc)
{ free(wc->rlimits); }
/* Circus's names: one rlimit_X key per limit. */
static void rlimits_json(const struct watcher_config *wc, json_t *out)
{
	for (int i = 0; i < wc->nrlimits; i++) {
		char key[64];
		snprintf(key, sizeof(key), "rlimit_%s", rlimit_name(wc->rlimits[i].resource));
		json_object_set_new(out, key, json_integer((json_int_t)wc->rlimits[i].value));
	}
}

/* supervisord's defaults for files; inherit when nothing is configured */
static void stream_init(struct stream_config *sc)
{
	sc->kind = STREAM_INHERIT;
	sc->max_bytes = 50ULL << 20;
	sc->backup_count = 10;
	sc->facility = LOG_DAEMON;
}
static void stream_free(struct stream_config *sc)
{
	free(sc->path);
	free(sc->time_format);
	free(sc->tag);
}
static bool streams_equal(const struct stream_config *a, const struct stream_config *b)
{
	return a->kind == b->kind && same_text(a->path, b->path) && a->max_bytes == b->max_bytes &&
	       a->backup_count == b->backup_count && a->rotate == b->rotate &&
	       same_text(a->time_format, b->time_format) && a->facility == b->facility &&
	       same_text(a->tag, b->tag) && a->daemon_fd == b->daemon_fd;
}
/* What the processes see of a stream: /dev/null, stdout's pipe, or a pipe of its own. The rest
 * (where the daemon sends the lines) changes in place, between lines (streams_reconfigure). */
static int stream_pipe(const struct stream_config *sc)
{
	return sc->kind == STREAM_NULL ? 0 : sc->kind == STREAM_MERGE ? 1 : 2;
}
static bool stdout_pipe_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return stream_pipe(&a->streams[0]) == stream_pipe(&b->streams[0]); }
static bool stderr_pipe_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return stream_pipe(&a->streams[1]) == stream_pipe(&b->streams[1]); }
static void stdout_init(struct watcher_config *wc)
{ stream_init(&wc->streams[0]); }
static void stderr_init(struct watcher_config *wc)
{ stream_init(&wc->streams[1]); }
static void stdout_free(struct watcher_config *wc)
{ stream_free(&wc->streams[0]); }
static void stderr_free(struct watcher_config *wc)
{ stream_free(&wc->streams[1]); }
static bool stdout_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return streams_equal(&a->streams[0], &b->streams[0]); }
static bool stderr_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return streams_equal(&a->streams[1], &b->streams[1]); }

/* The kind of readiness is the processes' (a notify socket each); its details apply in place. */
static void ready_init(struct watcher_config *wc)
{
	wc->ready = READY_DELAY;
	wc->ready_delay = 1;
}
static void ready_free(struct watcher_config *wc)
{
	free(wc->ready_host);
	free(wc->ready_port);
	free(wc->ready_path);
}
static bool ready_kind_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return a->ready == b->ready; }
static bool ready_details_equal(const struct watcher_config *a, const struct watcher_config *b)
{
	return a->ready_delay == b->ready_delay && same_text(a->ready_host, b->ready_host) &&
	       same_text(a->ready_port, b->ready_port) && same_text(a->ready_path, b->ready_path);
}

/* A stream as written in the file (or by add/set): "inherit" when it was not. */
static void stream_json(const struct watcher_config *wc, const char *key, json_t *out)
{
	json_t *written = wc->raw ? json_object_get(wc->raw, key) : NULL;

	json_object_set_new(out, key, written ? json_deep_copy(written) : json_string("inherit"));
}
static void stdout_json(const struct watcher_config *wc, json_t *out)
{ stream_json(wc, "stdout", out); }
/* Circus's close_child_stdout/stderr: whether the stream goes to /dev/null. */
static void close_stdout_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "close_child_stdout", json_boolean(wc->streams[0].kind == STREAM_NULL)); }
static void close_stderr_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "close_child_stderr", json_boolean(wc->streams[1].kind == STREAM_NULL)); }
static void stderr_json(const struct watcher_config *wc, json_t *out)
{ stream_json(wc, "stderr", out); }

/* As written: {delay: 1.0}, {tcp: "host:port"}, {unix: path} or "notify". */
static void ready_json(const struct watcher_config *wc, json_t *out)
{
	json_t *v = NULL;

	switch (wc->ready) {
	case READY_DELAY:
		v = json_pack("{s:f}", "delay", wc->ready_delay);
		break;
	case READY_TCP: {
		char *address = xasprintf("%s:%s", wc->ready_host ? wc->ready_host : "127.0.0.1",
					  wc->ready_port ? wc->ready_port : "");
		v = json_pack("{s:s}", "tcp", address);
		free(address);
		break;
	}
	case READY_UNIX:
		v = json_pack("{s:s?}", "unix", wc->ready_path);
		break;
	case READY_NOTIFY:
		v = json_string("notify");
		break;
	case READY_EXIT:
		v = json_string("exit");
		break;
	}
	json_object_set_new(out, "ready", v ? v : json_null());
}

static bool respawn_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return (a->restart == RESTART_NEVER) == (b->restart == RESTART_NEVER); }
/* Circus's respawn: whether an exit may be followed by a restart. */
static void respawn_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "respawn", json_boolean(wc->restart != RESTART_NEVER)); }
static void restart_init(struct watcher_config *wc)
{ wc->restart = RESTART_ALWAYS; }
static bool restart_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return a->restart == b->restart; }
static void restart_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "restart", json_string(restart_names[wc->restart])); }

static bool replace_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return a->replace == b->replace; }
static void replace_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "replace", json_string(replace_names[wc->replace])); }

static void exitcodes_init(struct watcher_config *wc)
{ wc->exitcodes.bits[0] = 1; }  /* 0 */
static bool exitcodes_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return memcmp(&a->exitcodes, &b->exitcodes, sizeof(a->exitcodes)) == 0; }
static void exitcodes_json(const struct watcher_config *wc, json_t *out)
{
	json_t *list = json_array();

	for (int code = 0; code < 256; code++)
		if (exit_code_expected(&wc->exitcodes, code))
			json_array_append_new(list, json_integer(code));
	json_object_set_new(out, "exitcodes", list);
}

static void free_depends_on(struct watcher_config *wc)
{ dep_list_free(&wc->depends_on); }
static bool depends_on_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return dep_list_equal(&a->depends_on, &b->depends_on); }
static void depends_on_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "depends_on", dep_list_json(&wc->depends_on)); }
static void free_restart_with(struct watcher_config *wc)
{ dep_list_free(&wc->restart_with); }
static bool restart_with_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return dep_list_equal(&a->restart_with, &b->restart_with); }
static void restart_with_json(const struct watcher_config *wc, json_t *out)
{ json_object_set_new(out, "restart_with", dep_list_json(&wc->restart_with)); }
static void free_use_sockets(struct watcher_config *wc)
{ free_words(wc->use_sockets); }
static bool use_sockets_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return words_equal(a->use_sockets, b->use_sockets) && a->use_all_sockets == b->use_all_sockets; }
/* Circus's reply has use_sockets false whatever is configured: kept as it is. */
static void use_sockets_json(const struct watcher_config *wc, json_t *out)
{
	(void)wc;
	json_object_set_new(out, "use_sockets", json_false());
}

/* memory_max, memory_high, cpu_max, pids_max, io_weight: a value per limit, and where it is
 * written (whether its controller is there is known once the whole file is read). */
static int parse_limit(enum limit_kind kind, struct loader *ld, const char *path, yaml_node_t *v,
		       struct watcher_draft *d)
{
	struct cgroup_limits *l = &d->wc->limits;
	const char *text = scalar(v);
	char why[200];

	if (is_null(v)) {
		l->value[kind] = 0;
		return 0;
	}
	if (text == NULL || limit_parse(kind, text, &l->value[kind], why, sizeof(why)) < 0) {
		add_error(ld, v, "%s: %s", path, text ? why : "must be a single value");
		return -1;
	}
	free(l->mark[kind]);
	l->mark[kind] = xasprintf("%s:%zu:%zu", ld->file, v->start_mark.line + 1,
				  v->start_mark.column + 1);
	return 0;
}

#define LIMIT_PARSER(name, kind) \
	static int name(struct loader *ld, const char *path, yaml_node_t *v, \
			struct watcher_draft *d) \
	{ return parse_limit(kind, ld, path, v, d); }
LIMIT_PARSER(opt_memory_max, LIMIT_MEMORY_MAX)
LIMIT_PARSER(opt_memory_high, LIMIT_MEMORY_HIGH)
LIMIT_PARSER(opt_cpu_max, LIMIT_CPU_MAX)
LIMIT_PARSER(opt_pids_max, LIMIT_PIDS_MAX)
LIMIT_PARSER(opt_io_weight, LIMIT_IO_WEIGHT)

static void free_limits(struct watcher_config *wc)
{ limits_free(&wc->limits); }
static bool cgroup_limits_equal(const struct watcher_config *a, const struct watcher_config *b)
{ return limits_equal(&a->limits, &b->limits); }
/* Every limit, each "512M", "50%", ... or null: one row's to_json sets them all. */
static void limits_json(const struct watcher_config *wc, json_t *out)
{
	for (int k = 0; k < LIMIT_COUNT; k++) {
		char text[32];
		if (wc->limits.value[k] == 0) {
			json_object_set_new(out, limit_key(k), json_null());
			continue;
		}
		limit_show(k, wc->limits.value[k], text, sizeof(text));
		json_object_set_new(out, limit_key(k), json_string(text));
	}
}
static bool always_same(const struct watcher_config *a, const struct watcher_config *b)
{
	(void)a;
	(void)b;
	return true;
}
static void no_json(const struct watcher_config *wc, json_t *out)
{
	(void)wc;
	(void)out;
}

/* --- the table -------------------------------------------------------------------------------- */

#define FIELD(name) offsetof(struct watcher_config, name)
#define SHOWN (OPT_FILE | OPT_SHOWN)

/* In the order of Circus's options reply, which get and options keep; then those not shown. */
const struct watcher_option watcher_option_table[] = {
	{ .key = "cmd", .type = OPT_STRING, .offset = FIELD(cmd), .flags = SHOWN,
	  .change = CHANGE_RESTART, .parse = opt_cmd, .same = argv_equal },
	{ .key = "args", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_args, .free = free_args, .same = argv_equal, .to_json = args_json },
	{ .key = "numprocesses", .type = OPT_INT, .offset = FIELD(numprocesses), .flags = SHOWN,
	  .change = CHANGE_COUNT, .def = 1, .parse = opt_numprocesses },
	{ .key = "warmup_delay", .type = OPT_DURATION, .offset = FIELD(warmup_delay),
	  .flags = SHOWN, .change = CHANGE_IN_PLACE },
	{ .key = "working_dir", .type = OPT_STRING, .offset = FIELD(working_dir), .flags = SHOWN,
	  .change = CHANGE_RESTART },
	{ .key = "shell", .type = OPT_BOOL, .offset = FIELD(shell), .flags = SHOWN,
	  .change = CHANGE_RESTART },
	{ .key = "shell_args", .type = OPT_STRING, .offset = FIELD(shell_args), .flags = SHOWN,
	  .change = CHANGE_RESTART, .parse = opt_shell_args, .same = argv_equal },
	{ .key = "executable", .type = OPT_STRING, .offset = FIELD(executable), .flags = SHOWN,
	  .change = CHANGE_RESTART },
	{ .key = "env", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_env, .free = free_env, .same = env_equal, .to_json = env_json },
	{ .key = "copy_env", .type = OPT_BOOL, .offset = FIELD(copy_env), .flags = SHOWN,
	  .change = CHANGE_RESTART },
	{ .key = "copy_path", .type = OPT_BOOL, .offset = FIELD(copy_path), .flags = SHOWN,
	  .change = CHANGE_RESTART },
	{ .key = "virtualenv", .type = OPT_STRING, .offset = FIELD(virtualenv), .flags = SHOWN,
	  .change = CHANGE_RESTART, .parse = opt_virtualenv },
	/* Accepted for Circus's files, ignored with a warning. */
	{ .key = "virtualenv_py_ver", .type = OPT_CUSTOM, .flags = OPT_FILE,
	  .change = CHANGE_IN_PLACE, .parse = opt_virtualenv_py_ver, .same = always_same },
	{ .key = "max_retry", .type = OPT_INT, .offset = FIELD(max_retry), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE, .min = -1, .max = 1000000, .clamp = true, .def = 5 },
	{ .key = "graceful_timeout", .type = OPT_DURATION, .offset = FIELD(graceful_timeout),
	  .flags = SHOWN, .change = CHANGE_IN_PLACE, .def_seconds = 30 },
	{ .key = "max_age", .type = OPT_DURATION, .offset = FIELD(max_age), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE },
	{ .key = "max_age_variance", .type = OPT_DURATION, .offset = FIELD(max_age_variance),
	  .flags = SHOWN, .change = CHANGE_IN_PLACE, .def_seconds = 30 },
	{ .key = "respawn", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_respawn, .same = respawn_equal, .to_json = respawn_json },
	{ .key = "restart", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_restart, .init = restart_init, .same = restart_equal,
	  .to_json = restart_json },
	{ .key = "exitcodes", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_exitcodes, .init = exitcodes_init, .same = exitcodes_equal,
	  .to_json = exitcodes_json },
	{ .key = "singleton", .type = OPT_BOOL, .offset = FIELD(singleton), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE },
	{ .key = "stop_children", .type = OPT_BOOL, .offset = FIELD(stop_children), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE },
	{ .key = "stop_leftovers", .type = OPT_BOOL, .offset = FIELD(stop_leftovers),
	  .flags = SHOWN, .change = CHANGE_IN_PLACE, .def = 1 },
	{ .key = "stop_signal", .type = OPT_SIGNAL, .offset = FIELD(stop_signal), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE, .def = SIGTERM },
	{ .key = "autostart", .type = OPT_BOOL, .offset = FIELD(autostart), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE, .def = true },
	{ .key = "priority", .type = OPT_INT, .offset = FIELD(priority), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE, .min = -1000000, .max = 1000000 },
	{ .key = "use_sockets", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_use_sockets, .free = free_use_sockets, .same = use_sockets_equal,
	  .to_json = use_sockets_json },
	{ .key = "depends_on", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_depends_on, .free = free_depends_on, .same = depends_on_equal,
	  .to_json = depends_on_json },
	{ .key = "restart_with", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_restart_with, .free = free_restart_with, .same = restart_with_equal,
	  .to_json = restart_with_json },
	/* The watcher's name, shown as an option (Circus) but written as the key of its mapping. */
	{ .key = "name", .type = OPT_STRING, .offset = FIELD(name), .flags = OPT_SHOWN,
	  .change = CHANGE_RESTART },
	{ .key = "uid", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_uid, .free = free_groups, .same = ids_equal, .to_json = uid_json },
	{ .key = "gid", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_gid, .same = ids_equal, .to_json = gid_json },
	{ .key = "umask", .type = OPT_UMASK, .offset = FIELD(umask), .flags = SHOWN,
	  .change = CHANGE_RESTART, .def = -1 },
	{ .key = "rlimits", .alias_prefix = "rlimit_", .type = OPT_CUSTOM, .flags = SHOWN,
	  .change = CHANGE_RESTART, .parse = opt_rlimits, .free = free_rlimits,
	  .same = rlimits_equal, .to_json = rlimits_json },
	{ .key = "stdout", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_stdout, .init = stdout_init, .free = stdout_free, .same = stdout_pipe_equal,
	  .same_in_place = stdout_equal, .to_json = stdout_json },
	{ .key = "stderr", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_stderr, .init = stderr_init, .free = stderr_free, .same = stderr_pipe_equal,
	  .same_in_place = stderr_equal, .to_json = stderr_json },
	/* Circus's names for stdout: null and stderr: null (the stream rows compare them). */
	{ .key = "close_child_stdout", .type = OPT_CUSTOM, .flags = SHOWN,
	  .change = CHANGE_IN_PLACE, .parse = opt_close_stdout, .same = stdout_equal,
	  .to_json = close_stdout_json },
	{ .key = "close_child_stderr", .type = OPT_CUSTOM, .flags = SHOWN,
	  .change = CHANGE_IN_PLACE, .parse = opt_close_stderr, .same = stderr_equal,
	  .to_json = close_stderr_json },
	{ .key = "close_child_stdin", .type = OPT_BOOL, .offset = FIELD(close_child_stdin),
	  .flags = SHOWN, .change = CHANGE_RESTART, .def = true, .parse = opt_close_stdin },
	{ .key = "send_hup", .type = OPT_BOOL, .offset = FIELD(send_hup), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE },
	{ .key = "on_demand", .type = OPT_BOOL, .offset = FIELD(on_demand), .flags = SHOWN,
	  .change = CHANGE_IN_PLACE, .parse = opt_on_demand },
	{ .key = "ready", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_ready, .init = ready_init, .free = ready_free, .same = ready_kind_equal,
	  .same_in_place = ready_details_equal, .to_json = ready_json },
	{ .key = "ready_timeout", .type = OPT_DURATION, .offset = FIELD(ready_timeout),
	  .flags = SHOWN, .change = CHANGE_IN_PLACE, .positive = true, .def_seconds = 60 },
	{ .key = "replace", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_replace, .same = replace_equal, .to_json = replace_json },
	{ .key = "min_uptime", .type = OPT_DURATION, .offset = FIELD(min_uptime),
	  .flags = SHOWN, .change = CHANGE_IN_PLACE, .def_seconds = 10 },
	/* Hooks run beside the processes: a change never restarts them. */
	{ .key = "hooks", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_hooks, .free = watcher_hooks_free, .same = watcher_hooks_equal,
	  .to_json = watcher_hooks_json },
	{ .key = "memory_max", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_memory_max, .free = free_limits, .same = cgroup_limits_equal,
	  .to_json = limits_json },
	{ .key = "memory_high", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_memory_high, .free = free_limits, .same = cgroup_limits_equal,
	  .to_json = no_json },
	{ .key = "cpu_max", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_cpu_max, .free = free_limits, .same = cgroup_limits_equal,
	  .to_json = no_json },
	{ .key = "pids_max", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_pids_max, .free = free_limits, .same = cgroup_limits_equal,
	  .to_json = no_json },
	{ .key = "io_weight", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_IN_PLACE,
	  .parse = opt_io_weight, .free = free_limits, .same = cgroup_limits_equal,
	  .to_json = no_json },
	{ .key = "listen_events", .type = OPT_CUSTOM, .flags = SHOWN, .change = CHANGE_RESTART,
	  .parse = opt_listen_events, .init = listen_init, .free = listen_free,
	  .same = listening_equal, .same_in_place = listen_equal, .to_json = listen_json },
};

const size_t watcher_option_count = sizeof(watcher_option_table) / sizeof(watcher_option_table[0]);

/* --- what the table derives ------------------------------------------------------------------- */

static void *field_of(const struct watcher_option *o, struct watcher_config *wc)
{
	return (char *)wc + o->offset;
}

static const void *const_field_of(const struct watcher_option *o, const struct watcher_config *wc)
{
	return (const char *)wc + o->offset;
}

static int parse_int(const struct watcher_option *o, struct loader *ld, const char *path,
		     yaml_node_t *v, int *out)
{
	long n;

	if (get_int(ld, path, v, o->min, &n) < 0)
		return -1;
	if (n > o->max && !o->clamp) {
		add_error(ld, v, "%s: must be between %ld and %ld", path, o->min, o->max);
		return -1;
	}
	*out = n > o->max ? (int)o->max : (int)n;
	return 0;
}

static int parse_duration_option(const struct watcher_option *o, struct loader *ld,
				 const char *path, yaml_node_t *v, double *out)
{
	if (get_duration(ld, path, v, out) < 0)
		return -1;
	if (o->positive && *out <= 0) {
		add_error(ld, v, "%s: must be more than 0", path);
		return -1;
	}
	return 0;
}

static int parse_option(const struct watcher_option *o, struct loader *ld, const char *path,
			yaml_node_t *v, struct watcher_draft *d)
{
	void *field = field_of(o, d->wc);

	if (o->parse)
		return o->parse(ld, path, v, d);
	switch (o->type) {
	case OPT_STRING:
		return get_string(ld, path, v, field);
	case OPT_BOOL:
		return get_bool(ld, path, v, field);
	case OPT_INT:
		return parse_int(o, ld, path, v, field);
	case OPT_DURATION:
		return parse_duration_option(o, ld, path, v, field);
	case OPT_SIGNAL:
		return get_signal(ld, path, v, field);
	case OPT_UMASK:
		return get_umask(ld, path, v, field);
	case OPT_CUSTOM:
		break;
	}
	return 0;
}

/* supervisord's program keys an operator brings along, and what cirque calls them. */
static const char *supervisord_equivalent(const char *name)
{
	static const char *const table[][2] = {
		{ "command", "cmd" }, { "environment", "env" }, { "directory", "working_dir" },
		{ "user", "uid" }, { "autorestart", "restart" }, { "startsecs", "ready: {delay: N}" },
		{ "startretries", "max_retry" }, { "stopsignal", "stop_signal" },
		{ "stopwaitsecs", "graceful_timeout" }, { "stopasgroup", "stop_children" },
		{ "killasgroup", "stop_children" }, { "numprocs", "numprocesses" },
		{ "stdout_logfile", "stdout: {file: PATH}" }, { "stderr_logfile", "stderr: {file: PATH}" },
		{ "stdout_logfile_maxbytes", "stdout: {max_bytes: N}" },
		{ "stdout_logfile_backups", "stdout: {backup_count: N}" },
		{ "redirect_stderr", "stderr: {merge: stdout}" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(name, table[i][0]) == 0)
			return table[i][1];
	return NULL;
}

/* NAME in capitals (and digits, '_'), as environment variables are written. */
static bool looks_like_env_name(const char *name)
{
	bool upper = false;

	for (const char *p = name; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			return false;
		upper = upper || (*p >= 'A' && *p <= 'Z');
	}
	return upper;
}

/* "unknown key 'numprocess' (did you mean 'numprocesses'?)": the hint from the file's keys, or
 * cirque's name for a supervisord key ("unknown key 'command' (supervisord's; here: cmd)"). */
static void report_unknown_option(struct loader *ld, const char *parent, yaml_node_t *key,
				  const char *name)
{
	const char *keys[sizeof(watcher_option_table) / sizeof(watcher_option_table[0])];
	const char *ours = supervisord_equivalent(name);
	size_t n = 0;

	if (ours) {
		add_error(ld, key, "%s: unknown key '%s' (supervisord's; here: %s)", parent, name,
			  ours);
		return;
	}
	if (looks_like_env_name(name)) {  /* `env:` then `FOO: bar` at the same indentation */
		add_error(ld, key, "%s: unknown key '%s' (an environment variable? indent it under "
			  "env:)", parent, name);
		return;
	}
	for (size_t i = 0; i < watcher_option_count; i++)
		if (watcher_option_table[i].flags & OPT_FILE)
			keys[n++] = watcher_option_table[i].key;
	add_error(ld, key, "%s: unknown key '%s'%s", parent, name, did_you_mean(name, keys, n));
}

static void visit_watcher_key(struct loader *ld, const char *parent, yaml_node_t *key,
			      yaml_node_t *value, void *arg)
{
	const char *name = scalar(key);
	char path[512];

	if (name == NULL)  /* walk_mapping passes only string keys */
		return;

	snprintf(path, sizeof(path), "%s.%s", parent, name);
	for (size_t i = 0; i < watcher_option_count; i++) {
		const struct watcher_option *o = &watcher_option_table[i];
		if ((o->flags & OPT_FILE) && strcmp(name, o->key) == 0) {
			parse_option(o, ld, path, value, arg);
			return;
		}
	}
	const char *entry;
	const struct watcher_option *alias = watcher_option_alias(name, &entry);
	int resource;
	if (alias && strcmp(alias->key, "rlimits") == 0) {
		if ((resource = parse_rlimit_name(entry)) >= 0) {
			opt_rlimit_flat(ld, path, value, resource, arg);
			return;
		}
		static const char *const limits[] = { "as", "core", "cpu", "data", "fsize", "locks",
			"memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime",
			"sigpending", "stack" };
		add_error(ld, key, "%s: unknown key '%s': no resource limit '%s'%s (known: as, core, "
			  "cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, "
			  "rttime, sigpending, stack)", parent, name, entry,
			  did_you_mean(entry, limits, sizeof(limits) / sizeof(limits[0])));
		return;
	}
	report_unknown_option(ld, parent, key, name);
}

static void init_option(const struct watcher_option *o, struct watcher_config *wc)
{
	void *field = field_of(o, wc);

	if (o->init) {
		o->init(wc);
		return;
	}
	switch (o->type) {
	case OPT_BOOL:
		*(bool *)field = o->def;
		break;
	case OPT_INT:
	case OPT_SIGNAL:
	case OPT_UMASK:
		*(int *)field = (int)o->def;
		break;
	case OPT_DURATION:
		*(double *)field = o->def_seconds;
		break;
	case OPT_STRING:
	case OPT_CUSTOM:
		break;  /* NULL, as allocated */
	}
}

/* Equal values of O in A and B, as its type or its hook compares them. */
static bool option_same(const struct watcher_option *o, const struct watcher_config *a,
			const struct watcher_config *b)
{
	const void *x = const_field_of(o, a), *y = const_field_of(o, b);

	if (o->same)
		return o->same(a, b);
	switch (o->type) {
	case OPT_STRING:
		return same_text(*(char *const *)x, *(char *const *)y);
	case OPT_BOOL:
		return *(const bool *)x == *(const bool *)y;
	case OPT_INT:
	case OPT_SIGNAL:
	case OPT_UMASK:
		return *(const int *)x == *(const int *)y;
	case OPT_DURATION:
		return *(const double *)x == *(const double *)y;
	case OPT_CUSTOM:
		break;
	}
	return true;
}

static json_t *option_json(const struct watcher_option *o, const struct watcher_config *wc)
{
	const void *field = const_field_of(o, wc);

	switch (o->type) {
	case OPT_STRING:
		return *(char *const *)field ? json_string(*(char *const *)field) : json_null();
	case OPT_BOOL:
		return json_boolean(*(const bool *)field);
	case OPT_INT:
	case OPT_SIGNAL:
		return json_integer(*(const int *)field);
	case OPT_UMASK:
		return *(const int *)field >= 0 ? json_integer(*(const int *)field) : json_null();
	case OPT_DURATION:
		return json_real(*(const double *)field);
	case OPT_CUSTOM:
		break;
	}
	return json_null();
}

json_t *watcher_options_json(const struct watcher_config *wc)
{
	json_t *out = json_object();

	for (size_t i = 0; i < watcher_option_count; i++) {
		const struct watcher_option *o = &watcher_option_table[i];
		if (!(o->flags & OPT_SHOWN))
			continue;
		if (o->to_json)
			o->to_json(wc, out);
		else
			json_object_set_new(out, o->key, option_json(o, wc));
	}
	return out;
}

const struct watcher_option *watcher_option_alias(const char *key, const char **entry)
{
	for (size_t i = 0; i < watcher_option_count; i++) {
		const char *prefix = watcher_option_table[i].alias_prefix;
		if (prefix && strncmp(key, prefix, strlen(prefix)) == 0) {
			*entry = key + strlen(prefix);
			return &watcher_option_table[i];
		}
	}
	return NULL;
}

void watcher_config_free(struct watcher_config *wc)
{
	if (wc == NULL)
		return;
	for (size_t i = 0; i < watcher_option_count; i++) {
		const struct watcher_option *o = &watcher_option_table[i];
		if (o->free)
			o->free(wc);
		else if (o->type == OPT_STRING)
			free(*(char **)field_of(o, wc));
	}
	free(wc->origin);
	free_words(wc->unset_env_refs);
	json_decref(wc->raw);
	free(wc);
}

bool watcher_config_same_processes(const struct watcher_config *a,
				   const struct watcher_config *b)
{
	for (size_t i = 0; i < watcher_option_count; i++)
		if (watcher_option_table[i].change == CHANGE_RESTART &&
		    !option_same(&watcher_option_table[i], a, b))
			return false;
	return true;
}

void watcher_config_restart_keys(const struct watcher_config *a, const struct watcher_config *b,
				 char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < watcher_option_count && n < size; i++) {
		const struct watcher_option *o = &watcher_option_table[i];
		if (o->change != CHANGE_RESTART || option_same(o, a, b))
			continue;
		int k = snprintf(out + n, size - n, "%s%s", n ? ", " : "", o->key);
		n = k < 0 ? size : n + (size_t)k;
	}
}

bool watcher_config_equal(const struct watcher_config *a, const struct watcher_config *b,
			  bool ignore_count)
{
	if (!watcher_config_same_processes(a, b))
		return false;
	for (size_t i = 0; i < watcher_option_count; i++) {
		const struct watcher_option *o = &watcher_option_table[i];
		bool compared = o->change == CHANGE_IN_PLACE ||
				(o->change == CHANGE_COUNT && !ignore_count);
		if ((compared && !option_same(o, a, b)) ||
		    (o->same_in_place && !o->same_in_place(a, b)))
			return false;
	}
	return true;
}

/* --- resolution of options that depend on each other ------------------------------------------ */

/* An env value's $VAR: the daemon's environment. A variable it lacks expands to nothing (as a
 * shell would), and is noted for a warning: a literal $ in a password is written $$. */
struct env_lookup {
	struct watcher_config *wc;
	const char *variable;         /* the env variable whose value is expanded */
};

static const char *lookup_daemon_env(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

/* A $VAR that expanded to nothing: noted for a warning. */
static void note_unset_env(const char *name, void *arg)
{
	struct env_lookup *l = arg;
	int n = 0;

	while (l->wc->unset_env_refs && l->wc->unset_env_refs[n])
		n++;
	l->wc->unset_env_refs = xreallocarray(l->wc->unset_env_refs, (size_t)n + 2,
					      sizeof(char *));
	l->wc->unset_env_refs[n] = xasprintf("%s: $%s", l->variable, name);
	l->wc->unset_env_refs[n + 1] = NULL;
}

static int env_set(char ***env, int *count, const char *name, const char *value)
{
	size_t len = strlen(name);
	char *entry = xasprintf("%s=%s", name, value);

	for (int i = 0; i < *count; i++) {
		if (strncmp((*env)[i], name, len) == 0 && (*env)[i][len] == '=') {
			free((*env)[i]);
			(*env)[i] = entry;
			return 0;
		}
	}
	char **grown = xreallocarray(*env, (size_t)*count + 2, sizeof(char *));
	grown[(*count)++] = entry;
	grown[*count] = NULL;
	*env = grown;
	return 0;
}

struct env_visit {
	struct watcher_config *wc;
	int *count;
};

/* One NAME: value of env, its $VAR expanded from the daemon's environment. */
static void visit_env_key(struct loader *ld, const char *path, yaml_node_t *key,
			  yaml_node_t *value, void *arg)
{
	struct env_visit *v = arg;
	const char *name = scalar(key), *text = scalar(value);
	char *expanded;

	if (name == NULL || *name == '\0' || strchr(name, '=')) {
		add_error(ld, key, "%s: invalid variable name '%s'", path, name ? name : "");
		return;
	}
	if (text == NULL) {
		add_error(ld, value, "%s.%s: must be a string", path, name);
		return;
	}
	struct env_lookup lookup = { v->wc, name };
	expanded = is_null(value) ? xstrdup("")
				  : expand_vars(text, lookup_daemon_env, note_unset_env, &lookup);
	if (expanded == NULL) {
		add_error(ld, value, "%s.%s: an unterminated ${, or a form other than ${VAR}, "
			  "${VAR:-default} and ${VAR-default}", path, name);
		return;
	}
	env_set(&v->wc->env, v->count, name, expanded);
	free(expanded);
}

static void resolve_env(struct loader *ld, const char *path, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;
	int count = 0;

	wc->env = xcalloc(1, sizeof(char *));
	if (wc->copy_env)
		for (char **e = environ; *e; e++) {
			char *eq = strchr(*e, '=');
			if (eq == NULL)
				continue;
			char *name = xstrndup(*e, (size_t)(eq - *e));
			env_set(&wc->env, &count, name, eq + 1);
			free(name);
		}
	else if (wc->copy_path && getenv("PATH"))  /* env: may still set its own */
		env_set(&wc->env, &count, "PATH", getenv("PATH"));
	if (d->env_node == NULL || d->env_node->type != YAML_MAPPING_NODE)
		return;
	char env_path[512];
	struct env_visit visit = { wc, &count };
	snprintf(env_path, sizeof(env_path), "%s.env", path);
	walk_mapping(ld, env_path, d->env_node, visit_env_key, &visit);  /* `<<: *common` too */
}

/* shell_args, as Circus passes them to the shell after the script: $0, $1, ... */
static void add_shell_args(struct loader *ld, const char *path, struct watcher_draft *d)
{
	const char *error = NULL;
	char **words = NULL;

	if (d->wc->shell_args == NULL)
		return;
	if (split_words(d->wc->shell_args, &words, &error) < 0) {
		add_error(ld, d->shell_args_node, "%s.shell_args: %s", path, error);
		return;
	}
	if (append_words(&d->wc->argv, words) < 0)
		free_words(words);
}

static void resolve_argv(struct loader *ld, const char *path, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;

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
		wc->args = xcalloc(1, len + 1);
		for (char **a = d->args; *a; a++) {
			if (a != d->args)
				strcat(wc->args, " ");
			strcat(wc->args, *a);
		}
	} else if (d->args_text) {
		wc->args = xstrdup(d->args_text);
	}
	if (wc->cmd[strspn(wc->cmd, " \t\n")] == '\0') {
		add_error(ld, d->cmd_node, "%s.cmd: is empty", path);
		return;
	}
	if (wc->shell_args && !wc->shell) {
		add_error(ld, d->shell_args_node, "%s.shell_args: arguments of the shell, which runs "
			  "only with shell: true (put the program's own in args)", path);
		return;
	}
	if (wc->shell) {
		char *script = xasprintf("%s%s%s", wc->cmd, wc->args ? " " : "",
					 wc->args ? wc->args : "");
		wc->argv = xcalloc(4, sizeof(char *));
		wc->argv[0] = xstrdup("/bin/sh");
		wc->argv[1] = xstrdup("-c");
		wc->argv[2] = script;
		add_shell_args(ld, path, d);
		return;
	}
	wc->argv = command_argv(ld, path, wc->cmd, d->cmd_node, &d->args, d->args_text,
				d->args_node);
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
			gid_t *groups = xmalloc(sizeof(gid_t) * (size_t)n);
			int want = n;
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

/* NAME's value in ENV (NAME=VALUE entries), the name compared with CMP's first LEN bytes. */
static const char *env_entry(char **env, const char *name,
			     int (*cmp)(const char *, const char *, size_t))
{
	size_t len = strlen(name);

	for (; env && *env; env++)
		if (cmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

/* $(circus.env.NAME): the watcher's environment (env, on top of the daemon's with copy_env),
 * then the daemon's; the name as written, else in any case (Circus lowercases both sides). */
static const char *lookup_watcher_env(const char *name, void *arg)
{
	char **env = arg;
	const char *value = env_entry(env, name, strncmp);

	if (value == NULL)
		value = env_entry(environ, name, strncmp);
	if (value == NULL)
		value = env_entry(env, name, strncasecmp);
	if (value == NULL)
		value = env_entry(environ, name, strncasecmp);
	return value;
}

/* *TEXT with its $(circus.env.NAME) references replaced, looked up in ENV. */
static void substitute_in(char **text, char **env)
{
	if (*text == NULL || strstr(*text, "$(") == NULL)
		return;
	char *done = substitute_env_references(*text, lookup_watcher_env, env);
	free(*text);
	*text = done;
}

/* $(circus.env.NAME) in the argv, the env values, working_dir and the log file paths, as Circus
 * substitutes it in its configuration. Every lookup sees the environment as configured, before
 * this pass: a value is never substituted twice. */
static void resolve_env_references(struct watcher_config *wc)
{
	char **env = wc->env, **values;
	int n = 0;

	while (env && env[n])
		n++;
	values = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		char *eq = strchr(env[i], '=');
		char *value = xstrdup(eq + 1);
		substitute_in(&value, env);
		values[i] = xasprintf("%.*s=%s", (int)(eq - env[i]), env[i], value);
		free(value);
	}
	for (char **a = wc->argv; a && *a; a++)
		substitute_in(a, env);
	substitute_in(&wc->working_dir, env);
	substitute_in(&wc->streams[0].path, env);
	substitute_in(&wc->streams[1].path, env);
	wc->env = values;
	free_words(env);
}

/* respawn: true goes with restart: always or on-failure (both restart after a failure), false
 * with never; alone, it sets restart. */
static void resolve_restart(struct loader *ld, const char *path, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;

	if (d->respawn_node == NULL)
		return;
	if (d->restart_node == NULL) {
		wc->restart = d->respawn ? RESTART_ALWAYS : RESTART_NEVER;
		return;
	}
	if (d->respawn != (wc->restart != RESTART_NEVER))
		add_error(ld, d->restart_node, "%s.restart: %s contradicts respawn: %s (line %zu); "
			  "respawn: true is restart: always, false is never: keep one of them", path,
			  restart_names[wc->restart], d->respawn ? "true" : "false",
			  d->respawn_node->start_mark.line + 1);
}

/* What systemd gives every service, when env (and copy_env) left them out: a PATH, and for a
 * uid with a passwd entry HOME, USER, LOGNAME and SHELL, so that a program run as nobody knows
 * who it is, and what it runs by name is found (launch.c searches the child's PATH). */
#define DEFAULT_CHILD_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool env_has(char **env, const char *name)
{
	size_t len = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return true;
	return false;
}

static void env_default(struct watcher_config *wc, const char *name, const char *value)
{
	int count = 0;

	if (value == NULL || env_has(wc->env, name))
		return;
	while (wc->env && wc->env[count])
		count++;
	env_set(&wc->env, &count, name, value);
}

static void resolve_env_defaults(struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;
	struct passwd pw;
	char buf[4096];

	env_default(wc, "PATH", DEFAULT_CHILD_PATH);
	/* copy_env: the daemon's environment as it is (as supervisord and Circus give it), not
	 * an identity half of it and half of the uid's (HOME=/root beside USER=nobody) */
	if (!wc->copy_env && d->uid_text && lookup_user(d->uid_text, &pw, buf, sizeof(buf)) == 0) {
		env_default(wc, "HOME", pw.pw_dir);
		env_default(wc, "USER", pw.pw_name);
		env_default(wc, "LOGNAME", pw.pw_name);
		env_default(wc, "SHELL", pw.pw_shell);
	}
}

/* virtualenv: its bin/ before the PATH the child would have, and VIRTUAL_ENV, as activate
 * does. */
static void resolve_virtualenv(struct watcher_config *wc)
{
	int count = 0;

	if (wc->virtualenv == NULL)
		return;
	while (wc->env && wc->env[count])
		count++;
	const char *path = env_entry(wc->env, "PATH", strncmp);
	char *value = xasprintf("%s/bin%s%s", wc->virtualenv, path && *path ? ":" : "",
				path ? path : "");
	env_set(&wc->env, &count, "PATH", value);
	free(value);
	env_set(&wc->env, &count, "VIRTUAL_ENV", wc->virtualenv);
}

/* close_child_stdout / close_child_stderr true: that stream to /dev/null, unless stdout: (or
 * stderr:) says where it goes too. */
static void resolve_close_streams(struct loader *ld, const char *path, struct watcher_draft *d)
{
	static const char *const names[] = { "stdout", "stderr" };

	for (int i = 0; i < 2; i++) {
		if (d->close_node[i] == NULL || !d->close_stream[i])
			continue;
		if (d->stream_node[i]) {
			add_error(ld, d->close_node[i], "%s.close_child_%s: true is %s: null, and %s: "
				  "is given too (line %zu): keep one", path, names[i], names[i],
				  names[i], d->stream_node[i]->start_mark.line + 1);
			continue;
		}
		d->wc->streams[i].kind = STREAM_NULL;
	}
	if (d->close_stdin_node && !d->wc->close_child_stdin && d->wc->listen.events)
		add_error(ld, d->close_stdin_node, "%s.close_child_stdin: an event listener's stdin "
			  "is the events (listen_events): remove close_child_stdin", path);
}

static void resolve_watcher(struct loader *ld, const char *path, struct watcher_draft *d)
{
	struct watcher_config *wc = d->wc;

	resolve_argv(ld, path, d);
	resolve_restart(ld, path, d);
	resolve_env(ld, path, d);
	resolve_env_references(wc);
	resolve_ids(ld, path, d);
	resolve_env_defaults(d);
	resolve_virtualenv(wc);
	resolve_close_streams(ld, path, d);
	char cmd_path[300];
	snprintf(cmd_path, sizeof(cmd_path), "%s.cmd", path);
	check_socket_vars(ld, d->cmd_node ? cmd_path : path, d->cmd_node ? d->cmd_node : d->key_node,
			  wc);
	if (wc->singleton && wc->numprocesses > 1)
		add_error(ld, d->numprocesses_node, "%s.numprocesses: a singleton watcher runs at most "
			  "one process", path);
	if (wc->on_demand && wc->use_sockets == NULL && !wc->use_all_sockets)
		add_error(ld, d->on_demand_node, "%s.on_demand: started by a connection to one of its "
			  "sockets: give it use_sockets", path);
	if (wc->ready == READY_EXIT && wc->restart == RESTART_ALWAYS)
		add_error(ld, d->ready_exit_node, "%s.ready: exit makes it a job, done once it exits: "
			  "give it restart: never (or on-failure, to retry a failed run), not always",
			  path);
}

static struct watcher_config *watcher_config_new(const char *name, const char *origin)
{
	struct watcher_config *wc = xcalloc(1, sizeof(*wc));

	for (size_t i = 0; i < watcher_option_count; i++)
		init_option(&watcher_option_table[i], wc);
	wc->name = xstrdup(name);
	wc->origin = xstrdup(origin);
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
	if (strcasecmp(name, "all") == 0) {  /* `stop all` means every watcher */
		add_error(ld, key, "%s: '%s' is reserved (`cirquectl stop all` means every watcher): "
			  "choose another name", parent, name);
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
	config->watchers = xreallocarray(config->watchers, (size_t)config->nwatchers + 1,
					sizeof(*config->watchers));
	config->watchers[config->nwatchers++] = d.wc;
	const yaml_node_t *count = d.numprocesses_node ? d.numprocesses_node : key;
	ld->count_marks = xreallocarray(ld->count_marks, (size_t)ld->ncount_marks + 1,
					sizeof(char *));
	ld->count_marks[ld->ncount_marks++] = xasprintf("%s:%zu:%zu", ld->file,
							count->start_mark.line + 1,
							count->start_mark.column + 1);
}

struct watcher_config *config_find_watcher(const struct config *config, const char *name)
{
	for (int i = 0; i < config->nwatchers; i++)
		if (strcasecmp(config->watchers[i]->name, name) == 0)  /* case-insensitive names */
			return config->watchers[i];
	return NULL;
}
