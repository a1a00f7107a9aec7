/* cgroup.c - containment: a cgroup v2 per watcher (see cgroup.h for the layout). */
#include "cgroup.h"

#include "log.h"
#include "reexec.h"
#include "xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define ALL_CONTROLLERS (CG_MEMORY | CG_CPU | CG_PIDS | CG_IO)

/* The mode, decided once. */
static struct {
	bool enabled;
	char *mount;                  /* where cgroup2 is mounted ("/sys/fs/cgroup/unified") */
	char *base;                   /* the watchers' parent, in the hierarchy ("/cirque-12") */
	char *home;                   /* the cgroup cirqued came from, when it made the base */
	int base_fd;                  /* its directory */
	bool created_base;            /* we made it: we remove it at exit */
	struct limit_support support;
	char mode_text[400];
	char log_line[600];
	struct ev_loop *loop;
	int inotify_fd;
	ev_io inotify_io;
	struct wcgroup *all;          /* every watcher cgroup held */
} cg_state = { .base_fd = -1, .inotify_fd = -1 };

struct holder {
	wcgroup_change_fn on_change;
	void *arg;
};

struct wcgroup {
	struct wcgroup *next;
	char *name;
	char *path;                   /* in the hierarchy */
	int dir_fd, procs_fd;
	int events_wd, memory_wd;     /* inotify watches of cgroup.events and memory.events */
	bool populated;
	unsigned long long oom_kills;
	struct holder *holders;
	int nholders;
};

/* --- finding the hierarchy ------------------------------------------------------------------ */

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The first cgroup2 mount of /proc/self/mountinfo: its mount point, its root in the hierarchy,
 * whether it is read-only. Also notes whether a v1 hierarchy holds the memory controller. */
static bool find_cgroup2(char **mount, char **root, bool *read_only, bool *v1_memory)
{
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	*v1_memory = false;
	if (fp == NULL)
		return false;
	while (getline(&line, &cap, fp) > 0) {
		char *sep = strstr(line, " - ");
		char rootbuf[4096], point[4096], options[512], fstype[64], super[512];
		if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s %511s", rootbuf, point,
					  options) != 3 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, super) != 2)
			continue;
		if (strcmp(fstype, "cgroup") == 0 && !strstr(super, "name="))
			*v1_memory = true;  /* a v1 controller hierarchy: a hybrid host */
		if (found || strcmp(fstype, "cgroup2") != 0)
			continue;
		unescape_octal(rootbuf);
		unescape_octal(point);
		*mount = xstrdup(point);
		*root = xstrdup(rootbuf);
		*read_only = strncmp(options, "ro", 2) == 0 && (options[2] == ',' || !options[2]);
		found = true;
	}
	free(line);
	fclose(fp);
	return found;
}

/* Our cgroup in the hierarchy (the "0::" line of /proc/self/cgroup), or NULL. */
static char *own_cgroup(void)
{
	FILE *fp = fopen("/proc/self/cgroup", "re");
	char *line = NULL, *own = NULL;
	size_t cap = 0;

	if (fp == NULL)
		return NULL;
	while (own == NULL && getline(&line, &cap, fp) > 0)
		if (strncmp(line, "0::", 3) == 0)
			own = xstrndup(line + 3, strcspn(line + 3, "\n"));
	free(line);
	fclose(fp);
	return own;
}

static char *read_small(int dirfd, const char *name)
{
	char buf[4096];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

static unsigned controllers_of(int dirfd, const char *file)
{
	char *text = read_small(dirfd, file);
	unsigned bits = text ? controllers_parse(text) : 0;

	free(text);
	return bits;
}

/* Enables in DIRFD's children every controller of WANTED it offers; returns those enabled. */
static unsigned enable_controllers(int dirfd, unsigned wanted)
{
	unsigned offered = controllers_of(dirfd, "cgroup.controllers") & wanted;

	for (unsigned bit = 1; bit <= CG_IO; bit <<= 1) {
		char word[16];
		if (!(offered & bit))
			continue;
		snprintf(word, sizeof(word), "+%s", controller_name(bit));
		if (cgroup_file_write(dirfd, "cgroup.subtree_control", word) < 0)
			log_debug("cgroup: cannot enable the %s controller: %s", controller_name(bit),
				  strerror(errno));
	}
	return controllers_of(dirfd, "cgroup.subtree_control");
}

/* systemd marks a delegated cgroup (Delegate=yes) with this attribute (systemd 251 and later;
 * user.delegate for unprivileged managers). */
static bool delegated(const char *dir)
{
	char value[8];

	return getxattr(dir, "trusted.delegate", value, sizeof(value)) > 0 ||
	       getxattr(dir, "user.delegate", value, sizeof(value)) > 0;
}

/* The real root of the hierarchy has no cgroup.type (a namespace's root has one). */
static bool is_hierarchy_root(int dirfd)
{
	return faccessat(dirfd, "cgroup.type", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* --- deciding the mode ---------------------------------------------------------------------- */

struct plan {
	char *mount;
	char *base;                   /* in the hierarchy */
	char *own;                    /* our own cgroup, in the hierarchy */
	bool create_base;             /* the base is to be made (if missing) */
	bool own_base;                /* it is ours alone (cirque-<pid>): removed at exit */
	bool move_self;               /* to <base>/.cirqued: the base is our own cgroup */
	bool v1_memory;
	char why[300];                /* no cgroups: why */
};

static void plan_free(struct plan *p)
{
	free(p->mount);
	free(p->base);
	free(p->own);
}

/* Where the watchers' cgroups would go, without touching anything; false with P->why. */
static bool plan_containment(const char *setting, struct plan *p)
{
	char *root = NULL;
	bool read_only = false;

	memset(p, 0, sizeof(*p));
	if (setting && strcmp(setting, "off") == 0) {
		snprintf(p->why, sizeof(p->why), "cgroup: off in the configuration");
		return false;
	}
	if (!find_cgroup2(&p->mount, &root, &read_only, &p->v1_memory)) {
		snprintf(p->why, sizeof(p->why), "no cgroup2 file system is mounted");
		return false;
	}
	if (read_only) {
		snprintf(p->why, sizeof(p->why), "the cgroup2 file system at %s is read-only",
			 p->mount);
		free(root);
		return false;
	}
	p->own = own_cgroup();
	if (p->own == NULL || strncmp(p->own, root, strlen(root)) != 0) {
		snprintf(p->why, sizeof(p->why), "cirqued's own cgroup is not under the cgroup2 "
			 "mount at %s", p->mount);
		free(root);
		return false;
	}
	/* Paths below are relative to the mount. */
	char *relative = xstrdup(strcmp(root, "/") == 0 ? p->own : p->own + strlen(root));
	free(p->own);
	p->own = relative[0] ? relative : xstrdup("/");
	if (relative[0] == '\0')
		free(relative);
	free(root);
	if (setting && setting[0] == '/') {
		p->base = xstrdup(setting);
		p->create_base = true;
		return true;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s%s", p->mount, p->own);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool at_root = fd >= 0 && is_hierarchy_root(fd);
	if (fd >= 0)
		close(fd);
	if (at_root) {
		/* Its name (cirque-PID) is chosen when it is made: a pid may be another's too. */
		p->create_base = true;
		p->own_base = true;
	} else if (strcmp(p->own, "/") == 0 || delegated(dir)) {
		/* The root of a cgroup namespace (a container's), or given to us by systemd. */
		p->base = xstrdup(p->own);
		p->move_self = true;
	} else if (getenv("INVOCATION_ID")) {
		snprintf(p->why, sizeof(p->why), "the systemd unit's cgroup %s is not delegated to "
			 "cirqued (Delegate=yes)", p->own);
		return false;
	} else {
		/* A login session's scope, a service of another manager: not ours to divide, and
		 * two cirqued started there would share it. */
		snprintf(p->why, sizeof(p->why), "cirqued's cgroup %s is not its own (a login "
			 "session, or a service without Delegate=yes): run it as a service with "
			 "Delegate=yes, or set cirque.cgroup to a path", p->own);
		return false;
	}
	return true;
}

/* Makes every missing directory of PATH (in the hierarchy) below the mount. */
static int make_path(const char *mount, const char *path)
{
	char full[4096];
	size_t base_len = strlen(mount);

	if (snprintf(full, sizeof(full), "%s%s", mount, path) >= (int)sizeof(full)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = full + base_len + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(full, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}

static void describe_missing(const struct plan *p, unsigned have, char *why, size_t size)
{
	char names[64] = "";

	for (unsigned bit = 1; bit <= CG_IO; bit <<= 1)
		if (!(have & bit))
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", controller_name(bit));
	snprintf(why, size, "the cgroup2 hierarchy at %s does not give cirqued's cgroup (%s) the "
		 "controllers %s%s", p->mount, p->create_base ? p->own : p->base, names, p->v1_memory
		 ? "; this hybrid host mounts its controllers as cgroup v1, which cgroup v2 cannot "
		 "use (boot with systemd.unified_cgroup_hierarchy=1 for a cgroup v2 host)" : "");
}

/* cgroup.events: some process in it or below it (what the kernel says now). */
static bool read_populated(int dirfd)
{
	char *text = read_small(dirfd, "cgroup.events");
	bool populated = text && strstr(text, "populated 1") != NULL;

	free(text);
	return populated;
}

/* Removes the cgroup NAME under DIRFD and every cgroup below it, deepest first: those still
 * holding a process stay (EBUSY). Returns 0 when it is gone. */
static int remove_tree(int parent_fd, const char *name, int depth)
{
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	while (dir && depth < 32 && (de = readdir(dir)) != NULL)
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			remove_tree(dirfd(dir), de->d_name, depth + 1);
	if (dir)
		closedir(dir);
	else if (fd >= 0)
		close(fd);
	return unlinkat(parent_fd, name, AT_REMOVEDIR);
}

/* cirqued marks the bases it makes, and holds a lock on the one it uses for as long as it
 * runs: a base is another live cirqued's while locked (whatever its pid namespace or name), and
 * one marked but unlocked was left by a cirqued that died (kill -9). */
#define BASE_MARK "trusted.cirque"

/* Marked by a cirqued: any base it used (KIND NULL), or one it made for itself alone ("auto":
 * cirque-PID, which a later cirqued may remove; a configured base is the operator's). */
static bool marked(int fd, const char *kind)
{
	char value[16];
	ssize_t n = fgetxattr(fd, BASE_MARK, value, sizeof(value) - 1);

	if (n <= 0)
		return false;
	value[n] = '\0';
	return kind == NULL || strcmp(value, kind) == 0;
}

/* Set once the survivors (survivors.h) were adopted or stopped: what still holds processes now
 * is not theirs. */
static bool survivors_settled;

/* Removes what is below the stale base BASE_FD, naming what still holds processes. */
static void clean_stale_base(int parent_fd, const char *name, const char *path)
{
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	while (dir && (de = readdir(dir)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		int sub = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		bool busy = sub >= 0 && read_populated(sub);
		if (sub >= 0)
			close(sub);
		if (remove_tree(dirfd(dir), de->d_name, 0) < 0 && busy)
			log_warnx("cgroup: %s/%s, left by a cirqued that is gone, still holds "
				  "processes: %s", path, de->d_name, survivors_settled
				  ? "they run unsupervised"
				  : "those of its state file are adopted or stopped (on_orphans), "
				    "others run unsupervised");
	}
	if (dir)
		closedir(dir);
	else if (fd >= 0)
		close(fd);
	unlinkat(parent_fd, name, AT_REMOVEDIR);
}

/* What cirqued instances that died without cleaning up left in PARENT (cirque-*): their empty
 * cgroups are removed; one that still holds processes is named in the log. */
static void clean_stale_bases(const char *parent)
{
	int parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = parent_fd >= 0 ? fdopendir(dup(parent_fd)) : NULL;
	struct dirent *de;

	while (dir && (de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "cirque-", 7) != 0 || de->d_type != DT_DIR)
			continue;
		int fd = openat(parent_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
				O_NOFOLLOW);
		bool stale = fd >= 0 && marked(fd, "auto") && flock(fd, LOCK_EX | LOCK_NB) == 0;
		if (stale) {
			char path[4096 + 256];
			snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
			clean_stale_base(parent_fd, de->d_name, path);
		}
		if (fd >= 0)
			close(fd);
	}
	if (dir)
		closedir(dir);
	if (parent_fd >= 0)
		close(parent_fd);
}

/* The base is ours from now on: locked (another cirqued may not use it, nor take it for
 * stale), and marked. A configured base that exists unmarked, and holds anything, belongs to
 * someone else (cgroup: /system.slice would give a watcher ssh.service sshd's cgroup). */
static bool claim_base(int fd, bool must_be_ours, bool own, const char *dir, char *why,
		       size_t size)
{
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(why, size, "another cirqued uses the cgroup %.200s", dir);
		return false;
	}
	if (must_be_ours && !marked(fd, NULL)) {
		int copy = dup(fd);
		DIR *d = copy >= 0 ? fdopendir(copy) : NULL;
		struct dirent *de;
		bool empty = !read_populated(fd);
		while (empty && d && (de = readdir(d)) != NULL)
			empty = de->d_type != DT_DIR || de->d_name[0] == '.';
		if (d)
			closedir(d);
		if (!empty) {
			snprintf(why, size, "the cgroup %.200s exists and is not cirqued's (it holds "
				 "cgroups or processes): name a new one", dir);
			return false;
		}
	}
	const char *kind = own ? "auto" : "used";
	if (fsetxattr(fd, BASE_MARK, kind, strlen(kind), 0) < 0)
		log_debug("cgroup: cannot mark %s: %s", dir, strerror(errno));
	return true;
}

/* --- events of the watchers' cgroups --------------------------------------------------------- */

static struct wcgroup *by_watch(int wd)
{
	for (struct wcgroup *cg = cg_state.all; cg; cg = cg->next)
		if (cg->events_wd == wd || cg->memory_wd == wd)
			return cg;
	return NULL;
}


static void notify_holders(struct wcgroup *cg)
{
	/* A holder's callback may let go of the cgroup: call them from a copy. */
	int n = cg->nholders;
	struct holder *copy = xmalloc(sizeof(*copy) * (size_t)(n ? n : 1));

	memcpy(copy, cg->holders, sizeof(*copy) * (size_t)n);
	for (int i = 0; i < n; i++)
		copy[i].on_change(copy[i].arg);
	free(copy);
}

static void refresh(struct wcgroup *cg)
{
	bool populated = read_populated(cg->dir_fd);
	unsigned long long ooms = wcgroup_oom_kills(cg);

	if (ooms > cg->oom_kills)
		log_warnx("watcher %s: the kernel's OOM killer killed %llu process%s in its cgroup "
			  "%s (memory_max)", cg->name, ooms - cg->oom_kills,
			  ooms - cg->oom_kills == 1 ? "" : "es", cg->path);
	if (populated == cg->populated && ooms == cg->oom_kills)
		return;
	cg->populated = populated;
	cg->oom_kills = ooms;
	notify_holders(cg);  /* last: a holder may let go of CG, and free it */
}

static void on_inotify(struct ev_loop *loop, ev_io *io, int revents)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)loop;
	(void)revents;
	while ((n = read(io->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			struct wcgroup *cg = by_watch(ev->wd);
			if (cg)
				refresh(cg);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* --- set-up --------------------------------------------------------------------------------- */

static void fall_back(const char *why)
{
	cg_state.enabled = false;
	cg_state.support.known = true;
	cg_state.support.controllers = 0;
	snprintf(cg_state.support.why, sizeof(cg_state.support.why), "no cgroup: %.280s", why);
	snprintf(cg_state.mode_text, sizeof(cg_state.mode_text), "process groups (no cgroup: %.350s)",
		 why);
	snprintf(cg_state.log_line, sizeof(cg_state.log_line), "containment: process groups and "
		 "subreaper only: %s. A stop ends what a watcher's programs leave behind only if "
		 "cirqued adopted it", why);
}

/* Removes BASE (in the hierarchy) and its .cirqued, if empty. */
static void remove_base(const char *mount, const char *base)
{
	char dir[4096 + 64];

	snprintf(dir, sizeof(dir), "%s%s/.cirqued", mount, base);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s%s", mount, base);
	rmdir(dir);
}

/* cirque-PID under our cgroup (the root), or cirque-PID-2, ... when another cirqued has that
 * name (the same pid in another pid namespace). Stale ones are removed first. */
static int make_unique_base(struct plan *p)
{
	char parent[4096], dir[4096 + 64];
	const char *slash = strcmp(p->own, "/") ? "/" : "";

	snprintf(parent, sizeof(parent), "%s%s", p->mount, strcmp(p->own, "/") ? p->own : "");
	clean_stale_bases(parent);
	for (int n = 1; n < 100; n++) {
		free(p->base);
		if (n == 1)
			p->base = xasprintf("%s%scirque-%d", p->own, slash, (int)getpid());
		else
			p->base = xasprintf("%s%scirque-%d-%d", p->own, slash, (int)getpid(), n);
		snprintf(dir, sizeof(dir), "%s%s", p->mount, p->base);
		if (mkdir(dir, 0755) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static bool move_self(const struct plan *p)
{
	char leaf[4096];
	int fd;

	snprintf(leaf, sizeof(leaf), "%s/.cirqued", p->base);
	if (make_path(p->mount, leaf) < 0)
		return false;
	snprintf(leaf, sizeof(leaf), "%s%s/.cirqued/cgroup.procs", p->mount, p->base);
	fd = open(leaf, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok;
}

void cgroup_setup(struct ev_loop *loop, const char *setting)
{
	struct plan p;
	char dir[4096];

	cg_state.loop = loop;
	if (!plan_containment(setting, &p)) {
		fall_back(p.why);
		plan_free(&p);
		return;
	}
	if (p.own_base && make_unique_base(&p) < 0) {
		snprintf(p.why, sizeof(p.why), "cannot create %scirque-%d in %s: %s", p.own,
			 (int)getpid(), p.mount, strerror(errno));
		fall_back(p.why);
		plan_free(&p);
		return;
	}
	if (!p.own_base && p.create_base && make_path(p.mount, p.base) < 0) {
		snprintf(p.why, sizeof(p.why), "cannot create %s%s: %s", p.mount, p.base,
			 strerror(errno));
		fall_back(p.why);
		plan_free(&p);
		return;
	}
	/* In its own base, cirqued marks it as alive (a later one may remove a base whose
	 * .cirqued is empty). */
	if ((p.move_self || p.own_base) && !move_self(&p)) {
		snprintf(p.why, sizeof(p.why), "cannot move cirqued to %s/.cirqued: %s", p.base,
			 strerror(errno));
		if (p.own_base)
			remove_base(p.mount, p.base);
		fall_back(p.why);
		plan_free(&p);
		return;
	}
	snprintf(dir, sizeof(dir), "%s%s", p.mount, p.base);
	cg_state.base_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cg_state.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cg_state.base_fd < 0 || cg_state.inotify_fd < 0) {
		snprintf(p.why, sizeof(p.why), "cannot open %.200s: %s", dir,
			 strerror(errno));
		fall_back(p.why);
		plan_free(&p);
		return;
	}
	/* Our own cgroup (delegated, a container's) is ours; a configured one must be. */
	if (!claim_base(cg_state.base_fd, p.create_base && !p.own_base, p.own_base, dir, p.why,
			sizeof(p.why))) {
		close(cg_state.base_fd);
		cg_state.base_fd = -1;
		fall_back(p.why);
		plan_free(&p);
		return;
	}
	/* The base's parent gives it the controllers it offers (ours, if delegated, or the
	 * root's), then the base gives them to the watchers. */
	if (p.create_base) {
		char parent[4096];
		snprintf(parent, sizeof(parent), "%s", dir);
		*strrchr(parent, '/') = '\0';
		int parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent_fd >= 0) {
			enable_controllers(parent_fd, ALL_CONTROLLERS);
			close(parent_fd);
		}
	}
	unsigned have = enable_controllers(cg_state.base_fd, ALL_CONTROLLERS) & ALL_CONTROLLERS;
	atexit(cgroup_teardown);  /* also when start-up fails after this (fatal) */
	if (p.own_base)
		cg_state.home = xstrdup(p.own);  /* where it goes back to, to remove its base */
	cg_state.enabled = true;
	cg_state.mount = p.mount;
	cg_state.base = p.base;
	cg_state.created_base = p.own_base;
	cg_state.support.known = true;
	cg_state.support.controllers = have;
	describe_missing(&p, have, cg_state.support.why, sizeof(cg_state.support.why));
	snprintf(cg_state.mode_text, sizeof(cg_state.mode_text), "cgroup %.380s", dir);
	char names[64] = "";
	for (unsigned bit = 1; bit <= CG_IO; bit <<= 1)
		if (have & bit)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), " %s",
				 controller_name(bit));
	snprintf(cg_state.log_line, sizeof(cg_state.log_line), "containment: cgroup v2, a cgroup "
		 "per watcher under %.400s (controllers:%s)", dir, names[0] ? names : " none, so no limits");
	ev_io_init(&cg_state.inotify_io, on_inotify, cg_state.inotify_fd, EV_READ);
	ev_io_start(loop, &cg_state.inotify_io);
	free(p.own);
}

void cgroup_probe(const char *setting, struct limit_support *support)
{
	struct plan p;
	char dir[4096];

	memset(support, 0, sizeof(*support));
	support->known = true;
	if (!plan_containment(setting, &p)) {
		snprintf(support->why, sizeof(support->why), "no cgroup: %.280s", p.why);
		plan_free(&p);
		return;
	}
	/* What the base would get: what its parent offers (ours when we would use our own). */
	snprintf(dir, sizeof(dir), "%s%s", p.mount, p.create_base ? p.own : p.base);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		support->controllers = controllers_of(fd, "cgroup.controllers") & ALL_CONTROLLERS;
		close(fd);
	}
	describe_missing(&p, support->controllers, support->why, sizeof(support->why));
	plan_free(&p);
}

void cgroup_log_mode(void)
{
	log_info("%s", cg_state.log_line);
}

void cgroup_support(struct limit_support *support)
{
	*support = cg_state.support;
}

bool cgroup_enabled(void)
{
	return cg_state.enabled;
}

const char *cgroup_mode_text(void)
{
	return cg_state.mode_text[0] ? cg_state.mode_text : "process groups (not set up)";
}

const char *cgroup_base(void)
{
	return cg_state.enabled ? cg_state.base : NULL;
}

void cgroup_teardown(void)
{
	char dir[4096];

	if (!cg_state.enabled)
		return;
	if (cg_state.inotify_fd >= 0) {
		ev_io_stop(cg_state.loop, &cg_state.inotify_io);
		close(cg_state.inotify_fd);
		cg_state.inotify_fd = -1;
	}
	if (cg_state.base_fd >= 0)
		close(cg_state.base_fd);
	cg_state.base_fd = -1;
	if (cg_state.home) {  /* out of the base's .cirqued, so that it can go */
		snprintf(dir, sizeof(dir), "%s%s/cgroup.procs", cg_state.mount,
			 strcmp(cg_state.home, "/") ? cg_state.home : "");
		int fd = open(dir, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			log_warn("cgroup: cannot move cirqued back to %s", cg_state.home);
		if (fd >= 0)
			close(fd);
		snprintf(dir, sizeof(dir), "%s%s/.cirqued", cg_state.mount, cg_state.base);
		rmdir(dir);
	}
	snprintf(dir, sizeof(dir), "%s%s/.released", cg_state.mount, cg_state.base);
	if (rmdir(dir) < 0 && errno != ENOENT)
		log_info("cgroup: %s keeps the processes released with rm --nostop", dir);
	snprintf(dir, sizeof(dir), "%s%s", cg_state.mount, cg_state.base);
	if (cg_state.created_base && rmdir(dir) < 0 && errno != EBUSY)
		log_warn("cgroup: cannot remove %s", dir);
	cg_state.enabled = false;
}

/* --- a watcher's cgroup --------------------------------------------------------------------- */

static int watch(const struct wcgroup *cg, const char *file)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s%s/%s", cg_state.mount, cg->path, file);
	return inotify_add_watch(cg_state.inotify_fd, path, IN_MODIFY);
}

/* The watchers' cgroups of a resumed daemon hold its processes: no warning about them. */
static bool resuming;

static struct wcgroup *wcgroup_open(const char *name)
{
	struct wcgroup *cg = xcalloc(1, sizeof(*cg));

	cg->name = xstrdup(name);
	cg->path = xasprintf("%s%s%s", cg_state.base, strcmp(cg_state.base, "/") ? "/" : "",
			     name);
	cg->dir_fd = cg->procs_fd = cg->events_wd = cg->memory_wd = -1;
	if (mkdirat(cg_state.base_fd, name, 0755) < 0 && errno != EEXIST)
		goto fail;
	cg->dir_fd = openat(cg_state.base_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
			    O_NOFOLLOW);
	if (cg->dir_fd < 0)
		goto fail;
	cg->procs_fd = openat(cg->dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	cg->events_wd = watch(cg, "cgroup.events");
	if (cg->procs_fd < 0 || cg->events_wd < 0)
		goto fail;
	if (cg_state.support.controllers & CG_MEMORY)
		cg->memory_wd = watch(cg, "memory.events");
	cg->populated = read_populated(cg->dir_fd);
	cg->oom_kills = wcgroup_oom_kills(cg);
	if (cg->populated && !resuming) {
		pid_t *pids;
		int n = wcgroup_pids(cg, &pids);
		log_warnx("watcher %s: its cgroup %s already holds %d process%s (left by an earlier "
			  "cirqued?): they are stopped with the watcher", name, cg->path, n,
			  n == 1 ? "" : "es");
		free(pids);
	}
	return cg;
fail:
	log_warn("watcher %s: cannot set up its cgroup %s%s, it runs without one", name,
		 cg_state.mount, cg->path);
	if (cg->events_wd >= 0)
		inotify_rm_watch(cg_state.inotify_fd, cg->events_wd);
	if (cg->procs_fd >= 0)
		close(cg->procs_fd);
	if (cg->dir_fd >= 0)
		close(cg->dir_fd);
	free(cg->path);
	free(cg->name);
	free(cg);
	return NULL;
}

struct wcgroup *wcgroup_get(const char *name, wcgroup_change_fn on_change, void *arg)
{
	struct wcgroup *cg;

	if (!cg_state.enabled)
		return NULL;
	for (cg = cg_state.all; cg; cg = cg->next)
		if (strcmp(cg->name, name) == 0)
			break;
	if (cg == NULL) {
		if ((cg = wcgroup_open(name)) == NULL)
			return NULL;
		cg->next = cg_state.all;
		cg_state.all = cg;
	}
	cg->holders = xreallocarray(cg->holders, (size_t)cg->nholders + 1, sizeof(*cg->holders));
	cg->holders[cg->nholders++] = (struct holder){ on_change, arg };
	return cg;
}

static void wcgroup_close(struct wcgroup *cg)
{
	for (struct wcgroup **link = &cg_state.all; *link; link = &(*link)->next) {
		if (*link == cg) {
			*link = cg->next;
			break;
		}
	}
	inotify_rm_watch(cg_state.inotify_fd, cg->events_wd);
	if (cg->memory_wd >= 0)
		inotify_rm_watch(cg_state.inotify_fd, cg->memory_wd);
	close(cg->procs_fd);
	close(cg->dir_fd);
	if (remove_tree(cg_state.base_fd, cg->name, 0) < 0)
		log_warn("watcher %s: cannot remove its cgroup %s", cg->name, cg->path);
	free(cg->holders);
	free(cg->path);
	free(cg->name);
	free(cg);
}

void wcgroup_put(struct wcgroup *cg, void *arg)
{
	if (cg == NULL)
		return;
	for (int i = 0; i < cg->nholders; i++) {
		if (cg->holders[i].arg == arg) {
			cg->holders[i] = cg->holders[--cg->nholders];
			break;
		}
	}
	if (cg->nholders == 0)
		wcgroup_close(cg);
}

int wcgroup_procs_fd(const struct wcgroup *cg) { return cg->procs_fd; }

static int move_pid(const struct wcgroup *cg, pid_t pid)
{
	char text[24];
	int len = snprintf(text, sizeof(text), "%d", (int)pid);

	return write(cg->procs_fd, text, (size_t)len) == len ? 0 : -1;
}

/* PID's cgroup v2 path ("/cirque-12/web"), from /proc/PID/cgroup; false if unknown. */
static bool cgroup_of_pid(pid_t pid, char *out, size_t size)
{
	char path[64], buf[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "0::", 3) == 0) {
			snprintf(out, size, "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
			return true;
		}
	}
	return false;
}

/* PATH is the cgroup a cirqued made for watcher NAME (".../cirque-PID/NAME"): all in it is
 * that watcher's, and may follow its adopted processes. */
static bool dead_watchers_cgroup(const char *path, const char *name)
{
	const char *last = strrchr(path, '/');

	if (last == NULL || strcmp(last + 1, name) != 0 || last == path)
		return false;
	const char *parent = last - 1;
	while (parent > path && *parent != '/')
		parent--;
	return strncmp(parent, "/cirque-", 8) == 0;
}

int wcgroup_move(const struct wcgroup *cg, pid_t pid)
{
	char from[4096], procs[4096 + 512];
	FILE *fp;
	int pid_in;

	if (!cgroup_of_pid(pid, from, sizeof(from)) || strcmp(from, cg->path) == 0)
		return 0;  /* unknown, or in place already (the same cgroup: Delegate=yes) */
	if (move_pid(cg, pid) < 0)
		return -1;
	/* What it started (a shell's command, a worker) was in its cgroup too, and comes along:
	 * a stop of the watcher ends it. Never from a cgroup that is not a watcher's. */
	if (!dead_watchers_cgroup(from, cg->name))
		return 0;
	snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", cg_state.mount, from);
	if ((fp = fopen(procs, "re")) == NULL)
		return 0;
	while (fscanf(fp, "%d", &pid_in) == 1)
		if (move_pid(cg, (pid_t)pid_in) < 0)
			log_debug("cgroup: cannot move pid %d into %s: %s", pid_in, cg->path,
				  strerror(errno));
	fclose(fp);
	return 0;
}

void cgroup_clean_stale(void)
{
	char parent[4096 + 64];

	survivors_settled = true;
	if (!cg_state.enabled || !cg_state.created_base || !cg_state.base)
		return;
	snprintf(parent, sizeof(parent), "%s%s", cg_state.mount, cg_state.base);
	*strrchr(parent, '/') = '\0';
	clean_stale_bases(parent);
}
const char *wcgroup_path(const struct wcgroup *cg) { return cg->path; }
bool wcgroup_populated(const struct wcgroup *cg) { return read_populated(cg->dir_fd); }

/* Appends the pids of DIRFD's cgroup.procs, and of every cgroup below it, to *PIDS. A child
 * may divide its cgroup (a nested supervisor, a container runtime): all of it is the watcher's. */
static void collect_pids(int dirfd, pid_t **pids, int *n, int *max, int depth)
{
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = 0, cap = 8192;
	char *text = xmalloc(cap);
	ssize_t got;

	while (fd >= 0 && (got = read(fd, text + len, cap - len - 1)) > 0) {
		len += (size_t)got;
		if (cap - len < 64)
			text = xreallocarray(text, cap *= 2, 1);
	}
	if (fd >= 0)
		close(fd);
	text[len] = '\0';
	for (char *p = text, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (*n == *max)
			*pids = xreallocarray(*pids, (size_t)(*max *= 2), sizeof(pid_t));
		(*pids)[(*n)++] = (pid_t)pid;
	}
	free(text);
	if (depth >= 32)  /* cgroup.max.depth aside, enough */
		return;
	int copy = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = copy >= 0 ? fdopendir(copy) : NULL;
	struct dirent *de;
	while (dir && (de = readdir(dir)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub >= 0) {
			collect_pids(sub, pids, n, max, depth + 1);
			close(sub);
		}
	}
	if (dir)
		closedir(dir);
	else if (copy >= 0)
		close(copy);
}

int wcgroup_pids(const struct wcgroup *cg, pid_t **pids)
{
	int n = 0, max = 16;

	*pids = xmalloc(sizeof(pid_t) * (size_t)max);
	collect_pids(cg->dir_fd, pids, &n, &max, 0);
	return n;
}

void wcgroup_kill(struct wcgroup *cg)
{
	pid_t *pids;
	int n;

	if (cgroup_file_write(cg->dir_fd, "cgroup.kill", "1") == 0)
		return;
	if (errno != ENOENT)
		log_warn("watcher %s: cannot write %s/cgroup.kill", cg->name, cg->path);
	/* Before 5.14: one by one. A fork in between is caught by the next round (the drain
	 * ends only when the cgroup is empty). */
	n = wcgroup_pids(cg, &pids);
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	free(pids);
}

void wcgroup_release_all(struct wcgroup *cg)
{
	int fd = -1;

	if (mkdirat(cg_state.base_fd, ".released", 0755) < 0 && errno != EEXIST) {
		log_warn("watcher %s: cannot create %s/.released", cg->name, cg_state.base);
		return;
	}
	fd = openat(cg_state.base_fd, ".released/cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_warn("watcher %s: cannot open %s/.released/cgroup.procs", cg->name,
			 cg_state.base);
		return;
	}
	/* A few rounds: a process may fork while the others move. */
	for (int round = 0; round < 8; round++) {
		pid_t *pids;
		int n = wcgroup_pids(cg, &pids);
		for (int i = 0; i < n; i++) {
			char text[16];
			snprintf(text, sizeof(text), "%d", (int)pids[i]);
			if (write(fd, text, strlen(text)) < 0 && errno != ESRCH)
				log_warn("watcher %s: cannot move pid %d out of its cgroup", cg->name,
					 (int)pids[i]);
		}
		free(pids);
		if (n == 0)
			break;
	}
	close(fd);
}

int wcgroup_apply_limits(struct wcgroup *cg, const struct cgroup_limits *limits)
{
	char err[200];

	if (limits_write(cg->dir_fd, limits, err, sizeof(err)) == 0)
		return 0;
	log_errorx("watcher %s: cannot apply its limits to cgroup %s: %s", cg->name, cg->path, err);
	return -1;
}

unsigned long long wcgroup_oom_kills(const struct wcgroup *cg)
{
	char *text = read_small(cg->dir_fd, "memory.events");
	unsigned long long n = text ? memory_events_oom_kills(text) : 0;

	free(text);
	return n;
}

double wcgroup_cpu_seconds(const struct wcgroup *cg)
{
	char *text = read_small(cg->dir_fd, "cpu.stat");
	long long usec = text ? cpu_stat_usage_usec(text) : -1;

	free(text);
	return usec < 0 ? -1 : (double)usec / 1e6;
}

long long wcgroup_memory(const struct wcgroup *cg)
{
	char *text = read_small(cg->dir_fd, "memory.current");
	long long bytes = text ? strtoll(text, NULL, 10) : -1;

	free(text);
	return bytes;
}

/* --- re-exec (reexec.h) ------------------------------------------------------------------------ */


json_t *cgroup_save(void)
{
	reexec_keep_fd(cg_state.base_fd);  /* with its lock: no other cirqued takes the base */
	return json_pack("{s:b, s:s?, s:s?, s:s?, s:i, s:b, s:i, s:s, s:s, s:s}",
			 "enabled", cg_state.enabled, "mount", cg_state.mount, "base",
			 cg_state.base, "home", cg_state.home, "base_fd", cg_state.base_fd,
			 "created_base", cg_state.created_base, "controllers",
			 (int)cg_state.support.controllers, "why", cg_state.support.why,
			 "mode_text", cg_state.mode_text, "log_line", cg_state.log_line);
}

static char *saved_string(const json_t *saved, const char *key)
{
	const char *s = json_string_value(json_object_get(saved, key));
	return s ? xstrdup(s) : NULL;
}

void cgroup_restore(struct ev_loop *loop, const json_t *saved)
{
	cg_state.loop = loop;
	resuming = true;
	snprintf(cg_state.support.why, sizeof(cg_state.support.why), "%s",
		 json_string_value(json_object_get(saved, "why")) ?: "");
	snprintf(cg_state.mode_text, sizeof(cg_state.mode_text), "%s",
		 json_string_value(json_object_get(saved, "mode_text")) ?: "");
	snprintf(cg_state.log_line, sizeof(cg_state.log_line), "%s",
		 json_string_value(json_object_get(saved, "log_line")) ?: "");
	cg_state.support.known = true;
	cg_state.base_fd = (int)json_integer_value(json_object_get(saved, "base_fd"));
	if (!json_is_true(json_object_get(saved, "enabled")) || cg_state.base_fd < 0) {
		cg_state.enabled = false;
		cg_state.support.controllers = 0;
		return;
	}
	cg_state.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cg_state.inotify_fd < 0)
		fatal("cannot watch the cgroups again");
	cg_state.mount = saved_string(saved, "mount");
	cg_state.base = saved_string(saved, "base");
	cg_state.home = saved_string(saved, "home");
	cg_state.created_base = json_is_true(json_object_get(saved, "created_base"));
	cg_state.support.controllers =
		(unsigned)json_integer_value(json_object_get(saved, "controllers"));
	cg_state.enabled = true;
	atexit(cgroup_teardown);
	ev_io_init(&cg_state.inotify_io, on_inotify, cg_state.inotify_fd, EV_READ);
	ev_io_start(loop, &cg_state.inotify_io);
}
