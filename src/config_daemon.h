/* config_daemon.h - the cirque: section (the daemon's own settings), for the loader. */
#ifndef CIRQUE_CONFIG_DAEMON_H
#define CIRQUE_CONFIG_DAEMON_H

#include "yaml_node.h"

/* One key of cirque: (a pair_fn for walk_mapping). */
void visit_daemon_key(struct loader *ld, const char *parent, yaml_node_t *key, yaml_node_t *value,
		      void *arg);
/* The checks that need the whole section (endpoints, CURVE), reported as "PATH: ...". */
void check_daemon_config(const struct daemon_config *d, const char *path,
			 struct config_errors *errors);

#endif
