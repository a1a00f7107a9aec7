/* ready.h - when a new process counts as started: after a delay, once a TCP port or a unix
 * socket accepts connections, or when it says READY=1 on its own NOTIFY_SOCKET (sd_notify, so
 * programs written for systemd's Type=notify work unchanged). */
#ifndef CIRQUE_READY_H
#define CIRQUE_READY_H

#include "watcher.h"

/* Before the spawn: for `ready: notify`, makes the child's socket and returns ENV plus
 * NOTIFY_SOCKET=... (malloc'd array; its strings are ENV's but the last); otherwise returns ENV
 * itself. NULL on failure (errno set). */
char **ready_prepare(struct process *p, char **env);
/* After the spawn (or its failure): frees what ready_prepare returned. */
void ready_release_env(char **env, char **original);
/* The process is STARTING: watch for its readiness. */
void ready_watch(struct process *p);
/* The process left STARTING (or is gone): stop probing; NOTIFY_SOCKET stays open until exit
 * (STATUS= updates), unless CLOSE. */
void ready_unwatch(struct process *p, bool close_socket);

#endif
