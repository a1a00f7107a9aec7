/* fdlimit.h - keeps the top of the descriptor table free for libzmq.
 *
 * libzmq accepts control connections in its own thread and treats EMFILE there as a fatal
 * assertion: a daemon whose table is full of children's pipes would abort when a client
 * connects. So descriptors the daemon opens for children (pipes, log files, notify and probe
 * sockets, listening sockets) must stay below a ceiling; the rest of the table is libzmq's.
 * Descriptors are allocated lowest-first, so an fd at or above the ceiling means the table
 * below it is full: such an fd is closed at once and the caller sees EMFILE, which the spawn
 * backoff already handles. */
#ifndef CIRQUE_FDLIMIT_H
#define CIRQUE_FDLIMIT_H

/* Sets the ceiling from RLIMIT_NOFILE (call after raising it, before any thread starts). */
void fd_reserve_init(void);
/* FD itself, or -1 with errno EMFILE after closing it when it lies in the reserve. A negative
 * FD (a failed open) is passed through with its errno. */
int fd_keep(int fd);
/* The same for both ends of a pipe: 0, or -1 (EMFILE) with both closed. */
int fd_keep_pair(int fds[2]);
/* The reserve's size, for messages. */
int fd_reserve_size(void);

#endif
