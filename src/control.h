/* control.h - the ZeroMQ ROUTER control socket on the libev loop, and requests awaiting replies. */
#ifndef CIRQUE_CONTROL_H
#define CIRQUE_CONTROL_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "protocol.h"

/* Requests larger than this are refused by libzmq itself (the peer is disconnected). */
#define CONTROL_MAX_MESSAGE (1024 * 1024)
/* Replies libzmq holds for one client (its pipe, ZMQ_SNDHWM). When that is full, the next ones
 * wait in the client's outbox, in order; a client whose outbox goes beyond either limit below
 * does not read: its replies are dropped and its connection closed (with a warning). A client
 * reading all the time never gets there with up to CONTROL_MAX_PENDING requests in flight, even
 * of 16 KiB replies. What a client that does not read costs: the pipe's replies + the outbox.
 * The pipe stays small: 256 or 1024 measured no faster (bench/replies.sh), and its bound is a
 * count of replies of any size where the outbox's is also in bytes. */
#define CONTROL_PIPE_REPLIES 64
#define CONTROL_OUTBOX_MAX_REPLIES 4096
#define CONTROL_OUTBOX_MAX_BYTES (16 * 1024 * 1024)
/* A connection must finish the ZMTP handshake within this (libzmq's default is 30 s). */
#define CONTROL_HANDSHAKE_MS 5000
/* Requests that may wait for a reply at once (waiting start/stop...); more get an error. */
#define CONTROL_MAX_PENDING 1024

struct control;

/* One request: its routing envelope and id, until it is answered. */
struct request {
	struct request *next, *prev;  /* in the control's list of unanswered requests */
	struct control *control;
	void *identity;               /* the ROUTER routing id of the peer */
	size_t identity_len;
	bool delimiter;               /* REQ-style [id, "", json]: answer in kind */
	bool cast;                    /* msg_type "cast": no reply at all */
	int connection_fd;            /* the connection it came on (ZMQ_SRCFD), -1 if unknown, */
	char peer[64];                /* and its peer as libzmq saw it then (Peer-Address) */
	json_t *id;                   /* echoed in the reply (a string, or null) */
	const char *command;          /* the command's name, once known (a static string) */
	double received;              /* when it arrived (CLOCK_MONOTONIC), for its duration */
	char *replay_key;             /* around a re-exec: socket, peer, id and body, or NULL */
};

/* Called for each well-formed request (a JSON object). The handler answers it now or later,
 * exactly once, with control_ok, control_reply or control_error. */
typedef void (*control_handler_fn)(struct request *req, json_t *message, void *arg);

/* CURVE_SECRET (Z85) makes the socket a CURVE server: only clients admitted by the ZAP handler
 * (curve.h) get in. NULL: no encryption (ipc and loopback only). */
struct control *control_open(struct ev_loop *loop, void *zmq_context, const char *endpoint,
			     const char *curve_secret, control_handler_fn handler, void *arg);
void control_close(struct control *c);
/* Answers every request still unanswered with CODE and WHY (a re-exec: before the socket goes). */
void control_fail_all(struct control *c, enum reply_code code, const char *why);
/* The operator socket: the dispatcher answers only the commands marked CMD_OPERATOR there. */
void control_set_limited(struct control *c);
bool control_is_limited(const struct control *c);

/* Sends a plain {"status": "ok"} with time and id, then frees REQ. */
void control_ok(struct request *req);
/* Sends FIELDS (consumed) with status "ok", time and id, then frees REQ. FIELDS NULL means that
 * building them failed (json_pack gives NULL for lack of memory or a string that is not UTF-8):
 * the client gets an error reply instead, never silence. */
void control_reply(struct request *req, json_t *fields);
/* Sends status "error" with reason, errno (Circus's codes below), code (protocol.h: the one
 * that errno implies), time and id; frees REQ. */
void control_error(struct request *req, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with a code more precise than the errno (no such watcher...), and its errno. */
void control_fail(struct request *req, enum reply_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like control_reply but FIELDS may set "status" itself (Circus's `status NAME` quirk). */
void control_reply_raw(struct request *req, json_t *fields);

/* Circus's error numbers. */
enum {
	CONTROL_ENOTSPECIFIED = 0,
	CONTROL_EINVALIDJSON = 1,
	CONTROL_EUNKNOWNCOMMAND = 2,
	CONTROL_EMESSAGE = 3,
	CONTROL_EOS = 4,
	CONTROL_ECOMMAND = 5,
	CONTROL_EBADDATA = 6,
};

/* A re-exec (reexec.h): from ON, every reply sent is recorded by request id; the recorded
 * ones are taken (a JSON object, id -> reply) for the new image, which answers a repeat of any
 * of them (a client whose connection closed first sends it again) with its reply for
 * REPLAY_SECONDS, instead of running it twice. */
void control_record_replies(bool on);
json_t *control_recorded_replies(void);
void control_expect_repeats(const json_t *recorded);

/* The ROUTER itself, to monitor its connections (connlimit.h); nothing else may use it. */
void *control_socket(struct control *c);

#endif
