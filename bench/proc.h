/* proc.h - small helpers shared by the benchmark programs: a monotonic clock in ms, and the direct
 * children of a process read from /proc/PID/task/PID/children, with each child's comm.
 *
 * The children file lists only the children of that one thread; the daemons measured here
 * (cirqued, supervisord) spawn from their main thread, so its list is all of them. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The fields of /proc/PID/stat after the command name ("state ppid pgrp ..."), read into BUF
 * (SIZE bytes), or NULL when the process is gone. */
static inline const char *proc_stat_fields(pid_t pid, char *buf, size_t size)
{
	char path[64], *paren;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	r = read(fd, buf, size - 1);
	close(fd);
	if (r <= 0)
		return NULL;
	buf[r] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren + 2 : NULL;
}

/* PID's user + system CPU time in ms, -1 when unknown. */
static inline double proc_cpu_ms(pid_t pid)
{
	char buf[1024];
	const char *f = pid > 0 ? proc_stat_fields(pid, buf, sizeof(buf)) : NULL;
	unsigned long utime = 0, stime = 0;

	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (f == NULL || sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
				&stime) != 2)
		return -1;
	return (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* PID's parent, or -1 when it is gone. */
static inline pid_t proc_parent(pid_t pid)
{
	char buf[512];
	const char *f = proc_stat_fields(pid, buf, sizeof(buf));
	int ppid;

	return f && sscanf(f, "%*c %d", &ppid) == 1 ? (pid_t)ppid : -1;
}

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The children of one process. The file stays open and is re-read from offset 0 each time. */
struct children {
	pid_t parent;
	int fd;
	char *buf;
	size_t bufsize;
	pid_t *pids;
	int n, cap;
};

static inline int children_open(struct children *c, pid_t parent)
{
	char path[64];

	memset(c, 0, sizeof(*c));
	c->parent = parent;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent, (int)parent);
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0)
		return -1;
	c->bufsize = 1 << 16;
	c->buf = malloc(c->bufsize);
	c->cap = 4096;
	c->pids = malloc(sizeof(pid_t) * (size_t)c->cap);
	if (c->buf == NULL || c->pids == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return 0;
}

static inline void children_close(struct children *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c->pids);
	c->fd = -1;
	c->buf = NULL;
	c->pids = NULL;
}

/* Re-reads the list; returns the number of children, or -1 when the parent is gone. */
static inline int children_read(struct children *c)
{
	size_t len = 0;
	ssize_t r;
	char *p, *end;

	for (;;) {
		if (len + 4096 > c->bufsize) {
			c->bufsize *= 2;
			if ((c->buf = realloc(c->buf, c->bufsize)) == NULL) {
				fprintf(stderr, "out of memory\n");
				exit(2);
			}
		}
		r = pread(c->fd, c->buf + len, c->bufsize - len - 1, (off_t)len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	c->buf[len] = '\0';
	/* A vanished process reads as empty: tell that apart from "no children". */
	if (len == 0 && kill(c->parent, 0) < 0 && errno == ESRCH)
		return -1;
	c->n = 0;
	for (p = c->buf;; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (c->n == c->cap) {
			c->cap *= 2;
			if ((c->pids = realloc(c->pids, sizeof(pid_t) * (size_t)c->cap)) == NULL) {
				fprintf(stderr, "out of memory\n");
				exit(2);
			}
		}
		c->pids[c->n++] = (pid_t)v;
	}
	return c->n;
}

/* 1 when /proc/PID/comm is exactly COMM, 0 otherwise (including a vanished process). */
static inline int comm_is(pid_t pid, const char *comm)
{
	char path[64], buf[64];
	int fd;
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	if (r > 0 && buf[r - 1] == '\n')
		buf[r - 1] = '\0';
	return strcmp(buf, comm) == 0;
}

/* 1 when PID is a zombie (state Z in /proc/PID/stat), so exited but not yet reaped. */
static inline int is_zombie(pid_t pid)
{
	char buf[512];
	const char *f = proc_stat_fields(pid, buf, sizeof(buf));

	return f == NULL || f[0] == 'Z' || f[0] == 'X';
}

/* A pid-indexed cache of "this child has been seen running COMM" (set once its exec is done).
 * Entries are per pid generation: a pid is forgotten when it leaves the children list. */
struct seen {
	unsigned char *mark;   /* 0 unknown, 1 running COMM */
	unsigned *gen;         /* last scan in which the pid was listed */
	unsigned scan;
	int max;
};

static inline void seen_init(struct seen *s)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	int max = 4194304;

	if (f) {
		if (fscanf(f, "%d", &max) != 1)
			max = 4194304;
		fclose(f);
	}
	s->max = max + 1;
	s->mark = calloc((size_t)s->max, 1);
	s->gen = calloc((size_t)s->max, sizeof(unsigned));
	s->scan = 0;
	if (s->mark == NULL || s->gen == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
}

/* Counts the children of C that run COMM, reading /proc/PID/comm only for children not yet seen
 * running it (and not zombies). Call after children_read. */
static inline int seen_count(struct seen *s, const struct children *c, const char *comm)
{
	int count = 0;

	s->scan++;
	for (int i = 0; i < c->n; i++) {
		pid_t pid = c->pids[i];
		if (pid <= 0 || pid >= s->max)
			continue;
		if (s->gen[pid] != s->scan - 1)
			s->mark[pid] = 0;   /* new in the list (or back after a gap): look again */
		s->gen[pid] = s->scan;
		if (!s->mark[pid] && comm_is(pid, comm))
			s->mark[pid] = 1;
		count += s->mark[pid];
	}
	return count;
}

#endif
