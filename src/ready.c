/* ready.c - readiness probes (see ready.h). */
#include "ready.h"

#include "endpoint.h"
#include "fdlimit.h"
#include "log.h"
#include "safefs.h"
#include "xmalloc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define PROBE_INTERVAL 0.1

/* --- tcp / unix: a connection attempt every PROBE_INTERVAL ------------------------------------ */

/* Starts a non-blocking connection attempt: 1 connected, 0 in progress (*fd kept), -1 failed. */
static int start_connect(const struct watcher_config *c, int *fd_out)
{
	int fd, rc;

	if (c->ready == READY_UNIX) {
		/* As root, through no link the program's user planted: the socket found by a safe
		 * walk, reached by its descriptor (safefs.h). */
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		char why[SAFEFS_WHY];
		struct safe_file sock;
		if (safe_socket_open(c->ready_path, &sock, NULL, why) < 0)
			return -1;  /* not there yet, or refused */
		snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d", sock.fd);
		fd = fd_keep(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
		rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		int saved = errno;
		close(sock.fd);
		errno = saved;
		if (fd < 0)
			return -1;
	} else {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
					     .sin6_port = htons((uint16_t)c->ready_port) };
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons((uint16_t)c->ready_port) };
		bool v6 = inet_pton(AF_INET6, c->ready_host, &sin6.sin6_addr) == 1;
		if (!v6 && inet_pton(AF_INET, strcmp(c->ready_host, "localhost") == 0 ? "127.0.0.1"
							: c->ready_host, &sin.sin_addr) != 1)
			return -1;  /* names are not resolved here: resolving could block */
		fd = fd_keep(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
				    0));
		if (fd < 0)
			return -1;
		rc = v6 ? connect(fd, (struct sockaddr *)&sin6, sizeof(sin6))
			: connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	if (rc == 0) {
		close(fd);
		return 1;
	}
	if (errno == EINPROGRESS || errno == EAGAIN) {
		*fd_out = fd;
		return 0;
	}
	close(fd);
	return -1;
}

/* A connection in progress: 1 it succeeded, 0 still going, -1 it failed. Never waits. */
static int finish_connect(int fd)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	int error = 0;
	socklen_t len = sizeof(error);

	if (poll(&pfd, 1, 0) == 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error != 0)
		return -1;
	return 1;
}

static void on_probe(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct readiness *r = t->data;

	(void)loop;
	(void)revents;
	int rc;

	if (!r->watching)
		return;
	if (r->probe_fd >= 0) {
		rc = finish_connect(r->probe_fd);
		if (rc != 0) {
			close(r->probe_fd);
			r->probe_fd = -1;
		}
	} else {
		rc = start_connect(*r->config, &r->probe_fd);
	}
	if (rc == 1) {
		ev_timer_stop(loop, t);
		r->on_ready(r->arg);
	}
}

/* --- notify: the child's own datagram socket ------------------------------------------------- */

/* The directory of every notify socket, "notify" in the runtime directory: made once, then kept
 * open, and removed at exit (ready_cleanup). Children that run as other users must reach their
 * socket, so both directories are searchable (0711) but not listable; everything else in the
 * runtime directory is 0600 (the control and event sockets, the lock). Both are owned by us, and
 * nobody else can create, swap or link anything in them (safe_mkdir_own checks existing ones);
 * each socket is 0600 and owned by its child. */
static int notify_dirfd = -1;
static int runtime_dirfd = -1;    /* the parent of notify_dir, to remove it at exit */
static char *notify_dir;

static int open_notify_dir(void)
{
	char why[SAFEFS_WHY], *run;

	if (notify_dirfd >= 0)
		return 0;
	run = runtime_dir();
	free(notify_dir);
	notify_dir = xasprintf("%s/notify", run);
	if (runtime_dirfd < 0)
		runtime_dirfd = safe_mkdir_own(run, RUNTIME_DIR_MODE, why);
	free(run);
	if (runtime_dirfd >= 0)
		notify_dirfd = safe_mkdir_own(notify_dir, 0711, why);
	if (notify_dirfd < 0) {
		int saved = errno;
		log_msg(LL_ERROR, "notify sockets: %s", why);
		errno = saved;
		return -1;
	}
	return 0;
}

void ready_cleanup(void)
{
	DIR *dir;
	struct dirent *e;
	int fd;

	if (notify_dirfd < 0)
		return;
	/* Only our sockets can be in it; any a process left behind go with it. */
	fd = dup(notify_dirfd);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	while (dir && (e = readdir(dir)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(notify_dirfd, e->d_name, 0);
	if (dir)
		closedir(dir);
	else if (fd >= 0)
		close(fd);
	if (unlinkat(runtime_dirfd, "notify", AT_REMOVEDIR) < 0 && errno != ENOENT)
		log_warn("cannot remove %s", notify_dir);
	close(notify_dirfd);
	close(runtime_dirfd);
	notify_dirfd = runtime_dirfd = -1;
	free(notify_dir);
	notify_dir = NULL;
}

static int open_notify_socket(struct readiness *r)
{
	static unsigned counter;
	const struct watcher_config *c = *r->config;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char name[64];
	int fd;

	if (open_notify_dir() < 0)
		return -1;
	snprintf(name, sizeof(name), "%d-%u.sock", (int)getpid(), counter++);
	free(r->notify_path);
	r->notify_path = xasprintf("%s/%s", notify_dir, name);
	if (strlen(r->notify_path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Bound through our descriptor of the directory: even if it were removed and replaced
	 * (tmpfiles aging /tmp), the socket goes where we checked. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d/%s", notify_dirfd, name);
	unlinkat(notify_dirfd, name, 0);
	fd = fd_keep(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    fchmodat(notify_dirfd, name, 0600, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (c->set_ids && fchownat(notify_dirfd, name, c->uid, c->gid, AT_SYMLINK_NOFOLLOW) < 0)) {
		int saved = errno;
		close(fd);
		unlinkat(notify_dirfd, name, 0);
		if (saved == ENOENT) {  /* the directory was removed (by root): made again next time */
			close(notify_dirfd);
			notify_dirfd = -1;
		}
		errno = saved;
		return -1;
	}
	return fd;
}

/* Handles one datagram: READY=1, STATUS=...; every descriptor passed along (BARRIER=1's) is
 * closed, or `systemd-notify --ready` would wait for ever. */
static void handle_datagram(struct readiness *r, char *data, size_t len)
{
	bool ready = false;

	data[len] = '\0';
	for (char *save, *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "READY=1") == 0) {
			ready = true;
		} else if (strncmp(line, "STATUS=", 7) == 0) {
			free(r->status);
			r->status = xstrdup(line + 7);
		}
	}
	if (ready && r->watching)
		r->on_ready(r->arg);
}

static void on_notify(struct ev_loop *loop, ev_io *io, int revents)
{
	struct readiness *r = io->data;
	char buf[4096], control[CMSG_SPACE(sizeof(int) * 16)];

	(void)loop;
	(void)revents;
	for (int i = 0; i < 16; i++) {
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				      .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(r->notify_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			int *fds = (int *)CMSG_DATA(cm);
			size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t k = 0; k < count; k++)
				close(fds[k]);
		}
		bool watching = r->watching;
		handle_datagram(r, buf, (size_t)n);
		if (watching && !r->watching)
			return;  /* ready now: the rest waits for the next callback */
	}
}

void ready_init(struct readiness *r, struct ev_loop *loop, struct watcher_config *const *config,
		ready_fn on_ready, void *arg)
{
	*r = (struct readiness){ .loop = loop, .config = config, .on_ready = on_ready, .arg = arg,
				 .probe_fd = -1, .notify_fd = -1 };
}

int ready_prepare(struct readiness *r)
{
	if ((*r->config)->ready != READY_NOTIFY)
		return 0;
	r->notify_fd = open_notify_socket(r);
	return r->notify_fd < 0 ? -1 : 0;
}

void ready_watch(struct readiness *r)
{
	const struct watcher_config *c = *r->config;

	r->watching = true;
	if (c->ready == READY_TCP || c->ready == READY_UNIX) {
		ev_timer_init(&r->probe, on_probe, PROBE_INTERVAL / 2, PROBE_INTERVAL);
		r->probe.data = r;
		ev_timer_start(r->loop, &r->probe);
	} else if (c->ready == READY_NOTIFY && r->notify_fd >= 0) {
		ev_io_init(&r->notify, on_notify, r->notify_fd, EV_READ);
		r->notify.data = r;
		ev_io_start(r->loop, &r->notify);
	}
}

void ready_unwatch(struct readiness *r, bool close_socket)
{
	r->watching = false;
	ev_timer_stop(r->loop, &r->probe);
	if (r->probe_fd >= 0) {
		close(r->probe_fd);
		r->probe_fd = -1;
	}
	if (close_socket && r->notify_fd >= 0) {
		ev_io_stop(r->loop, &r->notify);
		close(r->notify_fd);
		r->notify_fd = -1;
		if (r->notify_path && notify_dirfd >= 0)
			unlinkat(notify_dirfd, strrchr(r->notify_path, '/') + 1, 0);
	}
}

void ready_free(struct readiness *r)
{
	ready_unwatch(r, true);
	free(r->notify_path);
	free(r->status);
	r->notify_path = NULL;
	r->status = NULL;
}
