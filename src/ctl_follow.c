/* ctl_follow.c - following the daemon's PUB socket (tail -f, maintail -f, events, fg) until
 * Ctrl-C, or until the daemon goes.
 *
 * A SUB socket alone never learns that its publisher is gone: ZeroMQ reconnects quietly for
 * ever, and `tail -f` hung after the daemon stopped. So the SUB socket is monitored (its
 * disconnection is the daemon closing it: it stopped, or it dropped us) and, for a connection
 * that dies without a word (a remote host gone), a silent daemon is asked over the control
 * socket whether it is still there. */
#include "ctl.h"
#include "endpoint.h"

#include "xmalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include <zmq.h>

#define POLL_MS 250                   /* how often SIGINT is looked at */
#define QUIET_SECONDS 5.0             /* silence after which the daemon is asked if it is there */
#define HELLO_PREFIX "cirque.hello."   /* events.c answers a subscription to it */
#define HELLO_WAIT_MS 3000            /* an older daemon never answers: followed anyway */

struct follower {
	struct client *c;
	void *sub;                    /* SUB on the daemon's PUB endpoint */
	void *monitor;                /* PAIR: the SUB socket's connection events */
	double heard_at;              /* when the daemon last gave a sign of life */
	bool gone;                    /* disconnected: what was received is still read */
	char hello[64];               /* our own topic, answered once the daemon has our subscriptions */
};

static double seconds_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static bool is_hello(const struct follower *f, zmq_msg_t *topic)
{
	return zmq_msg_size(topic) == strlen(f->hello) &&
	       memcmp(zmq_msg_data(topic), f->hello, strlen(f->hello)) == 0;
}

/* Until a message on our own topic comes (or HELLO_WAIT_MS): the answer to its subscription
 * (from then on nothing published is missed), or a tail's mark (what came before it is in the
 * tail's answer). What comes before it is dropped. */
static void wait_for_hello(struct follower *f)
{
	double end = seconds_now() + HELLO_WAIT_MS / 1000.0;

	while (!interrupted && seconds_now() < end) {
		zmq_pollitem_t item = { f->sub, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(&item, 1, 50) <= 0)
			continue;
		zmq_msg_t topic, body;
		int more = 0;
		size_t len = sizeof(more);
		zmq_msg_init(&topic);
		zmq_msg_init(&body);
		if (zmq_msg_recv(&topic, f->sub, ZMQ_DONTWAIT) >= 0) {
			zmq_getsockopt(f->sub, ZMQ_RCVMORE, &more, &len);
			if (more)
				zmq_msg_recv(&body, f->sub, 0);
		}
		bool hello = is_hello(f, &topic);
		zmq_msg_close(&topic);
		zmq_msg_close(&body);
		if (hello)
			return;
	}
}

const char *follower_mark(const struct follower *f)
{
	return f->hello;
}

void follower_skip_to_mark(struct follower *f)
{
	wait_for_hello(f);
}

/* The follower open now (there is one at a time), for follower_abandon. */
static struct follower *open_follower;

struct follower *follower_open(struct client *c, const char *const *topics)
{
	struct follower *f = xcalloc(1, sizeof(*f));
	char *ep = pubsub_endpoint(c), monitor_ep[64];
	int zero = 0;

	f->c = c;
	f->sub = zmq_socket(c->ctx, ZMQ_SUB);
	if (f->sub == NULL)
		unreachable(c, zmq_strerror(zmq_errno()));
	open_follower = f;
	zmq_setsockopt(f->sub, ZMQ_LINGER, &zero, sizeof(zero));
	for (size_t i = 0; topics[i]; i++)
		zmq_setsockopt(f->sub, ZMQ_SUBSCRIBE, topics[i], strlen(topics[i]));
	snprintf(monitor_ep, sizeof(monitor_ep), "inproc://cirquectl-follow-%p", (void *)f);
	if (zmq_socket_monitor(f->sub, monitor_ep, ZMQ_EVENT_DISCONNECTED) == 0) {
		f->monitor = zmq_socket(c->ctx, ZMQ_PAIR);
		zmq_setsockopt(f->monitor, ZMQ_LINGER, &zero, sizeof(zero));
		if (f->monitor && zmq_connect(f->monitor, monitor_ep) < 0) {
			zmq_close(f->monitor);
			f->monitor = NULL;
		}
	}
	/* Last: once its answer comes, the subscriptions before it are in force at the daemon. */
	uint64_t nonce = (uint64_t)(seconds_now() * 1e6) ^ (uint64_t)(uintptr_t)f;
	if (getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != (ssize_t)sizeof(nonce))
		nonce ^= (uint64_t)getpid() << 32;  /* unpredictable enough without the pool */
	snprintf(f->hello, sizeof(f->hello), HELLO_PREFIX "%ld.%016llx", (long)getpid(),
		 (unsigned long long)nonce);
	zmq_setsockopt(f->sub, ZMQ_SUBSCRIBE, f->hello, strlen(f->hello));
	if (zmq_connect(f->sub, ep) < 0)
		unreachable(c, zmq_strerror(zmq_errno()));
	free(ep);
	wait_for_hello(f);
	f->heard_at = seconds_now();
	return f;
}

/* True when the monitor reports the SUB socket's connection closed by the daemon. */
static bool disconnected(struct follower *f)
{
	zmq_msg_t event, address;
	bool gone = false;

	zmq_msg_init(&event);
	zmq_msg_init(&address);
	if (zmq_msg_recv(&event, f->monitor, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&event) >= 2) {
		uint16_t id;
		memcpy(&id, zmq_msg_data(&event), sizeof(id));
		gone = id == ZMQ_EVENT_DISCONNECTED;
		zmq_msg_recv(&address, f->monitor, ZMQ_DONTWAIT);  /* the second frame */
	}
	zmq_msg_close(&event);
	zmq_msg_close(&address);
	return gone;
}

static int daemon_gone(struct follower *f, const char *why)
{
	fprintf(stderr, "cirquectl: %s: cirqued at %s stopped or dropped this connection\n", why,
		f->c->endpoint);
	return -1;
}

/* The event socket closed: a re-exec (or a restart) of cirqued, if it answers again within a
 * few seconds. The SUB socket reconnects by itself, its subscriptions with it: following goes
 * on, with a word on stderr (what was published meanwhile is not heard). */
static bool daemon_back(struct follower *f)
{
	const char *why = NULL;
	int rc;
	/* A daemon that exited removed its socket file: no wait for it. */
	if (endpoint_listener_missing(f->c->endpoint))
		return false;
	json_t *reply = try_call(f->c, "reexec", json_pack("{s:b}", "status", 1), 3, &why, &rc);
	bool back = reply != NULL && !interrupted;

	if (back) {
		long generation = (long)json_integer_value(json_object_get(reply, "generation"));
		fprintf(stderr, "cirquectl: cirqued is back (re-executed: generation %ld, or "
			"restarted); following again (what it published meanwhile is missing)\n",
			generation);
		f->gone = false;
		f->heard_at = seconds_now();
	}
	json_decref(reply);
	return back;
}

/* The next message if one is there: 1, else 0. */
static int receive(struct follower *f, zmq_msg_t *t, zmq_msg_t *b)
{
	int more = 0;
	size_t len = sizeof(more);

	zmq_msg_init(t);
	zmq_msg_init(b);
	if (zmq_msg_recv(t, f->sub, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(t);
		zmq_msg_close(b);
		return 0;
	}
	zmq_getsockopt(f->sub, ZMQ_RCVMORE, &more, &len);
	if (more)
		zmq_msg_recv(b, f->sub, 0);
	f->heard_at = seconds_now();
	return 1;
}

int follower_next(struct follower *f, void *topic, void *body)
{
	while (!interrupted) {
		zmq_pollitem_t items[2] = { { f->sub, 0, ZMQ_POLLIN, 0 },
					    { f->monitor, 0, ZMQ_POLLIN, 0 } };
		/* Messages first: the daemon's last words come before its going. */
		if (receive(f, topic, body)) {
			if (!is_hello(f, topic))
				return 1;
			zmq_msg_close(topic);  /* a late answer to our hello */
			zmq_msg_close(body);
			continue;
		}
		if (f->gone && !daemon_back(f))
			return daemon_gone(f, "the event socket was closed");
		int rc = zmq_poll(items, f->monitor ? 2 : 1, POLL_MS);
		if (rc < 0 && zmq_errno() == EINTR)
			continue;
		if (f->monitor && (items[1].revents & ZMQ_POLLIN) && disconnected(f))
			f->gone = true;
		if (rc > 0)
			continue;
		if (seconds_now() - f->heard_at >= QUIET_SECONDS) {
			const char *why = NULL;
			int why_rc;
			json_t *reply = try_call(f->c, "numwatchers", NULL, QUIET_SECONDS, &why,
						 &why_rc);
			if (reply == NULL && !interrupted)
				return daemon_gone(f, why);
			json_decref(reply);
			f->heard_at = seconds_now();
		}
	}
	return 0;
}

void follower_abandon(void)
{
	follower_close(open_follower);
}

void follower_close(struct follower *f)
{
	if (f == NULL)
		return;
	if (f == open_follower)
		open_follower = NULL;
	if (f->monitor)
		zmq_close(f->monitor);
	zmq_socket_monitor(f->sub, NULL, 0);
	zmq_close(f->sub);
	free(f);
}
