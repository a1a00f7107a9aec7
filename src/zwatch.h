/* zwatch.h - a ZeroMQ socket on the libev loop.
 *
 * ZMQ_FD is edge-triggered and "readable" only means "look at ZMQ_EVENTS": a send or receive may
 * consume the edge while messages are still queued. So the owner's callback runs when the fd
 * fires, and again from an ev_idle for as long as ZMQ_EVENTS says input is pending; after any
 * send or receive outside that callback, the owner calls zwatch_rearm.
 *
 * Output works the same way. An owner that holds messages a peer had no room for (a ROUTER with
 * ZMQ_ROUTER_MANDATORY says EAGAIN) asks with zwatch_want_output to be called back when room may
 * have come: libzmq learns that a peer read its messages from a command in the socket's mailbox,
 * which fires ZMQ_FD. ZMQ_POLLOUT cannot tell which peer has room (a ROUTER sets it when any one
 * has), so the owner retries only on those wake-ups, never in a loop on POLLOUT. A send may
 * process that command itself and consume the edge, so while output is wanted a timer retries
 * too, backing off from 2 ms to 0.5 s while nothing moves. */
#ifndef CIRQUE_ZWATCH_H
#define CIRQUE_ZWATCH_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <zmq.h>

struct zwatch;
typedef void (*zwatch_fn)(struct zwatch *z);
/* Retries queued output; returns true when something was sent. */
typedef bool (*zwatch_output_fn)(struct zwatch *z);

struct zwatch {
	struct ev_loop *loop;
	void *socket;
	ev_io readable;               /* on ZMQ_FD */
	ev_idle drain;                /* while input is pending */
	ev_timer retry;               /* while output is wanted: the backstop for a consumed edge */
	double retry_delay;           /* its next delay, doubled while nothing moves */
	zwatch_fn on_input;           /* reads a bounded number of messages, then returns */
	zwatch_output_fn on_output;   /* set while the owner holds output for later */
	void *data;                   /* the owner's */
};

int zwatch_start(struct zwatch *z, struct ev_loop *loop, void *socket, zwatch_fn on_input,
		 void *data);
/* Keeps draining while input is pending, else waits for the fd; retries output if wanted. */
void zwatch_rearm(struct zwatch *z);
/* ON_OUTPUT: call it when peers may have room again, until zwatch_want_output(z, NULL). */
void zwatch_want_output(struct zwatch *z, zwatch_output_fn on_output);
void zwatch_stop(struct zwatch *z);

/* zmq_send, zmq_msg_recv and zmq_getsockopt, retried on EINTR. libzmq fails with EINTR when a
 * signal (SIGCHLD, all the time here) arrives during the call, even with ZMQ_DONTWAIT, having
 * done nothing: a frame lost from a multipart message would drop a reply or corrupt the next. */
int zsend(void *socket, const void *buf, size_t len, int flags);
int zrecv(zmq_msg_t *msg, void *socket, int flags);
int zgetsockopt(void *socket, int option, void *value, size_t *len);

#endif
