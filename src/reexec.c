/* reexec.c - cirqued upgraded in place (reexec.h).
 *
 * The steps, all on the loop until the last:
 *   1. check: the binary on disk runs `--check-resume VERSION -c FILE` (a child, watched like
 *      any other): it must read this state's version and the configuration file. A binary
 *      that is missing, of another architecture or too old refuses here, and nothing changes.
 *   2. quiet: what cannot be carried (a start by priority level, a restart or reload under way,
 *      a hook) ends first; the daemon keeps answering meanwhile, up to QUIET_WAIT.
 *   3. exec: the request is answered, the waiting ones too (the operations go on), each module
 *      saves its state, the control plane is closed (its replies leave; its listening sockets
 *      are kept, so clients that connect meanwhile wait in the kernel's backlog), the log
 *      writer has written every queued line, and execve() runs with the state in a memfd. If
 *      it fails, the control plane is opened again on the kept sockets and nothing else has
 *      changed. */
#include "reexec.h"

#include "arbiter.h"
#include "cgroup.h"
#include "control.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "reaper.h"
#include "safefs.h"
#include "sink.h"
#include "sockets.h"
#include "spawn.h"
#include "stream.h"
#include "version.h"
#include "xmalloc.h"
#include "zbind.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK_TIMEOUT 10.0            /* seconds the new binary may take to say it can resume */
#define QUIET_WAIT 30.0               /* seconds to wait for what cannot be carried to end */
#define QUIET_POLL 0.02

static struct {
	struct arbiter *a;
	char *binary;                 /* absolute, as found at start-up */
	char **args;                  /* our command line after argv[0], without --resume-fd */
	int nargs;
	reexec_plane_fn close_plane, open_plane;
	unsigned generation;          /* execs of this daemon so far */
	ev_signal sigusr2;
	/* A re-exec under way: */
	bool busy;
	struct request *req;          /* the reexec command (NULL: SIGUSR2) */
	bool check_only;
	pid_t check_pid;
	struct reaper_child check_child;
	int check_fd;
	ev_io check_io;
	char check_out[512];
	size_t check_len;
	ev_timer timer;               /* the check's timeout, then the quiet poll */
	ev_tstamp quiet_since;
	char last_result[300];        /* of the last one, for status */
	double last_ms, last_unanswered_ms;  /* the last exec: from the request's turn to the
					      * state taken up, and the control socket's gap */
} rx = { .check_fd = -1 };

static void finish(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static double monotonic_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void finish(bool ok, const char *fmt, ...)
{
	va_list ap;
	char why[sizeof(rx.last_result)];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ev_timer_stop(rx.a->loop, &rx.timer);
	control_record_replies(false);
	if (ok)
		log_info("re-exec: %s", why);
	else
		log_warnx("re-exec refused: %s", why);
	snprintf(rx.last_result, sizeof(rx.last_result), "%s", why);
	if (rx.req) {
		if (ok)
			control_reply(rx.req, json_pack("{s:s, s:s}", "result", why, "binary",
							rx.binary));
		else
			control_fail(rx.req, REPLY_EFAIL, "%s", why);
	}
	rx.req = NULL;
	rx.busy = false;
}

/* The binary, opened through a safe walk (safefs.h): root execs it, so nobody else may be able
 * to replace it or any directory above it. Its descriptor (exec'd through /proc/self/fd, so
 * that what was checked is what runs), or -1 with WHY. */
static int open_binary(char *why, size_t size)
{
	char problem[SAFEFS_WHY];
	struct safe_file f;

	if (safe_file_open(rx.binary, O_RDONLY | O_CLOEXEC, 0, false, &f, NULL, problem) < 0) {
		snprintf(why, size, "cannot run %s: %s", rx.binary, problem);
		return -1;
	}
	const char *refusal = !f.fixed ? "someone else could replace it (a directory above it is "
					 "not root's, or others can write it)"
			      : !safefs_owner_ok(f.st.st_uid) ? "it belongs to another user"
			      : f.st.st_mode & (S_IWGRP | S_IWOTH) ? "others can write it"
			      : !(f.st.st_mode & S_IXUSR) ? "it is not executable" : NULL;
	if (refusal) {
		snprintf(why, size, "refusing to run %s: %s", rx.binary, refusal);
		close(f.fd);
		return -1;
	}
	return f.fd;
}

/* --- 3. the exec -------------------------------------------------------------------------------- */

/* The endpoints' listening descriptors, duplicated (libzmq closes its own) and kept. */
static json_t *keep_endpoints(void)
{
	const char *endpoints[] = { rx.a->control_endpoint, rx.a->pubsub_endpoint,
				    rx.a->operator_endpoint };
	json_t *kept = json_object();

	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		int fd = endpoints[i] ? zbind_fd(endpoints[i]) : -1;
		int copy = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
		if (copy < 0)
			continue;  /* bound anew by the next image (clients reconnect) */
		reexec_keep_fd(copy);
		json_object_set_new(kept, endpoints[i], json_integer(copy));
	}
	return kept;
}

static void inherit_endpoints(const json_t *kept)
{
	const char *endpoint;
	json_t *fd;

	json_object_foreach((json_t *)kept, endpoint, fd)
		zbind_inherit(endpoint, (int)json_integer_value(fd));
}

static json_t *save_state(void)
{
	json_t *arbiter = arbiter_save(rx.a);

	if (arbiter == NULL)
		return NULL;
	return json_pack("{s:i, s:s, s:i, s:f, s:o, s:o, s:o, s:o, s:o}", "version",
			 REEXEC_STATE_VERSION, "from", CIRQUE_VERSION, "generation",
			 (int)rx.generation, "saved_at", ev_time(), "arbiter", arbiter, "sockets",
			 sockets_save(), "cgroup", cgroup_save(), "streams", streams_save(),
			 "listeners", listeners_save());
}

/* The state in a memfd (kept across the exec, at offset 0), or -1. */
static int state_fd(json_t *state)
{
	int fd = memfd_create("cirque-state", MFD_CLOEXEC);

	/* One write: json_dumpfd writes each token apart (a million calls for 10,000 processes). */
	char *text = fd >= 0 ? json_dumps(state, JSON_COMPACT) : NULL;
	size_t len = text ? strlen(text) : 0, done = 0;

	while (text && done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	free(text);
	if (fd < 0 || done < len || len == 0 || lseek(fd, 0, SEEK_SET) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void block_signals(int how)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
				       SIGCHLD };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaddset(&set, signals[i]);
	sigprocmask(how, &set, NULL);
}

static char **exec_argv(int fd)
{
	char **argv = xcalloc((size_t)rx.nargs + 4, sizeof(char *));
	int n = 0;

	argv[n++] = rx.binary;
	argv[n++] = "--resume-fd";
	argv[n++] = xasprintf("%d", fd);
	for (int i = 0; i < rx.nargs; i++)
		argv[n++] = rx.args[i];
	return argv;
}

static void do_exec(void)
{
	struct timespec t0;
	json_t *state, *endpoints;
	int fd;

	char why[SAFEFS_WHY + 200] = "";
	int binary = open_binary(why, sizeof(why));

	if (binary < 0) {
		finish(false, "%s", why);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	reexec_keep_reset();
	arbiter_abandon_waiters(rx.a);
	state = save_state();
	if (state == NULL) {
		close(binary);
		finish(false, "cannot save the state: out of memory");
		return;
	}
	log_info("re-exec: executing %s (state version %d, %zu watchers)", rx.binary,
		 REEXEC_STATE_VERSION, json_array_size(json_object_get(json_object_get(state,
								      "arbiter"), "watchers")));
	/* Answered now: the control socket is about to close. cirquectl then waits for the new
	 * image's generation. */
	if (rx.req)
		control_reply(rx.req, json_pack("{s:s, s:i, s:s}", "result", "re-executing",
						"generation", (int)rx.generation + 1, "binary",
						rx.binary));
	rx.req = NULL;
	endpoints = keep_endpoints();
	json_object_set_new(state, "endpoints", json_deep_copy(endpoints));
	json_object_set_new(state, "exec_started", json_real((double)t0.tv_sec +
							   (double)t0.tv_nsec / 1e9));
	(void)t0;
	notify_send("RELOADING=1\nSTATUS=re-executing %s", rx.binary);
	json_object_set_new(state, "plane_closed", json_real(monotonic_now()));
	rx.close_plane(rx.a);
	json_object_set_new(state, "replies", control_recorded_replies());
	sinks_flush();
	fd = state_fd(state);
	json_decref(state);
	char **argv = fd >= 0 ? exec_argv(fd) : NULL;
	int error = errno;
	if (argv) {
		extern char **environ;
		reexec_keep_fd(fd);
		notify_export(true);
		block_signals(SIG_BLOCK);
		reexec_keep_apply(true);
		execveat(binary, "", argv, environ, AT_EMPTY_PATH);
		error = errno;
		/* Still here: the exec failed, and nothing but the control plane has changed. */
		reexec_keep_apply(false);
		block_signals(SIG_UNBLOCK);
		notify_export(false);
		free(argv[2]);
		free(argv);
	}
	if (binary >= 0)
		close(binary);
	if (fd >= 0)
		close(fd);
	inherit_endpoints(endpoints);
	json_decref(endpoints);
	reexec_keep_reset();
	rx.open_plane(rx.a);
	notify_send("READY=1\nSTATUS=re-exec failed");
	if (!why[0])
		snprintf(why, sizeof(why), "cannot execute %s: %s", rx.binary, strerror(error));
	log_errorx("re-exec: %s; going on as before", why);
	finish(false, "%s", why);
}

/* --- 2. waiting for what cannot be carried ------------------------------------------------------ */

static void on_quiet_poll(struct ev_loop *loop, ev_timer *t, int revents)
{
	char why[300];

	(void)t;
	(void)revents;
	if (!arbiter_reexec_blocker(rx.a, why, sizeof(why))) {
		ev_timer_stop(loop, &rx.timer);
		do_exec();
		return;
	}
	if (ev_now(loop) - rx.quiet_since > QUIET_WAIT)
		finish(false, "%s (waited %.0f s; try again once it is over)", why, QUIET_WAIT);
}

static void wait_quiet(void)
{
	char why[300];

	if (!arbiter_reexec_blocker(rx.a, why, sizeof(why))) {
		do_exec();
		return;
	}
	log_info("re-exec: waiting first, as %s", why);
	rx.quiet_since = ev_now(rx.a->loop);
	ev_timer_stop(rx.a->loop, &rx.timer);
	ev_timer_init(&rx.timer, on_quiet_poll, QUIET_POLL, QUIET_POLL);
	ev_timer_start(rx.a->loop, &rx.timer);
}

/* --- 1. the new binary's check ------------------------------------------------------------------ */

static void read_check_output(void)
{
	ssize_t n;

	while (rx.check_fd >= 0 && rx.check_len < sizeof(rx.check_out) - 1 &&
	       (n = read(rx.check_fd, rx.check_out + rx.check_len,
			 sizeof(rx.check_out) - 1 - rx.check_len)) > 0)
		rx.check_len += (size_t)n;
	rx.check_out[rx.check_len] = '\0';
}

static void close_check_output(void)
{
	if (rx.check_fd < 0)
		return;
	ev_io_stop(rx.a->loop, &rx.check_io);
	close(rx.check_fd);
	rx.check_fd = -1;
}

static void on_check_output(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)io;
	(void)revents;
	size_t before = rx.check_len;
	read_check_output();
	if (rx.check_len == before)  /* EOF, or enough said */
		close_check_output();
}

/* The first line the check wrote, for a reply. */
static const char *check_said(void)
{
	char *nl;

	read_check_output();
	while ((nl = strrchr(rx.check_out, '\n')) && nl[1] == '\0')
		*nl = '\0';
	return rx.check_len ? rx.check_out : "(no output)";
}

static void on_check_exit(struct reaper_child *c, pid_t pid, int status)
{
	(void)c;
	(void)pid;
	rx.check_pid = 0;
	ev_timer_stop(rx.a->loop, &rx.timer);
	char token[64];
	snprintf(token, sizeof(token), "%s %d", REEXEC_CHECK_TOKEN, REEXEC_STATE_VERSION);
	read_check_output();
	bool agreed = strstr(rx.check_out, token) != NULL;
	const char *said = check_said();
	close_check_output();
	if (WIFSIGNALED(status)) {
		finish(false, "%s cannot resume this daemon: its check was killed by SIG%s%s%s",
		       rx.binary, sigabbrev_np(WTERMSIG(status)) ?: "?", rx.check_len ? ": " : "",
		       rx.check_len ? said : "");
		return;
	}
	if (WEXITSTATUS(status) == 127) {
		finish(false, "cannot run %s: %s", rx.binary, said);
		return;
	}
	if (WEXITSTATUS(status) != 0 || !agreed) {
		finish(false, "%s cannot resume this daemon: %s", rx.binary,
		       WEXITSTATUS(status) == 0 ? "it does not say it can (not a cirqued?)" : said);
		return;
	}
	/* Only the first line is for people. */
	char *nl = strchr(rx.check_out, '\n');
	if (nl)
		*nl = '\0';
	if (rx.check_only) {
		finish(true, "%s can resume this daemon: %s", rx.binary, said);
		return;
	}
	wait_quiet();
}

static void on_check_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)t;
	(void)revents;
	if (rx.check_pid > 0)
		kill(rx.check_pid, SIGKILL);  /* its exit ends the check, as a refusal */
}

static void start_check(void)
{
	char version[16];
	int pipefd[2];
	const char *step = NULL;

	char why[SAFEFS_WHY + 200];
	/* Run by its path: the check says nobody else can replace it meanwhile. */
	int binary = open_binary(why, sizeof(why));

	snprintf(version, sizeof(version), "%d", REEXEC_STATE_VERSION);
	if (binary < 0) {
		finish(false, "%s", why);
		return;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(binary);
		finish(false, "cannot check %s: %s", rx.binary, strerror(errno));
		return;
	}
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	char *argv[] = { rx.binary, "--check-resume", version, "-c", rx.a->config_path, NULL };
	extern char **environ;
	struct spawn_request req = {
		.argv = argv, .file = rx.binary, .envp = environ, .umask = -1,
		.stdio = { rx.a->devnull_fd, pipefd[1], pipefd[1] }, .cgroup_procs_fd = -1,
	};
	pid_t pid = spawn_process(&req, &step);
	int error = errno;
	close(binary);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		finish(false, "cannot run %s: %s", rx.binary, strerror(error));
		return;
	}
	rx.check_pid = pid;
	rx.check_fd = pipefd[0];
	rx.check_len = 0;
	rx.check_out[0] = '\0';
	ev_io_init(&rx.check_io, on_check_output, rx.check_fd, EV_READ);
	ev_io_start(rx.a->loop, &rx.check_io);
	reaper_watch(&rx.check_child, pid, on_check_exit);
	ev_timer_init(&rx.timer, on_check_timeout, CHECK_TIMEOUT, 0);
	ev_timer_start(rx.a->loop, &rx.timer);
}

/* --- the command and the signal ------------------------------------------------------------------ */

void reexec_begin(struct request *req, bool check_only)
{
	if (rx.a == NULL) {
		if (req)
			control_fail(req, REPLY_EFAIL, "re-exec is not available");
		return;
	}
	if (rx.busy) {
		if (req)
			control_fail(req, REPLY_EFAIL, "a re-exec is already under way");
		else
			log_warnx("SIGUSR2: a re-exec is already under way");
		return;
	}
	rx.busy = true;
	rx.req = req;
	if (!check_only)
		control_record_replies(true);
	rx.check_only = check_only;
	log_info("re-exec%s of %s asked for (%s)", check_only ? " check" : "", rx.binary,
		 req ? "reexec command" : "SIGUSR2");
	start_check();
}

static void on_sigusr2(struct ev_loop *loop, ev_signal *sig, int revents)
{
	(void)loop;
	(void)sig;
	(void)revents;
	reexec_begin(NULL, false);
}

json_t *reexec_status(void)
{
	return json_pack("{s:i, s:s, s:s?, s:b, s:s, s:f, s:f}", "generation", (int)rx.generation,
			 "version", CIRQUE_VERSION, "binary", rx.binary, "busy", rx.busy,
			 "last_result", rx.last_result, "last_ms", rx.last_ms, "last_unanswered_ms",
			 rx.last_unanswered_ms);
}

void reexec_resumed(const json_t *state, double control_open)
{
	control_expect_repeats(json_object_get(state, "replies"));
	double began = json_number_value(json_object_get(state, "exec_started"));
	double closed = json_number_value(json_object_get(state, "plane_closed"));

	rx.last_ms = (monotonic_now() - began) * 1000;
	rx.last_unanswered_ms = (control_open - closed) * 1000;
	snprintf(rx.last_result, sizeof(rx.last_result), "resumed from cirqued %s in %.0f ms, the "
		 "control socket unanswered for %.0f ms",
		 json_string_value(json_object_get(state, "from")) ?: "?", rx.last_ms,
		 rx.last_unanswered_ms);
	log_info("re-exec: %s", rx.last_result);
}

double reexec_clock(void)
{
	return monotonic_now();
}

void reexec_init(struct arbiter *a, const char *binary, int argc, char **argv,
		 unsigned generation, reexec_plane_fn close_plane, reexec_plane_fn open_plane)
{
	rx.a = a;
	rx.binary = xstrdup(binary);
	rx.generation = generation;
	rx.close_plane = close_plane;
	rx.open_plane = open_plane;
	rx.args = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--resume-fd") == 0 && i + 1 < argc) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--resume-fd=", 12) == 0)
			continue;
		rx.args[rx.nargs++] = xstrdup(argv[i]);
	}
	ev_signal_init(&rx.sigusr2, on_sigusr2, SIGUSR2);
	ev_signal_start(a->loop, &rx.sigusr2);
}

void reexec_shutdown(void)
{
	if (rx.a == NULL)
		return;
	ev_signal_stop(rx.a->loop, &rx.sigusr2);
	ev_timer_stop(rx.a->loop, &rx.timer);
	close_check_output();
	if (rx.check_pid > 0)
		reaper_unwatch(&rx.check_child);
	if (rx.req)
		control_fail(rx.req, REPLY_ESHUTDOWN, "the daemon is shutting down");
	rx.req = NULL;
	for (int i = 0; i < rx.nargs; i++)
		free(rx.args[i]);
	free(rx.args);
	free(rx.binary);
	rx.a = NULL;
}

/* --- the new image -------------------------------------------------------------------------------- */

json_t *reexec_read_state(int fd, char *why)
{
	json_error_t error = { .text = "empty" };
	json_t *state = NULL;
	struct stat st;

	/* Read whole: json_loadfd reads a byte at a time (a million calls for 10,000 processes). */
	char *text = fstat(fd, &st) == 0 && st.st_size > 0 ? malloc((size_t)st.st_size) : NULL;
	size_t done = 0;
	while (text && done < (size_t)st.st_size) {
		ssize_t n = pread(fd, text + done, (size_t)st.st_size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (text && done == (size_t)st.st_size)
		state = json_loadb(text, done, 0, &error);
	free(text);
	close(fd);
	if (state == NULL) {
		snprintf(why, 200, "unreadable state: %s", error.text);
		return NULL;
	}
	int version = (int)json_integer_value(json_object_get(state, "version"));
	if (version < 1 || version > REEXEC_STATE_VERSION) {
		snprintf(why, 200, "state version %d, this cirqued reads 1 to %d", version,
			 REEXEC_STATE_VERSION);
		json_decref(state);
		return NULL;
	}
	return state;
}
