/* test_reaper.c - unit tests for src/reaper.c, on real child processes: an exit comes through
 * the child's pidfd, not a walk of all children per exit; an orphan goes to the orphan callback;
 * a child without a pidfd (descriptors short) or whose exit a tracer holds back is still reaped,
 * by the scan; a pipe that needs a slot below the reserve takes a pidfd's. */
#include "check.h"
#include "fdlimit.h"
#include "proc_info.h"
#include "reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ev_loop *loop;

#define MAX_CHILDREN 600

/* Each test child's slot: its watcher and what its exit reported. */
static struct slot {
	struct reaper_child child;
	pid_t pid;
	int status;
	bool done;
} slots[MAX_CHILDREN];
static int nexited;

static pid_t orphans[MAX_CHILDREN];
static int orphan_status[MAX_CHILDREN];
static int norphans;

static struct reaper_child *lookup(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (slots[i].pid == pid && slots[i].child.watched)
			return &slots[i].child;
	return NULL;
}

static void on_orphan(pid_t pid, int status)
{
	if (norphans < MAX_CHILDREN) {
		orphan_status[norphans] = status;
		orphans[norphans++] = pid;
	}
}

static void on_exit_of(struct reaper_child *c, pid_t pid, int status)
{
	struct slot *s = (struct slot *)c;

	CHECK(pid == s->pid);
	CHECK(!c->watched);
	s->status = status;
	s->done = true;
	nexited++;
}

/* A child that waits for EOF on the pipe GATE (closed by us), then exits with CODE. */
static pid_t child_exiting_on(int gate[2], int code)
{
	pid_t pid = fork();

	if (pid == 0) {
		char c;
		close(gate[1]);
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(code);
	}
	return pid;
}

/* Runs the loop until COND holds (5 seconds at most). */
#define RUN_UNTIL(cond)                                                         \
	do {                                                                    \
		double end_ = ev_time() + 5;                                    \
		while (!(cond) && ev_time() < end_)                             \
			ev_run(loop, EVRUN_ONCE);                               \
	} while (0)

static ev_timer tick;
static void on_tick(struct ev_loop *l, ev_timer *t, int revents)
{
	(void)l, (void)t, (void)revents;
}

static void reset(void)
{
	memset(slots, 0, sizeof(slots));
	nexited = norphans = 0;
}

static struct reaper_stats stats_now(void)
{
	struct reaper_stats st;

	reaper_get_stats(&st);
	return st;
}

TEST(an_exit_comes_through_the_pidfd)
{
	int gate[2];
	struct reaper_stats before = stats_now();

	reset();
	CHECK(pipe2(gate, O_CLOEXEC) == 0);
	slots[0].pid = child_exiting_on(gate, 7);
	reaper_watch(&slots[0].child, slots[0].pid, on_exit_of);
	CHECK(slots[0].child.io.fd >= 0);
	CHECK_INT(stats_now().scanned, 0);
	close(gate[1]);
	close(gate[0]);
	RUN_UNTIL(slots[0].done);
	CHECK(slots[0].done);
	CHECK(WIFEXITED(slots[0].status) && WEXITSTATUS(slots[0].status) == 7);
	CHECK_INT((long long)(stats_now().by_pidfd - before.by_pidfd), 1);
	CHECK_INT(stats_now().watched, 0);
}

/* 500 exits at once: each reaped by its pid, and the scans (a walk of all children each) stay a
 * handful, not one per exit as with waitpid(-1). */
TEST(a_storm_of_exits_costs_a_few_scans)
{
	enum { N = 500 };
	int gate[2];
	struct reaper_stats before = stats_now();

	reset();
	CHECK(pipe2(gate, O_CLOEXEC) == 0);
	for (int i = 0; i < N; i++) {
		slots[i].pid = child_exiting_on(gate, i % 200);
		reaper_watch(&slots[i].child, slots[i].pid, on_exit_of);
	}
	close(gate[1]);
	close(gate[0]);
	RUN_UNTIL(nexited == N);
	CHECK_INT(nexited, N);
	bool right = true;
	for (int i = 0; i < N; i++)
		right = right && WIFEXITED(slots[i].status) && WEXITSTATUS(slots[i].status) == i % 200;
	CHECK(right);
	struct reaper_stats after = stats_now();
	CHECK_INT(norphans, 0);
	CHECK(after.scans - before.scans < 50);
	CHECK_INT((long long)(after.by_pidfd - before.by_pidfd), N);  /* none taken by a scan */
	if (!(after.scans - before.scans < 50) || after.by_pidfd - before.by_pidfd != N)
		printf("     scans %lu, by pidfd %lu, by scan %lu\n", after.scans - before.scans,
		       after.by_pidfd - before.by_pidfd, after.by_scan - before.by_scan);
}

TEST(an_unwatched_child_is_reaped_as_an_orphan)
{
	int gate[2];

	reset();
	CHECK(pipe2(gate, O_CLOEXEC) == 0);
	pid_t stray = child_exiting_on(gate, 3);
	slots[0].pid = child_exiting_on(gate, 4);
	reaper_watch(&slots[0].child, slots[0].pid, on_exit_of);
	reaper_unwatch(&slots[0].child);  /* released: no longer ours to report */
	close(gate[1]);
	close(gate[0]);
	RUN_UNTIL(norphans == 2);
	CHECK_INT(norphans, 2);
	CHECK(!slots[0].done);
	for (int i = 0; i < norphans; i++) {
		CHECK(orphans[i] == stray || orphans[i] == slots[0].pid);
		CHECK(WEXITSTATUS(orphan_status[i]) == (orphans[i] == stray ? 3 : 4));
	}
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);  /* nothing left unreaped */
}

/* The descriptors below the reserve all taken: a child is watched without a pidfd, by the scan,
 * and a pipe that needs a slot takes one from a pidfd. */
TEST(short_of_descriptors_the_scan_reaps_and_pipes_come_first)
{
	int gate[2], fds[2], filler[128], nfiller = 0;
	struct rlimit saved, small;

	reset();
	CHECK(pipe2(gate, O_CLOEXEC) == 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &saved) == 0);
	small = saved;
	small.rlim_cur = 128;
	CHECK(setrlimit(RLIMIT_NOFILE, &small) == 0);
	fd_reserve_init();  /* 128: the reserve is the top 32 */
	slots[0].pid = child_exiting_on(gate, 1);
	reaper_watch(&slots[0].child, slots[0].pid, on_exit_of);
	CHECK(slots[0].child.io.fd >= 0 && slots[0].child.io.fd < 96);
	/* Fill what is below the ceiling. */
	for (int fd; nfiller < 128 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) {
		if (fd >= 96) {
			close(fd);
			break;
		}
		filler[nfiller++] = fd;
	}
	CHECK(fcntl(95, F_GETFD) >= 0);  /* the table is full up to the ceiling */
	slots[1].pid = child_exiting_on(gate, 2);
	reaper_watch(&slots[1].child, slots[1].pid, on_exit_of);
	CHECK(slots[1].child.io.fd < 0);
	CHECK_INT(stats_now().scanned, 1);
	/* A pipe: its ends land in the reserve, and move down into the slot of slot 0's pidfd
	 * (one end; the other has no slot left: EMFILE, both closed). */
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	close(filler[--nfiller]);  /* room for one end */
	CHECK_INT(fd_keep_pair(fds), 0);
	CHECK(fds[0] < 96 && fds[1] < 96);
	CHECK(slots[0].child.io.fd < 0);  /* its pidfd gave way */
	CHECK_INT(stats_now().scanned, 2);
	close(fds[0]);
	close(fds[1]);
	/* Slot 2 exits while the others are left to the scan: reported at once by the scan. */
	int gate2[2];
	CHECK(pipe2(gate2, O_CLOEXEC) == 0);
	slots[2].pid = child_exiting_on(gate2, 5);
	reaper_watch(&slots[2].child, slots[2].pid, on_exit_of);
	close(gate2[1]);
	close(gate2[0]);
	RUN_UNTIL(nexited == 1);
	CHECK(slots[2].done && WEXITSTATUS(slots[2].status) == 5);
	/* Descriptors again: the two get their pidfds back. */
	while (nfiller > 0)
		close(filler[--nfiller]);
	RUN_UNTIL(stats_now().scanned == 0);
	CHECK_INT(stats_now().scanned, 0);
	CHECK(slots[0].child.io.fd >= 0 && slots[1].child.io.fd >= 0);
	close(gate[1]);
	close(gate[0]);
	RUN_UNTIL(nexited == 3);
	CHECK_INT(nexited, 3);
	CHECK(WEXITSTATUS(slots[0].status) == 1 && WEXITSTATUS(slots[1].status) == 2);
	CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
	fd_reserve_init();
}

/* A tracer holds the exit back: the pidfd is readable, waitpid gets nothing; the child is left to
 * the scan (no busy loop on the pidfd), which reaps it once the tracer lets go. */
TEST(an_exit_held_by_a_tracer_is_reaped_when_let_go)
{
	int gate[2], attached[2], release[2];

	reset();
	CHECK(pipe2(gate, O_CLOEXEC) == 0 && pipe(attached) == 0 && pipe(release) == 0);
	slots[0].pid = child_exiting_on(gate, 9);
	reaper_watch(&slots[0].child, slots[0].pid, on_exit_of);
	pid_t tracer = fork();
	if (tracer == 0) {
		close(gate[1]);
		char c = ptrace(PTRACE_SEIZE, slots[0].pid, 0, 0) == 0 ? 'y' : 'n';
		if (write(attached[1], &c, 1) != 1)
			_exit(1);
		/* Holds the zombie until told, then exits without waiting for it. */
		while (read(release[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	char ok = 'n';
	CHECK(read(attached[0], &ok, 1) == 1);
	if (ok != 'y') {
		printf("     (no ptrace here: the test is skipped)\n");
		kill(tracer, SIGKILL);
		close(gate[1]);
		RUN_UNTIL(slots[0].done);
		waitpid(tracer, NULL, 0);
		return;
	}
	close(gate[1]);
	close(gate[0]);
	RUN_UNTIL(slots[0].child.io.fd < 0);  /* readable, not reapable: given to the scan */
	CHECK(slots[0].child.io.fd < 0);
	CHECK(!slots[0].done);
	CHECK(write(release[1], "x", 1) == 1);
	RUN_UNTIL(slots[0].done && norphans == 1);
	CHECK(slots[0].done);
	CHECK(WEXITSTATUS(slots[0].status) == 9);
	CHECK(norphans == 1 && orphans[0] == tracer);
	close(attached[0]);
	close(attached[1]);
	close(release[0]);
	close(release[1]);
}

/* A process that is not our child: a grandchild whose parent exited (init adopts it). */
static pid_t not_a_child(void)
{
	int p[2];
	pid_t pid = -1;

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	pid_t middle = fork();
	if (middle == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			close(p[0]);
			close(p[1]);
			pause();
			_exit(0);
		}
		(void)!write(p[1], &grandchild, sizeof(grandchild));
		_exit(0);
	}
	close(p[1]);
	CHECK(read(p[0], &pid, sizeof(pid)) == sizeof(pid));
	close(p[0]);
	waitpid(middle, NULL, 0);
	return pid;
}

/* A process adopted from a dead cirqued: its exit comes through its pidfd, with no status (its
 * parent reaps it); signals go through the pidfd. Without a pidfd (here: a start time that does
 * not match, as when the pid was reused), a look at /proc reports it gone. */
TEST(a_foreign_process_is_watched_without_a_status)
{
	unsigned long long ticks;

	reset();
	slots[0].pid = not_a_child();
	CHECK(slots[0].pid > 0 && proc_start_ticks(slots[0].pid, &ticks));
	reaper_watch_foreign(&slots[0].child, slots[0].pid, ticks, on_exit_of);
	CHECK(slots[0].child.io.fd >= 0);
	CHECK_INT(stats_now().foreign, 1);
	CHECK(waitpid(slots[0].pid, NULL, WNOHANG) < 0 && errno == ECHILD);  /* not ours */
	CHECK(reaper_signal(&slots[0].child, SIGTERM) == 0);
	RUN_UNTIL(slots[0].done);
	CHECK(slots[0].done);
	CHECK_INT(slots[0].status, REAPER_STATUS_UNKNOWN);
	CHECK_INT(stats_now().foreign, 0);

	slots[1].pid = not_a_child();
	CHECK(proc_start_ticks(slots[1].pid, &ticks));
	reaper_watch_foreign(&slots[1].child, slots[1].pid, ticks + 1, on_exit_of);
	CHECK(slots[1].child.io.fd < 0);  /* another process's pid: polled, and found not to be it */
	RUN_UNTIL(slots[1].done);
	CHECK(slots[1].done);
	CHECK_INT(slots[1].status, REAPER_STATUS_UNKNOWN);
	kill(slots[1].pid, SIGKILL);
	CHECK_INT(nexited, 2);
	CHECK_INT(norphans, 0);
}

int main(void)
{
	loop = ev_loop_new(0);
	fd_reserve_init();
	reaper_init(loop, lookup, on_orphan);
	ev_timer_init(&tick, on_tick, 0.005, 0.005);  /* the loop wakes often */
	ev_timer_start(loop, &tick);
	RUN(an_exit_comes_through_the_pidfd);
	RUN(a_storm_of_exits_costs_a_few_scans);
	RUN(an_unwatched_child_is_reaped_as_an_orphan);
	RUN(short_of_descriptors_the_scan_reaps_and_pipes_come_first);
	RUN(an_exit_held_by_a_tracer_is_reaped_when_let_go);
	RUN(a_foreign_process_is_watched_without_a_status);
	reaper_shutdown();
	ev_loop_destroy(loop);
	return check_summary();
}
