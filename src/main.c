/* main.c - cirqued: options, configuration, start-up, then the event loop. */
#include "arbiter.h"
#include "cgroup.h"
#include "commands.h"
#include "config.h"
#include "connlimit.h"
#include "control.h"
#include "curve.h"
#include "endpoint.h"
#include "events.h"
#include "fdlimit.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "reaper.h"
#include "ready.h"
#include "reexec.h"
#include "listener.h"
#include "sockets.h"
#include "zbind.h"
#include "safefs.h"
#include "spawn.h"
#include "stream.h"
#include "survivors.h"
#include "version.h"
#include "zap.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <zmq.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#define DEFAULT_CONFIG "/etc/cirque/cirque.yaml"

/* Bounds the clients of the control and event sockets together (fdlimit.h). */
static struct connlimit *connection_limit;

struct options {
	const char *config_path;
	const char *pidfile;
	int log_level;                /* -1: from the configuration, else info */
	bool check_only;
	int check_resume;             /* --check-resume VERSION, or 0 */
	int resume_fd;                /* --resume-fd N (a re-exec, reexec.h), or -1 */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cirqued [-c FILE] [--check] [--log-level LEVEL] [--pidfile PATH]\n"
		"\n"
		"Runs the watchers of FILE in the foreground, logging to stderr.\n"
		"\n"
		"  -c, --config FILE     configuration (default " DEFAULT_CONFIG ")\n"
		"      --check           validate the configuration and exit (0: valid)\n"
		"  -l, --log-level LVL   debug, info, warning, error or critical\n"
		"  -p, --pidfile PATH    write the daemon's pid to PATH\n"
		"  -v, --version         print the version and exit\n"
		"  -h, --help            print this help and exit\n"
		"\n"
		"      --check-resume V  say whether this binary can take over a running cirqued\n"
		"                        whose state has version V, with FILE (0: it can)\n"
		"\n"
		"Signals: TERM/INT graceful shutdown, QUIT fast shutdown, HUP reload, USR1 reopen logs,\n"
		"USR2 re-execute the binary on disk keeping every process (as cirquectl reexec).\n");
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "check-resume", required_argument, NULL, 'R' },
		{ "resume-fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	bool config_given = false;

	*opt = (struct options){ .config_path = DEFAULT_CONFIG, .log_level = -1, .resume_fd = -1 };
	while ((c = getopt_long(argc, argv, "c:l:p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opt->config_path = optarg; config_given = true; break;
		case 'C': opt->check_only = true; break;
		case 'p': opt->pidfile = optarg; break;
		case 'R': opt->check_resume = atoi(optarg); break;
		case 'F': opt->resume_fd = atoi(optarg); break;
		case 'l':
			if ((opt->log_level = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "cirqued: unknown log level '%s'\n", optarg);
				exit(2);
			}
			break;
		case 'v': printf("cirqued %s\n", CIRQUE_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		/* circusd takes its file as an argument: say how cirqued takes it. */
		if (optind + 1 == argc && !config_given)
			fprintf(stderr, "cirqued: unexpected argument '%s' (the configuration file: "
				"cirqued -c %s)\n", argv[optind], argv[optind]);
		else
			fprintf(stderr, "cirqued: unexpected argument '%s'\n", argv[optind]);
		fprintf(stderr, "usage: see cirqued --help\n");
		exit(2);
	}
}

/* The files the watchers came from besides PATH, so that an include that missed a file (a
 * conf.d/web.yml beside a "*.yaml" glob) shows. */
static void print_included_files(const struct config *config, const char *path)
{
	char **seen = xcalloc((size_t)config->nwatchers + 1, sizeof(char *));
	int n = 0;

	for (int i = 0; i < config->nwatchers; i++) {
		const char *origin = config->watchers[i]->origin;
		const char *colon = strrchr(origin, ':');
		char *file = xstrndup(origin, colon ? (size_t)(colon - origin) : strlen(origin));
		bool known = strcmp(file, path) == 0;
		for (int k = 0; k < n && !known; k++)
			known = strcmp(seen[k], file) == 0;
		if (known) {
			free(file);
			continue;
		}
		int count = 0;
		for (int j = 0; j < config->nwatchers; j++)
			count += strncmp(config->watchers[j]->origin, file, strlen(file)) == 0 &&
				 config->watchers[j]->origin[strlen(file)] == ':';
		printf("  included: %s (%d watcher%s)\n", file, count, count == 1 ? "" : "s");
		seen[n++] = file;
	}
	for (int k = 0; k < n; k++)
		free(seen[k]);
	free(seen);
}

/* The limits against what the cgroups offer (decided, or for --check probed): errors on
 * stderr, warnings kept with the configuration's. */
static bool limits_available(struct config *config, const struct limit_support *support,
			     const char *path, bool check_only)
{
	struct config_errors errors = { 0 };

	if (config_check_limits(config, support, config->daemon.limits_may_be_ignored, &errors,
				&config->load_warnings) == 0)
		return true;
	for (int i = 0; i < errors.count; i++)
		fprintf(stderr, "%s\n", errors.lines[i]);
	fprintf(stderr, "cirqued: %s: %d error%s%s\n", path, errors.count,
		errors.count == 1 ? "" : "s", check_only ? "" : ", not starting");
	config_errors_free(&errors);
	return false;
}

static struct config *load_config(const char *path, bool quiet_ok)
{
	struct config_errors errors = { 0 };
	struct config *config;

	if (config_load(path, &config, &errors) < 0) {
		for (int i = 0; i < errors.count; i++)
			fprintf(stderr, "%s\n", errors.lines[i]);
		fprintf(stderr, "cirqued: %s: %d error%s%s\n", path, errors.count,
			errors.count == 1 ? "" : "s", quiet_ok ? "" : ", not starting");
		config_errors_free(&errors);
		return NULL;
	}
	if (!quiet_ok)
		return config;  /* its warnings are logged once the limits are checked too */
	struct limit_support support;
	cgroup_probe(config->daemon.cgroup, &support);
	if (!limits_available(config, &support, path, true)) {
		config_free(config);
		return NULL;
	}
	struct config_errors warnings = { 0 };
	config_warnings(config, &warnings);
	for (int i = 0; i < warnings.count; i++)
		fprintf(stderr, "%s\n", warnings.lines[i]);
	config_errors_free(&warnings);
	printf("%s: ok (%d watcher%s)\n", path, config->nwatchers, config->nwatchers == 1 ? "" : "s");
	print_included_files(config, path);
	return config;
}

/* Orphans of our children (double-forking daemons, a shell's background jobs) are reparented to
 * us instead of init, so they are reaped here (the reaper's scan) and stay in our tree. As
 * PID 1 in a container we get them anyway. */
static void become_subreaper(void)
{
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper");
}

/* Descriptors inherited from whoever started us must not leak into every child we spawn. */
static void mark_inherited_fds_cloexec(void)
{
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (int fd = 3; fd < 1024; fd++) {  /* kernels before 5.11 */
		int flags = fcntl(fd, F_GETFD);
		if (flags >= 0)
			fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	}
}

/* The pidfile, and the directory it is in (to remove it at exit without following a path). */
static struct safe_dir pidfile_dir = { .fd = -1 };
static char *pidfile_name;

/* Writes our pid to PATH, never through a link or hard link someone else planted (safefs.h),
 * and only where nobody else can rewrite it afterwards: a pidfile naming another process would
 * turn a root `kill $(cat pidfile)` against it. */
static void write_pidfile(const char *path)
{
	char text[32], why[SAFEFS_WHY], refused[SAFEFS_WHY + 200];
	struct safe_file f;
	bool created = true;
	int len;

	/* Created apart (O_EXCL), so that a refused one we made is removed again. EEXIST: a file
	 * or a link there (which safefs follows only where root or we put it). A missing directory
	 * is made (0755), as /run/NAME is gone after a boot. */
	if (safe_file_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644, true, &f, &pidfile_dir,
			   why) < 0) {
		created = false;
		if (errno != EEXIST ||
		    safe_file_open(path, O_WRONLY | O_CREAT, 0644, false, &f, &pidfile_dir, why) < 0)
			fatalx("cannot write pidfile %s: %s", path, why);
	}
	refused[0] = '\0';
	if (f.st.st_uid != geteuid())
		snprintf(refused, sizeof(refused), "it belongs to uid %u, not to the daemon's user",
			 (unsigned)f.st.st_uid);
	else if (!f.fixed && (!safefs_owner_ok(pidfile_dir.owner) ||
			      (pidfile_dir.mode & (S_IWGRP | S_IWOTH))))
		snprintf(refused, sizeof(refused), "its directory (owner uid %u, mode %04o) can be "
			 "changed by others, who could point it at any process",
			 (unsigned)pidfile_dir.owner, (unsigned)(pidfile_dir.mode & 07777));
	else if (!f.fixed)
		snprintf(refused, sizeof(refused), "a directory above it can be changed by others, "
			 "who could point it at any process");
	if (refused[0]) {
		if (created)
			unlinkat(pidfile_dir.fd, f.name, 0);
		fatalx("refusing pidfile %s: %s (put it in a directory only root can change, such as "
		       "/run)", path, refused);
	}
	len = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (ftruncate(f.fd, 0) < 0 || write(f.fd, text, (size_t)len) != len || close(f.fd) < 0)
		fatal("cannot write pidfile %s", path);
	pidfile_name = xstrdup(f.name);  /* the file written, a link's target if one was followed */
}

static void remove_pidfile(void)
{
	if (pidfile_dir.fd < 0)
		return;
	if (unlinkat(pidfile_dir.fd, pidfile_name, 0) < 0 && errno != ENOENT)
		log_warn("cannot remove the pidfile %s", pidfile_name);
	close(pidfile_dir.fd);
	pidfile_dir.fd = -1;
	free(pidfile_name);
	pidfile_name = NULL;
}

/* Only one daemon per ipc endpoint: libzmq unlinks an existing socket file when it binds, so a
 * second cirqued would silently steal the first one's socket. The lock dies with the process.
 * An abstract socket needs none: the kernel refuses a second bind. */
static void lock_ipc_endpoint(const char *endpoint)
{
	char *path = NULL, why[SAFEFS_WHY];
	struct safe_file f;

	if (strncmp(endpoint, "ipc:///", 7) != 0)
		return;
	path = xasprintf("%s.lock", endpoint + 6);
	if (safe_file_open(path, O_RDWR | O_CREAT, 0600, false, &f, NULL, why) < 0)
		fatalx("cannot open the lock file %s: %s", path, why);
	if (f.st.st_uid != geteuid())
		fatalx("the lock file %s is owned by uid %u, not by the daemon's user: remove it", path,
		       (unsigned)f.st.st_uid);
	if (flock(f.fd, LOCK_EX | LOCK_NB) < 0)
		fatalx("another cirqued is already running on %s (%s is locked)", endpoint, path);
	free(path);
	/* kept open (and locked) until exit */
}

/* The directory of an ipc endpoint: the default one is made private (0700, ours); another must
 * be one that nobody else can change, or a sticky one (/tmp), lest someone swap the socket. */
static void prepare_ipc_dir(const char *endpoint)
{
	char *dir = endpoint_ipc_dir(endpoint), *runtime = runtime_dir(), why[SAFEFS_WHY];
	struct safe_dir d;

	if (dir == NULL || strncmp(endpoint, "ipc:///", 7) != 0)
		goto out;
	if (strcmp(dir, runtime) == 0) {
		if (prepare_runtime_dir(dir, why) < 0)
			fatalx("runtime directory: %s", why);
	} else {
		if (safe_dir_open(dir, false, &d, why) < 0)
			fatalx("the directory of %s: %s", endpoint, why);
		close(d.fd);
		if (!d.trusted && !d.sticky_ok)
			fatalx("refusing %s: its directory %s (owner uid %u, mode %04o) can be changed by "
			       "others, who could replace the socket", endpoint, dir, (unsigned)d.owner,
			       (unsigned)(d.mode & 07777));
	}
out:
	free(dir);
	free(runtime);
}

/* An ipc socket file this daemon bound, removed at exit: libzmq leaves it, and a client would
 * find a file nobody listens on. Only the very file bound is removed (same device and inode, a
 * socket), through the directory opened when it was bound: never something put there since. */
struct socket_file {
	int dir_fd;                   /* O_PATH, -1: nothing to remove */
	char *name;
	dev_t dev;
	ino_t ino;
};
static struct socket_file socket_files[3] = { { .dir_fd = -1 }, { .dir_fd = -1 }, { .dir_fd = -1 } };

static void remember_socket_file(struct socket_file *f, const char *endpoint)
{
	char *dir = NULL, *name = NULL, why[SAFEFS_WHY];
	struct safe_dir d = { .fd = -1 };
	struct stat st;

	if (strncmp(endpoint, "ipc:///", 7) != 0 || safefs_split(endpoint + 6, &dir, &name) < 0)
		goto out;
	if (safe_dir_open(dir, false, &d, why) < 0) {
		log_warnx("%s will not be removed at exit: %s", endpoint + 6, why);
		goto out;
	}
	if (fstatat(d.fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(d.fd);
		goto out;
	}
	f->dir_fd = d.fd;
	f->name = name;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	name = NULL;
out:
	free(dir);
	free(name);
}

static void remove_socket_file(struct socket_file *f)
{
	struct stat st;

	if (f->dir_fd < 0)
		return;
	if (fstatat(f->dir_fd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == f->dev && st.st_ino == f->ino && unlinkat(f->dir_fd, f->name, 0) < 0 &&
	    errno != ENOENT)
		log_warn("cannot remove the socket file %s", f->name);
	close(f->dir_fd);
	f->dir_fd = -1;
	free(f->name);
	f->name = NULL;
}

static void *open_zmq_context(void)
{
	sigset_t all, old;
	void *ctx;

	/* libzmq's threads inherit this mask: signals must reach the loop's thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ctx = zmq_ctx_new();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ctx == NULL)
		fatalx("cannot create the ZeroMQ context: %s", zmq_strerror(zmq_errno()));
	return ctx;
}

/* Binds the control and event sockets: ipc in a private directory by default; a tcp endpoint
 * beyond loopback is refused, as anyone who reaches it could make this daemon run programs. */
/* The endpoints of D (or the defaults), checked, their directories made ready, and the control
 * one locked: before anything else is bound or written, so that a second cirqued refused here
 * has touched nothing of the first one's (its sockets: files, its pidfile). */
static void claim_endpoints(const struct daemon_config *d, char **control, char **pubsub)
{
	const char *why;

	*control = d->endpoint ? xstrdup(d->endpoint) : default_endpoint("control.sock");
	*pubsub = d->pubsub_endpoint ? xstrdup(d->pubsub_endpoint) : default_endpoint("events.sock");
	if ((why = endpoint_refusal(*control, true, d->curve_secret_key_file != NULL)))
		fatalx("refusing the control socket %s: it %s", *control, why);
	if ((why = endpoint_refusal(*pubsub, false, false)))
		fatalx("refusing the event socket %s: it %s", *pubsub, why);
	prepare_ipc_dir(*control);
	prepare_ipc_dir(*pubsub);
	if (d->operator_group) {
		char *operator = default_endpoint("operator.sock");
		prepare_ipc_dir(operator);
		free(operator);
	}
	lock_ipc_endpoint(*control);
}

/* The socket file of ipc ENDPOINT (in a directory of ours: nobody else can swap it) made
 * usable by GROUP: group GID, mode 0660. */
static void share_with_group(const char *endpoint, gid_t gid, const char *group)
{
	const char *path = endpoint + 6;

	if (strncmp(endpoint, "ipc:///", 7) != 0)
		return;
	if (lchown(path, (uid_t)-1, gid) < 0 || chmod(path, 0660) < 0)
		fatalx("cannot give %s to group %s: %s", path, group, strerror(errno));
}

/* After a re-exec: an endpoint the previous image listened on and this one does not (the file
 * changed it): its socket is closed, and an ipc one's file in our runtime directory goes. */
static void endpoint_dropped(const char *endpoint)
{
	char *runtime = runtime_dir(), *dir = endpoint_ipc_dir(endpoint);

	log_info("re-exec: no longer listening on %s (the configuration changed it)", endpoint);
	if (dir && strcmp(dir, runtime) == 0 && strncmp(endpoint, "ipc:///", 7) == 0) {
		int fd = open(runtime, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		const char *name = strrchr(endpoint, '/') + 1;
		if (fd >= 0 && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode))
			unlinkat(fd, name, 0);
		if (fd >= 0)
			close(fd);
	}
	free(dir);
	free(runtime);
}

/* The event socket of a daemon without operator_group is its alone again (a previous image
 * may have shared it with a group the file no longer names). */
static void unshare_socket_file(const char *endpoint)
{
	if (strncmp(endpoint, "ipc:///", 7) == 0 &&
	    (lchown(endpoint + 6, (uid_t)-1, getegid()) < 0 || chmod(endpoint + 6, 0600) < 0) &&
	    errno != ENOENT)
		log_warn("cannot make %s private again", endpoint + 6);
}

/* operator_group: a second control socket where its members may run the commands marked
 * CMD_OPERATOR (status, start, stop...: nothing that is not configured already), and the
 * event socket, both 0660 in that group. */
static void open_operator_socket(struct arbiter *a, const char *pubsub)
{
	const char *group = a->daemon.operator_group;
	struct group *g;

	if (group == NULL)
		return;
	if ((g = getgrnam(group)) == NULL)  /* before the loop runs: a lookup may block */
		fatalx("operator_group %s: no such group", group);
	a->operator_endpoint = default_endpoint("operator.sock");
	a->operator_control = control_open(a->loop, a->zmq, a->operator_endpoint, NULL,
					   commands_handle, a);
	if (a->operator_control == NULL)
		fatalx("cannot open the operator socket %s", a->operator_endpoint);
	control_set_limited(a->operator_control);
	share_with_group(a->operator_endpoint, g->gr_gid, group);
	share_with_group(pubsub, g->gr_gid, group);
	remember_socket_file(&socket_files[2], a->operator_endpoint);
	log_info("operator socket %s (and the events) for group %s", a->operator_endpoint, group);
}

/* Binds the control and event sockets claimed by claim_endpoints (which it keeps). */
static void open_control_plane(struct arbiter *a, char *control, char *pubsub)
{
	const char *curve_file = a->daemon.curve_secret_key_file, *why;
	char secret[CURVE_KEY_LEN + 1], public_key[CURVE_KEY_LEN + 1];
	mode_t old_umask;

	if (curve_file && curve_load_secret(curve_file, secret, public_key, &why) < 0)
		fatalx("curve_secret_key_file %s: %s", curve_file, why);
	if (!endpoint_is_local(pubsub))
		log_warnx("the event socket %s is reachable from the network", pubsub);
	if (strncmp(control, "tcp://", 6) == 0 && curve_file == NULL && geteuid() == 0)
		log_warnx("the control socket %s admits every local user, and through it they can run "
			  "programs as root: prefer ipc:// (the default, in a 0700 directory) or CURVE",
			  control);
	a->zmq = open_zmq_context();
	if (curve_file) {
		/* The authenticator must be bound before the CURVE socket sees its first client. */
		a->zap = zap_open(a->loop, a->zmq, a->daemon.curve_allowed_clients);
		if (a->zap == NULL)
			fatalx("cannot start the CURVE authenticator");
		log_info("control socket uses CURVE; server public key %s", public_key);
	}
	old_umask = umask(077);  /* ipc socket files are created 0600 */
	a->control = control_open(a->loop, a->zmq, control, curve_file ? secret : NULL,
				  commands_handle, a);
	if (a->control == NULL)
		fatalx("cannot open the control socket %s", control);
	a->events = events_open(a->zmq, pubsub);
	if (a->events == NULL)
		fatalx("cannot open the event socket %s", pubsub);
	open_operator_socket(a, pubsub);
	umask(old_umask);
	events_follow_log(a->events, a->loop);
	if (events_answer_hellos(a->events, a->loop) < 0)
		fatalx("cannot watch the event socket %s", pubsub);
	connection_limit = connlimit_open(a->loop, a->zmq, fd_connection_limit());
	if (connection_limit == NULL ||
	    connlimit_watch(connection_limit, control_socket(a->control), "control") < 0 ||
	    connlimit_watch(connection_limit, events_socket(a->events), "events") < 0 ||
	    (a->operator_control && connlimit_watch(connection_limit,
						    control_socket(a->operator_control),
						    "operator") < 0))
		log_warnx("the number of clients is not limited (see above)");
	explicit_bzero(secret, sizeof(secret));
	remember_socket_file(&socket_files[0], control);
	remember_socket_file(&socket_files[1], pubsub);
	log_info("control socket %s, events %s", control, pubsub);
	a->control_endpoint = control;  /* for globaloptions */
	a->pubsub_endpoint = pubsub;
}

/* REMOVE_FILES: the ipc socket files go too (at exit); a re-exec keeps them, and their
 * listening sockets, for the next image. */
static void close_control_plane_files(struct arbiter *a, bool remove_files)
{
	commands_shutdown_complete();
	connlimit_close(connection_limit);
	connection_limit = NULL;
	control_close(a->control);
	control_close(a->operator_control);
	a->operator_control = NULL;
	if (remove_files) {
		free(a->operator_endpoint);
		a->operator_endpoint = NULL;
	}
	events_close(a->events);
	zap_close(a->zap);
	a->zap = NULL;
	a->control = NULL;
	a->events = NULL;
	if (a->zmq)
		zmq_ctx_term(a->zmq);
	a->zmq = NULL;
	/* Once nothing listens on them; the lock file stays (removing it could let two daemons
	 * lock two files of one name). */
	for (size_t i = 0; i < sizeof(socket_files) / sizeof(socket_files[0]); i++) {
		if (remove_files) {
			remove_socket_file(&socket_files[i]);
		} else if (socket_files[i].dir_fd >= 0) {
			close(socket_files[i].dir_fd);
			socket_files[i].dir_fd = -1;
			free(socket_files[i].name);
			socket_files[i].name = NULL;
		}
	}
}

static void close_control_plane(struct arbiter *a)
{
	close_control_plane_files(a, true);
}

/* The signals a re-exec blocked across the exec (their handlers are in place now: what came
 * meanwhile is handled); a no-op for a daemon started afresh. */
static void unblock_daemon_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* A re-exec (reexec.h): requests in flight are answered, the replies leave (linger), the
 * socket files and listening sockets stay. */
static void close_control_plane_for_exec(struct arbiter *a)
{
	const char *why = "cirqued re-executed while this request was under way: what it began goes "
			  "on (see status)";

	control_fail_all(a->control, REPLY_EFAIL, why);
	control_fail_all(a->operator_control, REPLY_EFAIL, why);
	free(a->operator_endpoint);
	a->operator_endpoint = NULL;
	close_control_plane_files(a, false);
}

/* After a failed exec: the same endpoints again, on the sockets kept (zbind_inherit). */
static void reopen_control_plane(struct arbiter *a)
{
	open_control_plane(a, a->control_endpoint, a->pubsub_endpoint);
	streams_set_events(a->events);
}

/* The binary a re-exec runs: ARGV0 made absolute (through $PATH if it has no slash), links not
 * followed, so that an upgrade that points /usr/local/bin/cirqued elsewhere is followed. */
static char *binary_path(const char *argv0)
{
	char cwd[4096], *path = NULL;

	if (argv0[0] == '/')
		return xstrdup(argv0);
	if (strchr(argv0, '/')) {
		while (strncmp(argv0, "./", 2) == 0)
			argv0 += 2;
		return getcwd(cwd, sizeof(cwd)) ? xasprintf("%s/%s", cwd, argv0) : xstrdup(argv0);
	}
	const char *dirs = getenv("PATH") ?: "/usr/local/bin:/usr/bin:/bin";
	char *copy = xstrdup(dirs), *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir && !path; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = xasprintf("%s/%s", dir, argv0);
		if (dir[0] == '/' && access(candidate, X_OK) == 0)
			path = candidate;
		else
			free(candidate);
	}
	free(copy);
	return path ?: xstrdup("/proc/self/exe");
}

/* cirqued --check-resume VERSION: can this binary take over a daemon whose state has VERSION,
 * with the configuration file at PATH? 0 if so. */
static int check_resume(int version, const char *path)
{
	struct config_errors errors = { 0 };
	struct config *config;

	if (version < 1 || version > REEXEC_STATE_VERSION) {
		printf("cirqued %s reads state versions 1 to %d, not %d\n", CIRQUE_VERSION,
		       REEXEC_STATE_VERSION, version);
		return 1;
	}
	if (config_load(path, &config, &errors) < 0) {
		printf("%s\n", errors.count ? errors.lines[0] : "the configuration cannot be read");
		config_errors_free(&errors);
		return 1;
	}
	config_free(config);
	/* The exit status alone is no answer: /bin/true at the binary's path would pass. */
	printf("cirqued %s: can resume state version %d\n%s %d\n", CIRQUE_VERSION, version,
	       REEXEC_CHECK_TOKEN, version);
	return 0;
}

/* The state a re-exec left in FD, or exit. */
static json_t *read_resume_state(int fd)
{
	char why[200];
	json_t *state = reexec_read_state(fd, why);

	if (state == NULL)
		fatalx("cannot resume: %s", why);
	return state;
}

/* The configuration of a resumed daemon: the file's daemon settings if it loads (else the
 * saved ones), the saved sockets and watchers. */
static struct config *resume_config(const char *path, const json_t *state)
{
	struct config_errors errors = { 0 };
	struct config *config = NULL;
	const json_t *saved = json_object_get(state, "arbiter"), *one;
	char why[512];
	size_t i;

	if (config_load(path, &config, &errors) < 0) {
		log_warnx("resume: %s: %s; keeping the daemon settings in force", path,
			  errors.count ? errors.lines[0] : "unreadable");
		config_errors_free(&errors);
		if (config_load_text("state", "{}", &config, &errors) < 0)
			fatalx("resume: cannot make an empty configuration");
		daemon_config_restore(&config->daemon, json_object_get(saved, "daemon"));
		free(config->path);
		config->path = xstrdup(path);
	}
	if (arbiter_saved_watchers(saved, config, why, sizeof(why)) < 0)
		fatalx("resume: the saved watchers: %s", why);
	for (int k = 0; k < config->nsockets; k++)
		socket_config_free(config->sockets[k]);
	free(config->sockets);
	config->nsockets = (int)json_array_size(json_object_get(state, "sockets"));
	config->sockets = xcalloc((size_t)config->nsockets + 1, sizeof(*config->sockets));
	json_array_foreach(json_object_get(state, "sockets"), i, one)
		config->sockets[i] = socket_config_from_json(one);
	sockets_restore(json_object_get(state, "sockets"));
	return config;
}

static const struct watcher_config *config_of_name(const char *name, void *arg)
{
	struct watcher *w = arbiter_find(arg, name);
	return w ? w->config : NULL;
}

static struct watcher *watcher_of_name(const char *name, void *arg)
{
	return arbiter_find(arg, name);
}

/* The processes, pipes and listeners of STATE taken up again; how long it took is logged. */
static void resume(struct arbiter *a, json_t *state, double control_open)
{
	arbiter_restore(a, json_object_get(state, "arbiter"));
	if (streams_restore(json_object_get(state, "streams"), config_of_name, a) < 0 ||
	    listeners_restore(json_object_get(state, "listeners"), watcher_of_name, a) < 0)
		log_errorx("resume: some output pipes or listeners could not be taken up again");
	int processes = 0;
	for (struct watcher *w = a->watchers; w; w = w->next)
		processes += w->nprocesses;
	int watchers = (int)json_array_size(json_object_get(json_object_get(state, "arbiter"),
							     "watchers"));
	log_info("resumed generation %d: %d watcher%s, %d process%s",
		 (int)json_integer_value(json_object_get(state, "generation")) + 1, watchers,
		 watchers == 1 ? "" : "s", processes, processes == 1 ? "" : "es");
	reexec_resumed(state, control_open);
}

int main(int argc, char **argv)
{
	struct options opt;
	struct config *config;
	struct arbiter arbiter;
	struct ev_loop *loop;
	char *control, *pubsub;
	json_t *state = NULL;

	parse_options(argc, argv, &opt);
	if (opt.check_resume)
		return check_resume(opt.check_resume, opt.config_path);
	notify_init();
	if (opt.resume_fd >= 0) {
		state = read_resume_state(opt.resume_fd);
		config = resume_config(opt.config_path, state);
	} else {
		config = load_config(opt.config_path, opt.check_only);
	}
	if (config == NULL)
		return 1;
	if (opt.check_only) {
		config_free(config);
		return 0;
	}
	mark_inherited_fds_cloexec();
	become_subreaper();
	spawn_init();  /* before anything else opens descriptors: the slots get low numbers */
	claim_endpoints(&config->daemon, &control, &pubsub);
	/* A vanished reader must not kill the daemon: EPIPE is handled where it happens. */
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	/* Not the default loop: its SIGCHLD handler would reap every child with waitpid(-1), one
	 * walk of all our children per exit (reaper.h). */
	loop = ev_loop_new(EVFLAG_AUTO);
	if (loop == NULL)
		fatalx("cannot initialise libev (bad $LIBEV_FLAGS?)");
	reaper_init(loop, watcher_child_of_pid, watcher_orphan_reaped);
	if (state)
		cgroup_restore(loop, json_object_get(state, "cgroup"));
	else
		cgroup_setup(loop, config->daemon.cgroup);
	struct limit_support support;
	cgroup_support(&support);
	if (!state && !limits_available(config, &support, opt.config_path, false)) {
		cgroup_teardown();
		free(control);
		free(pubsub);
		config_free(config);
		return 1;
	}
	config_set_limit_support(&support, false);  /* add, set: refused, never ignored */
	if (!state)
		config_log_warnings(config);
	if (!state)
		survivors_sockets_prepare(control);
	if (arbiter_init(&arbiter, loop, config) < 0)
		return 1;
	survivors_sockets_done();
	/* The command line wins over the configuration. */
	if (opt.log_level >= 0)
		log_set_level((enum log_level)opt.log_level);
	/* A reload may change the configured one, but the file we wrote is the one removed, also
	 * when start-up fails after this (atexit). */
	if (opt.pidfile || arbiter.daemon.pidfile) {
		write_pidfile(opt.pidfile ? opt.pidfile : arbiter.daemon.pidfile);
		atexit(remove_pidfile);
	}
	if (state)
		log_info("cirqued %s resuming (pid %d, config %s)", CIRQUE_VERSION, (int)getpid(),
			 opt.config_path);
	else
		log_info("cirqued %s starting (pid %d, config %s)", CIRQUE_VERSION, (int)getpid(),
			 opt.config_path);
	cgroup_log_mode();
	if (state) {
		const char *endpoint;
		json_t *fd;
		json_object_foreach(json_object_get(state, "endpoints"), endpoint, fd)
			zbind_inherit(endpoint, (int)json_integer_value(fd));
	}
	open_control_plane(&arbiter, control, pubsub);
	double control_open = reexec_clock();
	if (state) {
		zbind_drop_unused(endpoint_dropped);
		if (arbiter.daemon.operator_group == NULL)
			unshare_socket_file(arbiter.pubsub_endpoint);
	}
	if (streams_init(loop, arbiter.events) < 0)
		fatalx("cannot start the log writer thread: %s", strerror(errno));
	notify_start_watchdog(loop);
	char *binary = binary_path(argv[0]);
	reexec_init(&arbiter, binary, argc, argv,
		    state ? (unsigned)json_integer_value(json_object_get(state, "generation")) + 1 : 0,
		    close_control_plane_for_exec, reopen_control_plane);
	free(binary);
	survivors_track(&arbiter);
	if (state) {
		resume(&arbiter, state, control_open);
		json_decref(state);
		notify_send("READY=1\nSTATUS=resumed");
	} else {
		/* What a cirqued that died left running is adopted or stopped before the watchers
		 * start (survivors.h); a re-exec, whose children are its own, skips this. */
		survivors_collect(&arbiter, arbiter_start);
	}
	unblock_daemon_signals();  /* a re-exec blocked them across the exec */
	ev_run(loop, 0);
	reexec_shutdown();
	survivors_end(arbiter.finished);  /* a clean end: no state file is left */
	notify_close();
	remove_pidfile();
	/* Watchers first: their pending waiters answer requests the control socket still holds. */
	arbiter_free(&arbiter);
	hook_shutdown();  /* the watchers cancelled theirs: each is killed and reaped */
	cgroup_teardown();  /* the watchers let go of their cgroups */
	ready_cleanup();  /* every process is gone: so is every notify socket's use */
	streams_shutdown();  /* every queued line reaches its file before we exit */
	close_control_plane(&arbiter);
	reaper_shutdown();
	ev_loop_destroy(loop);
	log_info("cirqued exited");
	return arbiter.exit_code;
}
