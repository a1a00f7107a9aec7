/* ready.h - when a new process counts as started: after a delay, once a TCP port or a unix
 * socket accepts connections, or when it says READY=1 on its own NOTIFY_SOCKET (sd_notify, so
 * programs written for systemd's Type=notify work unchanged). */
#ifndef CIRQUE_READY_H
#define CIRQUE_READY_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Called once the process is ready; nothing else is told (the owner drives its state). */
typedef void (*ready_fn)(void *arg);

/* One process's readiness: its probes and its NOTIFY_SOCKET. Owned by the process. */
struct readiness {
	struct ev_loop *loop;
	struct watcher_config *const *config;  /* the owner's definition (it may be swapped) */
	ready_fn on_ready;
	void *arg;
	int wid;                      /* the process's worker id, for $(circus.wid) in the address */
	bool watching;                /* between ready_watch and ready_unwatch: probes count */
	ev_timer probe;               /* ready: tcp/unix, connection attempts */
	int probe_fd;                 /* a connection attempt in progress, or -1 */
	ev_io notify;                 /* ready: notify, the child's NOTIFY_SOCKET */
	int notify_fd;                /* -1 when none */
	char *notify_path;            /* passed to the child as NOTIFY_SOCKET, or NULL */
	char *status;                 /* the child's last STATUS= (sd_notify), or NULL */
	char *failure;                /* why the last probe failed ("tcp 127.0.0.1:8080 refused"),
				       * or NULL; reset when the next process starts */
	char target[256];             /* what the last probe connected to ("tcp 127.0.0.1:8080") */
	bool refusal_logged;          /* a unix probe refused for safety was logged */
};

void ready_init(struct readiness *r, struct ev_loop *loop, struct watcher_config *const *config,
		int wid, ready_fn on_ready, void *arg);
/* Before the spawn: for `ready: notify`, makes the child's socket (notify_path, passed as
 * NOTIFY_SOCKET). -1 on failure (errno set). */
int ready_prepare(struct readiness *r);
/* The process is starting: watch for its readiness; ON_READY is called once it is. */
void ready_watch(struct readiness *r);
/* The process is no longer starting (or is gone): stop probing; NOTIFY_SOCKET stays open until
 * exit (STATUS= updates), unless CLOSE_SOCKET. */
void ready_unwatch(struct readiness *r, bool close_socket);
/* Why the process is not ready yet, for status and the ready_timeout message: the last failed
 * probe ("tcp 127.0.0.1:8080 refused"), or what is awaited ("no READY=1 on its NOTIFY_SOCKET"). */
void ready_why_not(const struct readiness *r, char *out, size_t size);
/* A re-exec (reexec.h): R's NOTIFY_SOCKET and last STATUS= (NULL when it has neither), and
 * back in the new image: with STARTING, R watches again (probes begin anew). */
json_t *ready_save(const struct readiness *r);
void ready_restore(struct readiness *r, const json_t *saved, bool starting);
/* Unwatches, closes and frees everything. */
void ready_free(struct readiness *r);
/* At exit: removes the notify sockets' directory (in the runtime directory) and what is left in
 * it. */
void ready_cleanup(void);

#endif
