/* ready.h - when a new process counts as started: after a delay, once a TCP port or a unix
 * socket accepts connections, or when it says READY=1 on its own NOTIFY_SOCKET (sd_notify, so
 * programs written for systemd's Type=notify work unchanged). */
#ifndef CIRQUE_READY_H
#define CIRQUE_READY_H

#include "watcher.h"

/* Before the spawn: for `ready: notify`, makes the child's socket (p->notify_path, passed as
 * NOTIFY_SOCKET). -1 on failure (errno set). */
int ready_prepare(struct process *p);
/* The process is STARTING: watch for its readiness. */
void ready_watch(struct process *p);
/* The process left STARTING (or is gone): stop probing; NOTIFY_SOCKET stays open until exit
 * (STATUS= updates), unless CLOSE. */
void ready_unwatch(struct process *p, bool close_socket);

#endif
