/* events.c - publishes what happens on a ZMQ PUB socket, as Circus does. */
#include "events.h"

#include "listener.h"
#include "log.h"
#include "text.h"
#include "zwatch.h"
#include "xmalloc.h"
#include "zbind.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <zmq.h>

struct events {
	void *socket;                 /* ZMQ_XPUB: a PUB that also shows the subscriptions */
	struct zwatch watch;          /* for the subscriptions that come while nothing is sent */
	bool watching;
};

static void answer_hellos(struct events *e);

/* The daemon's own log lines on the PUB socket (daemon.log), for `maintail -f`. A line may be
 * logged on any thread, where the PUB socket must not be touched: the line hook only wakes the
 * loop, which publishes every line kept since the last it published. One events per daemon. */
static struct events *log_events;
static struct ev_loop *log_loop;
static ev_async log_wakeup;
static unsigned long long log_published;  /* the sequence number of the last line published */

static void log_line_kept(void)
{
	ev_async_send(log_loop, &log_wakeup);
}

/* Under the log's lock: sends, and never logs. */
static void publish_log_line(unsigned long long seq, const char *line, void *arg)
{
	struct events *e = arg;
	static const char topic[] = "daemon.log";
	json_t *payload = json_pack("{s:I, s:o}", "seq", (json_int_t)seq, "line",
				    text_to_json(line, strlen(line)));
	char *body = json_dumps(payload, JSON_COMPACT);

	json_decref(payload);
	if (body && zsend(e->socket, topic, sizeof(topic) - 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zsend(e->socket, body, strlen(body), ZMQ_DONTWAIT);
	free(body);
	answer_hellos(e);
}

static void on_log_lines(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	log_published = log_recent(log_published, SIZE_MAX, publish_log_line, log_events);
}

void events_follow_log(struct events *e, struct ev_loop *loop)
{
	if (e == NULL || log_events)
		return;
	log_events = e;
	log_loop = loop;
	log_published = log_recent(0, 0, publish_log_line, e);  /* the lines to come */
	ev_async_init(&log_wakeup, on_log_lines);
	ev_async_start(loop, &log_wakeup);
	ev_unref(loop);  /* it keeps no loop running by itself */
	log_set_line_hook(log_line_kept);
}

struct events *events_open(void *zmq_context, const char *endpoint)
{
	struct events *e = xcalloc(1, sizeof(*e));
	int zero = 0, one = 1, queue = 256, handshake_ms = 5000;

	e->socket = zmq_socket(zmq_context, ZMQ_XPUB);
	if (e->socket == NULL) {
		free(e);
		return NULL;
	}
	/* A subscriber that stops reading costs at most this many messages (a stream line is at
	 * most 64 KiB); a connection that never completes its handshake goes after 5 s. */
	if (zmq_setsockopt(e->socket, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(e->socket, ZMQ_SNDHWM, &queue, sizeof(queue)) < 0 ||
	    zmq_setsockopt(e->socket, ZMQ_HANDSHAKE_IVL, &handshake_ms, sizeof(handshake_ms)) < 0 ||
	    /* Every subscription is shown, also one to a topic another client holds already:
	     * a hello topic someone else subscribed to first is still answered. */
	    zmq_setsockopt(e->socket, ZMQ_XPUB_VERBOSE, &one, sizeof(one)) < 0 ||
	    zbind(e->socket, endpoint) < 0) {
		log_errorx("events: cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
		zmq_close(e->socket);
		free(e);
		return NULL;
	}
	return e;
}

void *events_socket(struct events *e)
{
	return e->socket;
}

/* --- hellos: when a subscription is in force ---------------------------------------------------- */

/* A subscriber (cirquectl tail -f) cannot tell when its subscriptions reach us: a line
 * published before then is not sent to it, and one published after the tail's snapshot but
 * before then is lost. So it subscribes last to a topic of its own, EVENTS_HELLO_PREFIX and a random
 * part, and waits for a message on it: subscriptions come in order on a connection, so by then
 * the others are in force. The message goes to that subscriber (and to any subscribed to all
 * topics, as for any message: its body is an empty JSON object). Its tail request then
 * names that topic as its "mark" (cmd_tail), published right after the snapshot: the lines
 * before the mark are in the answer, those after it are not. */
#define HELLOS_PER_CALL 64
/* A JSON body, as on Circus's topics: a client subscribed to everything sees hellos too. */
#define HELLO_BODY "{}"

/* Reads the subscriptions that came in (libzmq has applied them already) and answers hellos.
 * Called after every send too: a send may consume the socket's ZMQ_FD edge. */
static void answer_hellos(struct events *e)
{
	for (int i = 0; i < HELLOS_PER_CALL; i++) {
		zmq_msg_t msg;
		zmq_msg_init(&msg);
		if (zrecv(&msg, e->socket, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			return;
		}
		const char *data = zmq_msg_data(&msg);
		size_t len = zmq_msg_size(&msg), prefix = sizeof(EVENTS_HELLO_PREFIX) - 1;
		/* A subscription is 1 then the topic (0: an unsubscription). */
		if (len > 1 + prefix && len < 1 + 256 && data[0] == 1 &&
		    memcmp(data + 1, EVENTS_HELLO_PREFIX, prefix) == 0 &&
		    zsend(e->socket, data + 1, len - 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
			zsend(e->socket, HELLO_BODY, sizeof(HELLO_BODY) - 1, ZMQ_DONTWAIT);
		zmq_msg_close(&msg);
	}
}

static void on_subscriptions(struct zwatch *z)
{
	answer_hellos(z->data);
}

int events_answer_hellos(struct events *e, struct ev_loop *loop)
{
	if (e == NULL || e->watching)
		return 0;
	if (zwatch_start(&e->watch, loop, e->socket, on_subscriptions, e) < 0)
		return -1;
	e->watching = true;
	return 0;
}

void events_close(struct events *e)
{
	if (e == NULL)
		return;
	if (log_events == e) {
		log_set_line_hook(NULL);
		on_log_lines(log_loop, &log_wakeup, 0);  /* lines logged since the loop's last turn */
		ev_ref(log_loop);
		ev_async_stop(log_loop, &log_wakeup);
		log_events = NULL;
	}
	if (e->watching)
		zwatch_stop(&e->watch);
	zmq_close(e->socket);
	free(e);
}

static void publish(struct events *e, const char *topic, json_t *payload)
{
	char *body;

	if (e == NULL || payload == NULL) {
		json_decref(payload);
		return;
	}
	body = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	if (body == NULL)
		return;
	/* PUB never blocks on send: with no subscriber or a full one, the message is dropped. */
	if (zsend(e->socket, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zsend(e->socket, body, strlen(body), ZMQ_DONTWAIT);
	free(body);
	answer_hellos(e);
}

bool events_heard(const struct events *e)
{
	return e != NULL || listeners_any();
}

void events_publish_watcher(struct events *e, const char *watcher, const char *event,
			    json_t *payload)
{
	char topic[256];
	int n = snprintf(topic, sizeof(topic), "watcher.%s.%s", watcher, event);

	for (int i = 8; i < n && topic[i] && (size_t)i < sizeof(topic); i++) {
		if (topic[i] == ' ')
			topic[i] = '_';
		else
			topic[i] = (char)tolower((unsigned char)topic[i]);
	}
	if (payload == NULL)
		payload = json_object();
	if (payload) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		json_object_set_new(payload, "time",
				    json_real((double)tv.tv_sec + (double)tv.tv_usec / 1e6));
		listeners_hear(topic, watcher, event, payload);  /* with or without a PUB socket */
	}
	publish(e, topic, payload);
}

void events_publish_raw(struct events *e, const char *topic, const char *data, size_t len)
{
	if (e == NULL)
		return;
	if (zsend(e->socket, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zsend(e->socket, data, len, ZMQ_DONTWAIT);
	answer_hellos(e);
}
