/* deps.c - dependencies between watchers: the lists as configured, and the checks of the graph
 * they make (every name known, no cycle), done once every watcher of a set is read. */
#include "deps.h"

#include "text.h"
#include "xmalloc.h"
#include "yaml_node.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void dep_list_add(struct dep_list *list, const char *name, const char *where)
{
	list->names = xreallocarray(list->names, (size_t)list->count + 2, sizeof(char *));
	list->where = xreallocarray(list->where, (size_t)list->count + 2, sizeof(char *));
	list->names[list->count] = xstrdup(name);
	list->where[list->count] = xstrdup(where);
	list->count++;
	list->names[list->count] = NULL;
	list->where[list->count] = NULL;
}

bool dep_list_has(const struct dep_list *list, const char *name)
{
	for (int i = 0; i < list->count; i++)
		if (strcasecmp(list->names[i], name) == 0)
			return true;
	return false;
}

void dep_list_free(struct dep_list *list)
{
	for (int i = 0; i < list->count; i++) {
		free(list->names[i]);
		free(list->where[i]);
	}
	free(list->names);
	free(list->where);
	memset(list, 0, sizeof(*list));
}

bool dep_list_equal(const struct dep_list *a, const struct dep_list *b)
{
	if (a->count != b->count)
		return false;
	for (int i = 0; i < a->count; i++)
		if (strcasecmp(a->names[i], b->names[i]) != 0)
			return false;
	return true;
}

json_t *dep_list_json(const struct dep_list *list)
{
	json_t *out = json_array();

	for (int i = 0; i < list->count; i++)
		json_array_append_new(out, json_string(list->names[i]));
	return out;
}

bool deps_needs(const struct watcher_config *wc, const char *name)
{
	return dep_list_has(&wc->depends_on, name) || dep_list_has(&wc->restart_with, name);
}

bool deps_any(const struct watcher_config *wc)
{
	return wc->depends_on.count > 0 || wc->restart_with.count > 0;
}

/* --- the graph ---------------------------------------------------------------------------------- */

struct named {
	const char *name;
	int index;
};

static int compare_named(const void *x, const void *y)
{
	return strcasecmp(((const struct named *)x)->name, ((const struct named *)y)->name);
}

/* One edge of the graph: configs[from] depends on configs[to], written at WHERE. */
struct edge {
	int to;
	const char *where;
};

struct graph {
	struct watcher_config *const *configs;
	int n;
	struct edge **edges;          /* per watcher, its edges to known watchers */
	int *nedges;
};

static int find_index(const struct named *index, int n, const char *name)
{
	struct named key = { name, -1 };
	const struct named *hit = bsearch(&key, index, (size_t)n, sizeof(*index), compare_named);

	return hit ? hit->index : -1;
}

/* The names of the set, for " (did you mean ...)". */
static const char **names_of(struct watcher_config *const *configs, int n, size_t *count)
{
	const char **names = xcalloc((size_t)n + 1, sizeof(char *));

	*count = 0;
	for (int i = 0; i < n; i++)
		if (configs[i])
			names[(*count)++] = configs[i]->name;
	return names;
}

static int add_edges(struct graph *g, int from, const struct dep_list *list,
		     const struct named *index, int nindex, const char **names, size_t nnames,
		     struct config_errors *errors)
{
	int problems = 0;

	for (int k = 0; k < list->count; k++) {
		int to = find_index(index, nindex, list->names[k]);
		if (to < 0) {
			add_error_line(errors, strdup_printf("%s: unknown watcher '%s'%s", list->where[k],
							     list->names[k],
							     did_you_mean(list->names[k], names,
									  nnames)));
			problems++;
			continue;
		}
		g->edges[from] = xreallocarray(g->edges[from], (size_t)g->nedges[from] + 1,
					       sizeof(struct edge));
		g->edges[from][g->nedges[from]++] = (struct edge){ to, list->where[k] };
	}
	return problems;
}

/* "web -> cache -> db -> web": the path from STACK[FIRST] to the top, and back to it. */
static char *cycle_text(const struct graph *g, const int *stack, int depth, int first)
{
	size_t size = 1;
	char *out;

	for (int i = first; i < depth; i++)
		size += strlen(g->configs[stack[i]]->name) + 4;
	size += strlen(g->configs[stack[first]]->name);
	out = xmalloc(size);
	out[0] = '\0';
	for (int i = first; i < depth; i++) {
		strcat(out, g->configs[stack[i]]->name);
		strcat(out, " -> ");
	}
	strcat(out, g->configs[stack[first]]->name);
	return out;
}

enum { WHITE, GREY, BLACK };

/* Depth-first from ROOT without recursion (a chain of thousands of watchers is allowed): a
 * grey node met again closes a cycle. */
static int find_cycles(const struct graph *g, int root, unsigned char *colour, int *stack,
		       int *next_edge, struct config_errors *errors)
{
	int depth = 0, problems = 0;

	stack[depth] = root;
	next_edge[depth] = 0;
	colour[root] = GREY;
	depth++;
	while (depth > 0) {
		int v = stack[depth - 1];
		if (next_edge[depth - 1] == g->nedges[v]) {
			colour[v] = BLACK;
			depth--;
			continue;
		}
		const struct edge *e = &g->edges[v][next_edge[depth - 1]++];
		if (colour[e->to] == GREY) {
			int first = depth - 1;
			while (stack[first] != e->to)
				first--;
			char *text = cycle_text(g, stack, depth, first);
			/* Said where the cycle is entered first in the file's order (the edge out of
			 * the watcher met first): where a new dependency usually closes it. */
			const struct edge *entry = first + 1 < depth
				? &g->edges[stack[first]][next_edge[first] - 1] : e;
			add_error_line(errors, strdup_printf("%s: dependency cycle: %s", entry->where,
							     text));
			free(text);
			problems++;
		} else if (colour[e->to] == WHITE) {
			colour[e->to] = GREY;
			stack[depth] = e->to;
			next_edge[depth] = 0;
			depth++;
		}
	}
	return problems;
}

int deps_check(struct watcher_config *const *configs, int n, struct config_errors *errors)
{
	struct named *index = xcalloc((size_t)n + 1, sizeof(*index));
	struct graph g = { configs, n, xcalloc((size_t)n + 1, sizeof(struct edge *)),
			   xcalloc((size_t)n + 1, sizeof(int)) };
	int nindex = 0, problems = 0;
	size_t nnames;
	const char **names = names_of(configs, n, &nnames);

	for (int i = 0; i < n; i++)
		if (configs[i])
			index[nindex++] = (struct named){ configs[i]->name, i };
	qsort(index, (size_t)nindex, sizeof(*index), compare_named);
	for (int i = 0; i < n; i++) {
		if (configs[i] == NULL)
			continue;
		problems += add_edges(&g, i, &configs[i]->depends_on, index, nindex, names, nnames,
				      errors);
		problems += add_edges(&g, i, &configs[i]->restart_with, index, nindex, names, nnames,
				      errors);
	}
	unsigned char *colour = xcalloc((size_t)n + 1, 1);
	int *stack = xcalloc((size_t)n + 1, sizeof(int)), *next_edge = xcalloc((size_t)n + 1,
									   sizeof(int));
	for (int i = 0; i < n; i++)
		if (configs[i] && colour[i] == WHITE)
			problems += find_cycles(&g, i, colour, stack, next_edge, errors);
	for (int i = 0; i < n; i++)
		free(g.edges[i]);
	free(g.edges);
	free(g.nedges);
	free(colour);
	free(stack);
	free(next_edge);
	free(index);
	free(names);
	return problems;
}
