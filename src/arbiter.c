/* arbiter.c - owns the watchers: start-up (higher priority first) and shutdown (lower first), each
 * priority level concurrently; configuration reloads by diff; the daemon's signals. */
#include "arbiter.h"
#include "cgroup.h"
#include "deps.h"

#include "events.h"
#include "hook.h"
#include "notify.h"
#include "sockets.h"
#include "stream.h"
#include "survivors.h"
#include "text.h"
#include "fdlimit.h"
#include "log.h"
#include "metrics.h"
#include "safefs.h"
#include "parse.h"
#include "proc_info.h"
#include "reexec.h"
#include "xmalloc.h"

#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* --- running an operation over watchers, one priority level at a time ------------------------- */

/* A level run is the C shape of `for level in levels: await gather(op(w) for w in level)`. */
struct level_run {
	struct arbiter *arbiter;
	bool starting;                /* start (descending priority) or stop (ascending) */
	bool only_autostart;          /* the daemon's own start-up: watchers with autostart */
	int *levels;                  /* distinct priorities, in the order to run them */
	int nlevels;
	int next_level;
	int pending;                  /* watchers of the current level not yet done */
	struct watcher **holding;     /* those watchers (for status: what the next levels wait for) */
	int nholding;
	bool cancelled;               /* the arbiter no longer cares (shutdown began) */
	struct watcher **only;        /* the watchers it is about (NULL: all) */
	int nonly;
	struct watcher **deferred;    /* stops of the current level waiting for the watchers that
				       * depend on them to be gone (depends_on) */
	int ndeferred;
	arbiter_done_fn done;         /* called once at the end, cancelled or not */
	void *done_arg;
	struct level_run *next;       /* in the arbiter's list of runs in progress */
};

static void level_run_next(struct level_run *run);

static int compare_ints(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

static bool takes_part(const struct level_run *run, const struct watcher *w)
{
	if (run->only) {
		for (int i = 0; i < run->nonly; i++)
			if (run->only[i] == w)
				return true;
		return false;
	}
	/* on_demand: started by a connection (watcher_on_demand_refresh), not with the daemon */
	return !run->only_autostart || (w->config->autostart && !w->config->on_demand);
}

/* W is started (or stopped) when the run reaches its level. A start leaves out the watchers
 * stopped since it began (and those added since, unless started already): it waits for the
 * ones queued or running. */
static bool in_level(const struct level_run *run, const struct watcher *w)
{
	return takes_part(run, w) && (!run->starting || w->start_queued || w->wanted);
}

/* A start run's watchers wait for their level (status shows it); see in_level. */
static void queue_starts(struct level_run *run)
{
	for (struct watcher *w = run->arbiter->watchers; w; w = w->next)
		if (takes_part(run, w))
			w->start_queued = true;
}

static void level_watcher_done(struct watcher *w, enum watcher_outcome outcome, void *arg)
{
	struct level_run *run = arg;

	for (int i = 0; i < run->nholding; i++) {
		if (run->holding[i] == w) {
			run->holding[i] = run->holding[--run->nholding];
			break;
		}
	}
	if (outcome == WATCHER_FAILING && !run->cancelled && run->next_level < run->nlevels)
		log_warnx("watcher %s: %s: the lower priorities no longer wait for it (%s)", w->name,
			  w->deps_holding ? "a dependency it waits for failed to start"
					  : "a process failed to start",
			  w->deps_holding ? "it starts once that one is ready" : "it is retried meanwhile");
	if (--run->pending == 0)
		level_run_next(run);
}

static void level_run_free(struct level_run *run)
{
	for (struct level_run **link = &run->arbiter->runs; *link; link = &(*link)->next) {
		if (*link == run) {
			*link = run->next;
			break;
		}
	}
	free(run->levels);
	free(run->holding);
	free(run->only);
	free(run->deferred);
	free(run);
}

/* Spare time for systemd beyond the longest a level can take (a SIGKILLed process's exit). */
#define EXTEND_MARGIN 10.0

static const char *next_dependency(const struct watcher *w, int *i);

/* The longest W alone can take to be decided: its before_start hook, then its processes
 * ready (ready_timeout, or the ready delay), their spawns paced by warmup_delay. */
static double start_bound(const struct watcher *w)
{
	const struct watcher_config *c = w->config;
	const struct hook_config *before = &c->hooks[HOOK_BEFORE_START];

	return (before->argv ? before->timeout : 0) +
	       (c->ready == READY_DELAY ? c->ready_delay : c->ready_timeout) +
	       c->warmup_delay * (w->numprocesses > 1 ? w->numprocesses - 1 : 0);
}

/* The same, after the dependencies it waits for in LEVEL: the longest chain of them. */
static double chain_bound(struct arbiter *a, const struct watcher *w, int level, int depth)
{
	double longest = 0;
	const char *name;

	for (int i = 0; depth < 64 && (name = next_dependency(w, &i));) {
		struct watcher *d = arbiter_find(a, name);
		if (d && d->level == level) {
			double t = chain_bound(a, d, level, depth + 1);
			longest = t > longest ? t : longest;
		}
	}
	return longest + start_bound(w);
}

/* The longest the start of LEVEL can hold the next one: a watcher is decided once its processes
 * are up or one has failed a start, which happens by ready_timeout (or the ready delay) after
 * its spawn, the spawns being paced by warmup_delay. */
static double level_bound(const struct level_run *run, int level)
{
	double longest = 0;

	for (const struct watcher *w = run->arbiter->watchers; w; w = w->next) {
		if (w->level != level || !takes_part(run, w))
			continue;
		double t = chain_bound(run->arbiter, w, level, 0);
		if (t > longest)
			longest = t;
	}
	return longest + EXTEND_MARGIN;
}

/* "db, cache" for logs and status: the watchers of the current level not decided yet. */
static void holding_names(const struct level_run *run, char *out, size_t size)
{
	size_t used = 0;

	*out = '\0';
	for (int i = 0; i < run->nholding && used < size; i++) {
		int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", run->holding[i]->name);
		used += n > 0 ? (size_t)n : 0;
	}
}

/* The daemon's own start-up, under systemd: each level tells how long it may take at most
 * (EXTEND_TIMEOUT_USEC), so that a slow start that still progresses does not run into
 * TimeoutStartSec, while one that hangs still does. */
static double stop_bound(const struct level_run *run, int level)
{
	double longest = 0;

	for (int i = 0; i < run->nholding; i++)
		if (run->holding[i]->level == level &&
		    run->holding[i]->config->graceful_timeout > longest)
			longest = run->holding[i]->config->graceful_timeout;
	return longest + EXTEND_MARGIN;
}

/* The daemon's shutdown, level by level, takes the sum of each level's longest
 * graceful_timeout: each level extends TimeoutStopSec by what it may take, so that systemd does
 * not SIGKILL the last level (the database) while it stops as it should. */
static void announce_stop_level(const struct level_run *run, int level)
{
	char names[256];

	if (!run->arbiter->shutting_down || run->nholding == 0)
		return;
	holding_names(run, names, sizeof(names));
	notify_send("EXTEND_TIMEOUT_USEC=%llu\nSTATUS=stopping priority %d: %s",
		    (unsigned long long)(stop_bound(run, level) * 1e6), level, names);
}

static void announce_level(const struct level_run *run, int level)
{
	char names[256];

	if (!run->starting) {
		announce_stop_level(run, level);
		return;
	}
	if (!run->only_autostart || run->nholding == 0)
		return;  /* a level of watchers without autostart: nothing to wait for */
	holding_names(run, names, sizeof(names));
	notify_send("EXTEND_TIMEOUT_USEC=%llu\nSTATUS=starting priority %d: %s",
		    (unsigned long long)(level_bound(run, level) * 1e6), level, names);
}

static void compute_levels(struct arbiter *a);
static bool stop_waits_for_dependents(struct level_run *run, struct watcher *w, bool *wanted);
static void mark_deps_dirty(struct arbiter *a);

/* A stop of the current level waits for the watchers that depend on W (the pass of
 * on_deps_pass launches it). */
static void defer_stop(struct level_run *run, struct watcher *w)
{
	run->deferred = xreallocarray(run->deferred, (size_t)run->ndeferred + 1, sizeof(*run->deferred));
	run->deferred[run->ndeferred++] = w;
	mark_deps_dirty(run->arbiter);
}

static void launch_in_level(struct level_run *run, struct watcher *w)
{
	bool abandon;

	if (run->starting)  /* decided: up, or failed a start (retried meanwhile) */
		watcher_start_decided(w, level_watcher_done, run);
	else if (run->arbiter->has_deps && stop_waits_for_dependents(run, w, &abandon))
		defer_stop(run, w);
	else
		watcher_stop(w, level_watcher_done, run);
}

static void level_run_next(struct level_run *run)
{
	struct arbiter *a = run->arbiter;

	while (!run->cancelled && run->next_level < run->nlevels && run->pending == 0) {
		compute_levels(a);
		int level = run->levels[run->next_level++];
		/* pending starts at 1 so that a watcher finishing synchronously cannot end the level
		 * while the others are still being launched. */
		run->pending = 1;
		int count = 0;
		for (struct watcher *w = a->watchers; w; w = w->next)
			count++;  /* watchers may have been added since the run began */
		run->holding = xreallocarray(run->holding, (size_t)(count ? count : 1),
					     sizeof(*run->holding));
		run->nholding = 0;
		for (struct watcher *w = a->watchers; w; w = w->next)
			if (w->level == level && in_level(run, w))
				run->holding[run->nholding++] = w;
		announce_level(run, level);
		for (struct watcher *w = a->watchers; w; w = w->next) {
			if (w->level != level || !in_level(run, w))
				continue;
			run->pending++;
			w->start_queued = false;
			launch_in_level(run, w);
		}
		if (--run->pending > 0)
			return;
	}
	if (run->pending > 0)
		return;
	arbiter_done_fn done = run->done;
	void *done_arg = run->done_arg;
	level_run_free(run);
	if (done)
		done(a, done_arg);
}

static struct level_run *level_run_new(struct arbiter *a, bool starting, arbiter_done_fn done,
				       void *done_arg)
{
	struct level_run *run = xcalloc(1, sizeof(*run));
	int n = 0;

	for (struct watcher *w = a->watchers; w; w = w->next)
		n++;
	run->levels = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
	compute_levels(a);
	for (struct watcher *w = a->watchers; w; w = w->next) {
		bool seen = false;
		for (int i = 0; i < run->nlevels; i++)
			seen = seen || run->levels[i] == w->level;
		if (!seen)
			run->levels[run->nlevels++] = w->level;
	}
	qsort(run->levels, (size_t)run->nlevels, sizeof(int), compare_ints);
	if (starting)
		for (int i = 0; i < run->nlevels / 2; i++) {
			int t = run->levels[i];
			run->levels[i] = run->levels[run->nlevels - 1 - i];
			run->levels[run->nlevels - 1 - i] = t;
		}
	run->arbiter = a;
	run->starting = starting;
	run->done = done;
	run->done_arg = done_arg;
	run->next = a->runs;
	a->runs = run;
	return run;
}

/* --- dependencies (depends_on, restart_with) ------------------------------------------------- */

static void refresh_has_deps(struct arbiter *a)
{
	a->has_deps = false;
	for (struct watcher *w = a->watchers; w && !a->has_deps; w = w->next)
		a->has_deps = deps_any(w->config);
}

static void mark_deps_dirty(struct arbiter *a)
{
	a->deps_dirty = true;
	ev_prepare_start(a->loop, &a->deps_pass);
}

/* Every watcher's change hook: what its dependents wait for may have come. */
static void on_watcher_change(struct watcher *w, void *arg)
{
	struct arbiter *a = arg;

	(void)w;
	if (a->has_deps || a->deps_dirty)
		mark_deps_dirty(a);
}

/* Each name W depends on, through depends_on and then restart_with, in *I order: NULL at the
 * end. */
static const char *next_dependency(const struct watcher *w, int *i)
{
	const struct dep_list *on = &w->config->depends_on, *with = &w->config->restart_with;

	while (*i < on->count + with->count) {
		int k = (*i)++;
		const char *name = k < on->count ? on->names[k] : with->names[k - on->count];
		if (k >= on->count && dep_list_has(on, name))
			continue;  /* in both lists: once */
		return name;
	}
	return NULL;
}

/* A priority lower than a dependent's is raised to it: a dependency starts in the same level
 * or an earlier one, and stops in the same level or a later one. Levels are the priorities
 * when nothing depends on anything. */
static int compare_watcher_names(const void *x, const void *y)
{
	return strcasecmp((*(struct watcher *const *)x)->name, (*(struct watcher *const *)y)->name);
}

static int compare_levels_down(const void *x, const void *y)
{
	int a = (*(struct watcher *const *)x)->level, b = (*(struct watcher *const *)y)->level;
	return (a < b) - (a > b);
}

/* The watchers by name, for lookups in loops over the graph (arbiter_find is linear). */
struct name_index {
	struct watcher **by_name;
	int n;
};

static int compare_name_to_watcher(const void *key, const void *elem)
{
	return strcasecmp(key, (*(struct watcher *const *)elem)->name);
}

static struct watcher *index_find(const struct name_index *ix, const char *name)
{
	struct watcher **hit = bsearch(name, ix->by_name, (size_t)ix->n, sizeof(*ix->by_name),
				       compare_name_to_watcher);
	return hit ? *hit : NULL;
}

/* D's level, and its dependencies' (deep first), raised to LEVEL. */
static void raise_level(const struct name_index *ix, struct watcher *d, int level)
{
	const char *name;

	if (d->level >= level)
		return;
	d->level = level;
	for (int i = 0; (name = next_dependency(d, &i));) {
		struct watcher *x = index_find(ix, name);
		if (x)
			raise_level(ix, x, level);
	}
}

/* A priority lower than a dependent's is raised to it: a dependency starts in the same level
 * or an earlier one, and stops in the same level or a later one. Levels are the priorities
 * when nothing depends on anything. */
static void compute_levels(struct arbiter *a)
{
	int n = 0;

	for (struct watcher *w = a->watchers; w; w = w->next, n++)
		w->level = w->config->priority;
	if (!a->has_deps)
		return;
	struct name_index ix = { xcalloc((size_t)n + 1, sizeof(struct watcher *)), n };
	struct watcher **by_level = xcalloc((size_t)n + 1, sizeof(struct watcher *));
	n = 0;
	for (struct watcher *w = a->watchers; w; w = w->next, n++)
		ix.by_name[n] = by_level[n] = w;
	qsort(ix.by_name, (size_t)n, sizeof(*ix.by_name), compare_watcher_names);
	/* Highest first: most watchers are raised once, to their final level (the graph has no
	 * cycle, deps_check). */
	qsort(by_level, (size_t)n, sizeof(*by_level), compare_levels_down);
	for (int k = 0; k < n; k++) {
		const char *name;
		for (int i = 0; (name = next_dependency(by_level[k], &i));) {
			struct watcher *d = index_find(&ix, name);
			if (d)
				raise_level(&ix, d, by_level[k]->level);
		}
	}
	free(ix.by_name);
	free(by_level);
}

/* How dependency D stands, for what its dependents say they wait for. */
static const char *dependency_state(const struct watcher *d)
{
	if (!d->wanted && d->hook_failure && !d->start_queued)
		return d->hook_failure;  /* "before_start hook failed: exited 3" */
	if (!d->wanted)
		return d->start_queued ? "not started yet" : "stopped";
	if (watcher_count_state(d, PS_FATAL) > 0)
		return "gave up (FATAL)";
	if (d->deps_blocked)
		return "blocked by its own dependencies";
	if (watcher_given_up(d))
		return "exited with an unexpected status";
	if (d->deps_holding)
		return "waiting for its own dependencies";
	if (watcher_failing(d))
		return "failed to start, retrying";
	return "starting";
}

static void append_text(char *out, size_t size, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append_text(char *out, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;

	if (*used >= size)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(out + *used, size - *used, fmt, ap);
	va_end(ap);
	*used += n > 0 ? (size_t)n : 0;
}

/* Whether every dependency of W is ready; if not, what W waits for in WHY, *BLOCKED when one
 * will not get ready without the operator, *FAILING when one failed a start. */
static bool dependencies_ready(struct arbiter *a, const struct watcher *w, char *why, size_t size,
			       bool *blocked, bool *failing)
{
	char waiting[160] = "", stuck[160] = "";
	size_t nwaiting = 0, nstuck = 0;
	const char *name;

	*blocked = *failing = false;
	if (survivors_stopping()) {  /* nothing starts beside them (survivors.h) */
		snprintf(why, size, "waiting for what a cirqued that died left running to stop");
		return false;
	}
	for (int i = 0; (name = next_dependency(w, &i));) {
		struct watcher *d = arbiter_find(a, name);
		if (d && watcher_ready(d))
			continue;
		if (d == NULL || watcher_given_up(d)) {
			*blocked = true;
			bool hook = d && !d->wanted && d->hook_failure && !d->start_queued;
			append_text(stuck, sizeof(stuck), &nstuck, "%s%s%s %s", nstuck ? ", " : "",
				    name, hook ? "'s" : "", d ? dependency_state(d) : "is not defined");
		} else {
			*failing = *failing || watcher_failing(d);
			append_text(waiting, sizeof(waiting), &nwaiting, "%s%s (%s)",
				    nwaiting ? ", " : "", d->name, dependency_state(d));
		}
	}
	if (*blocked)
		snprintf(why, size, "not started: %s; it starts once %s ready", stuck,
			 strchr(stuck, ',') ? "they are" : "that one is");
	else if (nwaiting)
		snprintf(why, size, "waiting for %s", waiting);
	return !*blocked && nwaiting == 0;
}

/* A start of W begins (watcher_hold_fn): the dependencies not started, or given up, are
 * started (as systemctl start does), and W waits for them unless they are all ready. */
static bool hold_for_dependencies(struct watcher *w, void *arg)
{
	struct arbiter *a = arg;
	const char *name;
	bool blocked, failing;

	if (!deps_any(w->config) && !survivors_stopping())
		return false;
	for (int i = 0; (name = next_dependency(w, &i));) {
		struct watcher *d = arbiter_find(a, name);
		if (d == NULL || d->removing || a->shutting_down)
			continue;
		if ((!d->wanted && !d->start_queued) || watcher_given_up(d)) {
			log_info("watcher %s: starting it, as %s needs it", d->name, w->name);
			watcher_start(d, NULL, NULL);
		}
	}
	mark_deps_dirty(a);
	return !dependencies_ready(a, w, w->deps_why, sizeof(w->deps_why), &blocked, &failing);
}

/* A start held for its dependencies: goes on once they are ready, tells its waiters when one
 * will not be without the operator, or failed a start (a priority level need not wait). */
static void settle_held_start(struct arbiter *a, struct watcher *w)
{
	char why[sizeof(w->deps_why)];
	bool blocked, failing;

	if (dependencies_ready(a, w, why, sizeof(why), &blocked, &failing)) {
		watcher_deps_ready(w);
		return;
	}
	/* What its own dependents say of it changes too: one more round for them. */
	if (blocked != w->deps_blocked || strcmp(why, w->deps_why) != 0)
		a->deps_dirty = true;
	if (blocked) {
		watcher_deps_blocked(w, why);
		return;
	}
	if (w->deps_blocked)
		log_info("watcher %s: %s", w->name, why);
	w->deps_blocked = false;
	snprintf(w->deps_why, sizeof(w->deps_why), "%s", why);
	if (failing)
		watcher_deps_failing(w);
}

/* X, a dependent, is running or on its way (a job that finished, or a watcher that gave up,
 * no longer needs its dependencies: they may stop). */
static bool dependent_running(const struct watcher *x)
{
	return x->wanted &&
	       (x->deps_holding || x->hook_holding || watcher_count_state(x, PS_RUNNING) > 0 ||
		watcher_count_state(x, PS_STARTING) > 0 || watcher_count_state(x, PS_BACKOFF) > 0 ||
		watcher_count_state(x, PS_STOPPING) > 0);
}

static bool is_deferred(const struct level_run *run, const struct watcher *w)
{
	for (int i = 0; i < run->ndeferred; i++)
		if (run->deferred[i] == w)
			return true;
	return false;
}

/* Whether the stop of W by RUN must wait: a watcher that depends on it is still stopping (or
 * its stop by RUN waits for its own dependents), or is wanted (then *WANTED: it was started
 * again since the stop was asked for). */
static bool stop_waits_for_dependents(struct level_run *run, struct watcher *w, bool *wanted)
{
	bool wait = false;

	*wanted = false;
	for (struct watcher *x = run->arbiter->watchers; x; x = x->next) {
		if (x == w || !deps_needs(x->config, w->name))
			continue;
		if (is_deferred(run, x) || (!x->wanted && !watcher_is_idle(x)))
			wait = true;
		else if (dependent_running(x))
			*wanted = true;
	}
	return wait || *wanted;
}

/* The stops of RUN's current level held for their dependents: launched once these are gone;
 * given up when a dependent was started again (it needs the dependency: it keeps running). */
static void settle_deferred_stops(struct level_run *run)
{
	struct watcher **go = xcalloc((size_t)run->ndeferred + 1, sizeof(*go));
	bool *abandoned = xcalloc((size_t)run->ndeferred + 1, sizeof(bool));
	int ngo = 0, kept = 0;

	for (int i = 0; i < run->ndeferred; i++) {
		struct watcher *d = run->deferred[i];
		bool wanted = false;
		if (!run->cancelled && stop_waits_for_dependents(run, d, &wanted) && !wanted) {
			run->deferred[kept++] = d;
			continue;
		}
		if (wanted)
			log_info("watcher %s: not stopped: a watcher that depends on it was started "
				 "again", d->name);
		abandoned[ngo] = wanted || run->cancelled;
		go[ngo++] = d;
	}
	run->ndeferred = kept;
	run->pending++;  /* the run may end with the last of them: not before the loop is over */
	for (int i = 0; i < ngo; i++) {
		if (abandoned[i])
			level_watcher_done(go[i], WATCHER_STARTED_SINCE, run);
		else
			watcher_stop(go[i], level_watcher_done, run);
	}
	free(go);
	free(abandoned);
	level_watcher_done(NULL, WATCHER_DONE, run);  /* the guard above */
}

static void settle_retirements(struct arbiter *a);

/* Before the loop sleeps, after changes: the starts and stops held for dependencies. */
static void on_deps_pass(struct ev_loop *loop, ev_prepare *prepare, int revents)
{
	struct arbiter *a = prepare->data;

	(void)revents;
	for (int round = 0; a->deps_dirty && round < 64; round++) {
		a->deps_dirty = false;
		for (struct watcher *w = a->watchers, *next; w; w = next) {
			next = w->next;
			if (w->deps_holding && w->wanted)
				settle_held_start(a, w);
		}
		for (struct level_run *run = a->runs, *next; run; run = next) {
			next = run->next;
			if (run->ndeferred > 0)
				settle_deferred_stops(run);
		}
		if (a->nretire_after > 0)
			settle_retirements(a);
	}
	if (!a->deps_dirty)
		ev_prepare_stop(loop, prepare);
}

void arbiter_deps_changed(struct arbiter *a)
{
	mark_deps_dirty(a);
}

/* W leaves the set of watchers: no run waits to stop it any more. */
static void forget_deferred(struct arbiter *a, struct watcher *w)
{
	for (struct level_run *run = a->runs, *next; run; run = next) {
		next = run->next;
		for (int i = 0; i < run->ndeferred; i++) {
			if (run->deferred[i] != w)
				continue;
			run->deferred[i] = run->deferred[--run->ndeferred];
			level_watcher_done(w, WATCHER_REMOVED, run);
			break;
		}
	}
}

int arbiter_stop_set(struct arbiter *a, struct watcher **list, int n, arbiter_done_fn done,
		     void *arg)
{
	struct level_run *run = level_run_new(a, false, done, arg);

	run->only = xcalloc((size_t)n + 1, sizeof(*run->only));
	memcpy(run->only, list, sizeof(*list) * (size_t)n);
	run->nonly = n;
	level_run_next(run);
	return 0;
}

static bool listed(struct watcher **list, int n, const struct watcher *w)
{
	for (int i = 0; i < n; i++)
		if (list[i] == w)
			return true;
	return false;
}

int arbiter_dependents(struct arbiter *a, struct watcher **list, int n, struct watcher ***out)
{
	int nseen = 0, count = 0, cap = 8;
	struct watcher **seen = xcalloc((size_t)cap, sizeof(*seen));
	struct watcher **found = xcalloc((size_t)cap, sizeof(*found));

	/* Breadth first: each dependent is looked at in turn for its own, through those that do
	 * not run (a finished job between a database and its web server still links them). */
	for (int k = -n; k < nseen; k++) {
		struct watcher *m = k < 0 ? list[n + k] : seen[k];
		for (struct watcher *x = a->watchers; x; x = x->next) {
			if (listed(list, n, x) || listed(seen, nseen, x) ||
			    !deps_needs(x->config, m->name) || (!x->wanted && watcher_is_idle(x)))
				continue;
			if (nseen == cap) {
				cap *= 2;
				seen = xreallocarray(seen, (size_t)cap, sizeof(*seen));
				found = xreallocarray(found, (size_t)cap, sizeof(*found));
			}
			seen[nseen++] = x;
			if (!x->wanted || dependent_running(x))  /* stopping, or running */
				found[count++] = x;
		}
	}
	free(seen);
	*out = found;
	return count;
}

static void restart_followers(struct arbiter *a, struct watcher *w)
{
	for (struct watcher *x = a->watchers; x; x = x->next) {
		if (x == w || !x->wanted || x->restart_mark == a->restart_round ||
		    !dep_list_has(&x->config->restart_with, w->name))
			continue;
		x->restart_mark = a->restart_round;
		log_info("watcher %s: restarting with %s (restart_with)", x->name, w->name);
		watcher_restart(x, NULL, NULL);
		restart_followers(a, x);
	}
}

static void collect_followers(struct arbiter *a, struct watcher *w, struct watcher ***list,
			      int *n)
{
	for (struct watcher *x = a->watchers; x; x = x->next) {
		if (x == w || !x->wanted || x->restart_mark == a->restart_round ||
		    !dep_list_has(&x->config->restart_with, w->name))
			continue;
		x->restart_mark = a->restart_round;
		*list = xreallocarray(*list, (size_t)*n + 1, sizeof(**list));
		(*list)[(*n)++] = x;
		collect_followers(a, x, list, n);
	}
}

int arbiter_followers(struct arbiter *a, struct watcher *w, struct watcher ***out)
{
	int n = 0;

	*out = NULL;
	if (!a->has_deps)
		return 0;
	a->restart_round++;
	w->restart_mark = a->restart_round;
	collect_followers(a, w, out, &n);
	return n;
}

void arbiter_restart_followers(struct arbiter *a, struct watcher *w)
{
	if (!a->has_deps)
		return;
	a->restart_round++;
	w->restart_mark = a->restart_round;
	restart_followers(a, w);
}

bool arbiter_needed_by(struct arbiter *a, const struct watcher *w, char *out, size_t size)
{
	size_t used = 0;

	*out = '\0';
	for (struct watcher *x = a->watchers; x; x = x->next)
		if (x != w && deps_needs(x->config, w->name))
			append_text(out, size, &used, "%s%s", used ? ", " : "", x->name);
	return used > 0;
}

int arbiter_check_dependencies(struct arbiter *a, const struct watcher_config *wc, char *out,
			       size_t size)
{
	struct config_errors errors = { 0 };
	int n = 0;

	for (struct watcher *x = a->watchers; x; x = x->next)
		n++;
	struct watcher_config **configs = xcalloc((size_t)n + 2, sizeof(*configs));
	n = 0;
	for (struct watcher *x = a->watchers; x; x = x->next)
		if (strcasecmp(x->name, wc->name) != 0)
			configs[n++] = x->config;
	configs[n++] = (struct watcher_config *)wc;
	int problems = deps_check(configs, n, &errors);
	if (problems > 0) {
		/* "options:1:20: watchers.web.depends_on: unknown ..." -> from "watchers." */
		const char *msg = errors.lines[0], *tail = strstr(msg, ": watchers.");
		snprintf(out, size, "%s", tail ? tail + 2 : msg);
	}
	config_errors_free(&errors);
	free(configs);
	return problems > 0 ? -1 : 0;
}

/* --- watchers ---------------------------------------------------------------------------------- */

/* Children we still have once every watcher is idle: orphans adopted as a subreaper (or as
 * PID 1). Fills PIDS (up to MAX) and returns how many there are. */
static int adopted_children(const struct arbiter *a, pid_t *pids, int max)
{
	char path[300], buf[8192];
	int n = 0;
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *de;

	while (tasks && (de = readdir(tasks)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", de->d_name);
		FILE *fp = fopen(path, "re");
		if (fp == NULL)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[len] = '\0';
		for (char *save, *tok = strtok_r(buf, " \n", &save); tok && n < max;
		     tok = strtok_r(NULL, " \n", &save)) {
			pid_t pid = (pid_t)atoi(tok);
			bool ours_from_start = false;  /* e.g. a logger on our stderr: not to be stopped */
			for (int i = 0; a && i < a->ninitial_children; i++)
				ours_from_start = ours_from_start || a->initial_children[i] == pid;
			for (int i = 0; a && i < a->nreleased; i++)  /* rm with nostop */
				ours_from_start = ours_from_start || a->released[i] == pid;
			/* A zombie is gone already: the reaper's scan takes it. A hook still
			 * running is killed at exit (hook_shutdown). */
			if (!ours_from_start && !hook_owns_pid(pid) && !proc_is_zombie(pid))
				pids[n++] = pid;
		}
	}
	if (tasks)
		closedir(tasks);
	return n;
}

/* The one arbiter, for the orphan source (a plain function pointer). */
static struct arbiter *orphans_owner;

static int compare_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

/* Our children that no watcher tracks and that did not come with us: what the watchers'
 * programs left behind (their orphans, adopted by us as subreaper). */
static int untracked_children(pid_t **out)
{
	struct arbiter *a = orphans_owner;
	pid_t *children, *tracked;
	int n = proc_children(getpid(), false, &children), ntracked = 0, kept = 0, cap = 16;

	tracked = xmalloc(sizeof(pid_t) * (size_t)cap);
	for (struct watcher *w = a ? a->watchers : NULL; w; w = w->next) {
		for (struct process *p = w->processes; p; p = p->next) {
			if (p->pid <= 0)
				continue;
			if (ntracked == cap)
				tracked = xreallocarray(tracked, (size_t)(cap *= 2), sizeof(pid_t));
			tracked[ntracked++] = p->pid;
		}
	}
	qsort(tracked, (size_t)ntracked, sizeof(pid_t), compare_pid);
	for (int i = 0; i < n; i++) {
		pid_t pid = children[i];
		bool ours_from_start = false;
		for (int k = 0; a && k < a->ninitial_children; k++)
			ours_from_start = ours_from_start || a->initial_children[k] == pid;
		for (int k = 0; a && k < a->nreleased; k++)
			ours_from_start = ours_from_start || a->released[k] == pid;
		if (!ours_from_start && !hook_owns_pid(pid) &&
		    !bsearch(&pid, tracked, (size_t)ntracked, sizeof(pid_t), compare_pid))
			children[kept++] = pid;
	}
	free(tracked);
	*out = children;
	return kept;
}

/* Some child of ours has exited and is not reaped yet. */
static bool zombie_children(void)
{
	pid_t *children;
	int n = proc_children(getpid(), false, &children);
	bool any = false;

	for (int i = 0; i < n && !any; i++)
		any = proc_is_zombie(children[i]);
	free(children);
	return any;
}

static void finish(struct arbiter *a)
{
	a->finished = true;
	/* Every process has exited, so all it wrote is in its pipes: read it all before leaving. */
	streams_drain_all();
	log_info("all processes stopped, exiting");
	ev_break(a->loop, EVBREAK_ALL);
}

/* Adopted orphans get SIGTERM, then SIGKILL after ORPHAN_GRACE; we leave when none is left. */
#define ORPHAN_GRACE 2.0

static void on_orphan_check(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct arbiter *a = t->data;
	pid_t pids[1024];
	int n = adopted_children(a, pids, 1024);

	(void)revents;
	/* A zombie is waited for (reaped this round), but not for ever: one whose tracer never
	 * waits for it is not ours to reap. */
	if ((n == 0 && !zombie_children()) || ev_now(loop) - a->orphans_since >= ORPHAN_GRACE + 1) {
		ev_timer_stop(loop, t);
		finish(a);
		return;
	}
	if (ev_now(loop) - a->orphans_since >= ORPHAN_GRACE && !a->orphans_killed) {
		log_warnx("%d orphaned process%s still running after %gs, sending SIGKILL", n,
			  n == 1 ? "" : "es", ORPHAN_GRACE);
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		a->orphans_killed = true;
	}
}

static void check_shutdown_complete(struct arbiter *a)
{
	pid_t pids[1024];
	int n;

	if (!a->shutting_down || !a->stop_all_done || a->removed || a->finished ||
	    ev_is_active(&a->orphan_timer))
		return;
	for (struct watcher *w = a->watchers; w; w = w->next)
		if (!watcher_is_idle(w))
			return;
	n = adopted_children(a, pids, 1024);
	if (n == 0 && !zombie_children()) {
		finish(a);
		return;
	}
	a->orphans_since = ev_now(a->loop);
	a->orphans_killed = a->fast_shutdown;
	ev_timer_init(&a->orphan_timer, on_orphan_check, 0.05, 0.05);
	a->orphan_timer.data = a;
	ev_timer_start(a->loop, &a->orphan_timer);
	if (n == 0)  /* only exited ones, not reaped yet: the reaper's scan takes them */
		return;
	/* Left behind by our children (double forks, background jobs): we adopted them, we stop
	 * them too, so that a shutdown leaves nothing running. */
	log_info("%d process%s the watchers' programs left behind (their children, adopted): "
		 "sending SIGTERM", n, n == 1 ? "" : "es");
	for (int i = 0; i < n; i++)
		kill(pids[i], a->fast_shutdown ? SIGKILL : SIGTERM);
}

static void unlink_watcher(struct watcher **list, struct watcher *w)
{
	for (struct watcher **link = list; *link; link = &(*link)->next) {
		if (*link == w) {
			*link = w->next;
			return;
		}
	}
}

static void free_dead(struct arbiter *a)
{
	while (a->dead) {
		struct watcher *w = a->dead;
		a->dead = w->next_dead;
		watcher_free(w);
	}
}

static void on_reaper(struct ev_loop *loop, ev_prepare *reaper, int revents)
{
	(void)revents;
	free_dead(reaper->data);
	ev_prepare_stop(loop, reaper);
}

/* W is done with: detached now, freed by the reaper once no callback of it is on the stack. */
static void bury(struct arbiter *a, struct watcher *w)
{
	watcher_detach(w);
	w->next_dead = a->dead;
	a->dead = w;
	ev_prepare_start(a->loop, &a->reaper);
}

/* Every watcher's idle hook: buries removed watchers, lets their successors go, ends shutdown. */
static void on_watcher_idle(struct watcher *w, void *arg)
{
	struct arbiter *a = arg;

	if (w->removing) {
		struct watcher *successor = w->successor;
		unlink_watcher(&a->removed, w);
		log_info("watcher %s: %s", w->name, successor ? "stopped, its successor takes the name"
							      : "removed");
		bury(a, w);
		if (successor && a->shutting_down)
			watcher_stop(successor, NULL, NULL);  /* the ordered stop may not be there yet */
		else if (successor)
			watcher_predecessor_gone(successor);
	}
	check_shutdown_complete(a);
}

/* Every watcher's event hook: Circus's events on the PUB socket. */
static void on_watcher_event(struct watcher *w, const char *event, pid_t pid, int exit_code,
			     void *arg)
{
	struct arbiter *a = arg;
	json_t *payload;

	if (!events_heard(a->events))
		return;
	if (strcmp(event, "reap") == 0) {
		struct process *p = watcher_find_pid(w, pid);
		payload = json_pack("{s:i, s:i}", "process_pid", (int)pid, "exit_code", exit_code);
		if (p && p->exit_unknown)  /* adopted (survivors.h): init reaped it, not us */
			json_object_set_new(payload, "status_unknown", json_true());
		if (p && p->start_error)  /* killed while starting (not ready): why */
			json_object_set_new(payload, "reason",
					    text_to_json(p->start_error, strlen(p->start_error)));
	}
	else if (pid > 0)
		payload = json_pack("{s:i}", "process_pid", (int)pid);
	else
		payload = json_object();
	events_publish_watcher(a->events, w->name, event, payload);
}

/* Each hook run's end (hook.h), as the watcher events: watcher.<name>.hook. */
static void on_hook_event(const char *watcher, json_t *payload, void *arg)
{
	struct arbiter *a = arg;

	if (!events_heard(a->events)) {
		json_decref(payload);
		return;
	}
	events_publish_watcher(a->events, watcher, "hook", payload);
}

/* The newest removed watcher of NAME, still stopping, that no other follows yet. */
static struct watcher *stopping_namesake(struct arbiter *a, const char *name)
{
	for (struct watcher *w = a->removed; w; w = w->next)  /* newest first */
		if (strcasecmp(w->name, name) == 0 && w->successor == NULL)
			return w;
	return NULL;
}

/* A new watcher takes over a name whose old processes may still be stopping: it follows them,
 * so that two generations never run side by side. */
static struct watcher *add_watcher(struct arbiter *a, struct watcher_config *wc)
{
	struct watcher *w = watcher_new(a->loop, wc, a->devnull_fd), **tail;
	struct watcher *namesake;

	w->child_nofile = &a->child_nofile;
	w->on_idle = on_watcher_idle;
	w->on_event = on_watcher_event;
	w->should_hold = hold_for_dependencies;
	w->on_change = on_watcher_change;
	w->hook_arg = a;
	for (tail = &a->watchers; *tail; tail = &(*tail)->next)
		;
	*tail = w;
	namesake = stopping_namesake(a, w->name);
	if (namesake) {
		log_info("watcher %s: the processes of the previous %s are still stopping: its own "
			 "start waits for them", w->name, w->name);
		watcher_follow(w, namesake);
	}
	refresh_has_deps(a);
	return w;
}

struct watcher *arbiter_find(struct arbiter *a, const char *name)
{
	for (struct watcher *w = a->watchers; w; w = w->next)
		if (strcasecmp(w->name, name) == 0)  /* names are case-insensitive, as in Circus */
			return w;
	return NULL;
}

/* Moves W to the removed list and stops it; it is buried when idle (maybe right now), which is
 * not before its own predecessor, if any, is gone. */
static void retire_watcher_later(struct arbiter *a, struct watcher *w, bool stop)
{
	unlink_watcher(&a->watchers, w);
	w->removing = true;
	w->next = a->removed;
	a->removed = w;
	forget_deferred(a, w);
	refresh_has_deps(a);
	mark_deps_dirty(a);  /* its dependents, if any, are blocked now */
	if (stop) {
		watcher_stop(w, NULL, NULL);
		return;
	}
	a->retire_after = xreallocarray(a->retire_after, (size_t)a->nretire_after + 1,
					sizeof(*a->retire_after));
	a->retire_after[a->nretire_after++] = w;
}

static void retire_watcher(struct arbiter *a, struct watcher *w)
{
	retire_watcher_later(a, w, true);
}

/* W, replaced, may stop once no watcher that restarts with it has a process left (or at once
 * when the daemon is stopping). */
static bool followers_down(struct arbiter *a, const struct watcher *w)
{
	if (a->shutting_down)
		return true;
	for (const struct watcher *x = a->watchers; x; x = x->next)
		if (dep_list_has(&x->config->restart_with, w->name) &&
		    (watcher_count_state(x, PS_RUNNING) || watcher_count_state(x, PS_STARTING) ||
		     watcher_count_state(x, PS_STOPPING) || watcher_count_state(x, PS_BACKOFF)))
			return false;
	return true;
}

/* The replaced watchers whose followers are down now stop (the pass, and the shutdown). */
static void settle_retirements(struct arbiter *a)
{
	int kept = 0;

	for (int i = 0; i < a->nretire_after; i++) {
		struct watcher *w = a->retire_after[i];
		if (!followers_down(a, w)) {
			a->retire_after[kept++] = w;
			continue;
		}
		log_info("watcher %s: the watchers that restart with it are down: stopping it",
			 w->name);
		watcher_stop(w, NULL, NULL);
	}
	a->nretire_after = kept;
}

/* --- daemon settings -------------------------------------------------------------------------- */

/* A setting that only a restart of cirqued applies (its sockets are bound, its pidfile written
 * once): a reload keeps the RUNNING value in the configuration it takes (NEW's is freed with the
 * old one), and says so, rather than show a value not in use. */
static void keep_restart_setting(const char *key, char **new_value, char **running)
{
	if (same_text(*new_value, *running))
		return;
	log_warnx("reload: cirque.%s changed (%s -> %s): it applies when cirqued restarts; "
		  "%s stays in force", key, *running ? *running : "default",
		  *new_value ? *new_value : "default", *running ? *running : "the default");
	char *t = *new_value;
	*new_value = *running;
	*running = t;
}

static void take_daemon_settings(struct arbiter *a, struct config *config, bool reload)
{
	struct daemon_config *old = &a->daemon;

	bool new_output = !same_text(old->logoutput, config->daemon.logoutput);
	if (reload) {
		keep_restart_setting("endpoint", &config->daemon.endpoint, &old->endpoint);
		keep_restart_setting("pubsub_endpoint", &config->daemon.pubsub_endpoint,
				     &old->pubsub_endpoint);
		keep_restart_setting("pidfile", &config->daemon.pidfile, &old->pidfile);
		keep_restart_setting("curve_secret_key_file", &config->daemon.curve_secret_key_file,
				     &old->curve_secret_key_file);
		keep_restart_setting("cgroup", &config->daemon.cgroup, &old->cgroup);
		keep_restart_setting("operator_group", &config->daemon.operator_group,
				     &old->operator_group);

	}

	daemon_config_free(old);
	*old = config->daemon;
	memset(&config->daemon, 0, sizeof(config->daemon));
	if (old->loglevel >= 0)
		log_set_level((enum log_level)old->loglevel);
	if (old->umask >= 0)
		umask((mode_t)old->umask);
	char why[SAFEFS_WHY];
	if (new_output && log_set_output(old->logoutput, why) < 0)
		log_msg(LL_ERROR, "cannot open logoutput %s, logging stays where it was: %s",
			old->logoutput, why);
}

/* Binds CONFIG's sockets (keeping the open ones that did not change), all or nothing: on failure
 * logs why and changes nothing. *REBOUND: names of sockets re-created under a name in use. */
static int take_sockets(struct config *config, char ***rebound)
{
	char *error = NULL;

	if (sockets_apply(config->sockets, config->nsockets, rebound, &error) < 0) {
		log_errorx("%s", error ? error : "cannot bind the sockets: out of memory");
		free(error);
		return -1;
	}
	return 0;
}

/* Takes every watcher config out of CONFIG and frees the rest. */
static struct watcher_config **take_watcher_configs(struct config *config, int *count)
{
	struct watcher_config **list = config->watchers;

	*count = config->nwatchers;
	config->watchers = NULL;
	config->nwatchers = 0;
	config_free(config);
	return list;
}

/* Each watcher's definition as the file gives it, taken before the watchers own the configs. */
static json_t *file_definitions_of(struct watcher_config **configs, int count)
{
	json_t *defs = json_object();

	for (int i = 0; i < count; i++)
		json_object_set_new(defs, configs[i]->name,
				    json_pack("{s:O, s:i}", "raw", configs[i]->raw, "numprocesses",
					      configs[i]->numprocesses));
	return defs;
}

bool arbiter_file_changed(const struct arbiter *a, const struct watcher_config *wc)
{
	json_t *before = json_object_get(a->file_definitions, wc->name);

	return before == NULL || !json_equal(json_object_get(before, "raw"), wc->raw);
}

static int compare_names(const void *x, const void *y)
{
	return strcmp(json_string_value(*(json_t *const *)x), json_string_value(*(json_t *const *)y));
}

/* KEY of the raw options differs between A and B (a missing key differs from any value). */
static bool raw_differs(json_t *a, json_t *b, const char *key)
{
	return !json_equal(json_object_get(a, key), json_object_get(b, key));
}

json_t *arbiter_runtime_changes(const struct arbiter *a, const struct watcher *w,
				const struct watcher_config *wc)
{
	json_t *before = json_object_get(a->file_definitions, w->name);
	json_t *file_raw = json_object_get(before, "raw"), *now = w->config->raw, *value, *list;
	const char *key;
	size_t n = 0;

	list = json_array();
	if (before == NULL)
		return list;  /* added at run time: nothing the file defined to undo */
	/* `set` rewrites the raw options; incr and decr only the running count */
	json_object_foreach(now, key, value)
		if (strcmp(key, "numprocesses") != 0 && raw_differs(now, file_raw, key) &&
		    raw_differs(now, wc->raw, key))
			json_array_append_new(list, json_string(key));
	json_object_foreach(file_raw, key, value)
		if (strcmp(key, "numprocesses") != 0 && json_object_get(now, key) == NULL &&
		    json_object_get(wc->raw, key) != NULL)
			json_array_append_new(list, json_string(key));
	if (w->numprocesses != json_integer_value(json_object_get(before, "numprocesses")) &&
	    w->numprocesses != wc->numprocesses)
		json_array_append_new(list, json_string("numprocesses"));
	n = json_array_size(list);
	json_t **items = xcalloc(n + 1, sizeof(json_t *));
	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(list, i));
	qsort(items, n, sizeof(json_t *), compare_names);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	free(items);
	return list;
}

/* --- signals ---------------------------------------------------------------------------------- */

static void on_terminate(struct ev_loop *loop, ev_signal *sig, int revents)
{
	(void)loop;
	(void)revents;
	struct arbiter *a = sig->data;
	log_info("received SIG%s", sig->signum == SIGINT ? "INT" : "TERM");
	arbiter_shutdown(a, false);
}

static void on_quit(struct ev_loop *loop, ev_signal *sig, int revents)
{
	(void)loop;
	(void)revents;
	log_info("received SIGQUIT: fast shutdown");
	arbiter_shutdown(sig->data, true);
}

static void on_hangup(struct ev_loop *loop, ev_signal *sig, int revents)
{
	(void)loop;
	(void)revents;
	log_info("received SIGHUP: reloading %s", ((struct arbiter *)sig->data)->config_path);
	arbiter_reload(sig->data);
}

static void on_usr1(struct ev_loop *loop, ev_signal *sig, int revents)
{
	(void)loop;
	(void)sig;
	(void)revents;
	log_info("received SIGUSR1: reopening log files");
	streams_reopen();
}

/* Every output pipe costs the daemon a descriptor: take the hard limit for ourselves, and give
 * children the limit we were started with (a raised soft limit breaks select()-based programs). */
static void raise_nofile(struct arbiter *a)
{
	struct rlimit raised;

	if (getrlimit(RLIMIT_NOFILE, &a->child_nofile) < 0)
		return;
	raised = a->child_nofile;
	raised.rlim_cur = raised.rlim_max;
	if (raised.rlim_cur != a->child_nofile.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) < 0)
		log_warn("cannot raise the descriptor limit to %llu",
	     (unsigned long long)raised.rlim_cur);
}

static void watch_signal(struct arbiter *a, ev_signal *w, void (*cb)(struct ev_loop *, ev_signal *, int),
			 int signum)
{
	ev_signal_init(w, cb, signum);
	w->data = a;
	ev_signal_start(a->loop, w);
}

/* --- life cycle ------------------------------------------------------------------------------- */

int arbiter_init(struct arbiter *a, struct ev_loop *loop, struct config *config)
{
	struct watcher_config **configs;
	int count;

	memset(a, 0, sizeof(*a));
	a->loop = loop;
	ev_prepare_init(&a->reaper, on_reaper);
	a->reaper.data = a;
	ev_prepare_init(&a->deps_pass, on_deps_pass);
	a->deps_pass.data = a;
	a->daemon.loglevel = -1;
	a->daemon.umask = -1;
	a->config_path = xstrdup(config->path);
	orphans_owner = a;
	watcher_set_orphan_source(untracked_children);
	hook_set_publisher(on_hook_event, a);
	raise_nofile(a);
	fd_reserve_init();
	/* Children we have before spawning anything came with the process that exec'd us (a
	 * wrapper's `2> >(logger)`): they are not orphans of our watchers. */
	a->initial_children = xmalloc(sizeof(pid_t) * 64);
	a->ninitial_children = adopted_children(NULL, a->initial_children, 64);
	a->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (a->devnull_fd < 0) {
		log_errno(LL_CRITICAL, "cannot open /dev/null");
		config_free(config);
		return -1;
	}
	char **rebound = NULL;
	if (take_sockets(config, &rebound) < 0) {
		config_free(config);
		return -1;
	}
	take_daemon_settings(a, config, false);
	configs = take_watcher_configs(config, &count);
	a->file_definitions = file_definitions_of(configs, count);
	for (int i = 0; i < count; i++)
		add_watcher(a, configs[i]);
	free(configs);
	free_words(rebound);
	watch_signal(a, &a->sigterm, on_terminate, SIGTERM);
	watch_signal(a, &a->sigint, on_terminate, SIGINT);
	watch_signal(a, &a->sigquit, on_quit, SIGQUIT);
	watch_signal(a, &a->sighup, on_hangup, SIGHUP);
	watch_signal(a, &a->sigusr1, on_usr1, SIGUSR1);
	return 0;
}

/* "3 watchers, 12 processes running" for logs and systemd's STATUS=. */
static void describe_state(struct arbiter *a, char *out, size_t size)
{
	int n = 0, processes = 0;

	for (struct watcher *w = a->watchers; w; w = w->next) {
		n++;
		processes += watcher_count_state(w, PS_RUNNING);
	}
	snprintf(out, size, "%d watcher%s, %d process%s running", n, n == 1 ? "" : "s", processes,
		 processes == 1 ? "" : "es");
}

/* "; not ready: db, cache" when some wanted watcher has a process that is not up: one that
 * failed to start and is retried (or gave up). Empty otherwise. */
static void describe_not_ready(struct arbiter *a, char *out, size_t size)
{
	size_t used = 0;

	*out = '\0';
	for (struct watcher *w = a->watchers; w && used < size; w = w->next) {
		bool up = strcmp(watcher_status(w), "active") == 0 &&
			  watcher_count_state(w, PS_FATAL) == 0;
		if (!w->wanted || up)
			continue;
		int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "; not ready: ",
				 w->name);
		used += n > 0 ? (size_t)n : 0;
	}
}

static void on_started(struct arbiter *a, void *arg)
{
	char state[128], not_ready[256];

	(void)arg;
	if (a->shutting_down)
		return;
	describe_state(a, state, sizeof(state));
	describe_not_ready(a, not_ready, sizeof(not_ready));
	log_info("started: %s%s", state, not_ready);
	/* Every priority level is decided (each of its watchers up, or failed a start and being
	 * retried): we are ready. */
	notify_send("READY=1\nSTATUS=%s%s", state, not_ready);
}

bool arbiter_waiting_for(const struct arbiter *a, const struct watcher *w, char *out, size_t size)
{
	if (!w->start_queued || w->wanted || !watcher_is_idle(w))
		return false;
	for (const struct level_run *run = a->runs; run; run = run->next) {
		bool later = false;
		if (!run->starting || run->cancelled || run->next_level == 0 || !in_level(run, w))
			continue;
		for (int i = run->next_level; i < run->nlevels; i++)
			later = later || run->levels[i] == w->level;
		if (!later)
			continue;
		char names[200];
		holding_names(run, names, sizeof(names));
		snprintf(out, size, "%s%s(priority %d)", names, names[0] ? " " : "",
			 run->levels[run->next_level - 1]);
		return true;
	}
	return false;
}

void arbiter_start(struct arbiter *a)
{
	struct level_run *run = level_run_new(a, true, on_started, NULL);

	run->only_autostart = true;
	queue_starts(run);
	level_run_next(run);
	for (struct watcher *w = a->watchers; w; w = w->next)
		watcher_on_demand_refresh(w);
}

int arbiter_start_all(struct arbiter *a, arbiter_done_fn done, void *arg)
{
	struct level_run *run;

	if (a->shutting_down)
		return -1;
	run = level_run_new(a, true, done, arg);
	queue_starts(run);
	level_run_next(run);
	return 0;
}

int arbiter_stop_all(struct arbiter *a, arbiter_done_fn done, void *arg)
{
	struct level_run *run = level_run_new(a, false, done, arg);

	level_run_next(run);
	return 0;
}

static void on_all_stopped(struct arbiter *a, void *arg)
{
	(void)arg;
	a->stop_all_done = true;
	check_shutdown_complete(a);
}

void arbiter_shutdown(struct arbiter *a, bool fast)
{
	if (a->shutting_down && (!fast || a->fast_shutdown)) {
		log_info("shutdown already in progress (SIGQUIT, Ctrl-\\ in a terminal, kills every "
			 "process now)");
		return;
	}
	a->shutting_down = true;
	notify_send("STOPPING=1\nSTATUS=stopping all watchers");
	for (struct watcher *w = a->watchers; w; w = w->next)
		watcher_on_demand_end(w);
	for (struct level_run *run = a->runs; run; run = run->next)
		run->cancelled = true;  /* no further level starts; each still reports its end */
	settle_retirements(a);  /* replaced watchers waiting for their followers: they stop now */
	if (fast) {
		a->fast_shutdown = true;
		a->stop_all_done = true;
		for (struct watcher *w = a->watchers; w; w = w->next)
			watcher_kill(w);
		for (struct watcher *w = a->removed, *next; w; w = next) {
			next = w->next;
			watcher_kill(w);
		}
		check_shutdown_complete(a);
		return;
	}
	log_info("stopping all watchers");
	struct level_run *run = level_run_new(a, false, on_all_stopped, NULL);
	level_run_next(run);
}

/* --- reload ------------------------------------------------------------------------------------ */

/* A watcher whose definition changed is replaced: the old one stops, and the new one, which
 * follows it, starts once it is gone; the two never run side by side. Returns the new one. */
static struct watcher *replace_watcher(struct arbiter *a, struct watcher *old,
				       struct watcher_config *wc, bool start)
{
	struct watcher *nw;
	char keys[256];

	watcher_config_restart_keys(old->config, wc, keys, sizeof(keys));
	log_info("watcher %s: definition changed%s%s%s, restarting it", old->name,
		 keys[0] ? " (" : "", keys, keys[0] ? ")" : "");
	struct watcher **followers = NULL;
	int n = start ? arbiter_followers(a, old, &followers) : 0;
	/* Its followers (restart_with) go down first: it stops once they are. */
	retire_watcher_later(a, old, n == 0);
	nw = add_watcher(a, wc);
	if (start)
		watcher_start(nw, NULL, NULL);
	for (int i = 0; i < n; i++) {  /* their new processes wait for NW to be ready */
		log_info("watcher %s: restarting with %s (restart_with): it stops first",
			 followers[i]->name, nw->name);
		watcher_restart(followers[i], NULL, NULL);
	}
	free(followers);
	return nw;
}

/* Watchers fed by sockets are replaced the graceful way, new processes first: the sockets stay
 * open meanwhile, so not one connection is refused. Others never run old and new side by side
 * (they may hold a port or a lock of their own). */
static bool replace_gracefully(const struct watcher *w, const struct watcher_config *wc, bool start)
{
	bool old_sockets = w->config->use_sockets || w->config->use_all_sockets;
	bool new_sockets = wc->use_sockets || wc->use_all_sockets;

	return start && w->wanted && old_sockets && new_sockets;
}

/* A new definition WC for W: identical -> untouched; same processes -> options changed in place
 * (numprocesses starts or stops only the difference); otherwise W is replaced (stop, then start
 * when START; new first for socket users), as it is when RENEW (a socket it uses was re-bound).
 * The count compared is the running one (RUNTIME_COUNT, set and reloads: the new definition's
 * count wins) or the configured one. A reload calls it only for watchers whose definition in
 * the file changed: the others keep their run-time changes (apply_watcher_configs).
 * Returns the watcher that now holds the name. Takes WC. */
static struct watcher *apply_definition(struct arbiter *a, struct watcher *w,
					struct watcher_config *wc, bool start, bool runtime_count,
					bool renew)
{
	int before = runtime_count ? w->numprocesses : w->config->numprocesses;
	int count = before == wc->numprocesses ? w->numprocesses : wc->numprocesses;

	if (!w->wanted)
		renew = false;  /* its next start gets the new socket anyway */
	if (!renew && watcher_config_same_processes(w->config, wc)) {
		bool options_changed = !watcher_config_equal(w->config, wc, true);
		if (before == wc->numprocesses && !options_changed) {
			watcher_config_free(wc);
			return w;
		}
		if (before != wc->numprocesses)
			log_info("watcher %s: numprocesses %d -> %d", w->name, w->numprocesses,
				 wc->numprocesses);
		if (options_changed)
			log_info("watcher %s: options updated in place (no restart needed)", w->name);
		watcher_replace_config(w, wc, count);
		streams_reconfigure(w->config);  /* output options: new sinks, same pipes */
		events_publish_watcher(a->events, w->name, "updated", NULL);
		return w;
	}
	events_publish_watcher(a->events, w->name, "updated", NULL);
	if (replace_gracefully(w, wc, start)) {
		log_info("watcher %s: %s, replacing its processes (new ones first)", w->name,
			 renew ? "a socket it uses was re-bound" : "definition changed");
		watcher_reload_with(w, wc, count, NULL, NULL);
		arbiter_restart_followers(a, w);
		return w;
	}
	return replace_watcher(a, w, wc, start);
}

static void apply_watcher_configs(struct arbiter *a, struct watcher_config **configs, int count,
				  char **rebound)
{
	struct watcher *w, *next;

	/* Removed: in the running set but not in the new file. */
	for (w = a->watchers; w; w = next) {
		bool kept = false;
		next = w->next;
		for (int i = 0; i < count && !kept; i++)
			kept = configs[i] && strcasecmp(configs[i]->name, w->name) == 0;
		if (!kept) {
			log_info("reload: watcher %s removed", w->name);
			retire_watcher(a, w);
		}
	}
	for (int i = 0; i < count; i++) {
		struct watcher_config *wc = configs[i];
		w = arbiter_find(a, wc->name);
		if (w) {
			bool renew = sockets_watcher_uses(wc, rebound);
			/* Unchanged in the file: untouched, its run-time changes (set, incr) stay.
			 * Changed: the file's definition wins, count included. */
			if (!renew && !arbiter_file_changed(a, wc)) {
				watcher_config_free(wc);
				continue;
			}
			apply_definition(a, w, wc, w->wanted || (wc->autostart && !wc->on_demand),
					 true, renew);
		} else {
			log_info("reload: watcher %s added", wc->name);
			struct watcher *nw = add_watcher(a, wc);
			if (nw->config->autostart && !nw->config->on_demand)
				watcher_start(nw, NULL, NULL);
		}
	}
}

/* The processes the watchers would want after applying CONFIGS (a count changed at run time
 * survives when the file's does not change, as apply_definition keeps it). */
static long planned_processes(struct arbiter *a, struct watcher_config **configs, int count)
{
	long total = 0;

	for (int i = 0; i < count; i++) {
		struct watcher *w = arbiter_find(a, configs[i]->name);
		total += w && w->config->numprocesses == configs[i]->numprocesses ? w->numprocesses
										     : configs[i]->numprocesses;
	}
	return total;
}

static int reload(struct arbiter *a)
{
	struct config_errors errors = { 0 };
	struct config *config;
	struct watcher_config **configs;
	int count;

	if (a->shutting_down) {
		log_warnx("reload ignored: shutting down");
		return -1;
	}
	notify_send("RELOADING=1\nSTATUS=reloading %s", a->config_path);
	if (config_load(a->config_path, &config, &errors) < 0) {
		for (int i = 0; i < errors.count; i++)
			log_errorx("%s", errors.lines[i]);
		log_errorx("reload failed: %d error%s in the configuration; keeping the running one",
			   errors.count, errors.count == 1 ? "" : "s");
		config_errors_free(&errors);
		notify_send("READY=1\nSTATUS=reload failed, running the previous configuration");
		return -1;
	}
	config_log_warnings(config);
	long planned = planned_processes(a, config->watchers, config->nwatchers);
	long max = daemon_max_processes(&config->daemon);
	if (planned > max) {
		log_errorx("reload failed: with the counts changed at run time (incr, decr, set), the "
			   "watchers would want %ld processes, more than max_processes %ld; keeping the "
			   "running configuration", planned, max);
		config_free(config);
		notify_send("READY=1\nSTATUS=reload failed, running the previous configuration");
		return -1;
	}
	char **rebound = NULL;
	if (take_sockets(config, &rebound) < 0) {
		log_errorx("reload failed: keeping the running configuration");
		config_free(config);
		notify_send("READY=1\nSTATUS=reload failed, running the previous configuration");
		return -1;
	}
	take_daemon_settings(a, config, true);
	configs = take_watcher_configs(config, &count);
	json_t *current = file_definitions_of(configs, count);
	apply_watcher_configs(a, configs, count, rebound);  /* compares with the previous load */
	for (struct watcher *w = a->watchers; w; w = w->next)
		watcher_on_demand_refresh(w);  /* the sockets may have been bound anew */
	refresh_has_deps(a);
	mark_deps_dirty(a);
	json_decref(a->file_definitions);
	a->file_definitions = current;
	free(configs);
	free_words(rebound);
	log_info("reload complete");
	char state[128];
	describe_state(a, state, sizeof(state));
	notify_send("READY=1\nSTATUS=%s", state);
	return 0;
}

int arbiter_reload(struct arbiter *a)
{
	int rc = reload(a);

	metrics_reload_done(rc == 0);
	return rc;
}

long arbiter_processes_with(const struct arbiter *a, const struct watcher *w, long n)
{
	long total = w ? 0 : n;

	for (const struct watcher *x = a->watchers; x; x = x->next)
		total += x == w ? n : x->numprocesses;
	return total;
}

struct watcher *arbiter_add_watcher(struct arbiter *a, struct watcher_config *wc)
{
	return add_watcher(a, wc);
}

void arbiter_remove_watcher(struct arbiter *a, struct watcher *w)
{
	retire_watcher(a, w);
}

void arbiter_release_watcher(struct arbiter *a, struct watcher *w)
{
	pid_t *pids;
	int n = watcher_release(w, &pids), kept = 0;

	/* Those released before that have exited since (and were reaped) are forgotten. */
	for (int i = 0; i < a->nreleased; i++)
		if (kill(a->released[i], 0) == 0)
			a->released[kept++] = a->released[i];
	a->released = xreallocarray(a->released, (size_t)(kept + n + 1), sizeof(pid_t));
	memcpy(a->released + kept, pids, sizeof(pid_t) * (size_t)n);
	a->nreleased = kept + n;
	free(pids);
	unlink_watcher(&a->watchers, w);
	w->removing = true;
	forget_deferred(a, w);
	refresh_has_deps(a);
	log_info("watcher %s: removed, %d process%s left running (nostop)", w->name, n,
		 n == 1 ? "" : "es");
	bury(a, w);
}

struct watcher *arbiter_change_watcher(struct arbiter *a, struct watcher *w,
				       struct watcher_config *wc)
{
	struct watcher *now = apply_definition(a, w, wc, w->wanted, true, false);

	refresh_has_deps(a);
	mark_deps_dirty(a);  /* its dependencies may have changed */
	return now;
}

void arbiter_free(struct arbiter *a)
{
	struct watcher *w;

	while ((w = a->watchers)) {
		a->watchers = w->next;
		watcher_free(w);
	}
	while ((w = a->removed)) {
		a->removed = w->next;
		watcher_free(w);
	}
	free_dead(a);
	ev_prepare_stop(a->loop, &a->reaper);
	ev_prepare_stop(a->loop, &a->deps_pass);
	while (a->runs)  /* a start still waiting for a watcher that never settled */
		level_run_free(a->runs);
	ev_signal_stop(a->loop, &a->sigterm);
	ev_signal_stop(a->loop, &a->sigint);
	ev_signal_stop(a->loop, &a->sigquit);
	ev_signal_stop(a->loop, &a->sighup);
	ev_signal_stop(a->loop, &a->sigusr1);
	ev_timer_stop(a->loop, &a->orphan_timer);
	if (a->devnull_fd >= 0)
		close(a->devnull_fd);
	daemon_config_free(&a->daemon);
	free(a->initial_children);
	free(a->released);
	free(a->retire_after);
	free(a->control_endpoint);
	free(a->pubsub_endpoint);
	free(a->config_path);
	json_decref(a->file_definitions);
	sockets_close_all();
}

/* --- re-exec (reexec.h) ------------------------------------------------------------------------ */

bool arbiter_reexec_blocker(struct arbiter *a, char *out, size_t size)
{
	if (a->shutting_down) {
		snprintf(out, size, "the daemon is shutting down");
		return true;
	}
	if (a->runs) {
		snprintf(out, size, "a start or stop by priority level is under way");
		return true;
	}
	if (survivors_stopping()) {  /* the start waits for them (survivors.h) */
		snprintf(out, size, "the stop of what a cirqued that died left running");
		return true;
	}
	if (a->removed || a->nretire_after) {
		snprintf(out, size, "removed or replaced watchers are still stopping");
		return true;
	}
	for (struct watcher *w = a->watchers; w; w = w->next)
		if (watcher_reexec_blocker(w, out, size))
			return true;
	return hook_running(out, size);
}

void arbiter_abandon_waiters(struct arbiter *a)
{
	for (struct watcher *w = a->watchers; w; w = w->next)
		watcher_abandon_waiters(w);
}

json_t *arbiter_save(struct arbiter *a)
{
	json_t *watchers = json_array();

	for (struct watcher *w = a->watchers; w; w = w->next) {
		json_t *state = watcher_save(w);
		if (state == NULL) {
			json_decref(watchers);
			return NULL;
		}
		json_array_append_new(watchers, json_pack("{s:s, s:s?, s:O, s:o}", "name", w->name,
							  "origin", w->config->origin,
							  "definition", w->config->raw,
							  "state", state));
	}
	return json_pack("{s:s, s:o, s:O, s:o, s:o, s:o}", "config_path", a->config_path,
			 "daemon", daemon_config_save(&a->daemon),
			 "file_definitions", a->file_definitions, "initial_children",
			 reexec_pids_json(a->initial_children, a->ninitial_children), "released",
			 reexec_pids_json(a->released, a->nreleased), "watchers", watchers);
}

int arbiter_saved_watchers(const json_t *saved, struct config *config, char *error,
			   size_t size)
{
	const json_t *watchers = json_object_get(saved, "watchers"), *one;
	json_t *doc = json_pack("{s:o}", "watchers", json_object());
	struct config_errors errors = { 0 };
	struct config *loaded;
	size_t i;

	json_array_foreach(watchers, i, one)
		json_object_set(json_object_get(doc, "watchers"),
				json_string_value(json_object_get(one, "name")) ?: "?",
				json_object_get(one, "definition"));
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL || config_load_text("state", text, &loaded, &errors) < 0) {
		snprintf(error, size, "%s", errors.count ? errors.lines[0] : "out of memory");
		config_errors_free(&errors);
		free(text);
		return -1;
	}
	free(text);
	for (int k = 0; k < config->nwatchers; k++)
		watcher_config_free(config->watchers[k]);
	free(config->watchers);
	config->watchers = loaded->watchers;
	config->nwatchers = loaded->nwatchers;
	loaded->watchers = NULL;
	loaded->nwatchers = 0;
	config_free(loaded);
	for (int k = 0; k < config->nwatchers; k++) {  /* where each came from, for messages */
		const char *origin = json_string_value(json_object_get(
			json_array_get(watchers, (size_t)k), "origin"));
		if (origin) {
			free(config->watchers[k]->origin);
			config->watchers[k]->origin = xstrdup(origin);
		}
	}
	return 0;
}

void arbiter_restore(struct arbiter *a, const json_t *saved)
{
	const json_t *one;
	size_t i;

	json_decref(a->file_definitions);
	a->file_definitions = json_deep_copy(json_object_get(saved, "file_definitions"));
	if (a->file_definitions == NULL)
		a->file_definitions = json_object();
	free(a->initial_children);
	a->ninitial_children = reexec_pids_of_json(json_object_get(saved, "initial_children"),
					    &a->initial_children);
	free(a->released);
	a->nreleased = reexec_pids_of_json(json_object_get(saved, "released"), &a->released);
	compute_levels(a);
	json_array_foreach(json_object_get(saved, "watchers"), i, one) {
		struct watcher *w = arbiter_find(a, json_string_value(json_object_get(one, "name")));
		if (w)
			watcher_restore(w, json_object_get(one, "state"));
	}
	for (struct watcher *w = a->watchers; w; w = w->next)
		watcher_on_demand_refresh(w);
	if (a->has_deps)
		mark_deps_dirty(a);
}
