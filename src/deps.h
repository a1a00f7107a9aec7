/* deps.h - dependencies between watchers (depends_on, restart_with): the lists as configured and
 * the checks of the whole graph (every name a watcher, no cycle). Pure: no daemon state. */
#ifndef CIRQUE_DEPS_H
#define CIRQUE_DEPS_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"

/* Appends NAME, written at WHERE ("file:line:col: path"), to LIST. */
void dep_list_add(struct dep_list *list, const char *name, const char *where);
bool dep_list_has(const struct dep_list *list, const char *name);
void dep_list_free(struct dep_list *list);
/* The same names in the same order (where they are written does not matter). */
bool dep_list_equal(const struct dep_list *a, const struct dep_list *b);
json_t *dep_list_json(const struct dep_list *list);

/* WC depends on NAME: through depends_on or restart_with (names are case-insensitive). */
bool deps_needs(const struct watcher_config *wc, const char *name);
/* WC has any dependency. */
bool deps_any(const struct watcher_config *wc);

/* Checks the dependencies of the N watchers of CONFIGS (NULL entries are skipped) as one set:
 * each name must be a watcher of the set, and no chain of them may come back to where it
 * began. Each problem is an error line in ERRORS, at the name as written ("file:line:col:
 * watchers.web.depends_on: unknown watcher 'dbb' (did you mean 'db'?)", "...: dependency
 * cycle: web -> cache -> db -> web"). Returns the number of errors. */
int deps_check(struct watcher_config *const *configs, int n, struct config_errors *errors);

#endif
