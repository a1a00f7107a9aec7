/* config_hooks.c - a watcher's hooks: mapping, parsed into struct hook_config by point.
 *
 *   hooks:
 *     before_start: /usr/local/bin/check-db --quiet      # a command line, split like cmd
 *     after_stop: {cmd: notify, args: [stopped], timeout: 5s, ignore_failure: true,
 *                  uid: nobody, gid: nogroup, working_dir: /tmp, env: {LEVEL: info}}
 *
 * Everything is resolved here (words, ids, groups), so that running a hook looks nothing up. */
#include "config_hooks.h"

#include "parse.h"
#include "xmalloc.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOOK_DEFAULT_TIMEOUT 30.0

static const char *const point_names[HOOK_COUNT] = {
	[HOOK_BEFORE_START] = "before_start", [HOOK_AFTER_START] = "after_start",
	[HOOK_BEFORE_SPAWN] = "before_spawn", [HOOK_AFTER_SPAWN] = "after_spawn",
	[HOOK_BEFORE_STOP] = "before_stop", [HOOK_AFTER_STOP] = "after_stop",
	[HOOK_BEFORE_SIGNAL] = "before_signal", [HOOK_AFTER_SIGNAL] = "after_signal",
	[HOOK_AFTER_REAP] = "after_reap",
};

const char *hook_point_name(enum hook_point point)
{
	return point < HOOK_COUNT ? point_names[point] : "?";
}

/* A hook's keys as gathered, resolved together once its mapping is read. */
struct hook_draft {
	struct hook_config *hc;
	yaml_node_t *cmd_node, *args_node, *uid_node, *gid_node;
	char *cmd;
	char **args;                  /* a list: taken literally */
	char *args_text;              /* a string: split like cmd */
	char *uid_text, *gid_text;
};

static void parse_hook_args(struct loader *ld, const char *path, yaml_node_t *v,
			    struct hook_draft *d)
{
	int n = 0;

	d->args_node = v;
	if (v->type == YAML_SCALAR_NODE) {
		get_string(ld, path, v, &d->args_text);
		return;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		add_error(ld, v, "%s: must be a string or a list of strings", path);
		return;
	}
	free_words(d->args);
	d->args = xcalloc((size_t)(v->data.sequence.items.top - v->data.sequence.items.start) + 1,
			  sizeof(char *));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = node_at(ld, *it);
		const char *s = scalar(item);
		if (s == NULL || is_null(item)) {
			add_error(ld, item, "%s: each argument must be a string", path);
			return;
		}
		d->args[n++] = xstrdup(s);
	}
}

static void visit_env(struct loader *ld, const char *parent, yaml_node_t *key, yaml_node_t *value,
		      void *arg)
{
	struct hook_config *hc = arg;
	const char *name = scalar(key), *text = scalar(value);
	int n = 0;

	if (name == NULL || *name == '\0' || strchr(name, '=')) {
		add_error(ld, key, "%s: invalid variable name '%s'", parent, name ? name : "");
		return;
	}
	if (text == NULL) {
		add_error(ld, value, "%s.%s: must be a string", parent, name);
		return;
	}
	while (hc->env && hc->env[n])
		n++;
	hc->env = xreallocarray(hc->env, (size_t)n + 2, sizeof(char *));
	hc->env[n] = xasprintf("%s=%s", name, is_null(value) ? "" : text);
	hc->env[n + 1] = NULL;
}

static void visit_hook_key(struct loader *ld, const char *parent, yaml_node_t *key,
			   yaml_node_t *value, void *arg)
{
	static const char *const keys[] = { "cmd", "args", "timeout", "ignore_failure", "uid",
					    "gid", "working_dir", "env" };
	struct hook_draft *d = arg;
	struct hook_config *hc = d->hc;
	const char *name = scalar(key);
	char path[600];

	snprintf(path, sizeof(path), "%s.%s", parent, name);
	if (strcmp(name, "cmd") == 0) {
		d->cmd_node = value;
		get_string(ld, path, value, &d->cmd);
	} else if (strcmp(name, "args") == 0) {
		parse_hook_args(ld, path, value, d);
	} else if (strcmp(name, "timeout") == 0) {
		if (get_duration(ld, path, value, &hc->timeout) == 0 && hc->timeout <= 0)
			add_error(ld, value, "%s: must be more than 0", path);
	} else if (strcmp(name, "ignore_failure") == 0) {
		get_bool(ld, path, value, &hc->ignore_failure);
	} else if (strcmp(name, "uid") == 0) {
		d->uid_node = value;
		get_string(ld, path, value, &d->uid_text);
	} else if (strcmp(name, "gid") == 0) {
		d->gid_node = value;
		get_string(ld, path, value, &d->gid_text);
	} else if (strcmp(name, "working_dir") == 0) {
		get_string(ld, path, value, &hc->working_dir);
	} else if (strcmp(name, "env") == 0) {
		walk_mapping(ld, path, value, visit_env, hc);
	} else {
		add_error(ld, key, "%s: unknown key '%s'%s (cmd, args, timeout, ignore_failure, uid, "
			  "gid, working_dir, env)", parent, name,
			  did_you_mean(name, keys, sizeof(keys) / sizeof(keys[0])));
	}
}

/* A uid or gid as a number: 0 .. 2^32-2. */
static bool id_number(const char *text, long *n)
{
	return parse_long(text, n) == 0 && *n >= 0 && *n < (long)(uid_t)-1;
}

/* uid and gid of a hook, as the watcher's uid and gid are read: a user's name or number (its
 * primary group and supplementary groups with it), a group's name or number. */
static void resolve_hook_ids(struct loader *ld, const char *path, struct hook_draft *d)
{
	struct hook_config *hc = d->hc;
	char buf[4096];
	struct passwd pw, *user = NULL;
	struct group gr, *group = NULL;
	long n;

	if (d->uid_text == NULL && d->gid_text == NULL)
		return;
	hc->own_ids = true;
	hc->uid_given = d->uid_text != NULL;
	hc->uid = geteuid();
	hc->gid = getegid();
	if (d->uid_text) {
		if (id_number(d->uid_text, &n))
			getpwuid_r((uid_t)n, &pw, buf, sizeof(buf), &user);
		else
			getpwnam_r(d->uid_text, &pw, buf, sizeof(buf), &user);
		if (user) {
			hc->uid = user->pw_uid;
			hc->gid = user->pw_gid;
		} else if (id_number(d->uid_text, &n)) {
			hc->uid = (uid_t)n;
			hc->gid = (gid_t)n;
		} else {
			add_error(ld, d->uid_node, "%s.uid: unknown user '%s'", path, d->uid_text);
			return;
		}
	}
	if (d->gid_text) {
		if (id_number(d->gid_text, &n)) {
			hc->gid = (gid_t)n;
		} else if (getgrnam_r(d->gid_text, &gr, buf, sizeof(buf), &group) == 0 && group) {
			hc->gid = group->gr_gid;
		} else {
			add_error(ld, d->gid_node, "%s.gid: unknown group '%s'", path, d->gid_text);
			return;
		}
	}
	if (geteuid() != 0) {
		if (hc->uid != geteuid() || hc->gid != getegid())
			add_error(ld, d->uid_node ? d->uid_node : d->gid_node, "%s: uid/gid can only "
				  "be changed when cirqued runs as root", path);
		return;
	}
	hc->set_ids = true;
	if (d->uid_text && getpwuid_r(hc->uid, &pw, buf, sizeof(buf), &user) == 0 && user) {
		int want = 64;
		for (int tries = 0; tries < 4; tries++) {
			gid_t *groups = xmalloc(sizeof(gid_t) * (size_t)want);
			int got = want;
			if (getgrouplist(user->pw_name, hc->gid, groups, &got) >= 0) {
				hc->groups = groups;
				hc->ngroups = got;
				return;
			}
			free(groups);
			want = got > want ? got : want * 2;
		}
	}
}

/* cmd split into words, then args (a list taken as is, a string split too). */
static void resolve_hook_argv(struct loader *ld, const char *path, yaml_node_t *node,
			      struct hook_draft *d)
{
	struct hook_config *hc = d->hc;

	if (d->cmd == NULL) {
		if (d->cmd_node == NULL)
			add_error(ld, node, "%s: needs cmd:", path);
		return;
	}
	hc->argv = command_argv(ld, path, d->cmd, d->cmd_node, &d->args, d->args_text,
				d->args_node);
}

static void load_hook(struct loader *ld, const char *path, yaml_node_t *value,
		      struct hook_config *hc)
{
	struct hook_draft d = { .hc = hc };

	hc->timeout = HOOK_DEFAULT_TIMEOUT;
	if (value->type == YAML_SCALAR_NODE && !is_null(value)) {
		d.cmd_node = value;
		d.cmd = xstrdup(scalar(value));
	} else if (value->type == YAML_MAPPING_NODE) {
		walk_mapping(ld, path, value, visit_hook_key, &d);
	} else {
		add_error(ld, value, "%s: must be a command line, or a mapping with cmd: (and args, "
			  "timeout, ignore_failure, uid, gid, working_dir, env)", path);
		return;
	}
	resolve_hook_argv(ld, path, value, &d);
	resolve_hook_ids(ld, path, &d);
	free(d.cmd);
	free_words(d.args);
	free(d.args_text);
	free(d.uid_text);
	free(d.gid_text);
}

static void visit_point(struct loader *ld, const char *parent, yaml_node_t *key,
			yaml_node_t *value, void *arg)
{
	struct watcher_config *wc = arg;
	const char *name = scalar(key);
	char path[600];

	snprintf(path, sizeof(path), "%s.%s", parent, name);
	for (int i = 0; i < HOOK_COUNT; i++) {
		if (strcmp(name, point_names[i]) == 0) {
			hook_config_free(&wc->hooks[i]);
			load_hook(ld, path, value, &wc->hooks[i]);
			return;
		}
	}
	if (strcmp(name, "before_reap") == 0) {
		add_error(ld, key, "%s: before_reap has no meaning in cirque: cirqued learns of a "
			  "process's exit only when it reaps it, so nothing can run before; use "
			  "after_reap", path);
		return;
	}
	add_error(ld, key, "%s: unknown hook '%s'%s (before_start, after_start, before_spawn, "
		  "after_spawn, before_stop, after_stop, before_signal, after_signal, after_reap)",
		  parent, name, did_you_mean(name, point_names, HOOK_COUNT));
}

int parse_watcher_hooks(struct loader *ld, const char *path, yaml_node_t *v,
			struct watcher_config *wc)
{
	if (is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		add_error(ld, v, "%s: must be a mapping of hook points, such as {before_start: "
			  "/usr/bin/check}", path);
		return -1;
	}
	walk_mapping(ld, path, v, visit_point, wc);
	return 0;
}

void hook_config_free(struct hook_config *hc)
{
	free_words(hc->argv);
	free(hc->groups);
	free(hc->working_dir);
	free_words(hc->env);
	memset(hc, 0, sizeof(*hc));
}

void watcher_hooks_free(struct watcher_config *wc)
{
	for (int i = 0; i < HOOK_COUNT; i++)
		hook_config_free(&wc->hooks[i]);
}

static bool hook_same(const struct hook_config *a, const struct hook_config *b)
{
	return words_equal(a->argv, b->argv) && a->timeout == b->timeout &&
	       a->ignore_failure == b->ignore_failure && a->own_ids == b->own_ids &&
	       a->set_ids == b->set_ids && a->uid == b->uid && a->gid == b->gid &&
	       a->ngroups == b->ngroups &&
	       (a->ngroups == 0 ||
		memcmp(a->groups, b->groups, sizeof(gid_t) * (size_t)a->ngroups) == 0) &&
	       same_text(a->working_dir, b->working_dir) && words_equal(a->env, b->env);
}

bool watcher_hooks_equal(const struct watcher_config *a, const struct watcher_config *b)
{
	for (int i = 0; i < HOOK_COUNT; i++)
		if (!hook_same(&a->hooks[i], &b->hooks[i]))
			return false;
	return true;
}

/* Each hook as resolved: {"before_start": {"cmd": [argv...], "timeout": 30, ...}}. */
void watcher_hooks_json(const struct watcher_config *wc, json_t *out)
{
	json_t *hooks = json_object();

	for (int i = 0; i < HOOK_COUNT; i++) {
		const struct hook_config *hc = &wc->hooks[i];
		json_t *argv, *h;
		if (hc->argv == NULL)
			continue;
		argv = json_array();
		for (char **a = hc->argv; *a; a++)
			json_array_append_new(argv, json_string(*a));
		h = json_pack("{s:o, s:f, s:b}", "cmd", argv, "timeout", hc->timeout,
			      "ignore_failure", hc->ignore_failure);
		if (hc->own_ids) {
			json_object_set_new(h, "uid", json_integer(hc->uid));
			json_object_set_new(h, "gid", json_integer(hc->gid));
		}
		if (hc->working_dir)
			json_object_set_new(h, "working_dir", json_string(hc->working_dir));
		if (hc->env) {
			json_t *env = json_object();
			for (char **e = hc->env; *e; e++) {
				char *eq = strchr(*e, '=');
				char *name = xstrndup(*e, (size_t)(eq - *e));
				json_object_set_new(env, name, json_string(eq + 1));
				free(name);
			}
			json_object_set_new(h, "env", env);
		}
		json_object_set_new(hooks, point_names[i], h);
	}
	json_object_set_new(out, "hooks", hooks);
}
