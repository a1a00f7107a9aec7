/* yaml_node.h - the YAML toolkit of the configuration loader: the state of the file being walked,
 * error collection ("file:line:column: message"), node access, typed getters and mapping walks.
 * Private to the loader (config_*.c, watcher_options.c); it knows no section of the file. */
#ifndef CIRQUE_YAML_NODE_H
#define CIRQUE_YAML_NODE_H

#include <stdbool.h>
#include <yaml.h>

#include "config.h"
#include "text.h"

struct socket_ref;                /* config_sockets.c */

/* State of one file being walked. */
struct loader {
	const char *file;
	yaml_document_t *doc;
	struct config *config;
	struct config_errors *errors;
	char **includes;              /* globs from cirque.include, relative to the main file */
	yaml_mark_t *include_marks;   /* where each is written, for "file:line:col: include ..." */
	int nincludes;
	struct socket_ref *refs;      /* sockets named by watchers, checked once all is read */
	int nrefs;
	char **count_marks;           /* "file:line:column" of each watcher's numprocesses (or
				       * name), for the max_processes check once all is read */
	int ncount_marks;
};

char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void add_error_line(struct config_errors *errors, char *line);
/* "file:line:column: message" at NODE (or "file: message" without one). */
void add_error(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* " (did you mean 'KEY'?)" for the key of KEYS (N of them) closest to WORD, when one is close
 * enough to be a typo (Levenshtein distance at most 2, and less than WORD's length; case
 * ignored), else "". Points to a static buffer. */

yaml_node_t *node_at(struct loader *ld, int index);
const char *scalar(const yaml_node_t *node);
bool is_null(const yaml_node_t *node);

/* Typed getters: each reports "<path>: must be ..." at the value's mark and returns -1. */
int get_string(struct loader *ld, const char *path, yaml_node_t *node, char **out);
int get_int(struct loader *ld, const char *path, yaml_node_t *node, long min, long *out);
int get_bool(struct loader *ld, const char *path, yaml_node_t *node, bool *out);
int get_duration(struct loader *ld, const char *path, yaml_node_t *node, double *out);
int get_umask(struct loader *ld, const char *path, yaml_node_t *node, int *out);
int get_signal(struct loader *ld, const char *path, yaml_node_t *node, int *out);

/* A command's argv: CMD (written at CMD_NODE) split into words as a shell would, then its extra
 * arguments, *ARGS (a list, taken as is; *ARGS becomes NULL) or ARGS_TEXT (split too, written at
 * ARGS_NODE). NULL after reporting "PATH.cmd: ..." or "PATH.args: ..." (nothing to run, bad
 * quoting). */
char **command_argv(struct loader *ld, const char *path, const char *cmd, yaml_node_t *cmd_node,
		    char ***args, const char *args_text, yaml_node_t *args_node);

/* Reports PAIR's key if an earlier pair of MAP has the same one (libyaml does not check). */
bool is_duplicate_key(struct loader *ld, const char *path, yaml_node_t *map,
		      yaml_node_pair_t *pair);
/* Calls VISIT for each key of a mapping; reports non-mappings, non-scalar and duplicate keys. */
typedef void (*pair_fn)(struct loader *ld, const char *parent, yaml_node_t *key, yaml_node_t *value,
			void *arg);
void walk_mapping(struct loader *ld, const char *path, yaml_node_t *map, pair_fn visit, void *arg);

/* Bounds on node_to_json: YAML aliases can make a cycle (a: &a {b: *a}) or an exponential tree
 * ("billion laughs"), which a naive walk would follow until the stack or the memory runs out. */
#define RAW_MAX_DEPTH 32
#define RAW_MAX_NODES 100000

struct raw_budget {
	int nodes;
	bool exceeded;
};

/* NODE as written: scalars become strings (or null), so nothing is re-typed. */
json_t *node_to_json(struct loader *ld, yaml_node_t *node, int depth, struct raw_budget *budget);

#endif
