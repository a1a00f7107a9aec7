/* zbind.c - binds that keep their listening descriptor (zbind.h). */
#include "zbind.h"

#include "log.h"
#include "xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

struct bound {
	struct bound *next;
	char *endpoint;
	int fd;                       /* the listening descriptor, -1 if unknown */
	int inherited;                /* from the previous image, not bound yet: -1 once used */
};

static struct bound *bounds;

static struct bound *bound_of(const char *endpoint)
{
	struct bound *b;

	for (b = bounds; b; b = b->next)
		if (strcmp(b->endpoint, endpoint) == 0)
			return b;
	b = xcalloc(1, sizeof(*b));
	b->endpoint = xstrdup(endpoint);
	b->fd = b->inherited = -1;
	b->next = bounds;
	bounds = b;
	return b;
}

static bool is_listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/* Our listening sockets now: a bitmap of descriptors below LIMIT (malloc'd). */
static unsigned char *listening_fds(int *limit)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int max = 0, n = 0, *fds = NULL, cap = 0;

	while (d && (de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*end || de->d_name[0] == '.' || fd == dirfd(d) || !is_listening((int)fd))
			continue;
		if (n == cap)
			fds = xreallocarray(fds, (size_t)(cap = cap ? 2 * cap : 16), sizeof(*fds));
		fds[n++] = (int)fd;
		if (fd + 1 > max)
			max = (int)fd + 1;
	}
	if (d)
		closedir(d);
	unsigned char *map = xcalloc((size_t)max + 1, 1);
	for (int i = 0; i < n; i++)
		map[fds[i]] = 1;
	free(fds);
	*limit = max;
	return map;
}

int zbind(void *socket, const char *endpoint)
{
	struct bound *b = bound_of(endpoint);
	int before_limit, after_limit;

	if (b->inherited >= 0) {
		int fd = b->inherited;
		b->inherited = -1;
		if (zmq_setsockopt(socket, ZMQ_USE_FD, &fd, sizeof(fd)) == 0 &&
		    zmq_bind(socket, endpoint) == 0) {
			b->fd = fd;
			return 0;
		}
		log_warnx("cannot listen on %s with the descriptor kept across the re-exec (%s): "
			  "binding anew", endpoint, zmq_strerror(zmq_errno()));
		int minus_one = -1;
		zmq_setsockopt(socket, ZMQ_USE_FD, &minus_one, sizeof(minus_one));
	}
	/* libzmq binds in the calling thread: the listening socket that appears is this one. */
	unsigned char *before = listening_fds(&before_limit);
	int rc = zmq_bind(socket, endpoint);
	int saved = errno;
	unsigned char *after = rc == 0 ? listening_fds(&after_limit) : NULL;
	b->fd = -1;
	for (int fd = 0; after && fd < after_limit; fd++)
		if (after[fd] && (fd >= before_limit || !before[fd]))
			b->fd = fd;
	free(before);
	free(after);
	errno = saved;
	return rc;
}

int zbind_fd(const char *endpoint)
{
	for (struct bound *b = bounds; b; b = b->next)
		if (strcmp(b->endpoint, endpoint) == 0)
			return b->fd;
	return -1;
}

void zbind_inherit(const char *endpoint, int fd)
{
	bound_of(endpoint)->inherited = fd;
}

void zbind_drop_unused(void (*dropped)(const char *endpoint))
{
	for (struct bound *b = bounds; b; b = b->next) {
		if (b->inherited < 0)
			continue;
		close(b->inherited);
		b->inherited = -1;
		if (dropped)
			dropped(b->endpoint);
	}
}
