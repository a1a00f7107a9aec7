/* cmd_info.c - commands that describe: list, status, numprocesses, numwatchers, options, get,
 * globaloptions, stats, dstats, tail, listsockets, metrics. */
#include "cmd.h"

#include "arbiter.h"
#include "events.h"
#include "log.h"
#include "listener.h"
#include "metrics.h"
#include "proc_info.h"
#include "sockets.h"
#include "stream.h"
#include "text.h"
#include "version.h"
#include "watcher_options.h"
#include "xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- information ------------------------------------------------------------------------------ */

static int compare_names(const void *x, const void *y)
{
	return strcmp((*(struct watcher *const *)x)->name, (*(struct watcher *const *)y)->name);
}

/* Every watcher, sorted by name (malloc'd array, *n entries). */
static struct watcher **sorted_watchers(struct arbiter *a, int *n)
{
	struct watcher **list;
	int count = 0;

	for (struct watcher *w = a->watchers; w; w = w->next)
		count++;
	list = xmalloc(sizeof(*list) * (size_t)(count ? count : 1));
	count = 0;
	for (struct watcher *w = a->watchers; w; w = w->next)
		list[count++] = w;
	qsort(list, (size_t)count, sizeof(*list), compare_names);
	*n = count;
	return list;
}

void cmd_list(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	int n;
	struct watcher **list;
	json_t *names;

	(void)props;
	if (w) {
		control_reply(req, json_pack("{s:o}", "pids", pids_of(w)));
		return;
	}
	list = sorted_watchers(a, &n);
	names = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(names, json_string(list[i]->name));
	free(list);
	control_reply(req, json_pack("{s:o}", "watchers", names));
}

/* An item and its place, so that qsort keeps the order of equal wids (a retiring process and
 * its successor): stable, and O(n log n) whatever order 10,000 restarts left. */
struct wid_item {
	json_int_t wid;
	size_t index;
	json_t *item;
};

static int compare_wids(const void *x, const void *y)
{
	const struct wid_item *a = x, *b = y;

	if (a->wid != b->wid)
		return (a->wid > b->wid) - (a->wid < b->wid);
	return (a->index > b->index) - (a->index < b->index);
}

/* ITEMS (consumed) ordered by their "wid". */
static json_t *sorted_by_wid(json_t *items)
{
	size_t n = json_array_size(items);
	struct wid_item *list = xmalloc(sizeof(*list) * (n ? n : 1));
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++) {
		list[i].item = json_array_get(items, i);
		list[i].wid = json_integer_value(json_object_get(list[i].item, "wid"));
		list[i].index = i;
	}
	qsort(list, n, sizeof(*list), compare_wids);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, list[i].item);
	free(list);
	json_decref(items);
	return out;
}

/* cirque's extension to status (properties.processes = true): each process's state, by wid. A
 * slot without a process is shown STOPPED (no pid) when it was stopped: the watcher, or that
 * slot alone (stop name:wid); STARTING with "pending" when its process is still to come. */
static json_t *process_details(struct watcher *w, double now)
{
	json_t *out = json_array();

	for (int wid = 1; wid <= w->numprocesses; wid++) {
		const char *pending = watcher_slot_pending(w, wid);
		if (pending)  /* on its way: STARTING, without a pid yet; blocked: not by itself
			       * (a dependency gave up, depends_on) */
			json_array_append_new(out, json_pack("{s:i, s:s, s:b, s:s, s:b}", "wid", wid,
							     "state", "STARTING", "retiring", 0,
							     "pending", pending, "blocked",
							     w->deps_blocked));
		else if ((!w->wanted || watcher_slot_held(w, wid)) &&
			 watcher_find_wid(w, wid) == NULL)
			json_array_append_new(out, json_pack("{s:i, s:s, s:b, s:s*}", "wid", wid,
							     "state", "STOPPED", "retiring", 0,
							     "reason", w->wanted ? NULL
									: w->demand_io
									? "waiting for a connection to "
									  "start it (on_demand)"
									: w->hook_failure));
	}
	for (const struct process *p = w->processes; p; p = p->next) {
		json_t *item = json_pack("{s:i, s:s, s:b}", "wid", p->wid, "state",
					 proc_state_name(p->state), "retiring", p->retiring);
		if (p->pid > 0) {
			json_object_set_new(item, "pid", json_integer(p->pid));
			json_object_set_new(item, "uptime", json_real(now - p->started_at));
		}
		if (p->adopted)  /* from a cirqued that died (survivors.h) */
			json_object_set_new(item, "adopted", json_true());
		if (p->exit_unknown)  /* the last exit was an adopted process's */
			json_object_set_new(item, "exit_unknown", json_true());
		if (p->last_status >= 0) {
			int st = p->last_status;
			json_object_set_new(item, "exit_code", json_integer(
				WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st)));
			/* in exitcodes: the job finished as it should */
			json_object_set_new(item, "expected", json_boolean(p->exit_expected));
			if (p->oom_killed)  /* the kernel's OOM killer's SIGKILL (memory.events) */
				json_object_set_new(item, "oom_killed", json_true());
		}
		if (p->failures > 0)
			json_object_set_new(item, "failures", json_integer(p->failures));
		if (p->restarts > 0)  /* new pids of this slot after an exit */
			json_object_set_new(item, "restarts", json_integer(p->restarts));
		/* Both may quote bytes that are not UTF-8, which json_string refuses. */
		if (p->ready.status)  /* what the program said with sd_notify STATUS= */
			json_object_set_new(item, "notify_status",
					    text_to_json(p->ready.status, strlen(p->ready.status)));
		if (p->spawn_error)  /* it never ran: why */
			json_object_set_new(item, "spawn_error",
					    text_to_json(p->spawn_error, strlen(p->spawn_error)));
		if (p->spawn_hook)  /* its spawn waits for its before_spawn hook */
			json_object_set_new(item, "pending",
					    json_string("running its before_spawn hook"));
		if (p->start_error)  /* killed while starting: why */
			json_object_set_new(item, "start_error",
					    text_to_json(p->start_error, strlen(p->start_error)));
		if (p->state == PS_STARTING && p->ready.failure)  /* why it is not ready yet */
			json_object_set_new(item, "probe_error",
					    text_to_json(p->ready.failure, strlen(p->ready.failure)));
		json_array_append_new(out, item);
	}
	return sorted_by_wid(out);
}

/* A watcher that a start in progress has not reached yet (a higher priority level is still
 * starting) is "starting", not "stopped": *WAITING_FOR says for what ("db (priority 10)"). */
static const char *status_of(struct arbiter *a, const struct watcher *w, char *waiting_for,
			     size_t size)
{
	if (arbiter_waiting_for(a, w, waiting_for, size))
		return "starting";
	*waiting_for = '\0';
	return watcher_status(w);
}

/* The processes W's programs left behind (cirqued adopted them), as a list of pids. */
static json_t *strays_json(struct watcher *w, const struct orphan_list *orphans)
{
	pid_t *pids;
	int n = watcher_strays(w, orphans, &pids);
	json_t *list = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_integer(pids[i]));
	free(pids);
	return list;
}

/* How the watchers are contained: {"mode": "cgroup" or "process groups", "text": ...}. */
static json_t *containment_json(void)
{
	return json_pack("{s:s, s:s, s:s?}", "mode", cgroup_enabled() ? "cgroup" : "process groups",
			 "text", cgroup_mode_text(), "base", cgroup_base());
}

void cmd_status(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	bool details = prop_bool(props, "processes", false);
	double now = ev_now(a->loop);
	json_t *statuses, *processes, *waiting;
	struct watcher **list;
	char waiting_for[256];
	int n;

	if (w) {
		json_t *reply = json_pack("{s:s}", "status",
					  status_of(a, w, waiting_for, sizeof(waiting_for)));
		if (details) {
			json_object_set_new(reply, "processes", process_details(w, now));
			json_object_set_new(reply, "strays", strays_json(w, NULL));
			json_object_set_new(reply, "containment", containment_json());
		}
		if (details && waiting_for[0])
			json_object_set_new(reply, "waiting_for", json_string(waiting_for));
		control_reply_raw(req, reply);  /* Circus's quirk: the state in `status` */
		return;
	}
	statuses = json_object();
	processes = json_object();
	waiting = json_object();  /* cirque's: {name: what it waits for}, with processes */
	json_t *strays = json_object();  /* cirque's: {name: [pids]}, those that have some */
	/* Without cgroups, the orphans are read once for all the watchers. */
	struct orphan_list *orphans = details && !cgroup_enabled() ? orphans_collect() : NULL;
	list = sorted_watchers(a, &n);
	for (int i = 0; i < n; i++) {
		const char *state = status_of(a, list[i], waiting_for, sizeof(waiting_for));
		json_object_set_new(statuses, list[i]->name, json_string(state));
		if (details)
			json_object_set_new(processes, list[i]->name, process_details(list[i], now));
		json_t *left = details ? strays_json(list[i], orphans) : NULL;
		if (left && json_array_size(left) > 0)
			json_object_set_new(strays, list[i]->name, left);
		else
			json_decref(left);
		if (details && waiting_for[0])
			json_object_set_new(waiting, list[i]->name, json_string(waiting_for));
	}
	free(list);
	orphans_free(orphans);
	json_t *reply = json_pack("{s:o}", "statuses", statuses);
	if (details) {
		json_object_set_new(reply, "processes", processes);
		json_object_set_new(reply, "waiting", waiting);
		json_object_set_new(reply, "strays", strays);
		json_object_set_new(reply, "containment", containment_json());
	} else {
		json_decref(processes);
		json_decref(waiting);
		json_decref(strays);
	}
	control_reply(req, reply);
}

void cmd_numprocesses(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	int total = 0;

	(void)props;
	if (w) {
		control_reply(req, json_pack("{s:i, s:s}", "numprocesses", w->numprocesses,
					     "watcher_name", w->name));
		return;
	}
	/* As Circus: without a name, the processes that exist (with one, the wanted count). */
	for (w = a->watchers; w; w = w->next)
		for (struct process *p = w->processes; p; p = p->next)
			total += p->pid > 0;
	control_reply(req, json_pack("{s:i}", "numprocesses", total));
}

void cmd_numwatchers(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	int n = 0;

	(void)props;
	for (w = a->watchers; w; w = w->next)
		n++;
	control_reply(req, json_pack("{s:i}", "numwatchers", n));
}

/* The options as the table shows them, with the count as it is now (incr and decr change it). */
static json_t *watcher_options(const struct watcher *w)
{
	json_t *o = watcher_options_json(w->config);

	json_object_set_new(o, "numprocesses", json_integer(w->numprocesses));
	return o;
}

void cmd_options(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)a;
	(void)props;
	control_reply(req, json_pack("{s:o}", "options", watcher_options(w)));
}

void cmd_get(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	json_t *keys = json_object_get(props, "keys"), *key, *all, *out;
	size_t i;

	(void)a;
	all = watcher_options(w);
	out = json_object();
	json_array_foreach(keys, i, key) {
		json_t *value = json_is_string(key) ? json_object_get(all, json_string_value(key)) : NULL;
		if (value == NULL) {
			json_decref(all);
			json_decref(out);
			control_error(req, CONTROL_EMESSAGE, "unknown option %s",
				      json_is_string(key) ? json_string_value(key) : "(not a string)");
			return;
		}
		json_object_set(out, json_string_value(key), value);
	}
	json_decref(all);
	control_reply(req, json_pack("{s:o}", "options", out));
}

void cmd_globaloptions(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	const struct daemon_config *d = &a->daemon;
	const char *option = prop_string(props, "option");
	json_t *all = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:s?, s:f, s:i, s:I}",
				"endpoint", a->control_endpoint,
				"operator_endpoint", a->operator_endpoint,
				"pubsub_endpoint", a->pubsub_endpoint,
				"stats_endpoint", d->stats_endpoint,
				"loglevel", log_level_name(log_get_level()),
				"logoutput", d->logoutput, "pidfile", d->pidfile,
				"check_delay", 0.0, "numwatchers", 0,
				"max_processes", (json_int_t)daemon_max_processes(d));

	(void)w;
	json_object_del(all, "numwatchers");
	/* the one in force (a reload keeps it), and what a limit it cannot apply is */
	json_object_set_new(all, "cgroup", json_string(d->cgroup ? d->cgroup : "auto"));
	json_object_set_new(all, "unavailable_limits",
			    json_string(d->limits_may_be_ignored ? "warn" : "error"));
	json_object_set_new(all, "on_orphans", json_string(d->orphans_stop ? "stop"
							    : d->orphans_adopt_piped ? "adopt-all"
							    : "adopt"));
	if (option) {
		json_t *value = json_object_get(all, option);
		if (value == NULL) {
			json_decref(all);
			control_error(req, CONTROL_EMESSAGE, "unknown option %s", option);
			return;
		}
		json_t *one = json_object();
		json_object_set(one, option, value);
		json_decref(all);
		all = one;
	}
	control_reply(req, json_pack("{s:o}", "options", all));
}

/* A process's stats, with its slot (cirque's extension: "wid"). */
static json_t *process_stats(const struct process *p)
{
	json_t *info = proc_info(p->pid);

	json_object_set_new(info, "wid", json_integer(p->wid));
	return info;
}

/* cirque's: the whole cgroup of W (every descendant, strays included): {path, processes,
 * cpu_seconds, memory}; memory is memory.current, or without the memory controller the sum of
 * the processes' resident sizes. NULL without a cgroup. */
static json_t *cgroup_stats(struct watcher *w)
{
	pid_t *pids;
	long long memory;
	int n;

	if (w->cgroup == NULL)
		return NULL;
	n = wcgroup_pids(w->cgroup, &pids);
	memory = wcgroup_memory(w->cgroup);
	if (memory < 0) {
		memory = 0;
		for (int i = 0; i < n; i++)
			memory += proc_rss(pids[i]);
	}
	free(pids);
	double cpu = wcgroup_cpu_seconds(w->cgroup);
	return json_pack("{s:s, s:i, s:o, s:I}", "path", wcgroup_path(w->cgroup), "processes", n,
			 "cpu_seconds", cpu < 0 ? json_null() : json_real(cpu), "memory",
			 (json_int_t)memory);
}

void cmd_stats(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	json_t *infos;
	long pid;

	if (w) {
		if (prop_int(props, "process", 0, &pid) < 0) {
			reply_invalid(req, "process", INVALID_UNSPECIFIED);
			return;
		}
		if (pid == 0 && slot_pid(req, props, w, &pid) < 0)  /* cirque's "wid" */
			return;
		if (pid) {
			if (find_process(w, pid) == NULL) {
				control_fail(req, REPLY_ESRCH, "process %ld not found", pid);
				return;
			}
			control_reply(req, json_pack("{s:s, s:i, s:o}", "name", w->name, "process",
						     (int)pid, "info",
						     process_stats(find_process(w, pid))));
			return;
		}
		infos = json_object();
		for (struct process *p = w->processes; p; p = p->next)
			if (p->pid > 0) {
				char key[16];
				snprintf(key, sizeof(key), "%d", (int)p->pid);
				json_object_set_new(infos, key, process_stats(p));
			}
		json_t *reply = json_pack("{s:s, s:o}", "name", w->name, "info", infos);
		json_t *cg = cgroup_stats(w);
		if (cg)
			json_object_set_new(reply, "cgroup", cg);
		control_reply(req, reply);
		return;
	}
	infos = json_object();
	json_t *cgroups = json_object();
	for (w = a->watchers; w; w = w->next) {
		json_t *cg = cgroup_stats(w);
		if (cg)
			json_object_set_new(cgroups, w->name, cg);
		json_t *one = json_object();
		for (struct process *p = w->processes; p; p = p->next)
			if (p->pid > 0) {
				char key[16];
				snprintf(key, sizeof(key), "%d", (int)p->pid);
				json_object_set_new(one, key, process_stats(p));
			}
		json_object_set_new(infos, w->name, one);
	}
	control_reply(req, json_pack("{s:o, s:o}", "infos", infos, "cgroups", cgroups));
}

void cmd_dstats(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)a;
	(void)props;
	(void)w;
	control_reply(req, json_pack("{s:o, s:o}", "info", proc_info(getpid()), "containment",
				     containment_json()));
}

static bool has_wid(const struct watcher *w, int wid)
{
	for (const struct process *p = w->processes; p; p = p->next)
		if (p->wid == wid)
			return true;
	return false;
}

/* Whether the tail buffer holds a line of WID (tail -n 0 asks for none, but the wid is real). */
static bool tail_has_wid(const struct watcher_config *config, int wid, bool err)
{
	json_t *lines = streams_tail(config, wid, err, 1, false, NULL);
	bool some = json_array_size(lines) > 0;

	json_decref(lines);
	return some;
}

/* cirque's extension: the last lines of a watcher's output. Properties: name, wid (0: all),
 * stream ("stdout" or "stderr"), lines (10), encoding: "text" (default: each line a string,
 * exact when it is UTF-8, a byte that is not shown as U+FFFD) or "base64" (every byte). */
void cmd_tail(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	const char *stream = prop_string(props, "stream");
	const char *encoding = prop_string(props, "encoding");
	const char *mark = prop_string(props, "mark");
	long wid, n;
	json_t *lines;

	if (mark && (strncmp(mark, EVENTS_HELLO_PREFIX, strlen(EVENTS_HELLO_PREFIX)) != 0 ||
		     strlen(mark) > 200)) {
		control_error(req, CONTROL_EMESSAGE, "mark must be a topic " EVENTS_HELLO_PREFIX
			      "... of at most 200 characters");
		return;
	}
	if (stream && strcmp(stream, "stdout") && strcmp(stream, "stderr")) {
		control_error(req, CONTROL_EMESSAGE, "stream must be stdout or stderr");
		return;
	}
	if (encoding && strcmp(encoding, "text") && strcmp(encoding, "base64")) {
		control_error(req, CONTROL_EMESSAGE, "encoding must be text or base64");
		return;
	}
	if (prop_int(props, "wid", 0, &wid) < 0 || wid < 0 || wid > INT_MAX ||
	    prop_int(props, "lines", 10, &n) < 0 || n < 0) {
		control_error(req, CONTROL_EMESSAGE, "wid (0 to %d) and lines must be non-negative "
			      "integers", INT_MAX);
		return;
	}
	bool err = stream && strcmp(stream, "stderr") == 0;
	bool base64 = encoding && strcmp(encoding, "base64") == 0;
	json_t *wids = json_array();
	lines = streams_tail(w->config, (int)wid, err, n > 100000 ? 100000 : (int)n, base64, wids);
	if (lines == NULL) {
		json_decref(wids);
		control_error(req, CONTROL_ECOMMAND, "%s does not capture its %s (%s: null)", w->name,
			      err ? "stderr" : "stdout", err ? "stderr" : "stdout");
		return;
	}
	/* A wid is a process there is, or one whose lines are still kept. */
	if (wid > 0 && !has_wid(w, (int)wid) && json_array_size(lines) == 0 &&
	    !tail_has_wid(w->config, (int)wid, err)) {
		json_decref(lines);
		json_decref(wids);
		control_fail(req, REPLY_ESRCH, "%s has no process %ld", w->name, wid);
		return;
	}
	/* A merged stderr travels with stdout (also on the PUB topic): say where to follow it.
	 * Each line's wid and the number of processes let a client tell whose line is whose. */
	bool merged = err && w->config->streams[1].kind == STREAM_MERGE;
	control_reply(req, json_pack("{s:o, s:o, s:s, s:s, s:i}", "lines", lines, "wids", wids,
				     "stream", err && !merged ? "stderr" : "stdout", "encoding",
				     base64 ? "base64" : "text", "numprocesses", w->numprocesses));
	/* The follower's mark, on the event socket, right after this snapshot: what it receives
	 * before the mark is in these lines, what comes after is not (tail -f, exactly once). */
	if (mark)
		events_publish_raw(a->events, mark, "{}", 2);
}

void cmd_listsockets(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	(void)a;
	(void)props;
	(void)w;
	control_reply(req, json_pack("{s:o}", "sockets", sockets_describe()));
}

/* --- metrics ---------------------------------------------------------------------------------- */

/* One process for the metrics command: its slot and state always; with a pid, when it started,
 * whether it is ready, and its CPU time and resident size (one read of /proc/PID/stat). */
static json_t *process_metrics(const struct process *p)
{
	json_t *item = json_pack("{s:i, s:s, s:b, s:i}", "wid", p->wid, "state",
				 proc_state_name(p->state), "retiring", p->retiring, "restarts",
				 p->restarts);
	double cpu;
	long long rss;

	if (p->last_status >= 0)  /* as status: the status, or -signum */
		json_object_set_new(item, "exit_code", json_integer(
			WIFSIGNALED(p->last_status) ? -WTERMSIG(p->last_status)
						    : WEXITSTATUS(p->last_status)));
	const char *error = p->spawn_error ? p->spawn_error : p->start_error;
	if (error)  /* why it never ran, or was killed while starting */
		json_object_set_new(item, "error", text_to_json(error, strlen(error)));
	if (p->pid > 0) {
		json_object_set_new(item, "pid", json_integer(p->pid));
		json_object_set_new(item, "started", json_real(p->started_at));
		json_object_set_new(item, "ready", json_boolean(p->state == PS_RUNNING));
		if (proc_usage(p->pid, &cpu, &rss, NULL)) {
			json_object_set_new(item, "cpu_seconds", json_real(cpu));
			json_object_set_new(item, "rss_bytes", json_integer(rss));
		}
	}
	return item;
}

static json_t *watcher_metrics(struct arbiter *a, struct watcher *w, json_t *line_counts)
{
	const struct watcher_totals *t = &w->totals;
	char waiting_for[128];
	json_t *processes = json_array();
	json_t *lines = json_object_get(line_counts, w->name);

	/* The slots without a process, as status shows them: on their way (STARTING, pending), or
	 * stopped (the watcher, or that slot alone). */
	for (int wid = 1; wid <= w->numprocesses; wid++) {
		const char *pending = watcher_slot_pending(w, wid);
		if (pending)
			json_array_append_new(processes, json_pack("{s:i, s:s, s:b, s:i, s:s}", "wid",
				wid, "state", "STARTING", "retiring", 0, "restarts", 0, "pending",
				pending));
		else if ((!w->wanted || watcher_slot_held(w, wid)) && watcher_find_wid(w, wid) == NULL)
			json_array_append_new(processes, json_pack("{s:i, s:s, s:b, s:i}", "wid", wid,
				"state", "STOPPED", "retiring", 0, "restarts", 0));
	}
	for (const struct process *p = w->processes; p; p = p->next)
		json_array_append_new(processes, process_metrics(p));
	json_t *out = json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:o, s:o}",
			 "name", w->name, "status", status_of(a, w, waiting_for, sizeof(waiting_for)),
			 "numprocesses", w->numprocesses, "spawns", (json_int_t)t->spawns,
			 "restarts", (json_int_t)t->restarts,
			 "spawn_failures", (json_int_t)t->spawn_failures,
			 "exits", "stopped", (json_int_t)t->exits_stopped,
			 "expected", (json_int_t)t->exits_expected,
			 "unexpected", (json_int_t)t->exits_unexpected,
			 "oom_kills", (json_int_t)t->oom_kills,
			 "lines", lines ? json_incref(lines) : json_object(),
			 "processes", sorted_by_wid(processes));
	if (w->config->listen.events)  /* an event listener: the events it did not read */
		json_object_set_new(out, "events_dropped",
				    json_integer((json_int_t)listener_dropped(w)));
	return out;
}

/* cirque's: in one reply, what a dashboard, `cirquectl top` or a Prometheus scrape shows: the
 * daemon's own figures and counters, and every watcher with its counters and processes. One
 * read of /proc per process: O(n), nothing kept between calls. */
void cmd_metrics(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	json_t *daemon = metrics_daemon_json();
	json_t *line_counts = streams_line_counts();
	json_t *watchers = json_array();
	double cpu = 0, started = 0;
	long long rss = 0;
	int n;

	(void)props;
	(void)w;
	proc_usage(getpid(), &cpu, &rss, &started);
	json_object_set_new(daemon, "version", json_string(CIRQUE_VERSION));
	json_object_set_new(daemon, "pid", json_integer(getpid()));
	json_object_set_new(daemon, "started", json_real(started));
	json_object_set_new(daemon, "cpu_seconds", json_real(cpu));
	json_object_set_new(daemon, "rss_bytes", json_integer(rss));
	struct watcher **sorted = sorted_watchers(a, &n);
	for (int i = 0; i < n; i++)
		json_array_append_new(watchers, watcher_metrics(a, sorted[i], line_counts));
	free(sorted);
	json_decref(line_counts);
	control_reply(req, json_pack("{s:o, s:o}", "daemon", daemon, "watchers", watchers));
}
