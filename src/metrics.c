/* metrics.c - the daemon's own counters, for the metrics command (cmd_info.c). */
#include "metrics.h"

#include <stdatomic.h>
#include <string.h>

/* Upper bounds of the request-duration histogram, in seconds: a status answers in well under a
 * millisecond, a start that waits for readiness takes seconds. */
static const double duration_bounds[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10, 30, 60,
};
#define NBOUNDS (sizeof(duration_bounds) / sizeof(duration_bounds[0]))

/* One row per command seen (the table has fewer than 64); "" for an unknown command. */
#define MAX_COMMANDS 64

static struct {
	const char *command;
	unsigned long long count[2];  /* [0] error, [1] ok */
	unsigned long long durations[NBOUNDS + 1];  /* not cumulative; the last: +Inf */
	double duration_sum;
} requests[MAX_COMMANDS];
static int nrequests;
static unsigned long long reloads[2];
static atomic_ullong dropped_lines, dropped_bytes;

static int request_row(const char *command)
{
	for (int i = 0; i < nrequests; i++)
		if (requests[i].command == command ||
		    (command && requests[i].command && strcmp(requests[i].command, command) == 0))
			return i;
	if (nrequests == MAX_COMMANDS)
		return -1;
	requests[nrequests].command = command;
	return nrequests++;
}

void metrics_request_done(const char *command, bool ok, double seconds)
{
	int row = request_row(command);
	size_t b = 0;

	if (row < 0)
		return;
	if (seconds < 0)
		seconds = 0;
	while (b < NBOUNDS && seconds > duration_bounds[b])
		b++;
	requests[row].count[ok]++;
	requests[row].durations[b]++;
	requests[row].duration_sum += seconds;
}

void metrics_reload_done(bool ok)
{
	reloads[ok]++;
}

void metrics_output_dropped(unsigned long long lines, unsigned long long bytes)
{
	atomic_fetch_add(&dropped_lines, lines);
	atomic_fetch_add(&dropped_bytes, bytes);
}

static json_t *requests_json(void)
{
	json_t *out = json_array();

	for (int i = 0; i < nrequests; i++)
		for (int ok = 1; ok >= 0; ok--)
			if (requests[i].count[ok] > 0)
				json_array_append_new(out, json_pack(
					"{s:s, s:s, s:I}", "command",
					requests[i].command ? requests[i].command : "",
					"outcome", ok ? "ok" : "error",
					"count", (json_int_t)requests[i].count[ok]));
	return out;
}

/* {le: [bounds], commands: [{command, counts (cumulative, the last for +Inf), sum, count}]} */
static json_t *durations_json(void)
{
	json_t *bounds = json_array(), *commands = json_array();

	for (size_t b = 0; b < NBOUNDS; b++)
		json_array_append_new(bounds, json_real(duration_bounds[b]));
	for (int i = 0; i < nrequests; i++) {
		json_t *counts = json_array();
		unsigned long long cumulative = 0;
		for (size_t b = 0; b <= NBOUNDS; b++) {
			cumulative += requests[i].durations[b];
			json_array_append_new(counts, json_integer((json_int_t)cumulative));
		}
		json_array_append_new(commands, json_pack("{s:s, s:o, s:f, s:I}", "command",
			requests[i].command ? requests[i].command : "", "counts", counts, "sum",
			requests[i].duration_sum, "count", (json_int_t)cumulative));
	}
	return json_pack("{s:o, s:o}", "le", bounds, "commands", commands);
}

json_t *metrics_daemon_json(void)
{
	return json_pack("{s:o, s:o, s:{s:I, s:I}, s:{s:I, s:I}}", "requests", requests_json(),
			 "request_seconds", durations_json(),
			 "reloads", "ok", (json_int_t)reloads[1], "failed", (json_int_t)reloads[0],
			 "output_dropped", "lines", (json_int_t)atomic_load(&dropped_lines),
			 "bytes", (json_int_t)atomic_load(&dropped_bytes));
}
