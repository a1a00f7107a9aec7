/* xmalloc.h - allocation that cannot fail (tmux's and OpenBSD's xmalloc).
 *
 * cirque's policy for running out of memory: a supervisor that cannot allocate a few hundred
 * bytes cannot keep its promises either, so it says so and aborts (its children, in their own
 * process groups, keep running; systemd restarts the daemon). Every allocation goes through
 * these functions, so no caller carries an untested error path, and none can forget one. */
#ifndef CIRQUE_XMALLOC_H
#define CIRQUE_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
/* realloc(PTR, COUNT * SIZE), refusing a product that overflows. */
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *text);
char *xstrndup(const char *text, size_t max);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
