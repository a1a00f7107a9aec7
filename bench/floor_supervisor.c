/* floor_supervisor.c - the floor for a supervisor's respawn and stop-all at scale: the least any
 * supervisor must do, and nothing else.
 *
 *   floor_supervisor N GRACE_S CMD [ARG...]
 *
 * Spawns N copies of CMD (posix_spawnp, each in its own process group, with an empty environment,
 * as bench/spawn_floor), watches each through a pidfd (epoll: an exit costs the same whatever N),
 * and respawns a copy as soon as it exits. On SIGTERM: SIGTERM to every copy, SIGKILL to those
 * left after GRACE_S seconds, every one reaped, exit 0. No log, no control socket, no events, no
 * cgroup. bench/scale.sh runs it under the same launcher and respawn_latency as cirqued, so that
 * "respawn after kill -9" and "stop-all" have a floor measured the same way, in the same run. */
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char **child_argv;
static posix_spawnattr_t attr;
static pid_t *pids;
static int *pidfds;
static int epfd;

/* Copy I runs (again); its pidfd is in the epoll set with I as its data. */
static int spawn_copy(int i)
{
	char *child_env[] = { NULL };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
	int err = posix_spawnp(&pids[i], child_argv[0], NULL, &attr, child_argv, child_env);

	if (err != 0) {
		fprintf(stderr, "floor_supervisor: posix_spawn: %s\n", strerror(err));
		return -1;
	}
	pidfds[i] = (int)syscall(SYS_pidfd_open, pids[i], 0);
	if (pidfds[i] < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, pidfds[i], &ev) < 0) {
		fprintf(stderr, "floor_supervisor: pidfd: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Copy I has exited: reaped, its pidfd closed. */
static void reap_copy(int i)
{
	waitpid(pids[i], NULL, 0);
	epoll_ctl(epfd, EPOLL_CTL_DEL, pidfds[i], NULL);
	close(pidfds[i]);
	pids[i] = 0;
	pidfds[i] = -1;
}

int main(int argc, char **argv)
{
	struct epoll_event events[256], sev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	sigset_t mask;
	int n, sfd, left;
	double grace, deadline = 0;
	bool stopping = false, killed = false;

	if (argc < 4 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: floor_supervisor N GRACE_S CMD [ARG...]\n");
		return 2;
	}
	grace = atof(argv[2]);
	child_argv = argv + 3;
	pids = calloc((size_t)n, sizeof(pid_t));
	pidfds = calloc((size_t)n, sizeof(int));
	if (pids == NULL || pidfds == NULL)
		return 2;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &sev) < 0)
		return 2;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &(sigset_t){ 0 });
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
	for (int i = 0; i < n; i++)
		if (spawn_copy(i) < 0)
			return 1;
	for (left = n; left > 0;) {
		int timeout = -1;
		if (stopping && !killed) {
			timeout = (int)((deadline - now_ms()) + 1);
			if (timeout <= 0) {
				for (int i = 0; i < n; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGKILL);
				killed = true;
				timeout = -1;
			}
		}
		int got = epoll_wait(epfd, events, 256, timeout);
		for (int k = 0; k < got; k++) {
			uint32_t i = events[k].data.u32;
			if (i == UINT32_MAX) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) > 0 && !stopping) {
					stopping = true;
					deadline = now_ms() + grace * 1000;
					for (int j = 0; j < n; j++)
						if (pids[j] > 0)
							kill(pids[j], SIGTERM);
				}
				continue;
			}
			reap_copy((int)i);
			if (!stopping && spawn_copy((int)i) < 0)
				return 1;
			if (stopping)
				left--;
		}
	}
	return 0;
}
