/* control.c - the control socket: a ZMQ ROUTER driven by libev (zwatch.h), never blocking.
 * Input is drained a bounded number of messages per loop iteration, so that children and timers
 * are never starved by a flood of requests.
 *
 * Every request gets exactly one reply (but a cast). A ROUTER silently drops a message for a peer
 * whose pipe is full, and libzmq counts what the peer read only every half pipe, so even a client
 * that reads all the time lost replies beyond about 32 in flight. So the socket is
 * ZMQ_ROUTER_MANDATORY: a full pipe is EAGAIN, and the reply waits in that client's outbox (ours,
 * in order: once a client has one, its later replies queue behind it) until libzmq says the
 * client read (zwatch_want_output). A client that is gone (EHOSTUNREACH) needs no reply. One
 * whose outbox outgrows CONTROL_OUTBOX_MAX_REPLIES or _BYTES is not reading: a warning names it,
 * its replies are dropped and its connection is closed. A reply that cannot be built is replaced
 * by an error that still carries the request's id. */
#include "control.h"

#include "log.h"
#include "metrics.h"
#include "zwatch.h"
#include "xmalloc.h"
#include "zbind.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <zmq.h>

#define MESSAGES_PER_ITERATION 64
#define MAX_FRAMES 4
/* An error's reason is cut to this many bytes (at a character boundary). */
#define REASON_MAX 1024
/* How long the outbox of a client dropped for not reading stays, to drop its later replies. */
#define DROPPED_CLIENT_SECONDS 10.0

/* A reply waiting in an outbox. */
struct queued_reply {
	struct queued_reply *next;
	char *body;                   /* JSON text, malloc'd */
	size_t len;
	bool delimiter;               /* REQ-style envelope */
};

/* The replies of one client whose pipe was full, oldest first. */
struct outbox {
	struct outbox *next;          /* in the control's list of outboxes */
	void *identity;               /* the client's routing id */
	size_t identity_len;
	struct queued_reply *head, *tail;
	size_t count, bytes;
	int fd;                       /* its connection, -1 if unknown, with the socket's inode and */
	ino_t ino;                    /* libzmq's Peer-Address: the fd is closed only if it is */
	char peer[64];                /* still that connection */
	bool dropped;                 /* found not reading: its replies are dropped while its pipe */
	ev_tstamp dropped_at;         /* stays full (libzmq takes a while to let a closed one go) */
};

struct control {
	struct ev_loop *loop;
	void *socket;                 /* ZMQ_ROUTER */
	struct zwatch watch;          /* the socket on the loop */
	control_handler_fn handler;
	void *handler_arg;
	struct request pending;       /* sentinel of the circular list of unanswered requests */
	int npending;
	struct outbox *outboxes;      /* clients with replies waiting for room in their pipe */
	bool limited;                 /* the operator socket: operator commands only */
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
	free(req->replay_key);
	free(req);
}

/* Sends [identity, ("",) body] without blocking. Returns 0, or libzmq's error: EAGAIN when the
 * client's pipe is full, EHOSTUNREACH when the client is gone. */
static int send_envelope(void *socket, const void *identity, size_t identity_len, bool delimiter,
			 const char *body, size_t len)
{
	int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;

	/* The identity frame is where a full or missing pipe shows; the rest follows it. */
	if (zsend(socket, identity, identity_len, more) < 0)
		return zmq_errno();
	if ((delimiter && zsend(socket, "", 0, more) < 0) || zsend(socket, body, len, ZMQ_DONTWAIT) < 0)
		return zmq_errno();
	return 0;
}

/* "ctl-1234" or, for a binary routing id (libzmq's own), its hex digits; then, when FD is its
 * connection, the peer: "(pid N)" over ipc, "(from HOST:PORT)" over tcp. */
static void describe_client(const void *identity, size_t len, int fd, char *out, size_t size)
{
	const unsigned char *id = identity;
	struct sockaddr_storage ss;
	socklen_t ss_len = sizeof(ss);
	struct ucred peer;
	socklen_t peer_len = sizeof(peer);
	char host[64], port[8];  /* numeric */
	bool printable = len > 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		printable = printable && isprint(id[i]) && id[i] != ' ';
	for (size_t i = 0; i < len && i < 32 && n + 3 < size; i++)
		n += (size_t)snprintf(out + n, size - n, printable ? "%c" : "%02x", id[i]);
	if (n == 0)
		n = (size_t)snprintf(out, size, "(anonymous)");
	if (fd < 0 || n >= size || getpeername(fd, (struct sockaddr *)&ss, &ss_len) < 0)
		return;
	if (ss.ss_family == AF_UNIX &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) == 0 && peer.pid > 0)
		snprintf(out + n, size - n, " (pid %d)", (int)peer.pid);
	else if (ss.ss_family != AF_UNIX &&
		 getnameinfo((struct sockaddr *)&ss, ss_len, host, sizeof(host), port, sizeof(port),
			     NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(out + n, size - n, " (from %s:%s)", host, port);
}

/* --- outboxes ------------------------------------------------------------------------------- */

static void outbox_remove(struct control *c, struct outbox *box);

/* The outbox of a client, if it has one. Those of clients dropped long ago go on the way. */
static struct outbox *outbox_find(struct control *c, const void *identity, size_t len)
{
	struct outbox *box, *next;

	for (box = c->outboxes; box; box = next) {
		next = box->next;
		if (box->dropped && ev_now(c->loop) - box->dropped_at > DROPPED_CLIENT_SECONDS)
			outbox_remove(c, box);
		else if (box->identity_len == len && memcmp(box->identity, identity, len) == 0)
			return box;
	}
	return NULL;
}

/* FD is still the connection whose peer libzmq recorded as PEER (Peer-Address: "host:uid:gid:pid"
 * over ipc, the address over tcp) and, if INO is not 0, the same socket: a descriptor number is
 * reused as soon as libzmq closes it, and a dead client's requests may still be queued. */
static bool is_connection_of(int fd, const char *peer, ino_t ino)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ucred cred;
	socklen_t cred_len = sizeof(cred);
	struct stat st;
	char expected[NI_MAXHOST];
	size_t n, m;

	if (fd < 0 || peer[0] == '\0' || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    (ino != 0 && st.st_ino != ino) || getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_UNIX) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0)
			return false;
		snprintf(expected, sizeof(expected), ":%u:%u:%d", (unsigned)cred.uid,
			 (unsigned)cred.gid, (int)cred.pid);
		n = strlen(peer);
		m = strlen(expected);
		return n > m && strcmp(peer + n - m, expected) == 0;
	}
	return getnameinfo((struct sockaddr *)&ss, len, expected, sizeof(expected), NULL, 0,
			   NI_NUMERICHOST) == 0 && strcmp(peer, expected) == 0;
}

/* A new, empty outbox for the client of REQ, which remembers the connection the request came
 * on, if it is still there, to close it should the client not read. */
static struct outbox *outbox_new(struct control *c, const struct request *req)
{
	struct outbox *box = xcalloc(1, sizeof(*box));
	struct stat st;

	box->identity = xmalloc(req->identity_len + 1);
	memcpy(box->identity, req->identity, req->identity_len);
	box->identity_len = req->identity_len;
	box->fd = -1;
	if (is_connection_of(req->connection_fd, req->peer, 0) &&
	    fstat(req->connection_fd, &st) == 0) {
		box->fd = req->connection_fd;
		box->ino = st.st_ino;
		snprintf(box->peer, sizeof(box->peer), "%s", req->peer);
	}
	box->next = c->outboxes;
	c->outboxes = box;
	return box;
}

static void outbox_push(struct outbox *box, char *body, size_t len, bool delimiter)
{
	struct queued_reply *r = xmalloc(sizeof(*r));

	*r = (struct queued_reply){ .body = body, .len = len, .delimiter = delimiter };
	if (box->tail)
		box->tail->next = r;
	else
		box->head = r;
	box->tail = r;
	box->count++;
	box->bytes += len;
}

static void outbox_pop(struct outbox *box)
{
	struct queued_reply *r = box->head;

	box->head = r->next;
	if (box->head == NULL)
		box->tail = NULL;
	box->count--;
	box->bytes -= r->len;
	free(r->body);
	free(r);
}

static void outbox_remove(struct control *c, struct outbox *box)
{
	struct outbox **link = &c->outboxes;

	while (*link != box)
		link = &(*link)->next;
	*link = box->next;
	while (box->head)
		outbox_pop(box);
	free(box->identity);
	free(box);
}

/* Sends the replies of BOX in order until its pipe is full. Returns 0 when all went out, else
 * libzmq's error; sets *MOVED when something was sent. */
static int outbox_flush(struct control *c, struct outbox *box, bool *moved)
{
	while (box->head) {
		struct queued_reply *r = box->head;
		int err = send_envelope(c->socket, box->identity, box->identity_len, r->delimiter,
					r->body, r->len);
		if (err)
			return err;
		outbox_pop(box);
		*moved = true;
	}
	return 0;
}

/* Our side of zwatch_want_output: every client's outbox, as far as its pipe allows. */
static bool flush_outboxes(struct zwatch *z)
{
	struct control *c = z->data;
	struct outbox *box, *next;
	bool moved = false, waiting = false;
	char who[128];

	for (box = c->outboxes; box; box = next) {
		next = box->next;
		if (box->dropped)
			continue;
		int err = outbox_flush(c, box, &moved);
		if (err == EAGAIN) {
			waiting = true;
			continue;
		}
		if (err) {
			describe_client(box->identity, box->identity_len, -1, who, sizeof(who));
			log_debug("control: client %s: %zu replies dropped: %s", who, box->count,
				  zmq_strerror(err));
		}
		outbox_remove(c, box);
	}
	if (!waiting)
		zwatch_want_output(z, NULL);
	return moved;
}

/* BOX's client has not read for too long: its replies go, and so does its connection, when we can
 * be sure which one it is (the fd still refers to the socket the requests came on). */
static void drop_client(struct control *c, struct outbox *box)
{
	char who[128];
	bool known = box->fd >= 0 && is_connection_of(box->fd, box->peer, box->ino);

	describe_client(box->identity, box->identity_len, known ? box->fd : -1, who, sizeof(who));
	log_warnx("control: client %s does not read its replies: %zu waiting (%zu bytes; the limit is "
		  "%d replies or %d MiB): dropping them, and its next ones, and %s", who, box->count,
		  box->bytes, CONTROL_OUTBOX_MAX_REPLIES, CONTROL_OUTBOX_MAX_BYTES >> 20,
		  known ? "closing its connection" : "keeping its connection (not found)");
	/* libzmq sees the end of the stream and closes the connection, and the pipe, itself. */
	if (known && shutdown(box->fd, SHUT_RDWR) < 0)
		log_warn("control: cannot close the connection of client %s", who);
	while (box->head)
		outbox_pop(box);
	box->dropped = true;
	box->dropped_at = ev_now(c->loop);
}

/* Sends BODY (malloc'd, taken) to the client of REQ, or queues it behind that client's earlier
 * replies, or in a new outbox when the client's pipe is full. */
static void deliver(struct control *c, const struct request *req, char *body)
{
	struct outbox *box = outbox_find(c, req->identity, req->identity_len);
	size_t len = strlen(body);
	char who[128];
	int err;

	if (box == NULL || box->dropped) {
		err = send_envelope(c->socket, req->identity, req->identity_len, req->delimiter, body,
				    len);
		if (err == EAGAIN && box == NULL)
			box = outbox_new(c, req);
		else {
			if (err) {
				describe_client(req->identity, req->identity_len, -1, who, sizeof(who));
				log_debug("control: reply to client %s dropped: %s", who,
					  err == EAGAIN ? "it does not read" : zmq_strerror(err));
			}
			if (box && err != EAGAIN)
				outbox_remove(c, box);  /* gone, or reading again */
			free(body);
			zwatch_rearm(&c->watch);
			return;
		}
	}
	outbox_push(box, body, len, req->delimiter);
	if (box->count > CONTROL_OUTBOX_MAX_REPLIES || box->bytes > CONTROL_OUTBOX_MAX_BYTES) {
		drop_client(c, box);
	} else {
		zwatch_want_output(&c->watch, flush_outboxes);
	}
	zwatch_rearm(&c->watch);
}

/* --- replies -------------------------------------------------------------------------------- */

/* Makes TEXT valid UTF-8 in place, as jansson wants it: a character cut short at the end is
 * removed (vsnprintf truncates bytes, not characters), any other invalid byte becomes '?'. */
static void make_valid_utf8(char *text)
{
	unsigned char *p = (unsigned char *)text;

	while (*p) {
		int n = *p < 0x80 ? 1 : *p < 0xc2 ? 0 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : *p < 0xf5 ? 4 : 0;
		unsigned long cp = n == 2 ? *p & 0x1f : n == 3 ? *p & 0x0f : *p & 0x07;
		int i;

		for (i = 1; i < n && (p[i] & 0xc0) == 0x80; i++)
			cp = (cp << 6) | (p[i] & 0x3f);
		if (n > 0 && i < n && p[i] == '\0') {
			*p = '\0';  /* cut short */
			return;
		}
		if (n == 0 || i < n || (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

/* The reply when the real one cannot be built (no memory, a string jansson refuses as not
 * UTF-8, so that json_pack gave NULL): an error that still carries the request's id. */
static char *fallback_reply(const struct request *req)
{
	char *id = req->id ? json_dumps(req->id, JSON_ENCODE_ANY) : NULL;
	char *body;

	body = xasprintf("{\"status\":\"error\",\"reason\":\"internal error: the reply could "
		     "not be built\",\"tb\":null,\"errno\":%d,\"code\":\"EFAIL\",\"time\":%.6f,\"id\":%s}",
		     CONTROL_ECOMMAND, now_seconds(), id ? id : "null");
	free(id);
	return body;
}

static double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- replies kept across a re-exec ----------------------------------------------------------- */

/* A client whose connection closes before its reply arrives sends the request again (cirquectl
 * does; the reply may be lost with the connection even once sent). While a re-exec is under
 * way the replies are recorded by request id, and the new image answers such a repeat with the
 * recorded reply instead of running the request twice. */
#define REPLAY_MAX_BYTES (4 * 1024 * 1024)
#define REPLAY_SECONDS 30.0

static bool recording;
static json_t *recorded;              /* {id text: body} while recording */
static size_t recorded_bytes;
static json_t *replays;               /* the previous image's, in the new one */
static double replays_until;

/* What makes a repeat: the same socket (the operator one is apart: its members never get a
 * reply recorded for root's socket), the same id and the same request, byte for byte. Another
 * request under a reused id is not one: it runs. (Not the peer: libzmq does not always attach
 * Peer-Address to a prefetched message. Within one socket, a client that reused another's id
 * for the very same request would get what that request gives anyway; cirquectl's ids are
 * random.) */
static char *replay_key_of(const struct control *c, const struct request *req, const void *body,
			   size_t len)
{
	unsigned long long hash = 1469598103934665603ULL;  /* FNV-1a */
	char *id = req->id ? json_dumps(req->id, JSON_ENCODE_ANY) : NULL;
	char *key;

	if (id == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ ((const unsigned char *)body)[i]) * 1099511628211ULL;
	key = xasprintf("%d|%016llx|%s", c->limited, hash, id);
	free(id);
	return key;
}

static void record_reply(const struct request *req, const char *body)
{
	size_t len = strlen(body);

	if (req->replay_key == NULL || !recording)
		return;
	if (recorded == NULL)
		recorded = json_object();
	/* Too big to keep: the repeat is told so rather than run twice. */
	bool keep = recorded_bytes + len <= REPLAY_MAX_BYTES;
	json_object_set_new(recorded, req->replay_key, keep ? json_string(body) : json_null());
	recorded_bytes += keep ? len : 0;
}

void control_record_replies(bool on)
{
	recording = on;
	if (!on) {
		json_decref(recorded);
		recorded = NULL;
		recorded_bytes = 0;
	}
}

json_t *control_recorded_replies(void)
{
	json_t *all = recorded ? recorded : json_object();

	recorded = NULL;
	recorded_bytes = 0;
	recording = false;
	return all;
}

void control_expect_repeats(const json_t *saved)
{
	json_decref(replays);
	replays = json_object_size(saved) ? json_deep_copy(saved) : NULL;
	replays_until = monotonic_seconds() + REPLAY_SECONDS;
}

/* REQ repeats one answered before the re-exec: answered with that reply. */
static bool replayed(struct request *req)
{
	if (replays == NULL || req->id == NULL)
		return false;
	if (monotonic_seconds() > replays_until) {
		json_decref(replays);
		replays = NULL;
		return false;
	}
	json_t *body = req->replay_key ? json_object_get(replays, req->replay_key) : NULL;
	if (body == NULL)
		return false;
	json_incref(body);
	json_object_del(replays, req->replay_key);  /* once */
	if (json_is_string(body)) {
		deliver(req->control, req, xstrdup(json_string_value(body)));
		request_free(req);
	} else {
		control_fail(req, REPLY_EFAIL, "this request was carried out before cirqued "
			     "re-executed, and its reply was too large to keep: see the result with "
			     "status");
	}
	json_decref(body);
	return true;
}

static void send_reply(struct request *req, json_t *reply)
{
	char *body = NULL;
	char who[128];

	if (reply) {
		json_object_set_new(reply, "time", json_real(now_seconds()));
		json_object_set(reply, "id", req->id ? req->id : json_null());
		/* 15 significant digits (DBL_DIG: a decimal that long comes back exact): 0.3 is
		 * "0.3", not 0.29999999999999999, and glibc prints it without its slow multi-precision
		 * path (a status of 10,000 processes: half the time of the whole dump). */
		body = json_dumps(reply, JSON_COMPACT | JSON_REAL_PRECISION(15));
	}
	if (body == NULL) {
		describe_client(req->identity, req->identity_len, -1, who, sizeof(who));
		log_errorx("control: the reply to client %s could not be built (out of memory, or a "
			   "string that is not UTF-8): sending an error instead", who);
		body = fallback_reply(req);
	}
	if (recording)
		record_reply(req, body);
	deliver(req->control, req, body);
}


static void finish(struct request *req, json_t *reply)
{
	const char *status = json_string_value(json_object_get(reply, "status"));

	metrics_request_done(req->command, status && strcmp(status, "ok") == 0,
			     monotonic_seconds() - req->received);
	if (!req->cast)
		send_reply(req, reply);
	json_decref(reply);
	request_free(req);
}

void control_ok(struct request *req)
{
	finish(req, json_pack("{s:s}", "status", "ok"));
}

void control_reply_raw(struct request *req, json_t *fields)
{
	if (fields && json_object_get(fields, "status") == NULL)
		json_object_set_new(fields, "status", json_string("ok"));
	finish(req, fields);
}

void control_reply(struct request *req, json_t *fields)
{
	if (fields)
		json_object_set_new(fields, "status", json_string("ok"));
	finish(req, fields);
}

/* The code an error reply carries when the caller gave only Circus's errno. */
static enum reply_code code_of_errno(int errnum)
{
	switch (errnum) {
	case CONTROL_EINVALIDJSON:
	case CONTROL_EBADDATA: return REPLY_EBADMSG;
	case CONTROL_EUNKNOWNCOMMAND: return REPLY_ENOSYS;
	case CONTROL_EMESSAGE: return REPLY_EINVAL;
	case CONTROL_EOS: return REPLY_EIO;
	default: return REPLY_EFAIL;
	}
}

static int errno_of_code(enum reply_code code)
{
	switch (code) {
	case REPLY_EBADMSG: return CONTROL_EBADDATA;
	case REPLY_ENOSYS: return CONTROL_EUNKNOWNCOMMAND;
	case REPLY_EINVAL:
	case REPLY_ENOENT:
	case REPLY_ESRCH: return CONTROL_EMESSAGE;
	case REPLY_EIO: return CONTROL_EOS;
	default: return CONTROL_ECOMMAND;
	}
}

static void send_error(struct request *req, int errnum, enum reply_code code, const char *fmt,
		       va_list ap)
{
	char reason[REASON_MAX];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	make_valid_utf8(reason);
	finish(req, json_pack("{s:s, s:s, s:n, s:i, s:s}", "status", "error", "reason", reason, "tb",
			      "errno", errnum, "code", reply_code_name(code)));
}

void control_error(struct request *req, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_error(req, errnum, code_of_errno(errnum), fmt, ap);
	va_end(ap);
}

void control_fail(struct request *req, enum reply_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_error(req, errno_of_code(code), code, fmt, ap);
	va_end(ap);
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

/* A request from the client IDENTITY; SOURCE is a frame that came from its connection. */
static struct request *request_new(struct control *c, zmq_msg_t *identity, zmq_msg_t *source,
				   bool delimiter)
{
	struct request *req = xcalloc(1, sizeof(*req));

	req->control = c;
	req->identity_len = zmq_msg_size(identity);
	req->identity = xmalloc(req->identity_len);
	memcpy(req->identity, zmq_msg_data(identity), req->identity_len);
	req->delimiter = delimiter;
	req->received = monotonic_seconds();
	/* The connection the request came on (libzmq's deprecated but working ZMQ_SRCFD, -1 when
	 * unknown): the one to close if this client stops reading its replies. Not the identity
	 * frame's: a ROUTER that prefetched the message for ZMQ_EVENTS gives that one no metadata. */
	req->connection_fd = zmq_msg_get(source, ZMQ_SRCFD);
	const char *peer = zmq_msg_gets(source, "Peer-Address");
	snprintf(req->peer, sizeof(req->peer), "%s", peer ? peer : "");
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

	req = request_new(c, &frames[0], &frames[(nframes < MAX_FRAMES ? nframes : MAX_FRAMES) - 1],
			  delimiter);
	if (nframes != 2 && !delimiter) {
		/* [identity, json] from a DEALER, or [identity, "", json] from a REQ. */
		control_error(req, CONTROL_EBADDATA, "bad message: expected one JSON frame, got %d",
			      nframes - 1);
		return;
	}
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
	/* (A reexec request's own reply is recorded: it is sent as the exec begins, the moment a
	 * reply is most likely lost with the connection.) */
	const char *command = json_string_value(json_object_get(message, "command"));
	if (recording || replays || (command && strcmp(command, "reexec") == 0))
		req->replay_key = replay_key_of(c, req, zmq_msg_data(body), zmq_msg_size(body));
	const char *type = json_string_value(json_object_get(message, "msg_type"));
	req->cast = type && strcmp(type, "cast") == 0;
	if (replayed(req)) {
		json_decref(message);
		return;
	}
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
	struct control *c = xcalloc(1, sizeof(*c));
	int zero = 0, one = 1, pipe_replies = CONTROL_PIPE_REPLIES;
	int handshake_ms = CONTROL_HANDSHAKE_MS;
	int64_t max_size = CONTROL_MAX_MESSAGE;

	c->loop = loop;
	c->handler = handler;
	c->handler_arg = arg;
	c->pending.next = c->pending.prev = &c->pending;
	c->socket = zmq_socket(zmq_context, ZMQ_ROUTER);
	if (c->socket == NULL)
		goto fail;
	/* A full pipe is EAGAIN (the reply waits in an outbox), not a silent drop. What a client
	 * that does not read costs is this pipe plus its outbox; a connection that never completes
	 * its handshake is closed after a few seconds. */
	if (zmq_setsockopt(c->socket, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(c->socket, ZMQ_MAXMSGSIZE, &max_size, sizeof(max_size)) < 0 ||
	    zmq_setsockopt(c->socket, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(c->socket, ZMQ_SNDHWM, &pipe_replies, sizeof(pipe_replies)) < 0 ||
	    zmq_setsockopt(c->socket, ZMQ_HANDSHAKE_IVL, &handshake_ms, sizeof(handshake_ms)) < 0) {
		log_errorx("control: cannot set the socket's options: %s", zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (curve_secret) {
		if (zmq_setsockopt(c->socket, ZMQ_CURVE_SERVER, &one, sizeof(one)) < 0 ||
		    zmq_setsockopt(c->socket, ZMQ_CURVE_SECRETKEY, curve_secret,
				   strlen(curve_secret)) < 0 ||
		    zmq_setsockopt(c->socket, ZMQ_ZAP_DOMAIN, "cirque", 6) < 0) {
			log_errorx("control: cannot enable CURVE: %s", zmq_strerror(zmq_errno()));
			goto fail;
		}
	}
	if (zbind(c->socket, endpoint) < 0) {
		log_errorx("control: cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
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

void control_fail_all(struct control *c, enum reply_code code, const char *why)
{
	while (c && c->pending.next != &c->pending)
		control_fail(c->pending.next, code, "%s", why);
}

void control_close(struct control *c)
{
	if (c == NULL)
		return;
	/* The watchers are gone and have answered their waiters: anything left is answered here. */
	while (c->pending.next != &c->pending)
		control_fail(c->pending.next, REPLY_ESHUTDOWN, "the daemon is shutting down");
	/* What is still queued goes out if there is room now; the rest is lost with the daemon. */
	flush_outboxes(&c->watch);
	while (c->outboxes)
		outbox_remove(c, c->outboxes);
	zwatch_stop(&c->watch);
	/* Give the last replies (a waiting quit) a moment to leave, without hanging the exit. */
	int linger = 200;
	zmq_setsockopt(c->socket, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(c->socket);
	free(c);
}

void control_set_limited(struct control *c)
{
	c->limited = true;
}

bool control_is_limited(const struct control *c)
{
	return c->limited;
}

void *control_socket(struct control *c)
{
	return c->socket;
}
