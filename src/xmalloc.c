/* xmalloc.c - allocation that cannot fail: out of memory aborts with a message (see xmalloc.h). */
#include "xmalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Written without stdio or the logger, which may need memory themselves. */
static void __attribute__((noreturn)) out_of_memory(const char *what)
{
	static const char prefix[] = "cirque: out of memory in ";
	ssize_t ignored;

	ignored = write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
	ignored = write(STDERR_FILENO, what, strlen(what));
	ignored = write(STDERR_FILENO, "\n", 1);
	(void)ignored;
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory("malloc");
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory("calloc");
	return p;
}

void *xreallocarray(void *ptr, size_t count, size_t size)
{
	size_t total;
	void *p;

	if (size != 0 && count > SIZE_MAX / size)
		out_of_memory("reallocarray (size overflow)");
	total = count * size;
	p = realloc(ptr, total != 0 ? total : 1);
	if (p == NULL)
		out_of_memory("realloc");
	return p;
}

char *xstrdup(const char *text)
{
	char *p = strdup(text);

	if (p == NULL)
		out_of_memory("strdup");
	return p;
}

char *xstrndup(const char *text, size_t max)
{
	char *p = strndup(text, max);

	if (p == NULL)
		out_of_memory("strndup");
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		out_of_memory("asprintf");
	return p;
}
