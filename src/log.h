/* log.h - the daemon's logging: levels, errno-carrying variants, one output. */
#ifndef CIRQUE_LOG_H
#define CIRQUE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LL_DEBUG, LL_INFO, LL_WARNING, LL_ERROR, LL_CRITICAL };

/* Parses "debug", "info", "warning" (or "warn"), "error", "critical"; -1 if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Sends output to PATH ("-", "stderr" or NULL: stderr; "stdout"), a file opened through safefs.
 * Returns -1 with errno and WHY (SAFEFS_WHY bytes) on failure, and keeps the previous output. */
int log_set_output(const char *path, char *why);
/* Opens the output file again (logrotate moved it): SIGUSR1 and `reopen`. As log_set_output. */
int log_reopen(char *why);

/* Once set, lines for the daemon's stdout/stderr go through WRITER (the sink thread, so a slow
 * journald never stalls the loop); it returns false to have the line written directly. */
typedef bool (*log_writer_fn)(int fd, const char *line, size_t len);
void log_set_writer(log_writer_fn writer);

/* The last lines logged (at most 500) are kept for `maintail`, each with a sequence number
 * (1, 2, ...). log_recent calls FN on the last MAX of those after sequence number AFTER, oldest
 * first, under a lock (FN must neither log nor block), and returns the last line's number. */
unsigned long long log_recent(unsigned long long after, size_t max,
			      void (*fn)(unsigned long long seq, const char *line, void *arg),
			      void *arg);
/* HOOK is called after each line is kept, from the thread that logs it: it may only wake the
 * loop (ev_async_send), which then reads the new lines with log_recent. */
typedef void (*log_line_hook_fn)(void);
void log_set_line_hook(log_line_hook_fn hook);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like log_msg, with ": <strerror(errno)>" appended (errno as it was on entry). */
void log_errno(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LL_INFO, __VA_ARGS__)
/* OpenBSD's naming: the plain name appends ": <strerror(errno)>", the x form does not. */
#define log_warn(...) log_errno(LL_WARNING, __VA_ARGS__)
#define log_warnx(...) log_msg(LL_WARNING, __VA_ARGS__)
#define log_error(...) log_errno(LL_ERROR, __VA_ARGS__)
#define log_errorx(...) log_msg(LL_ERROR, __VA_ARGS__)

/* Start-up only: log at CRITICAL and exit(1), with errno (fatal) or without (fatalx). Once the
 * loop runs nothing is fatal. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
