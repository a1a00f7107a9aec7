/* commands.c - the command table and its handlers (Circus's protocol, see shared PROTOCOL.md).
 *
 * A handler reads its properties, acts on the arbiter and answers at once, or, when the request
 * is `waiting`, hands the request to the operation's completion callback. Nothing is locked: an
 * operation on one watcher never makes a command on another fail. */
#include "commands.h"

#include "arbiter.h"
#include "events.h"
#include "log.h"
#include "parse.h"
#include "proc_info.h"
#include "stream.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*command_fn)(struct arbiter *a, struct request *req, json_t *props);

/* --- properties ------------------------------------------------------------------------------- */

static const char *prop_string(json_t *props, const char *key)
{
	return json_string_value(json_object_get(props, key));
}

static bool prop_bool(json_t *props, const char *key, bool fallback)
{
	json_t *v = json_object_get(props, key);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v)) {
		bool b;
		if (parse_bool(json_string_value(v), &b) == 0)
			return b;
	}
	return fallback;
}

/* An integer property given as a number or a numeric string. Returns -1 if present but bad. */
static int prop_int(json_t *props, const char *key, long fallback, long *out)
{
	json_t *v = json_object_get(props, key);

	if (v == NULL || json_is_null(v)) {
		*out = fallback;
		return 0;
	}
	if (json_is_integer(v)) {
		*out = (long)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && parse_long(json_string_value(v), out) == 0)
		return 0;
	return -1;
}

static bool waiting(json_t *props)
{
	return prop_bool(props, "waiting", false);
}

/* The watcher named by the required property "name", or an error reply and NULL. */
static struct watcher *need_watcher(struct arbiter *a, struct request *req, json_t *props)
{
	json_t *name = json_object_get(props, "name");
	struct watcher *w;

	if (name == NULL) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'name' is missing");
		return NULL;
	}
	if (!json_is_string(name)) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'name' must be a string");
		return NULL;
	}
	w = arbiter_find(a, json_string_value(name));
	if (w == NULL)
		control_error(req, CONTROL_EMESSAGE, "program %s not found", json_string_value(name));
	return w;
}

/* Watchers selected by name and match (simple, glob (default), regex). NULL name = all.
 * Returns the count (list in *out, malloc'd), or -1 after an error reply. */
static int select_watchers(struct arbiter *a, struct request *req, json_t *props,
			   struct watcher ***out)
{
	const char *name = prop_string(props, "name");
	const char *match = prop_string(props, "match");
	regex_t re;
	int n = 0, cap = 8;
	struct watcher **list;

	if (json_object_get(props, "name") && name == NULL) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'name' must be a string");
		return -1;
	}
	if (match == NULL)
		match = "glob";
	if (strcmp(match, "simple") && strcmp(match, "glob") && strcmp(match, "regex")) {
		control_error(req, CONTROL_EMESSAGE, "match must be simple, glob or regex, not '%s'",
			      match);
		return -1;
	}
	if (name && strcmp(match, "regex") == 0 && regcomp(&re, name, REG_EXTENDED | REG_NOSUB)) {
		control_error(req, CONTROL_EMESSAGE, "invalid regex '%s'", name);
		return -1;
	}
	list = malloc(sizeof(*list) * (size_t)cap);
	for (struct watcher *w = a->watchers; list && w; w = w->next) {
		bool hit = name == NULL ||
			   (strcmp(match, "simple") == 0 && strcmp(w->name, name) == 0) ||
			   (strcmp(match, "glob") == 0 && fnmatch(name, w->name, 0) == 0) ||
			   (strcmp(match, "regex") == 0 && regexec(&re, w->name, 0, NULL, 0) == 0);
		if (!hit)
			continue;
		if (n == cap) {
			struct watcher **grown = realloc(list, sizeof(*list) * (size_t)(cap *= 2));
			if (grown == NULL)
				break;
			list = grown;
		}
		list[n++] = w;
	}
	if (name && strcmp(match, "regex") == 0)
		regfree(&re);
	if (list == NULL) {
		control_error(req, CONTROL_EOS, "out of memory");
		return -1;
	}
	if (name && n == 0) {
		free(list);
		control_error(req, CONTROL_EMESSAGE, "program %s not found", name);
		return -1;
	}
	*out = list;
	return n;
}

static json_t *pids_of(const struct watcher *w)
{
	json_t *pids = json_array();

	for (const struct process *p = w->processes; p; p = p->next)
		if (p->pid > 0)
			json_array_append_new(pids, json_integer(p->pid));
	return pids;
}

/* PIDS minus the ones in EXCLUDE, as a new array. */
static json_t *pids_except(json_t *pids, json_t *exclude)
{
	json_t *out = json_array(), *pid, *other;
	size_t i, k;

	json_array_foreach(pids, i, pid) {
		bool found = false;
		json_array_foreach(exclude, k, other)
			found = found || json_integer_value(pid) == json_integer_value(other);
		if (!found)
			json_array_append(out, pid);
	}
	return out;
}

/* --- operations that may be waited for -------------------------------------------------------- */

enum op_kind { OP_START, OP_STOP, OP_RESTART, OP_RELOAD, OP_COUNT };

/* One operation over one or several watchers; answers REQ (if any) when the last one is done. */
struct op {
	struct request *req;          /* NULL when the reply was already sent */
	enum op_kind kind;
	int pending;                  /* watchers not done yet (+1 while launching) */
	bool single;                  /* one watcher by name: the reply carries `info` */
	bool failed;                  /* a watcher went away or gave up */
	json_t *before;               /* single: pids before the operation */
	json_t *stopped;              /* single restart: pids that were stopped */
};

static struct op *op_new(struct request *req, enum op_kind kind, bool single)
{
	struct op *op = calloc(1, sizeof(*op));

	if (op == NULL) {
		if (req)
			control_error(req, CONTROL_EOS, "out of memory");
		return NULL;
	}
	op->req = req;
	op->kind = kind;
	op->single = single;
	op->pending = 1;
	return op;
}

/* Circus's waiting replies: start -> {started, kept}; restart/reload -> {stopped, started, kept};
 * stop -> null; incr/decr -> numprocesses; several watchers -> plain ok. */
static void op_reply(struct op *op, struct watcher *w)
{
	json_t *info, *now;

	if (op->kind == OP_COUNT && w) {
		control_reply(op->req, json_pack("{s:i}", "numprocesses", w->numprocesses));
	} else if (!op->single || w == NULL) {
		control_reply(op->req, NULL);
	} else if (op->kind == OP_STOP) {
		control_reply(op->req, json_pack("{s:n}", "info"));
	} else {
		json_t *stopped = op->stopped ? op->stopped : json_array();
		now = pids_of(w);
		info = json_pack("{s:o, s:o}", "started", pids_except(now, op->before),
				 "kept", pids_except(op->before, stopped));
		if (op->kind != OP_START)
			json_object_set(info, "stopped", stopped);
		if (!op->stopped)
			json_decref(stopped);
		json_decref(now);
		control_reply(op->req, json_pack("{s:o}", "info", info));
	}
	op->req = NULL;
}

static void op_release(struct op *op, struct watcher *w)
{
	if (--op->pending > 0)
		return;
	if (op->req) {
		if (op->failed && op->kind != OP_STOP)
			control_error(op->req, CONTROL_ECOMMAND, "%s did not settle: a process gave up "
				      "(FATAL) or the watcher was removed",
				      op->single && w ? w->name : "some watchers");
		else
			op_reply(op, w);
	}
	json_decref(op->before);
	json_decref(op->stopped);
	free(op);
}

static void op_watcher_done(struct watcher *w, bool ok, void *arg)
{
	struct op *op = arg;

	if (!ok)
		op->failed = true;
	op_release(op, w);
}

/* Restart of one watcher: the stop is done, now start. */
static void op_restart_stopped(struct watcher *w, bool ok, void *arg)
{
	struct op *op = arg;

	if (!ok) {
		op->failed = true;
		op_release(op, w);
		return;
	}
	watcher_start(w, op_watcher_done, op);
}

static void op_launch(struct op *op, struct watcher *w)
{
	op->pending++;
	switch (op->kind) {
	case OP_START:
		watcher_start(w, op_watcher_done, op);
		break;
	case OP_STOP:
		watcher_stop(w, op_watcher_done, op);
		break;
	case OP_RESTART:
		if (op->single)
			op->stopped = pids_of(w);
		watcher_stop(w, op_restart_stopped, op);
		break;
	case OP_RELOAD:
		if (op->single)
			op->stopped = pids_of(w);
		watcher_reload(w, op_watcher_done, op);
		break;
	case OP_COUNT:
		op_release(op, w);
		break;
	}
}

/* start/stop/restart/reload of watchers selected by name, or of all of them. */
static void run_on_watchers(struct arbiter *a, struct request *req, json_t *props,
			    enum op_kind kind)
{
	struct watcher **list;
	bool wait = waiting(props);
	int n = select_watchers(a, req, props, &list);
	struct op *op;

	if (n < 0)
		return;
	op = op_new(wait ? req : NULL, kind, prop_string(props, "name") && n == 1);
	if (op == NULL) {
		free(list);
		if (!wait)
			control_reply(req, NULL);
		return;
	}
	if (op->single)
		op->before = pids_of(list[0]);
	for (int i = 0; i < n; i++)
		op_launch(op, list[i]);
	if (!wait)
		control_reply(req, NULL);
	op_release(op, n == 1 ? list[0] : NULL);
	free(list);
}

struct all_op {
	struct request *req;          /* NULL when not waiting */
	bool restart;                 /* stop all, re-read the file, start all */
};

static void all_started(struct arbiter *a, void *arg)
{
	struct all_op *op = arg;

	(void)a;
	if (op->req)
		control_reply(op->req, NULL);
	free(op);
}

static void all_stopped(struct arbiter *a, void *arg)
{
	struct all_op *op = arg;

	if (!op->restart) {
		all_started(a, op);
		return;
	}
	arbiter_reload(a);  /* a bad file keeps the running configuration, as for SIGHUP */
	if (arbiter_start_all(a, all_started, op) < 0)
		all_started(a, op);
}

/* start/stop/restart without a name: the whole arbiter, priority level by level. */
static bool run_on_all(struct arbiter *a, struct request *req, json_t *props, enum op_kind kind)
{
	struct all_op *op;
	int rc;

	if (json_object_get(props, "name") || (kind != OP_START && kind != OP_STOP &&
					       kind != OP_RESTART))
		return false;
	if (a->shutting_down) {
		control_error(req, CONTROL_ECOMMAND, "the daemon is shutting down");
		return true;
	}
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		control_error(req, CONTROL_EOS, "out of memory");
		return true;
	}
	op->req = waiting(props) ? req : NULL;
	op->restart = kind == OP_RESTART;
	if (kind == OP_START)
		rc = arbiter_start_all(a, all_started, op);
	else
		rc = arbiter_stop_all(a, all_stopped, op);
	if (rc < 0) {
		free(op);
		control_error(req, CONTROL_EOS, "out of memory");
	} else if (!waiting(props)) {
		control_reply(req, NULL);
	}
	return true;
}

static void cmd_start(struct arbiter *a, struct request *req, json_t *props)
{
	if (a->shutting_down) {
		control_error(req, CONTROL_ECOMMAND, "the daemon is shutting down");
		return;
	}
	if (!run_on_all(a, req, props, OP_START))
		run_on_watchers(a, req, props, OP_START);
}

static void cmd_stop(struct arbiter *a, struct request *req, json_t *props)
{
	if (!run_on_all(a, req, props, OP_STOP))
		run_on_watchers(a, req, props, OP_STOP);
}

static void cmd_restart(struct arbiter *a, struct request *req, json_t *props)
{
	if (a->shutting_down) {
		control_error(req, CONTROL_ECOMMAND, "the daemon is shutting down");
		return;
	}
	if (!run_on_all(a, req, props, OP_RESTART))
		run_on_watchers(a, req, props, OP_RESTART);
}

static void cmd_reload(struct arbiter *a, struct request *req, json_t *props)
{
	if (a->shutting_down) {
		control_error(req, CONTROL_ECOMMAND, "the daemon is shutting down");
		return;
	}
	/* graceful (default): new processes first; otherwise a plain restart. */
	run_on_watchers(a, req, props, prop_bool(props, "graceful", true) ? OP_RELOAD : OP_RESTART);
}

static void cmd_reloadconfig(struct arbiter *a, struct request *req, json_t *props)
{
	(void)props;
	if (arbiter_reload(a) < 0) {
		control_error(req, CONTROL_ECOMMAND, "reload failed, the running configuration is "
			      "kept (see the daemon's log for every error)");
		return;
	}
	control_reply(req, NULL);
}

/* cirque's extension: validate the file and say what a reloadconfig would change. */
static void cmd_reread(struct arbiter *a, struct request *req, json_t *props)
{
	struct config_errors errors = { 0 };
	struct config *config;
	json_t *changes;

	(void)props;
	if (config_load(a->config_path, &config, &errors) < 0) {
		json_t *list = json_array();
		for (int i = 0; i < errors.count; i++)
			json_array_append_new(list, json_string(errors.lines[i]));
		control_reply_raw(req, json_pack("{s:s, s:s, s:i, s:n, s:o}", "status", "error",
						 "reason", "the configuration has errors", "errno",
						 CONTROL_ECOMMAND, "tb", "errors", list));
		config_errors_free(&errors);
		return;
	}
	changes = json_object();
	for (int i = 0; i < config->nwatchers; i++) {
		struct watcher *w = arbiter_find(a, config->watchers[i]->name);
		if (w == NULL)
			json_object_set_new(changes, config->watchers[i]->name, json_string("added"));
		else if (!watcher_config_equal(w->config, config->watchers[i], false))
			json_object_set_new(changes, w->name, json_string("changed"));
	}
	for (struct watcher *w = a->watchers; w; w = w->next)
		if (config_find_watcher(config, w->name) == NULL)
			json_object_set_new(changes, w->name, json_string("removed"));
	config_free(config);
	control_reply(req, json_pack("{s:o}", "changes", changes));
}

static void change_count(struct arbiter *a, struct request *req, json_t *props, int sign)
{
	struct watcher *w = need_watcher(a, req, props);
	long nb;
	struct op *op;

	if (w == NULL)
		return;
	if (prop_int(props, "nb", 1, &nb) < 0 || nb < 0 || nb > 100000) {
		control_error(req, CONTROL_EMESSAGE, "nb must be a non-negative integer");
		return;
	}
	long target = w->numprocesses + sign * nb;
	if (target > 100000)
		target = 100000;
	watcher_set_numprocesses(w, (int)(target < 0 ? 0 : target));
	if (!waiting(props) || !w->wanted) {
		json_t *reply = json_pack("{s:i}", "numprocesses", w->numprocesses);
		if (w->config->singleton)
			json_object_set_new(reply, "singleton", json_true());
		control_reply(req, reply);
		return;
	}
	op = op_new(req, OP_COUNT, true);
	if (op == NULL)
		return;
	op->pending++;
	watcher_start(w, op_watcher_done, op);  /* wanted already: just waits until settled */
	op_release(op, w);
}

static void cmd_incr(struct arbiter *a, struct request *req, json_t *props)
{
	change_count(a, req, props, +1);
}

static void cmd_decr(struct arbiter *a, struct request *req, json_t *props)
{
	change_count(a, req, props, -1);
}

/* --- information ------------------------------------------------------------------------------ */

static int compare_names(const void *x, const void *y)
{
	return strcmp((*(struct watcher *const *)x)->name, (*(struct watcher *const *)y)->name);
}

/* Every watcher, sorted by name (malloc'd array, *n entries). */
static struct watcher **sorted_watchers(struct arbiter *a, int *n)
{
	struct watcher **list;
	int count = 0;

	for (struct watcher *w = a->watchers; w; w = w->next)
		count++;
	list = malloc(sizeof(*list) * (size_t)(count ? count : 1));
	if (list == NULL) {
		*n = 0;
		return NULL;
	}
	count = 0;
	for (struct watcher *w = a->watchers; w; w = w->next)
		list[count++] = w;
	qsort(list, (size_t)count, sizeof(*list), compare_names);
	*n = count;
	return list;
}

static void cmd_list(struct arbiter *a, struct request *req, json_t *props)
{
	int n;
	struct watcher **list;
	json_t *names;

	if (json_object_get(props, "name")) {
		struct watcher *w = need_watcher(a, req, props);
		if (w)
			control_reply(req, json_pack("{s:o}", "pids", pids_of(w)));
		return;
	}
	list = sorted_watchers(a, &n);
	names = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(names, json_string(list[i]->name));
	free(list);
	control_reply(req, json_pack("{s:o}", "watchers", names));
}

/* cirque's extension to status (properties.processes = true): each process's state. */
static json_t *process_details(const struct watcher *w, double now)
{
	json_t *out = json_array();

	for (const struct process *p = w->processes; p; p = p->next) {
		json_t *item = json_pack("{s:i, s:s, s:b}", "wid", p->wid, "state",
					 proc_state_name(p->state), "retiring", p->retiring);
		if (p->pid > 0) {
			json_object_set_new(item, "pid", json_integer(p->pid));
			json_object_set_new(item, "uptime", json_real(now - p->started_at));
		}
		if (p->last_status >= 0) {
			int st = p->last_status;
			json_object_set_new(item, "exit_code", json_integer(
				WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st)));
		}
		if (p->failures > 0)
			json_object_set_new(item, "failures", json_integer(p->failures));
		if (p->status)  /* what the program said with sd_notify STATUS= */
			json_object_set_new(item, "notify_status", json_string(p->status));
		json_array_append_new(out, item);
	}
	return out;
}

static void cmd_status(struct arbiter *a, struct request *req, json_t *props)
{
	bool details = prop_bool(props, "processes", false);
	double now = ev_now(a->loop);
	json_t *statuses, *processes;
	struct watcher **list;
	int n;

	if (json_object_get(props, "name")) {
		struct watcher *w = need_watcher(a, req, props);
		if (w == NULL)
			return;
		json_t *reply = json_pack("{s:s}", "status", watcher_status(w));
		if (details)
			json_object_set_new(reply, "processes", process_details(w, now));
		control_reply_raw(req, reply);  /* Circus's quirk: the state in `status` */
		return;
	}
	statuses = json_object();
	processes = json_object();
	list = sorted_watchers(a, &n);
	for (int i = 0; i < n; i++) {
		json_object_set_new(statuses, list[i]->name, json_string(watcher_status(list[i])));
		if (details)
			json_object_set_new(processes, list[i]->name, process_details(list[i], now));
	}
	free(list);
	json_t *reply = json_pack("{s:o}", "statuses", statuses);
	if (details)
		json_object_set_new(reply, "processes", processes);
	else
		json_decref(processes);
	control_reply(req, reply);
}

static void cmd_numprocesses(struct arbiter *a, struct request *req, json_t *props)
{
	int total = 0;

	if (json_object_get(props, "name")) {
		struct watcher *w = need_watcher(a, req, props);
		if (w)
			control_reply(req, json_pack("{s:i, s:s}", "numprocesses", w->numprocesses,
						     "watcher_name", w->name));
		return;
	}
	/* As Circus: without a name, the processes that exist (with one, the wanted count). */
	for (struct watcher *w = a->watchers; w; w = w->next)
		for (struct process *p = w->processes; p; p = p->next)
			total += p->pid > 0;
	control_reply(req, json_pack("{s:i}", "numprocesses", total));
}

static void cmd_numwatchers(struct arbiter *a, struct request *req, json_t *props)
{
	int n = 0;

	(void)props;
	for (struct watcher *w = a->watchers; w; w = w->next)
		n++;
	control_reply(req, json_pack("{s:i}", "numwatchers", n));
}

static json_t *watcher_options(const struct watcher *w)
{
	const struct watcher_config *c = w->config;
	json_t *env = json_object(), *args = json_array(), *o;

	for (char **e = c->env; e && *e; e++) {
		char *eq = strchr(*e, '=');
		if (eq) {
			char *name = strndup(*e, (size_t)(eq - *e));
			if (name)
				json_object_set_new(env, name, json_string(eq + 1));
			free(name);
		}
	}
	json_t *raw_args = json_object_get(c->raw, "args");
	if (raw_args)
		json_decref(args), args = json_deep_copy(raw_args);
	o = json_pack("{s:s, s:o, s:i, s:f, s:o, s:b, s:o, s:b, s:i, s:f, s:f, s:f, s:b, s:b, "
		      "s:b, s:i, s:b, s:i, s:b, s:s}",
		      "cmd", c->cmd, "args", args, "numprocesses", w->numprocesses,
		      "warmup_delay", c->warmup_delay,
		      "working_dir", c->working_dir ? json_string(c->working_dir) : json_null(),
		      "shell", c->shell, "env", env, "copy_env", c->copy_env,
		      "max_retry", c->max_retry, "graceful_timeout", c->graceful_timeout,
		      "max_age", c->max_age, "max_age_variance", c->max_age_variance,
		      "respawn", c->respawn, "singleton", c->singleton,
		      "stop_children", c->stop_children, "stop_signal", c->stop_signal,
		      "autostart", c->autostart, "priority", c->priority,
		      "use_sockets", 0, "name", c->name);
	json_object_set_new(o, "uid", c->set_ids ? json_integer(c->uid) : json_null());
	json_object_set_new(o, "gid", c->set_ids ? json_integer(c->gid) : json_null());
	json_object_set_new(o, "umask", c->umask >= 0 ? json_integer(c->umask) : json_null());
	for (int i = 0; i < c->nrlimits; i++) {
		char key[64];
		snprintf(key, sizeof(key), "rlimit_%s", rlimit_name(c->rlimits[i].resource));
		json_object_set_new(o, key, json_integer((json_int_t)c->rlimits[i].value));
	}
	return o;
}

static void cmd_options(struct arbiter *a, struct request *req, json_t *props)
{
	struct watcher *w = need_watcher(a, req, props);

	if (w)
		control_reply(req, json_pack("{s:o}", "options", watcher_options(w)));
}

static void cmd_get(struct arbiter *a, struct request *req, json_t *props)
{
	struct watcher *w = need_watcher(a, req, props);
	json_t *keys = json_object_get(props, "keys"), *key, *all, *out;
	size_t i;

	if (w == NULL)
		return;
	if (!json_is_array(keys)) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'keys' must be a list");
		return;
	}
	all = watcher_options(w);
	out = json_object();
	json_array_foreach(keys, i, key) {
		json_t *value = json_is_string(key) ? json_object_get(all, json_string_value(key)) : NULL;
		if (value == NULL) {
			json_decref(all);
			json_decref(out);
			control_error(req, CONTROL_EMESSAGE, "unknown option %s",
				      json_is_string(key) ? json_string_value(key) : "(not a string)");
			return;
		}
		json_object_set(out, json_string_value(key), value);
	}
	json_decref(all);
	control_reply(req, json_pack("{s:o}", "options", out));
}

static void cmd_globaloptions(struct arbiter *a, struct request *req, json_t *props)
{
	const struct daemon_config *d = &a->daemon;
	const char *option = prop_string(props, "option");
	json_t *all = json_pack("{s:s?, s:s?, s:s?, s:s, s:s?, s:s?, s:f, s:i}",
				"endpoint", a->control_endpoint,
				"pubsub_endpoint", a->pubsub_endpoint,
				"stats_endpoint", d->stats_endpoint,
				"loglevel", log_level_name(log_get_level()),
				"logoutput", d->logoutput, "pidfile", d->pidfile,
				"check_delay", 0.0, "numwatchers", 0);

	json_object_del(all, "numwatchers");
	if (option) {
		json_t *value = json_object_get(all, option);
		if (value == NULL) {
			json_decref(all);
			control_error(req, CONTROL_EMESSAGE, "unknown option %s", option);
			return;
		}
		json_t *one = json_object();
		json_object_set(one, option, value);
		json_decref(all);
		all = one;
	}
	control_reply(req, json_pack("{s:o}", "options", all));
}

/* --- changing the set of watchers ------------------------------------------------------------- */

/* Builds a watcher config from OPTIONS (raw JSON, as written in a config file) through the same
 * loader and validation as the file; on error answers REQ and returns NULL. */
static struct watcher_config *load_watcher_options(struct request *req, const char *name,
						   json_t *options)
{
	struct config_errors errors = { 0 };
	struct config *config;
	struct watcher_config *wc;
	json_t *doc = json_pack("{s:{s:O}}", "watchers", name, options);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text == NULL) {
		control_error(req, CONTROL_EOS, "out of memory");
		return NULL;
	}
	int rc = config_load_text("options", text, &config, &errors);
	free(text);
	if (rc < 0) {
		/* "options:1:34: watchers.web.numprocesses: must be ..." -> the part after the mark */
		const char *msg = errors.count ? errors.lines[0] : "invalid options";
		const char *tail = strstr(msg, ": watchers.");
		control_error(req, CONTROL_EMESSAGE, "%s", tail ? tail + 2 : msg);
		config_errors_free(&errors);
		return NULL;
	}
	wc = config->watchers[0];
	config->watchers[0] = NULL;
	config->nwatchers = 0;
	config_free(config);
	return wc;
}

/* Circus's option names that differ from the file's: rlimit_X -> rlimits.X. */
static void fold_option(json_t *raw, const char *key, json_t *value)
{
	if (strncmp(key, "rlimit_", 7) == 0) {
		json_t *limits = json_object_get(raw, "rlimits");
		if (!json_is_object(limits)) {
			limits = json_object();
			json_object_set_new(raw, "rlimits", limits);
		}
		char *text = json_is_string(value) ? strdup(json_string_value(value))
						   : json_dumps(value, JSON_ENCODE_ANY);
		json_object_set_new(limits, key + 7, json_string(text ? text : ""));
		free(text);
		return;
	}
	/* The file's loader reads every scalar as text: numbers and booleans are passed as such. */
	if (json_is_number(value) || json_is_boolean(value)) {
		char *text = json_dumps(value, JSON_ENCODE_ANY);
		json_object_set_new(raw, key, json_string(text ? text : ""));
		free(text);
		return;
	}
	json_object_set(raw, key, value);
}

static void cmd_set(struct arbiter *a, struct request *req, json_t *props)
{
	struct watcher *w = need_watcher(a, req, props);
	json_t *options = json_object_get(props, "options"), *raw, *value;
	struct watcher_config *wc;
	const char *key;

	if (w == NULL)
		return;
	if (!json_is_object(options)) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'options' must be an object");
		return;
	}
	raw = json_deep_copy(w->config->raw);
	json_object_foreach(options, key, value)
		fold_option(raw, key, value);
	if (json_object_get(options, "numprocesses") == NULL) {
		/* keep a count changed by incr/decr */
		char count[16];
		snprintf(count, sizeof(count), "%d", w->numprocesses);
		json_object_set_new(raw, "numprocesses", json_string(count));
	}
	wc = load_watcher_options(req, w->name, raw);
	json_decref(raw);
	if (wc == NULL)
		return;
	arbiter_change_watcher(a, w, wc);
	control_reply(req, NULL);
}

static void cmd_add(struct arbiter *a, struct request *req, json_t *props)
{
	const char *name = prop_string(props, "name"), *key;
	json_t *cmd = json_object_get(props, "cmd"), *options = json_object_get(props, "options");
	json_t *raw, *value;
	struct watcher_config *wc;
	struct watcher *w;

	if (name == NULL || !json_is_string(cmd)) {
		control_error(req, CONTROL_EMESSAGE, "message invalid '%s' is missing",
			      name == NULL ? "name" : "cmd");
		return;
	}
	if (arbiter_find(a, name)) {
		control_error(req, CONTROL_ECOMMAND, "watcher %s already exists", name);
		return;
	}
	if (options && !json_is_object(options)) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'options' must be an object");
		return;
	}
	raw = json_object();
	json_object_foreach(options, key, value)
		fold_option(raw, key, value);
	json_object_set(raw, "cmd", cmd);
	if (json_object_get(props, "args"))
		json_object_set(raw, "args", json_object_get(props, "args"));
	wc = load_watcher_options(req, name, raw);
	json_decref(raw);
	if (wc == NULL)
		return;
	w = arbiter_add_watcher(a, wc);
	if (w == NULL) {
		control_error(req, CONTROL_EOS, "out of memory");
		return;
	}
	events_publish_watcher(a->events, w->name, "add", NULL);
	if (prop_bool(props, "start", false) && !a->shutting_down)
		watcher_start(w, NULL, NULL);
	control_reply(req, NULL);
}

static void cmd_rm(struct arbiter *a, struct request *req, json_t *props)
{
	struct watcher *w = need_watcher(a, req, props);
	struct op *op;

	if (w == NULL)
		return;
	events_publish_watcher(a->events, w->name, "remove", NULL);
	if (!waiting(props)) {
		arbiter_remove_watcher(a, w);
		control_reply(req, NULL);
		return;
	}
	op = op_new(req, OP_STOP, true);
	if (op == NULL)
		return;
	op->pending++;
	/* The waiter is told when the watcher is freed, which is once it has stopped. */
	watcher_stop(w, op_watcher_done, op);
	arbiter_remove_watcher(a, w);
	op_release(op, NULL);
}

static bool signal_from_json(json_t *v, int *sig)
{
	if (json_is_integer(v)) {
		*sig = (int)json_integer_value(v);
		return *sig > 0 && *sig < NSIG;
	}
	return json_is_string(v) && (*sig = parse_signal(json_string_value(v))) > 0;
}

static void cmd_signal(struct arbiter *a, struct request *req, json_t *props)
{
	struct watcher *w = need_watcher(a, req, props);
	json_t *signum = json_object_get(props, "signum");
	bool group = prop_bool(props, "children", false) || prop_bool(props, "recursive", false);
	long pid;
	int sig;

	if (w == NULL)
		return;
	if (signum == NULL) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'signum' is missing");
		return;
	}
	if (!signal_from_json(signum, &sig)) {
		char *text = json_dumps(signum, JSON_ENCODE_ANY);
		control_error(req, CONTROL_EMESSAGE, "unknown signal %s", text ? text : "?");
		free(text);
		return;
	}
	if (prop_int(props, "pid", 0, &pid) < 0) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'pid' must be an integer");
		return;
	}
	if (pid != 0) {
		struct process *p = watcher_find_pid(w, (pid_t)pid);
		if (p == NULL) {
			control_error(req, CONTROL_EMESSAGE, "process %ld not found in %s", pid, w->name);
			return;
		}
		if (kill(group ? -p->pid : p->pid, sig) < 0) {
			control_error(req, CONTROL_EOS, "cannot signal %ld: %s", pid, strerror(errno));
			return;
		}
	} else {
		watcher_signal(w, sig, group);
	}
	log_info("watcher %s: sent SIG%s%s", w->name, signal_name(sig) ? signal_name(sig) : "?",
		 pid ? " to one process" : "");
	control_reply(req, NULL);
}

static void cmd_stats(struct arbiter *a, struct request *req, json_t *props)
{
	json_t *infos;
	long pid;

	if (json_object_get(props, "name")) {
		struct watcher *w = need_watcher(a, req, props);
		if (w == NULL)
			return;
		if (prop_int(props, "process", 0, &pid) < 0) {
			control_error(req, CONTROL_EMESSAGE, "message invalid 'process'");
			return;
		}
		if (pid) {
			if (watcher_find_pid(w, (pid_t)pid) == NULL) {
				control_error(req, CONTROL_EMESSAGE, "process %ld not found", pid);
				return;
			}
			control_reply(req, json_pack("{s:s, s:i, s:o}", "name", w->name, "process",
						     (int)pid, "info", proc_info((pid_t)pid)));
			return;
		}
		infos = json_object();
		for (struct process *p = w->processes; p; p = p->next)
			if (p->pid > 0) {
				char key[16];
				snprintf(key, sizeof(key), "%d", (int)p->pid);
				json_object_set_new(infos, key, proc_info(p->pid));
			}
		control_reply(req, json_pack("{s:s, s:o}", "name", w->name, "info", infos));
		return;
	}
	infos = json_object();
	for (struct watcher *w = a->watchers; w; w = w->next) {
		json_t *one = json_object();
		for (struct process *p = w->processes; p; p = p->next)
			if (p->pid > 0) {
				char key[16];
				snprintf(key, sizeof(key), "%d", (int)p->pid);
				json_object_set_new(one, key, proc_info(p->pid));
			}
		json_object_set_new(infos, w->name, one);
	}
	control_reply(req, json_pack("{s:o}", "infos", infos));
}

static void cmd_dstats(struct arbiter *a, struct request *req, json_t *props)
{
	(void)a;
	(void)props;
	control_reply(req, json_pack("{s:o}", "info", proc_info(getpid())));
}

/* cirque's extension: the last lines of a watcher's output. Properties: name, wid (0: all),
 * stream ("stdout" or "stderr"), lines (10). */
static void cmd_tail(struct arbiter *a, struct request *req, json_t *props)
{
	struct watcher *w = need_watcher(a, req, props);
	const char *stream = prop_string(props, "stream");
	long wid, n;
	json_t *lines;

	if (w == NULL)
		return;
	if (stream && strcmp(stream, "stdout") && strcmp(stream, "stderr")) {
		control_error(req, CONTROL_EMESSAGE, "stream must be stdout or stderr");
		return;
	}
	if (prop_int(props, "wid", 0, &wid) < 0 || wid < 0 || prop_int(props, "lines", 10, &n) < 0 ||
	    n < 0) {
		control_error(req, CONTROL_EMESSAGE, "wid and lines must be non-negative integers");
		return;
	}
	bool err = stream && strcmp(stream, "stderr") == 0;
	lines = streams_tail(w->config, (int)wid, err, n > 100000 ? 100000 : (int)n);
	if (lines == NULL) {
		control_error(req, CONTROL_ECOMMAND, "%s does not capture its %s (%s: null)", w->name,
			      err ? "stderr" : "stdout", err ? "stderr" : "stdout");
		return;
	}
	/* A merged stderr travels with stdout (also on the PUB topic): say where to follow it. */
	bool merged = err && w->config->streams[1].kind == STREAM_MERGE;
	control_reply(req, json_pack("{s:o, s:s}", "lines", lines, "stream",
				     err && !merged ? "stderr" : "stdout"));
}

static void cmd_reopen(struct arbiter *a, struct request *req, json_t *props)
{
	(void)a;
	(void)props;
	log_info("reopening log files (reopen command)");
	streams_reopen();
	control_reply(req, NULL);
}

static void cmd_listsockets(struct arbiter *a, struct request *req, json_t *props)
{
	(void)a;
	(void)props;
	control_reply(req, json_pack("{s:[]}", "sockets"));
}

/* Circus's kill: signal processes (the watcher's stop_signal unless signum is given), SIGKILL
 * those still alive after graceful_timeout, answer once they have all exited. The watcher then
 * respawns them as for any death. */
struct kill_job {
	struct kill_job *next;
	struct arbiter *arbiter;
	struct request *req;
	char *watcher;                /* looked up again: the watcher may go meanwhile */
	pid_t *pids;
	int npids;
	ev_timer grace;
};

static struct kill_job *kill_jobs;

static void kill_job_finish(struct kill_job *job)
{
	for (struct kill_job **link = &kill_jobs; *link; link = &(*link)->next) {
		if (*link == job) {
			*link = job->next;
			break;
		}
	}
	ev_timer_stop(job->arbiter->loop, &job->grace);
	if (job->req)
		control_reply(job->req, NULL);
	free(job->watcher);
	free(job->pids);
	free(job);
}

static void on_kill_grace(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct kill_job *job = t->data;
	struct watcher *w = arbiter_find(job->arbiter, job->watcher);

	(void)loop;
	(void)revents;
	for (int i = 0; w && i < job->npids; i++) {
		struct process *p = watcher_find_pid(w, job->pids[i]);
		if (p) {
			log_warn("watcher %s[%d]: pid %d outlived the kill's graceful_timeout, sending "
				 "SIGKILL", w->name, p->wid, (int)p->pid);
			kill(w->config->stop_children ? -p->pid : p->pid, SIGKILL);
		}
	}
	if (w == NULL)
		kill_job_finish(job);
}

void commands_on_reap(pid_t pid)
{
	for (struct kill_job *job = kill_jobs, *next; job; job = next) {
		next = job->next;
		for (int i = 0; i < job->npids; i++) {
			if (job->pids[i] == pid) {
				job->pids[i] = job->pids[--job->npids];
				break;
			}
		}
		if (job->npids == 0)
			kill_job_finish(job);
	}
}

static void cmd_kill(struct arbiter *a, struct request *req, json_t *props)
{
	struct watcher *w = need_watcher(a, req, props);
	json_t *signum = json_object_get(props, "signum"), *grace_prop;
	double grace;
	long pid;
	int sig, n = 0;
	struct kill_job *job;

	if (w == NULL)
		return;
	sig = w->config->stop_signal;
	if (signum && !signal_from_json(signum, &sig)) {
		control_error(req, CONTROL_EMESSAGE, "signal invalid");
		return;
	}
	grace = w->config->graceful_timeout;
	grace_prop = json_object_get(props, "graceful_timeout");
	if (json_is_number(grace_prop))
		grace = json_number_value(grace_prop);
	else if (json_is_string(grace_prop) &&
		 parse_duration(json_string_value(grace_prop), &grace) < 0) {
		control_error(req, CONTROL_EMESSAGE, "graceful_timeout invalid");
		return;
	}
	if (prop_int(props, "pid", 0, &pid) < 0) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'pid' must be an integer");
		return;
	}
	job = calloc(1, sizeof(*job));
	if (job)
		job->pids = calloc((size_t)w->nprocesses + 1, sizeof(pid_t));
	if (job == NULL || job->pids == NULL) {
		free(job);
		control_error(req, CONTROL_EOS, "out of memory");
		return;
	}
	for (struct process *p = w->processes; p; p = p->next) {
		if (p->pid <= 0 || (pid && p->pid != pid))
			continue;
		if (kill(w->config->stop_children ? -p->pid : p->pid, sig) == 0)
			job->pids[n++] = p->pid;
	}
	if (pid && n == 0) {
		free(job->pids);
		free(job);
		control_error(req, CONTROL_EMESSAGE, "process %ld not found in %s", pid, w->name);
		return;
	}
	log_info("watcher %s: kill: SIG%s to %d process%s", w->name,
		 signal_name(sig) ? signal_name(sig) : "?", n, n == 1 ? "" : "es");
	job->arbiter = a;
	job->req = req;
	job->watcher = strdup(w->name);
	job->npids = n;
	ev_timer_init(&job->grace, on_kill_grace, grace, 0);
	job->grace.data = job;
	job->next = kill_jobs;
	kill_jobs = job;
	if (n == 0) {
		kill_job_finish(job);
		return;
	}
	ev_timer_start(a->loop, &job->grace);
}

/* Waiting quit requests, answered when every process is gone. */
static struct request *quit_waiters[16];
static int nquit_waiters;

static void cmd_quit(struct arbiter *a, struct request *req, json_t *props)
{
	if (waiting(props) && nquit_waiters < (int)(sizeof(quit_waiters) / sizeof(quit_waiters[0])))
		quit_waiters[nquit_waiters++] = req;
	else
		control_reply(req, NULL);
	arbiter_shutdown(a, false);
}

void commands_shutdown_complete(void)
{
	while (kill_jobs)
		kill_job_finish(kill_jobs);
	for (int i = 0; i < nquit_waiters; i++)
		control_reply(quit_waiters[i], NULL);
	nquit_waiters = 0;
}

static const struct command {
	const char *name;
	command_fn run;
} commands[] = {
	{ "add", cmd_add },
	{ "decr", cmd_decr },
	{ "dstats", cmd_dstats },
	{ "get", cmd_get },
	{ "globaloptions", cmd_globaloptions },
	{ "incr", cmd_incr },
	{ "kill", cmd_kill },
	{ "list", cmd_list },
	{ "listsockets", cmd_listsockets },
	{ "numprocesses", cmd_numprocesses },
	{ "numwatchers", cmd_numwatchers },
	{ "options", cmd_options },
	{ "quit", cmd_quit },
	{ "reload", cmd_reload },
	{ "reloadconfig", cmd_reloadconfig },
	{ "reopen", cmd_reopen },
	{ "reread", cmd_reread },
	{ "restart", cmd_restart },
	{ "rm", cmd_rm },
	{ "set", cmd_set },
	{ "signal", cmd_signal },
	{ "start", cmd_start },
	{ "stats", cmd_stats },
	{ "status", cmd_status },
	{ "stop", cmd_stop },
	{ "tail", cmd_tail },
};

void commands_handle(struct request *req, json_t *message, void *arg)
{
	struct arbiter *a = arg;
	json_t *command = json_object_get(message, "command");
	json_t *props = json_object_get(message, "properties");
	json_t *empty = NULL;

	if (!json_is_string(command)) {
		control_error(req, CONTROL_EMESSAGE, "message invalid 'command' is missing");
		return;
	}
	if (props != NULL && !json_is_object(props) && !json_is_null(props)) {
		control_error(req, CONTROL_EBADDATA, "message invalid 'properties' must be an object");
		return;
	}
	if (!json_is_object(props))
		props = empty = json_object();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcasecmp(commands[i].name, json_string_value(command)) == 0) {
			log_debug("control: %s", commands[i].name);
			commands[i].run(a, req, props);
			json_decref(empty);
			return;
		}
	}
	json_decref(empty);
	control_error(req, CONTROL_EUNKNOWNCOMMAND, "unknown command: '%s'",
		      json_string_value(command));
}
