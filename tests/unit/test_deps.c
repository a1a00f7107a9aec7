/* test_deps.c - unit tests for src/deps.c: depends_on and restart_with as loaded, and the checks of
 * the graph (unknown names, self, cycles named whole, deep chains). */
#include "check.h"
#include "config.h"
#include "deps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct config_errors errors;

/* Loads TEXT as a main file: 0 or -1, the errors in `errors` (freed by the next call). */
static int load(const char *text, struct config **out)
{
	config_errors_free(&errors);
	return config_load_string("t.yaml", text, strlen(text), out, &errors);
}

/* All error lines, joined, for CHECK_CONTAINS. */
static const char *all_errors(void)
{
	static char out[8192];
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < errors.count && used < sizeof(out); i++)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s\n", errors.lines[i]);
	return out;
}

TEST(valid_graph)
{
	struct config *c = NULL;

	CHECK_INT(load("watchers:\n"
		       "  db: {cmd: a}\n"
		       "  cache: {cmd: a, depends_on: db}\n"
		       "  queue: {cmd: a, depends_on: [DB]}\n"
		       "  web: {cmd: a, depends_on: 'cache, queue', restart_with: [cache]}\n", &c), 0);
	struct watcher_config *web = config_find_watcher(c, "web");
	CHECK_INT(web->depends_on.count, 2);
	CHECK_STR(web->depends_on.names[1], "queue");
	CHECK(deps_needs(web, "CACHE"));
	CHECK(deps_needs(web, "queue"));
	CHECK(!deps_needs(web, "db"));  /* only directly */
	CHECK(dep_list_has(&web->restart_with, "cache"));
	CHECK(!deps_any(config_find_watcher(c, "db")));
	config_free(c);
}

TEST(unknown_and_self)
{
	struct config *c = NULL;

	CHECK_INT(load("watchers:\n"
		       "  db: {cmd: a}\n"
		       "  web:\n"
		       "    cmd: a\n"
		       "    depends_on: [cache, dbb]\n", &c), -1);
	CHECK_CONTAINS(all_errors(), "t.yaml:5:18: watchers.web.depends_on: unknown watcher 'cache'");
	CHECK_CONTAINS(all_errors(), "t.yaml:5:25: watchers.web.depends_on: unknown watcher 'dbb' "
		       "(did you mean 'db'?)");
	CHECK_INT(load("watchers:\n  web: {cmd: a, restart_with: [Web]}\n", &c), -1);
	CHECK_CONTAINS(all_errors(), "watchers.web.restart_with: a watcher cannot depend on itself");
	CHECK_INT(load("watchers:\n  db: {cmd: a}\n  web: {cmd: a, depends_on: [db, db]}\n", &c), -1);
	CHECK_CONTAINS(all_errors(), "'db' is listed twice");
	CHECK_INT(load("watchers:\n  web: {cmd: a, depends_on: {a: b}}\n", &c), -1);
	CHECK_CONTAINS(all_errors(), "depends_on: must be a list of watcher names");
}

TEST(cycles_named_whole)
{
	struct config *c = NULL;

	CHECK_INT(load("watchers:\n"
		       "  a: {cmd: x, depends_on: [b]}\n"
		       "  b: {cmd: x, depends_on: [c]}\n"
		       "  c: {cmd: x, depends_on: [a]}\n"
		       "  d: {cmd: x, depends_on: [a]}\n", &c), -1);
	CHECK_INT(errors.count, 1);  /* one cycle, reported once */
	CHECK_CONTAINS(all_errors(), "t.yaml:2:28: watchers.a.depends_on: dependency cycle: "
		       "a -> b -> c -> a");
	/* restart_with makes dependencies too */
	CHECK_INT(load("watchers:\n"
		       "  a: {cmd: x, restart_with: [b]}\n"
		       "  b: {cmd: x, depends_on: [a]}\n", &c), -1);
	CHECK_CONTAINS(all_errors(), "dependency cycle: a -> b -> a");
}

/* A chain of thousands of watchers is checked without recursion, and a cycle closing it is
 * named with every link. */
TEST(deep_chain)
{
	enum { N = 5000 };
	size_t size = (size_t)N * 64 + 64, used = 0;
	char *text = malloc(size);
	struct config *c = NULL;

	used += (size_t)snprintf(text + used, size - used, "watchers:\n");
	for (int i = 0; i < N; i++)
		used += (size_t)snprintf(text + used, size - used,
					 "  w%d: {cmd: x, depends_on: [w%d]}\n", i, i + 1);
	used += (size_t)snprintf(text + used, size - used, "  w%d: {cmd: x}\n", N);
	CHECK_INT(load(text, &c), 0);
	config_free(c);
	/* the last one depends on the first: one cycle through all of them */
	char *last = strstr(text, "  w5000: {cmd: x}");
	snprintf(last, size - (size_t)(last - text), "  w5000: {cmd: x, depends_on: [w0]}\n");
	CHECK_INT(load(text, &c), -1);
	CHECK_INT(errors.count, 1);
	CHECK_CONTAINS(errors.count ? errors.lines[0] : "", "w4999 -> w5000 -> w0");
	free(text);
}

int main(void)
{
	RUN(valid_graph);
	RUN(unknown_and_self);
	RUN(cycles_named_whole);
	RUN(deep_chain);
	config_errors_free(&errors);
	return check_summary();
}
