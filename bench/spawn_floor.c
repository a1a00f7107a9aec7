/* spawn_floor.c - the floor for "time to have N sleep processes running".
 *
 *   spawn_floor [N]        (default 1000)
 *
 * posix_spawn's N `sleep 3600` processes in a loop, each in its own process group as a supervisor
 * would put them and with an empty environment as cirqued gives them by default (the locale
 * variables alone make each `sleep` load locale files: ~20% more time), waits until every one of them runs `sleep` (/proc/PID/comm == "sleep", so its
 * exec is done), prints the elapsed wall time in ms (CLOCK_MONOTONIC) on stdout, then kills and
 * reaps them all. No supervisor can start N processes faster than this on the same machine. */
#include "proc.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

static pid_t *pids;
static volatile sig_atomic_t npids;

/* Ctrl-C or a kill from the benchmark's cleanup: leave no sleep behind. */
static void on_signal(int sig)
{
	for (int i = 0; i < npids; i++)
		kill(pids[i], SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	char *child_argv[] = { "sleep", "3600", NULL };
	char *child_env[] = { NULL };
	unsigned char *running;
	posix_spawnattr_t attr;
	double t0, elapsed;
	int left, rc = 0;

	if (n <= 0) {
		fprintf(stderr, "usage: spawn_floor [N]\n");
		return 2;
	}
	pids = calloc((size_t)n, sizeof(pid_t));
	running = calloc((size_t)n, 1);
	if (pids == NULL || running == NULL) {
		fprintf(stderr, "spawn_floor: out of memory\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);

	t0 = now_ms();
	for (int i = 0; i < n; i++) {
		pid_t pid;
		int err = posix_spawnp(&pid, "sleep", NULL, &attr, child_argv, child_env);
		if (err != 0) {
			fprintf(stderr, "spawn_floor: posix_spawn #%d: %s\n", i, strerror(err));
			rc = 1;
			break;
		}
		pids[i] = pid;
		npids = i + 1;
	}
	/* Every process must actually be running sleep, not just exist. */
	for (left = npids; left > 0;) {
		for (int i = 0; i < npids; i++) {
			if (!running[i] && comm_is(pids[i], "sleep")) {
				running[i] = 1;
				left--;
			}
		}
		if (left > 0) {
			if (now_ms() - t0 > 60000) {
				fprintf(stderr, "spawn_floor: %d processes not running sleep after 60 s\n",
					left);
				rc = 1;
				break;
			}
			sleep_us(100);
		}
	}
	elapsed = now_ms() - t0;
	if (rc == 0)
		printf("%.3f\n", elapsed);
	fflush(stdout);

	for (int i = 0; i < npids; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < npids; i++)
		waitpid(pids[i], NULL, 0);
	posix_spawnattr_destroy(&attr);
	return rc;
}
