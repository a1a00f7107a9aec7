/* sink.c - the writer thread and its sinks (see sink.h).
 *
 * Shared state (queues, flags) is guarded by one mutex; the file descriptors, sizes and rotation
 * state belong to the writer thread alone. The loop only appends to queues and reads flags. */
#include "sink.h"

#include "fdlimit.h"
#include "log.h"
#include "metrics.h"
#include "safefs.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_LIMIT (1024 * 1024)     /* bytes queued per sink before the reader pauses */
#define RETRY_SECONDS 1               /* a failing sink is retried this often */
#define BUSY_RETRY 0.02               /* a syslog daemon that is behind is tried again this soon */
#define SHUTDOWN_PATIENCE 2.0         /* at exit, how long a syslog daemon that is behind waits */
#define SYSLOG_LINE_MAX 8192          /* a datagram too large for the socket is cut to this */
#define FLUSH_PATIENCE 5.0            /* sinks_flush waits this long at most */

struct chunk {
	struct chunk *next;
	size_t len;
	char data[];
};

/* How many lines LEN bytes of whole lines hold (for the count of those dropped). */
static unsigned long long lines_in(const char *data, size_t len)
{
	unsigned long long n = 0;

	for (const char *p = data; (p = memchr(p, '\n', len - (size_t)(p - data))); p++)
		n++;
	return n;
}

enum sink_type { SINK_FILE, SINK_FD, SINK_SYSLOG };

struct sink {
	struct sink *next;            /* in the registry of all sinks */
	enum sink_type type;
	char *label;                  /* path, "stdout", "stderr" or "syslog" */
	int refs;                     /* references held by readers (loop side) */
	/* settings */
	unsigned long long max_bytes;
	int backup_count;
	enum rotate_period rotate;
	int facility;
	int priority;                 /* syslog: LOG_INFO (stdout) or LOG_ERR (stderr) */
	char *tag;
	/* queue: guarded by lock */
	struct chunk *head, *tail;
	size_t queued;
	bool refused;                 /* a write was refused: resume readers when there is room */
	bool failing;                 /* the last write or open failed */
	bool busy;                    /* syslog: the receiver's queue was full (EAGAIN), not an
				       * error: the lines wait, with back-pressure, and are tried soon */
	bool reopen;                  /* reopen asked (SIGUSR1) */
	bool truncate;                /* `clear` asked: empty the file after what is queued */
	unsigned long long dropped;   /* bytes dropped while failing, reported on recovery */
	/* writer thread only */
	int fd;
	unsigned long long size;
	time_t next_rotation;
	double retry_at;              /* failing or busy: when to try again (now_seconds) */
	char why[SAFEFS_WHY];         /* why the last open or rotation failed, if safefs said */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t served = PTHREAD_COND_INITIALIZER;  /* the writer is done with a sink */
static bool serving;                  /* the writer holds a queue it took (lock released) */
static struct sink *registry;
static pthread_t writer;
static bool writer_running, stopping;
static ev_async resume_async;
static struct ev_loop *resume_loop;
static void (*resume_fn)(void *);
static void *resume_arg;
/* The syslog socket, shared by every syslog sink (writer thread only but for the path). */
static char syslog_path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "/dev/log";
static int syslog_fd = -1;
static bool syslog_failing;           /* its failure was reported: one report per episode */

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);  /* the clock of pthread_cond_timedwait */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- the writer thread ------------------------------------------------------------------------ */

static time_t next_boundary(enum rotate_period rotate, time_t now)
{
	struct tm tm;

	if (rotate == ROTATE_NONE)
		return 0;
	localtime_r(&now, &tm);
	tm.tm_sec = 0;
	tm.tm_min = 0;
	if (rotate == ROTATE_HOURLY) {
		tm.tm_hour++;
	} else {
		tm.tm_hour = 0;
		tm.tm_mday++;
	}
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* Opens (creating it and its directories if need be) the file, never through a link or hard
 * link that someone else planted: a child often owns its log directory (safefs.h). */
static int open_file(struct sink *s)
{
	struct safe_file f;

	s->why[0] = '\0';
	if (safe_file_open(s->label, O_WRONLY | O_CREAT | O_APPEND, 0640, true, &f, NULL,
			   s->why) < 0)
		return -1;
	s->fd = fd_keep(f.fd);
	if (s->fd < 0) {
		s->why[0] = '\0';
		return -1;
	}
	s->size = (unsigned long long)f.st.st_size;
	/* The boundary after the file's last line, not after now: lines written before a boundary
	 * that passed since (by this daemon before a re-exec or a restart) are rotated away at
	 * the first new line, as they would have been without the gap. */
	s->next_rotation = next_boundary(s->rotate, f.st.st_size > 0 ? f.st.st_mtime : time(NULL));
	return 0;
}

/* Renames NAME.(N-1) -> NAME.N, ..., NAME -> NAME.1 inside the directory D: renameat moves a
 * planted link itself, never what it points to. */
static int shift_backups(struct sink *s, int d, const char *name)
{
	char from[NAME_MAX + 16], to[NAME_MAX + 16];

	for (int i = s->backup_count; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", name);
		else
			snprintf(from, sizeof(from), "%s.%d", name, i - 1);
		snprintf(to, sizeof(to), "%s.%d", name, i);
		if (renameat(d, from, d, to) < 0 && errno != ENOENT) {
			int saved = errno;
			if (snprintf(s->why, sizeof(s->why), "cannot rename %s to %s: %s", from, to,
				     strerror(saved)) < 0)
				s->why[0] = '\0';
			errno = saved;
			return -1;
		}
	}
	return 0;
}

/* PATH.(N-1) -> PATH.N, ..., PATH -> PATH.1, then a fresh PATH. Where PATH is a link (one
 * root or we made: safefs follows no other), the file it names is the one rotated, beside it. */
static int rotate_file(struct sink *s)
{
	struct safe_file f;
	struct safe_dir d;
	int rc = 0;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->why[0] = '\0';
	if (safe_file_open(s->label, O_WRONLY | O_APPEND, 0, false, &f, &d, s->why) == 0) {
		close(f.fd);
		rc = shift_backups(s, d.fd, f.name);
		close(d.fd);
	} else if (errno != ENOENT) {
		rc = -1;  /* refused (s->why says): nothing renamed */
	}
	return rc < 0 ? -1 : open_file(s);
}

/* A file removed under us (its directory deleted, no rotation configured) would swallow every
 * line: noticed by its link count, said once, and the file made again. */
static int reopen_if_removed(struct sink *s, const struct stat *st)
{
	if (st->st_nlink > 0)
		return 0;
	log_msg(LL_WARNING, "log %s: the file was removed; making it again", s->label);
	close(s->fd);
	s->fd = -1;
	return open_file(s);
}

/* Would writing LINE bytes after PENDING ones (not yet written) need a rotation first? An empty
 * file never rotates: a line longer than max_bytes still goes somewhere. */
static bool needs_rotation(const struct sink *s, size_t pending, size_t line)
{
	unsigned long long size = s->size + pending;

	if (s->backup_count <= 0 || size == 0)
		return false;
	if (s->max_bytes && size + line > s->max_bytes)
		return true;
	return s->next_rotation && time(NULL) >= s->next_rotation;
}

/* Bytes of the last write_all that reached the file before it failed. */
static size_t partial_written;

static int write_all(int fd, const char *data, size_t len)
{
	partial_written = 0;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
		partial_written += (size_t)n;
	}
	return 0;
}

/* Writes DATA (whole lines) to a file sink, rotating between lines. Returns the bytes written
 * before a failure (errno set), or LEN. */
static size_t write_file(struct sink *s, const char *data, size_t len)
{
	size_t done = 0;

	struct stat st;

	if (s->fd < 0 && open_file(s) < 0)
		return 0;
	/* Someone may have truncated the file (logrotate's copytruncate): go by its real size. */
	if (fstat(s->fd, &st) == 0) {
		if (reopen_if_removed(s, &st) < 0)
			return 0;
		s->size = (unsigned long long)(st.st_nlink ? st.st_size : 0);
	}
	while (done < len) {
		/* The longest run of whole lines that needs no rotation. */
		size_t span = 0;
		while (done + span < len) {
			const char *nl = memchr(data + done + span, '\n', len - done - span);
			size_t line = nl ? (size_t)(nl - (data + done + span)) + 1 : len - done - span;
			if (needs_rotation(s, span, line)) {
				if (span > 0)
					break;  /* write what fits, then rotate */
				if (rotate_file(s) < 0)
					return done;
				continue;
			}
			span += line;
			if (s->max_bytes == 0 && s->next_rotation == 0) {
				span = len - done;  /* nothing to check per line */
				break;
			}
		}
		if (write_all(s->fd, data + done, span) < 0) {
			/* A partial write (disk full) would leave half a line that the retry repeats:
			 * cut the file back to its last whole line, measured now (not from our count,
			 * which a copytruncate may have made stale: that would pad with zeros). */
			int saved = errno;
			off_t end = lseek(s->fd, 0, SEEK_END);
			off_t keep = end - (off_t)partial_written;
			if (end >= 0 && partial_written > 0 && keep >= 0 &&
			    ftruncate(s->fd, keep) < 0)
				log_errno(LL_DEBUG, "log %s: cannot cut back a partial write", s->label);
			errno = saved;
			return done;
		}
		s->size += span;
		done += span;
	}
	return done;
}

/* The daemon's own stdout/stderr is shared with its log (another thread): writes of whole lines
 * of at most PIPE_BUF bytes are atomic on a pipe, so neither cuts into the other's lines. */
static size_t write_fd_lines(int fd, const char *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t span = 0;
		while (done + span < len) {
			const char *nl = memchr(data + done + span, '\n', len - done - span);
			size_t line = nl ? (size_t)(nl - (data + done + span)) + 1 : len - done - span;
			if (span > 0 && span + line > PIPE_BUF)
				break;
			span += line;
		}
		if (write_all(fd, data + done, span) < 0)
			return done;
		done += span;
	}
	return done;
}

/* A non-blocking datagram socket connected to the syslog socket (as syslog(3) does, but one
 * whose failure we see: syslog(3) drops what it cannot send and says nothing). */
static int syslog_connect(struct sink *s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	strcpy(addr.sun_path, syslog_path);
	fd = fd_keep(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (fd < 0) {
		snprintf(s->why, sizeof(s->why), "cannot make a socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;
		snprintf(s->why, sizeof(s->why), "cannot reach %s: %s", syslog_path,
			 saved == EPROTOTYPE ? "a stream socket (only datagram sockets are supported)"
					     : strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	syslog_fd = fd;
	return 0;
}

/* One line as RFC 3164, as syslog(3) formats it: "<PRI>Mmm dd hh:mm:ss TAG: line". */
static size_t syslog_format(const struct sink *s, const char *line, size_t len, char *out,
			    size_t size)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;
	int n;

	localtime_r(&now, &tm);
	n = snprintf(out, size, "<%d>%s %2d %02d:%02d:%02d %s: ", s->facility | s->priority,
		     months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, s->tag);
	if (n < 0 || (size_t)n >= size)
		return 0;
	if (len > size - (size_t)n)
		len = size - (size_t)n;
	memcpy(out + n, line, len);
	return (size_t)n + len;
}

/* Sends one datagram; a receiver that went away (syslogd restarted) is connected to again
 * once. Returns 0, or -1 with errno (EAGAIN: it is behind) and s->why. */
static int syslog_send(struct sink *s, const char *msg, size_t len)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (syslog_fd < 0 && syslog_connect(s) < 0)
			return -1;
		ssize_t n = send(syslog_fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno == EMSGSIZE && len > SYSLOG_LINE_MAX) {
			len = SYSLOG_LINE_MAX;  /* larger than the socket takes: cut, as rsyslog would */
			attempt--;
			continue;
		}
		if (errno == EMSGSIZE) {  /* retrying it would stop every line behind it */
			log_msg(LL_WARNING, "syslog: a line of %zu bytes is too large for %s; dropped",
				len, syslog_path);
			return 0;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR) {
			errno = EAGAIN;
			return -1;
		}
		int saved = errno;
		snprintf(s->why, sizeof(s->why), "cannot send to %s: %s", syslog_path,
			 strerror(saved));
		close(syslog_fd);
		syslog_fd = -1;
		errno = saved;
	}
	return -1;
}

static size_t write_syslog(struct sink *s, const char *data, size_t len)
{
	static char msg[64 * 1024 + 512];
	const char *p = data, *end = data + len;

	s->why[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t m = syslog_format(s, p, n, msg, sizeof(msg));
		if (m > 0 && syslog_send(s, msg, m) < 0)
			return (size_t)(p - data);
		p += n + (nl != NULL);
	}
	return len;
}

static size_t write_out(struct sink *s, const char *data, size_t len)
{
	switch (s->type) {
	case SINK_FILE:
		return write_file(s, data, len);
	case SINK_FD:
		return write_fd_lines(s->fd, data, len);
	case SINK_SYSLOG:
		return write_syslog(s, data, len);
	}
	return 0;
}

/* The next sink with work, or NULL; *WAKE_AT is when the first waiting one (failing or busy)
 * may be tried again (0: none), *ANY_BUSY whether one is busy. Called with the lock held. */
static struct sink *next_work(double now, double *wake_at, bool *any_busy)
{
	*wake_at = 0;
	*any_busy = false;
	for (struct sink *s = registry; s; s = s->next) {
		if ((s->failing || s->busy) && now < s->retry_at) {
			if (*wake_at == 0 || s->retry_at < *wake_at)
				*wake_at = s->retry_at;
			*any_busy = *any_busy || s->busy;
			continue;
		}
		if (s->head || s->reopen || s->truncate || (s->failing && s->type == SINK_FILE))
			return s;
	}
	return NULL;
}

/* All syslog sinks share one socket: its failure is reported once, not once per process. */
static void report_syslog_episode(struct sink *s, bool failed, int error)
{
	if (failed && !syslog_failing) {
		syslog_failing = true;
		log_msg(LL_ERROR, "syslog: %s (retrying every %ds; output waits, and is dropped only "
			"if the queue fills)", s->why[0] ? s->why : strerror(error), RETRY_SECONDS);
	} else if (!failed && syslog_failing) {
		syslog_failing = false;
		log_msg(LL_WARNING, "syslog: %s reachable again", syslog_path);
	}
	if (!failed && s->failing && s->dropped > 0)
		log_msg(LL_WARNING, "syslog %s: %llu bytes were dropped meanwhile", s->tag,
			s->dropped);
}

static void report_episode(struct sink *s, bool failed, int error)
{
	if (s->type == SINK_SYSLOG)
		report_syslog_episode(s, failed, error);
	else if (failed && !s->failing)
		log_msg(LL_ERROR, "log %s: cannot write: %s (retrying every %ds; output waits, "
			"and is dropped only if the queue fills)", s->label,
			s->why[0] ? s->why : strerror(error), RETRY_SECONDS);
	else if (!failed && s->failing)
		log_msg(LL_WARNING, "log %s: writable again; %llu bytes were dropped meanwhile",
			s->label, s->dropped);
}

/* Empties the file of S (`clear`): through its descriptor, or, when it holds none (its
 * watcher stopped), the file opened as a sink opens it (safefs), never created. */
static void truncate_file(struct sink *s)
{
	struct safe_file f;
	char why[SAFEFS_WHY] = "";

	if (s->fd >= 0) {
		if (ftruncate(s->fd, 0) < 0)
			log_errno(LL_WARNING, "log %s: cannot clear", s->label);
		s->size = 0;
		return;
	}
	if (safe_file_open(s->label, O_WRONLY, 0, false, &f, NULL, why) < 0) {
		if (errno != ENOENT)
			log_msg(LL_WARNING, "log %s: cannot clear: %s", s->label,
				why[0] ? why : strerror(errno));
		return;
	}
	if (ftruncate(f.fd, 0) < 0)
		log_errno(LL_WARNING, "log %s: cannot clear", s->label);
	close(f.fd);
}

/* Takes S's queue, writes it without the lock, puts back what could not be written. */
static bool serve(struct sink *s)
{
	struct chunk *list = s->head, *c;
	bool reopen = s->reopen, failed = false, busy = false, resume = false;
	bool truncate = s->truncate;
	/* A file nobody writes to any more (its watcher is gone) is closed, not recreated. */
	bool in_use = s->refs > 0 || list != NULL;
	int error = 0;

	s->head = s->tail = NULL;
	s->reopen = false;
	s->truncate = false;
	pthread_mutex_unlock(&lock);

	if (reopen && s->type == SINK_FILE && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->type == SINK_FILE && s->fd < 0 && in_use && open_file(s) < 0) {
		failed = true;
		error = errno;
	}
	while (!failed && list) {
		size_t done = write_out(s, list->data, list->len);
		if (done < list->len) {
			/* A syslog daemon that is behind is no failure: back-pressure, as a slow disk. */
			busy = s->type == SINK_SYSLOG && errno == EAGAIN;
			failed = !busy;
			error = errno;
			memmove(list->data, list->data + done, list->len - done);
			list->len -= done;
			break;
		}
		c = list;
		list = list->next;
		free(c);
	}
	if (truncate && s->type == SINK_FILE)
		truncate_file(s);  /* after the lines queued before `clear`, as they came before */

	pthread_mutex_lock(&lock);
	if (list) {  /* unwritten: back in front of whatever arrived meanwhile */
		struct chunk *last = list;
		while (last->next)
			last = last->next;
		last->next = s->head;
		s->head = list;
		if (s->tail == NULL)
			s->tail = last;
	}
	s->queued = 0;
	for (c = s->head; c; c = c->next)
		s->queued += c->len;
	if (!in_use)
		s->failing = false;  /* unused: nothing to recover, nothing to report */
	if (s->type == SINK_FILE && s->fd >= 0 && s->refs == 0 && s->head == NULL) {
		close(s->fd);  /* its last writer is gone: no descriptor held for an idle file */
		s->fd = -1;
	}
	report_episode(s, failed, error);
	if (!failed && s->failing)
		s->dropped = 0;
	s->failing = failed;
	s->busy = busy;
	if (failed || busy)
		s->retry_at = now_seconds() + (failed ? RETRY_SECONDS : BUSY_RETRY);
	if (s->refused && s->queued < QUEUE_LIMIT / 2) {
		s->refused = false;
		resume = true;
	}
	return resume;
}

/* The writer thread logs its own troubles directly: it holds the queue lock when it does. */
static _Thread_local bool on_writer_thread;
static struct sink *log_sinks[3];  /* the daemon's stdout and stderr, for its own log lines */

static bool log_through_sink(int fd, const char *line, size_t len)
{
	if (on_writer_thread || fd < 1 || fd > 2 || log_sinks[fd] == NULL)
		return false;
	sink_write_final(log_sinks[fd], line, len);
	return true;
}

static void *writer_main(void *arg)
{
	(void)arg;
	double stop_deadline = 0;

	on_writer_thread = true;
	pthread_mutex_lock(&lock);
	for (;;) {
		bool any_busy, resume = false;
		double wake_at, now = now_seconds();
		struct sink *s = next_work(now, &wake_at, &any_busy);
		if (s) {
			serving = true;
			resume = serve(s);
			serving = false;
			pthread_cond_broadcast(&served);
			if (resume) {
				pthread_mutex_unlock(&lock);
				ev_async_send(resume_loop, &resume_async);
				pthread_mutex_lock(&lock);
			}
			continue;
		}
		if (stopping && stop_deadline == 0)
			stop_deadline = now + SHUTDOWN_PATIENCE;
		/* At exit a failing sink is given up; a syslog daemon that is behind, a while. */
		if (stopping && (!any_busy || now >= stop_deadline))
			break;
		if (wake_at > 0) {
			struct timespec until = { .tv_sec = (time_t)wake_at };
			until.tv_nsec = (long)((wake_at - (double)until.tv_sec) * 1e9);
			pthread_cond_timedwait(&wake, &lock, &until);
		} else {
			pthread_cond_wait(&wake, &lock);
		}
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* --- the loop's side -------------------------------------------------------------------------- */

static void on_resume(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (resume_fn)
		resume_fn(resume_arg);
}

int sinks_init(struct ev_loop *loop, void (*resume)(void *arg), void *arg)
{
	sigset_t all, old;
	int rc;

	const char *path = getenv("CIRQUE_SYSLOG_PATH");  /* for tests: cirqued(8) */

	if (path && path[0] == '/' && strlen(path) < sizeof(syslog_path))
		strcpy(syslog_path, path);
	resume_loop = loop;
	resume_fn = resume;
	resume_arg = arg;
	ev_async_init(&resume_async, on_resume);
	ev_async_start(loop, &resume_async);
	ev_unref(loop);  /* an idle writer must not keep the loop alive */
	/* The thread must not take the daemon's signals: they belong to the loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&writer, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	writer_running = true;
	/* The daemon's own log lines share the writer (and its order) with children's inherit lines. */
	log_sinks[1] = sink_fd(STDOUT_FILENO);
	log_sinks[2] = sink_fd(STDERR_FILENO);
	log_set_writer(log_through_sink);
	return 0;
}

void sinks_shutdown(void)
{
	struct sink *s;

	if (!writer_running)
		return;
	log_set_writer(NULL);  /* from now on the log writes directly: the writer is leaving */
	pthread_mutex_lock(&lock);
	stopping = true;
	/* A failing sink cannot drain: give up on it rather than hang the exit. */
	for (s = registry; s; s = s->next)
		if (s->failing || s->busy)
			s->retry_at = 0;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(writer, NULL);
	writer_running = false;
	ev_ref(resume_loop);
	ev_async_stop(resume_loop, &resume_async);
	while ((s = registry)) {
		registry = s->next;
		for (struct chunk *c = s->head, *next; c; c = next) {
			next = c->next;
			free(c);
		}
		if (s->type == SINK_FILE && s->fd >= 0)
			close(s->fd);
		free(s->label);
		free(s->tag);
		free(s);
	}
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = -1;
}

/* Bytes still to write (queued or being written), and one sink that holds some. With the
 * lock held. */
static size_t unwritten(const struct sink **which)
{
	size_t total = 0;

	*which = NULL;
	for (const struct sink *s = registry; s; s = s->next) {
		size_t n = 0;
		for (const struct chunk *c = s->head; c; c = c->next)
			n += c->len;
		if (n > 0 || s->truncate)
			*which = s;
		total += n;
	}
	return total;
}

void sinks_flush(void)
{
	const struct sink *late;
	size_t left;
	double deadline = now_seconds() + FLUSH_PATIENCE;

	if (!writer_running)
		return;
	pthread_mutex_lock(&lock);
	/* A sink waiting to retry is tried now (a syslog daemon that was behind may keep up). */
	for (struct sink *s = registry; s; s = s->next)
		if (s->failing || s->busy)
			s->retry_at = 0;
	pthread_cond_signal(&wake);
	while (((left = unwritten(&late)) > 0 || late || serving) && now_seconds() < deadline) {
		struct timespec until = { .tv_sec = (time_t)deadline };
		until.tv_nsec = (long)((deadline - (double)until.tv_sec) * 1e9);
		pthread_cond_timedwait(&served, &lock, &until);
	}
	char *label = late ? xstrdup(late->type == SINK_SYSLOG ? late->tag : late->label) : NULL;
	bool busy = serving;
	pthread_mutex_unlock(&lock);
	if (label || busy) {
		/* Straight to the log's output: a line queued now would be written after the exec. */
		log_set_writer(NULL);
		log_warnx("output still unwritten after %.0f s: %zu bytes (%s is failing or behind); "
			  "lost if the daemon re-executes now", FLUSH_PATIENCE, left,
			  label ? label : "a sink");
		log_set_writer(log_through_sink);
	}
	free(label);
}

void sinks_reopen_all(void)
{
	pthread_mutex_lock(&lock);
	for (struct sink *s = registry; s; s = s->next)
		if (s->type == SINK_FILE)
			s->reopen = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
}

static struct sink *sink_new(enum sink_type type, const char *label)
{
	struct sink *s = xcalloc(1, sizeof(*s));

	s->type = type;
	s->label = xstrdup(label);
	s->fd = -1;
	s->refs = 1;
	pthread_mutex_lock(&lock);
	s->next = registry;
	registry = s;
	pthread_mutex_unlock(&lock);
	return s;
}

struct sink *sink_file(const char *path, const struct stream_config *sc)
{
	struct sink *s;

	pthread_mutex_lock(&lock);
	for (s = registry; s; s = s->next) {
		if (s->type == SINK_FILE && strcmp(s->label, path) == 0) {
			s->refs++;
			/* The newest definition's rotation settings win. */
			s->max_bytes = sc->max_bytes;
			s->backup_count = sc->backup_count;
			s->rotate = sc->rotate;
			pthread_mutex_unlock(&lock);
			return s;
		}
	}
	pthread_mutex_unlock(&lock);
	s = sink_new(SINK_FILE, path);
	if (s) {
		s->max_bytes = sc->max_bytes;
		s->backup_count = sc->backup_count;
		s->rotate = sc->rotate;
	}
	return s;
}

struct sink *sink_fd(int fd)
{
	const char *label = fd == STDOUT_FILENO ? "stdout" : "stderr";
	struct sink *s;

	pthread_mutex_lock(&lock);
	for (s = registry; s; s = s->next) {
		if (s->type == SINK_FD && s->fd == fd) {
			s->refs++;
			pthread_mutex_unlock(&lock);
			return s;
		}
	}
	pthread_mutex_unlock(&lock);
	s = sink_new(SINK_FD, label);
	if (s)
		s->fd = fd;
	return s;
}

struct sink *sink_syslog(int facility, int priority, const char *tag)
{
	struct sink *s;

	/* Shared as files are: a respawn finds its sink again instead of adding one. */
	pthread_mutex_lock(&lock);
	for (s = registry; s; s = s->next) {
		if (s->type == SINK_SYSLOG && s->facility == facility && s->priority == priority &&
		    strcmp(s->tag, tag) == 0) {
			s->refs++;
			pthread_mutex_unlock(&lock);
			return s;
		}
	}
	pthread_mutex_unlock(&lock);
	s = sink_new(SINK_SYSLOG, "syslog");
	s->facility = facility;
	s->priority = priority;
	s->tag = xstrdup(tag);
	return s;
}

/* Sinks stay registered until exit (one per path); a file without readers is closed by the
 * writer once its queue is written, and opened again if a reader comes back. */
void sink_unref(struct sink *s)
{
	pthread_mutex_lock(&lock);
	if (--s->refs == 0 && s->type == SINK_FILE) {
		s->reopen = true;  /* the writer's next turn closes it (after what is queued) */
		pthread_cond_signal(&wake);
	}
	pthread_mutex_unlock(&lock);
}

void sink_truncate(struct sink *s)
{
	pthread_mutex_lock(&lock);
	s->truncate = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
}

static bool sink_append(struct sink *s, const char *data, size_t len, bool force)
{
	struct chunk *c;

	pthread_mutex_lock(&lock);
	if (!force && s->queued + len > QUEUE_LIMIT && s->queued > 0) {
		if (!s->failing) {
			s->refused = true;  /* back-pressure: the reader pauses */
			pthread_mutex_unlock(&lock);
			return false;
		}
		/* Failing: make room by dropping the oldest lines, counted. */
		while (s->head && s->queued + len > QUEUE_LIMIT) {
			c = s->head;
			s->head = c->next;
			s->queued -= c->len;
			s->dropped += c->len;
			metrics_output_dropped(lines_in(c->data, c->len), c->len);
			free(c);
		}
		if (s->head == NULL)
			s->tail = NULL;
	}
	/* Appending to the last chunk keeps small lines from costing a malloc each. */
	c = s->tail;
	if (c == NULL || c->len + len > 64 * 1024) {
		size_t cap = len > 64 * 1024 ? len : 64 * 1024;
		c = xmalloc(sizeof(*c) + cap);
		c->next = NULL;
		c->len = 0;
		if (s->tail)
			s->tail->next = c;
		else
			s->head = c;
		s->tail = c;
	}
	memcpy(c->data + c->len, data, len);
	c->len += len;
	s->queued += len;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	return true;
}

bool sink_write(struct sink *s, const char *data, size_t len)
{
	return sink_append(s, data, len, false);
}

void sink_write_final(struct sink *s, const char *data, size_t len)
{
	sink_append(s, data, len, true);
}
