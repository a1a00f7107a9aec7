/* accept_guard.h - accept() and accept4() that never let libzmq see EMFILE (accept_guard.c). */
#ifndef CIRQUE_ACCEPT_GUARD_H
#define CIRQUE_ACCEPT_GUARD_H

/* From now on a connection accepted at descriptor FIRST_GUARDED_FD or above is refused (closed,
 * ECONNABORTED), and a full table refuses the connection instead of failing with EMFILE.
 * Call once, before libzmq starts. Until then accept() is the plain system call. */
void accept_guard_init(int first_guarded_fd);
/* Connections refused so far. */
long accept_guard_refused(void);

#endif
