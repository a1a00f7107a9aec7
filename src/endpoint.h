/* endpoint.h - where the control and event sockets live by default, and which endpoints are safe. */
#ifndef CIRQUE_ENDPOINT_H
#define CIRQUE_ENDPOINT_H

#include <stdbool.h>

/* The private runtime directory: $CIRQUE_RUNTIME_DIR if set, else /run/cirque as root, else $XDG_RUNTIME_DIR/cirque, else
 * /tmp/cirque-<uid>. Returns a malloc'd path. */
char *runtime_dir(void);
/* "ipc://<runtime_dir>/<file>", malloc'd. */
char *default_endpoint(const char *file);
/* The runtime directory's mode: searchable by the children that run as other users, for their
 * notify socket in its notify/ (ready.c), but not listable; what else it holds is 0600. */
#define RUNTIME_DIR_MODE 0711
/* Creates the runtime directory RUNTIME_DIR_MODE (or checks that an existing one is ours, not a
 * link, and in a directory nobody else can change; then gives it that mode). Returns -1 with
 * errno and WHY (SAFEFS_WHY bytes) on failure. */
int prepare_runtime_dir(const char *dir, char *why);
/* True for ipc:// endpoints and tcp:// on a loopback address: only local users can reach them. A
 * tcp endpoint elsewhere lets anyone on the network command the daemon. */
bool endpoint_is_local(const char *endpoint);
/* Why ENDPOINT may not be bound (static text: "is ..."), or NULL: an abstract ipc socket that anyone could
 * reach (the control socket is allowed one only with CURVE), a relative ipc path, a control
 * socket beyond loopback without CURVE. */
const char *endpoint_refusal(const char *endpoint, bool is_control, bool curve);
/* May a client talk to ENDPOINT? For an ipc path, the socket and its directory must be such
 * that only root or the client's user could have put them there: another user's stand-in for
 * cirqued would get every command (and the secrets in them). Returns 0 (also when nothing is
 * there: the connection then fails by itself) or -1 with WHY (SAFEFS_WHY bytes). */
int endpoint_check_for_client(const char *endpoint, char *why);
/* For an ipc path, why no daemon can be there (static text), or NULL: ZeroMQ would wait for
 * ever on a socket file a dead cirqued left behind, so a plain connect asks the kernel first.
 * An abstract socket (ipc://@name) and tcp are left to ZeroMQ. */
const char *endpoint_listener_missing(const char *endpoint);
/* For ipc://PATH, the directory part of PATH (malloc'd), else NULL. */
char *endpoint_ipc_dir(const char *endpoint);

#endif
