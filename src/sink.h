/* sink.h - where captured output lines go: rotated log files, the daemon's own stdout/stderr,
 * syslog. All writing happens on one writer thread, so a slow or full disk never stalls the loop.
 *
 * The loop hands whole lines to a sink's bounded queue. When a queue is full the caller stops
 * reading the child's pipe (back-pressure: the child blocks on its write, nothing is lost) and is
 * told through an ev_async when there is room again. Only while a sink is failing (ENOSPC,
 * EACCES, a vanished directory) does a full queue drop its oldest lines, counted and reported
 * when the sink recovers; each failure episode is logged once. */
#ifndef CIRQUE_SINK_H
#define CIRQUE_SINK_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct sink;

/* Starts the writer thread; RESUME is called on the loop when sinks that refused lines have
 * room again (see sink_is_full). */
int sinks_init(struct ev_loop *loop, void (*resume)(void *arg), void *arg);
/* Writes everything still queued (blocking: only at exit), stops the thread, frees all sinks. */
void sinks_shutdown(void);
/* Blocks until the writer thread has written everything queued so far to every sink, for at
 * most 5 s (a sink that fails or is behind: what it still holds is logged as given up). The
 * thread and the sinks go on as before: for a re-exec, whose new process would not have the
 * queues (reexec.h). Lines logged after it may be written by the writer thread only later. */
void sinks_flush(void);
/* Reopens every log file (SIGUSR1, after an external logrotate). */
void sinks_reopen_all(void);

/* A rotated log file at PATH; the same path always gives the same (shared) sink. */
struct sink *sink_file(const char *path, const struct stream_config *sc);
/* The daemon's stdout (1) or stderr (2). */
struct sink *sink_fd(int fd);
/* Lines sent to the syslog socket (/dev/log; $CIRQUE_SYSLOG_PATH) at FACILITY | PRIORITY, as
 * "TAG: line"; the same three always give the same (shared) sink. */
struct sink *sink_syslog(int facility, int priority, const char *tag);
void sink_unref(struct sink *s);
/* Empties S's file (`clear`) on the writer thread, once the lines queued so far are written. */
void sink_truncate(struct sink *s);

/* Queues LEN bytes of whole lines. Returns false (nothing queued) when the queue is full: the
 * caller pauses and retries after the resume callback. */
bool sink_write(struct sink *s, const char *data, size_t len);
/* Queues whatever the queue holds already: for the last output of a pipe, which is bounded. */
void sink_write_final(struct sink *s, const char *data, size_t len);

#endif
