/* test_config.c - unit tests for the configuration loader (config_file.c, config_daemon.c,
 * config_sockets.c, watcher_options.c): YAML files written to a temporary directory and loaded
 * with config_load; every parsed field, the defaults, includes, located errors,
 * watcher_config_equal, and the options table against the manual. */
#include "check.h"
#include "config.h"
#include "log.h"
#include "parse.h"
#include "watcher_options.h"

#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static char tmpdir[] = "/tmp/cirque-test-config.XXXXXX";

/* config_load must set *out to NULL on failure: it starts out pointing here. */
static struct config not_loaded;
#define SENTINEL (&not_loaded)

/* --- helpers ---------------------------------------------------------------------------------- */

/* tmpdir/NAME (NAME may hold directories, created as needed). Four results stay valid at once. */
static const char *path_of(const char *name)
{
	static char paths[4][PATH_MAX];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	for (char *slash = strchr(p + strlen(tmpdir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(p, 0700);
		*slash = '/';
	}
	return p;
}

/* Writes TEXT to tmpdir/NAME and returns its path. */
static const char *write_file(const char *name, const char *text)
{
	const char *path = path_of(name);
	FILE *fp = fopen(path, "w");

	if (!CHECK(fp != NULL))
		return path;
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void print_errors(const struct config_errors *errors)
{
	for (int i = 0; i < errors->count; i++)
		printf("     error: %s\n", errors->lines[i]);
}

/* Loads PATH, which must be valid; NULL (after a failed check) when it is not. */
static struct config *load_ok(const char *path)
{
	struct config_errors errors = { 0 };
	struct config *config = SENTINEL;
	int rc = config_load(path, &config, &errors);

	if (!CHECK_INT(rc, 0) || !CHECK_INT(errors.count, 0) || !CHECK(config != NULL)) {
		print_errors(&errors);
		config_errors_free(&errors);
		return config == SENTINEL ? NULL : config;
	}
	config_errors_free(&errors);
	return config;
}

/* True when one of ERRORS starts with "FILE:LINE:COLUMN: " (or "FILE: " when LINE is 0) and
 * contains MESSAGE. */
static bool has_error(const struct config_errors *errors, const char *file, int line, int column,
		      const char *message)
{
	char prefix[PATH_MAX + 64];

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", file, line, column);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", file);
	for (int i = 0; i < errors->count; i++)
		if (strncmp(errors->lines[i], prefix, strlen(prefix)) == 0 &&
		    strstr(errors->lines[i], message))
			return true;
	return false;
}

/* Checks has_error, and lists the errors actually reported when it fails. */
#define CHECK_HAS_ERROR(errors, file, line, column, message)                                 \
	do {                                                                                 \
		if (!CHECK(has_error((errors), (file), (line), (column), (message)))) {      \
			printf("     %d error(s) instead:\n", (errors)->count);                  \
			print_errors(errors);                                                \
		}                                                                            \
	} while (0)

/* Loads PATH, which must be rejected: -1, *out NULL, and at least one error. The caller checks
 * and frees ERRORS. */
#define CHECK_REJECTED(path, errors)                                                         \
	do {                                                                                 \
		struct config *c_ = SENTINEL;                                                \
		CHECK_INT(config_load((path), &c_, (errors)), -1);                           \
		CHECK(c_ == NULL);                                                           \
		CHECK((errors)->count >= 1);                                                 \
		if (c_ != SENTINEL)                                                          \
			config_free(c_);                                                     \
	} while (0)

/* Writes TEXT as bad.yaml and checks that it is rejected with MESSAGE at LINE:COLUMN. */
#define EXPECT_ERROR(text, line, column, message)                                            \
	do {                                                                                 \
		struct config_errors e_ = { 0 };                                             \
		const char *p_ = write_file("bad.yaml", (text));                             \
		CHECK_REJECTED(p_, &e_);                                                     \
		CHECK_HAS_ERROR(&e_, p_, (line), (column), (message));                       \
		config_errors_free(&e_);                                                     \
	} while (0)

static int count_words(char **words)
{
	int n = 0;

	while (words && words[n])
		n++;
	return n;
}

/* How many entries of ENV are exactly ENTRY. */
static int env_count(char **env, const char *entry)
{
	int n = 0;

	for (; env && *env; env++)
		n += strcmp(*env, entry) == 0;
	return n;
}

static bool env_has_entry(char **env, const char *entry)
{
	for (; env && *env; env++)
		if (strcmp(*env, entry) == 0)
			return true;
	return false;
}

static int env_count_name(char **env, const char *name)
{
	size_t len = strlen(name);
	int n = 0;

	for (; env && *env; env++)
		n += strncmp(*env, name, len) == 0 && (*env)[len] == '=';
	return n;
}

/* --- valid files ------------------------------------------------------------------------------ */

static const char full_yaml[] =
	"cirque:\n"
	"  endpoint: ipc:///tmp/cirque-ctl.sock\n"
	"  pubsub_endpoint: tcp://127.0.0.1:5556\n"
	"  stats_endpoint: tcp://127.0.0.1:5557\n"
	"  loglevel: warning\n"
	"  logoutput: /var/log/cirqued.log\n"
	"  pidfile: /run/cirqued.pid\n"
	"  umask: \"027\"\n"
	"watchers:\n"
	"  full:\n"                                             /* line 10 */
	"    cmd: /usr/bin/prog --flag 'two words' \"q\\\"x\"\n"
	"    args: --verbose \"x y\" $(circus.wid)\n"
	"    numprocesses: 4\n"
	"    working_dir: /srv/app\n"
	"    env:\n"
	"      PLAIN: hello\n"
	"      FROM_VAR: $CIRQUE_TEST_VAR/bin\n"
	"      BRACED: ${CIRQUE_TEST_VAR}_x\n"
	"      DOLLAR: cost $$5\n"
	"      UNKNOWN: \"[$CIRQUE_TEST_UNSET]\"\n"
	"      EMPTY:\n"
	"      NUMBER: 8080\n"
	"    umask: 022\n"
	"    rlimits:\n"
	"      nofile: 4096\n"
	"      core: unlimited\n"
	"      RLIMIT_NPROC: 100\n"
	"    graceful_timeout: 500ms\n"
	"    stop_signal: QUIT\n"
	"    stop_children: true\n"
	"    respawn: false\n"
	"    autostart: off\n"
	"    priority: -5\n"
	"    singleton: no\n"
	"    warmup_delay: 1.5\n"
	"    max_retry: -1\n"
	"    max_age: 1h\n"
	"    max_age_variance: 10m\n"
	"  listargs:\n"
	"    cmd: python3 -m http.server\n"
	"    args: [\"8000\", \"--bind\", \"a b\", \"'q'\"]\n"
	"    graceful_timeout: 2\n"
	"    stop_signal: 9\n"
	"    singleton: true\n"
	"    priority: 10\n"
	"    umask: \"0077\"\n"
	"  shelled:\n"
	"    cmd: echo $HOME | wc\n"
	"    args: -c\n"
	"    shell: true\n"
	"    stop_signal: sighup\n"
	"  shellonly:\n"
	"    cmd: exec sleep 5\n"
	"    shell: yes\n"
	"    stop_signal: SIGINT\n"
	"  copier:\n"
	"    cmd: env\n"
	"    copy_env: true\n"
	"    env:\n"
	"      CIRQUE_COPY_OVERRIDE: mine\n"
	"  defaults:\n"
	"    cmd: sleep 1\n";

TEST(full_watcher)
{
	setenv("CIRQUE_TEST_VAR", "/opt/cirque", 1);
	unsetenv("CIRQUE_TEST_UNSET");
	const char *path = write_file("full.yaml", full_yaml);
	char origin[PATH_MAX + 16];
	struct config *config = load_ok(path);
	struct watcher_config *w;

	if (config == NULL)
		return;
	CHECK_STR(config->path, path);
	CHECK_INT(config->nwatchers, 6);
	w = config_find_watcher(config, "full");
	if (!CHECK(w != NULL))
		goto out;
	CHECK_STR(w->name, "full");
	snprintf(origin, sizeof(origin), "%s:10", path);
	CHECK_STR(w->origin, origin);
	CHECK_STR(w->cmd, "/usr/bin/prog --flag 'two words' \"q\\\"x\"");
	CHECK_STR(w->args, "--verbose \"x y\" $(circus.wid)");
	if (CHECK_INT(count_words(w->argv), 7)) {
		CHECK_STR(w->argv[0], "/usr/bin/prog");
		CHECK_STR(w->argv[1], "--flag");
		CHECK_STR(w->argv[2], "two words");
		CHECK_STR(w->argv[3], "q\"x");
		CHECK_STR(w->argv[4], "--verbose");
		CHECK_STR(w->argv[5], "x y");
		CHECK_STR(w->argv[6], "$(circus.wid)");  /* substituted per process, at spawn */
	}
	CHECK(!w->shell);
	CHECK_INT(w->numprocesses, 4);
	CHECK_STR(w->working_dir, "/srv/app");
	if (CHECK_INT(count_words(w->env), 8)) {  /* copy_env is off: env, and a PATH */
		CHECK_STR(w->env[0], "PLAIN=hello");
		CHECK_STR(w->env[1], "FROM_VAR=/opt/cirque/bin");
		CHECK_STR(w->env[2], "BRACED=/opt/cirque_x");
		CHECK_STR(w->env[3], "DOLLAR=cost $5");
		CHECK_STR(w->env[4], "UNKNOWN=[]");
		CHECK_STR(w->env[5], "EMPTY=");
		CHECK_STR(w->env[6], "NUMBER=8080");
		CHECK_STR(w->env[7], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	}
	CHECK(!w->copy_env);
	CHECK_INT(env_count_name(w->env, "PATH"), 1);
	CHECK_INT(env_count_name(w->env, "HOME"), 0);  /* no uid: the daemon's user, as systemd */
	CHECK(!w->set_ids);
	CHECK_INT(w->umask, 022);
	if (CHECK_INT(w->nrlimits, 3)) {
		CHECK_INT(w->rlimits[0].resource, RLIMIT_NOFILE);
		CHECK(w->rlimits[0].value == 4096);
		CHECK_INT(w->rlimits[1].resource, RLIMIT_CORE);
		CHECK(w->rlimits[1].value == (unsigned long long)RLIM_INFINITY);
		CHECK_INT(w->rlimits[2].resource, RLIMIT_NPROC);
		CHECK(w->rlimits[2].value == 100);
	}
	CHECK_DBL(w->graceful_timeout, 0.5);
	CHECK_INT(w->stop_signal, SIGQUIT);
	CHECK(w->stop_children);
	CHECK_INT(w->restart, RESTART_NEVER);  /* respawn: false */
	CHECK(!w->autostart);
	CHECK_INT(w->priority, -5);
	CHECK(!w->singleton);
	CHECK_DBL(w->warmup_delay, 1.5);
	CHECK_INT(w->max_retry, -1);
	CHECK_DBL(w->max_age, 3600);
	CHECK_DBL(w->max_age_variance, 600);

	w = config_find_watcher(config, "listargs");
	if (CHECK(w != NULL)) {
		/* A list of args is taken as is, not split; args keeps a readable copy. */
		if (CHECK_INT(count_words(w->argv), 7)) {
			CHECK_STR(w->argv[0], "python3");
			CHECK_STR(w->argv[1], "-m");
			CHECK_STR(w->argv[2], "http.server");
			CHECK_STR(w->argv[3], "8000");
			CHECK_STR(w->argv[4], "--bind");
			CHECK_STR(w->argv[5], "a b");
			CHECK_STR(w->argv[6], "'q'");
		}
		CHECK_STR(w->args, "8000 --bind a b 'q'");
		CHECK_DBL(w->graceful_timeout, 2);
		CHECK_INT(w->stop_signal, SIGKILL);
		CHECK(w->singleton);
		CHECK_INT(w->numprocesses, 1);
		CHECK_INT(w->priority, 10);
		CHECK_INT(w->umask, 077);
	}
	w = config_find_watcher(config, "shelled");
	if (CHECK(w != NULL)) {
		CHECK(w->shell);
		if (CHECK_INT(count_words(w->argv), 3)) {
			CHECK_STR(w->argv[0], "/bin/sh");
			CHECK_STR(w->argv[1], "-c");
			CHECK_STR(w->argv[2], "echo $HOME | wc -c");
		}
		CHECK_INT(w->stop_signal, SIGHUP);
	}
	w = config_find_watcher(config, "shellonly");
	if (CHECK(w != NULL)) {
		CHECK(w->shell);
		CHECK_STR(w->args, NULL);
		if (CHECK_INT(count_words(w->argv), 3))
			CHECK_STR(w->argv[2], "exec sleep 5");
		CHECK_INT(w->stop_signal, SIGINT);
	}
	CHECK(config_find_watcher(config, "nosuch") == NULL);
	CHECK(config_find_watcher(config, "ful") == NULL);
out:
	config_free(config);
}

TEST(daemon_section)
{
	const char *path = write_file("full.yaml", full_yaml);
	struct config *config = load_ok(path);

	if (config == NULL)
		return;
	CHECK_STR(config->daemon.endpoint, "ipc:///tmp/cirque-ctl.sock");
	CHECK_STR(config->daemon.pubsub_endpoint, "tcp://127.0.0.1:5556");
	CHECK_STR(config->daemon.stats_endpoint, "tcp://127.0.0.1:5557");
	CHECK_INT(config->daemon.loglevel, LL_WARNING);
	CHECK_STR(config->daemon.logoutput, "/var/log/cirqued.log");
	CHECK_STR(config->daemon.pidfile, "/run/cirqued.pid");
	CHECK_INT(config->daemon.umask, 027);
	config_free(config);

	path = write_file("levels.yaml", "cirque:\n  loglevel: DEBUG\n  umask: 0\nwatchers:\n");
	config = load_ok(path);
	if (config) {
		CHECK_INT(config->daemon.loglevel, LL_DEBUG);
		CHECK_INT(config->daemon.umask, 0);
		CHECK_INT(config->nwatchers, 0);
	}
	config_free(config);
	path = write_file("levels.yaml", "cirque:\n  loglevel: warn\n");
	config = load_ok(path);
	if (config) {
		CHECK_INT(config->daemon.loglevel, LL_WARNING);
		CHECK(!config->daemon.orphans_stop);  /* on_orphans: adopt by default */
	}
	config_free(config);
	path = write_file("orphans.yaml", "cirque:\n  on_orphans: stop\n");
	config = load_ok(path);
	if (config)
		CHECK(config->daemon.orphans_stop);
	config_free(config);
	path = write_file("orphans.yaml", "cirque:\n  on_orphans: adopt-all\n");
	config = load_ok(path);
	if (config)
		CHECK(!config->daemon.orphans_stop && config->daemon.orphans_adopt_piped);
	config_free(config);
	EXPECT_ERROR("cirque:\n  on_orphans: kill\n", 2, 15,
		     "cirque.on_orphans: must be adopt (the processes a cirqued that died left "
		     "running become their slots' processes, but those whose output went to its "
		     "pipes are restarted), adopt-all (those too), or stop");
	EXPECT_ERROR("cirque:\n  on_orphans: adpot\n", 2, 15, "(did you mean 'adopt'?)");
}

TEST(copy_env)
{
	setenv("CIRQUE_COPY_MARK", "present", 1);
	setenv("CIRQUE_COPY_OVERRIDE", "daemon", 1);
	const char *path = write_file("full.yaml", full_yaml);
	struct config *config = load_ok(path);
	struct watcher_config *w;
	int daemon_vars = 0;

	if (config == NULL)
		return;
	for (char **e = environ; *e; e++)
		daemon_vars += strchr(*e, '=') != NULL;
	w = config_find_watcher(config, "copier");
	if (CHECK(w != NULL)) {
		CHECK(w->copy_env);
		CHECK_INT(env_count(w->env, "CIRQUE_COPY_MARK=present"), 1);
		/* env overrides the copied value in place: one entry, not two. */
		CHECK_INT(env_count(w->env, "CIRQUE_COPY_OVERRIDE=mine"), 1);
		CHECK_INT(env_count_name(w->env, "CIRQUE_COPY_OVERRIDE"), 1);
		CHECK_INT(count_words(w->env), daemon_vars);
		if (getenv("PATH")) {
			char entry[8192];
			snprintf(entry, sizeof(entry), "PATH=%s", getenv("PATH"));
			CHECK_INT(env_count(w->env, entry), 1);
		}
	}
	/* Watchers without copy_env do not see the daemon's variables. */
	w = config_find_watcher(config, "defaults");
	if (CHECK(w != NULL))
		CHECK_INT(env_count_name(w->env, "CIRQUE_COPY_MARK"), 0);
	config_free(config);
	unsetenv("CIRQUE_COPY_MARK");
	unsetenv("CIRQUE_COPY_OVERRIDE");
}

TEST(defaults)
{
	const char *path = write_file("defaults.yaml", "watchers:\n  web:\n    cmd: sleep 1\n");
	struct config *config = load_ok(path);
	struct watcher_config *w;

	if (config == NULL)
		return;
	CHECK_INT(config->nwatchers, 1);
	CHECK_STR(config->daemon.endpoint, NULL);
	CHECK_STR(config->daemon.pidfile, NULL);
	CHECK_STR(config->daemon.logoutput, NULL);
	CHECK_INT(config->daemon.loglevel, -1);
	CHECK_INT(config->daemon.umask, -1);
	w = config_find_watcher(config, "web");
	if (CHECK(w != NULL)) {
		if (CHECK_INT(count_words(w->argv), 2)) {
			CHECK_STR(w->argv[0], "sleep");
			CHECK_STR(w->argv[1], "1");
		}
		CHECK_STR(w->args, NULL);
		CHECK(!w->shell);
		CHECK_INT(w->numprocesses, 1);
		CHECK_STR(w->working_dir, NULL);
		/* As systemd gives every service: a PATH, even when env says nothing. */
		if (CHECK_INT(count_words(w->env), 1))
			CHECK_STR(w->env[0],
				  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
		CHECK(!w->copy_env);
		CHECK(!w->set_ids);
		CHECK_INT(w->umask, -1);
		CHECK_INT(w->nrlimits, 0);
		CHECK_DBL(w->graceful_timeout, 30);
		CHECK_INT(w->stop_signal, SIGTERM);
		CHECK(!w->stop_children);
		CHECK_INT(w->restart, RESTART_ALWAYS);
		CHECK(exit_code_expected(&w->exitcodes, 0));
		CHECK(!exit_code_expected(&w->exitcodes, 1));
		CHECK(w->autostart);
		CHECK(!w->singleton);
		CHECK_INT(w->priority, 0);
		CHECK_DBL(w->warmup_delay, 0);
		CHECK_INT(w->max_retry, 5);
		CHECK_DBL(w->max_age, 0);
		CHECK_DBL(w->max_age_variance, 30);
	}
	config_free(config);

	/* numprocesses 0 is allowed (a watcher defined but not running); an empty env too. */
	path = write_file("defaults.yaml", "watchers:\n  web:\n    cmd: sleep 1\n    numprocesses: 0\n"
					   "    env:\n    rlimits:\n");
	config = load_ok(path);
	if (config && CHECK_INT(config->nwatchers, 1)) {
		CHECK_INT(config->watchers[0]->numprocesses, 0);
		CHECK_INT(count_words(config->watchers[0]->env), 1);  /* PATH */
		CHECK_INT(config->watchers[0]->nrlimits, 0);
	}
	config_free(config);

	/* A uid with a passwd entry: HOME, USER, LOGNAME and SHELL from it, unless env sets them;
	 * env's own PATH stays. */
	path = write_file("user.yaml", "watchers:\n  web:\n    cmd: sleep 1\n    uid: nobody\n"
				       "    env: {HOME: /srv/web, PATH: /opt/bin}\n");
	config = load_ok(path);
	if (config && CHECK_INT(config->nwatchers, 1)) {
		char **env = config->watchers[0]->env;
		if (CHECK_INT(count_words(env), 5)) {
			CHECK_STR(env[0], "HOME=/srv/web");
			CHECK_STR(env[1], "PATH=/opt/bin");
			CHECK_STR(env[2], "USER=nobody");
			CHECK_STR(env[3], "LOGNAME=nobody");
			CHECK(strncmp(env[4], "SHELL=", 6) == 0);
		}
	}
	config_free(config);
}

TEST(ids)
{
	/* Copied out: getpw*() results live in static buffers that the next call may reuse. */
	struct passwd *pw = getpwnam("nobody");
	bool have_nobody = pw != NULL;
	uid_t nobody_uid = pw ? pw->pw_uid : 0;
	gid_t nobody_gid = pw ? pw->pw_gid : 0;
	char self_name[256] = "", group0_name[256] = "";
	struct group *gr = getgrgid(0);
	char text[1024];
	struct config *config;
	struct watcher_config *w;

	if (gr)
		snprintf(group0_name, sizeof(group0_name), "%s", gr->gr_name);
	if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(self_name, sizeof(self_name), "%s", pw->pw_name);
	if (geteuid() != 0) {
		/* Not root: only the daemon's own ids are accepted. */
		EXPECT_ERROR("watchers:\n  web:\n    cmd: id\n    uid: \"0\"\n", 4, 10,
			     "watchers.web: uid/gid can only be changed when cirqued runs as root");
		if (self_name[0]) {
			snprintf(text, sizeof(text), "watchers:\n  web:\n    cmd: id\n    uid: %s\n",
				 self_name);
			config = load_ok(write_file("ids.yaml", text));
			if (config && CHECK_INT(config->nwatchers, 1))
				CHECK(!config->watchers[0]->set_ids);
			config_free(config);
		}
		return;
	}
	if (!CHECK(have_nobody) || !CHECK(group0_name[0] != '\0'))
		return;
	snprintf(text, sizeof(text),
		 "watchers:\n"
		 "  byname:\n    cmd: id\n    uid: nobody\n"
		 "  bynumber:\n    cmd: id\n    uid: \"4242\"\n    gid: \"4343\"\n"
		 "  groupname:\n    cmd: id\n    gid: %s\n",
		 group0_name);
	config = load_ok(write_file("ids.yaml", text));
	if (config == NULL)
		return;
	w = config_find_watcher(config, "byname");
	if (CHECK(w != NULL)) {
		CHECK(w->set_ids);
		CHECK_INT(w->uid, nobody_uid);
		CHECK_INT(w->gid, nobody_gid);
		CHECK(w->ngroups >= 1);
		bool primary = false;
		for (int i = 0; i < w->ngroups; i++)
			primary = primary || w->groups[i] == nobody_gid;
		CHECK(primary);
	}
	w = config_find_watcher(config, "bynumber");
	if (CHECK(w != NULL)) {
		CHECK(w->set_ids);
		if (getpwuid(4242) == NULL) {  /* a uid without a passwd entry: allowed, no groups */
			CHECK_INT(w->uid, 4242);
			CHECK_INT(w->ngroups, 0);
		}
		CHECK_INT(w->gid, 4343);
	}
	w = config_find_watcher(config, "groupname");
	if (CHECK(w != NULL)) {
		CHECK(w->set_ids);
		CHECK_INT(w->uid, geteuid());
		CHECK_INT(w->gid, 0);
	}
	config_free(config);
}

TEST(includes)
{
	char origin[PATH_MAX + 16];
	const char *main_path, *a;
	struct config *config;
	struct watcher_config *w;

	write_file("inc/conf.d/a.yaml", "watchers:\n  alpha:\n    cmd: sleep 2\n");
	write_file("inc/conf.d/b.yaml", "watchers:\n  beta:\n    cmd: sleep 3\n"
					"  gamma:\n    cmd: sleep 4\n");
	write_file("inc/conf.d/notes.txt", "this is: not: yaml: [\n");  /* not matched */
	a = path_of("inc/conf.d/a.yaml");
	main_path = write_file("inc/main.yaml", "cirque:\n  include: conf.d/*.yaml\n"
						"watchers:\n  main_one:\n    cmd: sleep 1\n");
	config = load_ok(main_path);  /* the cwd is not tmpdir/inc: relative to the main file */
	if (config) {
		CHECK_INT(config->nwatchers, 4);
		CHECK(config_find_watcher(config, "main_one") != NULL);
		CHECK(config_find_watcher(config, "beta") != NULL);
		CHECK(config_find_watcher(config, "gamma") != NULL);
		w = config_find_watcher(config, "alpha");
		if (CHECK(w != NULL)) {
			snprintf(origin, sizeof(origin), "%s:2", a);
			CHECK_STR(w->origin, origin);
			CHECK_STR(w->argv[0], "sleep");
			CHECK_STR(w->argv[1], "2");
		}
	}
	config_free(config);

	/* A relative main path: includes are relative to its directory, not to the cwd. */
	char cwd[PATH_MAX];
	if (CHECK(getcwd(cwd, sizeof(cwd)) != NULL) && CHECK(chdir(tmpdir) == 0)) {
		config = load_ok("inc/main.yaml");
		if (config)
			CHECK_INT(config->nwatchers, 4);
		config_free(config);
		CHECK(chdir(cwd) == 0);
	}

	/* A list of includes: a plain file, an absolute glob, a glob matching nothing (an empty
	 * directory, a missing directory). */
	char text[2 * PATH_MAX];
	write_file("inc/more/c.yaml", "watchers:\n  delta:\n    cmd: sleep 5\n");
	mkdir(path_of("inc/empty.d"), 0700);
	snprintf(text, sizeof(text),
		 "cirque:\n  include: [\"conf.d/a.yaml\", \"%s/inc/more/*.yaml\", \"empty.d/*.yaml\","
		 " \"missing.d/*.yaml\", \"conf.d/*.conf\"]\nwatchers:\n  main_one:\n    cmd: sleep 1\n",
		 tmpdir);
	config = load_ok(write_file("inc/list.yaml", text));
	if (config) {
		CHECK_INT(config->nwatchers, 3);
		CHECK(config_find_watcher(config, "alpha") != NULL);
		CHECK(config_find_watcher(config, "delta") != NULL);
		CHECK(config_find_watcher(config, "beta") == NULL);
	}
	config_free(config);

	/* Only includes, no watchers of its own. */
	config = load_ok(write_file("inc/only.yaml", "cirque:\n  include: \"nothing/*.yaml\"\n"));
	if (config)
		CHECK_INT(config->nwatchers, 0);
	config_free(config);
}

/* Circus's option names: each maps onto cirque's setting, and a contradiction is an error at
 * file:line:col. */
TEST(circus_options)
{
	struct config_errors warnings = { 0 };
	struct config *config;
	struct watcher_config *w;

	char *saved_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	setenv("PATH", "/daemon/bin:/usr/bin", 1);
	config = load_ok(write_file("circus.yaml",
		"cirque:\n  check_delay: 5\nwatchers:\n"
		"  web:\n    cmd: myname --flag\n    executable: /bin/sleep\n"
		"    rlimit_nofile: 1000\n    rlimits: {core: 0}\n"
		"    close_child_stdout: true\n    close_child_stderr: false\n"
		"    close_child_stdin: false\n    send_hup: true\n"
		"    copy_path: true\n    env: {A: b}\n"
		"    virtualenv: /srv/venv\n    virtualenv_py_ver: \"3.8\"\n"
		"  sock:\n    cmd: sleep 1\n    use_sockets: true\n    on_demand: true\n"
		"  sh:\n    cmd: echo $0 $1\n    shell: true\n    shell_args: \"zero 'one two'\"\n"
		"    stop_children: true\n"));
	if (config == NULL) {
		free(saved_path);
		return;
	}
	w = config_find_watcher(config, "web");
	if (CHECK(w != NULL)) {
		CHECK_STR(w->executable, "/bin/sleep");
		CHECK_STR(w->argv[0], "myname");
		CHECK_INT(w->nrlimits, 2);
		CHECK(w->rlimits[0].resource == RLIMIT_NOFILE && w->rlimits[0].value == 1000);
		CHECK(w->rlimits[1].resource == RLIMIT_CORE && w->rlimits[1].value == 0);
		CHECK_INT(w->streams[0].kind, STREAM_NULL);
		CHECK_INT(w->streams[1].kind, STREAM_INHERIT);
		CHECK(!w->close_child_stdin);
		CHECK(w->send_hup);
		CHECK(env_has_entry(w->env, "PATH=/srv/venv/bin:/daemon/bin:/usr/bin"));
		CHECK(env_has_entry(w->env, "VIRTUAL_ENV=/srv/venv"));
		CHECK(env_has_entry(w->env, "A=b"));
		json_t *shown = watcher_options_json(w);
		CHECK(json_is_true(json_object_get(shown, "close_child_stdout")));
		CHECK(json_is_false(json_object_get(shown, "close_child_stderr")));
		CHECK(json_is_false(json_object_get(shown, "close_child_stdin")));
		CHECK(json_is_true(json_object_get(shown, "send_hup")));
		CHECK_INT(json_integer_value(json_object_get(shown, "rlimit_nofile")), 1000);
		json_decref(shown);
	}
	w = config_find_watcher(config, "sock");
	if (CHECK(w != NULL))
		CHECK(w->on_demand && w->use_all_sockets);
	w = config_find_watcher(config, "sh");
	if (CHECK(w != NULL)) {
		CHECK_INT(count_words(w->argv), 5);
		CHECK_STR(w->argv[0], "/bin/sh");
		CHECK_STR(w->argv[2], "echo $0 $1");
		CHECK_STR(w->argv[3], "zero");
		CHECK_STR(w->argv[4], "one two");
		CHECK(w->stop_children);
		CHECK(w->close_child_stdin);  /* the default */
	}
	config_warnings(config, &warnings);
	CHECK_HAS_ERROR(&warnings, path_of("circus.yaml"), 2, 16,
			"warning: cirque.check_delay: ignored");
	CHECK_HAS_ERROR(&warnings, path_of("circus.yaml"), 16, 24,
			"warning: watchers.web.virtualenv_py_ver: ignored");
	config_errors_free(&warnings);
	config_free(config);

	/* copy_path alone: PATH from the daemon, not systemd's default list */
	config = load_ok(write_file("circus.yaml", "watchers:\n  a:\n    cmd: sleep 1\n"
						   "    copy_path: true\n"));
	if (config && CHECK(config->nwatchers == 1)) {
		CHECK(env_has_entry(config->watchers[0]->env, "PATH=/daemon/bin:/usr/bin"));
		CHECK_INT(env_count_name(config->watchers[0]->env, "PATH"), 1);
	}
	config_free(config);
	if (saved_path)
		setenv("PATH", saved_path, 1);
	free(saved_path);

	/* include_dir: its *.yaml, relative to the main file */
	write_file("incdir/more/x.yaml", "watchers:\n  x:\n    cmd: sleep 1\n");
	write_file("incdir/more/y.ini", "[watcher:y]\ncmd = sleep 1\n");
	config = load_ok(write_file("incdir/main.yaml", "cirque:\n  include_dir: more\n"));
	if (config) {
		CHECK_INT(config->nwatchers, 1);
		CHECK(config_find_watcher(config, "x") != NULL);
	}
	config_free(config);

	/* errors, at the second of two settings that say the same thing */
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    rlimit_nofile: 10\n"
		     "    rlimits: {nofile: 20}\n", 5, 15,
		     "watchers.web.rlimits.nofile: the limit nofile is given twice");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    rlimits: {nofile: 20}\n"
		     "    rlimit_nofile: 10\n", 5, 20,
		     "watchers.web.rlimit_nofile: the limit nofile is given twice");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    rlimit_nofil: 10\n", 4, 5,
		     "unknown key 'rlimit_nofil': no resource limit 'nofil' (did you mean 'nofile'?)");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    rlimit_nofile: lots\n", 4, 20,
		     "watchers.web.rlimit_nofile: must be a non-negative integer or 'unlimited'");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    stdout: {file: /tmp/x.log}\n"
		     "    close_child_stdout: true\n", 5, 25,
		     "watchers.web.close_child_stdout: true is stdout: null, and stdout: is given "
		     "too (line 4)");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    close_child_stderr: true\n"
		     "    stderr: syslog\n", 4, 25, "close_child_stderr: true is stderr: null");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    close_child_stdin: false\n"
		     "    listen_events: true\n", 4, 24, "an event listener's stdin is the events");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    close_child_stdout: maybe\n", 4, 25,
		     "watchers.web.close_child_stdout: must be");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    shell_args: -x\n", 4, 17,
		     "watchers.web.shell_args: arguments of the shell, which runs only with shell: "
		     "true");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    shell: true\n    shell_args: \"'a\"\n",
		     5, 17, "watchers.web.shell_args:");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    virtualenv: venv\n", 4, 17,
		     "watchers.web.virtualenv: must be an absolute path");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    send_hup: 2\n", 4, 15,
		     "watchers.web.send_hup: must be");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    close_child_stdot: true\n", 4, 5,
		     "unknown key 'close_child_stdot' (did you mean 'close_child_stdout'?)");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    on_demand: true\n", 4, 16,
		     "watchers.web.on_demand: started by a connection to one of its sockets: give "
		     "it use_sockets");
	EXPECT_ERROR("cirque:\n  include_dir: \"conf.d/*\"\nwatchers:\n", 2, 16,
		     "cirque.include_dir: must be a directory");
	EXPECT_ERROR("cirque:\n  check_delay: soon\nwatchers:\n", 2, 16, "cirque.check_delay:");
	EXPECT_ERROR("cirque:\n  include_dirs: x\nwatchers:\n", 2, 3,
		     "unknown key 'include_dirs' (did you mean 'include_dir'?)");
}

/* --- invalid files ---------------------------------------------------------------------------- */

TEST(error_unknown_keys)
{
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\ncolour: blue\n", 4, 1,
		     "unknown top-level key 'colour'");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    numprocess: 2\n", 4, 5,
		     "watchers.web: unknown key 'numprocess'");
	EXPECT_ERROR("cirque:\n  loglevel: info\n  colour: blue\nwatchers:\n", 3, 3,
		     "cirque: unknown key 'colour'");
	/* a typo gets the closest key of its section, in any case; no hint for what is not one */
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    numprocess: 2\n", 4, 5,
		     "watchers.web: unknown key 'numprocess' (did you mean 'numprocesses'?)");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    Stop_Signal: 2\n", 4, 5,
		     "unknown key 'Stop_Signal' (did you mean 'stop_signal'?)");
	EXPECT_ERROR("cirque:\n  loglevl: info\nwatchers:\n", 2, 3,
		     "cirque: unknown key 'loglevl' (did you mean 'loglevel'?)");
	EXPECT_ERROR("watcher:\n  web:\n    cmd: sleep 1\n", 1, 1,
		     "unknown top-level key 'watcher' (did you mean 'watchers'?)");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    stdout: {fille: /x.log}\n", 4, 14,
		     "watchers.web.stdout: unknown key 'fille' (did you mean 'file'?)");
	EXPECT_ERROR("sockets:\n  s: {hots: 127.0.0.1}\nwatchers:\n", 2, 7,
		     "sockets.s: unknown key 'hots' (did you mean 'host'?)");
	/* libyaml's "cannot start any token" at a tab gets the reason */
	EXPECT_ERROR("watchers:\n  web:\n\tcmd: sleep 1\n", 3, 1,
		     "(a tab: tabs are not allowed for indentation in YAML, use spaces)");
	struct config_errors e = { 0 };
	CHECK_REJECTED(write_file("bad.yaml", "watchers:\n  web:\n    cmd: sleep 1\n    zzzzzz: 2\n"),
		       &e);
	CHECK(e.count == 1 && strstr(e.lines[0], "unknown key 'zzzzzz'") &&
	      strstr(e.lines[0], "did you mean") == NULL);
	config_errors_free(&e);
}

TEST(error_types)
{
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    numprocesses: abc\n", 4, 19,
		     "watchers.web.numprocesses: must be an integer");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    numprocesses: [1]\n", 4, 19,
		     "watchers.web.numprocesses: must be an integer");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    numprocesses: 1.5\n", 4, 19,
		     "watchers.web.numprocesses: must be an integer");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    numprocesses: -1\n", 4, 19,
		     "watchers.web.numprocesses: must be at least 0, not -1");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    numprocesses: 100001\n", 4, 19,
		     "more processes than cirque allows");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    max_retry: -2\n", 4, 16,
		     "watchers.web.max_retry: must be at least -1, not -2");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    priority: 2000000\n", 4, 15,
		     "watchers.web.priority: must be between -1000000 and 1000000");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    respawn: maybe\n", 4, 14,
		     "watchers.web.respawn: must be true or false");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: [sleep, 1]\n", 3, 10,
		     "watchers.web.cmd: must be a string");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    umask: 8\n", 4, 12,
		     "watchers.web.umask: must be an octal mode");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    env: [A]\n", 4, 10,
		     "watchers.web.env: must be a mapping");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    env:\n      A: ${B\n", 5, 10,
		     "watchers.web.env.A: an unterminated ${, or a form other than ${VAR}");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    args: {a: b}\n", 4, 11,
		     "watchers.web.args: must be a string or a list of strings");
}

/* restart, exitcodes, and Circus's respawn mapped onto restart. */
TEST(restart_and_exitcodes)
{
	static const struct { const char *lines; enum restart_policy want; } policies[] = {
		{ "    restart: always\n", RESTART_ALWAYS },
		{ "    restart: on-failure\n", RESTART_ON_FAILURE },
		{ "    restart: never\n", RESTART_NEVER },
		{ "    respawn: true\n", RESTART_ALWAYS },
		{ "    respawn: false\n", RESTART_NEVER },
		{ "    respawn: false\n    restart: never\n", RESTART_NEVER },
		{ "    restart: on-failure\n    respawn: true\n", RESTART_ON_FAILURE },
		{ "    respawn: true\n    restart: always\n", RESTART_ALWAYS },
	};
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "watchers:\n  job:\n    cmd: \"true\"\n%s",
			 policies[i].lines);
		struct config *c = load_ok(write_file("restart.yaml", text));
		if (c && !CHECK(c->watchers[0]->restart == policies[i].want))
			printf("     (%s)", policies[i].lines);
		config_free(c);
	}

	struct config *c = load_ok(write_file("codes.yaml", "watchers:\n  a:\n    cmd: \"true\"\n"
					      "    exitcodes: [0, 3, 255]\n  b:\n    cmd: \"true\"\n"
					      "    exitcodes: 2,4\n  c:\n    cmd: \"true\"\n"
					      "    exitcodes: []\n"));
	if (c) {
		const struct exit_codes *a = &c->watchers[0]->exitcodes;
		const struct exit_codes *b = &c->watchers[1]->exitcodes;
		const struct exit_codes *none = &c->watchers[2]->exitcodes;
		CHECK(exit_code_expected(a, 0) && exit_code_expected(a, 3) && exit_code_expected(a, 255));
		CHECK(!exit_code_expected(a, 1) && !exit_code_expected(a, 256) &&
		      !exit_code_expected(a, -1));
		CHECK(!exit_code_expected(b, 0) && exit_code_expected(b, 2) && exit_code_expected(b, 4));
		for (int code = 0; code < 256; code++)
			if (!CHECK(!exit_code_expected(none, code)))
				break;
	}
	config_free(c);

	EXPECT_ERROR("watchers:\n  job:\n    cmd: \"true\"\n    respawn: false\n"
		     "    restart: always\n", 5, 14,
		     "watchers.job.restart: always contradicts respawn: false (line 4)");
	EXPECT_ERROR("watchers:\n  job:\n    cmd: \"true\"\n    restart: on-failure\n"
		     "    respawn: false\n", 4, 14,
		     "watchers.job.restart: on-failure contradicts respawn: false (line 5)");
	EXPECT_ERROR("watchers:\n  job:\n    cmd: \"true\"\n    restart: never\n"
		     "    respawn: true\n", 4, 14,
		     "watchers.job.restart: never contradicts respawn: true");
	EXPECT_ERROR("watchers:\n  job:\n    cmd: \"true\"\n    restart: sometimes\n", 4, 14,
		     "watchers.job.restart: must be always, on-failure or never");
	EXPECT_ERROR("watchers:\n  job:\n    cmd: \"true\"\n    exitcodes: [0, 256]\n", 4, 20,
		     "watchers.job.exitcodes: must be a list of exit statuses 0..255");
	EXPECT_ERROR("watchers:\n  job:\n    cmd: \"true\"\n    exitcodes: [0, -1]\n", 4, 20,
		     "watchers.job.exitcodes: must be a list of exit statuses 0..255");
	EXPECT_ERROR("watchers:\n  job:\n    cmd: \"true\"\n    exitcodes: zero\n", 4, 16,
		     "watchers.job.exitcodes: must be a list of exit statuses 0..255");
	EXPECT_ERROR("watchers:\n  job:\n    cmd: \"true\"\n    exitcodes: {a: 1}\n", 4, 16,
		     "watchers.job.exitcodes: must be a list of exit statuses 0..255");
}

TEST(error_signal_duration)
{
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    stop_signal: SIGFOO\n", 4, 18,
		     "watchers.web.stop_signal: unknown signal 'SIGFOO'");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    stop_signal: 65\n", 4, 18,
		     "unknown signal '65'");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    graceful_timeout: 5x\n", 4, 23,
		     "watchers.web.graceful_timeout: must be a non-negative duration");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    max_age: -1h\n", 4, 14,
		     "watchers.web.max_age: must be a non-negative duration");
}

TEST(error_ids)
{
	EXPECT_ERROR("watchers:\n  web:\n    cmd: id\n    uid: no_such_user_xyz\n", 4, 10,
		     "watchers.web.uid: unknown user 'no_such_user_xyz'");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: id\n    gid: no_such_group_xyz\n", 4, 10,
		     "watchers.web.gid: unknown group 'no_such_group_xyz'");
}

TEST(error_duplicates)
{
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n  web:\n    cmd: sleep 2\n", 4, 3,
		     "watchers.web: duplicate key (first at line 2)");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    cmd: sleep 2\n", 4, 5,
		     "watchers.web.cmd: duplicate key (first at line 3)");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\nwatchers:\n  b:\n    cmd: sleep 2\n", 4, 1,
		     "duplicate key (first at line 1)");

	/* Across the main file and an include. */
	struct config_errors errors = { 0 };
	char message[PATH_MAX + 128];
	const char *inc = write_file("dup/conf.d/web.yaml", "watchers:\n  web:\n    cmd: sleep 2\n");
	const char *main_path = write_file("dup/main.yaml", "cirque:\n  include: conf.d/*.yaml\n"
							     "watchers:\n  web:\n    cmd: sleep 1\n");
	CHECK_REJECTED(main_path, &errors);
	snprintf(message, sizeof(message),
		 "watchers: duplicate watcher name 'web' (first defined at %s:4)", main_path);
	CHECK_HAS_ERROR(&errors, inc, 2, 3, message);
	CHECK_INT(errors.count, 1);
	config_errors_free(&errors);
}

TEST(error_case_and_max_processes)
{
	/* Names are case-insensitive: two that differ only in case are one name twice. */
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n  WEB:\n    cmd: sleep 2\n", 4, 3,
		     "duplicate watcher name 'WEB'");
	/* The count that goes over max_processes is the error (or the name, without a count). */
	EXPECT_ERROR("cirque:\n  max_processes: 3\nwatchers:\n  a:\n    cmd: sleep 1\n"
		     "    numprocesses: 2\n  b:\n    cmd: sleep 1\n    numprocesses: 2\n", 9, 19,
		     "watchers.b.numprocesses: 4 processes in all, more than cirque.max_processes 3");
	EXPECT_ERROR("cirque:\n  max_processes: 2\nwatchers:\n  a:\n    cmd: sleep 1\n"
		     "    numprocesses: 2\n  b:\n    cmd: sleep 1\n", 7, 3,
		     "watchers.b.numprocesses: 3 processes in all");
	EXPECT_ERROR("cirque:\n  max_processes: 0\nwatchers:\n  a:\n    cmd: sleep 1\n", 2, 18,
		     "cirque.max_processes");
	struct config *c = load_ok(write_file("max.yaml", "cirque:\n  max_processes: 4\nwatchers:\n"
					      "  a:\n    cmd: sleep 1\n    numprocesses: 4\n"));
	if (c) {
		CHECK(daemon_max_processes(&c->daemon) == 4);
		config_free(c);
	}
}

TEST(error_cmd)
{
	/* Located at the watcher's key, like every other error. */
	struct config_errors errors = { 0 };
	const char *path = write_file("bad.yaml", "watchers:\n  web:\n    numprocesses: 2\n");

	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, path, 2, 3, "watchers.web: missing required key 'cmd'");
	config_errors_free(&errors);

	EXPECT_ERROR("watchers:\n  web:\n    cmd: \"\"\n", 3, 10, "watchers.web.cmd: is empty");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: \"  \"\n", 3, 10, "watchers.web.cmd: is empty");
	EXPECT_ERROR("watchers:\n  web:\n    cmd:\n    numprocesses: 1\n", 3, 9,
		     "watchers.web.cmd: must be a string");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: echo 'oops\n", 3, 10,
		     "watchers.web.cmd: unterminated single quote");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: echo \"oops\n", 3, 10,
		     "watchers.web.cmd: unterminated double quote");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: echo\n    args: \"'oops\"\n", 4, 11,
		     "watchers.web.args: unterminated single quote");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: echo oops\\\n", 3, 10,
		     "watchers.web.cmd: trailing backslash");
}

TEST(error_yaml_syntax)
{
	EXPECT_ERROR("watchers:\n  web:\n    cmd: a: b\n", 3, 11,
		     "YAML syntax error: mapping values are not allowed");
	EXPECT_ERROR("watchers:\n  web: {cmd: sleep 1\n", 3, 1, "YAML syntax error");
}

TEST(error_structure)
{
	EXPECT_ERROR("watchers:\n  web: sleep 1\n", 2, 8,
		     "watchers.web: must be a mapping of options (at least cmd)");
	EXPECT_ERROR("watchers:\n  web: [sleep, 1]\n", 2, 8, "watchers.web: must be a mapping");
	EXPECT_ERROR("watchers: [a, b]\n", 1, 11, "watchers: must be a mapping");
	EXPECT_ERROR("- watchers\n", 1, 1, "top level: must be a mapping");
	EXPECT_ERROR("watchers:\n  \"web app\":\n    cmd: sleep 1\n", 2, 3,
		     "invalid watcher name 'web app'");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    singleton: true\n"
		     "    numprocesses: 2\n", 5, 19,
		     "watchers.web.numprocesses: a singleton watcher runs at most one process");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    rlimits:\n      nofiles: 10\n", 5, 7,
		     "watchers.web.rlimits: unknown resource limit 'nofiles'");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: sleep 1\n    rlimits: {nofile: lots}\n", 4, 23,
		     "watchers.web.rlimits.nofile: must be a non-negative integer or 'unlimited'");
	EXPECT_ERROR("cirque:\n  loglevel: verbose\nwatchers:\n", 2, 13,
		     "cirque.loglevel: must be one of debug, info, warning, error, critical");
	EXPECT_ERROR("cirque:\n  umask: 999\n", 2, 10, "cirque.umask: must be an octal mode");
	EXPECT_ERROR("cirque:\n  include: {a: b}\n", 2, 12,
		     "cirque.include: must be a glob or a list of globs");

	struct config_errors errors = { 0 };
	const char *path = write_file("empty.yaml", "");
	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, path, 0, 0, "the file is empty");
	config_errors_free(&errors);
}

/* Names go into log paths ({name}), topics and cirquectl's name:wid: "..", a first '.' or '-',
 * and anything beyond [A-Za-z0-9_.@-] are refused, saying what is allowed. */
TEST(watcher_names)
{
	static const char *const bad[] = { "..", ".", ".hidden", "-rf", "a/b", "a:1", "a b", "caf\xc3\xa9" };
	static const char *const good[] = { "web", "web-1", "web_1", "a.b", "a..b", "api@eu", "X9" };
	char text[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "watchers:\n  \"%s\":\n    cmd: sleep 1\n", bad[i]);
		EXPECT_ERROR(text, 2, 3, "(allowed: letters, digits, '-', '_', '.', '@', not first");
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "watchers:\n  \"%s\":\n    cmd: sleep 1\n", good[i]);
		struct config *c = load_ok(write_file("good.yaml", text));
		CHECK(c && c->nwatchers == 1 && strcmp(c->watchers[0]->name, good[i]) == 0);
		if (c)
			config_free(c);
	}
	/* At most 128 characters. */
	memset(text, 0, sizeof(text));
	strcpy(text, "watchers:\n  ");
	memset(text + strlen(text), 'x', 129);
	strcat(text, ":\n    cmd: sleep 1\n");
	EXPECT_ERROR(text, 2, 3, "invalid watcher name");
	/* A control character in a name is shown escaped in the error. */
	EXPECT_ERROR("watchers:\n  \"a\\e[31m\":\n    cmd: sleep 1\n", 2, 3, "'a\\x1b[31m'");
	/* Where a stream goes is said once: file:, syslog: and merge: are alternatives. */
	EXPECT_ERROR("watchers:\n  b:\n    cmd: sleep 1\n    stderr: {file: /tmp/b.log, merge: stdout}\n",
		     4, 32, "watchers.b.stderr: file:, syslog: and merge: are alternatives: keep one");
	/* "all" means every watcher to cirquectl: reserved, in any case. */
	EXPECT_ERROR("watchers:\n  all:\n    cmd: sleep 1\n", 2, 3, "watchers: 'all' is reserved");
	EXPECT_ERROR("watchers:\n  All:\n    cmd: sleep 1\n", 2, 3, "watchers: 'All' is reserved");
}

/* YAML merge keys share options: `<<: *base` (or a list), the mapping's own keys win, the
 * first source wins over later ones; top-level x- keys hold anchors and are ignored. */
TEST(merge_keys)
{
	const char *path = write_file("merge.yaml",
		"x-defaults: &defaults\n"
		"  graceful_timeout: 5s\n"
		"  stop_children: true\n"
		"  env: &env {A: '1', B: '2'}\n"
		"watchers:\n"
		"  a: &base\n"
		"    cmd: sleep 100\n"
		"    graceful_timeout: 3s\n"
		"  b:\n"
		"    <<: *base\n"
		"    numprocesses: 2\n"
		"  c:\n"
		"    <<: [*defaults, *base]\n"
		"    cmd: sleep 200\n"
		"    env: {<<: *env, B: own}\n");
	struct config *config = load_ok(path);
	struct watcher_config *w;

	if (config == NULL)
		return;
	CHECK_INT(config->nwatchers, 3);
	w = config_find_watcher(config, "b");
	if (CHECK(w != NULL)) {
		CHECK_STR(w->cmd, "sleep 100");
		CHECK_DBL(w->graceful_timeout, 3);
		CHECK_INT(w->numprocesses, 2);
	}
	w = config_find_watcher(config, "c");
	if (CHECK(w != NULL)) {
		CHECK_STR(w->cmd, "sleep 200");
		CHECK_DBL(w->graceful_timeout, 5);  /* *defaults comes first */
		CHECK(w->stop_children);
		CHECK_INT(env_count_name(w->env, "A"), 1);
		CHECK(env_has_entry(w->env, "B=own"));
	}
	config_free(config);
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n    <<: 3\n", 4, 9,
		     "watchers.a.<<: must be a mapping or a list of mappings");
}

TEST(error_files)
{
	struct config_errors errors = { 0 };
	const char *path = path_of("no-such-file.yaml");

	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, path, 0, 0, "cannot open: No such file or directory");
	CHECK_INT(errors.count, 1);
	config_errors_free(&errors);

	/* cirque: belongs in the main file. */
	const char *inc = write_file("nested/conf.d/x.yaml", "cirque:\n  loglevel: info\n"
							   "watchers:\n  x:\n    cmd: sleep 1\n");
	path = write_file("nested/main.yaml", "cirque:\n  include: conf.d/*.yaml\n");
	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, inc, 1, 1, "'cirque:' settings belong in the main file");
	config_errors_free(&errors);

	/* An include naming a missing file (not a glob) is an error. */
	path = write_file("missing-inc.yaml", "cirque:\n  include: [\"nothere.yaml\"]\n");
	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, path, 2, 13, "include 'nothere.yaml': no such file");
	config_errors_free(&errors);

	/* An error in an included file names that file. */
	inc = write_file("bad-inc/conf.d/x.yaml",
			 "watchers:\n  x:\n    cmd: sleep 1\n    numprocesses: abc\n");
	path = write_file("bad-inc/main.yaml", "cirque:\n  include: conf.d/*.yaml\n");
	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, inc, 4, 19, "watchers.x.numprocesses: must be an integer");
	config_errors_free(&errors);
}

TEST(several_errors)
{
	struct config_errors errors = { 0 };
	const char *path = write_file("several.yaml",
				      "watchers:\n"
				      "  web:\n"
				      "    cmd: sleep 1\n"
				      "    numprocesses: abc\n"
				      "    stop_signal: FOO\n"
				      "    colour: red\n"
				      "  other:\n"
				      "    cmd: \"echo 'x\"\n");

	CHECK_REJECTED(path, &errors);
	CHECK(errors.count >= 2);
	CHECK_INT(errors.count, 4);
	CHECK_HAS_ERROR(&errors, path, 4, 19, "watchers.web.numprocesses: must be an integer");
	CHECK_HAS_ERROR(&errors, path, 5, 18, "unknown signal 'FOO'");
	CHECK_HAS_ERROR(&errors, path, 6, 5, "unknown key 'colour'");
	CHECK_HAS_ERROR(&errors, path, 8, 10, "watchers.other.cmd: unterminated single quote");
	config_errors_free(&errors);
}

/* --- watcher_config_equal --------------------------------------------------------------------- */

/* --- sockets --------------------------------------------------------------------------------- */

TEST(sockets_section)
{
	const char *path = write_file("sockets.yaml",
		"sockets:\n"
		"  web: {host: 0.0.0.0, port: 8080, backlog: 64, reuseport: true}\n"
		"  api: {path: /run/app/api.sock, mode: \"0600\", user: root, group: \"0\"}\n"
		"  local: {port: 0}\n"
		"  six: {host: \"[::1]\", port: 9000}\n"
		"watchers:\n"
		"  app:\n"
		"    cmd: server --fd $(circus.sockets.web) --api $(cirque.sockets.api)\n"
		"    use_sockets: [web, api]\n"
		"  every: {cmd: x, use_sockets: true}\n"
		"  one: {cmd: x, use_sockets: six}\n"
		"  none: {cmd: x}\n");
	struct config *config = load_ok(path);

	if (config == NULL)
		return;
	CHECK_INT(config->nsockets, 4);
	struct socket_config *web = config_find_socket(config, "web");
	struct socket_config *api = config_find_socket(config, "api");
	struct socket_config *local = config_find_socket(config, "local");
	struct socket_config *six = config_find_socket(config, "six");
	if (CHECK(web && api && local && six)) {
		CHECK_INT(web->family, AF_INET);
		CHECK_STR(web->host, "0.0.0.0");
		CHECK_INT(web->port, 8080);
		CHECK_INT(web->backlog, 64);
		CHECK(web->reuseport);
		CHECK_INT(api->family, AF_UNIX);
		CHECK_STR(api->path, "/run/app/api.sock");
		CHECK_INT(api->mode, 0600);
		CHECK_INT((int)api->owner, 0);
		CHECK_INT((int)api->group, 0);
		CHECK(web->owner == (uid_t)-1 && web->group == (gid_t)-1);
		CHECK_INT(api->backlog, 2048);
		CHECK_STR(local->host, "127.0.0.1");  /* loopback unless told otherwise */
		CHECK_INT(local->port, 0);
		CHECK(!local->reuseport);
		CHECK_INT(six->family, AF_INET6);
		CHECK_STR(six->host, "::1");  /* brackets removed */
		CHECK(!socket_config_same_binding(web, local));
		CHECK(socket_config_same_binding(web, web));
	}
	struct watcher_config *app = config_find_watcher(config, "app");
	if (CHECK(app && app->use_sockets)) {
		CHECK_STR(app->use_sockets[0], "web");
		CHECK_STR(app->use_sockets[1], "api");
		CHECK(app->use_sockets[2] == NULL);
		CHECK(!app->use_all_sockets);
		char **vars = watcher_socket_vars(app);
		CHECK(vars && vars[0] && vars[1] && !vars[2]);
		free_words(vars);
	}
	struct watcher_config *all = config_find_watcher(config, "every");
	CHECK(all && all->use_all_sockets && all->use_sockets == NULL);
	struct watcher_config *one = config_find_watcher(config, "one");
	CHECK(one && one->use_sockets && strcmp(one->use_sockets[0], "six") == 0);
	struct watcher_config *none = config_find_watcher(config, "none");
	CHECK(none && none->use_sockets == NULL && !none->use_all_sockets);
	/* Which sockets a watcher gets changes its processes. */
	CHECK(!watcher_config_same_processes(app, one));
	config_free(config);
}

TEST(sockets_errors)
{
	EXPECT_ERROR("sockets:\n  web: {host: example.com, port: 80}\nwatchers: {a: {cmd: x}}\n",
		     2, 15, "sockets.web.host: 'example.com' is not a numeric");
	EXPECT_ERROR("sockets:\n  web: {port: 70000}\nwatchers: {a: {cmd: x}}\n",
		     2, 15, "sockets.web.port: must be at most 65535");
	EXPECT_ERROR("sockets:\n  web: {host: 127.0.0.1}\nwatchers: {a: {cmd: x}}\n",
		     2, 3, "sockets.web: needs port");
	EXPECT_ERROR("sockets:\n  web: {path: rel.sock}\nwatchers: {a: {cmd: x}}\n",
		     2, 15, "sockets.web.path: must be an absolute path");
	EXPECT_ERROR("sockets:\n  web: {path: /a.sock, port: 8}\nwatchers: {a: {cmd: x}}\n",
		     2, 15, "either path (unix) or host and port");
	EXPECT_ERROR("sockets:\n  web: {port: 8, mode: \"0600\"}\nwatchers: {a: {cmd: x}}\n",
		     2, 24, "sockets.web.mode: only for a unix socket");
	EXPECT_ERROR("sockets:\n  web: {path: /a, user: no-such-user-here}\nwatchers: {a: {cmd: x}}\n",
		     2, 25, "sockets.web.user: unknown user 'no-such-user-here'");
	EXPECT_ERROR("sockets:\n  web: {port: 8, group: root}\nwatchers: {a: {cmd: x}}\n",
		     2, 25, "user and group are only for a unix socket");
	EXPECT_ERROR("sockets:\n  web: {port: 8, colour: red}\nwatchers: {a: {cmd: x}}\n",
		     2, 18, "unknown key 'colour'");
	EXPECT_ERROR("sockets:\n  w/b: {port: 8}\nwatchers: {a: {cmd: x}}\n",
		     2, 3, "invalid socket name 'w/b'");
	/* References: checked once the whole file is read, at the reference. */
	EXPECT_ERROR("watchers:\n  a: {cmd: x, use_sockets: [web, nope]}\nsockets:\n  web: {port: 8}\n",
		     2, 34, "watchers.a.use_sockets: unknown socket 'nope'");
	EXPECT_ERROR("sockets:\n  web: {port: 8}\nwatchers:\n  a: {cmd: x, use_sockets: [web, web]}\n",
		     4, 34, "socket 'web' is listed twice");
	EXPECT_ERROR("sockets:\n  web: {port: 8}\nwatchers:\n  a: {cmd: \"x $(circus.sockets.api)\"}\n",
		     4, 12, "watchers.a.cmd: $(circus.sockets.api) names a socket the watcher does not list");
	EXPECT_ERROR("sockets:\n  web: {port: 8}\nwatchers:\n  a: {cmd: \"x $(circus.sockets.api)\", "
		     "use_sockets: true}\n", 4, 12, "watchers.a.cmd: unknown socket 'api'");
	EXPECT_ERROR("watchers:\n  a: {cmd: x, use_sockets: {web: 1}}\n",
		     2, 28, "must be a list of socket names, or true");
}

/* YAML aliases that loop, or that multiply (billion laughs), are refused, not followed. */
TEST(alias_bombs)
{
	char text[4096] = "watchers:\n  a:\n    cmd: x\n    bomb:\n      l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n";

	EXPECT_ERROR("watchers:\n  a: &a {cmd: x, more: *a}\n", 2, 6,
		     "watchers.a: nested too deeply or too large");
	/* Ten levels of ten aliases each: 10^10 values if it were expanded. */
	for (int i = 1; i <= 9; i++) {
		char line[160];
		snprintf(line, sizeof(line), "      l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, "
			 "*l%d, *l%d]\n", i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
			 i - 1, i - 1);
		strcat(text, line);
	}
	EXPECT_ERROR(text, 3, 5, "watchers.a: nested too deeply or too large");
}

/* As root, only root may be able to change what cirqued runs. */
TEST(files_safe_for_root)
{
	struct config_errors errors = { 0 };
	const char *path = write_file("perm.yaml", "watchers:\n  a: {cmd: /bin/true}\n");
	struct config *config;

	if (geteuid() != 0) {
		printf("     (not root: skipped)\n");
		return;
	}
	config = load_ok(path);
	config_free(config);
	chmod(path, 0664);
	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, path, 0, 0, "writable by its group (mode 0664)");
	config_errors_free(&errors);
	chmod(path, 0646);
	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, path, 0, 0, "writable by others (mode 0646)");
	config_errors_free(&errors);
	chmod(path, 0644);
	CHECK(chown(path, 1000, 0) == 0);
	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, path, 0, 0, "owned by uid 1000, not root");
	config_errors_free(&errors);
	/* An include counts as much as the main file. */
	CHECK(chown(path, 0, 0) == 0);
	const char *main_path = write_file("perm-main.yaml", "cirque:\n  include: [perm-inc.yaml]\n"
					   "watchers: {}\n");
	const char *inc = write_file("perm-inc.yaml", "watchers:\n  b: {cmd: /bin/true}\n");
	chmod(inc, 0666);
	CHECK_REJECTED(main_path, &errors);
	CHECK_HAS_ERROR(&errors, inc, 0, 0, "writable by others");
	config_errors_free(&errors);
}

static const char equal_yaml[] =
	"watchers:\n"
	"  web:\n"
	"    cmd: %s\n"
	"    args: [\"8000\"]\n"
	"    numprocesses: %d\n"
	"    working_dir: /tmp\n"
	"    env: {A: b}\n"
	"    umask: \"022\"\n"
	"    stop_signal: %s\n"
	"    max_age: 1h\n";

/* equal_yaml with CMD, NUMPROCESSES and STOP_SIGNAL, written to NAME and loaded. */
static struct config *load_variant(const char *name, const char *cmd, int numprocesses,
				   const char *stop_signal)
{
	char text[2048];

	snprintf(text, sizeof(text), equal_yaml, cmd, numprocesses, stop_signal);
	return load_ok(write_file(name, text));
}

TEST(watcher_config_equal)
{
	const char *cmdline = "python3 -m http.server";
	struct config *a = load_variant("eq-a.yaml", cmdline, 2, "TERM");
	struct config *a2 = load_variant("eq-a2.yaml", cmdline, 2, "TERM");
	struct config *count = load_variant("eq-count.yaml", cmdline, 3, "TERM");
	struct config *cmd = load_variant("eq-cmd.yaml", "python3 -m http.server2", 2, "TERM");
	struct config *spaced = load_variant("eq-spaced.yaml", "python3  -m 'http.server'", 2, "TERM");
	struct config *sig = load_variant("eq-sig.yaml", cmdline, 2, "INT");

	if (a && a2 && count && cmd && spaced && sig) {
		struct watcher_config *wa = a->watchers[0], *wa2 = a2->watchers[0];
		CHECK(watcher_config_equal(wa, wa, false));
		CHECK(watcher_config_equal(wa, wa2, false));  /* the same file loaded twice */
		CHECK(watcher_config_equal(wa2, wa, true));
		/* Only numprocesses differs. */
		CHECK(watcher_config_equal(wa, count->watchers[0], true));
		CHECK(!watcher_config_equal(wa, count->watchers[0], false));
		CHECK(!watcher_config_equal(count->watchers[0], wa, false));
		/* The command differs. */
		CHECK(!watcher_config_equal(wa, cmd->watchers[0], false));
		CHECK(!watcher_config_equal(wa, cmd->watchers[0], true));
		/* Written differently, same argv: the same processes. */
		CHECK(watcher_config_equal(wa, spaced->watchers[0], false));
		CHECK(!watcher_config_equal(wa, sig->watchers[0], true));
	}
	config_free(a);
	config_free(a2);
	config_free(count);
	config_free(cmd);
	config_free(spaced);
	config_free(sig);

	/* Every other option counts too: change each once. */
	static const char *const changes[] = {
		"    working_dir: /var\n", "    env: {A: c}\n", "    copy_env: true\n",
		"    umask: \"027\"\n", "    rlimits: {nofile: 10}\n", "    graceful_timeout: 5\n",
		"    stop_children: true\n", "    respawn: false\n", "    autostart: false\n",
		"    restart: on-failure\n", "    exitcodes: [0, 2]\n",
		"    singleton: true\n", "    priority: 1\n", "    warmup_delay: 1\n",
		"    max_retry: 0\n", "    max_age: 2h\n", "    max_age_variance: 0\n",
		"    shell: true\n", "    args: [\"8001\"]\n",
	};
	const char *base = "watchers:\n  web:\n    cmd: python3 -m http.server\n";
	struct config *b = load_ok(write_file("eq-base.yaml", base));
	for (size_t i = 0; b && i < sizeof(changes) / sizeof(changes[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), "%s%s", base, changes[i]);
		struct config *c = load_ok(write_file("eq-change.yaml", text));
		if (c && !CHECK(!watcher_config_equal(b->watchers[0], c->watchers[0], true)))
			printf("     (change: %s)", changes[i]);
		config_free(c);
	}

	/* Output options: the same processes (applied in place) unless capturing changes. */
	static const struct { const char *change; bool same_processes; const char *keys; } outputs[] = {
		{ "    stdout: {file: /l/a.log, max_bytes: 1MB, time_format: \"%T\"}\n", true, "" },
		{ "    stdout: syslog\n    stderr: {file: /dev/stdout}\n", true, "" },
		{ "    stdout: null\n", false, "stdout" },
		{ "    stderr: {merge: stdout}\n", false, "stderr" },
		{ "    stdout: {file: /dev/null}\n    umask: \"027\"\n", false, "umask, stdout" },
	};
	for (size_t i = 0; b && i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		char text[1024], keys[256];
		snprintf(text, sizeof(text), "%s%s", base, outputs[i].change);
		struct config *c = load_ok(write_file("eq-change.yaml", text));
		if (c == NULL)
			continue;
		CHECK(!watcher_config_equal(b->watchers[0], c->watchers[0], true));
		if (!CHECK(watcher_config_same_processes(b->watchers[0], c->watchers[0]) ==
			   outputs[i].same_processes))
			printf("     (change: %s)", outputs[i].change);
		watcher_config_restart_keys(b->watchers[0], c->watchers[0], keys, sizeof(keys));
		CHECK_STR(keys, outputs[i].keys);
		config_free(c);
	}
	config_free(b);
}

#if 1 /* regressions of bugs found and fixed */
/* watcher_config_equal memcmp()s struct rlimit_setting, whose padding is never initialised. */
static void dirty_heap(int byte)
{
	void *blocks[2000];

	for (int i = 0; i < 2000; i++) {
		size_t size = 8 + (size_t)(i % 8) * 8;
		blocks[i] = malloc(size);
		if (blocks[i])
			memset(blocks[i], byte, size);
	}
	for (int i = 0; i < 2000; i++)
		free(blocks[i]);
}

TEST(known_bugs)
{
	const char *path = write_file("rl.yaml", "watchers:\n  web:\n    cmd: sleep 1\n"
						 "    rlimits: {nofile: 100, core: unlimited}\n");
	struct config *a, *b;

	dirty_heap(0xAA);
	a = load_ok(path);
	dirty_heap(0x55);
	b = load_ok(path);
	if (a && b)
		CHECK(watcher_config_equal(a->watchers[0], b->watchers[0], false));
	config_free(a);
	config_free(b);

	/* A missing cmd should be located like every other error (the watcher's key). */
	struct config_errors errors = { 0 };
	path = write_file("bad.yaml", "watchers:\n  web:\n    numprocesses: 2\n");
	CHECK_REJECTED(path, &errors);
	CHECK_HAS_ERROR(&errors, path, 2, 3, "missing required key 'cmd'");
	config_errors_free(&errors);

	/* An empty command is rejected with shell: true too. */
	EXPECT_ERROR("watchers:\n  web:\n    cmd: \"\"\n    shell: true\n", 3, 10, "is empty");

	/* A numeric uid/gid beyond uid_t must not wrap around (to 0, root). */
	EXPECT_ERROR("watchers:\n  web:\n    cmd: id\n    uid: \"4294967296\"\n", 4, 10, "uid");
	EXPECT_ERROR("watchers:\n  web:\n    cmd: id\n    gid: \"4294967296\"\n", 4, 10, "gid");

	/* A second YAML document must not be dropped silently. */
	struct config *c = SENTINEL;
	path = write_file("docs.yaml", "watchers:\n  a:\n    cmd: sleep 1\n---\n"
				       "watchers:\n  b:\n    cmd: sleep 2\n");
	int rc = config_load(path, &c, &errors);
	CHECK(rc == -1 || (c != NULL && c != SENTINEL && c->nwatchers == 2));
	if (c != SENTINEL)
		config_free(c);
	config_errors_free(&errors);
}
#endif

/* Every option of the table is documented in cirque.yaml(5): as a word of a .B or .BR line
 * outside quotes (".BR uid \", \" gid"). The tests run from the top directory (tests/run.sh). */
static bool documented(const char *key)
{
	FILE *fp = fopen("etc/man/cirque.yaml.5", "r");
	char line[1024];
	bool found = false;

	if (!CHECK(fp != NULL))
		return false;
	while (!found && fgets(line, sizeof(line), fp)) {
		bool quoted = false;
		if (strncmp(line, ".B ", 3) != 0 && strncmp(line, ".BR ", 4) != 0)
			continue;
		for (char *word = strtok(strchr(line, ' '), " \t\n"); word && !found;
		     word = strtok(NULL, " \t\n")) {
			if (!quoted && strcmp(word, key) == 0)
				found = true;
			for (char *q = word; *q; q++)
				quoted ^= *q == '"';
		}
	}
	fclose(fp);
	return found;
}

TEST(options_table)
{
	for (size_t i = 0; i < watcher_option_count; i++) {
		const struct watcher_option *o = &watcher_option_table[i];
		if ((o->flags & OPT_FILE) && !CHECK(documented(o->key)))
			printf("     option '%s' is not in etc/man/cirque.yaml.5\n", o->key);
		for (size_t k = 0; k < i; k++)
			CHECK(strcmp(o->key, watcher_option_table[k].key) != 0);
		/* a custom option is parsed and compared by its hooks only */
		CHECK(o->type != OPT_CUSTOM || (o->parse && o->same));
	}

	/* get and options show every OPT_SHOWN option of a simple type, in the table's order. */
	struct config *config = load_ok(write_file("table.yaml", "watchers:\n  web:\n    cmd: sleep 1\n"));
	if (config == NULL)
		return;
	json_t *shown = watcher_options_json(config->watchers[0]);
	long previous = -1;
	for (size_t i = 0; i < watcher_option_count; i++) {
		const struct watcher_option *o = &watcher_option_table[i];
		const char *key;
		json_t *value;
		long at = 0, found = -1;
		if (!(o->flags & OPT_SHOWN) || o->to_json)
			continue;
		json_object_foreach(shown, key, value) {
			if (strcmp(key, o->key) == 0)
				found = at;
			at++;
		}
		if (!CHECK(found > previous))
			printf("     option '%s' missing or out of order in the options reply\n", o->key);
		previous = found;
	}
	CHECK(json_is_null(json_object_get(shown, "umask")));
	CHECK(json_is_false(json_object_get(shown, "use_sockets")));
	CHECK_STR(json_string_value(json_object_get(shown, "name")), "web");
	json_decref(shown);
	config_free(config);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* stdout:/stderr: file paths: the daemon's own streams, placeholders. */
TEST(stream_files)
{
	struct config *config = load_ok(write_file(
		"streams.yaml", "watchers:\n"
		"  a:\n    cmd: sleep 1\n"
		"    stdout: {file: /dev/stdout, max_bytes: 0, backup_count: 0, rotate: never}\n"
		"    stderr: {file: /proc/self/fd/2, time_format: \"%H\"}\n"
		"  b:\n    cmd: sleep 1\n"
		"    stdout: {file: /dev/stderr}\n"
		"    stderr: {file: \"/l/$(circus.name)-$(circus.wid)-{name}-{wid}.log\"}\n"
		"  c:\n    cmd: sleep 1\n"
		"    stdout: {file: /dev/null, max_bytes: 1MB}\n"));

	if (config && CHECK_INT(config->nwatchers, 3)) {
		const struct stream_config *a = config->watchers[0]->streams;
		const struct stream_config *b = config->watchers[1]->streams;
		CHECK_INT(a[0].kind, STREAM_DAEMON);
		CHECK_INT(a[0].daemon_fd, 1);
		CHECK_INT(a[1].kind, STREAM_DAEMON);
		CHECK_INT(a[1].daemon_fd, 2);
		CHECK_STR(a[1].time_format, "%H");
		CHECK_INT(b[0].kind, STREAM_DAEMON);
		CHECK_INT(b[0].daemon_fd, 2);
		CHECK_INT(b[1].kind, STREAM_FILE);
		CHECK_STR(b[1].path, "/l/$(circus.name)-$(circus.wid)-{name}-{wid}.log");
		CHECK_INT(config->watchers[2]->streams[0].kind, STREAM_NULL);
	}
	config_free(config);

	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n"
		     "    stdout: {file: /dev/stdout, max_bytes: 1MB}\n", 4, 44,
		     "watchers.a.stdout.max_bytes: /dev/stdout is the daemon's own stdout (a pipe or a "
		     "terminal), which is never rotated: remove max_bytes (or set it to 0)");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n"
		     "    stderr: {backup_count: 3, file: /dev/fd/2}\n", 4, 28,
		     "watchers.a.stderr.backup_count: /dev/fd/2 is the daemon's own stderr (a pipe or a "
		     "terminal), which is never rotated: remove backup_count (or set it to 0)");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n"
		     "    stderr: {file: /dev/stderr, rotate: hourly}\n", 4, 41,
		     "watchers.a.stderr.rotate: /dev/stderr is the daemon's own stderr (a pipe or a "
		     "terminal), which is never rotated: remove rotate");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n"
		     "    stdout: {file: \"/l/{name}-{pid}.log\"}\n", 4, 20,
		     "watchers.a.stdout.file: unknown placeholder {pid} (known: {name}, {wid}, "
		     "$(circus.name), $(circus.wid), $(circus.env.NAME))");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n"
		     "    stdout:\n      file: /l/$(circus.pid).log\n", 5, 13,
		     "watchers.a.stdout.file: unknown placeholder $(circus.pid) (known:");
}

/* hooks: a command line or a mapping per point; unknown points and before_reap refused. */
TEST(hooks)
{
	struct config *config = load_ok(write_file(
		"hooks.yaml", "watchers:\n"
		"  a:\n    cmd: sleep 1\n    working_dir: /tmp\n"
		"    hooks:\n"
		"      before_start: /bin/check --quiet \"two words\"\n"
		"      after_stop: {cmd: notify, args: [a b, c], timeout: 5s, ignore_failure: true,\n"
		"                   working_dir: /, env: {LEVEL: info}}\n"));

	if (config && CHECK_INT(config->nwatchers, 1)) {
		const struct hook_config *h = config->watchers[0]->hooks;
		CHECK_INT(count_words(h[HOOK_BEFORE_START].argv), 3);
		CHECK_STR(h[HOOK_BEFORE_START].argv[2], "two words");
		CHECK(h[HOOK_BEFORE_START].timeout == 30);
		CHECK(!h[HOOK_BEFORE_START].ignore_failure);
		CHECK_INT(count_words(h[HOOK_AFTER_STOP].argv), 3);
		CHECK_STR(h[HOOK_AFTER_STOP].argv[1], "a b");
		CHECK(h[HOOK_AFTER_STOP].timeout == 5);
		CHECK(h[HOOK_AFTER_STOP].ignore_failure);
		CHECK_STR(h[HOOK_AFTER_STOP].working_dir, "/");
		CHECK_STR(h[HOOK_AFTER_STOP].env[0], "LEVEL=info");
		CHECK(h[HOOK_AFTER_SPAWN].argv == NULL);
		CHECK_STR(hook_point_name(HOOK_AFTER_REAP), "after_reap");
		/* A change of a hook applies in place: the processes stay. */
		struct config *other = load_ok(write_file(
			"hooks2.yaml", "watchers:\n  a:\n    cmd: sleep 1\n    working_dir: /tmp\n"
			"    hooks: {before_start: /bin/other}\n"));
		if (other) {
			CHECK(watcher_config_same_processes(config->watchers[0], other->watchers[0]));
			CHECK(!watcher_config_equal(config->watchers[0], other->watchers[0], false));
		}
		config_free(other);
	}
	config_free(config);

	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n    hooks:\n      before_strat: x\n", 5,
		     7, "watchers.a.hooks: unknown hook 'before_strat' (did you mean 'before_start'?)");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n    hooks:\n      before_reap: x\n", 5,
		     7, "watchers.a.hooks.before_reap: before_reap has no meaning in cirque: cirqued "
		     "learns of a process's exit only when it reaps it, so nothing can run before; "
		     "use after_reap");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n    hooks:\n      after_reap: {args: x}\n",
		     5, 19, "watchers.a.hooks.after_reap: needs cmd:");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n    hooks:\n"
		     "      after_reap: {cmd: x, timeout: 0}\n", 5, 37,
		     "watchers.a.hooks.after_reap.timeout: must be more than 0");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n    hooks:\n"
		     "      after_reap: {cmd: x, retries: 2}\n", 5, 28,
		     "watchers.a.hooks.after_reap: unknown key 'retries'");
	EXPECT_ERROR("watchers:\n  a:\n    cmd: sleep 1\n    hooks: [x]\n", 4, 12,
		     "watchers.a.hooks: must be a mapping of hook points");
}

int main(void)
{
	umask(022);  /* the files written here must pass the check for root-owned configuration */
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(full_watcher);
	RUN(daemon_section);
	RUN(copy_env);
	RUN(defaults);
	RUN(ids);
	RUN(includes);
	RUN(circus_options);
	RUN(error_unknown_keys);
	RUN(error_types);
	RUN(restart_and_exitcodes);
	RUN(error_signal_duration);
	RUN(error_ids);
	RUN(error_duplicates);
	RUN(error_case_and_max_processes);
	RUN(error_cmd);
	RUN(error_yaml_syntax);
	RUN(error_structure);
	RUN(watcher_names);
	RUN(merge_keys);
	RUN(error_files);
	RUN(stream_files);
	RUN(several_errors);
	RUN(watcher_config_equal);
	RUN(sockets_section);
	RUN(files_safe_for_root);
	RUN(alias_bombs);
	RUN(sockets_errors);
	RUN(options_table);
	RUN(hooks);
#if 1 /* regressions of bugs found and fixed */
	RUN(known_bugs);
#endif
	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_summary();
}
