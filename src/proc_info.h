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

#endif
