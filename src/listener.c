/* listener.c - event listeners: watcher events as JSON lines on the stdin of a watcher's
 * processes, through a pipe and a bounded queue per slot (listener.h). */
#include "listener.h"

#include "fdlimit.h"
#include "log.h"
#include "watcher.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
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

static void slot_push(struct listener_slot *s, const char *line, size_t len)
{
	struct pending *p = xmalloc(sizeof(*p) + len);
	int limit = s->owner->watcher->config->listen.queue;

	while (s->nqueued >= limit && s->nqueued > 0 && (s->offset == 0 || s->head->next))
		drop_oldest(s);
	p->next = NULL;
	p->len = len;
	memcpy(p->text, line, len);
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	s->nqueued++;
	if (!ev_is_active(&s->writable))  /* else the pipe is full: the io watcher writes it */
		slot_flush(s);
}

/* --- slots ------------------------------------------------------------------------------------ */

static struct listener_slot *slot_new(struct listener *l, int wid)
{
	struct listener_slot *s;
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
	s = xcalloc(1, sizeof(*s));
	s->owner = l;
	s->wid = wid;
	s->read_fd = fds[0];
	s->write_fd = fds[1];
	ev_io_init(&s->writable, on_writable, s->write_fd, EV_WRITE);
	s->writable.data = s;
	ev_timer_init(&s->burst_timer, on_burst_timer, DROPS_TOLD_AFTER, 0.);
	s->burst_timer.data = s;
	return s;
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

int listener_stdin(struct watcher *w, int wid, int fallback)
{
	struct listener *l = find_listener(w);

	if (w->config->listen.events == 0 || wid < 1)
		return fallback;
	if (l == NULL) {
		l = xcalloc(1, sizeof(*l));
		l->watcher = w;
		l->next = listeners;
		listeners = l;
	}
	if (wid > l->nslots) {
		l->slots = xreallocarray(l->slots, (size_t)wid, sizeof(*l->slots));
		memset(l->slots + l->nslots, 0, (size_t)(wid - l->nslots) * sizeof(*l->slots));
		l->nslots = wid;
	}
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
