/* connlimit.c - see connlimit.h.
 *
 * libzmq accepts every client that connects, each costing a descriptor, and nothing in its API
 * bounds how many. A monitor (zmq_socket_monitor over inproc) reports each connection accepted
 * and each that ended, with its descriptor; one beyond the limit is shut down at once (libzmq
 * sees the end of the stream and closes it; the client sees a disconnection and retries later)
 * and a warning says so, at most every 10 s per socket, with a count. That comes after the fact
 * and a burst can get ahead of it, so accept_guard.c refuses in libzmq's own thread any
 * connection that would take the table's last descriptors; libzmq reports those as failed
 * accepts, which are logged here the same way.
 *
 * A descriptor number is reused as soon as libzmq closes it, and the events reach us later: a
 * connection is shut down only if its descriptor is still a connected socket with the watched
 * socket's local address, and before refusing anyone the count is checked against the
 * descriptors themselves (inode), in case the end of one was missed. */
#include "connlimit.h"

#include "accept_guard.h"
#include "fdlimit.h"
#include "log.h"
#include "zwatch.h"
#include "xmalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <zmq.h>

#define MAX_SOCKETS 3                 /* control, events, operator */
#define EVENTS_PER_ITERATION 256
#define WARNING_INTERVAL 10.0
#define RECOUNT_INTERVAL 1.0

/* A connection libzmq accepted and has not closed yet, as far as we know. */
struct connection {
	int fd;
	int socket;                   /* index in connlimit.sockets */
	ino_t ino;                    /* 0 if it was gone when we heard of it */
};

struct watched {
	struct connlimit *owner;
	void *socket;                 /* the daemon's bound socket */
	void *monitor;                /* our end (ZMQ_PAIR) of its monitor */
	struct zwatch watch;          /* the monitor on the loop */
	char name[16];                /* "control", "events": for messages */
	int family;                   /* its local address: AF_UNIX and a path ('@': abstract), */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int port;                     /* or AF_INET (v4 or v6) and a port */
	long refused;                 /* connections refused since the last warning */
	ev_tstamp last_warning;
};

struct connlimit {
	struct ev_loop *loop;
	void *zmq;
	int limit;                    /* connections allowed on all the sockets together */
	struct connection *open;      /* the connections open, in no order */
	int nopen, capacity;
	struct watched sockets[MAX_SOCKETS];
	int nsockets;
	ev_tstamp last_recount;
};

/* --- what a descriptor is ------------------------------------------------------------------- */

/* The local address of W's socket, from the endpoint libzmq bound. */
static int learn_local_address(struct watched *w)
{
	char endpoint[256];
	size_t len = sizeof(endpoint);
	const char *colon;

	if (zmq_getsockopt(w->socket, ZMQ_LAST_ENDPOINT, endpoint, &len) < 0)
		return -1;
	if (strncmp(endpoint, "ipc://", 6) == 0 && strlen(endpoint + 6) < sizeof(w->path)) {
		w->family = AF_UNIX;
		strcpy(w->path, endpoint + 6);
		return 0;
	}
	if (strncmp(endpoint, "tcp://", 6) == 0 && (colon = strrchr(endpoint, ':')) != NULL) {
		w->family = AF_INET;
		w->port = atoi(colon + 1);
		return 0;
	}
	return -1;
}

static bool same_unix_path(const struct watched *w, const struct sockaddr_un *sun, socklen_t len)
{
	size_t path_len = len > offsetof(struct sockaddr_un, sun_path)
				  ? len - offsetof(struct sockaddr_un, sun_path) : 0;

	if (w->path[0] == '@')  /* abstract: a NUL, then the name, not NUL-terminated */
		return path_len == strlen(w->path) && sun->sun_path[0] == '\0' &&
		       memcmp(sun->sun_path + 1, w->path + 1, path_len - 1) == 0;
	return path_len > 0 && strncmp(sun->sun_path, w->path, path_len) == 0 &&
	       strlen(w->path) <= path_len;
}

/* FD is still a connection accepted on W's socket: connected (not listening), with its address. */
static bool is_connection_of(const struct watched *w, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int listening = 0;
	socklen_t optlen = sizeof(listening);
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) < 0 || listening ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_UNIX)
		return w->family == AF_UNIX && same_unix_path(w, (struct sockaddr_un *)&ss, len);
	if (ss.ss_family == AF_INET)
		return w->family == AF_INET && ntohs(((struct sockaddr_in *)&ss)->sin_port) == w->port;
	if (ss.ss_family == AF_INET6)
		return w->family == AF_INET && ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == w->port;
	return false;
}

static ino_t inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
}

/* --- the count -------------------------------------------------------------------------------- */

static int find_connection(const struct connlimit *cl, int fd)
{
	for (int i = 0; i < cl->nopen; i++)
		if (cl->open[i].fd == fd)
			return i;
	return -1;
}

static void forget_connection(struct connlimit *cl, int i)
{
	cl->open[i] = cl->open[--cl->nopen];
}

/* Forgets the connections whose descriptor is no longer theirs (an end we did not hear of).
 * At most once a second: it costs a system call per connection. */
static void recount(struct connlimit *cl)
{
	ev_tstamp now = ev_now(cl->loop);

	if (now - cl->last_recount < RECOUNT_INTERVAL)
		return;
	cl->last_recount = now;
	for (int i = cl->nopen - 1; i >= 0; i--)
		if (cl->open[i].ino == 0 || inode_of(cl->open[i].fd) != cl->open[i].ino)
			forget_connection(cl, i);
}

/* A warning for W, at most every WARNING_INTERVAL, with the count of refusals since the last. */
static void note_refusal(struct watched *w, const char *why)
{
	ev_tstamp now = ev_now(w->owner->loop);

	w->refused++;
	if (w->last_warning > 0 && now - w->last_warning < WARNING_INTERVAL)
		return;
	log_warnx("%s: refusing connections: %s (%ld refused%s)", w->name, why, w->refused,
		  w->last_warning > 0 ? " since the last message" : "");
	w->last_warning = now;
	w->refused = 0;
}

static void connection_opened(struct watched *w, int fd)
{
	struct connlimit *cl = w->owner;
	int i = find_connection(cl, fd);
	char why[160];

	if (i < 0 && cl->nopen == cl->capacity) {
		int capacity = cl->capacity ? cl->capacity * 2 : 64;
		cl->open = xreallocarray(cl->open, (size_t)capacity, sizeof(*cl->open));
		cl->capacity = capacity;
	}
	if (i < 0)
		i = cl->nopen++;
	cl->open[i] = (struct connection){ .fd = fd, .socket = (int)(w - cl->sockets),
					   .ino = inode_of(fd) };
	if (cl->nopen <= cl->limit)
		return;
	recount(cl);
	if (cl->nopen <= cl->limit || !is_connection_of(w, fd))
		return;
	/* The newest goes: those already in keep working. libzmq closes it on the end of stream. */
	shutdown(fd, SHUT_RDWR);
	snprintf(why, sizeof(why), "%d open on the control and event sockets, the limit for %d "
		 "descriptors is %d", cl->nopen, fd_table_size(), cl->limit);
	note_refusal(w, why);
}

static void connection_closed(struct watched *w, int fd)
{
	struct connlimit *cl = w->owner;
	int i = find_connection(cl, fd);

	if (i >= 0 && cl->open[i].socket == (int)(w - cl->sockets))
		forget_connection(cl, i);
}

/* --- the monitors ----------------------------------------------------------------------------- */

/* Reads one monitor event, [event (16 bits) and value (32 bits), endpoint]. Returns false when
 * none is waiting; *EVENT is 0 for a malformed one. */
static bool receive_event(void *monitor, uint16_t *event, uint32_t *value)
{
	zmq_msg_t frame;
	int more = 0, frames = 0;
	size_t len;

	*event = 0;
	do {
		zmq_msg_init(&frame);
		if (zrecv(&frame, monitor, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&frame);
			return frames > 0;
		}
		if (frames++ == 0 && zmq_msg_size(&frame) == sizeof(*event) + sizeof(*value)) {
			memcpy(event, zmq_msg_data(&frame), sizeof(*event));
			memcpy(value, (char *)zmq_msg_data(&frame) + sizeof(*event), sizeof(*value));
		}
		zmq_msg_close(&frame);
		len = sizeof(more);
		if (zgetsockopt(monitor, ZMQ_RCVMORE, &more, &len) < 0)
			more = 0;
	} while (more);
	return true;
}

static void on_monitor_input(struct zwatch *z)
{
	struct watched *w = z->data;
	uint16_t event;
	uint32_t value = 0;
	char why[96];

	for (int i = 0; i < EVENTS_PER_ITERATION && receive_event(w->monitor, &event, &value); i++) {
		if (event == ZMQ_EVENT_ACCEPTED) {
			connection_opened(w, (int)value);
		} else if (event == ZMQ_EVENT_DISCONNECTED) {
			connection_closed(w, (int)value);
		} else if (event == ZMQ_EVENT_ACCEPT_FAILED && value == ECONNABORTED) {
			snprintf(why, sizeof(why), "the descriptor table is nearly full (%d descriptors; "
				 "%ld refused in all)", fd_table_size(), accept_guard_refused());
			note_refusal(w, why);
		}
	}
}

struct connlimit *connlimit_open(struct ev_loop *loop, void *zmq_context, int limit)
{
	struct connlimit *cl = xcalloc(1, sizeof(*cl));

	cl->loop = loop;
	cl->zmq = zmq_context;
	cl->limit = limit;
	return cl;
}

int connlimit_watch(struct connlimit *cl, void *socket, const char *name)
{
	struct watched *w = &cl->sockets[cl->nsockets];
	int zero = 0;
	char endpoint[64];

	if (cl->nsockets == MAX_SOCKETS)
		return -1;
	*w = (struct watched){ .owner = cl, .socket = socket };
	snprintf(w->name, sizeof(w->name), "%s", name);
	if (learn_local_address(w) < 0) {
		log_errorx("%s: cannot tell the address of the socket", name);
		return -1;
	}
	snprintf(endpoint, sizeof(endpoint), "inproc://cirque-connlimit-%d", cl->nsockets);
	if (zmq_socket_monitor(socket, endpoint, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
					 ZMQ_EVENT_ACCEPT_FAILED) < 0) {
		log_errorx("%s: cannot monitor the socket: %s", name, zmq_strerror(zmq_errno()));
		return -1;
	}
	/* libzmq sends events from its I/O thread and blocks it when our pipe is full: no limit
	 * (there are at most a few per connection, and we read them at once). */
	w->monitor = zmq_socket(cl->zmq, ZMQ_PAIR);
	if (w->monitor == NULL || zmq_setsockopt(w->monitor, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(w->monitor, ZMQ_RCVHWM, &zero, sizeof(zero)) < 0 ||
	    zmq_connect(w->monitor, endpoint) < 0 ||
	    zwatch_start(&w->watch, cl->loop, w->monitor, on_monitor_input, w) < 0) {
		log_errorx("%s: cannot monitor the socket: %s", name, zmq_strerror(zmq_errno()));
		zmq_socket_monitor(socket, NULL, 0);
		if (w->monitor)
			zmq_close(w->monitor);
		return -1;
	}
	cl->nsockets++;
	return 0;
}

void connlimit_close(struct connlimit *cl)
{
	if (cl == NULL)
		return;
	for (int i = 0; i < cl->nsockets; i++) {
		struct watched *w = &cl->sockets[i];
		zmq_socket_monitor(w->socket, NULL, 0);
		zwatch_stop(&w->watch);
		zmq_close(w->monitor);
	}
	free(cl->open);
	free(cl);
}
