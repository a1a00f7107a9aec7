/* test_prom.c - unit tests for src/prom.c: the metrics reply in Prometheus's text format. */
#include "check.h"
#include "prom.h"

#include <stdlib.h>
#include <string.h>

static const char *reply_json =
	"{\"daemon\": {\"version\": \"1.2\", \"pid\": 7, \"started\": 1700000000.5,"
	" \"cpu_seconds\": 0.25, \"rss_bytes\": 4096,"
	" \"requests\": [{\"command\": \"status\", \"outcome\": \"ok\", \"count\": 3},"
	"  {\"command\": \"\", \"outcome\": \"error\", \"count\": 1}],"
	" \"request_seconds\": {\"le\": [0.001, 0.01], \"commands\": ["
	"  {\"command\": \"status\", \"counts\": [2, 3, 3], \"sum\": 0.5, \"count\": 3},"
	"  {\"command\": \"\", \"counts\": [0, 0, 1], \"sum\": 1, \"count\": 1}]},"
	" \"reloads\": {\"ok\": 1, \"failed\": 2}, \"output_dropped\": {\"lines\": 5, \"bytes\": 50}},"
	" \"watchers\": [{\"name\": \"a\\\"b\\\\c\\nd\", \"status\": \"active\", \"numprocesses\": 2,"
	"  \"spawns\": 4, \"restarts\": 2, \"spawn_failures\": 0,"
	"  \"exits\": {\"stopped\": 1, \"expected\": 0, \"unexpected\": 2}, \"oom_kills\": 0,"
	"  \"lines\": {\"stdout\": 9},"
	"  \"processes\": ["
	"   {\"wid\": 1, \"state\": \"RUNNING\", \"retiring\": false, \"restarts\": 2, \"pid\": 100,"
	"    \"started\": 1700000001.25, \"ready\": true, \"cpu_seconds\": 1.5, \"rss_bytes\": 8192},"
	"   {\"wid\": 1, \"state\": \"STOPPING\", \"retiring\": true, \"restarts\": 0, \"pid\": 99,"
	"    \"started\": 1700000000.75, \"ready\": false},"
	"   {\"wid\": 2, \"state\": \"BACKOFF\", \"retiring\": false, \"restarts\": 0}]}]}";

static char *formatted(void)
{
	json_error_t error;
	json_t *reply = json_loads(reply_json, 0, &error);
	size_t len = 0;
	char *text;

	if (reply == NULL) {
		printf("bad test JSON: %s\n", error.text);
		exit(1);
	}
	text = prom_format(reply, &len);
	json_decref(reply);
	CHECK(text != NULL && strlen(text) == len);
	return text;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

#define WATCHER "watcher=\"a\\\"b\\\\c\\nd\""

TEST(label_values_are_escaped)
{
	char *text = formatted();

	CHECK(has_line(text, "cirque_watcher_status{" WATCHER ",status=\"active\"} 1"));
	CHECK(has_line(text, "cirque_process_pid{" WATCHER ",wid=\"1\"} 100"));
	CHECK(count_of(text, "\nd\"") == 0);  /* no raw newline inside a label */
	free(text);
}

TEST(retiring_and_pidless_processes)
{
	char *text = formatted();

	/* The retiring wid 1 (pid 99) is not shown beside its successor; wid 2 has no pid. */
	CHECK(count_of(text, "cirque_process_pid{") == 1);
	CHECK(has_line(text, "cirque_process_state{" WATCHER ",wid=\"2\",state=\"backoff\"} 1"));
	CHECK(count_of(text, "cirque_process_state{") == 2);
	/* but the watcher's counts include it */
	CHECK(has_line(text, "cirque_watcher_processes{" WATCHER ",state=\"stopping\"} 1"));
	CHECK(has_line(text, "cirque_watcher_processes{" WATCHER ",state=\"running\"} 1"));
	CHECK(has_line(text, "cirque_watcher_processes{" WATCHER ",state=\"fatal\"} 0"));
	CHECK(has_line(text, "cirque_process_ready{" WATCHER ",wid=\"1\"} 1"));
	CHECK(has_line(text, "cirque_process_start_time_seconds{" WATCHER ",wid=\"1\"} 1700000001.25"));
	free(text);
}

TEST(families_once_with_help_and_type)
{
	char *text = formatted();

	CHECK(count_of(text, "# TYPE cirque_process_cpu_seconds_total counter\n") == 1);
	CHECK(count_of(text, "# HELP cirque_process_cpu_seconds_total ") == 1);
	CHECK(count_of(text, "# TYPE cirque_control_request_duration_seconds histogram\n") == 1);
	CHECK(has_line(text, "cirque_watcher_exits_total{" WATCHER ",reason=\"unexpected\"} 2"));
	/* a stream without a count is left out, not shown as 0 */
	CHECK(count_of(text, "stream=\"stderr\"") == 0);
	CHECK(has_line(text, "cirque_watcher_output_lines_total{" WATCHER ",stream=\"stdout\"} 9"));
	free(text);
}

TEST(daemon_figures)
{
	char *text = formatted();

	CHECK(has_line(text, "cirque_build_info{version=\"1.2\"} 1"));
	CHECK(has_line(text, "cirque_control_requests_total{command=\"status\",outcome=\"ok\"} 3"));
	CHECK(has_line(text, "cirque_control_requests_total{command=\"unknown\",outcome=\"error\"} 1"));
	CHECK(has_line(text, "cirque_control_request_duration_seconds_bucket{command=\"status\","
			     "le=\"0.001\"} 2"));
	CHECK(has_line(text, "cirque_control_request_duration_seconds_bucket{command=\"status\","
			     "le=\"0.01\"} 3"));
	CHECK(has_line(text, "cirque_control_request_duration_seconds_bucket{command=\"status\","
			     "le=\"+Inf\"} 3"));
	CHECK(has_line(text, "cirque_control_request_duration_seconds_count{command=\"status\"} 3"));
	CHECK(has_line(text, "cirque_control_request_duration_seconds_sum{command=\"status\"} 0.5"));
	CHECK(has_line(text, "cirque_control_request_duration_seconds_bucket{command=\"unknown\","
			     "le=\"+Inf\"} 1"));
	CHECK(count_of(text, "# TYPE cirque_control_request_duration_seconds histogram\n") == 1);
	CHECK(has_line(text, "cirque_reloads_total{outcome=\"failed\"} 2"));
	CHECK(has_line(text, "cirque_daemon_start_time_seconds 1700000000.5"));
	free(text);
}

TEST(not_a_metrics_reply)
{
	size_t len;
	json_t *other = json_pack("{s:s}", "status", "ok");

	CHECK(prom_format(other, &len) == NULL);
	json_decref(other);
}

int main(void)
{
	RUN(label_values_are_escaped);
	RUN(retiring_and_pidless_processes);
	RUN(families_once_with_help_and_type);
	RUN(daemon_figures);
	RUN(not_a_metrics_reply);
	return check_summary();
}
