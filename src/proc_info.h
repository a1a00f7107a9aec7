/* proc_info.h - what Circus's stats report about a process, read from /proc. */
#ifndef CIRQUE_PROC_INFO_H
#define CIRQUE_PROC_INFO_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* {pid, cpu, mem, mem_info1, mem_info2, ctime, age, create_time, cmdline, username, nice,
 * children (each described the same way)}; a vanished process gives {"pid": pid, "error": "No such process"}. */
json_t *proc_info(pid_t pid);
/* The children of PID (of any of its threads), or all its descendants when RECURSIVE, from
 * /proc; at most 100000. Returns how many, in *OUT (malloc'd, free it even when 0). */
int proc_children(pid_t pid, bool recursive, pid_t **out);

/* Its parent, process group and session (/proc/PID/stat): 0, or -1 when it is gone. */
int proc_ids(pid_t pid, pid_t *ppid, pid_t *pgid, pid_t *sid);
/* The value of NAME in its environment (as it was at exec), into OUT: false without it. */
bool proc_environ_value(pid_t pid, const char *name, char *out, size_t size);
/* Why it has not gone: its state ("D (disk sleep)", "Z (zombie)") and its tracer, if any. */
void proc_why_alive(pid_t pid, char *out, size_t size);
/* Its cgroup v2 (the "0::" line of /proc/PID/cgroup) is CGROUP ("/cirque-12/web") or one
 * below it. */
bool proc_in_cgroup(pid_t pid, const char *cgroup);
/* It has exited and waits to be reaped. */
bool proc_is_zombie(pid_t pid);
/* Its CPU time (user and system, its own: not its children's), resident size and, if STARTED
 * is not NULL, when it started (Unix time), from one read of /proc/PID/stat; false when it is
 * gone. */
bool proc_usage(pid_t pid, double *cpu_seconds, long long *rss_bytes, double *started);
/* When it started, in clock ticks after boot (field 22 of /proc/PID/stat): with its pid, what
 * tells it from a later process that reused the pid. False when it is gone. */
bool proc_start_ticks(pid_t pid, unsigned long long *ticks);
/* Those ticks as Unix time. */
double proc_ticks_to_unix(unsigned long long ticks);
/* Its resident size in bytes (/proc/PID/statm), 0 when it is gone. */
long long proc_rss(pid_t pid);

#endif
