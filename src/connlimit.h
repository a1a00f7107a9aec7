/* connlimit.h - bounds the connections libzmq holds on the daemon's control and event sockets. */
#ifndef CIRQUE_CONNLIMIT_H
#define CIRQUE_CONNLIMIT_H

#include <ev.h>

struct connlimit;

/* At most LIMIT connections on all the sockets watched together. */
struct connlimit *connlimit_open(struct ev_loop *loop, void *zmq_context, int limit);
/* Counts the connections of the bound SOCKET (NAME, e.g. "control", is for messages), and shuts
 * down those beyond the limit. Returns 0, or -1 when the socket cannot be monitored. */
int connlimit_watch(struct connlimit *cl, void *socket, const char *name);
/* Stops watching; call before the sockets are closed. */
void connlimit_close(struct connlimit *cl);

#endif
