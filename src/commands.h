/* commands.h - Circus's control commands, answered from the arbiter's state. */
#ifndef CIRQUE_COMMANDS_H
#define CIRQUE_COMMANDS_H

#include <jansson.h>
#include <sys/types.h>

#include "control.h"

/* The control socket's handler; ARG is the struct arbiter. */
void commands_handle(struct request *req, json_t *message, void *arg);
/* A process was reaped (kill jobs wait for their processes). */
void commands_on_reap(pid_t pid);
/* Called once every process is gone at shutdown: answers waiting `quit` requests. */
void commands_shutdown_complete(void);

#endif
