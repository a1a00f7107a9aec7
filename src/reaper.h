/* reaper.h - learns of our children's exits without a waitpid(-1) per exit.
 *
 * libev's ev_child reaps with waitpid(-1) on every SIGCHLD, and the kernel walks every child of
 * the daemon on each call: with 10,000 processes that is a millisecond per exit, and a stop of
 * them all spends seconds in the walk alone. Here each process is watched through a pidfd, which
 * becomes readable when it exits, and is reaped by its pid, which costs the same whatever the
 * number of children.
 *
 * The children nobody watches by pidfd (orphans adopted as subreaper, processes released by
 * rm --nostop, a child whose exec failed) are reaped by a scan, run a little after a SIGCHLD. A
 * scan looks (waitid, WNOWAIT) at the first exited child, reaps it if no pidfd watches it, and
 * looks again; it stops at one a pidfd watches (the loop reaps it) and is put off: a storm of
 * exits costs a few looks, not a walk per exit. A watched process whose pidfd could not be had
 * (the descriptors below the reserve are all taken), or whose exit a tracer holds back, is left
 * to the scan, which then runs at once on every SIGCHLD, as libev's does; it gets its pidfd
 * back once descriptors are free. A pidfd is given up to make room when a child's pipe needs
 * its slot (fd_set_room_maker): pidfds never lower how many processes the descriptors allow.
 *
 * A process that is not our child (adopted from a cirqued that died, survivors.h) is watched
 * through its pidfd as well, which tells of its exit; its status goes to its parent (init, or a
 * subreaper), never to us, so it is reported as REAPER_STATUS_UNKNOWN. Such a pidfd is never
 * given up (no scan can find a process that is not our child); one that could not be had is
 * replaced by a look at /proc every FOREIGN_POLL seconds.
 *
 * The loop must not be libev's default loop, whose own SIGCHLD handler would reap every child
 * first. */
#ifndef CIRQUE_REAPER_H
#define CIRQUE_REAPER_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

struct reaper_child;
/* The status of a process watched by reaper_watch_foreign: not known (not a wait status). */
#define REAPER_STATUS_UNKNOWN (-1)
/* PID has exited with STATUS (as waitpid gives it, or REAPER_STATUS_UNKNOWN); C is no longer
 * watched. */
typedef void reaper_exit_fn(struct reaper_child *c, pid_t pid, int status);

struct reaper_child {
	ev_io io;                     /* on the pidfd (fd -1: left to the scan) */
	pid_t pid;
	bool watched;
	bool held;                    /* left to the scan: a tracer holds its exit */
	bool foreign;                 /* not our child (reaper_watch_foreign) */
	unsigned long long start_ticks;  /* foreign: its start time (proc_start_ticks), which tells
					  * it from a later process of that pid */
	reaper_exit_fn *exited;
	struct reaper_child *prev, *next;  /* among those with a pidfd, or those without */
};

/* The watched child of that pid, or NULL (the scan's way back to a reaped child's watcher). */
typedef struct reaper_child *reaper_lookup_fn(pid_t pid);
/* A child nobody watched was reaped. */
typedef void reaper_orphan_fn(pid_t pid, int status);

/* Handles SIGCHLD on LOOP from now on (call once, before any child is spawned). */
void reaper_init(struct ev_loop *loop, reaper_lookup_fn *lookup, reaper_orphan_fn *orphan);
/* Stops handling SIGCHLD (at exit). */
void reaper_shutdown(void);
/* Watches child PID until it exits; EXITED is called then, from the loop. */
void reaper_watch(struct reaper_child *c, pid_t pid, reaper_exit_fn *exited);
/* Watches PID, which is not our child, until it exits (EXITED gets REAPER_STATUS_UNKNOWN);
 * START_TICKS is its start time, for the look at /proc when no pidfd can be had. */
void reaper_watch_foreign(struct reaper_child *c, pid_t pid, unsigned long long start_ticks,
			  reaper_exit_fn *exited);
/* Sends SIG to C's process: through its pidfd for a foreign one (its pid is not held for us as a
 * zombie: it may be another's by now), else kill(2). 0, or -1 with errno. */
int reaper_signal(struct reaper_child *c, int sig);
/* No longer watched (its exit, if any, goes to the orphan callback). */
void reaper_unwatch(struct reaper_child *c);
/* C's exit, learnt otherwise (tests with made-up pids): handled as if its pidfd had told. */
void reaper_report_exit(struct reaper_child *c, int status);
struct reaper_stats {
	int watched;                  /* children watched now */
	int scanned;                  /* of those, left to the scan (no pidfd) */
	int foreign;                  /* processes watched that are not our children */
	unsigned long by_pidfd;       /* exits reaped through their pidfd, since the start */
	unsigned long by_scan;        /* children reaped by a scan, watched or not */
	unsigned long scans;          /* scans run (each: a walk of all children per reap, + 1) */
};
void reaper_get_stats(struct reaper_stats *st);

#endif
