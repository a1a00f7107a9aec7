/* web_cirqued.h - cirque-web's side of cirqued: requests on its control socket (from any
 * thread), and its event stream, relayed to the browsers (Server-Sent Events). */
#ifndef CIRQUE_WEB_CIRQUED_H
#define CIRQUE_WEB_CIRQUED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Connects nothing yet: requests connect each time (a restarted cirqued is found again). */
int cirqued_init(const char *endpoint);
void cirqued_shutdown(void);
/* One request (COMMAND with PROPS, consumed; NULL for none) and its reply, or NULL with WHY:
 * no answer within TIMEOUT seconds, or a socket that is not cirqued's (endpoint.h). Safe from
 * any thread. */
json_t *cirqued_call(const char *command, json_t *props, double timeout, char *why,
		     size_t size);

/* The relay: a thread subscribed to cirqued's watcher events (its pubsub endpoint, asked with
 * globaloptions, again whenever cirqued cannot be reached), keeping the last ones in a ring. */
int relay_start(void);
void relay_stop(void);
/* A browser's place in the ring. */
struct relay_cursor {
	uint64_t next;                /* sequence number of the next event it gets */
	bool greeted;
};
void relay_cursor_init(struct relay_cursor *cursor);
/* Writes the next Server-Sent Events into BUF (at most MAX bytes): the events after CURSOR,
 * "event: resync" when it fell behind the ring, a comment every 15 s of silence (which also
 * finds a browser gone). Waits for one; returns 0 when the relay stops (end of stream). */
size_t relay_read(struct relay_cursor *cursor, char *buf, size_t max);

#endif
