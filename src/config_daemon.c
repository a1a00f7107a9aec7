/* config_daemon.c - the cirque: section: endpoints, logging, pidfile, umask, includes, CURVE. */
#include "config_daemon.h"

#include "endpoint.h"
#include "fdlimit.h"
#include "log.h"
#include "parse.h"
#include "safefs.h"
#include "xmalloc.h"

#include <grp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

typedef int (*daemon_key_fn)(struct loader *ld, const char *path, yaml_node_t *value);

static int daemon_endpoint(struct loader *ld, const char *path, yaml_node_t *v)
{ return get_string(ld, path, v, &ld->config->daemon.endpoint); }
static int daemon_pubsub(struct loader *ld, const char *path, yaml_node_t *v)
{ return get_string(ld, path, v, &ld->config->daemon.pubsub_endpoint); }
static int daemon_stats(struct loader *ld, const char *path, yaml_node_t *v)
{ return get_string(ld, path, v, &ld->config->daemon.stats_endpoint); }
static int daemon_logoutput(struct loader *ld, const char *path, yaml_node_t *v)
{ return get_string(ld, path, v, &ld->config->daemon.logoutput); }
static int daemon_pidfile(struct loader *ld, const char *path, yaml_node_t *v)
{ return get_string(ld, path, v, &ld->config->daemon.pidfile); }
static int daemon_umask(struct loader *ld, const char *path, yaml_node_t *v)
{ return get_umask(ld, path, v, &ld->config->daemon.umask); }

static int daemon_loglevel(struct loader *ld, const char *path, yaml_node_t *v)
{
	const char *s = scalar(v);
	int level;

	if (s == NULL || (level = log_level_parse(s)) < 0) {
		add_error(ld, v, "%s: must be one of debug, info, warning, error, critical", path);
		return -1;
	}
	ld->config->daemon.loglevel = level;
	return 0;
}

static int add_include(struct loader *ld, const char *path, yaml_node_t *v)
{
	char *copy = NULL;

	if (get_string(ld, path, v, &copy) < 0)
		return -1;
	ld->includes = xreallocarray(ld->includes, (size_t)ld->nincludes + 1, sizeof(char *));
	ld->include_marks = xreallocarray(ld->include_marks, (size_t)ld->nincludes + 1,
					  sizeof(yaml_mark_t));
	ld->include_marks[ld->nincludes] = v->start_mark;
	ld->includes[ld->nincludes++] = copy;
	return 0;
}

static int daemon_include(struct loader *ld, const char *path, yaml_node_t *v)
{
	if (v->type == YAML_SCALAR_NODE)
		return add_include(ld, path, v);
	if (v->type != YAML_SEQUENCE_NODE) {
		add_error(ld, v, "%s: must be a glob or a list of globs", path);
		return -1;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		add_include(ld, path, node_at(ld, *it));
	return 0;
}

/* Circus's include_dir: a directory of *.ini there, of *.yaml here: as include: DIR/ *.yaml. */
static int daemon_include_dir(struct loader *ld, const char *path, yaml_node_t *v)
{
	char *dir = NULL;

	if (get_string(ld, path, v, &dir) < 0)
		return -1;
	size_t len = strlen(dir);
	if (len == 0 || strpbrk(dir, "*?[")) {
		add_error(ld, v, "%s: must be a directory (its *.yaml are included); for a glob, use "
			  "include:", path);
		free(dir);
		return -1;
	}
	ld->includes = xreallocarray(ld->includes, (size_t)ld->nincludes + 1, sizeof(char *));
	ld->include_marks = xreallocarray(ld->include_marks, (size_t)ld->nincludes + 1,
					  sizeof(yaml_mark_t));
	ld->include_marks[ld->nincludes] = v->start_mark;
	ld->includes[ld->nincludes++] = xasprintf("%s%s*.yaml", dir, dir[len - 1] == '/' ? "" : "/");
	free(dir);
	return 0;
}

/* Circus's check_delay (how long it waits between polls of the processes): cirque does not
 * poll, it learns of each exit at once. Accepted, with a warning. */
static int daemon_check_delay(struct loader *ld, const char *path, yaml_node_t *v)
{
	double seconds;

	if (get_duration(ld, path, v, &seconds) < 0)
		return -1;
	add_error_line(&ld->config->load_warnings,
		       xasprintf("%s:%zu:%zu: warning: %s: ignored: cirque does not poll its "
				 "processes, it learns of each exit when it happens", ld->file,
				 v->start_mark.line + 1, v->start_mark.column + 1, path));
	return 0;
}

static int daemon_curve_secret(struct loader *ld, const char *path, yaml_node_t *v)
{
	const char *file, *problem;
	char why[SAFEFS_WHY];
	struct safe_file f;

	if (get_string(ld, path, v, &ld->config->daemon.curve_secret_key_file) < 0)
		return -1;
	/* The daemon reads it at start with the same checks (curve_load_secret). */
	file = ld->config->daemon.curve_secret_key_file;
	if (safe_file_open(file, O_RDONLY | O_NONBLOCK, 0, false, &f, NULL, why) < 0) {
		add_error(ld, v, "%s: cannot read %s: %s", path, file, why);
		return -1;
	}
	problem = safefs_secret_problem(&f.st, why);
	close(f.fd);
	if (problem) {
		add_error(ld, v, "%s: %s: %s", path, file, problem);
		return -1;
	}
	return 0;
}

static int daemon_curve_clients(struct loader *ld, const char *path, yaml_node_t *v)
{
	struct daemon_config *d = &ld->config->daemon;
	int n = 0;

	if (v->type != YAML_SEQUENCE_NODE) {
		add_error(ld, v, "%s: must be a list of Z85 public keys", path);
		return -1;
	}
	free_words(d->curve_allowed_clients);
	d->curve_allowed_clients = xcalloc((size_t)(v->data.sequence.items.top -
						   v->data.sequence.items.start) + 1, sizeof(char *));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(ld, *it);
		const char *key = scalar(item);
		uint8_t binary[32];
		if (key == NULL || strlen(key) != 40 || zmq_z85_decode(binary, key) == NULL) {
			add_error(ld, item, "%s: not a Z85 public key (40 characters, as printed by "
				  "cirquectl keygen)", path);
			continue;
		}
		d->curve_allowed_clients[n++] = xstrdup(key);
	}
	return 0;
}

static int daemon_max_processes_key(struct loader *ld, const char *path, yaml_node_t *v)
{
	return get_int(ld, path, v, 1, &ld->config->daemon.max_processes);
}

/* Descriptors the daemon keeps for itself below the ceiling (log files, sockets, /proc reads):
 * 64, or in a small table a quarter of what is below the ceiling, but at least 48 (it holds
 * about 35 once started) unless that is more than half. */
#define OWN_DESCRIPTORS 64
#define OWN_DESCRIPTORS_MIN 48

static long own_descriptors(long ceiling)
{
	long own = ceiling / 4;

	if (own < OWN_DESCRIPTORS_MIN)
		own = OWN_DESCRIPTORS_MIN;
	if (own > OWN_DESCRIPTORS)
		own = OWN_DESCRIPTORS;
	return own > ceiling / 2 ? ceiling / 2 : own;
}
/* What one process costs the daemon: the read ends of its stdout and stderr pipes. */
#define DESCRIPTORS_PER_PROCESS 2

long daemon_max_processes(const struct daemon_config *d)
{
	struct rlimit rl;
	long max = 1000000;

	if (d->max_processes > 0)
		return d->max_processes;
	/* cirqued raises its soft limit to the hard one (arbiter.c) */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < (rlim_t)max * DESCRIPTORS_PER_PROCESS) {
		long table = (long)rl.rlim_max, ceiling = table - fd_reserve_of(table);
		long budget = ceiling - own_descriptors(ceiling);
		max = budget > DESCRIPTORS_PER_PROCESS ? budget / DESCRIPTORS_PER_PROCESS : 1;
	}
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)max)
		max = rl.rlim_cur > 0 ? (long)rl.rlim_cur : 1;
	return max;
}

/* auto, off, or an absolute path in the cgroup2 hierarchy. */
static int daemon_cgroup(struct loader *ld, const char *path, yaml_node_t *v)
{
	char *value = NULL;

	if (get_string(ld, path, v, &value) < 0)
		return -1;
	if (strcmp(value, "auto") != 0 && strcmp(value, "off") != 0 &&
	    (value[0] != '/' || strstr(value, "/..") || strstr(value, "//") ||
	     strlen(value) > 1000 || strcmp(value, "/") == 0)) {
		add_error(ld, v, "%s: must be auto, off, or a path in the cgroup2 hierarchy such "
			  "as /cirque (absolute, not / itself, without .. or //)%s", path,
			  did_you_mean(value, (const char *[]){ "auto", "off" }, 2));
		free(value);
		return -1;
	}
	if (strncmp(value, "/sys/fs/cgroup", 14) == 0) {
		add_error(ld, v, "%s: %s is a file system path: give the cgroup's path inside the "
			  "cgroup2 hierarchy (/cirque for /sys/fs/cgroup/cirque)", path, value);
		free(value);
		return -1;
	}
	free(ld->config->daemon.cgroup);
	ld->config->daemon.cgroup = value;
	return 0;
}

static int daemon_unavailable_limits(struct loader *ld, const char *path, yaml_node_t *v)
{
	const char *text = scalar(v);

	if (text && (strcmp(text, "error") == 0 || strcmp(text, "warn") == 0)) {
		ld->config->daemon.limits_may_be_ignored = strcmp(text, "warn") == 0;
		return 0;
	}
	add_error(ld, v, "%s: must be error (a limit cirqued cannot apply is a configuration "
		  "error) or warn (it is logged and ignored)", path);
	return -1;
}

/* adopt or stop: the processes a cirqued that died left running (survivors.h). */
static int daemon_on_orphans(struct loader *ld, const char *path, yaml_node_t *v)
{
	const char *text = scalar(v);

	if (text && (strcmp(text, "adopt") == 0 || strcmp(text, "adopt-all") == 0 ||
		     strcmp(text, "stop") == 0)) {
		ld->config->daemon.orphans_stop = strcmp(text, "stop") == 0;
		ld->config->daemon.orphans_adopt_piped = strcmp(text, "adopt-all") == 0;
		return 0;
	}
	add_error(ld, v, "%s: must be adopt (the processes a cirqued that died left running "
		  "become their slots' processes, but those whose output went to its pipes are "
		  "restarted), adopt-all (those too), or stop (they are stopped before the watchers "
		  "start)%s", path,
		  text ? did_you_mean(text, (const char *[]){ "adopt", "adopt-all", "stop" }, 3) : "");
	return -1;
}

/* The descriptor limit N processes with both output streams piped need: 2 each, plus the reserve
 * and the daemon's own share (the inverse of daemon_max_processes). */
static long table_needed(long processes)
{
	long table = DESCRIPTORS_PER_PROCESS * processes + OWN_DESCRIPTORS;

	for (;;) {
		long ceiling = table - fd_reserve_of(table);
		long budget = ceiling - own_descriptors(ceiling);
		long short_by = DESCRIPTORS_PER_PROCESS * processes - budget;
		if (short_by <= 0)
			return table;
		table += short_by;
	}
}

const char *daemon_max_processes_why(const struct daemon_config *d, long wanted, char *buf,
				     size_t size)
{
	struct rlimit rl;

	if (d->max_processes > 0)
		return "";
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long)rl.rlim_cur < wanted) {
		snprintf(buf, size, " (the default: RLIMIT_NPROC is %llu; set cirque.max_processes "
			 "to change it)", (unsigned long long)rl.rlim_cur);
		return buf;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY)
		return "";
	snprintf(buf, size, " (the default: %ld processes with their stdout and stderr piped need a "
		 "descriptor limit of %ld, 2 each and %ld for the daemon; the hard limit is %llu: "
		 "raise it (LimitNOFILE= in the unit, ulimit -Hn), or set cirque.max_processes, "
		 "enough for processes whose stdout and stderr are null)", wanted,
		 table_needed(wanted), table_needed(wanted) - DESCRIPTORS_PER_PROCESS * wanted,
		 (unsigned long long)rl.rlim_max);
	return buf;
}

/* A group that exists: its members get the operator socket (0660) and the events. */
static int daemon_operator_group(struct loader *ld, const char *path, yaml_node_t *v)
{
	char *value = NULL;

	if (get_string(ld, path, v, &value) < 0)
		return -1;
	if (getgrnam(value) == NULL) {
		add_error(ld, v, "%s: no group named '%s' (create it: groupadd --system %s)", path,
			  value, value);
		free(value);
		return -1;
	}
	free(ld->config->daemon.operator_group);
	ld->config->daemon.operator_group = value;
	return 0;
}

static const struct { const char *key; daemon_key_fn fn; } daemon_keys[] = {
	{ "endpoint", daemon_endpoint }, { "pubsub_endpoint", daemon_pubsub },
	{ "stats_endpoint", daemon_stats }, { "loglevel", daemon_loglevel },
	{ "logoutput", daemon_logoutput }, { "pidfile", daemon_pidfile },
	{ "umask", daemon_umask }, { "include", daemon_include },
	{ "include_dir", daemon_include_dir }, { "check_delay", daemon_check_delay },
	{ "curve_secret_key_file", daemon_curve_secret },
	{ "curve_allowed_clients", daemon_curve_clients },
	{ "max_processes", daemon_max_processes_key }, { "cgroup", daemon_cgroup },
	{ "unavailable_limits", daemon_unavailable_limits },
	{ "operator_group", daemon_operator_group }, { "on_orphans", daemon_on_orphans },
};

void visit_daemon_key(struct loader *ld, const char *parent, yaml_node_t *key, yaml_node_t *value,
		      void *arg)
{
	const char *name = scalar(key);
	char path[256];

	if (name == NULL)  /* walk_mapping passes only string keys */
		return;

	(void)arg;
	snprintf(path, sizeof(path), "%s.%s", parent, name);
	for (size_t i = 0; i < sizeof(daemon_keys) / sizeof(daemon_keys[0]); i++) {
		if (strcmp(name, daemon_keys[i].key) == 0) {
			daemon_keys[i].fn(ld, path, value);
			return;
		}
	}
	const char *keys[sizeof(daemon_keys) / sizeof(daemon_keys[0])];
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		keys[i] = daemon_keys[i].key;
	add_error(ld, key, "%s: unknown key '%s'%s", parent, name,
		  did_you_mean(name, keys, sizeof(keys) / sizeof(keys[0])));
}

static void check_endpoint(struct config_errors *errors, const char *path, const char *key,
			   const char *endpoint, bool is_control, bool curve)
{
	const char *why = endpoint ? endpoint_refusal(endpoint, is_control, curve) : NULL;

	if (why)
		add_error_line(errors, strdup_printf("%s: cirque.%s %s %s", path, key, endpoint,
						     why));
}

void check_daemon_config(const struct daemon_config *d, const char *path,
			 struct config_errors *errors)
{
	check_endpoint(errors, path, "endpoint", d->endpoint, true,
		       d->curve_secret_key_file != NULL);
	check_endpoint(errors, path, "pubsub_endpoint", d->pubsub_endpoint, false, false);
	if (d->curve_secret_key_file &&
	    (d->curve_allowed_clients == NULL || !d->curve_allowed_clients[0]))
		add_error_line(errors, strdup_printf("%s: cirque.curve_secret_key_file needs "
						     "cirque.curve_allowed_clients (at least one "
						     "client public key)", path));
}

void daemon_config_free(struct daemon_config *d)
{
	free(d->endpoint);
	free(d->pubsub_endpoint);
	free(d->stats_endpoint);
	free(d->logoutput);
	free(d->pidfile);
	free(d->cgroup);
	free(d->operator_group);
	free(d->curve_secret_key_file);
	free_words(d->curve_allowed_clients);
}

/* --- re-exec (reexec.h) ------------------------------------------------------------------------ */

json_t *daemon_config_save(const struct daemon_config *d)
{
	json_t *clients = json_array();

	for (char **k = d->curve_allowed_clients; k && *k; k++)
		json_array_append_new(clients, json_string(*k));
	return json_pack("{s:s?, s:s?, s:s?, s:i, s:s?, s:s?, s:i, s:s?, s:o, s:I, s:s?, s:s?,"
			 " s:b, s:b, s:b}", "endpoint", d->endpoint, "pubsub_endpoint", d->pubsub_endpoint,
			 "stats_endpoint", d->stats_endpoint, "loglevel", d->loglevel, "logoutput",
			 d->logoutput, "pidfile", d->pidfile, "umask", d->umask,
			 "curve_secret_key_file", d->curve_secret_key_file,
			 "curve_allowed_clients", clients, "max_processes",
			 (json_int_t)d->max_processes, "cgroup", d->cgroup, "operator_group",
			 d->operator_group, "limits_may_be_ignored", d->limits_may_be_ignored,
			 "orphans_stop", d->orphans_stop, "orphans_adopt_piped",
			 d->orphans_adopt_piped);
}

static char *saved_text(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

void daemon_config_restore(struct daemon_config *d, const json_t *saved)
{
	const json_t *clients = json_object_get(saved, "curve_allowed_clients"), *k;
	size_t i, n = json_array_size(clients);

	daemon_config_free(d);
	*d = (struct daemon_config){
		.endpoint = saved_text(saved, "endpoint"),
		.pubsub_endpoint = saved_text(saved, "pubsub_endpoint"),
		.stats_endpoint = saved_text(saved, "stats_endpoint"),
		.loglevel = (int)json_integer_value(json_object_get(saved, "loglevel")),
		.logoutput = saved_text(saved, "logoutput"),
		.pidfile = saved_text(saved, "pidfile"),
		.umask = (int)json_integer_value(json_object_get(saved, "umask")),
		.curve_secret_key_file = saved_text(saved, "curve_secret_key_file"),
		.max_processes = (long)json_integer_value(json_object_get(saved, "max_processes")),
		.cgroup = saved_text(saved, "cgroup"),
		.operator_group = saved_text(saved, "operator_group"),
		.limits_may_be_ignored = json_is_true(json_object_get(saved,
								      "limits_may_be_ignored")),
		.orphans_stop = json_is_true(json_object_get(saved, "orphans_stop")),
		.orphans_adopt_piped = json_is_true(json_object_get(saved, "orphans_adopt_piped")),
	};
	if (n > 0) {
		d->curve_allowed_clients = xcalloc(n + 1, sizeof(char *));
		json_array_foreach(clients, i, k)
			d->curve_allowed_clients[i] = xstrdup(json_string_value(k) ?: "");
	}
}
