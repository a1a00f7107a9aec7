/* cmd.h - what the command handlers (cmd_*.c) share: property readers, watcher selection, and
 * the handlers themselves, listed in commands.c's table. */
#ifndef CIRQUE_CMD_H
#define CIRQUE_CMD_H

#include <jansson.h>
#include <stdbool.h>

#include "control.h"

struct arbiter;
struct process;
struct watcher;

typedef void (*command_fn)(struct arbiter *a, struct request *req, json_t *props);

const char *prop_string(json_t *props, const char *key);
bool prop_bool(json_t *props, const char *key, bool fallback);
/* An integer given as a number or a numeric string; -1 if present but bad. */
int prop_int(json_t *props, const char *key, long fallback, long *out);
bool waiting(json_t *props);
/* The watcher named by the required property "name", or an error reply and NULL. */
struct watcher *need_watcher(struct arbiter *a, struct request *req, json_t *props);
/* Watchers selected by name and match (simple, glob, regex); NULL name = all. Returns the count
 * (list in *out, malloc'd), or -1 after an error reply. */
int select_watchers(struct arbiter *a, struct request *req, json_t *props, struct watcher ***out);
/* W's process PID; NULL if none, and for a number beyond pid_t (2^32 + n is not n). */
struct process *find_process(struct watcher *w, long pid);
json_t *pids_of(const struct watcher *w);
json_t *pids_except(json_t *pids, json_t *exclude);
bool signal_from_json(json_t *v, int *sig);

void cmd_add(struct arbiter *a, struct request *req, json_t *props);
void cmd_decr(struct arbiter *a, struct request *req, json_t *props);
void cmd_dstats(struct arbiter *a, struct request *req, json_t *props);
void cmd_get(struct arbiter *a, struct request *req, json_t *props);
void cmd_globaloptions(struct arbiter *a, struct request *req, json_t *props);
void cmd_incr(struct arbiter *a, struct request *req, json_t *props);
void cmd_kill(struct arbiter *a, struct request *req, json_t *props);
void cmd_list(struct arbiter *a, struct request *req, json_t *props);
void cmd_listsockets(struct arbiter *a, struct request *req, json_t *props);
void cmd_numprocesses(struct arbiter *a, struct request *req, json_t *props);
void cmd_numwatchers(struct arbiter *a, struct request *req, json_t *props);
void cmd_options(struct arbiter *a, struct request *req, json_t *props);
void cmd_quit(struct arbiter *a, struct request *req, json_t *props);
void cmd_reload(struct arbiter *a, struct request *req, json_t *props);
void cmd_reloadconfig(struct arbiter *a, struct request *req, json_t *props);
void cmd_reopen(struct arbiter *a, struct request *req, json_t *props);
void cmd_reread(struct arbiter *a, struct request *req, json_t *props);
void cmd_restart(struct arbiter *a, struct request *req, json_t *props);
void cmd_rm(struct arbiter *a, struct request *req, json_t *props);
void cmd_set(struct arbiter *a, struct request *req, json_t *props);
void cmd_signal(struct arbiter *a, struct request *req, json_t *props);
void cmd_start(struct arbiter *a, struct request *req, json_t *props);
void cmd_stats(struct arbiter *a, struct request *req, json_t *props);
void cmd_status(struct arbiter *a, struct request *req, json_t *props);
void cmd_stop(struct arbiter *a, struct request *req, json_t *props);
void cmd_tail(struct arbiter *a, struct request *req, json_t *props);

#endif
