/* listener.c - event listeners: watcher events as JSON lines on the stdin of a watcher's
 * processes, through a pipe and a bounded queue per slot (listener.h). */
#include "listener.h"

#include "fdlimit.h"
#include "log.h"
#include "reexec.h"
#include "watcher.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The pipe holds one page: what waits for a listener is its queue, which is bounded and counted,
 * not a kernel buffer of 64 KiB the daemon cannot see. */
#define PIPE_BYTES 4096
/* A burst of drops is told in one line, this long after its first drop. */
#define DROPS_TOLD_AFTER 1.0

/* A line not yet written to the pipe. */
struct pending {
	struct pending *next;
	size_t len;
	char text[];
};

struct listener_slot {
	struct listener *owner;
	int wid;
	int read_fd;                  /* the stdin of each process of the slot; kept open here */
	int write_fd;                 /* non-blocking, close-on-exec */
	struct pending *head, *tail;  /* the queue, oldest first */
	int nqueued;
	size_t offset;                /* bytes of head already written (a line over PIPE_BUF) */
	ev_io writable;               /* on while the queue is not empty */
	unsigned long long burst;     /* drops not told yet */
	ev_timer burst_timer;         /* tells them (on from the first drop of a burst) */
};

struct listener {
	struct listener *next;
	struct watcher *watcher;
	struct listener_slot **slots; /* [wid - 1], NULL where none */
	int nslots;
	unsigned long long dropped;   /* lines dropped by its slots, ever */
};

static struct listener *listeners;

bool listeners_any(void)
{
	return listeners != NULL;
}

static struct listener *find_listener(const struct watcher *w)
{
	for (struct listener *l = listeners; l; l = l->next)
		if (l->watcher == w)
			return l;
	return NULL;
}

/* --- the queue of a slot ---------------------------------------------------------------------- */

static void tell_drops(struct listener_slot *s)
{
	struct listener *l = s->owner;

	if (s->burst == 0)
		return;
	log_warnx("listener %s[%d]: dropped %llu event%s, the oldest (it does not read its stdin "
		  "fast enough: %d lines queued at most); %llu dropped in all", l->watcher->name,
		  s->wid, s->burst, s->burst == 1 ? "" : "s", l->watcher->config->listen.queue,
		  l->dropped);
	s->burst = 0;
}

static void on_burst_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	tell_drops(t->data);
}

static void count_drop(struct listener_slot *s)
{
	struct watcher *w = s->owner->watcher;

	s->owner->dropped++;
	if (s->burst++ == 0) {
		ev_timer_set(&s->burst_timer, DROPS_TOLD_AFTER, 0.);
		ev_timer_start(w->loop, &s->burst_timer);
	}
}

/* Drops the oldest line that has not begun to be written (a line half in the pipe must end). */
static void drop_oldest(struct listener_slot *s)
{
	struct pending **link = s->offset > 0 ? &s->head->next : &s->head;
	struct pending *p = *link;

	if (p == NULL)
		return;
	*link = p->next;
	if (s->tail == p)
		s->tail = link == &s->head ? NULL : s->head;
	free(p);
	s->nqueued--;
	count_drop(s);
}

static void pop_head(struct listener_slot *s)
{
	struct pending *p = s->head;

	s->head = p->next;
	if (s->head == NULL)
		s->tail = NULL;
	s->offset = 0;
	s->nqueued--;
	free(p);
}

/* Writes what the pipe takes; the io watcher waits for room while anything is left. */
static void slot_flush(struct listener_slot *s)
{
	struct watcher *w = s->owner->watcher;

	while (s->head) {
		ssize_t n = write(s->write_fd, s->head->text + s->offset, s->head->len - s->offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {  /* never expected: the daemon holds the read end */
			log_warn("listener %s[%d]: cannot write an event to its stdin pipe", w->name,
				 s->wid);
			pop_head(s);
			continue;
		}
		s->offset += (size_t)n;
		if (s->offset == s->head->len)
			pop_head(s);
	}
	if (s->head)
		ev_io_start(w->loop, &s->writable);
	else
		ev_io_stop(w->loop, &s->writable);
}

static void on_writable(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	slot_flush(io->data);
}

/* LINE at the tail of S's queue, nothing else looked at. */
static void slot_append(struct listener_slot *s, const char *line, size_t len)
{
	struct pending *p = xmalloc(sizeof(*p) + len);

	p->next = NULL;
	p->len = len;
	memcpy(p->text, line, len);
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	s->nqueued++;
}

static void slot_push(struct listener_slot *s, const char *line, size_t len)
{
	int limit = s->owner->watcher->config->listen.queue;

	while (s->nqueued >= limit && s->nqueued > 0 && (s->offset == 0 || s->head->next))
		drop_oldest(s);
	slot_append(s, line, len);
	if (!ev_is_active(&s->writable))  /* else the pipe is full: the io watcher writes it */
		slot_flush(s);
}

/* --- slots ------------------------------------------------------------------------------------ */

/* Slot WID of L, on the pipe READ_FD -> WRITE_FD (taken). */
static struct listener_slot *slot_make(struct listener *l, int wid, int read_fd, int write_fd)
{
	struct listener_slot *s = xcalloc(1, sizeof(*s));

	s->owner = l;
	s->wid = wid;
	s->read_fd = read_fd;
	s->write_fd = write_fd;
	ev_io_init(&s->writable, on_writable, s->write_fd, EV_WRITE);
	s->writable.data = s;
	ev_timer_init(&s->burst_timer, on_burst_timer, DROPS_TOLD_AFTER, 0.);
	s->burst_timer.data = s;
	return s;
}

static struct listener_slot *slot_new(struct listener *l, int wid)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0 || fd_keep_pair(fds) < 0) {
		log_warn("listener %s[%d]: cannot create its stdin pipe (stdin is /dev/null)",
			 l->watcher->name, wid);
		return NULL;
	}
	/* Only the daemon's end is non-blocking: the listener reads its stdin as usual. */
	if (fcntl(fds[1], F_SETFL, O_NONBLOCK) < 0) {
		log_warn("listener %s[%d]: cannot make its stdin pipe non-blocking (stdin is "
			 "/dev/null)", l->watcher->name, wid);
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	(void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES);  /* at worst, the default size */
	return slot_make(l, wid, fds[0], fds[1]);
}

static void slot_free(struct listener_slot *s)
{
	struct watcher *w = s->owner->watcher;

	tell_drops(s);
	ev_timer_stop(w->loop, &s->burst_timer);
	ev_io_stop(w->loop, &s->writable);
	while (s->head)
		pop_head(s);
	close(s->read_fd);
	close(s->write_fd);
	free(s);
}

static void free_slots(struct listener *l)
{
	for (int i = 0; i < l->nslots; i++)
		if (l->slots[i])
			slot_free(l->slots[i]);
	free(l->slots);
	l->slots = NULL;
	l->nslots = 0;
}

/* W's listener, made if need be. */
static struct listener *listener_of(struct watcher *w)
{
	struct listener *l = find_listener(w);

	if (l == NULL) {
		l = xcalloc(1, sizeof(*l));
		l->watcher = w;
		l->next = listeners;
		listeners = l;
	}
	return l;
}

/* Room in L for slot WID (>= 1). */
static void slots_grow(struct listener *l, int wid)
{
	if (wid > l->nslots) {
		l->slots = xreallocarray(l->slots, (size_t)wid, sizeof(*l->slots));
		memset(l->slots + l->nslots, 0, (size_t)(wid - l->nslots) * sizeof(*l->slots));
		l->nslots = wid;
	}
}

int listener_stdin(struct watcher *w, int wid, int fallback)
{
	struct listener *l;

	if (w->config->listen.events == 0 || wid < 1)
		return fallback;
	l = listener_of(w);
	slots_grow(l, wid);
	if (l->slots[wid - 1] == NULL)
		l->slots[wid - 1] = slot_new(l, wid);
	return l->slots[wid - 1] ? l->slots[wid - 1]->read_fd : fallback;
}

void listener_forget(struct watcher *w)
{
	for (struct listener **link = &listeners; *link; link = &(*link)->next) {
		struct listener *l = *link;
		if (l->watcher != w)
			continue;
		free_slots(l);
		*link = l->next;
		free(l);
		return;
	}
}

unsigned long long listener_dropped(const struct watcher *w)
{
	struct listener *l = find_listener(w);

	return l ? l->dropped : 0;
}

/* --- what goes to whom ------------------------------------------------------------------------ */

static bool watcher_named(char **names, const char *name)
{
	if (names == NULL)
		return true;
	for (; *names; names++)
		if (strcasecmp(*names, name) == 0)  /* names are case-insensitive, as in Circus */
			return true;
	return false;
}

/* Whether L's watcher asks for EVENT (a bit) of WATCHER: never its own (its spawns and reaps
 * would feed it without end). */
static bool wants(const struct listener *l, const char *watcher, int event)
{
	const struct listen_config *lc = &l->watcher->config->listen;

	return (lc->events & (1u << event)) && strcasecmp(l->watcher->name, watcher) != 0 &&
	       watcher_named(lc->watchers, watcher);
}

/* Slots that no process of a running listener will read again are closed: a stopped or removed
 * watcher, one that no longer listens, a slot above its count (decr). A start makes new ones:
 * a listener hears what happens while it runs (and while its processes restart), not what
 * happened while it was stopped. */
static void prune(struct listener *l)
{
	struct watcher *w = l->watcher;

	if (!w->wanted || w->removing || w->dead || w->config->listen.events == 0) {
		free_slots(l);
		return;
	}
	for (int i = w->numprocesses; i < l->nslots; i++) {
		if (l->slots[i] && watcher_find_wid(w, i + 1) == NULL) {
			slot_free(l->slots[i]);
			l->slots[i] = NULL;
		}
	}
}

/* PAYLOAD with "topic", "watcher" and "event", as one line; NULL if it cannot be made. */
static char *event_line(const char *topic, const char *watcher, const char *event,
			const json_t *payload, size_t *len)
{
	json_t *copy = json_copy((json_t *)payload);
	char *body, *line;

	if (copy == NULL)
		return NULL;
	json_object_set_new(copy, "topic", json_string(topic));
	json_object_set_new(copy, "watcher", json_string(watcher));
	json_object_set_new(copy, "event", json_string(event));
	body = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	if (body == NULL)
		return NULL;
	line = xasprintf("%s\n", body);
	free(body);
	*len = strlen(line);
	return line;
}

void listeners_hear(const char *topic, const char *watcher, const char *event,
		    const json_t *payload)
{
	int bit = listen_event_find(event);
	char *line = NULL;
	size_t len = 0;

	if (bit < 0 || payload == NULL)
		return;
	for (struct listener *l = listeners; l; l = l->next) {
		prune(l);
		if (!wants(l, watcher, bit))
			continue;
		if (line == NULL && (line = event_line(topic, watcher, event, payload, &len)) == NULL)
			return;
		for (int i = 0; i < l->nslots && i < l->watcher->numprocesses; i++)
			if (l->slots[i])
				slot_push(l->slots[i], line, len);
	}
	free(line);
}

/* --- re-exec (reexec.h) ----------------------------------------------------------------------- */

static json_t *slot_save(const struct listener_slot *s)
{
	json_t *lines = json_array();

	for (const struct pending *p = s->head; p; p = p->next)
		json_array_append_new(lines, json_stringn(p->text, p->len));  /* JSON: UTF-8 */
	reexec_keep_fd(s->read_fd);
	reexec_keep_fd(s->write_fd);
	return json_pack("{s:i, s:i, s:i, s:o, s:I, s:I}", "wid", s->wid, "read_fd", s->read_fd,
			 "write_fd", s->write_fd, "queue", lines, "offset", (json_int_t)s->offset,
			 "burst", (json_int_t)s->burst);
}

json_t *listeners_save(void)
{
	json_t *list = json_array();

	for (const struct listener *l = listeners; l; l = l->next) {
		/* A removed watcher's slots close at the next event (prune), and its name may be
		 * another watcher's already. */
		if (l->watcher->removing || l->watcher->dead)
			continue;
		json_t *slots = json_array();
		for (int i = 0; i < l->nslots; i++)
			if (l->slots[i])
				json_array_append_new(slots, slot_save(l->slots[i]));
		json_array_append_new(list, json_pack("{s:s, s:I, s:o}", "watcher", l->watcher->name,
						      "dropped", (json_int_t)l->dropped,
						      "slots", slots));
	}
	return list;
}

/* The saved slot J's queue into S (its lines in order, the head's written bytes skipped). */
static void slot_queue_restore(struct listener_slot *s, const json_t *j)
{
	const json_t *line;
	size_t i;

	json_array_foreach(json_object_get(j, "queue"), i, line) {
		size_t len = json_string_length(line);
		if (json_is_string(line) && len > 0)
			slot_append(s, json_string_value(line), len);
	}
	json_int_t offset = json_integer_value(json_object_get(j, "offset"));
	if (s->head && offset > 0 && (size_t)offset < s->head->len)
		s->offset = (size_t)offset;
}

/* Closes the saved descriptors of a slot that cannot be restored (else nobody would). */
static void slot_discard(int read_fd, int write_fd)
{
	if (read_fd > 2)
		close(read_fd);
	if (write_fd > 2)
		close(write_fd);
}

static int slot_restore(struct listener *l, const json_t *j)
{
	json_int_t wid = json_integer_value(json_object_get(j, "wid"));
	const json_t *rfd = json_object_get(j, "read_fd"), *wfd = json_object_get(j, "write_fd");
	int read_fd = json_is_integer(rfd) ? (int)json_integer_value(rfd) : -1;
	int write_fd = json_is_integer(wfd) ? (int)json_integer_value(wfd) : -1;
	struct listener_slot *s;

	if (wid < 1 || wid > 1 << 20 || read_fd < 0 || write_fd < 0 ||
	    fcntl(read_fd, F_GETFD) < 0 || fcntl(write_fd, F_GETFD) < 0) {
		slot_discard(read_fd, write_fd);
		return -1;
	}
	slots_grow(l, (int)wid);
	if (l->slots[wid - 1]) {  /* made already (a spawn before the restore?): that one stays */
		if (l->slots[wid - 1]->read_fd != read_fd)
			slot_discard(read_fd, write_fd);
		return -1;
	}
	s = l->slots[wid - 1] = slot_make(l, (int)wid, read_fd, write_fd);
	slot_queue_restore(s, j);
	s->burst = (unsigned long long)json_integer_value(json_object_get(j, "burst"));
	if (s->burst) {
		ev_timer_set(&s->burst_timer, DROPS_TOLD_AFTER, 0.);
		ev_timer_start(l->watcher->loop, &s->burst_timer);
	}
	if (s->head)  /* the pipe was full: written as it has room */
		ev_io_start(l->watcher->loop, &s->writable);
	return 0;
}

/* The slots of a listener whose watcher is gone: their pipes are closed. */
static int slots_discard(const json_t *slots)
{
	const json_t *j;
	size_t i;

	json_array_foreach(slots, i, j) {
		const json_t *rfd = json_object_get(j, "read_fd"), *wfd = json_object_get(j, "write_fd");
		slot_discard(json_is_integer(rfd) ? (int)json_integer_value(rfd) : -1,
			     json_is_integer(wfd) ? (int)json_integer_value(wfd) : -1);
	}
	return (int)json_array_size(slots);
}

int listeners_restore(const json_t *saved, struct watcher *(*find)(const char *name, void *arg),
		      void *arg)
{
	const json_t *j, *slot;
	size_t i, k;
	int bad = 0;

	json_array_foreach(saved, i, j) {
		const char *name = json_string_value(json_object_get(j, "watcher"));
		const json_t *slots = json_object_get(j, "slots");
		struct watcher *w = name ? find(name, arg) : NULL;
		if (w == NULL) {
			bad += slots_discard(slots);
			continue;
		}
		struct listener *l = listener_of(w);
		l->dropped += (unsigned long long)json_integer_value(json_object_get(j, "dropped"));
		json_array_foreach(slots, k, slot)
			if (slot_restore(l, slot) < 0)
				bad++;
	}
	if (bad)
		log_warnx("re-exec: %d saved event listener pipe%s could not be restored", bad,
			  bad == 1 ? "" : "s");
	return bad ? -1 : 0;
}
