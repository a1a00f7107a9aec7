/* arbiter.h - the daemon: the set of watchers, start-up and shutdown by priority, reloads. */
#ifndef CIRQUE_ARBITER_H
#define CIRQUE_ARBITER_H

#include <ev.h>
#include <sys/resource.h>
#include <stdbool.h>

#include "config.h"
#include "watcher.h"

struct level_run;
struct arbiter;

typedef void (*arbiter_done_fn)(struct arbiter *a, void *arg);

struct arbiter {
	struct ev_loop *loop;
	char *config_path;
	struct daemon_config daemon;  /* settings in force (owned strings) */
	struct watcher *watchers;     /* configured watchers, in configuration order */
	struct watcher *removed;      /* dropped by a reload, still stopping */
	struct watcher *dead;         /* removed and idle, detached: freed by the reaper */
	ev_prepare reaper;            /* frees the dead watchers before the loop sleeps, out of any
				       * callback of theirs (redis's freeClientAsync) */
	struct level_run *runs;       /* start/stop runs in progress, priority level by level */
	int devnull_fd;               /* given to children as stdin */
	bool shutting_down;           /* no more starts; exit once every process is gone */
	bool fast_shutdown;           /* SIGQUIT: SIGKILL instead of graceful */
	bool stop_all_done;           /* the ordered stop has finished */
	bool finished;                /* every process is gone: the loop is ending */
	ev_timer orphan_timer;        /* shutdown: waiting for adopted orphans to go */
	ev_tstamp orphans_since;
	bool orphans_killed;
	pid_t *initial_children;      /* children we had before spawning (not ours to stop) */
	int ninitial_children;
	pid_t *released;              /* let go by rm with nostop: not ours to stop either */
	int nreleased;
	int exit_code;
	ev_signal sigterm, sigint, sigquit, sighup, sigusr1;
	struct rlimit child_nofile;   /* the descriptor limit cirqued started with, for children */
	void *zmq;                    /* the ZeroMQ context (NULL: no control plane) */
	struct control *control;      /* the ROUTER control socket */
	struct control *operator_control;  /* the operator socket (operator_group), or NULL */
	char *operator_endpoint;
	struct events *events;        /* the PUB socket, NULL when not configured */
	struct zap *zap;              /* CURVE authenticator of the control socket, or NULL */
	char *control_endpoint;       /* the endpoints in use (defaults resolved) */
	char *pubsub_endpoint;
	json_t *file_definitions;     /* watcher name -> {raw, numprocesses}: its definition as the
				       * file last gave it, so that a reload touches only the
				       * watchers whose definition in the file changed */
	/* depends_on: some watcher has dependencies; after a change of any watcher, one pass
	 * (before the loop sleeps) lets the starts held for them go on and the stops held for
	 * their dependents go on (arbiter.c). */
	bool has_deps;
	bool deps_dirty;
	ev_prepare deps_pass;
	unsigned restart_round;       /* restart_with: marks the watchers restarted in a round */
	struct watcher **retire_after;  /* replaced (reload), their stop waiting for the watchers
					 * that restart with them to be down first */
	int nretire_after;
};

/* Takes CONFIG (its watcher configs move into watchers; the rest is freed). */
int arbiter_init(struct arbiter *a, struct ev_loop *loop, struct config *config);
void arbiter_start(struct arbiter *a);
/* Re-reads the configuration file; on error logs every problem and changes nothing. */
int arbiter_reload(struct arbiter *a);
void arbiter_shutdown(struct arbiter *a, bool fast);
/* Start every autostart watcher (highest priority first) / stop every watcher (lowest first),
 * one priority level at a time, concurrently within a level; DONE when all is settled. */
int arbiter_start_all(struct arbiter *a, arbiter_done_fn done, void *arg);
int arbiter_stop_all(struct arbiter *a, arbiter_done_fn done, void *arg);
void arbiter_free(struct arbiter *a);

struct watcher *arbiter_find(struct arbiter *a, const char *name);
/* Stops the LIST of N watchers, each after the watchers that depend on it (the order of a
 * shutdown, which priorities also order); DONE when all have stopped. */
int arbiter_stop_set(struct arbiter *a, struct watcher **list, int n, arbiter_done_fn done,
		     void *arg);
/* The watchers that need one of LIST (N of them), directly or not, and are wanted or still
 * stopping, not in LIST: appended to a malloc'd array in *OUT; returns how many. */
int arbiter_dependents(struct arbiter *a, struct watcher **list, int n, struct watcher ***out);
/* The wanted watchers with W in restart_with, and theirs: a malloc'd array in *OUT, how many
 * returned. */
int arbiter_followers(struct arbiter *a, struct watcher *w, struct watcher ***out);
/* W is being restarted (restart, reload): the watchers with W in restart_with (and theirs)
 * restart too, their new processes waiting for W to be ready. */
void arbiter_restart_followers(struct arbiter *a, struct watcher *w);
/* The names of the watchers that depend on W (a rm refuses them), "web, cache" in OUT; false
 * when there are none. */
bool arbiter_needed_by(struct arbiter *a, const struct watcher *w, char *out, size_t size);
/* Checks WC (to be added, or to replace the watcher of its name) against the running
 * watchers: its dependencies exist and make no cycle. Returns -1 with the problem in OUT. */
int arbiter_check_dependencies(struct arbiter *a, const struct watcher_config *wc, char *out,
			       size_t size);
/* W is not started yet because a start in progress (the daemon's, or `start` of all) is still
 * on a higher priority level: true, with what it waits for in OUT ("db, cache (priority 10)"). */
bool arbiter_waiting_for(const struct arbiter *a, const struct watcher *w, char *out, size_t size);
/* What the starts held for their dependencies wait for may have changed (the survivors of a
 * cirqued that died are gone, survivors.h): they are looked at again before the loop sleeps. */
void arbiter_deps_changed(struct arbiter *a);
/* Adds a watcher (not started); takes WC. */
struct watcher *arbiter_add_watcher(struct arbiter *a, struct watcher_config *wc);
/* Stops W and forgets it once its processes are gone (W stays valid until the loop sleeps). */
void arbiter_remove_watcher(struct arbiter *a, struct watcher *w);
/* True when the file's definition WC of a watcher differs from the one the last load gave
 * (or there was none): a reload applies it, undoing run-time changes (set, incr, decr). */
bool arbiter_file_changed(const struct arbiter *a, const struct watcher_config *wc);
/* The options of W changed at run time since the file last defined it (set, incr, decr) that
 * the file's new definition WC would undo: a sorted JSON array of option names, maybe empty. */
json_t *arbiter_runtime_changes(const struct arbiter *a, const struct watcher *w,
				const struct watcher_config *wc);
/* The processes all watchers want together (their numprocesses) if W's count were N (W NULL:
 * a new watcher of N). */
long arbiter_processes_with(const struct arbiter *a, const struct watcher *w, long n);
/* rm with nostop: forgets W at once, leaving its processes running (watcher_release); a
 * shutdown does not stop them either. */
void arbiter_release_watcher(struct arbiter *a, struct watcher *w);
/* Applies a new definition to W as a reload would (untouched, count change, or stop old and
 * start new); takes WC. Returns the watcher now under that name (W itself or its successor). */
struct watcher *arbiter_change_watcher(struct arbiter *a, struct watcher *w,
				       struct watcher_config *wc);

/* A re-exec (reexec.h). What cannot be carried across it and must end first (a start by
 * priority level, a restart, a hook...): true, with what in OUT. */
bool arbiter_reexec_blocker(struct arbiter *a, char *out, size_t size);
/* Every waiting request is answered (WATCHER_REEXEC: the operations go on). */
void arbiter_abandon_waiters(struct arbiter *a);
/* The daemon's settings, watchers (definitions and run-time state) and processes. */
json_t *arbiter_save(struct arbiter *a);
/* In the new image: CONFIG's watchers become the saved ones (the file's are dropped); -1 with
 * ERROR if they cannot be loaded. */
int arbiter_saved_watchers(const json_t *saved, struct config *config, char *error,
			   size_t size);
/* After arbiter_init with that CONFIG: each watcher takes its saved state and processes. */
void arbiter_restore(struct arbiter *a, const json_t *saved);

#endif
