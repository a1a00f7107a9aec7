/* config_loader.h - the YAML walking helpers shared by config.c (cirque:, watchers:) and
 * config_sockets.c (sockets:, use_sockets). Private to the configuration loader. */
#ifndef CIRQUE_CONFIG_LOADER_H
#define CIRQUE_CONFIG_LOADER_H

#include <stdbool.h>
#include <yaml.h>

#include "config.h"

/* A socket named by a watcher (use_sockets, or $(circus.sockets.NAME)), checked once every file
 * has been read, since sockets: may come after the watchers that use them. */
struct socket_ref {
	char *where;                  /* "file:line:column: watchers.web.use_sockets" */
	char *name;
};

/* State of one file being walked. */
struct loader {
	const char *file;
	yaml_document_t *doc;
	struct config *config;
	struct config_errors *errors;
	char **includes;              /* globs from cirque.include, relative to the main file */
	int nincludes;
	struct socket_ref *refs;
	int nrefs;
};

char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void add_error_line(struct config_errors *errors, char *line);
/* "file:line:column: message" at NODE (or "file: message" without one). */
void add_error(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

yaml_node_t *node_at(struct loader *ld, int index);
const char *scalar(const yaml_node_t *node);
bool is_null(const yaml_node_t *node);

/* Typed getters: each reports "<path>: must be ..." at the value's mark and returns -1. */
int get_string(struct loader *ld, const char *path, yaml_node_t *node, char **out);
int get_int(struct loader *ld, const char *path, yaml_node_t *node, long min, long *out);
int get_bool(struct loader *ld, const char *path, yaml_node_t *node, bool *out);
int get_umask(struct loader *ld, const char *path, yaml_node_t *node, int *out);

/* Calls VISIT for each key of a mapping; reports non-mappings, non-scalar and duplicate keys. */
typedef void (*pair_fn)(struct loader *ld, const char *parent, yaml_node_t *key, yaml_node_t *value,
			void *arg);
void walk_mapping(struct loader *ld, const char *path, yaml_node_t *map, pair_fn visit, void *arg);

/* config_sockets.c */
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
