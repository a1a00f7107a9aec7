/* accept_guard.c - keeps libzmq from aborting cirqued when its descriptor table fills up.
 *
 * libzmq accepts connections in its own I/O thread, and its ipc listener asserts (aborts the
 * process) when accept() fails with anything but EAGAIN, EINTR, ECONNABORTED, EPROTO or ENFILE
 * (libzmq 4.3.4, src/ipc_listener.cpp): EMFILE, ENOBUFS and ENOMEM kill the daemon, so any local
 * client could, by connecting while the table is full. The tcp listener tolerates them, but
 * then spins on the connection left in the queue. libzmq has no hook for this, so this file
 * defines accept() and accept4() for the whole process: the executable's definition is the
 * one every shared library's call resolves to, libzmq's included. They make the system call,
 * then:
 *   - a connection that lands at or above the guard (the table's last descriptors, which are
 *     the daemon's own: fdlimit.c) is closed at once and reported as ECONNABORTED, which libzmq
 *     takes as a failed accept (a ZMQ_EVENT_ACCEPT_FAILED for connlimit.c to log) and moves on;
 *   - when the table (or the system's) is full already, the spare descriptor kept for that is
 *     closed to take the connection off the queue and close it, as nginx and libev do, and the
 *     failure becomes ECONNABORTED too.
 * cirqued itself accepts nothing: its children accept on their sockets after exec. */
#include "accept_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int guard = INT_MAX;        /* the first descriptor a connection may not have */
static atomic_long refused;               /* connections refused so far */
static atomic_int spare = -1;             /* held to be closed when the table is full */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;

static void open_spare(void)
{
	if (spare < 0)
		spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void accept_guard_init(int first_guarded_fd)
{
	pthread_mutex_lock(&spare_lock);
	open_spare();
	pthread_mutex_unlock(&spare_lock);
	atomic_store(&guard, first_guarded_fd);
}

long accept_guard_refused(void)
{
	return atomic_load(&refused);
}

static int refuse(void)
{
	atomic_fetch_add(&refused, 1);
	errno = ECONNABORTED;
	return -1;
}

/* The table is full: free the spare for a moment to take the first queued connection off the
 * listening socket (it would stay there, ready, for ever), close it, then take the spare back. */
static int refuse_queued(int listener)
{
	pthread_mutex_lock(&spare_lock);
	if (spare >= 0) {
		close(spare);
		int fd = (int)syscall(SYS_accept4, listener, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		spare = -1;
		open_spare();
	}
	pthread_mutex_unlock(&spare_lock);
	return refuse();
}

int accept4(int listener, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	int fd = (int)syscall(SYS_accept4, listener, addr, addrlen, flags);

	if (fd >= atomic_load(&guard)) {
		close(fd);
		return refuse();
	}
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		return refuse_queued(listener);
	if (fd < 0 && (errno == ENOBUFS || errno == ENOMEM))
		return refuse();
	if (fd >= 0 && spare < 0) {  /* lost when the table was full: take it back */
		pthread_mutex_lock(&spare_lock);
		open_spare();
		pthread_mutex_unlock(&spare_lock);
	}
	return fd;
}

int accept(int listener, struct sockaddr *addr, socklen_t *addrlen)
{
	return accept4(listener, addr, addrlen, 0);
}
