/* fdlimit.h - keeps the top of the descriptor table free for libzmq's connections.
 *
 * libzmq accepts control connections in its own thread and treats EMFILE there as a fatal
 * assertion: a daemon whose table is full of children's pipes would abort when a client
 * connects. So descriptors the daemon opens for children (pipes, log files, notify and probe
 * sockets, listening sockets) must stay below a ceiling; the rest of the table, the reserve, is
 * for the connections of the control and event sockets, and its last descriptors (the guard)
 * for the daemon's own passing needs. Descriptors are allocated lowest-first, so an fd at or
 * above the ceiling means the table below it is full: such an fd is closed at once and the
 * caller sees EMFILE, which the spawn backoff already handles.
 *
 * With a limit of L descriptors: reserve R = L/10 within [32, 1024] (at most L/2), guard
 * G = R/4 within [8, 64] (at most R/2), and R - G connections at most (connlimit.c shuts the
 * newest down beyond that; accept_guard.c refuses, in libzmq's thread, one that would land in
 * the guard, which a burst quicker than connlimit.c could otherwise fill). L = 256: children
 * below 224, 24 connections; L = 1024: 922, 77; L >= 10240: L - 1024, 960. */
#ifndef CIRQUE_FDLIMIT_H
#define CIRQUE_FDLIMIT_H

#include <stdbool.h>

#define FD_MIN_RESERVE 32
#define FD_MAX_RESERVE 1024

/* The reserve of a table of TABLE descriptors (a tenth, within bounds: room for many clients
 * connecting at once); the descriptors below TABLE minus it are for children. Inline: the
 * configuration loader uses it without the rest of this module. */
static inline long fd_reserve_of(long table)
{
	long r = table / 10;

	if (r < FD_MIN_RESERVE)
		r = FD_MIN_RESERVE;
	if (r > FD_MAX_RESERVE)
		r = FD_MAX_RESERVE;
	return r > table / 2 ? table / 2 : r;
}

/* Sets the ceiling from RLIMIT_NOFILE (call after raising it, before any thread starts). */
void fd_reserve_init(void);
/* FD itself, or -1 with errno EMFILE after closing it when it lies in the reserve. A negative
 * FD (a failed open) is passed through with its errno. */
int fd_keep(int fd);
/* The same for both ends of a pipe: 0, or -1 (EMFILE) with both closed. */
int fd_keep_pair(int fds[2]);
/* Both try MAKE_ROOM first when FD is in the reserve: it frees a descriptor below the ceiling
 * (a pidfd given up, reaper.c) and returns true, and FD moves down into it. */
void fd_set_room_maker(bool (*make_room)(void));
/* As fd_keep, but without making room: for a descriptor that is a mere convenience. */
int fd_keep_spare(int fd);
/* How many connections the control and event sockets may hold together. */
int fd_connection_limit(void);
/* RLIMIT_NOFILE as fd_reserve_init found it (0: unlimited), for messages. */
int fd_table_size(void);

#endif
