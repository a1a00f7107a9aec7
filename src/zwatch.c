/* zwatch.c - see zwatch.h: flux-core's ev_zmq idea, with an idle watcher while input is pending. */
#include "zwatch.h"

#include <errno.h>
#include <stdbool.h>
#include <zmq.h>

#define RETRY_FIRST 0.002
#define RETRY_LAST 0.5

/* ZMQ_EVENTS; asking also processes the commands waiting in the socket's mailbox. */
static int socket_events(struct zwatch *z)
{
	int events = 0;
	size_t len = sizeof(events);

	if (zgetsockopt(z->socket, ZMQ_EVENTS, &events, &len) < 0)
		return 0;
	return events;
}

/* Lets the owner retry its output for as long as it gets something out and some peer has room.
 * Returns true when something moved. */
static bool retry_output(struct zwatch *z, int *events)
{
	bool moved = false;

	while (z->on_output && (*events & ZMQ_POLLOUT) && z->on_output(z)) {
		moved = true;
		*events = socket_events(z);
	}
	if (moved)
		z->retry_delay = RETRY_FIRST;
	return moved;
}

static void arm(struct zwatch *z, int events)
{
	if (events & ZMQ_POLLIN)
		ev_idle_start(z->loop, &z->drain);
	else
		ev_idle_stop(z->loop, &z->drain);
	if (z->on_output == NULL) {
		ev_timer_stop(z->loop, &z->retry);
		z->retry_delay = RETRY_FIRST;
	} else if (!ev_is_active(&z->retry)) {
		ev_timer_set(&z->retry, z->retry_delay, 0.);
		ev_timer_start(z->loop, &z->retry);
	}
}

void zwatch_rearm(struct zwatch *z)
{
	int events = socket_events(z);

	retry_output(z, &events);
	arm(z, events);
}

void zwatch_want_output(struct zwatch *z, zwatch_output_fn on_output)
{
	z->on_output = on_output;
	if (on_output == NULL) {
		ev_timer_stop(z->loop, &z->retry);
		z->retry_delay = RETRY_FIRST;
	}
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct zwatch *z = w->data;

	(void)loop;
	(void)revents;
	z->on_input(z);
	zwatch_rearm(z);
}

static void on_drain(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct zwatch *z = w->data;

	(void)loop;
	(void)revents;
	z->on_input(z);
	zwatch_rearm(z);
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct zwatch *z = w->data;
	int events = socket_events(z);

	(void)loop;
	(void)revents;
	if (!retry_output(z, &events) && z->retry_delay < RETRY_LAST)
		z->retry_delay = z->retry_delay * 2 < RETRY_LAST ? z->retry_delay * 2 : RETRY_LAST;
	arm(z, events);
}

int zwatch_start(struct zwatch *z, struct ev_loop *loop, void *socket, zwatch_fn on_input,
		 void *data)
{
	int fd;
	size_t len = sizeof(fd);

	if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) < 0)
		return -1;
	z->loop = loop;
	z->socket = socket;
	z->on_input = on_input;
	z->on_output = NULL;
	z->data = data;
	ev_io_init(&z->readable, on_readable, fd, EV_READ);
	z->readable.data = z;
	ev_io_start(loop, &z->readable);
	ev_idle_init(&z->drain, on_drain);
	z->drain.data = z;
	ev_timer_init(&z->retry, on_retry, RETRY_FIRST, 0.);
	z->retry.data = z;
	z->retry_delay = RETRY_FIRST;
	zwatch_rearm(z);
	return 0;
}

void zwatch_stop(struct zwatch *z)
{
	ev_io_stop(z->loop, &z->readable);
	ev_idle_stop(z->loop, &z->drain);
	ev_timer_stop(z->loop, &z->retry);
}

int zsend(void *socket, const void *buf, size_t len, int flags)
{
	int rc;

	while ((rc = zmq_send(socket, buf, len, flags)) < 0 && zmq_errno() == EINTR)
		;
	return rc;
}

int zrecv(zmq_msg_t *msg, void *socket, int flags)
{
	int rc;

	while ((rc = zmq_msg_recv(msg, socket, flags)) < 0 && zmq_errno() == EINTR)
		;
	return rc;
}

int zgetsockopt(void *socket, int option, void *value, size_t *len)
{
	int rc;

	while ((rc = zmq_getsockopt(socket, option, value, len)) < 0 && zmq_errno() == EINTR)
		;
	return rc;
}
