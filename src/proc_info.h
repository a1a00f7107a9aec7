/* proc_info.h - what Circus's stats report about a process, read from /proc. */
#ifndef CIRQUE_PROC_INFO_H
#define CIRQUE_PROC_INFO_H

#include <jansson.h>
#include <sys/types.h>

/* {pid, cpu, mem, mem_info1, mem_info2, ctime, age, create_time, cmdline, username, nice,
 * children (each described the same way)}; a vanished process gives {"pid": pid, "error": "No such process"}. */
json_t *proc_info(pid_t pid);

#endif
