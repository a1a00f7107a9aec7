/* zwatch.c - see zwatch.h: flux-core's ev_zmq idea, with an idle watcher while input is pending. */
#include "zwatch.h"

#include <errno.h>
#include <stdbool.h>
#include <zmq.h>

static bool input_pending(struct zwatch *z)
{
	int events = 0;
	size_t len = sizeof(events);

	if (zgetsockopt(z->socket, ZMQ_EVENTS, &events, &len) < 0)
		return false;
	return events & ZMQ_POLLIN;
}

void zwatch_rearm(struct zwatch *z)
{
	if (input_pending(z))
		ev_idle_start(z->loop, &z->drain);
	else
		ev_idle_stop(z->loop, &z->drain);
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
	z->data = data;
	ev_io_init(&z->readable, on_readable, fd, EV_READ);
	z->readable.data = z;
	ev_io_start(loop, &z->readable);
	ev_idle_init(&z->drain, on_drain);
	z->drain.data = z;
	zwatch_rearm(z);
	return 0;
}

void zwatch_stop(struct zwatch *z)
{
	ev_io_stop(z->loop, &z->readable);
	ev_idle_stop(z->loop, &z->drain);
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
