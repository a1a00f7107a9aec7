/* test_watcher.c - unit tests of watcher.c and arbiter.c without real processes: a real libev loop,
 * spawn.c replaced by tests/fuzz/spawn_stub.c (made-up pids), and kill() replaced here, so that a
 * signal ends a made-up process by feeding its ev_child the exit. Covers reconcile (start N,
 * incr/decr), the waiters (start, stop, restart, kill, rm while waiting), priority level runs,
 * and the deferred free of removed watchers. */
#include "check.h"

#include "arbiter.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "spawn_stub.h"
#include "stream.h"
#include "watcher.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct ev_loop *loop;
static struct arbiter arb;

/* --- made-up processes ------------------------------------------------------------------------ */

static bool ignore_term;          /* SIGTERM is ignored (SIGKILL still ends a process) */
static int nkills;                /* signals sent to made-up processes */
static int nkilled_by_sigkill;
static char stop_order[64];       /* first letter of each watcher whose process got SIGTERM */
static char spawn_order[64];      /* argv[1][0] of each spawn */

#define MAX_EXITS 4096
static struct { pid_t pid; int status; } exits[MAX_EXITS];
static int nexits;
static ev_prepare deliver_exits;  /* never started: only fed */
static void on_deliver_exits(struct ev_loop *l, ev_prepare *w, int revents);

static struct process *find_fake(pid_t pid)
{
	struct watcher *lists[] = { arb.watchers, arb.removed };

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		for (struct watcher *w = lists[i]; w; w = w->next)
			for (struct process *p = w->processes; p; p = p->next)
				if (p->pid == pid)
					return p;
	return NULL;
}

static void append(char *order, char c)
{
	size_t n = strlen(order);

	if (n + 1 < 64)
		order[n] = c, order[n + 1] = '\0';
}

/* Replaces libc's kill for the whole test: a real pid is passed on, a made-up one "exits". */
int kill(pid_t target, int sig)
{
	pid_t pid = target < 0 ? -target : target;
	struct process *p;

	if (pid < SPAWN_STUB_FIRST_PID)
		return (int)syscall(SYS_kill, target, sig);
	p = find_fake(pid);
	if (p == NULL) {
		errno = ESRCH;
		return -1;
	}
	if (sig == 0)
		return 0;
	nkills++;
	if (sig == SIGTERM)
		append(stop_order, p->watcher->name[0]);
	if (sig == SIGKILL)
		nkilled_by_sigkill++;
	if (sig == SIGTERM && ignore_term)
		return 0;
	/* Killed by SIG, as the loop learns it: later, not from within kill(). */
	if (nexits < MAX_EXITS) {
		exits[nexits].pid = pid;
		exits[nexits++].status = sig;
		ev_feed_event(loop, &deliver_exits, EV_CUSTOM);
	}
	return 0;
}

/* The made-up exits to report, and the watcher that reports them from the loop. */
static void on_deliver_exits(struct ev_loop *l, ev_prepare *w, int revents)
{
	(void)l, (void)w, (void)revents;
	for (int i = 0; i < nexits; i++) {
		struct process *p = find_fake(exits[i].pid);
		if (p)
			reaper_report_exit(&p->child, exits[i].status);
	}
	nexits = 0;
}

static void on_spawn(const struct spawn_request *req, pid_t pid)
{
	(void)pid;
	append(spawn_order, req->argv[1] ? req->argv[1][0] : '?');
}

/* --- the loop --------------------------------------------------------------------------------- */

/* Keeps the loop waking every 5 ms, so that a check runs often. */
static ev_timer tick;

static void on_tick(struct ev_loop *l, ev_timer *t, int revents)
{
	(void)l, (void)t, (void)revents;
}

/* Runs the loop until COND holds (5 seconds at most), then checks it. */
#define CHECK_EVENTUALLY(cond)                                                  \
	do {                                                                    \
		double end_ = ev_time() + 5;                                    \
		while (!(cond) && ev_time() < end_)                             \
			ev_run(loop, EVRUN_ONCE);                               \
		CHECK(cond);                                                    \
	} while (0)

/* Runs the loop for SECONDS. */
static void run_for(double seconds)
{
	double end = ev_time() + seconds;

	while (ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
}

/* --- set-up ----------------------------------------------------------------------------------- */

static char config_path[] = "/tmp/cirque-test-watcher.XXXXXX";

static void daemon_up(const char *yaml)
{
	struct config_errors errors = { 0 };
	struct config *config;
	int fd = mkstemp(config_path);

	if (fd < 0 || write(fd, yaml, strlen(yaml)) < 0)
		abort();
	close(fd);
	if (config_load(config_path, &config, &errors) < 0 || arbiter_init(&arb, loop, config) < 0) {
		printf("cannot load the test configuration\n");
		abort();
	}
	unlink(config_path);
	strcpy(config_path, "/tmp/cirque-test-watcher.XXXXXX");
	ignore_term = false;
	nkills = nkilled_by_sigkill = 0;
	stop_order[0] = spawn_order[0] = '\0';
}

static void daemon_down(void)
{
	arbiter_free(&arb);
}

/* What a waiter was told. */
struct answer {
	bool called;
	int times;
	enum watcher_outcome outcome;
};

static void on_done(struct watcher *w, enum watcher_outcome outcome, void *arg)
{
	struct answer *answer = arg;

	(void)w;
	answer->called = true;
	answer->times++;
	answer->outcome = outcome;
}

static void on_level_run_done(struct arbiter *a, void *arg)
{
	(void)a;
	*(bool *)arg = true;
}

static bool all_in_state(struct watcher *w, enum proc_state state, int n)
{
	return w->nprocesses == n && watcher_count_state(w, state) == n;
}

/* Every wid 1..N held by exactly one process not retiring. */
static bool wids_are_1_to(struct watcher *w, int n)
{
	int seen[16] = { 0 };

	for (struct process *p = w->processes; p; p = p->next)
		if (!p->retiring && p->wid >= 1 && p->wid <= n && n < 16)
			seen[p->wid]++;
	for (int wid = 1; wid <= n; wid++)
		if (seen[wid] != 1)
			return false;
	return true;
}

/* --- the tests -------------------------------------------------------------------------------- */

TEST(start_n_then_stop)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 3, autostart: false, ready: {delay: 0.02}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 }, stopped = { 0 };

	CHECK(w != NULL);
	watcher_start(w, on_done, &started);
	CHECK(!started.called);  /* STARTING until the ready delay */
	CHECK_INT(watcher_count_state(w, PS_STARTING), 3);
	CHECK_STR(watcher_status(w), "starting");
	CHECK_EVENTUALLY((started.called));
	CHECK_INT(started.outcome, WATCHER_DONE);
	CHECK(all_in_state(w, PS_RUNNING, 3));
	CHECK(wids_are_1_to(w, 3));
	CHECK_STR(watcher_status(w), "active");
	CHECK_STR(spawn_order, "www");

	watcher_stop(w, on_done, &stopped);
	CHECK_INT(watcher_count_state(w, PS_STOPPING), 3);
	CHECK_EVENTUALLY((stopped.called));
	CHECK_INT(stopped.outcome, WATCHER_DONE);
	CHECK_INT(stopped.times, 1);
	CHECK_INT(started.times, 1);
	CHECK_INT(w->nprocesses, 0);
	CHECK_INT(nkills, 3);
	CHECK_STR(watcher_status(w), "stopped");
	daemon_down();
}

/* A process of a cirqued that died (survivors.h) takes its slot: RUNNING at once, a start spawns
 * only the other slots; its exit, without a status, is respawned in its slot; a stop ends. */
TEST(an_adopted_process_takes_its_slot)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 3, autostart: false, ready: {delay: 0.02}}\n"
		  "  db: {cmd: /bin/true d, autostart: false, graceful_timeout: 1}\n");
	struct watcher *w = arbiter_find(&arb, "web"), *db = arbiter_find(&arb, "db");
	struct answer started = { 0 }, stopped = { 0 };
	pid_t old = SPAWN_STUB_FIRST_PID + (1 << 29);  /* made up, never a spawn's */
	struct process *p;

	CHECK(watcher_adopt(w, 2, old, 12345, false) != NULL);
	CHECK(watcher_adopt(w, 2, old + 1, 12345, false) == NULL);  /* the slot is taken */
	CHECK(watcher_adopt(w, 4, old + 1, 12345, false) == NULL);  /* beyond numprocesses */
	p = watcher_find_wid(w, 2);
	CHECK(p && p->adopted && p->state == PS_RUNNING && p->pid == old);
	CHECK(watcher_find_pid(w, old) == p);
	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	CHECK_INT(started.outcome, WATCHER_DONE);
	CHECK(all_in_state(w, PS_RUNNING, 3));
	CHECK(wids_are_1_to(w, 3));
	CHECK_STR(spawn_order, "ww");  /* slots 1 and 3 only */
	CHECK(watcher_find_wid(w, 2)->pid == old);

	reaper_report_exit(&p->child, REAPER_STATUS_UNKNOWN);
	CHECK_EVENTUALLY((watcher_find_wid(w, 2) && watcher_find_wid(w, 2)->pid > 0 &&
			  watcher_find_wid(w, 2)->pid != old &&
			  watcher_find_wid(w, 2)->state == PS_RUNNING));
	p = watcher_find_wid(w, 2);
	CHECK(!p->adopted && p->exit_unknown && p->last_status == -1);
	CHECK_INT(p->restarts, 1);
	CHECK_INT(p->failures, 0);  /* up since long ago (its start time): no failed start */
	CHECK_INT((int)w->totals.exits_unexpected, 1);

	CHECK(watcher_adopt(db, 1, old + 2, 12345, false) != NULL);
	nkills = 0;
	watcher_stop(db, on_done, &stopped);
	CHECK_EVENTUALLY((stopped.called));
	CHECK_INT(stopped.outcome, WATCHER_DONE);
	/* A made-up pid has no start time in /proc: never signalled by its pid (it could be
	 * another's), and found gone by the look at /proc. */
	CHECK_INT(nkills, 0);
	CHECK_INT(db->nprocesses, 0);
	daemon_down();
}

TEST(stop_on_idle_watcher_answers_at_once)
{
	daemon_up("watchers:\n  idle: {cmd: /bin/true i, autostart: false}\n");
	struct answer stopped = { 0 };

	watcher_stop(arbiter_find(&arb, "idle"), on_done, &stopped);
	CHECK(stopped.called);
	CHECK_INT(stopped.outcome, WATCHER_DONE);
	daemon_down();
}

TEST(reconcile_incr_decr)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 2, autostart: false, ready: {delay: 0.01}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 };

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	watcher_set_numprocesses(w, 5);
	CHECK_INT(w->nprocesses, 5);
	CHECK_EVENTUALLY((all_in_state(w, PS_RUNNING, 5)));
	CHECK(wids_are_1_to(w, 5));
	/* The highest wids go. */
	watcher_set_numprocesses(w, 2);
	CHECK_INT(watcher_count_state(w, PS_STOPPING), 3);
	CHECK_EVENTUALLY((all_in_state(w, PS_RUNNING, 2)));
	CHECK(wids_are_1_to(w, 2));
	watcher_set_numprocesses(w, -4);
	CHECK_INT(w->numprocesses, 0);
	CHECK_EVENTUALLY((w->nprocesses == 0));
	daemon_down();
}

TEST(restart_replaces_every_pid)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 2, autostart: false, ready: {delay: 0.01}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 }, restarted = { 0 };
	pid_t old[2] = { 0, 0 };
	int n = 0;

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	for (struct process *p = w->processes; p && n < 2; p = p->next)
		old[n++] = p->pid;
	watcher_restart(w, on_done, &restarted);
	/* Stop first: nothing spawns while an old process is still there. */
	CHECK_INT(watcher_count_state(w, PS_STOPPING), 2);
	CHECK_INT(watcher_count_state(w, PS_STARTING), 0);
	CHECK_EVENTUALLY((restarted.called));
	CHECK_INT(restarted.outcome, WATCHER_DONE);
	CHECK(all_in_state(w, PS_RUNNING, 2));
	CHECK_INT(n, 2);
	CHECK(watcher_find_pid(w, old[0]) == NULL);
	CHECK(watcher_find_pid(w, old[1]) == NULL);
	CHECK_STR(spawn_order, "wwww");
	daemon_down();
}

TEST(stop_overtakes_start)
{
	/* Never ready within the test: the start waits until the stop undoes it. */
	daemon_up("watchers:\n"
		  "  slow: {cmd: /bin/true s, autostart: false, ready: {delay: 60}}\n");
	struct watcher *w = arbiter_find(&arb, "slow");
	struct answer started = { 0 }, stopped = { 0 };

	watcher_start(w, on_done, &started);
	run_for(0.02);
	CHECK(!started.called);
	watcher_stop(w, on_done, &stopped);
	CHECK_EVENTUALLY((started.called && stopped.called));
	CHECK_INT(started.outcome, WATCHER_STOPPED_SINCE);
	CHECK_INT(stopped.outcome, WATCHER_DONE);
	daemon_down();
}

TEST(remove_while_waiting)
{
	/* The process ignores SIGTERM: the stop lasts until graceful_timeout's SIGKILL. */
	daemon_up("watchers:\n"
		  "  stubborn: {cmd: /bin/true s, autostart: false, numprocesses: 2,\n"
		  "             graceful_timeout: 0.05, ready: {delay: 0.01}}\n"
		  "  other: {cmd: /bin/true o, autostart: false}\n");
	struct watcher *w = arbiter_find(&arb, "stubborn");
	struct answer started = { 0 }, stopped = { 0 }, late_start = { 0 };

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	ignore_term = true;
	watcher_stop(w, on_done, &stopped);
	arbiter_remove_watcher(&arb, w);
	CHECK(arbiter_find(&arb, "stubborn") == NULL);
	CHECK(arb.removed == w);
	CHECK(!stopped.called);
	/* A start on a removed watcher does not bring it back. */
	watcher_start(w, on_done, &late_start);
	CHECK(late_start.called);
	CHECK_INT(late_start.outcome, WATCHER_REMOVED);
	CHECK_EVENTUALLY((stopped.called));
	CHECK_INT(stopped.outcome, WATCHER_DONE);
	CHECK_INT(nkilled_by_sigkill, 2);
	/* Idle now: detached and unlinked at once, freed before the loop sleeps (ASan checks
	 * that nothing touches it afterwards). */
	CHECK(arb.removed == NULL);
	CHECK_EVENTUALLY((arb.dead == NULL));
	CHECK(arbiter_find(&arb, "other") != NULL);
	daemon_down();
}

TEST(remove_idle_watcher_is_freed_later)
{
	daemon_up("watchers:\n  gone: {cmd: /bin/true g, autostart: false}\n");
	struct watcher *w = arbiter_find(&arb, "gone");

	arbiter_remove_watcher(&arb, w);
	/* Idle at once: detached, but still valid memory until the reaper runs. */
	CHECK(arb.dead == w);
	CHECK(w->dead);
	CHECK(arb.removed == NULL);
	CHECK_EVENTUALLY((arb.dead == NULL));
	daemon_down();
}

TEST(kill_waits_for_the_exits)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 2, autostart: false, ready: {delay: 0.01}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 }, killed = { 0 };
	int n;

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	ignore_term = true;
	n = watcher_kill_processes(w, 0, SIGTERM, 0.05, on_done, &killed);
	CHECK_INT(n, 2);
	run_for(0.02);
	CHECK(!killed.called);  /* they ignore SIGTERM until the grace is over */
	CHECK_EVENTUALLY((killed.called));
	CHECK_INT(killed.outcome, WATCHER_DONE);
	CHECK_INT(nkilled_by_sigkill, 2);
	/* The watcher respawns them as for any death. */
	CHECK_EVENTUALLY((all_in_state(w, PS_RUNNING, 2)));
	/* A pid it does not have: nothing is sent, nothing waits. */
	CHECK_INT(watcher_kill_processes(w, 12345, SIGTERM, 1, on_done, &killed), 0);
	CHECK_INT(killed.times, 1);
	daemon_down();
}

TEST(priority_levels)
{
	/* Start: highest priority first, a level only once the one before is up; stop: the
	 * reverse. */
	daemon_up("watchers:\n"
		  "  low: {cmd: /bin/true l, priority: 1, ready: {delay: 0.02}}\n"
		  "  high: {cmd: /bin/true h, priority: 3, numprocesses: 2, ready: {delay: 0.02}}\n"
		  "  mid: {cmd: /bin/true m, priority: 2, ready: {delay: 0.02}}\n"
		  "  mid2: {cmd: /bin/true n, priority: 2, ready: {delay: 0.02}}\n");
	bool started = false, stopped = false;

	CHECK_INT(arbiter_start_all(&arb, on_level_run_done, &started), 0);
	CHECK_STR(spawn_order, "hh");  /* the next level waits for this one */
	CHECK_EVENTUALLY((started));
	/* Within a level, concurrently (configuration order). */
	CHECK_STR(spawn_order, "hhmnl");
	CHECK(all_in_state(arbiter_find(&arb, "low"), PS_RUNNING, 1));
	CHECK_INT(arbiter_stop_all(&arb, on_level_run_done, &stopped), 0);
	CHECK_EVENTUALLY((stopped));
	CHECK_STR(stop_order, "lmmhh");
	for (struct watcher *w = arb.watchers; w; w = w->next)
		CHECK_INT(w->nprocesses, 0);
	daemon_down();
}

TEST(failing_level_holds_only_until_its_first_failed_start)
{
	/* high is never ready (nothing listens on port 1) and never gives up: low starts once
	 * high's first start has failed, and the run ends while high is retried. */
	daemon_up("watchers:\n"
		  "  high: {cmd: /bin/true h, priority: 2, max_retry: -1, ready: {tcp: 1},\n"
		  "         ready_timeout: 0.05}\n"
		  "  low: {cmd: /bin/true l, priority: 1, ready: {delay: 0.02}}\n");
	bool started = false;

	CHECK_INT(arbiter_start_all(&arb, on_level_run_done, &started), 0);
	CHECK_STR(spawn_order, "h");
	CHECK_EVENTUALLY((started));
	CHECK(strchr(spawn_order, 'l') != NULL);
	CHECK(all_in_state(arbiter_find(&arb, "low"), PS_RUNNING, 1));
	CHECK_INT(watcher_count_state(arbiter_find(&arb, "high"), PS_RUNNING), 0);
	CHECK_INT(watcher_count_state(arbiter_find(&arb, "high"), PS_FATAL), 0);
	CHECK(nkilled_by_sigkill >= 1);
	daemon_down();
}

TEST(free_answers_waiters)
{
	daemon_up("watchers:\n  slow: {cmd: /bin/true s, autostart: false, ready: {delay: 60}}\n");
	struct answer started = { 0 };

	watcher_start(arbiter_find(&arb, "slow"), on_done, &started);
	daemon_down();
	CHECK(started.called);
	CHECK_INT(started.outcome, WATCHER_REMOVED);
}

/* Processes of slot WID that exist (have a pid). */
static int alive_in_slot(struct watcher *w, int wid)
{
	int n = 0;

	for (struct process *p = w->processes; p; p = p->next)
		n += p->wid == wid && p->pid > 0;
	return n;
}

/* Slots 1..N without a RUNNING process. */
static int slots_down(struct watcher *w, int n)
{
	int down = 0;

	for (int wid = 1; wid <= n; wid++) {
		bool up = false;
		for (struct process *p = w->processes; p; p = p->next)
			up = up || (p->wid == wid && p->state == PS_RUNNING);
		down += !up;
	}
	return down;
}

/* replace: stop-first: a reload never runs two processes of a slot at once, and takes one slot
 * down at a time. */
TEST(reload_stop_first_rolls_one_slot_at_a_time)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 3, autostart: false, "
		  "replace: stop-first, ready: {delay: 0.01}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 }, reloaded = { 0 };
	bool overlap = false, two_down = false;

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	watcher_reload(w, on_done, &reloaded);
	double end = ev_time() + 5;
	while (!reloaded.called && ev_time() < end) {
		for (int wid = 1; wid <= 3; wid++)
			overlap = overlap || alive_in_slot(w, wid) > 1;
		two_down = two_down || slots_down(w, 3) > 1;
		ev_run(loop, EVRUN_ONCE);
	}
	CHECK(reloaded.called);
	CHECK_INT(reloaded.outcome, WATCHER_DONE);
	CHECK(!overlap);
	CHECK(!two_down);
	CHECK(all_in_state(w, PS_RUNNING, 3));
	CHECK(wids_are_1_to(w, 3));
	CHECK_STR(stop_order, "www");
	CHECK_STR(spawn_order, "wwwwww");
	daemon_down();
}

/* replace: new-first: a successor that dies before ready beside the old process is no failed
 * start; the slot falls back to stop-first, the reload ends well, nothing gives up, and the old
 * processes stop one slot at a time. */
TEST(successor_dying_beside_the_old_one_falls_back_to_stop_first)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 2, autostart: false, max_retry: 0, "
		  "ready: {delay: 0.05}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 }, reloaded = { 0 };
	pid_t old[2] = { 0, 0 };
	bool overlap = false, two_down = false;

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	watcher_reload(w, on_done, &reloaded);
	/* Two successors beside two old processes; both die at once (the port of their wid). */
	CHECK_INT(w->nprocesses, 4);
	for (struct process *p = w->processes; p; p = p->next) {
		if (p->retiring)
			old[p->wid - 1] = p->pid;
		else
			kill(p->pid, SIGKILL);
	}
	run_for(0.005);
	/* The successors are forgotten; the old process of the slot whose successor died first
	 * stops, the other one waits its turn, RUNNING. */
	int old_running = 0;
	for (int i = 0; i < 2; i++) {
		struct process *p = watcher_find_pid(w, old[i]);
		old_running += p && p->state == PS_RUNNING;
	}
	CHECK_INT(old_running, 1);
	CHECK_INT(w->nprocesses, 2);
	double end = ev_time() + 5;
	while (!reloaded.called && ev_time() < end) {
		for (int wid = 1; wid <= 2; wid++)
			overlap = overlap || alive_in_slot(w, wid) > 1;
		two_down = two_down || slots_down(w, 2) > 1;
		ev_run(loop, EVRUN_ONCE);
	}
	CHECK(reloaded.called);
	CHECK_INT(reloaded.outcome, WATCHER_DONE);
	CHECK(!overlap);
	CHECK(!two_down);
	CHECK(all_in_state(w, PS_RUNNING, 2));
	CHECK(wids_are_1_to(w, 2));
	CHECK(watcher_find_pid(w, old[0]) == NULL && watcher_find_pid(w, old[1]) == NULL);
	for (struct process *p = w->processes; p; p = p->next)
		CHECK_INT(p->failures, 0);
	daemon_down();
}

/* max_age with replace: stop-first: each process is replaced in its slot, the old one gone
 * before the new one is spawned, one slot down at a time. */
TEST(max_age_stop_first)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 2, autostart: false, max_age: 0.05, "
		  "max_age_variance: 0, replace: stop-first, ready: {delay: 0.01}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 };
	bool overlap = false, two_down = false;

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	double end = ev_time() + 5;
	while (strlen(spawn_order) < 8 && ev_time() < end) {  /* 2 starts, 3 rotations each */
		for (int wid = 1; wid <= 2; wid++)
			overlap = overlap || alive_in_slot(w, wid) > 1;
		two_down = two_down || slots_down(w, 2) > 1;
		ev_run(loop, EVRUN_ONCE);
	}
	CHECK_STR(spawn_order, "wwwwwwww");
	CHECK(!overlap);
	CHECK(!two_down);
	CHECK(w->nprocesses <= 2);
	daemon_down();
}

/* A stop-first slot whose successor cannot start (backing off) holds the next slot's turn: the
 * other old process keeps running until the successor is up. */
TEST(stop_first_waits_for_the_successor_to_be_up)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 2, autostart: false, "
		  "replace: stop-first, ready: {delay: 0.01}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 }, reloaded = { 0 };
	pid_t old2;

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	old2 = watcher_find_wid(w, 2)->pid;
	spawn_stub_fake_pids = false;  /* every spawn fails (EAGAIN): BACKOFF */
	watcher_reload(w, on_done, &reloaded);
	run_for(0.6);  /* several retries of slot 1 */
	CHECK(watcher_find_pid(w, old2) != NULL);
	CHECK(watcher_find_pid(w, old2) && watcher_find_pid(w, old2)->state == PS_RUNNING);
	CHECK(watcher_find_wid(w, 1) && watcher_find_wid(w, 1)->state == PS_BACKOFF);
	CHECK(!reloaded.called);
	spawn_stub_fake_pids = true;
	CHECK_EVENTUALLY((reloaded.called));
	CHECK_INT(reloaded.outcome, WATCHER_DONE);
	CHECK(watcher_find_pid(w, old2) == NULL);
	CHECK(all_in_state(w, PS_RUNNING, 2));
	daemon_down();
}

/* Processes of the watcher with a pid, and STARTING ones still waiting for their turn (no pid). */
static int with_pid(struct watcher *w)
{
	int n = 0;

	for (struct process *p = w->processes; p; p = p->next)
		n += p->pid > 0;
	return n;
}

static int waiting_for_a_turn(struct watcher *w)
{
	int n = 0;

	for (struct process *p = w->processes; p; p = p->next)
		n += p->state == PS_STARTING && p->pid == 0;
	return n;
}

/* 100 processes killed at once: their respawns go in batches over several rounds of the loop
 * (the others wait STARTING, without a pid), none is lost, and a stop meanwhile forgets those
 * still waiting (there is nothing to signal). */
TEST(mass_respawn_goes_in_batches)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 100, autostart: false, min_uptime: 0, "
		  "ready: {delay: 0.01}}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	struct answer started = { 0 }, stopped = { 0 };

	watcher_start(w, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	CHECK(all_in_state(w, PS_RUNNING, 100));
	CHECK_INT(watcher_signal(w, SIGKILL, false), 100);  /* 100 exits pending */
	ev_run(loop, EVRUN_ONCE);  /* the round that reaps them all */
	CHECK_INT(w->nprocesses, 100);
	CHECK(with_pid(w) > 0);
	CHECK(with_pid(w) < 100);  /* not all in one callback */
	CHECK_INT(with_pid(w) + waiting_for_a_turn(w), 100);
	CHECK_STR(watcher_status(w), "starting");
	CHECK_EVENTUALLY((all_in_state(w, PS_RUNNING, 100)));
	CHECK_INT(with_pid(w), 100);

	/* Again, and a stop while some still wait for their turn. */
	ignore_term = false;
	CHECK_INT(watcher_signal(w, SIGKILL, false), 100);
	ev_run(loop, EVRUN_ONCE);
	CHECK(waiting_for_a_turn(w) > 0);
	watcher_stop(w, on_done, &stopped);
	CHECK_EVENTUALLY((stopped.called));
	CHECK_INT(stopped.outcome, WATCHER_DONE);
	CHECK_INT(w->nprocesses, 0);
	run_for(0.05);
	CHECK_INT(with_pid(w), 0);  /* nothing spawned after the stop */
	daemon_down();
}

static bool all_retried(struct watcher *w)
{
	for (struct process *p = w->processes; p; p = p->next)
		if (p->shortages < 2)
			return false;
	return true;
}

/* Processes short of resources (every spawn fails with EAGAIN) back off without a timer each:
 * one timer for the daemon retries them, together. */
TEST(shortage_backoffs_share_one_timer)
{
	daemon_up("watchers:\n"
		  "  web: {cmd: /bin/true w, numprocesses: 20, autostart: false}\n");
	struct watcher *w = arbiter_find(&arb, "web");
	bool timers = false;

	spawn_stub_fake_pids = false;
	watcher_start(w, NULL, NULL);
	CHECK_EVENTUALLY((all_in_state(w, PS_BACKOFF, 20)));
	for (struct process *p = w->processes; p; p = p->next)
		timers = timers || ev_is_active(&p->timer);
	CHECK(!timers);
	CHECK_EVENTUALLY((all_retried(w)));  /* by the shared timer */
	spawn_stub_fake_pids = true;
	CHECK_EVENTUALLY((with_pid(w) == 20));
	daemon_down();
}

/* Events reach a listener without a PUB socket (arb.events is NULL here): a process of another
 * watcher killed from outside shows as its reap (-9) and its successor's spawn, on the pipe that
 * is the listener's stdin; the listener hears nothing of its own watcher. */
TEST(listener_hears_without_a_pub_socket)
{
	daemon_up("watchers:\n"
		  "  lst: {cmd: /bin/true l, listen_events: [spawn, reap], ready: {delay: 0.02}}\n"
		  "  web: {cmd: /bin/true w, autostart: false, ready: {delay: 0.02}}\n");
	struct watcher *l = arbiter_find(&arb, "lst"), *w = arbiter_find(&arb, "web");
	struct answer started = { 0 }, web_started = { 0 };
	char buf[4096], want[128];
	int fd, avail = 0;
	ssize_t n;

	CHECK(arb.events == NULL);
	watcher_start(l, on_done, &started);
	CHECK_EVENTUALLY((started.called));
	fd = listener_stdin(l, 1, -1);  /* the slot's pipe, made at its spawn */
	CHECK(fd >= 0);
	watcher_start(w, on_done, &web_started);
	CHECK_EVENTUALLY((web_started.called));
	pid_t old = w->processes->pid;
	kill(old, SIGKILL);
	CHECK_EVENTUALLY((w->processes && w->processes->pid > 0 && w->processes->pid != old));
	pid_t new = w->processes->pid;
	CHECK(ioctl(fd, FIONREAD, &avail) == 0 && avail > 0 && avail < (int)sizeof(buf));
	n = read(fd, buf, (size_t)avail);
	CHECK(n == avail);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "{\"process_pid\":%d,\"exit_code\":-9,", (int)old);
	CHECK(strstr(buf, want) != NULL);
	snprintf(want, sizeof(want), "{\"process_pid\":%d,", (int)new);
	CHECK(strstr(buf, want) != NULL);
	CHECK(strstr(buf, "\"topic\":\"watcher.web.reap\",\"watcher\":\"web\",\"event\":\"reap\"}\n") != NULL);
	CHECK(strstr(buf, "\"watcher\":\"lst\"") == NULL);
	CHECK(strstr(buf, "\"event\":\"start\"") == NULL);  /* not asked for */
	daemon_down();
}

int main(void)
{
	log_set_level(getenv("TW_DEBUG") ? LL_DEBUG : LL_CRITICAL);  /* TW_DEBUG=1: the log, to debug */
	loop = ev_loop_new(0);
	reaper_init(loop, watcher_child_of_pid, watcher_orphan_reaped);
	ev_prepare_init(&deliver_exits, on_deliver_exits);
	streams_init(loop, NULL);
	spawn_stub_fake_pids = true;
	spawn_stub_on_spawn = on_spawn;
	ev_timer_init(&tick, on_tick, 0.005, 0.005);
	ev_timer_start(loop, &tick);
	RUN(start_n_then_stop);
	RUN(stop_on_idle_watcher_answers_at_once);
	RUN(reconcile_incr_decr);
	RUN(restart_replaces_every_pid);
	RUN(failing_level_holds_only_until_its_first_failed_start);
	RUN(stop_overtakes_start);
	RUN(remove_while_waiting);
	RUN(remove_idle_watcher_is_freed_later);
	RUN(kill_waits_for_the_exits);
	RUN(priority_levels);
	RUN(free_answers_waiters);
	RUN(reload_stop_first_rolls_one_slot_at_a_time);
	RUN(successor_dying_beside_the_old_one_falls_back_to_stop_first);
	RUN(max_age_stop_first);
	RUN(stop_first_waits_for_the_successor_to_be_up);
	RUN(mass_respawn_goes_in_batches);
	RUN(shortage_backoffs_share_one_timer);
	RUN(listener_hears_without_a_pub_socket);
	RUN(an_adopted_process_takes_its_slot);
	return check_summary();
}
