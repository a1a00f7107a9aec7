/* control.c - the control socket: a ZMQ ROUTER driven by libev (zwatch.h), never blocking.
 * Input is drained a bounded number of messages per loop iteration, so that children and timers
 * are never starved by a flood of requests. */
#include "control.h"

#include "log.h"
#include "zwatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <zmq.h>

#define MESSAGES_PER_ITERATION 64
#define MAX_FRAMES 4

struct control {
	struct ev_loop *loop;
	void *socket;                 /* ZMQ_ROUTER */
	struct zwatch watch;          /* the socket on the loop */
	control_handler_fn handler;
	void *handler_arg;
	struct request pending;       /* sentinel of the circular list of unanswered requests */
	int npending;
};

static double now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void request_unlink(struct request *req)
{
	struct control *c = req->control;

	if (req->next) {
		req->prev->next = req->next;
		req->next->prev = req->prev;
		req->next = req->prev = NULL;
		c->npending--;
	}
}

static void request_free(struct request *req)
{
	request_unlink(req);
	json_decref(req->id);
	free(req->identity);
	free(req);
}

/* Sends [identity, ("",) body] without blocking; a peer that is gone or full loses its reply,
 * which is all a ROUTER can do. */
static void send_frames(struct control *c, struct request *req, const char *body)
{
	int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;

	if (zsend(c->socket, req->identity, req->identity_len, more) < 0 ||
	    (req->delimiter && zsend(c->socket, "", 0, more) < 0) ||
	    zsend(c->socket, body, strlen(body), ZMQ_DONTWAIT) < 0)
		log_debug("control: reply dropped: %s", zmq_strerror(zmq_errno()));
	zwatch_rearm(&c->watch);
}

static void finish(struct request *req, json_t *reply)
{
	struct control *c = req->control;
	char *body;

	if (!req->cast) {
		json_object_set_new(reply, "time", json_real(now_seconds()));
		json_object_set(reply, "id", req->id ? req->id : json_null());
		body = json_dumps(reply, JSON_COMPACT);
		if (body) {
			send_frames(c, req, body);
			free(body);
		}
	}
	json_decref(reply);
	request_free(req);
}

void control_reply_raw(struct request *req, json_t *fields)
{
	json_t *reply = fields ? fields : json_object();

	if (json_object_get(reply, "status") == NULL)
		json_object_set_new(reply, "status", json_string("ok"));
	finish(req, reply);
}

void control_reply(struct request *req, json_t *fields)
{
	json_t *reply = fields ? fields : json_object();

	json_object_set_new(reply, "status", json_string("ok"));
	finish(req, reply);
}

void control_error(struct request *req, int errnum, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;
	json_t *reply;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	reply = json_pack("{s:s, s:s, s:n, s:i}", "status", "error", "reason", reason, "tb",
			  "errno", errnum);
	finish(req, reply);
}

/* Reads one whole message (all its frames). Returns the number of frames, 0 when nothing is
 * waiting; frames beyond MAX_FRAMES are read and counted but dropped. */
static int receive_message(struct control *c, zmq_msg_t *frames)
{
	int n = 0, more = 1;
	size_t len = sizeof(more);

	while (more) {
		zmq_msg_t scratch, *frame = n < MAX_FRAMES ? &frames[n] : &scratch;
		zmq_msg_init(frame);
		if (zrecv(frame, c->socket, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(frame);
			return n;  /* EAGAIN on the first frame: no message */
		}
		if (zgetsockopt(c->socket, ZMQ_RCVMORE, &more, &len) < 0)
			more = 0;
		if (frame == &scratch)
			zmq_msg_close(frame);
		n++;
	}
	return n;
}

static struct request *request_new(struct control *c, zmq_msg_t *identity, bool delimiter)
{
	struct request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->control = c;
	req->identity_len = zmq_msg_size(identity);
	req->identity = malloc(req->identity_len ? req->identity_len : 1);
	if (req->identity == NULL) {
		free(req);
		return NULL;
	}
	memcpy(req->identity, zmq_msg_data(identity), req->identity_len);
	req->delimiter = delimiter;
	/* Linked at once, so that closing the control frees it whatever the handler does. */
	req->next = c->pending.next;
	req->prev = &c->pending;
	c->pending.next->prev = req;
	c->pending.next = req;
	c->npending++;
	return req;
}

/* Validates the envelope and the JSON, then hands the request to the handler. */
static void dispatch(struct control *c, zmq_msg_t *frames, int nframes)
{
	struct request *req;
	zmq_msg_t *body;
	json_error_t error;
	json_t *message;
	bool delimiter = nframes == 3 && zmq_msg_size(&frames[1]) == 0;

	if (nframes != 2 && !delimiter) {
		/* [identity, json] from a DEALER, or [identity, "", json] from a REQ. */
		if (nframes >= 1 && (req = request_new(c, &frames[0], false)))
			control_error(req, CONTROL_EBADDATA, "bad message: expected one JSON frame, got %d",
				      nframes - 1);
		return;
	}
	req = request_new(c, &frames[0], delimiter);
	if (req == NULL)
		return;
	body = &frames[nframes - 1];
	message = json_loadb(zmq_msg_data(body), zmq_msg_size(body), JSON_REJECT_DUPLICATES, &error);
	if (message == NULL) {
		control_error(req, CONTROL_EINVALIDJSON, "invalid JSON: %s", error.text);
		return;
	}
	if (!json_is_object(message)) {
		json_decref(message);
		control_error(req, CONTROL_EBADDATA, "bad message: a request is a JSON object");
		return;
	}
	json_t *id = json_object_get(message, "id");
	if (json_is_string(id) || json_is_integer(id))
		req->id = json_incref(id);
	const char *type = json_string_value(json_object_get(message, "msg_type"));
	req->cast = type && strcmp(type, "cast") == 0;
	if (c->npending > CONTROL_MAX_PENDING) {
		json_decref(message);
		control_error(req, CONTROL_ECOMMAND, "too many requests in progress (%d)", c->npending);
		return;
	}
	c->handler(req, message, c->handler_arg);
	json_decref(message);
}

static void drain_input(struct zwatch *z)
{
	struct control *c = z->data;
	zmq_msg_t frames[MAX_FRAMES];

	for (int i = 0; i < MESSAGES_PER_ITERATION; i++) {
		int n = receive_message(c, frames);
		if (n == 0)
			break;
		dispatch(c, frames, n);
		for (int k = 0; k < n && k < MAX_FRAMES; k++)
			zmq_msg_close(&frames[k]);
	}
}

struct control *control_open(struct ev_loop *loop, void *zmq_context, const char *endpoint,
			     const char *curve_secret, control_handler_fn handler, void *arg)
{
	struct control *c = calloc(1, sizeof(*c));
	int zero = 0, reply_queue = CONTROL_REPLY_QUEUE, handshake_ms = CONTROL_HANDSHAKE_MS;
	int64_t max_size = CONTROL_MAX_MESSAGE;

	if (c == NULL)
		return NULL;
	c->loop = loop;
	c->handler = handler;
	c->handler_arg = arg;
	c->pending.next = c->pending.prev = &c->pending;
	c->socket = zmq_socket(zmq_context, ZMQ_ROUTER);
	if (c->socket == NULL)
		goto fail;
	zmq_setsockopt(c->socket, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(c->socket, ZMQ_MAXMSGSIZE, &max_size, sizeof(max_size));
	/* A client that never reads its replies holds at most this many (a ROUTER drops the rest),
	 * and a connection that never completes its handshake is closed after a few seconds: each
	 * costs memory and a descriptor. */
	zmq_setsockopt(c->socket, ZMQ_SNDHWM, &reply_queue, sizeof(reply_queue));
	zmq_setsockopt(c->socket, ZMQ_HANDSHAKE_IVL, &handshake_ms, sizeof(handshake_ms));
	if (curve_secret) {
		int one = 1;
		if (zmq_setsockopt(c->socket, ZMQ_CURVE_SERVER, &one, sizeof(one)) < 0 ||
		    zmq_setsockopt(c->socket, ZMQ_CURVE_SECRETKEY, curve_secret,
				   strlen(curve_secret)) < 0 ||
		    zmq_setsockopt(c->socket, ZMQ_ZAP_DOMAIN, "cirque", 6) < 0) {
			log_error("control: cannot enable CURVE: %s", zmq_strerror(zmq_errno()));
			goto fail;
		}
	}
	if (zmq_bind(c->socket, endpoint) < 0) {
		log_error("control: cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (zwatch_start(&c->watch, loop, c->socket, drain_input, c) < 0)
		goto fail;
	return c;
fail:
	if (c->socket)
		zmq_close(c->socket);
	free(c);
	return NULL;
}

void control_close(struct control *c)
{
	if (c == NULL)
		return;
	while (c->pending.next != &c->pending)
		request_free(c->pending.next);
	zwatch_stop(&c->watch);
	/* Give the last replies (a waiting quit) a moment to leave, without hanging the exit. */
	int linger = 200;
	zmq_setsockopt(c->socket, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(c->socket);
	free(c);
}

int control_pending_count(const struct control *c)
{
	return c->npending;
}
