/* hook.h - runs a watcher's hooks: a command started as a child of cirqued, never waited for.
 *
 * A hook is spawned through spawn.c as the watcher's processes are (ids, groups, environment,
 * working directory, umask, rlimits; its own process group), reaped through reaper.c, its
 * stdout and stderr read through a non-blocking pipe and logged line by line ("watcher web:
 * hook before_start[1234]: <line>"), and SIGKILLed (its whole process group) at its timeout.
 * When it is over, the caller's callback gets the result, the daemon's log says it, and an
 * event is published (watcher.<name>.hook). Nothing here blocks the loop. */
#ifndef CIRQUE_HOOK_H
#define CIRQUE_HOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct watcher;
struct hook_run;

/* What the hook is about: its environment says it (CIRQUE_HOOK, CIRQUE_WATCHER, and, when
 * set, CIRQUE_WID, CIRQUE_PID, CIRQUE_EXIT_CODE or CIRQUE_EXIT_SIGNAL, CIRQUE_SIGNAL). */
struct hook_event {
	enum hook_point point;
	int wid;                      /* 0: none */
	pid_t pid;                    /* the process concerned, 0: none */
	int status;                   /* after_reap: its wait status, -1: none */
	int signum;                   /* the signal sent (or to be sent), 0: none */
};

enum hook_outcome {
	HOOK_OK,                      /* exited 0 */
	HOOK_EXITED,                  /* exited with another status */
	HOOK_KILLED,                  /* killed by a signal (not ours) */
	HOOK_TIMED_OUT,               /* still running at its timeout: SIGKILLed */
	HOOK_NOT_RUN,                 /* could not be spawned (exec failed, ...) */
};

struct hook_result {
	enum hook_point point;
	enum hook_outcome outcome;
	int code;                     /* EXITED: the status; KILLED: the signal */
	pid_t pid;                    /* 0 when NOT_RUN */
	bool ignored;                 /* a failure, but ignore_failure is set */
	const char *why;              /* "exited 3", "killed by SIGSEGV", "timed out after 5 s",
				       * "cannot exec /x: No such file or directory"; "" when OK */
};

static inline bool hook_failed(const struct hook_result *r)
{
	return r->outcome != HOOK_OK && !r->ignored;
}

/* Called once, from the loop, when the run is over (never for a cancelled run). */
typedef void (*hook_done_fn)(const struct hook_result *result, void *arg);

/* Starts W's hook at EVENT's point. NULL when W has no hook there (nothing runs, DONE is never
 * called); otherwise the run, whose DONE (may be NULL) is called when it is over, even when it
 * could not be spawned (then at the next round of the loop). */
struct hook_run *hook_start(struct watcher *w, const struct hook_event *event, hook_done_fn done,
			    void *arg);
/* The caller no longer wants RUN's result: its process group is SIGKILLed, DONE is never
 * called; the run is freed once reaped. */
void hook_cancel(struct hook_run *run);
/* Every run started for W is cancelled (W is going away). */
void hook_cancel_all_of(struct watcher *w);
/* Whether W has a hook at POINT. */
bool hook_configured(const struct watcher *w, enum hook_point point);
/* For the reaper's scan: the run of that pid. */
struct reaper_child *hook_child_of_pid(pid_t pid);
bool hook_owns_pid(pid_t pid);
/* Where hook events go: FN(watcher name, payload consumed) (the arbiter's PUB socket). */
typedef void (*hook_publish_fn)(const char *watcher, json_t *payload, void *arg);
void hook_set_publisher(hook_publish_fn fn, void *arg);
/* At exit: every hook still running is SIGKILLed (its group) and reaped, blocking until it is. */
void hook_shutdown(void);
/* Some hook runs (or is about to): true, with which in WHAT ("the before_start hook of web"). A
 * re-exec waits for it: a hook's end is what a watcher waits for, and it cannot be carried. */
bool hook_running(char *what, size_t size);

#endif
