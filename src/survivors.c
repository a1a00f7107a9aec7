/* survivors.c - the state file of our processes, and at start-up what a cirqued that died left
 * running (see survivors.h).
 *
 * The file, text, one record a line (watcher names hold no blanks):
 *     cirqued-survivors 1
 *     boot BOOT_ID
 *     daemon PID START
 *     process NAME WID PID START [stop]
 * START is field 22 of /proc/PID/stat (clock ticks after boot: the boot's id tells a file kept
 * across a reboot, whose pids and ticks may well match other processes now); "stop" marks a
 * process that was being stopped or replaced, or whose watcher was removed: never adopted. */
#include "survivors.h"

#include "sockets.h"

#include "arbiter.h"
#include "cgroup.h"
#include "endpoint.h"
#include "fdlimit.h"
#include "log.h"
#include "parse.h"
#include "proc_info.h"
#include "safefs.h"
#include "xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAGIC "cirqued-survivors 1"
/* The longest a change of pids waits to be written: at most 5 writes a second, however many
 * processes spawn (10,000 spawned in 8 s: 63 writes). */
#define SURVIVORS_DELAY 0.2
/* A state file larger than this is not ours (10,000 processes take about 300 KB). */
#define STATE_MAX (64 << 20)
/* After SIGKILL, a survivor still there (in D state) is given up on this much later. */
#define KILL_GIVE_UP 5.0
/* How often a survivor being stopped without a pidfd is looked for in /proc. */
#define POLL_INTERVAL 0.1
/* Survivors stopped for want of their watcher or slot that are named one by one. */
#define SAY_UNPLACED 10
/* The stop of a survivor whose watcher is gone from the configuration. */
#define DEFAULT_GRACE 30.0

static struct {
	struct arbiter *a;
	struct ev_loop *loop;
	int dir_fd;                   /* the runtime directory (-1: not tracking) */
	char name[64];                /* the state file's name in it */
	char tmp_name[80];
	pid_t self;
	unsigned long long self_ticks;
	char boot_id[40];             /* /proc/sys/kernel/random/boot_id */
	ev_timer write_timer;
	ev_tstamp last_write;
	bool told;                    /* a failed write was logged (until one succeeds) */
} st = { .dir_fd = -1 };

/* --- the state file -------------------------------------------------------------------------- */

struct buf {
	char *data;
	size_t len, cap;
};

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n + 64;
		b->data = xreallocarray(b->data, b->cap, 1);
	}
	b->len += (size_t)n;
}

/* A process's line; its start time is read once (its pid cannot be another's meanwhile: a child
 * of ours stays a zombie until we reap it, and an adopted one's came from the file). */
static void add_process(struct buf *b, struct process *p, bool stop)
{
	if (p->pid <= 0 || (p->start_ticks == 0 && !proc_start_ticks(p->pid, &p->start_ticks)))
		return;
	buf_printf(b, "process %s %d %d %llu%s\n", p->watcher->name, p->wid, (int)p->pid,
		   p->start_ticks, stop ? " stop" : "");
}

static void add_watchers(struct buf *b, struct watcher *list, bool removed)
{
	for (struct watcher *w = list; w; w = w->next)
		for (struct process *p = w->processes; p; p = p->next)
			add_process(b, p, removed || p->retiring || p->state == PS_STOPPING);
}

/* Writes the file anew: a temporary file, renamed over it (a reader never sees half of one). In
 * the runtime directory, which is ours alone (0711: nobody else can plant anything there). */
static void write_state(void)
{
	struct buf b = { .data = xmalloc(4096), .cap = 4096 };
	int fd;

	ev_tstamp began = ev_time();

	buf_printf(&b, MAGIC "\nboot %s\ndaemon %d %llu\n", st.boot_id, (int)st.self,
		   st.self_ticks);
	add_watchers(&b, st.a->watchers, false);
	add_watchers(&b, st.a->removed, true);
	unlinkat(st.dir_fd, st.tmp_name, 0);
	fd = openat(st.dir_fd, st.tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	bool ok = fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len;
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	if (ok && renameat(st.dir_fd, st.tmp_name, st.dir_fd, st.name) < 0)
		ok = false;
	if (!ok && !st.told)
		log_warn("survivors: cannot write the state file %s (a crash of cirqued now would let "
			 "the next one start duplicates)", st.name);
	else if (ok && st.told)
		log_info("survivors: the state file %s is written again", st.name);
	st.told = !ok;
	if (!ok && fd >= 0)
		unlinkat(st.dir_fd, st.tmp_name, 0);
	log_debug("survivors: %s written, %zu bytes in %.1f ms", st.name, b.len,
		  (ev_time() - began) * 1000);
	free(b.data);
	st.last_write = ev_now(st.loop);
}

static void on_write_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)timer;
	(void)revents;
	write_state();
}

/* Pids changed (watcher.c): written at once after a quiet spell, else SURVIVORS_DELAY after
 * the last write. */
static void on_pids_changed(void)
{
	if (st.dir_fd < 0 || ev_is_active(&st.write_timer))
		return;
	double wait = st.last_write + SURVIVORS_DELAY - ev_now(st.loop);
	ev_timer_set(&st.write_timer, wait > 0 ? wait : 0, 0);
	ev_timer_start(st.loop, &st.write_timer);
}

/* survivors, or survivors-<hash of the endpoint> for a daemon on another control endpoint than
 * the default one: two daemons sharing the runtime directory keep files of their own. */
static void state_name(const char *control_endpoint, char *out, size_t size)
{
	char *def = default_endpoint("control.sock");
	const char *endpoint = control_endpoint ? control_endpoint : def;
	unsigned long long h = 1469598103934665603ULL;  /* FNV-1a */

	if (strcmp(endpoint, def) == 0) {
		snprintf(out, size, "survivors");
	} else {
		for (const char *c = endpoint; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
		snprintf(out, size, "survivors-%016llx", h);
	}
	free(def);
}

/* This boot's id ("" if unknown). */
static void read_boot_id(char *out, size_t size)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, size - 1) : -1;

	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, " \n")] = '\0';
}

void survivors_track(struct arbiter *a)
{
	char *dir = runtime_dir(), why[SAFEFS_WHY];

	st.a = a;
	st.loop = a->loop;
	st.self = getpid();
	if (!proc_start_ticks(st.self, &st.self_ticks))
		st.self_ticks = 0;
	read_boot_id(st.boot_id, sizeof(st.boot_id));
	if (!st.boot_id[0])
		snprintf(st.boot_id, sizeof(st.boot_id), "unknown");
	state_name(a->control_endpoint, st.name, sizeof(st.name));
	snprintf(st.tmp_name, sizeof(st.tmp_name), ".%s.tmp", st.name);
	ev_init(&st.write_timer, on_write_timer);
	st.dir_fd = safe_mkdir_own(dir, RUNTIME_DIR_MODE, why);
	if (st.dir_fd < 0)
		log_warnx("survivors: no state file (runtime directory: %s): after a crash of cirqued, "
			  "the next one would start its programs anew beside those still running", why);
	else
		watcher_set_pids_changed(on_pids_changed);
	free(dir);
}

/* --- reading it ------------------------------------------------------------------------------ */

/* The state file's text (NUL-terminated), or NULL when there is none (or it is not ours). */
static char *read_state(void)
{
	struct stat sb;
	char *text = NULL;
	ssize_t n;
	size_t len = 0;
	int fd = openat(st.dir_fd, st.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("survivors: cannot read the state file %s", st.name);
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    sb.st_nlink != 1 || sb.st_size > STATE_MAX) {
		log_warnx("survivors: ignoring %s: not a file of ours", st.name);
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size &&
	       (n = read(fd, text + len, (size_t)sb.st_size - len)) > 0)
		len += (size_t)n;
	text[len] = '\0';
	close(fd);
	return text;
}

struct survivor {
	char name[129];
	int wid;
	pid_t pid;
	unsigned long long ticks;
	bool stop;
};

/* A "process" line; false when it is not one. */
static bool parse_process(const char *line, struct survivor *s)
{
	char flag[8] = "";
	int pid, n = sscanf(line, "process %128s %d %d %llu %7s", s->name, &s->wid, &pid, &s->ticks,
			    flag);

	s->pid = (pid_t)pid;
	s->stop = n == 5 && strcmp(flag, "stop") == 0;
	return n >= 4 && s->pid > 1 && s->wid > 0;
}

/* The very process the file names: alive (not a zombie), with that start time. */
static bool still_running(pid_t pid, unsigned long long ticks)
{
	unsigned long long now;

	return proc_start_ticks(pid, &now) && now == ticks && !proc_is_zombie(pid);
}

/* --- stopping survivors ---------------------------------------------------------------------- */

struct stopping {
	ev_io io;                     /* its pidfd (fd -1: polled) */
	ev_timer timer;               /* graceful_timeout, then KILL_GIVE_UP */
	pid_t pid;
	unsigned long long ticks;
	char what[160];               /* "web[2]" */
	bool group;                   /* stop_children: its process group too */
	bool killed;
	bool over;
};

static struct {
	struct stopping **list;
	int n, left, killed, given_up;
	int unplaced;                 /* stopped for want of a watcher or slot */
	int piped;                    /* stopped to be restarted with new pipes (adopt) */
	ev_timer poll;                /* those without a pidfd */
	survivors_then_fn then;
} stops;

static void signal_survivor(struct stopping *s, int sig)
{
	int rc;

	if (s->group)  /* its own session and group, as cirqued spawned it (checked at start) */
		rc = kill(-s->pid, sig);
	else if (s->io.fd >= 0)
		rc = (int)syscall(SYS_pidfd_send_signal, s->io.fd, sig, NULL, 0);
	else
		rc = still_running(s->pid, s->ticks) ? kill(s->pid, sig) : 0;
	if (rc < 0 && errno != ESRCH)
		log_warn("survivors: cannot send SIG%s to pid %d (%s)",
			 signal_name(sig) ? signal_name(sig) : "?", (int)s->pid, s->what);
}

static void survivors_gone(void);

/* Nothing of S is watched any more. */
static void let_go(struct stopping *s)
{
	s->over = true;
	if (s->io.fd >= 0) {
		ev_io_stop(st.loop, &s->io);
		close(s->io.fd);
		ev_io_set(&s->io, -1, EV_READ);
	}
	ev_timer_stop(st.loop, &s->timer);
}

static void stop_over(struct stopping *s)
{
	if (s->over)
		return;
	let_go(s);
	if (--stops.left == 0) {
		ev_timer_stop(st.loop, &stops.poll);
		char killed[64] = "";
		if (stops.killed)
			snprintf(killed, sizeof(killed), " (%d after SIGKILL)", stops.killed);
		log_info("survivors: the %d process%s of the cirqued that died %s gone%s%s", stops.n,
			 stops.n == 1 ? "" : "es", stops.n == 1 ? "is" : "are", killed,
			 stops.given_up ? "; some could not be killed and were given up on" : "");
		survivors_gone();
	}
}

static void on_stop_pidfd(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	stop_over((struct stopping *)io);
}

static void on_stop_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct stopping *s = timer->data;

	(void)revents;
	if (!s->killed) {
		/* The first said, the others counted (thousands may time out at once). */
		log_msg(stops.killed ? LL_DEBUG : LL_WARNING, "survivors: pid %d (%s) still running "
			"after its graceful_timeout, sending SIGKILL%s", (int)s->pid, s->what,
			stops.killed ? "" : " (to any other that is, too)");
		s->killed = true;
		stops.killed++;
		signal_survivor(s, SIGKILL);
		ev_timer_set(timer, KILL_GIVE_UP, 0);
		ev_timer_start(loop, timer);
		return;
	}
	char why[200];
	proc_why_alive(s->pid, why, sizeof(why));
	log_errorx("survivors: pid %d (%s) still there %gs after SIGKILL (%s): giving up on it",
		   (int)s->pid, s->what, KILL_GIVE_UP, why);
	stops.given_up++;
	stop_over(s);
}

static void on_stop_poll(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)timer;
	(void)revents;
	for (int i = 0; i < stops.n; i++) {
		struct stopping *s = stops.list[i];
		if (!s->over && s->io.fd < 0 && !still_running(s->pid, s->ticks))
			stop_over(s);
	}
}

/* Begins the stop of survivor SV: W's stop_signal (to its group with stop_children), SIGKILL
 * after W's graceful_timeout; a survivor of no configured watcher gets SIGTERM and 30 s. */
static void stop_survivor(const struct survivor *sv, struct watcher *w)
{
	struct stopping *s = xcalloc(1, sizeof(*s));
	/* none below the descriptor reserve: polled */
	int fd = fd_keep_spare((int)syscall(SYS_pidfd_open, sv->pid, 0));
	pid_t ppid, pgid, sid;

	s->pid = sv->pid;
	s->ticks = sv->ticks;
	snprintf(s->what, sizeof(s->what), "%s[%d]%s", sv->name, sv->wid,
		 w ? "" : ", not configured any more");
	/* Opened before this check: if it still matches, the pidfd is the survivor's. */
	if (fd >= 0 && !still_running(sv->pid, sv->ticks)) {
		close(fd);
		free(s);
		return;
	}
	s->group = w && w->config->stop_children && proc_ids(sv->pid, &ppid, &pgid, &sid) == 0 &&
		   pgid == sv->pid;
	ev_io_init(&s->io, on_stop_pidfd, fd, EV_READ);
	ev_timer_init(&s->timer, on_stop_timer, w ? w->config->graceful_timeout : DEFAULT_GRACE, 0);
	s->timer.data = s;
	stops.list = xreallocarray(stops.list, (size_t)stops.n + 1, sizeof(*stops.list));
	stops.list[stops.n++] = s;
	stops.left++;
	signal_survivor(s, w ? w->config->stop_signal : SIGTERM);
	if (fd >= 0)
		ev_io_start(st.loop, &s->io);
	else if (!ev_is_active(&stops.poll))
		ev_timer_start(st.loop, &stops.poll);
	ev_timer_start(st.loop, &s->timer);
}

/* --- adopting them --------------------------------------------------------------------------- */

/* The process writes its stdout or stderr to a pipe: the dead cirqued's, read by nobody now. */
static bool output_was_piped(pid_t pid)
{
	char path[64], target[64];

	for (int fd = 1; fd <= 2; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', strncmp(target, "pipe:", 5) == 0))
			return true;
	}
	return false;
}

/* What was adopted into one watcher, said in one line (and one warning) per watcher. */
struct adoption {
	struct watcher *w;
	int n, piped;
	pid_t first[4];
};

static void note_adoption(struct adoption **list, int *n, struct watcher *w, pid_t pid)
{
	struct adoption *ad = NULL;

	for (int i = 0; i < *n && !ad; i++)
		if ((*list)[i].w == w)
			ad = &(*list)[i];
	if (ad == NULL) {
		*list = xreallocarray(*list, (size_t)*n + 1, sizeof(**list));
		ad = &(*list)[(*n)++];
		memset(ad, 0, sizeof(*ad));
		ad->w = w;
	}
	if (ad->n < 4)
		ad->first[ad->n] = pid;
	ad->n++;
	ad->piped += output_was_piped(pid);
}

static void say_adoptions(const struct adoption *list, int n, pid_t dead)
{
	for (int i = 0; i < n; i++) {
		const struct adoption *ad = &list[i];
		char pids[64] = "";
		for (int k = 0, used = 0; k < ad->n && k < 4; k++)
			used += snprintf(pids + used, sizeof(pids) - (size_t)used, "%s%d",
					 k ? ", " : "", (int)ad->first[k]);
		log_info("watcher %s: adopted %d process%s of the cirqued that died (pid %d): pid%s "
			 "%s%s", ad->w->name, ad->n, ad->n == 1 ? "" : "es", (int)dead,
			 ad->n == 1 ? "" : "s", pids, ad->n > 4 ? ", ..." : "");
		if (ad->piped)
			log_warnx("watcher %s: %d adopted process%s wrote %s output to the pipes of the "
				  "cirqued that died, which nobody reads now: a write there fails "
				  "(EPIPE), or kills it (SIGPIPE), and it is respawned with new pipes "
				  "(on_orphans: adopt restarts such programs at once instead)",
				  ad->w->name, ad->piped, ad->piped == 1 ? "" : "es",
				  ad->piped == 1 ? "its" : "their");
	}
}

/* The survivor takes its slot, unless on_orphans is stop, it was on its way out, or its watcher
 * or slot is no longer configured: then it is stopped. */
static void take_survivor(struct arbiter *a, const struct survivor *sv, struct adoption **ads,
			  int *nads)
{
	struct watcher *w = arbiter_find(a, sv->name);
	pid_t ppid = 0, pgid, sid;
	bool ours = proc_ids(sv->pid, &ppid, &pgid, &sid) == 0 && ppid == getpid();

	/* Its output went to the dead cirqued's pipes, which nobody reads now: a program that
	 * catches EPIPE (Python's BrokenPipeError) would run on, serving nothing, and look RUNNING.
	 * adopt restarts it with new pipes; adopt-all keeps it. */
	bool piped = !a->daemon.orphans_adopt_piped && output_was_piped(sv->pid);
	if (w && !sv->stop && !a->daemon.orphans_stop && !piped &&
	    watcher_adopt(w, sv->wid, sv->pid, sv->ticks, ours)) {
		note_adoption(ads, nads, w, sv->pid);
		return;
	}
	if (w && piped && !sv->stop && !a->daemon.orphans_stop) {
		log_msg(stops.piped++ < SAY_UNPLACED ? LL_WARNING : LL_DEBUG, "survivors: pid %d "
			"(%s[%d]) wrote its output to the pipes of the cirqued that died: restarting "
			"it (stopped, then started with new pipes; on_orphans: adopt-all keeps such "
			"processes)", (int)sv->pid, sv->name, sv->wid);
		stop_survivor(sv, w);
		return;
	}
	/* The first few said; the rest at debug level (a removed watcher of thousands). */
	enum log_level level = stops.unplaced++ < SAY_UNPLACED ? LL_WARNING : LL_DEBUG;
	if (!w)
		log_msg(level, "survivors: pid %d (%s[%d]) runs, but no watcher %s is configured "
			"any more: stopping it", (int)sv->pid, sv->name, sv->wid, sv->name);
	else if (!a->daemon.orphans_stop && !sv->stop)
		log_msg(level, "survivors: pid %d (%s[%d]) runs, but %s has %s: stopping it",
			(int)sv->pid, sv->name, sv->wid, w->name,
			sv->wid > w->numprocesses ? "fewer processes now" : "that slot taken");
	else if (sv->stop && !a->daemon.orphans_stop)
		log_msg(level, "survivors: pid %d (%s[%d]) was being stopped when cirqued died: "
			"stopping it", (int)sv->pid, sv->name, sv->wid);
	else
		stops.unplaced--;  /* stopped as on_orphans says: not a surprise */
	stop_survivor(sv, w);
}

/* The cirqued that wrote the file still runs (and is not this one): nothing of it is ours. */
static void refuse_if_alive(const char *line)
{
	int pid;
	unsigned long long ticks;

	if (sscanf(line, "daemon %d %llu", &pid, &ticks) != 2 || pid == (int)getpid())
		return;  /* ours: a re-exec of this very process; its children are ours again */
	if (pid > 1 && still_running((pid_t)pid, ticks))
		fatalx("survivors: the cirqued that wrote %s (pid %d) is still running: not starting "
		       "beside it", st.name, pid);
}

/* The watchers start now: their spawns are held (arbiter.c: dependencies_ready) while
 * survivors are being stopped, so status shows them waiting, and a start by hand waits too. */
static void start_watchers(struct arbiter *a)
{
	stops.then(a);
	/* Adopted processes of a watcher without autostart: it ran, so it runs on. */
	for (struct watcher *w = a->watchers; w; w = w->next) {
		if (!w->wanted && !w->start_queued && w->processes) {
			log_info("watcher %s: started (autostart: false, but its processes were "
				 "adopted)", w->name);
			watcher_start(w, NULL, NULL);
		}
	}
}

/* No survivor is left: the starts held for them go on. */
static void survivors_gone(void)
{
	cgroup_clean_stale();  /* the dead cirqued's cgroups, emptied by the moves and stops */
	arbiter_deps_changed(st.a);
}

static void count_lines(char *text, pid_t *dead, struct arbiter *a, int *found, int *gone,
			struct adoption **ads, int *nads)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct survivor sv;
		int pid;
		if (strncmp(line, "boot ", 5) == 0 && strcmp(line + 5, st.boot_id) != 0) {
			log_info("survivors: %s is from another boot: nothing of it runs", st.name);
			return;
		}
		if (strncmp(line, "daemon ", 7) == 0) {
			refuse_if_alive(line);
			if (sscanf(line, "daemon %d", &pid) == 1)
				*dead = (pid_t)pid;
			continue;
		}
		if (!parse_process(line, &sv) || sv.pid == getpid())
			continue;
		if (!still_running(sv.pid, sv.ticks)) {
			(*gone)++;
			continue;
		}
		(*found)++;
		take_survivor(a, &sv, ads, nads);
	}
}

void survivors_collect(struct arbiter *a, survivors_then_fn then)
{
	char *text = st.dir_fd >= 0 ? read_state() : NULL;
	struct adoption *ads = NULL;
	int found = 0, gone = 0, nads = 0;
	pid_t dead = 0;

	stops.then = then;
	ev_init(&stops.poll, on_stop_poll);
	stops.poll.repeat = POLL_INTERVAL;
	if (text && strncmp(text, MAGIC "\n", strlen(MAGIC) + 1) != 0) {
		log_warnx("survivors: ignoring %s: not a state file of this version", st.name);
	} else if (text) {
		count_lines(text + strlen(MAGIC) + 1, &dead, a, &found, &gone, &ads, &nads);
		if (found)
			log_warnx("survivors: %d process%s of a cirqued that died (pid %d) still "
				  "run%s (%d gone): %s (on_orphans: %s)", found, found == 1 ? "" : "es",
				  (int)dead, found == 1 ? "s" : "", gone,
				  a->daemon.orphans_stop ? "stopping them before the watchers start"
				  : a->daemon.orphans_adopt_piped ? "adopting them"
				  : "adopting them, or restarting those whose output was piped",
				  a->daemon.orphans_stop ? "stop"
				  : a->daemon.orphans_adopt_piped ? "adopt-all" : "adopt");
		say_adoptions(ads, nads, dead);
	}
	free(text);
	free(ads);
	if (stops.unplaced > SAY_UNPLACED)
		log_warnx("survivors: %d more processes whose watcher or slot is not configured any "
			  "more are being stopped", stops.unplaced - SAY_UNPLACED);
	if (stops.left > 0)
		log_info("survivors: the watchers start once the %d process%s being stopped %s gone",
			 stops.left, stops.left == 1 ? "" : "es", stops.left == 1 ? "is" : "are");
	else
		cgroup_clean_stale();
	start_watchers(a);
}

bool survivors_stopping(void)
{
	return stops.left > 0;
}

void survivors_end(bool clean)
{
	if (st.dir_fd < 0)
		return;
	watcher_set_pids_changed(NULL);
	ev_timer_stop(st.loop, &st.write_timer);
	for (int i = 0; i < stops.n; i++) {
		struct stopping *s = stops.list[i];
		if (!s->over && clean)  /* the daemon is leaving: no survivor stays behind */
			signal_survivor(s, SIGKILL);
		if (!s->over)
			let_go(s);
		free(s);
	}
	free(stops.list);
	stops.list = NULL;
	stops.n = stops.left = 0;
	if (stops.then)
		ev_timer_stop(st.loop, &stops.poll);
	if (clean && unlinkat(st.dir_fd, st.name, 0) < 0 && errno != ENOENT)
		log_warn("survivors: cannot remove the state file %s", st.name);
	close(st.dir_fd);
	st.dir_fd = -1;
}

/* --- listening sockets the survivors still hold ---------------------------------------------- */

/* The survivors' pids, read before the sockets are bound (survivors_sockets_prepare). */
static pid_t *early;
static int nearly;

/* A descriptor of ours for the listening socket of SC that survivor PID holds, or -1. */
static int socket_of_survivor(pid_t pid, const struct socket_config *sc)
{
	char path[64], target[64];
	struct dirent *de;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), found = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = pidfd >= 0 ? opendir(path) : NULL;
	while (d && found < 0 && (de = readdir(d)) != NULL) {
		int n = atoi(de->d_name);
		ssize_t len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (de->d_name[0] == '.' || len <= 0 || (target[len] = '\0', strncmp(target, "socket:", 7)))
			continue;
		int fd = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);  /* close-on-exec */
		if (fd >= 0 && sockets_fd_matches(sc, fd))
			found = fd;
		else if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	if (pidfd >= 0)
		close(pidfd);
	return found;
}

static int reclaim_socket(const struct socket_config *sc)
{
	for (int i = 0; i < nearly; i++) {
		int fd = socket_of_survivor(early[i], sc);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

void survivors_sockets_prepare(const char *control_endpoint)
{
	char *dir = runtime_dir(), why[SAFEFS_WHY], *save = NULL;
	char boot[64];

	read_boot_id(boot, sizeof(boot));
	state_name(control_endpoint, st.name, sizeof(st.name));
	st.dir_fd = safe_mkdir_own(dir, RUNTIME_DIR_MODE, why);
	free(dir);
	char *text = st.dir_fd >= 0 ? read_state() : NULL;
	if (st.dir_fd >= 0)
		close(st.dir_fd);
	st.dir_fd = -1;
	if (text == NULL || strncmp(text, MAGIC "\n", strlen(MAGIC) + 1) != 0) {
		free(text);
		return;
	}
	for (char *line = strtok_r(text + strlen(MAGIC) + 1, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct survivor sv;
		if (strncmp(line, "boot ", 5) == 0 && strcmp(line + 5, boot) != 0)
			break;  /* another boot: nothing of it runs */
		if (parse_process(line, &sv) && sv.pid != getpid() && still_running(sv.pid, sv.ticks)) {
			early = xreallocarray(early, (size_t)nearly + 1, sizeof(*early));
			early[nearly++] = sv.pid;
		}
	}
	free(text);
	if (nearly)
		sockets_set_reclaimer(reclaim_socket);
}

void survivors_sockets_done(void)
{
	sockets_set_reclaimer(NULL);
	free(early);
	early = NULL;
	nearly = 0;
}
