/* reaper.c - our children's exits, by pidfd, and a scan for the rest (see reaper.h). */
#include "reaper.h"

#include "fdlimit.h"
#include "proc_info.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long after a SIGCHLD the scan for unwatched children runs, when every watched child has
 * its pidfd: the exits of a storm are taken by their pidfds meanwhile, and an orphan waits
 * this long at most to be reaped. */
#define SCAN_DELAY 0.05

static struct ev_loop *reaper_loop;
static ev_signal sigchld;
static ev_timer scan_timer;
static reaper_lookup_fn *lookup;
static reaper_orphan_fn *orphan;
static struct reaper_child *with_pidfd;  /* the watched children that have a pidfd */
static struct reaper_child *by_scan;     /* those left to the scan */
static int nwatched, nscanned;           /* watched; of those, left to the scan */
static struct reaper_stats stats;
static pid_t put_off_for;               /* the exited child a scan last stopped at */
static ev_timer rearm_timer;             /* gives pidfds back to those left to the scan */

/* How often those left to the scan for want of a descriptor try to get their pidfd back. */
#define REARM_INTERVAL 0.25

/* Processes that are not our children (reaper_watch_foreign): by pidfd, or polled in /proc
 * every FOREIGN_POLL seconds when no pidfd could be had. */
#define FOREIGN_POLL 1.0
static struct reaper_child *foreign;
static int nforeign, nforeign_polled;
static ev_timer foreign_timer;

static void link_to(struct reaper_child **list, struct reaper_child *c)
{
	c->prev = NULL;
	c->next = *list;
	if (*list)
		(*list)->prev = c;
	*list = c;
}

static void unlink_from(struct reaper_child **list, struct reaper_child *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* C, watched, by the scan from now on (no pidfd). */
static void watch_by_scan(struct reaper_child *c)
{
	ev_io_set(&c->io, -1, EV_READ);
	link_to(&by_scan, c);
	if (nscanned++ == 0 && reaper_loop)
		ev_timer_again(reaper_loop, &rearm_timer);
}

/* C, watched, through its pidfd FD from now on. */
static void watch_by_pidfd(struct reaper_child *c, int fd)
{
	ev_io_set(&c->io, fd, EV_READ);
	ev_io_start(reaper_loop, &c->io);
	link_to(&with_pidfd, c);
}

static void unwatch_by_scan(struct reaper_child *c)
{
	unlink_from(&by_scan, c);
	if (--nscanned == 0 && reaper_loop)
		ev_timer_stop(reaper_loop, &rearm_timer);
}

static void unwatch_by_pidfd(struct reaper_child *c)
{
	ev_io_stop(reaper_loop, &c->io);
	close(c->io.fd);
	ev_io_set(&c->io, -1, EV_READ);
	unlink_from(&with_pidfd, c);
}

/* C's pidfd is closed: it is watched by the scan. HELD: its exit is readable yet not reapable
 * (a tracer holds it), and a pidfd would be readable at once again. */
static void leave_to_scan(struct reaper_child *c, bool held)
{
	if (c->io.fd < 0)
		return;
	unwatch_by_pidfd(c);
	c->held = held;
	watch_by_scan(c);
}

/* A pidfd for PID, if one is to be had below the reserve, or -1. */
static int open_pidfd(pid_t pid)
{
	return fd_keep_spare((int)syscall(SYS_pidfd_open, pid, 0));  /* O_CLOEXEC always */
}

/* Those left to the scan for want of a descriptor get their pidfds back, while there are
 * descriptors to be had: the scans' cost goes with them. */
static void on_rearm_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct reaper_child *next;

	(void)loop;
	(void)timer;
	(void)revents;
	for (struct reaper_child *c = by_scan; c; c = next) {
		next = c->next;
		if (c->held)
			continue;
		int fd = open_pidfd(c->pid);
		if (fd < 0)
			return;  /* none below the reserve: next time */
		unwatch_by_scan(c);
		watch_by_pidfd(c, fd);
	}
}

static void unwatch_foreign(struct reaper_child *c)
{
	if (c->io.fd >= 0) {
		ev_io_stop(reaper_loop, &c->io);
		close(c->io.fd);
		ev_io_set(&c->io, -1, EV_READ);
	} else if (--nforeign_polled == 0 && reaper_loop) {
		ev_timer_stop(reaper_loop, &foreign_timer);
	}
	unlink_from(&foreign, c);
	c->watched = false;
	nforeign--;
}

void reaper_unwatch(struct reaper_child *c)
{
	if (!c->watched)
		return;
	if (c->foreign) {
		unwatch_foreign(c);
		return;
	}
	if (c->io.fd >= 0)
		unwatch_by_pidfd(c);
	else
		unwatch_by_scan(c);
	c->watched = false;
	nwatched--;
}

static void exited(struct reaper_child *c, int status)
{
	pid_t pid = c->pid;

	reaper_unwatch(c);
	c->exited(c, pid, status);
}

static void scan_later(void)
{
	if (!ev_is_active(&scan_timer)) {
		ev_timer_set(&scan_timer, SCAN_DELAY, 0);
		ev_timer_start(reaper_loop, &scan_timer);
	}
}

/* Reaps the children that have exited and that no pidfd watches. Each look (waitid on all our
 * children) walks the list of children up to the first that has exited, so a look is made for
 * each child reaped, and none for those the pidfds take: when the first exited child found has
 * a pidfd, the loop will reap it, and the scan is put off (while a storm of exits lasts). When
 * some watched children have no pidfd, their exits are wanted at once: it is reaped here. */
static void scan(void)
{
	ev_timer_stop(reaper_loop, &scan_timer);
	stats.scans++;
	for (;;) {
		siginfo_t info = { 0 };
		int status;
		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == 0)
			return;
		pid_t pid = info.si_pid;
		struct reaper_child *c = lookup ? lookup(pid) : NULL;
		if (c && (!c->watched || c->pid != pid || c->foreign))
			c = NULL;
		/* (The same one twice: its pidfd did not tell in SCAN_DELAY; reaped here.) */
		if (c && c->io.fd >= 0 && nscanned == 0 && pid != put_off_for) {
			put_off_for = pid;
			scan_later();
			return;
		}
		if (waitpid(pid, &status, WNOHANG) != pid)
			return;
		stats.by_scan++;
		if (c)
			exited(c, status);
		else if (orphan)
			orphan(pid, status);
	}
}

static void on_scan_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)timer;
	(void)revents;
	scan();
}

static void on_sigchld(struct ev_loop *loop, ev_signal *signal, int revents)
{
	(void)loop;
	(void)signal;
	(void)revents;
	if (nscanned > 0) {  /* a watched child may have exited: as promptly as libev would */
		scan();
		return;
	}
	scan_later();
}

/* The pidfd is readable: the process has exited. Reaped by its pid (the kernel looks at that
 * child only). */
static void on_pidfd(struct ev_loop *loop, ev_io *io, int revents)
{
	struct reaper_child *c = (struct reaper_child *)io;
	int status;
	pid_t pid;

	(void)loop;
	(void)revents;
	if (c->foreign) {  /* its parent reaps it, and has its status */
		exited(c, REAPER_STATUS_UNKNOWN);
		return;
	}
	do
		pid = waitpid(c->pid, &status, WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (pid == c->pid) {
		stats.by_pidfd++;
		exited(c, status);
	} else {
		/* Exited, yet not ours to reap yet: a tracer holds the zombie. The scan takes it
		 * once the tracer lets go (we get a SIGCHLD then); a level-triggered pidfd would
		 * wake every round until then. */
		leave_to_scan(c, true);
	}
}

/* Gives up one pidfd, for a descriptor that needs the slot more: a child's pipe. */
static bool give_up_a_pidfd(void)
{
	if (with_pidfd == NULL)
		return false;
	leave_to_scan(with_pidfd, false);
	return true;
}

void reaper_watch(struct reaper_child *c, pid_t pid, reaper_exit_fn *exited_fn)
{
	int fd = reaper_loop ? open_pidfd(pid) : -1;  /* no loop to watch it in: the scan's */

	c->pid = pid;
	c->exited = exited_fn;
	c->watched = true;
	c->held = false;
	c->foreign = false;
	nwatched++;
	ev_io_init(&c->io, on_pidfd, -1, EV_READ);
	if (fd < 0)
		watch_by_scan(c);
	else
		watch_by_pidfd(c, fd);
}

/* The foreign processes without a pidfd: gone, a zombie, or its pid is another process's. */
static void on_foreign_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct reaper_child *next;
	unsigned long long ticks;

	(void)loop;
	(void)timer;
	(void)revents;
	for (struct reaper_child *c = foreign; c; c = next) {
		next = c->next;
		if (c->io.fd < 0 && (!proc_start_ticks(c->pid, &ticks) || ticks != c->start_ticks ||
				     proc_is_zombie(c->pid)))
			exited(c, REAPER_STATUS_UNKNOWN);
	}
}

void reaper_watch_foreign(struct reaper_child *c, pid_t pid, unsigned long long start_ticks,
			  reaper_exit_fn *exited_fn)
{
	/* Opened before the check of its start time: if that still matches, the pidfd is the
	 * process's, not a later one's of the same pid. */
	int fd = reaper_loop ? open_pidfd(pid) : -1;
	unsigned long long ticks;

	c->pid = pid;
	c->exited = exited_fn;
	c->watched = true;
	c->held = false;
	c->foreign = true;
	c->start_ticks = start_ticks;
	nforeign++;
	ev_io_init(&c->io, on_pidfd, -1, EV_READ);
	link_to(&foreign, c);
	if (fd >= 0 && proc_start_ticks(pid, &ticks) && ticks == start_ticks) {
		ev_io_set(&c->io, fd, EV_READ);
		ev_io_start(reaper_loop, &c->io);
		return;
	}
	if (fd >= 0)
		close(fd);  /* gone already, or another's: the first look reports it */
	if (nforeign_polled++ == 0 && reaper_loop)
		ev_timer_again(reaper_loop, &foreign_timer);
}

int reaper_signal(struct reaper_child *c, int sig)
{
	unsigned long long ticks;

	if (c->watched && c->foreign && c->io.fd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, c->io.fd, sig, NULL, 0);
	/* Polled: by its pid, once its start time says the pid is still its own. */
	if (c->watched && c->foreign && (!proc_start_ticks(c->pid, &ticks) ||
					 ticks != c->start_ticks)) {
		errno = ESRCH;
		return -1;
	}
	return kill(c->pid, sig);
}

void reaper_report_exit(struct reaper_child *c, int status)
{
	if (c->watched)
		exited(c, status);
}

void reaper_get_stats(struct reaper_stats *st)
{
	*st = stats;
	st->watched = nwatched;
	st->scanned = nscanned;
	st->foreign = nforeign;
}

void reaper_init(struct ev_loop *loop, reaper_lookup_fn *lookup_fn, reaper_orphan_fn *orphan_fn)
{
	reaper_loop = loop;
	lookup = lookup_fn;
	orphan = orphan_fn;
	ev_signal_init(&sigchld, on_sigchld, SIGCHLD);
	/* After the round's pidfds: what they reap, the scan need not walk for. */
	ev_set_priority(&sigchld, EV_MINPRI);
	ev_signal_start(loop, &sigchld);
	ev_unref(loop);  /* as libev's own child watcher: it does not keep the loop running */
	ev_init(&scan_timer, on_scan_timer);
	ev_set_priority(&scan_timer, EV_MINPRI);
	ev_init(&rearm_timer, on_rearm_timer);
	rearm_timer.repeat = REARM_INTERVAL;
	if (nscanned > 0)
		ev_timer_again(loop, &rearm_timer);
	ev_init(&foreign_timer, on_foreign_timer);
	foreign_timer.repeat = FOREIGN_POLL;
	fd_set_room_maker(give_up_a_pidfd);
}

void reaper_shutdown(void)
{
	if (reaper_loop == NULL)
		return;
	fd_set_room_maker(NULL);
	ev_timer_stop(reaper_loop, &scan_timer);
	ev_timer_stop(reaper_loop, &rearm_timer);
	ev_timer_stop(reaper_loop, &foreign_timer);
	ev_ref(reaper_loop);
	ev_signal_stop(reaper_loop, &sigchld);
	reaper_loop = NULL;
}
