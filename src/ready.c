/* ready.c - readiness probes (see ready.h). */
#include "ready.h"

#include "endpoint.h"
#include "fdlimit.h"
#include "log.h"
#include "parse.h"
#include "reexec.h"
#include "safefs.h"
#include "xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define PROBE_INTERVAL 0.1

/* --- tcp / unix: a connection attempt every PROBE_INTERVAL ------------------------------------ */

/* Remembers why the last attempt failed, for status and for the ready_timeout message. */
static void note_failure(struct readiness *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note_failure(struct readiness *r, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (r->failure && strcmp(r->failure, text) == 0)
		return;  /* the same as 100 ms ago */
	free(r->failure);
	r->failure = xstrdup(text);
}

/* What this process's probe connects to, $(circus.wid) substituted now: its address (tcp) or path
 * (unix), and "tcp 127.0.0.1:8081" or "unix /run/app-1.sock" in NAME. -1 (reason noted) when the
 * substitution gives no valid address. */
struct probe_target {
	char name[256];
	struct sockaddr_storage addr;
	socklen_t len;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int resolve_target(struct readiness *r, struct probe_target *t)
{
	const struct watcher_config *c = *r->config;
	char why[256];
	int rc = 0;

	if (c->ready == READY_UNIX) {
		char *path = substitute_vars(c->ready_path, r->wid, NULL, 0);
		snprintf(t->name, sizeof(t->name), "unix %s", path);
		if (strlen(path) >= sizeof(t->path)) {
			note_failure(r, "%s: longer than a unix socket path can be", t->name);
			rc = -1;
		} else {
			strcpy(t->path, path);
		}
		free(path);
		return rc;
	}
	char *host = substitute_vars(c->ready_host, r->wid, NULL, 0);
	char *port = substitute_vars(c->ready_port, r->wid, NULL, 0);
	bool v6 = strchr(host, ':') && host[0] != '[';
	snprintf(t->name, sizeof(t->name), v6 ? "tcp [%s]:%s" : "tcp %s:%s", host, port);
	if (parse_tcp_address(host, port, &t->addr, &t->len, why, sizeof(why)) < 0) {
		note_failure(r, "%s: %s", t->name, why);
		rc = -1;
	}
	free(host);
	free(port);
	return rc;
}

/* A failed connect(2) to T, noted: "tcp 127.0.0.1:8080 refused", "...: Network unreachable". */
static void note_connect_failure(struct readiness *r, const char *target, int error)
{
	if (error == ECONNREFUSED)
		note_failure(r, "%s refused", target);
	else
		note_failure(r, "%s: %s", target, strerror(error));
}

/* The unix socket, found by a safe walk: a refusal other than "not there yet" (a link someone
 * planted, a directory others can change) will not go away by waiting: it is logged, once. */
static int open_unix_target(struct readiness *r, const struct probe_target *t, int *sock_fd)
{
	char why[SAFEFS_WHY];
	struct safe_file sock;

	if (safe_socket_open(t->path, &sock, NULL, why) < 0) {
		int error = errno;
		if (error != ENOENT && !r->refusal_logged) {
			log_warnx("watcher %s[%d]: ready probe refused: %s", (*r->config)->name, r->wid,
				  why);
			r->refusal_logged = true;
		}
		note_failure(r, "unix %s", why);
		return -1;
	}
	*sock_fd = sock.fd;
	return 0;
}

/* Starts a non-blocking connection attempt: 1 connected, 0 in progress (*fd kept), -1 failed. */
static int start_connect(struct readiness *r, int *fd_out)
{
	const struct watcher_config *c = *r->config;
	struct probe_target t;
	int fd, rc;

	if (resolve_target(r, &t) < 0)
		return -1;
	snprintf(r->target, sizeof(r->target), "%s", t.name);
	if (c->ready == READY_UNIX) {
		/* As root, through no link the program's user planted: the socket found by a safe
		 * walk, reached by its descriptor (safefs.h). */
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int sock_fd;
		if (open_unix_target(r, &t, &sock_fd) < 0)
			return -1;  /* not there yet, or refused */
		snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d", sock_fd);
		fd = fd_keep(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
		rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		int saved = errno;
		close(sock_fd);
		errno = saved;
	} else {
		fd = fd_keep(socket(t.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
		rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&t.addr, t.len);
	}
	if (fd < 0) {
		note_failure(r, "%s: cannot make a socket: %s", t.name, strerror(errno));
		return -1;
	}
	if (rc == 0) {
		close(fd);
		return 1;
	}
	if (errno == EINPROGRESS || errno == EAGAIN) {
		*fd_out = fd;
		return 0;
	}
	note_connect_failure(r, t.name, errno);
	close(fd);
	return -1;
}

/* A connection in progress: 1 it succeeded, 0 still going, -1 it failed. Never waits. */
static int finish_connect(struct readiness *r, int fd)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	int error = 0;
	socklen_t len = sizeof(error);

	if (poll(&pfd, 1, 0) == 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	if (error != 0) {
		note_connect_failure(r, r->target, error);
		return -1;
	}
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
		rc = finish_connect(r, r->probe_fd);
		if (rc != 0) {
			close(r->probe_fd);
			r->probe_fd = -1;
		}
	} else {
		rc = start_connect(r, &r->probe_fd);
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
		int wid, ready_fn on_ready, void *arg)
{
	*r = (struct readiness){ .loop = loop, .config = config, .wid = wid, .on_ready = on_ready,
				 .arg = arg, .probe_fd = -1, .notify_fd = -1 };
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
	free(r->failure);
	r->failure = NULL;
	r->target[0] = '\0';
	r->refusal_logged = false;
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
	free(r->failure);
	r->notify_path = NULL;
	r->status = NULL;
	r->failure = NULL;
}

void ready_why_not(const struct readiness *r, char *out, size_t size)
{
	const struct watcher_config *c = *r->config;

	if (r->failure)
		snprintf(out, size, "%s", r->failure);
	else if (c->ready == READY_NOTIFY && r->status)
		snprintf(out, size, "no READY=1 yet; its STATUS: %s", r->status);
	else if (c->ready == READY_NOTIFY)
		snprintf(out, size, "no READY=1 on its NOTIFY_SOCKET");
	else if (c->ready == READY_EXIT)
		snprintf(out, size, "a job (ready: exit): done when it exits");
	else if (r->probe_fd >= 0 && r->target[0])
		snprintf(out, size, "%s: no answer yet", r->target);
	else
		snprintf(out, size, "not probed yet");
}

json_t *ready_save(const struct readiness *r)
{
	if (r->notify_fd < 0 && r->status == NULL)
		return NULL;
	reexec_keep_fd(r->notify_fd);
	return json_pack("{s:i, s:s?, s:s?}", "notify_fd", r->notify_fd, "notify_path",
			 r->notify_path, "status", r->status);
}

void ready_restore(struct readiness *r, const json_t *saved, bool starting)
{
	json_t *fd = json_object_get(saved, "notify_fd");
	const char *path = json_string_value(json_object_get(saved, "notify_path"));
	const char *status = json_string_value(json_object_get(saved, "status"));

	if (saved && json_is_integer(fd) && json_integer_value(fd) >= 0) {
		open_notify_dir();  /* to remove the socket file once the process is gone */
		r->notify_fd = (int)json_integer_value(fd);
		r->notify_path = path ? xstrdup(path) : NULL;
	}
	r->status = status ? xstrdup(status) : NULL;
	if (starting) {
		ready_watch(r);  /* probes begin anew: a tcp or unix probe connects again */
	} else if (r->notify_fd >= 0) {
		/* Up already: the socket is still read for STATUS= (as after ready_unwatch). */
		ev_io_init(&r->notify, on_notify, r->notify_fd, EV_READ);
		r->notify.data = r;
		ev_io_start(r->loop, &r->notify);
	}
}
