/* spawn_stub.h - what a test can ask of spawn_stub.c, the stand-in for spawn.c. */
#ifndef CIRQUE_SPAWN_STUB_H
#define CIRQUE_SPAWN_STUB_H

#include <stdbool.h>

#include "spawn.h"

#define SPAWN_STUB_FIRST_PID (1 << 30)

/* True: every spawn succeeds with a new made-up pid (from SPAWN_STUB_FIRST_PID up); nothing
 * runs, so the test delivers the exits itself. False (the default): every spawn fails (EAGAIN). */
extern bool spawn_stub_fake_pids;
/* Called for each made-up spawn, or NULL. */
typedef void (*spawn_stub_hook)(const struct spawn_request *req, pid_t pid);
extern spawn_stub_hook spawn_stub_on_spawn;

#endif
