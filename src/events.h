/* events.h - the PUB socket: Circus's event topics (watcher.<name>.<event>) and payloads. */
#ifndef CIRQUE_EVENTS_H
#define CIRQUE_EVENTS_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct events;

struct events *events_open(void *zmq_context, const char *endpoint);
void events_close(struct events *e);
/* The PUB socket itself, to monitor its connections (connlimit.h); nothing else may use it. */
void *events_socket(struct events *e);
/* From now on a subscription to "cirque.hello.<anything>" is answered with a message on that
 * topic ({}): the subscriber's subscriptions before it are in force (events.c). */
int events_answer_hellos(struct events *e, struct ev_loop *loop);
#define EVENTS_HELLO_PREFIX "cirque.hello."

/* Publishes [topic, json] where topic is "watcher.<name>.<event>" (name lower-cased, spaces to
 * '_'). PAYLOAD is consumed; "time" is added. Never blocks: a slow subscriber loses messages at
 * its high-water mark, as PUB does. E may be NULL (no pubsub endpoint). The event listeners
 * hear it too (listener.h), E or not. */
/* Whether a watcher event would reach anyone: a PUB socket (E not NULL) or a listener. */
bool events_heard(const struct events *e);
void events_publish_watcher(struct events *e, const char *watcher, const char *event,
			    json_t *payload);
/* From now on, each line the daemon logs is published as [daemon.log, {"seq", "line"}]
 * (log.h's sequence numbers: a follower skips what it had from `maintail`). */
void events_follow_log(struct events *e, struct ev_loop *loop);
/* [topic, raw bytes]: the output streams (stream.<name>.<wid>.<stdout|stderr>). */
void events_publish_raw(struct events *e, const char *topic, const char *data, size_t len);

#endif
