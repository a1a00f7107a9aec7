/* config_file.c - configuration files: opening them with OpenSSH's StrictModes checks, one YAML
 * document each, the top-level sections, cirque.include, and the load entry points.
 *
 * A file is loaded as a document and walked with key-handler tables: config_daemon.c for the
 * `cirque:` section, config_sockets.c for `sockets:`, watcher_options.c for each watcher. Each
 * handler converts one value and reports problems with the node's mark, so messages read
 * "file:line:column: watchers.web.numprocesses: must be ...". All errors are collected; a config
 * with any error is rejected as a whole. */
#include "config.h"

#include "config_daemon.h"
#include "config_sockets.h"
#include "deps.h"
#include "log.h"
#include "parse.h"
#include "safefs.h"
#include "watcher_options.h"
#include "yaml_node.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct top_arg {
	bool is_main;                 /* the main file may have cirque:; includes only watchers: */
};

/* Whether MAP (a mapping) has the key NAME: a top-level key holding a cmd is a watcher that
 * lost its indentation. */
static bool has_key(struct loader *ld, yaml_node_t *map, const char *name)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *key = scalar(node_at(ld, p->key));
		if (key && strcmp(key, name) == 0)
			return true;
	}
	return false;
}

/* "[program:web]" or "[watcher:web]" read as YAML: a list whose first item is such a word. */
static bool looks_like_ini(struct loader *ld, yaml_node_t *root)
{
	static const char *const sections[] = { "program:", "watcher:", "supervisord", "circus",
						"group:", "include", "unix_http_server", "socket:" };
	yaml_node_item_t *first = root->data.sequence.items.start;
	const char *word;

	if (first == root->data.sequence.items.top ||
	    (word = scalar(node_at(ld, *first))) == NULL)
		return false;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strncmp(word, sections[i], strlen(sections[i])) == 0)
			return true;
	return false;
}

static void visit_top_key(struct loader *ld, const char *parent, yaml_node_t *key,
			  yaml_node_t *value, void *arg)
{
	const struct top_arg *top = arg;
	const char *name = scalar(key);

	if (name == NULL)  /* walk_mapping passes only string keys */
		return;

	(void)parent;
	if (strncmp(name, "x-", 2) == 0)
		return;  /* an extension field, as in docker-compose: a place for anchors (&defaults) */
	if (strcmp(name, "watchers") == 0)
		walk_mapping(ld, "watchers", value, load_watcher, NULL);
	else if (strcmp(name, "cirque") == 0 && top->is_main)
		walk_mapping(ld, "cirque", value, visit_daemon_key, NULL);
	else if (strcmp(name, "sockets") == 0 && top->is_main)
		load_sockets_section(ld, value);
	else if (strcmp(name, "cirque") == 0 || strcmp(name, "sockets") == 0)
		add_error(ld, key, "'%s:' settings belong in the main file, not in an include",
			  name);
	else if (value && value->type == YAML_MAPPING_NODE && has_key(ld, value, "cmd"))
		add_error(ld, key, "unknown top-level key '%s' (a watcher? indent it under "
			  "watchers:)", name);
	else {
		static const char *const keys[] = { "watchers", "cirque", "sockets" };
		add_error(ld, key, "unknown top-level key '%s'%s (expected %s)", name,
			  did_you_mean(name, keys, top->is_main ? 3 : 1),
			  top->is_main ? "cirque, sockets or watchers" : "watchers");
	}
}

/* One file holds one document: a second one (after ---) would otherwise be ignored silently. */
static void reject_more_documents(struct loader *ld, yaml_parser_t *parser)
{
	yaml_document_t next;

	if (!yaml_parser_load(parser, &next))
		return;  /* a syntax error after the first document: reported as such below */
	yaml_node_t *root = yaml_document_get_root_node(&next);
	if (root)
		add_error_line(ld->errors, xasprintf("%s:%zu:%zu: only one YAML document per file is allowed",
						     ld->file, next.start_mark.line + 1,
						     next.start_mark.column + 1));
	yaml_document_delete(&next);
}

/* The character at LINE and COLUMN (from 0, COLUMN in characters) of SOURCE, -1 if none. */
static int char_at(FILE *source, size_t line, size_t column)
{
	int c;

	if (source == NULL || fseek(source, 0, SEEK_SET) < 0)
		return -1;
	while (line > 0 && (c = getc(source)) != EOF)
		if (c == '\n')
			line--;
	while ((c = getc(source)) != EOF && c != '\n') {
		if (((unsigned)c & 0xC0) == 0x80)
			continue;  /* a UTF-8 continuation byte: the same character */
		if (column-- == 0)
			return c;
	}
	return -1;
}

/* libyaml's words for a tab where a token should start, for which it gives no reason. */
static const char *syntax_hint(yaml_parser_t *parser, FILE *source)
{
	if (parser->problem && strstr(parser->problem, "cannot start any token") &&
	    char_at(source, parser->problem_mark.line, parser->problem_mark.column) == '\t')
		return " (a tab: tabs are not allowed for indentation in YAML, use spaces)";
	return "";
}

/* Walks the one document PARSER yields (its input already set, from SOURCE when it is a file,
 * for the hints of syntax errors) as the file named ld->file. */
static void load_document(struct loader *ld, yaml_parser_t *parser, FILE *source, bool is_main)
{
	yaml_document_t doc;
	struct top_arg top = { is_main };

	if (!yaml_parser_load(parser, &doc)) {
		add_error_line(ld->errors, xasprintf("%s:%zu:%zu: YAML syntax error: %s%s%s%s",
			     ld->file, parser->problem_mark.line + 1, parser->problem_mark.column + 1,
			     parser->problem ? parser->problem : "unknown problem",
			     parser->context ? " " : "", parser->context ? parser->context : "",
			     syntax_hint(parser, source)));
		return;
	}
	ld->doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		if (is_main)
			add_error_line(ld->errors,
				       xasprintf("%s: the file is empty (expected watchers:)", ld->file));
	} else if (root->type == YAML_SEQUENCE_NODE && looks_like_ini(ld, root)) {
		add_error(ld, root, "this looks like an INI file (supervisord.conf, circus.ini): cirque "
			  "reads YAML, with watchers: (see cirque.yaml(5))");
	} else {
		walk_mapping(ld, "top level", root, visit_top_key, &top);
	}
	ld->doc = NULL;
	yaml_document_delete(&doc);
	reject_more_documents(ld, parser);
}

/* What a configuration file says, cirqued runs as its own user (often root): as OpenSSH's
 * StrictModes, only root or that user may be able to change the file, the directory it is in,
 * and every directory and link on the way (safefs.h). NULL when the file is safe, else why. */
static char *unsafe_config(const char *file, const struct safe_file *f, const struct safe_dir *d)
{
	const char *fix = "cirqued runs the commands this file names, so only root or the daemon's "
			  "user may be able to change it";

	if (!safefs_owner_ok(f->st.st_uid))
		return strdup_printf("%s: owned by uid %u, not root%s: %s (chown root)", file,
				     (unsigned)f->st.st_uid, geteuid() ? " nor the daemon's user" : "",
				     fix);
	if (f->st.st_mode & (S_IWGRP | S_IWOTH))
		return strdup_printf("%s: writable by %s (mode %04o): %s (chmod go-w)", file,
				     f->st.st_mode & S_IWOTH ? "others" : "its group",
				     (unsigned)(f->st.st_mode & 07777), fix);
	if (f->fixed)
		return NULL;
	if (!safefs_owner_ok(d->owner))
		return strdup_printf("%s: its directory is owned by uid %u: %s (chown root the "
				     "directory, or move the file)", file, (unsigned)d->owner, fix);
	if (d->mode & (S_IWGRP | S_IWOTH))
		return strdup_printf("%s: its directory is writable by %s (mode %04o): %s (chmod "
				     "go-w the directory)", file,
				     d->mode & S_IWOTH ? "others" : "its group",
				     (unsigned)(d->mode & 07777), fix);
	return strdup_printf("%s: a directory above it can be changed by others: %s ('namei -l "
			     "%s' shows the owner and mode of each directory on the way)", file,
			     fix, file);
}

/* Opens FILE for the parser, or says why not. */
static FILE *open_config_file(struct loader *ld, const char *file)
{
	char why[SAFEFS_WHY], *line;
	struct safe_file f;
	struct safe_dir d;
	FILE *fp;

	if (safe_file_open(file, O_RDONLY, 0, false, &f, &d, why) < 0) {
		size_t len = strlen(file);
		bool about_file = strncmp(why, file, len) == 0 && strncmp(why + len, ": ", 2) == 0;
		add_error_line(ld->errors, strdup_printf("%s: cannot open: %s", file,
							 about_file ? why + len + 2 : why));
		return NULL;
	}
	line = unsafe_config(file, &f, &d);
	close(d.fd);
	if (line) {
		add_error_line(ld->errors, line);
		close(f.fd);
		return NULL;
	}
	fp = fdopen(f.fd, "r");
	if (fp == NULL) {
		add_error_line(ld->errors, strdup_printf("%s: cannot open: %s", file, strerror(errno)));
		close(f.fd);
	}
	return fp;
}

static void load_file(struct loader *ld, const char *file, bool is_main)
{
	yaml_parser_t parser;
	FILE *fp;

	ld->file = file;
	fp = open_config_file(ld, file);
	if (fp == NULL)
		return;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	load_document(ld, &parser, fp, is_main);
	yaml_parser_delete(&parser);
	fclose(fp);
}

/* glob's error callback has no argument: the first error of the current glob lands here. A
 * missing directory is an empty conf.d, not an error. */
static int glob_error;

static int note_glob_error(const char *path, int error)
{
	(void)path;
	if (error != ENOENT && error != ENOTDIR && glob_error == 0)
		glob_error = error;
	return 0;
}

/* A glob matching nothing is an empty conf.d; but one whose directory is not there at all is
 * likely a typo ("confd/" for "conf.d/"): a warning, so that a fleet does not go missing
 * quietly. */
static void note_missing_include_dir(struct loader *ld, const char *main_file, int i,
				     const char *pattern)
{
	char *copy = xstrdup(pattern);
	const char *dir = dirname(copy);
	struct stat st;

	if (!strpbrk(dir, "*?[") && stat(dir, &st) < 0)
		add_error_line(&ld->config->load_warnings,
			       xasprintf("%s:%zu: warning: include '%s': the directory %s does not "
					 "exist (%s): nothing is included", main_file,
					 ld->include_marks[i].line + 1, ld->includes[i], dir,
					 strerror(errno)));
	free(copy);
}

static void load_includes(struct loader *ld, const char *main_file)
{
	char *copy = xstrdup(main_file);
	const char *dir = dirname(copy);

	for (int i = 0; i < ld->nincludes; i++) {
		char *pattern;
		glob_t g;

		if (ld->includes[i][0] == '/')
			pattern = xstrdup(ld->includes[i]);
		else
			pattern = xasprintf("%s/%s", dir, ld->includes[i]);
		/* A glob that matches nothing is fine (an empty conf.d); a plain missing path is not. */
		glob_error = 0;
		int rc = glob(pattern, 0, note_glob_error, &g);
		if (rc == GLOB_NOMATCH && strpbrk(ld->includes[i], "*?["))
			note_missing_include_dir(ld, main_file, i, pattern);
		if (rc == GLOB_NOMATCH && !strpbrk(ld->includes[i], "*?[")) {
			add_error_line(ld->errors, xasprintf("%s:%zu:%zu: include '%s': no such file",
							     main_file,
							     ld->include_marks[i].line + 1,
							     ld->include_marks[i].column + 1,
							     ld->includes[i]));
		} else if (rc == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++)
				load_file(ld, g.gl_pathv[k], false);
		}
		if (rc != 0 && rc != GLOB_NOMATCH)
			glob_error = glob_error ? glob_error : EIO;
		if (glob_error) {
			add_error_line(ld->errors, xasprintf("%s:%zu:%zu: include '%s': %s", main_file,
							     ld->include_marks[i].line + 1,
							     ld->include_marks[i].column + 1,
							     ld->includes[i], strerror(glob_error)));
		}
		if (rc == 0 || rc == GLOB_NOMATCH)
			globfree(&g);
		free(pattern);
	}
	free(copy);
}

/* An empty configuration named NAME, with "not set" daemon settings. */
static struct config *config_new(const char *name)
{
	struct config *config = xcalloc(1, sizeof(*config));

	config->path = xstrdup(name);
	config->daemon.loglevel = -1;
	config->daemon.umask = -1;
	return config;
}

/* The watchers' numprocesses together within cirque.max_processes: the error is at the count
 * that goes over. */
static void check_max_processes(struct loader *ld)
{
	const struct config *c = ld->config;
	long max = daemon_max_processes(&c->daemon), total = 0;

	for (int i = 0; i < c->nwatchers && i < ld->ncount_marks; i++) {
		total += c->watchers[i]->numprocesses;
		if (total > max) {
			char why[512];
			add_error_line(ld->errors, xasprintf("%s: watchers.%s.numprocesses: %ld "
				"processes in all, more than cirque.max_processes %ld%s", ld->count_marks[i],
				c->watchers[i]->name, total, max,
				daemon_max_processes_why(&c->daemon, total, why, sizeof(why))));
			return;
		}
	}
}

/* The end of every load: the configuration, or every error and nothing. */
static int finish_load(struct loader *ld, struct config **out)
{
	for (int i = 0; i < ld->nincludes; i++)
		free(ld->includes[i]);
	free(ld->includes);
	free(ld->include_marks);
	for (int i = 0; i < ld->ncount_marks; i++)
		free(ld->count_marks[i]);
	free(ld->count_marks);
	if (ld->errors->count > 0) {
		config_free(ld->config);
		return -1;
	}
	*out = ld->config;
	return 0;
}

/* What the running daemon's cgroups offer, for the loads after start-up (reload, reread, add,
 * set); unknown until config_set_limit_support. */
static struct limit_support load_support;
static bool text_may_ignore;

void config_set_limit_support(const struct limit_support *support, bool may_ignore)
{
	load_support = *support;
	text_may_ignore = may_ignore;
}

int config_load(const char *path, struct config **out, struct config_errors *errors)
{
	struct config *config = config_new(path);
	struct loader ld = { .config = config, .errors = errors };

	*out = NULL;
	if (config == NULL)
		return -1;
	load_file(&ld, path, true);
	load_includes(&ld, path);
	resolve_socket_refs(&ld);
	free_socket_refs(&ld);
	deps_check(config->watchers, config->nwatchers, errors);
	check_daemon_config(&config->daemon, path, errors);
	check_max_processes(&ld);
	config_check_limits(config, &load_support, config->daemon.limits_may_be_ignored, errors,
			    &config->load_warnings);
	return finish_load(&ld, out);
}

/* Loads TEXT (LEN bytes) as NAME; IS_MAIN allows cirque: and sockets:, whose includes are not
 * read. Used by config_load_text and config_load_string. */
static int load_text(const char *name, const char *text, size_t len, bool is_main,
		     struct config **out, struct config_errors *errors)
{
	struct config *config = config_new(name);
	struct loader ld = { .config = config, .errors = errors, .file = name };
	yaml_parser_t parser;

	*out = NULL;
	if (config == NULL)
		return -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	FILE *source = len > 0 ? fmemopen((void *)text, len, "r") : NULL;
	load_document(&ld, &parser, source, is_main);
	if (source)
		fclose(source);
	yaml_parser_delete(&parser);
	if (is_main) {  /* add and set check theirs against the running sockets and watchers */
		resolve_socket_refs(&ld);
		deps_check(config->watchers, config->nwatchers, errors);
	}
	free_socket_refs(&ld);
	if (!is_main)  /* add and set: against the running daemon's cgroups */
		config_check_limits(config, &load_support, text_may_ignore, errors,
				    &config->load_warnings);
	return finish_load(&ld, out);
}

int config_load_text(const char *name, const char *text, struct config **out,
		     struct config_errors *errors)
{
	return load_text(name, text, strlen(text), false, out, errors);
}

int config_load_string(const char *name, const char *text, size_t len, struct config **out,
		       struct config_errors *errors)
{
	return load_text(name, text, len, true, out, errors);
}

/* --- warnings (cirqued --check) ---------------------------------------------------------------- */

static void warn(struct config_errors *warnings, const struct watcher_config *wc, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

static void warn(struct config_errors *warnings, const struct watcher_config *wc, const char *fmt,
		 ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	add_error_line(warnings, xasprintf("%s: warning: watchers.%s.%s", wc->origin, wc->name,
					   message));
}

/* The PATH a bare command is looked up in: the child's own, else the daemon's (as launch.c). */
static const char *command_search_path(const struct watcher_config *wc)
{
	for (char **e = wc->env; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e + 5;
	return getenv("PATH");
}

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Whether the watcher's user (uid, gid, groups) has the permission WANT (a mode's owner bits:
 * S_IXUSR, S_IRUSR) on ST, by its mode bits (ACLs are not looked at). */
static bool user_may(const struct watcher_config *wc, const struct stat *st, mode_t want)
{
	bool in_group = st->st_gid == wc->gid;

	if (wc->uid == 0)
		return want != S_IXUSR || S_ISDIR(st->st_mode) || (st->st_mode & 0111);
	for (int i = 0; i < wc->ngroups && !in_group; i++)
		in_group = wc->groups[i] == st->st_gid;
	if (st->st_uid == wc->uid)
		return st->st_mode & want;
	return st->st_mode & (in_group ? want >> 3 : want >> 6);
}

/* For a watcher run as another user: what keeps that user from PATH (a directory on the way it
 * may not search, or the file itself without WANT), in WHY; false when nothing seems to. */
static bool denied_to_user(const struct watcher_config *wc, const char *path, mode_t want,
			   char *why, size_t size)
{
	char *copy = xstrdup(path);
	struct stat st;
	bool denied = false;

	if (!wc->set_ids || path[0] != '/' || wc->uid == geteuid()) {
		free(copy);
		return false;
	}
	for (char *slash = strchr(copy + 1, '/'); slash && !denied; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (stat(copy, &st) == 0 && S_ISDIR(st.st_mode) && !user_may(wc, &st, S_IXUSR)) {
			snprintf(why, size, "uid %u may not enter %s", (unsigned)wc->uid, copy);
			denied = true;
		}
		*slash = '/';
	}
	if (!denied && stat(path, &st) == 0 && !user_may(wc, &st, want)) {
		snprintf(why, size, "uid %u may not %s it", (unsigned)wc->uid,
			 want == S_IXUSR ? (S_ISDIR(st.st_mode) ? "enter" : "execute") : "read");
		denied = true;
	}
	free(copy);
	return denied;
}

static void warn_missing_command(const struct watcher_config *wc, struct config_errors *warnings)
{
	/* executable: (Circus) is what runs, cmd's first word only its argv[0] */
	const char *file = wc->executable ? wc->executable : wc->argv ? wc->argv[0] : NULL;
	const char *key = wc->executable ? "executable" : "cmd";

	if (file == NULL || (wc->shell && !wc->executable) || strstr(file, "$("))
		return;  /* a shell command line, or a name known only at spawn */
	if (strchr(file, '/')) {
		char *path = file[0] != '/' && wc->working_dir
			     ? xasprintf("%s/%s", wc->working_dir, file) : xstrdup(file);
		char why[300];
		if (!is_executable_file(path))
			warn(warnings, wc, "%s: %s: %s", key, path, access(path, F_OK) == 0
			     ? "not an executable file" : "no such file");
		else if (denied_to_user(wc, path, S_IXUSR, why, sizeof(why)))
			warn(warnings, wc, "%s: %s: %s (the watcher's user)", key, path, why);
		free(path);
		return;
	}
	const char *search = command_search_path(wc);
	char *dirs = xstrdup(search ? search : "");
	bool found = false;
	for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *path = xasprintf("%s/%s", dir, file);
		found = is_executable_file(path);
		free(path);
	}
	free(dirs);
	if (!found)
		warn(warnings, wc, "%s: '%s' not found in PATH (%s)", key, file,
		     search ? search : "unset");
}

/* A hook's command that is not there (as for cmd: a warning, a deploy may bring it). */
static void warn_missing_hook_commands(const struct watcher_config *wc,
				       struct config_errors *warnings)
{
	for (int i = 0; i < HOOK_COUNT; i++) {
		const struct hook_config *hc = &wc->hooks[i];
		const char *file = hc->argv ? hc->argv[0] : NULL, *dir;
		bool found = false;
		if (file == NULL)
			continue;
		if (strchr(file, '/')) {
			dir = hc->working_dir ? hc->working_dir : wc->working_dir;
			char *path = file[0] != '/' && dir ? xasprintf("%s/%s", dir, file)
							   : xstrdup(file);
			if (!is_executable_file(path))
				warn(warnings, wc, "hooks.%s: %s: %s", hook_point_name(i), path,
				     access(path, F_OK) == 0 ? "not an executable file" : "no such file");
			free(path);
			continue;
		}
		const char *search = command_search_path(wc);
		char *dirs = xstrdup(search ? search : "");
		for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found;
		     d = strtok_r(NULL, ":", &save)) {
			char *path = xasprintf("%s/%s", d, file);
			found = is_executable_file(path);
			free(path);
		}
		free(dirs);
		if (!found)
			warn(warnings, wc, "hooks.%s: '%s' not found in PATH (%s)", hook_point_name(i),
			     file, search ? search : "unset");
	}
}

static void warn_missing_working_dir(const struct watcher_config *wc,
				     struct config_errors *warnings)
{
	struct stat st;

	if (wc->working_dir == NULL || strstr(wc->working_dir, "$("))
		return;
	char why[300];
	if (stat(wc->working_dir, &st) < 0)
		warn(warnings, wc, "working_dir: %s: %s", wc->working_dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		warn(warnings, wc, "working_dir: %s: not a directory", wc->working_dir);
	else if (denied_to_user(wc, wc->working_dir, S_IXUSR, why, sizeof(why)))
		warn(warnings, wc, "working_dir: %s: %s (the watcher's user)", wc->working_dir, why);
}

/* A log file's directory is made when the file is first opened: say so, a typo makes one too. */
static void warn_missing_log_dir(const struct watcher_config *wc, int which,
				 struct config_errors *warnings)
{
	const struct stream_config *sc = &wc->streams[which];
	const char *key = which == 0 ? "stdout" : "stderr";
	struct stat st;

	if (sc->kind != STREAM_FILE || sc->path == NULL || strchr(sc->path, '{') ||
	    strstr(sc->path, "$("))
		return;  /* {name}, {wid}: one directory per process, not checked */
	/* A device or a /proc link (/proc/1/fd/1) is refused at every write: say it now. */
	if (stat(sc->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		warn(warnings, wc, "%s.file: %s is not a regular file, which cirqued never writes to "
		     "(for the daemon's own stdout or stderr: inherit, or /dev/stdout, /dev/stderr)",
		     key, sc->path);
		return;
	}
	char *copy = xstrdup(sc->path);
	const char *dir = dirname(copy);
	if (stat(dir, &st) < 0)
		warn(warnings, wc, "%s.file: the directory %s does not exist (%s); cirqued will "
		     "create it", key, dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		warn(warnings, wc, "%s.file: %s is not a directory", key, dir);
	free(copy);
}

/* syslog with no syslog socket (a slim container): every line would wait, then be dropped. */
static void warn_missing_syslog(const struct watcher_config *wc, int which,
				struct config_errors *warnings)
{
	const char *path = getenv("CIRQUE_SYSLOG_PATH");  /* as the daemon's (cirqued(8)) */
	struct stat st;

	if (wc->streams[which].kind != STREAM_SYSLOG)
		return;
	if (path == NULL || path[0] != '/')
		path = "/dev/log";
	if (stat(path, &st) < 0)
		warn(warnings, wc, "%s: syslog: %s: %s (no syslog daemon listens: the lines would "
		     "wait, and be dropped when too many)", which ? "stderr" : "stdout", path,
		     strerror(errno));
	else if (!S_ISSOCK(st.st_mode))
		warn(warnings, wc, "%s: syslog: %s is not a socket", which ? "stderr" : "stdout",
		     path);
}

/* A $(circus.env.NAME) still in TEXT named a variable no environment has: left as written. */
static void warn_unknown_env(const struct watcher_config *wc, const char *key, const char *text,
			     struct config_errors *warnings)
{
	char name[256];

	for (const char *p = text ? strstr(text, "$(") : NULL; p; p = strstr(p + 1, "$("))
		if (env_reference_at(p, name, sizeof(name)) > 0)
			warn(warnings, wc, "%s: $(circus.env.%s): no such variable in the watcher's or "
			     "the daemon's environment, left as written", key, name);
}

/* A relative path is resolved against the daemon's working directory, which is / under systemd:
 * what works from a shell in the project's directory breaks in the service. */
static bool is_relative_path(const char *path)
{
	return path && path[0] != '/' && strcmp(path, "-") && strcmp(path, "stderr") &&
	       strcmp(path, "stdout");
}

/* The daemon's pidfile or logoutput (KEY) in a directory that is not there: made at start. */
static void warn_missing_daemon_dir(const struct config *config, const char *key,
				    const char *path, struct config_errors *warnings)
{
	struct stat st;

	if (is_relative_path(path))
		add_error_line(warnings, xasprintf("%s: warning: cirque.%s: %s: a relative path, "
						   "resolved against cirqued's working directory (/ "
						   "under systemd): write it whole", config->path,
						   key, path));
	if (path == NULL || path[0] != '/')
		return;  /* stderr, stdout, "-" */
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	if (stat(dir, &st) < 0)
		add_error_line(warnings, xasprintf("%s: warning: cirque.%s: the directory %s does not "
						   "exist (%s); cirqued will create it", config->path,
						   key, dir, strerror(errno)));
	else if (!S_ISDIR(st.st_mode))
		add_error_line(warnings, xasprintf("%s: warning: cirque.%s: %s is not a directory",
						   config->path, key, dir));
	free(copy);
}

unsigned long long kernel_nofile_ceiling(void)
{
	unsigned long long value = 0;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");

	if (f) {
		if (fscanf(f, "%llu", &value) != 1)
			value = 0;
		fclose(f);
	}
	return value;
}

static void warn_relative_paths(const struct watcher_config *wc, struct config_errors *warnings)
{
	static const char why[] = "a relative path, resolved against cirqued's working directory "
				  "(/ under systemd): write it whole";

	if (is_relative_path(wc->working_dir))
		warn(warnings, wc, "working_dir: %s: %s", wc->working_dir, why);
	for (int i = 0; i < 2; i++)
		if (wc->streams[i].kind == STREAM_FILE && is_relative_path(wc->streams[i].path))
			warn(warnings, wc, "%s.file: %s: %s", i == 0 ? "stdout" : "stderr",
			     wc->streams[i].path, why);
	if (wc->ready == READY_UNIX && is_relative_path(wc->ready_path))
		warn(warnings, wc, "ready.unix: %s: %s", wc->ready_path, why);
}

/* A word of a cmd run without a shell that a shell would have read: a redirection, a pipe, a
 * list, a $VARIABLE, ~/. The program gets it as it is. */
static bool shell_syntax(const char *word)
{
	static const char *const operators[] = { ">", ">>", "<", "|", "||", "&&", ";", "&",
						 "2>&1", "2>", "1>" };

	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
		if (strcmp(word, operators[i]) == 0)
			return true;
	if (word[0] == '>' || strncmp(word, "2>", 2) == 0 || strncmp(word, "~/", 2) == 0)
		return true;
	for (const char *p = strchr(word, '$'); p; p = strchr(p + 1, '$')) {
		if (p[1] == '$') {  /* $$: not a variable's name after it */
			p++;
			continue;
		}
		if (p[1] == '{' || p[1] == '_' || (p[1] >= 'A' && p[1] <= 'Z') ||
		    (p[1] >= 'a' && p[1] <= 'z'))
			return true;
	}
	return false;
}

/* supervisord's %(process_num)s, %(ENV_HOME)s, %(program_name)s: never expanded here. */
static void warn_supervisord_placeholders(const struct watcher_config *wc,
					  struct config_errors *warnings)
{
	static const char hint[] = "supervisord's %(...)s is not expanded here: $(circus.wid) for "
				   "process_num, $(circus.env.NAME) for ENV_NAME, {name} or "
				   "$(circus.name) in a log path for program_name";

	for (char **a = wc->argv; a && *a; a++)
		if (strstr(*a, "%(")) {
			warn(warnings, wc, "cmd: '%s': %s", *a, hint);
			break;
		}
	for (int i = 0; i < 2; i++)
		if (wc->streams[i].path && strstr(wc->streams[i].path, "%("))
			warn(warnings, wc, "%s.file: '%s': %s", i == 0 ? "stdout" : "stderr",
			     wc->streams[i].path, hint);
}

static void warn_shell_syntax(const struct watcher_config *wc, struct config_errors *warnings)
{
	if (wc->shell || wc->argv == NULL)
		return;
	for (char **a = wc->argv + 1; *a; a++)
		if (shell_syntax(*a)) {
			warn(warnings, wc, "cmd: '%s' goes to the program as it is, no shell reads it: "
			     "use shell: true (or $(circus.env.NAME) for a variable)", *a);
			return;
		}
}

/* An rlimit no process can get here: every start would fail. */
static void warn_impossible_rlimits(const struct watcher_config *wc,
				    struct config_errors *warnings)
{
	unsigned long long ceiling = kernel_nofile_ceiling();

	for (int i = 0; i < wc->nrlimits; i++)
		if (wc->rlimits[i].resource == RLIMIT_NOFILE && ceiling &&
		    wc->rlimits[i].value > ceiling)
			warn(warnings, wc, "rlimits.nofile: %llu is above the kernel's fs.nr_open "
			     "(%llu): every start would fail", wc->rlimits[i].value, ceiling);
}

/* Rotation settings of one log file: the file is one sink, rotated one way. */
static bool same_rotation(const struct stream_config *a, const struct stream_config *b)
{
	return a->max_bytes == b->max_bytes && a->backup_count == b->backup_count &&
	       a->rotate == b->rotate;
}

/* Two streams (of one watcher or two) written to one file with different rotation settings:
 * one of them is not what the file gets. */
static void warn_shared_log_files(const struct config *config, struct config_errors *warnings)
{
	static const char *const names[] = { "stdout", "stderr" };

	for (int i = 0; i < config->nwatchers; i++)
		for (int si = 0; si < 2; si++) {
			const struct watcher_config *wa = config->watchers[i];
			const struct stream_config *a = &wa->streams[si];
			if (a->kind != STREAM_FILE || a->path == NULL)
				continue;
			for (int j = i; j < config->nwatchers; j++)
				for (int sj = j == i ? si + 1 : 0; sj < 2; sj++) {
					const struct watcher_config *wb = config->watchers[j];
					const struct stream_config *b = &wb->streams[sj];
					if (b->kind != STREAM_FILE || b->path == NULL ||
					    strcmp(a->path, b->path) || same_rotation(a, b))
						continue;
					warn(warnings, wb, "%s.file: %s is written by watchers.%s.%s too, "
					     "with other rotation settings (max_bytes, backup_count, "
					     "rotate): one file is rotated one way, give them the same",
					     names[sj], b->path, wa->name, names[si]);
				}
		}
}

void config_warnings(const struct config *config, struct config_errors *warnings)
{
	for (int i = 0; i < config->load_warnings.count; i++)
		add_error_line(warnings, xstrdup(config->load_warnings.lines[i]));
	warn_shared_log_files(config, warnings);
	warn_missing_daemon_dir(config, "pidfile", config->daemon.pidfile, warnings);
	warn_missing_daemon_dir(config, "logoutput", config->daemon.logoutput, warnings);
	for (int i = 0; i < config->nwatchers; i++) {
		const struct watcher_config *wc = config->watchers[i];
		for (char **a = wc->argv; a && *a; a++)
			warn_unknown_env(wc, "cmd", *a, warnings);
		for (char **e = wc->env; e && *e; e++)
			warn_unknown_env(wc, "env", *e, warnings);
		warn_unknown_env(wc, "working_dir", wc->working_dir, warnings);
		warn_unknown_env(wc, "stdout.file", wc->streams[0].path, warnings);
		warn_unknown_env(wc, "stderr.file", wc->streams[1].path, warnings);
		for (char **u = wc->unset_env_refs; u && *u; u++)
			warn(warnings, wc, "env.%s is not set in cirqued's environment: it expands to "
			     "nothing (write $$ for a literal $)", *u);
		warn_missing_command(wc, warnings);
		warn_missing_hook_commands(wc, warnings);
		warn_impossible_rlimits(wc, warnings);
		warn_shell_syntax(wc, warnings);
		warn_supervisord_placeholders(wc, warnings);
		warn_relative_paths(wc, warnings);
		warn_missing_working_dir(wc, warnings);
		warn_missing_log_dir(wc, 0, warnings);
		warn_missing_log_dir(wc, 1, warnings);
		warn_missing_syslog(wc, 0, warnings);
		warn_missing_syslog(wc, 1, warnings);
	}
}

void config_free(struct config *config)
{
	if (config == NULL)
		return;
	for (int i = 0; i < config->nwatchers; i++)
		watcher_config_free(config->watchers[i]);
	free(config->watchers);
	for (int i = 0; i < config->nsockets; i++)
		socket_config_free(config->sockets[i]);
	free(config->sockets);
	free(config->path);
	config_errors_free(&config->load_warnings);
	daemon_config_free(&config->daemon);
	free(config);
}

void config_log_warnings(const struct config *config)
{
	struct config_errors warnings = { 0 };

	config_warnings(config, &warnings);
	for (int i = 0; i < warnings.count; i++) {
		const char *line = warnings.lines[i], *tag = strstr(line, ": warning: ");
		if (tag)  /* the log has its own [warning] */
			log_warnx("%.*s: %s", (int)(tag - line), line, tag + strlen(": warning: "));
		else
			log_warnx("%s", line);
	}
	config_errors_free(&warnings);
}

int config_check_limits(struct config *config, const struct limit_support *support,
			bool may_ignore, struct config_errors *errors,
			struct config_errors *warnings)
{
	int failures = 0;

	/* Whatever the host: memory_high above memory_max would never apply. */
	for (int i = 0; i < config->nwatchers; i++) {
		struct cgroup_limits *l = &config->watchers[i]->limits;
		unsigned long long high = l->value[LIMIT_MEMORY_HIGH], max = l->value[LIMIT_MEMORY_MAX];
		if (high && max && high >= max) {
			char high_text[32], max_text[32];
			limit_show(LIMIT_MEMORY_HIGH, high, high_text, sizeof(high_text));
			limit_show(LIMIT_MEMORY_MAX, max, max_text, sizeof(max_text));
			add_error_line(errors, xasprintf("%s: watchers.%s.memory_high: %s is not below "
				"memory_max %s: it would never apply",
				l->mark[LIMIT_MEMORY_HIGH] ? l->mark[LIMIT_MEMORY_HIGH] : config->path,
				config->watchers[i]->name, high_text, max_text));
			failures++;
		}
	}
	if (!support->known)
		return failures;
	for (int i = 0; i < config->nwatchers; i++) {
		struct cgroup_limits *l = &config->watchers[i]->limits;
		for (int k = 0; k < LIMIT_COUNT; k++) {
			unsigned controller = limit_controller(k);
			if (l->value[k] == 0 || (support->controllers & controller))
				continue;
			char *line = xasprintf("%s: watchers.%s.%s: the %s controller is not "
				"available (%s)%s", l->mark[k] ? l->mark[k] : config->path,
				config->watchers[i]->name, limit_key(k), controller_name(controller),
				support->why, may_ignore
				? ": ignored (unavailable_limits: warn)"
				: "; set cirque.unavailable_limits: warn to run without it");
			if (may_ignore) {
				add_error_line(warnings, line);
				l->value[k] = 0;
			} else {
				add_error_line(errors, line);
				failures++;
			}
		}
	}
	return failures;
}
