/* watcher.c - runs a watcher's processes through the state table of state.c. */
#include "watcher.h"

#include "fdlimit.h"
#include "hook.h"
#include "launch.h"
#include "listener.h"
#include "log.h"
#include "parse.h"
#include "proc_info.h"
#include "reexec.h"
#include "sockets.h"
#include "spawn.h"
#include "stream.h"
#include "xmalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


static void watcher_update(struct watcher *w);
static void process_dispatch(struct process *p, enum proc_event event);
static struct proc_policy policy_of(const struct process *p);
static void process_apply(struct process *p, enum proc_event event,
			  const struct proc_policy *policy);
static void on_process_ready(void *arg);
static bool oom_kill_of(struct watcher *w, int status);
static bool pausing(const struct process *p);
static void process_recount(struct process *p);
static void pid_index_add(struct process *p);
static void pid_index_remove(struct process *p);
static void by_wid_set(struct process *p);
static void by_wid_clear(struct process *p);
static void spawn_or_queue(struct process *p);
static void backoff_join(struct process *p, double delay);
static void queue_leave(struct process *p);
static bool is_unspawned(const struct process *p);
static void set_retiring(struct process *p, bool stop_first);
static void process_spawn(struct process *p);
static double max_age_with_variance(const struct watcher_config *c);
static void signal_batches_end(struct watcher *w);
static void demand_update(struct watcher *w);
static void demand_disarm(struct watcher *w);

/* Runs W's hook at POINT for P's slot and PID, with nothing waiting for its end (after_spawn,
 * after_reap with the exit's STATUS, after_signal with SIGNUM). */
static void run_hook_alone(struct watcher *w, enum hook_point point, const struct process *p,
			   pid_t pid, int status, int signum)
{
	struct hook_event ev = { .point = point, .wid = p->wid, .pid = pid, .status = status,
				 .signum = signum };

	hook_start(w, &ev, NULL, NULL);
}

static void emit(struct watcher *w, const char *event, pid_t pid, int exit_code)
{
	if (w->on_event)
		w->on_event(w, event, pid, exit_code, w->hook_arg);
}

/* --- processes -------------------------------------------------------------------------------- */

/* An exit with a status in exitcodes (a signal never is): the program finished as it should. */
static bool exit_is_expected(const struct watcher_config *c, int status)
{
	return WIFEXITED(status) && exit_code_expected(&c->exitcodes, WEXITSTATUS(status));
}

static void log_exit(const struct process *p, pid_t pid, int status)
{
	enum log_level level = p->state == PS_STOPPING ? LL_INFO : LL_WARNING;
	/* Killed by us for not being ready: no surprise, and the reason goes with it. */
	bool unready = p->state == PS_STARTING && p->start_error;
	const char *how = p->state == PS_STOPPING || unready ? "" : " unexpectedly";

	if (status == REAPER_STATUS_UNKNOWN) {  /* init reaped it, not us */
		log_msg(level, "watcher %s[%d]: pid %d exited%s (status unknown: adopted from a "
			"previous cirqued)", p->watcher->name, p->wid, (int)pid, how);
	} else if (p->oom_killed) {
		unsigned long long max = p->watcher->config->limits.value[LIMIT_MEMORY_MAX];
		char limit[40] = "memory_max not set", value[24];
		if (max) {
			limit_show(LIMIT_MEMORY_MAX, max, value, sizeof(value));
			snprintf(limit, sizeof(limit), "memory_max %s", value);
		}
		log_warnx("watcher %s[%d]: pid %d killed by the kernel's OOM killer (%s)",
			  p->watcher->name, p->wid, (int)pid, limit);
	} else if (WIFSIGNALED(status)) {
		const char *name = signal_name(WTERMSIG(status));
		log_msg(level, "watcher %s[%d]: pid %d killed%s by SIG%s%s%s", p->watcher->name,
			p->wid, (int)pid, how, name ? name : "?", unready ? ": " : "",
			unready ? p->start_error : "");
	} else if (p->exit_expected && p->state != PS_STOPPING) {
		log_info("watcher %s[%d]: pid %d exited (expected, status %d)", p->watcher->name,
			 p->wid, (int)pid, WEXITSTATUS(status));
	} else {
		log_msg(level, "watcher %s[%d]: pid %d exited%s with status %d%s%s", p->watcher->name,
			p->wid, (int)pid, how, WEXITSTATUS(status), unready ? ": " : "",
			unready ? p->start_error : "");
	}
}

/* P, RUNNING, died less than min_uptime after it became ready. */
static bool ran_too_short(const struct process *p)
{
	double min_uptime = p->watcher->config->min_uptime;

	return min_uptime > 0 && ev_now(p->watcher->loop) - p->ready_at < min_uptime;
}

/* Counts P's exit towards max_retry when it is a failed start: a death before ready, or less
 * than min_uptime after it (not one the kill command caused, nor an expected exit); an exit
 * after min_uptime starts the count anew. Sets POLICY's failures and early. */
static void count_failure(struct process *p, bool killed_by_operator, struct proc_policy *policy)
{
	struct watcher *w = p->watcher;
	/* A retiring process (replaced, surplus) is not respawned: nothing to count. */
	bool unexpected = policy->wanted && !p->exit_expected && !killed_by_operator;

	if (p->state == PS_STARTING && !p->exit_expected && !policy->beside_predecessor) {
		p->failures++;
		w->failed_starts++;
	} else if (p->state == PS_RUNNING && unexpected && ran_too_short(p)) {
		policy->early = true;
		p->failures++;
		log_warnx("watcher %s[%d]: died %.1fs after it was ready, less than min_uptime %gs: "
			  "a failed start", w->name, p->wid, ev_now(w->loop) - p->ready_at,
			  w->config->min_uptime);
	} else if (p->state == PS_RUNNING && !ran_too_short(p)) {
		p->failures = 0;  /* it stayed up: whatever failed before is over */
	}
	policy->failures = p->failures;
}

static void count_exit(const struct process *p, int status)
{
	struct watcher_totals *t = &p->watcher->totals;

	if (p->state == PS_STOPPING || (p->state == PS_STARTING && p->start_error))
		t->exits_stopped++;
	else if (exit_is_expected(p->watcher->config, status))
		t->exits_expected++;
	else
		t->exits_unexpected++;
	if (p->oom_killed)
		t->oom_kills++;
}

static void on_child_exit(struct reaper_child *child, pid_t pid, int status)
{
	struct process *p = (struct process *)((char *)child - offsetof(struct process, child));
	struct watcher *w = p->watcher;
	bool killed_by_operator = p->quiet_exit;

	bool unknown = status == REAPER_STATUS_UNKNOWN;

	ready_unwatch(&p->ready, true);
	p->exit_expected = !unknown && exit_is_expected(w->config, status);
	p->oom_killed = !unknown && oom_kill_of(w, status);
	p->exit_unknown = unknown;
	count_exit(p, status);
	log_exit(p, p->pid, status);
	/* As Circus: a process stopped alone (decr, reload, max_age: retiring while the watcher
	 * runs; the kill command) is not reaped on the event stream, nor in its own stop. */
	bool quiet = p->quiet_exit || (p->retiring && p->state == PS_STOPPING && w->wanted);
	p->quiet_exit = false;
	if (!quiet)  /* an unknown status: exit_code -1 with "status_unknown" (arbiter.c) */
		emit(w, "reap", p->pid, unknown ? -1 : WIFSIGNALED(status) ? -WTERMSIG(status)
						      : WEXITSTATUS(status));
	p->last_status = status;
	pid_index_remove(p);
	p->pid = 0;
	struct proc_policy policy = policy_of(p);
	struct process reaped = { .wid = p->wid };
	count_failure(p, killed_by_operator, &policy);
	process_apply(p, p->exit_expected ? PE_FINISHED : PE_EXITED, &policy);
	/* Once the exit is handled (a respawn is under way): it never delays one. */
	run_hook_alone(w, HOOK_AFTER_REAP, &reaped, pid, status, 0);
	watcher_update(w);
}

static void on_process_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	static const enum proc_event event_of_state[] = {
		[PS_STARTING] = PE_READY_TIMEOUT, [PS_RUNNING] = PE_MAX_AGE,
		[PS_STOPPING] = PE_GRACE_TIMEOUT, [PS_BACKOFF] = PE_BACKOFF_TIMEOUT,
	};
	struct process *p = timer->data;
	struct watcher *w = p->watcher;

	(void)loop;
	(void)revents;
	if (p->state > PS_BACKOFF)
		return;
	enum proc_event event = event_of_state[p->state];
	/* With ready: delay (the default) the start grace is the readiness itself. */
	if (p->state == PS_STARTING && w->config->ready == READY_DELAY)
		event = PE_READY;
	process_dispatch(p, event);
	watcher_update(w);
}

/* Timers count from now, not from when this loop iteration began: spawning a thousand
 * processes in one callback takes seconds, and a graceful_timeout armed after it from the
 * stale time would fire that much early. (A vDSO clock read: cheap.) */
static void arm_timer(struct process *p, double seconds)
{
	struct ev_loop *loop = p->watcher->loop;

	ev_now_update(loop);
	ev_timer_stop(loop, &p->timer);
	ev_timer_set(&p->timer, seconds, 0);
	ev_timer_start(loop, &p->timer);
}

static struct process *process_new(struct watcher *w, int wid)
{
	struct process *p = xcalloc(1, sizeof(*p));

	p->watcher = w;
	p->wid = wid;
	p->state = PS_STARTING;
	p->last_status = -1;
	ready_init(&p->ready, w->loop, &w->config, wid, on_process_ready, p);
	ev_init(&p->timer, on_process_timer);
	p->timer.data = p;
	/* Appended at the tail kept: a storm of N spawns is not N walks of the list. */
	p->prev = w->last_process;
	if (w->last_process)
		w->last_process->next = p;
	else
		w->processes = p;
	w->last_process = p;
	w->nprocesses++;
	by_wid_set(p);
	process_recount(p);
	return p;
}

static void process_free(struct process *p)
{
	struct watcher *w = p->watcher;

	reaper_unwatch(&p->child);
	hook_cancel(p->spawn_hook);
	p->spawn_hook = NULL;
	ev_timer_stop(w->loop, &p->timer);
	queue_leave(p);
	pid_index_remove(p);
	by_wid_clear(p);
	p->state = PS_STOPPED;  /* out of the counts */
	process_recount(p);
	ready_free(&p->ready);
	free(p->spawn_error);
	free(p->start_error);
	if (p->prev)
		p->prev->next = p->next;
	else
		w->processes = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		w->last_process = p->prev;
	w->nprocesses--;
	free(p);
}

/* The output pipes, then the child itself; -1 with *step naming what failed. */
static pid_t spawn_with_pipes(struct process *p, const struct launch *l, const char **step)
{
	struct watcher *w = p->watcher;
	const struct watcher_config *c = w->config;
	struct stream_pipes pipes;
	/* The events, for a listener; close_child_stdin: false, the daemon's own stdin (-1). */
	int stdin_fd = listener_stdin(w, p->wid, c->close_child_stdin ? w->stdio[0] : -1);
	pid_t pid;

	if (streams_prepare(c, w->stdio[0], &pipes) < 0) {
		*step = "create output pipes for";
		return -1;
	}
	struct spawn_request req = {
		.argv = l->argv, .file = c->executable, .search_path = l->search_path, .envp = l->envp, .working_dir = c->working_dir, .umask = c->umask,
		.set_ids = c->set_ids, .uid = c->uid, .gid = c->gid, .groups = c->groups,
		.ngroups = c->ngroups, .rlimits = c->rlimits, .nrlimits = c->nrlimits,
		.stdio = { stdin_fd, pipes.child_fd[0], pipes.child_fd[1] },
		.nofile = w->child_nofile, .listen_fds = l->listen_fds, .nlisten = l->nlisten,
		.listen_pid = l->listen_pid, .join_cgroup = w->cgroup != NULL,
		.cgroup_procs_fd = w->cgroup ? wcgroup_procs_fd(w->cgroup) : -1,
	};
	pid = spawn_process(&req, step);
	int saved = errno;
	if (pid < 0)
		streams_abort(&pipes);
	else
		streams_attach(c, p->wid, &pipes);
	errno = saved;
	return pid;
}

/* A shortage of processes, descriptors or memory passes; a bad binary or directory does not. */
static bool is_shortage(int error)
{
	return error == EAGAIN || error == EMFILE || error == ENFILE || error == ENOMEM;
}

/* The daemon's descriptor table is full (EMFILE): says once per episode what it would need
 * (until a spawn succeeds again). */
static bool told_out_of_descriptors;

static void tell_out_of_descriptors(const struct watcher *w)
{
	if (told_out_of_descriptors)
		return;
	told_out_of_descriptors = true;
	log_warnx("watcher %s: cirqued is out of descriptors (its limit is %d, less a reserve for "
		  "control connections): each process costs it one for its stdout pipe and one for "
		  "its stderr pipe; raise the hard limit (LimitNOFILE= in the unit, ulimit -Hn; "
		  "10000 processes with both piped need 21088), or set stdout and stderr to null "
		  "where the output is not needed", w->name, fd_table_size());
}

/* Logs why P could not be spawned (errno), remembers it for status, and feeds the table. */
static void spawn_failed(struct process *p, const char *step)
{
	struct watcher *w = p->watcher;
	const struct watcher_config *c = w->config;
	const char *what = strcmp(step, "chdir to working_dir") == 0 ? c->working_dir
			   : c->executable ? c->executable : c->argv[0];
	int error = errno;

	ready_unwatch(&p->ready, true);
	free(p->spawn_error);
	p->spawn_error = xasprintf("cannot %s %s: %s", step, what, strerror(error));
	log_errorx("watcher %s[%d]: cannot %s %s: %s", w->name, p->wid, step, what, strerror(error));
	p->short_of_resources = is_shortage(error);
	if (error == EMFILE)
		tell_out_of_descriptors(w);
	w->failed_starts++;
	w->totals.spawn_failures++;
	if (p->short_of_resources)
		p->shortages++;
	else
		p->failures++;
	process_dispatch(p, PE_SPAWN_FAILED);
}

/* A before_spawn hook failed: a failed start of P's slot, as a failed exec is (backoff, then
 * FATAL after max_retry), with the hook's failure shown by status. */
static void spawn_refused(struct process *p, const struct hook_result *r)
{
	struct watcher *w = p->watcher;

	free(p->spawn_error);
	p->spawn_error = xasprintf("before_spawn hook failed: %s", r->why);
	log_errorx("watcher %s[%d]: before_spawn hook failed: %s: not spawning", w->name, p->wid,
		   r->why);
	p->short_of_resources = false;
	w->failed_starts++;
	w->totals.spawn_failures++;
	p->failures++;
	process_dispatch(p, PE_SPAWN_FAILED);
}

static void on_before_spawn_done(const struct hook_result *r, void *arg)
{
	struct process *p = arg;
	struct watcher *w = p->watcher;

	p->spawn_hook = NULL;
	if (p->retiring || !w->wanted) {  /* replaced, surplus or stopped meanwhile: it goes, */
		process_free(p);          /* as an unspawned one does at a stop (no pid) */
		watcher_update(w);
		return;
	}
	process_recount(p);  /* no longer unspawned for the counts */
	if (hook_failed(r)) {
		spawn_refused(p, r);
	} else {
		p->spawn_hook_passed = true;
		process_spawn(p);
	}
	watcher_update(w);
}

/* P's before_spawn hook, if its watcher has one and it has not passed for this spawn yet:
 * true when it runs (P waits, STARTING without a pid). */
static bool spawn_waits_for_hook(struct process *p)
{
	struct watcher *w = p->watcher;
	struct hook_event ev = { .point = HOOK_BEFORE_SPAWN, .wid = p->wid, .status = -1 };

	if (p->spawn_hook_passed) {
		p->spawn_hook_passed = false;
		return false;
	}
	if (p->spawn_hook || !hook_configured(w, HOOK_BEFORE_SPAWN))
		return p->spawn_hook != NULL;
	p->state = PS_STARTING;
	p->spawn_hook = hook_start(w, &ev, on_before_spawn_done, p);
	process_recount(p);
	return p->spawn_hook != NULL;
}

/* Spawns the process for P's wid; on failure feeds PE_SPAWN_FAILED to the table. */
static void process_spawn(struct process *p)
{
	struct watcher *w = p->watcher;
	const struct watcher_config *c = w->config;
	struct launch launch = { 0 };
	char step[160];
	const char *failed = NULL;
	pid_t pid = -1;

	if (spawn_waits_for_hook(p))
		return;
	if (ready_prepare(&p->ready) < 0)
		failed = "create the notify socket for";
	else if (launch_prepare(p, &launch) < 0)
		failed = launch.failed_step;
	else
		pid = spawn_with_pipes(p, &launch, &failed);
	int saved = errno;
	snprintf(step, sizeof(step), "%s", failed ? failed : "spawn");  /* launch's goes next */
	launch_release(&launch);
	errno = saved;
	w->last_spawn = ev_now(w->loop);
	p->state = PS_STARTING;
	if (pid < 0) {
		spawn_failed(p, step);
		return;
	}
	free(p->spawn_error);
	p->spawn_error = NULL;
	free(p->start_error);
	p->start_error = NULL;
	p->short_of_resources = false;
	if (p->last_status >= 0 || p->exit_unknown) {  /* a pid of this slot exited before */
		p->restarts++;
		w->totals.restarts++;
	}
	w->totals.spawns++;
	p->pid = pid;
	p->adopted = false;
	p->start_ticks = 0;
	told_out_of_descriptors = false;
	pid_index_add(p);
	process_recount(p);
	ev_now_update(w->loop);  /* uptime from the real spawn time, late in a long callback */
	p->started_at = ev_now(w->loop);
	/* Watched before the loop runs again: its exit cannot go to the orphans. */
	reaper_watch(&p->child, pid, on_child_exit);
	/* Ready after the delay, or not ready by ready_timeout (a failed start). */
	arm_timer(p, c->ready == READY_DELAY ? c->ready_delay : c->ready_timeout);
	ready_watch(&p->ready);
	log_info("watcher %s[%d]: spawned pid %d", w->name, p->wid, (int)pid);
	emit(w, "spawn", pid, 0);
	run_hook_alone(w, HOOK_AFTER_SPAWN, p, pid, -1, 0);
}

struct process *watcher_adopt(struct watcher *w, int wid, pid_t pid,
			      unsigned long long start_ticks, bool our_child)
{
	const struct watcher_config *c = w->config;
	struct process *p;

	if (wid < 1 || wid > w->numprocesses || watcher_find_wid(w, wid))
		return NULL;
	p = process_new(w, wid);
	p->pid = pid;
	p->adopted = !our_child;
	p->start_ticks = start_ticks;
	/* Up since it started: min_uptime and max_age count from then. */
	p->started_at = p->ready_at = proc_ticks_to_unix(start_ticks);
	pid_index_add(p);
	if (our_child)  /* a previous incarnation of this very daemon (same pid) spawned it */
		reaper_watch(&p->child, pid, on_child_exit);
	else
		reaper_watch_foreign(&p->child, pid, start_ticks, on_child_exit);
	p->state = PS_RUNNING;
	process_recount(p);
	if (c->max_age > 0) {
		double left = max_age_with_variance(c) - (ev_now(w->loop) - p->ready_at);
		arm_timer(p, left > 1 ? left : 1);
	}
	if (w->cgroup && wcgroup_move(w->cgroup, pid) < 0)
		log_warn("watcher %s[%d]: cannot move adopted pid %d into %s", w->name, wid,
			 (int)pid, wcgroup_path(w->cgroup));
	log_debug("watcher %s[%d]: adopted pid %d", w->name, wid, (int)pid);
	return p;
}

/* SIGKILLs at graceful_timeout: the first of a burst is said at once, with its wid; those that
 * follow within ESCALATION_WINDOW are counted, and said in one line at its end (a stop of
 * thousands would log thousands of lines). */
#define ESCALATION_WINDOW 0.2

static void say_escalations(struct watcher *w)
{
	int n = w->nescalated, shown = n < 4 ? n : 4;
	char pids[96] = "";

	ev_timer_stop(w->loop, &w->escalations_said);
	w->nescalated = 0;
	if (n == 0)
		return;
	for (int i = 0, used = 0; i < shown && used < (int)sizeof(pids); i++)
		used += snprintf(pids + used, sizeof(pids) - (size_t)used, "%s%d", i ? ", " : "",
				 (int)w->escalated[i]);
	/* Said after the fact (their reaps may be logged already): "were", "sent". */
	log_warnx("watcher %s: %d more process%s were still running after graceful_timeout %gs: "
		  "sent SIGKILL (pid%s %s%s)", w->name, n, n == 1 ? "" : "es",
		  w->config->graceful_timeout, n == 1 ? "" : "s", pids, n > shown ? ", ..." : "");
}

static void on_escalations_said(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)revents;
	say_escalations(timer->data);
}

static void note_escalation(struct process *p)
{
	struct watcher *w = p->watcher;

	if (!ev_is_active(&w->escalations_said)) {  /* the first of a burst */
		log_warnx("watcher %s[%d]: pid %d still running after graceful_timeout %gs, sending "
			  "SIGKILL", w->name, p->wid, (int)p->pid, w->config->graceful_timeout);
		ev_timer_set(&w->escalations_said, ESCALATION_WINDOW, 0);
		ev_timer_start(w->loop, &w->escalations_said);
		return;
	}
	if (w->nescalated < 4) {
		w->escalated[w->nescalated] = p->pid;
	}
	w->nescalated++;
}

static void send_signal(struct process *p, int sig, bool to_group)
{
	if (p->pid <= 0)
		return;
	if (process_signal(p, sig, to_group) < 0 && errno != ESRCH)
		log_warn("watcher %s[%d]: cannot send SIG%s to pid %d", p->watcher->name,
	     p->wid, signal_name(sig) ? signal_name(sig) : "?", (int)p->pid);
}

/* Circus's "kill" events for a signal that stops P: one for P, and with stop_children (the
 * signal goes to its group) one for each child, or each descendant when RECURSIVE (SIGKILL),
 * read from /proc before the signal is sent. */
static void emit_kills(struct process *p, bool recursive)
{
	struct watcher *w = p->watcher;
	pid_t *kids;
	int n;

	if (p->pid <= 0)
		return;
	emit(w, "kill", p->pid, 0);
	if (!w->config->stop_children || w->on_event == NULL)
		return;
	n = proc_children(p->pid, recursive, &kids);
	for (int i = 0; i < n; i++)
		emit(w, "kill", kids[i], 0);
	free(kids);
}

static double max_age_with_variance(const struct watcher_config *c)
{
	return c->max_age + c->max_age_variance * ((double)random() / (double)RAND_MAX);
}

/* The process that P, a new-first successor (reload, max_age), is to replace: retiring, of
 * P's wid, still up (not stopping). NULL when there is none. */
static struct process *live_predecessor(const struct process *p)
{
	if (p->retiring || p->watcher->nretiring == 0)  /* no walk of the list in the common case */
		return NULL;
	for (struct process *q = p->watcher->processes; q; q = q->next)
		if (q != p && q->retiring && !q->stop_first && q->wid == p->wid && q->pid > 0 &&
		    (q->state == PS_RUNNING || q->state == PS_STARTING))
			return q;
	return NULL;
}

/* P, a new-first successor, died before ready beside its predecessor: most likely of it (the
 * port of the wid is taken). The predecessor keeps running until the turn of its slot in the
 * stop-first replacements comes (reconcile); then it stops and a new process starts in its
 * place. P is forgotten: its death is no failed start. */
static void fall_back_stop_first(struct process *p)
{
	struct watcher *w = p->watcher;
	struct process *old = live_predecessor(p);
	int st = p->last_status;

	log_warnx("watcher %s[%d]: replacement %s before it was ready, beside pid %d; replacing "
		  "stop-first (the old process stops, then a new one starts; replace: stop-first "
		  "does this at once)", w->name, p->wid,
		  st >= 0 && WIFSIGNALED(st) ? "was killed" : "exited", old ? (int)old->pid : 0);
	if (old) {
		old->stop_first = true;
		process_recount(old);
	}
	process_free(p);
}

/* A process of wid became RUNNING: a retiring predecessor (max_age) may now stop. */
static void release_predecessors(struct process *successor)
{
	struct process *p, *next;

	if (successor->watcher->nretiring == 0)  /* nothing to release: no walk */
		return;
	for (p = successor->watcher->processes; p; p = next) {
		next = p->next;
		if (p != successor && p->retiring && p->wid == successor->wid &&
		    (p->state == PS_RUNNING || p->state == PS_STARTING))
			process_dispatch(p, PE_STOP);
	}
}

static void perform(struct process *p, enum proc_action action)
{
	struct watcher *w = p->watcher;
	const struct watcher_config *c = w->config;

	switch (action) {
	case PA_NONE:
	case PA_COUNT:  /* not an action: the table's size */
		break;
	case PA_BECAME_RUNNING:
		p->ready_at = ev_now(w->loop);
		if (c->min_uptime <= 0)  /* otherwise at an exit after min_uptime */
			p->failures = 0;
		p->shortages = 0;
		p->quick_finishes = 0;
		if (c->max_age > 0)
			arm_timer(p, max_age_with_variance(c));
		release_predecessors(p);
		break;
	case PA_RESPAWN:
		spawn_or_queue(p);
		break;
	case PA_BACKOFF: {
		double delay = backoff_delay(p->failures + p->shortages);
		if (p->short_of_resources)
			log_warnx("watcher %s[%d]: start failed for want of resources, retry in %.2fs "
				  "(this does not count towards max_retry)", w->name, p->wid, delay);
		else if (c->max_retry >= 0)
			log_warnx("watcher %s[%d]: start failed, retry %d of %d in %.2fs", w->name,
				  p->wid, p->failures, c->max_retry, delay);
		else
			log_warnx("watcher %s[%d]: start failed, retry %d in %.2fs", w->name, p->wid,
				  p->failures, delay);
		backoff_join(p, delay);
		break;
	}
	case PA_GIVE_UP:
		release_predecessors(p);
		log_errorx("watcher %s[%d]: gave up after %d failed starts (max_retry %d): too many "
			   "failures", w->name, p->wid, p->failures, c->max_retry);
		break;
	case PA_SEND_STOP:
		emit_kills(p, false);
		send_signal(p, c->stop_signal, c->stop_children);
		arm_timer(p, c->graceful_timeout);
		break;
	case PA_KILL:
		note_escalation(p);
		emit_kills(p, true);
		send_signal(p, SIGKILL, c->stop_children);
		break;
	case PA_REMOVE:
		process_free(p);
		break;
	case PA_REPLACE:
		set_retiring(p, c->replace == REPLACE_STOP_FIRST);
		log_info("watcher %s[%d]: pid %d reached max_age, %s", w->name, p->wid, (int)p->pid,
			 p->stop_first ? "replacing it stop-first" : "starting its replacement");
		break;
	case PA_STOP_FIRST:
		fall_back_stop_first(p);
		break;
	case PA_NOTE_EXIT:
		/* A successor that ended before ready is not restarted: the process it was to
		 * replace (reload, max_age) stops now, or the replacement would never end. */
		release_predecessors(p);
		break;
	case PA_KILL_UNREADY: {
		char why[320];
		ready_why_not(&p->ready, why, sizeof(why));
		free(p->start_error);
		p->start_error = xasprintf("not ready after %g s (%s)", c->ready_timeout, why);
		log_warnx("watcher %s[%d]: pid %d not ready after ready_timeout %g s (%s), killing it",
			  w->name, p->wid, (int)p->pid, c->ready_timeout, why);
		if (p->pid > 0)
			emit(w, "kill", p->pid, 0);
		send_signal(p, SIGKILL, c->stop_children);
		break;
	case PA_PAUSE: {
		/* As a backoff, so that a program that puts itself in the background (and so
		 * exits 0 at once) is not spawned a few times a second for ever. */
		double delay = backoff_delay(++p->quick_finishes);
		release_predecessors(p);  /* it ran as it should: the process it replaces may go */
		log_info("watcher %s[%d]: finished before it was ready, restarting in %.2fs "
			 "(restart: always)", w->name, p->wid, delay);
		backoff_join(p, delay);
		break;
	}
	}
	}
}

/* --- containment: what a watcher's programs leave behind ------------------------------------ */

static orphan_source_fn orphan_source;
static struct watcher *sweeping_list;   /* watchers with a sweep under way */
static ev_timer sweep_soon;             /* one pass over them when orphans were reaped, however
					 * many */

/* After SIGKILL, what is still there (a task frozen or in D state, a zombie whose tracer never
 * waits for it) is given up on this much later: a stop must end. */
#define SWEEP_GIVE_UP 5.0

void watcher_set_orphan_source(orphan_source_fn source)
{
	orphan_source = source;
}

static int compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

/* W's live pids, and those its stop found (their groups and sessions are W's), sorted, for
 * bsearch. */
static int tracked_pids(const struct watcher *w, pid_t **out)
{
	int n = 0;

	*out = xmalloc(sizeof(pid_t) * (size_t)(w->nprocesses + w->nstopped_pids + 1));
	for (const struct process *p = w->processes; p; p = p->next)
		if (p->pid > 0)
			(*out)[n++] = p->pid;
	for (int i = 0; i < w->nstopped_pids; i++)
		(*out)[n++] = w->stopped_pids[i];
	qsort(*out, (size_t)n, sizeof(pid_t), compare_pids);
	return n;
}

static bool is_tracked(const pid_t *tracked, int n, pid_t pid)
{
	return bsearch(&pid, tracked, (size_t)n, sizeof(pid_t), compare_pids) != NULL;
}

/* The orphans cirqued adopted, read once from /proc (for a status of every watcher, or a
 * sweep's pass). */
struct orphan {
	pid_t pid, pgid, sid;
	bool named;                   /* its environment has CIRQUE_WATCHER */
	char watcher[160];            /* its value */
};
struct orphan_list {
	struct orphan *items;
	int n;
};

struct orphan_list *orphans_collect(void)
{
	struct orphan_list *list = xcalloc(1, sizeof(*list));
	pid_t *pids, ppid;
	int n = orphan_source ? orphan_source(&pids) : 0;

	if (!orphan_source)
		pids = NULL;
	list->items = xcalloc((size_t)n + 1, sizeof(*list->items));
	for (int i = 0; i < n; i++) {
		struct orphan *o = &list->items[list->n];
		o->pid = pids[i];
		if (proc_ids(o->pid, &ppid, &o->pgid, &o->sid) < 0)
			continue;  /* gone since */
		o->named = proc_environ_value(o->pid, "CIRQUE_WATCHER", o->watcher,
					      sizeof(o->watcher));
		list->n++;
	}
	free(pids);
	return list;
}

void orphans_free(struct orphan_list *list)
{
	if (list) {
		free(list->items);
		free(list);
	}
}

/* Without cgroups: O is W's when its environment says so; without a word of it, by the process
 * group or session of one of W's processes. (A name wins: a pid of W's may have been reused by
 * another watcher's process, whose orphans carry that watcher's name.) */
static bool orphan_of(const struct watcher *w, const struct orphan *o, const pid_t *tracked,
		      int ntracked)
{
	if (o->named)
		return strcasecmp(o->watcher, w->name) == 0;
	return is_tracked(tracked, ntracked, o->pgid) || is_tracked(tracked, ntracked, o->sid);
}

int watcher_strays(struct watcher *w, const struct orphan_list *orphans, pid_t **pids)
{
	pid_t *tracked, *found, self = getpid(), ppid, pgid, sid;
	int ntracked = tracked_pids(w, &tracked), kept = 0;

	if (w->cgroup) {
		/* In the cgroup: a child of a live process of W is that process's business. */
		int n = wcgroup_pids(w->cgroup, &found);
		for (int i = 0; i < n; i++)
			if (!is_tracked(tracked, ntracked, found[i]) &&
			    proc_ids(found[i], &ppid, &pgid, &sid) == 0 && ppid == self)
				found[kept++] = found[i];
	} else {
		struct orphan_list *own = orphans ? NULL : orphans_collect();
		const struct orphan_list *list = orphans ? orphans : own;
		found = xmalloc(sizeof(pid_t) * (size_t)(list->n + 1));
		for (int i = 0; i < list->n; i++)
			if (orphan_of(w, &list->items[i], tracked, ntracked))
				found[kept++] = list->items[i].pid;
		orphans_free(own);
	}
	free(tracked);
	*pids = found;
	return kept;
}

/* A process a pass found, which cirqued adopted, has not been reaped yet (it may be a zombie,
 * whose environment can no longer be read). */
static bool not_reaped(pid_t pid)
{
	pid_t ppid, pgid, sid;

	return proc_ids(pid, &ppid, &pgid, &sid) == 0 && ppid == getpid();
}

/* Without cgroups: W's adopted orphans, and those an earlier pass found that are not reaped. */
static int orphans_left(struct watcher *w, pid_t **pids)
{
	int n = watcher_strays(w, NULL, pids), kept = 0;

	for (int i = 0; i < w->nswept; i++)
		if (not_reaped(w->swept[i])) {
			*pids = xreallocarray(*pids, (size_t)n + 1, sizeof(pid_t));
			(*pids)[n++] = w->swept[i];
		}
	qsort(*pids, (size_t)n, sizeof(pid_t), compare_pids);
	for (int i = 0; i < n; i++)
		if (kept == 0 || (*pids)[kept - 1] != (*pids)[i])
			(*pids)[kept++] = (*pids)[i];
	free(w->swept);
	w->swept = xmalloc(sizeof(pid_t) * (size_t)(kept + 1));
	memcpy(w->swept, *pids, sizeof(pid_t) * (size_t)kept);
	w->nswept = kept;
	return kept;
}

static bool has_live_process(const struct watcher *w)
{
	for (const struct process *p = w->processes; p; p = p->next)
		if (p->pid > 0)
			return true;
	return false;
}

static void unlist_sweeping(struct watcher *w)
{
	for (struct watcher **link = &sweeping_list; *link; link = &(*link)->next_sweeping) {
		if (*link == w) {
			*link = w->next_sweeping;
			break;
		}
	}
	w->next_sweeping = NULL;
	if (sweeping_list == NULL)
		ev_timer_stop(w->loop, &sweep_soon);
}

static void end_sweep(struct watcher *w)
{
	w->sweeping = false;
	free(w->swept);
	w->swept = NULL;
	w->nswept = 0;
	free(w->stopped_pids);
	w->stopped_pids = NULL;
	w->nstopped_pids = 0;
	ev_timer_stop(w->loop, &w->sweep_timer);
	unlist_sweeping(w);
}

/* A pass over every watcher sweeping (a copy of the list: a pass may end sweeps; watchers are
 * freed from an ev_prepare pass, never here). */
static void on_sweep_soon(struct ev_loop *loop, ev_timer *timer, int revents)
{
	int n = 0;

	(void)loop;
	(void)timer;
	(void)revents;
	for (struct watcher *w = sweeping_list; w; w = w->next_sweeping)
		n++;
	struct watcher **all = xmalloc(sizeof(*all) * (size_t)(n + 1));
	n = 0;
	for (struct watcher *w = sweeping_list; w; w = w->next_sweeping)
		all[n++] = w;
	for (int i = 0; i < n; i++)
		if (all[i]->sweeping && !all[i]->dead)
			watcher_update(all[i]);
	free(all);
}

void watcher_orphan_reaped(pid_t pid, int status)
{
	(void)pid;
	(void)status;
	if (sweeping_list && !ev_is_active(&sweep_soon)) {
		ev_timer_set(&sweep_soon, 0, 0);
		ev_timer_start(sweeping_list->loop, &sweep_soon);
	}
}


static void on_sweep_deadline(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)revents;
	watcher_update(timer->data);
}

/* A whole-watcher stop begins: what the processes leave behind is swept once they are gone,
 * with SIGKILL at GRACE seconds from now (unless stop_leftovers is false). */
static void begin_sweep(struct watcher *w, double grace)
{
	ev_now_update(w->loop);
	ev_tstamp deadline = ev_now(w->loop) + grace;

	if (!w->config->stop_leftovers)
		return;
	if (w->sweeping) {
		if (deadline < w->sweep_deadline)
			w->sweep_deadline = deadline;
		return;
	}
	/* Without cgroups, what they leave behind is found by their groups and sessions; with
	 * stop_children, those groups got the stop signal already. */
	w->stopped_pids = xmalloc(sizeof(pid_t) * (size_t)(w->nprocesses + 1));
	for (const struct process *p = w->processes; p; p = p->next)
		if (p->pid > 0)
			w->stopped_pids[w->nstopped_pids++] = p->pid;
	qsort(w->stopped_pids, (size_t)w->nstopped_pids, sizeof(pid_t), compare_pids);
	w->sweep_signalled = w->sweep_killed = w->sweep_rekilling = false;
	w->next_sweeping = sweeping_list;
	sweeping_list = w;
	if (!ev_is_active(&sweep_soon))
		ev_init(&sweep_soon, on_sweep_soon);
	w->sweeping = true;
	w->sweep_deadline = deadline;
}

/* SIG to PID, a process of W's cgroup when it was listed. It may have exited since, and its
 * pid gone to another process: the signal goes through a pidfd, once that process is seen to
 * be in the cgroup (or below it) still. */
static int signal_member(struct watcher *w, pid_t pid, int sig)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), rc;

	if (pidfd < 0)
		return errno == ENOSYS ? kill(pid, sig) : -1;
	if (!proc_in_cgroup(pid, wcgroup_path(w->cgroup))) {
		close(pidfd);
		errno = ESRCH;
		return -1;
	}
	rc = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	int saved = errno;
	close(pidfd);
	errno = saved;
	return rc;
}

static void signal_leftovers(struct watcher *w, const pid_t *pids, int n, int sig)
{
	if (sig == SIGKILL && w->cgroup) {
		wcgroup_kill(w->cgroup);  /* the whole subtree, at once */
		return;
	}
	/* Without cgroups each is our child (adopted): its pid cannot be reused before we reap
	 * it, so kill() is safe. */
	for (int i = 0; i < n; i++) {
		int rc = w->cgroup ? signal_member(w, pids[i], sig) : kill(pids[i], sig);
		if (rc < 0 && errno != ESRCH)
			log_warn("watcher %s: cannot send SIG%s to pid %d", w->name,
				 signal_name(sig) ? signal_name(sig) : "?", (int)pids[i]);
	}
}

static void log_leftovers(const struct watcher *w, const pid_t *pids, int n, const char *what)
{
	char list[200] = "";

	for (int i = 0; i < n && strlen(list) < sizeof(list) - 12; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), " %d", (int)pids[i]);
	log_warnx("watcher %s: %d process%s left behind by its programs (pid%s%s%s): %s", w->name,
		  n, n == 1 ? "" : "es", n == 1 ? "" : "s", list, strlen(list) >= sizeof(list) - 12
		  ? " ..." : "", what);
}

/* What is worth a signal: alive (a zombie has exited), and, until the deadline, not in a
 * process group the stop signalled already (stop_children). Filters PIDS in place. */
static int worth_a_signal(struct watcher *w, pid_t *pids, int n, bool at_deadline)
{
	pid_t ppid, pgid, sid;
	int kept = 0;

	for (int i = 0; i < n; i++) {
		if (proc_is_zombie(pids[i]))
			continue;
		if (!at_deadline && w->config->stop_children &&
		    proc_ids(pids[i], &ppid, &pgid, &sid) == 0 &&
		    bsearch(&pgid, w->stopped_pids, (size_t)w->nstopped_pids, sizeof(pid_t),
			    compare_pids))
			continue;
		pids[kept++] = pids[i];
	}
	return kept;
}

/* What is still there long after SIGKILL: named with why (its state, a tracer), and left. */
static void give_up_sweep(struct watcher *w)
{
	pid_t *pids;
	int n = w->cgroup ? wcgroup_pids(w->cgroup, &pids) : orphans_left(w, &pids);
	char list[400] = "";

	for (int i = 0; i < n && strlen(list) < sizeof(list) - 80; i++) {
		char why[80];
		proc_why_alive(pids[i], why, sizeof(why));
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d (%s)",
			 i ? ", " : "", (int)pids[i], why);
	}
	log_errorx("watcher %s: %d process%s still there %gs after SIGKILL: %s; the stop goes on "
		   "without them (they stay as strays)", w->name, n, n == 1 ? " is" : "es are",
		   SWEEP_GIVE_UP, list[0] ? list : "none listed");
	free(pids);
	end_sweep(w);
}

/* Once W's own processes are gone: its leftovers get stop_signal, then SIGKILL at the
 * deadline; the sweep ends when none is left (with cgroups: the cgroup is empty, as the kernel
 * says, whatever its sub-cgroups), or SWEEP_GIVE_UP after the SIGKILL. */
static void sweep(struct watcher *w)
{
	pid_t *pids = NULL;
	int n = 0;
	bool done;

	if (!w->sweeping || has_live_process(w))
		return;
	if (w->cgroup) {
		done = !wcgroup_populated(w->cgroup);
	} else {
		n = orphans_left(w, &pids);
		done = n == 0;
	}
	if (done) {
		if (w->sweep_signalled)
			log_info("watcher %s: nothing its programs left behind is running any more",
				 w->name);
		free(pids);
		end_sweep(w);
		return;
	}
	ev_now_update(w->loop);
	ev_tstamp now = ev_now(w->loop);
	if (w->sweep_killed && now >= w->sweep_deadline + SWEEP_GIVE_UP) {
		free(pids);
		give_up_sweep(w);
		return;
	}
	bool at_deadline = now >= w->sweep_deadline;
	bool signal_now = at_deadline ? !w->sweep_killed || !w->cgroup : !w->sweep_signalled;
	if (signal_now) {
		if (w->cgroup)
			n = wcgroup_pids(w->cgroup, &pids);
		n = worth_a_signal(w, pids, n, at_deadline);
	}
	if (signal_now && at_deadline) {
		/* Without cgroups, each pass kills what the last one's deaths let us adopt. */
		if (n > 0 && !w->sweep_killed)
			log_leftovers(w, pids, n, w->cgroup ? "killing its cgroup (SIGKILL)"
							    : "sending SIGKILL");
		if (n > 0 || w->cgroup)
			signal_leftovers(w, pids, n, SIGKILL);
		w->sweep_killed = w->sweep_signalled = true;
	} else if (signal_now) {
		if (n > 0) {
			char what[80];
			int sig = w->config->stop_signal;
			snprintf(what, sizeof(what), "sending SIG%s, SIGKILL in %.3gs",
				 signal_name(sig) ? signal_name(sig) : "?", w->sweep_deadline - now);
			log_leftovers(w, pids, n, what);
			signal_leftovers(w, pids, n, sig);
		}
		w->sweep_signalled = true;
	}
	free(pids);
	/* Woken by the cgroup's events or the reaping of an orphan; by this timer at the
	 * deadline, and to give up after it. */
	double wait = (w->sweep_killed ? w->sweep_deadline + SWEEP_GIVE_UP : w->sweep_deadline) -
		      now;
	ev_timer_stop(w->loop, &w->sweep_timer);
	ev_timer_set(&w->sweep_timer, wait > 0.001 ? wait : 0.001, 0);
	ev_timer_start(w->loop, &w->sweep_timer);
}

static void on_cgroup_change(void *arg)
{
	struct watcher *w = arg;

	if (!w->dead)
		watcher_update(w);
}

void watcher_apply_limits(struct watcher *w)
{
	if (w->cgroup)
		wcgroup_apply_limits(w->cgroup, &w->config->limits);
}

/* A SIGKILL that the kernel's OOM killer sent (memory.events counted one more). */
static bool oom_kill_of(struct watcher *w, int status)
{
	unsigned long long seen;

	if (!w->cgroup || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return false;
	seen = wcgroup_oom_kills(w->cgroup);
	if (seen <= w->oom_seen)
		return false;
	w->oom_seen = seen;
	return true;
}

/* What the table needs to know of P and its watcher. */
static struct proc_policy policy_of(const struct process *p)
{
	const struct watcher *w = p->watcher;

	return (struct proc_policy){
		.wanted = w->wanted && !p->retiring,
		.respawn = w->config->restart != RESTART_NEVER,
		.respawn_finished = w->config->restart == RESTART_ALWAYS,
		.failures = p->failures,
		.max_retry = w->config->max_retry,
		.beside_predecessor = p->state == PS_STARTING && live_predecessor(p) != NULL,
		.unspawned = is_unspawned(p),
	};
}

static void process_dispatch(struct process *p, enum proc_event event)
{
	struct proc_policy policy = policy_of(p);

	process_apply(p, event, &policy);
}

/* The one place where a process changes state. */
static void process_apply(struct process *p, enum proc_event event,
			  const struct proc_policy *policy)
{
	struct watcher *w = p->watcher;
	struct transition t = proc_transition(p->state, event, policy);

	if (t.next != p->state) {
		ev_timer_stop(w->loop, &p->timer);  /* each state arms its own timer, if any */
		queue_leave(p);  /* and waits in its own queue, if any */
	}
	if (p->state == PS_STARTING && t.next != PS_STARTING)
		ready_unwatch(&p->ready, false);
	p->state = t.next;
	process_recount(p);
	perform(p, t.action);
}

/* The readiness hook of every process (ready.c): STARTING -> RUNNING. */
static void on_process_ready(void *arg)
{
	struct process *p = arg;
	struct watcher *w = p->watcher;

	log_debug("watcher %s[%d]: pid %d is ready", w->name, p->wid, (int)p->pid);
	process_dispatch(p, PE_READY);
	watcher_update(w);
}

/* --- bookkeeping: counts and indexes kept as processes change ---------------------------------
 *
 * With 10,000 processes a walk of the list costs about a millisecond; a walk per event (an exit,
 * a spawn, a readiness) made a storm of N events O(N^2). Instead each process's share of the
 * watcher's counts is kept in p->counted (and p->counted_state), and recomputed whenever its
 * state or role changes (process_recount); wids and pids are indexed. */

enum {
	COUNTED = 1,            /* in the counts at all */
	COUNT_RETIRING = 2,
	COUNT_STOP_FIRST = 4,
	COUNT_UNSETTLED = 8,    /* wanted, and not up yet (see start_settled) */
	COUNT_LIVE = 16,        /* wanted, not stopping, spawned (see all_spawned) */
};

static unsigned counts_of(const struct process *p)
{
	unsigned c = COUNTED;

	if (p->state == PS_STOPPED)  /* being freed */
		return 0;
	if (p->retiring)
		c |= COUNT_RETIRING;
	if (p->stop_first)
		c |= COUNT_STOP_FIRST;
	if (!p->retiring && (p->state == PS_STARTING || p->state == PS_STOPPING ||
			     (p->state == PS_BACKOFF && !pausing(p))))
		c |= COUNT_UNSETTLED;
	if (!p->retiring && p->state != PS_STOPPING && !is_unspawned(p))
		c |= COUNT_LIVE;
	return c;
}

static void add_counts(struct watcher *w, unsigned c, enum proc_state state, int sign)
{
	if (!(c & COUNTED))
		return;
	w->nstate[state] += sign;
	w->nretiring += c & COUNT_RETIRING ? sign : 0;
	w->nstop_first += c & COUNT_STOP_FIRST ? sign : 0;
	w->nunsettled += c & COUNT_UNSETTLED ? sign : 0;
	w->nlive += c & COUNT_LIVE ? sign : 0;
}

static pids_changed_fn pids_changed;

static void process_recount(struct process *p)
{
	struct watcher *w = p->watcher;
	bool was_stopping = (p->counted & COUNT_RETIRING) || p->counted_state == PS_STOPPING;

	add_counts(w, p->counted, p->counted_state, -1);
	p->counted = counts_of(p);
	p->counted_state = p->state;
	add_counts(w, p->counted, p->counted_state, +1);
	/* A stop (or a replacement) began: the state file marks it, so that a crash now does not
	 * make the next cirqued adopt it (survivors.c). */
	bool stopping = (p->counted & COUNT_RETIRING) || p->state == PS_STOPPING;
	if (pids_changed && p->pid > 0 && stopping && !was_stopping)
		pids_changed();
}

static void set_retiring(struct process *p, bool stop_first)
{
	p->retiring = true;
	p->stop_first = stop_first;
	by_wid_clear(p);
	process_recount(p);
}

/* The process (not retiring) of each wid: there is at most one (free_wid). */
static void by_wid_set(struct process *p)
{
	struct watcher *w = p->watcher;

	if (p->retiring || p->wid <= 0)
		return;
	if (p->wid >= w->by_wid_size) {
		int size = w->by_wid_size ? w->by_wid_size : 64;
		while (size <= p->wid)
			size *= 2;
		w->by_wid = xreallocarray(w->by_wid, (size_t)size, sizeof(*w->by_wid));
		memset(w->by_wid + w->by_wid_size, 0,
		       sizeof(*w->by_wid) * (size_t)(size - w->by_wid_size));
		w->by_wid_size = size;
	}
	if (w->by_wid[p->wid] == NULL)
		w->by_wid[p->wid] = p;
}

static void by_wid_clear(struct process *p)
{
	struct watcher *w = p->watcher;

	if (p->wid > 0 && p->wid < w->by_wid_size && w->by_wid[p->wid] == p)
		w->by_wid[p->wid] = NULL;
}

/* Every live pid of the daemon, hashed (chained through pid_next): the watcher of a reaped or
 * signalled pid finds its process without a walk. */
static struct process **pid_index;
static size_t pid_index_size, pid_index_count;
void watcher_set_pids_changed(pids_changed_fn fn)
{
	pids_changed = fn;
}

static size_t pid_slot(pid_t pid)
{
	return (size_t)pid & (pid_index_size - 1);
}

static void pid_index_grow(void)
{
	size_t old_size = pid_index_size;
	struct process **old = pid_index;

	pid_index_size = old_size ? old_size * 2 : 256;
	pid_index = xcalloc(pid_index_size, sizeof(*pid_index));
	for (size_t i = 0; i < old_size; i++) {
		for (struct process *p = old[i], *next; p; p = next) {
			next = p->pid_next;
			p->pid_next = pid_index[pid_slot(p->pid)];
			pid_index[pid_slot(p->pid)] = p;
		}
	}
	free(old);
}

static void pid_index_add(struct process *p)
{
	if (pid_index_count >= pid_index_size)
		pid_index_grow();
	p->pid_next = pid_index[pid_slot(p->pid)];
	pid_index[pid_slot(p->pid)] = p;
	pid_index_count++;
	if (pids_changed)
		pids_changed();
}

static void pid_index_remove(struct process *p)
{
	if (p->pid <= 0 || pid_index == NULL)
		return;
	for (struct process **link = &pid_index[pid_slot(p->pid)]; *link; link = &(*link)->pid_next) {
		if (*link == p) {
			*link = p->pid_next;
			p->pid_next = NULL;
			pid_index_count--;
			if (pids_changed)
				pids_changed();
			return;
		}
	}
}

/* --- the spawn scheduler ------------------------------------------------------------------------
 *
 * Spawns per round of the loop, over all watchers: a storm (incr web 5000, a start of thousands,
 * thousands of processes killed at once) goes in batches, with control requests, reaping and
 * output served in between: a batch holds the loop for SPAWN_SLICE (10 ms) and one spawn at
 * most, however slow spawning is (a loaded machine). A respawn due when the round's budget is
 * spent waits in the queue of spawns due (first come, first served, over all watchers):
 * STARTING without a pid. An ev_prepare serves it at the next rounds (an ev_idle keeps the loop
 * from blocking meanwhile); new processes (reconcile) wait until it is empty.
 *
 * A process in BACKOFF (a failed start, a shortage of descriptors or processes, the pause after
 * a quick exit) waits in the backoff queue of its delay, in the order it is due; one timer, for
 * the daemon, fires at the earliest due time and retries every process due by then (or within
 * an eighth of its delay): thousands of processes short of descriptors at once are one timer and
 * one wave of retries, itself spawned in batches, not thousands of timers. */
#define SPAWN_BATCH 32
#define SPAWN_SLICE 0.010
#define NBACKOFF_QUEUES 12

struct proc_queue {
	struct process *head, *tail;
	double delay;                 /* a backoff queue: the delay of its processes */
};

static struct {
	struct ev_loop *loop;
	struct proc_queue due;        /* respawns waiting for the spawn budget */
	struct proc_queue backoff[NBACKOFF_QUEUES];  /* by delay, each in due order */
	ev_prepare serve;             /* serves due before each poll */
	ev_idle awake;                /* no blocking poll while due is not empty */
	ev_timer retry;               /* the earliest due time of the backoff queues */
} sched;

static void on_serve_due(struct ev_loop *loop, ev_prepare *prepare, int revents);
static void on_retry(struct ev_loop *loop, ev_timer *timer, int revents);
static void on_awake(struct ev_loop *loop, ev_idle *idle, int revents)
{
	(void)loop, (void)idle, (void)revents;
}

static void sched_init(struct ev_loop *loop)
{
	if (sched.loop)
		return;
	sched.loop = loop;
	ev_prepare_init(&sched.serve, on_serve_due);
	ev_idle_init(&sched.awake, on_awake);
	ev_init(&sched.retry, on_retry);
}

/* A round spawns SPAWN_BATCH processes at most, and for SPAWN_SLICE seconds at most: a spawn
 * waits for the child's exec (vfork), which on a loaded machine takes milliseconds. */
static bool spawn_budget_left(struct ev_loop *loop)
{
	static unsigned int round;
	static int spawned;
	static ev_tstamp began;

	if (ev_iteration(loop) != round || spawned == 0) {
		round = ev_iteration(loop);
		spawned = 0;
		began = ev_time();
	}
	if (spawned >= SPAWN_BATCH || (spawned > 0 && ev_time() - began > SPAWN_SLICE))
		return false;
	spawned++;
	return true;
}

/* STARTING without a pid: waiting for its turn to spawn, or for its before_spawn hook. */
static bool is_unspawned(const struct process *p)
{
	return p->queue == &sched.due || p->spawn_hook != NULL;
}

static void queue_append(struct proc_queue *q, struct process *p)
{
	p->queue = q;
	p->queue_next = NULL;
	p->queue_prev = q->tail;
	if (q->tail)
		q->tail->queue_next = p;
	else
		q->head = p;
	q->tail = p;
}

static void queue_leave(struct process *p)
{
	struct proc_queue *q = p->queue;

	if (q == NULL)
		return;
	if (p->queue_prev)
		p->queue_prev->queue_next = p->queue_next;
	else
		q->head = p->queue_next;
	if (p->queue_next)
		p->queue_next->queue_prev = p->queue_prev;
	else
		q->tail = p->queue_prev;
	p->queue = NULL;
	p->queue_next = p->queue_prev = NULL;
	if (q == &sched.due) {
		process_recount(p);
		if (q->head == NULL) {
			ev_prepare_stop(sched.loop, &sched.serve);
			ev_idle_stop(sched.loop, &sched.awake);
		}
	}
	/* A backoff queue's timer is re-armed by whoever changed it (on_retry, backoff_join),
	 * or fires for nothing once. */
}

/* P's respawn now, or after those waiting already, within the budget of the loop's rounds. */
static void spawn_or_queue(struct process *p)
{
	struct ev_loop *loop = p->watcher->loop;

	sched_init(loop);
	if (sched.due.head == NULL && spawn_budget_left(loop)) {
		process_spawn(p);
		return;
	}
	queue_append(&sched.due, p);
	process_recount(p);
	ev_prepare_start(loop, &sched.serve);
	ev_idle_start(loop, &sched.awake);
}

static void on_serve_due(struct ev_loop *loop, ev_prepare *prepare, int revents)
{
	(void)prepare, (void)revents;
	while (sched.due.head && spawn_budget_left(loop)) {
		struct process *p = sched.due.head;
		struct watcher *w = p->watcher;
		if (p->retiring) {  /* replaced before its turn came: nothing to spawn */
			process_dispatch(p, PE_STOP);
		} else {
			queue_leave(p);
			process_spawn(p);
		}
		watcher_update(w);
	}
}

static void rearm_retry(void)
{
	double first = 0;

	for (int i = 0; i < NBACKOFF_QUEUES; i++) {
		struct process *head = sched.backoff[i].head;
		if (head && (first == 0 || head->due < first))
			first = head->due;
	}
	ev_timer_stop(sched.loop, &sched.retry);
	if (first == 0)
		return;
	double in = first - ev_now(sched.loop);
	ev_timer_set(&sched.retry, in > 0 ? in : 0, 0);
	ev_timer_start(sched.loop, &sched.retry);
}

/* The queue of DELAY (backoff_delay's few values: one each), or the last one. */
static struct proc_queue *backoff_queue(double delay)
{
	for (int i = 0; i < NBACKOFF_QUEUES; i++)
		if (sched.backoff[i].head && sched.backoff[i].delay == delay)
			return &sched.backoff[i];
	for (int i = 0; i < NBACKOFF_QUEUES; i++) {
		if (sched.backoff[i].head == NULL) {
			sched.backoff[i].delay = delay;
			return &sched.backoff[i];
		}
	}
	return &sched.backoff[NBACKOFF_QUEUES - 1];
}

/* P, in BACKOFF, is retried DELAY seconds from now. */
static void backoff_join(struct process *p, double delay)
{
	struct proc_queue *q;
	struct process *after;

	sched_init(p->watcher->loop);
	ev_now_update(sched.loop);  /* from now, not from when a long callback began */
	p->due = ev_now(sched.loop) + delay;
	q = backoff_queue(delay);
	/* In due order: at the tail, unless the queue holds other delays (the last one). */
	for (after = q->tail; after && after->due > p->due; after = after->queue_prev)
		;
	if (after == q->tail) {
		queue_append(q, p);
	} else {
		p->queue = q;
		p->queue_prev = after;
		p->queue_next = after ? after->queue_next : q->head;
		p->queue_next->queue_prev = p;
		if (after)
			after->queue_next = p;
		else
			q->head = p;
	}
	if (p == q->head)
		rearm_retry();
}

static void on_retry(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)timer, (void)revents;
	ev_now_update(loop);
	double now = ev_now(loop);
	for (int i = 0; i < NBACKOFF_QUEUES; i++) {
		struct proc_queue *q = &sched.backoff[i];
		struct process *p;
		while ((p = q->head) && p->due <= now + q->delay / 8) {
			struct watcher *w = p->watcher;
			queue_leave(p);
			process_dispatch(p, PE_BACKOFF_TIMEOUT);
			watcher_update(w);
		}
	}
	rearm_retry();
}

/* --- the watcher ------------------------------------------------------------------------------ */

static int count_wanted(const struct watcher *w)
{
	return w->nprocesses - w->nretiring;
}

/* --- slots stopped alone (stop name:wid) --- */

static struct held_slot *held_slot(const struct watcher *w, int wid)
{
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].wid == wid)
			return &w->held[i];
	return NULL;
}

bool watcher_slot_held(const struct watcher *w, int wid)
{
	const struct held_slot *h = held_slot(w, wid);

	return h && h->restarting == 0;
}

const char *watcher_slot_pending(const struct watcher *w, int wid)
{
	if (!w->wanted || w->dead || wid > w->numprocesses || watcher_slot_held(w, wid) ||
	    watcher_find_wid((struct watcher *)w, wid))
		return NULL;
	if (w->predecessor)
		return "waiting for the processes of the watcher it replaces to stop";
	if (w->deps_holding)
		return w->deps_why[0] ? w->deps_why : "waiting for its dependencies";
	if (w->hook_holding)
		return "running its before_start hook";
	if (w->sweeping)
		return "waiting for what the last stop left behind to end";
	if (ev_is_active(&w->warmup) && w->config->warmup_delay > 0)
		return "not started yet (warmup_delay)";
	return "not started yet";
}

static void hold_slot(struct watcher *w, int wid, pid_t restarting)
{
	struct held_slot *h = held_slot(w, wid);

	if (h == NULL) {
		w->held = xreallocarray(w->held, (size_t)w->nheld + 1, sizeof(*w->held));
		h = &w->held[w->nheld++];
		h->wid = wid;
	}
	h->restarting = restarting;
}

static void release_slot(struct watcher *w, int wid)
{
	struct held_slot *h = held_slot(w, wid);

	if (h)
		*h = w->held[--w->nheld];
}

/* A slot above the count is forgotten (decr); a restarted one runs again once the process it
 * stopped is gone. */
static void prune_held_slots(struct watcher *w)
{
	for (int i = 0; i < w->nheld;) {
		struct held_slot *h = &w->held[i];
		if (h->wid > w->numprocesses ||
		    (h->restarting && watcher_find_pid(w, h->restarting) == NULL))
			*h = w->held[--w->nheld];
		else
			i++;
	}
}

/* How many processes should run: numprocesses less the slots held. */
static int target_count(const struct watcher *w)
{
	int n = w->numprocesses;

	for (int i = 0; i < w->nheld; i++)
		n -= w->held[i].wid <= w->numprocesses;
	return n;
}

struct process *watcher_find_wid(struct watcher *w, int wid)
{
	return wid > 0 && wid < w->by_wid_size ? w->by_wid[wid] : NULL;
}

static struct process *highest_wanted(struct watcher *w)
{
	struct process *best = NULL;

	for (struct process *p = w->processes; p; p = p->next)
		if (!p->retiring && (best == NULL || p->wid >= best->wid))
			best = p;
	return best;
}

/* The wids in 1..numprocesses held by a wanted process, by one replaced stop-first or by a slot
 * stopped alone: USED, numprocesses+1 of them, is filled once per reconcile (a walk per spawn
 * made a storm quadratic); free_wid then takes the free ones in order. */
static void mark_used_wids(const struct watcher *w, bool *used)
{
	memset(used, 0, sizeof(bool) * (size_t)(w->numprocesses + 1));
	for (const struct process *p = w->processes; p; p = p->next)
		if ((!p->retiring || p->stop_first) && p->wid <= w->numprocesses)
			used[p->wid] = true;  /* a stop-first one keeps its wid until it is gone */
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].wid <= w->numprocesses)
			used[w->held[i].wid] = true;
}

/* Lowest wid from *CURSOR up not in USED, marked used (numprocesses + 1 when there is none). */
static int free_wid(const struct watcher *w, bool *used, int *cursor)
{
	for (; *cursor <= w->numprocesses; ++*cursor) {
		if (!used[*cursor]) {
			used[*cursor] = true;
			return *cursor;
		}
	}
	return w->numprocesses + 1;
}

static void on_warmup(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)revents;
	watcher_update(timer->data);
}

/* A restart spawns nothing until every process it stopped has exited; then its start phase
 * begins (logged and published here, once). */
static bool in_restart_stop_phase(struct watcher *w)
{
	if (!w->restarting)
		return false;
	if (watcher_count_state(w, PS_STOPPING) > 0 || w->sweeping || w->stop_signals_held ||
	    w->stop_hook)
		return true;
	w->restarting = false;
	log_info("watcher %s: starting %d process%s", w->name, w->numprocesses,
		 w->numprocesses == 1 ? "" : "es");
	w->announce_start = true;
	w->start_hook_due = true;
	return false;
}

static void begin_start_hooks(struct watcher *w);

/* The start's before_start, once nothing else holds it (a predecessor, a restart's stop, a
 * sweep, the dependencies: see reconcile_count): true while it runs, and nothing spawns. */
static bool start_hooks_hold(struct watcher *w)
{
	if (w->start_hook_due) {
		w->start_hook_due = false;
		begin_start_hooks(w);
	}
	return w->hook_holding;
}

static bool pausing(const struct process *p);

/* The stop-first replacement of slot WID is over: its old process is gone, and its successor
 * is up, gave up or finished (or the slot is no longer run: decr, stopped alone). */
static bool slot_replaced(struct watcher *w, int wid)
{
	const struct process *p;

	for (p = w->nstop_first ? w->processes : NULL; p; p = p->next)
		if (p->wid == wid && p->stop_first)
			return false;
	if (wid > w->numprocesses || watcher_slot_held(w, wid))
		return true;
	p = watcher_find_wid(w, wid);
	return p && (p->state == PS_RUNNING || p->state == PS_FATAL || p->state == PS_EXITED ||
		     pausing(p));
}

/* The stop-first replacements (replace: stop-first, or new-first ones that fell back), one slot
 * at a time, lowest wid first: the old process stops, its successor starts in its wid once it
 * is gone (reconcile_count), and the next slot's turn comes when that successor is up (or gave
 * up): while it is starting or backing off, no other slot goes down. */
static void roll_stop_first(struct watcher *w)
{
	struct process *next_out = NULL;

	if (w->rolling_wid && !slot_replaced(w, w->rolling_wid))
		return;
	w->rolling_wid = 0;
	for (struct process *p = w->nstop_first ? w->processes : NULL; p; p = p->next)
		if (p->stop_first && (p->state == PS_RUNNING || p->state == PS_STARTING) &&
		    (next_out == NULL || p->wid < next_out->wid))
			next_out = p;
	if (next_out == NULL)
		return;
	w->rolling_wid = next_out->wid;
	log_info("watcher %s[%d]: replacing pid %d stop-first: it stops, then a new process starts",
		 w->name, next_out->wid, (int)next_out->pid);
	process_dispatch(next_out, PE_STOP);
}

static void reconcile_count(struct watcher *w);

/* Brings the processes to what is wanted, then moves the stop-first replacements on. */
static void reconcile(struct watcher *w)
{
	reconcile_count(w);
	if (w->wanted && !w->predecessor && !w->restarting && !w->deps_holding && !w->hook_holding)
		roll_stop_first(w);
}

/* Brings the number of wanted processes to numprocesses: surplus ones (highest wids) are stopped,
 * missing ones spawned (paced by warmup_delay). */
static void reconcile_count(struct watcher *w)
{
	int wanted = count_wanted(w), target, cursor = 1;
	bool *used = NULL;

	prune_held_slots(w);
	target = target_count(w);
	/* A start that overtook a stop waits for its sweep, as a restart does: nothing new runs in
	 * a cgroup being killed. */
	if (!w->wanted || w->predecessor || in_restart_stop_phase(w) || w->sweeping ||
	    w->deps_holding || start_hooks_hold(w))
		return;
	/* A retiring process (reload, max_age) waits for a successor of its wid: once the count
	 * drops below that wid (decr during a reload), or the slot was stopped alone, none will
	 * come, so it stops now. */
	for (struct process *p = w->nretiring ? w->processes : NULL, *next; p; p = next) {
		next = p->next;
		if (p->retiring && (p->wid > w->numprocesses || watcher_slot_held(w, p->wid)) &&
		    (p->state == PS_RUNNING || p->state == PS_STARTING))
			process_dispatch(p, PE_STOP);
	}
	while (wanted > target) {
		struct process *p = highest_wanted(w);
		set_retiring(p, false);
		process_dispatch(p, PE_STOP);
		wanted--;
	}
	if (wanted >= target || ev_is_active(&w->warmup))
		return;
	while (wanted < target) {
		double wait = w->last_spawn + w->config->warmup_delay - ev_now(w->loop);
		if (w->config->warmup_delay > 0 && wait > 0) {
			ev_timer_set(&w->warmup, wait, 0);
			ev_timer_start(w->loop, &w->warmup);
			break;
		}
		/* The rest after the loop's next round; respawns waiting go first. */
		if (sched.due.head || !spawn_budget_left(w->loop)) {
			ev_timer_set(&w->warmup, 0, 0);
			ev_timer_start(w->loop, &w->warmup);
			break;
		}
		if (used == NULL) {
			used = xmalloc(sizeof(bool) * (size_t)(w->numprocesses + 1));
			mark_used_wids(w, used);
		}
		int wid = free_wid(w, used, &cursor);
		if (wid > w->numprocesses)  /* each free slot waits for a stop-first one to go */
			break;
		process_spawn(process_new(w, wid));
		wanted++;
	}
	free(used);
}

/* In BACKOFF for the pause after an expected exit (restart: always), not after a failure. */
static bool pausing(const struct process *p)
{
	return p->state == PS_BACKOFF && p->exit_expected && p->spawn_error == NULL;
}

/* Every wanted process is up, has finished (an expected exit), or has given up: none is
 * starting, backing off from a failure, or still stopping from a stop that a start overtook. */
static bool start_settled(const struct watcher *w)
{
	if (!w->wanted || w->predecessor || w->restarting || w->deps_holding || w->hook_holding ||
	    count_wanted(w) != target_count(w))
		return false;
	return w->nunsettled == 0;  /* COUNT_UNSETTLED: none starting, stopping or backing off */
}

/* Old processes remain from a replacement (reload, restart, max_age, decr). */
static bool replacing(const struct watcher *w)
{
	return w->nretiring > 0 || w->nstate[PS_STOPPING] > 0;
}

static bool any_fatal(const struct watcher *w)
{
	return watcher_count_state(w, PS_FATAL) > 0;
}

/* A kill's processes have all exited (each reaped one lost its pid, or has a new one). */
static bool killed(struct watcher *w, struct waiter *wt)
{
	/* A pid gone stays gone: those found gone are not looked up again at each update. */
	while (wt->ngone < wt->npids && watcher_find_pid(w, wt->pids[wt->ngone]) == NULL)
		wt->ngone++;
	return wt->ngone == wt->npids;
}

static void waiter_free(struct watcher *w, struct waiter *wt)
{
	ev_timer_stop(w->loop, &wt->grace);
	free(wt->pids);
	free(wt);
}

/* A start or restart of slot WT->wid is over: its process is up (or gave up), or the slot (or
 * the watcher) was stopped since. Sets the waiter's outcome. */
static bool slot_started(struct watcher *w, struct waiter *wt)
{
	const struct held_slot *h = held_slot(w, wt->wid);
	const struct process *p;

	if (!w->wanted || (h && h->restarting == 0) || wt->wid > w->numprocesses) {
		wt->outcome = WATCHER_STOPPED_SINCE;
		return true;
	}
	if (h || w->predecessor || w->restarting || w->hook_holding ||
	    (p = watcher_find_wid(w, wt->wid)) == NULL)
		return false;
	wt->outcome = p->state == PS_FATAL ? WATCHER_GAVE_UP : WATCHER_DONE;
	return p->state == PS_RUNNING || p->state == PS_FATAL || p->state == PS_EXITED;
}

/* Detaches the waiters whose condition holds and calls them; they may re-enter the watcher. */
static void fire_waiters(struct watcher *w)
{
	struct waiter *ready = NULL, **link = &w->waiters;

	if (w->waiters == NULL)
		return;
	bool started = start_settled(w), stopped = watcher_is_idle(w);
	bool replaced = started && !replacing(w);

	while (*link) {
		struct waiter *wt = *link;
		bool decided = started || w->failed_starts != wt->failed_starts;
		if (wt->cancelled || (wt->kind == WAIT_STARTED && started) ||
		    (wt->kind == WAIT_DECIDED && decided) ||
		    (wt->kind == WAIT_STOPPED && stopped) || (wt->kind == WAIT_REPLACED && replaced) ||
		    (wt->kind == WAIT_KILLED && killed(w, wt)) ||
		    (wt->kind == WAIT_SLOT_STARTED && slot_started(w, wt))) {
			*link = wt->next;
			wt->next = ready;
			ready = wt;
		} else {
			link = &wt->next;
		}
	}
	while (ready) {
		struct waiter *wt = ready;
		bool may_give_up = wt->kind != WAIT_STOPPED && wt->kind != WAIT_KILLED;
		enum watcher_outcome outcome = wt->cancelled || wt->kind == WAIT_SLOT_STARTED
					       ? wt->outcome : may_give_up && any_fatal(w)
					       ? WATCHER_GAVE_UP : WATCHER_DONE;
		if (!wt->cancelled && wt->kind == WAIT_DECIDED && !started)
			outcome = WATCHER_FAILING;
		ready = wt->next;
		if (wt->done)
			wt->done(w, outcome, wt->arg);
		waiter_free(w, wt);
	}
}

/* Marks the processes alive now as old: each gets a successor, then stops (reconcile). */
static void begin_reload(struct watcher *w)
{
	bool stop_first = w->config->replace == REPLACE_STOP_FIRST;

	log_info("watcher %s: graceful reload: %s", w->name, stop_first
		 ? "one slot at a time, the old process stops, then a new one starts (stop-first)"
		 : "new processes first, then the old ones stop");
	for (struct process *p = w->processes; p; p = p->next)
		if (!p->retiring && (p->state == PS_RUNNING || p->state == PS_STARTING))
			set_retiring(p, stop_first);
	w->announce_reload = true;
}

static void promote_queued_reloads(struct watcher *w)
{
	w->reload_queued = false;
	for (struct waiter *wt = w->waiters; wt; wt = wt->next)
		if (wt->kind == WAIT_REPLACE_QUEUED)
			wt->kind = WAIT_REPLACED;
}

/* The replacement in flight is over: the reloads queued behind it begin, as one. */
static bool begin_queued_reload(struct watcher *w)
{
	if (!w->reload_queued || !w->wanted || replacing(w))
		return false;
	promote_queued_reloads(w);
	begin_reload(w);
	return true;
}

/* Every waiter not answered yet is told OUTCOME now. */
static void answer_waiters(struct watcher *w, enum watcher_outcome outcome)
{
	for (struct waiter *wt = w->waiters; wt; wt = wt->next) {
		if (!wt->cancelled) {
			wt->cancelled = true;
			wt->outcome = outcome;
		}
	}
	fire_waiters(w);
}

/* Each wanted slot has a process of this start (none is a stopped one still exiting). */
static bool all_spawned(const struct watcher *w)
{
	if (!w->wanted || w->predecessor || w->restarting || w->deps_holding || w->hook_holding)
		return false;
	return w->nlive >= w->numprocesses;  /* COUNT_LIVE: wanted, not stopping, spawned */
}

/* The events Circus publishes once something is over: "stop" after the reaps of the stopped
 * processes (before a start that follows spawns anything), "start" after the spawns, "reload"
 * when no old process is left. */
static void on_stop_hook_done(const struct hook_result *r, void *arg);
static void on_after_start_done(const struct hook_result *r, void *arg);

static void announce_stopped(struct watcher *w)
{
	if (w->announce_stop && !w->stop_signals_held &&
	    watcher_count_state(w, PS_STOPPING) == 0) {
		struct hook_event ev = { .point = HOOK_AFTER_STOP, .status = -1 };
		w->announce_stop = false;
		emit(w, "stop", 0, 0);
		hook_cancel(w->stop_hook);
		w->stop_hook = w->stop_hooks_due ? hook_start(w, &ev, on_stop_hook_done, w) : NULL;
		w->stop_hooks_due = false;
	}
}

static void announce_started(struct watcher *w)
{
	if (w->announce_start && all_spawned(w)) {
		struct hook_event ev = { .point = HOOK_AFTER_START, .status = -1 };
		w->announce_start = false;
		emit(w, "start", 0, 0);
		hook_cancel(w->started_hook);
		w->started_hook = hook_start(w, &ev, on_after_start_done, w);
	}
	if (w->announce_reload && !w->announce_start && start_settled(w) && !replacing(w)) {
		w->announce_reload = false;
		emit(w, "reload", 0, 0);
	}
}

#ifdef CIRQUE_CHECK_COUNTS
/* A debug build's check that the counts kept are the counts (make CFLAGS=-DCIRQUE_CHECK_COUNTS). */
static void check_counts(const struct watcher *w)
{
	int nstate[PS_COUNT] = { 0 }, retiring = 0, stop_first = 0, unsettled = 0, live = 0, n = 0;

	for (const struct process *p = w->processes; p; p = p->next) {
		unsigned c = counts_of(p);
		n++;
		nstate[p->state]++;
		retiring += !!(c & COUNT_RETIRING);
		stop_first += !!(c & COUNT_STOP_FIRST);
		unsettled += !!(c & COUNT_UNSETTLED);
		live += !!(c & COUNT_LIVE);
		if (!p->retiring && watcher_find_wid((struct watcher *)w, p->wid) != p)
			fatalx("watcher %s[%d]: not in the wid index", w->name, p->wid);
		if (p->pid > 0 && watcher_find_pid((struct watcher *)w, p->pid) != p)
			fatalx("watcher %s[%d]: pid %d not in the pid index", w->name, p->wid, (int)p->pid);
	}
	if (n != w->nprocesses || retiring != w->nretiring || stop_first != w->nstop_first ||
	    unsettled != w->nunsettled || live != w->nlive ||
	    memcmp(nstate, w->nstate, sizeof(nstate)) != 0)
		fatalx("watcher %s: counts kept %d/%d/%d/%d/%d, counted %d/%d/%d/%d/%d", w->name,
		       w->nprocesses, w->nretiring, w->nstop_first, w->nunsettled, w->nlive, n,
		       retiring, stop_first, unsettled, live);
}
#else
#define check_counts(w) ((void)0)
#endif

static void watcher_update(struct watcher *w)
{
	check_counts(w);
	if (w->dead) {  /* nothing runs; a waiter added by a late caller is answered at once */
		answer_waiters(w, WATCHER_REMOVED);
		return;
	}
	announce_stopped(w);
	sweep(w);
	reconcile(w);
	announce_started(w);
	fire_waiters(w);
	/* After the waiters of the replacement that just ended: they need not wait for the next. */
	if (begin_queued_reload(w)) {
		reconcile(w);
		fire_waiters(w);
	}
	demand_update(w);
	if (!w->dead && watcher_is_idle(w) && w->on_idle)
		w->on_idle(w, w->hook_arg);
	if (!w->dead && w->on_change)
		w->on_change(w, w->hook_arg);
}

static struct waiter *waiter_new(struct watcher *w, enum waiter_kind kind, watcher_done_fn done,
				 void *arg)
{
	struct waiter *wt = xcalloc(1, sizeof(*wt));

	wt->kind = kind;
	wt->done = done;
	wt->arg = arg;
	wt->watcher = w;
	wt->failed_starts = w->failed_starts;
	return wt;
}

static void add_waiter(struct watcher *w, enum waiter_kind kind, watcher_done_fn done, void *arg)
{
	struct waiter *wt;

	if (done == NULL)
		return;
	wt = waiter_new(w, kind, done, arg);
	wt->next = w->waiters;
	w->waiters = wt;
}

/* The waiters of KIND are answered OUTCOME at the next update. */
static void cancel_waiters(struct watcher *w, enum waiter_kind kind, enum watcher_outcome outcome)
{
	for (struct waiter *wt = w->waiters; wt; wt = wt->next) {
		if (wt->kind == kind && !wt->cancelled) {
			wt->cancelled = true;
			wt->outcome = outcome;
		}
	}
}

/* The start's hooks are over: before_start (which held the spawns) and after_start. */
static void end_start_hooks(struct watcher *w)
{
	if (w->start_hook)
		log_info("watcher %s: its before_start hook is cancelled", w->name);
	hook_cancel(w->start_hook);
	hook_cancel(w->started_hook);
	w->start_hook = w->started_hook = NULL;
	w->hook_holding = false;
	w->start_hook_due = false;
}

/* The starts, restarts and reloads waiting are over, undone (OUTCOME). */
static void drop_start_intents_as(struct watcher *w, enum watcher_outcome outcome)
{
	w->start_queued = false;  /* a priority level not reached yet no longer starts it */
	end_start_hooks(w);
	cancel_waiters(w, WAIT_STARTED, outcome);
	cancel_waiters(w, WAIT_DECIDED, outcome);
	cancel_waiters(w, WAIT_REPLACED, outcome);
	cancel_waiters(w, WAIT_REPLACE_QUEUED, outcome);
	w->reload_queued = false;
	w->restarting = false;
	w->rolling_wid = 0;
	w->announce_start = false;
	w->announce_reload = false;
	w->deps_holding = false;
	w->deps_blocked = false;
	ev_timer_stop(w->loop, &w->warmup);
}

/* A stop or a kill: the starts, restarts and reloads waiting are over, undone by it. */
static void drop_start_intents(struct watcher *w)
{
	drop_start_intents_as(w, WATCHER_STOPPED_SINCE);
}

const char *watcher_outcome_text(enum watcher_outcome outcome)
{
	switch (outcome) {
	case WATCHER_DONE: return "done";
	case WATCHER_GAVE_UP: return "a process gave up (FATAL)";
	case WATCHER_FAILING: return "a process failed to start (it is being retried)";
	case WATCHER_STOPPED_SINCE: return "a later stop (or rm) stopped it first";
	case WATCHER_STARTED_SINCE: return "a later start, restart or reload started it again";
	case WATCHER_REMOVED: return "the watcher was removed";
	case WATCHER_NO_MEMORY: return "out of memory";
	case WATCHER_HOOK_FAILED: return "a hook failed";
	case WATCHER_BLOCKED: return "a dependency it needs is not ready and will not be by itself";
	case WATCHER_REEXEC: return "cirqued re-executed meanwhile: it goes on (see status)";
	}
	return "?";
}

const char *watcher_outcome_reason(const struct watcher *w, enum watcher_outcome outcome)
{
	if (outcome == WATCHER_HOOK_FAILED && w && w->hook_failure)
		return w->hook_failure;
	return watcher_outcome_text(outcome);
}

/* --- hooks the watcher waits for (hook.h) ------------------------------------------------------ */

/* A hook aborted the start: the watcher goes back to stopped, its start waiters are told. */
static void abort_start(struct watcher *w, const struct hook_result *r, const char *what)
{
	free(w->hook_failure);
	w->hook_failure = xasprintf("%s hook failed: %s", hook_point_name(r->point), r->why);
	log_errorx("watcher %s: %s: %s", w->name, w->hook_failure, what);
	drop_start_intents_as(w, WATCHER_HOOK_FAILED);
	cancel_waiters(w, WAIT_SLOT_STARTED, WATCHER_HOOK_FAILED);
}

static void on_before_start_done(const struct hook_result *r, void *arg)
{
	struct watcher *w = arg;

	w->start_hook = NULL;
	w->hook_holding = false;
	if (hook_failed(r)) {
		abort_start(w, r, "the start is aborted, the watcher stays stopped");
		w->wanted = false;
		w->nheld = 0;
		w->announce_stop = false;
		for (struct process *p = w->processes, *next; p; p = next) {
			next = p->next;  /* none was spawned; a stop a start overtook goes on */
			process_dispatch(p, PE_STOP);
		}
	}
	watcher_update(w);
}

/* Where the start really begins (the watcher became wanted, or a restart's start phase, and
 * its dependencies are ready): before_start runs, and nothing spawns until it is over. */
static void begin_start_hooks(struct watcher *w)
{
	struct hook_event ev = { .point = HOOK_BEFORE_START, .status = -1 };

	end_start_hooks(w);
	free(w->hook_failure);
	w->hook_failure = NULL;
	w->start_hook = hook_start(w, &ev, on_before_start_done, w);
	w->hook_holding = w->start_hook != NULL;
}

/* As Circus: an after_start that fails stops the watcher. */
static void on_after_start_done(const struct hook_result *r, void *arg)
{
	struct watcher *w = arg;

	w->started_hook = NULL;
	if (hook_failed(r) && w->wanted) {
		abort_start(w, r, "stopping the watcher");
		watcher_stop(w, NULL, NULL);
		return;
	}
	watcher_update(w);
}

/* after_stop's end (a failure is only logged: the stop is over either way). */
static void on_stop_hook_done(const struct hook_result *r, void *arg)
{
	struct watcher *w = arg;

	(void)r;
	w->stop_hook = NULL;
	watcher_update(w);
}

/* The signals of a whole-watcher stop (stop, restart, rm, shutdown). */
static void stop_processes(struct watcher *w)
{
	begin_sweep(w, w->config->graceful_timeout);
	for (struct process *p = w->processes, *next; p; p = next) {
		next = p->next;
		process_dispatch(p, PE_STOP);  /* a STOPPING process still counts: nothing spawns */
	}
}

static void on_before_stop_done(const struct hook_result *r, void *arg)
{
	struct watcher *w = arg;

	w->stop_hook = NULL;
	w->stop_signals_held = false;
	if (r->outcome != HOOK_OK)
		log_warnx("watcher %s: before_stop hook failed: %s: stopping anyway (a hook never "
			  "prevents a stop)", w->name, r->why);
	stop_processes(w);
	watcher_update(w);
}

/* A whole-watcher stop begins (ANNOUNCED: the watcher was running): before_stop first, the
 * signals when it is over; or the signals now. A stop while before_stop runs joins it. The
 * stop hooks are for a watcher that has processes (not for a start stopped in before_start). */
static void begin_stop(struct watcher *w, bool announced)
{
	struct hook_event ev = { .point = HOOK_BEFORE_STOP, .status = -1 };

	if (w->stop_signals_held)
		return;
	w->stop_hooks_due = w->stop_hooks_due || (announced && w->nprocesses > 0);
	if (w->stop_hooks_due && (w->stop_hook = hook_start(w, &ev, on_before_stop_done, w))) {
		w->stop_signals_held = true;
		/* Only signals wait: what has no process (unspawned, backing off) goes now. */
		for (struct process *p = w->processes, *next; p; p = next) {
			next = p->next;
			if (p->pid <= 0)
				process_dispatch(p, PE_STOP);
		}
		return;
	}
	stop_processes(w);
}

/* The stop is abandoned (a start overtook it, or a kill comes): before_stop is cancelled. */
static void drop_stop_hook(struct watcher *w)
{
	hook_cancel(w->stop_hook);
	w->stop_hook = NULL;
	if (w->stop_signals_held)
		w->announce_stop = w->stop_hooks_due = false;  /* nothing was stopped */
	w->stop_signals_held = false;
}

struct watcher *watcher_new(struct ev_loop *loop, struct watcher_config *config, int devnull_fd)
{
	struct watcher *w = xcalloc(1, sizeof(*w));

	w->loop = loop;
	w->config = config;
	w->name = config->name;
	w->numprocesses = config->numprocesses;
	/* stdin is /dev/null; stdout/stderr are the daemon's until streams are configured. */
	w->stdio[0] = devnull_fd;
	w->stdio[1] = -1;
	w->stdio[2] = -1;
	ev_init(&w->warmup, on_warmup);
	w->warmup.data = w;
	ev_init(&w->sweep_timer, on_sweep_deadline);
	w->sweep_timer.data = w;
	ev_init(&w->escalations_said, on_escalations_said);
	w->escalations_said.data = w;
	w->cgroup = wcgroup_get(w->name, on_cgroup_change, w);
	if (w->cgroup) {
		w->oom_seen = wcgroup_oom_kills(w->cgroup);
		watcher_apply_limits(w);
	}
	return w;
}

void watcher_detach(struct watcher *w)
{
	w->dead = true;
	answer_waiters(w, WATCHER_REMOVED);  /* each holds a request: all must be answered */
	if (w->successor)  /* the caller tells it (watcher_predecessor_gone) */
		w->successor->predecessor = NULL;
	if (w->predecessor)
		w->predecessor->successor = NULL;
	w->successor = w->predecessor = NULL;
	end_start_hooks(w);
	hook_cancel(w->stop_hook);
	w->stop_hook = NULL;
	w->stop_signals_held = false;
	while (w->processes)  /* only placeholders remain in an idle watcher */
		process_free(w->processes);
	signal_batches_end(w);
	hook_cancel_all_of(w);  /* after_spawn, after_reap: nothing may call back into W */
	ev_timer_stop(w->loop, &w->warmup);
	say_escalations(w);  /* before the watcher goes: nothing said is lost */
	if (w->sweeping)
		end_sweep(w);
	wcgroup_put(w->cgroup, w);
	w->cgroup = NULL;
	listener_forget(w);
	demand_disarm(w);
}

void watcher_free(struct watcher *w)
{
	if (!w->dead)
		watcher_detach(w);
	answer_waiters(w, WATCHER_REMOVED);  /* added after the detach */
	watcher_config_free(w->config);
	free(w->hook_failure);
	free(w->held);
	free(w->by_wid);
	free(w);
}

/* A start begins: its owner holds it while its dependencies are not ready (and starts them). */
static void hold_for_dependencies(struct watcher *w)
{
	w->deps_blocked = false;
	w->deps_holding = w->should_hold && w->should_hold(w, w->hook_arg);
}

/* The watcher becomes wanted (logged and published once). */
static void become_wanted(struct watcher *w)
{
	if (!w->wanted) {
		int n = target_count(w);
		drop_stop_hook(w);  /* a stop still in its before_stop: its processes stay */
		w->wanted = true;
		hold_for_dependencies(w);
		log_info("watcher %s: starting %d process%s%s%s", w->name, n, n == 1 ? "" : "es",
			 w->predecessor ? " once those of the watcher it replaces are gone" : "",
			 w->deps_holding ? " once its dependencies are ready" : "");
		w->announce_start = true;
		w->start_hook_due = true;  /* once its dependencies are ready (reconcile_count) */
	}
	w->wanted = true;
	cancel_waiters(w, WAIT_STOPPED, WATCHER_STARTED_SINCE);
}

/* An explicit start retries what had given up or exited (in slot WID, or in every one: 0). */
static void clear_given_up(struct watcher *w, int wid)
{
	for (struct process *p = w->processes, *next; p; p = next) {
		next = p->next;
		if ((wid == 0 || p->wid == wid) && (p->state == PS_FATAL || p->state == PS_EXITED))
			process_free(p);
	}
}

static void start_waiting(struct watcher *w, enum waiter_kind kind, watcher_done_fn done,
			  void *arg)
{
	if (w->removing) {  /* on its way out: a late restart must not bring it back */
		if (done)
			done(w, WATCHER_REMOVED, arg);
		return;
	}
	w->nheld = 0;  /* every slot runs */
	/* Already waiting for its dependencies: a new start retries those that gave up. */
	if (w->wanted && w->deps_holding)
		hold_for_dependencies(w);
	become_wanted(w);
	clear_given_up(w, 0);
	add_waiter(w, kind, done, arg);
	watcher_update(w);
}

void watcher_start(struct watcher *w, watcher_done_fn done, void *arg)
{
	start_waiting(w, WAIT_STARTED, done, arg);
}

void watcher_start_decided(struct watcher *w, watcher_done_fn done, void *arg)
{
	start_waiting(w, WAIT_DECIDED, done, arg);
}

void watcher_wait_started(struct watcher *w, watcher_done_fn done, void *arg)
{
	add_waiter(w, WAIT_STARTED, done, arg);
	watcher_update(w);
}

/* DONE once the processes of slot WID alive now have exited: each is on its way out (the one
 * stopped, a retiring one that reconcile stops, one a restart of the slot stopped). */
static void add_slot_stop_waiter(struct watcher *w, int wid, watcher_done_fn done, void *arg)
{
	struct waiter *wt;

	if (done == NULL)
		return;
	wt = waiter_new(w, WAIT_KILLED, done, arg);
	wt->pids = xcalloc((size_t)w->nprocesses + 1, sizeof(pid_t));
	for (struct process *p = w->processes; p; p = p->next)
		if (p->wid == wid && p->pid > 0)
			wt->pids[wt->npids++] = p->pid;
	wt->next = w->waiters;
	w->waiters = wt;
}

static void add_slot_start_waiter(struct watcher *w, int wid, watcher_done_fn done, void *arg)
{
	struct waiter *wt;

	if (done == NULL)
		return;
	wt = waiter_new(w, WAIT_SLOT_STARTED, done, arg);
	wt->wid = wid;
	wt->next = w->waiters;
	w->waiters = wt;
}

/* The process of slot WID leaves: it no longer counts as wanted, and stops. Returns its pid (0
 * when it had none, or there was none). */
static pid_t stop_slot_process(struct watcher *w, int wid)
{
	struct process *p = watcher_find_wid(w, wid);
	pid_t pid;

	if (p == NULL)
		return 0;
	pid = p->pid;
	set_retiring(p, false);
	process_dispatch(p, PE_STOP);
	return pid;
}

void watcher_stop_slot(struct watcher *w, int wid, watcher_done_fn done, void *arg)
{
	if (w->wanted && !watcher_slot_held(w, wid)) {
		log_info("watcher %s[%d]: stopping this process alone", w->name, wid);
		hold_slot(w, wid, 0);
		stop_slot_process(w, wid);
	}
	add_slot_stop_waiter(w, wid, done, arg);
	watcher_update(w);
}

void watcher_start_slot(struct watcher *w, int wid, watcher_done_fn done, void *arg)
{
	if (w->removing) {
		if (done)
			done(w, WATCHER_REMOVED, arg);
		return;
	}
	if (!w->wanted) {  /* this slot alone: the others stay stopped */
		w->nheld = 0;
		for (int other = 1; other <= w->numprocesses; other++)
			if (other != wid)
				hold_slot(w, other, 0);
		become_wanted(w);
	} else if (watcher_slot_held(w, wid)) {
		release_slot(w, wid);
	}
	log_info("watcher %s[%d]: starting this process", w->name, wid);
	clear_given_up(w, wid);
	add_slot_start_waiter(w, wid, done, arg);
	watcher_update(w);
}

void watcher_restart_slot(struct watcher *w, int wid, watcher_done_fn done, void *arg)
{
	pid_t pid;

	if (!w->wanted || watcher_slot_held(w, wid)) {
		watcher_start_slot(w, wid, done, arg);
		return;
	}
	log_info("watcher %s[%d]: restarting this process: it stops, then a new one starts",
		 w->name, wid);
	/* Held until the process is gone (prune_held_slots), so that the two never overlap. */
	pid = stop_slot_process(w, wid);
	if (pid > 0)
		hold_slot(w, wid, pid);
	add_slot_start_waiter(w, wid, done, arg);
	watcher_update(w);
}

void watcher_stop(struct watcher *w, watcher_done_fn done, void *arg)
{
	bool announced = w->wanted;

	if (w->wanted) {
		log_info("watcher %s: stopping", w->name);
		w->announce_stop = true;
	}
	w->wanted = false;
	w->nheld = 0;  /* stopped, all: a start runs every slot */
	drop_start_intents(w);
	begin_stop(w, announced);
	add_waiter(w, WAIT_STOPPED, done, arg);
	watcher_update(w);
}

void watcher_restart(struct watcher *w, watcher_done_fn done, void *arg)
{
	if (w->removing) {
		if (done)
			done(w, WATCHER_REMOVED, arg);
		return;
	}
	bool announced = w->wanted;

	if (w->wanted) {
		log_info("watcher %s: restarting: every process stops, then new ones start", w->name);
		w->announce_stop = true;
	}
	bool held = w->stop_signals_held;

	drop_stop_hook(w);  /* a stop in its before_stop: the restart's own stop takes over */
	w->announce_stop = w->announce_stop || announced || held;
	end_start_hooks(w);
	w->wanted = true;
	w->restarting = true;
	w->rolling_wid = 0;  /* every process stops: nothing is replaced slot by slot */
	hold_for_dependencies(w);  /* the new processes wait for them to be ready */
	w->nheld = 0;
	cancel_waiters(w, WAIT_STOPPED, WATCHER_STARTED_SINCE);
	/* All that runs next is spawned after this request: it answers the reloads waiting too. */
	promote_queued_reloads(w);
	ev_timer_stop(w->loop, &w->warmup);
	begin_stop(w, announced);
	add_waiter(w, WAIT_REPLACED, done, arg);
	watcher_update(w);
}

void watcher_follow(struct watcher *w, struct watcher *predecessor)
{
	w->predecessor = predecessor;
	predecessor->successor = w;
}

void watcher_predecessor_gone(struct watcher *w)
{
	w->predecessor = NULL;
	if (w->wanted)
		log_info("watcher %s: the processes of the watcher it replaces are gone", w->name);
	watcher_update(w);
}

int watcher_release(struct watcher *w, pid_t **pids)
{
	int n = 0;

	*pids = xcalloc((size_t)w->nprocesses + 1, sizeof(pid_t));
	w->wanted = false;
	drop_start_intents(w);
	drop_stop_hook(w);
	w->announce_stop = false;
	while (w->processes) {
		struct process *p = w->processes;
		if (p->pid > 0) {
			log_info("watcher %s[%d]: pid %d released: it keeps running, unsupervised",
				 w->name, p->wid, (int)p->pid);
			(*pids)[n++] = p->pid;
		}
		process_free(p);
	}
	/* Out of its cgroup, with all they started: nothing sweeps them, and the name is free
	 * for a new watcher. */
	if (w->cgroup)
		wcgroup_release_all(w->cgroup);
	watcher_update(w);
	return n;
}

void watcher_kill(struct watcher *w)
{
	bool held = w->stop_signals_held;

	drop_stop_hook(w);
	w->announce_stop = w->announce_stop || w->wanted || held;
	w->wanted = false;
	w->nheld = 0;
	drop_start_intents(w);
	begin_sweep(w, 0);
	for (struct process *p = w->processes, *next; p; p = next) {
		next = p->next;
		process_dispatch(p, PE_STOP);
	}
	for (struct process *p = w->processes; p; p = p->next)
		send_signal(p, SIGKILL, true);
	watcher_update(w);
}

void watcher_set_numprocesses(struct watcher *w, int n)
{
	if (w->config->singleton && n > 1)
		n = 1;
	w->numprocesses = n < 0 ? 0 : n;
	watcher_update(w);
}

/* max_age changed in place: each running process's age is measured against the new limit from
 * when it became ready (one already older goes at once); 0 stops the rotation. */
static void rearm_max_age(struct watcher *w)
{
	const struct watcher_config *c = w->config;
	double now;

	ev_now_update(w->loop);
	now = ev_now(w->loop);
	for (struct process *p = w->processes; p; p = p->next) {
		if (p->state != PS_RUNNING || p->retiring)
			continue;
		if (c->max_age <= 0) {
			ev_timer_stop(w->loop, &p->timer);
			continue;
		}
		double left = p->ready_at + max_age_with_variance(c) - now;
		arm_timer(p, left > 0.001 ? left : 0.001);
	}
}

void watcher_replace_config(struct watcher *w, struct watcher_config *config, int numprocesses)
{
	bool new_age = w->config->max_age != config->max_age ||
		       w->config->max_age_variance != config->max_age_variance;

	bool new_limits = !limits_equal(&w->config->limits, &config->limits);

	watcher_config_free(w->config);
	w->config = config;
	w->name = config->name;
	if (new_age)
		rearm_max_age(w);
	if (new_limits)
		watcher_apply_limits(w);
	watcher_set_numprocesses(w, numprocesses);
}

/* --- the signal command's hooks ---------------------------------------------------------------- */

struct signal_item {
	struct signal_batch *batch;
	pid_t pid;
	int wid;
	struct hook_run *run;         /* its before_signal, running */
};

/* One signal command over some of a watcher's processes, waiting for their before_signal. */
struct signal_batch {
	struct signal_batch *next;    /* in the watcher's list */
	struct watcher *w;
	int signum;
	watcher_send_fn send;
	watcher_signalled_fn done;
	void *arg;
	struct signal_item *items;
	int n, pending, sent, skipped;
	char *why;                    /* the last skip's reason */
};

static void signal_batch_free(struct signal_batch *b)
{
	for (struct signal_batch **link = &b->w->signal_batches; *link; link = &(*link)->next) {
		if (*link == b) {
			*link = b->next;
			break;
		}
	}
	free(b->items);
	free(b->why);
	free(b);
}

static void signal_batch_end(struct signal_batch *b)
{
	struct watcher *w = b->w;
	watcher_signalled_fn done = b->done;
	int sent = b->sent, skipped = b->skipped;
	char *why = b->why;
	void *arg = b->arg;

	b->why = NULL;
	signal_batch_free(b);
	if (done)
		done(w, sent, skipped, why, arg);
	free(why);
}

/* The signal to ITEM's process, if that pid is still the watcher's; after_signal follows. */
static void signal_item_send(struct signal_item *item)
{
	struct signal_batch *b = item->batch;
	struct process *p = watcher_find_pid(b->w, item->pid);
	struct process at = { .wid = item->wid };

	if (p == NULL || b->send(item->pid, b->signum, b->arg) < 0)
		return;
	b->sent++;
	run_hook_alone(b->w, HOOK_AFTER_SIGNAL, &at, item->pid, -1, b->signum);
}

static void on_before_signal_done(const struct hook_result *r, void *arg)
{
	struct signal_item *item = arg;
	struct signal_batch *b = item->batch;

	item->run = NULL;
	if (hook_failed(r)) {
		b->skipped++;
		free(b->why);
		b->why = xasprintf("before_signal hook failed: %s", r->why);
		log_warnx("watcher %s[%d]: %s: SIG%s not sent to pid %d", b->w->name, item->wid,
			  b->why, signal_name(b->signum) ? signal_name(b->signum) : "?",
			  (int)item->pid);
	} else {
		signal_item_send(item);
	}
	if (--b->pending == 0)
		signal_batch_end(b);
}

/* ITEM's before_signal, its end awaited. */
static void run_before_signal(struct watcher *w, struct signal_item *item, int signum)
{
	struct hook_event ev = { .point = HOOK_BEFORE_SIGNAL, .wid = item->wid, .pid = item->pid,
				 .status = -1, .signum = signum };

	item->run = hook_start(w, &ev, on_before_signal_done, item);
}

void watcher_signal_with_hooks(struct watcher *w, const pid_t *pids, int npids, int signum,
			       watcher_send_fn send, watcher_signalled_fn done, void *arg)
{
	struct signal_batch *b = xcalloc(1, sizeof(*b));
	/* As Circus: SIGKILL is never held back by a hook. */
	bool before = hook_configured(w, HOOK_BEFORE_SIGNAL) && signum != SIGKILL;

	b->w = w;
	b->signum = signum;
	b->send = send;
	b->done = done;
	b->arg = arg;
	b->n = npids;
	b->items = xcalloc((size_t)npids + 1, sizeof(*b->items));
	b->next = w->signal_batches;
	w->signal_batches = b;
	b->pending = 1;  /* while the items are launched */
	for (int i = 0; i < npids; i++) {
		struct signal_item *item = &b->items[i];
		struct process *p = watcher_find_pid(w, pids[i]);
		item->batch = b;
		item->pid = pids[i];
		item->wid = p ? p->wid : 0;
		if (before)
			run_before_signal(w, item, signum);
		if (item->run)
			b->pending++;
		else
			signal_item_send(item);
	}
	if (--b->pending == 0)
		signal_batch_end(b);
}

/* W is going away: its signal commands still waiting end (their signals not sent). */
static void signal_batches_end(struct watcher *w)
{
	while (w->signal_batches) {
		struct signal_batch *b = w->signal_batches;
		for (int i = 0; i < b->n; i++) {
			if (b->items[i].run) {
				hook_cancel(b->items[i].run);
				b->items[i].run = NULL;
				b->skipped++;
			}
		}
		free(b->why);
		b->why = xstrdup("the watcher was removed");
		signal_batch_end(b);
	}
}

int watcher_signal(struct watcher *w, int signum, bool to_group)
{
	int n = 0;

	for (struct process *p = w->processes; p; p = p->next) {
		if (p->pid > 0) {
			send_signal(p, signum, to_group);
			n++;
		}
	}
	return n;
}

int process_signal(struct process *p, int signum, bool to_group)
{
	if (p->adopted && !to_group)  /* not our zombie when it exits: its pid may be reused */
		return reaper_signal(&p->child, signum);
	return kill(to_group ? -p->pid : p->pid, signum);
}

/* The kill's grace is over: SIGKILL to what is left. A removed watcher's own stop deals with its
 * processes: the kill is over unless a successor has taken the name (then it waits on). */
static void on_kill_grace(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct waiter *wt = t->data;
	struct watcher *w = wt->watcher;

	(void)loop;
	(void)revents;
	if (w->removing) {
		if (w->successor == NULL) {
			wt->cancelled = true;
			wt->outcome = WATCHER_REMOVED;
			watcher_update(w);
		}
		return;
	}
	for (int i = 0; i < wt->npids; i++) {
		struct process *p = watcher_find_pid(w, wt->pids[i]);
		if (p) {
			log_warnx("watcher %s[%d]: pid %d outlived the kill's graceful_timeout, sending "
				  "SIGKILL", w->name, p->wid, (int)p->pid);
			emit_kills(p, true);
			process_signal(p, SIGKILL, w->config->stop_children);
		}
	}
}

int watcher_kill_processes(struct watcher *w, pid_t pid, int signum, double grace,
			   watcher_done_fn done, void *arg)
{
	struct waiter *wt = waiter_new(w, WAIT_KILLED, done, arg);

	wt->pids = xcalloc((size_t)w->nprocesses + 1, sizeof(pid_t));
	for (struct process *p = w->processes; p; p = p->next) {
		if (p->pid <= 0 || (pid && p->pid != pid))
			continue;
		/* As circusd: a process already being stopped (by a decr, a reload) is no longer the
		 * watcher's to kill; its own stop goes on. A pid named on purpose is killed anyway. */
		if (!pid && p->state == PS_STOPPING)
			continue;
		emit_kills(p, false);  /* before the signal: the children are read first */
		if (process_signal(p, signum, w->config->stop_children) == 0) {
			wt->pids[wt->npids++] = p->pid;
			p->quiet_exit = true;
		}
	}
	int n = wt->npids;
	if (n == 0) {
		waiter_free(w, wt);
		return 0;
	}
	ev_timer_init(&wt->grace, on_kill_grace, grace, 0);
	wt->grace.data = wt;
	ev_timer_start(w->loop, &wt->grace);
	wt->next = w->waiters;
	w->waiters = wt;
	return n;
}

struct process *watcher_find_pid(struct watcher *w, pid_t pid)
{
	if (pid <= 0 || pid_index == NULL)
		return NULL;
	for (struct process *p = pid_index[pid_slot(pid)]; p; p = p->pid_next)
		if (p->pid == pid && p->watcher == w)
			return p;
	return NULL;
}

struct reaper_child *watcher_child_of_pid(pid_t pid)
{
	if (pid <= 0 || pid_index == NULL)
		return NULL;
	for (struct process *p = pid_index[pid_slot(pid)]; p; p = p->pid_next)
		if (p->pid == pid)
			return &p->child;
	return hook_child_of_pid(pid);  /* a hook is ours too, not an orphan */
}

/* Every live process is on its way out: all that runs next will be spawned after now. */
static bool nothing_survives(const struct watcher *w)
{
	for (const struct process *p = w->processes; p; p = p->next)
		if (p->pid > 0 && !p->retiring && p->state != PS_STOPPING)
			return false;
	return true;
}

/* send_hup (Circus): a reload is SIGHUP to each live process, which reloads itself in place;
 * done once sent. False when there is none to signal (the reload replaces them). */
bool watcher_reload_hups(const struct watcher *w)
{
	return w->config->send_hup && w->wanted && !w->removing && !nothing_survives(w) &&
	       !replacing(w);
}

static bool reload_by_hup(struct watcher *w, watcher_done_fn done, void *arg)
{
	int sent = 0;

	if (!watcher_reload_hups(w))
		return false;
	for (struct process *p = w->processes; p; p = p->next) {
		if (p->pid <= 0 || p->retiring || p->state == PS_STOPPING)
			continue;
		if (process_signal(p, SIGHUP, false) == 0)
			sent++;
		else
			log_warn("watcher %s[%d]: cannot send SIGHUP to pid %d", w->name, p->wid,
				 (int)p->pid);
	}
	log_info("watcher %s: reload: SIGHUP sent to %d process%s (send_hup)", w->name, sent,
		 sent == 1 ? "" : "es");
	emit(w, "reload", 0, 0);
	if (done)
		done(w, WATCHER_DONE, arg);
	return true;
}

/* Every process replaced (watcher.h). */
static void reload_by_replacing(struct watcher *w, watcher_done_fn done, void *arg)
{
	if (!w->wanted || w->removing) {
		watcher_start(w, done, arg);
		return;
	}
	if (nothing_survives(w)) {
		/* A restart's stop phase, or nothing running: it joins what is under way. */
		add_waiter(w, WAIT_REPLACED, done, arg);
	} else if (replacing(w)) {
		/* Replacing the new processes now would run old + new + newer at once. */
		if (!w->reload_queued)
			log_info("watcher %s: reload queued until the replacement in progress ends",
				 w->name);
		w->reload_queued = true;
		add_waiter(w, WAIT_REPLACE_QUEUED, done, arg);
	} else {
		begin_reload(w);
		add_waiter(w, WAIT_REPLACED, done, arg);
	}
	watcher_update(w);
}

void watcher_reload(struct watcher *w, watcher_done_fn done, void *arg)
{
	if (reload_by_hup(w, done, arg))
		return;
	reload_by_replacing(w, done, arg);
}

void watcher_reload_with(struct watcher *w, struct watcher_config *config, int numprocesses,
			 watcher_done_fn done, void *arg)
{
	bool new_limits = !limits_equal(&w->config->limits, &config->limits);

	watcher_config_free(w->config);
	w->config = config;
	w->name = config->name;
	w->numprocesses = config->singleton && numprocesses > 1 ? 1 : numprocesses;
	if (new_limits)
		watcher_apply_limits(w);
	reload_by_replacing(w, done, arg);  /* new processes for the new definition, never a HUP */
}

/* --- on_demand: socket activation ---------------------------------------------------------- */

/* Armed while the watcher is stopped (never started, or stopped since) and nothing of it runs:
 * a connection then waits in a socket's backlog, for the process it starts to accept. */
static bool demand_wanted(const struct watcher *w)
{
	return w->config->on_demand && !w->wanted && !w->removing && !w->dead && !w->demand_off &&
	       watcher_is_idle(w);
}

static void demand_disarm(struct watcher *w)
{
	for (int i = 0; i < w->ndemand; i++)
		ev_io_stop(w->loop, &w->demand_io[i]);
	free(w->demand_io);
	w->demand_io = NULL;
	w->ndemand = 0;
}

/* A socket of a stopped on_demand watcher is readable: a connection (or a datagram) waits. The
 * watcher starts; its sockets are no longer watched (level-triggered: what waits stays there
 * for the process). */
static void on_demand_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct watcher *w = io->data;

	(void)loop;
	(void)revents;
	log_info("watcher %s: a connection waits on its socket (fd %d): starting it (on_demand)",
		 w->name, io->fd);
	demand_disarm(w);
	watcher_start(w, NULL, NULL);
}

static void demand_arm(struct watcher *w)
{
	char *names[MAX_LISTEN_FDS];
	int fds[MAX_LISTEN_FDS];
	const char *missing = NULL;
	int n = sockets_of_watcher(w->config, names, fds, MAX_LISTEN_FDS, &missing);

	if (n <= 0) {
		log_warnx("watcher %s: on_demand, but %s: it starts only when asked to", w->name,
			  n < 0 ? "a socket it uses is not open" : "it uses no socket");
		w->demand_off = true;  /* said once; a refresh (reload) tries again */
		return;
	}
	w->demand_io = xcalloc((size_t)n, sizeof(*w->demand_io));
	w->ndemand = n;
	for (int i = 0; i < n; i++) {
		ev_io_init(&w->demand_io[i], on_demand_readable, fds[i], EV_READ);
		w->demand_io[i].data = w;
		ev_io_start(w->loop, &w->demand_io[i]);
	}
	log_info("watcher %s: waiting for a connection to start it (on_demand, %d socket%s)",
		 w->name, n, n == 1 ? "" : "s");
}

static void demand_update(struct watcher *w)
{
	bool wanted = demand_wanted(w);

	if (wanted && w->ndemand == 0)
		demand_arm(w);
	else if (!wanted && w->ndemand > 0)
		demand_disarm(w);
}

void watcher_on_demand_refresh(struct watcher *w)
{
	demand_disarm(w);
	w->demand_off = false;
	demand_update(w);
}

void watcher_on_demand_end(struct watcher *w)
{
	w->demand_off = true;
	demand_disarm(w);
}

const char *watcher_status(const struct watcher *w)
{
	if (w->wanted)
		return start_settled(w) && !replacing(w) ? "active" : "starting";
	return watcher_is_idle(w) ? "stopped" : "stopping";
}

bool watcher_is_idle(const struct watcher *w)
{
	return w->nprocesses == 0 && w->predecessor == NULL && !w->sweeping && w->stop_hook == NULL;
}

void watcher_deps_ready(struct watcher *w)
{
	if (!w->deps_holding)
		return;
	w->deps_holding = false;
	w->deps_blocked = false;
	w->deps_why[0] = '\0';
	if (w->wanted)
		log_info("watcher %s: its dependencies are ready, starting", w->name);
	watcher_update(w);
}

void watcher_deps_blocked(struct watcher *w, const char *why)
{
	if (!w->deps_blocked || strcmp(w->deps_why, why) != 0)
		log_warnx("watcher %s: %s", w->name, why);
	snprintf(w->deps_why, sizeof(w->deps_why), "%s", why);
	w->deps_blocked = true;
	/* Every pass: a start asked for meanwhile is answered too. */
	cancel_waiters(w, WAIT_STARTED, WATCHER_BLOCKED);
	cancel_waiters(w, WAIT_DECIDED, WATCHER_BLOCKED);
	cancel_waiters(w, WAIT_REPLACED, WATCHER_BLOCKED);
	cancel_waiters(w, WAIT_SLOT_STARTED, WATCHER_BLOCKED);
	fire_waiters(w);
}

void watcher_deps_failing(struct watcher *w)
{
	cancel_waiters(w, WAIT_DECIDED, WATCHER_FAILING);
	fire_waiters(w);
}

bool watcher_ready(const struct watcher *w)
{
	if (!start_settled(w) || w->nstate[PS_FATAL] > 0)
		return false;
	for (int wid = 1; wid <= w->numprocesses && wid < w->by_wid_size; wid++) {
		const struct process *p = w->by_wid[wid];
		if (p && p->state != PS_RUNNING && !(p->state == PS_EXITED && p->exit_expected))
			return false;
	}
	return true;
}

bool watcher_given_up(const struct watcher *w)
{
	if (!w->wanted)
		return !w->start_queued;
	if (w->nstate[PS_FATAL] > 0)
		return true;
	for (const struct process *p = w->nstate[PS_EXITED] ? w->processes : NULL; p; p = p->next)
		if (p->state == PS_EXITED && !p->exit_expected && !p->retiring)
			return true;
	return w->deps_blocked;
}

bool watcher_failing(const struct watcher *w)
{
	if (!w->wanted || w->nunsettled == 0)
		return false;
	for (const struct process *p = w->processes; p; p = p->next)
		if (!p->retiring && p->state != PS_RUNNING && (p->failures > 0 || p->spawn_error))
			return true;
	return false;
}

int watcher_count_state(const struct watcher *w, enum proc_state state)
{
	return w->nstate[state];
}

/* --- re-exec (reexec.h) ------------------------------------------------------------------------ */

bool watcher_reexec_blocker(const struct watcher *w, char *out, size_t size)
{
	const char *why = NULL;

	if (w->restarting || w->reload_queued || w->rolling_wid || w->nretiring ||
	    w->announce_reload)
		why = "is being restarted or reloaded";
	else if (w->start_hook || w->started_hook || w->stop_hook || w->signal_batches)
		why = "waits for a hook";
	else if (w->predecessor || w->successor || w->removing)
		why = "is taking the place of a removed watcher of its name";
	if (why)
		snprintf(out, size, "watcher %s %s", w->name, why);
	return why != NULL;
}

void watcher_abandon_waiters(struct watcher *w)
{
	answer_waiters(w, WATCHER_REEXEC);
}

/* Time left on an active timer, or null. */
static json_t *remaining(struct ev_loop *loop, const ev_timer *t)
{
	if (!ev_is_active(t))
		return json_null();
	return json_real(ev_timer_remaining(loop, (ev_timer *)t));
}

static json_t *process_save(const struct process *p)
{
	struct ev_loop *loop = p->watcher->loop;
	json_t *saved = json_pack(
		"{s:i, s:i, s:i, s:b, s:b, s:i, s:i, s:i, s:b, s:i, s:b, s:b, s:s?, s:s?, s:i, s:b,"
		" s:f, s:f, s:o, s:b, s:b}",
		"wid", p->wid, "pid", (int)p->pid, "state", (int)p->state, "retiring", p->retiring,
		"stop_first", p->stop_first, "failures", p->failures, "restarts", p->restarts,
		"shortages", p->shortages, "short_of_resources", p->short_of_resources,
		"quick_finishes", p->quick_finishes, "oom_killed", p->oom_killed,
		"quiet_exit", p->quiet_exit, "spawn_error", p->spawn_error,
		"start_error", p->start_error, "last_status", p->last_status,
		"exit_expected", p->exit_expected, "started_at", p->started_at,
		"ready_at", p->ready_at, "timer", remaining(loop, &p->timer),
		"unspawned", is_unspawned(p), "spawn_hook_passed", p->spawn_hook_passed);
	if (saved && p->queue && !is_unspawned(p))
		json_object_set_new(saved, "due_in", json_real(p->due - ev_now(loop)));
	if (saved && p->adopted)  /* not our child (survivors.h): watched by pidfd again */
		json_object_set_new(saved, "adopted", json_integer((json_int_t)p->start_ticks));
	if (saved && p->exit_unknown)
		json_object_set_new(saved, "exit_unknown", json_true());
	json_t *ready = ready_save(&p->ready);
	if (saved && ready)
		json_object_set_new(saved, "ready", ready);
	return saved;
}

/* A stop's sweep of what the processes left behind: its deadline and what it knows. */
static json_t *sweep_save(const struct watcher *w)
{
	if (!w->sweeping)
		return json_null();
	return json_pack("{s:f, s:b, s:b, s:b, s:o, s:o}", "deadline", w->sweep_deadline,
			 "signalled", w->sweep_signalled, "killed", w->sweep_killed, "rekilling",
			 w->sweep_rekilling, "stopped_pids", reexec_pids_json(w->stopped_pids,
									  w->nstopped_pids),
			 "swept", reexec_pids_json(w->swept, w->nswept));
}

static void sweep_restore(struct watcher *w, const json_t *saved)
{
	if (!json_is_object(saved))
		return;
	w->sweep_deadline = json_number_value(json_object_get(saved, "deadline"));
	w->sweep_signalled = json_is_true(json_object_get(saved, "signalled"));
	w->sweep_killed = json_is_true(json_object_get(saved, "killed"));
	w->sweep_rekilling = json_is_true(json_object_get(saved, "rekilling"));
	w->nstopped_pids = reexec_pids_of_json(json_object_get(saved, "stopped_pids"),
					  &w->stopped_pids);
	w->nswept = reexec_pids_of_json(json_object_get(saved, "swept"), &w->swept);
	w->next_sweeping = sweeping_list;
	sweeping_list = w;
	if (!ev_is_active(&sweep_soon))
		ev_init(&sweep_soon, on_sweep_soon);
	w->sweeping = true;
}

json_t *watcher_save(const struct watcher *w)
{
	const struct watcher_totals *t = &w->totals;
	json_t *processes = json_array(), *held = json_array();

	for (const struct process *p = w->processes; p; p = p->next)
		json_array_append_new(processes, process_save(p));
	for (int i = 0; i < w->nheld; i++)
		json_array_append_new(held, json_pack("{s:i, s:i}", "wid", w->held[i].wid,
						      "restarting", (int)w->held[i].restarting));
	return json_pack(
		"{s:s, s:b, s:i, s:b, s:b, s:o, s:o, s:f,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:s?, s:b, s:b, s:s, s:o, s:b, s:b}",
		"name", w->name, "wanted", w->wanted, "numprocesses", w->numprocesses,
		"announce_stop", w->announce_stop, "announce_start", w->announce_start,
		"processes", processes, "held", held, "last_spawn", w->last_spawn,
		"totals", "spawns", (json_int_t)t->spawns, "restarts", (json_int_t)t->restarts,
		"spawn_failures", (json_int_t)t->spawn_failures,
		"exits_stopped", (json_int_t)t->exits_stopped,
		"exits_expected", (json_int_t)t->exits_expected,
		"exits_unexpected", (json_int_t)t->exits_unexpected,
		"oom_kills", (json_int_t)t->oom_kills,
		"failed_starts", (json_int_t)w->failed_starts, "oom_seen", (json_int_t)w->oom_seen,
		"hook_failure", w->hook_failure, "deps_holding", w->deps_holding,
		"deps_blocked", w->deps_blocked, "deps_why", w->deps_why, "sweep", sweep_save(w),
		"stop_hooks_due", w->stop_hooks_due, "start_hook_due", w->start_hook_due);
}

static int int_of(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static bool bool_of(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static char *string_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

/* Its timers, queue and readiness as they were, from the time each had left. */
static void process_resume_timers(struct process *p, const json_t *saved)
{
	json_t *timer = json_object_get(saved, "timer"), *due = json_object_get(saved, "due_in");

	if (json_is_number(timer))
		arm_timer(p, json_number_value(timer) > 0 ? json_number_value(timer) : 0);
	if (p->state == PS_BACKOFF)
		backoff_join(p, json_is_number(due) && json_number_value(due) > 0
			       ? json_number_value(due) : 0);
	ready_restore(&p->ready, json_object_get(saved, "ready"), p->state == PS_STARTING &&
		      p->pid > 0);
}

static void process_resume(struct watcher *w, const json_t *saved)
{
	struct process *p = process_new(w, int_of(saved, "wid"));

	p->state = (enum proc_state)int_of(saved, "state");
	p->failures = int_of(saved, "failures");
	p->restarts = int_of(saved, "restarts");
	p->shortages = int_of(saved, "shortages");
	p->short_of_resources = bool_of(saved, "short_of_resources");
	p->quick_finishes = int_of(saved, "quick_finishes");
	p->oom_killed = bool_of(saved, "oom_killed");
	p->quiet_exit = bool_of(saved, "quiet_exit");
	p->spawn_error = string_of(saved, "spawn_error");
	p->start_error = string_of(saved, "start_error");
	p->last_status = int_of(saved, "last_status");
	p->exit_expected = bool_of(saved, "exit_expected");
	p->started_at = json_number_value(json_object_get(saved, "started_at"));
	p->ready_at = json_number_value(json_object_get(saved, "ready_at"));
	p->spawn_hook_passed = bool_of(saved, "spawn_hook_passed");
	if (bool_of(saved, "retiring"))
		set_retiring(p, bool_of(saved, "stop_first"));
	p->pid = (pid_t)int_of(saved, "pid");
	p->exit_unknown = bool_of(saved, "exit_unknown");
	if (p->pid > 0 && json_is_integer(json_object_get(saved, "adopted"))) {
		/* A survivor of a cirqued that died: still not our child (its exit during the
		 * exec is found by its start time, if its pidfd comes too late). */
		p->adopted = true;
		p->start_ticks = (unsigned long long)json_integer_value(json_object_get(saved,
										      "adopted"));
		pid_index_add(p);
		reaper_watch_foreign(&p->child, p->pid, p->start_ticks, on_child_exit);
	} else if (p->pid > 0) {
		pid_index_add(p);
		/* Still our child: an exit during the exec waits as a zombie, and is seen now. */
		reaper_watch(&p->child, p->pid, on_child_exit);
	}
	process_recount(p);
	if (p->state == PS_STARTING && p->pid <= 0)
		spawn_or_queue(p);  /* it was waiting for its turn */
	else
		process_resume_timers(p, saved);
}

void watcher_restore(struct watcher *w, const json_t *saved)
{
	const json_t *t = json_object_get(saved, "totals"), *item;
	size_t i;

	w->wanted = bool_of(saved, "wanted");
	w->numprocesses = int_of(saved, "numprocesses");
	w->announce_stop = bool_of(saved, "announce_stop");
	w->announce_start = bool_of(saved, "announce_start");
	w->last_spawn = json_number_value(json_object_get(saved, "last_spawn"));
	w->totals = (struct watcher_totals){
		.spawns = (unsigned long long)json_integer_value(json_object_get(t, "spawns")),
		.restarts = (unsigned long long)json_integer_value(json_object_get(t, "restarts")),
		.spawn_failures = (unsigned long long)json_integer_value(
			json_object_get(t, "spawn_failures")),
		.exits_stopped = (unsigned long long)json_integer_value(
			json_object_get(t, "exits_stopped")),
		.exits_expected = (unsigned long long)json_integer_value(
			json_object_get(t, "exits_expected")),
		.exits_unexpected = (unsigned long long)json_integer_value(
			json_object_get(t, "exits_unexpected")),
		.oom_kills = (unsigned long long)json_integer_value(json_object_get(t, "oom_kills")),
	};
	w->failed_starts = (unsigned)json_integer_value(json_object_get(saved, "failed_starts"));
	w->oom_seen = (unsigned long long)json_integer_value(json_object_get(saved, "oom_seen"));
	free(w->hook_failure);
	w->hook_failure = string_of(saved, "hook_failure");
	w->deps_holding = bool_of(saved, "deps_holding");
	w->deps_blocked = bool_of(saved, "deps_blocked");
	snprintf(w->deps_why, sizeof(w->deps_why), "%s",
		 json_string_value(json_object_get(saved, "deps_why")) ?: "");
	json_array_foreach(json_object_get(saved, "held"), i, item)
		hold_slot(w, int_of(item, "wid"), (pid_t)int_of(item, "restarting"));
	json_array_foreach(json_object_get(saved, "processes"), i, item)
		process_resume(w, item);
	sweep_restore(w, json_object_get(saved, "sweep"));
	w->stop_hooks_due = bool_of(saved, "stop_hooks_due");
	w->start_hook_due = bool_of(saved, "start_hook_due");
	watcher_update(w);
}
