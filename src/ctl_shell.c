/* ctl_shell.c - cirquectl without a verb: an interactive shell with line editing, history and
 * completion (libedit's readline interface) on a terminal, or commands one per line from a pipe.
 *
 * TAB completes the verb (the command table's), then what the verb takes: watcher names (asked
 * of the daemon at each TAB, so that they are never stale), name:wid once a ':' is typed, and
 * signal names after `signal`. */
#include "ctl.h"

#include "xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

/* The verbs whose arguments are watcher names (the bash completion has the same list). */
static const char *const naming_verbs[] = {
	"status", "start", "stop", "restart", "reload", "signal", "incr", "decr", "remove", "pid",
	"get", "set", "stats", "tail", "clear", "fg", "options", "numprocesses", "list", "top", NULL,
};

/* What `signal` offers first: the names operators use (the daemon takes these, SIGHUP, 1...). */
static const char *const signal_names[] = {
	"HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM", "CONT", "STOP", "TSTP", "ALRM",
	"WINCH", "TTIN", "TTOU", NULL,
};

static struct client *shell_client;

/* The candidates of the word being completed, and the generator's position in them. */
static char **candidates;
static size_t ncandidates, candidates_cap, next_candidate;

static void candidates_clear(void)
{
	for (size_t i = 0; i < ncandidates; i++)
		free(candidates[i]);
	ncandidates = next_candidate = 0;
}

static void candidate_add(char *word)
{
	if (ncandidates == candidates_cap) {
		candidates_cap = candidates_cap ? candidates_cap * 2 : 32;
		candidates = xreallocarray(candidates, candidates_cap, sizeof(*candidates));
	}
	candidates[ncandidates++] = word;
}

static void candidates_add_list(const char *const *words, const char *prefix)
{
	for (size_t i = 0; words[i]; i++)
		candidate_add(xasprintf("%s%s", prefix, words[i]));
}

/* The watcher names, and name:wid for each process when WITH_WIDS, from the daemon; nothing
 * (and no message: the prompt stays clean) when it cannot be reached. */
static void candidates_add_watchers(bool with_wids)
{
	const char *why, *name;
	int why_rc;
	json_t *reply, *procs, *proc;
	size_t i;

	reply = try_call(shell_client, "status", json_pack("{s:b}", "processes", 1), 2, &why,
			 &why_rc);
	if (reply == NULL)
		return;
	json_object_foreach(json_object_get(reply, "statuses"), name, procs) {
		candidate_add(xstrdup(name));
		if (!with_wids)
			continue;
		json_array_foreach(json_object_get(json_object_get(reply, "processes"), name), i,
				   proc)
			candidate_add(xasprintf("%s:%lld", name, (long long)json_integer_value(
				json_object_get(proc, "wid"))));
	}
	json_decref(reply);
}

static bool in_list(const char *const *list, const char *word)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], word) == 0)
			return true;
	return false;
}

/* Which word (0: the verb) the cursor is in, and the verb, from the line before START. */
static int word_index(int start, char *verb, size_t size)
{
	char *before = xmalloc((size_t)start + 1), *save = NULL;
	int n = 0;

	memcpy(before, rl_line_buffer, (size_t)start);
	before[start] = '\0';
	*verb = '\0';
	for (char *w = strtok_r(before, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == 0)
			snprintf(verb, size, "%s", w);
		n++;
	}
	free(before);
	return n;
}

static char *next_match(const char *text, int state)
{
	(void)state;  /* rl_completion_matches asks until NULL: next_candidate is the position */
	while (next_candidate < ncandidates) {
		const char *word = candidates[next_candidate++];
		if (strncmp(word, text, strlen(text)) == 0)
			return xstrdup(word);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	char verb[64];
	int index = word_index(start, verb, sizeof(verb));

	(void)end;
	rl_attempted_completion_over = 1;  /* never file names */
	candidates_clear();
	if (index == 0)
		candidates_add_list(verb_names(), "");
	else if (strcmp(verb, "signal") == 0 && index == 1)
		candidates_add_list(signal_names, strncmp(text, "SIG", 3) == 0 ? "SIG" : "");
	else if (in_list(naming_verbs, verb))
		candidates_add_watchers(strchr(text, ':') != NULL);
	if (ncandidates == 0)
		return NULL;
	return rl_completion_matches(text, next_match);
}

/* Splits LINE in place into at most MAX-1 words (blank-separated), NULL-terminated. */
static int split_line(char *line, char **words, int max)
{
	int n = 0;

	for (char *tok = strtok(line, " \t\n"); tok && n < max - 1; tok = strtok(NULL, " \t\n"))
		words[n++] = tok;
	words[n] = NULL;
	return n;
}

/* Whether Ctrl-C emptied the line being typed (shell_getc): readline returns it, unused. */
static bool line_cancelled;

/* One byte of input: 1, 0 at the end, -1 when Ctrl-C interrupted the read. */
static int read_byte(FILE *in, unsigned char *ch)
{
	for (;;) {
		ssize_t n = read(fileno(in), ch, 1);
		if (n == 1)
			return 1;
		if (n < 0 && errno == EINTR && interrupted)
			return -1;
		if (n < 0 && errno == EINTR)
			continue;
		return 0;
	}
}

/* libedit's input, a character at a time (libedit takes what this returns as one wide
 * character: UTF-8 is decoded here). Ctrl-C (SIGINT, which interrupts the read) ends the line
 * being typed as Enter would, and the shell drops it and prompts again, as bash does. */
static int shell_getc(FILE *in)
{
	unsigned char ch, more;
	int rc = read_byte(in, &ch), follow, code;

	if (rc < 0) {
		interrupted = 0;
		line_cancelled = true;
		return '\n';
	}
	if (rc == 0)
		return EOF;
	follow = ch >= 0xF0 ? 3 : ch >= 0xE0 ? 2 : ch >= 0xC0 ? 1 : 0;
	code = follow ? ch & (0x3F >> follow) : ch;
	for (int i = 0; i < follow; i++) {
		if (read_byte(in, &more) <= 0 || (more & 0xC0) != 0x80)
			return '?';
		code = code << 6 | (more & 0x3F);
	}
	return code;
}

/* The next line: from libedit on a terminal, else from stdin; NULL at the end. */
static char *next_line(bool tty, char *buf, size_t size)
{
	if (!tty)
		return fgets(buf, (int)size, stdin) ? xstrdup(buf) : NULL;
	line_cancelled = false;
	interrupted = 0;
	return readline("cirque> ");
}

/* Commands from a terminal, or from a pipe one per line. A pipe's exit code is the worst
 * (highest) of its lines', so that a script's failing line is not lost; Ctrl-C ends it. On a
 * terminal Ctrl-C empties the line being typed or ends the command waiting (the daemon carries
 * on), and the shell prompts again; Ctrl-D or quit leaves it. */
int shell(struct client *c)
{
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	char *history_file = NULL, *line, buf[4096], *words[64];
	const char *home = getenv("HOME");
	int rc = EXIT_OK, worst = EXIT_OK;

	if (tty) {
		if (home)
			history_file = xasprintf("%s/.cirquectl_history", home);
		rl_catch_signals = 0;  /* Ctrl-C is ours (shell_getc), not libedit's */
		rl_getc_function = shell_getc;
		using_history();
		if (history_file)
			read_history(history_file);
		shell_client = c;
		rl_attempted_completion_function = complete;
	}
	while ((line = next_line(tty, buf, sizeof(buf))) != NULL) {
		if (tty && line_cancelled) {
			free(line);
			continue;
		}
		if (tty && *line)
			add_history(line);
		int n = split_line(line, words, 64);
		/* quit and exit leave the shell, as in supervisorctl: `cirquectl quit` (Circus's
		 * alias of shutdown) is for the command line, never a slip of the fingers here. */
		if (n > 0 && (strcmp(words[0], "quit") == 0 || strcmp(words[0], "exit") == 0)) {
			free(line);
			break;
		}
		interrupted = 0;  /* a Ctrl-C that ended the last `tail -f` is spent */
		if (n > 0)
			rc = run_line(c, n, words);
		free(line);
		/* Ctrl-C ended a `tail -f` quietly: the prompt goes below the terminal's "^C". */
		if (tty && interrupted && rc != EXIT_INTERRUPTED)
			putchar('\n');
		if (rc > worst)
			worst = rc;
		if (!tty && (rc == EXIT_INTERRUPTED || interrupted))
			break;
	}
	if (tty) {
		putchar('\n');
		if (history_file)
			write_history(history_file);
		free(history_file);
	}
	candidates_clear();
	free(candidates);
	return tty ? rc : interrupted ? EXIT_INTERRUPTED : worst;
}
