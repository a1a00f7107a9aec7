/* watcher.h - one configured program run as N processes: spawning, respawn, backoff, stop, max_age.
 *
 * A watcher is driven by intents (start, stop, a new process count) and by events from libev (a
 * child exited, a timer fired). Each process follows the table in state.h; the watcher keeps the
 * number of wanted processes right and tells waiters when it has settled. Nothing here blocks. */
#ifndef CIRQUE_WATCHER_H
#define CIRQUE_WATCHER_H

#include <ev.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"
#include "ready.h"
#include "reaper.h"
#include "state.h"

struct watcher;
struct proc_queue;
struct hook_run;
struct signal_batch;

/* How an operation ended, as its waiter is told. */
enum watcher_outcome {
	WATCHER_DONE,            /* what was asked for holds */
	WATCHER_GAVE_UP,         /* the processes started, but one gave up (FATAL) */
	WATCHER_FAILING,         /* a process failed a start, and is being retried (DECIDED) */
	WATCHER_STOPPED_SINCE,   /* a later stop (or rm) undid the start, restart or reload */
	WATCHER_STARTED_SINCE,   /* a later start, restart or reload undid the stop */
	WATCHER_REMOVED,         /* the watcher was removed (or the daemon is ending) */
	WATCHER_NO_MEMORY,       /* it could not be waited for */
	WATCHER_HOOK_FAILED,     /* a hook aborted it (before_start, after_start): see
				  * watcher_outcome_reason */
	WATCHER_BLOCKED,         /* a dependency gave up or is stopped: it starts once that one
				  * is ready (depends_on) */
	WATCHER_REEXEC,          /* cirqued re-executed meanwhile: the operation goes on, but
				  * nobody waits for it any more */
};
/* "a later stop (or rm) stopped it first", ... for replies and logs. */
const char *watcher_outcome_text(enum watcher_outcome outcome);
/* The same, but WATCHER_HOOK_FAILED says which hook and how ("before_start hook failed: exited
 * 3"), as W last knew it. */
const char *watcher_outcome_reason(const struct watcher *w, enum watcher_outcome outcome);

/* Called once when a start, restart or reload has settled or a stop has finished. */
typedef void (*watcher_done_fn)(struct watcher *w, enum watcher_outcome outcome, void *arg);
/* Called whenever the watcher has no process left (after a stop, or when it never had any). */
typedef void (*watcher_idle_fn)(struct watcher *w, void *arg);
/* Called as things happen, with Circus's event names and in its order: "spawn" (pid), "reap"
 * (pid, exit_code: the status, or -signum when killed; not for a process stopped alone by a
 * decr, a reload, max_age or the kill command), "kill" (pid, each signal sent to stop it, the
 * SIGKILL of an escalation included), "start" (after the spawns), "stop" (after the reaps),
 * "reload" (once the old processes are gone), pid 0 for the last three. */
typedef void (*watcher_event_fn)(struct watcher *w, const char *event, pid_t pid, int exit_code,
				 void *arg);
/* Asked when W begins a start (it becomes wanted, or restarts): true holds its spawns until
 * watcher_deps_ready (its dependencies are not ready yet). */
typedef bool (*watcher_hold_fn)(struct watcher *w, void *arg);
/* Called after every change of W's state (a process started, became ready, exited...). */
typedef void (*watcher_change_fn)(struct watcher *w, void *arg);

/* What happened to a watcher's processes since it was created, for the metrics command. An
 * exit is "stopped" when cirqued asked for it (a stop, a decr, max_age, a start that was not
 * ready in time), "expected" when its status is in exitcodes, "unexpected" otherwise. */
struct watcher_totals {
	unsigned long long spawns;
	unsigned long long restarts;          /* respawns of a slot whose process had exited */
	unsigned long long spawn_failures;    /* fork, exec or setup failed: nothing ran */
	unsigned long long exits_stopped, exits_expected, exits_unexpected;
	unsigned long long oom_kills;
};

struct process {
	struct process *next;         /* in the watcher's list, ordered by creation */
	struct process *prev;
	struct watcher *watcher;
	int wid;                      /* worker id, 1..numprocesses */
	pid_t pid;                    /* 0 when no process exists (BACKOFF, FATAL, EXITED) */
	enum proc_state state;
	bool retiring;                /* replaced (max_age) or surplus (decr): not counted as wanted */
	bool stop_first;              /* retiring, replaced stop-first: its wid stays its own until it
				       * is gone, and it stops when its turn comes (one slot at a time) */
	int failures;                 /* consecutive failed starts of this wid (towards max_retry): a
				       * death before ready, or less than min_uptime after it; reset
				       * by an exit after min_uptime */
	int restarts;                 /* new pids of this slot after an exit, since it was started
				       * (start, restart, reload, max_age begin anew); shown by status */
	int shortages;                /* consecutive spawns refused for want of resources (EAGAIN,
				       * EMFILE...): they back off like failures but never give up */
	bool short_of_resources;      /* the last spawn failed for a shortage */
	int quick_finishes;           /* consecutive expected exits before ready (restart: always):
				       * the pause before the next start grows with them, but they
				       * never count towards max_retry */
	bool oom_killed;              /* its last exit was the kernel's OOM killer's (memory.events) */
	bool quiet_exit;              /* signalled by the kill command: its exit publishes no
				       * "reap" (as Circus) */
	char *spawn_error;            /* why the last spawn failed ("cannot exec ...: ..."), or NULL */
	char *start_error;            /* why cirqued killed the last one while it was starting ("not
				       * ready after 5 s (tcp 127.0.0.1:8080 refused)"), or NULL;
				       * cleared at the next spawn */
	int last_status;              /* wait status of the last exit, -1 if none */
	bool exit_expected;           /* that exit's status was in exitcodes (as they were then) */
	ev_tstamp started_at;         /* when the current pid was spawned */
	ev_tstamp ready_at;           /* when it became RUNNING (min_uptime counts from it) */
	struct reaper_child child;    /* reaping of pid */
	ev_timer timer;               /* the one timer of the current state: start grace or
				       * ready_timeout (STARTING), max_age (RUNNING), grace (STOPPING);
				       * a BACKOFF waits in a backoff queue instead (watcher.c) */
	struct readiness ready;       /* probes and NOTIFY_SOCKET, watched while STARTING */
	/* The spawn scheduler (watcher.c): a respawn over the round's spawn budget waits, STARTING
	 * without a pid, in the daemon's queue of spawns due; a process in BACKOFF waits in the
	 * queue of its delay, which one timer serves for the whole daemon. */
	struct proc_queue *queue;     /* the queue it is in, or NULL */
	struct process *queue_next, *queue_prev;
	ev_tstamp due;                /* in a backoff queue: when it is to be retried */
	struct hook_run *spawn_hook;  /* its before_spawn hook running: no spawn until it is over
				       * (STARTING without a pid, as if queued) */
	bool spawn_hook_passed;       /* that hook succeeded: the next process_spawn spawns */
	struct process *pid_next;     /* in the daemon's pid index (pid > 0) */
	bool adopted;                 /* pid is a process of a cirqued that died, not our child
				       * (watcher_adopt): its exit comes without a status */
	bool exit_unknown;            /* the last exit was such a process's: no status known */
	unsigned long long start_ticks;  /* pid's start time (proc_start_ticks), 0 until read:
					  * for the survivors' file (survivors.h) */
	unsigned counted;             /* what the watcher's counters hold of it (watcher.c) */
	enum proc_state counted_state;
};

enum waiter_kind {
	WAIT_STARTED,        /* every wanted process up (start, incr/decr) */
	WAIT_DECIDED,        /* the same, or a process failed a start (priority levels) */
	WAIT_STOPPED,        /* no process left, the predecessor's included (stop, rm) */
	WAIT_REPLACED,       /* started, and no process older than the request left (reload,
			      * restart) */
	WAIT_REPLACE_QUEUED, /* a reload behind the replacement in flight: WAIT_REPLACED once
			      * its own replacement begins */
	WAIT_KILLED,         /* every process a kill signalled has exited (pids); also a stop of
			      * one slot (its pid) */
	WAIT_SLOT_STARTED,   /* the process of slot wid is up (or gave up), or the slot was
			      * stopped again since (start or restart of name:wid) */
};

struct waiter {
	struct waiter *next;
	enum waiter_kind kind;
	bool cancelled;               /* answered with outcome at the next update */
	enum watcher_outcome outcome;
	watcher_done_fn done;
	void *arg;
	struct watcher *watcher;      /* WAIT_KILLED: the owner, for the grace timer */
	pid_t *pids;                  /* WAIT_KILLED: the pids signalled; each reaped one is gone from
				       * the watcher's processes */
	int npids;
	int ngone;                    /* WAIT_KILLED: pids[0..ngone) are known to be gone */
	int wid;                      /* WAIT_SLOT_STARTED: the slot */
	ev_timer grace;               /* WAIT_KILLED: SIGKILL to the pids left when it fires */
	unsigned failed_starts;       /* WAIT_DECIDED: the watcher's count when it began */
};

/* A slot (wid) the operator stopped alone (stop name:wid): nothing is spawned for it until it is
 * started again (start name:wid, or a start or restart of the whole watcher). A restart of the
 * slot holds it too, until the process it stopped is gone. */
struct held_slot {
	int wid;
	pid_t restarting;             /* restart name:wid: the pid being stopped; 0: stopped */
};

struct watcher {
	struct watcher *next;         /* in the arbiter's list */
	struct ev_loop *loop;
	struct watcher_config *config;  /* owned */
	const char *name;             /* config->name */
	bool wanted;                  /* the operator wants it running */
	bool removing;                /* dropped from the configuration: freed once it is idle */
	bool start_queued;            /* a start by priority level will start it when its level
				       * comes; a stop (or kill) meanwhile cancels that */
	bool dead;                    /* detached (watcher_detach): nothing of it runs any more */
	struct watcher *next_dead;    /* in the owner's list of watchers to free */
	/* A name is never run by two watchers at once: a watcher that takes the name of a
	 * removed one still stopping spawns nothing, and counts as not stopped, until the
	 * predecessor is gone (rm then add, a changed definition, a reload). */
	struct watcher *successor;    /* the watcher waiting for this removed one to be idle */
	struct watcher *predecessor;  /* a removed watcher of this name, still stopping */
	bool restarting;              /* restart: nothing spawns until the processes it stopped
				       * are gone (stop, then start) */
	bool reload_queued;           /* a reload asked for during a replacement in flight: it
				       * begins once that one is over (reloads coalesce) */
	/* Hooks (hook.h) the watcher waits for; the others (after_spawn, after_reap) run alone. */
	struct hook_run *start_hook;  /* before_start: nothing spawns while it runs (hook_holding) */
	bool hook_holding;
	bool start_hook_due;          /* a start began: before_start runs once nothing else holds
				       * it (dependencies first) */
	struct hook_run *started_hook;  /* after_start: a failure stops the watcher */
	struct hook_run *stop_hook;   /* before_stop or after_stop: the stop is not over (not idle,
				       * a restart's start waits) until it is */
	bool stop_signals_held;       /* before_stop runs: the stop signals wait for its end */
	bool stop_hooks_due;          /* a stop of processes began: after_stop runs at its end */
	char *hook_failure;           /* why a hook aborted the last start, or NULL */
	unsigned long long hooks_skipped;  /* after_* hooks not run: too many running (hook.c) */
	ev_tstamp hooks_skip_said;
	struct signal_batch *signal_batches;  /* signal commands waiting for before_signal */
	int rolling_wid;              /* the slot whose stop-first replacement is under way: the
				       * next one waits until its successor is up (0: none) */
	/* Circus's order of events: "stop" once the processes a stop signalled are reaped,
	 * "start" once the processes of a start are spawned, "reload" once a reload is over. */
	bool announce_stop;
	bool announce_start;
	bool announce_reload;
	int numprocesses;             /* wanted number of processes (config, incr/decr) */
	struct process *processes;
	struct process *last_process; /* the tail of processes */
	int nprocesses;               /* length of processes, retiring ones included */
	/* Counts kept as processes change (watcher.c), so that handling an event costs the same
	 * with 10 processes as with 10,000: no walk of the list per exit, spawn or readiness. */
	int nstate[PS_COUNT];         /* processes in each state */
	int nretiring;                /* retiring */
	int nstop_first;              /* retiring stop-first */
	int nunsettled;               /* wanted and starting, stopping or backing off from a failure */
	int nlive;                    /* wanted, not stopping, and spawned (not waiting for a turn) */
	struct process **by_wid;      /* the process (not retiring) of each wid, or NULL */
	int by_wid_size;
	struct held_slot *held;       /* the slots stopped alone, wid <= numprocesses */
	int nheld;
	struct waiter *waiters;
	ev_timer warmup;              /* paces spawns when warmup_delay > 0 */
	ev_tstamp last_spawn;
	struct watcher_totals totals; /* since it was created (metrics) */
	unsigned failed_starts;       /* starts that failed so far (died or killed before ready, no
				       * spawn): WAIT_DECIDED waiters see a new one */
	int stdio[3];                 /* stdio[0]: /dev/null, the children's stdin */
	const struct rlimit *child_nofile;  /* RLIMIT_NOFILE for children (the daemon's is raised) */
	/* on_demand: while it is stopped, its sockets are watched; the first readable starts it. */
	struct ev_io *demand_io;      /* one per socket while armed, else NULL */
	int ndemand;
	bool demand_off;              /* never armed again (the daemon is ending) */
	watcher_idle_fn on_idle;
	watcher_event_fn on_event;
	watcher_hold_fn should_hold;
	watcher_change_fn on_change;
	void *hook_arg;
	/* depends_on: a start waits, spawning nothing, until every dependency is ready; the owner
	 * (arbiter.c) says what it waits for, and whether that can come without the operator
	 * (blocked: a dependency gave up or was stopped). */
	bool deps_holding;
	bool deps_blocked;
	char deps_why[200];
	int level;                    /* its priority, raised to its dependents' (a dependency
				       * starts no later and stops no sooner than they do) */
	unsigned restart_mark;        /* restart_with: restarted in this round already */
	/* Containment: its cgroup (NULL in process groups mode), and the sweep of what its
	 * programs left behind (a child that called setsid, a daemon's grandchild), which a
	 * whole-watcher stop (stop, restart, kill, rm, shutdown) ends: once its own processes are
	 * gone, the leftovers get stop_signal, and SIGKILL (cgroup.kill) at sweep_deadline. The
	 * watcher is not idle until none is left. */
	struct wcgroup *cgroup;
	bool sweeping;
	bool sweep_signalled;
	bool sweep_killed;
	bool sweep_rekilling;         /* without cgroups: SIGKILL again to what each round adopts */
	ev_tstamp sweep_deadline;     /* graceful_timeout after the stop began */
	ev_timer sweep_timer;
	pid_t *swept;                 /* what the last round found (to see it reaped) */
	int nswept;
	pid_t *stopped_pids;          /* its processes when the stop began: process groups and
				       * sessions of what they leave behind */
	int nstopped_pids;
	struct watcher *next_sweeping;  /* in the list of watchers sweeping (watcher.c) */
	unsigned long long oom_seen;  /* memory.events oom_kill count already accounted for */
	/* SIGKILLs at graceful_timeout after the first of a burst, said in one line at its end (a
	 * stop of thousands would log thousands of lines): how many, and the first few pids. */
	ev_timer escalations_said;
	int nescalated;
	pid_t escalated[4];
};

/* Without cgroups, where a watcher's leftovers are looked for: the children of cirqued that
 * no watcher tracks (adopted orphans), as set by the arbiter. */
typedef int (*orphan_source_fn)(pid_t **pids);
void watcher_set_orphan_source(orphan_source_fn source);
/* For reaper.c: the process of that pid (its reaper_child), and a child nobody watched reaped
 * (an orphan: a sweep may be waiting for it). */
struct reaper_child *watcher_child_of_pid(pid_t pid);
void watcher_orphan_reaped(pid_t pid, int status);
/* The orphans cirqued adopted, read once from /proc, for watcher_strays over many watchers. */
struct orphan_list;
struct orphan_list *orphans_collect(void);
void orphans_free(struct orphan_list *list);
/* What W's programs left behind that is still running (cirqued adopted it): its cgroup's
 * processes (its sub-cgroups' too) whose parent is cirqued and that W does not track, or without
 * cgroups the adopted orphans (from ORPHANS, or read now when NULL) whose environment says
 * CIRQUE_WATCHER=<name>, or, without that variable, whose process group or session is one of
 * W's processes. Returns how many, in *PIDS (malloc'd; free it even when 0). */
int watcher_strays(struct watcher *w, const struct orphan_list *orphans, pid_t **pids);
/* Called whenever a pid is added to or removed from the daemon's processes (the survivors'
 * file follows them). */
typedef void (*pids_changed_fn)(void);
void watcher_set_pids_changed(pids_changed_fn fn);
/* Takes PID, a process of slot WID left by a cirqued that died (its start time START_TICKS), as
 * that slot's process, RUNNING since it started: watched by pidfd, or as a child when
 * OUR_CHILD; moved into W's cgroup. NULL when the slot is taken or beyond numprocesses. */
struct process *watcher_adopt(struct watcher *w, int wid, pid_t pid,
			      unsigned long long start_ticks, bool our_child);
/* Applies W's configured limits to its cgroup (at start and after a reload or set). */
void watcher_apply_limits(struct watcher *w);

/* Takes ownership of CONFIG. Nothing runs until watcher_start. */
struct watcher *watcher_new(struct ev_loop *loop, struct watcher_config *config, int devnull_fd);
/* W is done with (removed and idle): its waiters are answered WATCHER_REMOVED, it lets go of
 * its predecessor and successor, and every timer, child and io watcher of it stops. Nothing of
 * W runs afterwards, but its memory stays valid for the callers still on the stack: the owner
 * frees it later (from an ev_prepare pass), with watcher_free. */
void watcher_detach(struct watcher *w);
/* Detaches W if need be, and frees it. */
void watcher_free(struct watcher *w);

void watcher_start(struct watcher *w, watcher_done_fn done, void *arg);
/* The same, but DONE as soon as it is decided: every process up (or FATAL), or one has failed
 * a start (WATCHER_FAILING; it goes on retrying). What a priority level waits for. */
void watcher_start_decided(struct watcher *w, watcher_done_fn done, void *arg);
void watcher_stop(struct watcher *w, watcher_done_fn done, void *arg);
/* Stop, then start: every process is stopped; new ones spawn once all are gone. DONE when
 * they have started. A restart satisfies the reloads queued or in flight: they end with it. */
void watcher_restart(struct watcher *w, watcher_done_fn done, void *arg);
/* One slot (wid 1..numprocesses) alone. stop: its process stops and the slot stays stopped
 * (not respawned); DONE once the process is gone. start: the slot runs again (on a stopped
 * watcher, that slot alone starts: the others stay stopped); DONE once it runs or gave up.
 * restart: its process stops, then a new one starts in the slot; DONE as for start. */
void watcher_stop_slot(struct watcher *w, int wid, watcher_done_fn done, void *arg);
void watcher_start_slot(struct watcher *w, int wid, watcher_done_fn done, void *arg);
void watcher_restart_slot(struct watcher *w, int wid, watcher_done_fn done, void *arg);
/* Whether slot WID was stopped alone (and is not being restarted). */
bool watcher_slot_held(const struct watcher *w, int wid);
/* Why slot WID of a wanted watcher has no process yet (warmup_delay pacing, a predecessor
 * still stopping), or NULL when it has one or is not wanted. */
const char *watcher_slot_pending(const struct watcher *w, int wid);
/* The process of slot WID (not a retiring one), or NULL. */
struct process *watcher_find_wid(struct watcher *w, int wid);
/* DONE once the wanted processes are up, as for a start, without starting anything. */
void watcher_wait_started(struct watcher *w, watcher_done_fn done, void *arg);
/* W takes the name of PREDECESSOR (removing, not idle): W spawns nothing until
 * watcher_predecessor_gone. */
void watcher_follow(struct watcher *w, struct watcher *predecessor);
void watcher_predecessor_gone(struct watcher *w);
/* rm with nostop (Circus): W lets go of its processes without signalling them. Their child,
 * timer and readiness watchers stop, their output pipes stay read until EOF (stream.h); their
 * exits are reaped but nothing is published or respawned. Returns how many pids were let go,
 * in *PIDS (malloc'd, free it even when 0). W then holds nothing and is idle. */
int watcher_release(struct watcher *w, pid_t **pids);
/* Fast stop: SIGKILL to every process (and group) at once. */
void watcher_kill(struct watcher *w);
void watcher_set_numprocesses(struct watcher *w, int n);
/* Swaps in a configuration whose processes would be the same (takes ownership), and runs
 * NUMPROCESSES of them. */
void watcher_replace_config(struct watcher *w, struct watcher_config *config, int numprocesses);

/* Graceful reload: every process is replaced, each new one first, the old one stopped once its
 * successor is RUNNING (replace: new-first; a successor that dies before ready beside the old
 * one makes that slot fall back to stop-first), or slot by slot, the old one stopped before
 * its successor starts (replace: stop-first). DONE when no old process is left. Reloads
 * coalesce: one asked for while a replacement is in flight waits for it to end and then
 * replaces every process once more, for all the reloads asked for meanwhile; so there are never
 * more than old + new processes. With send_hup (Circus), each live process gets SIGHUP instead
 * and DONE is called once they are sent. */
void watcher_reload(struct watcher *w, watcher_done_fn done, void *arg);
/* Whether a reload of W now is SIGHUP to its processes (send_hup, and some run). */
bool watcher_reload_hups(const struct watcher *w);
/* The same with a new definition (taken) and count: the new processes are CONFIG's. */
void watcher_reload_with(struct watcher *w, struct watcher_config *config, int numprocesses,
			 watcher_done_fn done, void *arg);
/* on_demand: arms W (its sockets watched while it is stopped) or disarms it, as its state and
 * configuration say; the sockets are looked up again (after a reload rebinds them). */
void watcher_on_demand_refresh(struct watcher *w);
/* The daemon is ending: W's sockets are never watched again. */
void watcher_on_demand_end(struct watcher *w);
/* Circus's watcher states: "active", "starting", "stopping", "stopped". */
const char *watcher_status(const struct watcher *w);
/* The signal command with hooks: before_signal (per process; a failure skips its signal,
 * SIGKILL excepted), SEND(pid) for each process not skipped, then after_signal. DONE(sent,
 * skipped, why of the last skip, ARG) once all are over (at once when no hook is configured;
 * the watcher removed meanwhile: skipped). */
typedef int (*watcher_send_fn)(pid_t pid, int signum, void *arg);
typedef void (*watcher_signalled_fn)(struct watcher *w, int sent, int skipped, const char *why,
				     void *arg);
void watcher_signal_with_hooks(struct watcher *w, const pid_t *pids, int npids, int signum,
			       watcher_send_fn send, watcher_signalled_fn done, void *arg);
/* Sends SIGNUM to every running process (to their groups when TO_GROUP). Returns how many. */
int watcher_signal(struct watcher *w, int signum, bool to_group);
/* Sends SIGNUM to P (to its group when TO_GROUP): 0, or -1 with errno. */
int process_signal(struct process *p, int signum, bool to_group);
/* Circus's kill: SIGNUM to process PID (when 0, to every process not already stopping), to its
 * group with stop_children; SIGKILL to those still there after GRACE seconds; DONE once each has
 * exited (the watcher respawns them as for any death). Returns how many were signalled, DONE
 * being called only when that is not 0. */
int watcher_kill_processes(struct watcher *w, pid_t pid, int signum, double grace,
			   watcher_done_fn done, void *arg);
/* The process with this pid, or NULL. */
struct process *watcher_find_pid(struct watcher *w, pid_t pid);

/* The start held for the dependencies goes on (they are ready). */
void watcher_deps_ready(struct watcher *w);
/* The start held for the dependencies cannot go on by itself (WHY): its start waiters are
 * answered WATCHER_BLOCKED; it stays wanted, and starts at watcher_deps_ready. */
void watcher_deps_blocked(struct watcher *w, const char *why);
/* A dependency failed a start (it is retried): the waiters of a decision (a priority level)
 * need not wait for this one any longer (WATCHER_FAILING). */
void watcher_deps_failing(struct watcher *w);
/* What W's dependents wait for: W is wanted and started, and every wanted process of it is up,
 * or has finished as expected (a one-shot job that exited with a status of exitcodes). */
bool watcher_ready(const struct watcher *w);
/* W will not get ready without the operator: a process gave up (FATAL), or exited unexpectedly
 * for good (restart: never), or W is not wanted. */
bool watcher_given_up(const struct watcher *w);
/* W is starting and a process of it failed a start and is being retried. */
bool watcher_failing(const struct watcher *w);

/* No process left, and no predecessor still stopping. */
bool watcher_is_idle(const struct watcher *w);
int watcher_count_state(const struct watcher *w, enum proc_state state);

/* A re-exec (reexec.h). What in W cannot be carried across it and must end first (a restart, a
 * reload, a hook...): true, with "watcher web is being restarted" in OUT. */
bool watcher_reexec_blocker(const struct watcher *w, char *out, size_t size);
/* Its waiters are answered WATCHER_REEXEC (the operations go on). */
void watcher_abandon_waiters(struct watcher *w);
/* W's run-time state and processes, and back in the new image (W made from the same
 * definition, not started). */
json_t *watcher_save(const struct watcher *w);
void watcher_restore(struct watcher *w, const json_t *saved);

#endif
