/* commands.h - Circus's control commands, answered from the arbiter's state. */
#ifndef CIRQUE_COMMANDS_H
#define CIRQUE_COMMANDS_H

#include <jansson.h>

#include "control.h"

/* The control socket's handler; ARG is the struct arbiter. */
void commands_handle(struct request *req, json_t *message, void *arg);
/* Called once every process is gone at shutdown: answers waiting `quit` requests. */
void commands_shutdown_complete(void);

#endif
