/* spawn_stub.c - replaces spawn.c in the control fuzzer: a daemon state without real processes.
 * Every spawn fails as fork would under EAGAIN, so watchers go through backoff and FATAL, and no
 * signal is ever sent to a real pid. */
#include "spawn.h"

#include <errno.h>

void spawn_init(void)
{
}

pid_t spawn_process(const struct spawn_request *req, const char **failed_step)
{
	(void)req;
	*failed_step = "fork";
	errno = EAGAIN;
	return -1;
}
