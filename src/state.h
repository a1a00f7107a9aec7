/* state.h - a process's life as one table: (state, event) -> (next state, action).
 *
 * Pure logic, no I/O: watcher.c performs the action. Every combination has exactly one answer, so
 * "what happens when a process exits while STOPPING" is answered here and nowhere else. */
#ifndef CIRQUE_STATE_H
#define CIRQUE_STATE_H

#include <stdbool.h>

enum proc_state {
	PS_STARTING,   /* spawned, not yet ready (a death now is a failed start) */
	PS_RUNNING,    /* up */
	PS_STOPPING,   /* stop signal sent, waiting for the exit (SIGKILL after the grace time) */
	PS_BACKOFF,    /* a failed start: waiting before the next attempt */
	PS_FATAL,      /* too many failed starts: given up until an explicit start */
	PS_EXITED,     /* exited on its own and not restarted (restart: never, or on-failure after
		        * an expected exit status) */
	PS_STOPPED,    /* gone: the process object is removed */
	PS_COUNT
};

enum proc_event {
	PE_SPAWN_FAILED,     /* fork or exec failed */
	PE_READY,            /* ready: up for the start grace, port open, or READY=1 */
	PE_EXITED,           /* reaped: killed, or exited with a status not in exitcodes */
	PE_FINISHED,         /* reaped: exited with a status in exitcodes (an expected exit) */
	PE_STOP,             /* stop requested (operator, decr, shutdown, reload) */
	PE_GRACE_TIMEOUT,    /* graceful_timeout passed while STOPPING */
	PE_BACKOFF_TIMEOUT,  /* backoff delay passed */
	PE_MAX_AGE,          /* older than max_age (+ variance) */
	PE_READY_TIMEOUT,    /* still not ready after ready_timeout */
	PE_COUNT
};

enum proc_action {
	PA_NONE,
	PA_BECAME_RUNNING,   /* reset failures, arm max_age, let a predecessor go */
	PA_RESPAWN,          /* spawn again now, same wid */
	PA_BACKOFF,          /* arm the backoff timer */
	PA_GIVE_UP,          /* log that the watcher gave up on this process */
	PA_SEND_STOP,        /* send stop_signal, arm the grace timer */
	PA_KILL,             /* send SIGKILL */
	PA_REMOVE,           /* forget the process */
	PA_REPLACE,          /* spawn a successor first; this one stops once the successor is up */
	PA_NOTE_EXIT,        /* record the exit (not restarted) */
	PA_KILL_UNREADY,     /* SIGKILL a process that never became ready: its exit is a failed start */
	PA_PAUSE,            /* an expected exit before ready, to be restarted: arm the backoff timer
			      * (not a failure: never towards max_retry, never FATAL) */
	PA_STOP_FIRST,       /* a new-first successor died before ready beside the process it was
			      * to replace: forget it; that one stops first, then the slot starts
			      * anew (not a failure: never towards max_retry) */
	PA_COUNT
};

struct proc_policy {
	bool wanted;         /* the watcher wants this process (running and not retiring) */
	bool respawn;        /* restart after an unexpected exit (restart: always or on-failure) */
	bool respawn_finished;  /* restart after an expected exit too (restart: always) */
	int failures;        /* consecutive failed starts, counting the one being decided */
	bool beside_predecessor;  /* a new-first successor: the process it replaces still runs */
	bool early;          /* the exit came less than min_uptime after ready: a failed start */
	bool unspawned;      /* STARTING, but still waiting for its turn to be spawned (no pid) */
	int max_retry;       /* -1: retry forever */
};

struct transition {
	enum proc_state next;
	enum proc_action action;
};

struct transition proc_transition(enum proc_state state, enum proc_event event,
				  const struct proc_policy *policy);

/* Seconds to wait after the Nth consecutive failed start: 0.25 s doubling, capped at 30 s. */
double backoff_delay(int failures);

const char *proc_state_name(enum proc_state state);  /* "RUNNING", ... as supervisorctl */

#endif
