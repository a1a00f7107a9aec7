/* web_cirqued.c - requests to cirqued and the relay of its events.
 *
 * Every request uses a socket of its own (DEALER), opened, used and closed by the thread that
 * serves the browser: libzmq's sockets are not thread-safe, its context is. The relay is one
 * thread with one SUB socket; browsers wait on a condition variable for what it adds to a ring. */
#include "web_cirqued.h"

#include "endpoint.h"
#include "safefs.h"
#include "xmalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define RING_SIZE 1024                /* events kept for browsers that are behind */
#define KEEPALIVE_SECONDS 15
#define EVENT_MAX 4096                /* a larger event is not relayed whole: resync instead */
#define RESYNC "event: resync\ndata: {}\n\n"

static void *context;
static char *control_endpoint;

int cirqued_init(const char *endpoint)
{
	context = zmq_ctx_new();
	if (context == NULL)
		return -1;
	control_endpoint = xstrdup(endpoint);
	return 0;
}

void cirqued_shutdown(void)
{
	if (context)
		zmq_ctx_term(context);
	context = NULL;
	free(control_endpoint);
	control_endpoint = NULL;
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for the reply to request ID (older replies to requests given up on are skipped). */
static json_t *await_reply(void *socket, const char *id, double timeout, char *why, size_t size)
{
	double deadline = monotonic() + timeout;

	for (;;) {
		double left = deadline - monotonic();
		zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
		if (left <= 0 || zmq_poll(&item, 1, (long)(left * 1000) + 1) <= 0) {
			snprintf(why, size, "cirqued did not answer within %gs (%s)", timeout,
				 control_endpoint);
			return NULL;
		}
		zmq_msg_t msg;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, socket, 0) < 0) {
			zmq_msg_close(&msg);
			snprintf(why, size, "cirqued: %s", zmq_strerror(errno));
			return NULL;
		}
		json_t *reply = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), 0, NULL);
		zmq_msg_close(&msg);
		const char *rid = json_string_value(json_object_get(reply, "id"));
		if (reply && rid && strcmp(rid, id) == 0)
			return reply;
		json_decref(reply);
	}
}

json_t *cirqued_call(const char *command, json_t *props, double timeout, char *why,
		     size_t size)
{
	static unsigned long sequence;
	char id[64], safety[SAFEFS_WHY];
	json_t *request, *reply = NULL;
	void *socket;
	int zero = 0;

	const char *missing;

	if (endpoint_check_for_client(control_endpoint, safety) < 0) {
		snprintf(why, size, "not talking to %s: %s", control_endpoint, safety);
		json_decref(props);
		return NULL;
	}
	if ((missing = endpoint_listener_missing(control_endpoint)) != NULL) {
		/* at once, rather than after the whole timeout (ZeroMQ would wait for a listener) */
		snprintf(why, size, "cannot reach cirqued at %s: %s", control_endpoint, missing);
		json_decref(props);
		return NULL;
	}
	snprintf(id, sizeof(id), "web-%d-%lu", (int)getpid(),
		 __atomic_add_fetch(&sequence, 1, __ATOMIC_RELAXED));
	request = json_pack("{s:s, s:s, s:o}", "id", id, "command", command, "properties",
			    props ? props : json_object());
	char *body = request ? json_dumps(request, JSON_COMPACT) : NULL;
	json_decref(request);
	socket = zmq_socket(context, ZMQ_DEALER);
	if (body == NULL || socket == NULL) {
		snprintf(why, size, "cannot make the request: %s", socket ? "out of memory" :
			 zmq_strerror(errno));
		goto out;
	}
	zmq_setsockopt(socket, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(socket, control_endpoint) < 0 ||
	    zmq_send(socket, body, strlen(body), 0) < 0) {
		snprintf(why, size, "cannot reach cirqued at %s: %s", control_endpoint,
			 zmq_strerror(errno));
		goto out;
	}
	reply = await_reply(socket, id, timeout, why, size);
out:
	if (socket)
		zmq_close(socket);
	free(body);
	return reply;
}

/* --- the relay -------------------------------------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t added;
	char *events[RING_SIZE];      /* Server-Sent Event texts, by sequence % RING_SIZE */
	uint64_t next;                /* sequence number of the next event added */
	bool stopping;
	pthread_t thread;
	bool started;
	struct relay_cursor *parked;  /* streams waiting for an event, suspended */
} relay = { .lock = PTHREAD_MUTEX_INITIALIZER, .added = PTHREAD_COND_INITIALIZER, .next = 1 };

static void unpark(struct relay_cursor *c)
{
	if (c->prev_parked)
		c->prev_parked->next_parked = c->next_parked;
	else
		relay.parked = c->next_parked;
	if (c->next_parked)
		c->next_parked->prev_parked = c->prev_parked;
	c->next_parked = c->prev_parked = NULL;
	c->parked = false;
}

/* Resumes every parked stream (KEEPALIVE: for its keep-alive comment). Taken off the list
 * under the lock, resumed outside it: a parked connection is suspended, so nothing can close
 * (and free) it meanwhile. */
static void wake_parked(bool keepalive)
{
	struct relay_cursor *list[256];
	int n;

	do {
		n = 0;
		pthread_mutex_lock(&relay.lock);
		while (relay.parked && n < (int)(sizeof(list) / sizeof(list[0]))) {
			struct relay_cursor *c = relay.parked;
			unpark(c);
			c->keepalive_due = keepalive;
			list[n++] = c;
		}
		pthread_mutex_unlock(&relay.lock);
		for (int i = 0; i < n; i++)
			list[i]->resume(list[i]->arg);
	} while (n == (int)(sizeof(list) / sizeof(list[0])));
}

static void relay_add(const char *topic, size_t topic_len, const char *body, size_t body_len)
{
	json_t *data = json_loadb(body, body_len, 0, NULL);
	json_t *event = json_pack("{s:s%, s:o}", "topic", topic, topic_len, "event",
				  data ? data : json_object());
	char *json = event ? json_dumps(event, JSON_COMPACT) : NULL;
	char *text = NULL;

	json_decref(event);
	if (json && strlen(json) < EVENT_MAX)  /* compact JSON holds no newline: one data line */
		text = xasprintf("event: cirque\ndata: %s\n\n", json);
	free(json);
	pthread_mutex_lock(&relay.lock);
	free(relay.events[relay.next % RING_SIZE]);
	relay.events[relay.next % RING_SIZE] = text;  /* NULL: readers resync */
	relay.next++;
	pthread_cond_broadcast(&relay.added);
	pthread_mutex_unlock(&relay.lock);
	wake_parked(false);
}

static bool relay_stopping(void)
{
	pthread_mutex_lock(&relay.lock);
	bool stopping = relay.stopping;
	pthread_mutex_unlock(&relay.lock);
	return stopping;
}

/* Waits SECONDS on the relay's own thread, or less when relay_stop wakes it. */
static void relay_pause(int seconds)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	pthread_mutex_lock(&relay.lock);
	while (!relay.stopping &&
	       pthread_cond_timedwait(&relay.added, &relay.lock, &deadline) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&relay.lock);
}

/* cirqued's event endpoint, asked once it answers (every 2 s until then). */
static char *find_pubsub_endpoint(void)
{
	char why[512];

	while (!relay_stopping()) {
		json_t *reply = cirqued_call("globaloptions", NULL, 5, why, sizeof(why));
		const char *ep = json_string_value(json_object_get(json_object_get(reply, "options"),
								   "pubsub_endpoint"));
		char *out = ep ? xstrdup(ep) : NULL;
		json_decref(reply);
		if (out)
			return out;
		wake_parked(true);  /* their keep-alive, every 2 s while cirqued is away */
		relay_pause(2);
	}
	return NULL;
}

/* Receives [topic, body] messages until told to stop (a message on WAKE). It never asks
 * cirqued anything on a timer: an idle dashboard costs cirqued no wake-up (libzmq reconnects
 * by itself to a restarted cirqued at the same endpoint). */
static void relay_loop(void *sub, void *wake)
{
	double keepalive_at = monotonic() + KEEPALIVE_SECONDS;

	while (!relay_stopping()) {
		zmq_pollitem_t items[] = { { sub, 0, ZMQ_POLLIN, 0 }, { wake, 0, ZMQ_POLLIN, 0 } };
		double left = keepalive_at - monotonic();
		int rc = zmq_poll(items, 2, left > 0 ? (long)(left * 1000) + 1 : 0);
		if (monotonic() >= keepalive_at) {  /* cirque-web's own round: cirqued is not asked */
			wake_parked(true);
			keepalive_at = monotonic() + KEEPALIVE_SECONDS;
		}
		if (rc <= 0 || (items[1].revents & ZMQ_POLLIN))
			continue;  /* EINTR, the round, or woken to stop: the loop's test says */
		zmq_msg_t topic, body;
		int more = 0;
		size_t more_size = sizeof(more);
		zmq_msg_init(&topic);
		zmq_msg_init(&body);
		if (zmq_msg_recv(&topic, sub, 0) >= 0 &&
		    zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &more_size) == 0 && more &&
		    zmq_msg_recv(&body, sub, 0) >= 0)
			relay_add(zmq_msg_data(&topic), zmq_msg_size(&topic), zmq_msg_data(&body),
				  zmq_msg_size(&body));
		/* a message of more parts than two: the rest is dropped */
		while (zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &more_size) == 0 && more) {
			zmq_msg_t rest;
			zmq_msg_init(&rest);
			zmq_msg_recv(&rest, sub, 0);
			zmq_msg_close(&rest);
		}
		zmq_msg_close(&topic);
		zmq_msg_close(&body);
	}
}

#define WAKE_ENDPOINT "inproc://cirque-web-relay-wake"

static void *relay_main(void *arg)
{
	void *wake = arg;

	while (!relay_stopping()) {
		char *endpoint = find_pubsub_endpoint(), why[SAFEFS_WHY];
		if (endpoint == NULL)
			break;
		void *sub = zmq_socket(context, ZMQ_SUB);
		int zero = 0;
		if (sub && endpoint_check_for_client(endpoint, why) == 0) {
			zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof(zero));
			zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "watcher.", 8);
			if (zmq_connect(sub, endpoint) == 0)
				relay_loop(sub, wake);
		} else if (sub) {
			fprintf(stderr, "cirque-web: not following %s: %s\n", endpoint, why);
			relay_pause(2);
		}
		if (sub)
			zmq_close(sub);
		free(endpoint);
	}
	return NULL;
}

/* The relay's wake-up: a PAIR it polls beside its SUB, bound here (inproc needs the bind
 * first), used by relay_stop from the main thread once the relay has stopped using it. */
static void *wake_socket;

int relay_start(void)
{
	int zero = 0;

	wake_socket = zmq_socket(context, ZMQ_PAIR);
	if (wake_socket == NULL || zmq_setsockopt(wake_socket, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_bind(wake_socket, WAKE_ENDPOINT) < 0)
		return -1;
	if (pthread_create(&relay.thread, NULL, relay_main, wake_socket) != 0)
		return -1;
	relay.started = true;
	return 0;
}

void relay_stop(void)
{
	void *poke = zmq_socket(context, ZMQ_PAIR);
	int zero = 0;

	pthread_mutex_lock(&relay.lock);
	relay.stopping = true;
	pthread_cond_broadcast(&relay.added);
	pthread_mutex_unlock(&relay.lock);
	wake_parked(false);  /* each stream then ends; none stays suspended (libmicrohttpd's rule) */
	if (poke) {
		zmq_setsockopt(poke, ZMQ_LINGER, &zero, sizeof(zero));
		if (zmq_connect(poke, WAKE_ENDPOINT) == 0)
			zmq_send(poke, "", 0, ZMQ_DONTWAIT);
	}
	if (relay.started)
		pthread_join(relay.thread, NULL);
	if (poke)
		zmq_close(poke);
	if (wake_socket)
		zmq_close(wake_socket);
	wake_socket = NULL;
	relay.started = false;
	for (int i = 0; i < RING_SIZE; i++) {
		free(relay.events[i]);
		relay.events[i] = NULL;
	}
}

void relay_cursor_init(struct relay_cursor *cursor, void (*suspend)(void *),
		       void (*resume)(void *), void *arg)
{
	memset(cursor, 0, sizeof(*cursor));
	cursor->suspend = suspend;
	cursor->resume = resume;
	cursor->arg = arg;
	pthread_mutex_lock(&relay.lock);
	cursor->next = relay.next;  /* from now on: the page fetched the state itself */
	pthread_mutex_unlock(&relay.lock);
}

void relay_cursor_done(struct relay_cursor *cursor)
{
	pthread_mutex_lock(&relay.lock);
	if (cursor->parked)  /* never: a parked stream is suspended and cannot close */
		unpark(cursor);
	pthread_mutex_unlock(&relay.lock);
}

static size_t copy_out(char *buf, size_t max, const char *text)
{
	size_t n = strlen(text);

	if (n > max)
		return 0;
	memcpy(buf, text, n);
	return n;
}

size_t relay_read(struct relay_cursor *cursor, char *buf, size_t max)
{
	size_t used = 0;

	if (!cursor->greeted) {
		/* at once, so that the browser knows the stream is open (and proxies flush) */
		cursor->greeted = true;
		return copy_out(buf, max, ": cirque-web\nretry: 2000\n\n");
	}
	pthread_mutex_lock(&relay.lock);
	if (relay.stopping) {
		pthread_mutex_unlock(&relay.lock);
		return RELAY_END;
	}
	if (cursor->next == relay.next) {
		if (cursor->keepalive_due) {
			cursor->keepalive_due = false;
			used = copy_out(buf, max, ": keepalive\n\n");
		} else {  /* nothing yet: park, suspended, until an event or the next round */
			cursor->parked = true;
			cursor->prev_parked = NULL;
			cursor->next_parked = relay.parked;
			if (relay.parked)
				relay.parked->prev_parked = cursor;
			relay.parked = cursor;
			cursor->suspend(cursor->arg);
			pthread_mutex_unlock(&relay.lock);
			return RELAY_PARKED;
		}
	} else {
		cursor->keepalive_due = false;
		if (relay.next - cursor->next > RING_SIZE) {  /* it fell behind: start afresh */
			used = copy_out(buf, max, RESYNC);
			cursor->next = relay.next;
		}
		while (cursor->next < relay.next) {
			const char *text = relay.events[cursor->next % RING_SIZE];
			size_t n = copy_out(buf + used, max - used, text ? text : RESYNC);
			if (n == 0)
				break;  /* the rest next time */
			used += n;
			cursor->next++;
		}
	}
	pthread_mutex_unlock(&relay.lock);
	return used > 0 ? used : copy_out(buf, max, ": keepalive\n\n");
}
