/* zwatch.h - a ZeroMQ socket on the libev loop.
 *
 * ZMQ_FD is edge-triggered and "readable" only means "look at ZMQ_EVENTS": a send or receive may
 * consume the edge while messages are still queued. So the owner's callback runs when the fd
 * fires, and again from an ev_idle for as long as ZMQ_EVENTS says input is pending; after any
 * send or receive outside that callback, the owner calls zwatch_rearm. */
#ifndef CIRQUE_ZWATCH_H
#define CIRQUE_ZWATCH_H

#include <ev.h>
#include <stddef.h>
#include <zmq.h>

struct zwatch;
typedef void (*zwatch_fn)(struct zwatch *z);

struct zwatch {
	struct ev_loop *loop;
	void *socket;
	ev_io readable;               /* on ZMQ_FD */
	ev_idle drain;                /* while input is pending */
	zwatch_fn on_input;           /* reads a bounded number of messages, then returns */
	void *data;                   /* the owner's */
};

int zwatch_start(struct zwatch *z, struct ev_loop *loop, void *socket, zwatch_fn on_input,
		 void *data);
/* Keeps draining while input is pending, else waits for the fd. */
void zwatch_rearm(struct zwatch *z);
void zwatch_stop(struct zwatch *z);

/* zmq_send, zmq_msg_recv and zmq_getsockopt, retried on EINTR. libzmq fails with EINTR when a
 * signal (SIGCHLD, all the time here) arrives during the call, even with ZMQ_DONTWAIT, having
 * done nothing: a frame lost from a multipart message would drop a reply or corrupt the next. */
int zsend(void *socket, const void *buf, size_t len, int flags);
int zrecv(zmq_msg_t *msg, void *socket, int flags);
int zgetsockopt(void *socket, int option, void *value, size_t *len);

#endif
