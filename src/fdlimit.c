/* fdlimit.c - the descriptor reserve (see fdlimit.h). */
#include "fdlimit.h"

#include "accept_guard.h"

#include <errno.h>
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

int fd_keep(int fd)
{
	if (fd < ceiling)
		return fd;
	close(fd);
	errno = EMFILE;
	return -1;
}

int fd_keep_pair(int fds[2])
{
	if (fds[0] < ceiling && fds[1] < ceiling)
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
