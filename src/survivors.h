/* survivors.h - crash survival: the processes of a cirqued that died are not started twice.
 *
 * cirqued keeps a small state file in its runtime directory: its own pid and start time, then
 * each process's watcher, slot, pid and start time (field 22 of /proc/PID/stat, which tells the
 * process from a later one that reused its pid). It is rewritten (a temporary file renamed over
 * it) a moment after pids change, at most every SURVIVORS_DELAY seconds however many spawn, and
 * removed at a clean exit; a cirqued that is killed (SIGKILL, the OOM killer) leaves it.
 *
 * At the next start (a plain one: a re-exec in place keeps its children and skips this),
 * survivors_collect reads it. A process still running with the same start time is a survivor.
 * With on_orphans: adopt, one of a configured watcher's slot becomes that slot's process,
 * RUNNING, watched through its pidfd (it is not our child: its exit comes without a status).
 * With on_orphans: stop, and for a survivor whose watcher or slot is no longer configured, or
 * that was being stopped or replaced, the watcher's stop_signal, then SIGKILL after its
 * graceful_timeout: no process is spawned before every one of them is gone. */
#ifndef CIRQUE_SURVIVORS_H
#define CIRQUE_SURVIVORS_H

#include <stdbool.h>

struct arbiter;
typedef void (*survivors_then_fn)(struct arbiter *a);

/* A's processes are kept in the state file from now on (named after A's control endpoint, in
 * the runtime directory). Call once the control plane is open. */
void survivors_track(struct arbiter *a);
/* Finds the survivors of the cirqued that wrote the state file, adopts or stops them as
 * on_orphans says, then calls THEN(A) (the start) and starts the watchers with adopted
 * processes that THEN did not (autostart: false). While survivors are being stopped, every
 * start is held (as for a dependency: status says why), and goes on once they are gone.
 * Refuses to start (fatal) when the cirqued that wrote it still runs. */
void survivors_collect(struct arbiter *a, survivors_then_fn then);
/* Survivors are being stopped and the watchers wait for them (a re-exec waits too: the stops
 * are not carried across). */
bool survivors_stopping(void);
/* The daemon is ending. CLEAN (every process stopped): the state file is removed; survivors
 * still being stopped get SIGKILL. Otherwise it is left for the next cirqued. */
void survivors_end(bool clean);

/* Before the sockets: section is bound (the daemon's CONTROL_ENDPOINT names the state file): the
 * survivors are read, and a socket they still listen on is taken back from them rather than
 * bound anew, which would fail (EADDRINUSE). survivors_sockets_done once the sockets are open. */
void survivors_sockets_prepare(const char *control_endpoint);
void survivors_sockets_done(void);

#endif
