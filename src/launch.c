/* launch.c - preparing one spawn: substitutions, sockets and the environment cirque adds. */
#include "launch.h"

#include "parse.h"
#include "sockets.h"
#include "xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for LISTEN_PID's value: the child writes its pid there (spawn.c). */
#define PID_DIGITS 20

/* CIRQUE_WATCHER and CIRQUE_WID tell a program (and a script it runs) who it is; without
 * cgroups they also tell cirqued which watcher an adopted orphan belongs to. */
static const char *const added_names[] = { "NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=",
					   "LISTEN_FDNAMES=", "CIRQUE_WATCHER=", "CIRQUE_WID=" };

static bool mentions_variables(char **words)
{
	for (; words && *words; words++)
		if (strstr(*words, "$("))
			return true;
	return false;
}

/* WORDS with every variable substituted. */
static char **substitute_words(char **words, int wid, char **sockets, int nsockets)
{
	int n = 0;
	char **copy;

	while (words[n])
		n++;
	copy = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		copy[i] = substitute_vars(words[i], wid, sockets, nsockets);
	return copy;
}

static bool is_added_by_us(const char *entry)
{
	for (size_t i = 0; i < sizeof(added_names) / sizeof(added_names[0]); i++)
		if (strncmp(entry, added_names[i], strlen(added_names[i])) == 0)
			return true;
	return false;
}

static void add_variable(struct launch *l, int *n, char *entry)
{
	l->added[(*n)++] = entry;
}

/* LISTEN_FDNAMES: the names joined with ':' (each name is [A-Za-z0-9._-], so no escaping). */
static char *fdnames_entry(char **names, int n)
{
	size_t len = strlen("LISTEN_FDNAMES=") + 1;
	char *entry;

	for (int i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	entry = xmalloc(len);
	strcpy(entry, "LISTEN_FDNAMES=");
	for (int i = 0; i < n; i++) {
		if (i > 0)
			strcat(entry, ":");
		strcat(entry, names[i]);
	}
	return entry;
}

static void add_socket_variables(struct launch *l, int *n, char **names)
{
	char *pid_entry;

	add_variable(l, n, xasprintf("LISTEN_FDS=%d", l->nlisten));
	pid_entry = xcalloc(1, strlen("LISTEN_PID=") + PID_DIGITS + 1);
	strcpy(pid_entry, "LISTEN_PID=");
	l->listen_pid = pid_entry + strlen("LISTEN_PID=");
	add_variable(l, n, pid_entry);
	add_variable(l, n, fdnames_entry(names, l->nlisten));
}

/* The child's environment: ENV without what we set, then our variables. */
static void build_envp(const struct process *p, struct launch *l, char **env, char **names)
{
	int base = 0, added = 0, k = 0;

	while (env[base])
		base++;
	l->added = xcalloc(7, sizeof(char *));
	l->own_envp = xcalloc((size_t)base + 7, sizeof(char *));
	add_variable(l, &added, xasprintf("CIRQUE_WATCHER=%s", p->watcher->name));
	add_variable(l, &added, xasprintf("CIRQUE_WID=%d", p->wid));
	if (p->ready.notify_path)
		add_variable(l, &added, xasprintf("NOTIFY_SOCKET=%s", p->ready.notify_path));
	if (l->nlisten > 0)
		add_socket_variables(l, &added, names);
	for (int i = 0; i < base; i++)
		if (!is_added_by_us(env[i]))
			l->own_envp[k++] = env[i];
	for (int i = 0; i < added; i++)
		l->own_envp[k++] = l->added[i];
	l->envp = l->own_envp;
}

/* The PATH a bare command name is looked up in: the child's own (as Circus does), else the
 * daemon's. */
static const char *search_path(char **envp)
{
	for (; envp && *envp; envp++)
		if (strncmp(*envp, "PATH=", 5) == 0)
			return *envp + 5;
	return getenv("PATH");
}

int launch_prepare(const struct process *p, struct launch *l)
{
	const struct watcher_config *c = p->watcher->config;
	char *names[MAX_LISTEN_FDS];
	const char *missing = NULL;

	memset(l, 0, sizeof(*l));
	l->argv = c->argv;
	l->nlisten = sockets_of_watcher(c, names, l->listen_fds, MAX_LISTEN_FDS, &missing);
	if (l->nlisten < 0) {
		l->nlisten = 0;
		snprintf(l->failed_step, sizeof(l->failed_step), "find socket '%s' for", missing);
		errno = ENOENT;
		return -1;
	}
	char **env = c->env;
	if (mentions_variables(c->argv) || mentions_variables(c->env)) {
		l->own_argv = substitute_words(c->argv, p->wid, names, l->nlisten);
		l->own_env = substitute_words(c->env, p->wid, names, l->nlisten);
		l->argv = l->own_argv;
		env = l->own_env;
	}
	if (l->argv == NULL || env == NULL) {
		snprintf(l->failed_step, sizeof(l->failed_step), "prepare arguments for");
		errno = ENOMEM;
		return -1;
	}
	build_envp(p, l, env, names);
	l->search_path = search_path(l->envp);
	return 0;
}

void launch_release(struct launch *l)
{
	free_words(l->own_argv);
	free_words(l->own_env);
	free_words(l->added);
	free(l->own_envp);
	memset(l, 0, sizeof(*l));
}
