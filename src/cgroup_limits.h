/* cgroup_limits.h - a watcher's resource limits (memory_max, cpu_max, ...) and the cgroup v2
 * files that hold them: parsing, checking against what the host offers, writing, reading. Pure
 * logic on a directory descriptor, so that it is tested on a fake tree. */
#ifndef CIRQUE_CGROUP_LIMITS_H
#define CIRQUE_CGROUP_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

/* The controllers a limit needs, as bits. */
enum cgroup_controller {
	CG_MEMORY = 1u << 0,
	CG_CPU = 1u << 1,
	CG_PIDS = 1u << 2,
	CG_IO = 1u << 3,
};

enum limit_kind { LIMIT_MEMORY_MAX, LIMIT_MEMORY_HIGH, LIMIT_CPU_MAX, LIMIT_PIDS_MAX,
		  LIMIT_IO_WEIGHT, LIMIT_COUNT };

/* One watcher's limits: a value per kind, 0 when not set. */
struct cgroup_limits {
	unsigned long long value[LIMIT_COUNT];  /* bytes; cpu: percent of one CPU; pids; weight */
	char *mark[LIMIT_COUNT];      /* "file:line:column" where each is set, NULL when not set */
};

/* What the watchers' cgroups offer: the controllers, and why the others are not there. */
struct limit_support {
	bool known;                   /* false: nothing decided (tests, fuzzing): no check */
	unsigned controllers;         /* CG_* */
	char why[300];                /* why a controller (or every one) is missing */
};

/* The key ("memory_max"), its cgroup file ("memory.max") and its controller. */
const char *limit_key(enum limit_kind kind);
const char *limit_file(enum limit_kind kind);
unsigned limit_controller(enum limit_kind kind);
/* "memory" for CG_MEMORY. */
const char *controller_name(unsigned controller);
/* Parses TEXT as KIND's value: sizes for memory ("512M"), "50%" for cpu (of one CPU; 1% to
 * 100000%), 1..4194304 for pids, 1..10000 for io. -1 with WHY (SIZE bytes) naming the rule. */
int limit_parse(enum limit_kind kind, const char *text, unsigned long long *value, char *why,
		size_t size);
/* VALUE as written in KIND's file: "536870912", "50000 100000", "default 100". */
void limit_format(enum limit_kind kind, unsigned long long value, char *out, size_t size);
/* VALUE as an operator writes it ("512M", "50%"), for get and logs. */
void limit_show(enum limit_kind kind, unsigned long long value, char *out, size_t size);
bool limits_set(const struct cgroup_limits *l);
bool limits_equal(const struct cgroup_limits *a, const struct cgroup_limits *b);
void limits_free(struct cgroup_limits *l);

/* Writes TEXT to the file NAME under DIRFD (as `echo TEXT > NAME` would): 0, or -1 with errno.
 * Never through a link. */
int cgroup_file_write(int dirfd, const char *name, const char *text);
/* Writes each limit of L into its file under DIRFD; a limit not set is written as the
 * file's default ("max", "default 100"), so that removing it from the configuration undoes
 * it. Returns how many writes failed; the first failure's "memory.max: why" in ERR. */
int limits_write(int dirfd, const struct cgroup_limits *l, char *err, size_t size);
/* "oom_kill N" of a memory.events text, 0 when absent. */
unsigned long long memory_events_oom_kills(const char *text);
/* "usage_usec N" of a cpu.stat text, -1 when absent. */
long long cpu_stat_usage_usec(const char *text);
/* The CG_* bits of the words in a cgroup.controllers text. */
unsigned controllers_parse(const char *text);

#endif
