/* cmd_lifecycle.c - start, stop, restart, reload, incr, decr, kill, rm: operations that may be waited
 * for. A waiting request is answered from the completion callbacks of the watchers involved. */
#include "cmd.h"

#include "arbiter.h"
#include "events.h"
#include "log.h"
#include "parse.h"
#include "proc_info.h"
#include "stream.h"
#include "xmalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- operations that may be waited for -------------------------------------------------------- */

enum op_kind { OP_START, OP_STOP, OP_RESTART, OP_RELOAD, OP_COUNT };

/* One operation over one or several watchers; answers REQ (if any) when the last one is done. */
struct op {
	struct request *req;          /* NULL when the reply was already sent */
	enum op_kind kind;
	int pending;                  /* watchers not done yet (+1 while launching) */
	bool single;                  /* one watcher by name: the reply carries `info` */
	int wid;                      /* one slot of it (cirque's "wid"): a plain ok */
	enum watcher_outcome outcome; /* the first watcher that did not end WATCHER_DONE */
	json_t *before;               /* single: pids before the operation */
	json_t *stopped;              /* single restart: pids that were stopped */
};

static struct op *op_new(struct request *req, enum op_kind kind, bool single)
{
	struct op *op = xcalloc(1, sizeof(*op));

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
	} else if (op->wid) {
		control_ok(op->req);
	} else if (!op->single || w == NULL) {
		control_ok(op->req);
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

/* Whether the reply is ok: a stop whose watcher was removed meanwhile has stopped as well. */
static bool op_succeeded(const struct op *op)
{
	return op->outcome == WATCHER_DONE ||
	       (op->kind == OP_STOP && op->outcome == WATCHER_REMOVED);
}

static void op_release(struct op *op, struct watcher *w)
{
	static const char *const verbs[] = { [OP_START] = "start", [OP_STOP] = "stop",
		[OP_RESTART] = "restart", [OP_RELOAD] = "reload", [OP_COUNT] = "count change" };

	if (--op->pending > 0)
		return;
	if (op->req) {
		if (op->outcome == WATCHER_BLOCKED && w)  /* depends_on: what it waits for */
			control_error(op->req, CONTROL_ECOMMAND, "%s of %s: %s", verbs[op->kind],
				      w->name, w->deps_why);
		else if (!op_succeeded(op) && op->wid && w)
			control_error(op->req, CONTROL_ECOMMAND, "%s of %s:%d did not settle: %s",
				      verbs[op->kind], w->name, op->wid,
				      watcher_outcome_reason(w, op->outcome));
		else if (!op_succeeded(op))
			control_error(op->req, CONTROL_ECOMMAND, "%s of %s did not settle: %s",
				      verbs[op->kind], op->single && w ? w->name : "some watchers",
				      watcher_outcome_reason(w, op->outcome));
		else
			op_reply(op, w);
	}
	json_decref(op->before);
	json_decref(op->stopped);
	free(op);
}

static void op_watcher_done(struct watcher *w, enum watcher_outcome outcome, void *arg)
{
	struct op *op = arg;

	if (op->outcome == WATCHER_DONE)
		op->outcome = outcome;
	op_release(op, w);
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
		watcher_restart(w, op_watcher_done, op);
		break;
	case OP_RELOAD:
		if (op->single && !watcher_reload_hups(w))  /* send_hup: every pid is kept */
			op->stopped = pids_of(w);
		watcher_reload(w, op_watcher_done, op);
		break;
	case OP_COUNT:
		op_release(op, w);
		break;
	}
}

/* --- stops and dependencies (depends_on) ------------------------------------------------------ */

struct set_stop {
	struct request *req;          /* NULL when not waiting */
	json_t *dependents;           /* the names stopped with the ones asked for */
};

static void set_stopped(struct arbiter *a, void *arg)
{
	struct set_stop *ss = arg;

	(void)a;
	if (ss->req)
		control_reply(ss->req, json_pack("{s:O}", "dependents", ss->dependents));
	json_decref(ss->dependents);
	free(ss);
}

/* "web, cache" */
static void join_names(struct watcher **list, int n, char *out, size_t size)
{
	size_t used = 0;

	*out = '\0';
	for (int i = 0; i < n && used < size; i++) {
		int k = snprintf(out + used, size - used, "%s%s", i ? ", " : "", list[i]->name);
		used += k > 0 ? (size_t)k : 0;
	}
}

/* A stop of watchers that others depend on. A wanted dependent makes it refused, unless
 * "dependents" is true: then the dependents stop too, each before what it depends on (the
 * reply names them). A dependent still stopping is waited for. Returns false when no watcher
 * of LIST has dependents left (a plain stop). */
static bool stop_with_dependents(struct arbiter *a, struct request *req, json_t *props,
				 struct watcher **list, int n)
{
	struct watcher **dependents;
	int ndependents = arbiter_dependents(a, list, n, &dependents), nwanted = 0;
	char names[512], asked[256];

	for (int i = 0; i < ndependents; i++)
		nwanted += dependents[i]->wanted;
	if (ndependents == 0) {
		free(dependents);
		return false;
	}
	if (nwanted > 0 && !prop_bool(props, "dependents", false)) {
		join_names(dependents, ndependents, names, sizeof(names));
		join_names(list, n, asked, sizeof(asked));
		control_fail(req, REPLY_EFAIL, "%s %s needed by %s: stop %s first, or stop %s with its "
			     "dependents (cirquectl stop --dependents %s)", asked, n == 1 ? "is" : "are",
			     names, ndependents == 1 ? "it" : "them", asked, asked);
		free(dependents);
		return true;
	}
	struct watcher **set = xcalloc((size_t)(n + ndependents) + 1, sizeof(*set));
	struct set_stop *ss = xcalloc(1, sizeof(*ss));
	for (int i = 0; i < n + ndependents; i++)
		set[i] = i < n ? list[i] : dependents[i - n];
	ss->dependents = json_array();
	for (int i = 0; i < ndependents; i++)
		if (dependents[i]->wanted)
			json_array_append_new(ss->dependents, json_string(dependents[i]->name));
	if (json_array_size(ss->dependents) > 0) {
		join_names(dependents, ndependents, names, sizeof(names));
		log_info("stopping %s with the watchers that depend on it: %s", list[0]->name, names);
	}
	bool wait = waiting(props);
	if (!wait)
		control_reply(req, json_pack("{s:O}", "dependents", ss->dependents));
	ss->req = wait ? req : NULL;
	arbiter_stop_set(a, set, n + ndependents, set_stopped, ss);
	free(set);
	free(dependents);
	return true;
}

/* --- restart and restart_with ---------------------------------------------------------------- */

/* A restart of a watcher that others restart with: they stop first, then it does; it starts
 * again, and they start once it is ready (their dependency holds them). */
struct ordered_restart {
	struct op *op;
	struct watcher *w;
	struct watcher **followers;
	int nfollowers;
};

static bool is_current(struct arbiter *a, const struct watcher *w);

static void restart_stopped(struct arbiter *a, void *arg)
{
	struct ordered_restart *r = arg;

	/* Removed meanwhile (it may be freed already), or the daemon is stopping: not started. */
	if (!is_current(a, r->w) || a->shutting_down)
		op_watcher_done(NULL, a->shutting_down ? WATCHER_STOPPED_SINCE : WATCHER_REMOVED,
				r->op);
	else
		watcher_start(r->w, op_watcher_done, r->op);
	for (int i = 0; i < r->nfollowers && !a->shutting_down; i++)
		if (is_current(a, r->followers[i]))
			watcher_start(r->followers[i], NULL, NULL);
	free(r->followers);
	free(r);
}

static bool is_current(struct arbiter *a, const struct watcher *w)
{
	for (const struct watcher *x = a->watchers; x; x = x->next)
		if (x == w)
			return true;
	return false;
}

/* Returns false when W has no follower (a plain restart). */
static bool restart_with_followers(struct arbiter *a, struct op *op, struct watcher *w)
{
	struct watcher **followers;
	int n = arbiter_followers(a, w, &followers);

	if (n == 0 || a->shutting_down) {
		free(followers);
		return false;
	}
	struct ordered_restart *r = xcalloc(1, sizeof(*r));
	struct watcher **set = xcalloc((size_t)n + 2, sizeof(*set));
	r->op = op;
	r->w = w;
	r->followers = followers;
	r->nfollowers = n;
	set[0] = w;
	for (int i = 0; i < n; i++) {
		set[i + 1] = followers[i];
		log_info("watcher %s: restarting with %s (restart_with): it stops first",
			 followers[i]->name, w->name);
	}
	if (op->single)
		op->stopped = pids_of(w);
	op->pending++;
	arbiter_stop_set(a, set, n + 1, restart_stopped, r);
	free(set);
	return true;
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
	if (kind == OP_STOP && a->has_deps && stop_with_dependents(a, req, props, list, n)) {
		free(list);
		return;
	}
	op = op_new(wait ? req : NULL, kind, prop_string(props, "name") && n == 1);
	if (op->single)
		op->before = pids_of(list[0]);
	for (int i = 0; i < n; i++) {
		if (kind == OP_RESTART && restart_with_followers(a, op, list[i]))
			continue;
		op_launch(op, list[i]);
		if (kind == OP_RELOAD)  /* new processes first: the followers restart meanwhile */
			arbiter_restart_followers(a, list[i]);
	}
	if (!wait)
		control_ok(req);
	op_release(op, n == 1 ? list[0] : NULL);
	free(list);
}

/* cirque's extension: start, stop or restart of one slot ("name" and "wid"). Returns false
 * when no wid is given. */
static bool run_on_slot(struct arbiter *a, struct request *req, json_t *props,
			enum op_kind kind)
{
	struct watcher *w;
	struct op *op;
	int wid, rc = select_slot(a, req, props, &w, &wid);

	if (rc == 0)
		return false;
	if (rc < 0)
		return true;
	op = op_new(waiting(props) ? req : NULL, kind, true);
	op->wid = wid;
	op->pending++;
	if (kind == OP_START)
		watcher_start_slot(w, wid, op_watcher_done, op);
	else if (kind == OP_STOP)
		watcher_stop_slot(w, wid, op_watcher_done, op);
	else
		watcher_restart_slot(w, wid, op_watcher_done, op);
	if (!waiting(props))
		control_ok(req);
	op_release(op, w);
	return true;
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
		control_ok(op->req);
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
		control_fail(req, REPLY_ESHUTDOWN, "the daemon is shutting down");
		return true;
	}
	op = xcalloc(1, sizeof(*op));
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
		control_ok(req);
	}
	return true;
}

void cmd_start(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)w;
	if (!run_on_slot(a, req, props, OP_START) && !run_on_all(a, req, props, OP_START))
		run_on_watchers(a, req, props, OP_START);
}

void cmd_stop(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)w;
	if (!run_on_slot(a, req, props, OP_STOP) && !run_on_all(a, req, props, OP_STOP))
		run_on_watchers(a, req, props, OP_STOP);
}

void cmd_restart(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)w;
	if (!run_on_slot(a, req, props, OP_RESTART) && !run_on_all(a, req, props, OP_RESTART))
		run_on_watchers(a, req, props, OP_RESTART);
}

void cmd_reload(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)w;
	if (json_object_get(props, "wid")) {
		control_fail(req, REPLY_EINVAL, "reload replaces every process of a watcher: restart "
			     "one process (wid) instead");
		return;
	}
	/* graceful (default): new processes first; otherwise a plain restart. */
	run_on_watchers(a, req, props, prop_bool(props, "graceful", true) ? OP_RELOAD : OP_RESTART);
}

/* incr/decr as Circus answers them: a singleton's count never changes ({numprocesses, singleton:
 * true}, waiting or not); otherwise a plain ok at once, or {numprocesses} with waiting, once the
 * processes have settled. */
static void change_count(struct arbiter *a, struct request *req, json_t *props, struct watcher *w,
			 int sign)
{
	long nb;
	struct op *op;

	if (prop_int(props, "nb", 1, &nb) < 0 || nb < 0 || nb > 100000) {
		control_error(req, CONTROL_EMESSAGE, "nb must be a non-negative integer");
		return;
	}
	if (w->config->singleton) {
		control_reply(req, json_pack("{s:i, s:b}", "numprocesses", w->numprocesses,
					     "singleton", 1));
		return;
	}
	long target = w->numprocesses + sign * nb;
	if (target > 100000)
		target = 100000;
	if (!within_max_processes(a, req, w, w->name, target))
		return;  /* refused: nothing spawns */
	watcher_set_numprocesses(w, (int)(target < 0 ? 0 : target));
	if (!waiting(props)) {
		control_ok(req);
		return;
	}
	if (!w->wanted) {
		control_reply(req, json_pack("{s:i}", "numprocesses", w->numprocesses));
		return;
	}
	op = op_new(req, OP_COUNT, true);
	op->pending++;
	watcher_wait_started(w, op_watcher_done, op);  /* wanted already: waits until settled */
	op_release(op, w);
}

void cmd_incr(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	change_count(a, req, props, w, +1);
}

void cmd_decr(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	change_count(a, req, props, w, -1);
}

/* Circus's kill: signal processes (the watcher's stop_signal unless signum is given), SIGKILL
 * those still alive after graceful_timeout, answer once they have all exited. The watcher then
 * respawns them as for any death. */
static void on_killed(struct watcher *w, enum watcher_outcome outcome, void *arg)
{
	(void)w;
	(void)outcome;
	control_ok(arg);
}

/* A duration given as a number of seconds or as text ("500ms", "30s"); never negative. */
static bool duration_from_json(json_t *v, double *seconds)
{
	if (json_is_number(v)) {
		double value = json_number_value(v);
		if (!(value >= 0) || !isfinite(value))
			return false;
		*seconds = value;
		return true;
	}
	return json_is_string(v) && parse_duration(json_string_value(v), seconds) == 0;
}

void cmd_kill(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	json_t *signum = json_object_get(props, "signum"), *grace_prop;
	double grace;
	long pid;
	int sig, n;

	(void)a;
	sig = w->config->stop_signal;
	if (signum && !signal_from_json(signum, &sig)) {
		control_error(req, CONTROL_EMESSAGE, "signal invalid");
		return;
	}
	grace = w->config->graceful_timeout;
	grace_prop = json_object_get(props, "graceful_timeout");
	if (grace_prop && !json_is_null(grace_prop) && !duration_from_json(grace_prop, &grace)) {
		control_error(req, CONTROL_EMESSAGE, "graceful_timeout must be a non-negative duration "
			      "(seconds, or text such as 500ms or 30s)");
		return;
	}
	if (prop_int(props, "pid", 0, &pid) < 0) {
		reply_invalid(req, "pid", INVALID_NOT_INTEGER);
		return;
	}
	/* find_process first: a pid beyond pid_t is none (2^32 + n is not n). */
	n = pid && find_process(w, pid) == NULL ? 0
	    : watcher_kill_processes(w, (pid_t)pid, sig, grace, on_killed, req);
	if (pid && n == 0) {
		control_fail(req, REPLY_ESRCH, "process %ld not found in %s", pid, w->name);
		return;
	}
	log_info("watcher %s: kill: SIG%s to %d process%s", w->name,
		 signal_name(sig) ? signal_name(sig) : "?", n, n == 1 ? "" : "es");
	if (n == 0)
		control_ok(req);
}

/* rm: the watcher stops, then is forgotten (with nostop, at once, its processes left running). A waiting rm answers once every process of that
 * name is gone, those of a watcher it replaced still stopping included. The name is free at
 * once: a watcher added under it starts only after those processes (see add_watcher). */
void cmd_rm(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	struct op *op;
	char needed_by[256];

	if (arbiter_needed_by(a, w, needed_by, sizeof(needed_by))) {
		control_fail(req, REPLY_EFAIL, "%s is needed by %s (depends_on): remove %s first, or "
			     "take %s out of their depends_on", w->name, needed_by,
			     strchr(needed_by, ',') ? "them" : "it", w->name);
		return;
	}
	events_publish_watcher(a->events, w->name, "remove", NULL);
	if (prop_bool(props, "nostop", false)) {  /* Circus: forgotten, its processes run on */
		arbiter_release_watcher(a, w);
		control_ok(req);
		return;
	}
	if (!waiting(props)) {
		arbiter_remove_watcher(a, w);
		control_ok(req);
		return;
	}
	op = op_new(req, OP_STOP, true);
	op->pending++;
	watcher_stop(w, op_watcher_done, op);
	arbiter_remove_watcher(a, w);
	op_release(op, NULL);
}
