/* hook.c - runs a watcher's hooks (see hook.h). */
#include "hook.h"

#include "log.h"
#include "parse.h"
#include "reaper.h"
#include "spawn.h"
#include "text.h"
#include "watcher.h"
#include "xmalloc.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1024           /* a longer line is logged in pieces */
/* What one run may put in the daemon's log: the rest is read and counted, not logged (a hook
 * that writes without end would fill the disk with the log). */
#define OUTPUT_LOGGED_MAX (256 * 1024)
/* Hooks nothing waits for (after_spawn, after_reap, after_signal) running at once per watcher:
 * beyond, a new one is skipped (a crash loop with a slow after_reap would otherwise take a
 * descriptor and a process per crash). */
#define UNWAITED_MAX 16

struct hook_run {
	struct hook_run *next, *prev;   /* in the list of runs, for the reaper and the shutdown */
	struct ev_loop *loop;
	struct watcher *owner;        /* NULL once cancelled */
	char *watcher;                /* its name, for the log once the watcher is gone */
	enum hook_point point;
	double timeout;
	bool ignore_failure;
	hook_done_fn done;
	void *arg;
	pid_t pid;                    /* 0: never spawned, or reaped */
	bool timed_out;
	char *spawn_error;            /* could not be spawned: why (reported from `later`) */
	struct reaper_child child;
	ev_timer timer;               /* the timeout, or (not spawned) the report at once */
	ev_io output;                 /* the read end of its stdout+stderr pipe */
	char line[LINE_MAX_BYTES];
	size_t len;
	size_t logged;                /* bytes of output logged */
	unsigned long long unlogged;  /* bytes read beyond OUTPUT_LOGGED_MAX */
};

static struct hook_run *runs;
static hook_publish_fn publisher;
static void *publisher_arg;

void hook_set_publisher(hook_publish_fn fn, void *arg)
{
	publisher = fn;
	publisher_arg = arg;
}

bool hook_configured(const struct watcher *w, enum hook_point point)
{
	return w->config->hooks[point].argv != NULL;
}

/* --- the environment -------------------------------------------------------------------------- */

static bool is_event_variable(const char *entry)
{
	static const char *const names[] = { "CIRQUE_HOOK=", "CIRQUE_WATCHER=", "CIRQUE_WID=",
		"CIRQUE_PID=", "CIRQUE_EXIT_CODE=", "CIRQUE_EXIT_SIGNAL=", "CIRQUE_SIGNAL=" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

static size_t count_words(char **words)
{
	size_t n = 0;

	while (words && words[n])
		n++;
	return n;
}

/* NAME=... of ENTRY is set again in LATER (the hook's env overrides the watcher's). */
static bool overridden(const char *entry, char **later)
{
	size_t len = strcspn(entry, "=");

	for (; later && *later; later++)
		if (strncmp(*later, entry, len) == 0 && (*later)[len] == '=')
			return true;
	return false;
}

/* The watcher's environment, then the hook's env, then the event's variables. */
static char **hook_environment(const struct watcher *w, const struct hook_config *hc,
			       const struct hook_event *ev)
{
	char **base = w->config->env, **own = hc->env;
	char **env = xcalloc(count_words(base) + count_words(own) + 8, sizeof(char *));
	size_t n = 0;

	for (size_t i = 0; base && base[i]; i++)
		if (!is_event_variable(base[i]) && !overridden(base[i], own))
			env[n++] = xstrdup(base[i]);
	for (size_t i = 0; own && own[i]; i++)
		if (!is_event_variable(own[i]))
			env[n++] = xstrdup(own[i]);
	env[n++] = xasprintf("CIRQUE_HOOK=%s", hook_point_name(ev->point));
	env[n++] = xasprintf("CIRQUE_WATCHER=%s", w->name);
	if (ev->wid > 0)
		env[n++] = xasprintf("CIRQUE_WID=%d", ev->wid);
	if (ev->pid > 0)
		env[n++] = xasprintf("CIRQUE_PID=%d", (int)ev->pid);
	if (ev->status >= 0 && WIFEXITED(ev->status))
		env[n++] = xasprintf("CIRQUE_EXIT_CODE=%d", WEXITSTATUS(ev->status));
	else if (ev->status >= 0 && WIFSIGNALED(ev->status))
		env[n++] = xasprintf("CIRQUE_EXIT_SIGNAL=%s", signal_name(WTERMSIG(ev->status))
				     ? signal_name(WTERMSIG(ev->status)) : "?");
	if (ev->signum > 0)
		env[n++] = xasprintf("CIRQUE_SIGNAL=%s", signal_name(ev->signum)
				     ? signal_name(ev->signum) : "?");
	env[n] = NULL;
	return env;
}

static const char *search_path_of(char **envp)
{
	for (; envp && *envp; envp++)
		if (strncmp(*envp, "PATH=", 5) == 0)
			return *envp + 5;
	return getenv("PATH");
}

/* --- output ----------------------------------------------------------------------------------- */

static void say_line(struct hook_run *run)
{
	if (run->len == 0)
		return;
	if (run->logged >= OUTPUT_LOGGED_MAX) {
		run->unlogged += run->len;
		run->len = 0;
		return;
	}
	log_info("watcher %s: hook %s[%d]: %.*s", run->watcher, hook_point_name(run->point),
		 (int)run->pid, (int)run->len, run->line);
	run->logged += run->len;
	run->len = 0;
}

/* What the pipe holds now, line by line; at EOF (or when FINAL) the rest, and the pipe closes.
 * A few reads per call: a hook that writes without end does not hold the loop. */
static void read_output(struct hook_run *run, bool final)
{
	char buf[4096];
	ssize_t n = -1;
	int reads = 0;

	if (run->output.fd < 0)
		return;
	errno = EAGAIN;
	while (reads++ < 16 && (n = read(run->output.fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				say_line(run);
				continue;
			}
			if (run->len == sizeof(run->line))
				say_line(run);
			run->line[run->len++] = buf[i];
		}
	}
	bool eof = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
	if (!eof && !final)
		return;
	say_line(run);
	if (run->unlogged)
		log_warnx("watcher %s: hook %s[%d]: %llu more bytes of output not logged (%d KiB "
			  "logged at most per run)", run->watcher, hook_point_name(run->point),
			  (int)run->pid, run->unlogged, OUTPUT_LOGGED_MAX / 1024);
	ev_io_stop(run->loop, &run->output);
	close(run->output.fd);
	ev_io_set(&run->output, -1, EV_READ);
}

static void on_output(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	read_output(io->data, false);
}

/* --- the end of a run ------------------------------------------------------------------------- */

static void unlist(struct hook_run *run)
{
	if (run->prev)
		run->prev->next = run->next;
	else
		runs = run->next;
	if (run->next)
		run->next->prev = run->prev;
}

static void run_free(struct hook_run *run)
{
	unlist(run);
	ev_timer_stop(run->loop, &run->timer);
	read_output(run, true);
	reaper_unwatch(&run->child);
	free(run->watcher);
	free(run->spawn_error);
	free(run);
}

static void describe(struct hook_run *run, int status, struct hook_result *r, char *why,
		     size_t size)
{
	r->point = run->point;
	r->pid = run->pid;
	r->why = why;
	why[0] = '\0';
	if (run->spawn_error) {
		r->outcome = HOOK_NOT_RUN;
		snprintf(why, size, "%s", run->spawn_error);
	} else if (run->timed_out) {
		r->outcome = HOOK_TIMED_OUT;
		snprintf(why, size, "timed out after %g s", run->timeout);
	} else if (WIFSIGNALED(status)) {
		r->outcome = HOOK_KILLED;
		r->code = WTERMSIG(status);
		snprintf(why, size, "killed by SIG%s", signal_name(r->code) ? signal_name(r->code)
									     : "?");
	} else if (WEXITSTATUS(status) != 0) {
		r->outcome = HOOK_EXITED;
		r->code = WEXITSTATUS(status);
		snprintf(why, size, "exited %d", r->code);
	} else {
		r->outcome = HOOK_OK;
	}
	r->ignored = r->outcome != HOOK_OK && run->ignore_failure;
}

static void publish(const struct hook_run *run, const struct hook_result *r)
{
	static const char *const statuses[] = { [HOOK_OK] = "ok", [HOOK_EXITED] = "failed",
		[HOOK_KILLED] = "failed", [HOOK_TIMED_OUT] = "timeout", [HOOK_NOT_RUN] = "failed" };
	json_t *payload;

	if (publisher == NULL)
		return;
	payload = json_pack("{s:s, s:s, s:i}", "hook", hook_point_name(run->point), "status",
			    statuses[r->outcome], "pid", (int)r->pid);
	if (r->outcome == HOOK_OK || r->outcome == HOOK_EXITED)
		json_object_set_new(payload, "exit_code", json_integer(r->code));
	if (r->outcome == HOOK_KILLED)
		json_object_set_new(payload, "exit_signal", json_integer(r->code));
	if (r->outcome != HOOK_OK)
		json_object_set_new(payload, "reason", text_to_json(r->why, strlen(r->why)));
	if (r->ignored)
		json_object_set_new(payload, "ignored", json_true());
	if (run->owner == NULL)
		json_object_set_new(payload, "cancelled", json_true());
	publisher(run->watcher, payload, publisher_arg);
}

/* The run is over (reaped, or never spawned): said, published, reported, freed. */
/* What the hook left running in its process group (`cmd &` in a shell) ends with it: a hook
 * is no way to start a daemon (a watcher is), and nothing would stop it later. Its pid is that
 * group's id, which the kernel does not give to another process while a member is alive. */
static void end_leftovers(struct hook_run *run)
{
	if (run->pid <= 0 || kill(-run->pid, 0) < 0)
		return;
	log_warnx("watcher %s: hook %s[%d] left processes running in its group: killing them",
		  run->watcher, hook_point_name(run->point), (int)run->pid);
	kill(-run->pid, SIGKILL);
}

static void finish(struct hook_run *run, int status)
{
	struct hook_result r = { 0 };
	char why[320];

	read_output(run, true);  /* what it wrote before it exited comes first */
	end_leftovers(run);
	describe(run, status, &r, why, sizeof(why));
	if (r.outcome == HOOK_OK)
		log_info("watcher %s: hook %s[%d] succeeded", run->watcher,
			 hook_point_name(run->point), (int)run->pid);
	else if (run->owner == NULL)
		log_info("watcher %s: hook %s[%d] cancelled (%s)", run->watcher,
			 hook_point_name(run->point), (int)run->pid, why);
	else
		log_warnx("watcher %s: hook %s%s%.0d%s failed: %s%s", run->watcher,
			  hook_point_name(run->point), run->pid ? "[" : "", (int)run->pid,
			  run->pid ? "]" : "", why, r.ignored ? " (ignore_failure: going on)" : "");
	publish(run, &r);
	hook_done_fn done = run->owner ? run->done : NULL;
	void *arg = run->arg;
	run->pid = 0;
	run_free(run);
	if (done)
		done(&r, arg);
}

static void on_hook_exit(struct reaper_child *child, pid_t pid, int status)
{
	struct hook_run *run = (struct hook_run *)((char *)child - offsetof(struct hook_run, child));

	(void)pid;
	finish(run, status);
}

static void kill_group(struct hook_run *run)
{
	if (run->pid <= 0)
		return;
	kill(run->pid, SIGKILL);  /* itself, whatever group it is in */
	if (kill(-run->pid, SIGKILL) < 0 && errno != ESRCH)
		log_warn("watcher %s: cannot kill hook %s[%d]", run->watcher,
			 hook_point_name(run->point), (int)run->pid);
}

static void on_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct hook_run *run = timer->data;

	(void)loop;
	(void)revents;
	if (run->spawn_error) {  /* reported from the loop, as any other end */
		finish(run, 0);
		return;
	}
	log_warnx("watcher %s: hook %s[%d] still running after its timeout (%g s): killing its "
		  "process group", run->watcher, hook_point_name(run->point), (int)run->pid,
		  run->timeout);
	run->timed_out = true;
	kill_group(run);  /* the end is its reaping */
}

/* --- starting --------------------------------------------------------------------------------- */

static pid_t spawn_hook(struct watcher *w, const struct hook_config *hc, char **envp, int out_fd,
			const char **step)
{
	const struct watcher_config *c = w->config;
	bool own = hc->own_ids, own_user = own && hc->uid_given;
	uid_t watcher_uid = c->set_ids ? c->uid : geteuid();
	uid_t uid = own_user ? hc->uid : watcher_uid;
	/* Another user than the watcher's does not enter the watcher's directory, which that
	 * user may control (a link to where root's relative writes would land): it starts in
	 * its own working_dir, or in /. */
	const char *dir = hc->working_dir ? hc->working_dir
		: uid != watcher_uid ? "/" : c->working_dir;
	struct spawn_request req = {
		.argv = hc->argv, .search_path = search_path_of(envp), .envp = envp,
		.working_dir = dir,
		.umask = c->umask, .set_ids = own ? hc->set_ids || c->set_ids : c->set_ids,
		.uid = uid, .gid = own ? hc->gid : c->gid,
		.groups = own_user ? hc->groups : c->groups,
		.ngroups = own_user ? hc->ngroups : c->ngroups,
		.rlimits = c->rlimits, .nrlimits = c->nrlimits,
		.stdio = { w->stdio[0], out_fd, out_fd }, .nofile = w->child_nofile,
		.cgroup_procs_fd = -1,
	};

	return spawn_process(&req, step);
}

/* W has UNWAITED_MAX hooks running that nothing waits for: the one at POINT is skipped,
 * counted, and said at most once a second. */
static bool too_many_unwaited(struct watcher *w, enum hook_point point)
{
	int n = 0;

	for (struct hook_run *run = runs; run && n < UNWAITED_MAX; run = run->next)
		n += run->owner == w && run->done == NULL && run->pid > 0;
	if (n < UNWAITED_MAX)
		return false;
	w->hooks_skipped++;
	if (ev_now(w->loop) - w->hooks_skip_said >= 1.0) {
		w->hooks_skip_said = ev_now(w->loop);
		log_warnx("watcher %s: hook %s skipped: %d of its hooks that nothing waits for are "
			  "running already (%llu skipped so far)", w->name, hook_point_name(point),
			  UNWAITED_MAX, w->hooks_skipped);
	}
	return true;
}

struct hook_run *hook_start(struct watcher *w, const struct hook_event *event, hook_done_fn done,
			    void *arg)
{
	const struct hook_config *hc = &w->config->hooks[event->point];
	struct hook_run *run;
	const char *step = "spawn";
	int pipefd[2] = { -1, -1 };
	pid_t pid = -1;

	if (hc->argv == NULL || (done == NULL && too_many_unwaited(w, event->point)))
		return NULL;
	run = xcalloc(1, sizeof(*run));
	run->loop = w->loop;
	run->owner = w;
	run->watcher = xstrdup(w->name);
	run->point = event->point;
	run->timeout = hc->timeout;
	run->ignore_failure = hc->ignore_failure;
	run->done = done;
	run->arg = arg;
	ev_init(&run->timer, on_timer);
	run->timer.data = run;
	ev_io_init(&run->output, on_output, -1, EV_READ);
	run->output.data = run;
	run->next = runs;
	if (runs)
		runs->prev = run;
	runs = run;

	char **envp = hook_environment(w, hc, event);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		step = "create the output pipe of";
	else
		pid = spawn_hook(w, hc, envp, pipefd[1], &step);
	int error = errno;
	free_words(envp);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (pid < 0) {
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		const char *what = strncmp(step, "chdir", 5) == 0 && (hc->working_dir ||
			w->config->working_dir) ? (hc->working_dir ? hc->working_dir
					       : w->config->working_dir) : hc->argv[0];
		run->spawn_error = xasprintf("cannot %s %s: %s", step, what, strerror(error));
		ev_timer_set(&run->timer, 0, 0);  /* said and reported from the loop */
		ev_timer_start(run->loop, &run->timer);
		return run;
	}
	run->pid = pid;
	fcntl(pipefd[0], F_SETFL, fcntl(pipefd[0], F_GETFL) | O_NONBLOCK);
	ev_io_set(&run->output, pipefd[0], EV_READ);
	ev_io_start(run->loop, &run->output);
	reaper_watch(&run->child, pid, on_hook_exit);  /* before the loop runs again */
	ev_now_update(run->loop);  /* the timeout counts from now, not from the loop's round */
	ev_timer_set(&run->timer, run->timeout, 0);
	ev_timer_start(run->loop, &run->timer);
	log_info("watcher %s: hook %s[%d] started: %s%s", w->name, hook_point_name(run->point),
		 (int)pid, hc->argv[0], hc->argv[1] ? " ..." : "");
	return run;
}

void hook_cancel(struct hook_run *run)
{
	if (run == NULL || run->owner == NULL)
		return;
	run->owner = NULL;
	run->done = NULL;
	if (run->pid > 0) {
		kill_group(run);  /* freed once reaped */
		return;
	}
	run_free(run);  /* never spawned: nothing to wait for */
}

void hook_cancel_all_of(struct watcher *w)
{
	for (struct hook_run *run = runs, *next; run; run = next) {
		next = run->next;
		if (run->owner == w)
			hook_cancel(run);
	}
}

struct reaper_child *hook_child_of_pid(pid_t pid)
{
	for (struct hook_run *run = runs; run; run = run->next)
		if (run->pid == pid && pid > 0)
			return &run->child;
	return NULL;
}

bool hook_owns_pid(pid_t pid)
{
	return hook_child_of_pid(pid) != NULL;
}

/* How long the exit waits for the hooks it killed to be reaped: a SIGKILLed process that a
 * tracer holds stays unreaped for as long as the tracer wants, and cirqued must still exit. */
#define SHUTDOWN_REAP_MS 2000

void hook_shutdown(void)
{
	int waited = 0, status;

	for (struct hook_run *run = runs; run; run = run->next) {
		if (run->pid <= 0)
			continue;
		log_info("watcher %s: hook %s[%d] still running at exit: killing it", run->watcher,
			 hook_point_name(run->point), (int)run->pid);
		kill_group(run);
		reaper_unwatch(&run->child);
	}
	while (runs) {
		struct hook_run *run = runs;
		if (run->pid > 0 && waitpid(run->pid, &status, WNOHANG) == 0) {
			if (waited < SHUTDOWN_REAP_MS) {
				poll(NULL, 0, 10);  /* the loop is over: this is the exit's last wait */
				waited += 10;
				continue;
			}
			log_warnx("watcher %s: hook %s[%d] killed but not reaped after %d ms (held by a "
				  "tracer?): leaving it", run->watcher, hook_point_name(run->point),
				  (int)run->pid, SHUTDOWN_REAP_MS);
		}
		run->owner = NULL;
		run->pid = 0;
		run_free(run);
	}
}

bool hook_running(char *what, size_t size)
{
	for (struct hook_run *run = runs; run; run = run->next) {
		if (run->pid > 0 || run->owner) {
			snprintf(what, size, "the %s hook of %s", hook_point_name(run->point),
				 run->watcher);
			return true;
		}
	}
	return false;
}
