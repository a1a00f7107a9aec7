/* cmd_config.c - commands that change the configuration or talk to processes: reloadconfig,
 * reread, set, add, signal, reopen. Changed definitions go through the file's own loader. */
#include "cmd.h"

#include "arbiter.h"
#include "events.h"
#include "log.h"
#include "sockets.h"
#include "parse.h"
#include "proc_info.h"
#include "stream.h"
#include "watcher_options.h"
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

void cmd_reloadconfig(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)w;
	(void)props;
	if (arbiter_reload(a) < 0) {
		control_error(req, CONTROL_ECOMMAND, "reload failed, the running configuration is "
			      "kept (see the daemon's log for every error)");
		return;
	}
	control_ok(req);
}

/* A configuration that does not load: every error, each "file:line:col: ...", in "errors". */
static void reply_config_errors(struct request *req, struct config_errors *errors)
{
	json_t *list = json_array();

	for (int i = 0; i < errors->count; i++)
		json_array_append_new(list, json_string(errors->lines[i]));
	control_reply_raw(req, json_pack("{s:s, s:s, s:i, s:s, s:n, s:o}", "status", "error",
					 "reason", "the configuration has errors", "errno",
					 CONTROL_ECOMMAND, "code", reply_code_name(REPLY_EFAIL), "tb",
					 "errors", list));
	config_errors_free(errors);
}

/* A reload applies WC to W only when the file's definition changed since it was last loaded,
 * and that changes something when WC differs from what runs (run-time changes included). */
static bool reload_would_change(struct arbiter *a, struct watcher *w,
				const struct watcher_config *wc)
{
	return arbiter_file_changed(a, wc) &&
	       (!watcher_config_equal(w->config, wc, true) || w->numprocesses != wc->numprocesses);
}

/* cirque's extension: validate the file and say what a reloadconfig would change; "undone"
 * names, for each changed watcher, the options changed at run time that the file overrides. */
void cmd_reread(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	struct config_errors errors = { 0 };
	struct config *config;
	json_t *changes, *undone, *kept;

	(void)props;
	(void)w;
	if (config_load(a->config_path, &config, &errors) < 0) {
		reply_config_errors(req, &errors);
		return;
	}
	changes = json_object();
	undone = json_object();
	kept = json_object();  /* run-time changes a reload keeps (the file did not change) */
	for (int i = 0; i < config->nwatchers; i++) {
		struct watcher_config *wc = config->watchers[i];
		struct watcher *w = arbiter_find(a, wc->name);
		if (w == NULL) {
			json_object_set_new(changes, wc->name, json_string("added"));
			continue;
		}
		bool changed = reload_would_change(a, w, wc);
		json_t *runtime = arbiter_runtime_changes(a, w, wc);
		if (changed)
			json_object_set_new(changes, w->name, json_string("changed"));
		if (json_array_size(runtime) > 0)
			json_object_set(changed ? undone : kept, w->name, runtime);
		json_decref(runtime);
	}
	for (struct watcher *w = a->watchers; w; w = w->next)
		if (config_find_watcher(config, w->name) == NULL)
			json_object_set_new(changes, w->name, json_string("removed"));
	config_free(config);
	control_reply(req, json_pack("{s:o, s:o, s:o}", "changes", changes, "undone", undone,
				     "kept", kept));
}

/* The options of RUNNING and WC whose raw values (as written) differ, sorted; the count too when
 * the running one differs (incr/decr included). */
static json_t *changed_options(const struct watcher *running, const struct watcher_config *wc)
{
	json_t *now = running->config->raw, *list = json_array(), *value;
	const char *key;

	json_object_foreach(now, key, value)
		if (strcmp(key, "numprocesses") != 0 && !json_equal(value, json_object_get(wc->raw, key)))
			json_array_append_new(list, json_string(key));
	json_object_foreach(wc->raw, key, value)
		if (strcmp(key, "numprocesses") != 0 && json_object_get(now, key) == NULL)
			json_array_append_new(list, json_string(key));
	if (running->numprocesses != wc->numprocesses)
		json_array_append_new(list, json_string("numprocesses"));
	return list;
}

/* cirque's extension: how TEXT, a whole configuration file that cirquectl read, would change
 * the running watchers. The comparison is the daemon's, since only it has the loader and what
 * runs (run-time changes included); it is given the text, never a path it would open with its
 * privileges, and the text's includes are not read (config_load_string). Nothing changes. */
void cmd_diff(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	struct config_errors errors = { 0 };
	struct config *config;
	json_t *text = json_object_get(props, "text"), *changes, *options;

	(void)w;
	if (!json_is_string(text)) {
		reply_invalid(req, "text", INVALID_NOT_STRING);
		return;
	}
	if (config_load_string("FILE", json_string_value(text), json_string_length(text), &config,
			       &errors) < 0) {
		reply_config_errors(req, &errors);
		return;
	}
	changes = json_object();
	options = json_object();
	for (int i = 0; i < config->nwatchers; i++) {
		struct watcher_config *wc = config->watchers[i];
		struct watcher *running = arbiter_find(a, wc->name);
		if (running == NULL || running->removing) {
			json_object_set_new(changes, wc->name, json_string("added"));
		} else if (!watcher_config_equal(running->config, wc, true) ||
			   running->numprocesses != wc->numprocesses) {
			json_object_set_new(changes, running->name, json_string("changed"));
			json_object_set_new(options, running->name, changed_options(running, wc));
		}
	}
	for (struct watcher *r = a->watchers; r; r = r->next)
		if (!r->removing && config_find_watcher(config, r->name) == NULL)
			json_object_set_new(changes, r->name, json_string("removed"));
	json_t *sockets = sockets_compare(config->sockets, config->nsockets);
	config_free(config);
	control_reply(req, json_pack("{s:o, s:o, s:o}", "changes", changes, "options", options,
				     "sockets", sockets));
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
		/* "options:1:34: watchers.web.numprocesses: must be ..." (or "watchers: invalid
		 * watcher name ...") -> the part after the mark */
		const char *msg = errors.count ? errors.lines[0] : "invalid options";
		const char *tail = strstr(msg, ": watchers");
		control_error(req, CONTROL_EMESSAGE, "%s", tail ? tail + 2 : msg);
		config_errors_free(&errors);
		return NULL;
	}
	wc = config->watchers[0];
	config->watchers[0] = NULL;
	config->nwatchers = 0;
	config_free(config);
	char problem[256];
	if (sockets_check_watcher(wc, problem, sizeof(problem)) < 0) {
		control_error(req, CONTROL_EMESSAGE, "watchers.%s.%s", name, problem);
		watcher_config_free(wc);
		return NULL;
	}
	return wc;
}

/* WC's depends_on and restart_with name running watchers and make no cycle with theirs; if not,
 * REQ is answered, WC freed, and false returned. */
static bool dependencies_valid(struct arbiter *a, struct request *req, struct watcher_config *wc)
{
	char problem[512];

	if (arbiter_check_dependencies(a, wc, problem, sizeof(problem)) == 0)
		return true;
	control_error(req, CONTROL_EMESSAGE, "%s", problem);
	watcher_config_free(wc);
	return false;
}

/* Circus's names that differ from the file's (the table's aliases): rlimit_X -> rlimits.X. */
static void fold_option(json_t *raw, const char *key, json_t *value)
{
	const char *entry;
	const struct watcher_option *alias = watcher_option_alias(key, &entry);

	if (alias) {
		json_object_del(raw, key);  /* written flat in the file: it moves into the mapping */
		json_t *map = json_object_get(raw, alias->key);
		if (!json_is_object(map)) {
			map = json_object();
			json_object_set_new(raw, alias->key, map);
		}
		char *text = json_is_string(value) ? xstrdup(json_string_value(value))
						   : json_dumps(value, JSON_ENCODE_ANY);
		json_object_set_new(map, entry, json_string(text ? text : ""));
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

/* Circus's names and cirque's for one setting: the one being set replaces the other as it was
 * written, or setting respawn on a watcher with restart: on-failure would contradict it (and
 * stdout: with close_child_stdout: true be refused). */
static void drop_replaced_synonym(json_t *raw, json_t *options)
{
	static const char *const pairs[][2] = {
		{ "respawn", "restart" }, { "close_child_stdout", "stdout" },
		{ "close_child_stderr", "stderr" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		bool first = json_object_get(options, pairs[i][0]) != NULL;
		bool second = json_object_get(options, pairs[i][1]) != NULL;
		if (first && !second)
			json_object_del(raw, pairs[i][1]);
		else if (second && !first)
			json_object_del(raw, pairs[i][0]);
	}
	/* rlimits set whole replaces the rlimit_X written flat in the file */
	if (json_object_get(options, "rlimits")) {
		const char *key;
		json_t *value;
		void *tmp;
		json_object_foreach_safe(raw, tmp, key, value)
			if (strncmp(key, "rlimit_", 7) == 0)
				json_object_del(raw, key);
	}
}

void cmd_set(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	json_t *options = json_object_get(props, "options"), *raw, *value;
	struct watcher_config *wc;
	const char *key;

	raw = json_deep_copy(w->config->raw);
	json_object_foreach(options, key, value)
		fold_option(raw, key, value);
	drop_replaced_synonym(raw, options);
	if (json_object_get(options, "numprocesses") == NULL) {
		/* keep a count changed by incr/decr */
		char count[16];
		snprintf(count, sizeof(count), "%d", w->numprocesses);
		json_object_set_new(raw, "numprocesses", json_string(count));
	}
	wc = load_watcher_options(req, w->name, raw);
	json_decref(raw);
	if (wc == NULL || !dependencies_valid(a, req, wc))
		return;
	if (!within_max_processes(a, req, w, w->name, wc->numprocesses)) {
		watcher_config_free(wc);
		return;
	}
	/* Circus publishes "updated" for every set; a change publishes it on its own. */
	if (watcher_config_equal(w->config, wc, true) && wc->numprocesses == w->numprocesses)
		events_publish_watcher(a->events, w->name, "updated", NULL);
	arbiter_change_watcher(a, w, wc);
	control_ok(req);
}

/* A waiting add with start: answered once the new watcher's processes are up. */
static void added_and_started(struct watcher *w, enum watcher_outcome outcome, void *arg)
{
	struct request *req = arg;

	if (outcome == WATCHER_DONE)
		control_ok(req);
	else
		control_error(req, CONTROL_ECOMMAND, "%s was added, but its start did not settle: %s",
			      w->name, watcher_outcome_text(outcome));
}

/* add: a name whose previous watcher (rm, reload) still has processes stopping is accepted;
 * the new watcher starts once they are gone, and is "starting" (or "stopping") meanwhile.
 * Refusing instead would make `rm NAME; add NAME` succeed or fail by the graceful_timeout
 * and leave every script to retry in a loop: the daemon does that waiting for it. */
void cmd_add(struct arbiter *a, struct request *req, json_t *props, struct watcher *unused)
{
	const char *name = prop_string(props, "name"), *key;
	json_t *cmd = json_object_get(props, "cmd"), *options = json_object_get(props, "options");
	json_t *raw, *value;
	struct watcher_config *wc;
	struct watcher *w;

	(void)unused;
	if (name == NULL || !json_is_string(cmd)) {
		reply_invalid(req, name == NULL ? "name" : "cmd", INVALID_MISSING);
		return;
	}
	if (arbiter_find(a, name)) {
		control_fail(req, REPLY_EEXIST, "watcher %s already exists", name);
		return;
	}
	if (options && !json_is_object(options)) {
		reply_invalid(req, "options", INVALID_NOT_OBJECT);
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
	if (wc == NULL || !dependencies_valid(a, req, wc))
		return;
	if (!within_max_processes(a, req, NULL, name, wc->numprocesses)) {
		watcher_config_free(wc);
		return;
	}
	w = arbiter_add_watcher(a, wc);
	events_publish_watcher(a->events, w->name, "add", NULL);
	if (!prop_bool(props, "start", false) || a->shutting_down) {
		if (!a->shutting_down)
			watcher_on_demand_refresh(w);  /* on_demand: armed until a connection */
		control_ok(req);
	} else if (waiting(props)) {
		watcher_start(w, added_and_started, req);
	} else {
		watcher_start(w, NULL, NULL);
		control_ok(req);
	}
}

/* Circus's signal to one process P: to the process only; with CHILDPID to that child of it
 * only (ESRCH if it is none); with CHILDREN to its children only; with RECURSIVE to it and every
 * descendant. Children are found in /proc at this moment. Returns how many were signalled, or
 * -1 (errno) when the one signal asked for failed. */
static int signal_process_tree(pid_t pid, int sig, long childpid, bool children, bool recursive)
{
	pid_t *kids = NULL;
	int n = 0, sent = 0;

	/* The tree is read first: once the process is gone, so are its children in /proc. */
	if (childpid || children || recursive)
		n = proc_children(pid, childpid == 0 && recursive, &kids);
	if (childpid == 0 && !children) {
		if (kill(pid, sig) < 0) {
			free(kids);
			return -1;
		}
		sent++;
	}
	for (int i = 0; i < n; i++) {
		if (childpid && kids[i] != childpid)
			continue;
		if (kill(kids[i], sig) == 0)
			sent++;
		if (childpid)
			break;
	}
	free(kids);
	if (childpid && sent == 0) {
		errno = ESRCH;
		return -1;
	}
	return sent;
}

/* A signal command waiting for its processes' before_signal hooks (watcher.h). */
struct signal_request {
	struct request *req;
	long pid, childpid;           /* one process (and one child of it), or 0 */
	bool children, recursive;
	int error;                    /* errno of the one signal asked for, when it failed */
};

static int send_to_tree(pid_t pid, int sig, void *arg)
{
	struct signal_request *sr = arg;

	if (signal_process_tree(pid, sig, sr->childpid, sr->children, sr->recursive) < 0) {
		sr->error = errno;
		return -1;
	}
	return 0;
}

static void on_signalled(struct watcher *w, int sent, int skipped, const char *why, void *arg)
{
	struct signal_request *sr = arg;
	const char *name = w->name;

	if (skipped > 0) {
		control_error(sr->req, CONTROL_ECOMMAND, "signal to %d process%s of %s skipped: %s",
			      skipped, skipped == 1 ? "" : "es", name, why ? why : "?");
	} else if (sr->pid && sent == 0 && sr->error == ESRCH && sr->childpid) {
		control_fail(sr->req, REPLY_ESRCH, "process %ld is not a child of %ld", sr->childpid,
			     sr->pid);
	} else if (sr->pid && sent == 0 && sr->error) {
		control_error(sr->req, CONTROL_EOS, "cannot signal %ld: %s", sr->pid,
			      strerror(sr->error));
	} else if (sr->pid && sent == 0) {
		control_fail(sr->req, REPLY_ESRCH, "process %ld not found in %s", sr->pid, name);
	} else {
		control_ok(sr->req);
	}
	free(sr);
}

void cmd_signal(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	json_t *signum = json_object_get(props, "signum");
	bool children = prop_bool(props, "children", false);
	bool recursive = prop_bool(props, "recursive", false);
	long pid, childpid;
	int sig, n = 0;

	(void)a;
	if (!signal_from_json(signum, &sig)) {
		char *text = json_dumps(signum, JSON_ENCODE_ANY);
		control_error(req, CONTROL_EMESSAGE, "unknown signal %s", text ? text : "?");
		free(text);
		return;
	}
	if (prop_int(props, "pid", 0, &pid) < 0) {
		reply_invalid(req, "pid", INVALID_NOT_INTEGER);
		return;
	}
	if (slot_pid(req, props, w, &pid) < 0)  /* cirque's "wid": that slot's process */
		return;
	if (prop_int(props, "childpid", 0, &childpid) < 0 || childpid < 0 || childpid > INT_MAX) {
		reply_invalid(req, "childpid", INVALID_NOT_INTEGER);
		return;
	}
	if (childpid && pid == 0) {
		control_error(req, CONTROL_EMESSAGE, "cannot specify childpid without pid");
		return;
	}
	pid_t *pids = xcalloc((size_t)w->nprocesses + 1, sizeof(pid_t));
	if (pid != 0) {
		struct process *p = find_process(w, pid);
		if (p == NULL) {
			free(pids);
			control_fail(req, REPLY_ESRCH, "process %ld not found in %s", pid, w->name);
			return;
		}
		pids[n++] = p->pid;
	} else {
		for (struct process *p = w->processes; p; p = p->next)
			if (p->pid > 0)
				pids[n++] = p->pid;
	}
	log_info("watcher %s: sent SIG%s to %s%s", w->name, signal_name(sig) ? signal_name(sig) : "?",
		 childpid ? "one child of " : children ? "the children of " : "",
		 pid ? "one process" : "every process");
	struct signal_request *sr = xcalloc(1, sizeof(*sr));
	*sr = (struct signal_request){ req, pid, childpid, children, recursive, 0 };
	/* Answered at once without hooks; after each before_signal with them. */
	watcher_signal_with_hooks(w, pids, n, sig, send_to_tree, on_signalled, sr);
	free(pids);
}

void cmd_reopen(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)w;
	(void)a;
	(void)props;
	log_info("reopening log files (reopen command)");
	streams_reopen();
	control_ok(req);
}
