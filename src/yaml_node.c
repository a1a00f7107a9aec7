/* yaml_node.c - the YAML toolkit of the configuration loader: errors collected with the node's
 * mark, typed getters, mapping walks with duplicate-key checks, a node as JSON. */
#include "yaml_node.h"

#include "parse.h"
#include "text.h"
#include "xmalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ERRORS 50
#define MAX_MAPPING_KEYS 10000

char *strdup_printf(const char *fmt, ...)
{
	char *out;
	va_list ap;

	va_start(ap, fmt);
	out = xvasprintf(fmt, ap);
	va_end(ap);
	return out;
}

void add_error_line(struct config_errors *errors, char *line)
{

	if (errors->count >= MAX_ERRORS) {
		free(line);
		return;
	}
	errors->lines = xreallocarray(errors->lines, (size_t)errors->count + 1, sizeof(char *));
	errors->lines[errors->count++] = line;
}

void add_error(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
	char raw[1024], message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Errors quote values (from a client's `add` or `set` too): printed escaped wherever they go. */
	text_escape(message, sizeof(message), raw, strlen(raw), 0);
	if (node)
		add_error_line(ld->errors, xasprintf("%s:%zu:%zu: %s", ld->file,
						     node->start_mark.line + 1,
						     node->start_mark.column + 1, message));
	else
		add_error_line(ld->errors, xasprintf("%s: %s", ld->file, message));
}

void config_errors_free(struct config_errors *errors)
{
	for (int i = 0; i < errors->count; i++)
		free(errors->lines[i]);
	free(errors->lines);
	errors->lines = NULL;
	errors->count = 0;
}

yaml_node_t *node_at(struct loader *ld, int index)
{
	return yaml_document_get_node(ld->doc, index);
}

const char *scalar(const yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/* A YAML null: "~", "null", or nothing at all, when not quoted. */
bool is_null(const yaml_node_t *node)
{
	const char *s = scalar(node);

	return s && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (*s == '\0' || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0);
}

/* --- typed getters: each reports "<path>: must be ..." at the value's mark and returns -1 ------- */

int get_string(struct loader *ld, const char *path, yaml_node_t *node, char **out)
{
	const char *s = scalar(node);

	if (s == NULL || is_null(node)) {
		add_error(ld, node, "%s: must be a string", path);
		return -1;
	}
	free(*out);
	*out = xstrdup(s);
	return 0;
}

int get_int(struct loader *ld, const char *path, yaml_node_t *node, long min, long *out)
{
	const char *s = scalar(node);
	long v;

	if (s == NULL || parse_long(s, &v) < 0) {
		add_error(ld, node, "%s: must be an integer", path);
		return -1;
	}
	if (v < min) {
		add_error(ld, node, "%s: must be at least %ld, not %ld", path, min, v);
		return -1;
	}
	*out = v;
	return 0;
}

int get_bool(struct loader *ld, const char *path, yaml_node_t *node, bool *out)
{
	const char *s = scalar(node);

	if (s == NULL || parse_bool(s, out) < 0) {
		add_error(ld, node, "%s: must be true or false", path);
		return -1;
	}
	return 0;
}

int get_duration(struct loader *ld, const char *path, yaml_node_t *node, double *out)
{
	const char *s = scalar(node);

	if (s == NULL || parse_duration(s, out) < 0) {
		add_error(ld, node, "%s: must be a non-negative duration (e.g. 30, 1.5, 500ms, 30s, 5m)",
			  path);
		return -1;
	}
	return 0;
}

int get_umask(struct loader *ld, const char *path, yaml_node_t *node, int *out)
{
	const char *s = scalar(node);

	if (s == NULL || parse_umask(s, out) < 0) {
		add_error(ld, node, "%s: must be an octal mode such as 022", path);
		return -1;
	}
	return 0;
}

int get_signal(struct loader *ld, const char *path, yaml_node_t *node, int *out)
{
	const char *s = scalar(node);
	int sig;

	if (s == NULL || (sig = parse_signal(s)) < 0) {
		add_error(ld, node, "%s: unknown signal '%s'", path, s ? s : "");
		return -1;
	}
	*out = sig;
	return 0;
}

/* --- mappings -------------------------------------------------------------------------------- */

bool is_duplicate_key(struct loader *ld, const char *path, yaml_node_t *map,
		      yaml_node_pair_t *pair)
{
	yaml_node_t *key = node_at(ld, pair->key);
	const char *name = scalar(key);

	for (yaml_node_pair_t *q = map->data.mapping.pairs.start; name && q < pair; q++) {
		const char *earlier = scalar(node_at(ld, q->key));
		if (earlier && strcmp(earlier, name) == 0) {
			add_error(ld, key, "%s.%s: duplicate key (first at line %zu)", path, name,
				  node_at(ld, q->key)->start_mark.line + 1);
			return true;
		}
	}
	return false;
}

/* YAML's merge key: `<<: *defaults` (or a list of anchors) gives a mapping the keys of others
 * that it does not set itself, the first source winning; a source may merge in turn. */
#define MERGE_KEY "<<"
#define MERGE_MAX_DEPTH 8

struct merge_seen {
	const char **names;           /* the keys visited so far (heap, grown as needed) */
	int count, cap;
};

static bool merge_seen_has(const struct merge_seen *seen, const char *name)
{
	for (int i = 0; i < seen->count; i++)
		if (strcmp(seen->names[i], name) == 0)
			return true;
	return false;
}

static void merge_seen_add(struct merge_seen *seen, const char *name)
{
	if (seen->count == seen->cap) {
		seen->cap = seen->cap ? seen->cap * 2 : 16;
		seen->names = xreallocarray(seen->names, (size_t)seen->cap, sizeof(*seen->names));
	}
	seen->names[seen->count++] = name;
}

/* Calls VISIT for each key of SOURCE (a mapping, or a list of them, given by `<<`) not seen. */
static void merge_into(struct loader *ld, const char *path, yaml_node_t *source, pair_fn visit,
		       void *arg, struct merge_seen *seen, int depth)
{
	if (depth > MERGE_MAX_DEPTH) {
		add_error(ld, source, "%s.<<: merges nested too deep", path);
		return;
	}
	if (source && source->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = source->data.sequence.items.start;
		     it < source->data.sequence.items.top; it++)
			merge_into(ld, path, node_at(ld, *it), visit, arg, seen, depth + 1);
		return;
	}
	if (source == NULL || source->type != YAML_MAPPING_NODE) {
		add_error(ld, source, "%s.<<: must be a mapping or a list of mappings (an anchor such "
			  "as *defaults)", path);
		return;
	}
	yaml_node_t *nested = NULL;
	for (yaml_node_pair_t *p = source->data.mapping.pairs.start;
	     p < source->data.mapping.pairs.top; p++) {
		yaml_node_t *key = node_at(ld, p->key);
		const char *name = scalar(key);
		if (name && strcmp(name, MERGE_KEY) == 0) {
			nested = node_at(ld, p->value);
		} else if (name && !merge_seen_has(seen, name)) {
			merge_seen_add(seen, name);
			visit(ld, path, key, node_at(ld, p->value), arg);
		}
	}
	if (nested)
		merge_into(ld, path, nested, visit, arg, seen, depth + 1);
}

void walk_mapping(struct loader *ld, const char *path, yaml_node_t *map, pair_fn visit, void *arg)
{
	struct merge_seen seen = { NULL, 0, 0 };
	yaml_node_t *merge = NULL;

	if (map == NULL || map->type != YAML_MAPPING_NODE) {
		if (!is_null(map))
			add_error(ld, map, "%s: must be a mapping", path);
		return;
	}
	/* The duplicate check is quadratic: no real section comes near this. */
	if (map->data.mapping.pairs.top - map->data.mapping.pairs.start > MAX_MAPPING_KEYS) {
		add_error(ld, map, "%s: more than %d keys", path, MAX_MAPPING_KEYS);
		return;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = node_at(ld, p->key), *value = node_at(ld, p->value);
		const char *name = scalar(key);

		if (name == NULL) {
			add_error(ld, key, "%s: keys must be strings", path);
			continue;
		}
		if (is_duplicate_key(ld, path, map, p))
			continue;
		if (strcmp(name, MERGE_KEY) == 0) {
			merge = value;  /* after the mapping's own keys, which win */
			continue;
		}
		merge_seen_add(&seen, name);
		visit(ld, path, key, value, arg);
	}
	if (merge)
		merge_into(ld, path, merge, visit, arg, &seen, 0);
	free(seen.names);
}

/* The keys a `<<` of MAP merges, added to OUT where it has none: the options as written are
 * the merged ones. */
static void merge_json(struct loader *ld, yaml_node_t *map, json_t *out, int depth,
		       struct raw_budget *budget)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top && !budget->exceeded; p++) {
		const char *key = scalar(node_at(ld, p->key));
		if (key == NULL || strcmp(key, MERGE_KEY) != 0)
			continue;
		json_t *merged = node_to_json(ld, node_at(ld, p->value), depth + 1, budget);
		json_t *sources = json_is_array(merged) ? merged : NULL, *one;
		const char *name;
		size_t i;
		json_t *value;
		if (sources == NULL) {
			sources = json_array();
			json_array_append(sources, merged);
		}
		json_array_foreach(sources, i, one)
			json_object_foreach(one, name, value)
				if (json_object_get(out, name) == NULL)
					json_object_set(out, name, value);
		if (sources != merged)
			json_decref(sources);
		json_decref(merged);
	}
}

/* The options as written are kept for the control commands that change a watcher (set) and
 * rebuild it through this same loader. */
json_t *node_to_json(struct loader *ld, yaml_node_t *node, int depth, struct raw_budget *budget)
{
	json_t *out;

	if (node == NULL || depth > RAW_MAX_DEPTH || ++budget->nodes > RAW_MAX_NODES) {
		budget->exceeded = true;
		return json_null();
	}
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return is_null(node) ? json_null() : json_string(scalar(node));
	case YAML_SEQUENCE_NODE:
		out = json_array();
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top && !budget->exceeded; it++)
			json_array_append_new(out, node_to_json(ld, node_at(ld, *it), depth + 1, budget));
		return out;
	case YAML_MAPPING_NODE:
		out = json_object();
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
		     p < node->data.mapping.pairs.top && !budget->exceeded; p++) {
			const char *key = scalar(node_at(ld, p->key));
			if (key && strcmp(key, MERGE_KEY) != 0)
				json_object_set_new(out, key, node_to_json(ld, node_at(ld, p->value),
									   depth + 1, budget));
		}
		merge_json(ld, node, out, depth, budget);
		return out;
	default:
		return json_null();
	}
}

char **command_argv(struct loader *ld, const char *path, const char *cmd, yaml_node_t *cmd_node,
		    char ***args, const char *args_text, yaml_node_t *args_node)
{
	const char *error;
	char **argv = NULL, **extra = NULL;

	if (split_words(cmd, &argv, &error) < 0) {
		add_error(ld, cmd_node, "%s.cmd: %s", path, error);
		return NULL;
	}
	if (argv[0] == NULL) {
		free_words(argv);
		add_error(ld, cmd_node, "%s.cmd: is empty", path);
		return NULL;
	}
	if (*args) {
		extra = *args;
		*args = NULL;
	} else if (args_text && split_words(args_text, &extra, &error) < 0) {
		free_words(argv);
		add_error(ld, args_node, "%s.args: %s", path, error);
		return NULL;
	}
	if (extra && append_words(&argv, extra) < 0)
		free_words(extra);
	return argv;
}
