/* watcher_options.h - a watcher's options: loading one watcher from the configuration. */
#ifndef CIRQUE_WATCHER_OPTIONS_H
#define CIRQUE_WATCHER_OPTIONS_H

#include "config.h"

struct loader;
struct yaml_node_s;

/* Loads the watcher KEY: VALUE of the watchers: section (a pair_fn for walk_mapping). */
void load_watcher(struct loader *ld, const char *parent, struct yaml_node_s *key,
		  struct yaml_node_s *value, void *arg);

#endif
