/* test_stream_state.c - the output streams and event listeners across a real re-exec: the test
 * saves them (streams_save, listeners_save) into a memfd, execs itself as a new process with
 * the same descriptors (reexec.h), and that process restores them and checks that no line is
 * lost or doubled: a partial line goes on where it stopped, `tail` and the line counts carry
 * over, the log file gets each line once, and a listener's queue (its head half written into
 * the pipe) arrives whole, in order. The watchers run no process (tests/fuzz/spawn_stub.c). */
#include "check.h"

#include "arbiter.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "reaper.h"
#include "reexec.h"
#include "sink.h"
#include "spawn_stub.h"
#include "stream.h"
#include "text.h"
#include "watcher.h"
#include "xmalloc.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BIG_EVENT 5000            /* over the pipe of a slot (4096): written in two parts */
#define SMALL_EVENTS 5

static struct ev_loop *loop;
static struct arbiter arb;
static char dir[] = "/tmp/cirque-test-stream.XXXXXX";

#define CHECK_EVENTUALLY(cond)                                                  \
	do {                                                                    \
		double end_ = ev_time() + 5;                                    \
		while (!(cond) && ev_time() < end_)                             \
			ev_run(loop, EVRUN_ONCE);                               \
		CHECK(cond);                                                    \
	} while (0)

static ev_timer tick;  /* keeps the loop waking, so that a check runs often */

static void on_tick(struct ev_loop *l, ev_timer *t, int revents)
{
	(void)l, (void)t, (void)revents;
}

/* The old process has a watcher "gone" that the new one has not (removed while its pipe
 * drains): its reader goes on, for tail only. */
static void daemon_up(bool with_gone)
{
	struct config_errors errors = { 0 };
	struct config *config;
	char *gone = xasprintf("  gone: {cmd: /bin/true g, autostart: false, stderr: null,\n"
			       "         stdout: {file: %s/gone.log}}\n", dir);
	char *yaml = xasprintf("watchers:\n"
			       "  web: {cmd: /bin/true w, autostart: false, stderr: null,\n"
			       "        stdout: {file: %s/web.log}}\n"
			       "  big: {cmd: /bin/true b, autostart: false, stderr: null,\n"
			       "        stdout: {file: %s/big.log}}\n"
			       "  hour: {cmd: /bin/true h, autostart: false, stderr: null,\n"
			       "         stdout: {file: %s/hour.log, rotate: hourly, backup_count: 1}}\n"
			       "  lst: {cmd: /bin/true l, listen_events: [spawn], autostart: false,\n"
			       "        ready: {delay: 0.01}}\n"
			       "%s", dir, dir, dir, with_gone ? gone : "");

	if (config_load_string("test", yaml, strlen(yaml), &config, &errors) < 0 ||
	    arbiter_init(&arb, loop, config) < 0) {
		printf("cannot load the test configuration\n");
		abort();
	}
	free(yaml);
	free(gone);
}

static void set_up(void)
{
	log_set_level(getenv("TW_DEBUG") ? LL_DEBUG : LL_CRITICAL);
	loop = ev_loop_new(0);
	reaper_init(loop, watcher_child_of_pid, watcher_orphan_reaped);
	streams_init(loop, NULL);
	spawn_stub_fake_pids = true;
	ev_timer_init(&tick, on_tick, 0.005, 0.005);
	ev_timer_start(loop, &tick);
}

static char *file_text(const char *name)
{
	char path[256], buf[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return xstrdup(buf);
}

/* The last lines of W's stdout, joined by '|'. */
static char *tail_of(const char *name)
{
	struct watcher *w = arbiter_find(&arb, name);
	json_t *lines = w ? streams_tail(w->config, 0, false, 100, false, NULL) : NULL, *line;
	char out[4096] = "";
	size_t i;

	json_array_foreach(lines, i, line) {
		if (i > 0)
			strcat(out, "|");
		strncat(out, json_string_value(line), sizeof(out) - strlen(out) - 2);
	}
	json_decref(lines);
	return xstrdup(out);
}

static long long line_count(const char *name)
{
	json_t *counts = streams_line_counts();
	long long n = json_integer_value(json_object_get(json_object_get(counts, name), "stdout"));

	json_decref(counts);
	return n;
}

/* Readers still reading (each pipe until its EOF). */
static size_t readers_left(void)
{
	json_t *state = streams_save();
	size_t n = json_array_size(json_object_get(state, "readers"));

	json_decref(state);
	reexec_keep_reset();
	return n;
}

static void remove_files(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/web.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/gone.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/big.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hour.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hour.log.1", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	rmdir(dir);
}

static bool tail_is(const char *name, const char *want)
{
	char *got = tail_of(name);
	bool same = strcmp(got, want) == 0;

	free(got);
	return same;
}

/* A reader of watcher NAME's stdout as a spawn makes it; returns the child's end (kept open
 * across the exec: a child writes on after it). */
static int attach(const char *name)
{
	struct stream_pipes p;
	struct watcher *w = arbiter_find(&arb, name);
	int child;

	if (w == NULL || streams_prepare(w->config, -1, &p) < 0)
		abort();
	child = dup(p.write_fd[0]);  /* without close-on-exec */
	streams_attach(w->config, 1, &p);
	return child;
}

static void on_done(struct watcher *w, enum watcher_outcome outcome, void *arg)
{
	(void)w, (void)outcome;
	*(bool *)arg = true;
}

/* Event number N for the listener: one larger than its pipe, then small ones. */
static void hear(int n)
{
	char *pad = xmalloc(BIG_EVENT + 1);
	json_t *payload;

	memset(pad, 'x', BIG_EVENT);
	pad[n == 0 ? BIG_EVENT : 10] = '\0';
	payload = json_pack("{s:i, s:s}", "n", n, "pad", pad);
	listeners_hear("watcher.web.spawn", "web", "spawn", payload);
	json_decref(payload);
	free(pad);
}

/* Every line in the tail ring of W's stdout, in base64. */
static json_t *whole_tail(const char *name)
{
	return streams_tail(arbiter_find(&arb, name)->config, 0, false, 100000, true, NULL);
}

/* --- the old process -------------------------------------------------------------------------- */

static json_t *saved;
static int web_child, gone_child;

TEST(old_process)
{
	bool started = false;

	web_child = attach("web");
	gone_child = attach("gone");
	CHECK(write(web_child, "a\nb", 3) == 3);
	CHECK(write(gone_child, "g1\ng", 4) == 4);
	CHECK_EVENTUALLY((tail_is("web", "a") && tail_is("gone", "g1")));

	/* More than the ring holds (64 KiB), in steps the pipe takes without blocking. */
	int big_child = attach("big");
	char line[128];
	bool written = true;
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(line, sizeof(line), "%04d %0*d\n", i, 95, i);
		written = written && write(big_child, line, (size_t)n) == n;
		if (i % 100 == 99)
			CHECK_EVENTUALLY((line_count("big") == i + 1));
	}
	CHECK(written);
	close(big_child);
	CHECK_EVENTUALLY((readers_left() == 2));

	struct watcher *l = arbiter_find(&arb, "lst");
	watcher_start(l, on_done, &started);
	CHECK_EVENTUALLY((started));
	CHECK(listener_stdin(l, 1, -1) >= 0);
	for (int n = 0; n <= SMALL_EVENTS; n++)
		hear(n);

	sinks_flush();
	char *text = file_text("web.log");
	CHECK_STR(text, "a\n");
	free(text);

	reexec_keep_reset();
	saved = json_pack("{s:o, s:o, s:o}", "streams", streams_save(), "listeners", listeners_save(),
			  "test_big_tail", whole_tail("big"));
	CHECK(json_array_size(json_object_get(saved, "test_big_tail")) > 600);
	json_t *readers = json_object_get(json_object_get(saved, "streams"), "readers");
	CHECK_INT(json_array_size(readers), 2);
	json_t *web = json_array_get(readers, 0);
	CHECK_STR(json_string_value(json_object_get(web, "name")), "web");
	CHECK_STR(json_string_value(json_object_get(web, "partial")), "Yg==");  /* "b" */
	CHECK(json_is_true(json_object_get(web, "active")));
	json_t *slot = json_array_get(json_object_get(json_array_get(json_object_get(saved,
		"listeners"), 0), "slots"), 0);
	CHECK_INT(json_integer_value(json_object_get(slot, "offset")), 4096);
	CHECK_INT(json_array_size(json_object_get(slot, "queue")), SMALL_EVENTS + 1);
	CHECK_INT(json_array_size(reexec_kept_fds()), 4);  /* 2 readers, a slot's 2 ends */
	/* A line the sink had refused (as if it were full) is queued first in the new process. */
	json_object_set_new(web, "pending", json_string("cAo="));  /* "p\n" */
}

/* Execs this test again with the state in a memfd, the descriptors kept. */
static void reexec(const char *self)
{
	int fd = memfd_create("cirque-state", 0);
	char fd_text[16], web_text[16], gone_text[16], total_text[16];

	if (fd < 0 || json_dumpfd(saved, fd, JSON_COMPACT) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	snprintf(fd_text, sizeof(fd_text), "%d", fd);
	snprintf(web_text, sizeof(web_text), "%d", web_child);
	snprintf(gone_text, sizeof(gone_text), "%d", gone_child);
	snprintf(total_text, sizeof(total_text), "%d", check_total);
	reexec_keep_apply(true);
	execl("/proc/self/exe", self, "--resume", fd_text, web_text, gone_text, dir, total_text, (char *)NULL);
	printf("cannot exec %s: %s\n", self, strerror(errno));
	exit(1);
}

/* --- the new process -------------------------------------------------------------------------- */

static const struct watcher_config *config_of(const char *name, void *arg)
{
	struct watcher *w = arbiter_find(arg, name);

	return w ? w->config : NULL;
}

static struct watcher *find(const char *name, void *arg)
{
	return arbiter_find(arg, name);
}

/* Reads the listener's pipe (running the loop, which writes the rest of its queue) until the
 * last event has come, or 5 s. */
static char *read_events(int fd)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = xmalloc(cap);
	char last[32];
	double end = ev_time() + 5;

	snprintf(last, sizeof(last), "{\"n\":%d,", SMALL_EVENTS);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	buf[0] = '\0';
	while (ev_time() < end && !strstr(buf, last)) {
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			buf[len += (size_t)n] = '\0';
		else
			ev_run(loop, EVRUN_ONCE);
	}
	return buf;
}

static json_t *state;
static int web_fd, gone_fd;

TEST(new_process)
{
	CHECK_INT(streams_restore(json_object_get(state, "streams"), config_of, &arb), 0);
	CHECK(tail_is("web", "a"));
	CHECK_INT(line_count("web"), 1);
	json_t *big = whole_tail("big");  /* a ring that wrapped */
	CHECK(json_equal(big, json_object_get(state, "test_big_tail")));
	json_decref(big);
	CHECK_INT(line_count("big"), 1000);
	CHECK_INT(line_count("gone"), 1);
	CHECK(write(web_fd, "c\nd\n", 4) == 4);
	CHECK(write(gone_fd, "2\n", 2) == 2);
	CHECK_EVENTUALLY((tail_is("web", "a|bc|d") && line_count("gone") == 2));
	CHECK_INT(line_count("web"), 3);
	sinks_flush();
	char *text = file_text("web.log");
	CHECK_STR(text, "a\np\nbc\nd\n");  /* once each, in order: the refused line first */
	free(text);
	/* The writer's EOF ends the reader after the restore as before it. */
	close(web_fd);
	close(gone_fd);
	CHECK_EVENTUALLY((readers_left() == 0));

	struct watcher *l = arbiter_find(&arb, "lst");
	CHECK_INT(listeners_restore(json_object_get(state, "listeners"), find, &arb), 0);
	int fd = listener_stdin(l, 1, -1);
	CHECK(fd >= 0);
	char *events = read_events(fd), *p = events;
	int n = 0;
	for (char *nl; (nl = strchr(p, '\n')); p = nl + 1, n++) {
		json_error_t error;
		json_t *event = json_loadb(p, (size_t)(nl - p), 0, &error);
		CHECK(event != NULL);
		CHECK_INT(json_integer_value(json_object_get(event, "n")), n);
		CHECK_INT(json_string_length(json_object_get(event, "pad")), n == 0 ? BIG_EVENT : 10);
		json_decref(event);
	}
	CHECK_INT(n, SMALL_EVENTS + 1);
	CHECK_STR(p, "");
	CHECK_INT((long long)listener_dropped(l), 0);
	free(events);
}

/* A log file the old process wrote before an hour boundary that passed since (the gap of a
 * re-exec or a restart): its first new line rotates it away, as it would have without the gap. */
TEST(hourly_rotation_after_a_gap)
{
	char path[256];
	int fd, child;
	struct timespec times[2] = { { .tv_sec = time(NULL) - 7200 }, { .tv_sec = time(NULL) - 7200 } };

	snprintf(path, sizeof(path), "%s/hour.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	CHECK(fd >= 0 && write(fd, "old\n", 4) == 4);
	CHECK(futimens(fd, times) == 0);
	close(fd);
	child = attach("hour");
	CHECK(write(child, "new\n", 4) == 4);
	CHECK_EVENTUALLY((tail_is("hour", "new")));
	sinks_flush();
	char *text = file_text("hour.log");
	CHECK_STR(text, "new\n");
	free(text);
	text = file_text("hour.log.1");
	CHECK_STR(text, "old\n");
	free(text);
	close(child);
	CHECK_EVENTUALLY((readers_left() == 0));
}

/* A sink that cannot write (its directory is a file) holds sinks_flush 5 s, not for ever; the
 * sink and its queue stay (the exec may fail: the daemon goes on). */
TEST(flush_gives_up_on_a_failing_sink)
{
	char path[256];
	struct stream_config sc = { .kind = STREAM_FILE };
	int fd;

	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	CHECK(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/file/x.log", dir);
	struct sink *sink = sink_file(path, &sc);
	CHECK(sink_write(sink, "lost\n", 5));
	double start = ev_time();
	sinks_flush();
	double waited = ev_time() - start;
	CHECK(waited > 4.5 && waited < 7);
	sink_unref(sink);  /* "file" is removed after the sinks are shut down (they retry) */
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "--resume") == 0) {
		json_error_t error;
		strcpy(dir, argv[5]);
		set_up();
		daemon_up(false);
		state = json_loadfd(atoi(argv[2]), 0, &error);
		web_fd = atoi(argv[3]);
		gone_fd = atoi(argv[4]);
		check_total = atoi(argv[6]);
		CHECK(state != NULL);
		RUN(new_process);
		RUN(hourly_rotation_after_a_gap);
		RUN(flush_gives_up_on_a_failing_sink);
		json_decref(state);
		arbiter_free(&arb);
		streams_shutdown();
		remove_files();
		return check_summary();
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	set_up();
	daemon_up(true);
	RUN(old_process);
	if (check_failed)
		return check_summary();
	reexec(argv[0]);
	return 1;
}
