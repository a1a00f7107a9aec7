/* log.c - timestamped, levelled lines on one output (stderr by default, as under systemd; to
 * the journal's stream, "<N>" priority prefixes instead of the time). */
#include "log.h"

#include "safefs.h"
#include "text.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LL_INFO;
static log_writer_fn writer;
static int output_fd = STDERR_FILENO;
static char *output_path;             /* the file output_fd is, for log_reopen; NULL: a stream */
static int journal_checked_fd = -1;   /* the output journal_output was computed for */
static bool journal_output;           /* output_fd is systemd's journal stream */

/* The last lines logged, for `maintail`: written by whichever thread logs (the loop, the sink
 * writer), so guarded by their own lock, held only to copy a pointer in or out. */
#define RING_LINES 500
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static char *ring[RING_LINES];
static unsigned long long ring_next_seq = 1;  /* the sequence number of the next line */
static log_line_hook_fn line_hook;

static const char *const level_names[] = { "debug", "info", "warning", "error", "critical" };

int log_level_parse(const char *name)
{
	for (int i = 0; i <= LL_CRITICAL; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warn") == 0)
		return LL_WARNING;
	return -1;
}

const char *log_level_name(enum log_level level) { return level_names[level]; }
void log_set_level(enum log_level level) { current_level = level; }
void log_set_writer(log_writer_fn fn) { writer = fn; }
void log_set_line_hook(log_line_hook_fn fn) { line_hook = fn; }

static void ring_add(const char *line, size_t len)
{
	char *copy = xmalloc(len + 1), *old;

	memcpy(copy, line, len);
	copy[len] = '\0';
	pthread_mutex_lock(&ring_lock);
	old = ring[ring_next_seq % RING_LINES];
	ring[ring_next_seq % RING_LINES] = copy;
	ring_next_seq++;
	pthread_mutex_unlock(&ring_lock);
	free(old);
}

unsigned long long log_recent(unsigned long long after, size_t max,
			      void (*fn)(unsigned long long seq, const char *line, void *arg),
			      void *arg)
{
	unsigned long long first, last;

	pthread_mutex_lock(&ring_lock);
	last = ring_next_seq - 1;
	first = last >= RING_LINES ? last - RING_LINES + 1 : 1;
	if (first <= after)
		first = after + 1;
	if (last + 1 - first > max)
		first = last + 1 - max;
	for (unsigned long long seq = first; seq <= last && max > 0; seq++)
		fn(seq, ring[seq % RING_LINES], arg);
	pthread_mutex_unlock(&ring_lock);
	return last;
}
enum log_level log_get_level(void) { return current_level; }

int log_set_output(const char *path, char *why)
{
	struct safe_file f;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0 || strcmp(path, "stderr") == 0)
		fd = STDERR_FILENO;
	else if (strcmp(path, "stdout") == 0)
		fd = STDOUT_FILENO;
	else if (safe_file_open(path, O_WRONLY | O_CREAT | O_APPEND, 0640, true, &f, NULL,
				why) < 0)  /* its directory is made, as a watcher's log's */
		return -1;
	else
		fd = f.fd;
	if (output_fd > STDERR_FILENO)
		close(output_fd);
	output_fd = fd;
	if (path != output_path) {
		free(output_path);
		output_path = fd > STDERR_FILENO ? xstrdup(path) : NULL;
	}
	return 0;
}

int log_reopen(char *why)
{
	return output_path ? log_set_output(output_path, why) : 0;
}

/* Whether FD is the journal's stream: systemd says which one in JOURNAL_STREAM ("DEV:INO"). */
static bool is_journal_stream(int fd)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	return stream && sscanf(stream, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	       fstat(fd, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* The journal's priority prefix (sd-daemon.h's SD_ERR and the others) for LEVEL. */
static int journal_priority(enum log_level level)
{
	static const int priorities[] = { 7, 6, 4, 3, 2 };  /* debug ... critical */

	return priorities[level];
}

/* One write(2) per line so that lines from this process are never torn. The message is escaped:
 * it may quote what a child or a client chose (a STATUS=, a path, a request), which must neither
 * reach a terminal as escape sequences nor forge lines of its own. */
static void log_write(enum log_level level, const char *fmt, va_list ap, int errnum)
{
	char line[2048], message[2048];
	struct timeval tv;
	struct tm tm;
	size_t len, stamp_len;
	int n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	len = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	len += (size_t)snprintf(line + len, sizeof(line) - len, ".%03ld ", (long)tv.tv_usec / 1000);
	stamp_len = len;
	n = snprintf(line + len, sizeof(line) - len, "[%s] ", level_names[level]);
	len += (size_t)n;
	n = vsnprintf(message, sizeof(message), fmt, ap);
	if (n > 0)
		len += text_escape(line + len, sizeof(line) - 1 - len, message,
				   (size_t)n < sizeof(message) ? (size_t)n : sizeof(message) - 1, 0);
	if (errnum != 0) {
		n = snprintf(line + len, sizeof(line) - len, ": %s", strerror(errnum));
		len = n < 0 ? len : len + (size_t)n;
		if (len > sizeof(line) - 2)
			len = sizeof(line) - 2;
	}
	ring_add(line, len);
	if (line_hook)
		line_hook();
	line[len++] = '\n';
	const char *out = line;
	char journal_line[sizeof(line) + 4];
	if (output_fd != journal_checked_fd) {
		journal_checked_fd = output_fd;
		journal_output = is_journal_stream(output_fd);
	}
	if (journal_output) {
		/* The journal keeps its own time, and takes the level from "<N>" (-p err works). */
		int head = snprintf(journal_line, sizeof(journal_line), "<%d>",
				    journal_priority(level));
		memcpy(journal_line + head, line + stamp_len, len - stamp_len);
		out = journal_line;
		len = (size_t)head + len - stamp_len;
	}
	if (writer && output_fd <= STDERR_FILENO && writer(output_fd, out, len))
		return;
	/* A full or broken log output must not stop the daemon: the result is deliberately ignored. */
	ssize_t ignored = write(output_fd, out, len);
	(void)ignored;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < current_level)
		return;
	va_start(ap, fmt);
	log_write(level, fmt, ap, 0);
	va_end(ap);
}

void log_errno(enum log_level level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (level < current_level) {
		errno = saved;
		return;
	}
	va_start(ap, fmt);
	log_write(level, fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_write(LL_CRITICAL, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write(LL_CRITICAL, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
