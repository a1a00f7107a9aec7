/* ctl.h - what cirquectl's files share: the client, its requests and replies, the verbs of
 * ctl_verbs.c, the followers of ctl_follow.c, the interactive shell of ctl_shell.c and the live
 * view of ctl_top.c. */
#ifndef CIRQUE_CTL_H
#define CIRQUE_CTL_H

#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

enum exit_code {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_RUNNING = 3,
	EXIT_NO_SUCH = 4,
	EXIT_NO_ANSWER = 5,           /* sent, no answer in time: cirqued may still carry it out */
	EXIT_UNREACHABLE = 7,
	EXIT_INTERRUPTED = 130,       /* Ctrl-C during a wait (128 + SIGINT, as shells say) */
};

struct client {
	const char *endpoint;
	double timeout;               /* seconds to wait for one reply; < 0: not set by the user */
	bool json;                    /* print raw replies */
	const char *curve_server_key; /* the daemon's CURVE public key (Z85), or NULL */
	const char *curve_secret_file;/* our CURVE secret key file */
	void *ctx, *socket;
	void *monitor;                /* PAIR: the socket's connection events (monitor_client) */
	unsigned long disconnects;    /* connections seen closing so far */
	unsigned long sequence;       /* for request ids */
	bool guessed_endpoint;        /* the default one, nothing chose it: checked before use */
	const char *endpoint_from;    /* where the endpoint came from, for "cannot reach" */
	char *owned_endpoint;         /* endpoint when cirquectl made it (the default): freed */
	const char *config_file;      /* -c FILE: the daemon's configuration, or NULL */
};

/* Set by SIGINT. */
extern volatile sig_atomic_t interrupted;

/* cirquectl.c: one request and its reply. When none comes it ends the command: exit 7 (cannot
 * connect), 5 (sent, no answer in time) or 130 (Ctrl-C); in the shell, back to the prompt. */
json_t *call(struct client *c, const char *command, json_t *props, double timeout);
/* The same, returning NULL with WHY (and *RC, the exit code call would end with) rather than
 * ending the command (for the shell's completion). */
json_t *try_call(struct client *c, const char *command, json_t *props, double timeout,
		 const char **why, int *rc);
/* Closes C's sockets and context (all of them must be closed: zmq_ctx_term waits for them). */
void client_close(struct client *c);
/* Ends the current command with RC: exits, or in the shell goes back to its prompt. */
void end_command(int rc) __attribute__((noreturn));
/* Where end_command goes in the shell (NULL: it exits). */
extern sigjmp_buf *command_abort;
/* One request, printed as JSON with --json; returns 0/1/4 as the reply says. The reply goes to
 * *OUT if OUT, else an error is printed. */
int simple(struct client *c, const char *command, json_t *props, json_t **out);
void unreachable(const struct client *c, const char *why) __attribute__((noreturn));
const char *shown(const char *s);
bool reply_ok(json_t *reply);
const char *reply_reason(json_t *reply);
bool is_no_such(json_t *reply);
void print_json(json_t *reply);
int usage_error(const char *verb);
void format_uptime(char *out, size_t size, double seconds);
char *pubsub_endpoint(struct client *c);
/* The verbs, NULL-terminated, for the shell's completion. */
const char *const *verb_names(void);
/* Runs one verb (ARGV[0]) with its arguments. */
int run_verb(struct client *c, int argc, char **argv);
/* One line of the shell: its options (`status web --json`) hold for that line alone. */
int run_line(struct client *c, int argc, char **argv);

/* ctl_follow.c: a SUB socket on the daemon's PUB endpoint that knows when the daemon goes. */
struct follower;
/* Subscribes to each of TOPICS (NULL-terminated) before anything else is asked, so that no
 * message falls between a reply and the first message followed. */
struct follower *follower_open(struct client *c, const char *const *topics);
/* The next message: 1 with its topic and body (zmq_msg_t, closed by the caller), 0 when
 * interrupted (SIGINT), -1 when the daemon closed the connection (it stopped): a message is
 * printed on stderr. */
int follower_next(struct follower *f, void *topic, void *body);
void follower_close(struct follower *f);
/* The follower's own topic: given as "mark" to a tail request, the daemon publishes a message
 * on it right after the answer's snapshot. follower_skip_to_mark drops what was published
 * before it (it is in the answer), so the history and the lines that follow are exactly once. */
const char *follower_mark(const struct follower *f);
void follower_skip_to_mark(struct follower *f);
/* Closes the follower still open, if any: a command ended early (end_command) leaves none
 * behind in the client's context. */
void follower_abandon(void);

/* ctl_config.c: what cirquectl takes from the daemon's configuration file. */
struct ctl_config {
	char *endpoint;               /* cirque.endpoint (tcp://\*: made loopback), or NULL */
	char *curve_secret_key_file;  /* cirque.curve_secret_key_file, or NULL */
	char *curve_server_key;       /* the daemon's public key derived from it, or NULL */
	char *curve_key_why;          /* why it could not be (not ours to read...), or NULL */
};
/* Reads the cirque: section of PATH into OUT (malloc'd strings, never freed: one per run).
 * -1 with WHY when the file cannot be read or is no YAML; a key of the wrong type is left out
 * with WHY set, 0 returned. */
int ctl_config_read(const char *path, struct ctl_config *out, char *why, size_t size);
/* TEXT, a YAML (or JSON) flow mapping or list from the command line (`set web stdout
 * '{file: /var/log/web.log}'`), as JSON; NULL when it is no such thing (then it is a plain
 * value). */
json_t *ctl_flow_value(const char *text);

/* ctl_shell.c: the interactive shell (libedit) with completion, or commands from a pipe. */
int shell(struct client *c);

/* ctl_verbs.c: the verbs that are no protocol command of their own or that Circus names. */
int ctl_maintail(struct client *c, int argc, char **argv);
int ctl_avail(struct client *c, int argc, char **argv);
int ctl_clear(struct client *c, int argc, char **argv);
int ctl_fg(struct client *c, int argc, char **argv);
int ctl_events(struct client *c, int argc, char **argv);
int ctl_list(struct client *c, int argc, char **argv);
int ctl_dstats(struct client *c, int argc, char **argv);
int ctl_metrics(struct client *c, int argc, char **argv);
int ctl_options(struct client *c, int argc, char **argv);
int ctl_numprocesses(struct client *c, int argc, char **argv);
int ctl_numwatchers(struct client *c, int argc, char **argv);
int ctl_globaloptions(struct client *c, int argc, char **argv);

/* import.c: `import FILE`, another supervisor's configuration as a cirque.yaml (no daemon). */
int ctl_import(struct client *c, int argc, char **argv);

/* ctl_top.c: the live view of the processes (ncurses). */
int ctl_top(struct client *c, int argc, char **argv);

#endif
