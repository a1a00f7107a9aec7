/* web_page.h - cirque-web's HTML, made on the server: the whole dashboard is readable (and its
 * watcher actions usable, as plain forms) without JavaScript; app.js then keeps it live. */
#ifndef CIRQUE_WEB_PAGE_H
#define CIRQUE_WEB_PAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct page_options {
	bool actions;                 /* show the action forms */
	int refresh_seconds;          /* for app.js: how often to ask for CPU and memory */
	const char *notice;           /* a line at the top (an action's outcome), or NULL */
	const char *error;            /* cirqued could not be asked: why, or NULL */
	double now;                   /* Unix time, for uptimes */
};

/* The dashboard from the metrics command's reply (NULL with O->error). malloc'd, *LEN bytes. */
char *page_dashboard(json_t *metrics, const struct page_options *o, size_t *len);
/* A process's (WID 0: a watcher's) last output lines, from the tail command's reply. */
char *page_output(const char *name, int wid, const char *stream, json_t *tail, const char *error,
		  size_t *len);
/* "1:02:03", "2d 3:04:05" */
void page_duration(char *out, size_t size, double seconds);
/* "812K", "12.3M", "1.2G" */
void page_bytes(char *out, size_t size, double bytes);

#endif
