/* test_cgroup_limits.c - unit tests for src/cgroup_limits.c: parsing and showing the limits,
 * the cgroup v2 files written (on a fake tree: a temporary directory with the files a cgroup
 * has), and the readings of memory.events, cpu.stat and cgroup.controllers. */
#include "cgroup_limits.h"
#include "check.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long long parsed(enum limit_kind kind, const char *text)
{
	unsigned long long value = 0;
	char why[200];

	return limit_parse(kind, text, &value, why, sizeof(why)) < 0 ? (unsigned long long)-1 : value;
}

TEST(parse)
{
	CHECK(parsed(LIMIT_MEMORY_MAX, "512M") == 512ULL << 20);
	CHECK(parsed(LIMIT_MEMORY_HIGH, "2G") == 2ULL << 30);
	CHECK(parsed(LIMIT_MEMORY_MAX, "4096") == 4096);
	CHECK(parsed(LIMIT_MEMORY_MAX, "100") == (unsigned long long)-1);  /* below a page */
	CHECK(parsed(LIMIT_MEMORY_MAX, "lots") == (unsigned long long)-1);
	CHECK(parsed(LIMIT_CPU_MAX, "50%") == 50);
	CHECK(parsed(LIMIT_CPU_MAX, "250%") == 250);
	CHECK(parsed(LIMIT_CPU_MAX, "0%") == (unsigned long long)-1);
	CHECK(parsed(LIMIT_CPU_MAX, "50") == (unsigned long long)-1);  /* a percentage, say so */
	CHECK(parsed(LIMIT_CPU_MAX, "-5%") == (unsigned long long)-1);
	CHECK(parsed(LIMIT_CPU_MAX, "%") == (unsigned long long)-1);
	CHECK(parsed(LIMIT_PIDS_MAX, "100") == 100);
	CHECK(parsed(LIMIT_PIDS_MAX, "0") == (unsigned long long)-1);
	CHECK(parsed(LIMIT_PIDS_MAX, "-1") == (unsigned long long)-1);
	CHECK(parsed(LIMIT_PIDS_MAX, "99999999") == (unsigned long long)-1);
	CHECK(parsed(LIMIT_IO_WEIGHT, "1") == 1);
	CHECK(parsed(LIMIT_IO_WEIGHT, "10000") == 10000);
	CHECK(parsed(LIMIT_IO_WEIGHT, "10001") == (unsigned long long)-1);
	CHECK(parsed(LIMIT_IO_WEIGHT, "1e3") == (unsigned long long)-1);
}

/* The reason given for TEXT, "" when it parses. */
static const char *why_not(enum limit_kind kind, const char *text)
{
	static char why[200];
	unsigned long long value;

	why[0] = '\0';
	limit_parse(kind, text, &value, why, sizeof(why));
	return why;
}

TEST(decimals_said_so)
{
	CHECK_STR(why_not(LIMIT_MEMORY_MAX, "1.5G"), "must be a whole size, such as 1536M for 1.5G");
	CHECK_STR(why_not(LIMIT_CPU_MAX, "150.5%"),
		  "must be a whole percentage of one CPU, such as 150%");
	CHECK_STR(why_not(LIMIT_MEMORY_MAX, "2G"), "");
}

TEST(format_and_show)
{
	char out[64];

	limit_format(LIMIT_CPU_MAX, 50, out, sizeof(out));
	CHECK_STR(out, "50000 100000");
	limit_format(LIMIT_CPU_MAX, 250, out, sizeof(out));
	CHECK_STR(out, "250000 100000");
	limit_format(LIMIT_CPU_MAX, 0, out, sizeof(out));
	CHECK_STR(out, "max 100000");
	limit_format(LIMIT_MEMORY_MAX, 0, out, sizeof(out));
	CHECK_STR(out, "max");
	limit_format(LIMIT_MEMORY_MAX, 1 << 20, out, sizeof(out));
	CHECK_STR(out, "1048576");
	limit_format(LIMIT_IO_WEIGHT, 0, out, sizeof(out));
	CHECK_STR(out, "default 100");
	limit_format(LIMIT_IO_WEIGHT, 500, out, sizeof(out));
	CHECK_STR(out, "default 500");
	limit_show(LIMIT_MEMORY_MAX, 512ULL << 20, out, sizeof(out));
	CHECK_STR(out, "512M");
	limit_show(LIMIT_MEMORY_MAX, 1536ULL << 20, out, sizeof(out));
	CHECK_STR(out, "1536M");
	limit_show(LIMIT_MEMORY_MAX, 5000, out, sizeof(out));
	CHECK_STR(out, "5000");
	limit_show(LIMIT_CPU_MAX, 150, out, sizeof(out));
	CHECK_STR(out, "150%");
}

static void make_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
}

static const char *file_text(const char *dir, const char *name)
{
	static char buf[256];
	char path[512];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return "(missing)";
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* The files a cgroup with every controller has, with the kernel's defaults. */
static int fake_cgroup(char *dir)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	make_file(dir, "memory.max", "max\n");
	make_file(dir, "memory.high", "max\n");
	make_file(dir, "cpu.max", "max 100000\n");
	make_file(dir, "pids.max", "max\n");
	make_file(dir, "io.weight", "default 100\n");
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

TEST(write_on_a_fake_tree)
{
	char dir[] = "/tmp/cirque-cgroup-test.XXXXXX", err[200] = "";
	struct cgroup_limits l = { .value = { [LIMIT_MEMORY_MAX] = 64ULL << 20,
					      [LIMIT_CPU_MAX] = 50, [LIMIT_PIDS_MAX] = 100,
					      [LIMIT_IO_WEIGHT] = 300 } };
	int fd = fake_cgroup(dir);

	CHECK(fd >= 0);
	CHECK_INT(limits_write(fd, &l, err, sizeof(err)), 0);
	CHECK_STR(file_text(dir, "memory.max"), "67108864");
	CHECK_STR(file_text(dir, "memory.high"), "max");  /* not set: the default */
	CHECK_STR(file_text(dir, "cpu.max"), "50000 100000");
	CHECK_STR(file_text(dir, "pids.max"), "100");
	CHECK_STR(file_text(dir, "io.weight"), "default 300");
	/* Removed from the configuration: undone. */
	memset(&l, 0, sizeof(l));
	CHECK_INT(limits_write(fd, &l, err, sizeof(err)), 0);
	CHECK_STR(file_text(dir, "memory.max"), "max");
	CHECK_STR(file_text(dir, "cpu.max"), "max 100000");
	CHECK_STR(file_text(dir, "pids.max"), "max");
	CHECK_STR(file_text(dir, "io.weight"), "default 100");
	/* A controller missing (its file too): a limit not set is no failure, one set is. */
	char path[512];
	snprintf(path, sizeof(path), "%s/io.weight", dir);
	unlink(path);
	CHECK_INT(limits_write(fd, &l, err, sizeof(err)), 0);
	l.value[LIMIT_IO_WEIGHT] = 200;
	CHECK_INT(limits_write(fd, &l, err, sizeof(err)), 1);
	CHECK_CONTAINS(err, "io.weight: No such file or directory");
	close(fd);
	const char *files[] = { "memory.max", "memory.high", "cpu.max", "pids.max" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

TEST(readings)
{
	CHECK(memory_events_oom_kills("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n"
				      "oom_group_kill 0\n") == 2);
	CHECK(memory_events_oom_kills("low 0\nhigh 0\n") == 0);
	/* "oom 3" is not "oom_kill". */
	CHECK(memory_events_oom_kills("oom 3\n") == 0);
	CHECK(cpu_stat_usage_usec("usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n") ==
	      1234567);
	CHECK(cpu_stat_usage_usec("nr_periods 0\n") == -1);
	CHECK_INT((int)controllers_parse("cpuset cpu io memory hugetlb pids rdma misc\n"),
		  CG_CPU | CG_IO | CG_MEMORY | CG_PIDS);
	CHECK_INT((int)controllers_parse("hugetlb\n"), 0);
	CHECK_INT((int)controllers_parse(""), 0);
	CHECK_INT((int)controllers_parse("cpuset\n"), 0);  /* not "cpu" */
}

int main(void)
{
	RUN(parse);
	RUN(decimals_said_so);
	RUN(format_and_show);
	RUN(write_on_a_fake_tree);
	RUN(readings);
	return check_summary();
}
