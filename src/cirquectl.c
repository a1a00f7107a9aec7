/* cirquectl.c - the command-line client: supervisorctl-style verbs over Circus's protocol.
 *
 * Each verb is a row of commands.def, the daemon's command table: its name, argument counts,
 * usage, help, and a function here (ctl_<verb>) that sends one or more requests and prints the
 * replies the way supervisorctl does. --json prints the raw replies instead.
 * Strings from the daemon may quote what children and clients chose (a STATUS=, a command line,
 * a name in an error): they are printed through shown(), with control characters escaped.
 * Exit codes: 0 ok, 1 error reply, 2 usage, 3 `status` shows a process not running, 4 no such
 * watcher, 7 the daemon cannot be reached. */
#include "ctl.h"
#include "curve.h"
#include "endpoint.h"
#include "safefs.h"
#include "parse.h"
#include "protocol.h"
#include "text.h"
#include "version.h"
#include "xmalloc.h"

#include <errno.h>
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
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

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

static int connect_client(struct client *c)
{
	int zero = 0;
	char identity[64];

	c->ctx = zmq_ctx_new();
	c->socket = zmq_socket(c->ctx, ZMQ_DEALER);
	if (c->socket == NULL)
		return -1;
	snprintf(identity, sizeof(identity), "cirquectl-%d-%ld", (int)getpid(), (long)time(NULL));
	zmq_setsockopt(c->socket, ZMQ_IDENTITY, identity, strlen(identity));
	zmq_setsockopt(c->socket, ZMQ_LINGER, &zero, sizeof(zero));
	if (c->curve_server_key) {
		char secret[CURVE_KEY_LEN + 1], public_key[CURVE_KEY_LEN + 1];
		const char *why;
		if (c->curve_secret_file == NULL) {
			fprintf(stderr, "cirquectl: --curve-server-key needs --curve-secret-key-file\n");
			exit(EXIT_USAGE);
		}
		if (curve_load_secret(c->curve_secret_file, secret, public_key, &why) < 0) {
			fprintf(stderr, "cirquectl: %s: %s\n", c->curve_secret_file, why);
			exit(EXIT_USAGE);
		}
		zmq_setsockopt(c->socket, ZMQ_CURVE_SERVERKEY, c->curve_server_key,
			       strlen(c->curve_server_key));
		zmq_setsockopt(c->socket, ZMQ_CURVE_PUBLICKEY, public_key, CURVE_KEY_LEN);
		zmq_setsockopt(c->socket, ZMQ_CURVE_SECRETKEY, secret, CURVE_KEY_LEN);
		explicit_bzero(secret, sizeof(secret));
	}
	return zmq_connect(c->socket, c->endpoint);
}

/* Exits unless ENDPOINT is one the daemon, not another user, could have made. For the default
 * endpoint only: one given (--endpoint, $CIRQUE_ENDPOINT, $CIRQUE_RUNTIME_DIR) may be another
 * user's daemon on purpose (root talking to a user's cirqued). */
static void check_endpoint_owner(const char *endpoint)
{
	char why[SAFEFS_WHY];

	if (endpoint_check_for_client(endpoint, why) < 0) {
		fprintf(stderr, "cirquectl: refusing %s: %s\n", endpoint, why);
		exit(EXIT_UNREACHABLE);
	}
}

void unreachable(const struct client *c, const char *why)
{
	fprintf(stderr, "cirquectl: cannot reach cirqued at %s: %s\n", c->endpoint, why);
	exit(EXIT_UNREACHABLE);
}

/* For an ipc path, why no daemon can be there, or NULL: ZeroMQ would wait for ever on a socket
 * file a dead cirqued left behind (a waiting `restart all` never returned), so a plain connect
 * asks the kernel first. An abstract socket (ipc://@name) and tcp are left to ZeroMQ. */
static const char *ipc_listener_missing(const char *endpoint)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc, error;

	if (strncmp(endpoint, "ipc://", 6) != 0 || endpoint[6] == '@' ||
	    strlen(endpoint + 6) >= sizeof(sun.sun_path))
		return NULL;
	strcpy(sun.sun_path, endpoint + 6);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	error = errno;
	close(fd);
	if (rc == 0 || error == EAGAIN || error == EINPROGRESS)
		return NULL;  /* someone listens (EAGAIN: busy) */
	if (error == EACCES)
		return "permission denied: its directory is private to the daemon's user (run "
		       "cirquectl as that user, e.g. with sudo)";
	if (error == ECONNREFUSED)
		return "nothing listens on the socket there (a cirqued that exited left it; is "
		       "cirqued running?)";
	if (error == ENOENT || error == ENOTDIR)
		return "no socket there (is cirqued running?)";
	return strerror(error);
}

/* Sends {"id", "command", "properties"} and returns the reply with the same id (new reference),
 * or NULL with WHY when the daemon cannot be reached or no reply comes within the timeout. */
json_t *try_call(struct client *c, const char *command, json_t *props, double timeout,
		 const char **why)
{
	char id[64];
	json_t *request;
	char *text;
	double deadline;

	if (c->socket == NULL) {
		if ((*why = ipc_listener_missing(c->endpoint)) != NULL) {
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
	snprintf(id, sizeof(id), "%d-%lu", (int)getpid(), ++c->sequence);
	request = json_pack("{s:s, s:s, s:o}", "id", id, "command", command, "properties",
			    props ? props : json_object());
	text = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	if (text == NULL || zmq_send(c->socket, text, strlen(text), 0) < 0) {
		*why = zmq_strerror(zmq_errno());
		free(text);
		return NULL;
	}
	free(text);
	deadline = now() + timeout;
	for (;;) {
		zmq_pollitem_t item = { c->socket, 0, ZMQ_POLLIN, 0 };
		double left = deadline - now();
		if (left <= 0) {
			*why = "no reply within the timeout (is cirqued running?)";
			return NULL;
		}
		/* In slices: a timeout of years would overflow the milliseconds. */
		int rc = zmq_poll(&item, 1, left > 60 ? 60000 : (long)(left * 1000) + 1);
		if (rc < 0 && zmq_errno() == EINTR && interrupted) {
			fprintf(stderr, "interrupted\n");
			exit(EXIT_ERROR);
		}
		if (rc <= 0)
			continue;
		zmq_msg_t msg;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, c->socket, 0) < 0) {
			zmq_msg_close(&msg);
			continue;
		}
		/* JSON_ALLOW_NUL: a child's output may hold NULs ("\u0000" in tail's text lines). */
		json_t *reply = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), JSON_ALLOW_NUL, NULL);
		zmq_msg_close(&msg);
		const char *reply_id = json_string_value(json_object_get(reply, "id"));
		if (reply_id && strcmp(reply_id, id) == 0)
			return reply;
		json_decref(reply);  /* a late answer to an earlier request */
	}
}

/* As try_call; exits with EXIT_UNREACHABLE when no reply comes. */
json_t *call(struct client *c, const char *command, json_t *props, double timeout)
{
	const char *why = NULL;
	json_t *reply = try_call(c, command, props, timeout, &why);

	if (reply == NULL)
		unreachable(c, why);
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

/* The reply's machine code (protocol.h), never its text, says which error it is. */
bool is_no_such(json_t *reply)
{
	return !reply_ok(reply) &&
	       reply_code_parse(json_string_value(json_object_get(reply, "code"))) == REPLY_ENOENT;
}

void print_json(json_t *reply)
{
	char *text = json_dumps(reply, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text) {
		puts(text);
		free(text);
	}
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

static void describe(char *out, size_t size, const char *state, json_t *proc)
{
	json_int_t pid = json_integer_value(json_object_get(proc, "pid"));
	json_int_t failures = json_integer_value(json_object_get(proc, "failures"));
	json_t *code = json_object_get(proc, "exit_code");
	const char *spawn_error = json_string_value(json_object_get(proc, "spawn_error"));
	char uptime[64];

	if (strcmp(state, "RUNNING") == 0) {
		format_uptime(uptime, sizeof(uptime),
			      json_real_value(json_object_get(proc, "uptime")));
		const char *said = json_string_value(json_object_get(proc, "notify_status"));
		snprintf(out, size, "pid %lld, uptime %s%s%s", (long long)pid, uptime,
			 said ? ", " : "", shown(said));
	} else if (strcmp(state, "STARTING") == 0 || strcmp(state, "STOPPING") == 0) {
		snprintf(out, size, "pid %lld", (long long)pid);
	} else if (spawn_error && strcmp(state, "BACKOFF") == 0) {
		snprintf(out, size, "%s (retrying)", shown(spawn_error));
	} else if (spawn_error && strcmp(state, "FATAL") == 0) {
		snprintf(out, size, "%s: gave up after %lld failed starts", shown(spawn_error),
			 (long long)failures);
	} else if (strcmp(state, "BACKOFF") == 0) {
		snprintf(out, size, "Exited too quickly (failed start %lld, retrying)",
			 (long long)failures);
	} else if (strcmp(state, "FATAL") == 0) {
		snprintf(out, size, "Exited too quickly: gave up after %lld failed starts",
			 (long long)failures);
	} else if (strcmp(state, "EXITED") == 0 && code) {
		json_int_t v = json_integer_value(code);
		if (v < 0)
			snprintf(out, size, "killed by signal %lld", (long long)-v);
		else
			snprintf(out, size, "exit status %lld", (long long)v);
	} else {
		*out = '\0';
	}
}

/* supervisorctl's layout: '%-Ns%-10s%s' with N = max(30, longest name + 3). */
struct status_line {
	char name[160];
	char state[16];
	char desc[160];
};

static int collect_lines(json_t *processes, const char *name, const char *wstate,
			 struct status_line **lines, int *n, int *cap)
{
	json_t *list = json_object_get(processes, name), *proc;
	size_t i, count = json_array_size(list);
	int not_running = 0;

	if (count == 0) {
		/* No process: a stopped (or stopping) watcher. */
		if (*n == *cap)
			*lines = xreallocarray(*lines, (size_t)(*cap *= 2), sizeof(**lines));
		struct status_line *l = &(*lines)[(*n)++];
		snprintf(l->name, sizeof(l->name), "%s", shown(name));
		snprintf(l->state, sizeof(l->state), "%s",
			 strcmp(wstate, "stopping") == 0 ? "STOPPING" : "STOPPED");
		snprintf(l->desc, sizeof(l->desc), "%s", "Not running");
		return 1;
	}
	json_array_foreach(list, i, proc) {
		const char *state = json_string_value(json_object_get(proc, "state"));
		json_int_t wid = json_integer_value(json_object_get(proc, "wid"));
		if (*n == *cap)
			*lines = xreallocarray(*lines, (size_t)(*cap *= 2), sizeof(**lines));
		struct status_line *l = &(*lines)[(*n)++];
		if (count == 1 && wid == 1)
			snprintf(l->name, sizeof(l->name), "%s", shown(name));
		else
			snprintf(l->name, sizeof(l->name), "%s:%lld", shown(name), (long long)wid);
		snprintf(l->state, sizeof(l->state), "%s", state ? shown(state) : "UNKNOWN");
		describe(l->desc, sizeof(l->desc), l->state, proc);
		/* As supervisorctl: STARTING and BACKOFF count as running for the exit code. */
		if (strcmp(l->state, "RUNNING") && strcmp(l->state, "STARTING") &&
		    strcmp(l->state, "BACKOFF"))
			not_running++;
	}
	return not_running;
}

static int ctl_status(struct client *c, int argc, char **argv)
{
	json_t *props = json_pack("{s:b}", "processes", 1), *reply;
	struct status_line *lines = xmalloc(sizeof(*lines) * 16);
	int n = 0, cap = 16, width = 30, not_running = 0, rc = EXIT_OK;
	const char *name;
	json_t *state;

	reply = call(c, "status", props, c->timeout < 0 ? 5 : c->timeout);
	if (c->json) {
		print_json(reply);
		int ok = reply_ok(reply);
		json_decref(reply);
		free(lines);
		return ok ? EXIT_OK : EXIT_ERROR;
	}
	if (!reply_ok(reply)) {
		fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
		json_decref(reply);
		free(lines);
		return EXIT_ERROR;
	}
	json_t *statuses = json_object_get(reply, "statuses");
	json_t *processes = json_object_get(reply, "processes");
	for (int i = 0; i < argc; i++) {
		if (json_object_get(statuses, argv[i]) == NULL) {
			printf("%s: ERROR (no such process)\n", argv[i]);
			rc = EXIT_NO_SUCH;
		}
	}
	json_object_foreach(statuses, name, state) {
		bool wanted = argc == 0;
		for (int i = 0; i < argc && !wanted; i++)
			wanted = strcmp(argv[i], name) == 0;
		if (wanted)
			not_running += collect_lines(processes, name, json_string_value(state), &lines,
						     &n, &cap);
	}
	for (int i = 0; i < n; i++)
		if ((int)strlen(lines[i].name) + 3 > width)
			width = (int)strlen(lines[i].name) + 3;
	for (int i = 0; i < n; i++)
		printf("%-*s%-10s%s\n", width, lines[i].name, lines[i].state, lines[i].desc);
	free(lines);
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

/* The state of one watcher: "active" only when every process runs (or is on its way), so that
 * `start` retries FATAL or EXITED ones; NULL if there is no such watcher. */
static char *watcher_state(struct client *c, const char *name)
{
	json_t *reply = call(c, "status", json_pack("{s:s, s:b}", "name", name, "processes", 1), 5);
	char *state = NULL;
	json_t *proc;
	size_t i;

	if (reply_ok(reply)) {
		state = xstrdup(json_string_value(json_object_get(reply, "status")));
		json_array_foreach(json_object_get(reply, "processes"), i, proc) {
			const char *ps = json_string_value(json_object_get(proc, "state"));
			if (ps && (strcmp(ps, "FATAL") == 0 || strcmp(ps, "EXITED") == 0)) {
				free(state);
				state = xstrdup("partly stopped");
				break;
			}
		}
	}
	json_decref(reply);
	return state;
}

static int lifecycle(struct client *c, const char *command, const char *done_word, int argc,
		     char **argv)
{
	bool wait;
	int names = parse_wait(argc, argv, &wait), rc = EXIT_OK;
	double timeout = reply_timeout(c, command, wait);

	if (names == 0)
		return usage_error(command);
	for (int i = 0; i < names; i++) {
		bool all = strcmp(argv[i], "all") == 0;
		json_t *props = json_pack("{s:b}", "waiting", wait);
		if (!all) {
			json_object_set_new(props, "name", json_string(argv[i]));
			json_object_set_new(props, "match", json_string("simple"));
		}
		if (!all && !c->json && strcmp(command, "start") == 0) {
			char *state = watcher_state(c, argv[i]);
			if (state && strcmp(state, "active") == 0) {
				printf("%s: ERROR (already started)\n", argv[i]);
				free(state);
				json_decref(props);
				rc = rc ? rc : EXIT_ERROR;
				continue;
			}
			free(state);
		}
		if (!all && !c->json && strcmp(command, "stop") == 0) {
			char *state = watcher_state(c, argv[i]);
			if (state && strcmp(state, "stopped") == 0) {
				printf("%s: ERROR (not running)\n", argv[i]);
				free(state);
				json_decref(props);
				rc = rc ? rc : EXIT_ERROR;
				continue;
			}
			free(state);
		}
		json_t *reply = call(c, command, props, timeout);
		if (c->json)
			print_json(reply);
		else if (reply_ok(reply))
			printf("%s: %s\n", all ? "all" : argv[i], done_word);
		else if (is_no_such(reply))
			printf("%s: ERROR (no such process)\n", argv[i]);
		else
			printf("%s: ERROR (%s)\n", argv[i], reply_reason(reply));
		if (!reply_ok(reply))
			rc = is_no_such(reply) ? EXIT_NO_SUCH : EXIT_ERROR;
		json_decref(reply);
	}
	return rc;
}

static int ctl_start(struct client *c, int argc, char **argv)
{ return lifecycle(c, "start", "started", argc, argv); }
static int ctl_stop(struct client *c, int argc, char **argv)
{ return lifecycle(c, "stop", "stopped", argc, argv); }
static int ctl_restart(struct client *c, int argc, char **argv)
{ return lifecycle(c, "restart", "restarted", argc, argv); }

static int ctl_reload(struct client *c, int argc, char **argv)
{
	char *all[] = { "all", "--no-wait", NULL };
	bool names = false, no_wait = false;

	for (int i = 0; i < argc; i++) {
		bool flag = strcmp(argv[i], "--no-wait") == 0 || strcmp(argv[i], "--nowait") == 0;
		names = names || !flag;
		no_wait = no_wait || flag;
	}
	/* No name: every watcher. */
	if (!names)
		return lifecycle(c, "reload", "reloaded", no_wait ? 2 : 1, all);
	return lifecycle(c, "reload", "reloaded", argc, argv);
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
			print_changes(changes, "added process group", "updated process group",
				      "stopped");
		else
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	}
	json_decref(changes);
	json_decref(reply);
	return rc;
}

/* --- the other verbs -------------------------------------------------------------------------- */

static int ctl_signal(struct client *c, int argc, char **argv)
{
	int rc = EXIT_OK;

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
			json_t *reply = call(c, "signal", json_pack("{s:O, s:s}", "name", name, "signum",
								    argv[0]), 5);
			const char *n = shown(json_string_value(name));
			if (c->json)
				print_json(reply);
			else if (reply_ok(reply))
				printf("%s: signalled\n", n);
			else if (is_no_such(reply))
				printf("%s: ERROR (no such process)\n", n);
			else
				printf("%s: ERROR (%s)\n", n, reply_reason(reply));
			if (!reply_ok(reply))
				rc = is_no_such(reply) ? EXIT_NO_SUCH : EXIT_ERROR;
			json_decref(reply);
		}
		json_decref(list);
	}
	return rc;
}

static int change_count(struct client *c, const char *command, int argc, char **argv)
{
	json_t *reply;
	long nb = 1;
	int rc;

	if (argc == 2 && (parse_long(argv[1], &nb) < 0 || nb <= 0))
		return usage_error(command);
	/* The count goes whole: the daemon says what it allows. */
	rc = simple(c, command, json_pack("{s:s, s:I, s:b}", "name", argv[0], "nb", (json_int_t)nb,
					  "waiting", 0), &reply);
	if (!c->json) {
		if (rc == EXIT_OK)
			printf("%s: %lld processes\n", argv[0],
			       (long long)json_integer_value(json_object_get(reply, "numprocesses")));
		else
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
			printf("%s: added process group\n", argv[0]);
		else
			printf("%s: ERROR (%s)\n", argv[0], reply_reason(reply));
	}
	json_decref(reply);
	return rc;
}

static int ctl_remove(struct client *c, int argc, char **argv)
{
	int rc = EXIT_OK;

	for (int i = 0; i < argc; i++) {
		json_t *reply = call(c, "rm", json_pack("{s:s, s:b}", "name", argv[i], "waiting", 1),
				     reply_timeout(c, "rm", true));
		if (c->json)
			print_json(reply);
		else if (reply_ok(reply))
			printf("%s: removed process group\n", argv[i]);
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
	rc = simple(c, "get", json_pack("{s:s, s:o}", "name", argv[0], "keys", keys), &reply);
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
	/* Values are passed as text: the daemon validates them as it does the file's. */
	rc = simple(c, "set", json_pack("{s:s, s:{s:s}}", "name", argv[0], "options", argv[1],
					argv[2]), &reply);
	if (!c->json) {
		if (rc == EXIT_OK)
			printf("%s: %s set to %s\n", argv[0], argv[1], argv[2]);
		else
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	}
	json_decref(reply);
	return rc;
}

static int ctl_stats(struct client *c, int argc, char **argv)
{
	json_t *reply, *watchers, *procs, *info;
	const char *wname, *pid;
	int rc;

	rc = simple(c, "stats", argc ? json_pack("{s:s}", "name", argv[0]) : NULL, &reply);
	if (c->json || rc != EXIT_OK) {
		if (!c->json)
			fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
		json_decref(reply);
		return rc;
	}
	if (argc)
		watchers = json_pack("{s:O}", argv[0], json_object_get(reply, "info"));
	else
		watchers = json_incref(json_object_get(reply, "infos"));
	printf("%-24s %8s %6s %6s %8s %10s %s\n", "NAME", "PID", "CPU%", "MEM%", "RSS", "AGE",
	       "CMDLINE");
	json_object_foreach(watchers, wname, procs) {
		json_object_foreach(procs, pid, info) {
			char age[64];
			format_uptime(age, sizeof(age), json_real_value(json_object_get(info, "age")));
			printf("%-24s %8s %6.1f %6.1f %8s %10s %s\n", shown(wname), shown(pid),
			       json_real_value(json_object_get(info, "cpu")),
			       json_real_value(json_object_get(info, "mem")),
			       shown(json_string_value(json_object_get(info, "mem_info1"))), age,
			       shown(json_string_value(json_object_get(info, "cmdline"))));
		}
	}
	json_decref(watchers);
	json_decref(reply);
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
	reply = call(c, "quit", json_pack("{s:b}", "waiting", 1), reply_timeout(c, "quit", true));
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

	prefix_len = (size_t)snprintf(prefix, sizeof(prefix), "stream.%s.", o->name);
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
		char *topic = xasprintf("stream.%s.", o.name);
		const char *topics[] = { topic, NULL };
		f = follower_open(c, topics);
		free(topic);
	}
	/* base64 carries every byte a child wrote; --json shows the lines as text. */
	rc = simple(c, "tail", json_pack("{s:s, s:I, s:s, s:I, s:s}", "name", o.name,
					 "wid", (json_int_t)o.wid, "stream", stream,
					 "lines", (json_int_t)o.lines, "encoding",
					 c->json ? "text" : "base64"), &reply);
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
	(void)argc;
	(void)argv;
	printf("commands:\n");
	list_verbs(stdout, true);
	return EXIT_OK;
}

int run_verb(struct client *c, int argc, char **argv)
{
	const struct verb *v = find_verb(argv[0]);

	if (v == NULL) {
		fprintf(stderr, "cirquectl: unknown command '%s' (try 'cirquectl help')\n", argv[0]);
		return EXIT_USAGE;
	}
	if (argc - 1 < v->min_args || (v->max_args >= 0 && argc - 1 > v->max_args))
		return usage_error(v->name);
	return v->run(c, argc - 1, argv + 1);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: cirquectl [--endpoint E] [--timeout S] [--json]\n"
		     "                 [--curve-server-key KEY --curve-secret-key-file F] COMMAND [args]\n\n"
		     "The endpoint defaults to $CIRQUE_ENDPOINT, else the daemon's default.\n"
		     "CURVE: $CIRQUE_CURVE_SERVER_KEY and $CIRQUE_CURVE_SECRET_KEY_FILE work too.\n"
		     "Exit codes: 0 ok, 1 error, 2 usage, 3 a process is not running (status),\n"
		     "4 no such watcher, 7 cirqued cannot be reached.\n\n");
	list_verbs(out, true);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "curve-server-key", required_argument, NULL, 'S' },
		{ "curve-secret-key-file", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ "list-commands", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct client c = { .timeout = -1 };
	char *fallback = NULL;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+e:t:jhv", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e': c.endpoint = optarg; break;
		case 't':
			/* Whole and finite: strtod would take "5x", "nan" and "inf". */
			if (parse_duration(optarg, &c.timeout) < 0 || c.timeout <= 0) {
				fprintf(stderr, "cirquectl: --timeout must be a positive number of "
					"seconds (or 500ms, 2m)\n");
				return EXIT_USAGE;
			}
			break;
		case 'j': c.json = true; break;
		case 'S': c.curve_server_key = optarg; break;
		case 'K': c.curve_secret_file = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'v': printf("cirquectl %s\n", CIRQUE_VERSION); return EXIT_OK;
		case 'l': list_verbs(stdout, false); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (c.endpoint == NULL)
		c.endpoint = getenv("CIRQUE_ENDPOINT");
	if (c.curve_server_key == NULL)
		c.curve_server_key = getenv("CIRQUE_CURVE_SERVER_KEY");
	if (c.curve_secret_file == NULL)
		c.curve_secret_file = getenv("CIRQUE_CURVE_SECRET_KEY_FILE");
	if (c.curve_server_key && !curve_key_valid(c.curve_server_key)) {
		fprintf(stderr, "cirquectl: the CURVE server key must be 40 Z85 characters\n");
		return EXIT_USAGE;
	}
	if (c.endpoint == NULL || *c.endpoint == '\0') {
		c.endpoint = fallback = default_endpoint("control.sock");
		c.guessed_endpoint = getenv("CIRQUE_RUNTIME_DIR") == NULL;
	}
	signal(SIGINT, on_interrupt);
	signal(SIGPIPE, SIG_IGN);
	rc = optind < argc ? run_verb(&c, argc - optind, argv + optind) : shell(&c);
	if (c.socket)
		zmq_close(c.socket);
	if (c.ctx)
		zmq_ctx_term(c.ctx);
	free(fallback);
	return rc;
}
