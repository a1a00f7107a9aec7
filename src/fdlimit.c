/* fdlimit.c - the descriptor reserve (see fdlimit.h). */
#include "fdlimit.h"

#include <errno.h>
#include <limits.h>
#include <sys/resource.h>
#include <unistd.h>

#define MIN_RESERVE 32
#define MAX_RESERVE 1024

static int ceiling = INT_MAX;
static int reserve;

void fd_reserve_init(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > INT_MAX)
		return;
	/* A tenth of the table, within bounds: room for many clients connecting at once. */
	reserve = (int)(rl.rlim_cur / 10);
	if (reserve < MIN_RESERVE)
		reserve = MIN_RESERVE;
	if (reserve > MAX_RESERVE)
		reserve = MAX_RESERVE;
	if (reserve > (int)rl.rlim_cur / 2)
		reserve = (int)rl.rlim_cur / 2;
	ceiling = (int)rl.rlim_cur - reserve;
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

int fd_reserve_size(void)
{
	return reserve;
}
