/* spawn_stub.c - replaces spawn.c in the control fuzzer and in test_watcher: a daemon state without
 * real processes. By default every spawn fails as fork would under EAGAIN, so watchers go through
 * backoff and FATAL, and no signal is ever sent to a real pid. A test may ask for made-up pids
 * instead (spawn_stub.h). */
#include "spawn_stub.h"

#include <errno.h>

bool spawn_stub_fake_pids;
spawn_stub_hook spawn_stub_on_spawn;

/* Far above any pid_max (at most 2^22): no real process has one. */
static pid_t next_fake_pid = SPAWN_STUB_FIRST_PID;

void spawn_init(void)
{
}

pid_t spawn_process(const struct spawn_request *req, const char **failed_step)
{
	if (spawn_stub_fake_pids) {
		pid_t pid = next_fake_pid++;
		if (spawn_stub_on_spawn)
			spawn_stub_on_spawn(req, pid);
		return pid;
	}
	*failed_step = "fork";
	errno = EAGAIN;
	return -1;
}
