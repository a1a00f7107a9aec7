/* zbind.h - binding a ZeroMQ socket so that its listening descriptor can outlive the process
 * image (reexec.h): the descriptor libzmq made for a bind is found and remembered, and a
 * descriptor inherited from the previous image is handed to libzmq (ZMQ_USE_FD) instead of a
 * new bind. Connections that arrive meanwhile wait in the kernel's backlog: none is refused. */
#ifndef CIRQUE_ZBIND_H
#define CIRQUE_ZBIND_H

/* zmq_bind(SOCKET, ENDPOINT), on the descriptor inherited for ENDPOINT if there is one. */
int zbind(void *socket, const char *endpoint);
/* The listening descriptor of ENDPOINT's last bind, or -1 if it could not be found. */
int zbind_fd(const char *endpoint);
/* The previous image listened on ENDPOINT with FD: the next zbind of ENDPOINT uses it. */
void zbind_inherit(const char *endpoint, int fd);
/* Closes the inherited descriptors no bind took (an endpoint no longer configured), calling
 * DROPPED (if not NULL) with each endpoint. */
void zbind_drop_unused(void (*dropped)(const char *endpoint));

#endif
