/* fdlimit.c - the descriptor reserve (see fdlimit.h). */
#include "fdlimit.h"

#include "accept_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <unistd.h>

#define MIN_GUARD 8
#define MAX_GUARD 64
/* With no descriptor limit to divide. */
#define UNLIMITED_CONNECTIONS 1024

static int ceiling = INT_MAX;
static int reserve;
static int table_size;
static int connections = UNLIMITED_CONNECTIONS;
static bool (*room_maker)(void);

void fd_reserve_init(void)
{
	struct rlimit rl;
	int guard;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > INT_MAX)
		return;
	table_size = (int)rl.rlim_cur;
	reserve = (int)fd_reserve_of(table_size);
	ceiling = table_size - reserve;
	/* The reserve's top quarter is the daemon's own (a /proc file, the configuration on a
	 * reload, the log): no connection may take it. The rest is the connections'. */
	guard = reserve / 4;
	if (guard < MIN_GUARD)
		guard = MIN_GUARD;
	if (guard > MAX_GUARD)
		guard = MAX_GUARD;
	if (guard > reserve / 2)
		guard = reserve / 2;
	connections = reserve - guard;
	accept_guard_init(table_size - guard);
}

void fd_set_room_maker(bool (*make_room)(void))
{
	room_maker = make_room;
}

/* *FD, at or above the ceiling, moved below it: into a slot freed since it was opened, or else
 * into one the room maker frees. True, or false with *FD untouched. */
static bool move_below_ceiling(int *fd)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt == 1 && (room_maker == NULL || !room_maker()))
			return false;
		int low = fcntl(*fd, F_DUPFD_CLOEXEC, 0);
		if (low < 0)
			return false;
		if (low < ceiling) {
			close(*fd);
			*fd = low;
			return true;
		}
		close(low);  /* none free, or taken by another thread (libzmq) meanwhile */
	}
	return false;
}

int fd_keep(int fd)
{
	if (fd < ceiling || move_below_ceiling(&fd))
		return fd;
	close(fd);
	errno = EMFILE;
	return -1;
}

int fd_keep_spare(int fd)
{
	if (fd < ceiling)
		return fd;
	close(fd);
	errno = EMFILE;
	return -1;
}

int fd_keep_pair(int fds[2])
{
	bool low0 = fds[0] < ceiling || move_below_ceiling(&fds[0]);
	bool low1 = fds[1] < ceiling || move_below_ceiling(&fds[1]);

	if (low0 && low1)
		return 0;
	close(fds[0]);
	close(fds[1]);
	errno = EMFILE;
	return -1;
}

int fd_connection_limit(void)
{
	return connections;
}

int fd_table_size(void)
{
	return table_size;
}
