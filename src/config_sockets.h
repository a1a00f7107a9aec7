/* config_sockets.h - the sockets: section and a watcher's use of sockets, for the loader. */
#ifndef CIRQUE_CONFIG_SOCKETS_H
#define CIRQUE_CONFIG_SOCKETS_H

#include "yaml_node.h"

/* The sockets: section. */
void load_sockets_section(struct loader *ld, yaml_node_t *map);
/* A watcher's use_sockets option: a list of socket names, one name, or true (every socket). */
int parse_use_sockets(struct loader *ld, const char *path, yaml_node_t *v,
		      struct watcher_config *wc);
/* Checks that $(circus.sockets.NAME) in WC's argv and env name sockets the watcher uses
 * (reported at NODE); remembers names to check against sockets: once everything is read. */
void check_socket_vars(struct loader *ld, const char *path, yaml_node_t *node,
		       struct watcher_config *wc);
/* Reports every remembered reference to a socket the configuration does not define. */
void resolve_socket_refs(struct loader *ld);
void free_socket_refs(struct loader *ld);

#endif
