/* launch.h - what one spawn needs beyond its watcher's configuration: argv and env with
 * $(circus.wid) and $(circus.sockets.NAME) substituted, the listening sockets the process gets,
 * and the variables cirque adds to its environment: NOTIFY_SOCKET (ready: notify) and systemd's
 * LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES (use_sockets). */
#ifndef CIRQUE_LAUNCH_H
#define CIRQUE_LAUNCH_H

#include "spawn.h"
#include "watcher.h"

struct launch {
	char **argv;
	char **envp;
	int listen_fds[MAX_LISTEN_FDS];
	int nlisten;
	char *listen_pid;             /* inside envp's LISTEN_PID= entry, filled by the child */
	const char *search_path;      /* where a bare command name is looked up */
	char failed_step[160];        /* what launch_prepare could not do */
	/* private */
	char **own_argv, **own_env;   /* substituted copies, or NULL */
	char **added;                 /* the variables we added (malloc'd strings) */
	char **own_envp;
};

/* Fills L for process P (whose notify socket, if any, is already made). -1 on failure, with
 * errno and L->failed_step set; launch_release is still to be called. */
int launch_prepare(const struct process *p, struct launch *l);
void launch_release(struct launch *l);

#endif
