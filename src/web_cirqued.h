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
/* A browser's place in the ring. Its stream never holds a thread while it waits: with nothing
 * to send, relay_read parks it (SUSPEND, called with the relay's lock held, so that no event
 * can slip between the look and the park), and the relay calls RESUME (outside its lock) when
 * an event comes, every 15 s for a keep-alive comment, and when it stops. */
struct relay_cursor {
	uint64_t next;                /* sequence number of the next event it gets */
	bool greeted;
	bool parked;                  /* SUSPEND was called, RESUME not yet */
	bool keepalive_due;           /* woken by the keep-alive round */
	void (*suspend)(void *arg);
	void (*resume)(void *arg);
	void *arg;
	struct relay_cursor *next_parked, *prev_parked;
};
void relay_cursor_init(struct relay_cursor *cursor, void (*suspend)(void *),
		       void (*resume)(void *), void *arg);
/* The cursor's stream is over (its connection closed): it is forgotten. */
void relay_cursor_done(struct relay_cursor *cursor);
/* Writes the next Server-Sent Events into BUF (at most MAX bytes): the events after CURSOR,
 * "event: resync" when it fell behind the ring, a comment after 15 s of silence (which also
 * finds a browser gone). Returns the bytes written; RELAY_PARKED when there is nothing yet (the
 * cursor was suspended: return 0 to the server); RELAY_END when the relay stops. */
#define RELAY_PARKED ((size_t)-1)
#define RELAY_END ((size_t)0)
size_t relay_read(struct relay_cursor *cursor, char *buf, size_t max);

#endif
