/* stream.c - output pipes, line assembly, tail buffers (see stream.h). */
#include "stream.h"

#include "events.h"
#include "fdlimit.h"
#include "log.h"
#include "parse.h"
#include "reexec.h"
#include "safefs.h"
#include "sink.h"
#include "text.h"
#include "xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (64 * 1024)         /* bytes read per callback */
#define LINE_LIMIT (64 * 1024)        /* a longer line is passed on in pieces of this size */
#define TAIL_BYTES (64 * 1024)        /* lines kept per watcher and stream for `tail` */

/* The last lines of one watcher's stream, as "wid\tline\n" records in a ring. */
struct tail_ring {
	struct tail_ring *next;
	char *name;
	int which;                    /* 0 stdout, 1 stderr */
	char *data;                   /* TAIL_BYTES, allocated on first output */
	size_t head;                  /* next write position */
	bool wrapped;
	unsigned long long lines;     /* lines captured since the daemon started (metrics) */
};

struct reader {
	struct reader *next, *prev;
	char *name;                   /* the watcher's name (the watcher may go before the reader) */
	int wid;
	int which;                    /* 0 stdout, 1 stderr (merged stderr arrives on stdout) */
	int fd;
	ev_io io;
	struct sink *sink;            /* where lines go, NULL: tail and tail -f only */
	bool prefix;                  /* inherit: "name[wid]: " before each line (not for
				       * {file: /dev/stdout}: raw there, as supervisord writes) */
	char *time_format;            /* strftime prefix, or NULL */
	struct tail_ring *ring;
	char *partial;                /* a line without its newline yet (allocated when needed) */
	size_t partial_len, partial_cap;
	char *pending;                /* formatted lines the sink refused (paused until it has room) */
	size_t pending_len, pending_cap;
};

static struct ev_loop *loop;
static struct events *events;
static struct reader readers = { .next = &readers, .prev = &readers };  /* sentinel */
static int nreaders;
static struct tail_ring *rings;

/* --- tail rings ------------------------------------------------------------------------------- */

static struct tail_ring *ring_for(const char *name, int which)
{
	struct tail_ring *r;

	for (r = rings; r; r = r->next)
		if (r->which == which && strcmp(r->name, name) == 0)
			return r;
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->which = which;
	r->next = rings;
	rings = r;
	return r;
}

static void ring_put(struct tail_ring *r, const char *data, size_t len)
{
	if (r == NULL)
		return;
	if (r->data == NULL)
		r->data = xmalloc(TAIL_BYTES);
	while (len > 0) {
		size_t n = TAIL_BYTES - r->head < len ? TAIL_BYTES - r->head : len;
		memcpy(r->data + r->head, data, n);
		r->head = (r->head + n) % TAIL_BYTES;
		r->wrapped = r->wrapped || r->head < n || (r->head == 0 && n > 0);
		data += n;
		len -= n;
	}
}

json_t *streams_line_counts(void)
{
	static const char *const names[] = { "stdout", "stderr" };
	json_t *out = json_object();

	for (const struct tail_ring *r = rings; r; r = r->next) {
		json_t *one = json_object_get(out, r->name);
		if (one == NULL)
			json_object_set_new(out, r->name, one = json_object());
		json_object_set_new(one, names[r->which], json_integer((json_int_t)r->lines));
	}
	return out;
}

/* One line as JSON: base64 carries every byte; text is exact when the line is UTF-8. */
static json_t *json_line(const char *data, size_t len, bool base64)
{
	char *encoded;
	json_t *line;

	if (!base64)
		return text_to_json(data, len);
	encoded = base64_encode(data, len);
	line = encoded ? json_string(encoded) : NULL;
	free(encoded);
	return line;
}

json_t *streams_tail(const struct watcher_config *config, int wid, bool stderr_stream, int n,
		     bool base64, json_t *wids)
{
	int which = stderr_stream ? 1 : 0;
	const struct stream_config *sc = &config->streams[which];
	struct tail_ring *r;
	json_t *lines = json_array();
	char *linear;
	size_t len;

	if (stderr_stream && sc->kind == STREAM_MERGE)
		which = 0;  /* merged: the lines are in the stdout ring */
	if (config->streams[which].kind == STREAM_NULL) {
		json_decref(lines);
		return NULL;
	}
	for (r = rings; r; r = r->next)
		if (r->which == which && strcmp(r->name, config->name) == 0)
			break;
	if (r == NULL || r->data == NULL)
		return lines;
	len = r->wrapped ? TAIL_BYTES : r->head;
	linear = xmalloc(len + 1);
	if (r->wrapped) {
		memcpy(linear, r->data + r->head, TAIL_BYTES - r->head);
		memcpy(linear + TAIL_BYTES - r->head, r->data, r->head);
	} else {
		memcpy(linear, r->data, len);
	}
	linear[len] = '\0';
	/* Records from the end, skipping a first one cut by the ring. */
	char *start = linear;
	if (r->wrapped) {
		char *nl = memchr(linear, '\n', len);
		start = nl ? nl + 1 : linear + len;
	}
	json_t *all = json_array(), *all_wids = json_array();
	for (char *p = start; p < linear + len;) {
		char *nl = memchr(p, '\n', (size_t)(linear + len - p));
		char *tab = memchr(p, '\t', nl ? (size_t)(nl - p) : 0);
		if (nl == NULL || tab == NULL)
			break;
		if (wid == 0 || atoi(p) == wid) {
			json_array_append_new(all, json_line(tab + 1, (size_t)(nl - tab - 1), base64));
			json_array_append_new(all_wids, json_integer(atoi(p)));
		}
		p = nl + 1;
	}
	size_t total = json_array_size(all);
	for (size_t i = total > (size_t)n ? total - (size_t)n : 0; i < total; i++) {
		json_array_append(lines, json_array_get(all, i));
		if (wids)
			json_array_append(wids, json_array_get(all_wids, i));
	}
	json_decref(all);
	json_decref(all_wids);
	free(linear);
	return lines;
}

/* --- readers ---------------------------------------------------------------------------------- */

static void pending_add(struct reader *r, const char *data, size_t len)
{
	if (len == 0)
		return;  /* and no memcpy into a buffer that may not exist yet */
	if (r->pending_len + len > r->pending_cap) {
		size_t cap = r->pending_cap ? r->pending_cap : 4096;
		while (cap < r->pending_len + len)
			cap *= 2;
		r->pending = xreallocarray(r->pending, cap, 1);
		r->pending_cap = cap;
	}
	memcpy(r->pending + r->pending_len, data, len);
	r->pending_len += len;
}

/* Formats one whole line (without its newline) into the reader's pending output. */
static void emit_line(struct reader *r, const char *line, size_t len)
{
	char head[256];
	size_t n = 0;

	if (r->time_format) {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		n = strftime(head, sizeof(head) - 2, r->time_format, &tm);
		head[n++] = ' ';
	}
	if (r->prefix)
		n += (size_t)snprintf(head + n, sizeof(head) - n, "%s[%d]: ", r->name, r->wid);
	if (n >= sizeof(head))
		n = sizeof(head) - 1;
	if (r->sink) {
		pending_add(r, head, n);
		pending_add(r, line, len);
		pending_add(r, "\n", 1);
	}
	if (r->ring) {
		char tag[16];
		r->ring->lines++;
		int t = snprintf(tag, sizeof(tag), "%d\t", r->wid);
		ring_put(r->ring, tag, (size_t)t);
		ring_put(r->ring, line, len);
		ring_put(r->ring, "\n", 1);
	}
}

/* Room for N more bytes of partial line (grown on demand: most children never need it). */
static void partial_reserve(struct reader *r, size_t n)
{
	size_t need = r->partial_len + n, cap = r->partial_cap ? r->partial_cap : 256;

	if (need <= r->partial_cap && r->partial)
		return;
	while (cap < need)
		cap *= 2;
	if (cap > LINE_LIMIT)
		cap = LINE_LIMIT;
	r->partial = xreallocarray(r->partial, cap, 1);
	r->partial_cap = cap;
}

/* Splits DATA into lines, joining the partial line kept from the last read. */
static void split_lines(struct reader *r, const char *data, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;

		if (r->partial_len + n > LINE_LIMIT) {
			/* Too long to hold: pass on what we have as a piece of its own. */
			size_t room = LINE_LIMIT - r->partial_len;
			partial_reserve(r, room);
			memcpy(r->partial + r->partial_len, data, room);
			emit_line(r, r->partial, LINE_LIMIT);
			r->partial_len = 0;
			data += room;
			len -= room;
			continue;
		}
		if (nl == NULL) {
			partial_reserve(r, n);
			memcpy(r->partial + r->partial_len, data, n);
			r->partial_len += n;
			return;
		}
		if (r->partial_len) {
			partial_reserve(r, n);
			memcpy(r->partial + r->partial_len, data, n);
			emit_line(r, r->partial, r->partial_len + n);
			r->partial_len = 0;
		} else {
			emit_line(r, data, n);
		}
		data += n + 1;
		len -= n + 1;
	}
}

/* Hands pending output to the sink; pauses the pipe while the sink is full. */
static bool flush_pending(struct reader *r)
{
	if (r->pending_len == 0 || r->sink == NULL) {
		r->pending_len = 0;
		return true;
	}
	if (!sink_write(r->sink, r->pending, r->pending_len)) {
		ev_io_stop(loop, &r->io);
		return false;
	}
	r->pending_len = 0;
	if (r->pending_cap > 256 * 1024) {  /* a burst is over: give the memory back */
		free(r->pending);
		r->pending = NULL;
		r->pending_cap = 0;
	}
	return true;
}

static void publish(struct reader *r, const char *data, size_t len)
{
	char topic[300];

	int n = snprintf(topic, sizeof(topic), "stream.%s.%d.%s", r->name, r->wid,
			 r->which ? "stderr" : "stdout");
	/* Lower-cased as the watcher topics (events.h): names are case-insensitive. */
	for (int i = 7; i < n && (size_t)i < sizeof(topic); i++)
		topic[i] = (char)tolower((unsigned char)topic[i]);
	events_publish_raw(events, topic, data, len);
}

static void reader_free(struct reader *r)
{
	if (r->partial_len) {  /* the last line had no newline: it is still a line */
		emit_line(r, r->partial, r->partial_len);
		r->partial_len = 0;
	}
	if (r->pending_len && r->sink)
		sink_write_final(r->sink, r->pending, r->pending_len);
	ev_io_stop(loop, &r->io);
	close(r->fd);
	r->prev->next = r->next;
	r->next->prev = r->prev;
	nreaders--;
	if (r->sink)
		sink_unref(r->sink);
	free(r->name);
	free(r->time_format);
	free(r->partial);
	free(r->pending);
	free(r);
}

/* Reads until EAGAIN or at most a few buffers, so that one chatty child cannot hog the loop. */
static void on_readable(struct ev_loop *l, ev_io *io, int revents)
{
	static char buf[READ_SIZE];
	struct reader *r = io->data;

	(void)l;
	(void)revents;
	for (int round = 0; round < 4; round++) {
		ssize_t n = read(r->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {  /* EOF (or an error, which ends the pipe just the same) */
			reader_free(r);
			return;
		}
		publish(r, buf, (size_t)n);
		split_lines(r, buf, (size_t)n);
		if (!flush_pending(r))
			return;  /* paused: resumed by the sink */
		if ((size_t)n < sizeof(buf))
			break;
	}
}

/* The writer thread made room: retry the paused readers. */
static void on_sinks_resume(void *arg)
{
	(void)arg;
	for (struct reader *r = readers.next; r != &readers; r = r->next)
		if (!ev_is_active(&r->io) && flush_pending(r))
			ev_io_start(loop, &r->io);
}

/* --- set-up ----------------------------------------------------------------------------------- */

int streams_init(struct ev_loop *l, struct events *e)
{
	loop = l;
	events = e;
	return sinks_init(l, on_sinks_resume, NULL);
}

void streams_shutdown(void)
{
	streams_drain_all();
	sinks_shutdown();
	while (rings) {
		struct tail_ring *r = rings;
		rings = r->next;
		free(r->name);
		free(r->data);
		free(r);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void streams_abort(struct stream_pipes *p)
{
	for (int i = 0; i < 2; i++) {
		close_fd(&p->read_fd[i]);
		close_fd(&p->write_fd[i]);
	}
}

/* Undoes a half-made streams_prepare, errno kept: -1. */
static int abort_prepare(struct stream_pipes *p)
{
	int saved = errno;

	streams_abort(p);
	errno = saved;
	return -1;
}

int streams_prepare(const struct watcher_config *config, int devnull_fd, struct stream_pipes *p)
{
	for (int i = 0; i < 2; i++)
		p->child_fd[i] = p->read_fd[i] = p->write_fd[i] = -1;
	for (int i = 0; i < 2; i++) {
		enum stream_kind kind = config->streams[i].kind;
		int fds[2];

		if (kind == STREAM_NULL) {
			p->child_fd[i] = devnull_fd;
			continue;
		}
		if (kind == STREAM_MERGE) {  /* stderr into stdout's pipe (or its /dev/null) */
			p->child_fd[1] = p->child_fd[0];
			continue;
		}
		if (pipe2(fds, O_CLOEXEC) < 0 || fd_keep_pair(fds) < 0)
			return abort_prepare(p);
		/* Our end never blocks; the child's end does, which is the back-pressure. */
		if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
			int saved = errno;
			close(fds[0]);
			close(fds[1]);
			errno = saved;
			return abort_prepare(p);
		}
		p->read_fd[i] = fds[0];
		p->write_fd[i] = p->child_fd[i] = fds[1];
	}
	return 0;
}

json_t *streams_clear(const struct watcher_config *config, int numprocesses)
{
	json_t *paths = json_array();

	for (int which = 0; which < 2; which++) {
		const struct stream_config *sc = &config->streams[which];
		/* One file for all, or one per process ({wid}): those of the wids there are. */
		int wids = log_path_per_process(sc->path) ? numprocesses : 1;
		if (sc->kind != STREAM_FILE)
			continue;
		for (struct reader *r = readers.next; r != &readers; r = r->next)
			if (strcmp(r->name, config->name) == 0 && r->wid > wids)
				wids = r->wid;
		for (int wid = 1; wid <= wids; wid++) {
			char *path = log_path_expand(sc->path, config->name, wid);
			json_t *known;
			size_t i;
			bool seen = false;
			json_array_foreach(paths, i, known)
				seen = seen || strcmp(json_string_value(known), path) == 0;
			if (!seen) {
				struct sink *s = sink_file(path, sc);
				sink_truncate(s);
				sink_unref(s);
				json_array_append_new(paths, text_to_json(path, strlen(path)));
			}
			free(path);
		}
	}
	for (struct tail_ring *r = rings; r; r = r->next) {
		if (strcmp(r->name, config->name) == 0) {
			r->head = 0;
			r->wrapped = false;
		}
	}
	return paths;
}

static struct sink *sink_for(const struct watcher_config *config, int wid, int which)
{
	const struct stream_config *sc = &config->streams[which];
	struct sink *s = NULL;
	char tag[200];

	switch (sc->kind) {
	case STREAM_FILE: {
		char *path = log_path_expand(sc->path, config->name, wid);
		if (path)
			s = sink_file(path, sc);
		free(path);
		break;
	}
	case STREAM_INHERIT:
		s = sink_fd(which == 0 ? STDOUT_FILENO : STDERR_FILENO);
		break;
	case STREAM_DAEMON:
		s = sink_fd(sc->daemon_fd);
		break;
	case STREAM_SYSLOG:
		snprintf(tag, sizeof(tag), "%s[%d]", config->name, wid);
		s = sink_syslog(sc->facility, which == 1 ? LOG_ERR : LOG_INFO, sc->tag ? sc->tag : tag);
		break;
	default:
		break;
	}
	return s;
}

/* The output settings of R, as streams_attach derives them from CONFIG; NULL CONFIG (its
 * watcher is gone while its pipe drains): no sink, the lines go to tail only. */
static void reader_configure(struct reader *r, const struct watcher_config *config)
{
	const struct stream_config *sc = config ? &config->streams[r->which] : NULL;

	r->sink = config ? sink_for(config, r->wid, r->which) : NULL;
	r->prefix = sc && sc->kind == STREAM_INHERIT;
	r->time_format = sc && sc->time_format ? xstrdup(sc->time_format) : NULL;
}

/* R among the readers, its io watcher set up (started by the caller). */
static void reader_link(struct reader *r)
{
	ev_io_init(&r->io, on_readable, r->fd, EV_READ);
	r->io.data = r;
	r->next = &readers;
	r->prev = readers.prev;
	readers.prev->next = r;
	readers.prev = r;
	nreaders++;
}

void streams_attach(const struct watcher_config *config, int wid, struct stream_pipes *p)
{
	for (int i = 0; i < 2; i++) {
		close_fd(&p->write_fd[i]);
		if (p->read_fd[i] < 0)
			continue;
		struct reader *r = xcalloc(1, sizeof(*r));
		r->name = xstrdup(config->name);
		r->wid = wid;
		r->which = i;
		r->fd = p->read_fd[i];
		p->read_fd[i] = -1;
		reader_configure(r, config);
		r->ring = ring_for(config->name, i);
		reader_link(r);
		ev_io_start(loop, &r->io);
	}
}

/* The new output of R: its next lines go to SINK (taken), formatted as CONFIG says. Lines
 * the old sink refused so far (formatted for it) are queued to it first: they are bounded. */
static void reader_switch(struct reader *r, const struct watcher_config *config, struct sink *sink)
{
	const struct stream_config *sc = &config->streams[r->which];

	if (sink != r->sink) {
		if (r->pending_len && r->sink)
			sink_write_final(r->sink, r->pending, r->pending_len);
		r->pending_len = 0;
		if (r->sink)
			sink_unref(r->sink);
		r->sink = sink;
		if (!ev_is_active(&r->io))
			ev_io_start(loop, &r->io);  /* it was paused for the old sink */
	} else if (sink) {
		sink_unref(sink);  /* the same (shared) sink: the reader's reference stays */
	}
	r->prefix = sc->kind == STREAM_INHERIT;
	free(r->time_format);
	r->time_format = sc->time_format ? xstrdup(sc->time_format) : NULL;
}

void streams_reconfigure(const struct watcher_config *config)
{
	for (struct reader *r = readers.next; r != &readers; r = r->next)
		if (strcasecmp(r->name, config->name) == 0)
			reader_switch(r, config, sink_for(config, r->wid, r->which));
}

void streams_drain_all(void)
{
	static char buf[READ_SIZE];

	/* Once a process has exited, all it wrote is in the pipe: reading until EAGAIN loses nothing
	 * of it (only a grandchild still holding the pipe could write more). */
	while (readers.next != &readers) {
		struct reader *r = readers.next;
		ssize_t n;
		/* Whatever is in the pipe now; a grandchild that still holds it open is not waited for. */
		while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
			publish(r, buf, (size_t)n);
			split_lines(r, buf, (size_t)n);
			if (r->sink && r->pending_len)
				sink_write_final(r->sink, r->pending, r->pending_len);
			r->pending_len = 0;
		}
		reader_free(r);
	}
}

void streams_reopen(void)
{
	char why[SAFEFS_WHY];

	sinks_reopen_all();
	if (log_reopen(why) < 0)
		log_msg(LL_ERROR, "cannot reopen the daemon's log file: %s; it stays where it was",
			why);
}

/* --- re-exec (reexec.h) ----------------------------------------------------------------------- */

/* LEN bytes as a base64 JSON string ("" when there are none). */
static json_t *json_bytes(const char *data, size_t len)
{
	char *encoded = base64_encode(data ? data : "", data ? len : 0);
	json_t *j = json_string(encoded ? encoded : "");

	free(encoded);
	return j;
}

/* The bytes of the base64 string KEY of OBJ (a new buffer, *LEN bytes); NULL if absent or not
 * base64. */
static char *bytes_of(const json_t *obj, const char *key, size_t *len)
{
	const char *text = json_string_value(json_object_get(obj, key));

	*len = 0;
	return text ? base64_decode(text, len) : NULL;
}

static json_t *ring_save(const struct tail_ring *r)
{
	json_t *j = json_pack("{s:s, s:i, s:I, s:b, s:I}", "name", r->name, "which", r->which,
			      "head", (json_int_t)r->head, "wrapped", r->wrapped,
			      "lines", (json_int_t)r->lines);

	if (j && r->data)  /* the ring as it is: head and wrapped say where it starts */
		json_object_set_new(j, "data", json_bytes(r->data, TAIL_BYTES));
	return j;
}

static json_t *reader_save(const struct reader *r)
{
	json_t *j = json_pack("{s:s, s:i, s:i, s:i, s:b}", "name", r->name, "wid", r->wid,
			      "which", r->which, "fd", r->fd, "active", ev_is_active(&r->io));

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "partial", json_bytes(r->partial, r->partial_len));
	json_object_set_new(j, "pending", json_bytes(r->pending, r->pending_len));
	reexec_keep_fd(r->fd);
	return j;
}

json_t *streams_save(void)
{
	json_t *list = json_array(), *ring_list = json_array();

	for (const struct reader *r = readers.next; r != &readers; r = r->next)
		json_array_append_new(list, reader_save(r));
	for (const struct tail_ring *r = rings; r; r = r->next)
		json_array_append_new(ring_list, ring_save(r));
	return json_pack("{s:o, s:o}", "readers", list, "rings", ring_list);
}

static int ring_restore(const json_t *j)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	json_int_t which = json_integer_value(json_object_get(j, "which"));
	json_int_t head = json_integer_value(json_object_get(j, "head"));
	const json_t *data = json_object_get(j, "data");
	struct tail_ring *r;
	char *bytes = NULL;
	size_t len = 0;

	if (name == NULL || which < 0 || which > 1 || head < 0 || head >= TAIL_BYTES)
		return -1;
	if (data && ((bytes = bytes_of(j, "data", &len)) == NULL || len != TAIL_BYTES)) {
		free(bytes);
		return -1;
	}
	r = ring_for(name, (int)which);
	free(r->data);
	r->data = bytes;  /* NULL: nothing captured yet */
	r->head = bytes ? (size_t)head : 0;
	r->wrapped = bytes && json_is_true(json_object_get(j, "wrapped"));
	r->lines = (unsigned long long)json_integer_value(json_object_get(j, "lines"));
	return 0;
}

/* Whether the saved reader J is sound: a name, a stream, and a descriptor that is open. */
static bool reader_valid(const json_t *j, const char **name, int *which, int *fd)
{
	*name = json_string_value(json_object_get(j, "name"));
	*which = (int)json_integer_value(json_object_get(j, "which"));
	*fd = json_is_integer(json_object_get(j, "fd")) ?
		      (int)json_integer_value(json_object_get(j, "fd")) : -1;
	return *name && (*which == 0 || *which == 1) && *fd >= 0 && fcntl(*fd, F_GETFD) >= 0;
}

static int reader_restore(const json_t *j,
			  const struct watcher_config *(*config_of)(const char *name, void *arg),
			  void *arg)
{
	const char *name;
	int which, fd;
	size_t partial_len, pending_len;
	char *partial, *pending;

	if (!reader_valid(j, &name, &which, &fd))
		return -1;
	partial = bytes_of(j, "partial", &partial_len);
	pending = bytes_of(j, "pending", &pending_len);
	if (partial == NULL || pending == NULL || partial_len > LINE_LIMIT) {
		free(partial);
		free(pending);
		return -1;
	}
	struct reader *r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->wid = (int)json_integer_value(json_object_get(j, "wid"));
	r->which = which;
	r->fd = fd;
	r->ring = ring_for(name, which);
	reader_configure(r, config_of(name, arg));
	if (partial_len) {
		partial_reserve(r, partial_len);
		memcpy(r->partial, partial, partial_len);
		r->partial_len = partial_len;
	}
	free(partial);
	pending_add(r, pending, pending_len);
	free(pending);
	reader_link(r);
	/* Paused or not before, it reads again once the lines its sink refused are queued (if
	 * they are refused again, the sink resumes it when it has room, as ever). */
	if (flush_pending(r))
		ev_io_start(loop, &r->io);
	return 0;
}

int streams_restore(const json_t *saved,
		    const struct watcher_config *(*config_of)(const char *name, void *arg),
		    void *arg)
{
	const json_t *j;
	size_t i;
	int bad = 0;

	/* The rings first: readers find theirs by name. */
	json_array_foreach(json_object_get(saved, "rings"), i, j)
		if (ring_restore(j) < 0)
			bad++;
	json_array_foreach(json_object_get(saved, "readers"), i, j) {
		if (reader_restore(j, config_of, arg) < 0) {
			/* Its pipe (if it is one) would never be read: the child would block. */
			json_int_t fd = json_integer_value(json_object_get(j, "fd"));
			if (json_is_integer(json_object_get(j, "fd")) && fd > 2)
				close((int)fd);
			bad++;
		}
	}
	if (bad)
		log_warnx("re-exec: %d saved output stream%s could not be restored", bad,
			  bad == 1 ? "" : "s");
	return bad ? -1 : 0;
}

void streams_set_events(struct events *e)
{
	events = e;
}
