/* cgroup.h - containment: a cgroup v2 per watcher, or process groups and the subreaper.
 *
 * When cirqued may manage a cgroup (root on a host with cgroup2 mounted, a unit with
 * Delegate=yes, a container with a writable cgroup), each watcher's processes start in the
 * watcher's own cgroup: a stop can then end everything they left behind (cgroup.kill), limits
 * apply to the watcher as a whole, and its CPU is counted over all its descendants. Otherwise
 * ("process groups" mode) a stop ends what the watcher's processes left behind that cirqued, a
 * child subreaper, adopted (watcher.c). The mode is decided once, at start-up; a reload keeps it.
 *
 * Layout: root of the hierarchy (this daemon was started outside any service manager):
 * <mount>/cirque-<pid>/<watcher>. Any other cgroup of its own (Delegate=yes, a container):
 * cirqued moves itself to <own>/.cirqued and the watchers go to <own>/<watcher>. Or the
 * configured cirque.cgroup path. Nothing here blocks: cgroupfs reads and writes are in memory. */
#ifndef CIRQUE_CGROUP_H
#define CIRQUE_CGROUP_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup_limits.h"

/* Decides the mode from SETTING (cirque.cgroup: NULL or "auto", "off", or an absolute path in
 * the hierarchy), creating the base cgroup and enabling the controllers it can. */
void cgroup_setup(struct ev_loop *loop, const char *setting);
/* Logs the mode in effect and why ("containment: ..."). */
void cgroup_log_mode(void);
/* The same decision without creating or moving anything, for --check: which controllers a
 * watcher would have, and why the others (or all) are missing. */
void cgroup_probe(const char *setting, struct limit_support *support);
/* What a watcher's limits can use in the mode in effect (after cgroup_setup). */
void cgroup_support(struct limit_support *support);
bool cgroup_enabled(void);
/* "cgroup /sys/fs/cgroup/unified/cirque-12" or "process groups (no cgroup: why)". */
const char *cgroup_mode_text(void);
/* The base's path inside the hierarchy ("/cirque-12"), NULL without cgroups. */
const char *cgroup_base(void);
/* A re-exec (reexec.h): the mode and base in effect, and back in the new image instead of
 * cgroup_setup (the same base, still locked: the watchers find their cgroups). */
json_t *cgroup_save(void);
void cgroup_restore(struct ev_loop *loop, const json_t *saved);
/* Once the processes of a cirqued that died are adopted (moved to their watchers' cgroups) or
 * stopped: removes what is left of its cgroups, naming those that still hold processes. */
void cgroup_clean_stale(void);
/* Removes the base cgroup cirqued created (at exit, once every watcher's is gone). */
void cgroup_teardown(void);

/* A watcher's cgroup, shared by the watchers of one name (a removed one still stopping and its
 * successor): removed when the last lets go of it, if empty. */
struct wcgroup;
typedef void (*wcgroup_change_fn)(void *arg);
/* The cgroup of watcher NAME, created if need be; NULL without cgroups or when it cannot be
 * created (logged: the watcher then runs as in process groups mode). ON_CHANGE(ARG) is called
 * from the loop when it becomes empty or populated, or an OOM kill happens in it; one callback
 * per holder. */
struct wcgroup *wcgroup_get(const char *name, wcgroup_change_fn on_change, void *arg);
void wcgroup_put(struct wcgroup *cg, void *arg);
/* cgroup.procs, opened for writing: a child writes "0" to it to join, before exec. */
int wcgroup_procs_fd(const struct wcgroup *cg);
/* Moves PID into it (a process adopted from a cirqued that died), with what else is in the
 * dead cirqued's cgroup of this watcher (what its processes started): 0, or -1 with errno. */
int wcgroup_move(const struct wcgroup *cg, pid_t pid);
/* "/cirque-12/web", for status and logs. */
const char *wcgroup_path(const struct wcgroup *cg);
/* Some process is in it (cgroup.events populated, as last notified). */
bool wcgroup_populated(const struct wcgroup *cg);
/* Its processes (cgroup.procs): how many, in *PIDS (malloc'd, free it even when 0). */
int wcgroup_pids(const struct wcgroup *cg, pid_t **pids);
/* SIGKILL to everything in it, at once (cgroup.kill; a kill loop on kernels before 5.14). */
void wcgroup_kill(struct wcgroup *cg);
/* Moves every process in it to the base's .released cgroup (rm with nostop): they run on,
 * unsupervised, and nothing of the watchers' stops reaches them. */
void wcgroup_release_all(struct wcgroup *cg);
/* Writes the limits (logged when the kernel refuses one); 0, or -1. */
int wcgroup_apply_limits(struct wcgroup *cg, const struct cgroup_limits *limits);
/* The OOM kills in it so far (memory.events oom_kill), 0 without the memory controller. */
unsigned long long wcgroup_oom_kills(const struct wcgroup *cg);
/* CPU seconds of everything that ran in it (cpu.stat usage_usec), -1 if unknown. */
double wcgroup_cpu_seconds(const struct wcgroup *cg);
/* memory.current in bytes, -1 without the memory controller. */
long long wcgroup_memory(const struct wcgroup *cg);

#endif
