/* stream.h - children's stdout/stderr: pipes read by libev, split into whole lines, sent to their
 * sink (file, the daemon's stdout/stderr, syslog), kept for `tail`, and published for `tail -f`.
 *
 * A reader belongs to one pipe and lives until that pipe's EOF, which may come after its process
 * is reaped (a grandchild holding the pipe, or simply lines still in flight): output is drained
 * to the end, so last words are never lost. */
#ifndef CIRQUE_STREAM_H
#define CIRQUE_STREAM_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

struct events;

/* The child's ends of its output pipes for one spawn, and the readers waiting for it. */
struct stream_pipes {
	int child_fd[2];              /* to install as the child's 1 and 2 (-1: the daemon's own) */
	int read_fd[2];               /* our ends, -1 if not captured */
	int write_fd[2];              /* the child's ends we must close after the spawn */
};

int streams_init(struct ev_loop *loop, struct events *events);
/* The event socket opened again (after a failed re-exec): lines are published there. */
void streams_set_events(struct events *events);
/* Flushes and closes everything (at exit, after the loop). */
void streams_shutdown(void);

/* Creates the pipes for a process of watcher NAME, worker WID, as CONFIG says. Returns -1 with
 * errno (EMFILE...) on failure, with nothing left open. */
int streams_prepare(const struct watcher_config *config, int devnull_fd, struct stream_pipes *p);
/* After a successful spawn: closes the child's ends and starts reading ours. */
void streams_attach(const struct watcher_config *config, int wid, struct stream_pipes *p);
/* After a failed spawn: closes everything. */
void streams_abort(struct stream_pipes *p);

/* A reload changed watcher CONFIG's output options, not which streams are captured (that
 * needs new pipes, so new processes): its readers send their next lines to the new sinks
 * (file, rotation, time_format, inherit, syslog...), switched between lines. */
void streams_reconfigure(const struct watcher_config *config);
/* At shutdown, once every process is gone: read what is left without waiting and close. */
void streams_drain_all(void);
/* SIGUSR1 and the reopen command. */
void streams_reopen(void);

/* The last N lines captured from watcher NAME (wid 0: every process) on stdout or stderr, as a
 * JSON array of strings (each line in base64 if BASE64, else as text: see text_to_json); NULL
 * when that stream is not captured at all. WIDS, if not NULL, gets each line's wid. */
json_t *streams_tail(const struct watcher_config *config, int wid, bool stderr_stream, int n,
		     bool base64, json_t *wids);

/* Lines captured so far, by watcher name and stream: {"web": {"stdout": 12, "stderr": 0}}
 * (a watcher with nothing captured is absent). */
json_t *streams_line_counts(void);

/* `clear`: empties the log files of watcher CONFIG (the file of each process, with {wid}, up
 * to NUMPROCESSES and every process there is) on the writer thread, and its tail buffers.
 * Returns the paths (a JSON array; empty when it writes no file). */
json_t *streams_clear(const struct watcher_config *config, int numprocesses);

/* Re-exec (reexec.h): every reader (its pipe, kept with reexec_keep_fd; the partial line it
 * holds; the lines its sink refused so far) and every tail ring, as JSON. Changes nothing. */
json_t *streams_save(void);
/* In the new process, after streams_init: the readers and rings of SAVED again, each reader
 * reading its pipe (once the lines its sink had refused are queued again), its output set up
 * from CONFIG_OF(its watcher's name, ARG) as streams_attach does, or, when that is NULL (the
 * watcher went while its pipe drained), no sink: its lines go to tail only. Returns 0, or -1
 * when some part could not be restored (logged; the rest is). */
int streams_restore(const json_t *saved,
		    const struct watcher_config *(*config_of)(const char *name, void *arg),
		    void *arg);

#endif
