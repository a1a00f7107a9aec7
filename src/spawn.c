/* spawn.c - clone(CLONE_VM|CLONE_VFORK) + exec, like glibc's posix_spawn, but with the steps that
 * posix_spawn lacks (umask, rlimits, ids, working directory).
 *
 * Why not fork: a vfork-style clone costs the same whatever the daemon's size, and the parent learns
 * of an exec failure before clone returns, through memory shared with the child, with no pipe to read.
 * Between clone and exec the child runs on its own stack and must only make raw system calls: no
 * malloc, no stdio, no locks. Ids are changed with raw syscalls because glibc's setuid() would try
 * to synchronise the parent's other threads (libzmq runs some), which the child must never touch. */
#include "spawn.h"

#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_STACK_SIZE (256 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* A child never returns from its frames (it execs or _exits), so AddressSanitizer's redzones stay
 * poisoned on the shared stack; the next child, with another frame layout, would trip on them. */
#define UNPOISON_CHILD_STACK(stack) __asan_unpoison_memory_region((stack), CHILD_STACK_SIZE)
#else
#define UNPOISON_CHILD_STACK(stack) ((void)(stack))
#endif

/* What runs in the child, on its own stack, before exec: never instrumented by AddressSanitizer,
 * whose bookkeeping (fake stacks, no-return handling, one-time warnings) belongs to the parent's
 * thread and would print into the child's stderr. */
#if defined(__SANITIZE_ADDRESS__)
#define CHILD_CODE __attribute__((no_sanitize_address))
#else
#define CHILD_CODE
#endif

/* What the child reports back through shared memory when a step fails. */
enum child_step { STEP_NONE, STEP_CGROUP, STEP_SIGNALS, STEP_SETPGID, STEP_STDIO, STEP_SOCKETS,
		  STEP_RLIMIT,
		  STEP_CHDIR, STEP_UMASK, STEP_SETGROUPS, STEP_SETGID, STEP_SETUID, STEP_EXEC };

/* The reserved slots (spawn_init): the parent puts the child's stdin/stdout/stderr there before
 * each spawn; everything from slot_bound up is dropped by the child without being copied. */
static int slot[3] = { -1, -1, -1 };
static int slot_bound;
static int slot_filler = -1;              /* /dev/null, put back into the slots after a spawn */

/* CIRQUE_SPAWN_FORK=1: plain fork, for valgrind, which cannot follow clone(CLONE_VM). The
 * child reports a failed step through a pipe that exec closes; the daemon waits for that, as
 * it waits for exec with vfork. For debugging only: a fork copies the daemon. */
static bool use_fork;

struct child_args {
	const struct spawn_request *req;
	int report_fd;                        /* fork mode: where a failed step is written */
	bool shared_files;                /* CLONE_FILES: keep only the slots, then install them */
	sigset_t parent_mask;                 /* restored in the child before exec */
	volatile int failed_step;             /* written by the child, read by the parent after clone */
	volatile int error;
	volatile int failed_rlimit;           /* STEP_RLIMIT: the index in req->rlimits, -1 for the
					       * descriptor limit given back */
};

CHILD_CODE static int child_fail(struct child_args *args, enum child_step step)
{
	args->error = errno;
	args->failed_step = step;
	if (args->report_fd >= 0) {
		int report[3] = { step, args->error, args->failed_rlimit };
		ssize_t ignored = write(args->report_fd, report, sizeof(report));
		(void)ignored;
	}
	_exit(127);
}

CHILD_CODE static int install_stdio(const struct spawn_request *req)
{
	for (int fd = 0; fd < 3; fd++) {
		if (req->stdio[fd] < 0)
			continue;
		if (req->stdio[fd] == fd) {
			/* Already in place: just make sure it survives exec. */
			int flags = fcntl(fd, F_GETFD);
			if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
				return -1;
		} else if (dup2(req->stdio[fd], fd) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The listening sockets go to 3, 4, ...: first copied above every target, since a socket may
 * sit on another's target, then moved down (dup2 clears close-on-exec on the copies). */
CHILD_CODE static int install_listen_fds(const struct spawn_request *req)
{
	int copies[MAX_LISTEN_FDS];

	for (int i = 0; i < req->nlisten; i++)
		if ((copies[i] = fcntl(req->listen_fds[i], F_DUPFD_CLOEXEC, 3 + req->nlisten)) < 0)
			return -1;
	for (int i = 0; i < req->nlisten; i++) {
		if (dup2(copies[i], 3 + i) < 0)
			return -1;
		close(copies[i]);
	}
	return 0;
}

/* LISTEN_PID must be our own pid, known only now: written into the environment string the
 * parent prepared (CLONE_VM: it is the parent's memory, unused until we exec). */
CHILD_CODE static void write_listen_pid(char *digits)
{
	char reversed[24];
	long pid = syscall(SYS_getpid);
	int n = 0;

	do {
		reversed[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0);
	for (int i = 0; i < n; i++)
		digits[i] = reversed[n - 1 - i];
	digits[n] = '\0';
}

/* The descriptors to keep when the child unshares the table: the slots, and the sockets. */
CHILD_CODE static unsigned keep_below(const struct spawn_request *req)
{
	int bound = slot_bound;

	for (int i = 0; i < req->nlisten; i++)
		if (req->listen_fds[i] + 1 > bound)
			bound = req->listen_fds[i] + 1;
	return (unsigned)bound;
}

/* execvpe, but searching the child's PATH (not the daemon's), and without glibc's fallback of
 * running a file that is not a program through /bin/sh. Only async-signal-safe calls. */
CHILD_CODE static void exec_program(struct child_args *args)
{
	const struct spawn_request *req = args->req;
	const char *file = req->file ? req->file : req->argv[0], *dir = req->search_path ? req->search_path : "/bin:/usr/bin";
	size_t file_len = strlen(file);
	bool denied = false;
	char path[PATH_MAX];

	if (strchr(file, '/')) {
		execve(file, req->argv, req->envp);
		child_fail(args, STEP_EXEC);
	}
	for (;;) {
		const char *end = strchrnul(dir, ':');
		size_t dir_len = (size_t)(end - dir);
		if (dir_len == 0) {  /* an empty entry is the working directory */
			dir = ".";
			dir_len = 1;
		}
		if (dir_len + 1 + file_len < sizeof(path)) {
			memcpy(path, dir, dir_len);
			path[dir_len] = '/';
			memcpy(path + dir_len + 1, file, file_len + 1);
			execve(path, req->argv, req->envp);
			if (errno == EACCES)
				denied = true;
			else if (errno != ENOENT && errno != ENOTDIR)
				child_fail(args, STEP_EXEC);
		}
		if (*end == '\0')
			break;
		dir = end + 1;
	}
	errno = denied ? EACCES : ENOENT;
	child_fail(args, STEP_EXEC);
}

CHILD_CODE static int child_main(void *arg)
{
	struct child_args *args = arg;
	const struct spawn_request *req = args->req;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t empty;

	/* Signals are blocked (the parent did it before clone): reset dispositions, then unblock. */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);  /* fails harmlessly for KILL, STOP and libc's own */
	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
		child_fail(args, STEP_SIGNALS);
	if (req->join_cgroup && write(req->cgroup_procs_fd, "0", 1) != 1)
		child_fail(args, STEP_CGROUP);
	/* A session of its own, not only a process group: no controlling terminal to inject
	 * input into (TIOCSTI) when cirqued runs in one, and a group it cannot leave for
	 * cirqued's (a session leader cannot change its group; no one of another session may
	 * join ours), so that a group kill reaches it. */
	if (setsid() < 0)
		child_fail(args, STEP_SETPGID);
	if (args->shared_files) {
		/* Our own table with only the descriptors below slot_bound, copied cheaply; an old
		 * kernel without CLOSE_RANGE_UNSHARE copies them all. Only then may we dup2. */
		if (close_range(keep_below(req), ~0U, CLOSE_RANGE_UNSHARE) < 0 &&
		    unshare(CLONE_FILES) < 0)
			child_fail(args, STEP_STDIO);
		for (int fd = 0; fd < 3; fd++)
			if (dup2(slot[fd], fd) < 0)
				child_fail(args, STEP_STDIO);
	} else if (install_stdio(req) < 0) {
		child_fail(args, STEP_STDIO);
	}
	if (req->nlisten > 0 && install_listen_fds(req) < 0)
		child_fail(args, STEP_SOCKETS);
	if (req->listen_pid)
		write_listen_pid(req->listen_pid);
	/* The daemon raised its own descriptor limit; children get the one it was started with. */
	args->failed_rlimit = -1;
	if (req->nofile && setrlimit(RLIMIT_NOFILE, req->nofile) < 0)
		child_fail(args, STEP_RLIMIT);
	for (int i = 0; i < req->nrlimits; i++) {
		struct rlimit rl = { req->rlimits[i].value, req->rlimits[i].value };
		args->failed_rlimit = i;
		if (setrlimit(req->rlimits[i].resource, &rl) < 0)
			child_fail(args, STEP_RLIMIT);
	}
	if (req->umask >= 0)
		umask((mode_t)req->umask);
	if (req->set_ids) {
		if (syscall(SYS_setgroups, (size_t)req->ngroups, req->groups) < 0)
			child_fail(args, STEP_SETGROUPS);
		if (syscall(SYS_setgid, req->gid) < 0)
			child_fail(args, STEP_SETGID);
		if (syscall(SYS_setuid, req->uid) < 0)
			child_fail(args, STEP_SETUID);
	}
	/* As the program's user: root's chdir would follow links that user planted, and would
	 * give it a directory it could not reach by itself. */
	if (req->working_dir && chdir(req->working_dir) < 0)
		child_fail(args, STEP_CHDIR);
	exec_program(args);
	return 127;
}

static const char *step_name(int step)
{
	static const char *const names[] = {
		[STEP_NONE] = "spawn", [STEP_CGROUP] = "join the watcher's cgroup for",
		[STEP_SIGNALS] = "reset signals for",
		[STEP_SETPGID] = "setsid for",
		[STEP_STDIO] = "set up stdin/stdout/stderr for",
		[STEP_SOCKETS] = "pass the listening sockets to", [STEP_RLIMIT] = "set rlimits for",
		[STEP_CHDIR] = "chdir to working_dir", [STEP_UMASK] = "set the umask for",
		[STEP_SETGROUPS] = "drop privileges (setgroups) for",
		[STEP_SETGID] = "drop privileges (setgid) for",
		[STEP_SETUID] = "drop privileges (setuid) for",
		[STEP_EXEC] = "exec",
	};
	return names[step];
}

/* One stack serves every child: the parent is suspended while the child uses it. */
static void *child_stack(void)
{
	static void *stack;

	if (stack == NULL) {
		stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED)
			stack = NULL;
	}
	return stack;
}

void spawn_init(void)
{
	int fds[3];

	use_fork = getenv("CIRQUE_SPAWN_FORK") && strcmp(getenv("CIRQUE_SPAWN_FORK"), "1") == 0;
	if (use_fork)
		return;  /* no shared table: the slots are not needed */

	slot_filler = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3; i++)
		fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (slot_filler < 0 || fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
		return;  /* spawns copy the table: slower, still correct */
	for (int i = 0; i < 3; i++) {
		slot[i] = fds[i];
		if (fds[i] + 1 > slot_bound)
			slot_bound = fds[i] + 1;
	}
}

/* Puts the child's stdio into the slots (or back to /dev/null after the spawn). */
static int fill_slots(const struct spawn_request *req)
{
	for (int i = 0; i < 3; i++) {
		int source = req ? (req->stdio[i] >= 0 ? req->stdio[i] : i) : slot_filler;
		if (dup3(source, slot[i], O_CLOEXEC) < 0)
			return -1;
	}
	return 0;
}

/* Fork mode: the child's report arrives before exec closes the pipe, or never. */
static pid_t fork_child(struct child_args *args)
{
	int pipefd[2], report[3];
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	args->report_fd = pipefd[1];
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		child_main(args);
		_exit(127);
	}
	int saved = errno;
	close(pipefd[1]);
	do
		n = read(pipefd[0], report, sizeof(report));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (pid > 0 && n == (ssize_t)sizeof(report)) {
		args->failed_step = report[0];
		args->error = report[1];
		args->failed_rlimit = report[2];
	}
	errno = saved;
	return pid;
}

/* The kernel's errno can name the wrong thing: a directory gives EACCES, a script whose #!
 * interpreter is missing gives ENOENT, as if the script itself were. Looked at again here. */
static void explain_exec_failure(const char *file, const char **failed_step)
{
	struct stat st;
	int error = errno;

	if (file[0] != '/' || stat(file, &st) < 0) {  /* relative: to working_dir */
		errno = error;
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
	} else {
		if (error == ENOENT)
			*failed_step = "find the interpreter (#! line) or loader of";
		errno = error;
	}
}

/* Which limit could not be set, and the likely reason: "set rlimit nofile=2000000 (above
 * fs.nr_open, 1048576) for". In a static buffer: spawns happen one at a time. */
static const char *explain_rlimit_failure(const struct spawn_request *req, int index)
{
	static char step[200];
	const struct rlimit_setting *r;
	struct rlimit own;
	unsigned long long ceiling;
	char why[100] = "";

	if (index < 0 || index >= req->nrlimits)
		return "give back the descriptor limit to";
	r = &req->rlimits[index];
	if (r->resource == RLIMIT_NOFILE && (ceiling = kernel_nofile_ceiling()) && r->value > ceiling)
		snprintf(why, sizeof(why), " (above the kernel's fs.nr_open, %llu)", ceiling);
	else if (getrlimit(r->resource, &own) == 0 && own.rlim_max != RLIM_INFINITY &&
		 r->value > own.rlim_max)
		snprintf(why, sizeof(why), " (above cirqued's own hard limit, %llu)",
			 (unsigned long long)own.rlim_max);
	if (r->value == (unsigned long long)RLIM_INFINITY)
		snprintf(step, sizeof(step), "set rlimit %s=unlimited%s for",
			 rlimit_name(r->resource), why);
	else
		snprintf(step, sizeof(step), "set rlimit %s=%llu%s for", rlimit_name(r->resource),
			 r->value, why);
	return step;
}

pid_t spawn_process(const struct spawn_request *req, const char **failed_step)
{
	struct child_args args = { .req = req, .failed_step = STEP_NONE, .report_fd = -1 };
	int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
	sigset_t all;
	char *stack = child_stack();
	pid_t pid;
	int saved;

	if (stack == NULL) {
		*failed_step = "allocate the child's stack";
		return -1;
	}
	if (req->nlisten > MAX_LISTEN_FDS) {
		*failed_step = "pass the listening sockets to";
		errno = EMFILE;
		return -1;
	}
	if (slot[0] >= 0 && fill_slots(req) == 0) {
		args.shared_files = true;
		flags |= CLONE_FILES;
	}
	UNPOISON_CHILD_STACK(stack);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &args.parent_mask);
	pid = use_fork ? fork_child(&args) : clone(child_main, stack + CHILD_STACK_SIZE, flags, &args);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &args.parent_mask, NULL);
	/* The slots must not keep the child's pipe ends open: EOF depends on it. */
	if (args.shared_files)
		fill_slots(NULL);
	if (pid < 0) {
		*failed_step = "fork";
		errno = saved;
		return -1;
	}
	if (args.failed_step != STEP_NONE) {
		/* The child has exited (status 127); the reaper's scan takes it (reaper.h). */
		*failed_step = step_name(args.failed_step);
		errno = args.error;
		if (args.failed_step == STEP_EXEC)
			explain_exec_failure(req->file ? req->file : req->argv[0], failed_step);
		if (args.failed_step == STEP_RLIMIT)
			*failed_step = explain_rlimit_failure(req, args.failed_rlimit);
		return -1;
	}
	return pid;
}
