/* cmd.h - what the command handlers (cmd_*.c) share: property readers, watcher selection, and
 * the handlers themselves, one per row of commands.def. */
#ifndef CIRQUE_CMD_H
#define CIRQUE_CMD_H

#include <jansson.h>
#include <stdbool.h>

#include "control.h"

struct arbiter;
struct process;
struct watcher;

/* A handler. The dispatcher (commands.c) has made the checks of the command's row first: W is
 * the watcher named by "name" for CMD_WATCHER (and CMD_WATCHER_IF_NAMED when a name is given),
 * NULL otherwise. */
typedef void (*command_fn)(struct arbiter *a, struct request *req, json_t *props,
			   struct watcher *w);

/* Why a property is invalid: the reply "message invalid '<key>' <why>" (Circus's errno 3). */
enum invalid_why {
	INVALID_MISSING,
	INVALID_NOT_STRING,
	INVALID_NOT_LIST,
	INVALID_NOT_OBJECT,
	INVALID_NOT_INTEGER,
	INVALID_UNSPECIFIED,           /* "message invalid '<key>'" alone */
};
void reply_invalid(struct request *req, const char *key, enum invalid_why why);

const char *prop_string(json_t *props, const char *key);
bool prop_bool(json_t *props, const char *key, bool fallback);
/* An integer given as a number or a numeric string; -1 if present but bad. */
int prop_int(json_t *props, const char *key, long fallback, long *out);
bool waiting(json_t *props);
/* Watchers selected by name and match (simple, glob, regex); NULL name = all. Returns the count
 * (list in *out, malloc'd), or -1 after an error reply. */
int select_watchers(struct arbiter *a, struct request *req, json_t *props, struct watcher ***out);
/* cirque's extension: "wid" names one slot (process) of a watcher, 1..numprocesses.
 * prop_slot: 0 when absent, 1 with *WID, -1 after an error reply (not an integer, no such slot).
 * select_slot: the same, with the watcher named by "name" in *W.
 * slot_pid: the pid of the slot's process in *PID (1), 0 when absent, -1 after an error reply
 * (also when the slot runs no process). */
int prop_slot(struct request *req, json_t *props, struct watcher *w, int *wid);
int select_slot(struct arbiter *a, struct request *req, json_t *props, struct watcher **w,
		int *wid);
int slot_pid(struct request *req, json_t *props, struct watcher *w, long *pid);
/* W's process PID; NULL if none, and for a number beyond pid_t (2^32 + n is not n). */
struct process *find_process(struct watcher *w, long pid);
json_t *pids_of(const struct watcher *w);
json_t *pids_except(json_t *pids, json_t *exclude);
bool signal_from_json(json_t *v, int *sig);
/* Whether NAME (watcher W, or a new one when NULL) may want N processes under max_processes;
 * otherwise an EINVAL reply and false. */
bool within_max_processes(struct arbiter *a, struct request *req, const struct watcher *w,
			  const char *name, long n);

/* The handlers, cmd_<name> for each row of commands.def. */
#define CMD(name, flags, prop, prop_type, verb, cli, min, max, usage, help) \
	void cmd_##name(struct arbiter *a, struct request *req, json_t *props, struct watcher *w);
#define VERB(verb, cli, min, max, usage, help)
#include "commands.def"
#undef CMD
#undef VERB

#endif
