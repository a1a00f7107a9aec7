/* sockets.h - the listening sockets of the sockets: section, bound by the daemon and handed to
 * the watchers that use them (systemd's socket activation). They stay open across restarts and
 * reloads of those watchers, so no connection is refused while processes are replaced: the
 * kernel queues connections until a process accepts them. */
#ifndef CIRQUE_SOCKETS_H
#define CIRQUE_SOCKETS_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"

struct listen_socket {
	struct listen_socket *next;   /* in definition order */
	struct socket_config *config; /* owned */
	int fd;
	int port;                     /* TCP: the port actually bound (when configured as 0) */
};

/* Makes CONFIGS the set of open sockets, all or nothing. A socket with the same binding as one
 * already open keeps its descriptor (backlog and mode are changed in place); others are bound.
 * On failure returns -1 with *error (malloc'd) naming the socket and the cause, and nothing has
 * changed. On success takes every config (entries set to NULL), closes the sockets no longer
 * configured, and sets *rebound to the NULL-terminated names of sockets whose descriptor is new
 * while the name existed before (their users need new processes), or NULL. */
int sockets_apply(struct socket_config **configs, int n, char ***rebound, char **error);
/* The sockets WC gets, in the order of its descriptors (3, 4, ...): at most MAX names and fds.
 * Returns the count, or -1 with *missing set to a name that is not an open socket. */
int sockets_of_watcher(const struct watcher_config *wc, char **names, int *fds, int max,
		       const char **missing);
/* True when WC names a socket in REBOUND (NULL-terminated), or uses every socket and any was. */
bool sockets_watcher_uses(const struct watcher_config *wc, char **rebound);
/* For add and set: -1 with PROBLEM filled when WC names a socket that is not open. */
int sockets_check_watcher(const struct watcher_config *wc, char *problem, size_t size);
/* For listsockets: [{fd, name, backlog, host, port} or {fd, name, backlog, path, mode}], by fd. */
json_t *sockets_describe(void);
/* For diff: how CONFIGS (N) differ from the open sockets, by name: "added", "removed", or the
 * list of fields that differ (family, host, port, path, mode, owner, group, reuseport, backlog);
 * a socket that does not differ is left out. */
json_t *sockets_compare(struct socket_config **configs, int n);
/* A re-exec (reexec.h): the open sockets with their descriptors, and back in the new image
 * (before sockets_apply, which then finds them open). */
json_t *sockets_save(void);
void sockets_restore(const json_t *saved);
/* A socket's definition as sockets_save gives it. */
struct socket_config *socket_config_from_json(const json_t *saved);
/* A listening socket of SC that the processes of a cirqued that died still hold (a descriptor
 * of ours, close-on-exec), or -1: consulted before each bind at start-up. */
typedef int (*sockets_reclaim_fn)(const struct socket_config *sc);
void sockets_set_reclaimer(sockets_reclaim_fn fn);
/* FD is a listening socket bound as SC says. */
bool sockets_fd_matches(const struct socket_config *sc, int fd);
/* At exit: closes every socket and removes the unix socket files. */
void sockets_close_all(void);

#endif
