/* spawn.h - start one child the way a watcher describes it, reporting exec failures synchronously. */
#ifndef CIRQUE_SPAWN_H
#define CIRQUE_SPAWN_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "config.h"

struct spawn_request {
	char *const *argv;                    /* argv[0] without '/' is looked up in search_path */
	const char *file;                     /* the program to run, NULL: argv[0] (executable:) */
	const char *search_path;              /* PATH to search (the child's own), NULL: "/bin:/usr/bin" */
	char *const *envp;
	const char *working_dir;              /* NULL: stay */
	int umask;                            /* -1: inherit */
	bool set_ids;                         /* drop to uid/gid/groups */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	int ngroups;
	const struct rlimit_setting *rlimits;
	int nrlimits;
	int stdio[3];                         /* fds to install as 0, 1, 2; -1 keeps the daemon's */
	const struct rlimit *nofile;          /* RLIMIT_NOFILE before the configured rlimits, or NULL */
	const int *listen_fds;                /* installed as 3, 4, ... (socket activation) */
	int nlisten;                          /* at most MAX_LISTEN_FDS */
	bool join_cgroup;                     /* write "0" to cgroup_procs_fd first thing: the
					       * child joins its watcher's cgroup before it can
					       * fork, so nothing it starts escapes it */
	int cgroup_procs_fd;
	char *listen_pid;                     /* room for 20 digits, filled with the child's pid (the
					       * value of LISTEN_PID=, in the child's environment) */
};

#define MAX_LISTEN_FDS 64

/* Reserves three low descriptor slots so that later spawns share the daemon's descriptor table
 * until the child keeps only those (close_range with CLOSE_RANGE_UNSHARE): a spawn then costs
 * the same with 20 or 20,000 open descriptors. Call it first thing in main. Without it (or on
 * an old kernel) the child copies the whole table, as fork does. */
void spawn_init(void);

/* Starts the child in its own process group. Returns its pid, or -1 with *failed_step naming what
 * failed ("fork", "exec", "chdir to /x", ...) and errno set. A child that failed after the fork
 * has already exited with status 127 (libev reaps it). The parent is suspended only until the
 * child has called exec (CLONE_VFORK), as with posix_spawn. */
pid_t spawn_process(const struct spawn_request *req, const char **failed_step);

#endif
