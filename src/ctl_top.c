/* ctl_top.c - `cirquectl top`: a live view of the watchers and their processes (ncurses), as
 * circus-top or htop show them: state, CPU, memory, uptime and restarts of each process, sorted
 * and filtered, with keys to restart, stop or signal the one selected.
 *
 * One `metrics` request per refresh gives every figure (cmd_info.c); CPU% is the CPU time a pid
 * used between two samples over the daemon's wall time between them. The events of the PUB
 * socket only say when to refresh: a burst of them (a restart of 100 processes) makes one
 * refresh, at most one per EVENT_COALESCE seconds; without any, every -d seconds.
 *
 * The terminal is given back on every way out: q, Ctrl-C, SIGTERM or SIGHUP (the loop ends and
 * endwin runs), an exit() from deep inside the client (atexit), and end_command's jump back to
 * the shell (caught here first). A daemon that goes away while top runs is shown in the status
 * line and asked again every -d seconds: top carries on with the last figures, marked stale,
 * and picks the daemon up again when it is back (a restart included). Only a daemon that cannot
 * be reached when top starts ends it (exit 7, as every verb). */
#include "ctl.h"

#include "endpoint.h"
#include "parse.h"
#include "xmalloc.h"

#include <curses.h>
#include <fnmatch.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#define DEFAULT_DELAY 2.0             /* seconds between two refreshes without events (-d) */
#define MIN_DELAY 0.1
#define EVENT_COALESCE 0.15           /* at most one refresh per this many seconds on events */
#define FIRST_CPU_SAMPLE 1.0          /* the second sample comes this soon: CPU% needs two */
#define EVENTS_PER_WAKE 1000          /* messages drained from the PUB socket at once */
#define HEADER_LINES 3                /* two lines of figures, the column header */
#define INPUT_MAX 64                  /* what the filter and signal prompts take */
#define MESSAGE_SECONDS 10.0          /* an action's outcome stays this long on the status line */

/* --- the model: one row per process ------------------------------------------------------------ */

struct row {
	char *watcher;                /* its watcher's name (malloc'd) */
	long wid;                     /* its slot; 0: the watcher's own row (it has no process) */
	long pid;                     /* 0: no process runs in the slot */
	char state[24];               /* RUNNING...; the watcher's status for its own row */
	bool retiring;                /* on its way out: replaced (reload, max_age) or stopped alone */
	bool alone;                   /* its watcher's one process: named by the watcher alone */
	double cpu_seconds;           /* < 0: unknown */
	double cpu_pct;               /* < 0: unknown (no earlier sample of this pid) */
	long long rss;                /* bytes; < 0: unknown */
	double uptime;                /* seconds; < 0: not running */
	long restarts;
};

/* The daemon's own figures, from the metrics reply's "daemon". */
struct daemon_figures {
	char version[32];
	long pid;
	double uptime;
	double cpu_seconds, cpu_pct;  /* cpu_pct < 0: unknown */
	long long rss;
};

enum sort_key { SORT_NAME, SORT_CPU, SORT_MEM, SORT_UPTIME, SORT_RESTARTS, SORT_KEYS };

static const char *const sort_names[SORT_KEYS] = { "name", "cpu", "mem", "uptime", "restarts" };

enum mode {
	MODE_BROWSE,                  /* the keys move, sort, act */
	MODE_FILTER,                  /* typing the filter (/) */
	MODE_SIGNAL,                  /* typing the signal to send (k) */
	MODE_HELP,                    /* the help screen (?): any key leaves it */
};

/* What an action is about: the row selected when its key was pressed. */
struct target_ref {
	char *watcher;                /* malloc'd, or NULL: none */
	long wid, pid;
	bool alone;
};

struct top {
	struct client *c;
	double delay;                 /* -d */
	char **names;                 /* the watchers asked for on the command line (or patterns) */
	int nnames;
	void *sub;                    /* SUB on the daemon's PUB socket, or NULL (not reached) */

	/* the last sample */
	struct row *rows;
	size_t nrows;
	struct daemon_figures daemon;
	double sampled_at;            /* the daemon's clock at the sample (its reply's "time") */
	int watchers, running, slots; /* counts of the sample, for the header */
	bool have_sample;
	bool stale;                   /* the last refresh failed: the figures are old */
	char why[256];                /* why it failed */

	/* the view */
	size_t *order;                /* the rows shown (indices into rows), in sort order */
	size_t nshown;
	enum sort_key sort;
	bool invert;
	char filter[INPUT_MAX];       /* a substring of the watcher names shown ("": all) */
	char *sel_watcher;            /* the selected row's watcher and wid: kept across refreshes */
	long sel_wid;
	size_t sel, first;            /* the selected row and the first one on screen (in order) */
	enum mode mode;
	char input[INPUT_MAX];        /* what is typed at the prompt */
	struct target_ref act;        /* the signal prompt's process */
	char message[256];            /* the outcome of the last action */
	double message_until;         /* when it gives way to the keys again */

	/* timing, on the monotonic clock */
	double last_refresh, next_refresh;
	bool quit;
};

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double reply_seconds(const struct client *c)
{
	return c->timeout < 0 ? 5 : c->timeout;
}

static void free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].watcher);
	free(rows);
}

static double number_or(json_t *value, double none)
{
	return json_is_number(value) ? json_number_value(value) : none;
}

/* Whether the watcher NAME is one the command line asked for (all without names): its name, as
 * the other verbs take it (any case), or a glob pattern. */
static bool name_asked(const struct top *t, const char *name)
{
	if (t->nnames == 0)
		return true;
	for (int i = 0; i < t->nnames; i++)
		if (strpbrk(t->names[i], "*?[") ? fnmatch(t->names[i], name, FNM_CASEFOLD) == 0
						 : strcasecmp(t->names[i], name) == 0)
			return true;
	return false;
}

/* An earlier sample's CPU time of a pid, found by bsearch in a table sorted by pid. */
struct cpu_sample {
	long pid;
	double cpu_seconds;
};

static int cpu_sample_cmp(const void *a, const void *b)
{
	long x = ((const struct cpu_sample *)a)->pid, y = ((const struct cpu_sample *)b)->pid;
	return (x > y) - (x < y);
}

static struct cpu_sample *cpu_samples(const struct top *t, size_t *n)
{
	struct cpu_sample *s = xcalloc(t->nrows ? t->nrows : 1, sizeof(*s));

	*n = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (t->rows[i].pid > 0 && t->rows[i].cpu_seconds >= 0)
			s[(*n)++] = (struct cpu_sample){ t->rows[i].pid, t->rows[i].cpu_seconds };
	qsort(s, *n, sizeof(*s), cpu_sample_cmp);
	return s;
}

/* CPU% of a process or the daemon: its CPU time since the earlier sample over the wall time. */
static double cpu_percent(double now_cpu, double then_cpu, double elapsed)
{
	if (now_cpu < 0 || then_cpu < 0 || elapsed <= 0 || now_cpu < then_cpu)
		return -1;
	return (now_cpu - then_cpu) / elapsed * 100;
}

/* A growable array of rows. */
struct row_list {
	struct row *rows;
	size_t n, cap;
};

static struct row *new_row(struct row_list *l, const char *watcher)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->rows = xreallocarray(l->rows, l->cap, sizeof(*l->rows));
	}
	struct row *r = &l->rows[l->n++];
	*r = (struct row){ .watcher = xstrdup(watcher), .cpu_seconds = -1, .cpu_pct = -1,
			   .rss = -1, .uptime = -1 };
	return r;
}

/* The row of one process of the metrics reply. */
static void process_row(struct row_list *l, const char *watcher, json_t *p, double now,
			const struct cpu_sample *before, size_t nbefore, double elapsed)
{
	struct row *r = new_row(l, watcher);
	const char *state = json_string_value(json_object_get(p, "state"));
	double started = number_or(json_object_get(p, "started"), -1);

	r->wid = (long)json_integer_value(json_object_get(p, "wid"));
	r->pid = (long)json_integer_value(json_object_get(p, "pid"));
	snprintf(r->state, sizeof(r->state), "%s", state ? state : "?");
	r->retiring = json_is_true(json_object_get(p, "retiring"));
	r->restarts = (long)json_integer_value(json_object_get(p, "restarts"));
	r->cpu_seconds = number_or(json_object_get(p, "cpu_seconds"), -1);
	r->rss = (long long)number_or(json_object_get(p, "rss_bytes"), -1);
	if (r->pid > 0 && started > 0)
		r->uptime = now > started ? now - started : 0;
	struct cpu_sample key = { r->pid, 0 }, *then = NULL;
	if (r->pid > 0 && nbefore)
		then = bsearch(&key, before, nbefore, sizeof(*before), cpu_sample_cmp);
	if (then)
		r->cpu_pct = cpu_percent(r->cpu_seconds, then->cpu_seconds, elapsed);
}

/* A watcher's rows: one per process; its slots without a process as STOPPED rows without a pid
 * (stop name:wid: status shows them so; metrics does not tell them from a slot whose process is
 * still to start, a moment while thousands start); one row with the watcher's status when it
 * has none at all (stopped). */
static void watcher_rows(struct top *t, struct row_list *l, json_t *w, double now,
			 const struct cpu_sample *before, size_t nbefore, double elapsed)
{
	const char *name = json_string_value(json_object_get(w, "name"));
	const char *status = json_string_value(json_object_get(w, "status"));
	json_t *procs = json_object_get(w, "processes"), *p;
	json_int_t count = json_integer_value(json_object_get(w, "numprocesses"));
	size_t first = l->n, i;
	bool *has_process;            /* by wid: 10,000 processes are a watcher too */

	if (name == NULL)
		return;
	count = count < 0 ? 0 : count > INT32_MAX ? INT32_MAX : count;
	status = status ? status : "?";
	t->watchers++;
	t->slots += (int)count;
	has_process = xcalloc((size_t)count + 1, sizeof(*has_process));
	json_array_foreach(procs, i, p) {
		process_row(l, name, p, now, before, nbefore, elapsed);
		if (l->rows[l->n - 1].wid >= 1 && l->rows[l->n - 1].wid <= count)
			has_process[l->rows[l->n - 1].wid] = true;
	}
	for (json_int_t wid = 1; wid <= count && strcmp(status, "stopped") != 0; wid++) {
		if (!has_process[wid]) {
			struct row *r = new_row(l, name);
			snprintf(r->state, sizeof(r->state), "STOPPED");
			r->wid = (long)wid;
		}
	}
	free(has_process);
	if (l->n == first)
		snprintf(new_row(l, name)->state, sizeof(l->rows[0].state), "%s", status);
	for (size_t k = first; k < l->n; k++) {
		l->rows[k].alone = l->n - first == 1 && count <= 1;
		if (strcmp(l->rows[k].state, "RUNNING") == 0 && !l->rows[k].retiring)
			t->running++;
	}
}

static void daemon_figures(struct top *t, json_t *d, double now, double elapsed)
{
	struct daemon_figures *f = &t->daemon;
	const char *version = json_string_value(json_object_get(d, "version"));
	long pid = (long)json_integer_value(json_object_get(d, "pid"));
	double cpu = number_or(json_object_get(d, "cpu_seconds"), -1);
	double started = number_or(json_object_get(d, "started"), 0);

	/* another daemon (a restart): its CPU time has nothing to do with the last one's */
	f->cpu_pct = pid == f->pid ? cpu_percent(cpu, f->cpu_seconds, elapsed) : -1;
	f->cpu_seconds = cpu;
	f->pid = pid;
	snprintf(f->version, sizeof(f->version), "%s", version ? version : "?");
	f->uptime = started > 0 && now > started ? now - started : 0;
	f->rss = (long long)number_or(json_object_get(d, "rss_bytes"), -1);
}

/* Replaces the model with the metrics reply REPLY. */
static void take_sample(struct top *t, json_t *reply)
{
	double now = number_or(json_object_get(reply, "time"), wall_clock());
	double elapsed = t->have_sample ? now - t->sampled_at : 0;
	size_t nbefore, i;
	struct cpu_sample *before = cpu_samples(t, &nbefore);
	struct row_list l = { NULL, 0, 0 };
	json_t *w;

	t->watchers = t->running = t->slots = 0;
	json_array_foreach(json_object_get(reply, "watchers"), i, w)
		if (json_is_string(json_object_get(w, "name")) &&
		    name_asked(t, json_string_value(json_object_get(w, "name"))))
			watcher_rows(t, &l, w, now, before, nbefore, elapsed);
	daemon_figures(t, json_object_get(reply, "daemon"), now, elapsed);
	free(before);
	free_rows(t->rows, t->nrows);
	t->rows = l.rows;
	t->nrows = l.n;
	t->sampled_at = now;
	t->have_sample = true;
}

/* --- the connection: requests, events, a daemon that goes ------------------------------------ */

/* Subscribes to the watchers' events on the daemon's PUB socket (its endpoint from
 * globaloptions; an older daemon without it: the default). Without it top still refreshes every
 * -d seconds. */
static void events_open(struct top *t)
{
	const char *why;
	int rc, zero = 0;
	json_t *reply = try_call(t->c, "globaloptions", NULL, reply_seconds(t->c), &why, &rc);
	const char *ep = json_string_value(json_object_get(json_object_get(reply, "options"),
							   "pubsub_endpoint"));
	char *endpoint;

	if (reply == NULL)
		return;  /* asked again after the next sample */
	endpoint = ep ? xstrdup(ep) : default_endpoint("events.sock");
	json_decref(reply);
	if (t->c->ctx && (t->sub = zmq_socket(t->c->ctx, ZMQ_SUB)) != NULL) {
		zmq_setsockopt(t->sub, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_setsockopt(t->sub, ZMQ_SUBSCRIBE, "watcher.", strlen("watcher."));
		if (zmq_connect(t->sub, endpoint) < 0) {
			zmq_close(t->sub);
			t->sub = NULL;
		}
	}
	free(endpoint);
}

/* Lets go of the daemon's sockets: the next request connects anew (and, for an ipc socket
 * nobody listens on, fails at once rather than after the connection timeout). The SUB socket
 * goes first: the client's context waits for every socket of it. */
static void connection_drop(struct top *t)
{
	if (t->sub)
		zmq_close(t->sub);
	t->sub = NULL;
	client_close(t->c);
}

/* One metrics request: the new sample, or the daemon marked unreachable. */
static void sample(struct top *t)
{
	const char *why = NULL;
	int rc;
	json_t *reply = try_call(t->c, "metrics", NULL, reply_seconds(t->c), &why, &rc);

	t->last_refresh = monotonic();
	t->next_refresh = t->last_refresh + t->delay;
	if (reply == NULL || !reply_ok(reply)) {
		snprintf(t->why, sizeof(t->why), "%s", reply ? reply_reason(reply) : why ? why : "?");
		t->stale = true;
		json_decref(reply);
		if (rc != EXIT_INTERRUPTED && reply == NULL)
			connection_drop(t);
		return;
	}
	t->stale = false;
	take_sample(t, reply);
	json_decref(reply);
	if (t->sub == NULL)
		events_open(t);
}

/* Refreshes soon after an event, at most once per EVENT_COALESCE seconds. */
static void refresh_soon(struct top *t)
{
	double due = t->last_refresh + EVENT_COALESCE, now = monotonic();

	if (due < now)
		due = now;
	if (due < t->next_refresh)
		t->next_refresh = due;
}

/* Reads what the PUB socket has (bounded): any event asks for a refresh. */
static void events_drain(struct top *t)
{
	int got = 0;

	while (t->sub && got < EVENTS_PER_WAKE) {
		zmq_msg_t part;
		int more = 0;
		size_t len = sizeof(more);
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, t->sub, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&part);
			break;
		}
		zmq_getsockopt(t->sub, ZMQ_RCVMORE, &more, &len);
		zmq_msg_close(&part);
		if (!more)
			got++;
	}
	if (got)
		refresh_soon(t);
}

/* Whether the client's connection monitor says the daemon closed the connection (it stopped):
 * then the sockets are dropped and the daemon asked again at once, so that the status line says
 * so without waiting for a request to time out. */
static void watch_connection(struct top *t)
{
	bool closed = false;

	while (t->c->monitor) {
		zmq_msg_t event, address;
		zmq_msg_init(&event);
		zmq_msg_init(&address);
		int got = zmq_msg_recv(&event, t->c->monitor, ZMQ_DONTWAIT);
		if (got >= 2) {
			uint16_t id;
			memcpy(&id, zmq_msg_data(&event), sizeof(id));
			closed = closed || id == ZMQ_EVENT_DISCONNECTED;
			zmq_msg_recv(&address, t->c->monitor, ZMQ_DONTWAIT);  /* its second frame */
		}
		zmq_msg_close(&event);
		zmq_msg_close(&address);
		if (got < 0)
			break;
	}
	if (closed) {
		connection_drop(t);
		t->next_refresh = monotonic();
	}
}

/* --- sorting, filtering, the selection -------------------------------------------------------- */

static int by_name(const struct row *a, const struct row *b)
{
	int c = strcasecmp(a->watcher, b->watcher);

	if (c == 0)
		c = strcmp(a->watcher, b->watcher);
	if (c == 0)
		c = (a->wid > b->wid) - (a->wid < b->wid);
	if (c == 0)
		c = (int)a->retiring - (int)b->retiring;  /* the new process first */
	if (c == 0)
		c = (a->pid > b->pid) - (a->pid < b->pid);
	return c;
}

/* The figures sort the largest first (as top and htop), unknown ones last; ties by name. */
static int by_figure(double a, double b)
{
	return (a < b) - (a > b);
}

static int row_cmp(const void *x, const void *y, void *arg)
{
	const struct top *sorting = arg;
	const struct row *a = &sorting->rows[*(const size_t *)x];
	const struct row *b = &sorting->rows[*(const size_t *)y];
	int c = 0;

	switch (sorting->sort) {
	case SORT_CPU: c = by_figure(a->cpu_pct, b->cpu_pct); break;
	case SORT_MEM: c = by_figure((double)a->rss, (double)b->rss); break;
	case SORT_UPTIME: c = by_figure(a->uptime, b->uptime); break;
	case SORT_RESTARTS: c = by_figure((double)a->restarts, (double)b->restarts); break;
	case SORT_NAME: case SORT_KEYS: break;
	}
	if (c == 0)
		c = by_name(a, b);
	return sorting->invert ? -c : c;
}

static bool row_shown(const struct top *t, const struct row *r)
{
	return t->filter[0] == '\0' || strcasestr(r->watcher, t->filter) != NULL;
}

static void select_row(struct top *t, size_t i)
{
	const struct row *r;

	if (t->nshown == 0)
		return;
	t->sel = i < t->nshown ? i : t->nshown - 1;
	r = &t->rows[t->order[t->sel]];
	if (t->sel_watcher == NULL || strcmp(t->sel_watcher, r->watcher) != 0) {
		free(t->sel_watcher);
		t->sel_watcher = xstrdup(r->watcher);
	}
	t->sel_wid = r->wid;
}

/* Where the selected watcher:wid is now: its row (its new process rather than an old one a
 * reload replaces), else the first of its watcher, else the same place on the screen. */
static size_t find_selection(const struct top *t)
{
	size_t retiring = SIZE_MAX, same_watcher = SIZE_MAX;

	for (size_t i = 0; i < t->nshown; i++) {
		const struct row *r = &t->rows[t->order[i]];
		if (strcmp(r->watcher, t->sel_watcher) != 0)
			continue;
		if (r->wid == t->sel_wid && !r->retiring)
			return i;
		if (r->wid == t->sel_wid && retiring == SIZE_MAX)
			retiring = i;
		if (same_watcher == SIZE_MAX)
			same_watcher = i;
	}
	return retiring != SIZE_MAX ? retiring : same_watcher != SIZE_MAX ? same_watcher : t->sel;
}

/* The rows shown, sorted, after a new sample or a change of sort or filter. */
static void arrange(struct top *t)
{
	free(t->order);
	t->order = xcalloc(t->nrows ? t->nrows : 1, sizeof(*t->order));
	t->nshown = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (row_shown(t, &t->rows[i]))
			t->order[t->nshown++] = i;
	qsort_r(t->order, t->nshown, sizeof(*t->order), row_cmp, t);
	if (t->sel_watcher == NULL) {
		select_row(t, 0);
	} else if (t->nshown) {
		/* the selection stays where it was asked for: a slot that has no row a moment (its
		 * watcher filtered out, removed) gets it back when it comes back */
		size_t i = find_selection(t);
		t->sel = i < t->nshown ? i : t->nshown - 1;
	}
}

/* --- drawing ------------------------------------------------------------------------------------ */

enum colour { COLOUR_GOOD = 1, COLOUR_BAD, COLOUR_BUSY };

static bool colours;

static void colours_start(void)
{
	colours = has_colors() && start_color() == OK;
	if (!colours)
		return;
	use_default_colors();
	init_pair(COLOUR_GOOD, COLOR_GREEN, -1);
	init_pair(COLOUR_BAD, COLOR_RED, -1);
	init_pair(COLOUR_BUSY, COLOR_YELLOW, -1);
}

/* "12.3M" */
static void human_bytes(char *out, size_t size, long long bytes)
{
	static const char units[] = "BKMGT";
	double v = (double)bytes;
	int u = 0;

	if (bytes < 0) {
		snprintf(out, size, "-");
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, size, u == 0 ? "%.0f%c" : "%.1f%c", v, units[u]);
}

/* "1:02:03", "3d 04:05" (a column's width) */
static void short_uptime(char *out, size_t size, double seconds)
{
	long s = (long)seconds;

	if (seconds < 0)
		snprintf(out, size, "-");
	else if (s >= 86400)
		snprintf(out, size, "%ldd %02ld:%02ld", s / 86400, s % 86400 / 3600, s % 3600 / 60);
	else
		snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s % 3600 / 60, s % 60);
}

static void percent(char *out, size_t size, double pct)
{
	if (pct < 0)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.1f", pct);
}

/* Writes TEXT on line Y from column X, cut at the screen's edge. */
static void put(int y, int x, const char *text)
{
	if (y >= 0 && y < LINES && x < COLS)
		mvaddnstr(y, x, text, COLS - x);
}

static int name_width(const struct top *t)
{
	int w = 12;

	for (size_t i = 0; i < t->nshown; i++) {
		const struct row *r = &t->rows[t->order[i]];
		int len = (int)strlen(shown(r->watcher)) + (r->alone ? 0 : 1 + snprintf(NULL, 0,
			  "%ld", r->wid));
		if (len > w)
			w = len;
	}
	return w > COLS / 3 ? (COLS / 3 > 12 ? COLS / 3 : 12) : w;
}

static void draw_header(const struct top *t)
{
	char line[512], up[40], rss[16], cpu[16], clock[16];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	short_uptime(up, sizeof(up), t->daemon.uptime);
	human_bytes(rss, sizeof(rss), t->daemon.rss);
	percent(cpu, sizeof(cpu), t->daemon.cpu_pct);
	snprintf(line, sizeof(line), "cirqued %s  pid %ld  up %s  cpu %s%s  mem %s%s",
		 t->daemon.version, t->daemon.pid, up, cpu, t->daemon.cpu_pct < 0 ? "" : "%", rss,
		 t->stale ? "  (stale)" : "");
	put(0, 0, line);
	if (COLS > (int)strlen(line) + 10)
		put(0, COLS - (int)strlen(clock), clock);
	snprintf(line, sizeof(line), "%d watcher%s, %d of %d processes running   sort: %s%s   "
		 "%s%s%s  every %gs", t->watchers, t->watchers == 1 ? "" : "s", t->running, t->slots,
		 sort_names[t->sort], t->invert ? " (inverted)" : "",
		 t->filter[0] ? "filter: " : "", t->filter[0] ? shown(t->filter) : "",
		 t->filter[0] ? "  " : "", t->delay);
	put(1, 0, line);
}

/* The columns, in the order drawn; SORTED_BY names the sort key they show. */
static const struct column {
	const char *title;
	int width;                    /* 0: the name column's own width */
	bool right;                   /* right-aligned */
	int sorted_by;                /* enum sort_key, or -1 */
} columns[] = {
	{ "NAME", 0, false, SORT_NAME },
	{ "PID", 8, true, -1 },
	{ "STATE", 10, false, -1 },
	{ "CPU%", 7, true, SORT_CPU },
	{ "MEM", 8, true, SORT_MEM },
	{ "UPTIME", 11, true, SORT_UPTIME },
	{ "RESTARTS", 9, true, SORT_RESTARTS },
};

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* Lays out the cells of one line ("  " before, a space between columns). */
static void format_cells(char *out, size_t size, const char *const cells[NCOLUMNS], int namew)
{
	size_t used = (size_t)snprintf(out, size, "  ");

	for (size_t k = 0; k < NCOLUMNS && used < size; k++) {
		int w = columns[k].width ? columns[k].width : namew;
		used += (size_t)snprintf(out + used, size - used, columns[k].right ? "%*.*s%s"
					 : "%-*.*s%s", w, w, cells[k], k + 1 < NCOLUMNS ? " " : "");
	}
}

static void draw_column_titles(const struct top *t, int namew)
{
	const char *cells[NCOLUMNS];
	char line[1024];
	int x = 2;

	for (size_t k = 0; k < NCOLUMNS; k++)
		cells[k] = columns[k].title;
	format_cells(line, sizeof(line), cells, namew);
	attron(A_REVERSE);
	mvhline(2, 0, ' ', COLS);
	put(2, 0, line);
	attroff(A_REVERSE);
	for (size_t k = 0; k < NCOLUMNS; k++) {  /* the sort column stands out (as in htop) */
		int w = columns[k].width ? columns[k].width : namew;
		if (columns[k].sorted_by == (int)t->sort && x < COLS)
			mvchgat(2, x, w < COLS - x ? w : COLS - x, A_REVERSE | A_BOLD,
				colours ? COLOUR_BUSY : 0, NULL);
		x += w + 1;
	}
}

static int state_colour(const char *state)
{
	if (strcmp(state, "RUNNING") == 0 || strcmp(state, "active") == 0)
		return COLOUR_GOOD;
	if (strcmp(state, "FATAL") == 0 || strcmp(state, "BACKOFF") == 0 ||
	    strcmp(state, "EXITED") == 0)
		return COLOUR_BAD;
	if (strncmp(state, "START", 5) == 0 || strncmp(state, "STOPP", 5) == 0 ||
	    strcmp(state, "starting") == 0 || strcmp(state, "stopping") == 0)
		return COLOUR_BUSY;
	return 0;
}

static void draw_row(const struct row *r, int y, int namew, bool selected)
{
	char name[256], pid[24], state[32], cpu[16], mem[16], up[24], restarts[24], line[1024];
	const char *cells[NCOLUMNS] = { name, pid, state, cpu, mem, up, restarts };
	int colour = state_colour(r->state);

	if (r->alone || r->wid == 0)
		snprintf(name, sizeof(name), "%s", shown(r->watcher));
	else
		snprintf(name, sizeof(name), "%s:%ld", shown(r->watcher), r->wid);
	snprintf(pid, sizeof(pid), r->pid > 0 ? "%ld" : "-", r->pid);
	snprintf(state, sizeof(state), "%s%s", r->state, r->retiring ? "*" : "");
	percent(cpu, sizeof(cpu), r->cpu_pct);
	human_bytes(mem, sizeof(mem), r->rss);
	short_uptime(up, sizeof(up), r->uptime);
	snprintf(restarts, sizeof(restarts), "%ld", r->restarts);
	format_cells(line, sizeof(line), cells, namew);
	if (selected) {
		line[0] = '>';  /* seen without colours or reverse video too */
		attron(A_REVERSE);
		mvhline(y, 0, ' ', COLS);
	}
	put(y, 0, line);
	if (colours && colour && !selected)
		mvchgat(y, 2 + namew + 1 + columns[1].width + 1, columns[2].width, A_NORMAL,
			(short)colour, NULL);
	if (selected)
		attroff(A_REVERSE);
}

static int list_lines(void)
{
	return LINES - HEADER_LINES - 1;
}

/* Scrolls so that the selection is on the screen. */
static void scroll_to_selection(struct top *t)
{
	size_t lines = list_lines() > 0 ? (size_t)list_lines() : 1;

	if (t->sel < t->first)
		t->first = t->sel;
	if (t->sel >= t->first + lines)
		t->first = t->sel - lines + 1;
	if (t->first + lines > t->nshown)
		t->first = t->nshown > lines ? t->nshown - lines : 0;
}

static void draw_rows(struct top *t, int namew)
{
	int y = HEADER_LINES;

	scroll_to_selection(t);
	for (size_t i = t->first; i < t->nshown && y < LINES - 1; i++, y++)
		draw_row(&t->rows[t->order[i]], y, namew, i == t->sel);
	if (t->nshown == 0 && t->have_sample)
		put(y, 2, t->filter[0] || t->nnames ? "(no watcher matches)" : "(no watchers)");
}

static const char keys_hint[] = "q quit  ? help  r restart  x stop  k signal  / filter  "
				"< > sort  I invert";

/* The bottom line: a prompt being typed, else the daemon unreachable, else the last action's
 * outcome, else the keys. */
static void draw_status_line(const struct top *t)
{
	char line[512];
	int y = LINES - 1;

	if (t->mode == MODE_FILTER)
		snprintf(line, sizeof(line), "filter (Enter: keep, Esc: clear): %s", t->input);
	else if (t->mode == MODE_SIGNAL && t->act.alone)
		snprintf(line, sizeof(line), "signal to %s (pid %ld) [TERM]: %s",
			 shown(t->act.watcher), t->act.pid, t->input);
	else if (t->mode == MODE_SIGNAL)
		snprintf(line, sizeof(line), "signal to %s:%ld (pid %ld) [TERM]: %s",
			 shown(t->act.watcher), t->act.wid, t->act.pid, t->input);
	else if (t->stale)
		snprintf(line, sizeof(line), "cirqued unreachable, asked again every %gs: %s",
			 t->delay, t->why);
	else if (t->message[0] && monotonic() < t->message_until)
		snprintf(line, sizeof(line), "%s", t->message);
	else
		snprintf(line, sizeof(line), "%s", keys_hint);
	if (t->stale && colours && t->mode == MODE_BROWSE)
		attron(COLOR_PAIR(COLOUR_BAD));
	put(y, 0, line);
	if (t->stale && colours && t->mode == MODE_BROWSE)
		attroff(COLOR_PAIR(COLOUR_BAD));
	if (t->mode == MODE_FILTER || t->mode == MODE_SIGNAL) {
		curs_set(1);
		move(y, (int)strlen(line) < COLS ? (int)strlen(line) : COLS - 1);
	} else {
		curs_set(0);
	}
}

static const char *const help_lines[] = {
	"cirquectl top: the processes of cirqued, live",
	"",
	"  Up Down PgUp PgDn Home End   select a process",
	"  < >  (or , .  s)             sort by the previous, next column",
	"  P M T N                      sort by cpu, memory, uptime, name",
	"  I                            invert the order",
	"  /                            filter the watchers by a part of their name",
	"                               (Enter keeps it, Esc clears it)",
	"  r                            restart the selected process",
	"  x                            stop the selected process (its slot stays stopped)",
	"  k                            send a signal to it (TERM unless another is typed)",
	"  Ctrl-L                       redraw now, and ask cirqued",
	"  q  Ctrl-C  F10               quit",
	"",
	"  A process named name:wid is one slot of a watcher; a watcher of one process is its",
	"  name. STATE* is a process on its way out: replaced (reload, max_age) or stopped",
	"  alone (x, decr). CPU% is measured between two refreshes (- until there are two).",
	"  Events refresh at once, else every -d seconds.",
	"",
	"  Press any key to go back.",
};

static void draw_help(void)
{
	for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++)
		put((int)i, 0, help_lines[i]);
}

static void draw(struct top *t)
{
	erase();
	if (t->mode == MODE_HELP) {
		draw_help();
	} else if (LINES < HEADER_LINES + 2 || COLS < 20) {
		put(0, 0, "terminal too small");
	} else {
		int namew = name_width(t);
		draw_header(t);
		draw_column_titles(t, namew);
		draw_rows(t, namew);
		draw_status_line(t);
	}
	refresh();
}

/* --- actions on the selected process ------------------------------------------------------------ */

static void target_clear(struct target_ref *a)
{
	free(a->watcher);
	*a = (struct target_ref){ NULL, 0, 0, false };
}

/* The selected row, for an action: false when there is none. */
static bool target_selected(const struct top *t, struct target_ref *a)
{
	const struct row *r;

	target_clear(a);
	if (t->nshown == 0)
		return false;
	r = &t->rows[t->order[t->sel]];
	*a = (struct target_ref){ xstrdup(r->watcher), r->wid, r->pid, r->alone || r->wid == 0 };
	return true;
}

/* "web:2", or "web" for its only process or the whole watcher. */
static const char *target_text(const struct target_ref *a)
{
	static char text[300];

	if (a->alone || a->wid == 0)
		snprintf(text, sizeof(text), "%s", shown(a->watcher));
	else
		snprintf(text, sizeof(text), "%s:%ld", shown(a->watcher), a->wid);
	return text;
}

/* Says TEXT on the status line for MESSAGE_SECONDS. */
static void say(struct top *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct top *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->message, sizeof(t->message), fmt, ap);
	va_end(ap);
	t->message_until = monotonic() + MESSAGE_SECONDS;
}

/* The properties naming target A: its watcher, and its slot unless it is the whole watcher. */
static json_t *target_props(const struct target_ref *a)
{
	json_t *props = json_pack("{s:s, s:s}", "name", a->watcher, "match", "simple");

	if (a->wid > 0)
		json_object_set_new(props, "wid", json_integer(a->wid));
	return props;
}

/* Sends COMMAND with PROPS (taken) and says on the status line how it went for WHAT: DONE, or
 * why not (NO_SUCH when the daemon has no such process). */
static void act(struct top *t, const char *command, json_t *props, const char *what,
		const char *done, const char *no_such)
{
	const char *why = NULL;
	int rc;
	json_t *reply = try_call(t->c, command, props, reply_seconds(t->c), &why, &rc);

	if (reply == NULL)
		say(t, "%s %s: ERROR (%s)", command, what,
			 why ? why : "?");
	else if (reply_ok(reply))
		say(t, "%s: %s", what, done);
	else
		say(t, "%s %s: ERROR (%s)", command, what,
			 is_no_such(reply) ? no_such : reply_reason(reply));
	json_decref(reply);
	refresh_soon(t);
}

/* restart or stop of the selected process (or of its watcher, on a watcher's own row), without
 * waiting: the events show how it goes. */
static void lifecycle_selected(struct top *t, const char *command, const char *done)
{
	struct target_ref a = { 0 };

	if (target_selected(t, &a)) {
		json_t *props = target_props(&a);
		json_object_set_new(props, "waiting", json_false());
		act(t, command, props, target_text(&a), done, "no such process");
	}
	target_clear(&a);
}

/* The signal typed at the prompt (TERM if nothing), to the process selected when k was pressed:
 * by its pid, so that a process started since in its slot is not the one signalled. */
static void signal_target(struct top *t)
{
	const char *typed = t->input[0] ? t->input : "TERM";
	int sig = parse_signal(typed);
	const char *name = sig > 0 && signal_name(sig) ? signal_name(sig) : typed;
	char done[64], gone[64];

	if (sig < 0) {
		say(t, "signal: ERROR (unknown signal %s)",
			 shown(typed));
		return;
	}
	if (t->act.pid <= 0) {
		say(t, "signal %s: ERROR (no process running)",
			 target_text(&t->act));
		return;
	}
	snprintf(done, sizeof(done), "sent SIG%.16s to pid %ld", name, t->act.pid);
	snprintf(gone, sizeof(gone), "pid %ld has exited", t->act.pid);
	json_t *props = json_pack("{s:s, s:s, s:s, s:I}", "name", t->act.watcher, "match", "simple",
				  "signum", name, "pid", (json_int_t)t->act.pid);
	act(t, "signal", props, target_text(&t->act), done, gone);
}

/* --- keys ------------------------------------------------------------------------------------------ */

static void move_selection(struct top *t, long delta)
{
	long to = (long)t->sel + delta;

	if (t->nshown == 0)
		return;
	if (to < 0)
		to = 0;
	select_row(t, (size_t)to);
}

static void set_sort(struct top *t, enum sort_key key)
{
	t->sort = key;
	arrange(t);
}

/* A key typed at a prompt (filter or signal): edits the text in T->input. Returns 1 on Enter,
 * -1 on Esc, 0 otherwise. */
static int edit_input(struct top *t, int key)
{
	size_t len = strlen(t->input);

	if (key == '\r' || key == '\n' || key == KEY_ENTER)
		return 1;
	if (key == 27)
		return -1;
	if ((key == KEY_BACKSPACE || key == 127 || key == 8) && len > 0)
		t->input[len - 1] = '\0';
	else if (key == 21)  /* Ctrl-U */
		t->input[0] = '\0';
	else if (key >= 32 && key < 127 && len + 1 < sizeof(t->input)) {
		t->input[len] = (char)key;
		t->input[len + 1] = '\0';
	}
	return 0;
}

static void filter_key(struct top *t, int key)
{
	int done = edit_input(t, key);

	if (done < 0)
		t->input[0] = '\0';
	snprintf(t->filter, sizeof(t->filter), "%s", t->input);  /* as it is typed */
	arrange(t);
	if (done)
		t->mode = MODE_BROWSE;
}

static void signal_key(struct top *t, int key)
{
	int done = edit_input(t, key);

	if (done > 0)
		signal_target(t);
	if (done) {
		t->mode = MODE_BROWSE;
		target_clear(&t->act);
	}
}

static void browse_key(struct top *t, int key)
{
	long page = list_lines() > 1 ? list_lines() - 1 : 1;

	switch (key) {
	case KEY_UP: move_selection(t, -1); break;
	case KEY_DOWN: move_selection(t, 1); break;
	case KEY_PPAGE: move_selection(t, -page); break;
	case KEY_NPAGE: move_selection(t, page); break;
	case KEY_HOME: select_row(t, 0); break;
	case KEY_END: select_row(t, t->nshown ? t->nshown - 1 : 0); break;
	case '<': case ',': set_sort(t, (t->sort + SORT_KEYS - 1) % SORT_KEYS); break;
	case '>': case '.': case 's': set_sort(t, (t->sort + 1) % SORT_KEYS); break;
	case 'P': set_sort(t, SORT_CPU); break;
	case 'M': set_sort(t, SORT_MEM); break;
	case 'T': set_sort(t, SORT_UPTIME); break;
	case 'N': set_sort(t, SORT_NAME); break;
	case 'I': t->invert = !t->invert; arrange(t); break;
	case '/':
		snprintf(t->input, sizeof(t->input), "%s", t->filter);
		t->mode = MODE_FILTER;
		break;
	case 27: t->filter[0] = '\0'; arrange(t); break;  /* Esc: the filter goes */
	case 'r': lifecycle_selected(t, "restart", "restarting"); break;
	case 'x': lifecycle_selected(t, "stop", "stopping"); break;
	case 'k': case KEY_F(9):
		if (target_selected(t, &t->act)) {
			t->input[0] = '\0';
			t->message[0] = '\0';
			t->mode = MODE_SIGNAL;
		}
		break;
	case '?': case 'h': case KEY_F(1): t->mode = MODE_HELP; break;
	case 12:  /* Ctrl-L */
		clearok(curscr, TRUE);
		t->next_refresh = monotonic();
		break;
	case 'q': case 'Q': case 3: case KEY_F(10): t->quit = true; break;
	}
}

static void handle_key(struct top *t, int key)
{
	if (key == KEY_RESIZE)
		return;  /* ncurses has the new size (SIGWINCH): the redraw follows */
	switch (t->mode) {
	case MODE_BROWSE: browse_key(t, key); break;
	case MODE_FILTER: filter_key(t, key); break;
	case MODE_SIGNAL: signal_key(t, key); break;
	case MODE_HELP: t->mode = MODE_BROWSE; break;
	}
}

/* Every key waiting (a resize is one: KEY_RESIZE). */
static void read_keys(struct top *t)
{
	int key;

	while (!t->quit && (key = getch()) != ERR)
		handle_key(t, key);
}

/* --- the terminal and the loop -------------------------------------------------------------------- */

static SCREEN *screen;                /* the terminal while top runs, else NULL */
static volatile sig_atomic_t ended_by;/* SIGTERM or SIGHUP: the signal that ended top */

/* Gives the terminal back (endwin): from every way out, atexit's too. */
static void terminal_restore(void)
{
	if (screen == NULL)
		return;
	endwin();
	delscreen(screen);
	screen = NULL;
}

static int terminal_start(void)
{
	static bool atexit_set;

	screen = newterm(NULL, stdout, stdin);
	if (screen == NULL)
		return -1;
	set_term(screen);
	if (!atexit_set && atexit(terminal_restore) == 0)
		atexit_set = true;
	cbreak();                     /* Ctrl-C is still SIGINT: the loop ends on it */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);             /* Esc alone, not a second's wait for a sequence */
	curs_set(0);
	colours_start();
	return 0;
}

static void on_terminate(int sig)
{
	ended_by = sig;
	interrupted = 1;              /* also ends a request under way (try_call) */
}

/* SIGTERM and SIGHUP end top as q does (the terminal restored), then the program as they
 * would have. SIGWINCH is ncurses's (KEY_RESIZE). */
static void signals_take(struct sigaction old[2])
{
	struct sigaction sa = { .sa_handler = on_terminate };

	sigemptyset(&sa.sa_mask);
	ended_by = 0;
	sigaction(SIGTERM, &sa, &old[0]);
	sigaction(SIGHUP, &sa, &old[1]);
}

static void signals_give_back(const struct sigaction old[2])
{
	sigaction(SIGTERM, &old[0], NULL);
	sigaction(SIGHUP, &old[1], NULL);
}

/* Waits for a key, an event, the connection closing or the next refresh (whichever first). */
static void wait_for_something(struct top *t)
{
	zmq_pollitem_t items[3];
	int n = 0;
	double left = t->next_refresh - monotonic();

	items[n++] = (zmq_pollitem_t){ NULL, STDIN_FILENO, ZMQ_POLLIN, 0 };
	if (t->sub)
		items[n++] = (zmq_pollitem_t){ t->sub, 0, ZMQ_POLLIN, 0 };
	if (t->c->monitor)
		items[n++] = (zmq_pollitem_t){ t->c->monitor, 0, ZMQ_POLLIN, 0 };
	if (left < 0)
		left = 0;
	if (left > 1)
		left = 1;  /* the clock in the header */
	zmq_poll(items, n, (long)(left * 1000) + 1);  /* EINTR (a signal, a resize): looked at */
}

static void run(struct top *t)
{
	while (!t->quit && !interrupted) {
		read_keys(t);
		if (t->quit || interrupted)
			break;
		if (monotonic() >= t->next_refresh) {
			sample(t);
			arrange(t);
		}
		draw(t);  /* ncurses sends what changed only */
		wait_for_something(t);
		events_drain(t);
		watch_connection(t);
	}
}

/* -d SECONDS and the names; -1 on a usage error. */
static int parse_args(struct top *t, int argc, char **argv)
{
	t->delay = DEFAULT_DELAY;
	t->names = xcalloc((size_t)argc + 1, sizeof(*t->names));
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0) {
			const char *value = ++i < argc ? argv[i] : NULL;
			if (value == NULL || parse_duration(value, &t->delay) < 0 ||
			    t->delay < MIN_DELAY) {
				fprintf(stderr, "cirquectl: top: -d takes the seconds between two "
					"refreshes, at least %g (2, 0.5, 500ms)\n", MIN_DELAY);
				return -1;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "cirquectl: top: unknown option %s\n", shown(argv[i]));
			return -1;
		} else {
			t->names[t->nnames++] = argv[i];
		}
	}
	return 0;
}

static void top_free(struct top *t)
{
	if (t->sub)
		zmq_close(t->sub);
	free_rows(t->rows, t->nrows);
	free(t->order);
	free(t->sel_watcher);
	free(t->names);
	target_clear(&t->act);
	free(t);
}

/* The checks before the terminal is taken: what is said then is said on stderr, as by any
 * verb. Returns -1 with *RC when top cannot run (*UNREACHABLE: why, for unreachable()). */
static int preflight(struct top *t, int *rc, const char **unreachable_why)
{
	const char *why = NULL;
	json_t *reply;

	if (t->c->json) {
		fprintf(stderr, "cirquectl: top is a live view for a terminal; --json makes no sense "
			"with it (cirquectl --json metrics gives the same figures)\n");
		*rc = EXIT_USAGE;
		return -1;
	}
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "cirquectl: top needs a terminal (its %s is not one); use status, "
			"stats or metrics instead\n", isatty(STDOUT_FILENO) ? "input" : "output");
		*rc = EXIT_USAGE;
		return -1;
	}
	reply = try_call(t->c, "metrics", NULL, reply_seconds(t->c), &why, rc);
	if (reply == NULL) {
		if (*rc == EXIT_UNREACHABLE)
			*unreachable_why = why;
		else
			fprintf(stderr, *rc == EXIT_INTERRUPTED ? "%s\n" : "cirquectl: %s\n", why);
		return -1;
	}
	if (!reply_ok(reply)) {
		fprintf(stderr, "cirquectl: top: ERROR (%s)\n", reply_reason(reply));
		json_decref(reply);
		*rc = EXIT_ERROR;
		return -1;
	}
	take_sample(t, reply);
	json_decref(reply);
	events_open(t);
	return 0;
}

/* The top that runs, for the way back from end_command (a jump: its locals are not kept). */
static struct top *running;

int ctl_top(struct client *c, int argc, char **argv)
{
	sigjmp_buf back, *outer = command_abort;
	struct sigaction old[2];
	const char *unreachable_why = NULL;
	char *locale = NULL;
	int rc = EXIT_OK;

	running = xcalloc(1, sizeof(*running));
	running->c = c;
	if (parse_args(running, argc, argv) < 0) {
		top_free(running);
		running = NULL;
		return usage_error("top");
	}
	if (preflight(running, &rc, &unreachable_why) < 0) {
		top_free(running);
		running = NULL;
		if (unreachable_why)
			unreachable(c, unreachable_why);  /* as every verb says it: exit 7 */
		return rc;
	}
	/* The terminal's characters (UTF-8 names); the numbers keep their dot. */
	locale = xstrdup(setlocale(LC_CTYPE, NULL) ? setlocale(LC_CTYPE, NULL) : "C");
	setlocale(LC_CTYPE, "");
	if (terminal_start() < 0) {
		fprintf(stderr, "cirquectl: top: the terminal (TERM=%s) cannot be driven\n",
			getenv("TERM") ? shown(getenv("TERM")) : "");
		setlocale(LC_CTYPE, locale);
		free(locale);
		top_free(running);
		return EXIT_ERROR;
	}
	signals_take(old);
	/* end_command (a request that ends the command) comes back here first. */
	int jumped = sigsetjmp(back, 1);
	if (jumped == 0) {
		command_abort = &back;
		running->last_refresh = monotonic();
		running->next_refresh = running->last_refresh +
			(running->delay < FIRST_CPU_SAMPLE ? running->delay : FIRST_CPU_SAMPLE);
		arrange(running);
		run(running);
	}
	command_abort = outer;
	terminal_restore();
	signals_give_back(old);
	setlocale(LC_CTYPE, locale);
	free(locale);
	top_free(running);
	running = NULL;
	if (jumped)
		end_command(jumped);
	if (ended_by) {  /* ends as the signal would have */
		signal(ended_by, SIG_DFL);
		raise(ended_by);
	}
	return EXIT_OK;
}
