/* launcher.c - starts a supervisor daemon and times it from the outside, through /proc.
 *
 *   launcher -n N [-c COMM] [-t TIMEOUT_S] [-s STOPSIG] [-l LOGFILE] -- DAEMON [ARGS...]
 *
 * It reads the clock, forks and execs DAEMON (stdout and stderr to LOGFILE), then polls
 * /proc/DPID/task/DPID/children until N children of the daemon run COMM (default "sleep"). It
 * writes one line per event on its stdout:
 *
 *   pid DPID
 *   ready DPID MS COUNT CPU_MS       N children run COMM, MS after the fork; CPU_MS: the daemon's
 *                                    user+system CPU time so far
 *   timeout DPID MS COUNT CPU_MS     TIMEOUT_S passed first
 *   stopping SIG                     on SIGUSR1 it sends STOPSIG (default TERM) to the daemon
 *   exited STATUS STOP_MS ALIVE ZOMBIES
 *                                    the daemon is gone: its wait status as a shell would show it
 *                                    (code, or 128+signal), the ms from the stop signal to its
 *                                    exit (-1 if we sent none), and what it left behind
 *
 * The launcher is a child subreaper, so whatever the daemon leaves behind is re-parented to it:
 * it counts those processes (alive, and zombies nobody reaped), kills them, reaps them and exits.
 * On SIGTERM, SIGINT or SIGHUP it kills the daemon and everything left with SIGKILL: the
 * benchmark's cleanup only needs to signal the launchers it started. It gets SIGTERM too when its
 * parent dies (PR_SET_PDEATHSIG), so even a kill -9 of the benchmark script leaves nothing. */
#include "proc.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static int shell_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Kills every remaining child of ours (the daemon's orphans), reaps them all; returns how many
 * were alive and how many were zombies already when first looked at. */
static void kill_leftovers(int *alive, int *zombies)
{
	struct children self;
	pid_t me = getpid();
	int a = 0, z = 0, first = 1;

	if (children_open(&self, me) < 0) {
		*alive = *zombies = -1;
		return;
	}
	for (int round = 0; round < 100; round++) {
		int n = children_read(&self);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (first) {
				if (is_zombie(self.pids[i]))
					z++;
				else
					a++;
			}
			kill(self.pids[i], SIGKILL);
		}
		first = 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sleep_us(2000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	children_close(&self);
	*alive = a;
	*zombies = z;
}

static void usage(void)
{
	fprintf(stderr, "usage: launcher -n N [-c COMM] [-t TIMEOUT_S] [-s STOPSIG] [-l LOGFILE] "
			"-- DAEMON [ARGS...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *comm = "sleep", *logfile = "/dev/null";
	int want = -1, stopsig = SIGTERM, opt, status = 0, daemon_done = 0, ready = 0;
	double timeout_s = 60, t0, tstop = -1;
	sigset_t set, empty;
	struct children kids;
	struct seen seen;
	pid_t dpid;

	while ((opt = getopt(argc, argv, "n:c:t:s:l:")) != -1) {
		switch (opt) {
		case 'n': want = atoi(optarg); break;
		case 'c': comm = optarg; break;
		case 't': timeout_s = atof(optarg); break;
		case 's': stopsig = atoi(optarg); break;
		case 'l': logfile = optarg; break;
		default: usage();
		}
	}
	if (want < 0 || optind >= argc)
		usage();

	sigemptyset(&empty);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		perror("launcher: PR_SET_CHILD_SUBREAPER");
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		perror("launcher: PR_SET_PDEATHSIG");
	if (getppid() == 1)
		return 1;   /* the parent is already gone */
	seen_init(&seen);

	t0 = now_ms();
	dpid = fork();
	if (dpid < 0) {
		perror("launcher: fork");
		return 1;
	}
	if (dpid == 0) {
		int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int null = open("/dev/null", O_RDONLY);
		if (fd < 0 || null < 0)
			_exit(126);
		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
		if (null > 2)
			close(null);
		sigprocmask(SIG_SETMASK, &empty, NULL);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	out("pid %d\n", (int)dpid);
	if (children_open(&kids, dpid) < 0) {
		perror("launcher: open children");
		kill(dpid, SIGKILL);
		return 1;
	}

	for (;;) {
		struct timespec zero = { 0, 0 };
		siginfo_t si;
		int sig;

		if (!ready && !daemon_done) {
			int n = children_read(&kids);
			int count = n < 0 ? 0 : seen_count(&seen, &kids, comm);
			double t = now_ms() - t0;
			if (count >= want) {
				out("ready %d %.3f %d %.0f\n", (int)dpid, t, count, proc_cpu_ms(dpid));
				ready = 1;
			} else if (t > timeout_s * 1000) {
				out("timeout %d %.3f %d %.0f\n", (int)dpid, t, count, proc_cpu_ms(dpid));
				ready = 1;
			}
		}
		if (!ready && !daemon_done) {
			sig = sigtimedwait(&set, &si, &zero);
			if (sig < 0)
				sleep_us(500);
		} else {
			sig = sigwaitinfo(&set, &si);
		}
		if (sig < 0)
			continue;
		switch (sig) {
		case SIGUSR1:
		case SIGUSR2:
			if (!daemon_done) {
				int s = sig == SIGUSR1 ? stopsig : SIGQUIT;
				tstop = now_ms();
				kill(dpid, s);
				out("stopping %d\n", s);
			}
			break;
		case SIGTERM:
		case SIGINT:
		case SIGHUP: {
			int alive, zombies;
			if (!daemon_done) {
				kill(dpid, SIGKILL);
				waitpid(dpid, NULL, 0);
			}
			kill_leftovers(&alive, &zombies);
			out("killed %d %d\n", alive, zombies);
			return 1;
		}
		case SIGCHLD:
			for (;;) {
				pid_t p = waitpid(-1, &status, WNOHANG);
				if (p <= 0)
					break;
				if (p == dpid) {
					double t = now_ms();
					int alive, zombies;
					daemon_done = 1;
					kill_leftovers(&alive, &zombies);
					out("exited %d %.3f %d %d\n", shell_status(status),
					    tstop < 0 ? -1.0 : t - tstop, alive, zombies);
					children_close(&kids);
					return 0;
				}
			}
			break;
		}
	}
}
