/* proc_info.c - per-process figures from /proc (reads of procfs never block on I/O). */
#include "proc_info.h"

#include "text.h"
#include "xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1 && (n = read(fd, buf + total, size - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

static void human_size(char *out, size_t size, unsigned long long bytes)
{
	static const char units[] = "BKMGT";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, size, u ? "%.0f%c" : "%.0f", v, units[u]);
}

static unsigned long long mem_total(void)
{
	static unsigned long long total;
	char buf[256];

	if (total == 0 && read_small_file("/proc/meminfo", buf, sizeof(buf)) > 0)
		sscanf(buf, "MemTotal: %llu kB", &total), total *= 1024;
	return total;
}

static double boot_time(void)
{
	struct timespec up;
	struct timeval now;

	clock_gettime(CLOCK_BOOTTIME, &up);
	gettimeofday(&now, NULL);
	return (double)now.tv_sec + now.tv_usec / 1e6 - (double)up.tv_sec - up.tv_nsec / 1e9;
}

static json_t *proc_info_depth(pid_t pid, int depth);

json_t *proc_info(pid_t pid)
{
	return proc_info_depth(pid, 0);
}

/* As Circus (psutil): children are described like their parent, recursively (bounded here). */
/* The fields of /proc/PID/stat that stats and metrics use. */
struct proc_stat {
	unsigned long long utime, stime, start, vsize;  /* ticks, ticks, ticks after boot, bytes */
	long long rss_pages;
	long nice;
};

static bool read_stat(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[4096], *close_paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0 || !(close_paren = strrchr(buf, ')')))
		return false;
	/* Fields after "pid (comm)": state(3) ... utime(14) stime(15) ... nice(19) ...
	 * starttime(22) vsize(23) rss(24). */
	return sscanf(close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d "
		      "%*d %*d %ld %*d %*d %llu %llu %lld", &st->utime, &st->stime, &st->nice,
		      &st->start, &st->vsize, &st->rss_pages) == 6;
}

bool proc_usage(pid_t pid, double *cpu_seconds, long long *rss_bytes, double *started)
{
	struct proc_stat st;
	double ticks = (double)sysconf(_SC_CLK_TCK);

	if (!read_stat(pid, &st))
		return false;
	*cpu_seconds = (double)(st.utime + st.stime) / ticks;
	*rss_bytes = st.rss_pages * sysconf(_SC_PAGESIZE);
	if (started)
		*started = boot_time() + (double)st.start / ticks;
	return true;
}

bool proc_start_ticks(pid_t pid, unsigned long long *ticks)
{
	struct proc_stat st;

	if (!read_stat(pid, &st))
		return false;
	*ticks = st.start;
	return true;
}

double proc_ticks_to_unix(unsigned long long ticks)
{
	return boot_time() + (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

static json_t *proc_info_depth(pid_t pid, int depth)
{
	char path[64], buf[4096], human_rss[32], human_vms[32], ctime[32];
	struct proc_stat st;
	double ticks = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
	struct timeval now;
	json_t *info;

	if (!read_stat(pid, &st))
		return json_pack("{s:i, s:s}", "pid", (int)pid, "error", strerror(ESRCH));
	gettimeofday(&now, NULL);
	double created = boot_time() + (double)st.start / ticks;
	double age = (double)now.tv_sec + now.tv_usec / 1e6 - created;
	double cpu_seconds = (double)(st.utime + st.stime) / ticks;
	unsigned long long rss = (unsigned long long)((double)st.rss_pages * page);
	human_size(human_rss, sizeof(human_rss), rss);
	human_size(human_vms, sizeof(human_vms), st.vsize);
	snprintf(ctime, sizeof(ctime), "%d:%05.2f", (int)(cpu_seconds / 60),
		 cpu_seconds - 60 * (int)(cpu_seconds / 60));
	info = json_pack("{s:i, s:f, s:f, s:s, s:s, s:s, s:f, s:f, s:i}", "pid", (int)pid,
			 "cpu", age > 0 ? 100.0 * cpu_seconds / age : 0.0,
			 "mem", mem_total() ? 100.0 * (double)rss / (double)mem_total() : 0.0,
			 "mem_info1", human_rss, "mem_info2", human_vms, "ctime", ctime,
			 "age", age, "create_time", created, "nice", (int)st.nice);

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	ssize_t n = read_small_file(path, buf, sizeof(buf));
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	/* The child chose it: any bytes, which json_string would refuse unless they are UTF-8. */
	json_object_set_new(info, "cmdline", text_to_json(buf, n > 0 ? strlen(buf) : 0));

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	unsigned uid = 0;
	char *uid_line;
	if (read_small_file(path, buf, sizeof(buf)) > 0 && (uid_line = strstr(buf, "\nUid:")))
		sscanf(uid_line, "\nUid: %u", &uid);
	struct passwd pw, *found = NULL;
	char pwbuf[1024];
	getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &found);
	json_object_set_new(info, "username", found ? json_string(pw.pw_name) : json_integer(uid));

	json_t *children = json_array();
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	/* Up to 100000 children: "pid " is at most 8 bytes each. */
	size_t list_size = 800 * 1024;
	char *list = depth < 3 ? xmalloc(list_size) : NULL;
	if (list && read_small_file(path, list, list_size) > 0)
		/* strtok_r: the recursion below must not reset this loop's position. */
		for (char *save, *tok = strtok_r(list, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save))
			json_array_append_new(children, proc_info_depth(atoi(tok), depth + 1));
	free(list);
	json_object_set_new(info, "children", children);
	return info;
}

#define MAX_CHILDREN 100000
#define CHILDREN_BUF (MAX_CHILDREN * 8)  /* "4194304 " per child at most */

/* Appends the children of PID (every thread's /proc/PID/task/TID/children) to LIST. */
static void append_children(pid_t pid, pid_t **list, int *n, int *cap)
{
	char path[64];
	DIR *tasks;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((tasks = opendir(path)) == NULL)
		return;
	char *buf = xmalloc(CHILDREN_BUF);
	while ((de = readdir(tasks)) != NULL && *n < MAX_CHILDREN) {
		char file[300];
		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		if (read_small_file(file, buf, CHILDREN_BUF) <= 0)
			continue;
		for (char *save, *tok = strtok_r(buf, " \n", &save); tok && *n < MAX_CHILDREN;
		     tok = strtok_r(NULL, " \n", &save)) {
			if (*n == *cap)
				*list = xreallocarray(*list, (size_t)(*cap *= 2), sizeof(pid_t));
			(*list)[(*n)++] = (pid_t)atoi(tok);
		}
	}
	free(buf);
	closedir(tasks);
}

int proc_children(pid_t pid, bool recursive, pid_t **out)
{
	int n = 0, cap = 16;
	pid_t *list = xmalloc(sizeof(pid_t) * (size_t)cap);

	append_children(pid, &list, &n, &cap);
	/* Breadth first: each child found is searched in turn. */
	for (int i = 0; recursive && i < n; i++)
		append_children(list[i], &list, &n, &cap);
	*out = list;
	return n;
}

int proc_ids(pid_t pid, pid_t *ppid, pid_t *pgid, pid_t *sid)
{
	char path[64], buf[1024], *close_paren;
	int parent, group, session;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0 || !(close_paren = strrchr(buf, ')')) ||
	    sscanf(close_paren + 2, "%*c %d %d %d", &parent, &group, &session) != 3)
		return -1;
	*ppid = parent;
	*pgid = group;
	*sid = session;
	return 0;
}

bool proc_in_cgroup(pid_t pid, const char *cgroup)
{
	char path[64], buf[4096];
	size_t len = strlen(cgroup);

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return false;
	for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, "0::", 3) == 0)
			return strncmp(line + 3, cgroup, len) == 0 &&
			       (line[3 + len] == '\n' || line[3 + len] == '\0' ||
				line[3 + len] == '/');
	return false;
}

long long proc_rss(pid_t pid)
{
	char path[64], buf[256];
	long long size, resident;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%lld %lld", &size, &resident) != 2)
		return 0;
	return resident * sysconf(_SC_PAGESIZE);
}

bool proc_is_zombie(pid_t pid)
{
	char path[64], buf[1024], *close_paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return read_small_file(path, buf, sizeof(buf)) > 0 && (close_paren = strrchr(buf, ')')) &&
	       close_paren[1] == ' ' && close_paren[2] == 'Z';
}

bool proc_environ_value(pid_t pid, const char *name, char *out, size_t size)
{
	char path[64];
	size_t len = strlen(name);
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	char *buf = xmalloc(64 * 1024);
	ssize_t n = read_small_file(path, buf, 64 * 1024);
	for (ssize_t i = 0; n > 0 && i < n && !found; i += (ssize_t)strlen(buf + i) + 1) {
		if (strncmp(buf + i, name, len) == 0 && buf[i + (ssize_t)len] == '=') {
			snprintf(out, size, "%s", buf + i + len + 1);
			found = true;
		}
	}
	free(buf);
	return found;
}

void proc_why_alive(pid_t pid, char *out, size_t size)
{
	char path[64], buf[4096], state[40] = "?";
	long tracer = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0) {
		snprintf(out, size, "gone");
		return;
	}
	char *line = strstr(buf, "\nState:");
	if (line)
		sscanf(line + 8, " %39[^\n]", state);
	line = strstr(buf, "\nTracerPid:");
	if (line)
		tracer = strtol(line + 11, NULL, 10);
	if (tracer > 0)
		snprintf(out, size, "%s, traced by %ld", state, tracer);
	else
		snprintf(out, size, "%s", state);
}
