/* cgroup_limits.c - a watcher's resource limits and the cgroup v2 files that hold them. */
#include "cgroup_limits.h"

#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cpu.max's period: quotas are microseconds of CPU per 100 ms. */
#define CPU_PERIOD_USEC 100000ULL
#define PIDS_MAX_LIMIT 4194304ULL  /* the kernel's PID_MAX_LIMIT */

static const struct {
	const char *key, *file;
	unsigned controller;
} limits[LIMIT_COUNT] = {
	[LIMIT_MEMORY_MAX] = { "memory_max", "memory.max", CG_MEMORY },
	[LIMIT_MEMORY_HIGH] = { "memory_high", "memory.high", CG_MEMORY },
	[LIMIT_CPU_MAX] = { "cpu_max", "cpu.max", CG_CPU },
	[LIMIT_PIDS_MAX] = { "pids_max", "pids.max", CG_PIDS },
	[LIMIT_IO_WEIGHT] = { "io_weight", "io.weight", CG_IO },
};

const char *limit_key(enum limit_kind kind) { return limits[kind].key; }
const char *limit_file(enum limit_kind kind) { return limits[kind].file; }
unsigned limit_controller(enum limit_kind kind) { return limits[kind].controller; }

const char *controller_name(unsigned controller)
{
	switch (controller) {
	case CG_MEMORY: return "memory";
	case CG_CPU: return "cpu";
	case CG_PIDS: return "pids";
	case CG_IO: return "io";
	}
	return "?";
}

/* A whole number in MIN..MAX, and nothing else. */
static int parse_count(const char *text, unsigned long long min, unsigned long long max,
		       unsigned long long *value)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*value = n;
	return 0;
}

int limit_parse(enum limit_kind kind, const char *text, unsigned long long *value, char *why,
		size_t size)
{
	size_t len = strlen(text);

	switch (kind) {
	case LIMIT_MEMORY_MAX:
	case LIMIT_MEMORY_HIGH:
		if (strchr(text, '.')) {
			snprintf(why, size, "must be a whole size, such as 1536M for 1.5G");
			return -1;
		}
		if (parse_size(text, value) < 0 || *value < 4096) {
			snprintf(why, size, "must be a size of at least 4K, such as 512M or 2G");
			return -1;
		}
		return 0;
	case LIMIT_CPU_MAX:
		/* "50%" of one CPU; "200%" is two CPUs' worth. */
		if (strchr(text, '.')) {
			snprintf(why, size, "must be a whole percentage of one CPU, such as 150%%");
			return -1;
		}
		if (len < 2 || text[len - 1] != '%') {
			snprintf(why, size, "must be a percentage of one CPU, such as 50%% or 200%%");
			return -1;
		}
		char digits[32];
		snprintf(digits, sizeof(digits), "%.*s", (int)(len - 1), text);
		if (len - 1 >= sizeof(digits) || parse_count(digits, 1, 100000, value) < 0) {
			snprintf(why, size, "must be a percentage of one CPU from 1%% to 100000%%, "
				 "such as 50%% or 200%%");
			return -1;
		}
		return 0;
	case LIMIT_PIDS_MAX:
		if (parse_count(text, 1, PIDS_MAX_LIMIT, value) < 0) {
			snprintf(why, size, "must be a number of processes (threads included) from "
				 "1 to %llu", PIDS_MAX_LIMIT);
			return -1;
		}
		return 0;
	case LIMIT_IO_WEIGHT:
		if (parse_count(text, 1, 10000, value) < 0) {
			snprintf(why, size, "must be a weight from 1 to 10000 (the default is 100)");
			return -1;
		}
		return 0;
	case LIMIT_COUNT:
		break;
	}
	snprintf(why, size, "unknown limit");
	return -1;
}

void limit_format(enum limit_kind kind, unsigned long long value, char *out, size_t size)
{
	switch (kind) {
	case LIMIT_CPU_MAX:
		if (value == 0)
			snprintf(out, size, "max %llu", CPU_PERIOD_USEC);
		else
			snprintf(out, size, "%llu %llu", value * CPU_PERIOD_USEC / 100,
				 CPU_PERIOD_USEC);
		return;
	case LIMIT_IO_WEIGHT:
		snprintf(out, size, "default %llu", value ? value : 100);
		return;
	default:
		if (value == 0)
			snprintf(out, size, "max");
		else
			snprintf(out, size, "%llu", value);
		return;
	}
}

void limit_show(enum limit_kind kind, unsigned long long value, char *out, size_t size)
{
	static const char units[] = "KMGTP";

	if (kind == LIMIT_CPU_MAX) {
		snprintf(out, size, "%llu%%", value);
		return;
	}
	if (kind != LIMIT_MEMORY_MAX && kind != LIMIT_MEMORY_HIGH) {
		snprintf(out, size, "%llu", value);
		return;
	}
	/* The largest unit that divides it exactly: 512M stays 512M. */
	int unit = -1;
	while (unit < 4 && value % 1024 == 0 && value >= 1024) {
		value /= 1024;
		unit++;
	}
	if (unit < 0)
		snprintf(out, size, "%llu", value);
	else
		snprintf(out, size, "%llu%c", value, units[unit]);
}

bool limits_set(const struct cgroup_limits *l)
{
	for (int k = 0; k < LIMIT_COUNT; k++)
		if (l->value[k])
			return true;
	return false;
}

bool limits_equal(const struct cgroup_limits *a, const struct cgroup_limits *b)
{
	return memcmp(a->value, b->value, sizeof(a->value)) == 0;
}

void limits_free(struct cgroup_limits *l)
{
	for (int k = 0; k < LIMIT_COUNT; k++) {
		free(l->mark[k]);
		l->mark[k] = NULL;
	}
}

int cgroup_file_write(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int limits_write(int dirfd, const struct cgroup_limits *l, char *err, size_t size)
{
	int failures = 0;
	char text[64];

	for (int k = 0; k < LIMIT_COUNT; k++) {
		limit_format(k, l->value[k], text, sizeof(text));
		if (cgroup_file_write(dirfd, limits[k].file, text) == 0)
			continue;
		/* A limit not set whose file does not exist (no such controller): nothing to undo. */
		if (l->value[k] == 0 && errno == ENOENT)
			continue;
		if (failures++ == 0)
			snprintf(err, size, "%s: %s", limits[k].file, strerror(errno));
	}
	return failures;
}

/* The number after "KEY " at the start of a line of TEXT, or -1. */
static long long keyed_value(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, len) == 0 && line[len] == ' ')
			return strtoll(line + len + 1, NULL, 10);
	}
	return -1;
}

unsigned long long memory_events_oom_kills(const char *text)
{
	long long n = keyed_value(text, "oom_kill");
	return n > 0 ? (unsigned long long)n : 0;
}

long long cpu_stat_usage_usec(const char *text)
{
	return keyed_value(text, "usage_usec");
}

unsigned controllers_parse(const char *text)
{
	static const unsigned all[] = { CG_MEMORY, CG_CPU, CG_PIDS, CG_IO };
	unsigned bits = 0;

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, " \n");
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			const char *name = controller_name(all[i]);
			if (n == strlen(name) && strncmp(p, name, n) == 0)
				bits |= all[i];
		}
		p += n;
		p += strspn(p, " \n");
	}
	return bits;
}
