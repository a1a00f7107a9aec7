/* config.h - the YAML configuration: daemon settings and watcher definitions, fully validated. */
#ifndef CIRQUE_CONFIG_H
#define CIRQUE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup_limits.h"

struct rlimit_setting {
	int resource;                 /* RLIMIT_* */
	unsigned long long value;     /* soft and hard limit; RLIM_INFINITY for unlimited */
};

/* Where a child's stdout or stderr goes. */
enum stream_kind {
	STREAM_INHERIT,               /* the daemon's own stdout/stderr, each line "name[wid]: ..." */
	STREAM_NULL,                  /* /dev/null at the child: nothing captured */
	STREAM_FILE,                  /* a log file, rotated */
	STREAM_SYSLOG,                /* the syslog socket (/dev/log), facility and tag */
	STREAM_MERGE,                 /* stderr only: into the stdout stream */
	STREAM_DAEMON,                /* {file: /dev/stdout} and the like: the daemon's own stdout or
				       * stderr, lines as written (no prefix), as supervisord does */
};

enum rotate_period { ROTATE_NONE, ROTATE_HOURLY, ROTATE_DAILY };

/* When a process that exits on its own is started again (supervisord's autorestart
 * true/unexpected/false; Circus's respawn true/false is always/never). */
enum restart_policy {
	RESTART_ALWAYS,               /* after any exit */
	RESTART_ON_FAILURE,           /* after an unexpected exit: killed, or a status not in exitcodes */
	RESTART_NEVER,                /* never: it stays EXITED */
};

/* How max_age and a graceful reload replace a process (its slot keeps its wid). */
enum replace_order {
	REPLACE_NEW_FIRST,            /* the successor starts beside it; it stops once the successor
				       * is ready. A successor that dies before ready beside it falls
				       * back to stop-first for that slot */
	REPLACE_STOP_FIRST,           /* it stops, then the successor starts; one slot at a time */
};

/* The exit statuses 0..255 that mean "finished as expected", as bits. */
struct exit_codes {
	unsigned char bits[32];
};

static inline bool exit_code_expected(const struct exit_codes *codes, int status)
{
	return status >= 0 && status < 256 && (codes->bits[status / 8] >> (status % 8)) & 1;
}

struct stream_config {
	enum stream_kind kind;
	char *path;                   /* FILE: may contain {name} and {wid} */
	unsigned long long max_bytes; /* FILE: rotate past this size (0: never) */
	int backup_count;             /* FILE: PATH.1 .. PATH.N kept */
	enum rotate_period rotate;    /* FILE: time-based rotation instead of (or with) size */
	char *time_format;            /* strftime prefix of each line, NULL: none */
	int facility;                 /* SYSLOG: LOG_DAEMON, LOG_LOCAL0, ... */
	char *tag;                    /* SYSLOG: default "name[wid]" */
	int daemon_fd;                /* DAEMON: 1 (stdout) or 2 (stderr) */
};

enum ready_kind {
	READY_DELAY,                  /* up for ready_delay (supervisord's startsecs) */
	READY_TCP,                    /* a TCP port accepts connections */
	READY_UNIX,                   /* a unix socket accepts connections */
	READY_NOTIFY,                 /* sd_notify READY=1 on the child's own NOTIFY_SOCKET */
	READY_EXIT,                   /* a job: done once it exits with a status of exitcodes (its
				       * dependents start then); never RUNNING */
};

/* The watcher events a listener may ask for (listen_events:): those cirqued publishes on
 * watcher.<name>.<event>, with Circus's names, a bit each. */
enum listen_event {
	LISTEN_SPAWN, LISTEN_REAP, LISTEN_KILL, LISTEN_START, LISTEN_STOP, LISTEN_RELOAD,
	LISTEN_UPDATED, LISTEN_ADD, LISTEN_REMOVE, LISTEN_HOOK, LISTEN_EVENT_COUNT
};
extern const char *const listen_event_names[LISTEN_EVENT_COUNT];
/* NAME's enum listen_event, or -1. */
int listen_event_find(const char *name);

#define LISTEN_QUEUE_DEFAULT 1000
#define LISTEN_QUEUE_MAX 100000

/* An event listener (listen_events:): each process reads the events on its stdin, a JSON
 * object per line (listener.c). */
struct listen_config {
	unsigned events;              /* a bit per enum listen_event; 0: not a listener */
	char **watchers;              /* whose events, NULL-terminated; NULL: every other watcher's */
	int queue;                    /* lines kept per slot while its process does not read */
};

/* A listening socket the daemon binds and passes to the watchers that use it (systemd's socket
 * activation: LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES), so that it stays open across restarts. */
struct socket_config {
	char *name;
	char *origin;                 /* "file:line" where it is defined */
	int family;                   /* AF_INET, AF_INET6 or AF_UNIX */
	char *host;                   /* TCP: the numeric address as written; NULL for AF_UNIX */
	int port;                     /* TCP: 0 lets the kernel pick one (listsockets shows it) */
	char *path;                   /* AF_UNIX: the socket file */
	int backlog;                  /* listen() queue (default 2048, like Circus) */
	int mode;                     /* AF_UNIX: permissions of the socket file (default 0666) */
	uid_t owner;                  /* AF_UNIX: owner of the socket file, (uid_t)-1: the daemon's */
	gid_t group;                  /* AF_UNIX: its group, (gid_t)-1: the daemon's */
	bool reuseport;               /* SO_REUSEPORT */
};

/* The points of a watcher's life where a hook (a command) runs (config_hooks.c, hook.c). */
enum hook_point {
	HOOK_BEFORE_START,            /* the start waits for it; a failure aborts the start */
	HOOK_AFTER_START,             /* the start's processes are spawned; a failure stops it */
	HOOK_BEFORE_SPAWN,            /* a slot's spawn waits for it; a failure is a failed start */
	HOOK_AFTER_SPAWN,             /* a process was spawned */
	HOOK_BEFORE_STOP,             /* the stop signals wait for it (never prevents the stop) */
	HOOK_AFTER_STOP,              /* every process is gone */
	HOOK_BEFORE_SIGNAL,           /* the signal command's signal waits; a failure skips it */
	HOOK_AFTER_SIGNAL,            /* the signal command's signal was sent */
	HOOK_AFTER_REAP,              /* a process's exit was handled (never delays a respawn) */
	HOOK_COUNT
};
/* "before_start", ... as written in the file. */
const char *hook_point_name(enum hook_point point);

/* One hook: a command, run as a child of cirqued with the watcher's user, groups, environment
 * and directory unless it says otherwise. */
struct hook_config {
	char **argv;                  /* NULL-terminated; NULL: no hook at this point */
	double timeout;               /* SIGKILL to its process group after this (default 30 s) */
	bool ignore_failure;          /* a failure is logged only */
	bool own_ids;                 /* uid or gid given: these ids, not the watcher's */
	bool uid_given;               /* own_ids by uid (gid alone keeps the watcher's user and
				       * supplementary groups) */
	bool set_ids;                 /* own_ids: drop to uid/gid/groups */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char *working_dir;            /* NULL: the watcher's */
	char **env;                   /* NAME=VALUE added to the watcher's environment, or NULL */
};

/* The watchers named by depends_on or restart_with, and where each name is written, for the
 * checks made once every watcher is read (deps.h: unknown names, cycles). */
struct dep_list {
	char **names;                 /* NULL-terminated; NULL when none */
	char **where;                 /* "file:line:col: watchers.web.depends_on" of each name */
	int count;
};

/* One watcher as configured. Everything a spawn needs is resolved here, at load time, so that the
 * daemon never looks up users or parses text in its loop.
 * An option is a field here and a row of the table in watcher_options.c, which derives its
 * default, parsing, free, reload comparison and get/options reply. */
struct watcher_config {
	char *name;
	char *origin;                 /* "file:line" where the watcher is defined, for messages */
	char **unset_env_refs;        /* "NAME: $VAR" for each env value's reference to a variable
				       * the daemon's environment lacks (it expanded to nothing):
				       * a warning, NULL-terminated, NULL if none */
	char *cmd;                    /* the command as written */
	char *args;                   /* extra arguments as written (joined), NULL if none */
	char **argv;                  /* the resolved argv, NULL-terminated; /bin/sh -c ... when shell */
	bool shell;                   /* run through /bin/sh -c */
	char *shell_args;             /* shell: more words after the script ($0, $1, ...), as written */
	char *executable;             /* the program executed (argv stays argv), NULL: argv[0] */
	int numprocesses;             /* desired number of processes */
	char *working_dir;            /* NULL: the daemon's own */
	char **env;                   /* NAME=VALUE, NULL-terminated, exactly what the child gets */
	bool copy_env;                /* env starts from the daemon's environment */
	bool copy_path;               /* without copy_env: PATH still from the daemon's environment */
	char *virtualenv;             /* VIRTUAL_ENV=this, its bin/ first in PATH; NULL: none */
	bool close_child_stdin;       /* stdin on /dev/null (true, the default) or the daemon's */
	bool send_hup;                /* reload: SIGHUP to the processes instead of replacing them */
	bool on_demand;               /* not started with the daemon: started by the first
				       * connection to one of its sockets while it is stopped */
	bool set_ids;                 /* uid/gid configured: drop to them before exec */
	uid_t uid;
	gid_t gid;
	gid_t *groups;                /* supplementary groups of uid (set with setgroups) */
	int ngroups;
	int umask;                    /* -1: inherit the daemon's */
	struct rlimit_setting *rlimits;
	int nrlimits;
	struct cgroup_limits limits;  /* memory_max, cpu_max, ...: applied to its cgroup */
	double graceful_timeout;      /* seconds between stop_signal and SIGKILL */
	int stop_signal;
	bool stop_children;           /* signal the whole process group */
	bool stop_leftovers;          /* a whole-watcher stop ends what its processes left behind
				       * (systemd's KillMode=control-group; false: =process) */
	enum restart_policy restart;  /* restart processes that exit on their own (respawn maps here) */
	struct exit_codes exitcodes;  /* expected exit statuses (default: 0) */
	bool autostart;               /* start with the daemon */
	bool singleton;               /* never more than one process */
	int priority;                 /* higher starts first and stops last */
	double warmup_delay;          /* seconds between spawning successive processes */
	int max_retry;                /* failed starts before giving up; -1: never give up */
	double max_age;               /* replace a process older than this (0: never) */
	double max_age_variance;      /* plus a random 0..variance seconds */
	enum replace_order replace;   /* max_age and graceful reload: new-first or stop-first */
	double min_uptime;            /* a death sooner after ready is a failed start (0: never) */
	struct stream_config streams[2];  /* [0] stdout, [1] stderr */
	enum ready_kind ready;        /* when a new process counts as started */
	double ready_delay;           /* READY_DELAY: up this long (default 1 s) */
	char *ready_host;             /* READY_TCP: connect to host:port; both may hold $(circus.wid), */
	char *ready_port;             /* substituted per process when it is probed (text) */
	char *ready_path;             /* READY_UNIX: connect to this socket ($(circus.wid) too) */
	double ready_timeout;         /* not ready by then: a failed start (default 60 s) */
	struct hook_config hooks[HOOK_COUNT];  /* by point; argv NULL where there is none */
	char **use_sockets;           /* sockets passed as fds 3, 4, ... in this order (NULL: none) */
	bool use_all_sockets;         /* use_sockets: true, every socket in the order defined */
	struct dep_list depends_on;   /* started once these are ready, stopped before them */
	struct dep_list restart_with; /* restarted after any of these is (dependencies too) */
	struct listen_config listen;  /* listen_events: its processes read events on stdin */
	json_t *raw;                  /* the options as written (strings), to rebuild it with changes */
};

struct daemon_config {
	char *endpoint;               /* control socket (used by the control plane) */
	char *pubsub_endpoint;
	char *stats_endpoint;
	int loglevel;                 /* enum log_level, -1 when not set */
	char *logoutput;              /* NULL: stderr */
	char *pidfile;
	int umask;                    /* -1 when not set */
	char *curve_secret_key_file;  /* the control socket's CURVE secret key (Z85, first line) */
	char **curve_allowed_clients; /* Z85 public keys admitted with CURVE, NULL-terminated */
	long max_processes;           /* processes of all watchers together; 0: not set (the
				       * default, daemon_max_processes) */
	char *cgroup;                 /* "auto" (NULL), "off", or the base's path in the hierarchy */
	char *operator_group;         /* members may use the operator socket (and read the events):
				       * the commands that run nothing new (status, start, stop...) */
	bool limits_may_be_ignored;   /* unavailable_limits: warn */
	bool orphans_stop;            /* on_orphans: stop (else adopt): what cirqued does at start
				       * with the processes of a cirqued that died (survivors.h) */
	bool orphans_adopt_piped;     /* on_orphans: adopt-all: also those whose output went to
				       * the dead cirqued's pipes (adopt restarts them) */
};

/* Collected errors, each "file:line:column: message". */
struct config_errors {
	char **lines;
	int count;
};

struct config {
	char *path;
	struct daemon_config daemon;
	struct watcher_config **watchers;
	int nwatchers;
	struct socket_config **sockets;
	int nsockets;
	struct config_errors load_warnings;  /* found while loading (an include glob's missing
					      * directory): given with config_warnings */
};

/* Loads and validates PATH and its includes. On any error returns -1, *out stays NULL and ERRORS
 * holds every problem found (caller frees with config_errors_free). */
int config_load(const char *path, struct config **out, struct config_errors *errors);
/* Loads watchers from TEXT (YAML, or JSON, which is YAML too), holding only a watchers: mapping.
 * NAME stands for the file in messages. Used by the control commands add and set. */
int config_load_text(const char *name, const char *text, struct config **out,
		     struct config_errors *errors);
/* TEXT (LEN bytes, may hold NULs) as a main file, but its includes are not read: for tests and
 * fuzzing, which must not open files a random input names. */
int config_load_string(const char *name, const char *text, size_t len, struct config **out,
		       struct config_errors *errors);
/* What `cirqued --check` warns about without rejecting the file (each "file:line: warning:
 * ..."), added to WARNINGS: a command not found or not executable, a missing working_dir, a
 * log file's directory that does not exist yet, a $(circus.env.NAME) no environment knows. These
 * can change before the processes start (a mount, a deploy), so they are not errors. */
void config_warnings(const struct config *config, struct config_errors *warnings);
/* The kernel's ceiling of RLIMIT_NOFILE (fs.nr_open), 0 if unknown. */
unsigned long long kernel_nofile_ceiling(void);
/* The same warnings in the daemon's log (at start-up and at each reload). */
void config_log_warnings(const struct config *config);
void config_free(struct config *config);
void daemon_config_free(struct daemon_config *d);
/* A re-exec (reexec.h): the settings in force, and back (D's own are freed first). */
json_t *daemon_config_save(const struct daemon_config *d);
void daemon_config_restore(struct daemon_config *d, const json_t *saved);
/* D's max_processes, or the default: what the descriptor limit cirqued raises itself to allows
 * (each process costs it 2, the read ends of its stdout and stderr pipes, beyond a margin for
 * its own), and no more than RLIMIT_NPROC. */
long daemon_max_processes(const struct daemon_config *d);
/* Why WANTED processes are over the default max_processes and what would let them run (" (the
 * default: ... need a descriptor limit of ...)"), in BUF; "" when max_processes is set. */
const char *daemon_max_processes_why(const struct daemon_config *d, long wanted, char *buf,
				     size_t size);
void config_errors_free(struct config_errors *errors);
/* Each watcher limit whose controller SUPPORT lacks: an error "file:line:col: memory_max: ..."
 * in ERRORS, or when MAY_IGNORE (unavailable_limits: warn) a warning in WARNINGS, and the limit
 * is dropped. Returns the number of errors. */
/* The cgroups of the running daemon, which the loads from now on check limits against (and
 * whether a limit it cannot apply is only a warning for add and set: cirqued says no, since a
 * set the operator just typed that changes nothing must not answer "set"). */
void config_set_limit_support(const struct limit_support *support, bool may_ignore);
int config_check_limits(struct config *config, const struct limit_support *support,
			bool may_ignore, struct config_errors *errors,
			struct config_errors *warnings);

struct watcher_config *config_find_watcher(const struct config *config, const char *name);
/* True when A and B are the same definition; numprocesses is compared unless IGNORE_COUNT. */
bool watcher_config_equal(const struct watcher_config *a, const struct watcher_config *b,
			  bool ignore_count);
/* True when processes spawned from A and B would be the same (command, environment, directory,
 * ids, umask, limits): every other option can change without restarting anything. */
bool watcher_config_same_processes(const struct watcher_config *a,
				   const struct watcher_config *b);
/* The options that make A's and B's processes differ, as "cmd, env" in OUT (SIZE bytes):
 * what a reload names when it restarts a watcher. */
void watcher_config_restart_keys(const struct watcher_config *a, const struct watcher_config *b,
				 char *out, size_t size);
void watcher_config_free(struct watcher_config *wc);

struct socket_config *config_find_socket(const struct config *config, const char *name);
/* True when A and B describe the same bound socket (family, address, port, path, reuseport):
 * backlog and mode can change on the socket already open. */
bool socket_config_same_binding(const struct socket_config *a, const struct socket_config *b);
void socket_config_free(struct socket_config *sc);
/* The names in $(circus.sockets.NAME) (or $(cirque.sockets.NAME)) in WC's argv and env, as a
 * NULL-terminated malloc'd array (free with free_words); NULL when there are none. */
char **watcher_socket_vars(const struct watcher_config *wc);

#endif
