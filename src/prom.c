/* prom.c - the metrics command's reply in Prometheus's text exposition format (0.0.4).
 *
 * Names follow Prometheus's rules: a cirque_ prefix, base units in the name (_seconds, _bytes),
 * _total on counters. A process is named by its watcher and slot (wid), never by its pid (a
 * label that changes with every restart would make a new series each time); its pid is a value.
 * A retiring process (replaced or surplus, on its way out) shares its wid with its successor:
 * it is counted in its watcher's figures, not shown on its own. */
#include "prom.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const process_states[] = {
	"STARTING", "RUNNING", "STOPPING", "BACKOFF", "FATAL", "EXITED", "STOPPED",
};
#define NSTATES (sizeof(process_states) / sizeof(process_states[0]))

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
}

/* A sample's value: integers exactly, reals with 15 digits; booleans are 1 and 0. */
static void value(FILE *f, json_t *v)
{
	if (json_is_integer(v))
		fprintf(f, " %lld\n", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		fprintf(f, " %d\n", json_is_true(v));
	else
		fprintf(f, " %.15g\n", json_number_value(v));
}

static void lowercase(char *out, size_t size, const char *in)
{
	size_t i = 0;

	for (; in[i] && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static const char *name_of(json_t *w)
{
	const char *name = json_string_value(json_object_get(w, "name"));

	return name ? name : "";
}

/* name{watcher="..."[,LABEL="VALUE"]} */
static void watcher_sample(FILE *f, const char *name, json_t *w, const char *label,
			   const char *label_val)
{
	fprintf(f, "%s{watcher=\"", name);
	label_value(f, name_of(w));
	if (label) {
		fprintf(f, "\",%s=\"", label);
		label_value(f, label_val);
	}
	fputs("\"}", f);
}

/* One family with a sample per watcher: its KEY, or KEY's SUBKEY. */
static void watcher_family(FILE *f, json_t *watchers, const char *name, const char *type,
			   const char *help, const char *key)
{
	size_t i;
	json_t *w;

	family(f, name, type, help);
	json_array_foreach(watchers, i, w) {
		json_t *v = json_object_get(w, key);
		if (json_is_number(v)) {
			watcher_sample(f, name, w, NULL, NULL);
			value(f, v);
		}
	}
}

/* One family with a sample per watcher and member of the object KEY, labelled LABEL. */
static void watcher_split_family(FILE *f, json_t *watchers, const char *name, const char *help,
				 const char *key, const char *label, const char *const *members,
				 size_t nmembers)
{
	size_t i;
	json_t *w;

	family(f, name, "counter", help);
	json_array_foreach(watchers, i, w) {
		json_t *counts = json_object_get(w, key);
		for (size_t m = 0; m < nmembers; m++) {
			json_t *v = json_object_get(counts, members[m]);
			if (json_is_number(v)) {
				watcher_sample(f, name, w, label, members[m]);
				value(f, v);
			}
		}
	}
}

static void process_sample(FILE *f, const char *name, json_t *w, json_t *p)
{
	fprintf(f, "%s{watcher=\"", name);
	label_value(f, name_of(w));
	fprintf(f, "\",wid=\"%lld\"", (long long)json_integer_value(json_object_get(p, "wid")));
}

/* One family with a sample per process (not retiring) that has KEY. */
static void process_family(FILE *f, json_t *watchers, const char *name, const char *type,
			   const char *help, const char *key)
{
	size_t i, j;
	json_t *w, *p;

	family(f, name, type, help);
	json_array_foreach(watchers, i, w) {
		json_array_foreach(json_object_get(w, "processes"), j, p) {
			json_t *v = json_object_get(p, key);
			if (json_is_true(json_object_get(p, "retiring")) || v == NULL ||
			    json_is_null(v))
				continue;
			process_sample(f, name, w, p);
			fputc('}', f);
			value(f, v);
		}
	}
}

static void watcher_states(FILE *f, json_t *watchers)
{
	size_t i, j;
	json_t *w, *p;
	char state[16];

	family(f, "cirque_watcher_status", "gauge",
	       "The watcher's status (active, stopped, starting, stopping...): 1 for the current one.");
	json_array_foreach(watchers, i, w) {
		const char *status = json_string_value(json_object_get(w, "status"));
		watcher_sample(f, "cirque_watcher_status", w, "status", status ? status : "");
		fputs(" 1\n", f);
	}
	family(f, "cirque_watcher_processes", "gauge",
	       "The watcher's processes in each state (retiring ones included).");
	json_array_foreach(watchers, i, w) {
		size_t count[NSTATES] = { 0 };
		json_array_foreach(json_object_get(w, "processes"), j, p) {
			const char *s = json_string_value(json_object_get(p, "state"));
			for (size_t k = 0; s && k < NSTATES; k++)
				if (strcmp(s, process_states[k]) == 0)
					count[k]++;
		}
		for (size_t k = 0; k < NSTATES; k++) {
			lowercase(state, sizeof(state), process_states[k]);
			watcher_sample(f, "cirque_watcher_processes", w, "state", state);
			fprintf(f, " %zu\n", count[k]);
		}
	}
}

static void process_states_family(FILE *f, json_t *watchers)
{
	size_t i, j;
	json_t *w, *p;
	char state[16];

	family(f, "cirque_process_state", "gauge",
	       "The process's state (starting, running, backoff...): 1 for the current one.");
	json_array_foreach(watchers, i, w) {
		json_array_foreach(json_object_get(w, "processes"), j, p) {
			const char *s = json_string_value(json_object_get(p, "state"));
			if (json_is_true(json_object_get(p, "retiring")) || s == NULL)
				continue;
			lowercase(state, sizeof(state), s);
			process_sample(f, "cirque_process_state", w, p);
			fprintf(f, ",state=\"%s\"} 1\n", state);
		}
	}
}

/* name{command="..."[,le="..."]} */
static void command_sample(FILE *f, const char *name, const char *command, const char *le)
{
	fprintf(f, "%s{command=\"", name);
	label_value(f, command && *command ? command : "unknown");
	if (le)
		fprintf(f, "\",le=\"%s", le);
	fputs("\"}", f);
}

/* The duration histogram, one per command: waiting commands (a start that waits for
 * readiness) apart from the others. */
static void request_durations(FILE *f, json_t *h)
{
	json_t *bounds = json_object_get(h, "le"), *row, *bound;
	size_t i, b;
	char le[32];

	family(f, "cirque_control_request_duration_seconds", "histogram",
	       "Time from a control request's arrival to its reply, by command (those that wait "
	       "for processes included).");
	json_array_foreach(json_object_get(h, "commands"), i, row) {
		const char *command = json_string_value(json_object_get(row, "command"));
		json_t *counts = json_object_get(row, "counts");
		json_array_foreach(bounds, b, bound) {
			snprintf(le, sizeof(le), "%g", json_number_value(bound));
			command_sample(f, "cirque_control_request_duration_seconds_bucket", command, le);
			value(f, json_array_get(counts, b));
		}
		command_sample(f, "cirque_control_request_duration_seconds_bucket", command, "+Inf");
		value(f, json_array_get(counts, json_array_size(counts) - 1));
		command_sample(f, "cirque_control_request_duration_seconds_sum", command, NULL);
		value(f, json_object_get(row, "sum"));
		command_sample(f, "cirque_control_request_duration_seconds_count", command, NULL);
		value(f, json_object_get(row, "count"));
	}
}

static void daemon_families(FILE *f, json_t *d)
{
	size_t i;
	json_t *row;

	family(f, "cirque_build_info", "gauge", "cirqued's version: always 1.");
	const char *version = json_string_value(json_object_get(d, "version"));
	fputs("cirque_build_info{version=\"", f);
	label_value(f, version ? version : "");
	fputs("\"} 1\n", f);
	family(f, "cirque_daemon_start_time_seconds", "gauge", "When cirqued started (Unix time).");
	fputs("cirque_daemon_start_time_seconds", f);
	value(f, json_object_get(d, "started"));
	family(f, "cirque_daemon_cpu_seconds_total", "counter", "cirqued's own CPU time.");
	fputs("cirque_daemon_cpu_seconds_total", f);
	value(f, json_object_get(d, "cpu_seconds"));
	family(f, "cirque_daemon_resident_memory_bytes", "gauge", "cirqued's resident memory.");
	fputs("cirque_daemon_resident_memory_bytes", f);
	value(f, json_object_get(d, "rss_bytes"));

	family(f, "cirque_control_requests_total", "counter",
	       "Control requests answered, by command and outcome (ok, error).");
	json_array_foreach(json_object_get(d, "requests"), i, row) {
		const char *command = json_string_value(json_object_get(row, "command"));
		const char *outcome = json_string_value(json_object_get(row, "outcome"));
		fputs("cirque_control_requests_total{command=\"", f);
		label_value(f, command && *command ? command : "unknown");
		fputs("\",outcome=\"", f);
		label_value(f, outcome ? outcome : "");
		fputs("\"}", f);
		value(f, json_object_get(row, "count"));
	}

	request_durations(f, json_object_get(d, "request_seconds"));

	family(f, "cirque_reloads_total", "counter",
	       "Configuration reloads, by outcome (ok; failed: the running one was kept).");
	fputs("cirque_reloads_total{outcome=\"ok\"}", f);
	value(f, json_object_get(json_object_get(d, "reloads"), "ok"));
	fputs("cirque_reloads_total{outcome=\"failed\"}", f);
	value(f, json_object_get(json_object_get(d, "reloads"), "failed"));

	json_t *dropped = json_object_get(d, "output_dropped");
	family(f, "cirque_output_dropped_lines_total", "counter",
	       "Output lines dropped while a log sink was failing (disk full...).");
	fputs("cirque_output_dropped_lines_total", f);
	value(f, json_object_get(dropped, "lines"));
	family(f, "cirque_output_dropped_bytes_total", "counter",
	       "Output bytes dropped while a log sink was failing.");
	fputs("cirque_output_dropped_bytes_total", f);
	value(f, json_object_get(dropped, "bytes"));
}

static void watcher_families(FILE *f, json_t *watchers)
{
	static const char *const reasons[] = { "stopped", "expected", "unexpected" };
	static const char *const streams[] = { "stdout", "stderr" };

	watcher_states(f, watchers);
	watcher_family(f, watchers, "cirque_watcher_processes_wanted", "gauge",
		       "How many processes the watcher should run (numprocesses).", "numprocesses");
	watcher_family(f, watchers, "cirque_watcher_spawns_total", "counter",
		       "Processes spawned.", "spawns");
	watcher_family(f, watchers, "cirque_watcher_restarts_total", "counter",
		       "Processes spawned again after an exit of their slot's last one.", "restarts");
	watcher_family(f, watchers, "cirque_watcher_spawn_failures_total", "counter",
		       "Spawns that failed (fork, exec, setup): nothing ran.", "spawn_failures");
	watcher_split_family(f, watchers, "cirque_watcher_exits_total",
			     "Process exits, by reason: stopped (cirqued asked), expected (a status "
			     "in exitcodes), unexpected.", "exits", "reason", reasons, 3);
	watcher_family(f, watchers, "cirque_watcher_oom_kills_total", "counter",
		       "Processes killed by the kernel's OOM killer (with cgroups).", "oom_kills");
	watcher_family(f, watchers, "cirque_watcher_events_dropped_total", "counter",
		       "Events an event listener (listen_events) did not read in time: its "
		       "queue's oldest, dropped.", "events_dropped");
	watcher_split_family(f, watchers, "cirque_watcher_output_lines_total",
			     "Output lines captured, by stream.", "lines", "stream", streams, 2);
}

static void process_families(FILE *f, json_t *watchers)
{
	process_states_family(f, watchers);
	process_family(f, watchers, "cirque_process_pid", "gauge", "The process's pid.", "pid");
	process_family(f, watchers, "cirque_process_ready", "gauge",
		       "1 when the process is ready (RUNNING), 0 while it starts or stops.", "ready");
	process_family(f, watchers, "cirque_process_start_time_seconds", "gauge",
		       "When the process was spawned (Unix time).", "started");
	process_family(f, watchers, "cirque_process_last_exit_code", "gauge",
		       "The process's last exit: its status, or minus the signal that killed it.",
		       "exit_code");
	process_family(f, watchers, "cirque_process_restarts_total", "counter",
		       "Respawns of this slot since the watcher was last started.", "restarts");
	process_family(f, watchers, "cirque_process_cpu_seconds_total", "counter",
		       "The process's own CPU time, user and system.", "cpu_seconds");
	process_family(f, watchers, "cirque_process_resident_memory_bytes", "gauge",
		       "The process's resident memory.", "rss_bytes");
}

char *prom_format(json_t *reply, size_t *len)
{
	json_t *daemon = json_object_get(reply, "daemon");
	json_t *watchers = json_object_get(reply, "watchers");
	char *text = NULL;
	FILE *f;

	if (!json_is_object(daemon) || !json_is_array(watchers))
		return NULL;
	if ((f = open_memstream(&text, len)) == NULL)
		return NULL;
	daemon_families(f, daemon);
	watcher_families(f, watchers);
	process_families(f, watchers);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
