/* listener.h - event listeners (listen_events:): the processes of such a watcher read the watcher
 * events on their stdin, one JSON object per line (supervisord's eventlistener, without its
 * READY/RESULT handshake: a line is sent whether or not the listener has finished the last one).
 *
 * Each slot (wid) of a listener has a pipe and a bounded queue that outlive its processes: the
 * read end is the stdin of the slot's process, of each respawn in turn, and the daemon keeps it
 * open, so that what is written while the slot restarts waits in the pipe for the next process.
 * The write end is non-blocking; what the pipe does not take waits in the slot's queue (a line
 * per event), written when the pipe is writable. A full queue drops its oldest line, counted.
 * A listener never hears about its own watcher: its own spawns and reaps would feed it. */
#ifndef CIRQUE_LISTENER_H
#define CIRQUE_LISTENER_H

#include <jansson.h>
#include <stdbool.h>

struct watcher;

/* Whether any watcher listens: when none does and nothing publishes, no payload is built. */
bool listeners_any(void);
/* One watcher event (events.c): PAYLOAD (not taken) plus "topic", "watcher" and "event" goes
 * to every listener that asks for it. Never blocks. */
void listeners_hear(const char *topic, const char *watcher, const char *event,
		    const json_t *payload);
/* The stdin of the process spawned in slot WID of W: the read end of the slot's pipe when W
 * listens (made at the slot's first spawn), FALLBACK (/dev/null) otherwise or when no pipe can
 * be made (logged). */
int listener_stdin(struct watcher *w, int wid, int fallback);
/* W is detached: its slots go (pipes closed, queues freed, io watchers stopped). */
void listener_forget(struct watcher *w);
/* Lines W's slots dropped since it listens (metrics). */
unsigned long long listener_dropped(const struct watcher *w);

/* Re-exec (reexec.h): every listener (by its watcher's name) and slot, its pipe's two ends
 * (kept with reexec_keep_fd), its queue and what of its head is written, the drops counted.
 * Changes nothing. */
json_t *listeners_save(void);
/* In the new process, once the watchers exist: the listeners of SAVED again, each of their
 * watcher FIND(name, ARG) (NULL: gone, the slots' pipes are closed), a slot whose queue is not
 * empty writing as its pipe has room. Returns 0, or -1 when some slot could not be restored
 * (logged; the rest is). */
int listeners_restore(const json_t *saved, struct watcher *(*find)(const char *name, void *arg),
		      void *arg);

#endif
