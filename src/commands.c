/* commands.c - request dispatch over the command table (commands.def) and what handlers share
 * (Circus's protocol, see shared PROTOCOL.md). The handlers live in cmd_lifecycle.c, cmd_info.c
 * and cmd_config.c.
 *
 * The dispatcher makes the checks a command's row asks for (not while shutting down, the watcher
 * named, a required property), then calls its handler. A handler reads its other properties,
 * acts on the arbiter and answers at once, or, when the request is `waiting`, hands the request
 * to the operation's completion callback. Nothing is locked: an operation on one watcher never
 * makes a command on another fail. */
#include "commands.h"
#include "reexec.h"
#include "cmd.h"

#include "arbiter.h"
#include "events.h"
#include "log.h"
#include "parse.h"
#include "proc_info.h"
#include "stream.h"
#include "xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fnmatch.h>
#include <regex.h>

/* --- properties and selections, shared by the cmd_*.c handlers --------------------------------- */

const char *prop_string(json_t *props, const char *key)
{
	return json_string_value(json_object_get(props, key));
}

bool prop_bool(json_t *props, const char *key, bool fallback)
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
int prop_int(json_t *props, const char *key, long fallback, long *out)
{
	json_t *v = json_object_get(props, key);

	if (v == NULL || json_is_null(v)) {
		*out = fallback;
		return 0;
	}
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < LONG_MIN || n > LONG_MAX)  /* where long is 32 bits */
			return -1;
		*out = (long)n;
		return 0;
	}
	if (json_is_string(v) && parse_long(json_string_value(v), out) == 0)
		return 0;
	return -1;
}

bool waiting(json_t *props)
{
	return prop_bool(props, "waiting", false);
}

void reply_invalid(struct request *req, const char *key, enum invalid_why why)
{
	static const char *const whys[] = {
		[INVALID_MISSING] = " is missing", [INVALID_NOT_STRING] = " must be a string",
		[INVALID_NOT_LIST] = " must be a list", [INVALID_NOT_OBJECT] = " must be an object",
		[INVALID_NOT_INTEGER] = " must be an integer", [INVALID_UNSPECIFIED] = "",
	};

	control_error(req, CONTROL_EMESSAGE, "message invalid '%s'%s", key, whys[why]);
}

/* The watcher named by the required property "name", or an error reply and NULL. */
static struct watcher *need_watcher(struct arbiter *a, struct request *req, json_t *props)
{
	json_t *name = json_object_get(props, "name");
	struct watcher *w;

	if (name == NULL) {
		reply_invalid(req, "name", INVALID_MISSING);
		return NULL;
	}
	if (!json_is_string(name)) {
		reply_invalid(req, "name", INVALID_NOT_STRING);
		return NULL;
	}
	w = arbiter_find(a, json_string_value(name));
	if (w == NULL)
		control_fail(req, REPLY_ENOENT, "program %s not found", json_string_value(name));
	return w;
}

/* Watchers selected by name and match (simple, glob (default), regex), ignoring case as every
 * watcher name does. NULL name = all.
 * Returns the count (list in *out, malloc'd), or -1 after an error reply. */
int select_watchers(struct arbiter *a, struct request *req, json_t *props,
			   struct watcher ***out)
{
	const char *name = prop_string(props, "name");
	const char *match = prop_string(props, "match");
	regex_t re;
	int n = 0, cap = 8;
	struct watcher **list;

	if (json_object_get(props, "name") && name == NULL) {
		reply_invalid(req, "name", INVALID_NOT_STRING);
		return -1;
	}
	if (match == NULL)
		match = "glob";
	if (strcmp(match, "simple") && strcmp(match, "glob") && strcmp(match, "regex")) {
		control_error(req, CONTROL_EMESSAGE, "match must be simple, glob or regex, not '%s'",
			      match);
		return -1;
	}
	if (name && strcmp(match, "regex") == 0 &&
	    regcomp(&re, name, REG_EXTENDED | REG_NOSUB | REG_ICASE)) {
		control_error(req, CONTROL_EMESSAGE, "invalid regex '%s'", name);
		return -1;
	}
	list = xmalloc(sizeof(*list) * (size_t)cap);
	for (struct watcher *w = a->watchers; w; w = w->next) {
		bool hit = name == NULL ||
			   (strcmp(match, "simple") == 0 && strcasecmp(w->name, name) == 0) ||
			   (strcmp(match, "glob") == 0 && fnmatch(name, w->name, FNM_CASEFOLD) == 0) ||
			   (strcmp(match, "regex") == 0 && regexec(&re, w->name, 0, NULL, 0) == 0);
		if (!hit)
			continue;
		if (n == cap)
			list = xreallocarray(list, (size_t)(cap *= 2), sizeof(*list));
		list[n++] = w;
	}
	if (name && strcmp(match, "regex") == 0)
		regfree(&re);
	if (name && n == 0) {
		free(list);
		control_fail(req, REPLY_ENOENT, "program %s not found", name);
		return -1;
	}
	*out = list;
	return n;
}

int prop_slot(struct request *req, json_t *props, struct watcher *w, int *wid)
{
	long n;

	if (json_object_get(props, "wid") == NULL)
		return 0;
	if (prop_int(props, "wid", 0, &n) < 0) {
		reply_invalid(req, "wid", INVALID_NOT_INTEGER);
		return -1;
	}
	if (n < 1 || n > w->numprocesses) {
		control_fail(req, REPLY_ESRCH, "process %s:%ld not found (%s has %d)", w->name, n,
			     w->name, w->numprocesses);
		return -1;
	}
	*wid = (int)n;
	return 1;
}

int select_slot(struct arbiter *a, struct request *req, json_t *props, struct watcher **w,
		int *wid)
{
	if (json_object_get(props, "wid") == NULL)
		return 0;
	*w = need_watcher(a, req, props);
	return *w ? prop_slot(req, props, *w, wid) : -1;
}

int slot_pid(struct request *req, json_t *props, struct watcher *w, long *pid)
{
	struct process *p;
	int wid, rc = prop_slot(req, props, w, &wid);

	if (rc <= 0)
		return rc;
	p = watcher_find_wid(w, wid);
	if (p == NULL || p->pid <= 0) {
		control_fail(req, REPLY_EFAIL, "process %s:%d is not running", w->name, wid);
		return -1;
	}
	*pid = p->pid;
	return 1;
}

struct process *find_process(struct watcher *w, long pid)
{
	return pid > 0 && pid <= INT_MAX ? watcher_find_pid(w, (pid_t)pid) : NULL;
}

json_t *pids_of(const struct watcher *w)
{
	json_t *pids = json_array();

	for (const struct process *p = w->processes; p; p = p->next)
		if (p->pid > 0)
			json_array_append_new(pids, json_integer(p->pid));
	return pids;
}

/* PIDS minus the ones in EXCLUDE, as a new array. */
json_t *pids_except(json_t *pids, json_t *exclude)
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

bool signal_from_json(json_t *v, int *sig)
{
	if (json_is_integer(v)) {
		/* Checked before the cast: (int)4294967305 would be 9, SIGKILL. */
		if (!signal_number_valid(json_integer_value(v)))
			return false;
		*sig = (int)json_integer_value(v);
		return true;
	}
	return json_is_string(v) && (*sig = parse_signal(json_string_value(v))) > 0;
}

bool within_max_processes(struct arbiter *a, struct request *req, const struct watcher *w,
			  const char *name, long n)
{
	long max = daemon_max_processes(&a->daemon), total = arbiter_processes_with(a, w, n);

	if (total <= max || (w && n <= w->numprocesses))  /* fewer is always fine */
		return true;
	char why[512];
	const char *default_why = daemon_max_processes_why(&a->daemon, total, why, sizeof(why));
	control_fail(req, REPLY_EINVAL, "%s: %ld processes would make %ld in all, more than "
		     "max_processes %ld%s", name, n, total, max, *default_why ? default_why :
		     " (cirque.max_processes in the configuration file raises it)");
	return false;
}

/* Waiting quit requests, answered when every process is gone. */
static struct request *quit_waiters[16];
static int nquit_waiters;

void cmd_quit(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)w;
	if (waiting(props) && nquit_waiters < (int)(sizeof(quit_waiters) / sizeof(quit_waiters[0])))
		quit_waiters[nquit_waiters++] = req;
	else
		control_ok(req);
	arbiter_shutdown(a, false);
}

/* reexec: the binary on disk takes over, keeping every process (reexec.h); with "check": true,
 * only whether it could. */
void cmd_reexec(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)a;
	(void)w;
	if (prop_bool(props, "status", false))
		control_reply(req, reexec_status());
	else
		reexec_begin(req, prop_bool(props, "check", false));
}

void commands_shutdown_complete(void)
{
	for (int i = 0; i < nquit_waiters; i++)
		control_ok(quit_waiters[i]);
	nquit_waiters = 0;
}

static const struct command {
	const char *name;
	command_fn run;
	unsigned flags;               /* enum command_flags */
	const char *prop;             /* required besides name, or NULL */
	enum prop_type prop_type;
} commands[] = {
#define CMD(name, flags, prop, prop_type, verb, cli, min, max, usage, help) \
	{ #name, cmd_##name, flags, prop, prop_type },
#define VERB(verb, cli, min, max, usage, help)
#include "commands.def"
#undef CMD
#undef VERB
};

/* A required property of type TYPE: missing (PROP_ANY), or not of that type. */
static bool prop_valid(struct request *req, const char *key, enum prop_type type, json_t *value)
{
	if (type == PROP_ANY && value == NULL)
		reply_invalid(req, key, INVALID_MISSING);
	else if (type == PROP_LIST && !json_is_array(value))
		reply_invalid(req, key, INVALID_NOT_LIST);
	else if (type == PROP_OBJECT && !json_is_object(value))
		reply_invalid(req, key, INVALID_NOT_OBJECT);
	else
		return true;
	return false;
}

/* The checks of CMD's row, in this order; false after an error reply. */
static bool command_checks(const struct command *cmd, struct arbiter *a, struct request *req,
			   json_t *props, struct watcher **w)
{
	*w = NULL;
	if (control_is_limited(req->control) && !(cmd->flags & CMD_OPERATOR)) {
		control_fail(req, REPLY_EFAIL, "%s is not allowed on the operator socket (only "
			     "status, start, stop, restart, signal... of the watchers configured)",
			     cmd->name);
		return false;
	}
	if ((cmd->flags & CMD_NOT_SHUTTING_DOWN) && a->shutting_down) {
		control_fail(req, REPLY_ESHUTDOWN, "the daemon is shutting down");
		return false;
	}
	if (((cmd->flags & CMD_WATCHER) ||
	     ((cmd->flags & CMD_WATCHER_IF_NAMED) && json_object_get(props, "name"))) &&
	    (*w = need_watcher(a, req, props)) == NULL)
		return false;
	return cmd->prop == NULL ||
	       prop_valid(req, cmd->prop, cmd->prop_type, json_object_get(props, cmd->prop));
}

void commands_handle(struct request *req, json_t *message, void *arg)
{
	struct arbiter *a = arg;
	json_t *command = json_object_get(message, "command");
	json_t *props = json_object_get(message, "properties");
	json_t *empty = NULL;
	struct watcher *w;

	if (!json_is_string(command)) {
		reply_invalid(req, "command", INVALID_MISSING);
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
			req->command = commands[i].name;
			if (command_checks(&commands[i], a, req, props, &w))
				commands[i].run(a, req, props, w);
			json_decref(empty);
			return;
		}
	}
	json_decref(empty);
	control_error(req, CONTROL_EUNKNOWNCOMMAND, "unknown command: '%s'",
		      json_string_value(command));
}
