/* cirquectl.c - the command-line client: supervisorctl-style verbs over Circus's protocol.
 *
 * Each verb is a row of commands.def, the daemon's command table: its name, argument counts,
 * usage, help, and a function here (ctl_<verb>) that sends one or more requests and prints the
 * replies the way supervisorctl does. --json prints the raw replies instead.
 * Strings from the daemon may quote what children and clients chose (a STATUS=, a command line,
 * a name in an error): they are printed through shown(), with control characters escaped.
 * Exit codes (README.md's table, cirquectl(1)): 0 ok (also a start or stop with nothing to do),
 * 1 error reply, 2 usage, 3 `status` shows a process not running, 4 no such watcher or process,
 * 5 the request went out but no answer came in time, 7 the daemon cannot be reached (or stopped
 * while followed), 130 Ctrl-C during a wait. */
#include "ctl.h"
#include "curve.h"
#include "endpoint.h"
#include "safefs.h"
#include "parse.h"
#include "protocol.h"
#include "text.h"
#include "version.h"
#include "xmalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

/* What cirqued reads without -c (main.c's DEFAULT_CONFIG). */
#define DEFAULT_CONFIG "/etc/cirque/cirque.yaml"

volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static bool connection_closed(struct client *c);

void client_close(struct client *c)
{
	/* The monitor first stops, then the socket goes, then the monitor's last events are read:
	 * an event sent towards a monitor already closed is never freed. */
	if (c->socket && c->monitor)
		zmq_socket_monitor(c->socket, NULL, 0);
	if (c->socket)
		zmq_close(c->socket);
	if (c->monitor) {
		(void)connection_closed(c);
		zmq_close(c->monitor);
	}
	if (c->ctx)
		zmq_ctx_term(c->ctx);
	c->monitor = c->socket = c->ctx = NULL;
}

/* Watches the connection of C's socket: a daemon that dies (or restarts) while a waiting
 * command waits closes it, and the wait ends then rather than after its hour. */
static void monitor_client(struct client *c)
{
	char endpoint[64];

	snprintf(endpoint, sizeof(endpoint), "inproc://cirquectl-control-%p", (void *)c->socket);
	if (zmq_socket_monitor(c->socket, endpoint, ZMQ_EVENT_DISCONNECTED) < 0)
		return;
	int zero = 0;

	c->monitor = zmq_socket(c->ctx, ZMQ_PAIR);
	if (c->monitor)
		zmq_setsockopt(c->monitor, ZMQ_LINGER, &zero, sizeof(zero));
	if (c->monitor && zmq_connect(c->monitor, endpoint) < 0) {
		zmq_close(c->monitor);
		c->monitor = NULL;
	}
}

/* Whether the monitor has reported the connection closed since last asked (events read). */
static bool connection_closed(struct client *c)
{
	bool closed = false;

	while (c->monitor) {
		zmq_msg_t event, address;
		zmq_msg_init(&event);
		zmq_msg_init(&address);
		int got = zmq_msg_recv(&event, c->monitor, ZMQ_DONTWAIT);
		if (got >= 2) {
			uint16_t id;
			memcpy(&id, zmq_msg_data(&event), sizeof(id));
			closed = closed || id == ZMQ_EVENT_DISCONNECTED;
			c->disconnects += id == ZMQ_EVENT_DISCONNECTED;
			zmq_msg_recv(&address, c->monitor, ZMQ_DONTWAIT);  /* the second frame */
		}
		zmq_msg_close(&event);
		zmq_msg_close(&address);
		if (got < 0)
			break;
	}
	return closed;
}

/* Connects C (its CURVE key first: a key file that cannot be used ends the command, exit 2).
 * Returns -1 with zmq_errno() set, and C left unconnected, when ZeroMQ refuses the endpoint. */
static int connect_client(struct client *c)
{
	int zero = 0, one = 1, error;
	char identity[64], secret[CURVE_KEY_LEN + 1], public_key[CURVE_KEY_LEN + 1];
	const char *why;

	if (c->curve_server_key && c->curve_secret_file == NULL) {
		fprintf(stderr, "cirquectl: --curve-server-key needs --curve-secret-key-file\n");
		end_command(EXIT_USAGE);
	}
	if (c->curve_server_key &&
	    curve_load_secret(c->curve_secret_file, secret, public_key, &why) < 0) {
		fprintf(stderr, "cirquectl: %s: %s\n", c->curve_secret_file, why);
		end_command(EXIT_USAGE);
	}
	c->ctx = zmq_ctx_new();
	c->socket = zmq_socket(c->ctx, ZMQ_DEALER);
	if (c->socket == NULL) {
		error = zmq_errno();
		client_close(c);
		errno = error;
		return -1;
	}
	snprintf(identity, sizeof(identity), "cirquectl-%d-%ld", (int)getpid(), (long)time(NULL));
	zmq_setsockopt(c->socket, ZMQ_IDENTITY, identity, strlen(identity));
	zmq_setsockopt(c->socket, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(c->socket, ZMQ_IMMEDIATE, &one, sizeof(one));
	if (c->curve_server_key) {
		zmq_setsockopt(c->socket, ZMQ_CURVE_SERVERKEY, c->curve_server_key,
			       strlen(c->curve_server_key));
		zmq_setsockopt(c->socket, ZMQ_CURVE_PUBLICKEY, public_key, CURVE_KEY_LEN);
		zmq_setsockopt(c->socket, ZMQ_CURVE_SECRETKEY, secret, CURVE_KEY_LEN);
		explicit_bzero(secret, sizeof(secret));
	}
	monitor_client(c);
	if (zmq_connect(c->socket, c->endpoint) < 0) {
		error = zmq_errno();
		client_close(c);
		errno = error;
		return -1;
	}
	return 0;
}

/* Exits unless ENDPOINT is one the daemon, not another user, could have made. For the default
 * endpoint only: one given (--endpoint, $CIRQUE_ENDPOINT, $CIRQUE_RUNTIME_DIR) may be another
 * user's daemon on purpose (root talking to a user's cirqued). */
static void check_endpoint_owner(const char *endpoint)
{
	char why[SAFEFS_WHY];

	if (endpoint_check_for_client(endpoint, why) < 0) {
		fprintf(stderr, "cirquectl: refusing %s: %s\n", endpoint, why);
		end_command(EXIT_UNREACHABLE);
	}
}

void unreachable(const struct client *c, const char *why)
{
	fprintf(stderr, "cirquectl: cannot reach cirqued at %s (%s): %s\n", c->endpoint,
		c->endpoint_from ? c->endpoint_from : "--endpoint", why);
	end_command(EXIT_UNREACHABLE);
}

sigjmp_buf *command_abort;

static void flush_json(void);

void end_command(int rc)
{
	flush_json();  /* what was answered before */
	if (command_abort) {
		follower_abandon();
		siglongjmp(*command_abort, rc);
	}
	exit(rc);
}

static bool is_waitable(const char *command);
static const char *verb_of(const char *command);

/* What the user asked, for a message: "stop web", "remove web" (rm), or "status". */
static void request_words(char *out, size_t size, const char *command, json_t *props)
{
	const char *name = json_string_value(json_object_get(props, "name"));
	json_t *wid = json_object_get(props, "wid");

	command = verb_of(command);
	if (name && wid)
		snprintf(out, size, "%s %s:%lld", command, shown(name),
			 (long long)json_integer_value(wid));
	else
		snprintf(out, size, "%s%s%s", command, name ? " " : "", name ? shown(name) : "");
}

/* What to say of Ctrl-C while waiting for the reply to COMMAND: the request is cirqued's now. */
static const char *interrupted_wait(const char *command, const char *words)
{
	static char message[300];

	if (!is_waitable(command))
		return "interrupted";
	snprintf(message, sizeof(message), "interrupted: the %s goes on in cirqued (see "
		 "cirquectl status)", words);
	return message;
}

/* How long a request waits for the connection (its handshake done): a tcp endpoint that
 * nobody listens on is not worth the hour a waiting command may take. */
#define CONNECT_SECONDS 5.0

/* Sends TEXT once the connection is up (ZMQ_IMMEDIATE: nothing is queued for a connection
 * still to come). Returns 0, or -1 with *WHY when no connection came within the timeout. */
static int send_connected(struct client *c, const char *text, double timeout, const char **why,
			  int *rc)
{
	double wait = timeout < CONNECT_SECONDS ? timeout : CONNECT_SECONDS;
	int ms = (int)(wait * 1000) + 1;
	static char because[160];

	zmq_setsockopt(c->socket, ZMQ_SNDTIMEO, &ms, sizeof(ms));
	while (zmq_send(c->socket, text, strlen(text), 0) < 0) {
		if (zmq_errno() == EINTR && !interrupted)
			continue;
		if (zmq_errno() == EINTR) {
			*why = "interrupted (nothing was sent)";
			*rc = EXIT_INTERRUPTED;
		} else if (zmq_errno() == EAGAIN) {
			snprintf(because, sizeof(because), "no connection within %gs (is cirqued "
				 "running?%s)", wait, c->curve_server_key ? " are the CURVE keys "
				 "the daemon's?" : "");
			*why = because;
		} else {
			*why = zmq_strerror(zmq_errno());
		}
		return -1;
	}
	return 0;
}

/* A waiting start or stop answered "cirqued re-executed meanwhile": what it asked for goes on,
 * and asking again (both are idempotent) waits for it in the new image. */
static bool waits_again(const char *command, json_t *reply)
{
	const char *reason = json_string_value(json_object_get(reply, "reason"));

	return (strcmp(command, "start") == 0 || strcmp(command, "stop") == 0) && reason &&
	       strstr(reason, "cirqued re-executed") != NULL;
}

/* TEXT (a request) with a new id, written into ID too. */
static char *renumbered(struct client *c, const char *text, char *id, size_t size)
{
	json_t *request = json_loads(text, 0, NULL);
	char *again;

	if (request == NULL)
		return NULL;
	char *seq = strrchr(id, '-') + 1;  /* "<pid>-<nonce>-<sequence>" */
	snprintf(seq, size - (size_t)(seq - id), "%lu", ++c->sequence);
	json_object_set_new(request, "id", json_string(id));
	again = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	return again;
}

/* Sends {"id", "command", "properties"} and returns the reply with the same id (new reference),
 * or NULL with WHY and *RC: EXIT_UNREACHABLE when the daemon cannot be reached, EXIT_NO_ANSWER
 * when the request went out and no reply came within the timeout, EXIT_INTERRUPTED (Ctrl-C:
 * WHY is the whole message then). */
json_t *try_call(struct client *c, const char *command, json_t *props, double timeout,
		 const char **why, int *rc)
{
	static char no_answer[300];
	char id[64], words[200];
	json_t *request;
	char *text;
	double deadline;

	*rc = EXIT_UNREACHABLE;
	if (c->socket == NULL) {
		if ((*why = endpoint_listener_missing(c->endpoint)) != NULL) {
			json_decref(props);
			return NULL;
		}
		if (c->guessed_endpoint)
			check_endpoint_owner(c->endpoint);
		if (connect_client(c) < 0) {
			*why = zmq_strerror(zmq_errno());
			json_decref(props);
			return NULL;
		}
	}
	request_words(words, sizeof(words), command, props);
	/* Unguessable (a re-exec answers a repeat of an id with its recorded reply: control.c). */
	static unsigned long long nonce;
	while (nonce == 0 && getrandom(&nonce, sizeof(nonce), 0) < 0 && errno == EINTR)
		;
	snprintf(id, sizeof(id), "%d-%016llx-%lu", (int)getpid(), nonce, ++c->sequence);
	request = json_pack("{s:s, s:s, s:o}", "id", id, "command", command, "properties",
			    props ? props : json_object());
	text = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	(void)connection_closed(c);  /* a connection closed before this request is none of its */
	if (text == NULL || send_connected(c, text, timeout, why, rc) < 0) {
		free(text);
		return NULL;
	}
	deadline = now() + timeout;
	int resends = 0;
	for (;;) {
		zmq_pollitem_t items[2] = { { c->socket, 0, ZMQ_POLLIN, 0 },
					    { c->monitor, 0, ZMQ_POLLIN, 0 } };
		double left = deadline - now();
		if (left <= 0) {
			snprintf(no_answer, sizeof(no_answer), is_waitable(command)
				 ? "%s: no answer within %gs; cirqued carries on (see cirquectl status)"
				 : "%s: no answer within %gs (cirqued took the request but is busy)",
				 words, timeout);
			*why = no_answer;
			*rc = EXIT_NO_ANSWER;
			free(text);
			return NULL;
		}
		/* In slices: a timeout of years would overflow the milliseconds. */
		int n = interrupted ? -1 : zmq_poll(items, c->monitor ? 2 : 1, left > 60 ? 60000
					: (long)(left * 1000) + 1);
		if (interrupted) {
			*why = interrupted_wait(command, words);
			*rc = EXIT_INTERRUPTED;
			free(text);
			return NULL;
		}
		if (n <= 0)
			continue;
		zmq_msg_t msg;
		zmq_msg_init(&msg);
		/* The reply first: the daemon's last words come before its going. */
		if (zmq_msg_recv(&msg, c->socket, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			/* (a moment for a reply still on its way from the I/O thread: it comes
			 * at once, unless the machine is loaded) */
			if ((items[1].revents & ZMQ_POLLIN) && connection_closed(c) &&
			    zmq_poll(items, 1, 1000) <= 0) {
				/* cirqued answers every request it read before it re-executes
				 * (reexec): one without an answer was never read, and goes again
				 * to the new image once the connection is back. */
				if (strcmp(command, "quit") != 0 && resends++ < 3 &&
				    send_connected(c, text, deadline - now(), why, rc) == 0)
					continue;
				snprintf(no_answer, sizeof(no_answer), "the connection closed while "
					 "waiting for the %s (cirqued stopped or restarted?)", words);
				*why = no_answer;
				free(text);
				return NULL;
			}
			continue;
		}
		/* JSON_ALLOW_NUL: a child's output may hold NULs ("\u0000" in tail's text lines). */
		json_t *reply = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), JSON_ALLOW_NUL, NULL);
		zmq_msg_close(&msg);
		const char *reply_id = json_string_value(json_object_get(reply, "id"));
		if (reply_id && strcmp(reply_id, id) == 0 && waits_again(command, reply) &&
		    resends++ < 3) {
			/* The start or stop goes on in the new image: wait for it there (a new
			 * id: the old one's reply is recorded as this one). */
			json_decref(reply);
			char *again = renumbered(c, text, id, sizeof(id));
			if (again && send_connected(c, again, deadline - now(), why, rc) == 0) {
				free(text);
				text = again;
				continue;
			}
			free(again);
			free(text);
			return NULL;
		}
		if (reply_id && strcmp(reply_id, id) == 0) {
			free(text);
			return reply;
		}
		json_decref(reply);  /* a late answer to an earlier request */
	}
}

/* As try_call; ends the command (end_command) when no reply comes. */
/* Ends the command for a request that got no reply: try_call's WHY and RC said why. */
static __attribute__((noreturn)) void no_reply(struct client *c, const char *why, int rc)
{
	if (rc == EXIT_INTERRUPTED) {
		fprintf(stderr, "%s\n", why);
		end_command(rc);
	}
	if (rc == EXIT_NO_ANSWER) {
		fprintf(stderr, "cirquectl: %s\n", why);
		end_command(rc);
	}
	unreachable(c, why);
}

json_t *call(struct client *c, const char *command, json_t *props, double timeout)
{
	const char *why = NULL;
	int rc;
	json_t *reply = try_call(c, command, props, timeout, &why, &rc);

	if (reply == NULL)
		no_reply(c, why, rc);
	return reply;
}

/* S with its control characters escaped, for a terminal (text.h). The result lives until eight
 * more calls: enough for the arguments of one printf. */
const char *shown(const char *s)
{
	static char *ring[8];
	static unsigned next;
	char **slot = &ring[next++ % 8];

	if (s == NULL)
		return "";
	free(*slot);
	*slot = text_escape_dup(s, strlen(s), 0);
	return *slot ? *slot : "?";
}

bool reply_ok(json_t *reply)
{
	const char *status = json_string_value(json_object_get(reply, "status"));
	return status && strcmp(status, "error") != 0;
}

const char *reply_reason(json_t *reply)
{
	const char *reason = json_string_value(json_object_get(reply, "reason"));
	return reason ? shown(reason) : "unknown error";
}

/* The reply's machine code (protocol.h), never its text, says which error it is: no such
 * watcher (ENOENT), or no such process of it (ESRCH: a wid beyond its count). */
bool is_no_such(json_t *reply)
{
	enum reply_code code;

	if (reply_ok(reply))
		return false;
	code = reply_code_parse(json_string_value(json_object_get(reply, "code")));
	return code == REPLY_ENOENT || code == REPLY_ESRCH;
}

/* The one form of "no such watcher or process", for every verb (supervisorctl's). */
static void print_no_such(FILE *out, const char *what)
{
	fprintf(out, "%s: ERROR (no such process)\n", shown(what));
}

/* The exit code of a reply: 0, 4 (no such), or 1. */
static int reply_rc(json_t *reply)
{
	return reply_ok(reply) ? EXIT_OK : is_no_such(reply) ? EXIT_NO_SUCH : EXIT_ERROR;
}

/* What a verb's argument names: a watcher (name, or name:* for all its processes), or one of
 * its processes (name:wid, as `status` shows them). A name never holds ':'. */
struct target {
	char *name;                   /* malloc'd */
	long wid;                     /* 0: the whole watcher; -1: not a number (no such) */
};

static struct target parse_target(const char *arg)
{
	struct target t = { xstrdup(arg), 0 };
	char *colon = strrchr(t.name, ':');

	if (colon) {  /* name:wid; name:* and name: (supervisorctl's group:) are all of name */
		*colon = '\0';
		if (colon[1] && strcmp(colon + 1, "*") != 0 &&
		    (parse_long(colon + 1, &t.wid) < 0 || t.wid < 1))
			t.wid = -1;
	}
	return t;
}

/* A name with *, ? or [ is a pattern (web-*), matched as Circus's "glob" does. */
static bool is_pattern(const char *name)
{
	return strpbrk(name, "*?[") != NULL;
}

/* Whether the watcher NAME is what the target's (case-insensitive) NAME or pattern asks. */
static bool name_matches(const char *asked, const char *name)
{
	return is_pattern(asked) ? fnmatch(asked, name, FNM_CASEFOLD) == 0
				 : strcasecmp(asked, name) == 0;
}

/* The request's properties for target T: name (as is, or a glob) and, for one process, wid. */
static json_t *target_props(const struct target *t)
{
	json_t *props = json_pack("{s:s, s:s}", "name", t->name, "match",
				  is_pattern(t->name) ? "glob" : "simple");

	if (t->wid)
		json_object_set_new(props, "wid", json_integer(t->wid));
	return props;
}

/* --json: the replies of one command, printed as one document when it ends (an array when it
 * sent several requests: update's reread and reload, `start a b`), so that a script may parse
 * the whole output. */
static json_t *json_replies;

void print_json(json_t *reply)
{
	if (json_replies == NULL)
		json_replies = json_array();
	json_array_append(json_replies, reply);
}

static void flush_json(void)
{
	json_t *doc;
	char *text;

	if (json_replies == NULL)
		return;
	doc = json_array_size(json_replies) == 1 ? json_array_get(json_replies, 0) : json_replies;
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text) {
		puts(text);
		free(text);
	}
	fflush(stdout);
	json_decref(json_replies);
	json_replies = NULL;
}

/* One request, printed as JSON or by the caller; returns 0/1/4 as the reply says. */
int simple(struct client *c, const char *command, json_t *props, json_t **out)
{
	json_t *reply = call(c, command, props, c->timeout < 0 ? 5 : c->timeout);
	int rc = reply_ok(reply) ? EXIT_OK : is_no_such(reply) ? EXIT_NO_SUCH : EXIT_ERROR;

	if (c->json)
		print_json(reply);
	else if (rc != EXIT_OK && out == NULL)
		fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	if (out)
		*out = reply;
	else
		json_decref(reply);
	return rc;
}

static double reply_timeout(const struct client *c, const char *command, bool wait);

/* --- status ----------------------------------------------------------------------------------- */

void format_uptime(char *out, size_t size, double seconds)
{
	long s = (long)seconds;

	if (s >= 86400)
		snprintf(out, size, "%ld days, %ld:%02ld:%02ld", s / 86400, s % 86400 / 3600,
			 s % 3600 / 60, s % 60);
	else
		snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s % 3600 / 60, s % 60);
}

/* The process's last exit had a status in exitcodes and nothing has run since: it finished as
 * expected (EXITED, or BACKOFF for the pause before restart: always runs it again). */
static bool finished(const char *state, json_t *proc)
{
	return (strcmp(state, "EXITED") == 0 || strcmp(state, "BACKOFF") == 0) &&
	       json_is_true(json_object_get(proc, "expected"));
}

/* An exit_code of the protocol (the status, or -signum): "status 1", "SIGKILL". */
static void describe_exit(char *out, size_t size, const char *before, json_int_t code,
			  const char *after)
{
	const char *name = code < 0 && code > -1000 ? signal_name((int)-code) : NULL;

	if (name)
		snprintf(out, size, "%sSIG%s%s", before, name, after);
	else if (code < 0)
		snprintf(out, size, "%ssignal %lld%s", before, (long long)-code, after);
	else
		snprintf(out, size, "%sstatus %lld%s", before, (long long)code, after);
}

static void describe(char *out, size_t size, const char *state, json_t *proc)
{
	json_int_t pid = json_integer_value(json_object_get(proc, "pid"));
	json_int_t failures = json_integer_value(json_object_get(proc, "failures"));
	json_t *code = json_object_get(proc, "exit_code");
	const char *spawn_error = json_string_value(json_object_get(proc, "spawn_error"));
	/* Why the last start failed when it was not the program's own exit: no exec, or killed
	 * for not being ready in time. */
	const char *start_error = json_string_value(json_object_get(proc, "start_error"));
	char killed[256];
	snprintf(killed, sizeof(killed), "%s, killed", shown(start_error));
	const char *why = spawn_error ? shown(spawn_error) : start_error ? killed : NULL;
	const char *said = json_string_value(json_object_get(proc, "notify_status"));
	const char *probe = json_string_value(json_object_get(proc, "probe_error"));
	const char *pending = json_string_value(json_object_get(proc, "pending"));
	char uptime[64];
	/* How often this slot was respawned after an exit: a young uptime with many restarts is a
	 * crash loop. */
	json_int_t restarts = json_integer_value(json_object_get(proc, "restarts"));
	bool oom = json_is_true(json_object_get(proc, "oom_killed"));
	char restarted[48] = "";
	if (restarts > 0)
		snprintf(restarted, sizeof(restarted), ", %lld restart%s", (long long)restarts,
			 restarts == 1 ? "" : "s");

	if (strcmp(state, "RUNNING") == 0) {
		char last[64] = "";
		format_uptime(uptime, sizeof(uptime),
			      json_real_value(json_object_get(proc, "uptime")));
		bool adopted = json_is_true(json_object_get(proc, "adopted"));
		if (code && oom)
			snprintf(last, sizeof(last), " (last exit: killed by the OOM killer)");
		else if (json_is_true(json_object_get(proc, "exit_unknown")))
			snprintf(last, sizeof(last), " (last exit: status unknown, adopted)");
		else if (code)  /* how the process before it in this slot ended (respawned) */
			describe_exit(last, sizeof(last), " (last exit: ", json_integer_value(code),
				      ")");
		snprintf(out, size, "pid %lld, uptime %s%s%s%s%s%s", (long long)pid, uptime,
			 adopted ? ", adopted" : "", restarted, said ? ", " : "", shown(said), last);
	} else if (strcmp(state, "STOPPED") == 0 && json_is_string(json_object_get(proc, "reason"))) {
		/* a hook aborted its start */
		snprintf(out, size, "Not running: %s",
			 shown(json_string_value(json_object_get(proc, "reason"))));
	} else if (strcmp(state, "STOPPED") == 0) {
		snprintf(out, size, "Not running");
	} else if (strcmp(state, "STARTING") == 0 && pending) {
		snprintf(out, size, "%s", shown(pending));  /* no process yet */
	} else if (strcmp(state, "STARTING") == 0) {
		/* What the program says of itself (STATUS=), or why its probe fails so far. */
		snprintf(out, size, "pid %lld%s%s%s%s%s", (long long)pid, restarted,
			 said ? ", " : "", shown(said), probe ? ", not ready: " : "", shown(probe));
	} else if (strcmp(state, "STOPPING") == 0) {
		snprintf(out, size, "pid %lld", (long long)pid);
	} else if (why && strcmp(state, "BACKOFF") == 0) {
		snprintf(out, size, "%s (retrying)", why);
	} else if (why && strcmp(state, "FATAL") == 0) {
		snprintf(out, size, "%s: gave up after %lld failed starts", why,
			 (long long)failures);
	} else if (strcmp(state, "BACKOFF") == 0 && finished(state, proc)) {
		snprintf(out, size, "exit status %lld (expected), restarting",
			 (long long)json_integer_value(code));
	} else if (strcmp(state, "BACKOFF") == 0) {
		snprintf(out, size, "Exited too quickly (failed start %lld, retrying)",
			 (long long)failures);
	} else if (strcmp(state, "FATAL") == 0) {
		snprintf(out, size, "Exited too quickly: gave up after %lld failed starts",
			 (long long)failures);
	} else if (strcmp(state, "EXITED") == 0 && code) {
		json_int_t v = json_integer_value(code);
		if (oom)
			snprintf(out, size, "killed by the OOM killer (memory_max)");
		else if (v < 0)
			snprintf(out, size, "killed by signal %lld", (long long)-v);
		else
			snprintf(out, size, "exit status %lld%s", (long long)v,
				 finished(state, proc) ? " (expected)" : "");
	} else {
		*out = '\0';
	}
}

/* supervisorctl's layout: '%-Ns%-10s%s' with N = max(30, longest name + 3). The lines are
 * made twice: a first pass measures the names (nothing else is formatted), the second prints
 * each line as it is made. With 10,000 processes, keeping the lines cost more than the rest. */
struct status_line {
	char name[160];
	char state[16];
	char desc[320];
};

struct status_sheet {
	bool measuring;               /* the first pass: names only */
	int width;
	struct status_line line;      /* the one being made */
};

/* The line to fill (its name first: when measuring, only the name is used). */
static struct status_line *new_line(struct status_sheet *sheet)
{
	sheet->line.state[0] = sheet->line.desc[0] = '\0';
	return &sheet->line;
}

/* The line is made: measured, or printed. */
static void line_done(struct status_sheet *sheet)
{
	struct status_line *l = &sheet->line;

	if (sheet->measuring) {
		if ((int)strlen(l->name) + 3 > sheet->width)
			sheet->width = (int)strlen(l->name) + 3;
		return;
	}
	printf("%-*s%-10s%s\n", sheet->width, l->name, l->state, l->desc);
}

/* Whether process WID of watcher NAME is asked for by one of the N targets (none: all). */
static bool asked_for(const struct target *t, int n, const char *name, json_int_t wid)
{
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++)
		if (name_matches(t[i].name, name) && (t[i].wid == 0 || t[i].wid == wid))
			return true;
	return false;
}

/* The status reply's entry of process WID in LIST, or NULL. */
static json_t *process_entry(json_t *list, long wid)
{
	json_t *proc;
	size_t i;

	json_array_foreach(list, i, proc)
		if (json_integer_value(json_object_get(proc, "wid")) == wid &&
		    !json_is_true(json_object_get(proc, "retiring")))
			return proc;
	return NULL;
}

/* Whether a status reply (with processes) knows target T: the watcher, and the process. */
static bool target_known(json_t *reply, const struct target *t)
{
	json_t *processes = json_object_get(reply, "processes"), *list;
	const char *name;

	json_object_foreach(processes, name, list)  /* names are case-insensitive */
		if (name_matches(t->name, name))
			return t->wid == 0 || process_entry(list, t->wid) != NULL;
	return false;
}

static int collect_lines(json_t *processes, json_t *waiting, const char *name,
			 const char *wstate, const struct target *targets, int ntargets,
			 struct status_sheet *sheet)
{
	json_t *list = json_object_get(processes, name), *proc;
	size_t i, count = json_array_size(list);
	const char *waiting_for = json_string_value(json_object_get(waiting, name));
	int not_running = 0;

	if (count == 0) {
		/* No process: a watcher of no process (numprocesses 0), a stopping one, or one whose
		 * start waits for a higher priority level (STARTING, as it is on its way). */
		struct status_line *l = new_line(sheet);
		snprintf(l->name, sizeof(l->name), "%s", shown(name));
		snprintf(l->state, sizeof(l->state), "%s", waiting_for ? "STARTING" :
			 strcmp(wstate, "stopping") == 0 ? "STOPPING" : "STOPPED");
		bool stopping = strcmp(wstate, "stopping") == 0;
		if (waiting_for)
			snprintf(l->desc, sizeof(l->desc), "waiting for %s", shown(waiting_for));
		else if (stopping)
			snprintf(l->desc, sizeof(l->desc), "%s", "Not running");
		else  /* parked, as Circus does it: no process is not running (exit 0) */
			snprintf(l->desc, sizeof(l->desc), "%s", "no processes (numprocesses 0)");
		line_done(sheet);
		return stopping ? 1 : 0;
	}
	/* Stopping, and no process left: what its programs left behind is being stopped. */
	bool sweeping = strcmp(wstate, "stopping") == 0;
	json_array_foreach(list, i, proc)
		sweeping = sweeping && json_object_get(proc, "pid") == NULL;
	json_array_foreach(list, i, proc) {
		const char *state = json_string_value(json_object_get(proc, "state"));
		json_int_t wid = json_integer_value(json_object_get(proc, "wid"));
		if (!asked_for(targets, ntargets, name, wid))
			continue;
		struct status_line *l = new_line(sheet);
		if (count == 1 && wid == 1)
			snprintf(l->name, sizeof(l->name), "%s", shown(name));
		else
			snprintf(l->name, sizeof(l->name), "%s:%lld", shown(name), (long long)wid);
		if (sheet->measuring) {
			line_done(sheet);
			continue;
		}
		snprintf(l->state, sizeof(l->state), "%s", state ? shown(state) : "UNKNOWN");
		describe(l->desc, sizeof(l->desc), l->state, proc);
		if (sweeping && strcmp(l->state, "STOPPED") == 0) {
			/* its process is gone, what it left behind is being stopped (sweep) */
			snprintf(l->state, sizeof(l->state), "STOPPING");
			snprintf(l->desc, sizeof(l->desc), "stopping what its programs left behind");
		}
		if (waiting_for && strcmp(l->state, "STOPPED") == 0) {
			/* its start waits for a higher priority level: on its way */
			snprintf(l->state, sizeof(l->state), "STARTING");
			snprintf(l->desc, sizeof(l->desc), "waiting for %s", shown(waiting_for));
		}
		/* As supervisorctl: STARTING and BACKOFF count as running for the exit code; a job
		 * that finished as expected is no failure either. */
		if (strcmp(l->state, "RUNNING") && strcmp(l->state, "STARTING") &&
		    strcmp(l->state, "BACKOFF") && !finished(l->state, proc))
			not_running++;
		else if (json_is_true(json_object_get(proc, "blocked")))
			not_running++;  /* STARTING, but not by itself: a dependency gave up */
		line_done(sheet);
	}
	return not_running;
}

/* The line of the processes WATCHER's programs left behind (cirqued adopted them), when it has
 * some and the targets ask for the whole watcher. */
static void stray_line(json_t *strays, const char *name, const struct target *targets,
		       int ntargets, struct status_sheet *sheet)
{
	json_t *pids = json_object_get(strays, name), *pid;
	size_t count = json_array_size(pids), i;
	bool asked = ntargets == 0;

	for (int k = 0; k < ntargets; k++)
		asked = asked || (targets[k].wid == 0 && name_matches(targets[k].name, name));
	if (count == 0 || !asked)
		return;
	struct status_line *l = new_line(sheet);
	snprintf(l->name, sizeof(l->name), "%s:stray", shown(name));
	snprintf(l->state, sizeof(l->state), "STRAY");
	snprintf(l->desc, sizeof(l->desc), "%zu process%s left behind: pid%s", count,
		 count == 1 ? "" : "es", count == 1 ? "" : "s");
	json_array_foreach(pids, i, pid) {
		size_t used = strlen(l->desc);
		if (used + 24 >= sizeof(l->desc)) {
			snprintf(l->desc + used, sizeof(l->desc) - used, " ...");
			break;
		}
		snprintf(l->desc + used, sizeof(l->desc) - used, " %lld",
			 (long long)json_integer_value(pid));
	}
	line_done(sheet);
}

/* The status reply with only what the N targets ask for (a copy; all of it when N is 0). */
static json_t *filtered_status(json_t *reply, const struct target *t, int n)
{
	json_t *out = json_copy(reply), *statuses = json_object(), *processes = json_object();
	json_t *strays = json_object(), *state, *proc;
	const char *name;
	size_t i;

	if (n == 0) {
		json_decref(statuses);
		json_decref(processes);
		json_decref(strays);
		return out;
	}
	json_object_foreach(json_object_get(reply, "statuses"), name, state) {
		json_t *kept = json_array();
		bool any = false;
		for (int k = 0; k < n; k++)
			any = any || name_matches(t[k].name, name);
		if (!any) {
			json_decref(kept);
			continue;
		}
		json_object_set(statuses, name, state);
		json_array_foreach(json_object_get(json_object_get(reply, "processes"), name), i, proc)
			if (asked_for(t, n, name, json_integer_value(json_object_get(proc, "wid"))))
				json_array_append(kept, proc);
		json_object_set_new(processes, name, kept);
		json_t *left = json_object_get(json_object_get(reply, "strays"), name);
		if (left)
			json_object_set(strays, name, left);
	}
	json_object_set_new(out, "statuses", statuses);
	json_object_set_new(out, "processes", processes);
	json_object_set_new(out, "strays", strays);
	return out;
}

static void free_targets(struct target *t, int n)
{
	for (int i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

static struct target *parse_targets(int argc, char **argv)
{
	struct target *t = xcalloc((size_t)argc + 1, sizeof(*t));

	for (int i = 0; i < argc; i++)
		t[i] = parse_target(argv[i]);
	return t;
}

static int ctl_status(struct client *c, int argc, char **argv)
{
	json_t *props = json_pack("{s:b}", "processes", 1), *reply;
	struct target *targets = parse_targets(argc, argv);
	struct status_sheet sheet = { .measuring = true, .width = 30 };
	int not_running = 0, rc = EXIT_OK;
	const char *name;
	json_t *state;

	reply = call(c, "status", props, c->timeout < 0 ? 5 : c->timeout);
	if (!reply_ok(reply)) {
		if (c->json)
			print_json(reply);
		else
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
		json_decref(reply);
		free_targets(targets, argc);
		return EXIT_ERROR;
	}
	for (int i = 0; i < argc; i++) {
		if (!target_known(reply, &targets[i])) {
			print_no_such(c->json ? stderr : stdout, argv[i]);
			rc = EXIT_NO_SUCH;
		}
	}
	if (c->json) {
		json_t *out = filtered_status(reply, targets, argc);
		if (rc != EXIT_OK) {  /* what was found is there; the reply says what was not */
			json_object_set_new(out, "status", json_string("error"));
			json_object_set_new(out, "reason", json_string("no such process"));
			json_object_set_new(out, "code", json_string(reply_code_name(REPLY_ENOENT)));
		}
		print_json(out);
		json_decref(out);
		json_decref(reply);
		free_targets(targets, argc);
		return rc;
	}
	json_t *statuses = json_object_get(reply, "statuses");
	json_t *processes = json_object_get(reply, "processes");
	for (int pass = 0; pass < 2; pass++) {
		sheet.measuring = pass == 0;
		json_object_foreach(statuses, name, state) {
			bool wanted = argc == 0;
			for (int i = 0; i < argc && !wanted; i++)
				wanted = name_matches(targets[i].name, name);
			if (!wanted)
				continue;
			int n = collect_lines(processes, json_object_get(reply, "waiting"), name,
					      json_string_value(state), targets, argc, &sheet);
			not_running += sheet.measuring ? 0 : n;
			stray_line(json_object_get(reply, "strays"), name, targets, argc, &sheet);
		}
	}
	free_targets(targets, argc);
	json_decref(reply);
	if (rc != EXIT_OK)
		return rc;
	return not_running ? EXIT_NOT_RUNNING : EXIT_OK;
}

/* --- start / stop / restart / reload ---------------------------------------------------------- */

/* Takes --no-wait out of argv (in place); returns the number of names left. */
static int parse_wait(int argc, char **argv, bool *wait)
{
	int n = 0;

	*wait = true;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--no-wait") == 0 || strcmp(argv[i], "--nowait") == 0)
			*wait = false;
		else
			argv[n++] = argv[i];
	}
	return n;
}

/* The state of target T: for a watcher "active" only when every process runs (or is on its
 * way), so that `start` retries FATAL, EXITED or STOPPED ones ("partly stopped"); for one
 * process its state ("RUNNING", "STOPPED"...). NULL if there is no such watcher or process. */
static char *target_state(struct client *c, const struct target *t)
{
	json_t *reply = call(c, "status", json_pack("{s:s, s:b}", "name", t->name, "processes", 1),
			     5);
	json_t *list = json_object_get(reply, "processes"), *proc;
	char *state = NULL;
	size_t i;

	if (!reply_ok(reply)) {
		json_decref(reply);
		return NULL;
	}
	if (t->wid) {
		proc = process_entry(list, t->wid);
		state = proc ? xstrdup(json_string_value(json_object_get(proc, "state"))) : NULL;
		json_decref(reply);
		return state;
	}
	state = xstrdup(json_string_value(json_object_get(reply, "status")));
	json_array_foreach(list, i, proc) {
		const char *ps = json_string_value(json_object_get(proc, "state"));
		if (strcmp(state, "active") == 0 && ps && (strcmp(ps, "FATAL") == 0 ||
		    strcmp(ps, "EXITED") == 0 || strcmp(ps, "STOPPED") == 0)) {
			free(state);
			state = xstrdup("partly stopped");
			break;
		}
	}
	json_decref(reply);
	return state;
}

/* What became of T's processes once its start (or restart) settled: "" when they run, or how
 * one exited ("exited with status 0 (expected)"). An unexpected exit returns EXIT_ERROR. */
static int start_outcome(struct client *c, const struct target *t, char *out, size_t size)
{
	json_t *reply = call(c, "status", json_pack("{s:s, s:b}", "name", t->name, "processes", 1),
			     5);
	json_t *proc;
	size_t i;
	int rc = EXIT_OK;

	*out = '\0';
	json_array_foreach(reply_ok(reply) ? json_object_get(reply, "processes") : NULL, i, proc) {
		const char *state = json_string_value(json_object_get(proc, "state"));
		json_t *code = json_object_get(proc, "exit_code");
		json_int_t v = json_integer_value(code);
		if (state == NULL || code == NULL ||
		    (t->wid && json_integer_value(json_object_get(proc, "wid")) != t->wid))
			continue;
		if (finished(state, proc) && *out == '\0') {
			snprintf(out, size, "exited with status %lld (expected)%s", (long long)v,
				 strcmp(state, "BACKOFF") == 0 ? ", restarting" : "");
		} else if (strcmp(state, "EXITED") == 0 && !finished(state, proc)) {
			if (v < 0)
				snprintf(out, size, "killed by signal %lld", (long long)-v);
			else
				snprintf(out, size, "exited with status %lld", (long long)v);
			rc = EXIT_ERROR;
			break;
		}
	}
	json_decref(reply);
	return rc;
}

/* What start or stop would do nothing to: supervisorctl's "already started" (RUNNING,
 * STARTING, BACKOFF: running or on its way) and "not running" (STOPPED). Those are no error:
 * exit 0, so that a deploy script may say start (or stop) whatever the state. */
static const char *nothing_to_do(struct client *c, const char *command, const struct target *t)
{
	const char *why = NULL;
	char *state;

	if (strcmp(command, "start") && strcmp(command, "stop"))
		return NULL;
	state = target_state(c, t);
	if (state == NULL)
		return NULL;  /* no such: the daemon says so */
	if (strcmp(command, "start") == 0 &&
	    (t->wid ? strcmp(state, "RUNNING") == 0 || strcmp(state, "STARTING") == 0 ||
		      strcmp(state, "BACKOFF") == 0
		    : strcmp(state, "active") == 0))
		why = "already started";
	if (strcmp(command, "stop") == 0 &&
	    strcmp(state, t->wid ? "STOPPED" : "stopped") == 0)
		why = "not running";
	free(state);
	return why;
}

/* "db: stopped, and before it the watchers that depend on it: web, cache" */
static void print_with_dependents(const char *name, const char *done_word, json_t *names)
{
	size_t i;
	json_t *one;

	printf("%s: %s, and before it the watchers that depend on it:", shown(name), done_word);
	json_array_foreach(names, i, one)
		printf("%s %s", i ? "," : "", shown(json_string_value(one)));
	printf("\n");
}

/* What start, stop, restart and reload say: "web: stopped" once done, "web: stopping" with
 * --no-wait (the command only asked); ALL_NOTE follows "all: ..." */
struct lifecycle_words {
	const char *command, *done, *asked, *all_note;
};

static int lifecycle(struct client *c, const struct lifecycle_words *words, int argc, char **argv)
{
	const char *command = words->command;
	bool wait, dependents = false;
	int names = parse_wait(argc, argv, &wait), rc = EXIT_OK;

	/* stop --dependents: the watchers that depend on it stop first (depends_on) */
	if (strcmp(command, "stop") == 0) {
		int kept = 0;
		for (int i = 0; i < names; i++) {
			if (strcmp(argv[i], "--dependents") == 0 ||
			    strcmp(argv[i], "--with-dependents") == 0)
				dependents = true;
			else
				argv[kept++] = argv[i];
		}
		names = kept;
	}
	double timeout = reply_timeout(c, command, wait);
	const char *done_word = wait ? words->done : words->asked;

	if (names == 0)
		return usage_error(command);
	for (int i = 0; i < names; i++) {
		bool all = strcmp(argv[i], "all") == 0;
		struct target t = parse_target(argv[i]);
		json_t *props = all ? json_object() : target_props(&t);
		const char *why = all || c->json ? NULL : nothing_to_do(c, command, &t);
		if (why) {
			printf("%s: ERROR (%s)\n", shown(argv[i]), why);
			json_decref(props);
			free(t.name);
			continue;
		}
		json_object_set_new(props, "waiting", json_boolean(wait));
		if (dependents)
			json_object_set_new(props, "dependents", json_true());
		json_t *reply = call(c, command, props, timeout);
		json_t *also = json_object_get(reply, "dependents");
		char outcome[200] = "";
		int outcome_rc = EXIT_OK;
		/* A job may be gone already: say how it ended rather than just "started". */
		if (!c->json && !all && wait && reply_ok(reply) &&
		    (strcmp(command, "start") == 0 || strcmp(command, "restart") == 0))
			outcome_rc = start_outcome(c, &t, outcome, sizeof(outcome));
		free(t.name);
		if (c->json)
			print_json(reply);
		else if (outcome_rc != EXIT_OK)
			printf("%s: ERROR (%s)\n", argv[i], outcome);
		else if (reply_ok(reply) && *outcome)
			printf("%s: %s, %s\n", argv[i], done_word, outcome);
		else if (reply_ok(reply) && all)
			printf("all: %s%s\n", done_word, words->all_note ? words->all_note : "");
		else if (reply_ok(reply) && json_array_size(also) > 0)
			print_with_dependents(argv[i], done_word, also);
		else if (reply_ok(reply))
			printf("%s: %s\n", shown(argv[i]), done_word);
		else if (is_no_such(reply))
			print_no_such(stdout, argv[i]);
		else
			printf("%s: ERROR (%s)\n", shown(argv[i]), reply_reason(reply));
		if (!reply_ok(reply))
			rc = reply_rc(reply);
		else if (outcome_rc != EXIT_OK)
			rc = outcome_rc;
		json_decref(reply);
	}
	return rc;
}

static const struct lifecycle_words start_words = { "start", "started", "starting", NULL };
static const struct lifecycle_words stop_words = { "stop", "stopped", "stopping", NULL };
static const struct lifecycle_words restart_words = { "restart", "restarted", "restarting", NULL };
static const struct lifecycle_words reload_words = { "reload", "reloaded", "reloading", NULL };
/* Circus's reload of every watcher is a graceful restart with the definitions the daemon has;
 * supervisorctl's reload re-reads the file: say which one this is. */
static const struct lifecycle_words reload_all_words = {
	"reload", "reloaded", "reloading",
	" (the file was not re-read: `cirquectl update` applies it)"
};

static int ctl_start(struct client *c, int argc, char **argv)
{ return lifecycle(c, &start_words, argc, argv); }
static int ctl_stop(struct client *c, int argc, char **argv)
{ return lifecycle(c, &stop_words, argc, argv); }
static int ctl_restart(struct client *c, int argc, char **argv)
{ return lifecycle(c, &restart_words, argc, argv); }

/* Whether watcher NAME is one of the NAMES a reload was given (all of them when N is 0). */
static bool reload_covers(int n, char **names, const char *name)
{
	for (int i = 0; i < n; i++) {
		struct target t = parse_target(names[i]);
		bool same = strcasecmp(t.name, name) == 0 || strcmp(names[i], "all") == 0;
		free(t.name);
		if (same)
			return true;
	}
	return n == 0;
}

/* For a reload: the watchers it covers whose definition in the file differs from the daemon's
 * ("web, api"), which it does not apply; NULL if none (or the file cannot be read: update will
 * say why). Watchers only the daemon has (added at run time) are left out: the file not
 * knowing them is no edit. */
static char *unapplied_edits(struct client *c, int n, char **names)
{
	json_t *reply = call(c, "reread", NULL, 5), *what;
	const char *name;
	char *list = NULL;

	json_object_foreach(reply_ok(reply) ? json_object_get(reply, "changes") : NULL, name, what) {
		const char *w = json_string_value(what);
		if (w == NULL || strcmp(w, "removed") == 0 || !reload_covers(n, names, name))
			continue;
		char *longer = xasprintf("%s%s%s", list ? list : "", list ? ", " : "", shown(name));
		free(list);
		list = longer;
	}
	json_decref(reply);
	return list;
}

static int ctl_reload(struct client *c, int argc, char **argv)
{
	char *all[] = { "all", "--no-wait", NULL };
	bool no_wait = false;
	char *edits;
	int names, rc;

	names = parse_wait(argc, argv, &no_wait);
	no_wait = !no_wait;
	/* Circus's reload restarts with the definitions the daemon has; an edited file is for
	 * update (supervisorctl's reload re-reads it): say so when they differ. */
	edits = c->json ? NULL : unapplied_edits(c, names, argv);
	if (names > 0) {
		if (no_wait)
			argv[names++] = "--no-wait";
		rc = lifecycle(c, &reload_words, names, argv);
	} else {
		/* No name: every watcher. */
		rc = lifecycle(c, &reload_all_words, no_wait ? 2 : 1, all);
	}
	if (edits)
		fprintf(stderr, "cirquectl: %s: the file's definition differs, and a reload does not "
			"apply it (`cirquectl update` does)\n", edits);
	free(edits);
	return rc;
}

/* --- configuration ---------------------------------------------------------------------------- */

static int print_changes(json_t *changes, const char *verb_added, const char *verb_changed,
			 const char *verb_removed)
{
	const char *name;
	json_t *what;
	int n = 0;

	json_object_foreach(changes, name, what) {
		const char *w = json_string_value(what);
		const char *verb = strcmp(w, "added") == 0 ? verb_added
				 : strcmp(w, "changed") == 0 ? verb_changed : verb_removed;
		printf("%s: %s\n", shown(name), verb);
		n++;
	}
	if (n == 0)
		printf("No config updates to processes\n");
	return n;
}

/* reread's lists of run-time changes, one line per watcher: "NAME: BEFORE opt, opt AFTER". */
static void print_runtime_changes(json_t *by_name, const char *before, const char *after)
{
	const char *name;
	json_t *options, *option;
	size_t i;

	json_object_foreach(by_name, name, options) {
		printf("%s: %s", shown(name), before);
		json_array_foreach(options, i, option)
			printf("%s %s", i ? "," : "", shown(json_string_value(option)));
		printf("%s\n", after);
	}
}

static int ctl_reread(struct client *c, int argc, char **argv)
{
	json_t *reply;
	int rc;

	(void)argc;
	(void)argv;
	rc = simple(c, "reread", NULL, &reply);
	if (!c->json) {
		if (rc == EXIT_OK) {
			print_changes(json_object_get(reply, "changes"), "available", "changed",
				      "disappeared");
			print_runtime_changes(json_object_get(reply, "undone"),
					      "a reload undoes its run-time changes to", "");
			print_runtime_changes(json_object_get(reply, "kept"),
					      "runs with run-time changes to", " (a reload keeps them; "
					      "the file's definition is back when cirqued restarts)");
		} else {
			json_t *errors = json_object_get(reply, "errors"), *e;
			size_t i;
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
			json_array_foreach(errors, i, e)
				fprintf(stderr, "  %s\n", shown(json_string_value(e)));
		}
	}
	json_decref(reply);
	return rc;
}

/* FILE's text, for diff: at most half a control message, whole. NULL with a message said. */
static char *read_config_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 512 * 1024 + 1;  /* half of cirqued's largest message */

	if (f == NULL) {
		fprintf(stderr, "cirquectl: diff: %s: %s\n", shown(path), strerror(errno));
		return NULL;
	}
	text = xmalloc(cap + 1);
	*len = fread(text, 1, cap, f);
	bool failed = ferror(f);
	fclose(f);
	if (failed || *len == cap) {
		fprintf(stderr, "cirquectl: diff: %s: %s\n", shown(path), failed ? "cannot read it"
			: "larger than a control message allows (512 KiB)");
		free(text);
		return NULL;
	}
	text[*len] = '\0';
	return text;
}

/* `diff FILE`: cirqued compares FILE's text (read here, with the reader's rights) with what it
 * runs, and nothing changes; the files FILE includes are not sent. */
static int ctl_diff(struct client *c, int argc, char **argv)
{
	size_t len;
	char *text;
	json_t *reply, *what;
	const char *name;
	int rc;

	(void)argc;
	if ((text = read_config_text(argv[0], &len)) == NULL)
		return EXIT_ERROR;
	json_t *value = json_stringn(text, len);
	bool includes = false;  /* a line "  include:" or "  include_dir:" (not a comment) */
	for (const char *p = text; p && !includes; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		p += strspn(p, " ");
		includes = strncmp(p, "include:", 8) == 0 || strncmp(p, "include_dir:", 12) == 0;
	}
	free(text);
	if (value == NULL) {
		fprintf(stderr, "cirquectl: diff: %s: not UTF-8 text\n", shown(argv[0]));
		return EXIT_ERROR;
	}
	rc = simple(c, "diff", json_pack("{s:o}", "text", value), &reply);
	if (!c->json && rc == EXIT_OK) {
		int n = 0;
		json_object_foreach(json_object_get(reply, "changes"), name, what) {
			json_t *options = json_object_get(json_object_get(reply, "options"), name), *o;
			size_t i;
			printf("%s: %s", shown(name), json_string_value(what));
			json_array_foreach(options, i, o)
				printf("%s%s", i ? ", " : " (", shown(json_string_value(o)));
			printf("%s\n", json_array_size(options) ? ")" : "");
			n++;
		}
		json_object_foreach(json_object_get(reply, "sockets"), name, what) {
			json_t *o;
			size_t i;
			printf("socket %s: %s", shown(name), json_is_string(what) ?
			       json_string_value(what) : "changed");
			json_array_foreach(what, i, o)
				printf("%s%s", i ? ", " : " (", shown(json_string_value(o)));
			printf("%s\n", json_is_array(what) ? ")" : "");
			n++;
		}
		if (n == 0)
			printf("No config updates to processes\n");
		if (includes)
			fprintf(stderr, "cirquectl: diff: %s's include and include_dir files are not "
				"compared: the watchers only they define show as removed\n",
				shown(argv[0]));
		if (n > 0)  /* as diff(1) says "they differ": a script can check for drift */
			rc = EXIT_NOT_RUNNING;
	} else if (!c->json) {
		json_t *e;
		size_t i;
		fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
		json_array_foreach(json_object_get(reply, "errors"), i, e) {
			const char *line = json_string_value(e);
			/* the daemon read the text as "FILE": name the file */
			if (line && strncmp(line, "FILE:", 5) == 0)
				fprintf(stderr, "  %s:%s\n", shown(argv[0]), shown(line + 5));
			else
				fprintf(stderr, "  %s\n", shown(line));
		}
	}
	json_decref(reply);
	return rc;
}

static int ctl_update(struct client *c, int argc, char **argv)
{
	json_t *reply, *changes;
	int rc;

	(void)argc;
	(void)argv;
	rc = simple(c, "reread", NULL, &reply);
	if (rc != EXIT_OK) {
		if (!c->json) {
			json_t *e;
			size_t i;
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
			json_array_foreach(json_object_get(reply, "errors"), i, e)
				fprintf(stderr, "  %s\n", shown(json_string_value(e)));
		}
		json_decref(reply);
		return rc;
	}
	changes = json_incref(json_object_get(reply, "changes"));
	json_decref(reply);
	rc = simple(c, "reloadconfig", NULL, &reply);
	if (!c->json) {
		if (rc == EXIT_OK)
			print_changes(changes, "added", "updated",
				      "stopped");
		else
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	}
	json_decref(changes);
	json_decref(reply);
	return rc;
}

/* --- the other verbs -------------------------------------------------------------------------- */

static long process_count(struct client *c, const char *name);

/* `signal web HUP`: the words the wrong way round. The daemon would blame "HUP" (no such
 * process); the signal comes first. Only when the first word names a watcher: in `signal
 * BOGUS hup`, hup may be a watcher and BOGUS an unknown signal (the daemon says so). */
static bool signal_misplaced(struct client *c, int argc, char **argv)
{
	struct target first;
	bool watcher;

	if (parse_signal(argv[0]) >= 0 || parse_signal(argv[argc - 1]) < 0)
		return false;
	first = parse_target(argv[0]);
	watcher = strcmp(argv[0], "all") == 0 || process_count(c, first.name) >= 0;
	free(first.name);
	if (!watcher)
		return false;
	fprintf(stderr, "usage: cirquectl signal SIG name...: \"%s\" is not a signal (did you "
		"mean: signal %s", shown(argv[0]), shown(argv[argc - 1]));
	for (int i = 0; i < argc - 1; i++)
		fprintf(stderr, " %s", shown(argv[i]));
	fprintf(stderr, "?)\n");
	return true;
}

static int ctl_signal(struct client *c, int argc, char **argv)
{
	int rc = EXIT_OK;

	if (signal_misplaced(c, argc, argv))
		return EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		json_t *list = NULL;
		if (strcmp(argv[i], "all") == 0) {
			json_t *reply;
			if (simple(c, "list", NULL, &reply) == EXIT_OK)
				list = json_incref(json_object_get(reply, "watchers"));
			json_decref(reply);
		} else {
			list = json_pack("[s]", argv[i]);
		}
		size_t k;
		json_t *name;
		json_array_foreach(list, k, name) {
			/* name:wid: that process alone */
			struct target t = parse_target(json_string_value(name));
			json_t *props = target_props(&t);
			free(t.name);
			json_object_set_new(props, "signum", json_string(argv[0]));
			json_t *reply = call(c, "signal", props, c->timeout < 0 ? 5 : c->timeout);
			const char *n = shown(json_string_value(name));
			if (c->json)
				print_json(reply);
			else if (reply_ok(reply))
				printf("%s: signalled\n", n);
			else if (is_no_such(reply))
				print_no_such(stdout, json_string_value(name));
			else
				printf("%s: ERROR (%s)\n", n, reply_reason(reply));
			if (!reply_ok(reply))
				rc = reply_rc(reply);
			json_decref(reply);
		}
		json_decref(list);
	}
	return rc;
}

/* How many processes watcher NAME has, or -1 (no such: the daemon will say so). */
static long process_count(struct client *c, const char *name)
{
	json_t *reply = call(c, "numprocesses", json_pack("{s:s}", "name", name), 5);
	json_t *count = json_object_get(reply, "numprocesses");
	long n = reply_ok(reply) && json_is_integer(count) ? (long)json_integer_value(count) : -1;

	json_decref(reply);
	return n;
}

static int change_count(struct client *c, const char *command, int argc, char **argv)
{
	bool decr = strcmp(command, "decr") == 0;
	json_t *reply;
	long nb = 1, before = -1;
	int rc;

	if (argc == 2 && (parse_long(argv[1], &nb) < 0 || nb <= 0))
		return usage_error(command);
	/* decr beyond the count is refused here (Circus would take it as "down to 0"): a slip for
	 * `decr web 1` must not stop the whole watcher; `stop web` is the word for that. */
	if (decr && !c->json)
		before = process_count(c, argv[0]);
	if (decr && before >= 0 && nb > before) {
		printf("%s: ERROR (it has %ld process%s: cannot remove %ld; `stop %s` stops it)\n",
		       shown(argv[0]), before, before == 1 ? "" : "es", nb, shown(argv[0]));
		return EXIT_ERROR;
	}
	/* The count goes whole: the daemon says what it allows. */
	rc = simple(c, command, json_pack("{s:s, s:I, s:b}", "name", argv[0], "nb", (json_int_t)nb,
					  "waiting", 0), &reply);
	if (!c->json) {
		/* As circusd: a plain ok (the count is the numprocesses command's); a singleton's
		 * count does not change. */
		if (rc == EXIT_OK && json_is_true(json_object_get(reply, "singleton"))) {
			printf("%s: a singleton, not changing the number of processes (%lld)\n",
			       argv[0], json_integer_value(json_object_get(reply, "numprocesses")));
		} else if (rc == EXIT_OK) {
			json_t *count = NULL;
			if (!json_object_get(reply, "numprocesses"))
				simple(c, "numprocesses", json_pack("{s:s}", "name", argv[0]), &count);
			long long n = json_integer_value(json_object_get(count ? count : reply,
									 "numprocesses"));
			printf("%s: %lld process%s\n", argv[0], n, n == 1 ? "" : "es");
			json_decref(count);
		} else
			printf("%s: ERROR (%s)\n", argv[0], is_no_such(reply) ? "no such process"
									  : reply_reason(reply));
	}
	json_decref(reply);
	return rc;
}

static int ctl_incr(struct client *c, int argc, char **argv)
{ return change_count(c, "incr", argc, argv); }
static int ctl_decr(struct client *c, int argc, char **argv)
{ return change_count(c, "decr", argc, argv); }

static int ctl_add(struct client *c, int argc, char **argv)
{
	json_t *reply, *args;
	int rc;

	args = json_array();
	for (int i = 2; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	rc = simple(c, "add", json_pack("{s:s, s:s, s:o, s:b}", "name", argv[0], "cmd", argv[1],
					"args", args, "start", 1), &reply);
	if (!c->json) {
		if (rc == EXIT_OK)
			printf("%s: added\n", argv[0]);
		else
			printf("%s: ERROR (%s)\n", argv[0], reply_reason(reply));
	}
	json_decref(reply);
	return rc;
}

static int ctl_remove(struct client *c, int argc, char **argv)
{
	int rc = EXIT_OK, names = 0;
	bool nostop = false;

	/* --nostop (Circus's): the processes keep running, unsupervised. Checked before
	 * anything is removed: a mistyped option is not a watcher's name. */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--nostop") == 0) {
			nostop = true;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "cirquectl: remove: unknown option '%s' (remove [--nostop] "
				"name...)\n", argv[i]);
			return EXIT_USAGE;
		} else {
			argv[names++] = argv[i];
		}
	}
	if (names == 0) {
		fprintf(stderr, "cirquectl: remove: which watcher? (remove [--nostop] name...)\n");
		return EXIT_USAGE;
	}
	for (int i = 0; i < names; i++) {
		json_t *reply = call(c, "rm", json_pack("{s:s, s:b, s:b}", "name", argv[i], "waiting",
							1, "nostop", nostop),
				     reply_timeout(c, "rm", true));
		if (c->json)
			print_json(reply);
		else if (reply_ok(reply))
			printf("%s: removed%s\n", argv[i], nostop ? ", its processes left running" : "");
		else
			printf("%s: ERROR (%s)\n", argv[i], is_no_such(reply) ? "no such process"
									    : reply_reason(reply));
		if (!reply_ok(reply))
			rc = is_no_such(reply) ? EXIT_NO_SUCH : EXIT_ERROR;
		json_decref(reply);
	}
	return rc;
}

static int ctl_pid(struct client *c, int argc, char **argv)
{
	json_t *reply, *pid;
	size_t i;
	int rc;

	if (argc == 0) {
		rc = simple(c, "dstats", NULL, &reply);
		if (!c->json && rc == EXIT_OK)
			printf("%lld\n", (long long)json_integer_value(
				json_object_get(json_object_get(reply, "info"), "pid")));
		json_decref(reply);
		return rc;
	}
	rc = simple(c, "list", json_pack("{s:s}", "name", argv[0]), &reply);
	if (!c->json) {
		if (rc == EXIT_OK)
			json_array_foreach(json_object_get(reply, "pids"), i, pid)
				printf("%lld\n", (long long)json_integer_value(pid));
		else
			printf("%s: ERROR (no such process)\n", argv[0]);
	}
	json_decref(reply);
	return rc;
}

static int ctl_get(struct client *c, int argc, char **argv)
{
	json_t *reply, *keys = json_array(), *value;
	const char *key;
	int rc;

	for (int i = 1; i < argc; i++)
		json_array_append_new(keys, json_string(argv[i]));
	if (argc == 1) {  /* every option: Circus's options command */
		json_decref(keys);
		rc = simple(c, "options", json_pack("{s:s}", "name", argv[0]), &reply);
	} else {
		rc = simple(c, "get", json_pack("{s:s, s:o}", "name", argv[0], "keys", keys),
			    &reply);
	}
	if (!c->json) {
		if (rc == EXIT_OK) {
			json_object_foreach(json_object_get(reply, "options"), key, value) {
				char *text = json_dumps(value, JSON_ENCODE_ANY);
				if (json_is_string(value))
					printf("%s: %s\n", shown(key), shown(json_string_value(value)));
				else
					printf("%s: %s\n", shown(key), text ? shown(text) : "?");
				free(text);
			}
		} else if (is_no_such(reply)) {
			print_no_such(stderr, argv[0]);
		} else {
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
		}
	}
	json_decref(reply);
	return rc;
}

static int ctl_set(struct client *c, int argc, char **argv)
{
	json_t *reply;
	int rc;

	(void)argc;  /* 3 (commands.def) */
	/* Values are passed as text (a mapping or list written in YAML's flow style as such): the
	 * daemon validates them as it does the file's. */
	json_t *value = ctl_flow_value(argv[2]);
	rc = simple(c, "set", json_pack("{s:s, s:{s:o}}", "name", argv[0], "options", argv[1],
					value ? value : json_string(argv[2])), &reply);
	if (!c->json) {
		if (rc == EXIT_OK)
			printf("%s: %s set to %s\n", argv[0], argv[1], argv[2]);
		else if (is_no_such(reply))
			print_no_such(stderr, argv[0]);
		else
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	}
	json_decref(reply);
	return rc;
}

/* One watcher's rows of the stats table, by wid. PROCS: {pid: info}, each info with its wid. */
static void print_stats_rows(const char *wname, json_t *procs)
{
	size_t n = json_object_size(procs), k = 0;
	json_t **infos = xmalloc(sizeof(*infos) * (n ? n : 1)), *info;
	const char *pid;

	json_object_foreach(procs, pid, info)
		infos[k++] = info;
	for (size_t i = 1; i < n; i++)  /* insertion sort: few processes */
		for (size_t j = i; j > 0 && json_integer_value(json_object_get(infos[j - 1], "wid")) >
					  json_integer_value(json_object_get(infos[j], "wid")); j--) {
			json_t *swap = infos[j];
			infos[j] = infos[j - 1];
			infos[j - 1] = swap;
		}
	for (size_t i = 0; i < n; i++) {
		char age[64];
		info = infos[i];
		format_uptime(age, sizeof(age), json_real_value(json_object_get(info, "age")));
		printf("%-24s %4lld %8lld %6.1f %6.1f %8s %10s %s\n", shown(wname),
		       (long long)json_integer_value(json_object_get(info, "wid")),
		       (long long)json_integer_value(json_object_get(info, "pid")),
		       json_real_value(json_object_get(info, "cpu")),
		       json_real_value(json_object_get(info, "mem")),
		       shown(json_string_value(json_object_get(info, "mem_info1"))), age,
		       shown(json_string_value(json_object_get(info, "cmdline"))));
	}
	free(infos);
}

/* "12.3M" */
static void human_bytes(char *out, size_t size, double bytes)
{
	static const char units[] = "BKMGT";
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, size, u == 0 ? "%.0f%c" : "%.1f%c", bytes, units[u]);
}

/* The row of WNAME's whole cgroup: every process in it (strays and children included). */
static void print_cgroup_row(const char *wname, json_t *cg)
{
	char rss[32], what[300];
	json_t *cpu = json_object_get(cg, "cpu_seconds");

	if (cg == NULL)
		return;
	human_bytes(rss, sizeof(rss), (double)json_integer_value(json_object_get(cg, "memory")));
	snprintf(what, sizeof(what), "cgroup %s: %lld process%s", shown(json_string_value(
		 json_object_get(cg, "path"))), (long long)json_integer_value(json_object_get(cg,
		 "processes")), json_integer_value(json_object_get(cg, "processes")) == 1 ? "" : "es");
	if (json_is_number(cpu))
		snprintf(what + strlen(what), sizeof(what) - strlen(what), ", %.2f s of CPU",
			 json_number_value(cpu));
	printf("%-24s %4s %8s %6s %6s %8s %10s %s\n", shown(wname), "all", "-", "-", "-", rss, "-",
	       what);
}

/* The stats of target T into INFOS ({watcher: {pid: info}}) and CGROUPS ({watcher: cgroup});
 * the reply's exit code. */
static int stats_of(struct client *c, const char *arg, json_t *infos, json_t *cgroups)
{
	struct target t = parse_target(arg);
	json_t *reply = call(c, "stats", target_props(&t), c->timeout < 0 ? 5 : c->timeout);
	json_t *info = json_object_get(reply, "info"), *procs = json_object_get(infos, t.name);
	int rc = reply_rc(reply);

	if (rc != EXIT_OK) {
		if (is_no_such(reply))
			print_no_such(stderr, arg);
		else
			fprintf(stderr, "%s: ERROR (%s)\n", shown(arg), reply_reason(reply));
	} else {
		if (procs == NULL)
			json_object_set_new(infos, t.name, procs = json_object());
		if (json_object_get(reply, "process")) {  /* one process: its info alone */
			char key[32];
			snprintf(key, sizeof(key), "%lld",
				 (long long)json_integer_value(json_object_get(reply, "process")));
			json_object_set(procs, key, info);
		} else {
			json_object_update(procs, info);
			if (json_object_get(reply, "cgroup"))
				json_object_set(cgroups, t.name, json_object_get(reply, "cgroup"));
		}
	}
	json_decref(reply);
	free(t.name);
	return rc;
}

static int ctl_stats(struct client *c, int argc, char **argv)
{
	json_t *reply, *infos, *procs, *cgroups;
	const char *wname;
	int rc = EXIT_OK;

	if (argc == 0) {
		rc = simple(c, "stats", NULL, &reply);
		if (c->json || rc != EXIT_OK) {
			if (!c->json)
				fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
			json_decref(reply);
			return rc;
		}
		infos = json_incref(json_object_get(reply, "infos"));
		cgroups = json_object_get(reply, "cgroups") ? json_incref(json_object_get(reply,
			"cgroups")) : json_object();
		json_decref(reply);
	} else {
		infos = json_object();
		cgroups = json_object();
		for (int i = 0; i < argc; i++) {
			int one = stats_of(c, argv[i], infos, cgroups);
			if (one != EXIT_OK)
				rc = one;
		}
		if (c->json) {
			reply = json_pack("{s:s, s:O, s:O}", "status", rc == EXIT_OK ? "ok" : "error",
					  "infos", infos, "cgroups", cgroups);
			if (rc != EXIT_OK)
				json_object_set_new(reply, "reason", json_string(
					rc == EXIT_NO_SUCH ? "no such process" : "stats failed"));
			print_json(reply);
			json_decref(reply);
			json_decref(infos);
			json_decref(cgroups);
			return rc;
		}
	}
	if (argc == 0 || json_object_size(infos) > 0)
		printf("%-24s %4s %8s %6s %6s %8s %10s %s\n", "NAME", "WID", "PID", "CPU%", "MEM%",
		       "RSS", "AGE", "CMDLINE");
	json_object_foreach(infos, wname, procs) {
		print_stats_rows(wname, procs);
		print_cgroup_row(wname, json_object_get(cgroups, wname));
	}
	json_decref(infos);
	json_decref(cgroups);
	return rc;
}

/* The daemon's listening sockets (listsockets), one per line: "web  127.0.0.1:8080  fd 5". */
static int ctl_sockets(struct client *c, int argc, char **argv)
{
	json_t *reply, *sock;
	size_t i;
	int rc;

	(void)argc;
	(void)argv;
	rc = simple(c, "listsockets", NULL, &reply);
	if (c->json || rc != EXIT_OK) {
		if (!c->json)
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
		json_decref(reply);
		return rc;
	}
	json_array_foreach(json_object_get(reply, "sockets"), i, sock) {
		char where[300];
		const char *path = json_string_value(json_object_get(sock, "path"));
		const char *host = json_string_value(json_object_get(sock, "host"));
		if (path)
			snprintf(where, sizeof(where), "%s", shown(path));
		else
			snprintf(where, sizeof(where), strchr(host ? host : "", ':') ? "[%s]:%lld"
										  : "%s:%lld",
				 host ? shown(host) : "?",
				 (long long)json_integer_value(json_object_get(sock, "port")));
		printf("%-24s %-40s fd %lld, backlog %lld\n",
		       shown(json_string_value(json_object_get(sock, "name"))), where,
		       (long long)json_integer_value(json_object_get(sock, "fd")),
		       (long long)json_integer_value(json_object_get(sock, "backlog")));
	}
	json_decref(reply);
	return rc;
}

static int ctl_version(struct client *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	printf("%s\n", CIRQUE_VERSION);
	return EXIT_OK;
}

static int ctl_shutdown(struct client *c, int argc, char **argv)
{
	json_t *reply;
	int rc;

	(void)argc;
	(void)argv;
	const char *why = NULL;
	reply = try_call(c, "quit", json_pack("{s:b}", "waiting", 1),
			 reply_timeout(c, "quit", true), &why, &rc);
	if (reply == NULL && why && strncmp(why, "the connection closed", 21) == 0) {
		/* its answer lost as it went: what was asked happened */
		printf("Shut down\n");
		return EXIT_OK;
	}
	if (reply == NULL)
		no_reply(c, why, rc);
	rc = reply_ok(reply) ? EXIT_OK : EXIT_ERROR;
	if (c->json)
		print_json(reply);
	else if (rc == EXIT_OK)
		printf("Shut down\n");
	else
		fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	json_decref(reply);
	return rc;
}

/* The daemon's re-exec generation, or -1 when it does not answer within TIMEOUT. */
static long reexec_generation(struct client *c, double timeout, json_t **status)
{
	const char *why = NULL;
	int rc;
	json_t *reply = try_call(c, "reexec", json_pack("{s:b}", "status", 1), timeout, &why, &rc);
	long generation = reply && reply_ok(reply)
			  ? (long)json_integer_value(json_object_get(reply, "generation")) : -1;

	if (status)
		*status = reply;
	else
		json_decref(reply);
	return generation;
}

/* reexec: the daemon checks the binary on disk, then execs it keeping every process; the reply
 * comes before the exec, so this waits for the new image to answer with the next generation. */
static int ctl_reexec(struct client *c, int argc, char **argv)
{
	bool check = argc > 0 && strcmp(argv[0], "--check") == 0;
	double began = now();
	json_t *reply, *status = NULL;

	if (argc > 0 && !check) {
		fprintf(stderr, "cirquectl: reexec takes only --check\n");
		return EXIT_USAGE;
	}
	unsigned long disconnects = c->disconnects;
	reply = call(c, "reexec", json_pack("{s:b}", "check", check), 60);
	if (!reply_ok(reply) || check) {
		int rc = reply_ok(reply) ? EXIT_OK : EXIT_ERROR;
		if (c->json)
			print_json(reply);
		else if (rc == EXIT_OK)
			printf("%s\n", shown(json_string_value(json_object_get(reply, "result"))));
		else
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
		json_decref(reply);
		return rc;
	}
	long expected = (long)json_integer_value(json_object_get(reply, "generation"));
	long generation = -1;
	/* The old image closes the connection as it goes: wait for that first, so that the next
	 * request goes to the new image (and not into a connection about to close). */
	for (double until = now() + 2; c->monitor && c->disconnects == disconnects &&
	     now() < until;) {
		zmq_pollitem_t item = { c->monitor, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(&item, 1, 50) > 0)
			(void)connection_closed(c);
	}
	while (now() - began < 60 && (generation = reexec_generation(c, 2, &status)) < expected) {
		const char *last = json_string_value(json_object_get(status, "last_result"));
		if (generation >= 0 && !json_is_true(json_object_get(status, "busy")) && last &&
		    *last) {
			fprintf(stderr, "ERROR: %s\n", shown(last));
			json_decref(status);
			json_decref(reply);
			return EXIT_ERROR;
		}
		json_decref(status);
		status = NULL;
	}
	int rc = generation >= expected ? EXIT_OK : EXIT_NO_ANSWER;
	if (c->json) {
		json_object_set_new(status, "seconds", json_real(now() - began));
		print_json(status);
	} else if (rc == EXIT_OK) {
		printf("cirqued %s re-executed from %s (generation %ld): every process kept; the "
		       "exec took %.0f ms, the control socket was unanswered for %.0f ms\n",
		       shown(json_string_value(json_object_get(status, "version"))),
		       shown(json_string_value(json_object_get(reply, "binary"))), generation,
		       json_number_value(json_object_get(status, "last_ms")),
		       json_number_value(json_object_get(status, "last_unanswered_ms")));
	} else {
		fprintf(stderr, "cirquectl: cirqued did not answer after its re-exec (see its log)\n");
	}
	json_decref(status);
	json_decref(reply);
	return rc;
}

/* The PUB endpoint, from the daemon itself (its globaloptions). */
char *pubsub_endpoint(struct client *c)
{
	json_t *reply = call(c, "globaloptions", NULL, 5);
	const char *ep = json_string_value(json_object_get(json_object_get(reply, "options"),
							   "pubsub_endpoint"));
	char *out = ep ? xstrdup(ep) : default_endpoint("events.sock");

	json_decref(reply);
	return out;
}

/* tail: what to show, from the command line. */
struct tail_options {
	bool follow;                  /* -f: then the live output */
	bool stderr_stream;           /* --stderr */
	bool raw;                     /* --raw: the bytes as they are, control characters too */
	long lines;                   /* -n */
	long wid;                     /* name:wid, 0 for every process */
	char *name;                   /* malloc'd */
	bool prefix;                  /* "name:wid | " before each line: the output mixes them */
};

/* Returns -1 on a usage error. */
static int parse_tail_options(int argc, char **argv, struct tail_options *o)
{
	const char *spec = NULL, *count = NULL;

	*o = (struct tail_options){ .lines = 10 };
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0)
			o->follow = true;
		else if (strcmp(argv[i], "--stderr") == 0)
			o->stderr_stream = true;
		else if (strcmp(argv[i], "--raw") == 0)
			o->raw = true;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			count = argv[++i];
		else if (strncmp(argv[i], "-n", 2) == 0 && argv[i][2])
			count = argv[i] + 2;
		else if (spec == NULL && argv[i][0] != '-')
			spec = argv[i];
		else
			return -1;
	}
	if (spec == NULL || (count && (parse_long(count, &o->lines) < 0 || o->lines < 0)))
		return -1;
	o->name = xstrdup(spec);
	char *colon = strrchr(o->name, ':');
	if (colon) {
		*colon = '\0';
		if (parse_long(colon + 1, &o->wid) < 0 || o->wid < 0) {
			free(o->name);
			return -1;
		}
	}
	return o->name ? 0 : -1;
}

/* Writes LEN bytes of a child's output: as they are with --raw, else escaped (newlines and
 * tabs kept: they are the layout). */
static void write_output(const char *data, size_t len, bool raw, unsigned keep)
{
	char *escaped;

	if (raw) {
		fwrite(data, 1, len, stdout);
		return;
	}
	escaped = text_escape_dup(data, len, keep);
	if (escaped)
		fputs(escaped, stdout);
	free(escaped);
}

/* When the output mixes processes, each line says whose it is, named as status names it. */
static void print_prefix(const struct tail_options *o, long wid)
{
	if (o->prefix)
		printf("%s:%ld | ", shown(o->name), wid);
}

/* One line of tail's reply: base64 (every byte) or, from an older daemon, text. */
static void print_tail_line(const struct tail_options *o, json_t *line, long wid, bool base64)
{
	const char *data = json_string_value(line);
	size_t len = json_string_length(line);
	char *bytes = NULL;

	if (data && base64)
		data = bytes = base64_decode(data, &len);
	if (data == NULL)
		return;
	print_prefix(o, wid);
	write_output(data, len, o->raw, TEXT_KEEP_TAB);
	putchar('\n');
	free(bytes);
}

/* tail -f gets output in pieces, cut anywhere. Unprefixed, the start of a UTF-8 character cut
 * at the end of a piece is held for the next piece of that process, so as not to be shown as
 * escapes; prefixed, each process's line is held until it is whole (or too long to wait for),
 * so that lines of different processes never run into each other. */
#define FOLLOW_CARRIES 64
#define FOLLOW_LINE_LIMIT (64 * 1024)
struct follow_carry {
	long wid;
	size_t len;
	char bytes[4];
	char *line;                   /* prefixed: the line so far */
	size_t line_len, line_cap;
};

static struct follow_carry *carry_for(struct follow_carry *carries, long wid)
{
	for (int i = 0; i < FOLLOW_CARRIES; i++)
		if (carries[i].wid == wid)
			return &carries[i];
	for (int i = 0; i < FOLLOW_CARRIES; i++) {
		if (carries[i].len == 0 && carries[i].line_len == 0) {
			carries[i].wid = wid;
			return &carries[i];
		}
	}
	return NULL;  /* so many processes hold a cut character: this piece is shown without */
}

static void print_piece(struct follow_carry *carry, const char *data, size_t len, bool raw)
{
	size_t held = carry ? carry->len : 0, total = held + len, keep;
	char *joined;

	if (raw) {
		write_output(data, len, true, 0);
		return;
	}
	joined = xmalloc(total);
	memcpy(joined, carry ? carry->bytes : "", held);
	memcpy(joined + held, data, len);
	keep = carry ? text_incomplete_tail(joined, total) : 0;
	write_output(joined, total - keep, false, TEXT_KEEP_TAB | TEXT_KEEP_NEWLINE);
	if (carry) {
		memcpy(carry->bytes, joined + total - keep, keep);
		carry->len = keep;
	}
	free(joined);
}

/* "stream.<name>.": watcher names are case-insensitive, their topics lower-cased (events.h). */
static size_t stream_topic(char *out, size_t size, const char *name)
{
	size_t n = (size_t)snprintf(out, size, "stream.%s.", name);

	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return n < size ? n : size - 1;
}

static void print_held_line(const struct tail_options *o, struct follow_carry *carry)
{
	print_prefix(o, carry->wid);
	write_output(carry->line, carry->line_len, false, TEXT_KEEP_TAB);
	putchar('\n');
	carry->line_len = 0;
}

static void print_prefixed_piece(const struct tail_options *o, struct follow_carry *carry,
				 long wid, const char *data, size_t len)
{
	if (carry == NULL) {  /* nowhere to hold it: shown as it comes */
		print_prefix(o, wid);
		write_output(data, len, false, TEXT_KEEP_TAB | TEXT_KEEP_NEWLINE);
		putchar('\n');
		return;
	}
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		if (carry->line_len + n > carry->line_cap) {
			carry->line_cap = carry->line_len + n + 256;
			carry->line = xreallocarray(carry->line, carry->line_cap, 1);
		}
		memcpy(carry->line + carry->line_len, data, n);
		carry->line_len += n;
		if (nl || carry->line_len >= FOLLOW_LINE_LIMIT)
			print_held_line(o, carry);
		data += nl ? n + 1 : n;
		len -= nl ? n + 1 : n;
	}
}

/* Follows stream.<name>.<wid>.<stream> topics until Ctrl-C (0) or the daemon's end (7). */
static int follow(struct tail_options *o, const char *stream, struct follower *f)
{
	struct follow_carry carries[FOLLOW_CARRIES] = { 0 };
	char prefix[300];
	size_t prefix_len;
	int got_one, rc = EXIT_OK;

	prefix_len = stream_topic(prefix, sizeof(prefix), o->name);
	for (int i = 0; i < FOLLOW_CARRIES; i++)
		carries[i].wid = -1;
	for (;;) {
		zmq_msg_t topic, data;
		if ((got_one = follower_next(f, &topic, &data)) <= 0) {
			rc = got_one < 0 ? EXIT_UNREACHABLE : EXIT_OK;
			break;
		}
		/* topic: stream.<name>.<wid>.<stdout|stderr> */
		const char *t = zmq_msg_data(&topic);
		size_t tlen = zmq_msg_size(&topic);
		char rest[64];
		if (tlen > prefix_len && tlen - prefix_len < sizeof(rest) &&
		    memcmp(t, prefix, prefix_len) == 0) {
			memcpy(rest, t + prefix_len, tlen - prefix_len);
			rest[tlen - prefix_len] = '\0';
			char *dot = strchr(rest, '.');
			long got = strtol(rest, NULL, 10);
			if (dot && strcmp(dot + 1, stream) == 0 && (o->wid == 0 || o->wid == got)) {
				/* A second process showed up: from now on, whose line is whose. */
				if (o->wid == 0 && got != 1 && !o->raw)
					o->prefix = true;
				if (o->prefix)
					print_prefixed_piece(o, carry_for(carries, got), got,
							     zmq_msg_data(&data), zmq_msg_size(&data));
				else
					print_piece(carry_for(carries, got), zmq_msg_data(&data),
						    zmq_msg_size(&data), o->raw);
				fflush(stdout);
			}
		}
		zmq_msg_close(&topic);
		zmq_msg_close(&data);
	}
	for (int i = 0; i < FOLLOW_CARRIES; i++) {  /* characters and lines never completed */
		write_output(carries[i].bytes, carries[i].len, o->raw, 0);
		if (carries[i].line_len)
			print_held_line(o, &carries[i]);
		free(carries[i].line);
	}
	fflush(stdout);
	return rc;
}

/* Whether the lines of the reply come from more than one process (or the watcher runs more
 * than one): then each line is prefixed with its process, unless --raw or a wid was asked. */
static bool output_mixes_processes(const struct tail_options *o, json_t *reply)
{
	json_t *wid;
	size_t i;

	if (o->wid != 0 || o->raw)
		return false;
	if (json_integer_value(json_object_get(reply, "numprocesses")) > 1)
		return true;
	json_array_foreach(json_object_get(reply, "wids"), i, wid)
		if (json_integer_value(wid) != 1)
			return true;
	return false;
}

/* The tail reply's error (said unless --json): 4 for no such watcher or process, else 1. */
static int tail_error(const struct tail_options *o, json_t *reply, bool say)
{
	bool no_process = reply_code_parse(json_string_value(json_object_get(reply, "code"))) ==
			  REPLY_ESRCH;

	if (say && o->wid)
		fprintf(stderr, "%s:%ld: ERROR (%s)\n", shown(o->name), o->wid,
			is_no_such(reply) || no_process ? "no such process" : reply_reason(reply));
	else if (say)
		fprintf(stderr, "%s: ERROR (%s)\n", shown(o->name),
			is_no_such(reply) ? "no such process" : reply_reason(reply));
	return is_no_such(reply) || no_process ? EXIT_NO_SUCH : EXIT_ERROR;
}

static int ctl_tail(struct client *c, int argc, char **argv)
{
	struct tail_options o;
	struct follower *f = NULL;
	json_t *reply, *line;
	size_t i;
	int rc;

	if (parse_tail_options(argc, argv, &o) < 0)
		return usage_error("tail");
	const char *stream = o.stderr_stream ? "stderr" : "stdout";
	if (o.follow) {
		char topic[300];
		const char *topics[] = { topic, NULL };
		stream_topic(topic, sizeof(topic), o.name);
		f = follower_open(c, topics);
	}
	/* base64 carries every byte a child wrote; --json shows the lines as text. */
	json_t *props = json_pack("{s:s, s:I, s:s, s:I, s:s}", "name", o.name, "wid",
				  (json_int_t)o.wid, "stream", stream, "lines", (json_int_t)o.lines,
				  "encoding", c->json ? "text" : "base64");
	if (f)  /* the daemon marks, on our topic, where its answer's lines end */
		json_object_set_new(props, "mark", json_string(follower_mark(f)));
	rc = simple(c, "tail", props, &reply);
	if (rc == EXIT_OK && !c->json) {
		const char *encoding = json_string_value(json_object_get(reply, "encoding"));
		bool base64 = encoding && strcmp(encoding, "base64") == 0;
		json_t *wids = json_object_get(reply, "wids");
		o.prefix = output_mixes_processes(&o, reply);
		json_array_foreach(json_object_get(reply, "lines"), i, line)
			print_tail_line(&o, line, (long)json_integer_value(json_array_get(wids, i)),
					base64);
		fflush(stdout);
	} else if (rc != EXIT_OK) {
		rc = tail_error(&o, reply, !c->json);
	}
	const char *carrier = json_string_value(json_object_get(reply, "stream"));
	char *follow_stream = xstrdup(carrier ? carrier : stream);
	json_decref(reply);
	if (rc == EXIT_OK && o.follow) {
		follower_skip_to_mark(f);
		fprintf(stderr, "==> Press Ctrl-C to exit <==\n");
		rc = follow(&o, follow_stream, f);
	}
	free(follow_stream);
	follower_close(f);
	free(o.name);
	return rc;
}

static int ctl_reopen(struct client *c, int argc, char **argv)
{
	int rc;

	(void)argc;
	(void)argv;
	rc = simple(c, "reopen", NULL, NULL);
	if (rc == EXIT_OK && !c->json)
		printf("log files reopened\n");
	return rc;
}

/* A new CURVE key pair: the public key goes in the daemon's curve_allowed_clients (or is the
 * daemon's server key), the secret key into a file readable only by its owner. */
static int ctl_keygen(struct client *c, int argc, char **argv)
{
	char public_key[CURVE_KEY_LEN + 1], secret[CURVE_KEY_LEN + 1];

	(void)c;
	(void)argc;
	(void)argv;
	if (zmq_curve_keypair(public_key, secret) < 0) {
		fprintf(stderr, "cirquectl: cannot make a key pair: %s\n", zmq_strerror(zmq_errno()));
		return EXIT_ERROR;
	}
	printf("public: %s\nsecret: %s\n", public_key, secret);
	return EXIT_OK;
}

static int ctl_help(struct client *c, int argc, char **argv);

static const struct verb {
	const char *command;          /* the protocol command, NULL for a verb of cirquectl alone */
	unsigned flags;               /* the command's (enum command_flags) */
	const char *name;             /* NULL: the command is no verb */
	int (*run)(struct client *c, int argc, char **argv);
	int min_args, max_args;       /* max -1: any number */
	const char *usage, *help;
} verbs[] = {
#define CMD(name, flags, prop, prop_type, verb, cli, min, max, usage, help) \
	{ #name, flags, verb, cli, min, max, usage, help },
#define VERB(verb, cli, min, max, usage, help) \
	{ NULL, 0, verb, cli, min, max, usage, help },
#include "commands.def"
#undef CMD
#undef VERB
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static const struct verb *find_verb(const char *name)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (verbs[i].name && strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

int usage_error(const char *verb)
{
	fprintf(stderr, "usage: cirquectl %s\n", find_verb(verb)->usage);
	return EXIT_USAGE;
}

/* The verb that sends protocol command COMMAND ("remove" for rm), or COMMAND. */
static const char *verb_of(const char *command)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (verbs[i].command && verbs[i].name && strcmp(verbs[i].command, command) == 0)
			return verbs[i].name;
	return command;
}

/* Whether COMMAND may wait for what it asked to be done (a stop, a start...). */
static bool is_waitable(const char *command)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (verbs[i].command && strcmp(verbs[i].command, command) == 0)
			return verbs[i].flags & CMD_WAITABLE;
	return false;
}

/* How long to wait for the reply to COMMAND: --timeout, else as long as a waiting command may
 * take (an hour), else 5 s. */

static double reply_timeout(const struct client *c, const char *command, bool wait)
{
	if (c->timeout >= 0)
		return c->timeout;
	for (size_t i = 0; i < NVERBS; i++)
		if (verbs[i].command && strcmp(verbs[i].command, command) == 0)
			return wait && (verbs[i].flags & CMD_WAITABLE) ? 3600 : 5;
	return 5;
}

const char *const *verb_names(void)
{
	static const char *names[NVERBS + 1];

	if (names[0] == NULL) {
		size_t n = 0;
		for (size_t i = 0; i < NVERBS; i++)
			if (verbs[i].name)
				names[n++] = verbs[i].name;
		names[n] = NULL;
	}
	return names;
}

/* The verbs, one per line: help's list (and, with USAGE, the usage text of each). */
static void list_verbs(FILE *out, bool usage)
{
	for (size_t i = 0; i < NVERBS; i++) {
		if (verbs[i].name == NULL)
			continue;
		if (!usage)
			fprintf(out, "%s\n", verbs[i].name);
		else if (verbs[i].help)
			fprintf(out, "  %-26s  %s\n", verbs[i].usage, verbs[i].help);
		else
			fprintf(out, "  %s\n", verbs[i].usage);
	}
}

static int ctl_help(struct client *c, int argc, char **argv)
{
	(void)c;
	if (argc == 1) {  /* help stop: that command's usage and help, as supervisorctl */
		const struct verb *v = find_verb(argv[0]);
		if (v == NULL) {
			fprintf(stderr, "cirquectl: unknown command '%s' (try 'cirquectl help')\n",
				shown(argv[0]));
			return EXIT_USAGE;
		}
		printf("%s\n", v->usage);
		if (v->help)
			printf("  %s\n", v->help);
		return EXIT_OK;
	}
	printf("commands:\n");
	list_verbs(stdout, true);
	return EXIT_OK;
}

int run_verb(struct client *c, int argc, char **argv)
{
	const struct verb *v = find_verb(argv[0]);

	if (v == NULL) {
		const char *names[NVERBS];
		size_t n = 0;
		for (size_t i = 0; i < NVERBS; i++)
			if (verbs[i].name)
				names[n++] = verbs[i].name;
		const char *hint = did_you_mean(argv[0], names, n);
		fprintf(stderr, "cirquectl: unknown command '%s'%s (try 'help')\n", shown(argv[0]),
			hint);
		return EXIT_USAGE;
	}
	if (v->max_args == 0 && argc > 1) {  /* `update web`, `shutdown now`: never ignored */
		fprintf(stderr, "cirquectl: %s takes no arguments ('%s' was given)\n", v->name,
			shown(argv[1]));
		return usage_error(v->name);
	}
	if (argc - 1 < v->min_args || (v->max_args >= 0 && argc - 1 > v->max_args))
		return usage_error(v->name);
	int rc = v->run(c, argc - 1, argv + 1);
	flush_json();
	return rc;
}

static int take_late_options(struct client *c, int argc, char **argv);
static int choose_endpoint(struct client *c);

/* One line of the shell: its options (`status web --json`) hold for that line alone; with
 * another endpoint or key, over a connection of its own. */
int run_line(struct client *c, int argc, char **argv)
{
	/* On the heap: still valid when a failed request jumps back here (end_command). */
	struct client *line = xmalloc(sizeof(*line));
	sigjmp_buf back;
	int n, rc;
	bool elsewhere;

	*line = *c;
	n = take_late_options(line, argc, argv);
	if (n >= 0 && line->endpoint != c->endpoint)
		line->endpoint_from = "--endpoint";
	else if (n >= 0 && line->config_file != c->config_file) {
		/* `status -c other.yaml`: that file's endpoint */
		line->endpoint = NULL;
		line->endpoint_from = NULL;
		n = choose_endpoint(line) >= 0 ? -1 - EXIT_USAGE : n;
	}
	elsewhere = line->endpoint != c->endpoint || line->curve_server_key != c->curve_server_key ||
		    line->curve_secret_file != c->curve_secret_file;
	if (n < 0) {
		free(line);
		return -1 - n;
	}
	if (elsewhere) {
		line->ctx = line->socket = line->monitor = NULL;
		line->guessed_endpoint = false;
	}
	/* No answer, no daemon, Ctrl-C: that line is over, the shell goes on. */
	rc = sigsetjmp(back, 1);
	if (rc == 0) {
		command_abort = &back;
		rc = n > 0 ? run_verb(line, n, argv) : EXIT_OK;
	}
	command_abort = NULL;
	if (elsewhere) {
		client_close(line);
	} else {
		c->ctx = line->ctx;
		c->socket = line->socket;
		c->monitor = line->monitor;
		c->sequence = line->sequence;
	}
	free(line);
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: cirquectl [--endpoint E | -c FILE] [--timeout S] [--json]\n"
		     "                 [--curve-server-key KEY --curve-secret-key-file F] COMMAND [args]\n\n"
		     "Options may also follow the command (not after --). A process is name:wid,\n"
		     "and name:* is all of name's.\n"
		     "The endpoint: --endpoint, else cirque.endpoint of -c FILE (--config), else\n"
		     "$CIRQUE_ENDPOINT, else cirque.endpoint of " DEFAULT_CONFIG " if readable,\n"
		     "else the daemon's default.\n"
		     "CURVE: $CIRQUE_CURVE_SERVER_KEY and $CIRQUE_CURVE_SECRET_KEY_FILE work too.\n"
		     "Exit codes: 0 ok (also: already started, not running), 1 error, 2 usage,\n"
		     "3 a process is not running (status), 4 no such watcher or process,\n"
		     "5 no answer within the timeout (cirqued carries on), 7 cirqued cannot be\n"
		     "reached, 130 Ctrl-C during a wait.\n\n");
	list_verbs(out, true);
}

static const struct option longopts[] = {
	{ "endpoint", required_argument, NULL, 'e' },
	{ "timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "curve-server-key", required_argument, NULL, 'S' },
	{ "curve-secret-key-file", required_argument, NULL, 'K' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ "list-commands", no_argument, NULL, 'l' },
	{ "config", required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 },
};

/* Applies option OPT (ARG: its value): -1 to go on, else the exit code to end with now. */
static int apply_option(struct client *c, int opt, const char *arg)
{
	switch (opt) {
	case 'e': c->endpoint = arg; break;
	case 'c': c->config_file = arg; break;
	case 't':
		/* Whole and finite: strtod would take "5x", "nan" and "inf". */
		if (parse_duration(arg, &c->timeout) < 0 || c->timeout <= 0) {
			fprintf(stderr, "cirquectl: --timeout must be a positive number of "
				"seconds (or 500ms, 2m)\n");
			return EXIT_USAGE;
		}
		break;
	case 'j': c->json = true; break;
	case 'S': c->curve_server_key = arg; break;
	case 'K': c->curve_secret_file = arg; break;
	case 'h': usage(stdout); return EXIT_OK;
	case 'v': printf("cirquectl %s\n", CIRQUE_VERSION); return EXIT_OK;
	case 'l': list_verbs(stdout, false); return EXIT_OK;
	default: usage(stderr); return EXIT_USAGE;
	}
	return -1;
}

/* The option ARG names, as getopt's code (*HAS_ARG: it takes a value), or 0 for none of
 * cirquectl's: --json, --timeout=5, --timeout 5, -j, -t 5, -e E (the verbs' own, such as
 * --no-wait or tail's -n, are left to them). *INLINE: the value after '=', if any. */
static int option_code(const char *arg, bool *has_arg, const char **inline_value)
{
	*inline_value = NULL;
	if (strncmp(arg, "--", 2) == 0 && arg[2]) {
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		for (const struct option *o = longopts; o->name; o++) {
			if (strlen(o->name) == len && strncmp(o->name, arg + 2, len) == 0) {
				*has_arg = o->has_arg == required_argument;
				*inline_value = eq ? eq + 1 : NULL;
				return eq && !*has_arg ? '?' : o->val;
			}
		}
		return 0;
	}
	if (arg[0] == '-' && strchr("jetc", arg[1]) && arg[1] && arg[2] == '\0') {
		*has_arg = arg[1] != 'j';
		return arg[1];
	}
	return 0;
}

/* Options after the verb (`status --json`, `stop web --timeout 9`) as before it; they are taken
 * out of ARGV. Not after `--`, which is dropped, nor among add's program arguments (after its
 * name and command): those are the program's. Returns the arguments left, or -1 - the exit
 * code to end with. */
static int take_late_options(struct client *c, int argc, char **argv)
{
	bool is_add = argc > 0 && strcmp(argv[0], "add") == 0;
	int n = 0, positional = 0;

	for (int i = 0; i < argc; i++) {
		const char *value;
		bool has_arg = false;
		int code = strcmp(argv[i], "--") == 0 || (is_add && positional >= 3) ? 0
			   : option_code(argv[i], &has_arg, &value);
		if (strcmp(argv[i], "--") == 0 && !(is_add && positional >= 3)) {
			while (++i < argc)
				argv[n++] = argv[i];
			break;
		}
		if (code == 0) {
			positional += argv[i][0] != '-';
			argv[n++] = argv[i];
			continue;
		}
		if (has_arg && value == NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "cirquectl: %s needs a value\n", argv[i]);
				return -1 - EXIT_USAGE;
			}
			value = argv[++i];
		}
		int rc = apply_option(c, code, value);
		if (rc >= 0)
			return -1 - rc;
	}
	argv[n] = NULL;
	return n;
}

/* Takes the endpoint (and the daemon's CURVE key, when none is given) from the cirque: section
 * of FILE. A file that cannot be read or parsed is warned of, and the defaults hold: a broken
 * file must not keep cirquectl from its daemon. */
static void endpoint_from_config(struct client *c, const char *file)
{
	/* Static: what the client points to lives as long as the program (one file per run). */
	static struct ctl_config conf;
	static char *from;
	char why[200] = "";

	if (ctl_config_read(file, &conf, why, sizeof(why)) < 0) {
		fprintf(stderr, "cirquectl: warning: %s: %s; using the default endpoint\n", file, why);
		return;
	}
	if (*why)
		fprintf(stderr, "cirquectl: warning: %s: %s\n", file, why);
	free(from);
	if (conf.endpoint) {
		c->endpoint = conf.endpoint;
		c->endpoint_from = from = xasprintf("cirque.endpoint in %s", file);
	} else {
		c->endpoint_from = from = xasprintf("the default: %s sets no cirque.endpoint", file);
	}
	if (c->curve_server_key == NULL && conf.curve_server_key)
		c->curve_server_key = conf.curve_server_key;
	else if (c->curve_server_key == NULL && conf.curve_secret_key_file)
		fprintf(stderr, "cirquectl: warning: %s: cirqued uses CURVE, but its key %s cannot "
			"be read here (%s): give --curve-server-key\n", file,
			conf.curve_secret_key_file, conf.curve_key_why);
}

/* An endpoint is a ZeroMQ address: `--endpoint /run/cirque/control.sock` is a usage error that
 * says what to write, not a daemon that cannot be reached. */
static bool endpoint_usable(const struct client *c)
{
	const char *e = c->endpoint;

	if (strstr(e, "://") != NULL)
		return true;
	fprintf(stderr, "cirquectl: endpoint %s (%s) needs a scheme: %s%s\n", shown(e),
		c->endpoint_from, e[0] == '/' ? "ipc://" : "ipc:///path or tcp://host:port, not ",
		shown(e));
	return false;
}

/* The endpoint, first found: --endpoint, -c FILE's cirque.endpoint, $CIRQUE_ENDPOINT, the
 * cirque.endpoint of /etc/cirque/cirque.yaml when it is readable (and $CIRQUE_RUNTIME_DIR
 * does not name the daemon's directory), the daemon's default. Returns -1, or the exit code
 * to end with. */
static int choose_endpoint(struct client *c)
{
	const char *env = getenv("CIRQUE_ENDPOINT");

	if (c->endpoint && *c->endpoint) {
		c->endpoint_from = "--endpoint";
	} else if (c->config_file) {
		if (access(c->config_file, R_OK) < 0) {
			fprintf(stderr, "cirquectl: -c %s: %s\n", c->config_file, strerror(errno));
			return EXIT_USAGE;
		}
		c->endpoint = NULL;
		endpoint_from_config(c, c->config_file);
	} else if (env && *env) {
		c->endpoint = env;
		c->endpoint_from = "$CIRQUE_ENDPOINT";
	} else if (getenv("CIRQUE_RUNTIME_DIR") == NULL && access(DEFAULT_CONFIG, R_OK) == 0) {
		endpoint_from_config(c, DEFAULT_CONFIG);
	}
	if (c->endpoint == NULL || *c->endpoint == '\0') {
		c->endpoint = c->owned_endpoint = default_endpoint("control.sock");
		c->guessed_endpoint = getenv("CIRQUE_RUNTIME_DIR") == NULL;
		if (c->endpoint_from == NULL)
			c->endpoint_from = c->guessed_endpoint ? "the default; -c FILE or --endpoint "
				"for a daemon with its own cirque.endpoint" : "the default in "
				"$CIRQUE_RUNTIME_DIR";
	}
	return endpoint_usable(c) ? -1 : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct client c = { .timeout = -1 };
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+e:t:c:jhv", longopts, NULL)) != -1) {
		rc = apply_option(&c, opt, optarg);
		if (rc >= 0)
			return rc;
	}
	rc = take_late_options(&c, argc - optind, argv + optind);
	if (rc < 0)
		return -1 - rc;
	argc = optind + rc;
	if (c.curve_server_key == NULL)
		c.curve_server_key = getenv("CIRQUE_CURVE_SERVER_KEY");
	if (c.curve_secret_file == NULL)
		c.curve_secret_file = getenv("CIRQUE_CURVE_SECRET_KEY_FILE");
	if ((rc = choose_endpoint(&c)) >= 0)
		return rc;
	if (c.curve_server_key && !curve_key_valid(c.curve_server_key)) {
		fprintf(stderr, "cirquectl: the CURVE server key must be 40 Z85 characters\n");
		free(c.owned_endpoint);
		return EXIT_USAGE;
	}
	/* No SA_RESTART: Ctrl-C ends a wait (zmq_poll), and the shell's read at its prompt. */
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = optind < argc ? run_verb(&c, argc - optind, argv + optind) : shell(&c);
	client_close(&c);
	free(c.owned_endpoint);
	return rc;
}
