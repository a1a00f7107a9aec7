/* cmd_logs.c - the logs: maintail (the daemon's own, supervisord's readLog) and clear (a
 * watcher's log files, supervisord's clearProcessLogs). */
#include "cmd.h"

#include "arbiter.h"
#include "log.h"
#include "stream.h"
#include "text.h"
#include "watcher.h"

#include <string.h>

#define MAINTAIL_MAX 500              /* the lines the daemon keeps (log.c) */

static void add_line(unsigned long long seq, const char *line, void *arg)
{
	(void)seq;
	json_array_append_new(arg, text_to_json(line, strlen(line)));
}

/* Properties: lines (default 10). Reply: lines, and seq, the number of the last line logged:
 * `maintail -f` shows only the daemon.log messages after it. The lines are wherever the log
 * goes (stderr, the journal, logoutput): kept in memory, at the level logged. */
void cmd_maintail(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	json_t *lines;
	unsigned long long last;
	long n;

	(void)a;
	(void)w;
	if (prop_int(props, "lines", 10, &n) < 0 || n < 0) {
		control_error(req, CONTROL_EMESSAGE, "lines must be a non-negative integer");
		return;
	}
	lines = json_array();
	last = log_recent(0, n > MAINTAIL_MAX ? MAINTAIL_MAX : (size_t)n, add_line, lines);
	control_reply(req, json_pack("{s:o, s:I}", "lines", lines, "seq", (json_int_t)last));
}

/* Empties the watcher's log files (stdout and stderr files; not syslog, not the daemon's
 * stdout) and its tail buffers. Reply: files, the paths emptied. */
void cmd_clear(struct arbiter *a, struct request *req, json_t *props, struct watcher *w)
{
	json_t *files;

	(void)a;
	(void)props;
	files = streams_clear(w->config, w->numprocesses);
	if (json_array_size(files) == 0) {
		json_decref(files);
		control_fail(req, REPLY_EFAIL, "%s writes no log file (its stdout and stderr are "
			     "not files)", w->name);
		return;
	}
	log_info("watcher %s: log files cleared", w->name);
	control_reply(req, json_pack("{s:o}", "files", files));
}
