/* arbiter.h - the daemon: the set of watchers, start-up and shutdown by priority, reloads. */
#ifndef CIRQUE_ARBITER_H
#define CIRQUE_ARBITER_H

#include <ev.h>
#include <stdbool.h>

#include "config.h"
#include "watcher.h"

struct level_run;

struct arbiter {
	struct ev_loop *loop;
	char *config_path;
	struct daemon_config daemon;  /* settings in force (owned strings) */
	struct watcher *watchers;     /* configured watchers, in configuration order */
	struct watcher *removed;      /* dropped by a reload, still stopping */
	struct level_run *startup;    /* start-up in progress, priority level by level */
	int devnull_fd;               /* given to children as stdin */
	bool shutting_down;           /* no more starts; exit once every process is gone */
	bool fast_shutdown;           /* SIGQUIT: SIGKILL instead of graceful */
	bool stop_all_done;           /* the ordered stop has finished */
	bool finished;                /* every process is gone: the loop is ending */
	int exit_code;
	ev_signal sigterm, sigint, sigquit, sighup;
};

/* Takes CONFIG (its watcher configs move into watchers; the rest is freed). */
int arbiter_init(struct arbiter *a, struct ev_loop *loop, struct config *config);
void arbiter_start(struct arbiter *a);
/* Re-reads the configuration file; on error logs every problem and changes nothing. */
int arbiter_reload(struct arbiter *a);
void arbiter_shutdown(struct arbiter *a, bool fast);
void arbiter_free(struct arbiter *a);

struct watcher *arbiter_find(struct arbiter *a, const char *name);

#endif
